#!/usr/bin/env python3
"""test_many: 256 destinations in one run.

The destination host of a line (src - r1 - r2 - r3 - dst) carries 256 IPv4
/32s and 256 IPv6 /128s on lo.  One run per family traces all 256 at
-p 2000: 256 JSON lines, each destination exactly once, all COMPLETED at
distance 4, every hop address owned by the router at that distance (the
concurrent traces must not steal each other's replies)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

N = 256


def main():
    lab.require_lab()
    lab.require_hoplite()
    ck = lab.Check("test_many")
    with lab.Lab("m") as L:
        t = lab.build_line(L, finalize=False)
        v4, v6 = L.add_lo_addrs(t.dst, N)
        L.finalize()
        for a in (v4[0], v4[-1], v6[0], v6[-1]):
            ck.ok(L.ping(t.src, a), "lab: %s answers" % a)
        for fam, dests in ((4, v4), (6, v6)):
            if not lab.supported("icmp-paris", fam):
                continue
            r = lab.trace(L, t.src, dests, method="icmp-paris", wait_ms=1000,
                          pps=2000, timeout=120)
            label = "%d v%d destinations" % (N, fam)
            ck.eq(len([l for l in r.out.splitlines() if l.strip()
                       and '"trace"' in l]), N, label + ": trace lines")
            by = lab.check_run(ck, r, dests, label)
            bad = 0
            for d in dests:
                for tr in by.get(d, []):
                    sub = lab.Check("one trace", quiet=True)
                    sub_ok = lab.check_trace(sub, L, tr, t.src, d,
                                             "icmp-paris", fam, run=r)
                    if not sub_ok:
                        bad += 1
                        if bad <= 3:  # show the first few in full
                            lab.check_trace(ck, L, tr, t.src, d,
                                            "icmp-paris", fam, run=r)
            ck.eq(bad, 0, label + ": traces failing the per-trace checks")
            ck.note("%s: %.1f s" % (label, r.t1 - r.t0))
    ck.done()


if __name__ == "__main__":
    main()
