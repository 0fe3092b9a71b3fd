#!/usr/bin/env python3
"""Synthetic traceroute corpora for the hoplite-convert tests and benchmark.

M-Lab 4-line groups (metadata, cycle-start, trace or tracelb, cycle-stop)
over a made-up topology: a few vantage points, a shared core with per-flow
load balancing, silent routers, destinations in many /24s.  Deterministic
for a given seed.

  gen.py DIR FILES RECORDS [SEED]          FILES .jsonl files in DIR
  gen.py --bytes N DIR FILES [SEED]        about N bytes in all
"""
import json
import os
import random
import sys
import zlib

SEP = (",", ":")


def _addr(rng, block):
    return "%s.%d" % (block, rng.randrange(1, 255))


class Topology:
    def __init__(self, seed):
        rng = random.Random(seed)
        self.rng = rng
        self.srcs = [("192.0.2.%d" % (10 + i), "192.0.2.%d" % (1 + i))
                     for i in range(3)]
        # core: 8 stages of 1-3 routers each (a stage with several is a
        # per-flow load balancer)
        self.core = [[_addr(rng, "100.64.%d" % s)
                      for _ in range(rng.choice((1, 1, 2, 3)))]
                     for s in range(8)]
        self.silent = {a for stage in self.core for a in stage
                       if rng.random() < 0.1}

    def path(self, src_gw, dst, flow):
        """The routers at TTL 1.. for one flow (None: silent)."""
        hops = [src_gw]
        for stage in self.core:
            a = stage[(flow * 7 + zlib.crc32(dst.encode())) % len(stage)]
            hops.append(None if a in self.silent else a)
        hops.append(dst.rsplit(".", 1)[0] + ".1")
        hops.append(dst)
        return hops


def _start(sec, usec):
    return {"sec": sec, "usec": usec, "ftime": "2024-05-01 00:00:00"}


def trace_obj(topo, rng, src, gw, dst, sec):
    hops = []
    for ttl, a in enumerate(topo.path(gw, dst, 0), 1):
        if a is None:
            continue
        h = {"addr": a, "probe_ttl": ttl, "probe_id": 1, "probe_size": 44,
             "tx": {"sec": sec, "usec": ttl * 1000},
             "rtt": round(rng.uniform(0.1, 80.0), 3), "reply_ttl": 255 - ttl,
             "reply_tos": 0, "reply_ipid": rng.randrange(65536),
             "reply_size": 56}
        if a == dst:
            h.update(icmp_type=0, icmp_code=0)
        else:
            h.update(icmp_type=11, icmp_code=0, icmp_q_ttl=1, icmp_q_ipl=44,
                     icmp_q_tos=0)
        hops.append(h)
    return {"type": "trace", "version": "0.1", "userid": 0,
            "method": "icmp-echo-paris", "src": src, "dst": dst,
            "icmp_sum": 33009, "stop_reason": "COMPLETED", "stop_data": 0,
            "start": _start(sec, 5), "hop_count": len(hops), "attempts": 2,
            "hoplimit": 0, "firsthop": 1, "wait": 5, "wait_probe": 0,
            "tos": 0, "probe_size": 44, "probe_count": len(hops),
            "hops": hops}


def tracelb_obj(topo, rng, src, gw, dst, sec, nflows=6):
    paths = [topo.path(gw, dst, f) for f in range(1, nflows + 1)]
    # links: (near, far) -> probes of the far hop, per flow
    order, links = [], {}
    for f, p in enumerate(paths, 1):
        prev = p[0]
        for ttl in range(2, len(p) + 1):
            a = p[ttl - 1]
            if a is None:
                continue
            key = (prev, a)
            if key not in links:
                links[key] = []
                order.append(key)
            links[key].append({
                "tx": {"sec": sec, "usec": ttl}, "replyc": 1, "ttl": ttl,
                "attempt": 0, "flowid": f,
                "replies": [{"rx": {"sec": sec, "usec": ttl + 1},
                             "ttl": 255 - ttl,
                             "rtt": round(rng.uniform(0.1, 80.0), 3),
                             "icmp_type": 0 if a == dst else 11,
                             "icmp_code": 0, "icmp_q_tos": 0,
                             "icmp_q_ttl": 1}]})
            prev = a
    nodes, index = [], {}
    for near, far in order:
        if near not in index:
            index[near] = len(nodes)
            nodes.append({"addr": near, "q_ttl": 1, "linkc": 0,
                          "links": []})
        n = nodes[index[near]]
        n["links"].append([{"addr": far, "probes": links[(near, far)]}])
        n["linkc"] += 1
    return {"type": "tracelb", "version": "0.1", "userid": 0,
            "method": "icmp-echo", "src": src, "dst": dst,
            "start": _start(sec, 7), "probe_size": 44, "firsthop": 1,
            "attempts": 3, "confidence": 95, "tos": 0, "gaplimit": 3,
            "wait_timeout": 5, "wait_probe": 250,
            "probec": sum(len(v) for v in links.values()),
            "probec_max": 3000, "nodec": len(nodes), "linkc": len(links),
            "nodes": nodes}


def records(seed, n):
    """n M-Lab 4-line groups, as strings."""
    topo = Topology(seed)
    rng = random.Random(seed + 1)
    for i in range(n):
        src, gw = topo.srcs[rng.randrange(len(topo.srcs))]
        dst = "198.%d.%d.%d" % (rng.randrange(18, 20), rng.randrange(256),
                                rng.randrange(2, 254))
        sec = 1714521600 + i * 7 + seed * 100000
        uuid = "gen-%d_%d_%016X" % (seed, 1714500000, i)
        lb = rng.random() < 0.3
        t = (tracelb_obj if lb else trace_obj)(topo, rng, src, gw, dst, sec)
        yield "\n".join([
            json.dumps({"UUID": uuid, "TracerouteCallerVersion": "gen",
                        "CachedResult": False, "CachedUUID": ""},
                       separators=SEP),
            json.dumps({"type": "cycle-start", "list_name": "default",
                        "id": 0, "hostname": "gen", "start_time": sec},
                       separators=SEP),
            json.dumps(t, separators=SEP),
            json.dumps({"type": "cycle-stop", "list_name": "default",
                        "id": 0, "hostname": "gen", "stop_time": sec + 3},
                       separators=SEP)]) + "\n"


def write(out, files, nrec, seed=1):
    os.makedirs(out, exist_ok=True)
    fs = [open(os.path.join(out, "part-%03d.jsonl" % i), "w")
          for i in range(files)]
    for i, r in enumerate(records(seed, nrec)):
        fs[i % files].write(r)
    for f in fs:
        f.close()


def write_bytes(out, files, nbytes, seed=1):
    """About nbytes: 4000 distinct records, repeated under new UUIDs."""
    os.makedirs(out, exist_ok=True)
    pool = list(records(seed, 4000))
    fs = [open(os.path.join(out, "part-%03d.jsonl" % i), "w")
          for i in range(files)]
    done, i = 0, 0
    while done < nbytes:
        r = pool[i % len(pool)]
        if i >= len(pool):
            r = r.replace("_1714500000_", "_%d_" % (1714500000 + i), 1)
        fs[i % files].write(r)
        done += len(r)
        i += 1
    for f in fs:
        f.close()
    return i


if __name__ == "__main__":
    a = sys.argv[1:]
    if a and a[0] == "--bytes":
        n = write_bytes(a[2], int(a[3]), int(a[1]),
                        int(a[4]) if len(a) > 4 else 1)
        print(n)
    elif len(a) >= 3:
        write(a[0], int(a[1]), int(a[2]), int(a[3]) if len(a) > 3 else 1)
    else:
        sys.exit(__doc__)
