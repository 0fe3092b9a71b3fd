#!/usr/bin/env python3
"""RIPE Atlas traceroute results (tests/convert/data/ripe-atlas, real
samples; their README has a table per line): one record per result, the
columns of the other sources plus source, prb_id and msm_id.  The table
below was checked by hand against the JSON of each line."""
import json
import os

import conv
from conv import eq, ok, rows, run

conv.need_data()
T = conv.tmpdir()
AT = os.path.join(conv.FIX, "ripe-atlas")
GOOD = os.path.join(AT, "traceroute-samples.jsonl")
BAD = os.path.join(AT, "invalid-samples.jsonl")

# line: prb_id, msm_id, method, flowid (paris_id), hop rows (replies that
# are not timeouts, duplicates or answers to another dst), complete, the
# last address of the path
TABLE = {
    1: ("190", "1000157", "udp-paris", "2", 3, "0", "192.168.1.1"),
    2: ("426", "1000157", "udp-paris", "1", 36, "0", "203.197.33.148"),
    3: ("319", "1000157", "udp-paris", "1", 36, "0", "66.198.144.2"),
    4: ("426", "1000157", "udp-paris", "12", 24, "0", "80.231.131.114"),
    9: ("394", "1000158", "udp-paris", "15", 60, "1", "220.226.205.30"),
    10: ("82", "1019825", "icmp-echo-paris", "5", 3, "0",
         "2001:67c:2e8:13:fad1:11ff:fea9:dd68"),
    11: ("82", "1019825", "icmp-echo-paris", "14", 0, "0", None),
    14: ("6021", "1666051", "udp-paris", "1", 15, "1", "2a02:d28:667::2"),
    16: ("4978", "1772418", "udp-paris", "1", 31, "0",
         "2a00:1450:8000:3d::3"),
    17: ("10834", "5017", "udp-paris", "10", 15, "0", "94.201.50.45"),
    19: ("12266", "1033154", "udp-paris", "1", 21, "0", "213.155.132.161"),
    21: ("738", "3082698", "udp-paris", "1", 40, "1", "66.220.156.68"),
    22: ("53023", "29792007", "icmp-echo", "0", 21, "0", "178.208.11.250"),
}

# each line alone, so rows can be told apart by line
lines = conv.read(GOOD).splitlines()
eq(len(lines), 22, "22 samples")
for n, want in sorted(TABLE.items()):
    one = os.path.join(T, "line%d.jsonl" % n)
    with open(one, "w") as f:
        f.write(lines[n - 1] + "\n")
    rc, out, err = run(["-f", "hops", one])
    h = rows(out)
    rc, out, err = run(["-f", "paths", one])
    p = rows(out)
    eq(len(p), 1, "line %d: one path" % n)
    if not p:
        continue
    p = p[0]
    last = p["path"].split(" ")[-1] if p["path"] else None
    eq((p["prb_id"], p["msm_id"], h[0]["method"] if h else want[2],
        p["flowid"], len(h), p["complete"], last, p["source"]),
       want + ("atlas",), "line %d" % n)

# line 3: an MPLS label (exp 1, S 1, TTL 1) at hop 10, from fw 4500
rc, out, err = run(["-f", "hops", GOOD], check=1)
h = rows(out)
m = [r for r in h if r["prb_id"] == "319" and r["mpls"] == "407904"]
eq([(r["ttl"], r["addr"], r["mpls_tc"], r["mpls_s"], r["mpls_ttl"],
     r["rtt_ms"], r["reply_ttl"]) for r in m][:1],
   [("10", "66.110.59.1", "1", "1", "1", "23.974", "241")],
   "line 3: MPLS entry of hop 10")
# line 10: err "H" over IPv6: ICMPv6 destination unreachable, address
r10 = [r for r in h if r["msm_id"] == "1019825"]
eq({(r["icmp_type"], r["icmp_code"]) for r in r10}, {("1", "3")},
   "line 10: err H is ICMPv6 type 1 code 3")
eq(r10[0]["rtt_ms"], "2014.845", "line 10: RTT in ms")
# line 17: late replies have no RTT; the TTL-255 probe is a row, not a hop
r17 = [r for r in h if r["prb_id"] == "10834"]
eq({r["rtt_ms"] for r in r17}, {""}, "line 17: late replies carry no RTT")
eq([r["ttl"] for r in r17 if r["addr"] == "78.46.48.134"], ["255"] * 3,
   "line 17: the destination's replies at TTL 255")
eq([r["probe_id"] for r in r17 if r["ttl"] == "2"], ["1", "3", "5"],
   "line 17: probe_id is the entry's place (timeouts in between)")
# line 19: hop 12's replies answer another destination (edst) or are
# duplicates: none is a row
eq([r for r in h if r["prb_id"] == "12266" and r["ttl"] == "12"], [],
   "line 19: edst and dup replies left out")
# the whole file: 22 records, line 11's hop error counted
rc, out, err = run(["-f", "paths", GOOD])
eq(rc, 1, "samples: exit 1 (line 11's hop could not be sent)")
eq(len(rows(out)), 22, "samples: 22 paths")
ok(":11: 1 skipped; hop 1: connect failed: Network is unreachable" in err,
   "line 11: the hop error, counted\n" + err)

# invalid samples: no dst_addr (name resolution failed) is a bad trace
# with the probe's message; send errors are bad hops; the others convert
rc, out, err = run(["-f", "paths", BAD])
eq(rc, 1, "invalid samples: exit 1")
eq([(r["prb_id"], r["path"] != "") for r in rows(out)],
   [("11684", False), ("1004666", False), ("1000318", False),
    ("12185", True)], "invalid samples: the records that have a dst")
for where in (":1: traceroute without a dst_addr (name resolution failed",
              ":3: 1 skipped; hop 1: bind failed: Address already in use",
              ":5: 1 skipped; hop 1: sendto failed: Operation not permitted"):
    ok(BAD + where in err, "invalid samples: " + where + "\n" + err)
eq(rows(out)[3]["flowid"], "", "no paris_id: no flow id")

# the API's form: one JSON array (on one line, or pretty-printed)
arr = os.path.join(T, "api.json")
with open(arr, "w") as f:
    json.dump([json.loads(x) for x in lines[:5]], f)
pretty = os.path.join(T, "api-pretty.json")
with open(pretty, "w") as f:
    json.dump([json.loads(x) for x in lines[:5]], f, indent=2)
first5 = os.path.join(T, "first5.jsonl")
with open(first5, "w") as f:
    f.write("\n".join(lines[:5]) + "\n")
ref = run(["-f", "hops", first5], check=0)[1]
for p in (arr, pretty):
    rc, out, err = run(["-f", "hops", p], check=0)
    eq(out, ref, "a JSON array gives the same rows: " + p)

# mixed inputs: one table, the source column tells them apart
rc, out, err = run(["-f", "paths", os.path.join(conv.S2, "valid-simple.jsonl"),
                    os.path.join(conv.FIX, "hoplite.jsonl"), first5], check=0)
eq([r["source"] for r in rows(out)],
   ["mlab"] + ["scamper"] * 3 + ["atlas"] * 5, "source column")
eq({r["prb_id"] for r in rows(out)[:4]}, {""}, "prb_id: empty elsewhere")
rc, out, err = run(["-f", "ndjson", first5], check=0)
o = json.loads(out.splitlines()[0])
eq((o["source"], o["prb_id"], o["msm_id"], o["method"], o["flowid"]),
   ("atlas", 190, 1000157, "udp-paris", 2), "ndjson keys of an Atlas record")
conv.done()
