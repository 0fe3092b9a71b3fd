#!/usr/bin/env python3
"""test_ecmp: Paris traces under per-flow ECMP (diamond and 4-wide fan-out,
IPv4 and IPv6, Linux routers with fib_multipath_hash_policy=1).

For every trace: exactly one address per TTL, consecutive hops on routers
that share a link, the destination reached at the right distance.  With
-F 0-31 the flows spread over the parallel routers (>= 2 of the diamond's,
>= 3 of the fan-out's) for the methods the kernel hashes, and the same flow
traced twice takes the same path.

For udp-paris and tcp-paris each flow's branch must also be the one the
kernel picks for that flow's ports: a plain socket probe with the trace's
sport/dport must reach the same router at TTL 2.

What the kernel hashes (measured, Linux 6.18, policy 1 = L4 five-tuple):
UDP and TCP are spread by port; ICMP echo is NOT spread, neither by echo
id nor by sequence/checksum, in IPv4 or IPv6 -- the hash sees only the
addresses and the protocol (the flow dissector finds no ports in ICMP).  So
for icmp-paris every flow id must follow the one branch the kernel picks
for ICMP between these two hosts.  The test does not trust this note: it
measures it first with plain socket probes (lab.probe_flows) and asserts
spreading only where the probes saw it.  (Lab artefact, handled in lab.py:
veth carries the sender's skb flow hash into the router's namespace and the
router's multipath hash reuses it, so hosts run without automatic IPv6 flow
labels and the probes never use connected sockets.)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

FLOWS = 32
WAIT = 1000
METHODS = ("udp-paris", "tcp-paris", "icmp-paris")
PROBE_KIND = {"udp-paris": ["udp"], "tcp-paris": ["tcp"],
              "icmp-paris": ["icmp-id", "icmp-sum"]}


def path_owners(L, tr):
    return tuple(L.owner(a).name if L.owner(a) else a
                 for _, a in lab.path_of(tr))


def kernel_spread(ck, L, t, fam, dst):
    """Which branch each kind of plain probe reaches at TTL 2, per flow."""
    out = {}
    for kind in ("udp", "tcp", "icmp-id", "icmp-sum"):
        got = lab.probe_flows(L, t.src, fam, kind, dst, 2, FLOWS)
        owners = {L.owner(a) for a in got.values()}
        ck.ok(len(got) == FLOWS and owners <= set(t.branches),
              "%s v%d: plain %s probes answered by the parallel routers"
              % (t.kind, fam, kind), "got %r" % got)
        out[kind] = owners
        ck.note("%s v%d: kernel spreads %-8s over %d of %d branches" % (
            t.kind, fam, kind, len(owners), len(t.branches)))
    return out


def kernel_agrees(ck, L, t, fam, dst, method, traces, label):
    """Each flow's TTL-2 router is the one the kernel routes that very
    five-tuple to: a plain probe with the trace's sport/dport must reach
    the same parallel router."""
    flows = []
    for tr in traces:
        p = dict(lab.path_of(tr))
        if 2 in p and isinstance(tr.get("sport"), int):
            flows.append(((tr["sport"], tr["dport"]), L.owner(p[2])))
    if not ck.ok(flows, label + ": flows with a TTL-2 hop to compare"):
        return
    got = lab.probe_flows(L, t.src, fam, "udp" if method == "udp-paris"
                          else "tcp", dst, 2, ports=[f[0] for f in flows])
    bad = ["%d:%d trace %s, kernel %s" % (f[0][0], f[0][1], f[1],
                                          L.owner(got[i]) if i in got else "-")
           for i, f in enumerate(flows) if i not in got or
           L.owner(got[i]) is not f[1]]
    ck.ok(not bad, label + ": every flow's branch is the kernel's for its "
          "ports (%d flows)" % len(flows), "; ".join(bad[:5]))


def run_topology(ck, build, want_branches, tag):
    with lab.Lab(tag) as L:
        t = build(L)
        fams = ((4, t.dst4), (6, t.dst6))
        spread = {fam: kernel_spread(ck, L, t, fam, d) for fam, d in fams}
        for m in METHODS:
            dests = [d for f, d in fams if lab.supported(m, f)]
            runs = []
            for n in (1, 2):
                r = lab.trace(L, t.src, dests, method=m, wait_ms=WAIT,
                              flowid="0-%d" % (FLOWS - 1))
                label = "%s %s run %d" % (t.kind, m, n)
                runs.append(lab.check_run(ck, r, dests, label,
                                          per_dest=FLOWS))
                for d in dests:
                    for tr in runs[-1].get(d, []):
                        lbl = "%s %s %s flow %s" % (t.kind, m, d,
                                                    tr.get("flowid"))
                        lab.check_trace(ck, L, tr, t.src, d, m,
                                        lab.family_of(d), run=r, label=lbl)
                        lab.check_single_path(ck, L, tr, lbl)
            for d in dests:
                fam = lab.family_of(d)
                label = "%s %s %s" % (t.kind, m, d)
                paths = [{}, {}]
                for i in (0, 1):
                    for tr in runs[i].get(d, []):
                        paths[i][tr.get("flowid")] = path_owners(L, tr)
                ck.eq(sorted(paths[0], key=lambda f: (str(type(f)), f)),
                      list(range(FLOWS)),
                      label + ": one trace per flow id 0..%d" % (FLOWS - 1))
                same = [f for f in paths[0] if paths[1].get(f) == paths[0][f]]
                ck.ok(len(same) == len(paths[0]) == FLOWS,
                      label + ": each flow id takes the same path twice",
                      "differ: %s" % {f: (paths[0][f], paths[1].get(f))
                                      for f in paths[0] if f not in same})
                mids = {p[1] for p in paths[0].values() if len(p) > 1}
                kernel = set()
                for kind in PROBE_KIND[m]:
                    kernel |= spread[fam][kind]
                ck.note("%s: middle routers %s" % (label, sorted(mids)))
                if m in ("udp-paris", "tcp-paris"):
                    kernel_agrees(ck, L, t, fam, d, m, runs[0].get(d, []),
                                  label)
                if len(kernel) > 1:
                    ck.ok(len(mids) >= want_branches,
                          label + ": flows cover >= %d branches" % want_branches,
                          "saw %s" % sorted(mids))
                else:
                    # The kernel sends every such probe down one branch:
                    # every flow must be seen there.
                    ck.eq(mids, {n.name for n in kernel},
                          label + ": every flow on the kernel's one branch")


def main():
    lab.require_lab()
    lab.require_hoplite()
    ck = lab.Check("test_ecmp")
    run_topology(ck, lab.build_diamond, 2, "e")
    run_topology(ck, lambda L: lab.build_fan(L, 4), 3, "f")
    ck.done()


if __name__ == "__main__":
    main()
