"""labtrace: running a tracer in the lab and checking what it wrote.

Stdlib only, and no lab network of its own: which tracer is under test
(hoplite, or Debian's scamper as the reference peer with LAB_TRACER=scamper),
its arguments, its JSON lines, and the assertions every lab test shares
(Check, check_trace against the lab's ground truth, ...).  lab.py builds the
namespaces and routes and re-exports every name here, so tests write
lab.Check, lab.trace, lab.check_trace.

The guard stays here too: trace() refuses any address outside the lab's
own ranges (LAB_NETS).
"""

import ipaddress
import json
import os
import pwd
import sys
import time

SKIP = 77
FAIL = 1
PASS = 0

LAB_NETS = (ipaddress.ip_network("198.18.0.0/15"),
            ipaddress.ip_network("2001:db8::/32"))

# scamper's JSON method names, keyed by hoplite's -P names.
JSON_METHOD = {
    "icmp-paris": "icmp-echo-paris",
    "udp-paris": "udp-paris",
    "tcp-paris": "tcp",
    "tcp-ack-paris": "tcp-ack",
}
METHODS = tuple(JSON_METHOD)


class LabError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def in_lab(addr):
    a = ipaddress.ip_address(addr)
    return any(a.version == n.version and a in n for n in LAB_NETS)


def tracer():
    return os.environ.get("LAB_TRACER", "hoplite")


# --------------------------------------------------------------------------
# running a tracer

def parse_json_lines(text):
    """Every non-empty line must be one JSON object."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise LabError("line %d is not JSON (%s): %r" % (i, e, line[:200]))
        if not isinstance(obj, dict):
            raise LabError("line %d is not a JSON object: %r" % (i, line[:200]))
        out.append(obj)
    return out


def traces_of(objs):
    return [o for o in objs if o.get("type") == "trace"]


class Run:
    """One tracer invocation: rc, stdout, stderr, traces, wall-clock window."""

    def __init__(self, argv, rc, out, err, t0, t1):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        self.t0, self.t1 = t0, t1
        self.objs = []
        self.parse_error = None
        try:
            self.objs = parse_json_lines(out)
        except LabError as e:
            self.parse_error = str(e)
        self.traces = traces_of(self.objs)

    def describe(self):
        return "%s -> rc %s\nstderr: %s" % (" ".join(self.argv), self.rc,
                                           self.err.strip()[-2000:])


def hoplite_args(dests, method="icmp-paris", flowid=None, attempts=None,
                 first=None, maxttl=None, gaplimit=None, wait_ms=None,
                 pps=None, output=None, sport=None, dport=None, extra=()):
    args = ["trace"] + (["-P", method] if method else [])
    # -w takes seconds (fractions allowed), as traceroute's.
    wait = None if wait_ms is None else "%g" % (int(wait_ms) / 1000.0)
    for opt, val in (("-F", flowid), ("-q", attempts), ("-f", first),
                     ("-m", maxttl), ("--gap-limit", gaplimit), ("-w", wait),
                     ("--pps", pps), ("-o", output), ("--sport", sport),
                     ("-p", dport)):
        if val is not None:
            args += [opt, str(val)]
    # Text looks hop names up by default: not in tests about paths.
    if output == "text":
        args.append("-n")
    return args + list(extra) + list(dests)


def _flow_range(flowid):
    if flowid is None:
        return [None]
    s = str(flowid)
    if "-" in s:
        a, b = s.split("-", 1)
        return list(range(int(a), int(b) + 1))
    return [int(s)]


# scamper has no flow id: emulate one with the fields it lets us set.
SCAMPER_SPORT = 40000
SCAMPER_ICMP_SUM = 0x4000


def scamper_argv(dests, method="icmp-paris", flowid=None, attempts=None,
                 first=None, maxttl=None, gaplimit=None, wait_ms=None,
                 pps=None, output=None, sport=None, dport=None, extra=()):
    smethod = {"icmp-paris": "icmp-paris", "udp-paris": "udp-paris",
               "tcp-paris": "tcp", "tcp-ack-paris": "tcp-ack",
               None: "icmp-paris"}[method]
    base = "trace -P %s" % smethod
    for opt, val in (("-q", attempts), ("-f", first), ("-m", maxttl),
                     ("-g", gaplimit), ("-s", sport), ("-d", dport)):
        if val is not None:
            base += " %s %s" % (opt, val)
    if wait_ms is not None:
        base += " -w %d" % max(1, min(20, (int(wait_ms) + 999) // 1000))
    if "-Q" in extra:
        base += " -Q"
    argv = ["scamper", "-O", "text" if output == "text" else "json",
            "-p", str(pps or 500)]
    for fid in _flow_range(flowid):
        cmd = base
        if fid is not None:
            # udp/tcp: the source port; icmp: the checksum (scamper keeps
            # it constant and reports it as icmp_sum)
            if method == "icmp-paris":
                cmd += " -d %d" % (SCAMPER_ICMP_SUM + fid)
            else:
                cmd += " -s %d" % (SCAMPER_SPORT + fid)
        for d in dests:
            argv += ["-I", "%s %s" % (cmd, d)]
    return argv


def scamper_flowid(tr):
    """The flow id scamper_argv encoded in a scamper trace."""
    if tr.get("method") == "icmp-echo-paris":
        v, base = tr.get("icmp_sum"), SCAMPER_ICMP_SUM
    else:
        v, base = tr.get("sport"), SCAMPER_SPORT
    return None if v is None else v - base


def trace(lab, node, dests, timeout=120, **kw):
    """Trace dests from node with the tracer under test; returns a Run.
    kw: method flowid attempts first maxttl gaplimit wait_ms pps output
    extra (hoplite_args' names)."""
    for d in dests:
        try:
            ok = in_lab(d)
        except ValueError:
            ok = True  # a name or garbage: the lab resolves only lab names
        if not ok:
            raise LabError("refusing to trace a non-lab address " + d)
    if tracer() == "scamper":
        argv = scamper_argv(dests, **kw)
        t0 = time.time()
        p = lab.run(node, argv, timeout=timeout)
        t1 = time.time()
        run = Run(argv, p.returncode, p.stdout, p.stderr, t0, t1)
        # Tag scamper traces with the emulated flow id.
        for tr in run.traces:
            tr["flowid"] = (scamper_flowid(tr)
                            if kw.get("flowid") is not None else 0)
        return run
    argv = [os.environ["HOPLITE"]] + hoplite_args(dests, **kw)
    t0 = time.time()
    p = lab.run(node, argv, timeout=timeout)
    t1 = time.time()
    return Run(argv, p.returncode, p.stdout, p.stderr, t0, t1)


# --------------------------------------------------------------------------
# assertions (work on scamper's and hoplite's JSON alike)

class Check:
    """Collects failures; done() exits 0 or 1 with a summary."""

    def __init__(self, name, quiet=False):
        self.name = name
        self.quiet = quiet
        self.failures = 0
        self.passes = 0

    def ok(self, cond, what, detail=""):
        if cond:
            self.passes += 1
        else:
            self.failures += 1
            if not self.quiet:
                log("FAIL: %s%s" % (what, ("\n      " + detail)
                                    if detail else ""))
        return bool(cond)

    def eq(self, got, want, what):
        return self.ok(got == want, what, "got %r, want %r" % (got, want))

    def note(self, msg):
        if not self.quiet:
            log("  " + msg)

    def done(self):
        if self.failures:
            log("%s: %d check(s) failed, %d passed" % (self.name,
                                                       self.failures,
                                                       self.passes))
            sys.exit(FAIL)
        log("%s: all %d checks passed" % (self.name, self.passes))
        sys.exit(PASS)


def reply_kind_ok(method, family, hop):
    """Is hop a destination answer the method should produce?"""
    if method == "icmp-paris":
        return hop.get("icmp_type") == (0 if family == 4 else 129)
    if method == "udp-paris":
        return (hop.get("icmp_type"), hop.get("icmp_code")) == \
            ((3, 3) if family == 4 else (1, 4))
    # The destination has no listener: a SYN gets RST (a SYN-ACK would be
    # fine too), an out-of-the-blue ACK gets RST.
    flags = hop.get("tcp_flags")
    if not isinstance(flags, int):
        return False
    if method == "tcp-ack-paris":
        return bool(flags & 0x04)
    return bool(flags & 0x04) or (flags & 0x12) == 0x12


def hops_by_ttl(tr):
    by = {}
    for h in tr.get("hops", []):
        by.setdefault(h.get("probe_ttl"), []).append(h)
    return by


def path_of(tr):
    """[(ttl, addr)] using the first reply per TTL."""
    return [(t, hs[0]["addr"]) for t, hs in sorted(hops_by_ttl(tr).items())]


def _ts(d):
    d = d if isinstance(d, dict) else {}
    return d.get("sec", 0) + d.get("usec", 0) / 1e6


def check_dropped(ck, st, label):
    """A /proc status (dict) of a process that dropped root: uid and gid
    nobody, no supplementary group but nobody's, no capabilities,
    NoNewPrivs 1."""
    nobody = pwd.getpwnam("nobody")
    if not ck.ok(st is not None, label + ": process seen running"):
        return
    ck.note("%s: %s" % (label, ", ".join(
        "%s %s" % (k, " ".join(st.get(k, "?").split()))
        for k in ("Uid", "Gid", "Groups", "CapEff", "CapPrm", "CapInh",
                  "CapAmb", "NoNewPrivs"))))
    u, g = str(nobody.pw_uid), str(nobody.pw_gid)
    ck.eq(st.get("Uid", "").split(), [u] * 4, label + ": Uid (r/e/s/fs) nobody")
    ck.eq(st.get("Gid", "").split(), [g] * 4, label + ": Gid (r/e/s/fs) nobody's")
    # setgroups(1, &gid) the OpenBSD way, or no groups at all
    ck.ok(set(st.get("Groups", "").split()) <= {g},
          label + ": no supplementary group but nobody's",
          "Groups: %r" % st.get("Groups"))
    for cap in ("CapEff", "CapPrm", "CapAmb", "CapInh"):
        ck.eq(int(st.get(cap, "1").strip(), 16), 0, label + ": %s is 0" % cap)
    ck.eq(st.get("NoNewPrivs", "").strip(), "1", label + ": NoNewPrivs 1")


def check_trace(ck, lab, tr, src, dst, method, family, run=None,
                stop="COMPLETED", first=1, attempts=2, max_rtt=1000.0,
                label=""):
    """Fields and ground truth of one trace object: every hop's address
    belongs to a node the routes can lead a TTL-`probe_ttl` probe to, and
    the stop reason, destination answer and hop_count are what the topology
    implies.  stop: COMPLETED (dst answered), UNREACH (the last node on the
    path has no route), GAPLIMIT, HOPLIMIT.  Returns True if all held."""
    f0 = ck.failures
    L = label or "%s %s" % (method, dst)
    sets = lab.hop_sets(src, dst)
    ck.eq(tr.get("type"), "trace", L + ": type")
    ck.eq(tr.get("method"), JSON_METHOD[method], L + ": method")
    ck.eq(tr.get("dst"), dst, L + ": dst")
    ck.ok(lab.owner(tr.get("src") or "0.0.0.0") is src,
          L + ": src is one of the source's addresses",
          "src %r" % tr.get("src"))
    ck.eq(tr.get("stop_reason"), stop, L + ": stop_reason")
    ck.eq(tr.get("firsthop"), first, L + ": firsthop")
    ck.eq(tr.get("attempts"), attempts, L + ": attempts")
    if method == "icmp-paris":
        ck.ok(isinstance(tr.get("icmp_sum"), int), L + ": icmp_sum present")
    else:
        ck.ok(isinstance(tr.get("sport"), int) and
              isinstance(tr.get("dport"), int), L + ": sport/dport present")
    if run is not None:
        ts = _ts(tr.get("start"))
        ck.ok(run.t0 - 1 <= ts <= run.t1 + 1, L + ": start within the run",
              "start %.3f, run %.3f..%.3f" % (ts, run.t0, run.t1))
    hops = tr.get("hops", [])
    if not ck.ok(isinstance(hops, list), L + ": hops is a list"):
        return False
    hc = tr.get("hop_count")
    ck.ok(isinstance(hc, int), L + ": hop_count is an integer", repr(hc))
    last_ttl = max([h.get("probe_ttl", 0) for h in hops] or [0])
    for h in hops:
        t = h.get("probe_ttl")
        a = h.get("addr")
        try:
            o = lab.owner(a)
        except ValueError:
            o = None
        H = "%s: hop ttl %s %s" % (L, t, a)
        if not ck.ok(isinstance(t, int) and first <= t and
                     (not isinstance(hc, int) or t <= hc),
                     H + ": probe_ttl within firsthop..hop_count",
                     "hop_count %r" % hc):
            continue
        ck.ok(isinstance(h.get("probe_id"), int) and
              1 <= h["probe_id"] <= attempts,
              H + ": probe_id in 1..attempts", "probe_id %r" % h.get("probe_id"))
        expect = sets[t - 1] if 1 <= t <= len(sets) else set()
        ck.ok(o in expect, H + ": address owned by a node at that distance",
              "owner %s, expected one of %s" % (o, sorted(map(str, expect))))
        rtt = h.get("rtt")
        ck.ok(isinstance(rtt, (int, float)) and 0 < rtt < max_rtt,
              H + ": 0 < rtt < %g ms" % max_rtt, "rtt %r" % rtt)
        for f in ("probe_size", "reply_ttl", "reply_size"):
            ck.ok(isinstance(h.get(f), int), H + ": %s present" % f,
                  repr(h.get(f)))
        if run is not None:
            ts = _ts(h.get("tx"))
            ck.ok(run.t0 - 1 <= ts <= run.t1 + 1, H + ": tx within the run",
                  "tx %.3f, run %.3f..%.3f" % (ts, run.t0, run.t1))
        if a == dst:
            continue
        if stop == "UNREACH" and t == last_ttl:
            ck.eq((h.get("icmp_type"), h.get("icmp_code")),
                  (3, 0) if family == 4 else (1, 0),
                  H + ": no-route router answered net unreachable")
        else:
            ck.eq(h.get("icmp_type"), 11 if family == 4 else 3,
                  H + ": router answered time-exceeded")
            ck.eq(h.get("icmp_q_ttl"), 1, H + ": quoted TTL")
    if stop in ("COMPLETED", "UNREACH"):
        ck.ok(bool(hops), L + ": has hops")
        if hops:
            last = max(hops, key=lambda h: h.get("probe_ttl", 0))
            ck.eq(last.get("probe_ttl"), hc, L + ": last hop's TTL == hop_count")
            ck.eq(hc, len(sets), L + ": hop_count == distance")
            if stop == "COMPLETED":
                ck.eq(last.get("addr"), dst, L + ": last hop is the destination")
                ck.ok(reply_kind_ok(method, family, last),
                      L + ": destination reply matches the method",
                      "hop %r" % last)
            else:
                ck.ok(lab.owner(last.get("addr", "0.0.0.0")) in sets[-1],
                      L + ": last hop is the router without a route",
                      "hop %r" % last)
    if stop in ("GAPLIMIT", "HOPLIMIT"):
        ck.ok(all(h.get("addr") != dst for h in hops),
              L + ": destination never answered")
    return ck.failures == f0


def check_run(ck, run, dests, label, rc=0, per_dest=1):
    """Exit code, every stdout line JSON, each destination traced exactly
    per_dest times and nothing else.  Returns {dst: [traces]}."""
    ck.note("ran: " + " ".join(run.argv[:8]) +
            (" ... (%d args)" % len(run.argv) if len(run.argv) > 8 else ""))
    ck.eq(run.rc, rc, label + ": exit code" +
          ("\n      stderr: " + run.err.strip()[-800:] if run.rc != rc else ""))
    ck.ok(run.parse_error is None, label + ": stdout is JSON lines",
          run.parse_error or "")
    by = {}
    for tr in run.traces:
        by.setdefault(tr.get("dst"), []).append(tr)
    for d in dests:
        ck.eq(len(by.get(d, [])), per_dest, label + ": traces of " + d)
    extra = sorted(set(by) - set(dests), key=str)
    ck.ok(not extra, label + ": no trace for anything else", repr(extra[:5]))
    return by


def family_of(addr):
    return ipaddress.ip_address(addr).version


def check_single_path(ck, lab, tr, label):
    """Paris: one address per TTL, consecutive hops on adjacent routers."""
    f0 = ck.failures
    by = hops_by_ttl(tr)
    for t, hs in sorted(by.items()):
        addrs = {h["addr"] for h in hs}
        ck.ok(len(addrs) == 1, "%s: one address at TTL %s" % (label, t),
              "saw %s" % sorted(addrs))
    path = path_of(tr)
    for (t1, a1), (t2, a2) in zip(path, path[1:]):
        if t2 != t1 + 1:
            continue
        o1, o2 = lab.owner(a1), lab.owner(a2)
        ck.ok(o1 is not None and o2 is not None and lab.adjacent(o1, o2),
              "%s: TTL %d->%d hops adjacent" % (label, t1, t2),
              "%s (%s) -> %s (%s) is not a link" % (a1, o1, a2, o2))
    return ck.failures == f0


