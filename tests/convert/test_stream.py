#!/usr/bin/env python3
"""Streaming: memory does not grow with the input; the progress line on a
terminal (and none off one); the manual documents every column."""
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


for fmt in ("hops", "links", "ndjson") if not conv.ASAN else ():
    a = peak_kb(["-f", fmt, "-o", os.devnull, small])
    b = peak_kb(["-f", fmt, "-o", os.devnull, big])
    print("%s: peak RSS %d KB for %d traces, %d KB for %d" %
          (fmt, a, n_small, b, n_big))
    ok(0 < b < a * 1.5 + 2048, "%s: memory grows with the input (%d -> %d KB)"
       % (fmt, a, b))

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
rc, out, err = run(["-f", "hops", "-o", os.devnull, big], check=0)
eq(err, "", "no progress line when stderr is not a terminal")

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
