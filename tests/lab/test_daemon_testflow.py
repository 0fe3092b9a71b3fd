#!/usr/bin/env python3
"""test_daemon_testflow: hoplited --test-flow traces the test's own flow.

Control requests carry the test's ports (sport: the client's, dport: the
server's); with --test-flow the trace is TCP ACK Paris from the server's
port to the client's, IPv4 and IPv6, and completes on the client's RST
(the capture lets resets on any port in).  Without the ports the daemon
falls back to its configured method.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402

FILE_WAIT = 10.0


def main():
    lab.require_lab()
    lab.require_hoplite()
    daemon.require_hoplited()
    ck = lab.Check("test_daemon_testflow")
    wd = daemon.Workdir("testflow")
    with lab.Lab("tf") as L:
        t = lab.build_line(L)
        d = daemon.Daemon(L, t.src, wd, ["--test-flow", "--cache-window", "0"],
                          name="tf").start()
        try:
            ctl = d.control()
            cases = [("tf4", t.dst4, 40000, 443), ("tf6", t.dst6, 40001, 443),
                     ("plain4", t.dst4, None, None)]
            for i, (uuid, client, cport, sport) in enumerate(cases):
                # A client still being traced joins that trace: the same
                # address again waits for its first trace's file.
                for u2, c2, _, _ in cases[:i]:
                    if c2 == client:
                        d.wait_file(u2, FILE_WAIT)
                req = {"uuid": uuid, "ip": client}
                if cport is not None:
                    req.update(sport=cport, dport=sport)
                rep = ctl.request(json.dumps(req))
                ck.eq(rep.get("status"), "queued", uuid + ": queued")
            for uuid, client, cport, sport in cases:
                path = d.wait_file(uuid, FILE_WAIT)
                if not ck.ok(path is not None, uuid + ": file appears",
                             d.stderr()[-1500:]):
                    continue
                tr = daemon.check_mlab_file(ck, path, uuid, label=uuid)
                if not tr:
                    continue
                if cport is None:
                    ck.eq(tr.get("method"), "icmp-echo-paris",
                          uuid + ": no ports, configured method")
                    lab.check_trace(ck, L, tr, t.src, client, "icmp-paris",
                                    daemon.family(client), max_rtt=500,
                                    label=uuid)
                    continue
                ck.eq(tr.get("method"), "tcp-ack", uuid + ": tcp-ack")
                ck.eq(tr.get("sport"), sport, uuid + ": from the server's port")
                ck.eq(tr.get("dport"), cport, uuid + ": to the client's port")
                lab.check_trace(ck, L, tr, t.src, client, "tcp-ack-paris",
                                daemon.family(client), max_rtt=500, label=uuid)
            ctl.close()
        finally:
            d.stop()
    ck.done()


if __name__ == "__main__":
    main()
