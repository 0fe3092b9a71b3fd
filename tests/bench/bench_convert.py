#!/usr/bin/env python3
"""Benchmark: hoplite-convert's throughput, measured side by side in one
run against Python's standard json module doing the same extraction
(tests/bench/py_extract.py), across threads (-j 1, -j 2), and per input
format: M-Lab JSON (a generated corpus of 4-line files, scamper2 trace and
scamper1 tracelb), RIPE Atlas results and CAIDA warts (the real samples
of tests/convert/data, repeated), warts read directly against
`sc_warts2json | hoplite-convert -`.  Every figure comes with the peak
RSS of the process; M-Lab's -j 1 and -j 2 with their CPU seconds (runs
taking turns, so both meet the same load: a -j 2 run whose CPU seconds
are its wall time had one core).  jq (--jq) can be timed too.

It is a benchmark, not a test: `make check` does not run it.  The corpora
are written under /tmp and removed afterwards.  Results and how to read
them: docs/convert-benchmark.md.

  tests/bench/bench_convert.py [--hc PATH] [--bytes N] [--files N]
                               [--runs N] [--jq] [--md FILE]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(TOP, "tests", "convert", "data")
sys.path.insert(0, os.path.join(HERE, "..", "convert"))
import gen  # noqa: E402

PY = os.path.join(HERE, "py_extract.py")


CPU = {}


def measure(cmd, out, stdin=None, shell=False):
    """Seconds of cmd (its children included for a pipeline); stdout into
    the file out.  CPU[out]: the CPU seconds (user + system) of the
    fastest run so far."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(out, "wb") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.PIPE,
                             stdin=stdin, shell=shell)
        _, err = p.communicate()
    dt = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit("%s: exit %d\n%s" % (cmd, p.returncode, err.decode()[-2000:]))
    if out not in CPU or dt < CPU[out][0]:
        CPU[out] = (dt, r1.ru_utime - r0.ru_utime + r1.ru_stime -
                    r0.ru_stime)
    return dt


def best_j(n, cmds):
    """{j: fastest seconds} for cmds ({j: (cmd, out)}), the runs of each
    -j taking turns, so that -j 1 and -j 2 meet the same load."""
    res = {}
    for _ in range(n):
        for j, (cmd, out) in cmds.items():
            res[j] = min(res.get(j, 1e9), measure(cmd, out))
    return res


def rss_of(cmd):
    """Peak RSS (kB) of one run, from GNU time."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return int(p.stderr.decode().strip().splitlines()[-1])


def best(n, fn):
    """The fastest of n runs (the machine is shared: the others are
    noise from elsewhere)."""
    return min(fn() for _ in range(n))


def find_hc(arg):
    for c in [arg, os.environ.get("top_builddir") and
              os.path.join(os.environ["top_builddir"],
                           "tools/convert/hoplite-convert"),
              os.path.join(TOP, "tools/convert/hoplite-convert"),
              shutil.which("hoplite-convert")]:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("hoplite-convert not found (--hc PATH)")


def lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def repeat_lines(src, dst_dir, files, nbytes):
    """Atlas: the sample results again and again, up to nbytes."""
    data = open(src, "rb").read()
    os.makedirs(dst_dir)
    per = max(1, nbytes // files // len(data))
    out = []
    for i in range(files):
        p = os.path.join(dst_dir, "atlas-%d.jsonl" % i)
        with open(p, "wb") as f:
            for _ in range(per):
                f.write(data)
        out.append(p)
    return out, per * files * data.count(b"\n")


def make_warts(tmp, files, nbytes):
    """warts: tests/bench/warts_repeat.c (libscamperfile) writes the
    samples' traces again and again."""
    exe = os.path.join(tmp, "warts_repeat")
    subprocess.run(["cc", "-O2", "-o", exe,
                    os.path.join(HERE, "warts_repeat.c"), "-lscamperfile"],
                   check=True)
    samples = [os.path.join(DATA, "warts", f) for f in
               ("lab.warts", "silent.warts")]
    one = os.path.join(tmp, "probe.warts")
    subprocess.run([exe, one, "1"] + samples, check=True,
                   stdout=subprocess.DEVNULL)
    count = max(1, nbytes // files // os.path.getsize(one))
    out, n = [], 0
    for i in range(files):
        p = os.path.join(tmp, "ark-%d.warts" % i)
        n += int(subprocess.run([exe, p, str(count)] + samples, check=True,
                                stdout=subprocess.PIPE).stdout)
        out.append(p)
    return out, n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hc")
    ap.add_argument("--bytes", type=int, default=240 * 1000 * 1000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--jq", action="store_true")
    ap.add_argument("--md")
    a = ap.parse_args()
    hc = find_hc(a.hc)
    tmp = tempfile.mkdtemp(prefix="hc-bench-", dir="/tmp")
    res = []

    def row(fmt, task, tool, dt, size, recs, rss, note=""):
        res.append((fmt, task, tool, dt, size / 1e6 / dt, recs / dt,
                    rss / 1024, note))
        print("%-6s %-6s %-38s %6.2f s %7.1f MB/s %9.0f rec/s %6.0f MB %s"
              % res[-1], flush=True)
        return size / 1e6 / dt

    o = lambda n: os.path.join(tmp, n)  # noqa: E731
    try:
        # --- M-Lab JSON
        corpus = o("mlab")
        ntr = gen.write_bytes(corpus, a.files, a.bytes)
        files = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
        size = sum(os.path.getsize(f) for f in files)
        print("M-Lab corpus: %d traces, %.0f MB in %d files" %
              (ntr, size / 1e6, len(files)), flush=True)
        for f in files:  # into the page cache
            with open(f, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        rate = {}
        for task in ("links", "hops"):
            cmds = {j: ([hc, "-q", "-j", j, "-f", task] + files,
                        o("hc%s.%s" % (j, task))) for j in ("1", "2")}
            dts = best_j(a.runs, cmds)
            for j in ("1", "2"):
                out = cmds[j][1]
                rate[task, j] = row("mlab", task, "hoplite-convert -j " + j,
                                    dts[j], size, ntr, rss_of(cmds[j][0]),
                                    "CPU %.2f s" % CPU[out][1])
            same = open(o("hc1." + task), "rb").read() == \
                open(o("hc2." + task), "rb").read()
            print("  -j 2 output identical to -j 1: %s" % same)
            if not same:
                sys.exit("-j 2 differs from -j 1")
            cmd = [sys.executable, PY, task] + files
            dt = best(a.runs, lambda: measure(cmd, o("py." + task)))
            rate[task, "py"] = row("mlab", task, "python3 json (py_extract)",
                                   dt, size, ntr, rss_of(cmd))
            if task == "links":
                hl = {tuple(r.split(",")[:4]) for r in
                      open(o("hc1.links")).read().splitlines()[1:]}
                pl = {tuple(r.split(",")) for r in
                      open(o("py.links")).read().splitlines()}
                print("  links: hoplite-convert %d, python %d, identical "
                      "(near, far, gap, traces): %s" % (len(hl), len(pl),
                                                        hl == pl))
            else:
                nlb = sum(open(f, "rb").read().count(b'"type":"tracelb"')
                          for f in files)
                nh, npy = lines(o("hc1.hops")) - 1, lines(o("py.hops"))
                print("  hops rows: hoplite-convert %d = python %d + %d MDA "
                      "first nodes: %s" % (nh, npy, nlb, nh == npy + nlb))
            print("  -j 1 vs python: %.1fx; -j 2 vs -j 1: %.2fx" %
                  (rate[task, "1"] / rate[task, "py"],
                   rate[task, "2"] / rate[task, "1"]), flush=True)
        # one large file: -j shares it in chunks
        one = o("one.jsonl")
        with open(one, "wb") as g:
            for f in files:
                with open(f, "rb") as fh:
                    shutil.copyfileobj(fh, g)
        cmds = {j: ([hc, "-q", "-j", j, "-f", "links", one],
                    o("one%s.links" % j)) for j in ("1", "2")}
        dts = best_j(a.runs, cmds)
        for j in ("1", "2"):
            rate["one", j] = row("mlab", "links", "one file, hoplite-convert "
                                 "-j " + j, dts[j], size, ntr,
                                 rss_of(cmds[j][0]),
                                 "CPU %.2f s" % CPU[cmds[j][1]][1])
        print("  one file: -j 2 vs -j 1: %.2fx, identical: %s" % (
            rate["one", "2"] / rate["one", "1"],
            open(o("one1.links"), "rb").read() ==
            open(o("one2.links"), "rb").read()), flush=True)
        os.unlink(one)
        if a.jq and shutil.which("jq"):
            sys.path.insert(0, HERE)
            cmd = ["jq", "-c", "select(.type == \"trace\") | .dst"] + files
            dt = measure(cmd, o("jq.out"))
            row("mlab", "dst", "jq (one field of each trace)", dt, size,
                ntr, rss_of(cmd))

        # --- RIPE Atlas
        at, nat = repeat_lines(os.path.join(DATA, "ripe-atlas",
                                            "traceroute-samples.jsonl"),
                               o("atlas"), 2, a.bytes // 6)
        asize = sum(os.path.getsize(f) for f in at)
        for j in ("1", "2"):
            cmd = [hc, "-q", "-j", j, "-f", "hops"] + at
            dt = best(a.runs, lambda: measure(cmd, o("at%s.hops" % j)))
            row("atlas", "hops", "hoplite-convert -j " + j, dt, asize, nat,
                rss_of(cmd))

        # --- warts: direct, and through sc_warts2json
        wf, nw = make_warts(tmp, 2, a.bytes // 6)
        wsize = sum(os.path.getsize(f) for f in wf)
        for j in ("1", "2"):
            cmd = [hc, "-q", "-j", j, "-f", "hops"] + wf
            dt = best(a.runs, lambda: measure(cmd, o("w%s.hops" % j)))
            wd = row("warts", "hops", "hoplite-convert -j " + j, dt, wsize,
                     nw, rss_of(cmd))
            if j == "1":
                direct = wd
        pipe = "sc_warts2json %s | %s -q -j 1 -f hops -" % (
            " ".join(wf), hc)
        dt = best(a.runs, lambda: measure(pipe, o("wp.hops"), shell=True))
        wp = row("warts", "hops", "sc_warts2json \\| hoplite-convert -", dt,
                 wsize, nw, rss_of(["sh", "-c", pipe]),
                 "RSS: the larger process")
        rows_d = lines(o("w1.hops")) - 1
        print("  warts direct %.1fx the pipe; rows %d, pipe rows %d" %
              (direct / wp, rows_d, lines(o("wp.hops")) - 1))
        if a.md:
            with open(a.md, "w") as f:
                f.write("| input | task | tool | seconds | MB/s | records/s "
                        "| peak RSS MB | |\n"
                        "|---|---|---|---:|---:|---:|---:|---|\n")
                for r in res:
                    f.write("| %s | %s | %s | %.2f | %.1f | %.0f | %.0f | %s "
                            "|\n" % r)
    finally:
        shutil.rmtree(tmp, True)


if __name__ == "__main__":
    main()
