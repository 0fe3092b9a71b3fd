#!/usr/bin/env python3
"""test_line: a chain src - r1 - r2 - r3 - dst, IPv4 and IPv6.

Every method completes: hop k is answered by the router k hops away, the
destination answers last with the method's own reply (echo reply, port
unreachable, RST), hop_count is the distance (4), and rtt, probe_ttl,
probe_id and tx are sane.  Then the defaults (icmp-paris, 2 attempts), -Q
(both attempts answered per TTL), --sport/--dport, --size (probe_size), -o text
(one line per hop, starting with the TTL, naming the router), -f 2 (starts
at TTL 2) and -m 2 (HOPLIMIT with two hops)."""

import ipaddress
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

WAIT = 1000  # ms; nothing is lost in this lab


def tokens_owned(L, line):
    """Nodes owning the addresses named on a text line, by token."""
    out = []
    for tok in line.split():
        tok = tok.strip("[](),;")
        try:
            ipaddress.ip_address(tok)
        except ValueError:
            continue
        out.append(L.owner(tok))
    return out


def check_text(ck, L, t, dst, text):
    """A traceroute-style line per hop: first token the TTL, then the
    address of the router at that distance; lines in TTL order."""
    sets = L.hop_sets(t.src, dst)
    lines = text.splitlines()
    ck.ok(len(lines) >= len(sets), "text %s: at least one line per hop" % dst,
          "got %d lines:\n%s" % (len(lines), text))
    prev = -1
    for k, want in enumerate(sets, 1):
        found = None
        for i, line in enumerate(lines):
            toks = line.split()
            if toks and toks[0] == str(k) and \
                    any(o in want for o in tokens_owned(L, line)):
                found = i
                break
        if ck.ok(found is not None,
                 "text %s: a line '%d <address of %s> ...'" % (
                     dst, k, "/".join(sorted(map(str, want)))),
                 "text was:\n" + text):
            ck.ok(found > prev, "text %s: hop %d after hop %d" % (dst, k, k - 1))
            prev = found


def main():
    lab.require_lab()
    lab.require_hoplite()
    ck = lab.Check("test_line")
    with lab.Lab("l") as L:
        t = lab.build_line(L)
        fams = ((4, t.dst4), (6, t.dst6))
        for fam, d in fams:
            ck.eq(L.distance(t.src, d), 4, "lab: v%d destination 4 hops away" % fam)
            ck.ok(L.ping(t.src, d), "lab: ping %s" % d)

        # Every method, both families traced concurrently in one run.
        for m in lab.METHODS:
            dests = [d for f, d in fams if lab.supported(m, f)]
            r = lab.trace(L, t.src, dests, method=m, wait_ms=WAIT)
            by = lab.check_run(ck, r, dests, m)
            for d in dests:
                for tr in by.get(d, []):
                    fam = lab.family_of(d)
                    lab.check_trace(ck, L, tr, t.src, d, m, fam, run=r,
                                    max_rtt=500)
                    lab.check_single_path(ck, L, tr, "%s %s" % (m, d))
                    ck.eq(sorted({h["probe_ttl"] for h in tr.get("hops", [])}),
                          [1, 2, 3, 4], "%s %s: every TTL answered" % (m, d))

        # Defaults: icmp-paris, 2 attempts, first TTL 1.
        if lab.tracer() == "hoplite":
            r = lab.trace(L, t.src, [t.dst4, t.dst6], method=None,
                          wait_ms=WAIT)
            by = lab.check_run(ck, r, [t.dst4, t.dst6], "defaults")
            for d, trs in by.items():
                for tr in trs:
                    lab.check_trace(ck, L, tr, t.src, d, "icmp-paris",
                                    lab.family_of(d), run=r,
                                    label="defaults " + d)

        # -Q: every attempt is sent and answered.
        r = lab.trace(L, t.src, [t.dst4, t.dst6], method="icmp-paris",
                      wait_ms=WAIT, attempts=2, extra=["-Q"])
        by = lab.check_run(ck, r, [t.dst4, t.dst6], "-Q")
        for d, trs in by.items():
            for tr in trs:
                lab.check_trace(ck, L, tr, t.src, d, "icmp-paris",
                                lab.family_of(d), run=r, label="-Q " + d)
                per = lab.hops_by_ttl(tr)
                ck.eq({k: sorted(h["probe_id"] for h in v)
                       for k, v in per.items()},
                      {k: [1, 2] for k in (1, 2, 3, 4)},
                      "-Q %s: probe_id 1 and 2 answered at every TTL" % d)

        # --sport/--dport fix the ports of udp and tcp probes.
        for m in ("udp-paris", "tcp-paris"):
            dests = [d for f, d in fams if lab.supported(m, f)]
            r = lab.trace(L, t.src, dests, method=m, wait_ms=WAIT,
                          sport=40123, dport=33999)
            by = lab.check_run(ck, r, dests, m + " --sport --dport")
            for d, trs in by.items():
                for tr in trs:
                    lbl = "%s --sport 40123 --dport 33999 %s" % (m, d)
                    lab.check_trace(ck, L, tr, t.src, d, m, lab.family_of(d),
                                    run=r, label=lbl)
                    ck.eq((tr.get("sport"), tr.get("dport")), (40123, 33999),
                          lbl + ": ports")

        # -s: probe size (IP total length, like scamper's probe_size).
        if lab.tracer() == "hoplite":
            r = lab.trace(L, t.src, [t.dst4, t.dst6], method="udp-paris",
                          wait_ms=WAIT, extra=["--size", "100"])
            by = lab.check_run(ck, r, [t.dst4, t.dst6], "--size 100")
            for d, trs in by.items():
                for tr in trs:
                    lab.check_trace(ck, L, tr, t.src, d, "udp-paris",
                                    lab.family_of(d), run=r,
                                    label="--size 100 " + d)
                    ck.eq(tr.get("probe_size"), 100, "--size 100 %s: probe_size" % d)
                    ck.eq({h.get("probe_size") for h in tr.get("hops", [])},
                          {100}, "--size 100 %s: every probe 100 bytes" % d)

        # Text output.
        for fam, d in fams:
            r = lab.trace(L, t.src, [d], method="icmp-paris", wait_ms=WAIT,
                          output="text")
            ck.eq(r.rc, 0, "-o text %s: exit code" % d)
            check_text(ck, L, t, d, r.out)

        # -f 2: the first probe has TTL 2.
        r = lab.trace(L, t.src, [t.dst4, t.dst6], method="icmp-paris",
                      wait_ms=WAIT, first=2)
        by = lab.check_run(ck, r, [t.dst4, t.dst6], "-f 2")
        for d, trs in by.items():
            for tr in trs:
                lab.check_trace(ck, L, tr, t.src, d, "icmp-paris",
                                lab.family_of(d), run=r, first=2,
                                label="-f 2 %s" % d)
                ck.eq(sorted({h["probe_ttl"] for h in tr.get("hops", [])}),
                      [2, 3, 4], "-f 2 %s: TTLs 2..4 answered, not 1" % d)

        # -m 2: HOPLIMIT after two hops.
        r = lab.trace(L, t.src, [t.dst4, t.dst6], method="icmp-paris",
                      wait_ms=WAIT, maxttl=2)
        by = lab.check_run(ck, r, [t.dst4, t.dst6], "-m 2")
        for d, trs in by.items():
            for tr in trs:
                lab.check_trace(ck, L, tr, t.src, d, "icmp-paris",
                                lab.family_of(d), run=r, stop="HOPLIMIT",
                                label="-m 2 %s" % d)
                ck.eq(tr.get("hop_count"), 2, "-m 2 %s: hop_count" % d)
                ck.eq(sorted({h["probe_ttl"] for h in tr.get("hops", [])}),
                      [1, 2], "-m 2 %s: TTLs 1 and 2 answered" % d)
    ck.done()


if __name__ == "__main__":
    main()
