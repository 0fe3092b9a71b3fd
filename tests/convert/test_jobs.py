#!/usr/bin/env python3
"""-j N: the output of N threads is the output of one, byte for byte:
every format, the problem report and the exit status, on the whole test
corpus (each file alone, every file at once, the data directory, the fuzz
corpus), and on a generated corpus of several files."""
import os
import re
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
# rows past the memory a worker keeps (PAR_MEM, here 1 byte) before its
# turn: it waits, then writes as it reads
rc, one, err = run(["-j", "1", "-f", "hops", g, g, g])
os.environ["HOPLITE_CONVERT_PAR_MEM"] = "1"
rc2, four, err2 = run(["-j", "4", "-f", "hops", g, g, g])
compare(conv.HC + " -j 1", conv.HC + " -j 3")
del os.environ["HOPLITE_CONVERT_PAR_MEM"]
eq((rc2, four, err2), (rc, one, err), "hops, -j 4 vs -j 1")
# --strict: the first problem stops the run (--strict reads with one
# thread, whatever -j says): what -j 1 writes, and nothing after.  A bad
# line in the fourth of eight files, and a file after it with its own
# problem that must not be reported.
gs = os.path.join(T, "strict")
os.mkdir(gs)
names = sorted(os.listdir(g))
for i, name in enumerate(names):
    text = conv.read(os.path.join(g, name))
    if i == 3:
        lines = text.split("\n")
        lines.insert(len(lines) // 2, "{not json")
        text = "\n".join(lines)
    with open(os.path.join(gs, name), "w") as f:
        f.write(text)
with open(os.path.join(gs, "zz-late.jsonl"), "w") as f:
    f.write('{"type":"unknown"}\n')


def strict(j):
    rc, out, err = run(["-j", j, "--strict", "-v", "-f", "hops", gs])
    return rc, out, re.sub(r"peak memory \d+ kB", "", err)


one = strict("1")
ok(one[0] == 1 and "invalid-json" in one[2] and "zz-late" not in one[2] and
   one[1].count("\n") > 100 and "part-004" not in one[2],
   "--strict -j 1: stops at the bad line, rows before it out:\n" +
   one[2][-500:])
for env in ({}, {"HOPLITE_CONVERT_PAR_MEM": "1"}):
    os.environ.update(env)
    for j in ("2", "3"):
        got = strict(j)
        ok(got == one, "--strict -j %s %s vs -j 1: exit %d/%d, %d/%d "
           "bytes out, stderr:\n%s" % (j, env, got[0], one[0],
                                       len(got[1]), len(one[1]),
                                       got[2][-500:]))
    for k in env:
        del os.environ[k]

# one large file in chunks (here of 50 kB), each from an M-Lab metadata
# line: well-formed, and broken where chunks meet (a cycle-stop or a
# cycle-start missing, a cut metadata line), so that a chunk must be read
# again from the state the chunk before it left
big = os.path.join(T, "big.jsonl")
broken = os.path.join(T, "broken.jsonl")
with open(big, "w") as f:
    for name in sorted(os.listdir(g)):
        f.write(conv.read(os.path.join(g, name)))
out, stops, starts = [], 0, 0
for i, line in enumerate(conv.read(big).split("\n")):
    if line.startswith('{"type":"cycle-stop"'):
        stops += 1
        if stops % 23 == 0:
            continue
    if line.startswith('{"type":"cycle-start"'):
        starts += 1
        if starts % 31 == 0:
            continue
    if line.startswith('{"UUID"') and i % 401 == 0:
        line = line[:30]
    out.append(line)
with open(broken, "w") as f:
    f.write("\n".join(out))
os.environ["HOPLITE_CONVERT_PAR_SPLIT"] = "50000"
compare(conv.HC + " -j 1", conv.HC + " -j 3", [big, broken])
rc, out, err = run(["-j", "2", "-v", "-f", "paths", broken])
ok("metadata before the previous file ended" in err and
   "trace without cycle-start" in err, "broken.jsonl has its problems")
# a chunk's problems carry the file's line numbers, known only at its
# turn: every problem as -j 1 prints it (-v), also when a chunk gets its
# turn while it is read (PAR_MEM 1 byte: it then reports at once)
def problems(j):
    rc, out, err = run(["-j", j, "-v", "-f", "hops", broken])
    return rc, len(out), re.sub(r"peak memory \d+ kB", "", err)


one = problems("1")
ok(re.search(r"broken\.jsonl:[0-9]{4,}: ", one[2]) is not None,
   "-j 1 numbers the problems of broken.jsonl:\n" + one[2][-300:])
for env in ({}, {"HOPLITE_CONVERT_PAR_MEM": "1"}):
    os.environ.update(env)
    for j in ("2", "3"):
        got = problems(j)
        ok(got == one, "-v -j %s %s: the problems and their lines:\n%s" % (
            j, env, "\n".join(x for x in got[2].splitlines()
                              if x not in one[2].splitlines())[:1000]))
    for k in env:
        del os.environ[k]
del os.environ["HOPLITE_CONVERT_PAR_SPLIT"]
ok(os.path.getsize(big) > 2 * 50000, "big.jsonl is split")

# -j takes 1 to 256
eq(run(["-j", "0", "-f", "paths", g])[0], 2, "-j 0 is refused")

if conv.failures:
    print("%d failed checks" % len(conv.failures))
    sys.exit(1)
print("test_jobs: all checks passed")
