"""hoplite lab: network-namespace topologies with real Linux routers.

Stdlib only.  A Lab builds namespaces (hosts and routers) joined by veth
pairs, numbers every link from the documentation/benchmark ranges
(198.18.0.0/15 and 2001:db8::/32), computes shortest-path routes itself
(equal-cost next hops become ECMP multipath routes, both directions) and
remembers all of it, so a test can ask for the ground truth: who owns an
address, which routers are adjacent, which routers a packet toward D can meet
at TTL k.  Every namespace carries a per-process prefix and is deleted on
every exit path (finally, atexit, SIGTERM/SIGINT/SIGHUP).

Nothing here sends a packet anywhere but to addresses the lab itself assigned
inside its own namespaces; the namespaces have no default route and no link
to the host.

Tests drive the tracer through trace(): by default the hoplite binary named
by $HOPLITE; with LAB_TRACER=scamper the same request is translated for
Debian's scamper (a reference peer), which is how the assertions and the
topologies are validated against a known-good tool.
"""

import atexit
import ipaddress
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

# What runs a tracer and checks its output lives in labtrace.py; lab.X
# names them all, as before.
from labtrace import (  # noqa: F401
    SKIP, FAIL, PASS, LAB_NETS, JSON_METHOD, METHODS, log, LabError, in_lab,
    tracer, parse_json_lines, traces_of, Run, hoplite_args, SCAMPER_SPORT,
    SCAMPER_ICMP_SUM, scamper_argv, scamper_flowid, trace, Check,
    reply_kind_ok, hops_by_ttl, path_of, check_dropped, check_trace, check_run,
    family_of, check_single_path)

ROUTER_SYSCTLS = [
    "net.ipv4.ip_forward=1",
    "net.ipv6.conf.all.forwarding=1",
    "net.ipv4.fib_multipath_hash_policy=1",
    "net.ipv6.fib_multipath_hash_policy=1",
    # Like most real routers: time-exceeded comes from the inbound interface.
    "net.ipv4.icmp_errors_use_inbound_ifaddr=1",
]
COMMON_SYSCTLS = [
    "net.ipv6.conf.all.accept_dad=0",
    "net.ipv6.conf.default.accept_dad=0",
    "net.ipv6.conf.all.accept_ra=0",
    "net.ipv6.conf.default.accept_ra=0",
    "net.ipv6.conf.default.router_solicitations=0",
    "net.ipv4.conf.all.rp_filter=0",
    "net.ipv4.conf.default.rp_filter=0",
    # No ICMP rate limiting: per-destination and the per-netns global bucket
    # (test_many sends thousands of probes a second through one router).
    # The sending kernel stores the automatic flow label's hash in the skb,
    # veth carries it to the next namespace and the router's multipath hash
    # reuses it (skb->l4_hash) instead of hashing the packet: a lab-only
    # artefact.  Without automatic labels the routers hash what they see.
    "net.ipv6.auto_flowlabels=0",
    "net.ipv4.icmp_ratelimit=0",
    "net.ipv6.icmp.ratelimit=0",
    "net.ipv4.icmp_msgs_per_sec=1000000",
    "net.ipv4.icmp_msgs_burst=1000000",
]
# Reproducible ECMP choices between runs (only where the kernel has it).
OPTIONAL_SYSCTLS = [
    "net.ipv4.fib_multipath_hash_seed=24601",
    "net.ipv6.fib_multipath_hash_seed=24601",
]

_LABS = []
_CHILDREN = []


def skip(msg):
    log("SKIP: " + msg)
    sys.exit(SKIP)


def _run(argv, timeout=20, check=True, input=None):
    """Run argv (no shell) with a timeout; return CompletedProcess."""
    try:
        p = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError("timed out after %ss: %s" % (timeout, " ".join(argv)))
    if check and p.returncode != 0:
        raise LabError("failed (%d): %s\n%s" % (p.returncode, " ".join(argv),
                                                p.stderr.strip()))
    return p


def require_lab():
    """Skip (77) unless we are root and `ip netns` works here."""
    if os.geteuid() != 0:
        skip("lab tests need root (network namespaces)")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            skip("%s not found" % tool)
    name = "hl%dprobe" % os.getpid()
    try:
        p = subprocess.run(["ip", "netns", "add", name], capture_output=True,
                           text=True, timeout=10)
        if p.returncode != 0:
            skip("ip netns unusable: " + p.stderr.strip())
        subprocess.run(["ip", "netns", "del", name], capture_output=True,
                       timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        skip("ip netns unusable: %s" % e)


def require_hoplite():
    """Skip unless the tracer under test is available."""
    if tracer() == "scamper":
        if shutil.which("scamper") is None:
            skip("LAB_TRACER=scamper but scamper is not installed")
        return
    h = os.environ.get("HOPLITE")
    if not h:
        skip("HOPLITE is not set (path to the hoplite binary)")
    if not (os.path.isfile(h) and os.access(h, os.X_OK)):
        skip("HOPLITE=%s is not an executable file" % h)
    # `ip netns exec` and setpriv keep the cwd, but be independent of it.
    os.environ["HOPLITE"] = os.path.abspath(h)


# What the reference peer cannot do: scamper 20211212 sends udp-paris over
# IPv6 fine but never matches the time-exceeded replies (GAPLIMIT, no hops).
SCAMPER_CANNOT = {("udp-paris", 6)}


def supported(method, family):
    return not (tracer() == "scamper" and (method, family) in SCAMPER_CANNOT)


def hoplite_only(what):
    """Skip a test that exercises hoplite's own interface under scamper."""
    if tracer() == "scamper":
        skip("%s is hoplite-specific; nothing to validate with scamper" % what)


# --------------------------------------------------------------------------
# cleanup on every exit path

def _cleanup_all():
    for p in list(_CHILDREN):
        try:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        except Exception:
            pass
    _CHILDREN.clear()
    for lab in list(_LABS):
        lab.destroy()


def _on_signal(signum, frame):
    # Raising runs the finally blocks; atexit runs the rest.
    _cleanup_all()
    sys.exit(128 + signum)


_installed = False


def _install_handlers():
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(_cleanup_all)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)


# --------------------------------------------------------------------------
# topology model

class Node:
    def __init__(self, lab, name, router):
        self.lab = lab
        self.name = name
        self.ns = lab.prefix + name
        self.router = router
        self.ifaces = {}     # ifname -> Link
        self.addrs = set()   # every address this node owns (link + lo)
        self.routes = []     # (network, [(via, dev, Node)])
        self.lo_nets = []    # networks routed toward this node

    def __repr__(self):
        return self.name

    def addr(self, family=4):
        """This node's first link address of a family (for ping, -S...)."""
        for ifname in sorted(self.ifaces):
            link = self.ifaces[ifname]
            return link.addr_of(self, family)
        raise LabError("%s has no links" % self.name)


class Link:
    def __init__(self, index, a, b, ifa, ifb):
        self.index = index
        self.a, self.b = a, b
        self.ifa, self.ifb = ifa, ifb
        self.net4 = ipaddress.ip_network("198.18.%d.0/24" % index)
        self.net6 = ipaddress.ip_network("2001:db8:0:%x::/64" % index)
        self.a4 = str(self.net4.network_address + 1)
        self.b4 = str(self.net4.network_address + 2)
        self.a6 = str(self.net6.network_address + 1)
        self.b6 = str(self.net6.network_address + 2)

    def addr_of(self, node, family=4):
        if node is self.a:
            return self.a4 if family == 4 else self.a6
        if node is self.b:
            return self.b4 if family == 4 else self.b6
        raise LabError("%s is not on link %d" % (node, self.index))

    def peer(self, node):
        return self.b if node is self.a else self.a

    def ifname(self, node):
        return self.ifa if node is self.a else self.ifb


class Lab:
    """A set of namespaces; always use as `with Lab("tag") as lab:`."""

    def __init__(self, tag):
        _install_handlers()
        self.prefix = "hl%d%s" % (os.getpid(), tag)
        self.nodes = {}
        self.links = []
        self.extra = []       # (network, owner Node, set of nodes w/o route)
        self.etc_dirs = []
        self.created = []     # namespaces actually created
        self.finalized = False
        self._lo_count = 0
        self._hops = {}
        _LABS.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()
        return False

    # ---- building ------------------------------------------------------

    def ip(self, node, *args, timeout=20, check=True):
        return _run(["ip", "-n", node.ns] + list(args), timeout=timeout,
                    check=check)

    def ip_batch(self, node, lines, timeout=30):
        if lines:
            _run(["ip", "-n", node.ns, "-batch", "-"], timeout=timeout,
                 input="\n".join(lines) + "\n")

    def sysctl(self, node, settings, check=True):
        _run(["ip", "netns", "exec", node.ns, "sysctl", "-q", "-w"] +
             list(settings), check=check)

    def add_node(self, name, router=True):
        if name in self.nodes:
            raise LabError("duplicate node " + name)
        node = Node(self, name, router)
        _run(["ip", "netns", "add", node.ns])
        self.created.append(node.ns)
        self.nodes[name] = node
        self.sysctl(node, COMMON_SYSCTLS + (ROUTER_SYSCTLS if router else []))
        for s in OPTIONAL_SYSCTLS:
            self.sysctl(node, [s], check=False)
        self.ip(node, "link", "set", "lo", "up")
        return node

    def host(self, name):
        return self.add_node(name, router=False)

    def router(self, name):
        return self.add_node(name, router=True)

    def link(self, a, b):
        index = len(self.links) + 1
        if index > 250:
            raise LabError("too many links")
        ifa, ifb = "to" + b.name, "to" + a.name
        n = 1
        while ifa in a.ifaces or ifb in b.ifaces:
            n += 1
            ifa, ifb = "to%s%d" % (b.name, n), "to%s%d" % (a.name, n)
        if len(ifa) > 15 or len(ifb) > 15:
            raise LabError("interface name too long: %s/%s" % (ifa, ifb))
        # Created directly inside the namespaces: no name clash in the host
        # namespace with other tests running at the same time.
        self.ip(a, "link", "add", ifa, "type", "veth", "peer", "name", ifb,
                "netns", b.ns)
        link = Link(index, a, b, ifa, ifb)
        for node, ifn in ((a, ifa), (b, ifb)):
            a4, a6 = link.addr_of(node, 4), link.addr_of(node, 6)
            self.ip_batch(node, [
                "addr add %s/24 dev %s" % (a4, ifn),
                "addr add %s/64 dev %s nodad" % (a6, ifn),
                "link set %s up" % ifn,
            ])
            node.ifaces[ifn] = link
            node.addrs.update((a4, a6))
        # Permanent neighbour entries: no ARP/ND on the path, so the first
        # probe is not delayed (or lost) by neighbour resolution and a
        # black-holed host is not reported "address unreachable".
        mac = {}
        for node, ifn in ((a, ifa), (b, ifb)):
            j = json.loads(self.ip(node, "-j", "link", "show", ifn).stdout)
            mac[node] = j[0]["address"]
        for node, ifn in ((a, ifa), (b, ifb)):
            peer = link.peer(node)
            self.ip_batch(node, [
                "neigh replace %s lladdr %s dev %s nud permanent" % (
                    link.addr_of(peer, fam), mac[peer], ifn)
                for fam in (4, 6)])
        self.links.append(link)
        return link

    def add_lo_addrs(self, node, count):
        """Put `count` /32 and /128 addresses on node's lo, routed to it.

        Returns (v4 list, v6 list), each address owned by node."""
        k = self._lo_count
        self._lo_count += 1
        if count > 1000:
            raise LabError("count too large")
        net4 = ipaddress.ip_network("198.19.%d.0/22" % (4 * k))
        net6 = ipaddress.ip_network("2001:db8:ff:%x::/64" % (k + 1))
        v4 = [str(net4.network_address + 1 + i) for i in range(count)]
        v6 = [str(net6.network_address + 1 + i) for i in range(count)]
        lines = ["addr add %s/32 dev lo" % a for a in v4]
        lines += ["addr add %s/128 dev lo nodad" % a for a in v6]
        self.ip_batch(node, lines, timeout=60)
        node.addrs.update(v4)
        node.addrs.update(v6)
        self.extra.append((net4, node, set()))
        self.extra.append((net6, node, set()))
        return v4, v6

    def add_stub_net(self, toward, no_route_at):
        """A network routed toward node `toward` but with no route at the
        nodes in no_route_at (they answer ICMP net unreachable).  Nobody
        owns addresses in it.  Returns (v4 address, v6 address) inside."""
        k = 200 + len(self.extra)
        net4 = ipaddress.ip_network("198.19.%d.0/24" % k)
        net6 = ipaddress.ip_network("2001:db8:ff:%x::/64" % (0x100 + k))
        for net in (net4, net6):
            self.extra.append((net, toward, set(no_route_at) | {toward}))
        return str(net4.network_address + 1), str(net6.network_address + 1)

    def finalize(self):
        """Compute and install shortest-path (ECMP) routes everywhere."""
        prefixes = []
        for link in self.links:
            for net in (link.net4, link.net6):
                prefixes.append((net, {link.a, link.b}, set()))
        for net, owner, noroute in self.extra:
            prefixes.append((net, {owner}, noroute))
        batches = {n: [] for n in self.nodes.values()}
        for net, targets, noroute in prefixes:
            dist = self._bfs(targets)
            for node in self.nodes.values():
                if node in targets or node in noroute or node not in dist:
                    continue
                hops = []
                for ifn in sorted(node.ifaces):
                    link = node.ifaces[ifn]
                    peer = link.peer(node)
                    if dist.get(peer) == dist[node] - 1:
                        hops.append((link.addr_of(peer, net.version), ifn,
                                     peer))
                if not hops:
                    continue
                node.routes.append((net, hops))
                if len(hops) == 1:
                    line = "route add %s via %s dev %s" % (
                        net, hops[0][0], hops[0][1])
                else:
                    line = "route add %s" % net + "".join(
                        " nexthop via %s dev %s" % (v, d) for v, d, _ in hops)
                batches[node].append(line)
        for node, lines in batches.items():
            self.ip_batch(node, lines)
        self.finalized = True

    def _bfs(self, targets):
        """Hop distance from every node to the target set.  Hosts do not
        forward, so paths never cross them."""
        dist = {t: 0 for t in targets}
        frontier = list(targets)
        while frontier:
            nxt = []
            for n in frontier:
                if not n.router and n not in targets:
                    continue
                for link in n.ifaces.values():
                    p = link.peer(n)
                    if p not in dist:
                        dist[p] = dist[n] + 1
                        nxt.append(p)
            frontier = nxt
        return dist

    # ---- behaviour knobs -------------------------------------------------

    def nft(self, node, ruleset):
        _run(["ip", "netns", "exec", node.ns, "nft", "-f", "-"],
             input=ruleset)

    def silence(self, node):
        """node never sends time-exceeded (v4 and v6)."""
        self.nft(node, """
table inet hlsilent {
  chain out {
    type filter hook output priority 0; policy accept;
    icmp type time-exceeded drop
    icmpv6 type time-exceeded drop
  }
}
""")

    def mpls(self, node, stack):
        """node answers expiring transit packets as an MPLS router would:
        time-exceeded with an RFC 4950 label stack (mpls_router.py; stack
        is a list of "LABEL[/EXP/S/TTL]" words, top first).  The kernel's
        own answer is dropped before routing.  Returns the responder."""
        self.nft(node, """
table inet hlmpls {
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    ip ttl 1 drop
    ip6 hoplimit 1 ip6 daddr != ff00::/8 drop
  }
}
""")
        here = os.path.dirname(os.path.abspath(__file__))
        p = self.popen(node, [sys.executable,
                              os.path.join(here, "mpls_router.py")] +
                       list(stack))
        if p.stdout.readline().strip() != "ready":
            p.kill()
            raise LabError("mpls_router: %s" % p.stderr.read())
        return p

    def unsilence(self, node):
        _run(["ip", "netns", "exec", node.ns, "nft", "delete", "table",
              "inet", "hlsilent"])

    def blackhole(self, node):
        """node drops every packet it receives (IPv6 neighbour discovery
        aside, in case a neighbour entry is not static)."""
        self.nft(node, """
table inet hlblackhole {
  chain in {
    type filter hook input priority 0; policy drop;
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
  }
}
""")

    def set_names(self, node, names):
        """Make names resolvable inside node's namespace (files only, no
        DNS): `ip netns exec` bind-mounts /etc/netns/NS/* over /etc/*."""
        d = os.path.join("/etc/netns", node.ns)
        for _ in range(5):  # a concurrent test may rmdir an empty parent
            try:
                os.makedirs(d, exist_ok=True)
                break
            except FileNotFoundError:
                time.sleep(0.05)
        self.etc_dirs.append(d)
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost"]
        for name, addrs in names.items():
            for a in addrs:
                lines.append("%s\t%s" % (a, name))
        with open(os.path.join(d, "hosts"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(d, "nsswitch.conf"), "w") as f:
            f.write("passwd: files\ngroup: files\nshadow: files\n"
                    "gshadow: files\nhosts: files\nnetworks: files\n"
                    "protocols: files\nservices: files\n")
        # Never consulted with hosts: files, but should anything try DNS
        # it aims at a lab address that is not routed: fails locally.
        with open(os.path.join(d, "resolv.conf"), "w") as f:
            f.write("nameserver 198.19.255.53\n"
                    "options timeout:1 attempts:1\n")

    # ---- running things ----------------------------------------------------

    def run(self, node, argv, timeout=30, check=False, input=None):
        """Run argv inside node's namespace; returns CompletedProcess."""
        return _run(["ip", "netns", "exec", node.ns] + list(argv),
                    timeout=timeout, check=check, input=input)

    def popen(self, node, argv, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", node.ns] + list(argv),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, **kw)
        _CHILDREN.append(p)
        return p

    def ping(self, node, addr, count=1):
        """True when addr answers an ICMP echo from node (count tries)."""
        got = probe_flows(self, node, ipaddress.ip_address(addr).version,
                          "echo", addr, 64, count)
        return any(a == str(ipaddress.ip_address(addr)) for a in got.values())

    def run_hoplite(self, node, args, timeout=60):
        """Run $HOPLITE args inside node; returns (rc, stdout, stderr)."""
        argv = [os.environ["HOPLITE"]] + [str(a) for a in args]
        p = self.run(node, argv, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    # ---- ground truth ------------------------------------------------------

    def owner(self, addr):
        """The node that owns addr, or None."""
        a = str(ipaddress.ip_address(addr))
        for n in self.nodes.values():
            if a in n.addrs:
                return n
        return None

    def adjacent(self, a, b):
        return any(l.peer(a) is b for l in a.ifaces.values())

    def next_hops(self, node, addr):
        """Nodes node forwards a packet for addr to ([] when it owns it or
        has no route: it answers unreachable)."""
        a = ipaddress.ip_address(addr)
        if str(a) in node.addrs:
            return []
        for link in node.ifaces.values():
            net = link.net4 if a.version == 4 else link.net6
            if a in net:
                peer = link.peer(node)
                return [peer] if str(a) in peer.addrs else []
        best = None
        for net, hops in node.routes:
            if net.version == a.version and a in net:
                if best is None or net.prefixlen > best[0].prefixlen:
                    best = (net, hops)
        return [] if best is None else [h[2] for h in best[1]]

    def hop_sets(self, src, addr, limit=64):
        key = (src.name, str(ipaddress.ip_address(addr)))
        if key not in self._hops:
            self._hops[key] = self._hop_sets(src, addr, limit)
        return self._hops[key]

    def _hop_sets(self, src, addr, limit):
        """[set of nodes at TTL 1, at TTL 2, ...] toward addr, following
        the installed routes (several nodes per TTL under ECMP).  The last
        set holds the destination when addr is reachable, else the node
        that has no route."""
        levels, cur = [], {src}
        for _ in range(limit):
            nxt = set()
            for n in cur:
                nxt.update(self.next_hops(n, addr))
            if not nxt:
                break
            levels.append(nxt)
            if any(str(ipaddress.ip_address(addr)) in n.addrs for n in nxt):
                break
            cur = nxt
        return levels

    def distance(self, src, addr):
        return len(self.hop_sets(src, addr))

    # ---- teardown ------------------------------------------------------------

    def destroy(self):
        for ns in reversed(self.created):
            try:
                subprocess.run(["ip", "netns", "del", ns],
                               capture_output=True, timeout=10)
            except Exception:
                pass
        self.created = []
        for d in self.etc_dirs:
            shutil.rmtree(d, ignore_errors=True)
        if self.etc_dirs:
            try:
                os.rmdir("/etc/netns")  # only if nothing else is in it
            except OSError:
                pass
        self.etc_dirs = []
        if self in _LABS:
            _LABS.remove(self)


# --------------------------------------------------------------------------
# topologies (dual stack; finalize() already called)

class Topo:
    pass


def _topo(lab, kind, branches):
    t = Topo()
    t.lab = lab
    t.kind = kind
    t.src = lab.nodes["src"]
    t.dst = lab.nodes["dst"]
    link = t.dst.ifaces["tor3"]
    t.dst4 = link.addr_of(t.dst, 4)
    t.dst6 = link.addr_of(t.dst, 6)
    t.src4 = t.src.addr(4)
    t.src6 = t.src.addr(6)
    t.branches = branches
    lab.set_names(t.src, {"dst.lab": [t.dst4, t.dst6],
                          "dst4.lab": [t.dst4], "dst6.lab": [t.dst6]})
    return t


def build_line(lab, finalize=True):
    """src - r1 - r2 - r3 - dst: the destination is 4 hops away."""
    src, r1, r2, r3, dst = (lab.host("src"), lab.router("r1"),
                            lab.router("r2"), lab.router("r3"),
                            lab.host("dst"))
    lab.link(src, r1)
    lab.link(r1, r2)
    lab.link(r2, r3)
    lab.link(r3, dst)
    if finalize:
        lab.finalize()
    return _topo(lab, "line", [r2])


def build_fan(lab, width=2, finalize=True):
    """src - r1 => {r2a, r2b, ...} => r3 - dst, ECMP at r1 toward dst and
    at r3 toward src.  width=2 is the diamond."""
    src, r1 = lab.host("src"), lab.router("r1")
    mids = [lab.router("r2" + "abcdefgh"[i]) for i in range(width)]
    r3, dst = lab.router("r3"), lab.host("dst")
    lab.link(src, r1)
    for m in mids:
        lab.link(r1, m)
    for m in mids:
        lab.link(m, r3)
    lab.link(r3, dst)
    if finalize:
        lab.finalize()
    return _topo(lab, "diamond" if width == 2 else "fan%d" % width, mids)


def build_diamond(lab, finalize=True):
    return build_fan(lab, 2, finalize)


# --------------------------------------------------------------------------
# simple probes, independent of any tracer: which responder answers a probe
# with a given TTL, per flow.  Used to learn what the kernel's multipath hash
# spreads.  Runs inside a namespace as `python3 lab.py probe ...`.

def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


IPV6_CHECKSUM = getattr(socket, "IPV6_CHECKSUM", 7)
IPV6_AUTOFLOWLABEL = 70


def _no_sender_hash(s, v6):
    """No automatic IPv6 flow label: computing it stores a flow hash in the
    skb, veth carries that hash into the next namespace and the router's
    multipath hash then reuses it instead of hashing the packet."""
    if v6:
        try:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_AUTOFLOWLABEL, 0)
        except OSError:
            pass


def _probe_main(argv):
    """probe FAMILY KIND DST TTL NFLOWS: prints {flow: responder} as JSON.
    KIND: udp (sport varies), tcp (SYN, sport varies), icmp-id (echo id
    varies), icmp-sum (id fixed, sequence and so the checksum vary), echo
    (a ping: the responder is whoever sends the echo reply)."""
    fam, kind, dst, ttl, nflows = argv[0], argv[1], argv[2], int(argv[3]), \
        int(argv[4])
    # Optional explicit "sport:dport,..." for udp/tcp, one per flow.
    ports = [tuple(int(x) for x in pp.split(":"))
             for pp in argv[5].split(",")] if len(argv) > 5 else []
    if ports:
        nflows = len(ports)
    if not in_lab(dst):
        raise SystemExit("not a lab address: " + dst)
    v6 = fam == "6"
    af = socket.AF_INET6 if v6 else socket.AF_INET
    iproto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    lvl, opt = ((socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) if v6 else
                (socket.IPPROTO_IP, socket.IP_TTL))
    rx = socket.socket(af, socket.SOCK_RAW, iproto)
    # Our source address, for the TCP pseudo-header (connect() on UDP
    # sends nothing).
    u = socket.socket(af, socket.SOCK_DGRAM)
    u.connect((dst, 9))
    srcaddr = u.getsockname()[0]
    u.close()
    res = {}
    for f in range(min(nflows, 256)):
        sport, dport = ports[f] if ports else (40000 + f, 33435)
        if kind == "udp":
            s = socket.socket(af, socket.SOCK_DGRAM)
            _no_sender_hash(s, v6)
            s.setsockopt(lvl, opt, ttl)
            s.bind(("", sport))
            s.sendto(b"hoplite!", (dst, dport))
            key = (17, sport)
        elif kind == "tcp":
            # A raw SYN: a connect()ed socket would carry its random
            # sk_txhash in the skb, which veth hands to the next router.
            s = socket.socket(af, socket.SOCK_RAW, socket.IPPROTO_TCP)
            _no_sender_hash(s, v6)
            s.setsockopt(lvl, opt, ttl)
            seg = struct.pack("!HHIIBBHHH", sport, dport, 0x686c0000 + f,
                              0, 5 << 4, 0x02, 65535, 0, 0)
            if v6:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_CHECKSUM, 16)
            else:
                ph = socket.inet_aton(srcaddr) + socket.inet_aton(dst) + \
                    struct.pack("!BBH", 0, 6, len(seg))
                seg = seg[:16] + struct.pack("!H", _csum(ph + seg)) + seg[18:]
            s.sendto(seg, (dst, 0))
            key = (6, sport)
        else:
            s = socket.socket(af, socket.SOCK_RAW, iproto)
            _no_sender_hash(s, v6)
            s.setsockopt(lvl, opt, ttl)
            ident, seq = ((0x4000, 1 + f) if kind == "icmp-sum" else
                          (0x4000 + f, 1))
            pkt = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, ident, seq) + \
                b"hoplite!"
            if not v6:  # the kernel fills in the ICMPv6 checksum
                pkt = pkt[:2] + struct.pack("!H", _csum(pkt)) + pkt[4:]
            s.sendto(pkt, (dst, 0))
            key = (iproto, (ident, seq))
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            r, _, _ = select.select([rx], [], [], 0.2)
            if not r:
                continue
            pkt, addr = rx.recvfrom(2048)
            if not v6:
                icmp = pkt[(pkt[0] & 15) * 4:]
                if kind == "echo" and len(icmp) >= 8 and icmp[0] == 0 and \
                        struct.unpack("!HH", icmp[4:8]) == key[1]:
                    res[f] = addr[0]
                    break
                if len(icmp) < 28 or icmp[0] != 11:
                    continue
                q = icmp[8:]
                l4, proto = q[(q[0] & 15) * 4:], q[9]
            else:
                icmp = pkt
                if kind == "echo" and len(icmp) >= 8 and icmp[0] == 129 and \
                        struct.unpack("!HH", icmp[4:8]) == key[1]:
                    res[f] = addr[0]
                    break
                if len(icmp) < 56 or icmp[0] != 3:
                    continue
                q = icmp[8:]
                l4, proto = q[40:], q[6]
            if len(l4) < 8:
                continue
            if proto in (6, 17):
                k = (proto, struct.unpack("!H", l4[:2])[0])
            else:
                k = (proto, struct.unpack("!HH", l4[4:8]))
            if k == key:
                res[f] = addr[0]
                break
        s.close()
    print(json.dumps(res))


def probe_flows(lab, node, family, kind, dst, ttl, nflows=32, ports=None):
    """{flow: responder address} for nflows simple probes from node (or
    one per (sport, dport) in ports, for udp and tcp)."""
    argv = [sys.executable, os.path.abspath(__file__), "probe", str(family),
            kind, dst, str(ttl), str(nflows)]
    if ports:
        argv.append(",".join("%d:%d" % p for p in ports))
        nflows = len(ports)
    p = lab.run(node, argv, timeout=nflows * 2 + 10, check=True)
    return {int(k): v for k, v in json.loads(p.stdout).items()}


# --------------------------------------------------------------------------
# self test: `sudo python3 tests/lab/lab.py` builds every topology and pings
# across it (and, with scamper installed, traces it once).

def _selftest():
    require_lab()
    ck = Check("lab selftest")
    for name, build in (("line", build_line), ("diamond", build_diamond),
                        ("fan4", lambda l: build_fan(l, 4))):
        with Lab(name[0]) as lab:
            t = build(lab)
            for fam, d in ((4, t.dst4), (6, t.dst6)):
                ck.ok(lab.ping(t.src, d), "%s: ping v%d %s" % (name, fam, d))
                ck.note("%s v%d hop sets: %s" % (
                    name, fam, [sorted(map(str, s))
                                for s in lab.hop_sets(t.src, d)]))
            if shutil.which("scamper"):
                os.environ["LAB_TRACER"] = "scamper"
                for fam, d in ((4, t.dst4), (6, t.dst6)):
                    r = trace(lab, t.src, [d], method="icmp-paris",
                              wait_ms=1000)
                    ck.eq(len(r.traces), 1, "%s: scamper trace %s" % (name, d))
                    for tr in r.traces:
                        check_trace(ck, lab, tr, t.src, d, "icmp-paris", fam,
                                    run=r)
                        check_single_path(ck, lab, tr, name)
    ck.done()


if __name__ == "__main__":
    if sys.argv[1:2] == ["probe"]:
        _probe_main(sys.argv[2:])
    else:
        _selftest()

