#!/usr/bin/env python3
"""dnslab: a tiny DNS responder for lab tests of hop names.

Run inside a lab namespace, it answers PTR questions for the addresses it
is given and NXDOMAIN for anything else, over UDP; with --silent it reads
every question and never answers (a resolver that is down).  It logs each
question's time and name to stderr, and exits after --lifetime seconds at most.

As a module: `start(lab, node, addr, names, silent=False)` runs one in
node's namespace listening on addr:53, points the namespace's resolver at
it (/etc/netns/NS/resolv.conf), and returns the process (stop it with
`stop(p)`)."""

import argparse
import ipaddress
import json
import os
import socket
import struct
import subprocess
import sys
import time


def ptr_name(addr):
    return ipaddress.ip_address(addr).reverse_pointer + "."


def _qname(msg, off):
    labels = []
    for _ in range(128):  # bounded: no loops through pointers
        n = msg[off]
        if n == 0:
            return ".".join(labels) + ".", off + 1
        if n & 0xC0:
            raise ValueError("compressed question")
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    raise ValueError("name too long")


def _encode(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def answer(msg, table):
    """The reply to query msg (bytes) from {ptr name: target}, or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if flags & 0x8000 or qd != 1:
        return None
    name, off = _qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    target = table.get(name.lower()) if qtype == 12 else None
    rflags = 0x8180 if target else 0x8183  # NOERROR / NXDOMAIN, RD+RA
    head = struct.pack("!HHHHHH", qid, rflags | (flags & 0x0100), 1,
                       1 if target else 0, 0, 0)
    if not target:
        return head + question
    rdata = _encode(target)
    rr = (b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 60, len(rdata)) +
          rdata)
    return head + question + rr


def serve(addr, port, table, silent, lifetime):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(0.2)
    print("ready", flush=True)
    end = time.time() + lifetime
    while time.time() < end:
        try:
            msg, peer = s.recvfrom(1500)
        except socket.timeout:
            continue
        try:
            name, _ = _qname(msg, 12)
        except (ValueError, IndexError):
            continue
        sys.stderr.write("question %.6f %s\n" % (time.time(), name))
        sys.stderr.flush()
        if silent:
            continue
        try:
            rep = answer(msg, table)
        except (ValueError, IndexError, struct.error):
            rep = None
        if rep:
            s.sendto(rep, peer)


def start(lab, node, addr, names, silent=False, lifetime=300):
    """names: {address: host name}.  Returns the Popen (stdout: 'ready')."""
    d = os.path.join("/etc/netns", node.ns)
    os.makedirs(d, exist_ok=True)
    if d not in lab.etc_dirs:
        lab.etc_dirs.append(d)
    with open(os.path.join(d, "resolv.conf"), "w") as f:
        f.write("nameserver %s\n" % addr)
    table = {ptr_name(a): n for a, n in names.items()}
    p = lab.popen(node, [sys.executable, os.path.abspath(__file__),
                         "--addr", addr, "--lifetime", str(lifetime),
                         "--table", json.dumps(table)] +
                  (["--silent"] if silent else []))
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.kill()
        raise RuntimeError("dnslab did not start: " + p.stderr.read()[:300])
    return p


def stop(p):
    """Stop the responder; returns the names it was asked for."""
    p.terminate()
    try:
        _, err = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate(timeout=5)
    return [x.split(" ", 2)[2] for x in _questions(err)]


def _questions(err):
    return [x for x in err.splitlines() if x.startswith("question ")]


def stop_times(p):
    """Stop the responder; returns when each question came (time.time())."""
    p.terminate()
    try:
        _, err = p.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate(timeout=5)
    return [float(x.split(" ", 2)[1]) for x in _questions(err)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--table", default="{}")
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("--lifetime", type=float, default=300)
    a = ap.parse_args()
    table = {k.lower(): v for k, v in json.loads(a.table).items()}
    serve(a.addr, a.port, table, a.silent, a.lifetime)


if __name__ == "__main__":
    main()
