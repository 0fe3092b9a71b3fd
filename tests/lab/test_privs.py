#!/usr/bin/env python3
"""test_privs: hoplite gives up its privileges and needs only CAP_NET_RAW.

(a) Started as root (with -U nobody, and with the default user), while it
    traces toward a black-holed destination (slow, so it is alive):
    /proc/PID/status shows nobody's Uid/Gid (all four), no supplementary
    groups, CapEff/CapPrm/CapAmb/CapInh all 0 and NoNewPrivs 1; it still
    finishes the trace (GAPLIMIT) after dropping.
(b) Started as nobody with only CAP_NET_RAW (setpriv, ambient): traces to
    completion, and drops that capability too.
(c) Started as nobody without the capability: exit 1 and a message naming
    CAP_NET_RAW, nothing traced."""

import os
import pwd
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

NOBODY = pwd.getpwnam("nobody")
AS_NOBODY = ["setpriv", "--reuid=%d" % NOBODY.pw_uid,
             "--regid=%d" % NOBODY.pw_gid, "--clear-groups"]
WITH_RAW = ["--inh-caps", "+net_raw", "--ambient-caps", "+net_raw"]
WITHOUT = ["--inh-caps", "-all"]


def status(pid):
    """/proc/PID/status as a dict, or None once the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return dict(l.split(":", 1) for l in f.read().splitlines()
                        if ":" in l)
    except (FileNotFoundError, ProcessLookupError):
        return None


def wait_dropped(p, uid, timeout=15.0):
    """Poll until the process runs as uid with no effective capabilities;
    then sample once more (the drop may be mid-way).  Returns the status,
    or the last one seen if it never got there (or exited)."""
    last = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        st = status(p.pid)
        if st is None:
            break
        last = st
        if st["Uid"].split() == [str(uid)] * 4 and \
                int(st["CapEff"].strip(), 16) == 0:
            time.sleep(0.1)
            return status(p.pid) or last
        time.sleep(0.01)
    return last


def nobody_can_exec(L, node, path):
    p = L.run(node, AS_NOBODY + ["test", "-x", path], timeout=10)
    return p.returncode == 0


def main():
    lab.hoplite_only("test_privs")
    lab.require_lab()
    lab.require_hoplite()
    if shutil.which("setpriv") is None:
        lab.skip("setpriv (util-linux) not found")
    ck = lab.Check("test_privs")
    tmpdir = None
    try:
        with lab.Lab("p") as L:
            t = lab.build_line(L, finalize=False)
            hole = L.host("hole")
            hl = L.link(L.nodes["r3"], hole)
            L.finalize()
            L.blackhole(hole)
            hole4 = hl.addr_of(hole, 4)
            slow = ["trace", "-q", "1", "-w", "2", "--gap-limit", "3", hole4]

            hoplite = os.environ["HOPLITE"]
            if not nobody_can_exec(L, t.src, hoplite):
                # e.g. a build tree under a 0700 home: copy it somewhere
                # nobody can reach (it links only system libraries).
                tmpdir = tempfile.mkdtemp(prefix="hoplite-privs-")
                os.chmod(tmpdir, 0o755)
                copy = os.path.join(tmpdir, "hoplite")
                shutil.copy2(hoplite, copy)
                os.chmod(copy, 0o755)
                hoplite = copy
                ck.note("running a copy nobody can execute: " + copy)

            # (a) root, dropping to nobody explicitly and by default
            for extra, label in ((["--user", "nobody"], "root --user nobody"),
                                 ([], "root, default user")):
                p = L.popen(t.src, [hoplite] + slow[:1] + extra + slow[1:])
                st = wait_dropped(p, NOBODY.pw_uid)
                lab.check_dropped(ck, st, label)
                try:
                    out, err = p.communicate(timeout=60)
                except Exception:
                    p.kill()
                    out, err = p.communicate(timeout=10)
                ck.eq(p.returncode, 0, label + ": exit 0" +
                      ("\n      stderr: " + err.strip()[:300]
                       if p.returncode else ""))
                trs = lab.traces_of(lab.parse_json_lines(out))
                ck.eq([tr.get("stop_reason") for tr in trs], ["GAPLIMIT"],
                      label + ": still traced after dropping")
                for tr in trs:
                    ck.eq([L.owner(a).name for _, a in lab.path_of(tr)],
                          ["r1", "r2", "r3"], label + ": hops r1 r2 r3")

            # (b) nobody with only CAP_NET_RAW
            label = "nobody + CAP_NET_RAW"
            rcmd = AS_NOBODY + WITH_RAW + [hoplite]
            p = L.run(t.src, rcmd + ["trace", "-w", "1", t.dst4, t.dst6],
                      timeout=60)
            ck.eq(p.returncode, 0, label + ": exit 0" +
                  ("\n      stderr: " + p.stderr.strip()[:300]
                   if p.returncode else ""))
            trs = lab.traces_of(lab.parse_json_lines(p.stdout))
            ck.eq(sorted(tr.get("dst") for tr in trs),
                  sorted([t.dst4, t.dst6]), label + ": both traced")
            for tr in trs:
                lab.check_trace(ck, L, tr, t.src, tr["dst"], "icmp-paris",
                                lab.family_of(tr["dst"]), label=label)
            p = L.popen(t.src, rcmd + slow)
            lab.check_dropped(ck, wait_dropped(p, NOBODY.pw_uid),
                          label + " (while tracing)")
            try:
                p.communicate(timeout=60)
            except Exception:
                p.kill()
                p.communicate(timeout=10)

            # (c) nobody without the capability
            label = "nobody without CAP_NET_RAW"
            p = L.run(t.src, AS_NOBODY + WITHOUT + [hoplite, "trace", t.dst4],
                      timeout=30)
            ck.eq(p.returncode, 1, label + ": exit 1")
            ck.ok("CAP_NET_RAW" in p.stderr, label + ": message names "
                  "CAP_NET_RAW", "stderr: %r" % p.stderr.strip()[:300])
            ck.ok('"trace"' not in p.stdout, label + ": nothing traced")
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    ck.done()


if __name__ == "__main__":
    main()
