#!/usr/bin/env python3
"""hoplited's stderr: a UTC timestamp, hoplited[pid] and a level on each
line; "<N>" syslog priorities instead when stderr is the journal
(JOURNAL_STREAM), so `journalctl -p err` has the errors; the start-up line
lists the effective settings (defaults, flags and environment); an unknown
HOPLITED_* variable is a warning; a bad setting is an error (exit 2), a
metrics port already taken is fatal (exit 1).

Root: hoplited needs raw sockets.  Each run is in a network namespace of
its own (unshare -n, which execs hoplited, so the signal goes to it) and
sends nothing.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import re

from deploy import HOPLITED, ROOT, read
import lab

ck = lab.Check("test_daemon_log")
WORK = tempfile.mkdtemp(prefix="hoplite-log-")


STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) hoplited\[(\d+)\] "
                   r"(fatal|error|warning|notice|info|debug): (.*)$")
JOURNAL = re.compile(r"^<(\d)>(fatal|error|warning|notice|info|debug): (.*)$")
PRI = {"fatal": 2, "error": 3, "warning": 4, "notice": 5, "info": 6,
       "debug": 7}


HOLDER = r'''
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[2], "w").close()
parent = os.getppid()
for _ in range(600):            # until hoplited (our parent) is gone
    if os.getppid() != parent:
        break
    time.sleep(0.1)
'''


def hoplited(args, env_extra, journal, hold_port=None):
    """Runs hoplited in a network namespace of its own until its control
    socket is up, then SIGTERM.  With hold_port, something else listens on
    127.0.0.1:hold_port there first.  Returns (rc, stderr lines)."""
    d = tempfile.mkdtemp(dir=WORK)
    # The daemon opens its journal in the output root after dropping root:
    # the user it runs as must reach it.
    os.chmod(WORK, 0o755)
    os.chmod(d, 0o755)
    errpath = os.path.join(d, "stderr")
    ctl = os.path.join(d, "c.sock")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOPLITED_")}
    env.update(env_extra)
    with open(errpath, "wb") as err:
        if journal:
            st = os.fstat(err.fileno())
            env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        else:
            env.pop("JOURNAL_STREAM", None)
        argv = ["unshare", "-n", HOPLITED,
                "--output", os.path.join(d, "out"), "--control", ctl] + args
        if hold_port:
            ready = os.path.join(d, "held")
            # sh starts the holder, waits for its bind, then execs
            # hoplited: the pid stays hoplited's.
            argv[2:2] = ["sh", "-c", 'ip link set lo up; '
                         '"$0" -c "$HOLDER" %d %s & i=0; '
                         'while [ ! -e %s ] && [ $i -lt 200 ]; do '
                         'sleep 0.05; i=$((i+1)); done; exec "$@"'
                         % (hold_port, ready, ready), sys.executable]
            env["HOLDER"] = HOLDER
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                             stdin=subprocess.DEVNULL, env=env)
        for _ in range(200):
            if p.poll() is not None or os.path.exists(ctl):
                break
            time.sleep(0.05)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)   # unshare execs: this is hoplited
        try:
            rc = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
    return rc, read(errpath).splitlines()


def check_logs():
    if not ROOT or not shutil.which("unshare"):
        lab.log("test_daemon_log: SKIP: hoplited needs root (raw sockets) "
                "and unshare(1) for a namespace of its own")
        sys.exit(lab.SKIP)
    env = {"HOPLITED_PPS": "321", "HOPLITED_GRACE": "2",
           "HOPLITED_NO_SUCH_SETTING": "1"}
    t0 = time.time()
    rc, lines = hoplited(["--max-inflight", "7", "-v"], env, False)
    ck.eq(rc, 0, "log: hoplited ran and stopped on SIGTERM")
    parsed = [STAMP.match(l) for l in lines]
    ck.ok(lines and all(parsed), "log: every line has a timestamp, "
          "hoplited[pid] and a level", "\n".join(l for l, m in
                                                 zip(lines, parsed) if not m))
    parsed = [m for m in parsed if m]
    if parsed:
        ts = time.mktime(time.strptime(parsed[0].group(1)[:19],
                                       "%Y-%m-%dT%H:%M:%S")) - time.timezone
        ck.ok(abs(ts - t0) < 120, "log: the timestamp is UTC now",
              parsed[0].group(1))
    start = [m.group(4) for m in parsed if m.group(3) == "notice" and
             "starting" in m.group(4)]
    ck.eq(len(start), 1, "log: one start-up line")
    s = start[0] if start else ""
    for kv in ("pps=321", "grace=2s", "max-inflight=7", "cache-window=600s",
               "method=icmp-paris", "queue=1024", "mode=mda",
               "mda-method=icmp-echo", "confidence=95", "probe-gap=150ms",
               "attempts=3", "wait=5000ms", "gap-limit=3", "probec-max=3000",
               "max-ttl=30", "metrics=-", "anonymize=none",
               "verbose=1"):
        ck.ok((" " + kv + " ") in s + " ", "log: start-up line has " + kv, s)
    warn = [m.group(4) for m in parsed if m.group(3) == "warning"]
    ck.ok(any("HOPLITED_NO_SUCH_SETTING" in w for w in warn),
          "log: an unknown HOPLITED_ variable is a warning", str(warn))
    ck.ok(not any("HOPLITED_PPS" in w or "HOPLITED_GRACE" in w for w in warn),
          "log: known variables are not warned about", str(warn))

    # Under systemd: "<N>" priorities, no timestamp (the journal adds it).
    rc, lines = hoplited([], {"HOPLITED_NO_SUCH_SETTING": "x"}, True)
    parsed = [JOURNAL.match(l) for l in lines]
    ck.ok(rc == 0 and lines and all(parsed), "journal: every line starts "
          "with a syslog priority", "\n".join(lines[:5]))
    ck.ok(all(int(m.group(1)) == PRI[m.group(2)] for m in parsed if m),
          "journal: the priority is the level's")
    ck.ok(any(m.group(1) == "4" and "HOPLITED_NO_SUCH_SETTING" in m.group(3)
              for m in parsed if m), "journal: the warning at priority 4")
    rc, lines = hoplited(["--pps", "abc"], {"HOPLITED_PSS": "5"}, True)
    ck.ok(rc == 2 and any(l.startswith("<3>error: --pps 'abc'")
                          for l in lines),
          "journal: a bad setting is an error (journalctl -p err), exit 2",
          "rc %d %r" % (rc, lines))
    ck.ok(any(l.startswith("<4>warning: HOPLITED_PSS") for l in lines),
          "journal: ... and a misspelt variable is named all the same",
          repr(lines))
    # Its metrics port already taken: fatal, priority 2, exit 1.
    rc, lines = hoplited(["--metrics", "127.0.0.1:9992"], {}, True,
                         hold_port=9992)
    ck.ok(rc == 1 and any(l.startswith("<2>fatal: --metrics") for l in lines),
          "journal: cannot bind the metrics port: fatal at priority 2, exit 1",
          "rc %d %r" % (rc, lines))


def main():
    try:
        check_logs()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    ck.done()


if __name__ == "__main__":
    main()
