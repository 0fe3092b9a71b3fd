#!/usr/bin/env python3
"""test_mda_silent: silent routers and a black-holed destination.

Topologies (the diamond of test_mda_diamond, src-r0-r1=>{r2a,r2b}=>r3-dst):
  silent     r2a never sends time-exceeded (nft drop): r2a's branch shows
             as r1 -> * -> r3 (the address r3 answers from on r2a's link).
             6 observable links: r0>r1, r1>r2b, r2b>r3, r1>*>r3, r3>dst x2
  blackhole  dst drops every packet: r0>r1, r1>r2a, r1>r2b, r2a>r3,
             r2b>r3, and each of r3's two addresses ends in `*` (7)
Every method, IPv4 and IPv6, 99 % confidence, -w 1 (1 s per probe
timeout, so silence costs seconds, not tens).

hoplite: every observable link (dead ends included), no false link, r2a
never appears, COMPLETED (silent router) or GAPLIMIT (black hole), nothing
per-packet.  LAB_TRACER=scamper: no false link, no stray address, the link
into r1; misses printed.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import mdalab  # noqa: E402


def main():
    lab.require_lab()
    mdalab.require_tracer()
    ck = lab.Check("test_mda_silent")
    for name in ("silent", "blackhole"):
        mdalab.check_topology(ck, name)
    ck.done()


if __name__ == "__main__":
    main()
