#!/usr/bin/env python3
"""test_cli: hoplite trace's command line.

--help/-h and --version/-V exit 0 and print; `hoplite help [CMD]` prints
the list or a command's help; a bad option value exits 2 with two lines
on stderr, "hoplite trace: ..." naming the option and one hint line (and
traces nothing), also for letters whose meaning moved (-W, -g); a bad
destination among good ones exits 1, names it on stderr, and the good ones
are still traced to completion; a name from the namespace's /etc/hosts
(`ip netns exec` bind-mounts /etc/netns/NS/hosts) resolves, with -4/-6
picking the family."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

WAIT = "1"

# (arguments, names the message may use for the option)
BAD_VALUES = [
    (["-m", "0"], ["-m", "max-ttl"]),
    (["-m", "300"], ["-m", "max-ttl"]),
    (["--max-ttl", "x"], ["-m", "max-ttl"]),
    (["-q", "abc"], ["-q", "attempts"]),
    (["-P", "nosuch"], ["-P", "method"]),
    (["-f", "0"], ["-f", "first-ttl"]),
    (["-f", "abc"], ["-f", "first-ttl"]),
    (["--gap-limit", "abc"], ["gap-limit"]),
    (["-w", "abc"], ["-w", "wait"]),
    (["-w", "0"], ["-w", "wait"]),
    (["-w", "2,3,3"], ["-w", "wait"]),
    (["-N", "abc"], ["-N", "window"]),
    (["--pps", "abc"], ["pps"]),
    (["-F", "abc"], ["-F", "flowid"]),
    (["--sport", "70000"], ["sport"]),
    (["-p", "abc"], ["-p", "port"]),
    (["--size", "abc"], ["size"]),
    (["-o", "xml"], ["-o", "output"]),
    (["-s", "abc"], ["-s", "source"]),
    (["-s", "198.18.254.254"], ["-s", "source"]),
    (["-i", "nosuchif0"], ["-i", "interface"]),
    (["-m"], ["-m"]),
    # letters whose meaning moved: the message says where
    (["-W", "1000"], ["-w SECONDS"]),
    (["-g", "3"], ["--gap-limit"]),
    (["-p", "80"], ["-p", "ICMP"]),   # ICMP (the default) has no port
]


def main():
    lab.hoplite_only("test_cli")
    lab.require_lab()
    lab.require_hoplite()
    ck = lab.Check("test_cli")
    with lab.Lab("c") as L:
        t = lab.build_line(L)
        src = t.src

        def hop(args, timeout=60):
            rc, out, err = L.run_hoplite(src, args, timeout=timeout)
            ck.note("hoplite %s -> %d" % (" ".join(args)[:100], rc))
            return rc, out, err

        for args in (["--help"], ["--version"], ["trace", "--help"],
                     ["trace", "-h"], ["trace", "--version"],
                     ["trace", "-V"]):
            rc, out, err = hop(args)
            what = " ".join(args)
            ck.eq(rc, 0, what + ": exit 0")
            ck.ok(out.strip(), what + ": prints something on stdout",
                  "stderr: " + err.strip()[:300])
            if args == ["--help"]:
                ck.ok("trace" in out, what + ": usage mentions trace",
                      out[:300])
            elif "--help" in args or "-h" in args:
                ck.ok("-P" in out and "--max-ttl" in out,
                      what + ": usage lists the options (-P, --max-ttl)",
                      out[:300])
            else:
                ck.ok("hoplite" in out.lower() and
                      any(c.isdigit() for c in out),
                      what + ": version names hoplite and a number", out[:300])

        for args, names in BAD_VALUES:
            what = " ".join(args)
            rc, out, err = hop(["trace", "-w", WAIT] + args + [t.dst4])
            ck.eq(rc, 2, what + ": exit 2 (usage error)")
            lines = [x for x in err.splitlines() if x.strip()]
            ck.eq(len(lines), 2, what + ": two lines on stderr (why, hint)")
            ck.ok(lines and lines[0].startswith("hoplite trace: "),
                  what + ": 'hoplite trace: ...'", "stderr: %r" % err[:300])
            ck.ok(len(lines) == 2 and "hoplite help trace" in lines[1],
                  what + ": the hint names 'hoplite help trace'",
                  "stderr: %r" % err[:300])
            ck.ok(lines and any(n in lines[0] for n in names),
                  what + ": the message names the option",
                  "stderr: %r" % err.strip()[:300])
            ck.ok('"trace"' not in out, what + ": nothing traced",
                  "stdout: %r" % out[:200])

        for args, what in ((["trace", "--no-such-option", t.dst4],
                            "unknown option"),
                           (["trace"], "no destination"),
                           (["mda", "-W", "1000", t.dst4], "mda -W"),
                           (["watch", t.dst4, t.dst6], "watch two"),
                           (["no-such-command", t.dst4], "unknown command"),
                           (["help", "no-such-command"], "help unknown")):
            rc, out, err = hop(args)
            ck.eq(rc, 2, what + ": exit 2")
            lines = [x for x in err.splitlines() if x.strip()]
            ck.eq(len(lines), 2, what + ": a reason and a hint, not the help",
                  )
            ck.ok(out == "", what + ": nothing on stdout", out[:200])

        # hoplite help [CMD]: the command's own help, exit 0.
        for cmd, word in (("trace", "--targets"), ("mda", "--confidence"),
                          ("watch", "--cycles"), ("submit", "-S")):
            rc, out, err = hop(["help", cmd])
            ck.eq(rc, 0, "help %s: exit 0" % cmd)
            ck.ok(out.startswith("usage: hoplite " + cmd) and word in out,
                  "help %s: its usage, with %s" % (cmd, word), out[:200])
        rc, out, err = hop(["help"])
        ck.ok(rc == 0 and "watch" in out and "help" in out,
              "help: the command list", out[:300])

        # Bad destinations among good ones.
        bad = ["not..an..addr", "999.1.1.1"]
        dests = [t.dst4, bad[0], bad[1], t.dst6]
        r = lab.trace(L, src, dests, method="icmp-paris", wait_ms="1000")
        by = lab.check_run(ck, r, [t.dst4, t.dst6], "bad destinations", rc=1)
        for b in bad:
            ck.ok(b in r.err, "bad destinations: stderr names " + b,
                  "stderr: %r" % r.err.strip()[:300])
        for d in (t.dst4, t.dst6):
            for tr in by.get(d, []):
                lab.check_trace(ck, L, tr, src, d, "icmp-paris",
                                lab.family_of(d), run=r,
                                label="bad destinations, good " + d)

        # Lab names, through /etc/netns/NS/hosts.
        for extra, name, want in (([], "dst4.lab", t.dst4),
                                  ([], "dst6.lab", t.dst6),
                                  (["-4"], "dst.lab", t.dst4),
                                  (["-6"], "dst.lab", t.dst6)):
            what = "name %s %s" % (" ".join(extra), name)
            r = lab.trace(L, src, [name], method="icmp-paris", wait_ms="1000",
                          extra=extra)
            ck.eq(r.rc, 0, what + ": exit 0" +
                  ("\n      stderr: " + r.err.strip()[:300] if r.rc else ""))
            ck.eq([tr.get("dst") for tr in r.traces], [want],
                  what + ": traced " + want)
            for tr in r.traces:
                lab.check_trace(ck, L, tr, src, want, "icmp-paris",
                                lab.family_of(want), run=r, label=what)
    ck.done()


if __name__ == "__main__":
    main()
