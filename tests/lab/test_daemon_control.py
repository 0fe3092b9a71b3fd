#!/usr/bin/env python3
"""test_daemon_control: hoplited's control socket, metrics, privileges,
environment and option checking, in the line lab (hoplited in src).

(a) Root, --user nobody: /proc shows nobody's ids, no capabilities,
    NoNewPrivs 1; the output root belongs to nobody.
    Control socket: a good request is "queued" and its file appears (4-line
    rules, ground truth); the same client again is "cached" (a copy under
    its own UUID); two requests for one client in one write are "queued"
    then "joined"; bad requests (not JSON, not an object, missing or bad
    uuid, uuid with '/', bad ip, bad method, bad port) get {"error": ...}
    and the same connection then takes a good request (udp-paris, checked
    against the lab); refused addresses get an error naming why; an
    oversize line does not stop the daemon.  `hoplite submit`: exit 0 and
    the reply for a lab client, exit 1 for a refused one.  The metrics
    endpoint: the histogram and counters M-Lab's dashboards use and
    hoplite's own, consistent with what was asked; 404 elsewhere.
(b) Started as nobody with only CAP_NET_RAW (setpriv, ambient): traces,
    files belong to nobody, every capability dropped.
(c) Settings from the environment (HOPLITED_OUTPUT, _CONTROL, _ALLOW with
    two values, _METRICS, _CACHE_WINDOW=0, _METHOD, _HOSTNAME) take effect;
    the command line overrides the environment.
(d) Bad option values (flags and environment) exit 2 naming the option.
(e) --anonymize netblock: the client's /24 or /48 zeroed in dst and in the
    hops inside it, nowhere else; the client's address is not in the file.
"""

import ipaddress
import json
import os
import pwd
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402

NOBODY = pwd.getpwnam("nobody")
SETPRIV_RAW = ["setpriv", "--reuid=%d" % NOBODY.pw_uid,
               "--regid=%d" % NOBODY.pw_gid, "--clear-groups",
               "--inh-caps", "+net_raw", "--ambient-caps", "+net_raw"]
FILE_WAIT = 10.0


def check_traced(ck, L, t, d, uuid, client, method="icmp-paris",
                 cached_of=None, label=None):
    path = d.wait_file(uuid, FILE_WAIT)
    lbl = label or "%s (%s)" % (uuid, client)
    if not ck.ok(path is not None, lbl + ": file appears",
                 "files %s\nstderr: %s" % (d.files(), d.stderr()[-1500:])):
        return None, {}
    tr = daemon.check_mlab_file(ck, path, uuid, cached=cached_of is not None,
                                cached_uuid=cached_of or "", label=lbl)
    if tr:
        lab.check_trace(ck, L, tr, t.src, client, method,
                        daemon.family(client), max_rtt=500, label=lbl)
    return path, tr


def part_a(ck, L, t, wd, lo4, lo6):
    d = daemon.Daemon(L, t.src, wd, ["--user", "nobody"], name="a")
    d.start()
    ck.note("(a) hoplited pid %d: %s" % (d.pid, " ".join(d.argv)))
    lab.check_dropped(ck, daemon.wait_dropped(d), "(a) root --user nobody")
    st = os.stat(d.output)
    ck.eq((st.st_uid, st.st_gid), (NOBODY.pw_uid, NOBODY.pw_gid),
          "(a) output root owned by nobody")
    counts = {"queued": 0, "joined": 0, "cached": 0}

    with d.control() as c:
        r = c.request({"uuid": "ct-c1", "ip": t.dst4})
        ck.eq(r, {"uuid": "ct-c1", "status": "queued"}, "ct-c1: queued")
        counts["queued"] += 1
        _, tr1 = check_traced(ck, L, t, d, "ct-c1", t.dst4)

        r = c.request({"uuid": "ct-c2", "ip": t.dst4})
        ck.ok(r.get("status") in ("cached", "joined") and
              r.get("uuid") == "ct-c2", "ct-c2 (same ip): cached or joined",
              repr(r))
        counts[r.get("status", "cached")] = \
            counts.get(r.get("status", "cached"), 0) + 1
        _, tr2 = check_traced(ck, L, t, d, "ct-c2", t.dst4, cached_of="ct-c1")
        if tr1 and tr2:
            ck.eq(tr2, tr1, "ct-c2: a copy of ct-c1's trace")

        # Two for one client in one write: the second waits for the first.
        c.s.sendall(b'{"uuid":"ct-c3","ip":"%s"}\n{"uuid":"ct-c4","ip":"%s"}\n'
                    % (lo6[0].encode(), lo6[0].encode()))
        r3, r4 = c.read_line(), c.read_line()
        ck.eq(r3, '{"uuid":"ct-c3","status":"queued"}', "ct-c3: queued")
        ck.eq(r4, '{"uuid":"ct-c4","status":"joined"}',
              "ct-c4 (same ip, same moment): joined")
        counts["queued"] += 1
        counts["joined"] += 1
        _, tr3 = check_traced(ck, L, t, d, "ct-c3", lo6[0])
        _, tr4 = check_traced(ck, L, t, d, "ct-c4", lo6[0], cached_of="ct-c3")
        if tr3 and tr4:
            ck.eq(tr4, tr3, "ct-c4: a copy of ct-c3's trace")

    # Bad requests, one connection; then a good one on it.
    bad = [
        ("not JSON", "this is not json", None),
        ("not an object", '["ct-b0","%s"]' % t.dst4, None),
        ("missing uuid", '{"ip":"%s"}' % t.dst4, None),
        ("missing ip", '{"uuid":"ct-b1"}', "ct-b1"),
        ("bad ip", '{"uuid":"ct-b2","ip":"999.1.1.1"}', "ct-b2"),
        ("ip not a string", '{"uuid":"ct-b3","ip":3232235777}', "ct-b3"),
        ("bad method", '{"uuid":"ct-b4","ip":"%s","method":"bogus"}' % t.dst4,
         "ct-b4"),
        ("uuid with '/'", '{"uuid":"ct/b5","ip":"%s"}' % t.dst4, None),
        ("uuid ..", '{"uuid":"..","ip":"%s"}' % t.dst4, None),
        ("empty uuid", '{"uuid":"","ip":"%s"}' % t.dst4, None),
        ("uuid not a string", '{"uuid":7,"ip":"%s"}' % t.dst4, None),
        ("port out of range",
         '{"uuid":"ct-b6","ip":"%s","sport":70000}' % t.dst4, "ct-b6"),
        ("port a string",
         '{"uuid":"ct-b7","ip":"%s","dport":"443"}' % t.dst4, "ct-b7"),
    ]
    refused = [("private", "10.0.0.1", "ct-r1"),
               ("loopback", "127.0.0.2", "ct-r2"),
               ("link_local", "fe80::1", "ct-r3"),
               ("ula", "fd00::1", "ct-r4")]
    nerr = 0
    with d.control() as c:
        for what, line, uuid in bad:
            r = c.request(line)
            nerr += 1
            ck.ok(isinstance(r.get("error"), str) and r["error"] and
                  "status" not in r, "bad request (%s): an error reply" % what,
                  repr(r))
            if uuid is not None:
                ck.eq(r.get("uuid"), uuid, "bad request (%s): the reply "
                      "names the uuid" % what)
        for reason, ip, uuid in refused:
            r = c.request({"uuid": uuid, "ip": ip})
            nerr += 1
            ck.ok(isinstance(r.get("error"), str) and r.get("uuid") == uuid,
                  "refused %s (%s): an error reply" % (ip, reason), repr(r))
            ck.ok(reason.split("_")[0] in str(r.get("error")),
                  "refused %s: the error says %s" % (ip, reason), repr(r))
        r = c.request({"uuid": "ct-c5", "ip": lo4[0], "method": "udp-paris"})
        ck.eq(r, {"uuid": "ct-c5", "status": "queued"},
              "good request after the bad ones, same connection: queued")
        counts["queued"] += 1
    check_traced(ck, L, t, d, "ct-c5", lo4[0], method="udp-paris")

    # An oversize line: whatever the reply, the daemon keeps serving.
    try:
        with d.control(timeout=5) as c:
            c.send_line(b'{"uuid":"ct-big","ip":"%s","pad":"%s"}' % (
                t.dst4.encode(), b"x" * 100000))
            try:
                line = c.read_line()
                ck.ok("error" in line, "oversize request: an error reply",
                      line[:200])
            except (OSError, EOFError) as e:
                ck.note("oversize request: connection closed (%r)" % e)
    except OSError as e:
        ck.note("oversize request: %r" % e)
    with d.control() as c:
        r = c.request({"uuid": "ct-c6", "ip": lo4[1]})
        ck.eq(r, {"uuid": "ct-c6", "status": "queued"},
              "after an oversize line: a new connection is served")
        counts["queued"] += 1
    check_traced(ck, L, t, d, "ct-c6", lo4[1])

    # A client that sends half a line and waits does not hold others up;
    # the longest UUID that can name a file (192 bytes) is written, one
    # byte more is refused.
    long_ok = "ct-long-" + "L" * 184
    with d.control() as stalled, d.control() as c:
        stalled.s.sendall(b'{"uuid":"ct-stalled","ip":')
        r = c.request({"uuid": long_ok, "ip": lo6[1]})
        ck.eq(r, {"uuid": long_ok, "status": "queued"},
              "a 192-byte uuid, while another client stalls mid-line: queued")
        counts["queued"] += 1
        check_traced(ck, L, t, d, long_ok, lo6[1], label="192-byte uuid")
        r = c.request({"uuid": long_ok + "X", "ip": lo6[2]})
        nerr += 1
        ck.ok("error" in r and "status" not in r,
              "a 193-byte uuid: an error reply", repr(r)[:200])
        stalled.s.sendall(b'"%s"}\n' % lo6[1].encode())
        r = stalled.read_line()
        ck.ok('"ct-stalled"' in r and '"cached"' in r,
              "the stalled client, once its line is complete: cached", r)
        counts["cached"] += 1

    # hoplite submit.
    hoplite = os.environ["HOPLITE"]
    p = subprocess.run([hoplite, "submit", "-S", d.control_path, lo4[2]],
                       capture_output=True, text=True, timeout=20)
    ck.eq(p.returncode, 0, "hoplite submit %s: exit 0" % lo4[2] +
          ("\n      stderr: " + p.stderr.strip()[:300] if p.returncode else ""))
    ck.ok("queued" in p.stdout, "hoplite submit: prints the reply",
          repr(p.stdout))
    try:
        rep = json.loads(p.stdout.strip().splitlines()[-1])
        su = rep.get("uuid")
    except (ValueError, IndexError, AttributeError):
        su = None
    if ck.ok(isinstance(su, str) and su, "hoplite submit: reply has a uuid",
             repr(p.stdout)):
        counts["queued"] += 1
        check_traced(ck, L, t, d, su, lo4[2], label="submit " + lo4[2])
    p = subprocess.run([hoplite, "submit", "-S", d.control_path, "-u",
                        "ct-s2", "-P", "udp-paris", "--sport", "40000",
                        "--dport", "443", lo4[4]],
                       capture_output=True, text=True, timeout=20)
    ck.eq(p.returncode, 0, "hoplite submit -u ct-s2 -P udp-paris: exit 0" +
          ("\n      stderr: " + p.stderr.strip()[:300] if p.returncode else ""))
    ck.ok('"ct-s2"' in p.stdout and "queued" in p.stdout,
          "hoplite submit -u: the reply names the uuid", repr(p.stdout))
    if p.returncode == 0:
        counts["queued"] += 1
        check_traced(ck, L, t, d, "ct-s2", lo4[4], method="udp-paris",
                     label="submit -u ct-s2 -P udp-paris")
    p = subprocess.run([hoplite, "submit", "-S", d.control_path, "10.0.0.1"],
                       capture_output=True, text=True, timeout=20)
    ck.eq(p.returncode, 1, "hoplite submit 10.0.0.1 (refused): exit 1")
    ck.ok("private" in p.stdout + p.stderr,
          "hoplite submit 10.0.0.1: says why", repr(p.stdout + p.stderr))
    nerr += 1
    p = subprocess.run([hoplite, "submit", "-S", wd.path("no-such.sock"),
                        lo4[3]], capture_output=True, text=True, timeout=20)
    ck.ok(p.returncode not in (0, None),
          "hoplite submit to a missing socket: fails", "rc %r" % p.returncode)

    # Metrics, consistent with all of the above.
    m = d.wait_metric(lambda m: m.v("traces_in_progress") == 0, timeout=10)
    ntraces = counts["queued"]
    nskipped = counts["joined"] + counts["cached"]
    ck.note("(a) asked: %r, %d error replies" % (counts, nerr))
    ck.eq(m.types.get("trace_time_seconds"), "histogram",
          "trace_time_seconds is a histogram")
    ck.eq(m.v("trace_time_seconds_count", outcome="success"), ntraces,
          "trace_time_seconds_count{outcome=success}")
    ck.eq(m.v("trace_time_seconds_count", outcome="error"), 0,
          "trace_time_seconds_count{outcome=error} 0")
    ck.eq(m.v("trace_time_seconds_bucket", outcome="success", le="+Inf"),
          ntraces, "trace_time_seconds_bucket{le=+Inf}")
    buckets = sorted((float(lb["le"]), v) for lb, v in
                     m.series("trace_time_seconds_bucket")
                     if lb.get("outcome") == "success")
    ck.ok(len(buckets) >= 3 and
          all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])),
          "histogram buckets cumulative", repr(buckets))
    s = m.v("trace_time_seconds_sum", outcome="success")
    ck.ok(0 < s < ntraces * 5, "trace_time_seconds_sum plausible", repr(s))
    ck.eq(m.v("traces_performed_total"), ntraces, "traces_performed_total")
    ck.eq(m.get("traces_in_progress"), 0, "traces_in_progress 0")
    ck.eq(m.v("traces_skipped_total"), nskipped, "traces_skipped_total")
    ck.eq(m.get("traces_crashed_total"), 0, "traces_crashed_total 0")
    ck.eq(m.v("hoplite_cache_hits_total"), nskipped, "hoplite_cache_hits_total")
    for res in ("queued", "joined", "cached"):
        ck.eq(m.v("hoplite_trigger_results_total", result=res), counts[res],
              "hoplite_trigger_results_total{result=%s}" % res)
    for reason, n in (("private", 2), ("loopback", 1), ("link_local", 1),
                      ("ula", 1)):
        ck.eq(m.v("hoplite_refused_total", reason=reason), n,
              "hoplite_refused_total{reason=%s}" % reason)
    nref = m.total("hoplite_refused_total")
    ck.eq(m.v("hoplite_trigger_results_total", result="refused"), nref,
          "results{refused} == sum of hoplite_refused_total")
    results = m.total("hoplite_trigger_results_total")
    ck.eq(m.v("hoplite_triggers_total", source="control"), results,
          "hoplite_triggers_total{source=control} == sum of results")
    ck.eq(m.v("hoplite_files_written_total", kind="original"), ntraces,
          "hoplite_files_written_total{kind=original}")
    ck.eq(m.v("hoplite_files_written_total", kind="cached"), nskipped,
          "hoplite_files_written_total{kind=cached}")
    ck.eq(m.get("hoplite_output_errors_total", 0), 0,
          "hoplite_output_errors_total 0")
    ck.eq(m.get("hoplite_queue_depth"), 0, "hoplite_queue_depth 0")
    sent = m.v("hoplite_engine_total", counter="probes_sent")
    matched = m.v("hoplite_engine_total", counter="replies_matched")
    ck.ok(sent >= 4 * ntraces, "probes sent >= 4 per trace", repr(sent))
    ck.ok(4 * ntraces <= matched <= sent, "replies matched: >= 4 per trace, "
          "<= probes sent", "%r of %r" % (matched, sent))
    # The engine's memory for probes: its table at least, and bounded
    # (112-byte records: far below 1 MB for these few traces).
    mem = m.get("hoplite_engine_memory_bytes")
    ck.ok(mem is not None and 4096 <= mem < 1 << 20,
          "hoplite_engine_memory_bytes in [4 KB, 1 MB)", repr(mem))
    ck.ok(m.v("hoplite_control_total", counter="requests") >=
          len(bad) + len(refused) + 7,
          "hoplite_control_total{counter=requests}",
          repr(m.series("hoplite_control_total")))
    ck.ok(m.v("hoplite_control_total", counter="errors") >= nerr - 1,
          "hoplite_control_total{counter=errors}",
          repr(m.series("hoplite_control_total")))
    st, _ = daemon.http_get(L, t.src, d.url("/nothing-here"))
    ck.eq(st, 404, "metrics: 404 for another path")

    ck.eq(sorted(d.jsonl()), sorted(["ct-c1", "ct-c2", "ct-c3", "ct-c4",
                                     "ct-c5", "ct-c6", long_ok,
                                     "ct-stalled"] + ([su] if su else [])
                                    + (["ct-s2"] if "ct-s2" in d.jsonl()
                                       else [])),
          "(a) a file for each accepted request and nothing else")
    # A second daemon on the same control socket must not take it over.
    d2 = daemon.Daemon(L, t.src, wd, [], name="a2", control=d.control_path,
                       metrics=False)
    d2.start(wait=False)
    rc2 = d2.wait(5)
    if rc2 is None:
        d2.kill()
    ck.eq(rc2, 1, "a second hoplited on a live control socket: exit 1")
    ck.ok("control" in d2.stderr(), "... saying why", repr(d2.stderr()[-300:]))
    with d.control() as c:
        r = c.request({"uuid": "ct-c7", "ip": lo4[1]})
        ck.ok(r.get("status") == "cached",
              "the first daemon still owns its control socket", repr(r))
    counts["cached"] += 1

    rc = d.stop(timeout=15)
    ck.eq(rc, 0, "(a) SIGTERM: exit 0")
    daemon.no_crash(ck, d, "(a)")


def part_b(ck, L, t, wd):
    label = "(b) nobody + CAP_NET_RAW"
    nbdir = wd.mkdir("nb", owner="nobody")
    out = os.path.join(nbdir, "out")
    os.mkdir(out)
    os.chown(out, NOBODY.pw_uid, NOBODY.pw_gid)
    binary = daemon.nobody_binary(L, t.src, os.environ["HOPLITED"], wd)
    d = daemon.Daemon(L, t.src, wd, [], name="b", output=out,
                      control=os.path.join(nbdir, "ctl.sock"),
                      prefix=SETPRIV_RAW, binary=binary)
    try:
        d.start()
    except lab.LabError as e:
        ck.ok(False, label + ": starts", str(e))
        return
    lab.check_dropped(ck, daemon.wait_dropped(d), label)
    with d.control() as c:
        r = c.request({"uuid": "nb-1", "ip": t.dst6})
        ck.eq(r, {"uuid": "nb-1", "status": "queued"}, label + ": queued")
    path, _ = check_traced(ck, L, t, d, "nb-1", t.dst6, label=label)
    if path:
        st = os.stat(path)
        ck.eq((st.st_uid, st.st_gid, st.st_mode & 0o777),
              (NOBODY.pw_uid, NOBODY.pw_gid, 0o640),
              label + ": file nobody's, its group, 0640 (the default)")
    m = d.scrape()
    ck.eq(m.v("traces_performed_total"), 1, label + ": metrics served")
    ck.eq(d.stop(timeout=15), 0, label + ": SIGTERM: exit 0")
    daemon.no_crash(ck, d, label)
    # (as root, in a root-owned directory, nobody could not remove it)
    ck.ok(not os.path.exists(d.control_path),
          label + ": the control socket is removed on exit")


def part_c(ck, L, t, wd, lo4):
    label = "(c) environment"
    port = daemon.free_port()
    env = {
        "HOPLITED_OUTPUT": wd.path("c-out"),
        "HOPLITED_CONTROL": wd.path("c.sock"),
        "HOPLITED_METRICS": "127.0.0.1:%d" % port,
        "HOPLITED_ALLOW": "198.18.0.0/15, 2001:db8::/32",
        "HOPLITED_CACHE_WINDOW": "0",
        "HOPLITED_METHOD": "udp-paris",
        "HOPLITED_MODE": "paris",
        "HOPLITED_HOSTNAME": "env-host",
    }
    d = daemon.Daemon(L, t.src, wd, [], name="c", env=env, allow=False,
                      output=env["HOPLITED_OUTPUT"],
                      control=env["HOPLITED_CONTROL"], metrics=port)
    d.argv = [d.binary]
    try:
        d.start()
    except lab.LabError as e:
        ck.ok(False, label + ": starts from the environment alone", str(e))
        return
    with d.control() as c:
        r = c.request({"uuid": "env-1", "ip": t.dst4})
        ck.eq(r.get("status"), "queued", label + ": queued")
        path, tr = check_traced(ck, L, t, d, "env-1", t.dst4,
                                method="udp-paris", label=label + " env-1")
        if path:
            _, objs = daemon.read_file(path)
            ck.eq(objs[1].get("hostname"), "env-host",
                  label + ": HOPLITED_HOSTNAME")
        r = c.request({"uuid": "env-2", "ip": t.dst4})
        ck.eq(r.get("status"), "queued",
              label + ": HOPLITED_CACHE_WINDOW=0: the same client traced again")
        check_traced(ck, L, t, d, "env-2", t.dst4, method="udp-paris",
                     label=label + " env-2")
        r = c.request({"uuid": "env-3", "ip": t.dst6})
        ck.eq(r.get("status"), "queued",
              label + ": second HOPLITED_ALLOW value (2001:db8::/32) applies")
        check_traced(ck, L, t, d, "env-3", t.dst6, method="udp-paris",
                     label=label + " env-3")
    ck.eq(d.stop(timeout=15), 0, label + ": SIGTERM: exit 0")

    # The command line overrides the environment.
    label = "(c) flag over environment"
    env2 = dict(env, HOPLITED_OUTPUT=wd.path("c2-out"),
                HOPLITED_CONTROL=wd.path("c2.sock"),
                HOPLITED_METRICS="127.0.0.1:%d" % (port + 1))
    d = daemon.Daemon(L, t.src, wd, [], name="c2", env=env2, allow=False,
                      output=env2["HOPLITED_OUTPUT"],
                      control=env2["HOPLITED_CONTROL"], metrics=port + 1)
    d.argv = [d.binary, "--method", "tcp-paris", "--hostname", "flag-host"]
    try:
        d.start()
    except lab.LabError as e:
        ck.ok(False, label + ": starts", str(e))
        return
    with d.control() as c:
        r = c.request({"uuid": "env-4", "ip": lo4[3]})
        ck.eq(r.get("status"), "queued", label + ": queued")
    path, _ = check_traced(ck, L, t, d, "env-4", lo4[3], method="tcp-paris",
                           label=label)
    if path:
        _, objs = daemon.read_file(path)
        ck.eq(objs[1].get("hostname"), "flag-host", label + ": --hostname")
    ck.eq(d.stop(timeout=15), 0, label + ": SIGTERM: exit 0")


def part_e(ck, L, t, wd, lo4, lo6):
    """--anonymize netblock: the client's /24 (/48) zeroed in dst and in
    the hops inside it; other hops as measured."""
    label = "(e) --anonymize netblock"
    d = daemon.Daemon(L, t.src, wd, ["--anonymize", "netblock"], name="e")
    d.start()
    with d.control() as c:
        for u, ip in (("an-4", lo4[5]), ("an-6", lo6[5])):
            r = c.request({"uuid": u, "ip": ip})
            ck.eq(r.get("status"), "queued", "%s %s: queued" % (label, u))
    for u, ip, plen in (("an-4", lo4[5], 24), ("an-6", lo6[5], 48)):
        path = d.wait_file(u, FILE_WAIT)
        tr = daemon.check_mlab_file(ck, path, u, label="%s %s" % (label, u))
        if not tr:
            continue
        net = ipaddress.ip_network("%s/%d" % (ip, plen), strict=False)
        zero = str(net.network_address)
        ck.eq(tr.get("dst"), zero, "%s %s: dst %s" % (label, u, zero))
        ck.eq(tr.get("stop_reason"), "COMPLETED", "%s %s: COMPLETED" % (label, u))
        path_ = lab.path_of(tr)
        ck.eq(len(path_), 4, "%s %s: four hops" % (label, u))
        for ttl, a in path_:
            if ipaddress.ip_address(a) in net:
                ck.eq(a, zero, "%s %s: hop %d inside the block zeroed"
                      % (label, u, ttl))
            else:
                o = L.owner(a)
                ck.ok(o is not None and o in L.hop_sets(t.src, ip)[ttl - 1],
                      "%s %s: hop %d outside the block as measured" %
                      (label, u, ttl), "%s" % a)
        with open(path) as f:
            text = f.read()
        ck.ok('"%s"' % ip not in text,
              "%s %s: the client's address is not in the file" % (label, u))
    ck.eq(d.stop(timeout=15), 0, label + ": SIGTERM: exit 0")


def part_d(ck, L, t, wd):
    hd = os.environ["HOPLITED"]
    out = wd.path("d-out")
    ctl = ["--control", wd.path("d.sock")]
    base = ["--output", out] + ctl
    cases = [
        (base + ["--max-inflight", "0"], {}, "max-inflight"),
        (base + ["--max-inflight", "-3"], {}, "max-inflight"),
        (base + ["--pps", "abc"], {}, "pps"),
        (base + ["--pps", "99999999999999999999"], {}, "pps"),
        (base + ["--queue", "10x"], {}, "queue"),
        (base + ["--cache-window", "-1"], {}, "cache-window"),
        (base + ["--deadline", "0"], {}, "deadline"),
        (base + ["--wait", ""], {}, "wait"),
        (base + ["--attempts", "11"], {}, "attempts"),
        (base + ["--max-ttl", "256"], {}, "max-ttl"),
        (base + ["--method", "bogus"], {}, "method"),
        (base + ["--anonymize", "maybe"], {}, "anonymize"),
        (base + ["--grace", "1.5"], {}, "grace"),
        (base + ["--allow", "not-a-cidr"], {}, "allow"),
        (base + ["--allow", "198.18.0.0/33"], {}, "allow"),
        (["--output", out, "--eventsocket", wd.path("ev.sock"),
          "--local-ip", "nope"], {}, "local-ip"),
        (base + ["--metrics", "no-port-here"], {}, "metrics"),
        (base + ["--no-such-option"], {}, "no-such-option"),
        (base + ["stray-argument"], {}, "stray-argument"),
        (ctl, {}, "output"),
        (["--output", out], {}, "control"),
        (base, {"HOPLITED_PPS": "abc"}, "pps"),
        (base, {"HOPLITED_MAX_INFLIGHT": "0"}, "max-inflight"),
        (base, {"HOPLITED_TEST_FLOW": "maybe"}, "TEST_FLOW"),
    ]
    for args, env, name in cases:
        label = "(d) %s%s" % (" ".join("%s=%s" % kv for kv in env.items()),
                              " ".join(args[len(base):] if args[:len(base)]
                                       == base else args))
        e = dict(os.environ)
        e.update(env)
        p = subprocess.Popen(["ip", "netns", "exec", t.src.ns, hd] + args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=e)
        lab._CHILDREN.append(p)
        try:
            o, err = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            o, err = p.communicate(timeout=5)
            ck.ok(False, label + ": exits at once", "still running after 5 s")
            continue
        ck.eq(p.returncode, 2, label + ": exit 2" +
              ("\n      stderr: " + err.strip()[:300]
               if p.returncode != 2 else ""))
        ck.ok(name.lower() in err.lower(), label + ": message names " + name,
              repr(err.strip()[:300]))
        ck.ok(0 < len(err.strip().splitlines()) <= 3 or "usage" in err,
              label + ": a short message", repr(err[:300]))
    for args, want in ((["--version"], "hoplited"), (["--help"], "--output")):
        p = subprocess.run([hd] + args, capture_output=True, text=True,
                           timeout=10)
        ck.eq(p.returncode, 0, "(d) %s: exit 0" % args[0])
        ck.ok(want in p.stdout, "(d) %s: on stdout" % args[0],
              repr(p.stdout[:200]))
    shutil.rmtree(out, ignore_errors=True)


def main():
    lab.require_lab()
    lab.require_hoplite()
    daemon.require_hoplited()
    if shutil.which("setpriv") is None:
        lab.skip("setpriv (util-linux) not found")
    ck = lab.Check("test_daemon_control")
    wd = daemon.Workdir("control")
    with lab.Lab("ct") as L:
        t = lab.build_line(L, finalize=False)
        lo4, lo6 = L.add_lo_addrs(t.dst, 6)
        L.finalize()
        for part in (lambda: part_a(ck, L, t, wd, lo4, lo6),
                     lambda: part_b(ck, L, t, wd),
                     lambda: part_c(ck, L, t, wd, lo4),
                     lambda: part_e(ck, L, t, wd, lo4, lo6),
                     lambda: part_d(ck, L, t, wd)):
            try:
                part()
            except lab.LabError as e:
                ck.ok(False, "lab error", str(e))
    ck.done()


if __name__ == "__main__":
    main()
