#!/usr/bin/env python3
"""test_daemon_events: hoplited triggered by a stand-in tcp-info.

The line lab (src - r1 - r2 - r3 - dst, plus client addresses on dst's
lo); hoplited runs in src (the server) and reads tcpinfo_server.py's event
socket.  For each Open/Close pair toward a lab client:

- a file DIR/YYYY/MM/DD/YYYYMMDDTHHMMSSZ_<UUID>.jsonl appears within a few
  seconds, named by the request's acceptance time (UTC), passing M-Lab's 4-line rules,
  TracerouteCallerVersion naming hoplite, CachedResult false;
- the trace matches the lab's ground truth (icmp-echo-paris, COMPLETED,
  hop k owned by the router k hops away);
- the server's address may be SrcIP or DstIP (both orders), IPv4 and IPv6;
- a second UUID to the same client gets its own file, CachedResult true,
  CachedUUID the first UUID, the same trace;
- refused clients (private 10.0.0.1, loopback 127.0.0.2, link-local
  fe80::1) write nothing, are counted by reason and send no probe;
- events where neither or both addresses are local write nothing and are
  counted;
- junk (not JSON, not an object, wrong types, bad addresses, invalid UTF-8,
  a 100 KB line, one split over two writes, a Close for an unknown UUID)
  is skipped and the next good event still works;
- tcp-info going away and coming back is survived (reconnects; the next
  events produce files);
- --local-ip makes a non-interface address count as the server's;
- hoplite_eventsocket_open_flows follows 300 Opens and their Closes at
  once;
- SIGTERM: exit 0, and nothing in the output tree but the expected files.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon  # noqa: E402
import lab  # noqa: E402
from tcpinfo_server import CLOSE, OPEN, TcpInfoServer, event_line  # noqa: E402

FILE_WAIT = 10.0       # s: a trace here takes well under one
LATENCY_MAX = 5.0      # s: Close written -> file in place
LB4, LB6 = "198.19.250.1", "2001:db8:fa::1"   # --local-ip (on no interface)


def main():
    lab.require_lab()
    daemon.require_hoplited()
    ck = lab.Check("test_daemon_events")
    wd = daemon.Workdir("events")
    with lab.Lab("ev") as L:
        t = lab.build_line(L, finalize=False)
        lo4, lo6 = L.add_lo_addrs(t.dst, 8)
        L.finalize()
        srv = TcpInfoServer(wd.path("tcpinfo.sock")).start()
        d = daemon.Daemon(L, t.src, wd, [
            "--eventsocket", srv.path, "--local-ip", LB4, "--local-ip", LB6,
            "--hostname", "hoplite-lab"], control=False, eventserver=srv)
        try:
            d.start()
        except lab.LabError as e:
            ck.ok(False, "hoplited starts", str(e))
            ck.done()
        ck.note("hoplited pid %d: %s" % (d.pid, " ".join(d.argv)))
        expected = {}       # uuid -> path, every file that must exist
        originals = []

        def traced(uuid, server, client, server_first=True, cached_of=None,
                   port=40000):
            """One Open/Close; the file and its trace checked."""
            fam = daemon.family(client)
            sent_wall = time.time()
            if server_first:
                sent = srv.flow(uuid, server, 443, client, port)
            else:
                sent = srv.flow(uuid, client, port, server, 443)
            lbl = "%s (%s %s)" % (uuid, "server->client" if server_first
                                  else "client->server", client)
            path = d.wait_file(uuid, FILE_WAIT)
            seen = time.monotonic()
            if not ck.ok(path is not None, lbl + ": file within %gs" %
                         FILE_WAIT, "files: %s\nstderr: %s" % (
                             d.files(), d.stderr()[-1500:])):
                return None
            expected[uuid] = path
            if cached_of is None:
                originals.append(uuid)
            ck.ok(seen - sent < LATENCY_MAX, lbl + ": file within %gs of the "
                  "Close" % LATENCY_MAX, "%.2fs" % (seen - sent))
            tr = daemon.check_mlab_file(
                ck, path, uuid, cached=cached_of is not None,
                cached_uuid=cached_of or "", label=lbl)
            lines, objs = daemon.read_file(path)
            if len(objs) == 4 and objs[1] is not None:
                ck.eq(objs[1].get("hostname"), "hoplite-lab",
                      lbl + ": hostname from --hostname")
            if tr:
                lab.check_trace(ck, L, tr, t.src, client, "icmp-paris", fam,
                                max_rtt=500, label=lbl)
                lab.check_single_path(ck, L, tr, lbl)
                # Original or copy, the name carries the request's
                # acceptance time (UTC), never after the trace's start.
                nt = daemon.name_time(path)
                ck.ok(nt is not None and abs(nt - sent_wall) <= 2,
                      lbl + ": the name carries the request's time",
                      "name %r, Close at %.1f" % (nt, sent_wall))
                if cached_of is None:
                    ck.ok(nt is not None and
                          nt <= tr.get("start", {}).get("sec", -1),
                          lbl + ": not after the trace's start",
                          "name %r, start %r" % (
                              nt, tr.get("start", {}).get("sec")))
            return tr

        # Both orders of the server's address, v4 and v6.
        tr1 = traced("ev-u1", t.src4, t.dst4)
        traced("ev-u2", t.src4, lo4[0], server_first=False)
        traced("ev-u6", t.src6, t.dst6)
        traced("ev-u6r", t.src6, lo6[0], server_first=False)

        # Same client again: its own file, a copy of the first.
        tr3 = traced("ev-u3", t.src4, t.dst4, cached_of="ev-u1", port=40001)
        if tr1 and tr3:
            ck.eq(tr3, tr1, "ev-u3: the cached copy holds the first trace")

        # Refused clients: counted, no probe, no file.
        m0 = d.scrape()
        ck.ok(m0.has("hoplite_engine_total"), "metrics scraped",
              m0.text[:300])
        probes0 = m0.v("hoplite_engine_total", counter="probes_sent")
        errs0 = m0.v("hoplite_engine_total", counter="send_errors")
        refused = (("ev-r1", t.src4, "10.0.0.1", "private"),
                   ("ev-r2", t.src4, "127.0.0.2", "loopback"),
                   ("ev-r3", t.src6, "fe80::1", "link_local"))
        for u, server, client, _ in refused:
            srv.flow(u, server, 443, client, 40000)

        def all_refused(m):
            return all(m.v("hoplite_refused_total", reason=r) -
                       m0.v("hoplite_refused_total", reason=r) >= 1
                       for _, _, _, r in refused)
        m1 = d.wait_metric(all_refused, timeout=5)
        for u, _, client, reason in refused:
            ck.eq(m1.v("hoplite_refused_total", reason=reason) -
                  m0.v("hoplite_refused_total", reason=reason), 1,
                  "%s %s: refused as %s, counted once" % (u, client, reason))
        ck.eq(m1.v("hoplite_engine_total", counter="probes_sent"), probes0,
              "refused clients: not one probe sent")
        ck.eq(m1.v("hoplite_engine_total", counter="send_errors"), errs0,
              "refused clients: no send attempted")

        # Neither or both addresses local: dropped, counted.
        ev0 = d.scrape()
        srv.flow("ev-n1", "198.18.2.2", 443, lo4[6], 40000)     # r2 -> client
        srv.flow("ev-b1", t.src4, 443, "127.0.0.1", 40000)
        srv.flow("ev-b2", t.src6, 443, "::1", 40000)

        def nonlocal_seen(m):
            return m.v("hoplite_eventsocket_events_total",
                       result="neither_local") - \
                ev0.v("hoplite_eventsocket_events_total",
                      result="neither_local") >= 1 and \
                m.v("hoplite_eventsocket_events_total",
                    result="both_local") - \
                ev0.v("hoplite_eventsocket_events_total",
                      result="both_local") >= 2
        m2 = d.wait_metric(nonlocal_seen, timeout=5)
        ck.eq(m2.v("hoplite_eventsocket_events_total", result="neither_local")
              - ev0.v("hoplite_eventsocket_events_total",
                      result="neither_local"), 1,
              "neither address local: counted")
        ck.eq(m2.v("hoplite_eventsocket_events_total", result="both_local")
              - ev0.v("hoplite_eventsocket_events_total", result="both_local"),
              2, "both addresses local (v4, v6): counted")
        ck.eq(m2.v("hoplite_triggers_total", source="eventsocket") -
              ev0.v("hoplite_triggers_total", source="eventsocket"), 0,
              "non-local events never reach the scheduler")

        # Junk, then a good event.
        j0 = d.scrape()
        ts = '"Timestamp":"2024-05-01T12:00:10.5Z"'
        flow = ('"SPort":443,"DPort":40000,"SrcIP":"%s","DstIP":"%s",'
                '"Interface":0,"Cookie":1' % (t.src4, lo4[5]))
        junk = [
            b"this is not json\n",
            b"[1,2,3]\n",
            b'"a string"\n',
            ('{"Event":"0",%s,"UUID":"ev-j1","ID":{%s}}\n' % (ts, flow)).encode(),
            ('{"Event":0,%s,"UUID":42,"ID":{%s}}\n' % (ts, flow)).encode(),
            ('{"Event":0,%s,"UUID":"ev-j2","ID":{%s}}\n' % (
                ts, flow.replace('"SPort":443', '"SPort":"443"'))).encode(),
            ('{"Event":0,%s,"UUID":"ev-j3","ID":{%s}}\n' % (
                ts, flow.replace(t.src4, "not-an-address"))).encode(),
            ('{"Event":0,%s,"UUID":"ev-j4","ID":{%s}}\n' % (
                ts, flow.replace('"SPort":443', '"SPort":70000'))).encode(),
            ('{"Event":0,%s,"UUID":"ev/j5","ID":{%s}}\n' % (ts, flow)).encode(),
            ('{"Event":0,%s,"UUID":"ev-j6","ID":"flow"}\n' % ts).encode(),
            b'{"Event":0,"UUID":"ev-j7","ID":{"SrcIP":"\xff\xfe"}}\n',
            b"[" * 1000 + b"]" * 1000 + b"\n",
            b"{\"Event\":1,\"UUID\":\"ev-j8\",\"pad\":\"" + b"x" * 100000 +
            b"\"}\n",
            b"\n\n",
        ]
        for j in junk:
            srv.raw(j)
        # An oversize line whose newline comes in a later write.
        srv.raw(b'{"Event":0,"UUID":"ev-j9","pad":"' + b"y" * 60000)
        time.sleep(0.1)
        srv.raw(b"y" * 60000 + b'"}\n')
        # Closes for UUIDs nobody opened (and for the junk Opens).
        for u in ("ev-never-opened", "ev-j1", "ev-j2", "ev-j3", "ev-j4",
                  "ev-j6", "ev-j7", "ev-j9"):
            srv.close(u)
        traced("ev-u7", t.src4, lo4[1])
        j1 = d.scrape()
        junk_files = [u for u in d.jsonl() if u.startswith("ev-j")]
        ck.eq(junk_files, [], "no file for any junk event")
        bad = j1.v("hoplite_eventsocket_total", counter="bad_json") - \
            j0.v("hoplite_eventsocket_total", counter="bad_json")
        over = j1.v("hoplite_eventsocket_total", counter="oversize") - \
            j0.v("hoplite_eventsocket_total", counter="oversize")
        ck.ok(bad >= 10, "junk lines counted as bad (>= 10)", "bad_json +%g" % bad)
        ck.eq(over, 2, "both 100 KB+ lines counted as oversize")
        ck.ok(j1.v("hoplite_eventsocket_events_total", result="close_unknown")
              - j0.v("hoplite_eventsocket_events_total",
                     result="close_unknown") >= 1,
              "a Close for an unknown UUID is counted")
        ck.eq(j1.v("hoplite_eventsocket_total", counter="connects"),
              j0.v("hoplite_eventsocket_total", counter="connects"),
              "junk did not cost the connection")
        ck.eq(j1.v("hoplite_eventsocket_connected"), 1,
              "still connected after the junk")

        # tcp-info goes away and comes back.
        r0 = d.scrape()
        srv.stop()
        m = d.wait_metric(lambda m: m.get("hoplite_eventsocket_connected", 1)
                          == 0, timeout=5)
        ck.eq(m.get("hoplite_eventsocket_connected"), 0,
              "tcp-info gone: hoplite_eventsocket_connected 0")
        time.sleep(1.5)         # at least one failed reconnect
        ck.ok(d.alive(), "hoplited keeps running without tcp-info")
        srv.start()
        ck.ok(srv.wait_clients(1, timeout=15), "hoplited reconnects within "
              "15 s of tcp-info's return")
        traced("ev-u8", t.src4, lo4[2])
        traced("ev-u8v6", t.src6, lo6[2], server_first=False)
        m = d.scrape()
        ck.ok(m.v("hoplite_eventsocket_total", counter="disconnects") >=
              r0.v("hoplite_eventsocket_total", counter="disconnects") + 1,
              "the disconnect is counted")
        ck.ok(m.v("hoplite_eventsocket_total", counter="connects") >=
              r0.v("hoplite_eventsocket_total", counter="connects") + 1,
              "the reconnect is counted")
        ck.ok(m.v("hoplite_eventsocket_total", counter="connect_failures") >=
              r0.v("hoplite_eventsocket_total", counter="connect_failures")
              + 1, "the failed reconnects are counted")

        # --local-ip: a load balancer's address counts as the server's.
        traced("ev-lb4", LB4, lo4[3])
        traced("ev-lb6", LB6, lo6[3], server_first=False)
        n0 = d.scrape()
        srv.flow("ev-lbx", "198.19.250.2", 443, lo4[4], 40000)
        m = d.wait_metric(lambda m: m.v(
            "hoplite_eventsocket_events_total", result="neither_local") >
            n0.v("hoplite_eventsocket_events_total", result="neither_local"),
            timeout=5)
        ck.eq(m.v("hoplite_eventsocket_events_total", result="neither_local")
              - n0.v("hoplite_eventsocket_events_total",
                     result="neither_local"), 1,
              "an address not given with --local-ip is not local")

        # open_flows is current: 300 Opens show at once (not after the
        # 60 s sweep), and their Closes (a refused client: no trace, no
        # file) take them away again.
        NOPEN = 300
        f0 = d.scrape().v("hoplite_eventsocket_open_flows")
        srv.raw(b"".join(event_line(OPEN, "ev-of%d" % i, {
            "SPort": 443, "DPort": 40000 + i, "SrcIP": t.src4,
            "DstIP": "10.0.0.1"}) for i in range(NOPEN)))
        m = d.wait_metric(lambda m: m.v("hoplite_eventsocket_open_flows") ==
                          f0 + NOPEN, timeout=5)
        ck.eq(m.v("hoplite_eventsocket_open_flows"), f0 + NOPEN,
              "open_flows: %d Opens counted at once" % NOPEN)
        srv.raw(b"".join(event_line(CLOSE, "ev-of%d" % i)
                         for i in range(NOPEN)))
        m = d.wait_metric(lambda m: m.v("hoplite_eventsocket_open_flows") ==
                          f0, timeout=5)
        ck.eq(m.v("hoplite_eventsocket_open_flows"), f0,
              "open_flows: back to %d after their Closes" % f0)

        # Everything written is what was expected, and nothing else.
        m = d.scrape()
        n = len(originals)
        ck.eq(m.v("hoplite_files_written_total", kind="original"), n,
              "files written: %d originals" % n)
        ck.eq(m.v("hoplite_files_written_total", kind="cached"), 1,
              "files written: 1 cached copy")
        ck.eq(m.v("traces_performed_total"), n, "traces_performed_total %d" % n)
        ck.eq(m.v("hoplite_output_errors_total"), 0, "no output errors")
        rc = d.stop(timeout=15)
        ck.eq(rc, 0, "SIGTERM: exit 0")
        srv.stop()
        daemon.no_crash(ck, d, "hoplited")
        ck.eq(d.stdout(), "", "nothing on stdout")
        got = d.jsonl()
        ck.eq(sorted(got), sorted(expected), "exactly the expected files")
        ck.eq(sorted(os.path.relpath(p, d.output) for p in got.values()),
              d.files(), "no other file in the output tree")
    ck.done()


if __name__ == "__main__":
    main()
