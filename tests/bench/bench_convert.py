#!/usr/bin/env python3
"""Benchmark: hoplite-convert against a jq pipeline doing the same
extraction, on a generated corpus of M-Lab 4-line files (scamper2 trace
and scamper1 tracelb, about 30% MDA) of at least 1 GB.

It is a benchmark, not a test: `make check` does not run it.  The corpus is
written under /tmp and removed afterwards.  Results: docs/convert-benchmark.md.

  tests/bench/bench_convert.py [--hc PATH] [--bytes N] [--files N]
                               [--jq-files N] [--md FILE]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "convert"))
import gen  # noqa: E402

# Rows of `hops`: every reply of trace and tracelb objects, with the UUID
# of the M-Lab file (the metadata line two lines above the trace).
JQ_HOPS = r'''
foreach inputs as $o ({u: ""};
  if ($o | has("UUID")) then {u: $o.UUID} else {u: .u, o: $o} end;
  if (.o.type // "") == "trace" then
    .u as $u | .o as $t | $t.hops[]? |
    [$u, $t.src, $t.dst, $t.method, $t.start.sec, .probe_ttl, .probe_id,
     .addr, .rtt, .reply_ttl, .icmp_type, .icmp_code] | @csv
  elif (.o.type // "") == "tracelb" then
    .u as $u | .o as $t | $t.nodes[]?.links[]?[]? | .addr as $a |
    .probes[]? | . as $p | .replies[]? |
    [$u, $t.src, $t.dst, $t.method, $t.start.sec, $p.flowid, $p.ttl,
     $p.attempt + 1, $a, .rtt, .ttl, .icmp_type, .icmp_code] | @csv
  else empty end)
'''

# `links` (near, far, gap, traces): per-flow paths (MDA flows rebuilt from
# their probes, the first node at the first hop of every flow), links
# between consecutive answered TTLs, counted once per trace.
JQ_LINKS = r'''
def usable: . != "*" and . != "";
def flows:
  if .type == "trace" then
    [[.hops[]? | select(.addr | usable) | [.probe_ttl, .addr]] | unique]
  else
    (.firsthop // 1) as $fh | (.nodes[0].addr // "*") as $first |
    [.nodes[]?.links[]?[]? | .addr as $a | .probes[]? |
     select((.replies // []) | length > 0) | [.flowid, .ttl, $a]] |
    group_by(.[0]) |
    map((if $first | usable then [[$fh, $first]] else [] end) +
        map(select(.[2] | usable) | [.[1], .[2]]) | unique)
  end;
def links: . as $f | range(1; length) | [$f[. - 1], $f[.]] |
  select(.[0][1] != .[1][1]) |
  "\(.[0][1]),\(.[1][1]),\(.[1][0] - .[0][0] - 1)";
reduce (inputs | select(.type == "trace" or .type == "tracelb") |
        [flows[] | links] | unique[]) as $k ({}; .[$k] += 1) |
to_entries[] | "\(.key),\(.value)"
'''


def timed(cmd, out):
    t0 = time.monotonic()
    with open(out, "wb") as f:
        p = subprocess.run(cmd, stdout=f, stderr=subprocess.PIPE)
    dt = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit("%s: exit %d\n%s" % (cmd[0], p.returncode,
                                      p.stderr.decode()[-2000:]))
    return dt


def lines(path):
    n = 0
    with open(path, "rb") as f:
        for _ in f:
            n += 1
    return n


def find_hc(arg):
    top = os.path.normpath(os.path.join(HERE, "..", ".."))
    for c in [arg, os.environ.get("top_builddir") and
              os.path.join(os.environ["top_builddir"],
                           "tools/convert/hoplite-convert"),
              os.path.join(top, "tools/convert/hoplite-convert"),
              shutil.which("hoplite-convert")]:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("hoplite-convert not found (--hc PATH)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hc")
    ap.add_argument("--bytes", type=int, default=1100 * 1000 * 1000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--jq-files", type=int, default=2)
    ap.add_argument("--md")
    a = ap.parse_args()
    hc = find_hc(a.hc)
    if not shutil.which("jq"):
        sys.exit("jq not found")
    jqv = subprocess.run(["jq", "--version"], stdout=subprocess.PIPE,
                         text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="hc-bench-", dir="/tmp")
    try:
        corpus = os.path.join(tmp, "corpus")
        t0 = time.monotonic()
        ntraces = gen.write_bytes(corpus, a.files, a.bytes)
        files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
        size = sum(os.path.getsize(f) for f in files)
        print("corpus: %d traces, %.0f MB in %d files (%.0f s to make)" %
              (ntraces, size / 1e6, len(files), time.monotonic() - t0))
        for f in files:  # into the page cache
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        res = []

        def row(task, tool, dt, note=""):
            res.append((task, tool, dt, size / 1e6 / dt, ntraces / dt, note))
            print("%-8s %-34s %7.1f s %7.1f MB/s %8.0f traces/s %s" %
                  res[-1])

        o = lambda n: os.path.join(tmp, n)  # noqa: E731
        # hops
        dt = timed([hc, "-q", "-f", "hops"] + files, o("hc.hops"))
        row("hops", "hoplite-convert -f hops", dt)
        with open(o("hops.jq"), "w") as f:
            f.write(JQ_HOPS)
        dt2 = timed(["jq", "-nr", "-f", o("hops.jq")] + files, o("jq.hops"))
        row("hops", "jq (%s)" % jqv, dt2)
        nh, nj = lines(o("hc.hops")) - 1, lines(o("jq.hops"))
        nlb = sum(open(f, "rb").read().count(b'"type":"tracelb"')
                  for f in files)
        print("  rows: hoplite-convert %d = jq %d + %d MDA first nodes: %s"
              % (nh, nj, nlb, nh == nj + nlb))
        # links (jq's reduce is slow: it gets the first --jq-files files,
        # and hoplite-convert is timed on the same subset too)
        dt = timed([hc, "-q", "-f", "links"] + files, o("hc.links"))
        row("links", "hoplite-convert -f links", dt)
        sub = files[:a.jq_files]
        subsize = sum(os.path.getsize(f) for f in sub)
        subtraces = ntraces * subsize / size
        dt = timed([hc, "-q", "-f", "links"] + sub, o("hc.sublinks"))
        res.append(("links", "hoplite-convert -f links (subset)", dt,
                    subsize / 1e6 / dt, subtraces / dt,
                    "%.0f MB subset" % (subsize / 1e6)))
        print("%-8s %-34s %7.1f s %7.1f MB/s %8.0f traces/s %s" % res[-1])
        with open(o("links.jq"), "w") as f:
            f.write(JQ_LINKS)
        dt2 = timed(["jq", "-nr", "-f", o("links.jq")] + sub, o("jq.links"))
        res.append(("links", "jq (%s)" % jqv, dt2, subsize / 1e6 / dt2,
                    subtraces / dt2, "same subset; near,far,gap,traces only"))
        print("%-8s %-34s %7.1f s %7.1f MB/s %8.0f traces/s %s" % res[-1])
        hl = {tuple(r.split(",")[:4]) for r in
              open(o("hc.sublinks")).read().splitlines()[1:]}
        jl = {tuple(r.split(",")) for r in
              open(o("jq.links")).read().splitlines()}
        print("  links: hoplite-convert %d, jq %d, identical (near, far, "
              "gap, traces): %s" % (len(hl), len(jl), hl == jl))
        # every format in one pass
        dt = timed([hc, "-q", "-f", "hops", "-o", o("a.hops"), "-f",
                    "paths", "-o", o("a.paths"), "-f", "links", "-o",
                    o("a.links"), "--dsts", o("a.dsts"), "-f", "nodes",
                    "-o", o("a.nodes"), "-f", "graphml"] + files,
                   o("a.graphml"))
        row("all", "hoplite-convert, 6 outputs, 1 pass", dt)
        # two shards in parallel, then merge (the map/reduce way)
        t0 = time.monotonic()
        half = len(files) // 2
        procs = [subprocess.Popen([hc, "-q", "-f", "links", "-o",
                                   o("s%d.links" % i), "--dsts",
                                   o("s%d.dsts" % i)] + part)
                 for i, part in enumerate((files[:half], files[half:]))]
        if any(p.wait() != 0 for p in procs):
            sys.exit("shard failed")
        timed([hc, "merge", "-q", "-f", "links", o("s0.links"),
               o("s1.links"), o("s0.dsts"), o("s1.dsts")], o("m.links"))
        dt = time.monotonic() - t0
        same = open(o("m.links"), "rb").read() == \
            open(o("hc.links"), "rb").read()
        row("links", "hoplite-convert, 2 shards + merge", dt,
            "merged = one pass: %s" % same)
        if a.md:
            with open(a.md, "w") as f:
                f.write("| task | tool | seconds | MB/s | traces/s | |\n"
                        "|---|---|---:|---:|---:|---|\n")
                for r in res:
                    f.write("| %s | %s | %.1f | %.1f | %.0f | %s |\n" % r)
    finally:
        shutil.rmtree(tmp, True)


if __name__ == "__main__":
    main()
