#!/usr/bin/env python3
"""test_mda_perpacket: a per-packet balancer is flagged, and only there.

Topology: src-r0-r1 => {r2a,r2b,r2c,r2d} => r3-dst where r1 picks the
branch per packet (nft `numgen random`), and r3 answers from one address
so that every link a flow can show is a true one (10 true links).  Width 4:
the 99 % per-packet test re-sends one flow 4 times ((1/4)^4 <= 3/4 of
1 %), so one trace in 256 leaves r1 unflagged, by design; each trace runs
twice, and r1 must be flagged in at least one of the two (a miss in
both: one in 65,536).

hoplite: r1's vertex (and nothing else, in any run) carries `perpacket:
true`, the link r0->r1 is found, no false link, no address off the true
paths, COMPLETED; every method, IPv4 and IPv6, run twice.  (That per-flow
balancers are never flagged is asserted by every other test_mda_*.)
LAB_TRACER=scamper: scamper has no per-packet key; it must show the
balancer's branches inside a clump after r1 (its per-packet verdict).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import mdalab  # noqa: E402


def scamper_clump(ck, t, tr, method, family, label):
    """scamper's per-packet verdict: a clump after r1 with >1 branch."""
    if lab.tracer() != "scamper":
        return
    r1 = t.vaddr("r0", "r1", family)
    mids = {t.vaddr("r1", m, family) for m in t.spec.balancers["r1"]}
    seen = set()
    for a, hops, b in tr.clumps:
        for h in hops:
            seen |= h & mids
    ck.ok(len(seen) >= 2, label + ": scamper clumps >= 2 of r1's branches",
          "clumps %r" % tr.clumps)
    ck.ok(not any(a == r1 and b in mids for a, b in tr.links),
          label + ": scamper made no node of a per-packet branch")


def main():
    lab.require_lab()
    mdalab.require_tracer()
    ck = lab.Check("test_mda_perpacket")
    mdalab.check_topology(ck, "perpacket", runs=2,
                          extra_checks=scamper_clump)
    ck.done()


if __name__ == "__main__":
    main()
