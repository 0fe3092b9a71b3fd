#!/usr/bin/env python3
"""test_daemon_mda: hoplited --mode mda (the default) on an MDA lab.

On the fan-out lab (r1 => {ma, mb, mc, md}, ma => {x1, x2}: 20 links per
family, balancers that hash ICMP as hardware routers do):

(a) The default mode writes a `tracelb` on line 3 that passes M-Lab's
    scamper1 rules (tests/unit/mlab_check.py, tracelb, shape), with
    M-Lab's preset (icmp-echo, -q 3, 95 %, gap limit 3, wait 5 s,
    wait_probe 150 ms, probec_max 3000), and holds every true link and no
    false one, IPv4 and IPv6.  A second request for the client is a cached
    copy of the same tracelb; a request naming a Paris method is refused;
    the metrics count the MDA measurement, its probes and nodes.
(b) --mode paris on the same lab writes a `trace` (scamper2) that passes
    M-Lab's rules.
(c) --anonymize netblock: every node and link address inside the client's
    /24 (/48) is zeroed, the destination too; the links outside stay.
(d) SIGTERM with --grace 0: the running MDA measurement and a queued one
    are written as HALTED tracelb files that M-Lab's rules accept.
(e) The journal keeps each request's kind: kill -9 an MDA daemon with
    requests pending (journal lines "mda:-"), restart it in --mode paris on
    the same output: the replayed requests still get tracelb files, while
    a new request gets a trace.
(f) --test-flow in mode mda: a request with the test's ports gets a
    one-flow TCP ACK Paris `trace` from the server's port to the client's
    (MDA would vary the test's ports); one without ports a `tracelb`.
"""

import ipaddress
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402
import mdalab  # noqa: E402

FILE_WAIT = 120.0
sys.path.insert(0, os.path.join(daemon.ROOT, "tests", "unit"))
import mlab_check  # noqa: E402


def rules(ck, path, want, label):
    probs = mlab_check.check_file(path, strict=True, want_type=want,
                                  name=True, shape=want == "tracelb")
    ck.ok(not probs, label + ": M-Lab's %s rules" % (
        "scamper1" if want == "tracelb" else "scamper2"), "; ".join(probs))


def netblock(addr):
    return ipaddress.ip_network(addr + ("/24" if ":" not in addr else "/48"),
                                strict=False)


def part_a(ck, L, t, wd):
    label = "(a) mode mda"
    d = daemon.Daemon(L, t.src, wd, [], name="a", mode=None).start()
    objs = {}
    try:
        with d.control() as c:
            for u, ip in (("m4", t.dst4), ("m6", t.dst6)):
                r = c.request({"uuid": u, "ip": ip})
                ck.eq(r.get("status"), "queued", "%s %s: queued" % (label, u))
            r = c.request({"uuid": "mp", "ip": t.dst4, "method": "udp-paris"})
            ck.ok("method_needs_paris" in str(r.get("error")),
                  label + ": a Paris method is refused in mode mda", repr(r))
        for u, ip in (("m4", t.dst4), ("m6", t.dst6)):
            fam = daemon.family(ip)
            p = d.wait_file(u, FILE_WAIT)
            tr = daemon.check_mlab_file(ck, p, u, label="%s %s" % (label, u))
            if not tr:
                continue
            rules(ck, p, "tracelb", "%s %s" % (label, u))
            objs[u] = tr
            for k, want in (("type", "tracelb"), ("method", "icmp-echo"),
                            ("attempts", 3), ("confidence", 95),
                            ("gaplimit", 3), ("wait_timeout", 5),
                            ("wait_probe", 150), ("probec_max", 3000)):
                ck.eq(tr.get(k), want, "%s %s: %s" % (label, u, k))
            mdalab.check_trace(ck, t, mdalab.Tracelb(tr), "icmp-echo", fam,
                               "%s %s" % (label, u))
        with d.control() as c:
            r = c.request({"uuid": "m4c", "ip": t.dst4})
        ck.ok(r.get("status") in ("cached", "joined"),
              label + ": m4c served from the cache", repr(r))
        p = d.wait_file("m4c", 10)
        tr = daemon.check_mlab_file(ck, p, "m4c", cached=True,
                                    cached_uuid="m4", label=label + " m4c")
        if tr:
            rules(ck, p, "tracelb", label + " m4c")
            ck.ok(tr == objs.get("m4"), label + ": the cached copy is the "
                  "original's tracelb")
        m = d.scrape()
        ck.eq(m.v("hoplite_measurements_total", type="mda"), 2,
              label + ": hoplite_measurements_total{type=mda}")
        ck.eq(m.v("hoplite_measurements_total", type="paris"), 0,
              label + ": no Paris trace")
        ck.eq(m.v("hoplite_mda_probes_total"),
              sum(o.get("probec", 0) for o in objs.values()),
              label + ": hoplite_mda_probes_total is the files' probec")
        ck.eq(m.v("hoplite_mda_nodes_count"), 2,
              label + ": hoplite_mda_nodes observed twice")
        ck.eq(m.v("hoplite_mda_perpacket_total"), 0,
              label + ": no per-packet node on a per-flow lab")
        ck.eq(m.v("hoplite_refused_total", reason="method_needs_paris"), 1,
              label + ": the refusal counted")
        ck.ok("mode=mda" in d.stderr() and "probe-gap=150ms" in d.stderr(),
              label + ": the settings line names the mode and probe gap")
    finally:
        ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")
    return objs


def part_b(ck, L, t, wd):
    label = "(b) mode paris"
    d = daemon.Daemon(L, t.src, wd, [], name="b", mode="paris").start()
    try:
        with d.control() as c:
            for u, ip in (("p4", t.dst4), ("p6", t.dst6)):
                c.request({"uuid": u, "ip": ip})
        for u, ip in (("p4", t.dst4), ("p6", t.dst6)):
            p = d.wait_file(u, 30)
            tr = daemon.check_mlab_file(ck, p, u, label="%s %s" % (label, u))
            if tr:
                rules(ck, p, "trace", "%s %s" % (label, u))
                ck.eq(tr.get("type"), "trace", "%s %s: a trace" % (label, u))
                ck.eq(tr.get("stop_reason"), "COMPLETED",
                      "%s %s: completed" % (label, u))
        m = d.scrape()
        ck.eq(m.v("hoplite_measurements_total", type="paris"), 2,
              label + ": hoplite_measurements_total{type=paris}")
    finally:
        ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")


def part_c(ck, L, t, wd, plain):
    label = "(c) --anonymize netblock"
    d = daemon.Daemon(L, t.src, wd, ["--anonymize", "netblock"], name="c",
                      mode="mda").start()
    try:
        with d.control() as c:
            for u, ip in (("n4", t.dst4), ("n6", t.dst6)):
                c.request({"uuid": u, "ip": ip})
        for u, ip in (("n4", t.dst4), ("n6", t.dst6)):
            p = d.wait_file(u, FILE_WAIT)
            tr = daemon.check_mlab_file(ck, p, u, label="%s %s" % (label, u))
            if not tr:
                continue
            rules(ck, p, "tracelb", "%s %s" % (label, u))
            net = netblock(ip)
            zero = str(net.network_address)
            ck.eq(tr.get("dst"), zero, "%s %s: dst zeroed" % (label, u))
            lb = mdalab.Tracelb(tr)
            inside = {a for a in lb.addrs if a != "*" and
                      ipaddress.ip_address(a) in net}
            ck.ok(inside and inside <= {zero},
                  "%s %s: every address in the client's netblock zeroed"
                  % (label, u), sorted(inside))
            # The same lab, the same links, once anonymised.
            truth = {(a if ipaddress.ip_address(a) not in net else zero,
                      b if b is None or ipaddress.ip_address(b) not in net
                      else zero) for a, b in t.truth[daemon.family(ip)]}
            ck.eq(lb.links - truth, set(), "%s %s: no false link" % (label, u))
            ck.eq(truth - lb.links, set(),
                  "%s %s: every link found, anonymised" % (label, u))
    finally:
        ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")


def part_d(ck, L, t, wd):
    label = "(d) SIGTERM"
    # A slow probe gap keeps the first measurement running; the second
    # waits for the one slot.
    d = daemon.Daemon(L, t.src, wd, ["--grace", "0", "--probe-gap", "500",
                                      "--max-inflight", "1"], name="d",
                      mode="mda").start()
    with d.control() as c:
        for u, ip in (("h4", t.dst4), ("h6", t.dst6)):
            r = c.request({"uuid": u, "ip": ip})
            ck.eq(r.get("status"), "queued", "%s %s: queued" % (label, u))
    d.wait_metric(lambda m: (m.v("hoplite_engine_total",
                                 counter="probes_sent") or 0) >= 3,
                  timeout=10)
    ck.eq(d.stop(timeout=15), 0, label + ": exit 0")
    got = d.jsonl()
    ck.eq(sorted(got), ["h4", "h6"], label + ": both requests written")
    for u in sorted(got):
        tr = daemon.check_mlab_file(ck, got[u], u, label="%s %s" % (label, u))
        if not tr:
            continue
        rules(ck, got[u], "tracelb", "%s %s" % (label, u))
        ck.eq(tr.get("stop_reason"), "HALTED", "%s %s: HALTED" % (label, u))
    h6 = daemon.trace_of(got["h6"]) if "h6" in got else {}
    ck.eq(h6.get("probec"), 0, label + ": h6 never started: no probe")
    ck.ok(daemon.trace_of(got["h4"]).get("probec", 0) > 0 if "h4" in got
          else False, label + ": h4 was halted after some probes")


def part_e(ck, L, t, wd):
    label = "(e) journal across modes"
    out = wd.path("e-out")
    d = daemon.Daemon(L, t.src, wd, ["--probe-gap", "500", "--max-inflight",
                                      "1"], name="e1", output=out,
                      mode="mda").start()
    with d.control() as c:
        for u, ip in (("j4", t.dst4), ("j6", t.dst6)):
            r = c.request({"uuid": u, "ip": ip})
            ck.eq(r.get("status"), "queued", "%s %s: queued" % (label, u))
    lines = d.journal()
    ck.ok(len(lines) == 2 and all(b" mda:- " in x for x in lines),
          label + ": journal lines name the kind", repr(lines))
    d.kill()
    ck.eq(d.jsonl(), {}, label + ": no file before the restart")
    d2 = daemon.Daemon(L, t.src, wd, [], name="e2", output=out,
                       mode="paris").start()
    try:
        got = d2.wait_files(["j4", "j6"], timeout=FILE_WAIT)
        ck.eq(sorted(got), ["j4", "j6"], label + ": both replayed")
        for u in sorted(got):
            tr = daemon.check_mlab_file(ck, got[u], u,
                                        label="%s %s" % (label, u))
            if tr:
                rules(ck, got[u], "tracelb", "%s %s" % (label, u))
        with d2.control() as c:
            c.request({"uuid": "j-new", "ip": t.dst4})
        p = d2.wait_file("j-new", 30)
        tr = daemon.check_mlab_file(ck, p, "j-new", label=label + " j-new")
        ck.eq(tr.get("type") if tr else None, "trace",
              label + ": a new request in mode paris gets a trace")
        m = d2.scrape()
        ck.eq(m.v("hoplite_journal_total", event="replayed"), 2,
              label + ": hoplite_journal_total{event=replayed}")
        ck.eq(m.v("hoplite_measurements_total", type="mda"), 2,
              label + ": two MDA measurements in mode paris")
    finally:
        ck.eq(d2.stop(timeout=30), 0, label + ": SIGTERM: exit 0")
    ck.eq(d2.journal(), [], label + ": journal empty after the exit")


def part_f(ck, L, t, wd):
    label = "(f) --test-flow, mode mda"
    d = daemon.Daemon(L, t.src, wd, ["--test-flow", "--cache-window", "0"],
                      name="f", mode="mda").start()
    try:
        with d.control() as c:
            r = c.request({"uuid": "tf4", "ip": t.dst4, "sport": 40000,
                           "dport": 443})
            ck.eq(r.get("status"), "queued", label + ": tf4 queued")
            r = c.request({"uuid": "lb4", "ip": t.dst4})
            ck.eq(r.get("status"), "queued", label + ": lb4 queued")
        p = d.wait_file("tf4", 30)
        tr = daemon.check_mlab_file(ck, p, "tf4", label=label + " tf4")
        if tr:
            rules(ck, p, "trace", label + " tf4")
            ck.eq(tr.get("type"), "trace", label + ": the test's flow: a trace")
            ck.eq(tr.get("method"), "tcp-ack", label + ": tcp-ack")
            ck.eq((tr.get("sport"), tr.get("dport")), (443, 40000),
                  label + ": the test's ports")
            ck.eq(tr.get("stop_reason"), "COMPLETED", label + ": completed")
        p = d.wait_file("lb4", FILE_WAIT)
        tr = daemon.check_mlab_file(ck, p, "lb4", label=label + " lb4")
        if tr:
            rules(ck, p, "tracelb", label + " lb4")
        m = d.scrape()
        ck.eq((m.v("hoplite_measurements_total", type="paris"),
               m.v("hoplite_measurements_total", type="mda")), (1, 1),
              label + ": one of each kind")
    finally:
        ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")


def main():
    lab.require_lab()
    lab.require_hoplite()
    daemon.require_hoplited()
    ck = lab.Check("test_daemon_mda")
    wd = daemon.Workdir("mda")
    with lab.Lab("dm") as L:
        try:
            t = mdalab.build(L, mdalab.spec_fan4n())
        except lab.LabError as e:
            ck.ok(False, "fan4n built as designed", str(e))
            ck.done()
            return
        for part in (lambda: part_a(ck, L, t, wd),
                     lambda: part_b(ck, L, t, wd),
                     lambda: part_c(ck, L, t, wd, None),
                     lambda: part_d(ck, L, t, wd),
                     lambda: part_e(ck, L, t, wd),
                     lambda: part_f(ck, L, t, wd)):
            try:
                part()
            except lab.LabError as e:
                ck.ok(False, "lab error", str(e))
    ck.done()


if __name__ == "__main__":
    main()
