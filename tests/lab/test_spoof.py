#!/usr/bin/env python3
"""test_spoof: a forger beyond a silent hop cannot put itself in a trace.

Topology: src - r1 - dst; r1 never sends time-exceeded (nft).  With
`-w 1` TTL 2 opens only once TTL 1 is settled, so TTL 1 of every trace is a
probe that waits its whole timeout for an answer (nothing above it has
answered, so no adaptive wait gives it up).  While it waits, tests/lab/spoof (a C helper built by make check) runs in dst's
namespace, on the destination's side of the silent hop, and sends ICMP and
ICMPv6 time-exceeded messages from a fake router address (198.19.66.66,
2001:db8:66::66) quoting a probe to dst with the right echo id or ports and
probe length and every 16-bit tag in turn, PASSES times per family, with
random IP IDs, TCP sequence high halves and payload MACs (what an off-path
sender cannot know); half the passes quote the probe whole, half 8 bytes.

For each method (icmp-paris, udp-paris, tcp-paris, tcp-ack-paris), IPv4 and
IPv6 in one run of `hoplite trace -v -q 1`:
  - the traces complete at dst, TTL 1 is absent, the fake address appears
    nowhere in the output;
  - the forged counter in -v is > 0: forgeries that found the TTL 1 probe
    by its tag and failed the proof (one per pass and family when the whole
    flood reaches hoplite; -p sizes the capture buffer for it).
Then hoplited (udp-paris) under the same flood, with dst black-holed too
(hoplited has no window option; this way no TTL answers and every probe
waits its whole timeout): its metric
hoplite_engine_total{counter="replies_forged"} is > 0 and its files carry no
forged hop (GAPLIMIT, TTL 1 empty).  At least one million forgeries are sent in all.

What a forgery must guess (hoplite(1)): an 8-byte IPv4 quote of an ICMP or
UDP probe and an IPv6 TCP quote prove 32 bits, so such a pass over the tags
has a 2^-16 chance of one lucky forgery per probe in flight; the test makes
13 such passes, a false failure in about 2 of 10,000 runs.  The other
forgeries face 48 bits or more.
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import daemon  # noqa: E402

PASSES = 4               # over the 16-bit tag space, per family and method
WAIT = 10000             # ms: TTL 1's probe waits this long, under the flood
FAKE4, FAKE6 = "198.19.66.66", "2001:db8:66::66"
FLOOD_PPS = 100000       # --pps: also sizes the capture buffer for the flood
COUNTERS = re.compile(r"replies matched (\d+), unmatched (\d+), forged (\d+),"
                      r".* capture drops (\d+)")


def spoof_binary():
    b = os.path.join(os.environ.get("top_builddir", "."), "tests", "lab",
                     "spoof")
    if not (os.path.isfile(b) and os.access(b, os.X_OK)):
        lab.skip("%s not built (make check builds it)" % b)
    return os.path.abspath(b)


def next_hop_mac(L, node, link):
    j = json.loads(L.ip(node, "-j", "link", "show", link.ifname(node)).stdout)
    return j[0]["address"]


def spoof(L, env, method, passes):
    """Run the forger in dst's namespace; the number of frames it sent."""
    src, dst, link, mac = env["src"], env["dst"], env["link"], env["mac"]
    argv = [env["spoof"], "-i", link.ifname(dst), "-m", mac, "-M", method,
            "-n", str(passes),
            "-4", "%s,%s,%s" % (src.addr(4), dst.addr(4), FAKE4),
            "-6", "%s,%s,%s" % (src.addr(6), dst.addr(6), FAKE6)]
    p = L.run(dst, argv, timeout=120)
    m = re.match(r"sent (\d+) in ([\d.]+) s", p.stdout)
    if p.returncode != 0 or not m:
        raise lab.LabError("spoof failed (rc %d): %s %s" % (
            p.returncode, p.stdout, p.stderr))
    return int(m.group(1)), float(m.group(2))


def check_no_forged_hop(ck, L, tr, label):
    hops = tr.get("hops", [])
    ck.ok(all(h.get("addr") not in (FAKE4, FAKE6) for h in hops),
          label + ": no hop at the fake router address",
          repr([(h.get("probe_ttl"), h.get("addr")) for h in hops]))
    ck.ok(all(h.get("probe_ttl") != 1 for h in hops),
          label + ": the silent TTL 1 stays empty")
    ck.ok(all(L.owner(h.get("addr")) is not None for h in hops),
          label + ": every hop is a lab node")


def trace_phase(ck, L, env, method):
    """One hoplite run (both families) under the flood; frames sent."""
    src, dst = env["src"], env["dst"]
    dests = [dst.addr(4), dst.addr(6)]
    argv = [os.environ["HOPLITE"], "trace", "-v", "-P", method, "-q", "1",
            "-N", "1", "-w", "%g" % (WAIT / 1000), "--pps", str(FLOOD_PPS),
            "-o", "json"] + dests
    t0 = time.time()
    p = L.popen(src, argv)
    # The probes leave at once; forgeries before that are merely unmatched.
    time.sleep(0.3)
    sent, secs = spoof(L, env, method, PASSES)
    out, err = p.communicate(timeout=WAIT / 1000 + 60)
    run = lab.Run(argv, p.returncode, out, err, t0, time.time())
    label = "trace %s" % method
    ck.note("%s: %d forgeries sent in %.2f s" % (label, sent, secs))
    ck.eq(sent, PASSES * 2 * 65536, label + ": forgeries sent")
    by = lab.check_run(ck, run, dests, label)
    for d, trs in by.items():
        for tr in trs:
            lbl = "%s %s" % (label, d)
            lab.check_trace(ck, L, tr, src, d, method, lab.family_of(d),
                            run=run, attempts=1, max_rtt=WAIT,
                            label=lbl)
            check_no_forged_hop(ck, L, tr, lbl)
    ck.ok(FAKE4 not in out and FAKE6 not in out,
          label + ": the fake addresses appear nowhere in the output")
    m = COUNTERS.search(err)
    if not ck.ok(m is not None, label + ": -v reports the counters",
                 err[-500:]):
        return sent
    matched, unmatched, forged, drops = map(int, m.groups())
    ck.note("%s: hoplite -v: matched %d, unmatched %d, forged %d, "
            "capture drops %d" % (label, matched, unmatched, forged, drops))
    ck.ok(forged > 0, label + ": forgeries that found the probe are counted",
          err[-500:])
    # A figure, not a check: how much of the flood the routers and the
    # capture let through depends on the machine.
    ck.note("%s: %d of %d forgeries reached hoplite (one tag per pass and "
            "family finds TTL 1's probe: %d)" % (
                label, unmatched + forged, sent, PASSES * 2))
    return sent


def daemon_phase(ck, L, env):
    """hoplited under the flood: the metric, and files without forged hops."""
    src, dst = env["src"], env["dst"]
    method = "udp-paris"
    wd = daemon.Workdir("spoof")
    d = daemon.Daemon(L, src, wd, ["--method", method, "--attempts", "1",
                                   "--wait", str(WAIT), "--pps",
                                   str(FLOOD_PPS), "--cache-window", "0"])
    d.start()
    try:
        m0 = d.scrape()
        ck.ok(m0.get("hoplite_engine_total", counter="replies_forged")
              is not None, "daemon: replies_forged is exported",
              m0.text[-800:])
        with d.control() as c:
            for u, a in (("spoof4", dst.addr(4)), ("spoof6", dst.addr(6))):
                r = c.request({"uuid": u, "ip": a})
                ck.ok("error" not in r and "_exception" not in r,
                      "daemon: %s accepted" % u, repr(r))
        time.sleep(0.3)
        sent, secs = spoof(L, env, method, 2)
        ck.note("daemon: %d forgeries sent in %.2f s" % (sent, secs))
        m1 = d.wait_metric(lambda m: m.v("hoplite_engine_total",
                                         counter="replies_forged") > 0,
                           timeout=5)
        forged = m1.v("hoplite_engine_total", counter="replies_forged")
        ck.note("daemon: replies_forged %d" % forged)
        ck.ok(forged > 0, "daemon: forgeries that found a probe are counted "
              "in hoplite_engine_total{counter=\"replies_forged\"}")
        files = d.wait_files(["spoof4", "spoof6"], timeout=WAIT / 1000 + 20)
        ck.eq(sorted(files), ["spoof4", "spoof6"], "daemon: both files")
        for u, path in files.items():
            tr = daemon.trace_of(path)
            ck.eq(tr.get("stop_reason"), "GAPLIMIT",
                  "daemon %s: gap limit (dst black-holed)" % u)
            check_no_forged_hop(ck, L, tr, "daemon " + u)
        ck.eq(d.stop(), 0, "daemon: clean exit")
    finally:
        if d.alive():
            d.kill()
    return sent


def main():
    lab.require_lab()
    lab.require_hoplite()
    lab.hoplite_only("the forgery counter")
    daemon.require_hoplited()
    env = {"spoof": spoof_binary()}
    ck = lab.Check("test_spoof")
    with lab.Lab("f") as L:
        src, r1, dst = L.host("src"), L.router("r1"), L.host("dst")
        L.link(src, r1)
        link = L.link(r1, dst)
        L.finalize()
        for a in (dst.addr(4), dst.addr(6)):
            ck.ok(L.ping(src, a), "lab: %s answers" % a)
        L.silence(r1)
        env.update(src=src, dst=dst, link=link,
                   mac=next_hop_mac(L, r1, link))
        total = 0
        for m in lab.METHODS:
            total += trace_phase(ck, L, env, m)
        L.blackhole(dst)
        total += daemon_phase(ck, L, env)
        ck.note("forgeries sent in all: %d" % total)
        ck.ok(total >= 1000000, "at least one million forgeries",
              "sent %d" % total)
    ck.done()


if __name__ == "__main__":
    main()
