#!/usr/bin/env python3
"""mpls_router: make a lab router answer like an MPLS label-switching
router.  Linux routers never add RFC 4950 extensions to their ICMP errors,
so this script, run inside the router's namespace, answers every transit
packet that arrives with TTL (hop limit) 1 itself: an ICMP time-exceeded
(ICMPv6 for IPv6) with an RFC 4884 extension structure holding one MPLS
label stack object (RFC 4950, class 1, c-type 1).  The kernel's own
answer is kept out by an nft rule that drops those packets before
routing (Lab.mpls sets it); the packet tap below runs before it.

usage: mpls_router.py LABEL[/EXP/S/TTL] ...   (top of the stack first)
Prints "ready" once its sockets are open; stops on SIGTERM.  Answers only
packets that reach this namespace, so only lab addresses are involved.
"""

import select
import signal
import socket
import struct
import subprocess
import sys

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
ORIG_LEN = 128          # RFC 4884: the original datagram, padded to 128 B


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def parse_stack(args):
    """LABEL[/EXP/S/TTL] words; the last entry gets S=1 unless given."""
    out = []
    for i, a in enumerate(args):
        f = [int(x) for x in a.split("/")]
        label = f[0]
        exp = f[1] if len(f) > 1 else 0
        s = f[2] if len(f) > 2 else (1 if i == len(args) - 1 else 0)
        ttl = f[3] if len(f) > 3 else 1
        if not (0 <= label < 1 << 20 and 0 <= exp < 8 and s in (0, 1)
                and 0 <= ttl < 256):
            raise ValueError("bad label stack entry %r" % a)
        out.append((label, exp, s, ttl))
    if not out:
        raise ValueError("no label stack entries")
    return out


def extension(stack):
    """RFC 4884 extension header (version 2) and one RFC 4950 object."""
    body = b"".join(struct.pack("!I", l << 12 | e << 9 | s << 8 | t)
                    for l, e, s, t in stack)
    obj = struct.pack("!HBB", 4 + len(body), 1, 1) + body
    hdr = struct.pack("!BBH", 2 << 4, 0, 0)
    c = csum(hdr + obj)
    return struct.pack("!BBH", 2 << 4, 0, c) + obj


def orig(pkt):
    return pkt[:ORIG_LEN].ljust(ORIG_LEN, b"\0")


def answer4(pkt, ext):
    # type 11 code 0, length in 32-bit words of the original datagram
    msg = struct.pack("!BBHBBH", 11, 0, 0, 0, ORIG_LEN // 4, 0) \
        + orig(pkt) + ext
    c = csum(msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def answer6(pkt, ext):
    # type 3 code 0, length in 64-bit words; the kernel fills the checksum
    return struct.pack("!BBHB3x", 3, 0, 0, ORIG_LEN // 8) + orig(pkt) + ext


def local_addrs():
    """This namespace's own addresses (packets to them are not transit)."""
    out = subprocess.run(["ip", "-o", "addr", "show"], check=True,
                         capture_output=True, text=True).stdout
    got = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) > 3 and f[2] in ("inet", "inet6"):
            fam = socket.AF_INET if f[2] == "inet" else socket.AF_INET6
            got.add(socket.inet_pton(fam, f[3].split("/")[0]))
    return got


def main():
    try:
        ext = extension(parse_stack(sys.argv[1:]))
    except ValueError as e:
        sys.stderr.write("mpls_router: %s\n" % e)
        return 2
    mine = local_addrs()
    tap = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                        socket.htons(ETH_P_ALL))
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                       socket.IPPROTO_ICMPV6)
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    print("ready", flush=True)
    sent = 0
    while not stop:
        try:
            r, _, _ = select.select([tap], [], [], 0.2)
        except InterruptedError:
            continue
        if not r:
            continue
        pkt, addr = tap.recvfrom(65535)
        proto, pkttype = addr[1], addr[2]
        if pkttype == PACKET_OUTGOING:
            continue
        if proto == ETH_P_IP and len(pkt) >= 20 and pkt[0] >> 4 == 4 \
                and pkt[8] == 1 and pkt[16] < 224 \
                and pkt[16:20] not in mine:
            s4.sendto(answer4(pkt, ext),
                      (socket.inet_ntop(socket.AF_INET, pkt[12:16]), 0))
            sent += 1
        elif proto == ETH_P_IPV6 and len(pkt) >= 40 and pkt[0] >> 4 == 6 \
                and pkt[7] == 1 and pkt[24] != 0xFF \
                and pkt[24:40] not in mine:
            s6.sendto(answer6(pkt, ext),
                      (socket.inet_ntop(socket.AF_INET6, pkt[8:24]), 0))
            sent += 1
    sys.stderr.write("mpls_router: %d answers\n" % sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
