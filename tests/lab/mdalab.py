"""hoplite lab, multipath part: load-balanced topologies with ground truth,
a tracelb reader and a runner for `hoplite mda` / scamper `tracelb`.

Stdlib only; builds on lab.py (namespaces, links, shortest-path routes,
cleanup).  Balancers work as hardware routers do, not as Linux's own
multipath (which ignores ICMP): an nftables prerouting rule on the
upstream interfaces hashes the first four transport bytes (ICMP type, code
and checksum; UDP/TCP ports) -- and for IPv6 the flow label as well --
into a mark 1..K, `ip rule fwmark k lookup T_k`, and table T_k holds one
next hop per multipath route (branch k).  Each balancer has its own seed,
so nested balancers do not polarize.  `numgen random` in place of the hash
makes a per-packet balancer.

Ground truth: every topology is a forward DAG of routers; the IP links a
tracer should report are the pairs of consecutive *answering* addresses
along its paths (a silent router is skipped over; a black-holed destination
leaves dead ends).  build() also confirms the truth with many plain probes
(probe(): UDP flows by source port and ICMP flows by checksum, every TTL)
and raises LabError when the routers do not forward as designed.
"""

import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from tracelb import Tracelb, read_tracelb  # noqa: E402,F401

# scamper's tracelb method names; flowlabel is hoplite's own (IPv6 only).
METHODS = ("icmp-echo", "udp-dport", "udp-sport", "tcp-sport",
           "tcp-ack-sport", "flowlabel")

# What Debian's scamper (20211212) cannot do: TCP MDA over IPv6 (refused),
# udp-dport over IPv6 (replies never matched: 0 links, 5 s per probe,
# MDA.md 2.7), and the flow label method (not a scamper method).
SCAMPER_CANNOT = {("tcp-sport", 6), ("tcp-ack-sport", 6), ("udp-dport", 6),
                  ("flowlabel", 4), ("flowlabel", 6)}
HOPLITE_CANNOT = {("flowlabel", 4)}

# Fixed flow bases, one per method so that concurrent scamper tasks toward
# one destination never share a five-tuple.
SPORT_BASE = {"udp-sport": 40000, "tcp-sport": 44000,
              "tcp-ack-sport": 46000, "udp-dport": 50000}
DPORT_BASE = 33435

PROBE_SPORT = 30000     # the ground-truth prober's UDP flows
PROBE_ICMP_ID = 0x4d44


def supported(method, family, tracer=None):
    t = tracer or lab.tracer()
    cannot = SCAMPER_CANNOT if t == "scamper" else HOPLITE_CANNOT
    return (method, family) not in cannot


# --------------------------------------------------------------------------
# topologies

class Spec:
    """A forward DAG from r0 to dst.  edges: (u, v) toward the destination.
    balancers: {router: [branches in mark order]}.  onesrc: routers that
    answer from one address (their first inbound link's) whatever the
    inbound interface, so converging paths meet in one IP vertex.
    perpacket: balancers that pick a branch per packet.  silent: routers
    that never send time-exceeded.  blackhole: the destination drops
    everything."""

    def __init__(self, name, edges, balancers, onesrc=(), perpacket=(),
                 silent=(), blackhole=False, doc=""):
        self.name, self.edges, self.balancers = name, edges, balancers
        self.onesrc, self.perpacket = set(onesrc), set(perpacket)
        self.silent, self.blackhole, self.doc = set(silent), blackhole, doc


def _chain(*names):
    return list(zip(names, names[1:]))


def _diamond_edges():
    return (_chain("r0", "r1") + [("r1", "r2a"), ("r1", "r2b"),
                                  ("r2a", "r3"), ("r2b", "r3")] +
            _chain("r3", "dst"))


def spec_diamond():
    return Spec("diamond", _diamond_edges(), {"r1": ["r2a", "r2b"]},
                doc="src-r0-r1=>{r2a,r2b}=>r3-dst (balancer at TTL 2)")


def spec_fan4n():
    mids = ["ma", "mb", "mc", "md"]
    e = _chain("r0", "r1") + [("r1", m) for m in mids]
    e += [("ma", "x1"), ("ma", "x2"), ("mb", "y"), ("mc", "z"), ("md", "w")]
    e += [(n, "r3") for n in ("x1", "x2", "y", "z", "w")] + [("r3", "dst")]
    return Spec("fan4n", e, {"r1": mids, "ma": ["x1", "x2"]},
                doc="r1=>{ma,mb,mc,md}, ma=>{x1,x2}, mb-y, mc-z, md-w, "
                    "all=>r3 (20 links)")


def spec_nested24():
    e = _chain("r0", "r1") + [("r1", "a"), ("r1", "b"), ("a", "a1"),
                              ("a", "a2"), ("b", "b1"), ("b", "b2")]
    e += [(n, "r3") for n in ("a1", "a2", "b1", "b2")] + [("r3", "dst")]
    return Spec("nested24", e, {"r1": ["a", "b"], "a": ["a1", "a2"],
                                "b": ["b1", "b2"]},
                doc="r1=>{a,b}, a=>{a1,a2}, b=>{b1,b2}, all=>r3: width 2 "
                    "then 4, unmeshed")


def spec_meshed():
    up, down = ["a", "b", "c"], ["d", "e", "f"]
    e = _chain("r0", "r1") + [("r1", u) for u in up]
    e += [(u, d) for u in up for d in down]
    e += [(d, "r3") for d in down] + [("r3", "dst")]
    bal = {"r1": up}
    bal.update({u: down for u in up})
    return Spec("meshed", e, bal, onesrc=down,
                doc="r1=>{a,b,c}, each of a,b,c=>{d,e,f} (d,e,f answer "
                    "from one address), all=>r3: a 3x3 meshed stage")


def spec_perpacket(width=4):
    mids = ["r2" + "abcd"[i] for i in range(width)]
    e = _chain("r0", "r1") + [("r1", m) for m in mids]
    e += [(m, "r3") for m in mids] + [("r3", "dst")]
    return Spec("perpacket" if width == 4 else "perpacket%d" % width, e,
                {"r1": mids}, onesrc=["r3"], perpacket=["r1"],
                doc="r1 => {r2a..} per packet => r3 (one address).  The "
                    "tests use width 4, so that one flow re-sent 8 times "
                    "shows two addresses but for (1/4)^7")


def spec_perpacket2():
    """The 2-wide per-packet balancer (for detection rates, bench_mda)."""
    return spec_perpacket(2)


def spec_silent():
    return Spec("silent", _diamond_edges(), {"r1": ["r2a", "r2b"]},
                silent=["r2a"], doc="the diamond with r2a silent")


def spec_blackhole():
    return Spec("blackhole", _diamond_edges(), {"r1": ["r2a", "r2b"]},
                blackhole=True, doc="the diamond, destination black-holed")


SPECS = {f().name: f for f in (spec_diamond, spec_fan4n, spec_nested24,
                               spec_meshed, spec_perpacket, spec_perpacket2,
                               spec_silent, spec_blackhole)}


class MdaTopo:
    """A built topology: lab, spec, src/dst nodes and addresses, and the
    ground truth per family: links {(a, b)} (b None: a dead end after a),
    addresses a tracer may report, perpacket vertices."""

    def __init__(self, L, spec):
        self.lab, self.spec, self.name = L, spec, spec.name
        self.src, self.dst = L.nodes["src"], L.nodes["dst"]
        self.dst4 = self.dst.addr(4)
        self.dst6 = self.dst.addr(6)
        self.truth = {}

    def dst_of(self, family):
        return self.dst4 if family == 4 else self.dst6

    def vaddr(self, frm, node, family):
        """The address node answers from for a probe coming from frm."""
        if node in self.spec.onesrc:
            frm = self.spec_preds(node)[0]
        link = _link_between(self.lab.nodes[frm], self.lab.nodes[node])
        return link.addr_of(self.lab.nodes[node], family)

    def spec_preds(self, node):
        return [u for u, v in self.spec.edges if v == node]

    def name_of(self, addr):
        try:
            o = self.lab.owner(addr) if addr else None
        except ValueError:
            o = None
        return o.name if o else str(addr)

    def link_names(self, links):
        return sorted("%s>%s" % (self.name_of(a), self.name_of(b) if b
                                 else "*") for a, b in links)


def _link_between(a, b):
    for link in a.ifaces.values():
        if link.peer(a) is b:
            return link
    raise lab.LabError("no link %s-%s" % (a, b))


def _paths(spec):
    """Every forward path r0 .. dst (names)."""
    succ = {}
    for u, v in spec.edges:
        succ.setdefault(u, []).append(v)
    out, stack = [], [["r0"]]
    while stack:
        p = stack.pop()
        if p[-1] == "dst":
            out.append(p)
            continue
        if len(p) > 32:
            raise lab.LabError("spec %s has a loop" % spec.name)
        for v in succ.get(p[-1], []):
            stack.append(p + [v])
    return out


def expected_links(t, family):
    """Links between consecutive answering addresses along every path."""
    links = set()
    first = t.src.ifaces["tor0"].addr_of(t.lab.nodes["r0"], family)
    for p in _paths(t.spec):
        addrs = [first]
        for u, v in zip(p, p[1:]):
            if v in t.spec.silent or (v == "dst" and t.spec.blackhole):
                addrs.append(None)
            elif v == "dst":
                addrs.append(t.dst_of(family))
            else:
                addrs.append(t.vaddr(u, v, family))
        last = None
        for a in addrs:
            if a is None:
                continue
            if last is not None:
                links.add((last, a))
            last = a
        if addrs[-1] is None:
            links.add((last, None))
    return links


def _install_balancer(L, node, branches, seed, perpacket):
    """nft mark on the upstream interfaces, one fwmark rule and one
    single-next-hop table per branch."""
    bnodes = [L.nodes[b] for b in branches]
    up = sorted(ifn for ifn, link in node.ifaces.items()
                if link.peer(node) not in bnodes)
    k = len(branches)
    if perpacket:
        expr4 = expr6 = "numgen random mod %d offset 1" % k
    else:
        expr4 = "jhash @th,0,32 mod %d seed 0x%08x offset 1" % (k, seed)
        expr6 = "jhash ip6 flowlabel . @th,0,32 mod %d seed 0x%08x " \
                "offset 1" % (k, seed)
    ifs = ", ".join('"%s"' % i for i in up)
    L.nft(node, """
table inet hlmda {
  chain pre {
    type filter hook prerouting priority mangle; policy accept;
    iifname { %s } meta nfproto ipv4 meta mark set %s
    iifname { %s } meta nfproto ipv6 meta mark set %s
  }
}
""" % (ifs, expr4, ifs, expr6))
    lines = []
    for i, b in enumerate(bnodes, 1):
        table = 100 + i
        for fam in ("-4", "-6"):
            L.ip(node, fam, "rule", "add", "fwmark", str(i), "lookup",
                 str(table), "pref", str(table))
        for net, hops in node.routes:
            if len(hops) < 2:
                continue
            for via, dev, peer in hops:
                if peer is b:
                    lines.append("route add %s via %s dev %s table %d" % (
                        net, via, dev, table))
    L.ip_batch(node, lines)


def _install_onesrc(L, node, addr4, addr6):
    """node answers every probe from one address per family: errors take
    the source of the route back (prefsrc), not the inbound interface."""
    L.sysctl(node, ["net.ipv4.icmp_errors_use_inbound_ifaddr=0"])
    lines = []
    for net, hops in node.routes:
        src = addr4 if net.version == 4 else addr6
        if len(hops) == 1:
            lines.append("route replace %s via %s dev %s src %s" % (
                net, hops[0][0], hops[0][1], src))
        else:
            lines.append("route replace %s src %s" % (net, src) + "".join(
                " nexthop via %s dev %s" % (v, d) for v, d, _ in hops))
    L.ip_batch(node, lines)


SEED_BASE = 0x5eed0000


def build(L, spec, confirm=True, flows=64, lo_addrs=0, seed_base=SEED_BASE):
    """Build spec in Lab L; return an MdaTopo with truth filled in.
    lo_addrs: that many more destinations on dst's lo (t.lo4, t.lo6),
    behind the same balancers.  seed_base: the balancers' hash seeds are
    seed_base + 977 (i + 1) (another base, other draws for every flow)."""
    names = {"r0"}
    for u, v in spec.edges:
        names.update((u, v))
    names.discard("dst")
    src = L.host("src")
    routers = {n: L.router(n) for n in sorted(names)}
    dst = L.host("dst")
    L.link(src, routers["r0"])
    for u, v in spec.edges:
        if v == "dst":
            continue
        L.link(routers[u], routers[v])
    # dst hangs off the last router; its interface is named after it
    last = [u for u, v in spec.edges if v == "dst"]
    if len(last) != 1:
        raise lab.LabError("spec %s: one router must lead to dst" %
                           spec.name)
    link = L.link(routers[last[0]], dst)
    lo4, lo6 = L.add_lo_addrs(dst, lo_addrs) if lo_addrs else ([], [])
    L.finalize()
    t = MdaTopo(L, spec)
    t.dst4, t.dst6 = link.addr_of(dst, 4), link.addr_of(dst, 6)
    t.lo4, t.lo6 = lo4, lo6
    L.set_names(src, {"dst.lab": [t.dst4, t.dst6]})
    for i, (name, branches) in enumerate(sorted(spec.balancers.items())):
        node = routers[name]
        want = {routers[b] for b in branches}
        for d in (t.dst4, t.dst6):
            got = set(L.next_hops(node, d))
            if got != want:
                raise lab.LabError("%s: routes to %s go to %s, not %s" % (
                    name, d, sorted(map(str, got)), sorted(branches)))
        _install_balancer(L, node, branches, seed_base + 977 * (i + 1),
                          name in spec.perpacket)
    for name in sorted(spec.onesrc):
        node = routers[name]
        frm = routers[t.spec_preds(name)[0]]
        lk = _link_between(frm, node)
        _install_onesrc(L, node, lk.addr_of(node, 4), lk.addr_of(node, 6))
    for name in sorted(spec.silent):
        L.silence(routers[name])
    if spec.blackhole:
        L.blackhole(dst)
    for fam in (4, 6):
        t.truth[fam] = expected_links(t, fam)
    if confirm:
        for fam in (4, 6):
            confirm_truth(t, fam, flows)
    return t


# --------------------------------------------------------------------------
# ground truth confirmed by plain probes

def probe(t, family, kind, flows=64):
    """{ttl: {flow: (addr, icmp type)}} for `flows` plain Paris flows (udp:
    source port varies; icmp: echo checksum varies; flowlabel, IPv6: only
    the flow label varies) at every TTL up to the destination's distance
    + 1."""
    maxttl = len(_paths(t.spec)[0]) + 1
    argv = [sys.executable, os.path.abspath(__file__), "probe", str(family),
            kind, t.dst_of(family), str(maxttl), str(flows)]
    p = t.lab.run(t.src, argv, timeout=60, check=True)
    return {int(k): {int(f): tuple(r) for f, r in v.items()}
            for k, v in json.loads(p.stdout).items()}


def links_of_probes(res, dst):
    """Flow-consistent links from probe(): consecutive answering addresses
    of each flow; (a, None) when a flow answered nothing after a."""
    flows = set()
    for v in res.values():
        flows.update(v)
    links = set()
    for f in flows:
        last = None
        done = False
        for ttl in sorted(res):
            r = res[ttl].get(f)
            if r is None:
                continue
            if last is not None:
                links.add((last, r[0]))
            last = r[0]
            if r[0] == dst:
                done = True
                break
        if not done and last is not None:
            links.add((last, None))
    return links


def confirm_truth(t, family, flows=64):
    """Both kinds of flows must show exactly the designed links (on a
    per-packet lab a subset: a flow there sees what the dice say)."""
    want = t.truth[family]
    for kind in ("udp", "icmp") + (("flowlabel",) if family == 6 else ()):
        got = links_of_probes(probe(t, family, kind, flows),
                              t.dst_of(family))
        bad = got - want
        missing = want - got
        if bad or (missing and not t.spec.perpacket):
            raise lab.LabError(
                "%s v%d %s probes: links %s, designed %s" % (
                    t.name, family, kind, t.link_names(got),
                    t.link_names(want)))


# --------------------------------------------------------------------------
# running the tracer under test: `hoplite mda` or scamper `tracelb`

_HELP = {}


def hoplite_help():
    """`$HOPLITE mda --help` output, or None when mda is not there."""
    h = os.environ.get("HOPLITE")
    if h not in _HELP:
        try:
            p = lab._run([h, "mda", "--help"], timeout=10, check=False)
            _HELP[h] = (p.stdout + p.stderr) if p.returncode == 0 else None
        except (OSError, lab.LabError):
            _HELP[h] = None
    return _HELP[h]


def require_tracer():
    """Skip (77) unless the tracer under test can do MDA."""
    lab.require_hoplite()
    if lab.tracer() == "scamper":
        return
    if hoplite_help() is None:
        lab.skip("`%s mda --help` fails: this hoplite has no mda command "
                 "yet (validate the lab with LAB_TRACER=scamper)" %
                 os.environ["HOPLITE"])


class MdaRun:
    def __init__(self, argv, rc, out, err, wall):
        self.argv, self.rc, self.out, self.err, self.wall = \
            argv, rc, out, err, wall
        self.parse_error = None
        try:
            self.traces = read_tracelb(out)
        except ValueError as e:
            self.traces, self.parse_error = [], str(e)

    def describe(self):
        return "%s -> rc %s, stderr: %s" % (" ".join(self.argv), self.rc,
                                            self.err.strip()[-600:])


def hoplite_mda_argv(method, dests, confidence=95, attempts=None,
                     wait_ms=None, full=False, probe_gap=None, gaplimit=None,
                     family=None, extra=()):
    argv = [os.environ["HOPLITE"], "mda", "-P", method, "-C",
            str(confidence)]
    if attempts is not None:
        argv += ["-q", str(attempts)]
    if full:
        argv.append("--full")
    if probe_gap is not None:
        argv += ["--probe-gap", str(probe_gap)]
    if wait_ms is not None:
        argv += ["-w", "%g" % (wait_ms / 1000.0)]
    if gaplimit is not None:
        argv += ["--gap-limit", str(gaplimit)]
    if family:
        argv.append("-%d" % family)
    # fixed flow bases when this hoplite takes them (deterministic flows)
    helptext = hoplite_help() or ""
    if method in SPORT_BASE and "--sport" in helptext:
        argv += ["--sport", str(SPORT_BASE[method])]
    if method == "udp-dport" and "--port" in helptext:
        argv += ["--port", str(DPORT_BASE)]
    return argv + list(extra) + ["-o", "json"] + list(dests)


def scamper_tracelb_cmd(method, dst, confidence=95, attempts=None,
                        wait_ms=None, wait_probe_cs=15, gaplimit=None):
    cmd = "tracelb -P %s -c %d" % (method, confidence)
    if attempts is not None:
        cmd += " -q %d" % attempts
    if wait_ms is not None:
        cmd += " -w %d" % max(1, min(10, (int(wait_ms) + 999) // 1000))
    if wait_probe_cs is not None:
        cmd += " -W %d" % wait_probe_cs
    if gaplimit is not None:
        cmd += " -g %d" % gaplimit
    if method in SPORT_BASE:
        cmd += " -s %d" % SPORT_BASE[method]
    if method == "udp-dport":
        cmd += " -d %d" % DPORT_BASE
    return cmd + " " + dst


def _timed(L, node, argv, timeout):
    t0 = time.monotonic()
    p = L.run(node, argv, timeout=timeout)
    return MdaRun(argv, p.returncode, p.stdout, p.stderr,
                  time.monotonic() - t0)


def run_jobs(L, node, jobs, timeout=300, **kw):
    """Trace every (method, dst) of jobs from node with the tracer under
    test.  hoplite: one `hoplite mda` per method with its destinations;
    scamper: one process running every tracelb at once (its pacing is per
    task).  Returns ({(method, dst): [Tracelb]}, [MdaRun]).
    kw: confidence attempts wait_ms gaplimit (both tools), full probe_gap
    (hoplite only)."""
    for _, d in jobs:
        if not lab.in_lab(d):
            raise lab.LabError("refusing to trace a non-lab address " + d)
    by = {}
    for m, d in jobs:
        by.setdefault(m, []).append(d)
    runs = []
    if lab.tracer() == "scamper":
        # scamper holds back tasks toward a destination it is already
        # probing, so one process per protocol, running at once.  Not one
        # per method: two scampers doing TCP MDA toward one destination
        # take each other's replies (seen: a clump over the whole path).
        skw = {k: v for k, v in kw.items()
               if k in ("confidence", "attempts", "wait_ms", "gaplimit")}
        procs, groups = [], {}
        for m, dests in by.items():
            groups.setdefault(m.split("-")[0], []).extend(
                (m, d) for d in dests)
        for group in groups.values():
            argv = ["scamper", "-O", "json", "-p", "1000"]
            for m, d in group:
                argv += ["-I", scamper_tracelb_cmd(m, d, **skw)]
            procs.append((argv, L.popen(node, argv), time.monotonic()))
        for argv, p, t0 in procs:
            try:
                out, err = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                err += "\n(killed after %d s)" % timeout
            r = MdaRun(argv, p.returncode, out, err, time.monotonic() - t0)
            if r.rc < 0:
                # scamper 20211212 sometimes dies of SIGSEGV with several
                # tracelb tasks on the per-packet lab: a defect of the
                # reference peer, not of the lab; run it again, once
                crashed = r.rc
                r = _timed(L, node, argv, timeout)
                r.err += "\n(first run died of signal %d)" % -crashed
            runs.append(r)
    else:
        for m, dests in by.items():
            runs.append(_timed(L, node, hoplite_mda_argv(m, dests, **kw),
                               timeout))
    out = {}
    for r in runs:
        for tr in r.traces:
            out.setdefault((tr.method, tr.dst), []).append(tr)
    return out, runs


# --------------------------------------------------------------------------
# assertions

def truth_for(t, family, dst):
    """The true links toward another address of the destination host (one
    of t.lo4/t.lo6): the same paths, a different last address."""
    d = t.dst_of(family)
    return {(a, dst if b == d else b) for a, b in t.truth[family]}


def perpacket_truth(t, family):
    """The vertices after which balancing is per packet: the per-packet
    balancers' own addresses."""
    return {t.vaddr(t.spec_preds(n)[0], n, family) for n in t.spec.perpacket}


def stop_truth(t):
    return "GAPLIMIT" if t.spec.blackhole else "COMPLETED"


def must_find(t, family):
    """Links the tracer must find.  hoplite: all of them (on the per-packet
    lab those up to the balancer: beyond it no flow is stable).  scamper:
    the link into the first balancer (what else it finds is recorded)."""
    T = t.truth[family]
    if lab.tracer() != "scamper" and not t.spec.perpacket:
        return set(T)
    first = t.src.ifaces["tor0"].addr_of(t.lab.nodes["r0"], family)
    return {(first, t.vaddr("r0", "r1", family))} & T


def check_trace(ck, t, tr, method, family, label):
    """One tracelb object against the topology's ground truth.  Returns
    whether its per-packet vertices are exactly the true ones: on a
    per-packet lab that is judged over several runs (check_topology)."""
    T = t.truth[family]
    ck.eq(tr.errors, [], label + ": nodes and links well formed")
    ck.eq(tr.method, method, label + ": method")
    ck.ok(isinstance(tr.probec, int) and tr.probec > 0,
          label + ": probec", repr(tr.probec))
    false = tr.links - T
    ck.ok(not false, label + ": no false link",
          "false %s (%s)" % (t.link_names(false), sorted(map(str, false))))
    addrs = {a for ln in T for a in ln if a}
    stray = tr.addrs - addrs
    ck.ok(not stray, label + ": every address is on a true path",
          "stray %s" % sorted(stray))
    missing = must_find(t, family) - tr.links
    ck.ok(not missing, label + ": every link it must find is found (%d)" %
          len(must_find(t, family)),
          "missing %s" % t.link_names(missing))
    ck.note("%s: probec %s, links %d/%d%s%s" % (
        label, tr.probec, len(tr.links & T), len(T),
        ", missed " + ", ".join(t.link_names(T - tr.links))
        if T - tr.links else "",
        ", clumps %s" % [(t.name_of(a), [sorted(t.name_of(x) for x in h)
                                         for h in hs], t.name_of(b))
                         for a, hs, b in tr.clumps] if tr.clumps else ""))
    # A clump is a hop left unresolved; only per-packet balancing excuses
    # it (and, for scamper, a silent router: it cannot resolve that hop).
    if not t.spec.perpacket and not (lab.tracer() == "scamper" and
                                     t.spec.silent):
        ck.eq(tr.clumps, [], label + ": no clump (every hop resolved)")
    if lab.tracer() == "scamper":
        return True
    ck.eq(tr.stop_reason, stop_truth(t), label + ": stop_reason")
    truth = perpacket_truth(t, family)
    if not t.spec.perpacket:
        ck.eq(tr.perpacket, truth, label + ": per-packet vertices")
        return tr.perpacket == truth
    # The per-packet test errs by design: it re-sends one flow r times,
    # (1/k)^r <= 3/4 (1 - C) for k next hops, and r re-sends that all
    # meet one branch leave the vertex unflagged (at C = 99 and k = 4:
    # 4 re-sends, a miss in 1 trace of 256).  A miss is judged over the
    # runs; a flag on a per-flow vertex is wrong in any run.
    ck.ok(tr.perpacket <= truth, label + ": no per-flow vertex flagged "
          "per-packet", "flagged %r, true %r" % (tr.perpacket, truth))
    if tr.perpacket != truth:
        ck.note("%s: per-packet vertex not flagged in this run" % label)
    return tr.perpacket == truth


def check_topology(ck, name, methods=METHODS, confidence=99, attempts=2,
                   wait_ms=1000, runs=1, extra_checks=None):
    """Build the named topology, confirm its truth with plain probes, trace
    it with every method it balances (both families) and check each
    trace.  runs > 1 repeats the traces.  extra_checks(ck, t, tr, method,
    family, label) adds a test's own assertions."""
    with lab.Lab(name[:4]) as L:
        try:
            t = build(L, SPECS[name]())
        except lab.LabError as e:
            ck.ok(False, "%s: lab built as designed" % name, str(e))
            return
        for fam in (4, 6):
            ck.ok(True, "%s v%d: %d true links confirmed by plain probes" % (
                name, fam, len(t.truth[fam])))
        jobs = [(m, t.dst_of(f)) for m in methods for f in (4, 6)
                if supported(m, f)]
        flagged = {}
        for i in range(runs):
            res, rs = run_jobs(L, t.src, jobs, confidence=confidence,
                               attempts=attempts, wait_ms=wait_ms)
            for r in rs:
                ck.eq(r.rc, 0, "%s: exit code of %s" % (name, r.describe()))
                ck.ok(r.parse_error is None, "%s: JSON lines" % name,
                      str(r.parse_error))
                ck.note("%s: %.1f s: %s%s" % (
                    name, r.wall, " ".join(r.argv[1:])[:160],
                    " (again: first run died of a signal)"
                    if "died of signal" in r.err else ""))
            for m, d in jobs:
                fam = lab.family_of(d)
                label = "%s %s v%d" % (name, m, fam)
                trs = res.get((m, d), [])
                if not ck.eq(len(trs), 1, label + ": one tracelb object"):
                    continue
                ok = check_trace(ck, t, trs[0], m, fam, label)
                flagged[label] = flagged.get(label, False) or ok
                if extra_checks:
                    extra_checks(ck, t, trs[0], m, fam, label)
        if t.spec.perpacket and lab.tracer() != "scamper":
            for label, ok in sorted(flagged.items()):
                ck.ok(ok, "%s: per-packet vertices exactly the true ones "
                      "in at least one of %d runs" % (label, runs))


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


def _flowlabel_echo(src, dst, ttl, f):
    """An ICMPv6 echo whose only varying hashed field is the flow label:
    the sequence number tells flows apart and a payload word keeps the
    checksum constant."""
    seq = f + 1
    body = struct.pack("!BBHHHH", 128, 0, 0, PROBE_ICMP_ID, seq,
                       0xffff - seq) + b"hoplite-mda!"
    ph = socket.inet_pton(socket.AF_INET6, src) + \
        socket.inet_pton(socket.AF_INET6, dst) + \
        struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", _csum(ph + body)) + body[4:]
    hdr = struct.pack("!IHBB", (6 << 28) | (f + 1), len(body), 58, ttl) + \
        socket.inet_pton(socket.AF_INET6, src) + \
        socket.inet_pton(socket.AF_INET6, dst)
    return hdr + body


def _probe_main(argv):
    """probe FAMILY udp|icmp DST MAXTTL FLOWS: every flow at every TTL, one
    TTL at a time (all flows at once, replies for up to 0.3 s)."""
    fam, kind, dst, maxttl, nflows = (int(argv[0]), argv[1], argv[2],
                                      int(argv[3]), int(argv[4]))
    if not lab.in_lab(dst) or nflows > 512 or maxttl > 32:
        raise SystemExit("bad probe request")
    v6 = fam == 6
    af = socket.AF_INET6 if v6 else socket.AF_INET
    iproto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    lvl, opt = ((socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) if v6 else
                (socket.IPPROTO_IP, socket.IP_TTL))
    rx = socket.socket(af, socket.SOCK_RAW, iproto)
    socks = []
    if kind == "udp":
        for f in range(nflows):
            s = socket.socket(af, socket.SOCK_DGRAM)
            lab._no_sender_hash(s, v6)
            s.bind(("", PROBE_SPORT + f))
            socks.append(s)
    elif kind == "flowlabel":
        # the IPv6 header is ours (IPPROTO_RAW): a flow label per flow
        s = socket.socket(af, socket.SOCK_RAW, socket.IPPROTO_RAW)
        u = socket.socket(af, socket.SOCK_DGRAM)
        u.connect((dst, 9))
        srcaddr = u.getsockname()[0]
        u.close()
        socks = [s] * nflows
    else:
        s = socket.socket(af, socket.SOCK_RAW, iproto)
        lab._no_sender_hash(s, v6)
        socks = [s] * nflows
    out = {}
    for ttl in range(1, maxttl + 1):
        got = {}
        for f in range(nflows):
            s = socks[f]
            if kind == "flowlabel":
                s.sendto(_flowlabel_echo(srcaddr, dst, ttl, f), (dst, 0))
                continue
            s.setsockopt(lvl, opt, ttl)
            if kind == "udp":
                s.sendto(b"hoplite-mda", (dst, DPORT_BASE))
            else:
                pkt = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0,
                                  PROBE_ICMP_ID, f + 1) + b"hoplite-mda!"
                if not v6:
                    pkt = pkt[:2] + struct.pack("!H", _csum(pkt)) + pkt[4:]
                s.sendto(pkt, (dst, 0))
        deadline = time.monotonic() + 0.3
        while len(got) < nflows:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([rx], [], [], left)
            if not r:
                break
            pkt, addr = rx.recvfrom(2048)
            icmp = pkt if v6 else pkt[(pkt[0] & 15) * 4:]
            if len(icmp) < 8:
                continue
            ty = icmp[0]
            if ty == (129 if v6 else 0):
                ident, seq = struct.unpack("!HH", icmp[4:8])
                if kind != "udp" and ident == PROBE_ICMP_ID and \
                        1 <= seq <= nflows:
                    got[seq - 1] = (addr[0], ty)
                continue
            if ty not in ((1, 3) if v6 else (3, 11)):
                continue
            q = icmp[8:]
            if v6:
                if len(q) < 48:
                    continue
                proto, l4 = q[6], q[40:]
            else:
                if len(q) < 28:
                    continue
                proto, l4 = q[9], q[(q[0] & 15) * 4:]
            if kind == "flowlabel" and proto == iproto:
                ident, seq = struct.unpack("!HH", l4[4:8])
                f = seq - 1 if ident == PROBE_ICMP_ID else -1
            elif kind == "udp" and proto == 17:
                f = struct.unpack("!H", l4[:2])[0] - PROBE_SPORT
            elif kind == "icmp" and proto == iproto:
                ident, seq = struct.unpack("!HH", l4[4:8])
                f = seq - 1 if ident == PROBE_ICMP_ID else -1
            else:
                continue
            if 0 <= f < nflows:
                got[f] = (addr[0], ty)
        out[ttl] = got
        if got and all(a == dst or ty not in ((1, 3) if v6 else (3, 11))
                       for a, ty in got.values()) and len(got) == nflows:
            break
    print(json.dumps(out))


if __name__ == "__main__" and sys.argv[1:2] == ["probe"]:
    _probe_main(sys.argv[2:])
