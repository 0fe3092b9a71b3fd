"""tracelb: read scamper's `tracelb` JSON (and hoplite's, which adds keys)
in ground-truth terms.  Stdlib only; used by the MDA lab tests and
benchmarks (mdalab.py, tests/bench/bench_mda.py).

Format (scamper_tracelb_json.c, MDA.md 2.5): nodes[] of {addr, [q_ttl],
linkc, links}; a node with linkc > 1 has ONE inner array with one element
{addr: the far end, probes: the first hop's probes} per link; a node with
one link has an inner array per hop of that link: for each hop between, a
summary of the addresses seen (`{"addr":"*"}` alone when nothing
answered), then the far end (`[{"addr":"*"}]` when the link ends in
silence).  hoplite adds `stop_reason`, `stop_rule` and, per node,
`perpacket: true`.
"""

import json


class Tracelb:
    """What one tracelb object says, in ground-truth terms.

    links:   {(a, b)} flow-consistent IP links: a node and the far end of
             one of its links, across hops that only show `*` (b None: the
             link ends in `*`).
    gaps:    {(a, b): silent hops between} where the JSON shows them.
    clumps:  [(a, [set of addresses per intermediate hop], b)]: links that
             cross a hop where several addresses (or an address and `*`)
             answered -- scamper's way of giving up on a hop.  Not links.
    nodes:   {addr: node dict}; perpacket: {addr} with `perpacket: true`.
    addrs:   every address anywhere (nodes, link ends, clump members).
    probec, stop_reason (None for scamper), method, dst, errors."""

    def __init__(self, obj):
        self.obj = obj
        self.method = obj.get("method")
        self.dst = obj.get("dst")
        self.probec = obj.get("probec")
        self.stop_reason = obj.get("stop_reason")
        self.links, self.gaps, self.clumps = set(), {}, []
        self.nodes, self.perpacket, self.addrs = {}, set(), set()
        self.errors = []
        nodes = obj.get("nodes", [])
        if not isinstance(nodes, list):
            self.errors.append("nodes is not a list")
            nodes = []
        for n in nodes:
            self._node(n)

    def _node(self, n):
        if not isinstance(n, dict) or not isinstance(n.get("links"), list):
            self.errors.append("bad node %r" % (n,))
            return
        a = n.get("addr")
        if a != "*":
            self.nodes[a] = n
            self.addrs.add(a)
        if n.get("perpacket") is True:
            self.perpacket.add(a)
        links, linkc = n["links"], n.get("linkc")
        if not isinstance(linkc, int) or linkc < 1 or (
                linkc > 1 and (len(links) != 1 or len(links[0]) != linkc)) \
                or (linkc == 1 and not links):
            self.errors.append("node %s: linkc %r does not match links" %
                               (a, linkc))
        if isinstance(linkc, int) and linkc > 1:
            # one inner array: the far end of each link, first hop's probes
            for e in links[0] if links else []:
                self._link(a, None, e.get("addr"))
            return
        if not links:
            return
        # one link: an inner array per hop, the far end last
        hops = []
        for hop in links[:-1]:
            hops.append({e.get("addr") for e in hop})
        far = [e.get("addr") for e in links[-1]]
        if len(far) != 1:
            self.errors.append("node %s: last hop has %d entries" %
                               (a, len(far)))
        self._link(a, hops, far[0] if far else "*")

    def _link(self, a, hops, b):
        """hops: the address sets of the hops between, None when the JSON
        does not show them (a node with several links)."""
        b = None if b in ("*", None) else b
        gap = None if hops is None else len(hops)
        hops = hops or []
        for h in hops:
            self.addrs.update(x for x in h if x != "*")
        if b is not None:
            self.addrs.add(b)
        if a == "*":
            return  # a link from an unknown vertex claims no IP link
        if any(h - {"*"} for h in hops):
            self.clumps.append((a, hops, b))
            return
        self.links.add((a, b))
        self.gaps[(a, b)] = gap


def read_tracelb(text):
    """[Tracelb] for every tracelb object among the JSON lines of text."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except ValueError as e:
            raise ValueError("line %d is not JSON (%s): %r" % (
                i, e, line[:200]))
        if isinstance(o, dict) and o.get("type") == "tracelb":
            out.append(Tracelb(o))
    return out
