#!/usr/bin/env python3
"""bench_mda: `hoplite mda` and scamper `tracelb` on the same MDA labs.

A benchmark, not a test: it asserts nothing about time; it measures and
prints tables (and, with --json FILE, every run in detail).

Labs: tests/lab/mdalab.py's topologies (hashing balancers that balance
every method, one seed per router; ground truth confirmed by plain probes
before any run).  Nothing leaves the namespaces.

Scenarios:

  single   per topology, method and family, one trace, --repeat times,
           medians: probes sent (probec), true links found out of the
           truth, false links, wall time, CPU.  Tools:
             hoplite        hoplite mda -P M -C C -o json DST (its defaults)
             hoplite-g150   the same with --probe-gap 150 (M-Lab's spacing)
             scamper        tracelb -P M -c C DST (its defaults: -q 2,
                            -w 5, -W 25 = 250 ms between probes)
             scamper-W15    tracelb -P M -c C -W 15 DST (M-Lab's setting)
           --seeds N: each topology built N times with other balancer
           hash seeds (other draws for every flow), and a table of the
           sums over the seeds (probes per link found).
  many     --dests destinations (addresses on dst's lo behind the
           diamond) traced with MDA in one process at --pps: wall time
           against the pacing bound (probes / pps), CPU (user+sys, the
           process and its descendants), peak RSS (VmHWM), links found.
  perpacket  --pp-dests traces at 99 % through the 2-wide per-packet
           balancer (how many flag it, also among the traces where both
           of its next hops were seen) and through the per-flow diamond
           (how many flag anything), one process per tool and lab.

Without `hoplite mda` (a hoplite from before MDA) the hoplite columns are
left out and scamper alone runs.

    sudo HOPLITE=src/hoplite tests/bench/bench_mda.py --repeat 3
    sudo tests/bench/bench_mda.py --tools scamper --topology diamond \\
        --repeat 1 --only single        # a quick smoke run

Root and `ip netns` are needed (exit 77 otherwise).  Measurement
(fresh process per run, pidfd wall time, subreaper CPU, VmHWM sampling)
is bench_trace.py's.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
sys.path.insert(0, HERE)
import lab  # noqa: E402
import mdalab  # noqa: E402
import bench_trace as bt  # noqa: E402

TOOLS = ("hoplite", "hoplite-g150", "scamper", "scamper-W15")
TOPOS = ("diamond", "fan4n", "nested24", "meshed", "perpacket",
         "perpacket2", "silent", "blackhole")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def mda_help(hop):
    """`hoplite mda --help`, or None without an mda command."""
    if not hop:
        return None
    try:
        p = lab._run([hop, "mda", "--help"], timeout=10, check=False)
    except (OSError, lab.LabError):
        return None
    return p.stdout + p.stderr if p.returncode == 0 else None


def single_argv(tool, a, hop, method, dst):
    if tool.startswith("hoplite"):
        argv = [hop, "mda", "-P", method, "-C", str(a.confidence)]
        if tool == "hoplite-g150":
            argv += ["--probe-gap", "150"]
        return argv + ["-o", "json", dst]
    cmd = "tracelb -P %s -c %d" % (method, a.confidence)
    if tool == "scamper-W15":
        cmd += " -W 15"
    return [a.scamper, "-O", "json", "-I", cmd + " " + dst]


def many_argv(tool, a, hop, dests, listfile):
    if tool == "hoplite":
        # -c (concurrency) as `hoplite trace` has it, when mda has it too
        conc = (["-c", str(len(dests))] if "concurrency" in a.mda_help
                else [])
        base = ["--sport", str(a.many_sport)] if a.many_sport else []
        return [hop, "mda", "-P", a.many_method, "-C", str(a.confidence),
                "--pps", str(a.pps)] + base + conc + ["-o", "json"] + \
            list(dests)
    base = " -s %d" % a.many_sport if a.many_sport else ""
    return [a.scamper, "-O", "json", "-p", str(a.pps), "-w", "0", "-c",
            "tracelb -P %s -c %d -W 15%s" % (a.many_method, a.confidence,
                                             base),
            "-f", listfile]


def score(m, t, family, truth_of):
    """Links found / false per trace, probes, from the run's stdout."""
    trs = []
    try:
        trs = mdalab.read_tracelb(m["stdout"])
    except ValueError as e:
        m["parse_error"] = str(e)
    m["traces"] = len(trs)
    m["probes"] = sum(tr.probec or 0 for tr in trs)
    found = false = total = 0
    reasons = set()
    for tr in trs:
        T = truth_of(tr.dst)
        found += len(tr.links & T)
        false += len(tr.links - T)
        total += len(T)
        reasons.add(str(tr.stop_reason))
    m["found"], m["false"], m["truth"] = found, false, total
    m["stop_reasons"] = sorted(reasons)
    m["stderr_tail"] = m["stderr"].strip()[-400:]
    del m["stdout"], m["stderr"]
    return m


def med(runs, key):
    v = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(v) if v else None


def run_single(a, hop, tools, res):
    for name, seed in [(n, s) for n in a.topology for s in range(a.seeds)]:
        with lab.Lab("b" + name[:3]) as L:
            t = mdalab.build(L, mdalab.SPECS[name](),
                             seed_base=mdalab.SEED_BASE + 0x10000 * seed)
            for fam in a.family:
                for method in a.method:
                    key = "%s %s v%d" % (name, method, fam)
                    if a.seeds > 1:
                        key += " seed%d" % seed
                    dst = t.dst_of(fam)
                    runs = {}
                    for i in range(a.repeat):
                        for tool in tools:
                            sup = mdalab.supported(
                                method, fam, "scamper" if
                                tool.startswith("scamper") else "hoplite")
                            if not sup:
                                continue
                            argv = single_argv(tool, a, hop, method, dst)
                            m = bt.measure(t.src, argv, a.timeout, {
                                tool.split("-")[0],
                                os.path.basename(argv[0])[:15]})
                            score(m, t, fam,
                                  lambda d, fam=fam: t.truth[fam])
                            runs.setdefault(tool, []).append(m)
                            log("  %-28s %-12s run %d: %.2f s, rc %d, "
                                "probes %d, links %d/%d, false %d" % (
                                    key, tool, i + 1, m["wall_s"], m["rc"],
                                    m["probes"], m["found"], m["truth"],
                                    m["false"]))
                    res["single"][key] = {
                        "topology": name, "method": method, "family": fam,
                        "runs": runs,
                        "median": {tool: {k: med(rs, k) for k in (
                            "wall_s", "cpu_s", "probes", "found", "false",
                            "truth")} for tool, rs in runs.items()}}


def run_many(a, hop, tools, res, tmp):
    with lab.Lab("bmany") as L:
        t = mdalab.build(L, mdalab.spec_diamond(), lo_addrs=a.dests)
        fam = a.many_family
        dests = t.lo4 if fam == 4 else t.lo6
        listfile = os.path.join(tmp, "dests.txt")
        with open(listfile, "w") as f:
            f.write("\n".join(dests) + "\n")
        runs = {}
        for i in range(a.repeat):
            for tool in [x for x in tools if x in ("hoplite", "scamper")]:
                argv = many_argv(tool, a, hop, dests, listfile)
                m = bt.measure(t.src, argv, a.timeout,
                               {tool, os.path.basename(argv[0])[:15]})
                score(m, t, fam, lambda d: mdalab.truth_for(t, fam, d))
                m["pps_bound_s"] = m["probes"] / float(a.pps)
                m["argv"] = bt.short_argv(m["argv"])
                runs.setdefault(tool, []).append(m)
                log("  many %-8s run %d: %.2f s (bound %.2f s), rc %d, %d "
                    "traces, probes %d, links %d/%d, cpu %.2f s, rss %.1f "
                    "MB" % (tool, i + 1, m["wall_s"], m["pps_bound_s"],
                            m["rc"], m["traces"], m["probes"], m["found"],
                            m["truth"], m["cpu_s"], m["rss_kb"] / 1024.0))
        res["many"] = {"dests": a.dests, "family": fam, "pps": a.pps,
                       "method": a.many_method, "runs": runs,
                       "median": {tool: {k: med(rs, k) for k in (
                           "wall_s", "pps_bound_s", "cpu_s", "rss_kb",
                           "probes", "found", "false", "truth", "traces")}
                           for tool, rs in runs.items()}}


def perpacket_flag(tool, t, tr, fam):
    """Did this trace flag r1 as a per-packet balancer?  hoplite: the
    `perpacket` key on r1's node; scamper (no such key): a clump holding
    two or more of r1's branches.  Returns (r1 flagged, anything flagged,
    every next hop of r1 seen: at 99 % the MDA itself misses r1's second
    next hop in 1 of 128 traces, and then there is nothing to flag)."""
    r1 = t.vaddr("r0", "r1", fam)
    mids = {t.vaddr("r1", m, fam) for m in t.spec.balancers["r1"]}
    both = mids <= tr.addrs
    if tool.startswith("hoplite"):
        return r1 in tr.perpacket, bool(tr.perpacket), both
    best = max([len(h & mids) for _, hs, _ in tr.clumps for h in hs] or [0])
    return best >= 2, bool(tr.clumps), both


def run_perpacket(a, hop, tools, res, tmp):
    """--pp-dests traces at 99 % through the 2-wide per-packet balancer
    (how often r1 is flagged) and as many through the per-flow diamond
    (how often anything is flagged), one process each per tool."""
    out = {}
    fam = a.many_family
    for name in ("perpacket2", "diamond"):
        with lab.Lab("bpp" + name[:2]) as L:
            t = mdalab.build(L, mdalab.SPECS[name](), lo_addrs=a.pp_dests)
            dests = t.lo4 if fam == 4 else t.lo6
            listfile = os.path.join(tmp, "pp.txt")
            with open(listfile, "w") as f:
                f.write("\n".join(dests) + "\n")
            for tool in [x for x in tools if x in ("hoplite", "scamper")]:
                if tool == "hoplite":
                    argv = [hop, "mda", "-P", "icmp-echo", "-C", "99",
                            "--pps", str(a.pps), "-o", "json"] + dests
                else:
                    argv = [a.scamper, "-O", "json", "-p", str(a.pps), "-w",
                            "0", "-c", "tracelb -P icmp-echo -c 99 -W 15",
                            "-f", listfile]
                m = bt.measure(t.src, argv, a.timeout,
                               {tool, os.path.basename(argv[0])[:15]})
                trs = []
                try:
                    trs = mdalab.read_tracelb(m["stdout"])
                except ValueError as e:
                    m["parse_error"] = str(e)
                flags = [perpacket_flag(tool, t, tr, fam) for tr in trs]
                r = {"lab": name, "traces": len(trs), "wall_s": m["wall_s"],
                     "rc": m["rc"],
                     "r1_flagged": sum(1 for f, _, _ in flags if f),
                     "any_flag": sum(1 for _, f, _ in flags if f),
                     "r1_seen": sum(1 for _, _, b in flags if b),
                     "r1_seen_flagged": sum(1 for f, _, b in flags
                                            if f and b),
                     "probes": sum(tr.probec or 0 for tr in trs)}
                out.setdefault(tool, {})[name] = r
                log("  perpacket %-8s %-10s: %d traces, r1 flagged in %d, "
                    "anything flagged in %d, r1's next hops all seen in %d "
                    "(flagged in %d of them), %d probes, %.1f s" % (
                        tool, name, r["traces"], r["r1_flagged"],
                        r["any_flag"], r["r1_seen"], r["r1_seen_flagged"],
                        r["probes"], r["wall_s"]))
    res["perpacket"] = {"dests": a.pp_dests, "family": fam, "tools": out}


def fmt(v, f="%.2f"):
    return "-" if v is None else f % v


def print_tables(res, a):
    out = []
    if res["single"]:
        out.append("single traces, -C/-c %d, median of %d: probes, links "
                   "found/true (false), wall s" % (a.confidence, a.repeat))
        tools = [x for x in TOOLS if any(
            x in v["median"] for v in res["single"].values())]
        out.append("%-30s" % "topology method family" + "".join(
            "%26s" % x for x in tools))
        for key, v in res["single"].items():
            row = "%-30s" % key
            for tool in tools:
                m = v["median"].get(tool)
                cell = "n/a" if m is None else "%s %s/%s (%s) %ss" % (
                    fmt(m["probes"], "%.0f"), fmt(m["found"], "%.0f"),
                    fmt(m["truth"], "%.0f"), fmt(m["false"], "%.0f"),
                    fmt(m["wall_s"], "%.1f"))
                row += "%26s" % cell
            out.append(row)
    if res["single"] and a.seeds > 1:
        out.append("")
        out.append("sums over %d lab seeds: probes, links found/true, "
                   "probes per link found" % a.seeds)
        sums = {}
        for v in res["single"].values():
            k = "%s %s v%d" % (v["topology"], v["method"], v["family"])
            for tool, m in v["median"].items():
                acc = sums.setdefault(k, {}).setdefault(tool, [0, 0, 0])
                for j, f in enumerate(("probes", "found", "truth")):
                    acc[j] += m[f] or 0
        tools = [x for x in TOOLS if any(x in v for v in sums.values())]
        out.append("%-30s" % "topology method family" + "".join(
            "%26s" % x for x in tools))
        for k, v in sums.items():
            row = "%-30s" % k
            for tool in tools:
                p_, f_, t_ = v.get(tool, (0, 0, 0))
                row += "%26s" % ("n/a" if tool not in v else
                                 "%.0f %.0f/%.0f %.2f" % (
                                     p_, f_, t_, p_ / f_ if f_ else 0))
            out.append(row)
    many = res.get("many")
    if many:
        out.append("")
        out.append("many: %d destinations (IPv%d) behind the diamond, %s, "
                   "%d pps, median of %d" % (many["dests"], many["family"],
                                             many["method"], many["pps"],
                                             a.repeat))
        out.append("%-8s %8s %8s %8s %8s %8s %12s" % (
            "tool", "wall s", "bound s", "probes", "cpu s", "rss MB",
            "links"))
        for tool, m in many["median"].items():
            out.append("%-8s %8s %8s %8s %8s %8s %12s" % (
                tool, fmt(m["wall_s"]), fmt(m["pps_bound_s"]),
                fmt(m["probes"], "%.0f"), fmt(m["cpu_s"]),
                fmt(m["rss_kb"] and m["rss_kb"] / 1024.0, "%.1f"),
                "%s/%s" % (fmt(m["found"], "%.0f"), fmt(m["truth"], "%.0f"))))
    pp = res.get("perpacket")
    if pp:
        out.append("")
        out.append("per-packet: %d traces (IPv%d, icmp-echo, 99 %%) through "
                   "the 2-wide per-packet balancer and through the per-flow "
                   "diamond" % (pp["dests"], pp["family"]))
        out.append("%-8s %22s %30s %24s" % (
            "tool", "per-packet: r1 flagged", "where both next hops seen",
            "per-flow: any flagged"))
        for tool, v in pp["tools"].items():
            p2, d = v.get("perpacket2", {}), v.get("diamond", {})
            out.append("%-8s %22s %30s %24s" % (
                tool, "%s/%s" % (p2.get("r1_flagged"), p2.get("traces")),
                "%s/%s" % (p2.get("r1_seen_flagged"), p2.get("r1_seen")),
                "%s/%s" % (d.get("any_flag"), d.get("traces"))))
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hoplite", help="hoplite binary (default: $HOPLITE, "
                    "src/hoplite, hoplite on the PATH)")
    ap.add_argument("--scamper", default=shutil.which("scamper"))
    ap.add_argument("--topology", action="append", choices=TOPOS,
                    help="repeatable; default: diamond fan4n nested24 "
                    "meshed silent")
    ap.add_argument("--method", action="append", choices=[
        m for m in mdalab.METHODS], help="repeatable; default icmp-echo")
    ap.add_argument("--family", action="append", type=int, choices=(4, 6),
                    help="repeatable; default 4")
    ap.add_argument("--confidence", type=int, choices=(95, 99), default=95)
    ap.add_argument("--seeds", type=int, default=1,
                    help="single runs on this many labs, each with other "
                    "balancer hash seeds (other draws for every flow), "
                    "and their sums (default 1)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dests", type=int, default=256,
                    help="destinations in the many run (1-1000)")
    ap.add_argument("--pps", type=int, default=2000)
    ap.add_argument("--many-method", default="udp-sport",
                    choices=[m for m in mdalab.METHODS if m != "flowlabel"])
    ap.add_argument("--many-family", type=int, choices=(4, 6), default=4)
    ap.add_argument("--many-sport", type=int, default=0,
                    help="base source port of the many run, both tools "
                    "(default: each tool's own).  The lab's balancers hash "
                    "ports only, not addresses, so every destination of "
                    "the run meets the same hash draws: one unlucky base "
                    "misses the same branch for all of them")
    ap.add_argument("--pp-dests", type=int, default=200,
                    help="traces per lab in the perpacket run (1-1000)")
    ap.add_argument("--only", action="append",
                    choices=("single", "many", "perpacket"))
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--json", metavar="FILE", help="write every run here")
    a = ap.parse_args()
    a.topology = a.topology or ["diamond", "fan4n", "nested24", "meshed",
                                "silent"]
    a.method = a.method or ["icmp-echo"]
    a.family = a.family or [4]
    only = set(a.only or ("single", "many", "perpacket"))
    if not (1 <= a.dests <= 1000 and 1 <= a.pp_dests <= 1000) or \
            a.repeat < 1 or a.pps < 1:
        ap.error("--dests and --pp-dests 1-1000, --repeat and --pps >= 1")
    lab.require_lab()
    tools = [x for x in a.tools.split(",") if x]
    if any(x not in TOOLS for x in tools):
        ap.error("--tools: a list of " + ",".join(TOOLS))
    hop = bt.find_hoplite(a.hoplite)
    a.mda_help = mda_help(hop)
    if a.mda_help is None:
        if any(x.startswith("hoplite") for x in tools):
            log("no `hoplite mda` (%s): scamper only" % hop)
        tools = [x for x in tools if not x.startswith("hoplite")]
    if not a.scamper:
        tools = [x for x in tools if not x.startswith("scamper")]
    if not tools:
        log("nothing to run (no hoplite mda, no scamper)")
        return lab.SKIP
    bt.set_subreaper()
    res = {"machine": bt.machine(), "tools": tools,
           "versions": {"hoplite": bt.tool_version([hop, "--version"])
                        if hop else None,
                        "scamper": bt.tool_version([a.scamper, "-v"])
                        if a.scamper else None},
           "args": {k: v for k, v in vars(a).items() if k != "mda_help"},
           "single": {}, "many": None, "perpacket": None}
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="bench_mda.")
    try:
        if "single" in only:
            run_single(a, hop, tools, res)
        if "many" in only:
            run_many(a, hop, tools, res, tmp)
        if "perpacket" in only:
            run_perpacket(a, hop, tools, res, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["total_s"] = time.monotonic() - t0
    print_tables(res, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1, sort_keys=True)
            f.write("\n")
    log("total %.0f s" % res["total_s"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
