#!/usr/bin/env python3
"""test_daemon_ptr: hoplited --ptr, hop names in the files.

On the line lab (src - r1 - r2 - r3 - dst) with a lab DNS responder
(dnslab.py) in the daemon's namespace that knows a name for every router
address and for the client (dst) too, in --mode mda and --mode paris, with
the seccomp filter on (the default, kill):

(a) --ptr: every hop of a `trace` / node of a `tracelb` but the client
    carries its PTR name as "name" right after "addr" (scamper -O ptr);
    the client's address has no name and no question for it reaches the
    responder, while every other hop's does.  A cached copy holds the same
    names.  The files pass M-Lab's rules.
(b) --ptr with a responder that never answers (--names-timeout 1): the
    files are written all the same, complete and without names.
(c) Without --ptr: no question at all, no "name" key.
(d) Names pending at SIGTERM (a silent responder, --names-timeout 60,
    --grace 1): the measurement is over and its file waits for names;
    SIGTERM writes it once the grace is over, the daemon exits 0 and the
    journal is empty.
(e) --ptr --anonymize netblock: no question for any address in the
    client's netblock (zeroed in the file), names outside it.
(f) --ptr with no nameserver in resolv.conf: a warning at start-up, the
    files without names.
HOPLITED_PTR and HOPLITED_NAMES_TIMEOUT set (b)'s, and the start-up line
lists them.
"""

import ipaddress
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import dnslab  # noqa: E402
import lab  # noqa: E402

sys.path.insert(0, os.path.join(daemon.ROOT, "tests", "unit"))
import mlab_check  # noqa: E402

FILE_WAIT = 60.0
NAMES = {"r1": "r1.dns.lab", "r2": "r2.dns.lab", "r3": "r3.dns.lab",
         "dst": "dst.dns.lab"}


def lab_names(L):
    """Every lab address of a named node -> its DNS name."""
    out = {}
    for link in L.links:
        for node in (link.a, link.b):
            if node.name in NAMES:
                for fam in (4, 6):
                    out[link.addr_of(node, fam)] = NAMES[node.name]
    return out


def entries(tr):
    """The named elements: a trace's hops, a tracelb's nodes."""
    return tr.get("hops" if tr.get("type") == "trace" else "nodes") or []


def netblock(addr):
    return ipaddress.ip_network(addr + ("/24" if ":" not in addr else "/48"),
                                strict=False)


def canon(a):
    return str(ipaddress.ip_address(a))


def rules(ck, path, kind, label):
    probs = mlab_check.check_file(path, strict=True, want_type=kind,
                                  name=True, shape=kind == "tracelb")
    ck.ok(not probs, label + ": M-Lab's rules", "; ".join(probs))


def kind_of(mode):
    return "tracelb" if mode == "mda" else "trace"


def check_names(ck, tr, client, names, label):
    es = entries(tr)
    ck.ok(len(es) > 0, label + ": has hops or nodes", str(tr)[:300])
    others = [e for e in es if e.get("addr") not in ("*", client)]
    ck.ok(len(others) > 0, label + ": routers on the path")
    for e in es:
        a = e.get("addr")
        if a == client:
            ck.ok("name" not in e, label + ": the client has no name",
                  str(e)[:200])
        elif a in names:
            ck.eq(e.get("name"), names[a], label + ": %s's name" % a)
            ck.eq(list(e)[:2], ["addr", "name"],
                  label + ": \"name\" right after \"addr\"")


def asked_of(p):
    """Stop the responder; the names asked, lower case (evdns varies the
    case of each question's letters, as DNS 0x20 does)."""
    return [q.lower() for q in dnslab.stop(p)]


def questions_for(addrs):
    return {dnslab.ptr_name(a) for a in addrs}


def part_a(ck, L, t, wd, names, mode, dns_addr):
    label = "(a) --ptr %s" % mode
    p = dnslab.start(L, t.src, dns_addr, names)
    asked = []
    seen = set()
    try:
        d = daemon.Daemon(L, t.src, wd, ["--ptr"], name="a" + mode,
                          mode=mode).start()
        try:
            with d.control() as c:
                for u, ip in (("a4", t.dst4), ("a6", t.dst6)):
                    r = c.request({"uuid": u, "ip": ip})
                    ck.eq(r.get("status"), "queued", "%s %s queued" % (label, u))
            got = d.wait_files(["a4", "a6"], FILE_WAIT)
            ck.eq(sorted(got), ["a4", "a6"], label + ": both files")
            for u, ip in (("a4", t.dst4), ("a6", t.dst6)):
                if u not in got:
                    continue
                tr = daemon.check_mlab_file(ck, got[u], u,
                                            label="%s %s" % (label, u))
                if not tr:
                    continue
                ck.eq(tr.get("type"), kind_of(mode), label + ": type")
                rules(ck, got[u], kind_of(mode), "%s %s" % (label, u))
                check_names(ck, tr, canon(ip), names, "%s %s" % (label, u))
                seen |= {e["addr"] for e in entries(tr)
                         if e.get("addr") not in ("*", canon(ip))}
            with d.control() as c:
                r = c.request({"uuid": "a4c", "ip": t.dst4})
                ck.eq(r.get("status"), "cached", label + ": a4c cached")
            pc = d.wait_file("a4c", 10)
            if pc and "a4" in got:
                ck.eq(daemon.trace_of(pc), daemon.trace_of(got["a4"]),
                      label + ": the cached copy holds the same names")
        finally:
            ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0 (seccomp on)")
    finally:
        asked = asked_of(p)
    for ip in (t.dst4, t.dst6):
        ck.ok(dnslab.ptr_name(ip) not in asked,
              "%s: no question for the client %s" % (label, ip), str(asked))
    missing = questions_for(seen) - set(asked)
    ck.ok(seen and not missing, label + ": every router was asked",
          "missing %s; asked %s" % (sorted(missing), asked))


def part_b(ck, L, t, wd, names, mode, dns_addr):
    label = "(b) silent resolver %s" % mode
    p = dnslab.start(L, t.src, dns_addr, names, silent=True)
    try:
        # The settings from the environment, as every flag.
        d = daemon.Daemon(L, t.src, wd, [], name="b" + mode, mode=mode,
                          env={"HOPLITED_PTR": "1",
                               "HOPLITED_NAMES_TIMEOUT": "1"}).start()
        try:
            ck.ok(" ptr=yes names-timeout=1s " in d.stderr(),
                  label + ": the start-up line has ptr=yes names-timeout=1s",
                  d.stderr()[:600])
            with d.control() as c:
                for u, ip in (("b4", t.dst4), ("b6", t.dst6)):
                    c.request({"uuid": u, "ip": ip})
            got = d.wait_files(["b4", "b6"], FILE_WAIT)
            ck.eq(sorted(got), ["b4", "b6"], label + ": both files written")
            for u in sorted(got):
                tr = daemon.check_mlab_file(ck, got[u], u,
                                            label="%s %s" % (label, u))
                if not tr:
                    continue
                rules(ck, got[u], kind_of(mode), "%s %s" % (label, u))
                ck.eq(tr.get("stop_reason"), "COMPLETED",
                      "%s %s: completed" % (label, u))
                ck.ok(entries(tr) and
                      all("name" not in e for e in entries(tr)),
                      "%s %s: no names" % (label, u))
        finally:
            ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")
    finally:
        asked = asked_of(p)
    ck.ok(len(asked) > 0, label + ": the resolver was asked")


def part_c(ck, L, t, wd, names, mode, dns_addr):
    label = "(c) no --ptr %s" % mode
    p = dnslab.start(L, t.src, dns_addr, names)
    try:
        d = daemon.Daemon(L, t.src, wd, [], name="c" + mode,
                          mode=mode).start()
        try:
            ck.ok(" ptr=no " in d.stderr(),
                  label + ": the start-up line has ptr=no", d.stderr()[:600])
            with d.control() as c:
                for u, ip in (("c4", t.dst4), ("c6", t.dst6)):
                    c.request({"uuid": u, "ip": ip})
            got = d.wait_files(["c4", "c6"], FILE_WAIT)
            ck.eq(sorted(got), ["c4", "c6"], label + ": both files")
            for u in sorted(got):
                tr = daemon.trace_of(got[u])
                ck.ok(entries(tr) and
                      all("name" not in e for e in entries(tr)),
                      "%s %s: no names" % (label, u))
        finally:
            ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")
    finally:
        asked = asked_of(p)
    ck.eq(asked, [], label + ": no question sent")


def part_d(ck, L, t, wd, names, dns_addr):
    label = "(d) SIGTERM with names pending"
    p = dnslab.start(L, t.src, dns_addr, names, silent=True)
    try:
        d = daemon.Daemon(L, t.src, wd, ["--ptr", "--names-timeout", "60",
                                         "--grace", "1"], name="d",
                          mode="paris").start()
        try:
            with d.control() as c:
                r = c.request({"uuid": "d4", "ip": t.dst4})
                ck.eq(r.get("status"), "queued", label + ": queued")
            # The trace is over (its slot free) and its file waits for
            # names the silent resolver never gives.
            m = d.wait_metric(
                lambda m: m.v("traces_in_progress") == 0, FILE_WAIT)
            ck.eq(m.v("traces_in_progress"), 0, label + ": trace over")
            ck.eq(d.jsonl(), {}, label + ": the file waits for names")
            ck.eq(len(d.journal()), 1, label + ": still journaled")
            # Bounded well below --names-timeout: the grace's end writes it.
            ck.eq(d.stop(timeout=20), 0, label + ": SIGTERM: exit 0")
            got = d.jsonl()
            ck.eq(sorted(got), ["d4"], label + ": the file is written")
            if "d4" in got:
                tr = daemon.check_mlab_file(ck, got["d4"], "d4", label=label)
                if tr:
                    rules(ck, got["d4"], "trace", label)
                    ck.eq(tr.get("stop_reason"), "COMPLETED",
                          label + ": the trace as measured")
                    ck.ok(all("name" not in e for e in entries(tr)),
                          label + ": no names")
            ck.eq(d.journal(), [], label + ": journal empty after the exit")
        finally:
            d.kill()
    finally:
        asked = asked_of(p)
    ck.ok(len(asked) > 0, label + ": the resolver was asked")


def part_e(ck, L, t, wd, names, dns_addr):
    label = "(e) --ptr --anonymize netblock"
    p = dnslab.start(L, t.src, dns_addr, names)
    try:
        d = daemon.Daemon(L, t.src, wd, ["--ptr", "--anonymize", "netblock"],
                          name="e", mode="paris").start()
        try:
            with d.control() as c:
                for u, ip in (("e4", t.dst4), ("e6", t.dst6)):
                    c.request({"uuid": u, "ip": ip})
            got = d.wait_files(["e4", "e6"], FILE_WAIT)
            ck.eq(sorted(got), ["e4", "e6"], label + ": both files")
            for u, ip in (("e4", t.dst4), ("e6", t.dst6)):
                if u not in got:
                    continue
                nb = netblock(ip)
                for e in entries(daemon.trace_of(got[u])):
                    a = e.get("addr")
                    if a == "*":
                        continue
                    if ipaddress.ip_address(a) in nb:
                        ck.ok("name" not in e, "%s %s: %s in the netblock "
                              "has no name" % (label, u, a))
                    else:
                        ck.eq(e.get("name"), names.get(a),
                              "%s %s: %s's name" % (label, u, a))
        finally:
            ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")
    finally:
        asked = asked_of(p)
    for ip in (t.dst4, t.dst6):
        nb = netblock(ip)
        inside = [a for a in names if ipaddress.ip_address(a).version ==
                  nb.version and ipaddress.ip_address(a) in nb]
        ck.ok(not (questions_for(inside) & set(asked)),
              "%s: no question inside %s" % (label, nb), str(asked))
    ck.ok(len(asked) > 0, label + ": routers outside were asked")


def part_f(ck, L, t, wd):
    label = "(f) --ptr without a nameserver"
    with open(os.path.join("/etc/netns", t.src.ns, "resolv.conf"), "w") as f:
        f.write("options timeout:1\n")
    d = daemon.Daemon(L, t.src, wd, ["--ptr"], name="f",
                      mode="paris").start()
    try:
        ck.ok("--ptr: no hop names: no nameserver" in d.stderr(),
              label + ": a warning says so", d.stderr()[-600:])
        with d.control() as c:
            r = c.request({"uuid": "f4", "ip": t.dst4})
            ck.eq(r.get("status"), "queued", label + ": queued")
        p = d.wait_file("f4", FILE_WAIT)
        tr = daemon.check_mlab_file(ck, p, "f4", label=label) if p else {}
        ck.ok(tr and tr.get("stop_reason") == "COMPLETED" and
              entries(tr) and all("name" not in e for e in entries(tr)),
              label + ": the trace is written, without names")
    finally:
        ck.eq(d.stop(), 0, label + ": SIGTERM: exit 0")


def main():
    lab.require_lab()
    lab.require_hoplite()
    daemon.require_hoplited()
    ck = lab.Check("test_daemon_ptr")
    wd = daemon.Workdir("ptr")
    with lab.Lab("dp") as L:
        t = lab.build_line(L)
        names = lab_names(L)
        dns_addr = t.src4
        parts = []
        for mode in ("mda", "paris"):
            parts += [lambda m=mode: part_a(ck, L, t, wd, names, m, dns_addr),
                      lambda m=mode: part_b(ck, L, t, wd, names, m, dns_addr),
                      lambda m=mode: part_c(ck, L, t, wd, names, m, dns_addr)]
        parts += [lambda: part_d(ck, L, t, wd, names, dns_addr),
                  lambda: part_e(ck, L, t, wd, names, dns_addr),
                  lambda: part_f(ck, L, t, wd)]
        for part in parts:
            try:
                part()
            except lab.LabError as e:
                ck.ok(False, "lab error", str(e))
    ck.done()


if __name__ == "__main__":
    main()
