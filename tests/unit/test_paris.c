/*
 * test_paris: the Paris property.  For every method and family, the fields a
 * load balancer may hash, read back from the built bytes, stay the same for
 * every probe of a flow (any TTL, any attempt, any MAC) and differ between
 * flows; the probe's identity, payload MAC included, round-trips through
 * pkt_parse into the right key and check; every checksum is valid.  At the
 * default size and at a larger one (where TCP probes carry the MAC too).
 */
#include <sys/socket.h>
#include <stdint.h>

#include "t.h"
#include "probe/pkt.h"

#define NFLOWS 64
#define MAXTTL 32
#define ATTEMPTS 3

/* What a balancer may hash, as read from the wire. */
struct hashed {
	uint8_t addrs[32];
	uint8_t proto;
	uint16_t sport, dport; /* ICMP: echo id, 0 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_sum;
	uint32_t flowlabel;
	uint8_t tclass;
	uint16_t iplen;
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

/* Ones' complement sum check, independent of src/. */
static int
sum_ok(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		s += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* Read the hashed fields and validate the checksums; 0 or -1. */
static int
extract(const uint8_t *p, size_t n, struct hashed *h)
{
	const uint8_t *t;
	uint32_t ps = 0;
	size_t hl;

	memset(h, 0, sizeof(*h));
	if (p[0] >> 4 == 4) {
		hl = 20;
		if ((p[0] & 0xf) != 5 || !sum_ok(p, 20, 0))
			return -1;
		memcpy(h->addrs, p + 12, 8);
		h->proto = p[9];
		h->tclass = p[1];
		h->iplen = rd16(p + 2);
		if ((rd16(p + 6) & 0x4000) != 0) /* no DF */
			return -1;
		if (h->proto != IPPROTO_ICMP)
			for (size_t i = 12; i < 20; i++)
				ps += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	} else {
		hl = 40;
		memcpy(h->addrs, p + 8, 32);
		h->proto = p[6];
		h->tclass = (uint8_t)(rd16(p) >> 4);
		h->flowlabel = rd32(p) & 0xfffff;
		h->iplen = (uint16_t)(rd16(p + 4) + 40);
		for (size_t i = 8; i < 40; i++)
			ps += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	}
	if (h->iplen != n)
		return -1;
	if (h->proto != IPPROTO_ICMP)
		ps += h->proto + (uint32_t)(n - hl);
	if (!sum_ok(p + hl, n - hl, ps))
		return -1;
	t = p + hl;
	switch (h->proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		h->icmp_type = t[0];
		h->icmp_code = t[1];
		h->icmp_sum = rd16(t + 2);
		h->sport = rd16(t + 4);
		break;
	default:
		h->sport = rd16(t);
		h->dport = rd16(t + 2);
		break;
	}
	return 0;
}

static void
params(struct pkt_flow_params *fp, int family)
{
	memset(fp, 0, sizeof(*fp));
	if (family == AF_INET) {
		addr_pton("192.0.2.1", &fp->src);
		addr_pton("203.0.113.77", &fp->dst);
	} else {
		addr_pton("2001:db8:ffff::1", &fp->src);
		addr_pton("2001:db8:77::77", &fp->dst);
	}
	fp->tos = 0x28;
}

/* The identity of a probe: different for every (flow, ttl, attempt). */
static void
ident(const struct pkt_method *m, uint32_t flowid, int ttl, int attempt,
    struct pkt_ident *id)
{
	uint32_t n = (flowid * MAXTTL + (uint32_t)ttl - 1) * ATTEMPTS +
	    (uint32_t)attempt;

	memset(id, 0, sizeof(*id));
	id->ttl = (uint8_t)ttl;
	id->tag = (uint16_t)(n * 7919 + 1); /* spread, never 0 here */
	if (!m->tag_ok(id->tag))
		id->tag ^= 0x8000;
	id->ipid = (uint16_t)(n + 1);
	id->seq32 = (n * 2654435761u & 0xffff0000) | id->tag;
	/* Every probe its own MAC, no byte of it constant. */
	for (int i = 0; i < PKT_MAC_LEN; i++)
		id->mac[i] = (uint8_t)((n + 1) * (2u * (unsigned)i + 37) >> i);
}

/* The MAC where the flow's probes carry it, read from the wire. */
static int
mac_ok(const struct pkt_flow *f, const struct pkt_ident *id,
    const uint8_t *p, size_t n, const struct pkt_reply *r)
{
	size_t hl = f->dst.family == AF_INET ? 20 : 40;
	size_t off = hl + (f->proto == IPPROTO_TCP ? 20 : 10);

	if (off + PKT_MAC_LEN > n) {
		/* Only TCP probes may lack the room (ICMP and UDP: min size);
		 * then their payload is zeros. */
		for (size_t i = hl + 20; i < n; i++)
			if (p[i] != 0)
				return 0;
		return f->proto == IPPROTO_TCP && !pkt_flow_has_mac(f) &&
		    r->check.mac_len == n - off;
	}
	return pkt_flow_has_mac(f) &&
	    memcmp(p + off, id->mac, PKT_MAC_LEN) == 0 &&
	    r->check.mac_len == PKT_MAC_LEN &&
	    memcmp(r->check.mac, id->mac, PKT_MAC_LEN) == 0;
}

static void
test_method(libnet_t *lb, const struct pkt_method *m, int family,
    uint16_t size)
{
	static struct hashed flows[NFLOWS];
	struct pkt_flow_params fp;
	int bad_build = 0, bad_hash = 0, bad_key = 0, bad_check = 0;
	int bad_mac = 0, same = 0;

	params(&fp, family);
	fp.size = size;
	for (uint32_t fid = 0; fid < NFLOWS; fid++) {
		struct pkt_flow f;

		if (m->flow(&fp, fid, &f) != 0) {
			bad_build++;
			continue;
		}
		for (int ttl = 1; ttl <= MAXTTL; ttl++) {
			for (int a = 1; a <= ATTEMPTS; a++) {
				struct pkt_ident id;
				struct pkt_reply r;
				struct hashed h;
				uint8_t buf[300];
				int n;

				ident(m, fid, ttl, a, &id);
				n = m->build(lb, &f, &id, buf, sizeof(buf));
				if (n != f.size ||
				    extract(buf, (size_t)n, &h) != 0) {
					bad_build++;
					continue;
				}
				if (ttl == 1 && a == 1)
					flows[fid] = h;
				else if (memcmp(&h, &flows[fid], sizeof(h)) !=
				    0)
					bad_hash++;

				if (pkt_parse(buf, (size_t)n, 1, &r) != 0 ||
				    r.kind != PKT_KIND_PROBE ||
				    !addr_eq(&r.key.dst, &f.dst) ||
				    !addr_eq(&r.src, &f.src) ||
				    r.key.proto != f.proto ||
				    r.key.sport != f.sport ||
				    r.key.dport != f.dport ||
				    r.key.tag != id.tag || r.ttl != ttl ||
				    r.size != f.size || r.tos != f.tos) {
					bad_key++;
					continue;
				}
				if (family == AF_INET ? !r.check.has_ipid ||
				            r.check.ipid != id.ipid :
				                        r.check.has_ipid)
					bad_check++;
				if (m->proto == IPPROTO_TCP ?
				        !r.check.has_seq32 ||
				            r.check.seq32 != id.seq32 ||
				            r.tcp_flags != m->tcp_flags :
				        r.check.has_seq32)
					bad_check++;
				if (!mac_ok(&f, &id, buf, (size_t)n, &r))
					bad_mac++;
			}
		}
	}
	T_EQ_INT(bad_build, 0);
	T_EQ_INT(bad_hash, 0);
	T_EQ_INT(bad_key, 0);
	T_EQ_INT(bad_check, 0);
	T_EQ_INT(bad_mac, 0);

	/* Flows differ: as a whole, and in each field meant to vary. */
	for (int i = 0; i < NFLOWS; i++)
		for (int j = i + 1; j < NFLOWS; j++) {
			if (memcmp(&flows[i], &flows[j], sizeof(flows[i])) ==
			        0 ||
			    flows[i].sport == flows[j].sport)
				same++;
			if (m->proto == IPPROTO_ICMP &&
			    flows[i].icmp_sum == flows[j].icmp_sum)
				same++;
			if (family == AF_INET6 &&
			    flows[i].flowlabel == flows[j].flowlabel)
				same++;
		}
	T_EQ_INT(same, 0);

	/* ...and hold what the flow says. */
	for (int i = 0; i < NFLOWS; i++) {
		T_EQ_INT(flows[i].tclass, 0x28);
		T_EQ_INT(flows[i].iplen,
		    size != 0 ? size : m->default_size(family));
		if (family == AF_INET6)
			T_CHECK(flows[i].flowlabel != 0);
		if (m->proto == IPPROTO_ICMP) {
			T_EQ_INT(flows[i].icmp_type,
			    family == AF_INET ? 8 : 128);
			T_EQ_INT(flows[i].icmp_code, 0);
			T_EQ_INT(flows[i].sport, 33000 + i);
		}
	}
}

/* The flow function alone: pure, and distinct over many more flows. */
static void
test_flow_values(void)
{
	static uint8_t seen_sum[65536];
	static uint8_t seen_fl[1 << 20];
	struct pkt_flow_params fp;
	struct pkt_flow f, g;
	int dup_sum = 0, dup_fl = 0, bad = 0;

	params(&fp, AF_INET6);
	for (uint32_t fid = 0; fid < 65534; fid++) {
		if (pkt_icmp_paris.flow(&fp, fid, &f) != 0 ||
		    pkt_icmp_paris.flow(&fp, fid, &g) != 0 ||
		    memcmp(&f, &g, sizeof(f)) != 0 || f.icmp_sum == 0 ||
		    f.icmp_sum == 0xffff || f.flowlabel == 0 ||
		    f.flowlabel > 0xfffff) {
			bad++;
			continue;
		}
		dup_sum += seen_sum[f.icmp_sum]++ != 0;
		dup_fl += seen_fl[f.flowlabel]++ != 0;
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(dup_sum, 0);
	T_EQ_INT(dup_fl, 0);

	/* Under IPv4 there is no flow label; other methods no ICMP sum. */
	params(&fp, AF_INET);
	T_EQ_INT(pkt_udp_paris.flow(&fp, 5, &f), 0);
	T_EQ_INT(f.flowlabel, 0);
	T_EQ_INT(f.icmp_sum, 0);
	params(&fp, AF_INET6);
	T_EQ_INT(pkt_tcp_paris.flow(&fp, 5, &f), 0);
	T_EQ_INT(f.icmp_sum, 0);
	T_CHECK(f.flowlabel != 0);
}

int
main(void)
{
	char errbuf[LIBNET_ERRBUF_SIZE];
	libnet_t *lb = libnet_init(LIBNET_NONE, NULL, errbuf);

	if (lb == NULL) {
		fprintf(stderr, "libnet_init: %s\n", errbuf);
		return 1;
	}
	for (size_t i = 0; pkt_methods[i] != NULL; i++) {
		test_method(lb, pkt_methods[i], AF_INET, 0);
		test_method(lb, pkt_methods[i], AF_INET6, 0);
		test_method(lb, pkt_methods[i], AF_INET, 133);
		test_method(lb, pkt_methods[i], AF_INET6, 133);
	}
	test_flow_values();
	libnet_destroy(lb);
	return T_DONE();
}
