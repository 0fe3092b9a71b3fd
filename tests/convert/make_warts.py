#!/usr/bin/env python3
"""make_warts: the sample warts files in tests/convert/data/warts/, made
with Debian's scamper in a lab of network namespaces (root).  Not run by
make check; kept so the samples can be made again.

Topology (tests/lab/lab.py's fan of width 2, a diamond):
src - r1 => {r2a, r2b} => r3 - dst, ECMP at r1.  Traces and MDA traces,
IPv4 and IPv6, then the same with r3 silent (no time-exceeded), then r3
as an MPLS router (tests/lab/mpls_router.py: its time-exceeded carries
an RFC 4950 label stack, 16005 over 24001).  scamper 20211212 never
matches IPv6 udp-paris replies: that trace has no hops; its IPv6
udp-dport tracelb through the MPLS router writes a record its own reader
refuses, so mpls.warts leaves that one out.
Only lab addresses (198.18.0.0/15, 2001:db8::/32) are probed.

usage: make_warts.py OUTDIR
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
import lab  # noqa: E402


# label 16005 (TC 0, TTL 255) over label 24001 (TC 5, bottom, TTL 254)
MPLS_STACK = ["16005/0/0/255", "24001/5/1/254"]


def scamper(L, node, out, cmds):
    argv = ["scamper", "-O", "warts", "-o", out, "-p", "200"]
    for c in cmds:
        argv += ["-I", c]
    p = L.run(node, argv, timeout=120)
    if p.returncode != 0:
        raise lab.LabError("scamper: %s" % p.stderr)


def main():
    lab.require_lab()
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    with lab.Lab("w") as L:
        t = lab.build_fan(L, 2)
        d4, d6 = t.dst4, t.dst6
        for a in (d4, d6):
            if not L.ping(t.src, a, 3):
                raise lab.LabError("lab: %s does not answer" % a)
        scamper(L, t.src, os.path.join(out, "lab.warts"), [
            "trace -P icmp-paris -d 33435 %s" % d4,
            "trace -P icmp-paris %s" % d6,
            "trace -P udp-paris -w 1 %s" % d6,
            "tracelb -P icmp-echo -q 2 -w 1 %s" % d4,
            "tracelb -P icmp-echo -q 2 -w 1 %s" % d6,
        ])
        L.silence(t.lab.nodes["r3"])
        scamper(L, t.src, os.path.join(out, "silent.warts"), [
            "trace -P icmp-paris -w 1 %s" % d4,
            "trace -P icmp-paris -w 1 %s" % d6,
            "tracelb -P udp-dport -q 2 -w 1 %s" % d4,
        ])
        L.unsilence(t.lab.nodes["r3"])
        r = L.mpls(t.lab.nodes["r3"], MPLS_STACK)
        scamper(L, t.src, os.path.join(out, "mpls.warts"), [
            "trace -P icmp-paris %s" % d4,
            "trace -P icmp-paris %s" % d6,
            "trace -P udp-paris %s" % d4,
            "tracelb -P icmp-echo -q 2 -w 1 %s" % d4,
            "tracelb -P icmp-echo -q 2 -w 1 %s" % d6,
            "tracelb -P udp-dport -q 2 -w 1 %s" % d4,
        ])
        r.terminate()
        r.wait(timeout=5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
