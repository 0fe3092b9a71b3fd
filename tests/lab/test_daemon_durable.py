#!/usr/bin/env python3
"""test_daemon_durable: hoplited loses no accepted request.

Lab: the line (src - r1 - r2 - r3 - dst) plus a host `hole` behind r3 that
drops every packet (client addresses on its lo), so traces toward it run
for as long as the wait and gap limit allow; refused requests go to
192.0.2.1 (documentation: no packet is ever sent).

(a) SIGTERM in a burst where most requests join queued traces:
    --max-inflight 2, 8 slow clients x 12 requests (1 trace + 11 joined
    each; 6 of the 8 traces never start).  After SIGTERM (--grace 1):
    exactly one file per accepted request (96), the originals HALTED, the
    joined ones copies naming their original, the journal empty.
(b) kill -9 in a burst: requests go in from a thread on 4 connections
    while hoplited is killed with SIGKILL after 150 replies.  Restarted
    on the same output: every request that was answered as accepted gets
    exactly one file, the journal's pending requests are replayed
    (hoplite_journal_total{event="replayed"}), the journal ends empty.
(c) kill -9 again, a torn line appended to the journal, restart with
    HOPLITED_REPLAY_WINDOW=1 after 2 s: every accepted request has a file
    from before the kill or is counted expired (files + expired =
    accepted), no new file, bad_lines 1.
(d) A reused UUID: 5 requests with one UUID (and one to another client)
    give 1 queued and 5 refusals "duplicate_uuid", counted; after its file
    is written the UUID is still refused; exactly one file.
(e) Files: 0640 and the run user's group by default, directories 0750;
    --group daemon --file-mode 0644: group daemon, 0644 files, 0755
    directories; --file-mode 0666 is refused at start (exit 2).
(f) seccomp: HOPLITED_SECCOMP_SELFTEST=1 (a raw socket after the filter
    is in) kills hoplited with SIGSYS; with --seccomp log it keeps running
    and serves a request.  (Every other daemon lab test runs with the
    filter on, in its default kill mode.)
"""

import grp
import os
import pwd
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402

SLOW = ["--wait", "3000", "--gap-limit", "10"]
FAST = ["--wait", "300", "--gap-limit", "2"]
NOBODY = pwd.getpwnam("nobody")


def accepted(reply):
    return reply.get("status") in ("queued", "joined", "cached")


def journal_live(lines):
    """UUIDs of the journal's A lines without a D line (crc unchecked)."""
    live = {}
    for raw in lines:
        parts = raw.decode("utf-8", "replace").rstrip("\n").split(" ")
        if len(parts) >= 3 and parts[1] == "A" and len(parts) >= 9:
            live[parts[2]] = " ".join(parts[8:])
        elif len(parts) == 3 and parts[1] == "D":
            live.pop(parts[2], None)
    return set(live.values())


def part_a(ck, L, t, wd, clients):
    label = "(a) SIGTERM burst"
    d = daemon.Daemon(L, t.src, wd, SLOW + ["--max-inflight", "2", "--grace",
                                            "1"], name="a").start()
    ok, orig = [], {}
    with d.control() as c:
        for k in range(12):
            for i, ip in enumerate(clients):
                u = "a-%d-%d" % (i, k)
                r = c.request({"uuid": u, "ip": ip})
                if accepted(r):
                    ok.append(u)
                if k == 0:
                    orig[i] = u
    m = d.scrape()
    ck.eq(len(ok), 96, label + ": 96 accepted")
    ck.eq(m.v("hoplite_trigger_results_total", result="joined"), 88,
          label + ": 88 joined a running or queued trace")
    ck.eq(m.v("hoplite_queue_depth"), 6, label + ": 6 traces queued")
    d.send_signal(signal.SIGTERM)
    rc = d.wait(30)
    if rc is None:
        d.kill()
    ck.eq(rc, 0, label + ": exit 0")
    got = d.jsonl()
    ck.note("%s: %d accepted, %d files" % (label, len(ok), len(got)))
    ck.eq(sorted(got), sorted(ok), label + ": one file per accepted request")
    bad = []
    for u in ok:
        i = int(u.split("-")[1])
        lines, objs = daemon.read_file(got.get(u, "/nonexistent")) \
            if u in got else ([], [])
        if len(objs) != 4 or None in objs:
            bad.append(u + " unreadable")
            continue
        want_cached = u != orig[i]
        if objs[0].get("CachedResult") != want_cached or \
                objs[0].get("CachedUUID") != (orig[i] if want_cached else ""):
            bad.append(u + " metadata %r" % objs[0])
        if objs[2].get("stop_reason") != "HALTED" or \
                objs[2].get("dst") != clients[i]:
            bad.append(u + " trace %r/%r" % (objs[2].get("stop_reason"),
                                             objs[2].get("dst")))
    ck.eq(bad, [], label + ": originals HALTED, copies name their original")
    ck.eq(d.journal(), [], label + ": journal empty after the exit")
    daemon.no_crash(ck, d, label)


class Burst(threading.Thread):
    """Requests on `nconn` connections until stopped or the socket goes;
    replies kept per UUID."""

    def __init__(self, d, tag, ips, nconn=4, limit=2000):
        super().__init__(daemon=True)
        self.d, self.tag, self.ips, self.nconn, self.limit = \
            d, tag, ips, nconn, limit
        self.replies = {}
        self.stop = threading.Event()

    def run(self):
        conns = []
        try:
            conns = [self.d.control(timeout=5) for _ in range(self.nconn)]
            for n in range(self.limit):
                if self.stop.is_set():
                    break
                u = "%s-%d" % (self.tag, n)
                r = conns[n % self.nconn].request(
                    {"uuid": u, "ip": self.ips[n % len(self.ips)]})
                if "_exception" in r:
                    break
                self.replies[u] = r
        except OSError:
            pass
        finally:
            for c in conns:
                c.close()

    def accepted(self):
        return sorted(u for u, r in list(self.replies.items()) if accepted(r))


def kill9_in_burst(ck, d, tag, ips, after, label):
    b = Burst(d, tag, ips)
    b.start()
    deadline = time.monotonic() + 30
    while len(b.replies) < after and b.is_alive() and \
            time.monotonic() < deadline:
        time.sleep(0.005)
    d.send_signal(signal.SIGKILL)
    d.wait(10)
    b.stop.set()
    b.join(10)
    d.kill()
    ok = b.accepted()
    ck.note("%s: %d replies, %d accepted before SIGKILL" % (
        label, len(b.replies), len(ok)))
    ck.ok(len(ok) >= after // 2, label + ": a burst was accepted",
          "%d" % len(ok))
    return ok


def part_b(ck, L, t, wd, clients):
    label = "(b) kill -9, replay"
    out = wd.path("b-out")
    d = daemon.Daemon(L, t.src, wd, SLOW + ["--max-inflight", "4"],
                      name="b1", output=out).start()
    ok = kill9_in_burst(ck, d, "b", clients + ["192.0.2.1"], 150, label)
    before = set(d.jsonl())
    pending = journal_live(d.journal())
    ck.note("%s: %d files before the restart, %d pending in the journal" % (
        label, len(before), len(pending)))
    ck.ok(set(ok) <= before | pending,
          label + ": every accepted request is written or journaled",
          "missing: %s" % sorted(set(ok) - before - pending)[:10])
    d2 = daemon.Daemon(L, t.src, wd, FAST + ["--max-inflight", "16"],
                       name="b2", output=out).start()
    got = d2.wait_files(ok, timeout=60)
    m = d2.scrape()
    ck.eq(sorted(got), ok, label + ": after the restart, a file for every "
          "accepted request (%d)" % len(ok))
    ck.eq(m.v("hoplite_journal_total", event="replayed") +
          m.v("hoplite_journal_total", event="present"), len(pending),
          label + ": the journal's %d pending requests replayed" %
          len(pending))
    ck.eq(m.v("hoplite_journal_total", event="expired"), 0,
          label + ": none expired")
    ck.eq(d2.stop(timeout=30), 0, label + ": SIGTERM: exit 0")
    ck.eq(len(d2.files()), len(d2.jsonl()),
          label + ": one file per UUID, nothing else")
    ck.eq(d2.journal(), [], label + ": journal empty after the exit")
    daemon.no_crash(ck, d2, label)


def part_c(ck, L, t, wd, clients):
    label = "(c) kill -9, expired"
    out = wd.path("c-out")
    d = daemon.Daemon(L, t.src, wd, SLOW + ["--max-inflight", "4"],
                      name="c1", output=out).start()
    ok = kill9_in_burst(ck, d, "c", clients, 150, label)
    before = set(d.jsonl())
    pending = journal_live(d.journal())
    with open(os.path.join(out, daemon.JOURNAL), "ab") as f:
        f.write(b"0badc0de A 999999 17")        # a torn last line
    time.sleep(2.2)
    d2 = daemon.Daemon(L, t.src, wd, FAST, name="c2", output=out,
                       env={"HOPLITED_REPLAY_WINDOW": "1"}).start()
    m = d2.scrape()
    expired = m.v("hoplite_journal_total", event="expired")
    ck.note("%s: %d accepted, %d files, %d expired" % (
        label, len(ok), len(before), expired))
    ck.eq(expired, len(pending), label + ": the %d pending requests "
          "counted expired" % len(pending))
    ck.ok(set(ok) <= before | pending, label + ": every accepted request "
          "has a file or is counted expired",
          "missing: %s" % sorted(set(ok) - before - pending)[:10])
    ck.eq(len(set(ok) & before) + len(set(ok) & pending), len(ok),
          label + ": files + expired (of those answered) = accepted")
    ck.eq(m.v("hoplite_journal_total", event="bad_lines"), 1,
          label + ": the torn line counted")
    ck.eq(m.v("hoplite_journal_total", event="replayed"), 0,
          label + ": nothing replayed")
    ck.eq(d2.stop(timeout=30), 0, label + ": SIGTERM: exit 0")
    ck.eq(set(d2.jsonl()), before, label + ": no new file")
    ck.eq(d2.journal(), [], label + ": journal empty after the exit")


def part_d(ck, L, t, wd):
    label = "(d) reused UUID"
    d = daemon.Daemon(L, t.src, wd, FAST, name="d").start()
    with d.control() as c:
        rs = [c.request({"uuid": "dup-1", "ip": t.dst4}) for _ in range(5)]
        rs.append(c.request({"uuid": "dup-1", "ip": t.dst6}))
        ck.eq(rs[0].get("status"), "queued", label + ": the first queued")
        ck.eq([r.get("error") for r in rs[1:]], ["duplicate_uuid"] * 5,
              label + ": the other 5 refused: duplicate_uuid")
        p = d.wait_file("dup-1", 15)
        ck.ok(p is not None, label + ": the first is written")
        before = open(p, "rb").read() if p else b""
        r = c.request({"uuid": "dup-1", "ip": t.dst4})
        ck.eq(r.get("error"), "duplicate_uuid",
              label + ": still refused once written (cache window)")
    m = d.scrape()
    ck.eq(m.v("hoplite_refused_total", reason="duplicate_uuid"), 6,
          label + ": hoplite_refused_total{reason=duplicate_uuid} 6")
    ck.eq(d.stop(timeout=15), 0, label + ": SIGTERM: exit 0")
    ck.eq(len(d.files()), 1, label + ": exactly one file")
    if p:
        ck.eq(open(p, "rb").read(), before, label + ": the file unchanged")


def modes(ck, d, uuid, fmode, dmode, gid, label):
    p = d.wait_file(uuid, 15)
    if not ck.ok(p is not None, label + ": written"):
        return
    st = os.stat(p)
    ck.eq((oct(st.st_mode & 0o7777), st.st_uid, st.st_gid),
          (oct(fmode), NOBODY.pw_uid, gid),
          label + ": file %o, nobody's, gid %d" % (fmode, gid))
    dd = os.path.dirname(p)
    for _ in range(3):
        st = os.stat(dd)
        ck.eq((oct(st.st_mode & 0o7777), st.st_gid), (oct(dmode), gid),
              label + ": %s %o, gid %d" % (os.path.relpath(dd, d.output),
                                           dmode, gid))
        dd = os.path.dirname(dd)


def part_e(ck, L, t, wd):
    label = "(e) file modes"
    d = daemon.Daemon(L, t.src, wd, FAST, name="e1").start()
    with d.control() as c:
        c.request({"uuid": "mode-1", "ip": t.dst4})
    modes(ck, d, "mode-1", 0o640, 0o750, NOBODY.pw_gid, label + " default")
    d.stop()
    dgid = grp.getgrnam("daemon").gr_gid
    d = daemon.Daemon(L, t.src, wd, FAST + ["--group", "daemon",
                                            "--file-mode", "0644"],
                      name="e2").start()
    with d.control() as c:
        c.request({"uuid": "mode-2", "ip": t.dst4})
    modes(ck, d, "mode-2", 0o644, 0o755, dgid, label + " --group daemon "
          "--file-mode 0644")
    ck.eq(os.stat(d.output).st_gid, dgid, label + ": output root's group")
    d.stop()
    d = daemon.Daemon(L, t.src, wd, ["--file-mode", "0666"], name="e3")
    d.start(wait=False)
    rc = d.wait(10)
    ck.eq(rc, 2, label + ": --file-mode 0666 refused (exit 2)")
    ck.ok("--file-mode" in d.stderr(), label + ": the message names it",
          d.stderr()[-300:])
    d.kill()


def part_f(ck, L, t, wd):
    label = "(f) seccomp"
    d = daemon.Daemon(L, t.src, wd, FAST, name="f1",
                      env={"HOPLITED_SECCOMP_SELFTEST": "1"})
    d.start(wait=False)
    rc = d.wait(15)
    if rc is None:
        d.kill()
    ck.eq(rc, -int(signal.SIGSYS), label + ": a raw socket after start-up: "
          "killed by SIGSYS")
    ck.ok("HOPLITED_SECCOMP_SELFTEST: still running" not in d.stderr(),
          label + ": the call did not return")
    d = daemon.Daemon(L, t.src, wd, FAST + ["--seccomp", "log"], name="f2",
                      env={"HOPLITED_SECCOMP_SELFTEST": "1"}).start()
    with d.control() as c:
        r = c.request({"uuid": "sc-1", "ip": t.dst4})
    ck.eq(r.get("status"), "queued", label + " log: still serving")
    ck.ok(d.wait_file("sc-1", 15) is not None, label + " log: file written")
    ck.ok("still running" in d.stderr(), label + " log: the call returned",
          d.stderr()[-300:])
    ck.eq(d.stop(timeout=15), 0, label + " log: SIGTERM: exit 0")


def main():
    lab.require_lab()
    daemon.require_hoplited()
    ck = lab.Check("test_daemon_durable")
    wd = daemon.Workdir("durable")
    with lab.Lab("du") as L:
        t = lab.build_line(L, finalize=False)
        hole = L.host("hole")
        L.link(L.nodes["r3"], hole)
        hole4, hole6 = L.add_lo_addrs(hole, 4)
        L.finalize()
        L.blackhole(hole)
        clients = hole4 + hole6
        for part in (lambda: part_a(ck, L, t, wd, clients),
                     lambda: part_b(ck, L, t, wd, clients),
                     lambda: part_c(ck, L, t, wd, clients),
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
