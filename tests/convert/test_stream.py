#!/usr/bin/env python3
"""Streaming: memory does not grow with the input; the progress line on a
terminal, and off one a line every --progress seconds with the percentage
of the compressed input read and an ETA; the manual documents every
column."""
import os
import pty
import re
import select
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv  # noqa: E402
import gen  # noqa: E402
from conv import eq, ok, run, rows  # noqa: E402

conv.need_data()
T = conv.tmpdir()

# --- memory: 10x the input, about the same peak RSS
small, big = os.path.join(T, "small"), os.path.join(T, "big")
n_small = gen.write_bytes(small, 1, 4 * 1000 * 1000, seed=3)
n_big = gen.write_bytes(big, 1, 40 * 1000 * 1000, seed=3)


def peak_kb(args):
    """The peak memory hoplite-convert -v reports (VmHWM)."""
    rc, out, err = run(["-q", "-v"] + args, check=0)
    m = re.search(r"peak memory (-?\d+) kB", err)
    ok(m is not None, "peak memory reported: " + err)
    return int(m.group(1)) if m else 0


# One thread streams; with -j 2 the big file is read in chunks by two
# threads, and what grows is only the rows of the chunks in hand until
# their turn: at most 2 x jobs of them, PAR_MEM (32 MB) each.
for fmt in ("hops", "links", "ndjson") if not conv.ASAN else ():
    a = peak_kb(["-j", "1", "-f", fmt, "-o", os.devnull, small])
    b = peak_kb(["-j", "1", "-f", fmt, "-o", os.devnull, big])
    c = peak_kb(["-j", "2", "-f", fmt, "-o", os.devnull, big])
    print("%s: peak RSS %d KB for %d traces, %d KB for %d (-j 2: %d KB)" %
          (fmt, a, n_small, b, n_big, c))
    ok(0 < b < a * 1.5 + 2048, "%s: memory grows with the input (%d -> %d KB)"
       % (fmt, a, b))
    ok(0 < c < b + 4 * 32 * 1024, "%s -j 2: more than the inputs in hand "
       "keep (%d -> %d KB)" % (fmt, b, c))

# --- the progress line: on a terminal only
pid, fd = pty.fork()
if pid == 0:
    os.execv(conv.HC, [conv.HC, "-f", "hops", "-o", os.devnull, big])
buf = b""
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
os.waitpid(pid, 0)
text = buf.decode("utf-8", "replace")
ok(re.search(r"\r\x1b\[K1 files, \d+ traces, [\d.]+ MB, [\d.]+ MB/s", text),
   "progress line on a terminal: %r" % text[:200])
# --- not a terminal: whole lines every --progress seconds, with the
# percentage of the stored (compressed) bytes read and an ETA
import gzip  # noqa: E402
import shutil as _sh  # noqa: E402
gz = os.path.join(T, "big.gz")
with open(os.path.join(big, "part-000.jsonl"), "rb") as i, \
        gzip.open(gz, "wb", compresslevel=1) as o:
    _sh.copyfileobj(i, o)
gzsize = os.path.getsize(gz)
LINE = re.compile(r"^hoplite-convert: (\d+) files, (\d+) traces, [\d.]+ MB, "
                  r"[\d.]+ MB/s(?:, (\d+)% of ([\d.]+) MB(?:, ETA \d+m\d\ds)?)?$")
rc, out, err = run(["--progress", "0", "-f", "hops", "-o", os.devnull, gz],
                   check=0)
lines = err.splitlines()
ok(len(lines) > 3, "progress lines without a terminal: %d" % len(lines))
m = [LINE.match(x) for x in lines]
ok(all(m), "progress line format: %r" % [x for x, y in zip(lines, m)
                                         if not y][:2])
pct = [int(x.group(3)) for x in m if x and x.group(3)]
eq(len(pct), len(lines), "every line has a percentage (the size is known)")
ok(pct == sorted(pct) and pct[-1] <= 100 and pct[-1] >= 80,
   "percentages grow up to the end: %s" % pct[-5:])
ok(all(x.group(4) == "%.1f" % (gzsize / 1e6) for x in m if x),
   "the percentage is of the compressed size (%d bytes)" % gzsize)
ok(all("ETA" in x for x in lines[1:]), "an ETA once bytes were read")
with open(gz, "rb") as f:
    p = subprocess.run([conv.HC, "--progress", "0", "-f", "hops", "-o",
                        os.devnull, "-"], stdin=f, stderr=subprocess.PIPE)
lines = p.stderr.decode().splitlines()
ok(lines and all(LINE.match(x) and "%" not in x for x in lines),
   "stdin: progress lines without a percentage: %r" % lines[:2])
rc, out, err = run(["-q", "--progress", "0", "-f", "hops", "-o", os.devnull,
                    gz], check=0)
eq(err, "", "-q: no progress line")
rc, out, err = run(["--progress", "86400", "-f", "hops", "-o", os.devnull,
                    gz], check=0)
eq(err, "", "no line before --progress seconds have passed")

# --- the manual names every column of every format
man = conv.read(os.path.join(conv.TOP_SRCDIR, "man", "hoplite-convert.1"))
documented = set(re.findall(r"^\.Ic ([a-z_0-9]+)", man, re.M))
documented |= set(re.findall(r"^\.Ic [a-z_0-9]+ , ([a-z_0-9]+)", man, re.M))
f1 = os.path.join(conv.S1, "trc-valid.jsonl")
pfx = os.path.join(conv.FIX, "pfx2as.txt")
for fmt in ("hops", "paths", "links", "nodes", "dsts", "aslinks"):
    rc, out, err = run(["-f", fmt, "--pfx2as", pfx, f1], check=0)
    for col in out.splitlines()[0].split(","):
        ok(col in documented, "man page: %s column %s" % (fmt, col))
rc, out, err = run(["-f", "ndjson", f1], check=0)
import json  # noqa: E402
o = json.loads(out.splitlines()[0])
for k in list(o) + list(o["hops"][1]) + list(o["paths"][0]):
    ok(k in documented or k in ("type", "src", "dst"),
       "man page: ndjson key %s" % k)
for fmt in ("hops", "paths", "ndjson", "links", "dsts", "nodes", "aslinks",
            "itdk", "graphml", "dot"):
    ok(re.search(r"^\.It Cm %s$" % fmt, man, re.M), "man page: format " + fmt)
conv.done()
