/*
 * test_pkt_build: golden bytes for every method and family, checked with
 * checksum code of its own; size limits, defaults, tags, the registry.
 *
 * The goldens were computed independently of libnet and of src/ (a python3
 * script building the headers and summing them by hand).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdint.h>

#include "t.h"
#include "probe/pkt.h"

/*
 * icmp_sum 0xdaa8, flow label 0xdab2d.  ICMP and UDP probes carry the MAC
 * (4d41432139a5c3f0) after the compensation word; TCP probes carry it only
 * where the size leaves payload room (g_tcp4_52).
 */
static const char g_icmp4[] =
    "4500002cbeef0000070167bac6120001c61201020800daa880eb1234fc3e4d41"
    "432139a5c3f0000000000000";
static const char g_icmp6[] =
    "600dab2d00183a0720010db800000000000000000000000120010db800010000"
    "00000000000000028000daa880eb123428764d41432139a5c3f0000000000000";
static const char g_udp4[] =
    "4500002cbeef0000071167aac6120001c612010280eb829b00181234cee24d41"
    "432139a5c3f0000000000000";
static const char g_udp6[] =
    "600dab2d0018110720010db800000000000000000000000120010db800010000"
    "000000000000000280eb829b0018123400954d41432139a5c3f0000000000000";
static const char g_tcp4[] =
    "45000028beef0000070667b9c6120001c612010280eb0050dead123400000000"
    "5002ffffb09d0000";
static const char g_tcp6[] =
    "600dab2d0014060720010db800000000000000000000000120010db800010000"
    "000000000000000280eb0050dead1234000000005002ffffe24f0000";
static const char g_tcpack4[] =
    "45000028beef0000070667b9c6120001c612010280eb0050dead1234dead1234"
    "5010ffffbfad0000";
static const char g_tcpack6[] =
    "600dab2d0014060720010db800000000000000000000000120010db800010000"
    "000000000000000280eb0050dead1234dead12345010fffff15f0000";
static const char g_udp6_tos[] =
    "6b8dab2d003c110720010db800000000000000000000000120010db800010000"
    "000000000000000280eb829b003c1234004d4d41432139a5c3f0000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "00000000";
static const char g_tcp4_52[] =
    "45100034beef00000706679dc6120001c612010280eb0050dead123400000000"
    "5002ffff229900004d41432139a5c3f000000000";
static const char g_icmp4_min[] =
    "45000026beef0000070167c0c6120001c61201020800daa880eb1234fc3e4d41"
    "432139a5c3f0";
static const char g_icmp6_tos[] =
    "62edab2d00123a0720010db800000000000000000000000120010db800010000"
    "00000000000000028000daa880eb1234287c4d41432139a5c3f0";

/* Ones' complement sum of the 16-bit big-endian words, not folded. */
static uint32_t
ck_add(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		s += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	return s;
}

static int
ck_ok(uint32_t s)
{
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* Whether the IPv4 header and the transport checksum of a probe are valid. */
static int
probe_sums_ok(const uint8_t *p, size_t n)
{
	size_t hl;
	uint8_t proto;
	uint32_t s = 0;

	if (n < 1)
		return 0;
	if (p[0] >> 4 == 4) {
		hl = (p[0] & 0xf) * 4u;
		if (n < hl || !ck_ok(ck_add(p, hl, 0)))
			return 0;
		proto = p[9];
		if (proto != IPPROTO_ICMP) {
			s = ck_add(p + 12, 8, 0);
			s += proto + (uint32_t)(n - hl);
		}
	} else {
		hl = 40;
		proto = p[6];
		s = ck_add(p + 8, 32, 0) + proto + (uint32_t)(n - hl);
	}
	return ck_ok(ck_add(p + hl, n - hl, s));
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
params(struct pkt_flow_params *fp, int family)
{
	memset(fp, 0, sizeof(*fp));
	if (family == AF_INET) {
		addr_pton("198.18.0.1", &fp->src);
		addr_pton("198.18.1.2", &fp->dst);
	} else {
		addr_pton("2001:db8::1", &fp->src);
		addr_pton("2001:db8:1::2", &fp->dst);
	}
}

static const struct pkt_ident fixed_ident = {
	.ttl = 7,
	.tag = 0x1234,
	.ipid = 0xbeef,
	.seq32 = 0xdead1234,
	.mac = { 0x4d, 0x41, 0x43, 0x21, 0x39, 0xa5, 0xc3, 0xf0 },
};

/* Build method m under family with the fixed parameters; compare. */
static void
golden(libnet_t *lb, const struct pkt_method *m, int family, uint16_t size,
    uint8_t tos, const char *hex)
{
	struct pkt_flow_params fp;
	struct pkt_flow f;
	uint8_t want[1500], got[1500];
	int wn, n;

	params(&fp, family);
	fp.size = size;
	fp.tos = tos;
	wn = t_unhex(hex, want, sizeof(want));
	T_CHECK(wn > 0);
	T_EQ_INT(m->flow(&fp, 3, &f), 0);
	n = m->build(lb, &f, &fixed_ident, got, sizeof(got));
	T_EQ_INT(n, wn);
	if (n == wn && wn > 0) {
		T_EQ_MEM(got, want, (size_t)n);
		T_CHECK(probe_sums_ok(got, (size_t)n));
	}
	/* The golden itself passes the test's own checksum routine. */
	T_CHECK(wn > 0 && probe_sums_ok(want, (size_t)wn));
}

static void
test_goldens(libnet_t *lb)
{
	golden(lb, &pkt_icmp_paris, AF_INET, 0, 0, g_icmp4);
	golden(lb, &pkt_icmp_paris, AF_INET6, 0, 0, g_icmp6);
	golden(lb, &pkt_udp_paris, AF_INET, 0, 0, g_udp4);
	golden(lb, &pkt_udp_paris, AF_INET6, 0, 0, g_udp6);
	golden(lb, &pkt_tcp_paris, AF_INET, 0, 0, g_tcp4);
	golden(lb, &pkt_tcp_paris, AF_INET6, 0, 0, g_tcp6);
	golden(lb, &pkt_tcp_ack_paris, AF_INET, 0, 0, g_tcpack4);
	golden(lb, &pkt_tcp_ack_paris, AF_INET6, 0, 0, g_tcpack6);
	golden(lb, &pkt_udp_paris, AF_INET6, 100, 0xb8, g_udp6_tos);
	golden(lb, &pkt_tcp_paris, AF_INET, 52, 0x10, g_tcp4_52);
	golden(lb, &pkt_icmp_paris, AF_INET, 38, 0, g_icmp4_min);
	golden(lb, &pkt_icmp_paris, AF_INET6, 58, 0x2e, g_icmp6_tos);
}

static void
test_flow(void)
{
	struct pkt_flow_params fp;
	struct pkt_flow f;

	params(&fp, AF_INET);
	T_EQ_INT(pkt_udp_paris.flow(&fp, 3, &f), 0);
	T_EQ_INT(f.sport, 33003);
	T_EQ_INT(f.dport, 33435);
	T_EQ_INT(f.proto, IPPROTO_UDP);
	T_EQ_INT(f.size, 44);
	T_EQ_INT(f.icmp_sum, 0);
	T_EQ_INT(f.flowlabel, 0);
	T_EQ_INT(f.flowid, 3);
	T_CHECK(addr_eq(&f.src, &fp.src) && addr_eq(&f.dst, &fp.dst));

	T_EQ_INT(pkt_tcp_paris.flow(&fp, 0, &f), 0);
	T_EQ_INT(f.sport, 33000);
	T_EQ_INT(f.dport, 80);
	T_EQ_INT(f.size, 40);
	T_EQ_INT(pkt_tcp_ack_paris.flow(&fp, 0, &f), 0);
	T_EQ_INT(f.dport, 80);

	fp.dport = 443;
	fp.sport = 65535;
	fp.tos = 0x48;
	T_EQ_INT(pkt_tcp_paris.flow(&fp, 3, &f), 0);
	T_EQ_INT(f.sport, 2); /* wraps */
	T_EQ_INT(f.dport, 443);
	T_EQ_INT(f.tos, 0x48);

	T_EQ_INT(pkt_icmp_paris.flow(&fp, 7, &f), 0);
	T_EQ_INT(f.proto, IPPROTO_ICMP);
	T_EQ_INT(f.sport, 6);
	T_EQ_INT(f.dport, 0); /* dport means nothing to ICMP */
	T_CHECK(f.icmp_sum != 0 && f.icmp_sum != 0xffff);

	params(&fp, AF_INET6);
	T_EQ_INT(pkt_icmp_paris.flow(&fp, 7, &f), 0);
	T_EQ_INT(f.proto, IPPROTO_ICMPV6);
	T_EQ_INT(f.size, 64);
	T_CHECK(f.flowlabel != 0 && f.flowlabel <= 0xfffff);
	T_EQ_INT(pkt_udp_paris.flow(&fp, 7, &f), 0);
	T_EQ_INT(f.size, 64);
	T_EQ_INT(pkt_tcp_paris.flow(&fp, 7, &f), 0);
	T_EQ_INT(f.size, 60);

	/* families must agree and be known */
	params(&fp, AF_INET6);
	addr_pton("198.18.0.1", &fp.src);
	T_EQ_INT(pkt_udp_paris.flow(&fp, 0, &f), -1);
	memset(&fp, 0, sizeof(fp));
	T_EQ_INT(pkt_udp_paris.flow(&fp, 0, &f), -1);
}

/* min_size, default_size and the 1500-byte ceiling, for every method. */
static void
test_sizes(libnet_t *lb)
{
	static const struct {
		const struct pkt_method *m;
		uint16_t min4, def4, min6, def6;
	} tab[] = {
		{ &pkt_icmp_paris, 38, 44, 58, 64 },
		{ &pkt_udp_paris, 38, 44, 58, 64 },
		{ &pkt_tcp_paris, 40, 40, 60, 60 },
		{ &pkt_tcp_ack_paris, 40, 40, 60, 60 },
	};
	static const int fams[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		const struct pkt_method *m = tab[i].m;

		T_EQ_INT(m->min_size(AF_INET), tab[i].min4);
		T_EQ_INT(m->default_size(AF_INET), tab[i].def4);
		T_EQ_INT(m->min_size(AF_INET6), tab[i].min6);
		T_EQ_INT(m->default_size(AF_INET6), tab[i].def6);
		for (size_t j = 0; j < 2; j++) {
			struct pkt_flow_params fp;
			struct pkt_flow f;
			uint8_t buf[1600];
			uint16_t min = m->min_size(fams[j]);
			int n;

			params(&fp, fams[j]);
			fp.size = (uint16_t)(min - 1);
			T_EQ_INT(m->flow(&fp, 1, &f), -1);
			fp.size = 1501;
			T_EQ_INT(m->flow(&fp, 1, &f), -1);
			fp.size = min;
			T_EQ_INT(m->flow(&fp, 1, &f), 0);
			n = m->build(lb, &f, &fixed_ident, buf, sizeof(buf));
			T_EQ_INT(n, min);
			T_CHECK(n > 0 && probe_sums_ok(buf, (size_t)n));
			fp.size = 1500;
			T_EQ_INT(m->flow(&fp, 1, &f), 0);
			n = m->build(lb, &f, &fixed_ident, buf, sizeof(buf));
			T_EQ_INT(n, 1500);
			T_CHECK(n > 0 && probe_sums_ok(buf, (size_t)n));
			T_EQ_INT(rd16(buf + (fams[j] == AF_INET ? 2 : 4)),
			    fams[j] == AF_INET ? 1500 : 1460);
			/* the buffer must hold the probe */
			T_EQ_INT(m->build(lb, &f, &fixed_ident, buf, 1499), -1);
			/* a flow edited out of range is refused too */
			f.size = (uint16_t)(min - 1);
			T_EQ_INT(m->build(lb, &f, &fixed_ident, buf,
			             sizeof(buf)),
			    -1);
			/* and a build failure leaves lb clean for the next one */
			f.size = min;
			T_EQ_INT(m->build(lb, &f, &fixed_ident, buf,
			             sizeof(buf)),
			    min);
		}
	}
}

/* Every tag a method accepts comes out where it belongs, sums intact. */
static void
test_tags(libnet_t *lb)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct pkt_flow_params fp;
	struct pkt_flow f;
	struct pkt_ident id = fixed_ident;
	uint8_t buf[100];
	int bad_udp = 0, bad_icmp = 0;

	T_CHECK(!pkt_udp_paris.tag_ok(0));
	T_CHECK(!pkt_udp_paris.tag_ok(0xffff));
	T_CHECK(pkt_udp_paris.tag_ok(1));
	T_CHECK(pkt_udp_paris.tag_ok(0xfffe));
	T_CHECK(pkt_icmp_paris.tag_ok(0) && pkt_icmp_paris.tag_ok(0xffff));
	T_CHECK(pkt_tcp_paris.tag_ok(0) && pkt_tcp_paris.tag_ok(0xffff));
	T_CHECK(
	    pkt_tcp_ack_paris.tag_ok(0) && pkt_tcp_ack_paris.tag_ok(0xffff));

	for (size_t j = 0; j < 2; j++) {
		size_t hl = fams[j] == AF_INET ? 20 : 40;

		params(&fp, fams[j]);
		T_EQ_INT(pkt_udp_paris.flow(&fp, 9, &f), 0);
		id.tag = 0;
		T_EQ_INT(pkt_udp_paris.build(lb, &f, &id, buf, sizeof(buf)),
		    -1);
		id.tag = 0xffff;
		T_EQ_INT(pkt_udp_paris.build(lb, &f, &id, buf, sizeof(buf)),
		    -1);
		for (uint32_t tag = 1; tag < 0xffff; tag++) {
			int n;

			id.tag = (uint16_t)tag;
			n = pkt_udp_paris.build(lb, &f, &id, buf, sizeof(buf));
			if (n != f.size || rd16(buf + hl + 6) != tag ||
			    !probe_sums_ok(buf, (size_t)n))
				bad_udp++;
		}
		T_EQ_INT(pkt_icmp_paris.flow(&fp, 9, &f), 0);
		for (uint32_t tag = 0; tag <= 0xffff; tag++) {
			int n;

			id.tag = (uint16_t)tag;
			n = pkt_icmp_paris.build(lb, &f, &id, buf, sizeof(buf));
			if (n != f.size || rd16(buf + hl + 6) != tag ||
			    rd16(buf + hl + 2) != f.icmp_sum ||
			    !probe_sums_ok(buf, (size_t)n))
				bad_icmp++;
		}
		/* TCP: seq32 must carry the tag in its low bits */
		T_EQ_INT(pkt_tcp_paris.flow(&fp, 9, &f), 0);
		id.tag = 0x1234;
		id.seq32 = 0xdead1235;
		T_EQ_INT(pkt_tcp_paris.build(lb, &f, &id, buf, sizeof(buf)),
		    -1);
		id.seq32 = 0xdead1234;
		T_EQ_INT(pkt_tcp_paris.build(lb, &f, &id, buf, sizeof(buf)),
		    (int)f.size);
	}
	T_EQ_INT(bad_udp, 0);
	T_EQ_INT(bad_icmp, 0);
}

static void
test_sum_helpers(void)
{
	static const uint8_t odd[] = { 0x45, 0x00, 0x00, 0x1e, 0xff };
	uint8_t big[1500];
	uint32_t s;

	/* 0x4500 + 0x001e + 0xff00 = 0x1441e, folded 0x441f */
	T_EQ_INT(pkt_fold(pkt_sum(odd, sizeof(odd), 0)), 0xffff & ~0x441f);
	/* the IPv4 header of a golden folds to 0 */
	T_EQ_INT(t_unhex("4500002cbeef0000070167bac6120001c6120102", big,
	             sizeof(big)),
	    20);
	T_EQ_INT(pkt_fold(pkt_sum(big, 20, 0)), 0);
	/* chained pieces equal one pass; no overflow on a large all-ones buffer */
	memset(big, 0xff, sizeof(big));
	big[0] = 0x12;
	s = pkt_sum(big + 10, sizeof(big) - 10, pkt_sum(big, 10, 0));
	T_EQ_INT(pkt_fold(s), pkt_fold(pkt_sum(big, sizeof(big), 0)));
	/* 0x12ff + 749 * 0xffff: each 0xffff (minus zero) adds nothing */
	T_EQ_INT(pkt_fold(s), 0xffff & ~0x12ff);
}

static void
test_registry(void)
{
	static const char *const names[][3] = {
		{ "icmp-paris", "icmp-echo-paris", "icmp-echo" },
		{ "udp-paris", "udp-paris", "udp-dport" },
		{ "tcp-paris", "tcp", "tcp-sport" },
		{ "tcp-ack-paris", "tcp-ack", "tcp-ack-sport" },
	};
	size_t n;

	for (n = 0; pkt_methods[n] != NULL; n++)
		;
	T_EQ_INT(n, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct pkt_method *m = pkt_method_find(names[i][0]);

		T_CHECK(m != NULL);
		if (m == NULL)
			continue;
		T_EQ_STR(m->name, names[i][0]);
		T_EQ_STR(m->trace_name, names[i][1]);
		T_EQ_STR(m->lb_name, names[i][2]);
		T_EQ_INT(m->default_sport, 33000);
	}
	T_CHECK(pkt_method_find("icmp-paris") == &pkt_icmp_paris);
	T_CHECK(pkt_method_find("tcp-ack-paris") == &pkt_tcp_ack_paris);
	T_CHECK(pkt_method_find("udp") == NULL);
	T_CHECK(pkt_method_find("") == NULL);
	T_CHECK(pkt_method_find(NULL) == NULL);
	T_EQ_INT(pkt_icmp_paris.proto, IPPROTO_ICMP);
	T_EQ_INT(pkt_udp_paris.proto, IPPROTO_UDP);
	T_EQ_INT(pkt_tcp_paris.proto, IPPROTO_TCP);
	T_EQ_INT(pkt_tcp_paris.tcp_flags, TH_SYN);
	T_EQ_INT(pkt_tcp_ack_paris.tcp_flags, TH_ACK);
	T_EQ_INT(pkt_udp_paris.default_dport, 33435);
	T_EQ_INT(pkt_icmp_paris.default_dport, 0);
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
	test_goldens(lb);
	test_flow();
	test_sizes(lb);
	test_tags(lb);
	test_sum_helpers();
	test_registry();
	libnet_destroy(lb);
	return T_DONE();
}
