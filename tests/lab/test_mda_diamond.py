#!/usr/bin/env python3
"""test_mda_diamond: multipath detection on unmeshed diamonds.

Topologies (tests/lab/mdalab.py; balancers hash the first four transport
bytes, and the IPv6 flow label, as hardware routers do, one seed each):
  diamond   src-r0-r1=>{r2a,r2b}=>r3-dst                     7 true links
  nested24  r1=>{a,b}, a=>{a1,a2}, b=>{b1,b2}, all=>r3       15 true links
Every method, IPv4 and IPv6, 99 % confidence, fixed flow bases.  The true
links are confirmed with 64 plain UDP and ICMP flows before tracing.

hoplite (`$HOPLITE mda`): every true link found, no false link, no address
off the true paths, no clump, stop_reason COMPLETED, no vertex flagged
per-packet.  LAB_TRACER=scamper validates the lab with Debian's scamper
`tracelb`: no false link, the link into r1 found; what it misses is printed.
Until hoplite has an `mda` command the hoplite run skips (77).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import mdalab  # noqa: E402


def main():
    lab.require_lab()
    mdalab.require_tracer()
    ck = lab.Check("test_mda_diamond")
    for name in ("diamond", "nested24"):
        mdalab.check_topology(ck, name)
    ck.done()


if __name__ == "__main__":
    main()
