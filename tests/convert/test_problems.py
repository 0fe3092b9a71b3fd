#!/usr/bin/env python3
"""Bad input: the invalid-* files and hand-made junk are counted per reason
with file and line, nothing crashes, the good records around them are still
converted; exit status 0 / 1 / 2; --strict stops at the first problem."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv  # noqa: E402
from conv import eq, ok, run, rows  # noqa: E402

conv.need_data()
T = conv.tmpdir()


def summary(err):
    """{reason: count} from the summary on stderr."""
    out = {}
    for line in err.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit() and line.startswith("  ") \
                and not line.startswith("    "):
            out[f[0]] = int(f[1])
    return out


# --- the invalid-* files: reason, place, and what is still converted
cases = [
    ("mlab-scamper1/invalid-cycle-stop-type.jsonl",
     {"bad-trace": 1, "unknown-type": 1}, ":3: tracelb without a dst", 0),
    ("mlab-scamper1/invalid-metadata-uuid.jsonl",
     {"bad-metadata": 1}, ":1: no UUID", 1),
    ("mlab-scamper1/invalid-num-lines.jsonl",
     {"mlab-structure": 1}, ":5: blank line", 1),
    ("mlab-scamper1/invalid-tracelb-links.jsonl",
     {"bad-node": 1}, ":3: 1 skipped; node 5: linkc 1 but no links", 6),
    ("mlab-scamper2/invalid-last-line.jsonl",
     {"unknown-type": 1}, ":5: unknown type \"cycle-extra\"", 1),
    ("mlab-scamper2/invalid-trace.jsonl",
     {"invalid-json": 1, "no-trace": 1}, ":3: column", 0),
]
for name, reasons, where, npaths in cases:
    path = os.path.join(conv.DATA, name)
    rc, out, err = run(["-f", "paths", path])
    eq(rc, 1, name + " exit status")
    eq(summary(err), reasons, name + " reasons")
    ok(path + where in err, name + " place: " + where + "\n" + err)
    eq(len(rows(out)), npaths, name + " paths still converted")

# invalid-tracelb-links: the other nodes' links are kept.
rc, out, err = run(["-f", "links", os.path.join(
    conv.S1, "invalid-tracelb-links.jsonl")])
eq(len(rows(out)), 5, "links of the five good nodes")
# invalid-last-line: the trace before the extra line is complete.
rc, out, err = run(["-f", "paths", os.path.join(
    conv.S2, "invalid-last-line.jsonl")])
eq(rows(out)[0]["path"], "192.168.144.1 * * * * * * * * * * * * "
   "91.189.88.142", "invalid-last-line trace converted")
eq(rows(out)[0]["uuid"], "0000000000", "with its UUID")

# all valid files: exit 0, no summary
rc, out, err = run(["-f", "hops", conv.S2 + "/valid-complex.jsonl",
                    conv.S1 + "/trc-valid.jsonl"], check=0)
eq(err, "", "nothing on stderr when all parsed")

# --- hand-made junk between good records
good = conv.read(os.path.join(conv.S2, "valid-complex.jsonl"))
tline = conv.trace_line(os.path.join(conv.S2, "valid-simple.jsonl"))
junk = os.path.join(T, "junk.jsonl")
with open(junk, "wb") as f:
    f.write(good.encode())                                    # 1-4 ok
    f.write(b"\x00\xff\xfe binary \x01\n")                    # 5
    f.write(b"[1, 2, 3]\n")                                   # 6
    f.write(b'{"type": 7}\n')                                 # 7
    f.write(b'{"no": "type"}\n')                              # 8
    f.write(b'{"type": "ping", "dst": "192.0.2.1"}\n')        # 9
    f.write(b'{"type": "trace", "dst": "not-an-address"}\n')  # 10
    f.write(b'{"type": "trace", "dst": "192.0.2.1", "hops": 5}\n')  # 11
    f.write(b'{"type": "trace", "dst": "192.0.2.1", "start": {"sec": 1},'
            b' "hops": [1, {"addr": "192.0.2.9"}, {"addr": "nope",'
            b' "probe_ttl": 2}, {"addr": "192.0.2.8", "probe_ttl": 3,'
            b' "rtt": "x"}]}\n')                              # 12: 2 bad hops
    f.write(b'{"type": "tracelb", "dst": "192.0.2.1", "nodes": ['
            b'{"addr": "192.0.2.7", "links": [[{"addr": "192.0.2.6",'
            b' "probes": [{"ttl": 0, "flowid": 1}]}], 4]}, 3]}\n')  # 13
    f.write(b'{"type":"trace","dst":"192.0.2.1","hops":[' + b'1,' * 3000
            + b'1]}\n')                                       # 14: too long
    f.write((tline + "\n").encode())                          # 15 ok
    f.write(b'{"UUID":"u1"}\n{"type":"cycle-stop"}\n')        # 16, 17
    f.write(b'{"type": "trace", "dst": "192.0.2.1", "hops": [')  # 18 cut
rc, out, err = run(["--max-line", "4096", "-f", "paths", junk])
eq(rc, 1, "junk exit status")
eq(summary(err), {"invalid-json": 2, "not-object": 1, "unknown-type": 2,
                  "unsupported-type": 1, "bad-trace": 2, "bad-hop": 2,
                  "bad-node": 1, "line-too-long": 1, "mlab-structure": 2},
   "junk reasons")
for where in (":5: binary data (NUL bytes)", ":6: a JSON value", ":9: scamper \"ping\"",
              ":10: trace without a dst", ":12: 3 skipped",
              ":13: 2 skipped; node 0: a link that is not an array",
              ":14: longer than 4096", ":17: unexpected cycle-stop",
              ":18: the M-Lab file ends early", ":18: column"):
    ok(junk + where in err, "junk place " + where)
p = rows(out)
eq([r["path"] for r in p],
   [rows(run(["-f", "paths", os.path.join(conv.S2, "valid-complex.jsonl")])
         [1])[0]["path"], "* * 192.0.2.8", "192.0.2.7", ""],
   "good records around the junk still converted")
eq(p[0]["uuid"], "0280ea26207e_1637004208_unsafe_0000000000438AA2",
   "uuid of the first file")

# no crash, no leak: the junk under valgrind
if shutil.which("valgrind") and not conv.ASAN:
    q = subprocess.run(["valgrind", "-q", "--error-exitcode=99",
                        "--leak-check=full", "--errors-for-leak-kinds=definite",
                        conv.HC, "--max-line", "4096", "-f", "links",
                        "-f", "hops", "-o", os.devnull, junk],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    eq(q.returncode, 1, "valgrind: clean run, exit 1\n" +
       q.stderr.decode()[-2000:])

# --- mutated real lines (bytes flipped, cut, repeated, values swapped):
# never a crash, every run ends 0 or 1
import random  # noqa: E402
rng = random.Random(4)
src = [l for f in sorted(os.listdir(conv.S1)) + sorted(os.listdir(conv.S2))
       for l in open(os.path.join(conv.S1 if os.path.exists(
           os.path.join(conv.S1, f)) else conv.S2, f), "rb").read()
       .split(b"\n") if l]
mut = os.path.join(T, "mutated.jsonl")
with open(mut, "wb") as f:
    for i in range(3000):
        b = bytearray(rng.choice(src))
        k = rng.randrange(5)
        if k == 0:
            for _ in range(rng.randrange(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif k == 1:
            b = b[:rng.randrange(len(b))]
        elif k == 2:
            i0 = rng.randrange(len(b))
            b = b[:i0] + b[i0:i0 + rng.randrange(200)] * 2 + b[i0:]
        elif k == 3:
            for a, c in ((b'"ttl":', b'"ttl":-'), (b'"addr":"', b'"addr":"9'),
                         (b'"probe_ttl":', b'"probe_ttl":99'),
                         (b'"flowid":', b'"flowid":1e'), (b'[', b'[[')):
                if rng.random() < 0.3:
                    b = b.replace(a, c, 1)
        f.write(bytes(b).replace(b"\n", b" ") + b"\n")
rc, out, err = run(["-f", "hops", "-o", os.devnull, "-f", "paths", "-o",
                    os.devnull, "-f", "ndjson", "-o", os.devnull, "-f",
                    "links", "-o", os.devnull, "-f", "nodes", "--pfx2as",
                    os.path.join(conv.FIX, "pfx2as.txt"), "-f", "aslinks",
                    "-o", os.devnull, mut])
ok(rc in (0, 1), "mutated input: exit %d\n%s" % (rc, err[-1000:]))
ok(len(rows(out)) > 10, "mutated input: nodes still found")

# --- exit status 2: missing input (a message, not an empty output),
# usage errors, an unwritable output
rc, out, err = run(["-f", "paths", os.path.join(T, "missing.jsonl"),
                    os.path.join(conv.S2, "valid-simple.jsonl")])
eq(rc, 2, "missing input")
ok("missing.jsonl: No such file or directory" in err, "missing: message")
eq(len(rows(out)), 1, "the readable input is still converted")
for args in (["-f", "nope", junk], ["-f", "paths"], [junk],
             ["-f", "itdk", junk], ["-f", "aslinks", junk],
             ["-f", "hops", "-f", "paths", junk],
             ["--anonymize", "x", "-f", "hops", junk],
             ["--max-line", "12", "-f", "hops", junk],
             ["-f", "hops", "-o", os.path.join(T, "no", "dir"), junk]):
    rc, out, err = run(args)
    eq(rc, 2, "usage error: %s" % args)
    ok(err != "", "usage error has a message: %s" % args)
rc, out, err = run(["merge", "-f", "paths", junk])
eq(rc, 2, "merge takes aggregate formats only")

# --- --strict: stop at the first problem
out1 = os.path.join(T, "strict.links")
rc, out, err = run(["--strict", "-f", "paths", "-f", "links", "-o", out1,
                    junk])
eq(rc, 1, "--strict exit status")
eq(len(rows(out)), 1, "--strict: records before the problem only")
ok(":5: binary data" in err and "binary" not in out, "--strict message")
eq(conv.read(out1), "", "--strict: no aggregate written")
rc, out, err = run(["--strict", "-f", "paths", os.path.join(T, "nope"),
                    junk])
eq((rc, rows(out)), (2, []), "--strict stops at an unreadable input")
conv.done()
