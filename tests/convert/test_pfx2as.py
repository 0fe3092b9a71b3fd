#!/usr/bin/env python3
"""--pfx2as: longest-prefix match over IPv4 and IPv6, gzip or plain, MOAS
and AS sets kept as text, bad lines counted; --anonymize netblock."""
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv  # noqa: E402
from conv import eq, ok, run, rows  # noqa: E402

conv.need_data()
T = conv.tmpdir()
V4 = os.path.join(conv.RV, "routeviews-pfx2as-v4.sample.gz")
V6 = os.path.join(conv.RV, "routeviews-pfx2as-v6.sample.gz")


def trace(dst, hops, src="192.0.2.1"):
    import json
    return json.dumps({"type": "trace", "method": "icmp-echo-paris",
                       "src": src, "dst": dst,
                       "start": {"sec": 1700000000, "usec": 0},
                       "hops": [{"addr": a, "probe_ttl": i + 1, "rtt": 1.0}
                                for i, a in enumerate(hops)]}) + "\n"


def asn_of(pfx, addrs):
    """addr -> asn as the hops format gives it, one trace per address."""
    path = os.path.join(T, "q.jsonl")
    with open(path, "w") as f:
        f.write(trace(addrs[-1], addrs))
    rc, out, err = run(["-f", "hops", "--pfx2as", pfx, path])
    eq(rc, 0, "lookup run: " + err)
    return {r["addr"]: r["asn"] for r in rows(out)}


# The real samples, with answers read off the sample files by hand:
# 4.0.0.0/8 and 4.0.0.0/9 -> 3356; 4.23.88.0/24 -> 46164 inside 4.0.0.0/8;
# 1.0.4.0/22 and 1.0.4.0/24 -> 56203; 8.8.8.0/24 -> 15169; nothing covers
# 240.0.0.1; 2001::/32 -> 6939_1101_25192; 24409_24151_24406 is a MOAS entry.
merged = os.path.join(T, "rv.gz")
with gzip.open(merged, "wb") as g:
    g.write(gzip.open(V4).read() + gzip.open(V6).read())
line = [x for x in gzip.open(V4).read().decode().splitlines()
        if x.endswith("\t24409_24151_24406")][0].split("\t")
moas = line[0].rsplit(".", 1)[0] + ".77" if int(line[1]) <= 24 else line[0]
got = asn_of(merged, ["4.23.88.9", "4.200.1.1", "4.1.2.3", "1.0.5.1",
                      moas, "2001:200:900::1", "2001:200:1::1",
                      "2001:4:112::9", "2001:0:1::1", "8.8.8.8", "240.0.0.1"])
eq(got, {"4.23.88.9": "46164", "4.200.1.1": "3356", "4.1.2.3": "3356",
         "1.0.5.1": "56203", moas: "24409_24151_24406",
         "2001:200:900::1": "7660", "2001:200:1::1": "2500",
         "2001:4:112::9": "112", "2001:0:1::1": "6939_1101_25192",
         "8.8.8.8": "15169", "240.0.0.1": ""}, "RouteViews sample lookups")

# A hand-made file: nested prefixes, /0, /32 and /128, an AS set (quoted
# in CSV), a v4-mapped address, bad lines counted (exit 1).
pf = os.path.join(T, "p.txt")
with open(pf, "w") as f:
    f.write("0.0.0.0\t0\t1\n10.0.0.0\t8\t2\n10.1.0.0\t16\t3\n"
            "10.1.2.3\t32\t4\n10.1.2.0\t24\t5,6\n"
            "::\t0\t7\n2001:db8::\t32\t8\n2001:db8::1\t128\t9\n"
            "# a comment\n\n"
            "10.0.0.0\t33\t10\nnot a prefix\t8\t1\n10.2.0.0\t16\n")
path = os.path.join(T, "q.jsonl")
with open(path, "w") as f:
    f.write(trace("10.1.2.3", ["10.1.2.3", "10.1.2.4", "10.1.9.9",
                               "10.9.9.9", "11.0.0.1", "::ffff:10.1.2.4",
                               "2001:db8::1", "2001:db8::2", "2001:db9::1"]))
rc, out, err = run(["-f", "hops", "--pfx2as", pf, path])
eq(rc, 1, "bad pfx2as lines: exit 1")
ok(err.count("bad-pfx2as") == 1 and "p.txt:11:" in err and
   "p.txt:13:" in err, "bad pfx2as lines reported: " + err)
eq([(r["addr"], r["asn"]) for r in rows(out)],
   [("10.1.2.3", "4"), ("10.1.2.4", "5,6"), ("10.1.9.9", "3"),
    ("10.9.9.9", "2"), ("11.0.0.1", "1"), ("10.1.2.4", "5,6"),
    ("2001:db8::1", "9"), ("2001:db8::2", "8"), ("2001:db9::1", "7")],
   "longest-prefix match")
ok('"5,6"' in out, "an AS set is quoted in CSV")
rc, out, err = run(["-f", "nodes", "--pfx2as", pf, path])
eq({r["addr"]: r["asn"] for r in rows(out)}["10.1.9.9"], "3", "nodes asn")

# unreadable --pfx2as: exit 2
rc, out, err = run(["-f", "hops", "--pfx2as", os.path.join(T, "none"),
                    path])
eq(rc, 2, "missing pfx2as file")

# --anonymize netblock: the destination's /24 (v4) or /48 (v6), in dst and
# in hop addresses inside that block only.
rc, out, err = run(["-f", "hops", "--anonymize", "netblock",
                    os.path.join(conv.S2, "valid-complex.jsonl"),
                    os.path.join(conv.S2, "valid-complex-dst-in-hops-v6.jsonl")],
                   check=0)
h = rows(out)
eq({r["dst"] for r in h}, {"91.189.88.0", "2001:668:1f::"}, "anonymized dst")
eq([r["addr"] for r in h if r["ttl"] == "14"], ["91.189.88.0"],
   "v4 hop in the client's /24")
eq([r["addr"] for r in h if r["dst"] == "2001:668:1f::"],
   ["2001:1900:2100:2d::1", "2001:1900::3:212",
    "2001:668:0:3:ffff:0:d178:83bd", "2001:668:0:2:ffff:0:5995:8eb6",
    "2001:668:1f::"], "v6: only the /48 of the client is zeroed")
eq(h[0]["addr"], "192.168.144.1", "other hops untouched")
rc, out, err = run(["-f", "paths", "--anonymize", "netblock",
                    os.path.join(conv.S2, "valid-complex.jsonl")], check=0)
p = rows(out)[0]
eq((p["dst"], p["complete"], p["path"].split()[-1]),
   ("91.189.88.0", "1", "91.189.88.0"), "anonymized path still complete")
rc, out, err = run(["-f", "ndjson", "--anonymize", "netblock",
                    os.path.join(conv.S2, "valid-complex.jsonl")], check=0)
ok("91.189.88.142" not in out, "no client address left in ndjson")
conv.done()
