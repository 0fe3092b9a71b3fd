#!/usr/bin/env python3
"""test_silent: what a trace shows when routers or destinations stay quiet.

Topology: src - r1 - r2 - r3 - dst, plus a host `hole` behind r3 that drops
every packet, plus a network routed up to r3 where r3 has no route.  IPv4
and IPv6, icmp-paris and udp-paris.
(a) r2 never sends time-exceeded: TTL 2 is absent from hops, the trace
    still COMPLETES through it.
(b) the destination drops everything: with -g 3 the trace stops with
    GAPLIMIT, hops are r1, r2, r3 and nothing beyond.
(c) the last router has no route to the destination: it answers net
    unreachable (v4 3/0, v6 1/0) and the trace stops with UNREACH there.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

WAIT = 1000
METHODS = ("icmp-paris", "udp-paris")


def ttls(tr):
    return sorted({h["probe_ttl"] for h in tr.get("hops", [])})


def main():
    lab.require_lab()
    lab.require_hoplite()
    ck = lab.Check("test_silent")
    with lab.Lab("s") as L:
        src, r1, r2, r3, dst, hole = (
            L.host("src"), L.router("r1"), L.router("r2"), L.router("r3"),
            L.host("dst"), L.host("hole"))
        L.link(src, r1)
        L.link(r1, r2)
        L.link(r2, r3)
        L.link(r3, dst)
        hl = L.link(r3, hole)
        unr4, unr6 = L.add_stub_net(toward=dst, no_route_at=[r3])
        L.finalize()
        dst4, dst6 = dst.addr(4), dst.addr(6)
        hole4, hole6 = hl.addr_of(hole, 4), hl.addr_of(hole, 6)
        for a in (hole4, hole6):
            ck.ok(L.ping(src, a), "lab: %s answers before the black hole" % a)
        L.blackhole(hole)
        for a in (hole4, hole6):
            ck.ok(not L.ping(src, a), "lab: %s silent after the black hole" % a)
        ck.eq([sorted(map(str, s)) for s in L.hop_sets(src, unr4)],
              [["r1"], ["r2"], ["r3"]], "lab: the stub net ends at r3 (v4)")
        ck.eq([sorted(map(str, s)) for s in L.hop_sets(src, unr6)],
              [["r1"], ["r2"], ["r3"]], "lab: the stub net ends at r3 (v6)")

        # (a) a silent router
        L.silence(r2)
        for m in METHODS:
            dests = [d for f, d in ((4, dst4), (6, dst6))
                     if lab.supported(m, f)]
            r = lab.trace(L, src, dests, method=m, wait_ms=WAIT)
            by = lab.check_run(ck, r, dests, "silent r2 " + m)
            for d, trs in by.items():
                for tr in trs:
                    lbl = "silent r2 %s %s" % (m, d)
                    lab.check_trace(ck, L, tr, src, d, m, lab.family_of(d),
                                    run=r, label=lbl)
                    ck.eq(ttls(tr), [1, 3, 4], lbl + ": TTL 2 absent")
                    ck.ok(all(L.owner(h["addr"]) is not r2
                              for h in tr.get("hops", [])),
                          lbl + ": r2 never appears")
        L.unsilence(r2)

        # (b) a black-holed destination
        for m in METHODS:
            dests = [d for f, d in ((4, hole4), (6, hole6))
                     if lab.supported(m, f)]
            r = lab.trace(L, src, dests, method=m, wait_ms=WAIT, gaplimit=3)
            by = lab.check_run(ck, r, dests, "black hole " + m)
            for d, trs in by.items():
                for tr in trs:
                    lbl = "black hole %s %s" % (m, d)
                    lab.check_trace(ck, L, tr, src, d, m, lab.family_of(d),
                                    run=r, stop="GAPLIMIT", label=lbl)
                    ck.eq(ttls(tr), [1, 2, 3], lbl + ": r1, r2, r3 and no more")
                    ck.eq([L.owner(a).name for _, a in lab.path_of(tr)],
                          ["r1", "r2", "r3"], lbl + ": the routers before it")

        # (c) no route at the last router
        for m in METHODS:
            dests = [d for f, d in ((4, unr4), (6, unr6))
                     if lab.supported(m, f)]
            r = lab.trace(L, src, dests, method=m, wait_ms=WAIT)
            by = lab.check_run(ck, r, dests, "no route " + m)
            for d, trs in by.items():
                for tr in trs:
                    lbl = "no route %s %s" % (m, d)
                    lab.check_trace(ck, L, tr, src, d, m, lab.family_of(d),
                                    run=r, stop="UNREACH", label=lbl)
                    ck.eq([L.owner(a).name for _, a in lab.path_of(tr)],
                          ["r1", "r2", "r3"], lbl + ": ends at r3")
    ck.done()


if __name__ == "__main__":
    main()
