#!/usr/bin/env python3
"""The unit's sandbox lets hoplited work: every system call hoplited makes
while it starts, traces, writes a file, serves a metrics scrape and stops
is in the unit's SystemCallFilter (systemd would kill it otherwise), and
every socket family it opens is in RestrictAddressFamilies.

hoplited runs under strace in a network namespace of its own, with
198.18.0.1 on its loopback, and traces that address (the only one it
sends to).  Root, strace and systemd-analyze (to expand the filter's
groups) are needed.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from deploy import HOPLITE, HOPLITED, ROOT, SRC, read, run
import lab

ck = lab.Check("test_syscalls")
DST = "198.18.0.1"


def unit_values(key):
    out = []
    for line in read(os.path.join(SRC, "deploy", "hoplited.service")).splitlines():
        if line.startswith(key + "="):
            out += line.split("=", 1)[1].split()
    return out


def expand(group, seen=None):
    """A systemd syscall group, or a single call, as a set of names."""
    seen = seen if seen is not None else set()
    if not group.startswith("@"):
        return {group}
    if group in seen:
        return set()
    seen.add(group)
    r = run(["systemd-analyze", "syscall-filter", group])
    calls = set()
    for line in r.stdout.splitlines()[1:]:
        w = line.strip()
        if w and not w.startswith("#"):
            calls |= expand(w, seen)
    return calls


def children(pid):
    try:
        out = []
        for t in os.listdir("/proc/%d/task" % pid):
            out += read("/proc/%d/task/%s/children" % (pid, t)).split()
        return [int(c) for c in out]
    except OSError:
        return []


def main():
    if not ROOT or not all(shutil.which(c) for c in
                           ("strace", "systemd-analyze", "unshare", "nsenter",
                            "ip")):
        lab.log("test_syscalls: SKIP: needs root, strace, systemd-analyze, "
                "unshare, nsenter and ip")
        sys.exit(lab.SKIP)
    allowed = set()
    for g in unit_values("SystemCallFilter"):
        allowed |= expand(g)
    ck.ok(len(allowed) > 100, "the unit's filter expands (%d calls)" %
          len(allowed))
    work = tempfile.mkdtemp(prefix="hoplite-syscalls-")
    os.chmod(work, 0o755)
    out, ctl = os.path.join(work, "out"), os.path.join(work, "c.sock")
    tracef = os.path.join(work, "strace")
    p = None
    try:
        with open(os.path.join(work, "stderr"), "wb") as err:
            # sh sets up the namespace, then execs strace, which runs
            # hoplited as its child.
            p = subprocess.Popen(
                ["unshare", "-n", "sh", "-c",
                 "ip link set lo up && ip addr add %s/32 dev lo && exec "
                 "strace -f -qq -o %s \"$@\"" % (DST, tracef), "sh",
                 HOPLITED, "--output", out, "--control", ctl, "--allow",
                 "198.18.0.0/15", "--metrics", "127.0.0.1:9992",
                 "--grace", "1"],
                stdout=subprocess.DEVNULL, stderr=err,
                stdin=subprocess.DEVNULL)
            lab._CHILDREN.append(p)
            ready = False
            for _ in range(200):
                if p.poll() is not None:
                    break
                if "running" in read(err.name):
                    ready = True
                    break
                time.sleep(0.05)
            ck.ok(ready, "hoplited came up under strace",
                  read(err.name)[-800:])
            kids = children(p.pid)
            if ready:
                r = run([HOPLITE, "submit", "-S", ctl, "-u", "syscalls-1",
                         DST])
                ck.ok(r.returncode == 0, "the trace was accepted",
                      r.stdout + r.stderr)
                files = []
                for _ in range(200):
                    files = [os.path.join(d, f) for d, _, fs in os.walk(out)
                             for f in fs if f.endswith(".jsonl")]
                    if files:
                        break
                    time.sleep(0.05)
                ck.ok(files and '"stop_reason":"COMPLETED"' in read(files[0]),
                      "the trace completed and its file was written")
                m = run(["nsenter", "-t", str(p.pid), "-n", sys.executable,
                         "-c", "import urllib.request as u; print(u.urlopen("
                         "'http://127.0.0.1:9992/metrics').read().decode())"])
                ck.ok("traces_performed_total" in m.stdout,
                      "a metrics scrape was served", m.stderr[-300:])
            for k in kids:      # hoplited itself, not strace
                os.kill(k, signal.SIGTERM)
            try:
                rc = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = p.wait()
            ck.eq(rc, 0, "hoplited stopped cleanly on SIGTERM")
        calls, families = set(), set()
        for line in read(tracef).splitlines():
            m = re.match(r"^\d+\s+([a-z_0-9]+)\(", line)
            if m:
                calls.add(m.group(1))
            m = re.match(r"^\d+\s+socket\((AF_[A-Z0-9]+)", line)
            if m:
                families.add(m.group(1))
        ck.ok(len(calls) > 30, "strace saw hoplited's calls (%d)" % len(calls))
        # execve is strace starting hoplited, before any filter applies.
        bad = sorted(calls - allowed - {"execve"})
        ck.ok(not bad, "every call is in SystemCallFilter=%s" %
              " ".join(unit_values("SystemCallFilter")), " ".join(bad))
        fams = set(unit_values("RestrictAddressFamilies"))
        ck.ok(families and families <= fams, "socket families %s are in "
              "RestrictAddressFamilies" % " ".join(sorted(families)),
              " ".join(sorted(families - fams)))
    finally:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)
    ck.done()


if __name__ == "__main__":
    main()
