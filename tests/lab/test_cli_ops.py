#!/usr/bin/env python3
"""test_cli_ops: what an operator coming from traceroute meets.

- Hop names from a lab DNS responder (dnslab.py, in the source's
  namespace, /etc/netns/NS/resolv.conf): text output shows "name (addr)"
  for every on-path address and JSON has no names unless --ptr, which
  writes scamper's "name" per hop; -n asks nothing.  A resolver that
  never answers: the same hops and probes without names, and its first
  question comes after the trace's last reply (names never hold a trace).
- The header shows the name typed and the address chosen (-4, -6, or
  getaddrinfo's first choice in the namespace).
- --targets - (stdin, comments and blank lines skipped) and --targets
  FILE with a bad line (the good ones still traced, exit 1).
- Option letters as traceroute's: -I/-U/-T, -P by protocol number,
  -p port, -w seconds with fractions, -N window, --size, -q, -f, -m, -s
  source, -i interface (on a fan, every flow leaves by the interface
  given), -e, all visible in the JSON; -A with --pfx2as
  (or $HOPLITE_PFX2AS): "[ASn]" after each hop, longest prefix first.
- Live output through a pty: one trace's settled hops are on the
  terminal while the trace still waits on its silent tail; many
  destinations draw "done/total" on a terminal's stderr."""

import gzip
import os
import pty
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnslab  # noqa: E402
import lab  # noqa: E402

NAMES = {"r1": "r1.dns.lab", "r2": "r2.dns.lab", "r3": "r3.dns.lab",
         "dst": "dst.dns.lab", "hole": "hole.dns.lab"}


def lab_names(L):
    """Every lab address of a named node -> its DNS name."""
    out = {}
    for link in L.links:
        for node in (link.a, link.b):
            if node.name in NAMES:
                for fam in (4, 6):
                    out[link.addr_of(node, fam)] = NAMES[node.name]
    return out


def on_path(L, tr):
    return [(ttl, a) for ttl, a in lab.path_of(tr)]


def hop(ck, L, node, args, stdin=None, timeout=60):
    argv = [os.environ["HOPLITE"]] + [str(a) for a in args]
    p = L.run(node, argv, timeout=timeout, input=stdin)
    ck.note("hoplite %s -> %d" % (" ".join(map(str, args))[:100],
                                  p.returncode))
    return p.returncode, p.stdout, p.stderr


def pty_run(L, node, args, stderr_pty=False, timeout=60):
    """Run hoplite with stdout (or only stderr) on a pty.  Yields
    (chunk, process still running) as output arrives; returns at EOF."""
    master, slave = pty.openpty()
    argv = (["ip", "netns", "exec", node.ns, os.environ["HOPLITE"]] +
            [str(a) for a in args])
    if stderr_pty:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave)
    else:
        p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    chunks = []
    end = time.time() + timeout
    try:
        while time.time() < end:
            r, _, _ = select.select([master], [], [], 0.5)
            if not r:
                if p.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append((data.decode(errors="replace"), p.poll() is None))
    finally:
        if p.poll() is None:
            p.kill()
        out = p.communicate(timeout=10)[0]
        os.close(master)
    return p.returncode, chunks, out


def main():
    lab.hoplite_only("test_cli_ops")
    lab.require_lab()
    lab.require_hoplite()
    ck = lab.Check("test_cli_ops")
    with lab.Lab("o") as L:
        t = lab.build_line(L, finalize=False)
        hole = L.host("hole")
        hl = L.link(L.nodes["r3"], hole)
        L.finalize()
        L.blackhole(hole)
        hole4 = hl.addr_of(hole, 4)
        src = t.src
        names = lab_names(L)
        dns_addr = t.src4

        # --- names from a lab resolver ---------------------------------
        p = dnslab.start(L, src, dns_addr, names)
        try:
            rc, out, err = hop(ck, L, src, ["trace", "-o", "text", "-w", "1",
                                            t.dst4, t.dst6])
            ck.eq(rc, 0, "names text: exit 0 " + err[:200])
            for d in (t.dst4, t.dst6):
                r = lab.trace(L, src, [d], wait_ms="1000")
                for tr in r.traces:
                    for ttl, a in on_path(L, tr):
                        want = "%s (%s)" % (names[a], a)
                        ck.ok(want in out, "names text: hop %d shows %r"
                              % (ttl, want), out[:600])
            rc, out, err = hop(ck, L, src, ["trace", "-w", "1", t.dst4])
            trs = lab.traces_of(lab.parse_json_lines(out))
            ck.ok(trs and all("name" not in h for tr in trs
                              for h in tr.get("hops", [])),
                  "names: JSON without --ptr has no names", out[:300])
            rc, out, err = hop(ck, L, src, ["trace", "--ptr", "-w", "1",
                                            t.dst4, t.dst6])
            trs = lab.traces_of(lab.parse_json_lines(out))
            ck.eq(len(trs), 2, "names --ptr: two traces")
            for tr in trs:
                hops = tr.get("hops", [])
                ck.ok(hops and all(h.get("name") == names.get(h["addr"])
                                   for h in hops),
                      "names --ptr %s: every hop's name is its PTR"
                      % tr.get("dst"), str(hops)[:300])
                ck.ok(all(list(h)[:2] == ["addr", "name"] for h in hops),
                      "names --ptr: \"name\" right after \"addr\" as scamper")
            # mda --ptr: the tracelb nodes carry their names too.
            rc, out, err = hop(ck, L, src, ["mda", "--ptr", "-w", "1",
                                            t.dst4])
            objs = [o for o in lab.parse_json_lines(out)
                    if o.get("type") == "tracelb"]
            nodes = objs[0].get("nodes", []) if objs else []
            ck.ok(nodes and all(n.get("name") == names.get(n["addr"])
                                for n in nodes),
                  "names mda --ptr: every node's name is its PTR",
                  str(nodes)[:300])
            ck.ok(all(list(n)[:2] == ["addr", "name"] for n in nodes),
                  "names mda --ptr: \"name\" right after \"addr\"")
        finally:
            asked = dnslab.stop(p)
        ck.ok(len(asked) > 0, "names: the responder was asked")

        p = dnslab.start(L, src, dns_addr, names)
        try:
            rc, out, err = hop(ck, L, src, ["trace", "-o", "text", "-n",
                                            "-w", "1", t.dst4])
            ck.eq(rc, 0, "-n: exit 0")
            ck.ok(".dns.lab" not in out, "-n: no names", out[:300])
        finally:
            asked = dnslab.stop(p)
        ck.eq(asked, [], "-n: no question asked")

        # A resolver that never answers.
        p = dnslab.start(L, src, dns_addr, names, silent=True)
        t_ask = None
        try:
            t0 = time.time()
            rc, out, err = hop(ck, L, src, ["trace", "--ptr", "-w", "1",
                                            "--names-timeout", "1", t.dst4])
        finally:
            asked = dnslab.stop(p)
        ck.eq(rc, 0, "silent resolver: exit 0 " + err[:200])
        trs = lab.traces_of(lab.parse_json_lines(out))
        ref = lab.traces_of(lab.parse_json_lines(
            hop(ck, L, src, ["trace", "-n", "-w", "1", t.dst4])[1]))
        ck.ok(len(asked) > 0, "silent resolver: was asked")
        for tr, rf in zip(trs, ref):
            ck.eq(tr.get("stop_reason"), "COMPLETED",
                  "silent resolver: trace completed")
            ck.eq(tr.get("probe_count"), rf.get("probe_count"),
                  "silent resolver: the same probes as without names")
            ck.eq([h["addr"] for h in tr["hops"]],
                  [h["addr"] for h in rf["hops"]],
                  "silent resolver: the same hops")
            ck.ok(all("name" not in h for h in tr["hops"]),
                  "silent resolver: no names")
        ck.eq(len(trs), 1, "silent resolver: one trace")
        del t0, t_ask

        # No nameserver at all: no names, said with -v, the trace as ever.
        with open(os.path.join("/etc/netns", src.ns, "resolv.conf"),
                  "w") as f:
            f.write("options timeout:1\n")
        rc, out, err = hop(ck, L, src, ["trace", "-o", "text", "-v", "-w",
                                        "1", t.dst4])
        ck.eq(rc, 0, "no nameserver: exit 0")
        ck.ok("no names: no nameserver" in err, "no nameserver: -v says so",
              err[:300])
        ck.ok(out.rstrip().endswith("stop: COMPLETED") and
              ".dns.lab" not in out, "no nameserver: traced, no names",
              out[:300])

        # Questions come after the trace's last reply.
        p = dnslab.start(L, src, dns_addr, names, silent=True)
        try:
            rc, out, err = hop(ck, L, src, ["trace", "--ptr", "-w", "1",
                                            "--names-timeout", "0.5", t.dst4])
        finally:
            asked_at = dnslab.stop_times(p)
        trs = lab.traces_of(lab.parse_json_lines(out))
        if trs and asked_at:
            last = max(h["tx"]["sec"] + h["tx"]["usec"] / 1e6 +
                       h["rtt"] / 1000.0 for h in trs[0]["hops"])
            ck.ok(min(asked_at) >= last - 0.001,
                  "silent resolver: the first question after the last reply",
                  "first question %.6f, last reply %.6f"
                  % (min(asked_at), last))
        else:
            ck.ok(False, "silent resolver: a trace and questions",
                  out[:200])

        # --- the header: the name typed, the address chosen ------------
        for extra, name, want in (([], "dst4.lab", t.dst4),
                                  (["-6"], "dst.lab", t.dst6),
                                  (["-4"], "dst.lab", t.dst4)):
            rc, out, err = hop(ck, L, src, ["trace", "-o", "text", "-n",
                                            "-w", "1"] + extra + [name])
            first = out.splitlines()[0] if out else ""
            ck.ok(first.startswith("traceroute to %s (%s) from " %
                                   (name, want)),
                  "header %s %s: name and address" % (extra, name), first)

        # A dual-stack name without -4/-6: the system's first choice, as
        # getaddrinfo orders them in the same namespace.
        p = L.run(src, [sys.executable, "-c",
                        "import socket; print(socket.getaddrinfo('dst.lab', "
                        "None, 0, socket.SOCK_DGRAM)[0][4][0])"])
        first_choice = p.stdout.strip()
        rc, out, err = hop(ck, L, src, ["trace", "-o", "text", "-n", "-w",
                                        "1", "dst.lab"])
        first = out.splitlines()[0] if out else ""
        ck.ok(first_choice in (t.dst4, t.dst6) and first.startswith(
            "traceroute to dst.lab (%s) from " % first_choice),
            "header dst.lab: getaddrinfo's first choice %s" % first_choice,
            first)

        # --- --targets ---------------------------------------------------
        rc, out, err = hop(ck, L, src, ["trace", "-n", "-w", "1", "--targets",
                                        "-"],
                           stdin="# lab\n\n%s\n  %s  # v6\n" % (t.dst4, t.dst6))
        trs = lab.traces_of(lab.parse_json_lines(out))
        ck.eq(rc, 0, "--targets -: exit 0 " + err[:200])
        ck.eq(sorted(tr.get("dst") for tr in trs), sorted([t.dst4, t.dst6]),
              "--targets -: both destinations, once each")
        ck.ok(all(tr.get("stop_reason") == "COMPLETED" for tr in trs),
              "--targets -: completed")
        path = "/tmp/hoplite-targets-%d" % os.getpid()
        with open(path, "w") as f:
            f.write("%s\nnot..a..name\n%s\n" % (t.dst4, t.dst6))
        try:
            rc, out, err = hop(ck, L, src, ["trace", "-w", "1", "--targets",
                                            path, t.dst4])
        finally:
            os.unlink(path)
        trs = lab.traces_of(lab.parse_json_lines(out))
        ck.eq(rc, 1, "--targets FILE with a bad line: exit 1")
        ck.ok("not..a..name" in err, "--targets FILE: names the bad line",
              err[:200])
        ck.eq(sorted(tr.get("dst") for tr in trs),
              sorted([t.dst4, t.dst4, t.dst6]),
              "--targets FILE plus an argument: every good one traced")
        rc, out, err = hop(ck, L, src, ["trace", "--targets",
                                        "/nonexistent/targets"])
        ck.eq(rc, 2, "--targets missing file: exit 2")

        # --- option letters as traceroute's ----------------------------
        src_if = [n for n, lk in src.ifaces.items()][0]
        cases = [
            (["-I"], {"method": "icmp-echo-paris"}),
            (["-U"], {"method": "udp-paris", "dport": 33435}),
            (["-T"], {"method": "tcp", "dport": 80}),
            (["-P", "17"], {"method": "udp-paris"}),
            (["-U", "-p", "33999"], {"dport": 33999}),
            (["-T", "-p", "8080"], {"dport": 8080}),
            (["-w", "1.5"], {"wait_ms": 1500}),
            (["-w", ".25"], {"wait_ms": 250}),
            (["-N", "3"], {"window": 3}),
            (["--size", "100"], {"probe_size": 100}),
            (["-q", "3"], {"attempts": 3}),
            (["-f", "2", "-m", "9"], {"firsthop": 2, "hoplimit": 9}),
            (["-s", t.src4], {"src": t.src4}),
            (["-i", src_if], {"src": t.src4}),
            (["-e", "-n"], {"method": "icmp-echo-paris"}),
        ]
        for args, want in cases:
            rc, out, err = hop(ck, L, src, ["trace", "-w", "1"] + args +
                               [t.dst4])
            trs = lab.traces_of(lab.parse_json_lines(out))
            what = " ".join(args)
            ck.eq(rc, 0, what + ": exit 0 " + err[:200])
            ck.eq(len(trs), 1, what + ": one trace")
            for tr in trs:
                for k, v in want.items():
                    ck.eq(tr.get(k), v, "%s: %s" % (what, k))
        rc, out, err = hop(ck, L, src, ["trace", "-w", "1", "-i", src_if,
                                        t.dst6])
        trs = lab.traces_of(lab.parse_json_lines(out))
        ck.eq([tr.get("src") for tr in trs], [t.src6],
              "-i %s toward IPv6: its IPv6 address" % src_if)

        # --- -A: origin AS per hop from a pfx2as file ----------------
        path = "/tmp/hoplite-pfx2as-%d.gz" % os.getpid()
        asn = {"r1": "64501", "r2": "64502", "r3": "64503_64504"}
        lines = ["# lab prefixes", "198.18.0.0\t15\t64500",
                 "2001:db8::\t32\t64510", "not a line"]
        for link in L.links:
            for node in (link.a, link.b):
                if node.name in asn:
                    lines.append("%s\t32\t%s" % (link.addr_of(node, 4),
                                                 asn[node.name]))
                    lines.append("%s\t128\t%s" % (link.addr_of(node, 6),
                                                  asn[node.name]))
        with gzip.open(path, "wt") as f:
            f.write("\n".join(lines) + "\n")
        try:
            rc, out, err = hop(ck, L, src, ["trace", "-o", "text", "-n", "-w",
                                            "1", "--pfx2as", path, t.dst4,
                                            t.dst6])
            rc_env = None
            envp = L.run(src, ["env", "HOPLITE_PFX2AS=" + path,
                               os.environ["HOPLITE"], "trace", "-o", "text",
                               "-n", "-A", "-w", "1", t.dst4], timeout=60)
            rc_env = envp.returncode
        finally:
            os.unlink(path)
        ck.eq(rc, 0, "-A: exit 0 " + err[:200])
        ck.ok("1 bad line" in err, "-A: the bad line is counted", err[:200])
        for ln in out.splitlines():
            if not ln[:2].strip().isdigit():
                continue
            a = ln.split()[1]
            node = L.owner(a).name if L.owner(a) else None
            want = asn.get(node, "64510" if ":" in a else "64500")
            ck.ok("%s [AS%s]" % (a, want) in ln,
                  "-A: %s (%s) is AS%s" % (a, node, want), ln)
        ck.eq(rc_env, 0, "-A with $HOPLITE_PFX2AS: exit 0")
        ck.ok("[AS64501]" in envp.stdout, "-A with $HOPLITE_PFX2AS: r1's AS",
              envp.stdout[:300])
        rc, out, err = hop(ck, L, src, ["trace", "-A", "--pfx2as",
                                        "/nonexistent.gz", t.dst4])
        ck.eq(rc, 2, "-A with a missing file: exit 2")

        # --- live output on a terminal ----------------------------------
        rc, chunks, _ = pty_run(L, src, ["trace", "-o", "text", "-n", "-q",
                                         "1", "-w", "3", "--gap-limit", "2",
                                         hole4])
        text = "".join(c for c, _ in chunks).replace("\r\n", "\n")
        ck.eq(rc, 0, "live: exit 0")
        seen, running_at_3 = "", None
        for c, running in chunks:
            seen += c.replace("\r\n", "\n")
            if running_at_3 is None and "\n 3 " in seen and \
                    seen.split("\n 3 ", 1)[1].find("\n") >= 0:
                running_at_3 = running
        ck.ok(running_at_3 is True,
              "live: hop 3 on the terminal while the trace still waits "
              "on its silent tail", text[:400])
        lines = text.splitlines()
        ck.ok(len(lines) >= 6 and lines[0].startswith("traceroute to " +
                                                       hole4) and
              lines[-1].startswith("stop: GAPLIMIT"),
              "live: header, hops, stop line", text[:400])
        for k, node in ((1, "r1"), (2, "r2"), (3, "r3")):
            ck.ok(any(ln.startswith("%2d " % k) and
                      any(L.owner(tok) is not None and
                          L.owner(tok).name == node
                          for tok in ln.split()[1:2])
                      for ln in lines),
                  "live: hop %d is %s" % (k, node), text[:400])

        # Many destinations: a progress line on a terminal's stderr.
        rc, chunks, out = pty_run(L, src, ["trace", "-o", "json", "-q", "1",
                                           "-w", "2", "--gap-limit", "2",
                                           t.dst4, t.dst6, hole4],
                                  stderr_pty=True)
        err = "".join(c for c, _ in chunks)
        ck.ok("/3 done" in err, "progress: 'N/3 done' on stderr", err[:300])
        ck.eq(len(lab.traces_of(lab.parse_json_lines(
            out.decode() if isinstance(out, bytes) else out))), 3,
            "progress: three traces on stdout, nothing else")

    # -i sends out of that interface: from r1 of a fan (ECMP over r2a and
    # r2b toward dst), every flow goes through the branch of the interface
    # given, also the one the kernel would not pick for them, from r1's
    # address on that link.
    with lab.Lab("oi") as L:
        t = lab.build_fan(L, width=2)
        r1 = L.nodes["r1"]

        def first_hops(args):
            rc, out, err = hop(ck, L, r1, ["trace", "-U", "-w", "1", "-F",
                                           "0-15"] + args + [t.dst4])
            trs = lab.traces_of(lab.parse_json_lines(out))
            ck.eq(rc, 0, "-i: exit 0 " + err[:200])
            return trs, {L.owner(a).name for tr in trs
                         for ttl, a in lab.path_of(tr) if ttl == 1}

        trs, plain = first_hops([])
        for branch in ("r2a", "r2b"):
            link = [lk for lk in L.links if r1 in (lk.a, lk.b) and
                    L.nodes[branch] in (lk.a, lk.b)][0]
            ifname = link.ifname(r1)
            trs, hops1 = first_hops(["-i", ifname])
            ck.eq(hops1, {branch}, "-i %s: every flow through %s (without "
                  "-i: %s)" % (ifname, branch, sorted(plain)))
            ck.eq({tr.get("src") for tr in trs}, {link.addr_of(r1, 4)},
                  "-i %s: the interface's address is the source" % ifname)
            ck.ok(len(trs) == 16 and
                  all(tr.get("stop_reason") == "COMPLETED" for tr in trs),
                  "-i %s: 16 traces, completed" % ifname)
    ck.done()


if __name__ == "__main__":
    main()
