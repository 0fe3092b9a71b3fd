#!/usr/bin/env python3
"""test_daemon_slots: the control socket's 64 connection slots.

Line lab; hoplited in src with a control socket.  Requests name 192.0.2.1
(documentation: refused by policy, so no packet is ever sent): a reply is
all that is asked of the daemon here.

(a) 64 idle clients holding every slot, each sending a blank line every
    2 s (blank lines are not requests): a new client is still served (its
    request gets its reply), the oldest idle one having been closed for it
    (hoplite_control_total{counter="evicted"} >= 1); the idle clients are
    all gone within the idle timeout (10 s) however many blank lines they
    send ({counter="idle_closed"}).
(b) 1000 quick cycles (connect, send one request, close without reading):
    all 1000 requests are read and answered ({counter="requests"} and
    refusals grow by 1000), none is turned away ({counter="dropped"}
    unchanged), and no slot stays taken afterwards.
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402

REFUSED_IP = "192.0.2.1"


def ctl(m, counter):
    return m.v("hoplite_control_total", counter=counter)


class Idlers(threading.Thread):
    """n connections sending a blank line every `every` seconds."""

    def __init__(self, path, n, every=2.0):
        super().__init__(daemon=True)
        self.path, self.n, self.every = path, n, every
        self.socks = []
        self.stop = threading.Event()
        self.closed = 0

    def open(self):
        for _ in range(self.n):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(self.path)
            self.socks.append(s)

    def run(self):
        live = list(self.socks)
        for _ in range(200):            # bounded: at most 400 s
            if self.stop.wait(self.every) or not live:
                break
            keep = []
            for s in live:
                try:
                    s.send(b"\n")
                    keep.append(s)
                except OSError:
                    self.closed += 1
                    s.close()
            live = keep

    def close(self):
        self.stop.set()
        self.join(10)
        for s in self.socks:
            s.close()


def part_a(ck, L, t, wd, d):
    label = "(a) idle clients"
    m0 = d.scrape()
    idle = Idlers(d.control_path, 64)
    idle.open()
    idle.start()
    m = d.wait_metric(lambda m: ctl(m, "connections") >=
                      ctl(m0, "connections") + 64, timeout=10)
    ck.eq(ctl(m, "connections") - ctl(m0, "connections"), 64,
          label + ": 64 connections taken")
    time.sleep(2.5)                     # a blank line from each, at least
    try:
        with d.control(timeout=30) as c:
            r = c.request({"uuid": "slot-new", "ip": REFUSED_IP})
    except OSError as e:
        r = {"_exception": repr(e)}
    ck.ok(r.get("uuid") == "slot-new", label + ": a new client is served "
          "while 64 idle ones send blank lines", repr(r))
    ck.ok("documentation" in str(r.get("error")), label + ": its reply is "
          "the policy's answer", repr(r))
    m = d.scrape()
    ck.ok(ctl(m, "evicted") - ctl(m0, "evicted") >= 1,
          label + ": the oldest idle client evicted for it",
          "evicted %d" % (ctl(m, "evicted") - ctl(m0, "evicted")))
    m = d.wait_metric(lambda m: ctl(m, "idle_closed") + ctl(m, "evicted") -
                      ctl(m0, "idle_closed") - ctl(m0, "evicted") >= 64,
                      timeout=20)
    gone = ctl(m, "idle_closed") + ctl(m, "evicted") - \
        ctl(m0, "idle_closed") - ctl(m0, "evicted")
    ck.eq(gone, 64, label + ": all 64 idle clients closed despite their "
          "blank lines")
    ck.note("%s: evicted %d, closed idle %d" % (
        label, ctl(m, "evicted") - ctl(m0, "evicted"),
        ctl(m, "idle_closed") - ctl(m0, "idle_closed")))
    idle.close()


def part_b(ck, L, t, wd, d):
    label = "(b) 1000 connect/close cycles"
    N = 1000
    m0 = d.scrape()
    sent = 0
    for i in range(N):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(d.control_path)
            s.sendall(b'{"uuid":"cyc-%d","ip":"%s"}\n' %
                      (i, REFUSED_IP.encode()))
            sent += 1
        except OSError:
            pass
        s.close()
    ck.eq(sent, N, label + ": every connect and send succeeded")
    m = d.wait_metric(lambda m: ctl(m, "requests") - ctl(m0, "requests")
                      >= N, timeout=20)
    ck.note("%s: %d requests read, %d refusals, %d dropped" % (
        label, ctl(m, "requests") - ctl(m0, "requests"),
        m.v("hoplite_refused_total", reason="documentation") -
        m0.v("hoplite_refused_total", reason="documentation"),
        ctl(m, "dropped") - ctl(m0, "dropped")))
    ck.eq(ctl(m, "requests") - ctl(m0, "requests"), N,
          label + ": all %d requests read" % N)
    ck.eq(m.v("hoplite_refused_total", reason="documentation") -
          m0.v("hoplite_refused_total", reason="documentation"), N,
          label + ": all %d answered (by policy)" % N)
    ck.eq(ctl(m, "dropped"), ctl(m0, "dropped"),
          label + ": no connection turned away")
    # Every slot is free again: 64 clients at once are all served.
    conns = [d.control(timeout=10) for _ in range(64)]
    rs = [c.request({"uuid": "after-%d" % i, "ip": REFUSED_IP})
          for i, c in enumerate(conns)]
    for c in conns:
        c.close()
    ck.eq(sum(1 for r in rs if "documentation" in str(r.get("error"))), 64,
          label + ": afterwards 64 clients at once are all served")


def main():
    lab.require_lab()
    daemon.require_hoplited()
    ck = lab.Check("test_daemon_slots")
    wd = daemon.Workdir("slots")
    with lab.Lab("sl") as L:
        t = lab.build_line(L)
        d = daemon.Daemon(L, t.src, wd, [], name="s").start()
        for part in (lambda: part_a(ck, L, t, wd, d),
                     lambda: part_b(ck, L, t, wd, d)):
            try:
                part()
            except lab.LabError as e:
                ck.ok(False, "lab error", str(e))
        ck.eq(d.stop(timeout=15), 0, "SIGTERM: exit 0")
        daemon.no_crash(ck, d, "hoplited")
        ck.eq(d.files(), [], "no file written (every request refused)")
    ck.done()


if __name__ == "__main__":
    main()
