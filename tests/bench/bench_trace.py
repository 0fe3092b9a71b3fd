#!/usr/bin/env python3
"""bench_trace: hoplite and scamper side by side in one namespace lab.

A benchmark, not a test: it asserts nothing about time, it measures and
prints a table (and, with --json FILE, every run in detail).

The lab is tests/lab's line (src - r1 - r2 - r3 - dst, real kernel
routers in network namespaces) with --dests addresses on dst's lo, routed
to it, so every destination is 4 hops away.  Nothing leaves the
namespaces: every address traced is one the lab assigned.

Scenarios, each tool --repeat times (alternating), medians reported:

  throughput   all --dests destinations in one process at --pps (each
               rate of --pps-list in turn), same method, attempts, wait and
               gap limit for both tools; wall time, probes sent (and
               against the probes a hop-by-hop tracer needs: 4 a
               destination), wall time against the pacing bound (probes /
               pps), CPU (user+sys), peak RSS, traces COMPLETED, hoplite's
               capture drops.  scamper is left out above 10,000 pps.
  blackhole    one trace to dst while dst drops every packet it receives
               (nft), with the matched settings and with each tool's
               defaults.
  silent       one trace to dst while r2 (TTL 2) never sends time
               exceeded, matched settings: wall time and the TTLs each
               tool reports.
  responsive   one trace to a responsive dst, matched settings and
               defaults.

Measurement: every tool runs in a fresh process (`ip netns exec NS tool`,
which execs the tool in place).  CPU is the rusage of that process and of
every descendant: this script is a child subreaper, so scamper's privsep
helper (which scamper does not always wait for) is reparented here and
reaped with wait4 too.  Peak RSS is the sum over the tool's processes of
the kernel's per-process high-water mark (VmHWM in /proc/PID/status),
sampled every 20 ms; ru_maxrss is not used because the launching Python's
own RSS leaks into it across exec.

    sudo HOPLITE=src/hoplite tests/bench/bench_trace.py [--json out.json]

Root and `ip netns` are needed (exit 77 otherwise, like the lab tests).
"""

import argparse
import ctypes
import ipaddress
import json
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
import lab  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36
SAMPLE_S = 0.02
SCAMPER_CMD = {"icmp-paris": "icmp-paris", "udp-paris": "udp-paris"}


def find_hoplite(arg):
    cands = [arg, os.environ.get("HOPLITE"),
             os.path.join(ROOT, "src", "hoplite"),
             os.path.join(ROOT, "build", "src", "hoplite"),
             os.path.join(ROOT, "_build", "src", "hoplite"),
             shutil.which("hoplite")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


def set_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


# --------------------------------------------------------------------------
# one measured run

def _children(pid):
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def _status(pid):
    """(Name, VmHWM kB) of pid, or None once it is gone."""
    name, hwm = None, 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Name:"):
                    name = line.split()[1]
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        return None
    return name, hwm


def _sample(root, seen):
    """Record every process of the tree under root: pid -> {name: hwm}.
    Keyed by name as well because `ip` is replaced by the tool in the same
    pid, and its own high-water mark must not count."""
    todo, n = [root], 0
    while todo and n < 64:
        pid = todo.pop()
        n += 1
        st = _status(pid)
        if st is not None and st[0] is not None:
            d = seen.setdefault(pid, {})
            d[st[0]] = max(d.get(st[0], 0), st[1])
        todo += _children(pid)


def _busy():
    """CPU seconds the whole machine has spent busy (all CPUs)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def _cpu(ru):
    return ru.ru_utime, ru.ru_stime


def measure(node, argv, timeout, tool_names):
    """Run argv in node's namespace; returns a dict with wall time, CPU,
    peak RSS, rc, stdout, stderr, the wall-clock start and process count."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    seen = {}
    busy0 = _busy()
    t0w = time.time()
    t0 = time.monotonic()
    p = subprocess.Popen(["ip", "netns", "exec", node.ns] + list(argv),
                         stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    lab._CHILDREN.append(p)
    # A pidfd turns readable when the process exits: the wall time is not
    # rounded up to the sampling period.
    pfd = os.pidfd_open(p.pid)
    timed_out = False
    try:
        while True:
            _sample(p.pid, seen)
            r, _, _ = select.select([pfd], [], [], SAMPLE_S)
            if r:
                wall = time.monotonic() - t0
                pid, status, ru = os.wait4(p.pid, 0)
                break
            if time.monotonic() - t0 > timeout:
                timed_out = True
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                wall = time.monotonic() - t0
                break
    finally:
        os.close(pfd)
    p.returncode = os.waitstatus_to_exitcode(status)
    user, sys_ = _cpu(ru)
    stray = 0
    # Descendants the tool did not wait for (scamper's privsep helper,
    # sometimes) were reparented to us, the child subreaper: reap them all
    # and add their CPU, so nothing is lost or charged to the next run.
    # One the tool reaped itself is already in its rusage.
    end = time.monotonic() + 5
    killed = False
    while True:
        try:
            got, _, cru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if got:
            u, s = _cpu(cru)
            user += u
            sys_ += s
            stray += 1
            continue
        if time.monotonic() > end:
            if killed:
                break
            for cpid in _children(os.getpid()):
                try:
                    os.kill(cpid, 9)
                except OSError:
                    pass
            killed = True
            end += 5
        time.sleep(0.005)
    busy = _busy() - busy0
    rss = 0
    procs = 0
    for pid, names in seen.items():
        kb = max([v for k, v in names.items() if k in tool_names] or [0])
        if kb:
            rss += kb
            procs += 1
    out.seek(0)
    err.seek(0)
    stdout = out.read().decode("utf-8", "replace")
    stderr = err.read().decode("utf-8", "replace")
    out.close()
    err.close()
    return {
        "argv": list(argv), "rc": p.returncode, "timed_out": timed_out,
        "wall_s": wall, "t0": t0w, "user_s": user, "sys_s": sys_,
        "cpu_s": user + sys_, "rss_kb": rss, "procs": procs,
        "reaped_stray": stray,
        # Everything else the machine did meanwhile: this script, kernel
        # threads and any other load (a busy machine shows here).  The
        # lab's forwarding is mostly in the tool's own sys time: veth runs
        # the next namespace's softirq in the sender's context.
        "other_cpu_s": max(0.0, busy - user - sys_),
        "stdout": stdout, "stderr": stderr,
    }


# --------------------------------------------------------------------------
# what a run produced

def _ts(d):
    return d["sec"] + d["usec"] / 1e6


def summarise(m, tool):
    """Add trace-level figures to a measured run (and drop the output)."""
    traces = []
    for line in m["stdout"].splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict) and o.get("type") == "trace":
            traces.append(o)
    m["traces"] = len(traces)
    m["completed"] = sum(1 for t in traces
                         if t.get("stop_reason") == "COMPLETED")
    m["stop_reasons"] = sorted({t.get("stop_reason") for t in traces})
    m["probes_json"] = sum(t.get("probe_count", 0) for t in traces)
    m["hop_ttls"] = sorted({h.get("probe_ttl") for t in traces
                            for h in t.get("hops", [])})
    m["probes"] = m["probes_json"]
    m["capture_drops"] = None
    m["in_flight_max"] = None
    if tool == "hoplite":
        g = re.search(r"probes sent (\d+)", m["stderr"])
        if g:
            m["probes"] = int(g.group(1))
        g = re.search(r"capture drops (\d+)", m["stderr"])
        if g:
            m["capture_drops"] = int(g.group(1))
        g = re.search(r"in flight at most (\d+)", m["stderr"])
        if g:
            m["in_flight_max"] = int(g.group(1))
    # When each trace got its last answer, relative to the process start:
    # the first result, and how long a COMPLETED trace lasted from its own
    # start (a silent tail has no last answer to time).
    ends, durs, txs = [], [], []
    for t in traces:
        hops = [h for h in t.get("hops", []) if "tx" in h and "rtt" in h]
        if not hops or "start" not in t:
            continue
        txs.append(min(_ts(h["tx"]) for h in hops) - m["t0"])
        end = max(_ts(h["tx"]) + h["rtt"] / 1e3 for h in hops)
        ends.append(end - m["t0"])
        if t.get("stop_reason") == "COMPLETED":
            durs.append(end - _ts(t["start"]))
    m["first_result_s"] = min(ends) if ends else None
    # Where the time outside the probing goes: process start to the first
    # answered probe leaving, and the last answer to the process exit.
    m["startup_s"] = min(txs) if txs else None
    m["exit_s"] = m["wall_s"] - max(ends) if ends else None
    m["trace_dur_median_s"] = statistics.median(durs) if durs else None
    m["stderr_tail"] = m["stderr"].strip()[-400:]
    del m["stdout"], m["stderr"]
    return m


def short_argv(argv):
    """argv with a long run of trailing addresses folded into a count."""
    n = 0
    for x in reversed(argv):
        try:
            ipaddress.ip_address(x)
        except ValueError:
            break
        n += 1
    if n <= 3:
        return list(argv)
    return list(argv[:-n]) + ["<%d addresses>" % n]


def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


# --------------------------------------------------------------------------
# command lines

def hoplite_argv(hop, a, dests, matched=True, verbose=False):
    # Long options: they outlive changes of the letters.
    argv = [hop, "trace"] + (["--verbose"] if verbose else [])
    if matched:
        argv += ["--method", a.method, "--attempts", str(a.attempts),
                 "--wait", str(a.wait), "--gap-limit", str(a.gap),
                 "--max-ttl", str(a.max_ttl), "--pps", str(a.pps),
                 "--concurrency", str(a.concurrency or max(1, len(dests)))]
    return argv + list(dests)


def scamper_trace_cmd(a):
    return "trace -P %s -q %d -w %d -g %d -m %d" % (
        SCAMPER_CMD[a.method], a.attempts, a.wait, a.gap, a.max_ttl)


def scamper_argv(sc, a, dest=None, listfile=None, matched=True):
    # -w 0: no limit on tasks probed in parallel (scamper's default, stated).
    if listfile is not None:
        return [sc, "-O", "json", "-p", str(a.pps), "-w", "0",
                "-c", scamper_trace_cmd(a), "-f", listfile]
    if matched:
        return [sc, "-O", "json", "-p", str(a.pps), "-w", "0",
                "-I", scamper_trace_cmd(a) + " " + dest]
    return [sc, "-O", "json", "-I", "trace " + dest]


# --------------------------------------------------------------------------
# scenarios

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_pair(name, node, mk, a, tools, results, note=""):
    """Run each tool a.repeat times, alternating; store under name."""
    runs = {t: [] for t in tools}
    for i in range(a.repeat):
        for tool in tools:
            argv = mk(tool)
            # /proc's Name: the binary's file name, cut to 15 characters.
            m = measure(node, argv, a.timeout,
                        {tool, os.path.basename(argv[0])[:15]})
            summarise(m, tool)
            m["argv"] = short_argv(m["argv"])
            runs[tool].append(m)
            log("  %-10s %-8s run %d: %.3f s, rc %d, %d traces (%d "
                "COMPLETED), %d probes, cpu %.3f s, rss %.1f MB, other "
                "cpu %.2f s%s" % (
                    name, tool, i + 1, m["wall_s"], m["rc"], m["traces"],
                    m["completed"], m["probes"], m["cpu_s"],
                    m["rss_kb"] / 1024.0, m["other_cpu_s"],
                    ", TIMED OUT" if m["timed_out"] else ""))
    results[name] = {"note": note, "runs": runs,
                     "median": {t: {k: med(runs[t], k) for k in (
                         "wall_s", "cpu_s", "user_s", "sys_s", "rss_kb",
                         "probes", "completed", "traces", "first_result_s",
                         "trace_dur_median_s", "startup_s", "exit_s",
                         "procs", "other_cpu_s", "capture_drops",
                         "in_flight_max")}
                         for t in tools},
                     "argv": {t: runs[t][0]["argv"] for t in tools}}


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model,
            "kernel": platform.release(), "python": platform.python_version()}


def tool_version(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def fmt(v, f="%.3f"):
    return "-" if v is None else f % v


def print_tables(res, a):
    out = []
    for name in sorted((k for k in res["scenarios"]
                        if k.startswith("throughput")),
                       key=lambda k: res["scenarios"][k]["pps"]):
        tp = res["scenarios"][name]
        pps = tp["pps"]
        need = 4 * a.dests
        out.append("throughput: %d destinations (IPv%d, 4 hops), %s, %d pps, "
                   "-q %d, wait %d s, gap %d, median of %d; hop-by-hop need "
                   "%d probes" % (
                       a.dests, a.family, a.method, pps, a.attempts, a.wait,
                       a.gap, a.repeat, need))
        row = ("%-8s %7s %7s %6s %8s %7s %6s %7s %9s %6s %7s %6s %6s %7s "
               "%6s %6s")
        out.append(row % (
            "tool", "wall s", "probes", "/need", "bound s", "wall/bd",
            "cpu s", "rss MB", "completed", "1st s", "trace s", "up s",
            "down s", "other s", "drops", "infl"))
        for t, m in tp["median"].items():
            bound = m["probes"] / pps if m["probes"] else None
            out.append(row % (
                t, fmt(m["wall_s"]), fmt(m["probes"], "%d"),
                fmt(m["probes"] / need if m["probes"] else None, "%.3f"),
                fmt(bound),
                fmt(m["wall_s"] / bound if bound else None),
                fmt(m["cpu_s"]), fmt(m["rss_kb"] / 1024.0, "%.1f"),
                "%s/%d" % (fmt(m["completed"], "%d"), a.dests),
                fmt(m["first_result_s"], "%.3f"),
                fmt(m["trace_dur_median_s"], "%.3f"),
                fmt(m["startup_s"]), fmt(m["exit_s"]),
                fmt(m["other_cpu_s"], "%.2f"),
                fmt(m["capture_drops"], "%d"),
                fmt(m["in_flight_max"], "%d")))
    if any(k.startswith("throughput") for k in res["scenarios"]):
        out.append("  bound = probes / pps; /need = probes / (4 x "
                   "destinations); 1st s = first trace done, after process "
                   "start;\n  trace s = median start-to-last-answer of a "
                   "trace; up s = process start to first probe out; down s "
                   "= last answer\n  to process exit; other s = CPU the "
                   "rest of the machine used meanwhile; drops = capture "
                   "drops,\n  infl = most traces in flight at once (both "
                   "from hoplite -v)")
    single = [k for k in ("blackhole-matched", "blackhole-defaults",
                          "silent-matched", "responsive-matched",
                          "responsive-defaults")
              if k in res["scenarios"]]
    if single:
        out.append("")
        out.append("single trace to dst (IPv%d, 4 hops), median of %d; "
                   "matched: %s, -q %d, wait %d s, gap %d, max TTL %d, "
                   "%d pps; defaults: each tool's own" % (
                       a.family, a.repeat, a.method, a.attempts, a.wait,
                       a.gap, a.max_ttl, a.pps))
        out.append("%-20s %-8s %8s %8s %7s %-10s %-16s %s" % (
            "scenario", "tool", "wall s", "trace ms", "probes", "stop",
            "TTLs answered", "scamper/hoplite"))
        for k in single:
            m = res["scenarios"][k]["median"]
            ratio = None
            if "hoplite" in m and "scamper" in m and m["hoplite"]["wall_s"]:
                ratio = m["scamper"]["wall_s"] / m["hoplite"]["wall_s"]
            for i, t in enumerate(x for x in ("hoplite", "scamper")
                                  if x in m):
                r = res["scenarios"][k]["runs"][t][0]
                out.append("%-20s %-8s %8s %8s %7s %-10s %-16s %s" % (
                    k if i == 0 else "", t, fmt(m[t]["wall_s"]),
                    fmt(m[t]["trace_dur_median_s"] * 1e3
                        if m[t]["trace_dur_median_s"] is not None else None,
                        "%.1f"),
                    fmt(m[t]["probes"], "%d"),
                    ",".join(map(str, r["stop_reasons"])),
                    ",".join(map(str, r["hop_ttls"])),
                    fmt(ratio, "%.1fx") if i == 0 else ""))
        out.append("  wall s = process start to exit; trace ms = trace start "
                   "to its last answer (COMPLETED only)")
    print("\n".join(out), flush=True)


def main():
    ap = argparse.ArgumentParser(
        description="hoplite vs scamper in a network-namespace lab "
        "(a benchmark: prints figures, asserts nothing)")
    ap.add_argument("--hoplite", help="hoplite binary (default: $HOPLITE, "
                    "then src/hoplite, build/src/hoplite, PATH)")
    ap.add_argument("--scamper", default=shutil.which("scamper"),
                    help="scamper binary (default: from PATH)")
    ap.add_argument("--dests", type=int, default=1024,
                    help="destinations in the throughput run (1-16384)")
    ap.add_argument("--pps", type=int, default=1000)
    ap.add_argument("--pps-list", default="",
                    help="comma-separated rates: one throughput run each "
                    "(default: --pps)")
    ap.add_argument("--method", choices=sorted(SCAMPER_CMD),
                    default="icmp-paris")
    ap.add_argument("--family", type=int, choices=(4, 6), default=4)
    ap.add_argument("--attempts", type=int, default=2)
    ap.add_argument("--wait", type=int, default=2,
                    help="seconds (scamper's and hoplite's -w)")
    ap.add_argument("--gap", type=int, default=5)
    ap.add_argument("--max-ttl", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=0,
                    help="hoplite -c (default: every destination at once)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300,
                    help="seconds before one run is killed")
    ap.add_argument("--only", action="append",
                    choices=("throughput", "blackhole", "responsive",
                             "silent"),
                    help="run only these scenarios (repeatable)")
    ap.add_argument("--no-defaults", action="store_true",
                    help="skip the single-trace runs with default settings")
    ap.add_argument("--tools", default="hoplite,scamper",
                    help="comma-separated subset of hoplite,scamper")
    ap.add_argument("--json", metavar="FILE", help="write every run here")
    a = ap.parse_args()
    if not 1 <= a.dests <= 16384:
        ap.error("--dests must be 1-16384")
    try:
        rates = [int(x) for x in a.pps_list.split(",") if x] or [a.pps]
    except ValueError:
        ap.error("--pps-list takes numbers separated by commas")
    if not all(1 <= x <= 100000 for x in rates + [a.pps]):
        ap.error("--pps must be 1-100000")
    if not 1 <= a.wait <= 20:
        ap.error("--wait must be 1-20 s")
    if not 0 <= a.concurrency <= 65536:
        ap.error("--concurrency must be 1-65536")
    if not 1 <= a.repeat <= 20:
        ap.error("--repeat must be 1-20")
    tools = [t for t in a.tools.split(",") if t]
    if not tools or any(t not in ("hoplite", "scamper") for t in tools):
        ap.error("--tools takes hoplite and/or scamper")
    only = set(a.only or ("throughput", "blackhole", "responsive",
                          "silent"))

    lab.require_lab()
    hop = find_hoplite(a.hoplite)
    if "hoplite" in tools and hop is None:
        lab.skip("no hoplite binary (--hoplite PATH or HOPLITE=PATH)")
    if "scamper" in tools and not a.scamper:
        lab.skip("scamper not found (--scamper PATH, or --tools hoplite)")
    if "scamper" in tools and a.method == "udp-paris" and a.family == 6:
        log("note: scamper 20211212 cannot match udp-paris over IPv6 "
            "(see tests/lab/README.md); its traces will not complete")
    set_subreaper()
    # Anything else running skews wall and CPU figures: measure it.
    b0 = _busy()
    time.sleep(1)
    background = _busy() - b0
    if background > 0.2:
        log("note: the machine was %.0f%% busy (of one CPU) before the run: "
            "figures will be noisier" % (background * 100))
    res = {"settings": {k: v for k, v in vars(a).items() if k != "json"},
           "machine": machine(),
           "background_cpu_per_s": background,
           "versions": {"hoplite": tool_version([hop, "--version"])
                        if hop else None,
                        "scamper": tool_version([a.scamper, "-v"])
                        if a.scamper else None},
           "scenarios": {}}
    res["settings"]["hoplite"] = hop
    tmp = tempfile.mkdtemp(prefix="hlbench")
    os.chmod(tmp, 0o755)
    t_start = time.monotonic()
    try:
        with lab.Lab("b") as L:
            log("building the lab (line, %d addresses on dst's lo)..." %
                a.dests)
            t = lab.build_line(L, finalize=False)
            v4, v6 = [], []
            left = a.dests
            while left > 0:  # add_lo_addrs takes at most 1000 at a time
                n = min(left, 512)
                x4, x6 = L.add_lo_addrs(t.dst, n)
                v4 += x4
                v6 += x6
                left -= n
            L.finalize()
            dests = v4 if a.family == 4 else v6
            single = t.dst4 if a.family == 4 else t.dst6
            for d in (dests[0], dests[-1], single):
                if not L.ping(t.src, d):
                    raise lab.LabError("lab: %s does not answer" % d)
            listfile = os.path.join(tmp, "dests.txt")
            with open(listfile, "w") as f:
                f.write("\n".join(dests) + "\n")
            os.chmod(listfile, 0o644)

            for pps in (rates if "throughput" in only else []):
                # scamper 20211212 takes at most 10,000 pps.
                ptools = [x for x in tools
                          if x == "hoplite" or pps <= 10000]
                name = "throughput" if len(rates) == 1 else \
                    "throughput@%d" % pps
                log("%s: %d destinations at %d pps" % (name, a.dests, pps))
                ap_ = argparse.Namespace(**vars(a))
                ap_.pps = pps
                run_pair(name, t.src, lambda tool, ap_=ap_: (
                    hoplite_argv(hop, ap_, dests, verbose=True)
                    if tool == "hoplite" else
                    scamper_argv(a.scamper, ap_, listfile=listfile)),
                    a, ptools, res["scenarios"])
                res["scenarios"][name]["pps"] = pps
            if "silent" in only:
                L.silence(t.branches[0])
                log("silent: one trace to %s through a silent r2" % single)
                run_pair("silent-matched", t.src, lambda tool: (
                    hoplite_argv(hop, a, [single], verbose=True)
                    if tool == "hoplite" else
                    scamper_argv(a.scamper, a, dest=single)),
                    a, tools, res["scenarios"])
                L.unsilence(t.branches[0])
            if "responsive" in only:
                log("responsive: one trace to %s" % single)
                run_pair("responsive-matched", t.src, lambda tool: (
                    hoplite_argv(hop, a, [single], verbose=True)
                    if tool == "hoplite" else
                    scamper_argv(a.scamper, a, dest=single)),
                    a, tools, res["scenarios"])
                if not a.no_defaults:
                    run_pair("responsive-defaults", t.src, lambda tool: (
                        [hop, "trace", "-v", single] if tool == "hoplite"
                        else scamper_argv(a.scamper, a, dest=single,
                                          matched=False)),
                        a, tools, res["scenarios"])
            if "blackhole" in only:
                L.blackhole(t.dst)
                log("blackhole: one trace to %s, which drops everything" %
                    single)
                run_pair("blackhole-matched", t.src, lambda tool: (
                    hoplite_argv(hop, a, [single], verbose=True)
                    if tool == "hoplite" else
                    scamper_argv(a.scamper, a, dest=single)),
                    a, tools, res["scenarios"])
                if not a.no_defaults:
                    run_pair("blackhole-defaults", t.src, lambda tool: (
                        [hop, "trace", "-v", single] if tool == "hoplite"
                        else scamper_argv(a.scamper, a, dest=single,
                                          matched=False)),
                        a, tools, res["scenarios"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["total_s"] = time.monotonic() - t_start
    print_tables(res, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1, sort_keys=True)
            f.write("\n")
    log("total %.0f s" % res["total_s"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
