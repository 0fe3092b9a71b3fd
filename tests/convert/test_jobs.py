#!/usr/bin/env python3
"""-j N: the output of N threads is the output of one, byte for byte:
every format, the problem report and the exit status, on the whole test
corpus (each file alone, every file at once, the data directory, the fuzz
corpus), and on a generated corpus of several files."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv  # noqa: E402
from conv import eq, ok, run  # noqa: E402

conv.need_data()
T = conv.tmpdir()
HERE = os.path.dirname(os.path.abspath(__file__))
CMP = os.path.join(HERE, "compare.py")


def compare(a, b, paths=()):
    p = subprocess.run([sys.executable, CMP, a, b] + list(paths),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode("utf-8", "replace")
    eq(p.returncode, 0, "%s vs %s on %s:\n%s" % (
        a, b, " ".join(paths) or "the test corpus", out[-2000:]))
    ok(" 0 differ" in out, "compare ran: " + out[-200:])


compare(conv.HC + " -j 1", conv.HC + " -j 3")
# a generated corpus: more files than threads, M-Lab 4-line groups
g = os.path.join(T, "gen")
subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), g, "7",
                "400", "11"], check=True, stdout=subprocess.DEVNULL)
compare(conv.HC + " -j 1", conv.HC + " -j 2", [g] + [
    os.path.join(g, f) for f in sorted(os.listdir(g))])
# rows past the memory a worker keeps (PAR_MEM, here 4 kB) before its
# turn: it waits, then writes as it reads
rc, one, err = run(["-j", "1", "-f", "hops", g, g, g])
os.environ["HOPLITE_CONVERT_PAR_MEM"] = "4096"
rc2, four, err2 = run(["-j", "4", "-f", "hops", g, g, g])
compare(conv.HC + " -j 1", conv.HC + " -j 3")
del os.environ["HOPLITE_CONVERT_PAR_MEM"]
eq((rc2, four, err2), (rc, one, err), "hops, -j 4 vs -j 1")
# -j takes 1 to 256
eq(run(["-j", "0", "-f", "paths", g])[0], 2, "-j 0 is refused")

if conv.failures:
    print("%d failed checks" % len(conv.failures))
    sys.exit(1)
print("test_jobs: all checks passed")
