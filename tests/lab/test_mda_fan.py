#!/usr/bin/env python3
"""test_mda_fan: multipath detection on a wide nested fan-out and a meshed
stage.

Topologies (tests/lab/mdalab.py, hashing balancers with one seed each):
  fan4n   src-r0-r1=>{ma,mb,mc,md}, ma=>{x1,x2}, mb-y, mc-z, md-w,
          all=>r3-dst                                         20 true links
  meshed  r1=>{a,b,c}, each of a,b,c=>{d,e,f}, d,e,f=>r3; d, e and f
          answer from one address whatever the inbound interface, so the
          IP graph itself is meshed (9 links between the stages)
                                                              19 true links
Every method, IPv4 and IPv6, 99 % confidence, fixed flow bases; truth
confirmed with 64 plain UDP and ICMP flows first.

hoplite: every true link, no false link, no clump, COMPLETED, nothing
per-packet.  LAB_TRACER=scamper: no false link, the link into r1 found,
misses printed (scamper finds only part of these, MDA.md 2.7).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import mdalab  # noqa: E402


def main():
    lab.require_lab()
    mdalab.require_tracer()
    ck = lab.Check("test_mda_fan")
    for name in ("fan4n", "meshed"):
        mdalab.check_topology(ck, name)
    ck.done()


if __name__ == "__main__":
    main()
