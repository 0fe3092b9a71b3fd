#!/usr/bin/env python3
"""The extraction bench_convert.py times hoplite-convert against, written
the way a researcher would with Python's standard json module: M-Lab
4-line files (or raw scamper JSON) in, CSV out.

  py_extract.py hops FILE ...   a row per reply (trace hops, tracelb
                                replies) with the M-Lab UUID
  py_extract.py links FILE ...  near,far,gap,traces: links between
                                consecutive answered TTLs of each flow
                                (MDA flows rebuilt from their probes, the
                                first node at the first hop of every flow),
                                counted once per trace
"""
import json
import sys


def usable(a):
    return a not in ("*", "", None)


def hops(files, out):
    w = out.write
    for path in files:
        uuid = ""
        with open(path, "rb") as f:
            for line in f:
                o = json.loads(line)
                if "UUID" in o:
                    uuid = o["UUID"]
                    continue
                t = o.get("type")
                if t == "trace":
                    head = [uuid, o.get("src", ""), o["dst"],
                            o.get("method", ""), str(o["start"]["sec"])]
                    for h in o.get("hops", ()):
                        w(",".join(head + [
                            str(h["probe_ttl"]), str(h.get("probe_id", "")),
                            h["addr"], str(h.get("rtt", "")),
                            str(h.get("reply_ttl", "")),
                            str(h.get("icmp_type", "")),
                            str(h.get("icmp_code", ""))]) + "\n")
                elif t == "tracelb":
                    head = [uuid, o.get("src", ""), o["dst"],
                            o.get("method", ""), str(o["start"]["sec"])]
                    for n in o.get("nodes", ()):
                        for hop in n.get("links", ()):
                            for e in hop:
                                for p in e.get("probes", ()):
                                    for r in p.get("replies", ()):
                                        w(",".join(head + [
                                            str(p["flowid"]), str(p["ttl"]),
                                            str(p["attempt"] + 1), e["addr"],
                                            str(r.get("rtt", "")),
                                            str(r.get("ttl", "")),
                                            str(r.get("icmp_type", "")),
                                            str(r.get("icmp_code", ""))]) +
                                          "\n")


def flows(o):
    if o["type"] == "trace":
        return [sorted({(h["probe_ttl"], h["addr"]) for h in
                        o.get("hops", ()) if usable(h.get("addr"))})]
    fh = o.get("firsthop", 1)
    nodes = o.get("nodes", ())
    first = nodes[0].get("addr") if nodes else None
    per = {}
    for n in nodes:
        for hop in n.get("links", ()):
            for e in hop:
                for p in e.get("probes", ()):
                    if p.get("replies"):
                        per.setdefault(p["flowid"], set()).add(
                            (p["ttl"], e["addr"]))
    res = []
    for fid in sorted(per):
        s = {x for x in per[fid] if usable(x[1])}
        if usable(first):
            s.add((fh, first))
        res.append(sorted(s))
    return res


def links(files, out):
    count = {}
    for path in files:
        with open(path, "rb") as f:
            for line in f:
                o = json.loads(line)
                if o.get("type") not in ("trace", "tracelb"):
                    continue
                seen = set()
                for fl in flows(o):
                    for a, b in zip(fl, fl[1:]):
                        if a[1] != b[1]:
                            seen.add((a[1], b[1], b[0] - a[0] - 1))
                for k in seen:
                    count[k] = count.get(k, 0) + 1
    for (a, b, g), n in count.items():
        out.write("%s,%s,%d,%d\n" % (a, b, g, n))


if __name__ == "__main__":
    {"hops": hops, "links": links}[sys.argv[1]](sys.argv[2:], sys.stdout)
