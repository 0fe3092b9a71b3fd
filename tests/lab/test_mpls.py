#!/usr/bin/env python3
"""test_mpls: ICMP extensions from a real reply path.

Topology: the diamond (src - r1 => r2a|r2b => r3 - dst).  r3 answers as
an MPLS label-switching router (mpls_router.py: time-exceeded with an RFC
4884 extension holding an RFC 4950 label stack, 16005 over 24001); the
kernel still routes, so everything else is as usual.

hoplite trace (icmp-paris, udp-paris) and hoplite mda (icmp-echo,
udp-dport), IPv4 and IPv6: r3's hop carries exactly that stack, as
scamper's JSON writes it ("icmpext": ie_cn 1, ie_ct 1, mpls_labels with
mpls_ttl, mpls_s, mpls_exp, mpls_label); no other hop carries any
extension; the trace still completes.  hoplited (its default MDA mode,
M-Lab's preset) writes a scamper1 file that passes M-Lab's rules with the
same stack on r3's replies.  When scamper is installed, its trace over the
same lab reports the same icmpext object.
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402

sys.path.insert(0, os.path.join(daemon.ROOT, "tests", "unit"))
import mlab_check  # noqa: E402

STACK = ["16005/0/0/255", "24001/5/1/254"]
WANT = [{"ie_cn": 1, "ie_ct": 1, "ie_dl": 8, "mpls_labels": [
    {"mpls_ttl": 255, "mpls_s": 0, "mpls_exp": 0, "mpls_label": 16005},
    {"mpls_ttl": 254, "mpls_s": 1, "mpls_exp": 5, "mpls_label": 24001}]}]


def ext_by_owner(L, replies):
    """{node name: [icmpext or None, ...]} over (addr, reply) pairs."""
    out = {}
    for addr, rep in replies:
        out.setdefault(str(L.owner(addr)), []).append(rep.get("icmpext"))
    return out


def check_exts(ck, L, replies, label):
    by = ext_by_owner(L, replies)
    ck.ok("r3" in by, label + ": r3 answered")
    ck.eq([e for e in by.get("r3", []) if e != WANT], [],
          label + ": every r3 reply has the label stack")
    ck.eq(sorted(n for n, es in by.items()
                 if n != "r3" and any(e is not None for e in es)), [],
          label + ": no extension on any other router's reply")


def trace_replies(tr):
    return [(h["addr"], h) for h in tr.get("hops", [])]


def mda_replies(tr):
    out = []
    for n in tr.get("nodes", []):
        for lk in n.get("links", []):
            for ls in lk:
                for p in ls.get("probes", []):
                    for r in p.get("replies", []):
                        out.append((ls["addr"], r))
    return out


def hoplited_part(ck, L, t):
    label = "hoplited mda v4"
    wd = daemon.Workdir("mpls")
    d = daemon.Daemon(L, t.src, wd, [], name="m", mode=None).start()
    try:
        with d.control() as c:
            r = c.request({"uuid": "mpls4", "ip": t.dst4})
            ck.eq(r.get("status"), "queued", label + ": queued")
        p = d.wait_file("mpls4", 120)
        tr = daemon.check_mlab_file(ck, p, "mpls4", label=label)
        if tr:
            probs = mlab_check.check_file(p, strict=True,
                                          want_type="tracelb", name=True,
                                          shape=True)
            ck.ok(not probs, label + ": M-Lab's scamper1 rules",
                  "; ".join(probs))
            check_exts(ck, L, mda_replies(tr), label)
    finally:
        ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")


def main():
    lab.require_lab()
    lab.require_hoplite()
    lab.hoplite_only("hoplite trace and mda through an MPLS router")
    daemon.require_hoplited()
    ck = lab.Check("test_mpls")
    hl = os.environ["HOPLITE"]
    with lab.Lab("mp") as L:
        t = lab.build_fan(L, 2)
        r3 = t.lab.nodes["r3"]
        resp = L.mpls(r3, STACK)
        for fam, d in ((4, t.dst4), (6, t.dst6)):
            for m in ("icmp-paris", "udp-paris"):
                lbl = "trace %s v%d" % (m, fam)
                p = L.run(t.src, [hl, "trace", "-P", m, "-w", "1", d],
                          timeout=60)
                ck.eq(p.returncode, 0, lbl + ": exit status " + p.stderr)
                trs = lab.traces_of(lab.parse_json_lines(p.stdout))
                ck.eq(len(trs), 1, lbl + ": one trace")
                for tr in trs:
                    ck.eq(tr.get("stop_reason"), "COMPLETED",
                          lbl + ": completed")
                    check_exts(ck, L, trace_replies(tr), lbl)
            for m in ("icmp-echo", "udp-dport"):
                lbl = "mda %s v%d" % (m, fam)
                p = L.run(t.src, [hl, "mda", "-P", m, "-w", "1", d],
                          timeout=120)
                ck.eq(p.returncode, 0, lbl + ": exit status " + p.stderr)
                objs = [o for o in lab.parse_json_lines(p.stdout)
                        if o.get("type") == "tracelb"]
                ck.eq(len(objs), 1, lbl + ": one tracelb")
                for tr in objs:
                    check_exts(ck, L, mda_replies(tr), lbl)
        hoplited_part(ck, L, t)
        if shutil.which("scamper"):
            p = L.run(t.src, ["scamper", "-O", "json", "-p", "200",
                              "-I", "trace -P icmp-paris %s" % t.dst4,
                              "-I", "trace -P icmp-paris %s" % t.dst6],
                      timeout=60)
            trs = [o for o in lab.parse_json_lines(p.stdout)
                   if o.get("type") == "trace"]
            ck.eq(len(trs), 2, "scamper: two traces")
            for tr in trs:
                check_exts(ck, L, trace_replies(tr),
                           "scamper trace to " + tr.get("dst", "?"))
        else:
            ck.note("scamper not installed: no side-by-side check")
        resp.terminate()
        _, err = resp.communicate(timeout=10)
        ck.note(err.strip())
    ck.done()


if __name__ == "__main__":
    main()
