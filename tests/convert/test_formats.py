#!/usr/bin/env python3
"""Every output format, on hand-made fixtures (expected outputs worked out
by hand) and on the real M-Lab files in tests/convert/data."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv  # noqa: E402
from conv import eq, ok, run, rows  # noqa: E402

conv.need_data()
T = conv.tmpdir()
HOPLITE = os.path.join(conv.FIX, "hoplite.jsonl")
MDA = os.path.join(conv.FIX, "mda-fold.jsonl")
PFX = os.path.join(conv.FIX, "pfx2as.txt")

# --- paths: hoplite traces (a silent TTL, two replies at one TTL, a TCP
# reply) and an MDA trace whose link chain folds two addresses.
rc, out, err = run(["-f", "paths", HOPLITE, MDA], check=0)
eq(out, """uuid,src,dst,flowid,complete,path,source,prb_id,msm_id,list,cycle
,192.0.2.1,198.51.100.7,3,1,192.0.2.254 * 203.0.113.9|203.0.113.10 198.51.100.7,scamper,,,,
,192.0.2.1,198.51.100.7,4,1,192.0.2.254 203.0.113.1 203.0.113.9 198.51.100.7,scamper,,,,
,2001:db8::1,2001:db8:1:2::5,0,1,2001:db8::ff 2001:db8:1::1 2001:db8:1:2::5,scamper,,,,
,192.0.2.1,10.0.2.1,1,1,10.0.0.1 10.0.1.1 10.0.2.1,scamper,,,default,0
,192.0.2.1,10.0.2.1,2,1,10.0.0.1 10.0.1.1 10.0.2.1,scamper,,,default,0
,192.0.2.1,10.0.2.1,3,0,10.0.0.1 10.0.1.2,scamper,,,default,0
""", "paths of the fixtures")

# --- links: scamper's chain [[10.0.1.1, 10.0.1.2], [10.0.2.1]] would imply
# 10.0.1.2 -> 10.0.2.1, which no flow crossed; per-flow paths do not.
rc, out, err = run(["-f", "links", MDA, HOPLITE], check=0)
eq(out, """near,far,gap,traces,flows,dsts,first_seen,last_seen,near_rtt_min,far_rtt_min
10.0.0.1,10.0.1.1,0,1,2,1,1700001000,1700001000,,2.250
10.0.0.1,10.0.1.2,0,1,1,1,1700001000,1700001000,,3.500
10.0.1.1,10.0.2.1,0,1,2,1,1700001000,1700001000,2.250,4.000
192.0.2.254,203.0.113.1,0,1,1,1,1700000100,1700000100,0.400,5.125
192.0.2.254,203.0.113.9,1,1,1,1,1700000000,1700000000,0.500,10.250
192.0.2.254,203.0.113.10,1,1,1,1,1700000000,1700000000,0.500,9.750
203.0.113.1,203.0.113.9,0,1,1,1,1700000100,1700000100,5.125,11.000
203.0.113.9,198.51.100.7,0,2,2,1,1700000000,1700000100,10.250,19.500
203.0.113.10,198.51.100.7,0,1,1,1,1700000000,1700000000,9.750,20.000
2001:db8::ff,2001:db8:1::1,0,1,1,1,1700000200,1700000200,1.000,2.000
2001:db8:1::1,2001:db8:1:2::5,0,1,1,1,1700000200,1700000200,2.000,3.000
""", "links of the fixtures")

# --- hops: MPLS labels, TCP flags, the MDA first node without RTT.
rc, out, err = run(["-f", "hops", HOPLITE, MDA], check=0)
h = rows(out)
eq(len(h), 11 + 1 + 5, "hops rows (11 hoplite replies, MDA: first node + 5)")
eq(h[0]["mpls"], "24000 16005", "MPLS label stack, top first")
eq((h[0]["mpls_tc"], h[0]["mpls_s"], h[0]["mpls_ttl"]), ("0 0", "0 1", "1 1"),
   "MPLS traffic class, bottom of stack, TTL, in the labels' order")
eq((h[1]["mpls"], h[1]["mpls_tc"], h[1]["mpls_s"], h[1]["mpls_ttl"]),
   ("", "", "", ""), "no MPLS: four empty columns")
rc, out, err = run(["-f", "ndjson", HOPLITE], check=0)
nh = json.loads(out.splitlines()[0])["hops"][0]
eq((nh["mpls_labels"], nh["mpls"]), ([24000, 16005], [
    {"label": 24000, "tc": 0, "s": 0, "ttl": 1},
    {"label": 16005, "tc": 0, "s": 1, "ttl": 1}]), "ndjson: MPLS entries")
eq((h[7]["tcp_flags"], h[7]["icmp_type"]), ("18", ""), "TCP reply")
eq((h[11]["addr"], h[11]["ttl"], h[11]["flowid"], h[11]["rtt_ms"]),
   ("10.0.0.1", "1", "", ""), "MDA first node row")
eq((h[12]["flowid"], h[12]["ttl"], h[12]["addr"], h[12]["rtt_ms"],
    h[12]["probe_id"]), ("1", "2", "10.0.1.1", "2.500", "1"),
   "MDA probe reply row")

# --- nodes
rc, out, err = run(["-f", "nodes", HOPLITE], check=0)
n = {r["addr"]: r for r in rows(out)}
eq(sorted(n), sorted(["192.0.2.254", "203.0.113.1", "203.0.113.9",
                      "203.0.113.10", "198.51.100.7", "2001:db8::ff",
                      "2001:db8:1::1", "2001:db8:1:2::5"]), "node set")
eq([n["203.0.113.9"][k] for k in ("replies", "traces", "ttl_min",
                                   "ttl_max", "dst", "rtt_min")],
   ["2", "2", "3", "3", "0", "10.250"], "203.0.113.9")
eq([n["198.51.100.7"][k] for k in ("replies", "traces", "dst", "rtt_min",
                                    "first_seen", "last_seen")],
   ["2", "2", "2", "19.500", "1700000000", "1700000100"], "destination")

# --- aslinks (MOAS kept as text, an AS set quoted)
rc, out, err = run(["-f", "aslinks", "--pfx2as", PFX, HOPLITE], check=0)
eq(out, """as1,as2,gap,traces,first_seen,last_seen
64500,64501,0,1,1700000100,1700000100
64500,64502_64503,1,1,1700000000,1700000000
64501,64502_64503,0,1,1700000100,1700000100
64502_64503,"64504,64505",0,2,1700000000,1700000100
64510,64511,0,1,1700000200,1700000200
""", "aslinks")

# --- itdk: gap-0 links only, far address on the link.
p = os.path.join(T, "fx")
run(["-f", "itdk", "-o", p, "--pfx2as", PFX, HOPLITE], check=0)
eq(conv.read(p + ".nodes").splitlines()[1:4],
   ["node N1:  192.0.2.254", "node N2:  198.51.100.7",
    "node N3:  203.0.113.1"], "itdk nodes (address order)")
links = conv.read(p + ".links").splitlines()[1:]
eq(len(links), 6, "itdk links (gap 0, distinct pairs)")
eq(links[0], "link L1:  N1 N3:203.0.113.1", "itdk first link")
eq(conv.read(p + ".nodes.as").splitlines()[:5], ["node.AS N1 64500 origin",
   "node.AS N2 64504 origin", "node.AS N3 64501 origin",
   "node.AS N4 64502 origin", "node.AS N5 64502 origin"],
   "itdk nodes.as: one integer AS per node, the smallest one named")
eq(conv.read(p + ".nodes.as.all").splitlines()[1:4], [
   "node.AS N2 64504,64505 origin", "node.AS N3 64501 origin",
   "node.AS N4 64502_64503 origin"], "itdk nodes.as.all: the full set")

# --- the real files: every format, and their readers.
REAL = [os.path.join(conv.S1, f) for f in sorted(os.listdir(conv.S1))
        if f.startswith(("valid", "trc", "etl"))] + \
       [os.path.join(conv.S2, f) for f in sorted(os.listdir(conv.S2))
        if f.startswith("valid")]
eq(len(REAL), 13, "valid real files")
outs = {}
for fmt in ("hops", "paths", "links", "nodes", "aslinks", "ndjson",
            "graphml", "dot"):
    outs[fmt] = os.path.join(T, "real." + fmt)
args = []
for fmt, path in outs.items():
    args += ["-f", fmt, "-o", path]
args += ["-f", "itdk", "-o", os.path.join(T, "itdk"), "--dsts",
         os.path.join(T, "real.dsts"), "--schema", os.path.join(T, "schema"),
         "--pfx2as", os.path.join(conv.RV, "routeviews-pfx2as-v4.sample.gz")]
rc, out, err = run(args + REAL, check=0)

# scamper2 valid-complex: TTLs 8 and 9 silent, 12 addresses, 14 TTLs.
rc, out, err = run(["-f", "paths", os.path.join(conv.S2, "valid-complex.jsonl")],
                   check=0)
eq(rows(out)[0]["path"], "192.168.144.1 100.97.99.252 100.96.216.1 "
   "100.123.0.49 104.133.8.193 209.85.175.20 108.170.242.254 * * "
   "209.85.243.176 72.14.223.90 4.69.140.198 212.187.137.18 91.189.88.142",
   "scamper2 path")
rc, out, err = run(["-f", "links", os.path.join(conv.S2, "valid-complex.jsonl")],
                   check=0)
l = rows(out)
eq(len(l), 11, "scamper2 links: 10 consecutive + 1 across TTLs 8-9")
gapped = [r for r in l if r["gap"] != "0"]
eq([(r["near"], r["far"], r["gap"]) for r in gapped],
   [("108.170.242.254", "209.85.243.176", "2")], "the gapped link")

# scamper1 trc-valid: flow 6 got no reply at TTL 8, so it adds a gap-1
# link 72.14.203.143 -> 4.53.60.66 seen in that one flow.
rc, out, err = run(["-f", "paths", "-f", "links", "-o", os.path.join(T, "l"),
                    os.path.join(conv.S1, "trc-valid.jsonl")], check=0)
p = rows(out)
eq(len(p), 6, "trc-valid flows")
eq([r["complete"] for r in p], ["1", "0", "0", "0", "0", "0"],
   "only flow 1 was probed to the destination")
eq(p[5]["path"].split()[7], "*", "flow 6 silent at TTL 8")
l = {(r["near"], r["far"], r["gap"]): r for r in
     rows(conv.read(os.path.join(T, "l")))}
eq(l[("72.14.203.143", "4.53.60.66", "1")]["flows"], "1", "gap link")
eq(l[("72.14.203.143", "4.69.159.249", "0")]["flows"], "5", "5 flows")
eq(l[("185.134.181.46", "91.189.91.38", "0")]["flows"], "1", "last link")
eq(len(l), 13, "trc-valid links")

# CSV loaded by sqlite3
for fmt in ("hops", "paths", "links", "nodes"):
    q = subprocess.run(["sqlite3", ":memory:", ".import --csv %s t" %
                        outs[fmt], "select count(*) from t"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    n = len(rows(conv.read(outs[fmt])))
    eq((q.returncode, q.stdout.decode().strip(), q.stderr.decode()),
       (0, str(n), ""), "sqlite3 loads %s" % fmt)
q = subprocess.run(["sqlite3", ":memory:", ".import --csv %s l" %
                    outs["links"], "select sum(traces), max(gap) from l"],
                   stdout=subprocess.PIPE)
ok(q.stdout.decode().strip() != "", "sqlite3 query on links")

# GraphML loaded by networkx
try:
    import networkx as nx
    g = nx.read_graphml(outs["graphml"])
    nodes = rows(conv.read(outs["nodes"]))
    eq(g.number_of_nodes(), len(nodes), "graphml nodes = nodes rows")
    pairs = {(r["near"], r["far"]) for r in
             rows(conv.read(outs["links"]))}
    eq(g.number_of_edges(), len(pairs), "graphml edges = link pairs")
    ok(g.is_directed(), "graphml directed")
    e = g.edges["108.170.242.254", "209.85.243.176"]
    eq((e["weight"], e["gap"]), (2, 2), "graphml edge attributes")
    eq(g.nodes["4.69.140.198"]["asn"], "3356", "graphml asn from pfx2as")
except ImportError:
    print("python3-networkx missing: graphml not loaded")

# dot rendered by Graphviz
if shutil.which("dot"):
    svg = os.path.join(T, "g.svg")
    q = subprocess.run(["dot", "-Tsvg", "-o", svg, outs["dot"]],
                       stderr=subprocess.PIPE)
    eq((q.returncode, q.stderr.decode()), (0, ""), "dot renders")
    ok("<svg" in conv.read(svg) and "91.189.88.142" in conv.read(svg),
       "svg has the nodes")
else:
    print("graphviz missing: dot not rendered")

# ndjson: one object per trace, every key in the schema.
schema = json.loads(conv.read(os.path.join(T, "schema")))
top = {f["name"]: f for f in schema}
objs = [json.loads(x) for x in conv.read(outs["ndjson"]).splitlines()]
eq(len(objs), 13, "ndjson: one object per trace")
for o in objs:
    for k, v in o.items():
        ok(k in top, "ndjson key %s in schema" % k)
        if k in ("hops", "paths"):
            sub = {f["name"] for f in top[k]["fields"]}
            for e in v:
                ok(set(e) <= sub, "ndjson %s keys %s" % (k, set(e) - sub))
trc = [o for o in objs if o.get("uuid", "").startswith("96b3fb15523b")][0]
eq(trc["start_time"], "2021-10-28T06:03:23.723904Z", "ndjson start_time")
eq(len(trc["paths"]), 6, "ndjson MDA paths")
eq(trc["paths"][5]["path"][7], "*", "ndjson silent TTL")
eq(trc["hops"][1]["rtt_ms"], 0.343, "ndjson rtt")

# aslinks on real data with the RouteViews sample: Level3 (3356) space.
n = {r["addr"]: r for r in rows(conv.read(outs["nodes"]))}
eq(n["4.69.140.198"]["asn"], "3356", "4.0.0.0/9 -> 3356")
eq(n["91.189.88.142"]["asn"], "", "not in the sample")
conv.done()
