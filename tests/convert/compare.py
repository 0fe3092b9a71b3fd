#!/usr/bin/env python3
"""compare: two hoplite-convert binaries on the same inputs, every format
and the problem report; prints each difference, exits 1 when there is one.
Not run by make check: the proof that a change to the input side (the
simdjson reader, -j) leaves every output as it was.

  compare.py OLD NEW [PATH ...]

OLD and NEW are commands ("hoplite-convert -j 1").  PATHs default to the
test corpus (tests/convert/data, each file alone and all together, every
file named at once, and the fuzz corpus tests/fuzz/corpus_convert, each
file alone and as one directory).  The summary's peak-memory figure is
left out of the comparison.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FORMATS = ["hops", "paths", "ndjson", "links", "nodes", "dsts", "itdk",
           "graphml", "dot", "aslinks"]
PFX = os.path.join(TOP, "tests", "convert", "data", "pfx2as.txt")


def run(hc, args, out):
    p = subprocess.run(shlex.split(hc) + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    err = re.sub(rb"peak memory \d+ kB", b"peak memory N kB", p.stderr)
    # libscamperfile's own line for a warts record it refuses: printed by
    # the library as it reads (with -j, when the worker reads), not part
    # of hoplite-convert's report (which counts it as bad-warts, in order)
    err = re.sub(rb"(?m)^off 0x[0-9a-f]+ magic 0x[0-9a-f]{4} type 0x[0-9a-f]{4} "
                 rb"len 0x[0-9a-f]{8}\n", b"", err)
    files = []
    for f in sorted(os.listdir(out)):
        with open(os.path.join(out, f), "rb") as g:
            files.append((f, g.read()))
        os.unlink(os.path.join(out, f))
    return p.returncode, p.stdout, err, files


def inputs():
    data = os.path.join(TOP, "tests", "convert", "data")
    every = []
    for d, _, fs in sorted(os.walk(data)):
        for f in sorted(fs):
            every.append(os.path.join(d, f))
    yield [data]
    yield every
    for f in every:
        yield [f]
    fz = os.path.join(TOP, "tests", "fuzz", "corpus_convert")
    yield [fz]
    for f in sorted(os.listdir(fz)):
        yield [os.path.join(fz, f)]


def main():
    old, new = sys.argv[1], sys.argv[2]
    sets = ([sys.argv[3:]] + [[p] for p in sys.argv[3:]]
            if len(sys.argv) > 4 else [[p] for p in sys.argv[3:]]) or \
        list(inputs())
    tmp = tempfile.mkdtemp(prefix="hc-compare-")
    diffs = runs = 0
    for paths in sets:
        args = ["-v", "--progress", "1000", "--pfx2as", PFX]
        for f in FORMATS:
            args += ["-f", f, "-o", os.path.join(tmp, f)]
        a = run(old, args + paths, tmp)
        b = run(new, args + paths, tmp)
        runs += 1
        if a != b:
            diffs += 1
            what = [k for k, x, y in zip(("exit", "stdout", "stderr",
                                          "outputs"), a, b) if x != y]
            print("DIFF %s: %s" % (" ".join(paths), ", ".join(what)))
            if a[2] != b[2]:
                print("  old: %r\n  new: %r" % (a[2][-300:], b[2][-300:]))
    os.rmdir(tmp)
    print("%d input sets, %d formats each: %d differ" %
          (runs, len(FORMATS), diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
