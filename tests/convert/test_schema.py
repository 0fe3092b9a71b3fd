#!/usr/bin/env python3
"""--schema: typed DDL.  The man page's SQLite recipe, run as written with
sqlite3 on real tables, gives the numbers Python computes from the CSV
files (max(traces), rtt_ms > 100, NULL for every empty field); every
table's DDL has the CSV header's columns; asn has one type everywhere."""
import csv
import os
import re
import shutil
import subprocess
import sys

import conv
import gen
from conv import eq, ok, run

conv.need_data()
T = conv.tmpdir()
TABLES = ("hops", "paths", "links", "dsts", "nodes", "aslinks")

corpus = os.path.join(T, "corpus")
gen.write(corpus, 2, 3000, seed=5)
pfx = os.path.join(conv.RV, "routeviews-pfx2as-v4.sample.gz")
args = ["-q", "--pfx2as", os.path.join(conv.FIX, "pfx2as.txt")]
for t in TABLES:
    args += ["-f", t, "-o", os.path.join(T, t + ".csv")]
rc, out, err = run(args + [corpus, conv.S1, conv.S2,
                           os.path.join(conv.FIX, "hoplite.jsonl")])
ok(rc in (0, 1), "tables written: " + err[-500:])


def table(name):
    with open(os.path.join(T, name + ".csv"), newline="") as f:
        r = list(csv.reader(f))
    return r[0], r[1:]


def ddl_cols(text):
    """{table: [(column, type)]} from CREATE TABLE statements."""
    out = {}
    for m in re.finditer(r"CREATE TABLE (\w+) \((.*?)\n\);", text, re.S):
        out[m.group(1)] = [tuple(re.sub(r'["`]', "", c.strip()).split())
                           for c in m.group(2).split(",")]
    return out


ddl = {}
for d in ("sqlite", "duckdb", "bigquery"):
    rc, out, err = run(["--schema", d], check=0)
    ddl[d] = ddl_cols(out)
    eq(sorted(ddl[d]), sorted(TABLES), d + ": a CREATE TABLE per table")
    for t in TABLES:
        eq([c for c, _ in ddl[d][t]], table(t)[0], d + ": columns of " + t)
# one type per column kind in each dialect; asn (and as1, as2) text
kinds = {"INTEGER": "int", "REAL": "real", "TEXT": "text"}
for d, m in (("duckdb", {"BIGINT": "int", "DOUBLE": "real",
                         "VARCHAR": "text"}),
             ("bigquery", {"INT64": "int", "FLOAT64": "real",
                           "STRING": "text"})):
    for t in TABLES:
        eq([m[ty] for _, ty in ddl[d][t]],
           [kinds[ty] for _, ty in ddl["sqlite"][t]], d + " types of " + t)
for t in TABLES:
    for c, ty in ddl["sqlite"][t]:
        if c in ("asn", "as1", "as2"):
            eq(ty, "TEXT", "%s.%s is text" % (t, c))
# the pandas dtype map in docs/convert-tables.md: same columns and kinds
doc = conv.read(os.path.join(conv.TOP_SRCDIR, "docs", "convert-tables.md"))
code = re.search(r"```python\n(.*?)\nlinks = ", doc, re.S).group(1)
ns = {}
exec(code.replace("import pandas as pd", ""), ns)
pk = {"Int64": "INTEGER", "float64": "REAL", "string": "TEXT"}
for t in TABLES:
    eq([(c, pk[ty]) for c, ty in ns["DTYPES"][t].items()],
       [tuple(x) for x in ddl["sqlite"][t]], "pandas dtypes of " + t)
rc, out, err = run(["--schema", "sqlite", "-f", "hops", corpus])
eq(rc, 2, "--schema takes no format or input")

if not shutil.which("sqlite3"):
    print("sqlite3 not installed: the recipe is not run")
    conv.done()

# The recipe, as the man page gives it.
db = os.path.join(T, "topo.db")
with open(os.path.join(T, "schema.sql"), "w") as f:
    subprocess.run([conv.HC, "--schema", "sqlite"], stdout=f, check=True)
subprocess.run(["sqlite3", db], stdin=open(os.path.join(T, "schema.sql")),
               check=True)
for t in TABLES:
    subprocess.run(["sqlite3", db, ".import --csv --skip 1 %s.csv %s"
                    % (t, t)], cwd=T, check=True)


def sql(q):
    p = subprocess.run(["sqlite3", db, q], stdout=subprocess.PIPE, check=True)
    return p.stdout.decode().strip()


hdr, links = table("links")
traces = [int(r[hdr.index("traces")]) for r in links]
ok(max(traces) >= 10, "the corpus has a link in 10 traces or more")
eq(sql("SELECT max(traces) FROM links"), str(max(traces)), "max(traces)")
hdr, hops = table("hops")
i = hdr.index("rtt_ms")
slow = sum(1 for r in hops if r[i] != "" and float(r[i]) > 100)
ok(slow > 0 and slow < len(hops), "some hops above 100 ms, not all")
eq(sql("SELECT count(*) FROM hops WHERE rtt_ms > 100"), str(slow),
   "rtt_ms > 100")
eq(sql("SELECT count(*) FROM hops"), str(len(hops)), "every hop row")
# empty fields are NULL, the others of the declared type
for t in TABLES:
    hdr, data = table(t)
    for c, ty in ddl["sqlite"][t]:
        k = hdr.index(c)
        empty = sum(1 for r in data if r[k] == "")
        eq(sql('SELECT count(*) FROM %s WHERE "%s" IS NULL' % (t, c)),
           str(empty), "%s.%s: empty fields are NULL" % (t, c))
        want = {"INTEGER": "integer", "REAL": "real", "TEXT": "text"}[ty]
        got = sql('SELECT DISTINCT typeof("%s") FROM %s WHERE "%s" IS NOT '
                  'NULL' % (c, t, c)).split()
        ok(got in ([], [want]) or ty == "REAL" and set(got) <= {
            "real", "integer"}, "%s.%s stored as %s: %s" % (t, c, want, got))
conv.done()
