#!/usr/bin/env python3
"""Shard-and-merge equals one pass: every aggregate format, byte for byte,
from shards of a generated corpus plus the real files, merged flat and as
a tree; and merge refuses what it cannot merge exactly."""
import gzip
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv  # noqa: E402
import gen  # noqa: E402
from conv import eq, ok, run  # noqa: E402

conv.need_data()
T = conv.tmpdir()
PFX = os.path.join(conv.FIX, "pfx2as.txt")

# Inputs: a generated corpus (links shared by many destinations across
# shards) in 4 files, the fixtures, and the valid real files.
gen.write(os.path.join(T, "in"), 4, 400, seed=7)
shards = [[os.path.join(T, "in", "part-%03d.jsonl" % i)] for i in range(4)]
shards[0].append(os.path.join(conv.FIX, "hoplite.jsonl"))
shards[1].append(os.path.join(conv.FIX, "mda-fold.jsonl"))
shards[2].append(os.path.join(conv.S1, "trc-valid.jsonl"))
shards[3] += [os.path.join(conv.S2, "valid-complex.jsonl"),
              os.path.join(conv.S1, "valid-complex.jsonl")]
# one destination traced from two shards: its dst set must not count twice
shutil.copy(shards[2][1], os.path.join(T, "again.jsonl"))
shards[0].append(os.path.join(T, "again.jsonl"))

TABLES = ("links", "dsts", "nodes", "aslinks")
GRAPHS = ("graphml", "dot")


def outputs(prefix, graphs=True):
    a = []
    for t in TABLES:
        a += ["-f", t, "-o", "%s.%s" % (prefix, t)] if t != "dsts" else \
             ["--dsts", "%s.dsts" % prefix]
    if graphs:
        for g in GRAPHS:
            a += ["-f", g, "-o", "%s.%s" % (prefix, g)]
        a += ["-f", "itdk", "-o", prefix + ".itdk"]
    return a


def same(a, b, what):
    ok(open(a, "rb").read() == open(b, "rb").read(),
       "%s: %s and %s differ" % (what, a, b))


one = os.path.join(T, "one")
run(["-q", "--pfx2as", PFX] + outputs(one) + sum(shards, []), check=0)
eq(len(conv.rows(conv.read(one + ".links"))) > 100, True, "links built")

for i, s in enumerate(shards):
    run(["-q", "--pfx2as", PFX] + outputs(os.path.join(T, "s%d" % i),
                                         graphs=False) + s, check=0)


def shard_tables(ids, prefix="s"):
    return [os.path.join(T, "%s%d.%s" % (prefix, i, t))
            for i in ids for t in TABLES]


# flat merge of all four shards
m = os.path.join(T, "m")
run(["merge"] + outputs(m) + shard_tables(range(4)), check=0)
for f in TABLES + GRAPHS + ("itdk.nodes", "itdk.links", "itdk.nodes.as",
                          "itdk.nodes.as.all"):
    same(one + "." + f, m + "." + f, "flat merge " + f)

# a tree: (s0 + s1) and (s2 + s3), then the two (one of them gzipped)
run(["merge"] + outputs(os.path.join(T, "a"), graphs=False) +
    shard_tables((0, 1)), check=0)
run(["merge"] + outputs(os.path.join(T, "b"), graphs=False) +
    shard_tables((2, 3)), check=0)
for t in TABLES:
    src = os.path.join(T, "b.%s" % t)
    with open(src, "rb") as f, gzip.open(src + ".gz", "wb") as g:
        g.write(f.read())
tree = [os.path.join(T, "a.%s" % t) for t in TABLES] + \
       [os.path.join(T, "b.%s.gz" % t) for t in TABLES]
run(["merge"] + outputs(os.path.join(T, "t")) + tree, check=0)
for f in TABLES + GRAPHS:
    same(one + "." + f, os.path.join(T, "t." + f), "tree merge " + f)

# the dsts column really is a union: a link behind the same destination
# in two shards counts it once
l1 = {(r["near"], r["far"], r["gap"]): r for r in
      conv.rows(conv.read(one + ".links"))}
k = ("72.14.203.143", "4.69.159.249", "0")
eq((l1[k]["traces"], l1[k]["dsts"]), ("2", "1"), "same dst in two shards")

# what merge refuses (exit 2): links without their dsts tables, a links
# table whose shard's dsts table is missing, graphs without nodes
rc, out, err = run(["merge", "-f", "links", os.path.join(T, "s0.links")])
eq(rc, 2, "links without dsts")
ok("dsts" in err, "links without dsts: message")
rc, out, err = run(["merge", "-f", "links", os.path.join(T, "s0.links"),
                    os.path.join(T, "s1.links"), os.path.join(T, "s0.dsts")])
eq(rc, 2, "a shard's dsts table missing")
rc, out, err = run(["merge", "-f", "graphml", os.path.join(T, "s0.links"),
                    os.path.join(T, "s0.dsts")])
eq(rc, 2, "graphml without nodes")
# nodes alone merge fine (no dsts needed)
rc, out, err = run(["merge", "-f", "nodes", os.path.join(T, "s0.nodes"),
                    os.path.join(T, "s1.nodes")], check=0)
# a file that is not a table, and a broken row: counted, exit 1
bad = os.path.join(T, "bad.csv")
with open(bad, "w") as f:
    f.write(conv.read(os.path.join(T, "s0.nodes")))
    f.write("not,a,row\n")
rc, out, err = run(["merge", "-f", "nodes", bad,
                    os.path.join(conv.S1, "trc-valid.jsonl")])
eq(rc, 1, "bad table rows")
ok("bad-csv" in err and "bad.csv:" in err, "bad-csv reported")
conv.done()
