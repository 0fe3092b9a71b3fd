/*
 * test_pkt_parse: replies built by hand around probes from the real builders
 * (ICMP errors of both families, echo replies, TCP answers, IP options and
 * IPv6 extension headers, RFC 4884/4950 extensions), their every prefix, and
 * packets that must not match.  Run under ASan or valgrind: prefixes are
 * copied into buffers of exactly their length.
 */
#include <sys/socket.h>
#include <stdint.h>

#include "t.h"
#include "probe/pkt.h"

#define MAXPKT 2048

static libnet_t *lb;

/* Ones' complement checksum, independent of src/. */
static uint16_t
cksum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		s += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- probes ---------------------------------------------------------- */

struct probe {
	struct pkt_flow flow;
	struct pkt_ident id;
	uint8_t b[MAXPKT];
	size_t n;
};

static void
mkprobe(struct probe *p, const struct pkt_method *m, int family, uint8_t ttl,
    uint16_t size)
{
	struct pkt_flow_params fp;
	int n;

	memset(p, 0, sizeof(*p));
	memset(&fp, 0, sizeof(fp));
	if (family == AF_INET) {
		addr_pton("192.0.2.1", &fp.src);
		addr_pton("203.0.113.9", &fp.dst);
	} else {
		addr_pton("2001:db8::1", &fp.src);
		addr_pton("2001:db8:9::9", &fp.dst);
	}
	fp.tos = 0x20;
	fp.size = size;
	T_EQ_INT(m->flow(&fp, 5, &p->flow), 0);
	p->id.ttl = ttl;
	p->id.tag = 0x5a5a;
	p->id.ipid = 0x7e57;
	p->id.seq32 = 0xc0de5a5a;
	memcpy(p->id.mac, "\x3a\xc5\x01\xfe\x77\x88\x10\xef", PKT_MAC_LEN);
	n = m->build(lb, &p->flow, &p->id, p->b, sizeof(p->b));
	T_CHECK(n > 0);
	p->n = n > 0 ? (size_t)n : 0;
}

/* ---- editing packets ------------------------------------------------- */

static void
ip4_fix(uint8_t *p)
{
	size_t hl = (p[0] & 0xf) * 4u;

	wr16(p + 10, 0);
	wr16(p + 10, cksum(p, hl, 0));
}

/* Append IPv4 options (a multiple of 4 bytes) to the header. */
static size_t
ip4_add_opts(uint8_t *p, size_t n, const uint8_t *opt, size_t olen)
{
	size_t hl = (p[0] & 0xf) * 4u;

	memmove(p + hl + olen, p + hl, n - hl);
	memcpy(p + hl, opt, olen);
	p[0] = (uint8_t)(0x40 | (hl + olen) / 4);
	wr16(p + 2, (uint16_t)(rd16(p + 2) + olen));
	ip4_fix(p);
	return n + olen;
}

/*
 * Insert an IPv6 extension header of `len` bytes (a multiple of 8) right
 * after the fixed header.  frag: the fragment header's offset/flags word.
 */
static size_t
ip6_add_ext(uint8_t *p, size_t n, uint8_t type, size_t len, uint16_t frag)
{
	uint8_t *e = p + 40;

	memmove(p + 40 + len, p + 40, n - 40);
	memset(e, 0, len);
	e[0] = p[6];
	if (type == IPPROTO_FRAGMENT) {
		wr16(e + 2, frag);
		wr32(e + 4, 0x01020304);
	} else {
		e[1] = (uint8_t)(len / 8 - 1);
		if (type == IPPROTO_ROUTING) {
			e[2] = 4; /* segment routing, segments left 0 */
		} else {
			e[2] = 1; /* PadN */
			e[3] = (uint8_t)(len - 4);
		}
	}
	p[6] = type;
	wr16(p + 4, (uint16_t)(rd16(p + 4) + len));
	return n + len;
}

/* ---- replies --------------------------------------------------------- */

static const char *router4 = "198.51.100.1", *router6 = "2001:db8:ff::1";

/* An outer IP header from `src` to `dst` around payload l4 (already in place). */
static size_t
outer(uint8_t *p, int family, const struct addr_ip *src,
    const struct addr_ip *dst, uint8_t proto, size_t l4len)
{
	if (family == AF_INET) {
		p[0] = 0x45;
		p[1] = 0xc0;
		wr16(p + 2, (uint16_t)(20 + l4len));
		wr16(p + 4, 0x4242);
		wr16(p + 6, 0);
		p[8] = 250;
		p[9] = proto;
		memcpy(p + 12, src->u.b, 4);
		memcpy(p + 16, dst->u.b, 4);
		ip4_fix(p);
		return 20 + l4len;
	}
	wr32(p, 6u << 28 | 0xc0u << 20 | 0x12345);
	wr16(p + 4, (uint16_t)l4len);
	p[6] = proto;
	p[7] = 250;
	memcpy(p + 8, src->u.b, 16);
	memcpy(p + 24, dst->u.b, 16);
	return 40 + l4len;
}

struct err {
	int family;
	uint8_t type, code;
	uint8_t w[4]; /* ICMP bytes 4-7 (RFC 4884 length, MTU...) */
	const uint8_t *quote;
	size_t qlen;
	size_t qpad; /* zero-pad the quote to this length */
	const uint8_t *ext;
	size_t elen;
};

/* An ICMP error from the router to the probe's source. */
static size_t
icmp_err(const struct err *e, const struct probe *pr, uint8_t *out)
{
	size_t hl = e->family == AF_INET ? 20 : 40;
	uint8_t *icmp = out + hl;
	size_t ql = e->qlen > e->qpad ? e->qlen : e->qpad;
	size_t l4len = 8 + ql + e->elen;
	struct addr_ip router;
	uint32_t ps = 0;

	addr_pton(e->family == AF_INET ? router4 : router6, &router);
	memset(out, 0, hl + l4len);
	icmp[0] = e->type;
	icmp[1] = e->code;
	memcpy(icmp + 4, e->w, 4);
	memcpy(icmp + 8, e->quote, e->qlen);
	if (e->elen > 0)
		memcpy(icmp + 8 + ql, e->ext, e->elen);
	if (e->family == AF_INET6) {
		for (size_t i = 0; i < 16; i += 2)
			ps += rd16(router.u.b + i) + rd16(pr->flow.src.u.b + i);
		ps += IPPROTO_ICMPV6 + (uint32_t)l4len;
	}
	wr16(icmp + 2, cksum(icmp, l4len, ps));
	return outer(out, e->family, &router, &pr->flow.src,
	    e->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, l4len);
}

/* A TCP segment from the probe's destination back to its source. */
static size_t
tcp_reply(const struct probe *pr, uint8_t flags, uint32_t seq, uint32_t ack,
    uint8_t *out)
{
	int family = pr->flow.dst.family;
	uint8_t *t = out + (family == AF_INET ? 20 : 40);

	memset(t, 0, 24);
	wr16(t, pr->flow.dport);
	wr16(t + 2, pr->flow.sport);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	t[12] = 6 << 4; /* an MSS option follows */
	t[13] = flags;
	wr16(t + 14, 29200);
	t[20] = 2;
	t[21] = 4;
	wr16(t + 22, 1460);
	return outer(out, family, &pr->flow.dst, &pr->flow.src, IPPROTO_TCP,
	    24);
}

/* The destination's echo reply to an ICMP probe. */
static size_t
echo_reply(const struct probe *pr, uint8_t *out)
{
	int family = pr->flow.dst.family;
	size_t hl = family == AF_INET ? 20 : 40;

	memcpy(out + hl, pr->b + hl, pr->n - hl);
	out[hl] = family == AF_INET ? 0 : 129;
	return outer(out, family, &pr->flow.dst, &pr->flow.src, pr->flow.proto,
	    pr->n - hl);
}

/* An RFC 4884 extension structure with an MPLS object, then another. */
static size_t
mk_ext(uint8_t *e, int good_sum, int second)
{
	size_t n = 4;

	memset(e, 0, 64);
	e[0] = 0x20;
	wr16(e + n, 12); /* MPLS stack: 2 entries */
	e[n + 2] = 1;
	e[n + 3] = 1;
	wr32(e + n + 4, 16001u << 12 | 5u << 9 | 0u << 8 | 1);
	wr32(e + n + 8, 299776u << 12 | 0u << 9 | 1u << 8 | 254);
	n += 12;
	if (second) {
		wr16(e + n, 8); /* interface information, 4 data bytes */
		e[n + 2] = 2;
		e[n + 3] = 0x0c;
		wr32(e + n + 4, 0x0000002a);
		n += 8;
	}
	wr16(e + 2, cksum(e, n, 0));
	if (!good_sum)
		e[3] ^= 0x01;
	return n;
}

/* ---- assertions ------------------------------------------------------ */

/* The reply names the probe pr. */
static int
key_of(const struct pkt_reply *r, const struct probe *pr)
{
	int ok = addr_eq(&r->key.dst, &pr->flow.dst) &&
	    r->key.proto == pr->flow.proto && r->key.sport == pr->flow.sport &&
	    r->key.dport == pr->flow.dport && r->key.tag == pr->id.tag;

	if (!ok) {
		fprintf(stderr, "  key: proto %u sport %u dport %u tag %#x\n",
		    r->key.proto, r->key.sport, r->key.dport, r->key.tag);
	}
	return ok;
}

/*
 * The bytes found where probes carry their MAC are pr's bytes there: as
 * many as pr has (whole), or as many as a cut quote reached.  Beyond pr's
 * end pr.b is zero, like the padding of an RFC 4884 quote.
 */
static int
found_of(const struct pkt_reply *r, const struct probe *pr, int whole)
{
	size_t off = (pr->flow.dst.family == AF_INET ? 20 : 40) +
	    pkt_mac_off(pr->flow.proto);
	size_t avail = pr->n <= off ? 0 :
	    pr->n - off < PKT_MAC_LEN ? pr->n - off : PKT_MAC_LEN;

	if (whole && r->check.mac_len != avail)
		return 0;
	return r->check.mac_len <= PKT_MAC_LEN &&
	    memcmp(r->check.mac, pr->b + off, r->check.mac_len) == 0;
}

/* The MAC found is the probe's, whole, where the probe has one. */
static int
mac_of(const struct pkt_reply *r, const struct probe *pr)
{
	if (pkt_flow_has_mac(&pr->flow) &&
	    memcmp(pr->b + (pr->flow.dst.family == AF_INET ? 20 : 40) +
	            pkt_mac_off(pr->flow.proto),
	        pr->id.mac, PKT_MAC_LEN) != 0)
		return 0;
	return found_of(r, pr, 1);
}

/* The check fields an ICMP error quoting pr must carry. */
static int
check_of(const struct pkt_reply *r, const struct probe *pr)
{
	int v4 = pr->flow.dst.family == AF_INET;
	int tcp = pr->flow.proto == IPPROTO_TCP;

	return r->check.has_ipid == v4 &&
	    r->check.ipid == (v4 ? pr->id.ipid : 0) &&
	    r->check.has_seq32 == tcp &&
	    r->check.seq32 == (tcp ? pr->id.seq32 : 0) && found_of(r, pr, 0);
}

static int
parse(const uint8_t *b, size_t n, int outgoing, struct pkt_reply *r)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	int rc;

	memcpy(copy, b, n);
	rc = pkt_parse(copy, n, outgoing, r);
	free(copy);
	return rc;
}

/* ---- tests ----------------------------------------------------------- */

static const int fams[] = { AF_INET, AF_INET6 };

/* Time exceeded quoting each probe type, both families, full quotes. */
static void
test_time_exceeded(void)
{
	for (size_t i = 0; pkt_methods[i] != NULL; i++) {
		for (size_t j = 0; j < 2; j++) {
			const struct pkt_method *m = pkt_methods[i];
			int v4 = fams[j] == AF_INET;
			struct probe pr;
			struct err e = { .family = fams[j] };
			struct pkt_reply r;
			struct addr_ip router;
			uint8_t buf[MAXPKT];
			size_t n;

			mkprobe(&pr, m, fams[j], 1, 0);
			e.type = v4 ? 11 : 3;
			e.quote = pr.b;
			e.qlen = pr.n;
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_EQ_INT(r.kind, PKT_KIND_ICMP_ERR);
			T_EQ_INT(r.icmp_class, PKT_IC_TTL_EXPIRED);
			T_EQ_INT(r.icmp_type, v4 ? 11 : 3);
			T_EQ_INT(r.icmp_code, 0);
			T_CHECK(key_of(&r, &pr));
			T_CHECK(check_of(&r, &pr));
			T_CHECK(mac_of(&r, &pr));
			T_EQ_INT(r.has_quote, 1);
			T_EQ_INT(r.q_ttl, 1);
			T_EQ_INT(r.q_tos, 0x20);
			T_EQ_INT(r.q_ipl, pr.n);
			T_EQ_INT(r.next, 0);
			addr_pton(v4 ? router4 : router6, &router);
			T_CHECK(addr_eq(&r.src, &router));
			T_CHECK(addr_eq(&r.dst, &pr.flow.src));
			T_EQ_INT(r.ttl, 250);
			T_EQ_INT(r.tos, 0xc0);
			T_EQ_INT(r.ipid, v4 ? 0x4242 : 0);
			T_EQ_INT(r.size, n);
			T_EQ_INT(r.tcp_flags, 0);

			/* the probe itself, seen leaving */
			T_EQ_INT(parse(pr.b, pr.n, 1, &r), 0);
			T_EQ_INT(r.kind, PKT_KIND_PROBE);
			T_CHECK(key_of(&r, &pr));
			T_CHECK(check_of(&r, &pr));
			T_EQ_INT(r.icmp_class, PKT_IC_NONE);
			/* ...but an error is not a probe, nor a probe a reply */
			T_EQ_INT(parse(buf, n, 1, &r), -1);
			T_EQ_INT(r.kind, PKT_KIND_NONE);
			T_EQ_INT(parse(pr.b, pr.n, 0, &r), -1);

			/* link padding after the packet changes nothing */
			memset(buf + n, 0, 18);
			T_EQ_INT(parse(buf, n + 18, 0, &r), 0);
			T_CHECK(key_of(&r, &pr));
			T_EQ_INT(r.next, 0);
		}
	}
}

/* The class of every error type the parser knows, and unreachables. */
static void
test_classes(void)
{
	static const struct {
		int family;
		uint8_t type, code;
		enum pkt_icmp_class c;
	} tab[] = {
		{ AF_INET, 11, 0, PKT_IC_TTL_EXPIRED },
		{ AF_INET, 11, 1, PKT_IC_OTHER },
		{ AF_INET, 3, 3, PKT_IC_PORT_UNREACH },
		{ AF_INET, 3, 0, PKT_IC_UNREACH },
		{ AF_INET, 3, 1, PKT_IC_UNREACH },
		{ AF_INET, 3, 4, PKT_IC_UNREACH },
		{ AF_INET, 3, 13, PKT_IC_UNREACH },
		{ AF_INET, 4, 0, PKT_IC_OTHER },
		{ AF_INET, 12, 0, PKT_IC_OTHER },
		{ AF_INET6, 3, 0, PKT_IC_TTL_EXPIRED },
		{ AF_INET6, 3, 1, PKT_IC_OTHER },
		{ AF_INET6, 1, 4, PKT_IC_PORT_UNREACH },
		{ AF_INET6, 1, 0, PKT_IC_UNREACH },
		{ AF_INET6, 1, 1, PKT_IC_UNREACH },
		{ AF_INET6, 1, 3, PKT_IC_UNREACH },
		{ AF_INET6, 2, 0, PKT_IC_OTHER },
		{ AF_INET6, 4, 0, PKT_IC_OTHER },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct probe pr;
		struct err e = { .family = tab[i].family };
		struct pkt_reply r;
		uint8_t buf[MAXPKT];
		size_t n;

		mkprobe(&pr, &pkt_udp_paris, tab[i].family, 3, 0);
		e.type = tab[i].type;
		e.code = tab[i].code;
		e.quote = pr.b;
		e.qlen = pr.n;
		/* bytes 4-7: MTU, pointer, ... never an RFC 4884 length here */
		if (tab[i].family == AF_INET6 && tab[i].type == 2)
			wr32(e.w, 0x01000500);
		if (tab[i].family == AF_INET6 && tab[i].type == 4)
			wr32(e.w, 0x02000006);
		if (tab[i].family == AF_INET && tab[i].type == 12)
			e.w[0] = 9;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_EQ_INT(r.kind, PKT_KIND_ICMP_ERR);
		T_EQ_INT(r.icmp_class, tab[i].c);
		T_EQ_INT(r.icmp_type, tab[i].type);
		T_EQ_INT(r.icmp_code, tab[i].code);
		T_CHECK(key_of(&r, &pr));
		T_EQ_INT(r.q_ttl, 3);
	}
}

static void
test_echo_reply(void)
{
	for (size_t j = 0; j < 2; j++) {
		struct probe pr;
		struct pkt_reply r;
		uint8_t buf[MAXPKT];
		size_t n;

		mkprobe(&pr, &pkt_icmp_paris, fams[j], 30, 0);
		n = echo_reply(&pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_EQ_INT(r.kind, PKT_KIND_ECHO_REPLY);
		T_EQ_INT(r.icmp_class, PKT_IC_ECHO_REPLY);
		T_CHECK(key_of(&r, &pr));
		T_CHECK(addr_eq(&r.src, &pr.flow.dst));
		T_EQ_INT(r.has_quote, 0);
		T_EQ_INT(r.check.has_ipid, 0);
		T_EQ_INT(r.check.has_seq32, 0);
		T_CHECK(mac_of(&r, &pr));
		/* only 8 bytes of ICMP are needed; 7 are not enough */
		T_EQ_INT(parse(buf, n - pr.n + (fams[j] == AF_INET ? 28 : 48),
		             0, &r),
		    0);
		T_EQ_INT(r.check.mac_len, 0);
		buf[3] = fams[j] == AF_INET ? 27 : 0; /* v4: IP length */
		if (fams[j] == AF_INET6)
			wr16(buf + 4, 7);
		T_EQ_INT(parse(buf, n, 0, &r), -1);
	}
}

static void
test_tcp(void)
{
	static const struct {
		const struct pkt_method *m;
		uint8_t flags;
		int use_ack; /* the answer names us in its ack (ack-1) */
	} tab[] = {
		{ &pkt_tcp_paris, TH_SYN | TH_ACK, 1 },
		{ &pkt_tcp_paris, TH_RST | TH_ACK, 1 },
		{ &pkt_tcp_ack_paris, TH_RST, 0 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		for (size_t j = 0; j < 2; j++) {
			struct probe pr;
			struct pkt_reply r;
			uint8_t buf[MAXPKT];
			size_t n;

			mkprobe(&pr, tab[i].m, fams[j], 64, 0);
			if (tab[i].use_ack)
				n = tcp_reply(&pr, tab[i].flags, 0x11223344,
				    pr.id.seq32 + 1, buf);
			else
				n = tcp_reply(&pr, tab[i].flags, pr.id.seq32, 0,
				    buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_EQ_INT(r.kind, PKT_KIND_TCP);
			T_EQ_INT(r.tcp_flags, tab[i].flags);
			T_EQ_INT(r.icmp_class, PKT_IC_NONE);
			T_CHECK(key_of(&r, &pr));
			T_EQ_INT(r.check.has_seq32, 1);
			T_EQ_INT(r.check.seq32, pr.id.seq32);
			T_EQ_INT(r.check.has_ipid, 0);
			T_EQ_INT(r.check.mac_len, 0);
			T_CHECK(addr_eq(&r.src, &pr.flow.dst));
			/* a plain SYN, a bare ACK or data answer nothing */
			n = tcp_reply(&pr, TH_SYN, 1, 0, buf);
			T_EQ_INT(parse(buf, n, 0, &r), -1);
			n = tcp_reply(&pr, TH_ACK, 1, pr.id.seq32 + 1, buf);
			T_EQ_INT(parse(buf, n, 0, &r), -1);
			n = tcp_reply(&pr, TH_ACK | TH_PUSH, 1, pr.id.seq32 + 1,
			    buf);
			T_EQ_INT(parse(buf, n, 0, &r), -1);
		}
	}
	/* seq32 0: ack 1; the sequence space wraps */
	{
		struct probe pr;
		struct pkt_reply r;
		uint8_t buf[MAXPKT];
		size_t n;

		mkprobe(&pr, &pkt_tcp_paris, AF_INET, 9, 0);
		n = tcp_reply(&pr, TH_SYN | TH_ACK, 5, 0, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_EQ_INT(r.check.seq32, 0xffffffff);
		T_EQ_INT(r.key.tag, 0xffff);
	}
}

/* Outer and quoted IPv4 options; 8 quoted transport bytes, not 7. */
static void
test_ip4_options(void)
{
	static const uint8_t rr[8] = { 1, 7, 7, 4, 0, 0, 0, 0 }; /* NOP, RR */
	static const uint8_t ts[12] = { 0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0,
		0 };

	for (size_t i = 0; pkt_methods[i] != NULL; i++) {
		struct probe pr;
		struct err e = { .family = AF_INET, .type = 11 };
		struct pkt_reply r;
		uint8_t buf[MAXPKT], q[MAXPKT];
		size_t n, qn;

		mkprobe(&pr, pkt_methods[i], AF_INET, 2, 0);
		memcpy(q, pr.b, pr.n);
		qn = ip4_add_opts(q, pr.n, ts, sizeof(ts));
		e.quote = q;
		e.qlen = qn;
		n = icmp_err(&e, &pr, buf);
		n = ip4_add_opts(buf, n, rr, sizeof(rr));
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		T_CHECK(check_of(&r, &pr));
		T_EQ_INT(r.q_ipl, pr.n + sizeof(ts));
		T_EQ_INT(r.q_ttl, 2);
		T_EQ_INT(r.size, n);

		/* routers often quote only 8 transport bytes */
		e.qlen = 20 + sizeof(ts) + 8;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		T_CHECK(check_of(&r, &pr));
		T_EQ_INT(r.q_ipl, pr.n + sizeof(ts));
		e.qlen--;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), -1);
		/* a quote cut inside the options */
		e.qlen = 20 + 4;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), -1);
		/* an outer header claiming more than the packet holds */
		buf[0] = 0x4f;
		T_EQ_INT(parse(buf, 40, 0, &r), -1);
		buf[0] = 0x44; /* ihl below 5 */
		T_EQ_INT(parse(buf, n, 0, &r), -1);
	}
	/* a plain 8-byte quote of a plain probe */
	for (size_t i = 0; pkt_methods[i] != NULL; i++) {
		struct probe pr;
		struct err e = { .family = AF_INET, .type = 3, .code = 3 };
		struct pkt_reply r;
		uint8_t buf[MAXPKT];
		size_t n;

		mkprobe(&pr, pkt_methods[i], AF_INET, 1, 0);
		e.quote = pr.b;
		e.qlen = 28;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		T_CHECK(check_of(&r, &pr));
		e.qlen = 27;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), -1);
	}
}

/* IPv6 extension headers in the quote and around the reply. */
static void
test_ip6_ext(void)
{
	for (size_t i = 0; pkt_methods[i] != NULL; i++) {
		struct probe pr;
		struct err e = { .family = AF_INET6, .type = 3 };
		struct pkt_reply r;
		uint8_t buf[MAXPKT], q[MAXPKT];
		size_t n, qn;

		mkprobe(&pr, pkt_methods[i], AF_INET6, 4, 0);
		memcpy(q, pr.b, pr.n);
		qn = ip6_add_ext(q, pr.n, IPPROTO_HOPOPTS, 8, 0);
		e.quote = q;
		e.qlen = qn;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		T_CHECK(check_of(&r, &pr));
		T_EQ_INT(r.q_ipl, pr.n + 8);
		T_EQ_INT(r.q_ttl, 4);
		T_EQ_INT(r.q_tos, 0x20);

		/* routing, destination options and a first fragment too */
		qn = ip6_add_ext(q, qn, IPPROTO_DSTOPTS, 16, 0);
		qn = ip6_add_ext(q, qn, IPPROTO_FRAGMENT, 8, 0x0001);
		qn = ip6_add_ext(q, qn, IPPROTO_ROUTING, 24, 0);
		e.qlen = qn;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		/* 8 transport bytes of it are enough, 7 are not */
		e.qlen = qn - pr.n + 48;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		e.qlen--;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), -1);

		/* the outer packet carries a hop-by-hop header too */
		e.qlen = qn;
		n = icmp_err(&e, &pr, buf);
		n = ip6_add_ext(buf, n, IPPROTO_HOPOPTS, 8, 0);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		T_EQ_INT(r.size, n);
	}
	{
		struct probe pr;
		struct err e = { .family = AF_INET6, .type = 3 };
		struct pkt_reply r;
		uint8_t buf[MAXPKT], q[MAXPKT];
		size_t n, qn;

		/* eight extension headers are followed, a ninth is not */
		mkprobe(&pr, &pkt_udp_paris, AF_INET6, 4, 0);
		memcpy(q, pr.b, pr.n);
		qn = pr.n;
		for (int k = 0; k < 8; k++)
			qn = ip6_add_ext(q, qn, IPPROTO_DSTOPTS, 8, 0);
		e.quote = q;
		e.qlen = qn;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_CHECK(key_of(&r, &pr));
		qn = ip6_add_ext(q, qn, IPPROTO_DSTOPTS, 8, 0);
		e.qlen = qn;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), -1);

		/* a non-first fragment holds no transport header */
		memcpy(q, pr.b, pr.n);
		qn = ip6_add_ext(q, pr.n, IPPROTO_FRAGMENT, 8, 0x0008);
		e.qlen = qn;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), -1);
		memcpy(q, pr.b, pr.n);
		qn = ip6_add_ext(q, pr.n, IPPROTO_FRAGMENT, 8, 0x0001);
		T_EQ_INT(parse(q, qn, 1, &r), 0);
		T_CHECK(key_of(&r, &pr));
		qn = ip6_add_ext(q, pr.n, IPPROTO_FRAGMENT, 8, 0x0100);
		T_EQ_INT(parse(q, qn, 1, &r), -1);
	}
}

static const struct pkt_ext *
ext_check_mpls(const struct pkt_reply *r)
{
	const struct pkt_ext *x = &r->ext[0];

	T_CHECK(r->next >= 1);
	T_EQ_INT(x->cn, 1);
	T_EQ_INT(x->ct, 1);
	T_EQ_INT(x->dl, 8);
	T_EQ_INT(x->nmpls, 2);
	T_EQ_INT(x->mpls[0].label, 16001);
	T_EQ_INT(x->mpls[0].exp, 5);
	T_EQ_INT(x->mpls[0].s, 0);
	T_EQ_INT(x->mpls[0].ttl, 1);
	T_EQ_INT(x->mpls[1].label, 299776);
	T_EQ_INT(x->mpls[1].exp, 0);
	T_EQ_INT(x->mpls[1].s, 1);
	T_EQ_INT(x->mpls[1].ttl, 254);
	return x;
}

/* RFC 4884 / 4950 extensions. */
static void
test_extensions(void)
{
	for (size_t i = 0; pkt_methods[i] != NULL; i++) {
		for (size_t j = 0; j < 2; j++) {
			int v4 = fams[j] == AF_INET;
			struct probe pr;
			struct err e = { .family = fams[j] };
			struct pkt_reply r;
			uint8_t buf[MAXPKT], ext[64];
			size_t n;

			mkprobe(&pr, pkt_methods[i], fams[j], 1, 0);
			e.type = v4 ? 11 : 3;
			e.quote = pr.b;
			e.qlen = pr.n;
			e.qpad = 128;
			e.ext = ext;

			/* RFC 4884: the length field says where it starts */
			e.elen = mk_ext(ext, 1, 1);
			e.w[v4 ? 1 : 0] = v4 ? 128 / 4 : 128 / 8;
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_EQ_INT(r.kind, PKT_KIND_ICMP_ERR);
			T_CHECK(key_of(&r, &pr));
			T_CHECK(check_of(&r, &pr));
			T_EQ_INT(r.next, 2);
			ext_check_mpls(&r);
			T_EQ_INT(r.ext[1].cn, 2);
			T_EQ_INT(r.ext[1].ct, 0x0c);
			T_EQ_INT(r.ext[1].dl, 4);
			T_EQ_INT(r.ext[1].nmpls, 0);

			/* a longer original datagram (v4 lengths are words) */
			if (v4) {
				e.qpad = 140;
				e.w[1] = 140 / 4;
				n = icmp_err(&e, &pr, buf);
				T_EQ_INT(parse(buf, n, 0, &r), 0);
				T_EQ_INT(r.next, 2);
				ext_check_mpls(&r);
				e.qpad = 128;
			}

			/* a length longer than the message: no extension */
			e.w[v4 ? 1 : 0] = v4 ? 200 : 100;
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_CHECK(key_of(&r, &pr));
			T_EQ_INT(r.next, 0);

			/* the pre-RFC 4884 form: no length, structure at 128 */
			e.w[0] = e.w[1] = 0;
			e.elen = mk_ext(ext, 1, 0);
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_CHECK(key_of(&r, &pr));
			T_EQ_INT(r.next, 1);
			ext_check_mpls(&r);
			/* ...believed with a zero checksum */
			ext[2] = ext[3] = 0;
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_EQ_INT(r.next, 1);
			/* ...not with a bad one, nor another version */
			e.elen = mk_ext(ext, 0, 0);
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_CHECK(key_of(&r, &pr));
			T_EQ_INT(r.next, 0);
			e.elen = mk_ext(ext, 1, 0);
			ext[0] = 0x10;
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_EQ_INT(r.next, 0);

			/* bad object lengths: the reply parses, no extension */
			e.w[v4 ? 1 : 0] = v4 ? 128 / 4 : 128 / 8;
			e.elen = mk_ext(ext, 1, 0);
			wr16(ext + 4, 2);
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_CHECK(key_of(&r, &pr));
			T_EQ_INT(r.next, 0);
			e.elen = mk_ext(ext, 1, 0);
			wr16(ext + 4, 40);
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_EQ_INT(r.next, 0);
			/* a bad second object keeps the first */
			e.elen = mk_ext(ext, 1, 1);
			wr16(ext + 16, 0);
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_EQ_INT(r.next, 1);
			ext_check_mpls(&r);
		}
	}
	/* more objects and labels than kept */
	{
		struct probe pr;
		struct err e = { .family = AF_INET, .type = 11 };
		struct pkt_reply r;
		uint8_t buf[MAXPKT], ext[512];
		size_t n = 4;

		mkprobe(&pr, &pkt_udp_paris, AF_INET, 1, 0);
		memset(ext, 0, sizeof(ext));
		ext[0] = 0x20;
		for (int k = 0; k < PKT_MAX_EXT + 2; k++) {
			wr16(ext + n, 4 + 4 * (PKT_MAX_MPLS + 2));
			ext[n + 2] = 1;
			ext[n + 3] = 1;
			for (int l = 0; l < PKT_MAX_MPLS + 2; l++)
				wr32(ext + n + 4 + 4 * l,
				    (uint32_t)(100 * k + l) << 12 | 64);
			n += 4 + 4 * (PKT_MAX_MPLS + 2);
		}
		wr16(ext + 2, cksum(ext, n, 0));
		e.quote = pr.b;
		e.qlen = pr.n;
		e.qpad = 128;
		e.ext = ext;
		e.elen = n;
		e.w[1] = 32;
		n = icmp_err(&e, &pr, buf);
		T_EQ_INT(parse(buf, n, 0, &r), 0);
		T_EQ_INT(r.next, PKT_MAX_EXT);
		T_EQ_INT(r.ext[PKT_MAX_EXT - 1].nmpls, PKT_MAX_MPLS);
		T_EQ_INT(r.ext[PKT_MAX_EXT - 1].dl, 4 * (PKT_MAX_MPLS + 2));
		T_EQ_INT(r.ext[PKT_MAX_EXT - 1].mpls[PKT_MAX_MPLS - 1].label,
		    100 * (PKT_MAX_EXT - 1) + PKT_MAX_MPLS - 1);
		T_EQ_INT(r.ext[1].mpls[0].ttl, 64);
	}
}

/*
 * Every prefix of valid packets parses to the full packet's answer or fails;
 * none reads past its end (the buffer is exactly that long).
 */
static void
prefixes(const uint8_t *b, size_t n, size_t need)
{
	struct pkt_reply full, r;
	int bad = 0;

	T_EQ_INT(parse(b, n, 0, &full), 0);
	for (size_t k = 0; k < n; k++) {
		int rc = parse(b, k, 0, &r);

		/* A cut quote may hold part of the MAC: a prefix of it. */
		if (rc == 0 &&
		    (k < need || r.kind != full.kind ||
		        memcmp(&r.key, &full.key, sizeof(r.key)) != 0 ||
		        r.check.has_ipid != full.check.has_ipid ||
		        r.check.ipid != full.check.ipid ||
		        r.check.has_seq32 != full.check.has_seq32 ||
		        r.check.seq32 != full.check.seq32 ||
		        r.check.mac_len > full.check.mac_len ||
		        memcmp(r.check.mac, full.check.mac,
		            r.check.mac_len) != 0))
			bad++;
		if (rc == -1 && (k >= need || r.kind != PKT_KIND_NONE))
			bad++;
	}
	T_EQ_INT(bad, 0);
}

static void
test_prefixes(void)
{
	struct probe pr;
	struct err e = { 0 };
	uint8_t buf[MAXPKT], q[MAXPKT], ext[64];
	size_t n, qn;

	mkprobe(&pr, &pkt_udp_paris, AF_INET, 1, 0);
	e = (struct err){ .family = AF_INET,
		.type = 11,
		.quote = pr.b,
		.qlen = pr.n };
	n = icmp_err(&e, &pr, buf);
	/* a prefix whose quote holds 8 transport bytes still parses */
	prefixes(buf, n, 20 + 8 + 28);

	e.qpad = 128;
	e.ext = ext;
	e.elen = mk_ext(ext, 1, 1);
	e.w[1] = 32;
	n = icmp_err(&e, &pr, buf);
	prefixes(buf, n, 20 + 8 + 28);
	e.w[1] = 0;
	n = icmp_err(&e, &pr, buf);
	prefixes(buf, n, 20 + 8 + 28);

	mkprobe(&pr, &pkt_tcp_paris, AF_INET, 1, 0);
	memcpy(q, pr.b, pr.n);
	qn = ip4_add_opts(q, pr.n, (const uint8_t *)"\x01\x01\x01\x00", 4);
	e = (struct err){ .family = AF_INET,
		.type = 3,
		.code = 13,
		.quote = q,
		.qlen = qn };
	n = icmp_err(&e, &pr, buf);
	n = ip4_add_opts(buf, n, (const uint8_t *)"\x01\x01\x01\x00", 4);
	prefixes(buf, n, 24 + 8 + 24 + 8);

	mkprobe(&pr, &pkt_tcp_ack_paris, AF_INET6, 1, 0);
	memcpy(q, pr.b, pr.n);
	qn = ip6_add_ext(q, pr.n, IPPROTO_HOPOPTS, 8, 0);
	qn = ip6_add_ext(q, qn, IPPROTO_FRAGMENT, 8, 0);
	e = (struct err){ .family = AF_INET6,
		.type = 3,
		.quote = q,
		.qlen = qn,
		.qpad = 128,
		.ext = ext,
		.elen = mk_ext(ext, 1, 1) };
	e.w[0] = 16;
	n = icmp_err(&e, &pr, buf);
	n = ip6_add_ext(buf, n, IPPROTO_HOPOPTS, 8, 0);
	prefixes(buf, n, 48 + 8 + 56 + 8);

	mkprobe(&pr, &pkt_icmp_paris, AF_INET6, 1, 0);
	n = echo_reply(&pr, buf);
	prefixes(buf, n, 48);
	e = (struct err){ .family = AF_INET6,
		.type = 1,
		.code = 4,
		.quote = pr.b,
		.qlen = pr.n };
	n = icmp_err(&e, &pr, buf);
	prefixes(buf, n, 48 + 48);

	mkprobe(&pr, &pkt_tcp_paris, AF_INET, 1, 0);
	n = tcp_reply(&pr, TH_SYN | TH_ACK, 77, pr.id.seq32 + 1, buf);
	prefixes(buf, n, 40);
}

/*
 * The MAC bytes a reply holds: all of them in full quotes, echo replies and
 * errors quoting a TCP probe with payload room; as many as a cut quote
 * reaches; none in an RFC 792 quote or from a TCP probe without payload.
 */
static void
test_mac(void)
{
	static const struct {
		const struct pkt_method *m;
		uint16_t size4, size6;
	} tab[] = {
		{ &pkt_icmp_paris, 0, 0 },
		{ &pkt_udp_paris, 0, 0 },
		{ &pkt_udp_paris, 38, 58 },	/* the MAC ends the probe */
		{ &pkt_tcp_paris, 0, 0 },
		{ &pkt_tcp_paris, 48, 68 },	/* just room for it */
		{ &pkt_tcp_paris, 47, 67 },	/* a byte short: none */
		{ &pkt_tcp_ack_paris, 300, 300 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		for (size_t j = 0; j < 2; j++) {
			int v4 = fams[j] == AF_INET;
			size_t hl = v4 ? 20 : 40;
			struct probe pr;
			struct err e = { .family = fams[j] };
			struct pkt_reply r;
			uint8_t buf[MAXPKT];
			size_t n, off, cut;

			mkprobe(&pr, tab[i].m, fams[j], 4,
			    v4 ? tab[i].size4 : tab[i].size6);
			off = hl + pkt_mac_off(pr.flow.proto);
			T_EQ_INT(pkt_flow_has_mac(&pr.flow),
			    pr.n >= off + PKT_MAC_LEN);
			e.type = v4 ? 11 : 3;
			e.quote = pr.b;
			/* Every quote length from 8 transport bytes to the
			 * whole probe. */
			for (cut = hl + 8; cut <= pr.n; cut++) {
				size_t want = cut <= off ? 0 :
				    cut - off < PKT_MAC_LEN ? cut - off :
				                              PKT_MAC_LEN;

				e.qlen = cut;
				n = icmp_err(&e, &pr, buf);
				if (parse(buf, n, 0, &r) != 0 ||
				    r.check.mac_len != want ||
				    memcmp(r.check.mac, pr.b + off, want) !=
				        0) {
					fprintf(stderr, "  %s v%d size %zu cut "
					    "%zu: mac_len %u, want %zu\n",
					    tab[i].m->name, v4 ? 4 : 6, pr.n,
					    cut, r.check.mac_len, want);
					T_CHECK(0);
					break;
				}
			}
			/* the whole quote, and the probe leaving */
			e.qlen = pr.n;
			n = icmp_err(&e, &pr, buf);
			T_EQ_INT(parse(buf, n, 0, &r), 0);
			T_CHECK(mac_of(&r, &pr));
			T_EQ_INT(parse(pr.b, pr.n, 1, &r), 0);
			T_CHECK(mac_of(&r, &pr));
		}
	}
}

/* Packets that are not answers to probes. */
static void
test_foreign(void)
{
	struct probe pr, pr2;
	struct err e;
	struct pkt_reply r;
	uint8_t buf[MAXPKT], q[MAXPKT];
	size_t n;

	/* incoming UDP, outgoing or incoming echo reply */
	mkprobe(&pr, &pkt_udp_paris, AF_INET, 5, 0);
	T_EQ_INT(parse(pr.b, pr.n, 0, &r), -1);
	mkprobe(&pr, &pkt_icmp_paris, AF_INET6, 5, 0);
	n = echo_reply(&pr, buf);
	T_EQ_INT(parse(buf, n, 1, &r), -1);

	/* an error quoting an echo reply (or a v6 one in a v4 error) */
	mkprobe(&pr, &pkt_icmp_paris, AF_INET, 5, 0);
	n = echo_reply(&pr, q);
	e = (struct err){ .family = AF_INET,
		.type = 11,
		.quote = q,
		.qlen = n };
	n = icmp_err(&e, &pr, buf);
	T_EQ_INT(parse(buf, n, 0, &r), -1);
	T_EQ_INT(r.kind, PKT_KIND_NONE);
	mkprobe(&pr2, &pkt_udp_paris, AF_INET6, 5, 0);
	e.quote = pr2.b;
	e.qlen = pr2.n;
	n = icmp_err(&e, &pr, buf);
	T_EQ_INT(parse(buf, n, 0, &r), -1);
	e.family = AF_INET6;
	e.type = 3;
	e.quote = pr.b;
	e.qlen = pr.n;
	n = icmp_err(&e, &pr2, buf);
	T_EQ_INT(parse(buf, n, 0, &r), -1);

	/* an error quoting GRE; an ICMPv4 message inside IPv6 */
	mkprobe(&pr, &pkt_udp_paris, AF_INET, 5, 0);
	memcpy(q, pr.b, pr.n);
	q[9] = 47;
	e = (struct err){ .family = AF_INET,
		.type = 11,
		.quote = q,
		.qlen = pr.n };
	n = icmp_err(&e, &pr, buf);
	T_EQ_INT(parse(buf, n, 0, &r), -1);
	mkprobe(&pr, &pkt_icmp_paris, AF_INET6, 5, 0);
	memcpy(q, pr.b, pr.n);
	q[6] = IPPROTO_ICMP;
	q[40] = 8;
	T_EQ_INT(parse(q, pr.n, 1, &r), -1);

	/* redirects, neighbour discovery, echo requests are not answers */
	mkprobe(&pr, &pkt_udp_paris, AF_INET, 5, 0);
	e = (struct err){ .family = AF_INET,
		.type = 5,
		.quote = pr.b,
		.qlen = pr.n };
	n = icmp_err(&e, &pr, buf);
	T_EQ_INT(parse(buf, n, 0, &r), -1);
	mkprobe(&pr, &pkt_udp_paris, AF_INET6, 5, 0);
	e = (struct err){ .family = AF_INET6,
		.type = 135,
		.quote = pr.b,
		.qlen = pr.n };
	n = icmp_err(&e, &pr, buf);
	T_EQ_INT(parse(buf, n, 0, &r), -1);
	mkprobe(&pr, &pkt_icmp_paris, AF_INET, 5, 0);
	T_EQ_INT(parse(pr.b, pr.n, 0, &r), -1);

	/* a non-first IPv4 fragment */
	mkprobe(&pr, &pkt_udp_paris, AF_INET, 5, 0);
	wr16(pr.b + 6, 0x0003);
	ip4_fix(pr.b);
	T_EQ_INT(parse(pr.b, pr.n, 1, &r), -1);

	/* garbage */
	memset(buf, 0xff, 100);
	T_EQ_INT(parse(buf, 100, 0, &r), -1);
	T_EQ_INT(parse(buf, 100, 1, &r), -1);
	memset(buf, 0, 100);
	T_EQ_INT(parse(buf, 100, 0, &r), -1);
	buf[0] = 0x45;
	T_EQ_INT(parse(buf, 100, 0, &r), -1); /* total length 0 */
	buf[0] = 0x60;
	T_EQ_INT(parse(buf, 100, 0, &r), -1); /* next header 0, then 0... */
	T_EQ_INT(parse(buf, 0, 0, &r), -1);
	T_EQ_INT(pkt_parse(NULL, 0, 0, &r), -1);
}

int
main(void)
{
	char errbuf[LIBNET_ERRBUF_SIZE];

	if ((lb = libnet_init(LIBNET_NONE, NULL, errbuf)) == NULL) {
		fprintf(stderr, "libnet_init: %s\n", errbuf);
		return 1;
	}
	test_time_exceeded();
	test_classes();
	test_echo_reply();
	test_tcp();
	test_ip4_options();
	test_ip6_ext();
	test_extensions();
	test_prefixes();
	test_mac();
	test_foreign();
	libnet_destroy(lb);
	return T_DONE();
}
