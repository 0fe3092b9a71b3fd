/*
 * pkt_parse: our probes seen leaving, and the replies that answer them
 * (ICMP errors quoting a probe, echo replies, TCP from the destination).
 *
 * Every read is checked against the bytes captured; a packet is taken to
 * end at the smaller of the capture and its IP length (link padding).
 */
#include <sys/socket.h>
#include <string.h>

#include "probe/pkt.h"

#define IP6_MAX_EXTHDRS 8  /* extension headers skipped before giving up */
#define EXT_OLD_OFFSET 128 /* pre-RFC 4884 extensions follow 128 bytes */

/* ICMP types (v4, v6) */
#define ICMP4_ECHOREPLY 0
#define ICMP4_UNREACH 3
#define ICMP4_SOURCEQUENCH 4
#define ICMP4_ECHO 8
#define ICMP4_TIMXCEED 11
#define ICMP4_PARAMPROB 12
#define ICMP6_UNREACH 1
#define ICMP6_TOOBIG 2
#define ICMP6_TIMXCEED 3
#define ICMP6_PARAMPROB 4
#define ICMP6_ECHO 128
#define ICMP6_ECHOREPLY 129

#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

/* One IP header and where its payload lies. */
struct ip_info {
	int family;
	struct addr_ip src, dst;
	uint8_t ttl, tos, proto;
	uint16_t ipid;
	uint16_t size;     /* total length as the header says */
	const uint8_t *l4; /* transport header */
	size_t l4len;      /* bytes of it available */
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int
ip4_parse(const uint8_t *p, size_t len, int outer, struct ip_info *ii)
{
	size_t hl;

	if (len < 20 || p[0] >> 4 != 4)
		return -1;
	hl = (size_t)(p[0] & 0x0f) * 4;
	ii->size = be16(p + 2);
	/*
	 * An outer packet ends at its IP length; a quote ends where the quote
	 * does (routers have been known to mangle the quoted length).
	 */
	if (outer && ii->size < len)
		len = ii->size;
	if (hl < 20 || hl > len)
		return -1;
	/* Only a first fragment holds a transport header. */
	if ((be16(p + 6) & 0x1fff) != 0)
		return -1;
	ii->family = AF_INET;
	ii->tos = p[1];
	ii->ipid = be16(p + 4);
	ii->ttl = p[8];
	ii->proto = p[9];
	addr_from_v4(&ii->src, p + 12);
	addr_from_v4(&ii->dst, p + 16);
	ii->l4 = p + hl;
	ii->l4len = len - hl;
	return 0;
}

static int
ip6_parse(const uint8_t *p, size_t len, int outer, struct ip_info *ii)
{
	size_t off = 40;
	uint8_t nh;
	int i;

	if (len < 40 || p[0] >> 4 != 6)
		return -1;
	ii->size = (uint16_t)(be16(p + 4) + 40);
	if (outer && (size_t)be16(p + 4) + 40 < len)
		len = (size_t)be16(p + 4) + 40;
	ii->family = AF_INET6;
	ii->tos = (uint8_t)((p[0] & 0x0f) << 4 | p[1] >> 4);
	ii->ipid = 0;
	ii->ttl = p[7];
	addr_from_v6(&ii->src, p + 8);
	addr_from_v6(&ii->dst, p + 24);
	nh = p[6];
	for (i = 0; i <= IP6_MAX_EXTHDRS; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (i == IP6_MAX_EXTHDRS || len - off < 2)
				return -1;
			nh = p[off];
			if (len - off < ((size_t)p[off + 1] + 1) * 8)
				return -1;
			off += ((size_t)p[off + 1] + 1) * 8;
			continue;
		case IPPROTO_FRAGMENT:
			if (i == IP6_MAX_EXTHDRS || len - off < 8)
				return -1;
			if ((be16(p + off + 2) & 0xfff8) != 0)
				return -1;
			nh = p[off];
			off += 8;
			continue;
		default:
			break;
		}
		break;
	}
	ii->proto = nh;
	ii->l4 = p + off;
	ii->l4len = len - off;
	return 0;
}

static int
ip_parse(const uint8_t *p, size_t len, int outer, struct ip_info *ii)
{
	memset(ii, 0, sizeof(*ii));
	if (len < 1)
		return -1;
	switch (p[0] >> 4) {
	case 4:
		return ip4_parse(p, len, outer, ii);
	case 6:
		return ip6_parse(p, len, outer, ii);
	default:
		return -1;
	}
}

static uint8_t
icmp_proto(int family)
{
	return family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

/*
 * The MAC bytes found where a probe of protocol proto carries them, in the
 * `len` transport bytes at t: all, some or none (a short quote).  Whether
 * the probe has a MAC at all is the engine's to know.
 */
static void
mac_take(const uint8_t *t, size_t len, uint8_t proto, struct pkt_check *ck)
{
	size_t off = pkt_mac_off(proto), n;

	if (len <= off)
		return;
	n = len - off < PKT_MAC_LEN ? len - off : PKT_MAC_LEN;
	memcpy(ck->mac, t + off, n);
	ck->mac_len = (uint8_t)n;
}

/* Key and check of a probe from its IP header and transport bytes. */
static int
probe_key(const struct ip_info *ii, struct pkt_reply *r)
{
	const uint8_t *t = ii->l4;

	/* v4 routers may quote only 8 transport bytes: enough to find the
	 * probe; the engine decides what such a quote proves. */
	if (ii->l4len < 8)
		return -1;
	r->key.dst = ii->dst;
	r->key.proto = ii->proto;
	if (ii->family == AF_INET) {
		r->check.has_ipid = 1;
		r->check.ipid = ii->ipid;
	}
	switch (ii->proto) {
	case IPPROTO_UDP:
		r->key.sport = be16(t);
		r->key.dport = be16(t + 2);
		r->key.tag = be16(t + 6);
		break;
	case IPPROTO_TCP:
		r->key.sport = be16(t);
		r->key.dport = be16(t + 2);
		r->check.has_seq32 = 1;
		r->check.seq32 = be32(t + 4);
		r->key.tag = r->check.seq32 & 0xffff;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (ii->proto != icmp_proto(ii->family) ||
		    t[0] != (ii->family == AF_INET ? ICMP4_ECHO : ICMP6_ECHO))
			return -1;
		r->key.sport = be16(t + 4);
		r->key.dport = 0;
		r->key.tag = be16(t + 6);
		break;
	default:
		return -1;
	}
	mac_take(t, ii->l4len, ii->proto, &r->check);
	return 0;
}

static void
ext_objects(const uint8_t *p, size_t len, struct pkt_reply *r)
{
	while (len >= 4 && r->next < PKT_MAX_EXT) {
		size_t olen = be16(p);
		struct pkt_ext *e;

		if (olen < 4 || olen > len)
			return; /* keep the objects before it */
		e = &r->ext[r->next++];
		e->cn = p[2];
		e->ct = p[3];
		e->dl = (uint16_t)(olen - 4);
		if (e->cn == 1 && e->ct == 1) {
			for (size_t o = 4;
			     o + 4 <= olen && e->nmpls < PKT_MAX_MPLS; o += 4) {
				uint32_t v = be32(p + o);
				struct pkt_mpls *m = &e->mpls[e->nmpls++];

				m->label = v >> 12;
				m->exp = (v >> 9) & 7;
				m->s = (v >> 8) & 1;
				m->ttl = v & 0xff;
			}
		}
		p += olen;
		len -= olen;
	}
}

/*
 * RFC 4884 / 4950: find the extension structure of an ICMP error whose
 * payload (after the 8-byte ICMP header) is `data`/`len`, parse it into r,
 * and return how many leading bytes are the original datagram.
 */
static size_t
icmp_ext(const uint8_t *icmp, const uint8_t *data, size_t len, int family,
    struct pkt_reply *r)
{
	size_t orig, elen;
	const uint8_t *e;

	orig = family == AF_INET ? (size_t)icmp[5] * 4 : (size_t)icmp[4] * 8;
	if (orig != 0) {
		if (orig > len)
			return len; /* lies, or a short capture */
		e = data + orig;
		elen = len - orig;
		if (elen < 4 || e[0] >> 4 != 2)
			return orig;
	} else {
		/*
		 * Older MPLS routers append the extension after 128 bytes of
		 * quote without setting the length: only a structure with a
		 * valid checksum is believed.
		 */
		if (len <= EXT_OLD_OFFSET + 4)
			return len;
		e = data + EXT_OLD_OFFSET;
		elen = len - EXT_OLD_OFFSET;
		if (e[0] >> 4 != 2 ||
		    (be16(e + 2) != 0 && pkt_fold(pkt_sum(e, elen, 0)) != 0))
			return len;
		orig = EXT_OLD_OFFSET;
	}
	ext_objects(e + 4, elen - 4, r);
	return orig;
}

/* The class of an ICMP error. */
static enum pkt_icmp_class
icmp_class(int family, uint8_t type, uint8_t code)
{
	if (family == AF_INET) {
		switch (type) {
		case ICMP4_TIMXCEED:
			return code == 0 ? PKT_IC_TTL_EXPIRED : PKT_IC_OTHER;
		case ICMP4_UNREACH:
			return code == 3 ? PKT_IC_PORT_UNREACH : PKT_IC_UNREACH;
		default:
			return PKT_IC_OTHER;
		}
	}
	switch (type) {
	case ICMP6_TIMXCEED:
		return code == 0 ? PKT_IC_TTL_EXPIRED : PKT_IC_OTHER;
	case ICMP6_UNREACH:
		return code == 4 ? PKT_IC_PORT_UNREACH : PKT_IC_UNREACH;
	default:
		return PKT_IC_OTHER;
	}
}

static int
icmp_reply(const struct ip_info *ii, struct pkt_reply *r)
{
	const uint8_t *icmp = ii->l4;
	struct ip_info q;
	size_t qlen;
	int v4 = ii->family == AF_INET, rfc4884;

	if (ii->l4len < 8)
		return -1;
	r->icmp_type = icmp[0];
	r->icmp_code = icmp[1];
	if (icmp[0] == (v4 ? ICMP4_ECHOREPLY : ICMP6_ECHOREPLY)) {
		r->kind = PKT_KIND_ECHO_REPLY;
		r->icmp_class = PKT_IC_ECHO_REPLY;
		r->key.dst = ii->src;
		r->key.proto = ii->proto;
		r->key.sport = be16(icmp + 4);
		r->key.dport = 0;
		r->key.tag = be16(icmp + 6);
		/* The echo returns the request's data, MAC included. */
		mac_take(icmp, ii->l4len, ii->proto, &r->check);
		return 0;
	}
	/*
	 * Errors.  Only some have an RFC 4884 length field; the others use
	 * bytes 4-7 for an MTU or a pointer, or leave them unused.
	 */
	if (v4) {
		switch (icmp[0]) {
		case ICMP4_SOURCEQUENCH:
			rfc4884 = 0;
			break;
		case ICMP4_UNREACH:
		case ICMP4_TIMXCEED:
		case ICMP4_PARAMPROB:
			rfc4884 = 1;
			break;
		default:
			return -1;
		}
	} else {
		switch (icmp[0]) {
		case ICMP6_TOOBIG:
		case ICMP6_PARAMPROB:
			rfc4884 = 0;
			break;
		case ICMP6_UNREACH:
		case ICMP6_TIMXCEED:
			rfc4884 = 1;
			break;
		default:
			return -1;
		}
	}
	qlen = ii->l4len - 8;
	if (rfc4884)
		qlen = icmp_ext(icmp, icmp + 8, qlen, ii->family, r);
	if (ip_parse(icmp + 8, qlen, 0, &q) == -1 || q.family != ii->family ||
	    probe_key(&q, r) == -1)
		return -1;
	r->kind = PKT_KIND_ICMP_ERR;
	r->icmp_class = icmp_class(ii->family, icmp[0], icmp[1]);
	r->has_quote = 1;
	r->q_ttl = q.ttl;
	r->q_tos = q.tos;
	r->q_ipl = q.size;
	return 0;
}

static int
tcp_reply(const struct ip_info *ii, struct pkt_reply *r)
{
	const uint8_t *t = ii->l4;
	uint8_t flags;

	if (ii->l4len < 20 || t[12] >> 4 < 5)
		return -1;
	/*
	 * Answers are SYN-ACK or RST-ACK to a SYN (ack = our seq + 1) and a
	 * bare RST to an ACK (seq = our ack); nothing else answers a probe.
	 */
	flags = t[13];
	if ((flags & TCPF_ACK) != 0 && (flags & (TCPF_SYN | TCPF_RST)) != 0)
		r->check.seq32 = be32(t + 8) - 1;
	else if ((flags & (TCPF_RST | TCPF_ACK)) == TCPF_RST)
		r->check.seq32 = be32(t + 4);
	else
		return -1;
	r->kind = PKT_KIND_TCP;
	r->tcp_flags = flags;
	r->check.has_seq32 = 1;
	r->key.dst = ii->src;
	r->key.proto = IPPROTO_TCP;
	r->key.sport = be16(t + 2);
	r->key.dport = be16(t);
	r->key.tag = r->check.seq32 & 0xffff;
	return 0;
}

int
pkt_parse(const uint8_t *ip, size_t len, int outgoing, struct pkt_reply *r)
{
	struct ip_info ii;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (ip == NULL || ip_parse(ip, len, 1, &ii) == -1)
		goto done;
	r->src = ii.src;
	r->dst = ii.dst;
	r->ttl = ii.ttl;
	r->tos = ii.tos;
	r->ipid = ii.ipid;
	r->size = ii.size;

	if (outgoing) {
		if (probe_key(&ii, r) == -1)
			goto done;
		if (ii.proto == icmp_proto(ii.family)) {
			r->icmp_type = ii.l4[0];
			r->icmp_code = ii.l4[1];
		} else if (ii.proto == IPPROTO_TCP) {
			if (ii.l4len < 20)
				goto done;
			r->tcp_flags = ii.l4[13];
		}
		r->kind = PKT_KIND_PROBE;
		rc = 0;
	} else if (ii.proto == icmp_proto(ii.family))
		rc = icmp_reply(&ii, r);
	else if (ii.proto == IPPROTO_TCP)
		rc = tcp_reply(&ii, r);
done:
	if (rc == -1)
		memset(r, 0, sizeof(*r));
	return rc;
}
