#!/usr/bin/env python3
"""bench_daemon: hoplited under a burst of 100 client tests ending at once.

A benchmark, not a test: it measures and prints; it asserts only that
every trigger produced its file (exit 1 otherwise).

Lab: tests/lab's line (src - r1 - r2 - r3 - dst, real kernel routers in
network namespaces) with --clients addresses on dst's lo, routed to it,
so every client is 4 hops from the server.  hoplited runs in src, fed by
tests/lab/tcpinfo_server.py (the stand-in tcp-info event socket), with its
defaults (icmp-paris, 2 attempts, 2 s wait, --pps 1000, --max-inflight 64)
and --allow for the lab's ranges.

Each round writes one Open per client, then every Close in a single
write (all tests end at once).  Trigger-to-file latency is measured per
client from the moment that write returned to the moment the file is
visible under DIR/YYYY/MM/DD (renamed into place), by listing the day
directories every --poll-ms (no inotify; less often if a scan itself takes
longer, so the poller never takes more than a third of a CPU from the
daemon); the file's mtime (written, before fsync and rename) gives a
second, poll-free figure.  After each burst its files are moved out of
the tree, as M-Lab's uploader does, so every burst starts empty.  Reported per
scenario, over all rounds: p50, p90, p99 and max latency, the wall time
of the burst (Close write -> last file), and hoplited's CPU time.
hoplited's peak memory is the kernel's high-water mark (VmHWM in
/proc/PID/status) at the end, with VmRSS at start for comparison.

Scenarios (--mode paris, the default here: one Paris trace per client):
  fresh    --cache-window 0: every round traces every client (v4, then v6)
  cached   cache on: one burst traces, a second burst (new UUIDs, same
           clients) is served from the cache; the cache's memory per
           client is VmRSS after the first burst minus before, per client,
           and the compressed size of each file's line 3 (as the daemon
           keeps it: zlib, best level)

--mode mda: hoplited's default mode with M-Lab's settings (icmp-echo,
-q 3, 150 ms between probes of a measurement) on each MDA lab topology
(tests/lab/mdalab.py): --mda-clients client addresses per family, all
requested at once, --rounds times; per measurement the time from the
request to its file, the tracelb's probe count and links against the
topology's truth, and the compressed size of its line 3.

    sudo HOPLITE=src/hoplite tests/bench/bench_daemon.py [--json out.json]

hoplited is --hoplited, $HOPLITED, or hoplited beside $HOPLITE.  Root and
`ip netns` are needed (exit 77 otherwise, like the lab tests).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
import daemon  # noqa: E402
import lab  # noqa: E402
import mdalab  # noqa: E402
from tcpinfo_server import TcpInfoServer, event_line, OPEN, CLOSE  # noqa


def find_hoplited(arg):
    cands = [arg, os.environ.get("HOPLITED")]
    if os.environ.get("HOPLITE"):
        cands.append(os.path.join(os.path.dirname(os.environ["HOPLITE"]),
                                  "hoplited"))
    cands += [os.path.join(ROOT, "src", "hoplited"),
              os.path.join(ROOT, "build", "src", "hoplited"),
              shutil.which("hoplited")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


def proc_status(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return dict(l.split(":", 1) for l in f.read().splitlines()
                        if ":" in l)
    except OSError:
        return {}


def kb(st, key):
    try:
        return int(st.get(key, "0 kB").split()[0])
    except (ValueError, IndexError):
        return 0


def cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def pct(xs, p):
    """Nearest-rank percentile."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def day_dirs(root):
    """root/YYYY/MM/DD directories (a handful)."""
    out = []
    for y in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        if not y.isdigit():     # the journal, .hoplited.journal
            continue
        for m in sorted(os.listdir(os.path.join(root, y))):
            for dd in sorted(os.listdir(os.path.join(root, y, m))):
                out.append(os.path.join(root, y, m, dd))
    return out


def burst(d, srv, server_ip, clients, tag, poll_s, timeout):
    """One round: Opens, then all Closes in one write; per-client latency
    (polled visibility and mtime) and the wall time."""
    uuids = ["%s-%03d" % (tag, i) for i in range(len(clients))]
    opens = b"".join(event_line(OPEN, u, {
        "SPort": 443, "DPort": 40000 + i, "SrcIP": server_ip,
        "DstIP": c, "Interface": 0, "Cookie": i})
        for i, (u, c) in enumerate(zip(uuids, clients)))
    srv.raw(opens)
    closes = b"".join(event_line(CLOSE, u) for u in uuids)
    cpu0 = cpu_seconds(d.pid)
    t0 = srv.raw(closes)
    t0w = time.time() - (time.monotonic() - t0)   # the same moment, wall clock
    want = set(uuids)
    seen = {}
    deadline = t0 + timeout
    while len(seen) < len(want) and time.monotonic() < deadline:
        now = time.monotonic()
        for dirpath in day_dirs(d.output):
            try:
                names = os.listdir(dirpath)
            except FileNotFoundError:
                continue
            for name in names:
                if not name.endswith(".jsonl") or "_" not in name:
                    continue
                u = name[name.index("_") + 1:-6]
                if u in want and u not in seen:
                    seen[u] = (now, os.path.join(dirpath, name))
        # Never more than a third of a CPU: the poller must not slow the
        # daemon it measures.
        scan = time.monotonic() - now
        time.sleep(max(poll_s, 2 * scan))
    lat = [seen[u][0] - t0 for u in uuids if u in seen]
    mt = []
    for u in uuids:
        if u in seen:
            try:
                mt.append(os.stat(seen[u][1]).st_mtime - t0w)
            except OSError:
                pass
    # Like M-Lab's uploader: move the burst's files away (the daemon is
    # idle now), so every burst starts with an empty tree.
    archive = os.path.join(os.path.dirname(d.output), "archive", tag)
    os.makedirs(archive, exist_ok=True)
    for e in os.listdir(d.output):
        if e.startswith("."):   # the daemon's journal stays
            continue
        os.rename(os.path.join(d.output, e), os.path.join(archive, e))
    return {
        "tag": tag, "clients": len(clients), "files": len(seen),
        "latency_s": lat, "mtime_latency_s": mt,
        "wall_s": max(lat) if lat else None,
        "cpu_s": cpu_seconds(d.pid) - cpu0,
        "missing": sorted(want - set(seen)),
    }


def summary(rounds):
    lat = [x for r in rounds for x in r["latency_s"]]
    mt = [x for r in rounds for x in r["mtime_latency_s"]]
    walls = [r["wall_s"] for r in rounds if r["wall_s"] is not None]
    return {
        "rounds": len(rounds), "triggers": sum(r["clients"] for r in rounds),
        "files": sum(r["files"] for r in rounds),
        "p50_s": pct(lat, 50), "p90_s": pct(lat, 90), "p99_s": pct(lat, 99),
        "max_s": max(lat) if lat else float("nan"),
        "mtime_p50_s": pct(mt, 50), "mtime_p99_s": pct(mt, 99),
        "wall_median_s": statistics.median(walls) if walls else float("nan"),
        "wall_max_s": max(walls) if walls else float("nan"),
        "cpu_per_burst_s": statistics.median([r["cpu_s"] for r in rounds]),
    }


def line3_sizes(paths):
    """(raw, compressed) bytes of each file's line 3, as the cache keeps
    it (sched.c: zlib at its best level)."""
    out = []
    for p in paths:
        with open(p, "rb") as f:
            lines = f.read().split(b"\n")
        if len(lines) >= 3:
            out.append((len(lines[2]), len(zlib.compress(lines[2], 9))))
    return out


def run_daemon(L, t, wd, srv, name, args):
    d = daemon.Daemon(L, t.src, wd, ["--eventsocket", srv.path] + args,
                      name=name, control=False, eventserver=srv)
    d.start()
    time.sleep(0.2)
    rss0 = kb(proc_status(d.pid), "VmRSS")
    return d, rss0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hoplited")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3,
                    help="bursts per family in the fresh scenario (3)")
    ap.add_argument("--poll-ms", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="seconds a burst may take at most (60)")
    ap.add_argument("--json", help="write every burst in detail here")
    ap.add_argument("--mode", choices=("paris", "mda"), default="paris",
                    help="paris: the burst scenarios; mda: MDA on the "
                    "MDA lab topologies")
    ap.add_argument("--mda-clients", type=int, default=4,
                    help="--mode mda: clients per family per round (4)")
    ap.add_argument("--topologies", default="diamond,fan4n,nested24,"
                    "meshed,silent,blackhole",
                    help="--mode mda: mdalab topologies")
    ap.add_argument("extra", nargs="*",
                    help="extra hoplited options (after --)")
    args = ap.parse_args()

    lab.require_lab()
    hd = find_hoplited(args.hoplited)
    if hd is None:
        lab.skip("hoplited not found (--hoplited, HOPLITED or HOPLITE)")
    os.environ["HOPLITED"] = hd
    if not 1 <= args.clients <= 1000:
        ap.error("--clients must be 1-1000")

    if args.mode == "mda":
        return bench_mda(args, hd)
    wd = daemon.Workdir("bench")
    results = {"hoplited": hd, "kernel": platform.release(),
               "cpus": os.cpu_count(), "clients": args.clients,
               "extra": args.extra, "scenarios": {}}
    ok = True
    with lab.Lab("bd") as L:
        t = lab.build_line(L, finalize=False)
        lo4, lo6 = L.add_lo_addrs(t.dst, args.clients)
        L.finalize()
        srv = TcpInfoServer(wd.path("tcpinfo.sock")).start()
        poll = args.poll_ms / 1000.0

        # fresh: every burst traces every client
        d, rss0 = run_daemon(L, t, wd, srv, "fresh",
                             ["--cache-window", "0"] + args.extra)
        rounds = []
        for fam, server, clients in ((4, t.src4, lo4), (6, t.src6, lo6)):
            for r in range(args.rounds):
                b = burst(d, srv, server, clients, "f%d-%d" % (fam, r),
                          poll, args.timeout)
                b["family"] = fam
                rounds.append(b)
                ok &= not b["missing"]
                lab.log("  fresh v%d round %d: %d/%d files, p50 %.3f s, "
                        "p99 %.3f s, wall %.3f s, cpu %.2f s" % (
                            fam, r + 1, b["files"], b["clients"],
                            pct(b["latency_s"], 50), pct(b["latency_s"], 99),
                            b["wall_s"] or float("nan"), b["cpu_s"]))
        m = d.scrape()
        st = proc_status(d.pid)
        fresh = {"summary": summary(rounds), "rounds": rounds,
                 "vmrss_start_kb": rss0, "vmhwm_kb": kb(st, "VmHWM"),
                 "vmrss_end_kb": kb(st, "VmRSS"),
                 "probes_sent": m.v("hoplite_engine_total",
                                    counter="probes_sent"),
                 "traces": m.v("traces_performed_total")}
        for fam in (4, 6):
            fs = summary([r for r in rounds if r["family"] == fam])
            fresh["summary_v%d" % fam] = fs
        # every trace COMPLETED at 4 hops?
        stops = {}
        arch = wd.path("archive")
        paths = [p for tagdir in os.listdir(arch) if tagdir.startswith("f")
                 for p in daemon.jsonl_files(os.path.join(arch,
                                                          tagdir)).values()]
        for p in paths:
            tr = daemon.trace_of(p)
            k = (tr.get("stop_reason"), tr.get("hop_count"))
            stops[str(k)] = stops.get(str(k), 0) + 1
        fresh["stop_reasons"] = stops
        rc = d.stop(timeout=20)
        fresh["exit"] = rc
        results["scenarios"]["fresh"] = fresh

        # cached: a traced burst, then the same clients under new UUIDs
        d, rss0 = run_daemon(L, t, wd, srv, "cached", list(args.extra))
        first = burst(d, srv, t.src4, lo4, "c-trace", poll, args.timeout)
        time.sleep(0.2)
        rss1 = kb(proc_status(d.pid), "VmRSS")
        second = burst(d, srv, t.src4, lo4, "c-copy", poll, args.timeout)
        ok &= not first["missing"] and not second["missing"]
        st = proc_status(d.pid)
        m = d.scrape()
        sizes = line3_sizes(daemon.jsonl_files(
            wd.path("archive", "c-trace")).values())
        cached = {"traced": summary([first]), "copies": summary([second]),
                  "rounds": [first, second], "vmhwm_kb": kb(st, "VmHWM"),
                  "rss_before_kb": rss0, "rss_after_first_kb": rss1,
                  "rss_per_client_b": (rss1 - rss0) * 1024.0 / args.clients,
                  "line3_bytes_median": statistics.median(
                      [a for a, _ in sizes]) if sizes else None,
                  "line3_zlib_bytes_median": statistics.median(
                      [b for _, b in sizes]) if sizes else None,
                  "cache_hits": m.v("hoplite_cache_hits_total")}
        d.stop(timeout=20)
        results["scenarios"]["cached"] = cached
        srv.stop()

    def ms(x):
        return "%.0f" % (x * 1000) if x == x else "-"

    f = results["scenarios"]["fresh"]
    c = results["scenarios"]["cached"]
    print()
    print("hoplited %s, kernel %s, %d CPUs, %d clients per burst" % (
        hd, results["kernel"], results["cpus"], args.clients))
    print("%-26s %7s %7s %7s %7s %8s %9s %8s" % (
        "scenario", "p50 ms", "p90 ms", "p99 ms", "max ms", "wall ms",
        "mtime p50", "files"))
    rows = [("fresh v4 (%d bursts)" % args.rounds, f["summary_v4"]),
            ("fresh v6 (%d bursts)" % args.rounds, f["summary_v6"]),
            ("fresh all", f["summary"]),
            ("cache on, first burst", c["traced"]),
            ("cache on, repeat burst", c["copies"])]
    for name, s in rows:
        print("%-26s %7s %7s %7s %7s %8s %9s %4d/%-4d" % (
            name, ms(s["p50_s"]), ms(s["p90_s"]), ms(s["p99_s"]),
            ms(s["max_s"]), ms(s["wall_median_s"]), ms(s["mtime_p50_s"]),
            s["files"], s["triggers"]))
    print("memory: VmRSS at start %d kB, VmHWM after %d bursts %d kB "
          "(cache scenario: %d kB)" % (f["vmrss_start_kb"], 2 * args.rounds,
                                       f["vmhwm_kb"], c["vmhwm_kb"]))
    print("cache: VmRSS %d kB before the first burst, %d kB after: %.0f "
          "bytes per cached client; line 3 median %s bytes, %s compressed" % (
              c["rss_before_kb"], c["rss_after_first_kb"],
              c["rss_per_client_b"], c["line3_bytes_median"],
              c["line3_zlib_bytes_median"]))
    print("cpu per burst (median): %.2f s; probes sent: %d for %d traces; "
          "stop reasons: %s; exit %r" % (
              f["summary"]["cpu_per_burst_s"], f["probes_sent"], f["traces"],
              f["stop_reasons"], f["exit"]))
    if args.json:
        with open(args.json, "w") as fp:
            json.dump(results, fp, indent=1, default=str)
    if not ok:
        print("FAIL: some triggers produced no file")
    return 0 if ok else 1


def bench_mda(args, hd):
    """MDA on the MDA lab topologies with M-Lab's settings."""
    wd = daemon.Workdir("benchmda")
    results = {"hoplited": hd, "kernel": platform.release(),
               "cpus": os.cpu_count(), "mode": "mda", "extra": args.extra,
               "topologies": {}}
    ok = True
    allt = []
    for name in args.topologies.split(","):
        with lab.Lab("bm" + name[:2]) as L:
            t = mdalab.build(L, mdalab.SPECS[name](),
                             lo_addrs=args.mda_clients - 1)
            d = daemon.Daemon(L, t.src, wd, ["--cache-window", "0"] +
                              list(args.extra), name="m-" + name,
                              mode=None).start()
            rows = []
            try:
                for r in range(args.rounds):
                    clients = [t.dst4] + t.lo4 + [t.dst6] + t.lo6
                    t0, uuids = {}, []
                    with d.control() as c:
                        for i, ip in enumerate(clients):
                            u = "%s-%d-%d" % (name, r, i)
                            t0[u] = time.monotonic()
                            c.request({"uuid": u, "ip": ip})
                            uuids.append((u, ip))
                    seen = {}
                    deadline = time.monotonic() + args.timeout
                    while len(seen) < len(uuids) and \
                            time.monotonic() < deadline:
                        files = d.jsonl()
                        now = time.monotonic()
                        for u, _ in uuids:
                            if u in files and u not in seen:
                                seen[u] = (now - t0[u], files[u])
                        time.sleep(0.05)
                    for u, ip in uuids:
                        if u not in seen:
                            ok = False
                            continue
                        secs, path = seen[u]
                        tr = daemon.trace_of(path)
                        lb = mdalab.Tracelb(tr)
                        truth = t.truth[daemon.family(ip)]
                        if ip not in (t.dst4, t.dst6):
                            truth = None  # lo addresses: same paths
                        raw, z = line3_sizes([path])[0]
                        rows.append({"uuid": u, "family": daemon.family(ip),
                                     "seconds": secs,
                                     "probec": tr.get("probec"),
                                     "stop": tr.get("stop_reason"),
                                     "links": len(lb.links),
                                     "true_links": len(t.truth[
                                         daemon.family(ip)]),
                                     "all_true_found": truth is None or
                                     truth <= lb.links,
                                     "line3_bytes": raw, "line3_zlib": z})
            finally:
                d.stop(timeout=20)
            secs = [x["seconds"] for x in rows]
            allt += secs
            results["topologies"][name] = {
                "rows": rows, "p50_s": pct(secs, 50), "p99_s": pct(secs, 99),
                "max_s": max(secs) if secs else None,
                "probec_median": statistics.median(
                    [x["probec"] for x in rows]) if rows else None,
                "zlib_median": statistics.median(
                    [x["line3_zlib"] for x in rows]) if rows else None,
                "raw_median": statistics.median(
                    [x["line3_bytes"] for x in rows]) if rows else None}
            lab.log("  %s: %d measurements, p50 %.2f s, p99 %.2f s" % (
                name, len(rows), pct(secs, 50), pct(secs, 99)))
    print()
    print("hoplited %s --mode mda (icmp-echo, -q 3, --probe-gap 150), "
          "kernel %s, %d CPUs" % (hd, results["kernel"], results["cpus"]))
    print("%-10s %5s %7s %7s %7s %8s %9s %10s %10s" % (
        "topology", "runs", "p50 s", "p99 s", "max s", "probes", "links",
        "line3 B", "zlib B"))
    for name, r in results["topologies"].items():
        rows = r["rows"]
        found = sum(1 for x in rows if x["all_true_found"])
        print("%-10s %5d %7.2f %7.2f %7.2f %8s %4s/%-4s %10s %10s" % (
            name, len(rows), r["p50_s"], r["p99_s"], r["max_s"] or 0,
            r["probec_median"], found, len(rows), r["raw_median"],
            r["zlib_median"]))
    print("all topologies: %d measurements, p50 %.2f s, p99 %.2f s, "
          "max %.2f s" % (len(allt), pct(allt, 50), pct(allt, 99),
                          max(allt) if allt else float("nan")))
    if args.json:
        with open(args.json, "w") as fp:
            json.dump(results, fp, indent=1, default=str)
    if not ok:
        print("FAIL: some requests produced no file")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
