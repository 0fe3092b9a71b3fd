#!/usr/bin/env python3
"""test_daemon_signal: hoplited stopping cleanly, and surviving write
failures.

Lab: the line (src - r1 - r2 - r3 - dst) plus a host `hole` behind r3
that drops every packet it receives (client addresses on its lo), so a
trace toward it gets r1..r3 and then silence for as long as the gap limit
and the wait allow (tens of seconds here).

(a) SIGTERM with four slow traces in flight (--max-inflight 4), one
    request joined to a running trace, two queued, one fast trace done
    before: hoplited waits the grace period (--grace 2), halts the rest,
    exits 0 within grace + 3 s; every accepted request has a complete file
    (the fast one COMPLETED, the four HALTED with r1..r3 at TTL 1..3, the
    joined one a copy, the two queued ones an empty HALTED trace), the
    journal is empty, and the output tree holds only .jsonl files (no
    temporary or partial file).  SIGINT and SIGHUP on an idle daemon:
    exit 0 at once.
(b) Write failures, the daemon running as nobody: DIR/YYYY is a regular
    file (the date directory cannot be made), then DIR is read-only:
    each failure is logged with the path and counted in
    hoplite_output_errors_total, no partial file is left, and once the
    obstacle is gone the next request is written.
(c) --deadline 1: a trace into the black hole is halted and written
    (HALTED, r1..r3) about a second in, and not reused: the same client
    again is traced anew.
(d) --max-inflight 1 --queue 1: a third request is dropped with
    "queue_full", counted; at SIGTERM (--grace 0) both accepted requests
    are written HALTED (the queued one with no hop), the dropped one not.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402

GRACE = 2
SLOW = ["--wait", "3000", "--gap-limit", "10", "--max-inflight", "4",
        "--grace", str(GRACE)]


def only_jsonl(ck, d, label):
    files = d.files()
    good = set(os.path.relpath(p, d.output) for p in d.jsonl().values())
    odd = [f for f in files if f not in good]
    ck.eq(odd, [], label + ": no temporary or stray file in the output tree")
    for f in files:
        lines, _ = daemon.read_file(os.path.join(d.output, f))
        ck.ok(len(lines) == 4 and all(l.endswith("\n") for l in lines),
              label + ": %s complete (4 lines)" % f, "%d lines" % len(lines))


def part_a(ck, L, t, wd, hole4, hole6):
    d = daemon.Daemon(L, t.src, wd, SLOW, name="a")
    d.start()
    ck.note("(a) hoplited pid %d: %s" % (d.pid, " ".join(d.argv)))
    with d.control() as c:
        r = c.request({"uuid": "sg-fast", "ip": t.dst4})
        ck.eq(r.get("status"), "queued", "sg-fast: queued")
        fast = d.wait_file("sg-fast", 10)
        ck.ok(fast is not None, "sg-fast: file before the signal")
        slow = [("sg-h1", hole4[0]), ("sg-h2", hole6[0]),
                ("sg-h3", hole4[1]), ("sg-h4", hole6[1])]
        for u, ip in slow:
            r = c.request({"uuid": u, "ip": ip})
            ck.eq(r.get("status"), "queued", "%s (%s): queued" % (u, ip))
        r = c.request({"uuid": "sg-j1", "ip": hole4[0]})
        ck.eq(r.get("status"), "joined", "sg-j1 (same client as sg-h1): joined")
        for u, ip in (("sg-q1", hole4[2]), ("sg-q2", hole6[2])):
            r = c.request({"uuid": u, "ip": ip})
            ck.eq(r.get("status"), "queued", "%s: queued (waits for a slot)" % u)
    m = d.wait_metric(lambda m: m.get("traces_in_progress") == 4, timeout=5)
    ck.eq(m.get("traces_in_progress"), 4, "(a) four traces in progress")
    ck.eq(m.get("hoplite_queue_depth"), 2, "(a) two requests queued")
    # Let each trace get r1..r3 and into the silence.
    time.sleep(1.0)
    ck.eq(d.jsonl().keys() - {"sg-fast"}, set(),
          "(a) nothing else written before the signal")

    t0 = time.monotonic()
    d.send_signal(signal.SIGTERM)
    rc = d.wait(GRACE + 10)
    took = time.monotonic() - t0
    if rc is None:
        d.kill()
    ck.eq(rc, 0, "(a) SIGTERM: exit 0")
    ck.ok(took <= GRACE + 3, "(a) exits within grace + 3 s", "%.2f s" % took)
    ck.ok(took >= GRACE - 0.5, "(a) running traces got the grace period",
          "%.2f s" % took)
    ck.note("(a) SIGTERM -> exit in %.2f s (grace %d s)" % (took, GRACE))
    daemon.no_crash(ck, d, "(a)")

    got = d.jsonl()
    tr = daemon.check_mlab_file(ck, got.get("sg-fast"), "sg-fast")
    if tr:
        lab.check_trace(ck, L, tr, t.src, t.dst4, "icmp-paris", 4,
                        label="sg-fast")
    for u, ip in slow:
        tr = daemon.check_mlab_file(ck, got.get(u), u,
                                    label="%s (halted)" % u)
        if not tr:
            continue
        lab.check_trace(ck, L, tr, t.src, ip, "icmp-paris",
                        daemon.family(ip), stop="HALTED", label=u)
        ck.eq([(ttl, L.owner(a).name if L.owner(a) else a)
               for ttl, a in lab.path_of(tr)],
              [(1, "r1"), (2, "r2"), (3, "r3")],
              u + ": what it measured before the halt: r1 r2 r3")
    # The joined request: a copy of the halted trace it waited for.
    daemon.check_mlab_file(ck, got.get("sg-j1"), "sg-j1", cached=True,
                           cached_uuid="sg-h1")
    # Queued, never started: an empty HALTED trace, not silence.
    for u, ip in (("sg-q1", hole4[2]), ("sg-q2", hole6[2])):
        tr = daemon.check_mlab_file(ck, got.get(u), u,
                                    label="%s (queued, never started)" % u)
        if tr:
            ck.eq((tr.get("stop_reason"), tr.get("dst"), tr.get("hops", [])),
                  ("HALTED", ip, []), u + ": HALTED to %s, no hop" % ip)
    ck.eq(len(got), 8, "(a) one file per accepted request (8)")
    ck.eq(d.journal(), [], "(a) the journal is empty after the exit")
    only_jsonl(ck, d, "(a)")

    for sig in (signal.SIGINT, signal.SIGHUP):
        name = signal.Signals(sig).name
        d = daemon.Daemon(L, t.src, wd, SLOW, name="a" + name.lower())
        d.start()
        t0 = time.monotonic()
        d.send_signal(sig)
        rc = d.wait(10)
        took = time.monotonic() - t0
        if rc is None:
            d.kill()
        ck.eq(rc, 0, "(a) idle, %s: exit 0" % name)
        ck.ok(took < 2, "(a) idle, %s: exits at once" % name,
              "%.2f s" % took)
        daemon.no_crash(ck, d, "(a) " + name)


def set_dirs_mode(root, mode):
    """chmod root and every directory under it."""
    os.chmod(root, mode)
    for dirpath, dirnames, _ in os.walk(root):
        for dn in dirnames:
            os.chmod(os.path.join(dirpath, dn), mode)


def utc_years():
    """Years a file written in the next two minutes could be dated."""
    return sorted({time.strftime("%Y", time.gmtime(time.time() + dt))
                   for dt in (0, 120)})


def part_b(ck, L, t, wd, lo4):
    d = daemon.Daemon(L, t.src, wd, [], name="b")
    d.start()
    out = d.output
    lab.check_dropped(ck, daemon.wait_dropped(d), "(b)")
    for y in utc_years():
        with open(os.path.join(out, y), "w") as f:
            f.write("in the way\n")
    cases = (("a file where DIR/YYYY should be", "wf-1", lo4[0], "wf-2",
              lo4[1]),
             ("the tree read-only", "wf-3", lo4[2], "wf-4", lo4[3]))
    for n, (what, u_bad, ip_bad, u_good, ip_good) in enumerate(cases, 1):
        if n == 2:
            set_dirs_mode(out, 0o555)   # nobody can create nothing in there
        with d.control() as c:
            r = c.request({"uuid": u_bad, "ip": ip_bad})
            ck.eq(r.get("status"), "queued", "(b) %s: queued" % u_bad)
        m = d.wait_metric(lambda m: m.v("hoplite_output_errors_total") >= n,
                          timeout=10)
        ck.eq(m.v("hoplite_output_errors_total"), n,
              "(b) %s: counted in hoplite_output_errors_total" % what)
        ck.ok(d.alive(), "(b) %s: still running" % what)
        err = d.stderr()
        ck.ok(u_bad in err, "(b) %s: logged, naming the file" % what,
              repr(err[-600:]))
        ck.ok(u_bad not in d.jsonl(), "(b) %s: no file" % what)
        # Clear the obstacle; the next request is written.
        if n == 1:
            for y in utc_years():
                os.unlink(os.path.join(out, y))
        else:
            set_dirs_mode(out, 0o755)
        with d.control() as c:
            r = c.request({"uuid": u_good, "ip": ip_good})
            ck.eq(r.get("status"), "queued", "(b) %s: queued" % u_good)
        p = d.wait_file(u_good, 10)
        tr = daemon.check_mlab_file(ck, p, u_good,
                                    label="(b) after '%s' is fixed" % what)
        if tr:
            lab.check_trace(ck, L, tr, t.src, ip_good, "icmp-paris", 4,
                            label=u_good)
    m = d.scrape()
    ck.eq(m.v("hoplite_files_written_total", kind="original"), 2,
          "(b) two files written")
    ck.eq(m.v("traces_performed_total"), 4, "(b) four traces performed")
    only_jsonl(ck, d, "(b)")
    ck.eq(d.stop(timeout=15), 0, "(b) SIGTERM: exit 0")
    daemon.no_crash(ck, d, "(b)")


def part_c(ck, L, t, wd, hole4):
    """--deadline 1: a trace into the black hole is halted after a second,
    written (HALTED, r1..r3), and not reused for the next request."""
    label = "(c) --deadline 1"
    d = daemon.Daemon(L, t.src, wd, ["--deadline", "1", "--wait", "3000",
                                      "--gap-limit", "10", "--grace", "0"],
                      name="c")
    d.start()
    with d.control() as c:
        r = c.request({"uuid": "dl-1", "ip": hole4[3]})
        ck.eq(r.get("status"), "queued", label + ": dl-1 queued")
        t0 = time.monotonic()
        p = d.wait_file("dl-1", 10)
        took = time.monotonic() - t0
        tr = daemon.check_mlab_file(ck, p, "dl-1", label=label + " dl-1")
        if tr:
            ck.ok(0.8 <= took <= 3, label + ": halted about a second in",
                  "file after %.2f s" % took)
            lab.check_trace(ck, L, tr, t.src, hole4[3], "icmp-paris", 4,
                            stop="HALTED", label=label + " dl-1")
            ck.eq([L.owner(a).name if L.owner(a) else a
                   for _, a in lab.path_of(tr)], ["r1", "r2", "r3"],
                  label + ": r1 r2 r3 measured before the halt")
        r = c.request({"uuid": "dl-2", "ip": hole4[3]})
        ck.eq(r.get("status"), "queued",
              label + ": a trace halted by its deadline is not reused")
    p = d.wait_file("dl-2", 10)
    daemon.check_mlab_file(ck, p, "dl-2", label=label + " dl-2")
    m = d.scrape()
    ck.eq(m.v("hoplite_cache_hits_total"), 0, label + ": no cache hit")
    ck.eq(m.v("traces_performed_total"), 2, label + ": two traces")
    ck.eq(d.stop(timeout=15), 0, label + ": SIGTERM: exit 0")
    only_jsonl(ck, d, label)


def part_d(ck, L, t, wd, hole4, hole6):
    """--max-inflight 1 --queue 1: the third request is dropped with a
    reason, counted, and the daemon carries on."""
    label = "(d) overload"
    d = daemon.Daemon(L, t.src, wd, SLOW[:4] + ["--max-inflight", "1",
                                                 "--queue", "1", "--grace",
                                                 "0"], name="d")
    d.start()
    with d.control() as c:
        r1 = c.request({"uuid": "ov-1", "ip": hole4[0]})
        r2 = c.request({"uuid": "ov-2", "ip": hole6[0]})
        r3 = c.request({"uuid": "ov-3", "ip": hole4[1]})
    ck.eq(r1.get("status"), "queued", label + ": first runs")
    ck.eq(r2.get("status"), "queued", label + ": second waits in the queue")
    ck.ok("error" in r3 and "queue" in str(r3.get("error")),
          label + ": third dropped, saying the queue is full", repr(r3))
    m = d.scrape()
    ck.eq(m.v("hoplite_dropped_total", reason="queue_full"), 1,
          label + ": hoplite_dropped_total{reason=queue_full}")
    ck.eq(m.v("hoplite_trigger_results_total", result="dropped"), 1,
          label + ": hoplite_trigger_results_total{result=dropped}")
    ck.eq(m.get("traces_in_progress"), 1, label + ": one in progress")
    ck.eq(m.get("hoplite_queue_depth"), 1, label + ": one queued")
    ck.eq(d.stop(timeout=10), 0, label + ": SIGTERM: exit 0")
    got = d.jsonl()
    ck.eq(sorted(got), ["ov-1", "ov-2"],
          label + ": both accepted requests written, not the dropped one")
    for u in sorted(got):
        tr = daemon.trace_of(got[u])
        ck.eq(tr.get("stop_reason"), "HALTED", label + ": %s HALTED" % u)
    ck.eq(daemon.trace_of(got.get("ov-2", "")).get("hops", []) if
          "ov-2" in got else None, [], label + ": ov-2 (never started) "
          "has no hop")
    only_jsonl(ck, d, label)


def main():
    lab.require_lab()
    daemon.require_hoplited()
    ck = lab.Check("test_daemon_signal")
    wd = daemon.Workdir("signal")
    with lab.Lab("sg") as L:
        t = lab.build_line(L, finalize=False)
        hole = L.host("hole")
        L.link(L.nodes["r3"], hole)
        hole4, hole6 = L.add_lo_addrs(hole, 4)
        lo4, _ = L.add_lo_addrs(t.dst, 4)
        L.finalize()
        L.blackhole(hole)
        for part in (lambda: part_a(ck, L, t, wd, hole4, hole6),
                     lambda: part_b(ck, L, t, wd, lo4),
                     lambda: part_c(ck, L, t, wd, hole4),
                     lambda: part_d(ck, L, t, wd, hole4, hole6)):
            try:
                part()
            except lab.LabError as e:
                ck.ok(False, "lab error", str(e))
    ck.done()


if __name__ == "__main__":
    main()
