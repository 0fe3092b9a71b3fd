#!/usr/bin/env python3
"""test_watch: hoplite watch's loss figures and its branches.

Loss: on src - r1 - r2 - r3 - dst, r2 drops a known share of the probes
it forwards toward dst (nftables `numgen random mod 4 == 0`: p = 1/4,
each packet drawn independently).  Probes expiring at r1 and r2 are never
forwarded by r2 (the kernel checks the TTL before the forward hook), so
their rows lose nothing; r3's and dst's rows lose p.  With n probes per
row, the measured share is Binomial(n, p)/n, standard deviation
sqrt(p(1-p)/n); 100 cycles of 4 flows give n = 400 and sd = 0.0217, and
the test accepts |loss - p| <= 5 sd = 0.108 (a false failure about once
in 1.7 million runs).  Rows before r2 must lose at most 1 %% (nothing
drops there).  Each row's "sent" is cycles x flows, and JSON has one
object per cycle with cumulative counts.

Branches: on the fan (ECMP at r1 over r2a..r2c), 16 UDP Paris flows; the
TTL 2 rows are one per r2x address, their flow sets are disjoint, cover
every flow, and each flow's row is the branch a trace of that flow takes
(ground truth from `hoplite trace -F`), so no row mixes branches.

On a terminal the table is redrawn in place each cycle (ANSI: cursor up
over the last table, clear below), through a pty."""

import os
import pty
import select
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

P = 0.25
CYCLES = 100
FLOWS = 4
SD = (P * (1 - P) / (CYCLES * FLOWS)) ** 0.5
TOL = 5 * SD


def watch(ck, L, node, args, timeout=300):
    argv = [os.environ["HOPLITE"], "watch", "-n"] + [str(a) for a in args]
    p = L.run(node, argv, timeout=timeout)
    ck.note("hoplite watch %s -> %d" % (" ".join(map(str, args))[:100],
                                        p.returncode))
    return p.returncode, p.stdout, p.stderr


def main():
    lab.hoplite_only("test_watch")
    lab.require_lab()
    lab.require_hoplite()
    ck = lab.Check("test_watch")
    with lab.Lab("w") as L:
        t = lab.build_line(L)
        r2 = L.nodes["r2"]
        L.nft(r2, """
table inet hlloss {
  chain lossy {
    type filter hook forward priority 0; policy accept;
    ip daddr %s icmp type echo-request numgen random mod 4 == 0 drop
  }
}
""" % t.dst4)
        rc, out, err = watch(ck, L, t.src, ["-o", "json", "-c", CYCLES,
                                            "--interval", "0.01",
                                            "-w", "0.3", "-F",
                                            "0-%d" % (FLOWS - 1), t.dst4])
        ck.eq(rc, 0, "loss: exit 0 " + err[:200])
        objs = lab.parse_json_lines(out)
        ck.eq([o.get("cycle") for o in objs], list(range(1, CYCLES + 1)),
              "loss: one JSON object per cycle, cycles 1..%d" % CYCLES)
        last = objs[-1] if objs else {"rows": []}
        rows = {(r["ttl"], r["addr"]): r for r in last["rows"]}
        n = CYCLES * FLOWS
        owner = {}
        for (ttl, a), r in rows.items():
            if a is not None:
                owner[(ttl, a)] = L.owner(a).name
        by_node = {}
        for key, name in owner.items():
            if key[0] <= 4:
                by_node[name] = rows[key]
        ck.eq(sorted(by_node), ["dst", "r1", "r2", "r3"],
              "loss: rows for r1 r2 r3 dst at TTLs 1-4")
        for name in ("r1", "r2", "r3", "dst"):
            r = by_node.get(name)
            if r is None:
                continue
            ck.note("%s: sent %d received %d loss %.3f" % (
                name, r["sent"], r["received"], r["loss"]))
            ck.eq(r["sent"], n, "loss: %s row sent %d (cycles x flows)"
                  % (name, n))
            ck.eq(r["flows"], list(range(FLOWS)), "loss: %s row, every flow"
                  % name)
            ck.ok(abs(r["loss"] - (1 - r["received"] / r["sent"])) < 1e-9,
                  "loss: %s loss = 1 - received/sent" % name)
            if name in ("r1", "r2"):
                ck.ok(r["loss"] <= 0.01, "loss: %s loses nothing (%.3f)"
                      % (name, r["loss"]))
            else:
                ck.ok(abs(r["loss"] - P) <= TOL,
                      "loss: %s loses %.3f, %.2f +- %.3f (5 sd)"
                      % (name, r["loss"], P, TOL))
            if r["received"]:
                ck.ok(r["best"] <= r["avg"] <= r["worst"] and
                      r["stdev"] >= 0,
                      "loss: %s best <= avg <= worst" % name)
        # Cumulative: sent grows by FLOWS per cycle on r1's row.
        r1 = [a for (ttl, a), nm in owner.items() if nm == "r1"]
        if r1 and objs:
            sent = [next(r["sent"] for r in o["rows"] if r["addr"] == r1[0])
                    for o in objs]
            ck.eq(sent, [FLOWS * (i + 1) for i in range(len(objs))],
                  "loss: r1's sent counts per cycle")

        # --report: one table, mtr -r's columns.
        rc, out, err = watch(ck, L, t.src, ["-r", "-c", "3", "--interval",
                                            "0.01", "-w", "0.3", t.dst6])
        lines = out.splitlines()
        ck.eq(rc, 0, "--report: exit 0")
        ck.ok(len(lines) == 6 and "Loss%" in lines[1] and
              "StDev" in lines[1] and "cycle 3" in lines[0],
              "--report: header, column names, 4 rows", out[:500])
        ck.ok(all(ln.split()[3] == "0.0%" and ln.split()[4] == "12"
                  for ln in lines[2:]),
              "--report: IPv6 rows lose nothing, 12 sent (3 x 4 flows)",
              out[:500])

        # On a terminal: the table redrawn in place each cycle (cursor up
        # over the last table, clear to the end), then the final one.
        master, slave = pty.openpty()
        p = subprocess.Popen(["ip", "netns", "exec", t.src.ns,
                              os.environ["HOPLITE"], "watch", "-n", "-c",
                              "3", "--interval", "0.05", "-w", "0.3",
                              t.dst6], stdout=slave,
                             stderr=subprocess.PIPE)
        os.close(slave)
        text = b""
        while True:
            r, _, _ = select.select([master], [], [], 30)
            if not r:
                break
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            text += data
        os.close(master)
        p.wait(timeout=30)
        out = text.decode(errors="replace")
        ck.eq(p.returncode, 0, "terminal: exit 0")
        ck.eq(out.count("\x1b[6A\x1b[J"), 3,
              "terminal: redrawn in place after cycles 2 and 3 and at the "
              "end (6 lines up, clear)")
        for c in (1, 2, 3):
            ck.ok("cycle %d\r\n" % c in out, "terminal: cycle %d drawn" % c,
                  out[:300])

    with lab.Lab("wf") as L:
        t = lab.build_fan(L, width=3)
        flows = 16
        r = lab.trace(L, t.src, [t.dst4], method="udp-paris",
                      flowid="0-%d" % (flows - 1), wait_ms="1000")
        truth = {}
        for tr in r.traces:
            for ttl, a in lab.path_of(tr):
                if ttl == 2:
                    truth[tr["flowid"]] = a
        rc, out, err = watch(ck, L, t.src, ["-o", "json", "-U", "-c", "3",
                                            "--interval", "0.01", "-w", "1",
                                            "-F", "0-%d" % (flows - 1),
                                            t.dst4])
        objs = lab.parse_json_lines(out)
        rows = [x for x in (objs[-1]["rows"] if objs else [])
                if x["ttl"] == 2]
        ck.ok(len(rows) >= 2, "branches: several rows at TTL 2",
              str(rows)[:300])
        seen = []
        for x in rows:
            seen += x["flows"]
            ck.ok(all(truth.get(f) == x["addr"] for f in x["flows"]),
                  "branches: row %s holds only flows whose trace goes there"
                  % x["addr"], "%s vs %s" % (x["flows"], truth))
            ck.eq(x["sent"], 3 * len(x["flows"]),
                  "branches: row %s sent 3 per flow" % x["addr"])
        ck.eq(sorted(seen), list(range(flows)),
              "branches: the TTL 2 rows' flows are disjoint and cover all")
    ck.done()


if __name__ == "__main__":
    main()
