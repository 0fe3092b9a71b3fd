#!/usr/bin/env python3
"""test_cli: hoplite trace's command line.

--help/-h and --version/-V exit 0 and print; a bad option value exits 2
with one line on stderr naming the option (and traces nothing); a bad
destination among good ones exits 1, names it on stderr, and the good ones
are still traced to completion; a name from the namespace's /etc/hosts
(`ip netns exec` bind-mounts /etc/netns/NS/hosts) resolves, with -4/-6
picking the family."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

WAIT = "1000"

# (arguments, names the message may use for the option)
BAD_VALUES = [
    (["-m", "0"], ["-m", "max-ttl"]),
    (["-m", "300"], ["-m", "max-ttl"]),
    (["--max-ttl", "x"], ["-m", "max-ttl"]),
    (["-q", "abc"], ["-q", "attempts"]),
    (["-P", "nosuch"], ["-P", "method"]),
    (["-f", "0"], ["-f", "first-ttl"]),
    (["-f", "abc"], ["-f", "first-ttl"]),
    (["-g", "abc"], ["-g", "gap-limit"]),
    (["-W", "abc"], ["-W", "wait"]),
    (["-w", "abc"], ["-w", "window"]),
    (["-p", "abc"], ["-p", "pps"]),
    (["-F", "abc"], ["-F", "flowid"]),
    (["--sport", "70000"], ["sport"]),
    (["--dport", "abc"], ["dport"]),
    (["-s", "abc"], ["-s", "size"]),
    (["-o", "xml"], ["-o", "output"]),
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
            rc, out, err = hop(["trace", "-W", WAIT] + args + [t.dst4])
            ck.eq(rc, 2, what + ": exit 2 (usage error)")
            lines = [x for x in err.splitlines() if x.strip()]
            ck.eq(len(lines), 1, what + ": one line on stderr")
            ck.ok(any(n in err for n in names),
                  what + ": the message names the option",
                  "stderr: %r" % err.strip()[:300])
            ck.ok('"trace"' not in out, what + ": nothing traced",
                  "stdout: %r" % out[:200])

        for args, what in ((["trace", "--no-such-option", t.dst4],
                            "unknown option"),
                           (["trace"], "no destination"),
                           (["no-such-command", t.dst4], "unknown command")):
            rc, out, err = hop(args)
            ck.eq(rc, 2, what + ": exit 2")
            ck.ok(err.strip(), what + ": says why on stderr")

        # Bad destinations among good ones.
        bad = ["not..an..addr", "999.1.1.1"]
        dests = [t.dst4, bad[0], bad[1], t.dst6]
        r = lab.trace(L, src, dests, method="icmp-paris", wait_ms=WAIT)
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
            r = lab.trace(L, src, [name], method="icmp-paris", wait_ms=WAIT,
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
