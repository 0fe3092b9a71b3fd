#!/usr/bin/env python3
"""warts input (CAIDA's libscamperfile): the samples in data/warts (made by
make_warts.py with scamper in the lab) give, row for row, what
`sc_warts2json FILE | hoplite-convert -` gives (source aside); compressed,
in tar archives and directories, detected by magic; list and cycle come
from the file's list and cycle records; mixed with JSON in one table; bad
warts (cut short, bytes that are no record, a record the library refuses)
cost only those records, each counted."""
import bz2
import gzip
import json
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv  # noqa: E402
from conv import eq, ok, rows, run  # noqa: E402

conv.need_data()
T = conv.tmpdir()
W = os.path.join(conv.FIX, "warts")
LAB = os.path.join(W, "lab.warts")
SILENT = os.path.join(W, "silent.warts")
MPLS = os.path.join(W, "mpls.warts")
FORMATS = ("hops", "paths", "ndjson", "links", "nodes")

if shutil.which("sc_warts2json") is None:
    conv.fail("sc_warts2json not found (Debian package scamper)")
    sys.exit(1)


def summary(err):
    out = {}
    for line in err.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit() and line.startswith("  ") \
                and not line.startswith("    "):
            out[f[0]] = int(f[1])
    return out


def json_of(path):
    return subprocess.run(["sc_warts2json", path], check=True,
                          stdout=subprocess.PIPE).stdout


def fmt(f, path, stdin=None):
    rc, out, err = run(["-q", "-f", f, path], stdin=stdin)
    return rc, out, err


def drop_lb_mpls(f, text):
    """sc_warts2json (20211212) leaves a tracelb reply's ICMP extensions
    out, the warts reader keeps their MPLS labels: blank them in tracelb
    rows (the ones with a flow id) to compare the rest."""
    if f == "ndjson":
        out = []
        for line in text.splitlines():
            o = json.loads(line)
            if o.get("type") == "tracelb":
                for hop in o["hops"]:
                    hop.pop("mpls_labels", None)
                    hop.pop("mpls", None)
                line = json.dumps(o, separators=(",", ":"))
            out.append(line)
        return "\n".join(out) + "\n"
    if f != "hops":
        return text
    lines = text.splitlines()
    cols = lines[0].split(",")
    fi, mi = cols.index("flowid"), cols.index("mpls")
    out = [lines[0]]
    for line in lines[1:]:
        v = line.split(",")
        if v[fi] != "":
            v[mi:mi + 4] = [""] * 4
        out.append(",".join(v))
    return "\n".join(out) + "\n"


# --- every row against sc_warts2json on the same file
for path in (LAB, SILENT, MPLS):
    name = os.path.basename(path)
    js = json_of(path)
    for f in FORMATS:
        rc, got, err = fmt(f, path)
        eq(rc, 0, "%s -f %s: exit status (%s)" % (name, f, err.strip()))
        rc, want, err = fmt(f, "-", stdin=js)
        eq(rc, 0, "%s via sc_warts2json -f %s: exit status" % (name, f))
        if f in ("hops", "paths", "ndjson"):
            got = got.replace(",warts,", ",scamper,").replace(
                '"source":"warts"', '"source":"scamper"')
        ok(len(got.splitlines()) > 1, "%s -f %s: rows" % (name, f))
        if path == MPLS:
            got = drop_lb_mpls(f, got)
            want = drop_lb_mpls(f, want)
        eq(got, want, "%s -f %s: the rows sc_warts2json gives" % (name, f))

# --- ground truth of the samples (the lab: src - r1 => r2a|r2b => r3 - dst)
h = rows(run(["-f", "hops", LAB], check=0)[1])
eq({r["source"] for r in h}, {"warts"}, "source")
eq({(r["list"], r["cycle"]) for r in h}, {("default", "0")}, "list, cycle")
tr4 = [r for r in h if r["method"] == "icmp-echo-paris" and
       r["dst"] == "198.18.6.2"]
eq([(r["ttl"], r["addr"], r["icmp_type"]) for r in tr4],
   [("1", "198.18.1.2", "11"), ("2", "198.18.2.2", "11"),
    ("3", "198.18.4.2", "11"), ("4", "198.18.6.2", "0")],
   "v4 trace hops (time exceeded, then the echo reply)")
tr6 = [r for r in h if r["method"] == "icmp-echo-paris" and
       r["dst"] == "2001:db8:0:6::2"]
eq([(r["ttl"], r["icmp_type"]) for r in tr6],
   [("1", "3"), ("2", "3"), ("3", "3"), ("4", "129")], "v6 trace hops")
p = rows(run(["-f", "paths", SILENT], check=0)[1])
sil = [r for r in p if r["flowid"] == ""]  # traces: no flow id
eq(sorted(r["path"] for r in sil),
   ["198.18.1.2 198.18.2.2 * 198.18.6.2",
    "2001:db8:0:1::2 2001:db8:0:2::2 * 2001:db8:0:6::2"],
   "a silent hop (r3) in the v4 and v6 traces")
ok(all(r["complete"] == "1" for r in sil), "silent traces complete")
lb = [r for r in p if r["flowid"] != ""]
ok(len(lb) > 1, "tracelb: one path per flow")
eq({r["path"].split()[1] for r in lb}, {"198.18.2.2", "198.18.3.2"},
   "tracelb: both branches of the diamond")

# r3 answered as an MPLS router: label 16005 (TC 0, TTL 255) over 24001
# (TC 5, bottom of stack, TTL 254), in traces and tracelb, v4 and v6
h = rows(run(["-f", "hops", MPLS], check=0)[1])
r3 = [r for r in h if r["addr"] in ("198.18.4.2", "198.18.5.2",
                                      "2001:db8:0:4::2", "2001:db8:0:5::2")]
ok(len(r3) > 6, "MPLS: r3's replies")
eq({(r["mpls"], r["mpls_tc"], r["mpls_s"], r["mpls_ttl"]) for r in r3},
   {("16005 24001", "0 5", "0 1", "255 254")}, "MPLS: r3's label stack")
eq({r["method"] for r in r3}, {"icmp-echo-paris", "udp-paris", "icmp-echo",
                                "udp-dport"}, "MPLS: traces and tracelb")
eq({":" in r["dst"] for r in r3}, {False, True}, "MPLS: v4 and v6")
eq([r for r in h if r["mpls"] and r not in r3], [],
   "MPLS: no label on any other hop")
nd = [json.loads(x) for x in run(["-f", "ndjson", MPLS],
                                 check=0)[1].splitlines()]
eq({json.dumps(hop["mpls"]) for x in nd for hop in x["hops"]
    if hop.get("mpls_labels")},
   {json.dumps([{"label": 16005, "tc": 0, "s": 0, "ttl": 255},
                {"label": 24001, "tc": 5, "s": 1, "ttl": 254}])},
   "MPLS: ndjson label stack")

# --- compressed, archived, in directories: detected by magic
plain = run(["-f", "hops", LAB, SILENT], check=0)[1]
d = os.path.join(T, "dir", "sub")
os.makedirs(d)
for src, opener, ext in ((LAB, gzip.open, ".gz"), (SILENT, bz2.open, "")):
    with open(src, "rb") as f, opener(os.path.join(
            d if ext == "" else os.path.join(T, "dir"),
            os.path.basename(src) + ext), "wb") as g:
        g.write(f.read())
eq(run(["-f", "hops", os.path.join(T, "dir")], check=0)[1], plain,
   "a directory (gzip and bzip2 members, no suffix needed)")
for ext, opener in ((".xz", lzma.open), (".gz", gzip.open),
                    (".bz2", bz2.open)):
    outs = []
    for src in (LAB, SILENT):
        dst = os.path.join(T, os.path.basename(src) + ext)
        with open(src, "rb") as f, opener(dst, "wb") as g:
            g.write(f.read())
        outs.append(dst)
    eq(run(["-f", "hops"] + outs, check=0)[1], plain, "compressed " + ext)
for mode in ("w", "w:gz"):
    tf = os.path.join(T, "a.tar" + (".gz" if mode == "w:gz" else ""))
    with tarfile.open(tf, mode) as t:
        t.add(LAB, "lab.warts")
        t.add(SILENT, "silent.warts")
    eq(run(["-f", "hops", tf], check=0)[1], plain, "tar " + mode)
with open(LAB, "rb") as f:
    eq(run(["-f", "hops", "-"], stdin=f.read(), check=0)[1],
       run(["-f", "hops", LAB], check=0)[1], "stdin")

# --- mixed with JSON: one table, the source column tells them apart
rc, out, err = run(["-f", "paths", LAB,
                    os.path.join(conv.S2, "valid-simple.jsonl")], check=0)
eq(sorted({r["source"] for r in rows(out)}), ["mlab", "warts"],
   "mixed inputs: sources")

# --- bad warts
data = open(LAB, "rb").read()
recs = []
o = 0
while o < len(data):
    magic, typ, ln = struct.unpack(">HHI", data[o:o + 8])
    recs.append((o, typ, ln))
    o += 8 + ln
eq([t for _, t, _ in recs], [1, 2, 6, 6, 8, 6, 8, 4],
   "lab.warts: list, cycle, traces and tracelbs, cycle stop")
allstarts = {json.loads(x)["start_time"] for x in
             run(["-f", "ndjson", LAB], check=0)[1].splitlines()}
eq(len(allstarts), 5, "lab.warts: 5 records")
traces = [i for i, r in enumerate(recs) if r[1] in (6, 8)]


def bad(name, blob, reasons, keep):
    path = os.path.join(T, name)
    with open(path, "wb") as f:
        f.write(blob)
    rc, out, err = run(["-f", "ndjson", path])
    eq(rc, 1, name + ": exit status 1 (problems)")
    eq(summary(err), reasons, name + ": problems counted")
    got = [json.loads(x)["start_time"] for x in out.splitlines()]
    eq(len(got), keep, name + ": the good records still come out")
    ok(set(got) <= allstarts, name + ": records as in the whole file")
    return err


# cut inside the last tracelb: the four traces before it come out
o, t, ln = recs[traces[-1]]
bad("cut.warts", data[:o + 8 + ln // 2], {"bad-warts": 1}, 4)
# a cut header
bad("cuthdr.warts", data[:recs[traces[-1]][0] + 5], {"bad-warts": 1}, 4)
# the second trace's magic broken: 8 + its length bytes skipped, the
# reader finds the next record
o2 = recs[traces[1]][0]
blob = data[:o2] + b"\x00\x00" + data[o2 + 2:]
err = bad("magic.warts", blob, {"bad-warts": 1}, 4)
ok("bytes skipped" in err, "magic.warts: says bytes were skipped")
# garbage between records
blob = data[:o2] + b"\x99" * 13 + data[o2:]
bad("junk.warts", blob, {"bad-warts": 1}, 5)
# a trace record the library refuses (its address reference out of range
# is only found inside the body: break the body's flags instead)
o3, t3, l3 = recs[traces[2]]
body = bytearray(data[o3 + 8:o3 + 8 + l3])
for i in range(len(body)):
    body[i] = 0xff
blob = data[:o3 + 8] + bytes(body) + data[o3 + 8 + l3:]
bad("refused.warts", blob, {"bad-warts": 1}, 4)
# not warts at all: read as text
rc, out, err = run(["-f", "hops", os.path.join(conv.FIX, "pfx2as.txt")])
ok(rc != 0 and "warts" not in err, "a text file is not taken for warts")

if conv.failures:
    print("%d failed checks" % len(conv.failures))
    sys.exit(1)
print("test_warts: all checks passed")
