#!/usr/bin/env python3
"""tracelb_reader: tests/lab/tracelb.py (the tracelb reader the MDA lab tests
and bench_mda rely on) on hand-made objects in scamper's shapes: a node
with several links (far ends only), one link across `*` hops, a link into
silence, a clump, hoplite's per-packet flag, linkc that does not match.
No root, no network."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.environ.get("top_srcdir",
                                               os.path.join(HERE, "..", "..")),
                                "tests", "lab"))
import tracelb  # noqa: E402

failures = 0


def eq(got, want, what):
    global failures
    if got != want:
        failures += 1
        print("FAIL: %s\n      got %r, want %r" % (what, got, want))


def probe(ttl, flow):
    return {"tx": {"sec": 1, "usec": 0}, "replyc": 1, "ttl": ttl,
            "attempt": 0, "flowid": flow, "replies": []}


def hop(addr, ttl=2, flow=1):
    return {"addr": addr, "probes": [probe(ttl, flow)]}


OBJ = {
    "type": "tracelb", "method": "udp-sport", "dst": "198.18.9.2",
    "probec": 42, "stop_reason": "COMPLETED", "nodes": [
        # r0 -> r1 (one link, one hop)
        {"addr": "198.18.1.2", "q_ttl": 1, "linkc": 1,
         "links": [[hop("198.18.2.2")]]},
        # r1 -> r2a, r2b (several links: far ends in one inner array)
        {"addr": "198.18.2.2", "q_ttl": 1, "linkc": 2, "perpacket": True,
         "links": [[hop("198.18.3.2", 3, 1), hop("198.18.4.2", 3, 2)]]},
        # r2a -> * -> r3 (one link across a silent hop)
        {"addr": "198.18.3.2", "q_ttl": 1, "linkc": 1,
         "links": [[{"addr": "*"}], [hop("198.18.5.2", 5)]]},
        # r2b -> [x, *] -> r3: a clump
        {"addr": "198.18.4.2", "q_ttl": 1, "linkc": 1,
         "links": [[hop("198.18.6.2", 4), {"addr": "*"}],
                   [hop("198.18.7.2", 5)]]},
        # r3 -> * -> *: into silence
        {"addr": "198.18.5.2", "q_ttl": 1, "linkc": 1,
         "links": [[{"addr": "*"}], [{"addr": "*"}]]},
        # linkc says 2, one link shown
        {"addr": "198.18.7.2", "q_ttl": 1, "linkc": 2,
         "links": [[hop("198.18.9.2", 6)]]},
    ]}


def main():
    text = json.dumps({"type": "cycle-start"}) + "\n" + json.dumps(OBJ) + \
        "\n\n"
    trs = tracelb.read_tracelb(text)
    eq(len(trs), 1, "one tracelb object among the lines")
    t = trs[0]
    eq((t.method, t.dst, t.probec, t.stop_reason),
       ("udp-sport", "198.18.9.2", 42, "COMPLETED"), "header fields")
    eq(t.links, {("198.18.1.2", "198.18.2.2"), ("198.18.2.2", "198.18.3.2"),
                 ("198.18.2.2", "198.18.4.2"), ("198.18.3.2", "198.18.5.2"),
                 ("198.18.5.2", None), ("198.18.7.2", "198.18.9.2")},
       "links: far ends, across `*`, into silence; not across the clump")
    eq(t.gaps[("198.18.3.2", "198.18.5.2")], 1, "one silent hop between")
    eq(t.gaps[("198.18.2.2", "198.18.3.2")], None,
       "hops not shown for a node with several links")
    eq(t.clumps, [("198.18.4.2", [{"198.18.6.2", "*"}], "198.18.7.2")],
       "the clump")
    eq(t.perpacket, {"198.18.2.2"}, "per-packet vertices")
    eq("198.18.6.2" in t.addrs and "*" not in t.addrs, True,
       "clump members are addresses seen, `*` is not")
    eq(len(t.errors), 1, "linkc 2 with one link is an error")
    try:
        tracelb.read_tracelb("{not json\n")
        eq(False, True, "a line that is not JSON raises ValueError")
    except ValueError:
        pass
    if failures:
        print("tracelb_reader: %d check(s) failed" % failures)
        return 1
    print("tracelb_reader: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
