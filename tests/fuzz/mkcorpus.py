# Seed corpus for tests/fuzz (realistic replies, truncations, oddities).
import ipaddress, struct, os, sys

OUT = sys.argv[1]

def csum(b, s=0):
    if len(b) % 2: b += b'\0'
    s += sum(struct.unpack('!%dH' % (len(b)//2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def csum_raw(b):
    if len(b) % 2: b += b'\0'
    return fold(sum(struct.unpack('!%dH' % (len(b)//2), b)))

def fold(s):
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return s

A4 = [ipaddress.ip_address(x).packed for x in ('192.0.2.1', '203.0.113.9', '198.51.100.1')]
A6 = [ipaddress.ip_address(x).packed for x in ('2001:db8::1', '2001:db8:9::9', '2001:db8:ff::1')]

def ip4(src, dst, proto, l4, ttl=64, ipid=0x7e57, tos=0, opts=b''):
    hl = 20 + len(opts)
    h = struct.pack('!BBHHHBBH', 0x40 | hl // 4, tos, hl + len(l4), ipid, 0, ttl, proto, 0) + src + dst + opts
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + l4

def ip6(src, dst, nh, l4, hl=64, tc=0, fl=0x12345):
    return struct.pack('!IHBB', 6 << 28 | tc << 20 | fl, len(l4), nh, hl) + src + dst + l4

def ps(v6, src, dst, proto, n):
    if v6:
        return fold(sum(struct.unpack('!16H', src + dst))) + proto + n
    return fold(sum(struct.unpack('!4H', src + dst))) + proto + n

def comp(s, want):
    t = (~want) & 0xffff
    return next(w for w in range(0x10000) if fold(s + w) == t)

# A payload MAC (src/probe/pkt.h): after the compensation word, after the
# TCP header.  The older seeds have zeros there (mac=None).
MAC = bytes.fromhex('3ac501fe778810ef')

def probe(kind, v6, ttl=1, tag=0x5a5a, seq=0xc0de5a5a, size=None, mac=None):
    src, dst = (A6 if v6 else A4)[:2]
    size = size or {'icmp': 44, 'udp': 44, 'tcp': 40, 'tcpack': 40}[kind] + (20 if v6 else 0)
    l4len = size - (40 if v6 else 20)
    sport = 33005
    pay = (mac or b'') + bytes(l4len)
    if kind == 'udp':
        hdr = struct.pack('!HHHH', sport, 33435, l4len, 0)
        pay = pay[:l4len - 10]
        s = fold(sum(struct.unpack('!4H', hdr)) + csum_raw(pay)) + ps(v6, src, dst, 17, l4len)
        l4 = struct.pack('!HHHHH', sport, 33435, l4len, tag, comp(s, tag)) + pay
        proto = 17
    elif kind == 'icmp':
        t = 128 if v6 else 8
        proto = 58 if v6 else 1
        isum = 0xbeef
        hdr = struct.pack('!BBHHH', t, 0, 0, sport, tag)
        pay = pay[:l4len - 10]
        s = fold(sum(struct.unpack('!4H', hdr)) + csum_raw(pay)) + (ps(v6, src, dst, 58, l4len) if v6 else 0)
        l4 = struct.pack('!BBHHHH', t, 0, isum, sport, tag, comp(s, isum)) + pay
    else:
        flags = 0x10 if kind == 'tcpack' else 0x02
        ack = seq if kind == 'tcpack' else 0
        hdr = struct.pack('!HHIIBBHHH', sport, 80, seq, ack, 0x50, flags, 65535, 0, 0) + pay[:l4len - 20]
        c = csum(hdr, ps(v6, src, dst, 6, l4len))
        l4 = hdr[:16] + struct.pack('!H', c) + hdr[18:]
        proto = 6
    if v6:
        return ip6(src, dst, proto, l4, hl=ttl, tc=0x20)
    return ip4(src, dst, proto, l4, ttl=ttl, tos=0x20)

def icmp_err(v6, typ, code, quote, w=b'\0\0\0\0', ext=b'', outer_opts=b''):
    r, _, = (A6 if v6 else A4)[2], None
    dst = (A6 if v6 else A4)[0]
    m = bytes([typ, code, 0, 0]) + w + quote + ext
    if v6:
        c = csum(m, ps(True, r, dst, 58, len(m)))
        m = m[:2] + struct.pack('!H', c) + m[4:]
        return ip6(r, dst, 58, m, hl=250, tc=0xc0)
    c = csum(m)
    m = m[:2] + struct.pack('!H', c) + m[4:]
    return ip4(r, dst, 1, m, ttl=250, ipid=0x4242, tos=0xc0, opts=outer_opts)

def mpls_ext(good=True, labels=((16001, 5, 0, 1), (299776, 0, 1, 254)), extra=b''):
    obj = b''.join(struct.pack('!I', l << 12 | e << 9 | s << 8 | t) for l, e, s, t in labels)
    body = struct.pack('!HBB', 4 + len(obj), 1, 1) + obj + extra
    h = b'\x20\x00\x00\x00'
    c = csum(h + body)
    if not good: c ^= 1
    return struct.pack('!BBH', 0x20, 0, c) + body

def ifinfo():
    return struct.pack('!HBBI', 8, 2, 0x0c, 42)

def pad(q, n=128):
    return q + bytes(max(0, n - len(q)))

def ext6(p, typ, n=8, frag=0):
    nh = p[6]
    if typ == 44:
        e = struct.pack('!BBHI', nh, 0, frag, 0x01020304)
    else:
        e = bytes([nh, n // 8 - 1]) + (bytes([1, n - 4]) if typ != 43 else bytes([4, 0])) + bytes(n - 4)
    plen = struct.unpack('!H', p[4:6])[0] + len(e)
    return p[:4] + struct.pack('!H', plen) + bytes([typ]) + p[7:40] + e + p[40:]

def opts4(p, o):
    hl = (p[0] & 15) * 4
    tl = struct.unpack('!H', p[2:4])[0] + len(o)
    h = bytes([0x40 | (hl + len(o)) // 4, p[1]]) + struct.pack('!H', tl) + p[4:10] + b'\0\0' + p[12:hl] + o
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + p[hl:]

def tcp_reply(v6, flags, seq, ack, opts=b'\x02\x04\x05\xb4'):
    src, dst = (A6 if v6 else A4)[1], (A6 if v6 else A4)[0]
    hl = 20 + len(opts)
    t = struct.pack('!HHIIBBHHH', 80, 33005, seq, ack, (hl // 4) << 4, flags, 29200, 0, 0) + opts
    c = csum(t, ps(v6, src, dst, 6, len(t)))
    t = t[:16] + struct.pack('!H', c) + t[18:]
    return ip6(src, dst, 6, t, hl=55) if v6 else ip4(src, dst, 6, t, ttl=55, ipid=0)

def echo_reply(v6, mac=None, cut=None):
    p = probe('icmp', v6, ttl=64, mac=mac)
    hl = 40 if v6 else 20
    l4 = (bytes([129 if v6 else 0]) + p[hl + 1:])[:cut]
    src, dst = (A6 if v6 else A4)[1], (A6 if v6 else A4)[0]
    return ip6(src, dst, 58, l4, hl=55) if v6 else ip4(src, dst, 1, l4, ttl=55, ipid=0x1111)

seeds = {}
for k in ('icmp', 'udp', 'tcp', 'tcpack'):
    seeds['probe_%s4' % k] = probe(k, False, ttl=9)
    seeds['probe_%s6' % k] = probe(k, True, ttl=9)
    seeds['te4_%s' % k] = icmp_err(False, 11, 0, probe(k, False))
    seeds['te6_%s' % k] = icmp_err(True, 3, 0, probe(k, True))
seeds['te4_udp_quote8'] = icmp_err(False, 11, 0, probe('udp', False)[:28])
seeds['te4_udp_quote7'] = icmp_err(False, 11, 0, probe('udp', False)[:27])
seeds['te4_reass'] = icmp_err(False, 11, 1, probe('udp', False))
seeds['unreach4_port'] = icmp_err(False, 3, 3, probe('udp', False, ttl=3))
seeds['unreach6_port'] = icmp_err(True, 1, 4, probe('udp', True, ttl=3))
seeds['unreach4_fragneeded'] = icmp_err(False, 3, 4, probe('tcp', False, ttl=3), w=b'\0\0\x05\xdc')
seeds['unreach6_admin'] = icmp_err(True, 1, 1, probe('tcp', True, ttl=3))
seeds['toobig6'] = icmp_err(True, 2, 0, probe('udp', True, size=1300)[:1232], w=struct.pack('!I', 1280))
seeds['paramprob6'] = icmp_err(True, 4, 0, probe('icmp', True), w=struct.pack('!I', 6))
seeds['paramprob4'] = icmp_err(False, 12, 0, probe('icmp', False), w=b'\x09\0\0\0')
seeds['quench4'] = icmp_err(False, 4, 0, probe('udp', False))
seeds['echo_reply4'] = echo_reply(False)
seeds['echo_reply6'] = echo_reply(True)
seeds['tcp_synack4'] = tcp_reply(False, 0x12, 0x11223344, 0xc0de5a5b)
seeds['tcp_synack6'] = tcp_reply(True, 0x12, 0x11223344, 0xc0de5a5b,
                                 opts=b'\x02\x04\x05\xa0\x04\x02\x08\x0a\0\0\0\x01\0\0\0\0\x01\x03\x03\x07')
seeds['tcp_rstack4'] = tcp_reply(False, 0x14, 0, 0xc0de5a5b, opts=b'')
seeds['tcp_rst6'] = tcp_reply(True, 0x04, 0xc0de5a5a, 0, opts=b'')
seeds['tcp_syn_foreign4'] = tcp_reply(False, 0x02, 1, 0)
seeds['mpls4_rfc4884'] = icmp_err(False, 11, 0, pad(probe('udp', False)), w=b'\0\x20\0\0', ext=mpls_ext(extra=ifinfo()))
seeds['mpls6_rfc4884'] = icmp_err(True, 3, 0, pad(probe('tcp', True)), w=b'\x10\0\0\0', ext=mpls_ext())
seeds['mpls4_old128'] = icmp_err(False, 11, 0, pad(probe('icmp', False)), ext=mpls_ext())
seeds['mpls4_old128_badsum'] = icmp_err(False, 11, 0, pad(probe('icmp', False)), ext=mpls_ext(good=False))
seeds['mpls4_unreach_port'] = icmp_err(False, 3, 3, pad(probe('udp', False)), w=b'\0\x20\0\0',
                                       ext=mpls_ext(labels=((24000, 0, 1, 1),)))
bad = bytearray(mpls_ext()); bad[4:6] = b'\0\x02'
seeds['ext_bad_objlen'] = icmp_err(False, 11, 0, pad(probe('udp', False)), w=b'\0\x20\0\0', ext=bytes(bad))
seeds['ext_len_too_long'] = icmp_err(False, 11, 0, pad(probe('udp', False)), w=b'\0\xf0\0\0', ext=mpls_ext())
many = b''.join(struct.pack('!HBB', 44, 1, 1) + b''.join(struct.pack('!I', (100 * k + l) << 12 | 64) for l in range(10)) for k in range(6))
seeds['ext_many_objects'] = icmp_err(False, 11, 0, pad(probe('udp', False)), w=b'\0\x20\0\0',
                                     ext=struct.pack('!BBH', 0x20, 0, csum(b'\x20\0\0\0' + many)) + many)
q = opts4(probe('tcp', False), b'\x44\x0c\x05\x00' + bytes(8))
seeds['opts4_outer_and_quoted'] = icmp_err(False, 11, 0, q, outer_opts=b'\x01\x07\x07\x04\0\0\0\0')
seeds['opts4_quote_cut'] = icmp_err(False, 11, 0, q[:24])
p6 = ext6(probe('udp', True), 0)
seeds['v6_quote_hbh'] = icmp_err(True, 3, 0, p6)
chain = ext6(ext6(ext6(probe('tcpack', True), 43, 24), 44, frag=1), 60, 16)
seeds['v6_quote_chain'] = ext6(icmp_err(True, 3, 0, chain), 0)
p8 = probe('icmp', True)
for _ in range(8): p8 = ext6(p8, 60)
seeds['v6_quote_8dstopts'] = icmp_err(True, 3, 0, p8)
seeds['v6_quote_9dstopts'] = icmp_err(True, 3, 0, ext6(p8, 60))
seeds['v6_quote_nonfirst_frag'] = icmp_err(True, 1, 4, ext6(probe('udp', True), 44, frag=0x0100))
seeds['v6_probe_first_frag'] = ext6(probe('udp', True), 44, frag=1)
seeds['trunc_te4_mid_quote'] = seeds['te4_tcp'][:40]
seeds['trunc_te6_60'] = seeds['te6_udp'][:60]
seeds['trunc_tcp4_30'] = seeds['tcp_synack4'][:30]
seeds['trunc_ip4_hdr'] = seeds['te4_udp'][:20]
seeds['trunc_mpls6'] = seeds['mpls6_rfc4884'][:-6]
seeds['padded_te4'] = seeds['te4_udp'] + bytes(14)
er = echo_reply(False)
seeds['foreign_quote_echo_reply'] = icmp_err(False, 11, 0, er)
seeds['foreign_redirect4'] = icmp_err(False, 5, 1, probe('udp', False))
seeds['foreign_nd_ns6'] = icmp_err(True, 135, 0, bytes(20))
f = bytearray(probe('udp', False)); f[6:8] = b'\0\x03'
seeds['foreign_frag4'] = bytes(f)
seeds['garbage'] = bytes(range(7, 97)) + b'\x45\x46'
seeds['empty'] = b''
seeds['padded_te6_hbh'] = ext6(seeds['te6_udp'], 0) + bytes(10)
seeds['trunc_v6_in_exthdr'] = ext6(ext6(seeds['te6_tcp'], 60, 16), 0)[:60]
g = bytearray(probe('udp', False)); g[9] = 47
seeds['foreign_quote_gre'] = icmp_err(False, 11, 0, bytes(g))
e = bytearray(mpls_ext()); e[0] = 0x10
seeds['ext_version1'] = icmp_err(False, 11, 0, pad(probe('udp', False)), w=b'\0\x20\0\0', ext=bytes(e))
seeds['trunc_icmp4_6'] = ip4(A4[2], A4[0], 1, b'\x0b\0\0\0\0\0')
# The MAC: whole, cut inside it, absent from an echo, in a TCP payload, and
# an 8-byte v4 quote zero-padded to 128 bytes before an RFC 4884 extension.
seeds['te6_udp_mac'] = icmp_err(True, 3, 0, probe('udp', True, mac=MAC))
seeds['te6_icmp_mac_cut'] = icmp_err(True, 3, 0, probe('icmp', True, mac=MAC)[:40 + 13])
seeds['te4_icmp_mac_cut'] = icmp_err(False, 11, 0, probe('icmp', False, mac=MAC)[:20 + 15])
seeds['echo_reply6_mac'] = echo_reply(True, mac=MAC)
seeds['echo_reply4_nodata'] = echo_reply(False, mac=MAC, cut=8)
seeds['te6_tcp_payload_mac'] = icmp_err(True, 3, 0, probe('tcp', True, size=68, mac=MAC))
seeds['mpls4_quote8_padded'] = icmp_err(False, 11, 0, pad(probe('udp', False, mac=MAC)[:28]), w=b'\0\x20\0\0',
                                        ext=mpls_ext())
# issue 9's forgery: ICMPv6 time-exceeded from the destination's side
# quoting a probe with a guessed tag (every method sends them)
for k in ('icmp', 'udp'):
    seeds['forged_te6_%s' % k] = icmp_err(True, 3, 0, probe(k, True, ttl=7, tag=0xbeef))
for k in ('probe_tcpack4', 'probe_tcpack6', 'te6_tcpack', 'te4_tcpack', 'trunc_ip4_hdr',
          'te4_reass', 'unreach6_admin', 'te4_udp_quote7', 'probe_icmp6', 'tcp_syn_foreign4', 'trunc_te6_60'):
    del seeds[k]
os.makedirs(OUT, exist_ok=True)
for k, v in seeds.items():
    assert len(v) < 2048, k
    open(os.path.join(OUT, k), 'wb').write(v)
print(len(seeds), 'seeds')
