#!/usr/bin/env python3
"""hoplite-convert on hostile input: lines built to blow up memory (a huge
trace, [{},{},...], [0,0,...], a trace with thousands of addresses per TTL)
run under an address-space limit with a scaled-down --max-line, are each
refused with a per-record reason, and the good records around them still
come out.  Then inputs that are not what libarchive takes them for (a zero
block in front of a file, a gzip of zeros, NULs, an empty tar): nothing
is lost, and every input that gave no trace is said so, exit 1."""
import gzip
import io
import os
import re
import resource
import subprocess
import tarfile

import conv
from conv import eq, ok, rows

conv.need_data()
T = conv.tmpdir()
MAXLINE = 8 << 20          # --max-line; a parse may take 2x, at least 16 MiB
MIB = 1 << 20


def summary(err):
    out = {}
    for line in err.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit() and line.startswith("  ") \
                and not line.startswith("    "):
            out[f[0]] = int(f[1])
    return out


def hc(args, limit=None, stdin=None):
    """Run hoplite-convert, optionally under RLIMIT_AS (ulimit -v)."""
    def lim():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    p = subprocess.run([conv.HC] + args, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE,
                       preexec_fn=lim if limit else None)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def peak_kb(err):
    m = re.search(r"peak memory (\d+) kB", err)
    return int(m.group(1)) if m else -1


def trace_head():
    return ('{"type":"trace","method":"icmp-echo-paris","src":"192.0.2.1",'
            '"dst":"198.51.100.9","start":{"sec":1,"usec":0},"hops":[')


def big_trace(size, per_ttl_spread=True):
    """A trace line of about size bytes: distinct addresses over TTLs."""
    out = io.StringIO()
    out.write(trace_head())
    n, i = 0, 0
    while n < size:
        s = ('{"addr":"10.%d.%d.%d","probe_ttl":%d,"probe_id":1,"rtt":1.5,'
             '"reply_ttl":60,"icmp_type":11,"icmp_code":0},'
             % ((i >> 16) & 255, (i >> 8) & 255, i & 255, 1 + i % 255))
        out.write(s)
        n += len(s)
        i += 1
    out.write('{"addr":"198.51.100.9","probe_ttl":1}]}')
    return out.getvalue()


# A sanctioned-size run of the good records alone: its address space and
# peak memory are the base the hostile run is measured against.
s2 = os.path.join(conv.S2, "valid-simple.jsonl")
good = [conv.trace_line(s2),
        conv.trace_line(os.path.join(conv.S1, "trc-valid.jsonl"))]
hostile = [
    ("too-large", big_trace(6 * MIB)),                        # jansson: ~60 MB
    ("too-large", "[" + "{}," * (2 * MIB) + "{}]"),           # ~470 MB
    ("too-large", "[" + "0," * (3750 * 1024) + "0]"),         # ~220 MB
    ("line-too-long", big_trace(20 * MIB)),                   # > --max-line
    ("too-large", big_trace(400 * 1024)),                     # 4,000 addresses
]                                                             # on 255 TTLs
path = os.path.join(T, "hostile.jsonl")
with open(path, "w") as f:
    f.write(good[0] + "\n")
    for _, line in hostile:
        f.write(line + "\n")
        f.write(good[1] + "\n")
goodpath = os.path.join(T, "good.jsonl")
with open(goodpath, "w") as f:
    f.write(good[0] + "\n" + good[1] + "\n")
want_paths = rows(conv.run(["-f", "paths", goodpath], check=0)[1])
eq(len(want_paths), 1 + 6, "the good records' paths (a trace; a tracelb, 6 flows)")

args = ["-v", "--max-line", str(MAXLINE), "-f", "paths"]
asan = conv.ASAN
limit = None
if not asan:
    # the smallest address space (4 MiB steps) in which the good run works
    for base in range(32 * MIB, 512 * MIB, 4 * MIB):
        if hc(args + [goodpath], base)[0] == 0:
            break
    limit = base + 3 * MAXLINE + 16 * MIB
    print("address space: %d MiB for the good records, limit %d MiB"
          % (base // MIB, limit // MIB))
rc, out, err = hc(args + [goodpath])
base_kb = peak_kb(err)
rc, out, err = hc(args + [path], limit)
eq(rc, 1, "hostile: exit status (skipped lines)\n" + err[-2000:])
want = {}
for reason, _ in hostile:
    want[reason] = want.get(reason, 0) + 1
eq(summary(err), want, "hostile: one problem per hostile line")
parse = "a JSON value that needs more than %d bytes to parse" % (2 * MAXLINE)
for n, what in ((2, parse), (4, parse), (6, parse),
                (8, "longer than %d bytes" % MAXLINE),
                (10, "trace: more links than a trace can hold")):
    ok("hostile.jsonl:%d: %s" % (n, what) in err,
       "hostile: the place and reason of line %d\n%s" % (n, err[-1500:]))
p = rows(out)
eq([r["path"] for r in p],
   [r["path"] for r in want_paths[:1]] +
   [r["path"] for r in want_paths[1:]] * len(hostile),
   "hostile: every good record around the hostile lines converted")
print("peak memory: %d kB for the good records, %d kB with the hostile lines"
      % (base_kb, peak_kb(err)))
if not asan:
    # peak memory: a line, its parse (2x --max-line), the record
    ok(0 < peak_kb(err) <= base_kb + (3 * MAXLINE + 8 * MIB) // 1024,
       "hostile: peak %d kB, base %d kB, --max-line %d"
       % (peak_kb(err), base_kb, MAXLINE))

# --- not what they seem: an archive with no member is read again as text
mfile = conv.read(s2)
zb = os.path.join(T, "zeroblock.jsonl")
with open(zb, "wb") as f:
    f.write(b"\0" * 512 + mfile.encode())
rc, out, err = hc(["-f", "paths", zb])
eq(rc, 1, "zero block: exit 1")
eq([r["dst"] for r in rows(out)], ["91.189.88.142"],
   "zero block: the trace after it is kept")
ok(zb + ":1: binary data (NUL bytes)" in err, "zero block: the place\n" + err)

gz = os.path.join(T, "zeros.gz")
with gzip.open(gz, "wb") as f:
    f.write(b"\0" * (1 << 20))
nul = os.path.join(T, "nul.bin")
with open(nul, "wb") as f:
    f.write(b"\0" * (10 << 20))
etar = os.path.join(T, "empty.tar")
tarfile.open(etar, "w").close()
empty = os.path.join(T, "empty.jsonl")
open(empty, "w").close()
for name, size in ((gz, 1 << 20), (nul, 10 << 20), (etar, 10240)):
    for strict in ([], ["--strict"]):
        rc, out, err = hc(strict + ["-f", "paths", name])
        eq(rc, 1, "%s %s: exit 1" % (name, strict))
        eq(rows(out), [], name + ": no record")
        ok("%s: no trace in %d bytes" % (name, size) in err or
           strict and name + ":1: binary data" in err,
           "%s %s: said without -v\n%s" % (name, strict, err))
rc, out, err = hc(["--strict", "-f", "paths", empty])
eq(rc, 1, "empty file --strict: exit 1")
ok(empty + ": no trace (no data)" in err, "empty file: said\n" + err)

# every input without a trace is named, and the others still converted
d = os.path.join(T, "dir")
os.mkdir(d)
for name, src in (("a.jsonl", s2), ("b.gz", gz), ("c.bin", nul),
                  ("d.tar", etar), ("e.jsonl", empty)):
    with open(src, "rb") as i, open(os.path.join(d, name), "wb") as o:
        o.write(i.read())
rc, out, err = hc(["-q", "-f", "paths", d])
eq(rc, 1, "directory: exit 1")
eq(len(rows(out)), 1, "directory: the good file converted")
for name in ("b.gz", "c.bin", "d.tar", "e.jsonl"):
    ok(os.path.join(d, name) + ": no trace" in err,
       "directory: %s named\n%s" % (name, err))
eq(summary(err).get("no-trace"), 4, "directory: 4 inputs without a trace")

# stdin cannot be read twice: a zero block there is a read error
with open(zb, "rb") as f:
    rc, out, err = hc(["-f", "paths", "-"], stdin=f)
eq(rc, 1, "zero block on stdin: exit 1")
ok("(stdin): no member in what libarchive reads as an archive" in err,
   "zero block on stdin: said\n" + err)
conv.done()
