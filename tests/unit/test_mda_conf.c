/*
 * test_mda_conf: the MDA module's pure parts: the stopping-rule table,
 * method names, configuration defaults and limits, the capture ports, and
 * the packet layer's vary modes (one hashed field per flow id).
 */
#include <sys/socket.h>
#include <stdint.h>

#include "probe/pkt.h"
#include "measure/mda.h"
#include "t.h"

/* --- the stopping-rule table --------------------------------------------- */

static void
test_nk(void)
{
	static const unsigned spot[][3] = {
		/* n known, 95 %, 99 %: scamper's k(n + 1) */
		{ 1, 6, 8 }, { 2, 11, 15 }, { 3, 16, 21 }, { 7, 38, 51 },
		{ 10, 57, 74 }, { 15, 90, 115 }, { 31, 203, 255 },
		{ 63, 453, 557 }, { 97, 737, 896 }, { 98, 746, 906 },
	};

	fprintf(stderr, "stopping-rule table\n");
	for (size_t i = 0; i < sizeof(spot) / sizeof(spot[0]); i++) {
		T_EQ_INT(mda_nk(spot[i][0], 95), spot[i][1]);
		T_EQ_INT(mda_nk(spot[i][0], 99), spot[i][2]);
	}
	T_EQ_INT(mda_nk(0, 95), 0);
	/* The closed form beyond the table (Diamond-Miner's n(101) = 765). */
	T_EQ_INT(mda_nk(100, 95), 765);
	T_EQ_INT(mda_nk(99, 95), 757);
	T_EQ_INT(mda_nk(99, 99), 917);
	/* Grows with n, both columns, 99 % above 95 %. */
	for (unsigned n = 1; n < 300; n++) {
		T_CHECK(mda_nk(n + 1, 95) > mda_nk(n, 95));
		T_CHECK(mda_nk(n + 1, 99) > mda_nk(n, 99));
		T_CHECK(mda_nk(n, 99) > mda_nk(n, 95));
	}
}

/* --- names, configuration, ports ---------------------------------------- */

static void
test_names(void)
{
	static const char *const names[] = {
		"icmp-echo", "udp-dport", "udp-sport", "tcp-sport",
		"tcp-ack-sport", "flowlabel",
	};
	enum mda_method m;
	struct mda_conf c;
	char err[128];
	uint16_t lo[2], hi[2];

	fprintf(stderr, "names and configuration\n");
	for (unsigned i = 0; i < MDA_NMETHODS; i++) {
		T_EQ_INT(mda_method_find(names[i], &m), 0);
		T_EQ_INT(m, i);
		T_EQ_STR(mda_method_name((enum mda_method)i), names[i]);
	}
	T_EQ_INT(mda_method_find("UDP-Dport", &m), 0);
	T_EQ_INT(m, MDA_UDP_DPORT);
	T_EQ_INT(mda_method_find("udp-paris", &m), -1);
	T_EQ_INT(mda_method_find(NULL, &m), -1);
	T_EQ_STR(mda_stop_name(MDA_STOP_GAPLIMIT), "GAPLIMIT");
	T_EQ_STR(mda_stop_name(MDA_STOP_PROBEC_MAX), "PROBEC_MAX");

	/* Defaults as scamper's tracelb where they compare. */
	memset(&c, 0, sizeof(c));
	c.method = MDA_UDP_DPORT;
	T_EQ_INT(mda_conf_finish(&c, AF_INET, err, sizeof(err)), 0);
	T_EQ_INT(c.confidence, 95);
	T_EQ_INT(c.attempts, 2);
	T_EQ_INT(c.gaplimit, 3);
	T_EQ_INT(c.first_ttl, 1);
	T_EQ_INT(c.max_ttl, 30);
	T_EQ_INT(c.window, 16);
	T_EQ_INT(c.wait_ms, 5000);
	T_EQ_INT(c.probec_max, 3000);
	T_EQ_INT(c.dport, 33435);
	T_EQ_INT(mda_port_ranges(&c, lo, hi), 2);
	T_EQ_INT(lo[0], 33435);
	T_EQ_INT(hi[0], 33435 + MDA_MAX_FLOWS - 1);
	T_EQ_INT(lo[1], c.sport);
	T_EQ_INT(hi[1], c.sport);

	memset(&c, 0, sizeof(c));
	c.method = MDA_TCP_SPORT;
	c.sport = 65000;
	T_EQ_INT(mda_conf_finish(&c, AF_INET6, err, sizeof(err)), 0);
	T_EQ_INT(mda_port_ranges(&c, lo, hi), 2);
	T_EQ_INT(lo[0], 65000);
	T_EQ_INT(hi[0], 65535);
	T_EQ_INT(lo[1], 80);

	/* Bad values, one message each. */
	memset(&c, 0, sizeof(c));
	c.confidence = 90;
	T_EQ_INT(mda_conf_finish(&c, AF_INET, err, sizeof(err)), -1);
	T_CHECK(strstr(err, "confidence") != NULL);
	memset(&c, 0, sizeof(c));
	c.method = MDA_FLOWLABEL;
	T_EQ_INT(mda_conf_finish(&c, AF_INET, err, sizeof(err)), -1);
	T_CHECK(strstr(err, "IPv6") != NULL);
	T_EQ_INT(mda_conf_finish(&c, AF_INET6, err, sizeof(err)), 0);
	memset(&c, 0, sizeof(c));
	c.first_ttl = 9;
	c.max_ttl = 8;
	T_EQ_INT(mda_conf_finish(&c, AF_INET, err, sizeof(err)), -1);
	memset(&c, 0, sizeof(c));
	c.method = MDA_UDP_SPORT;
	c.sport = 65530;
	T_EQ_INT(mda_conf_finish(&c, AF_INET, err, sizeof(err)), -1);
	memset(&c, 0, sizeof(c));
	c.size = 20;
	T_EQ_INT(mda_conf_finish(&c, AF_INET, err, sizeof(err)), -1);
	memset(&c, 0, sizeof(c));
	c.method = (enum mda_method)MDA_NMETHODS;
	T_EQ_INT(mda_conf_finish(&c, AF_INET, err, sizeof(err)), -1);
}

/* The packet layer's vary modes, field by field, and their limits. */
static void
test_flow_vary(void)
{
	struct pkt_flow_params fp;
	struct pkt_flow f, g;
	int bad = 0;

	fprintf(stderr, "flow vary modes\n");
	memset(&fp, 0, sizeof(fp));
	addr_pton("2001:db8:ffff::1", &fp.src);
	addr_pton("2001:db8:77::77", &fp.dst);
	fp.sport = 40000;
	fp.dport = 33435;

	fp.vary = PKT_VARY_DPORT;
	for (uint32_t i = 0; i < 100; i++) {
		if (pkt_udp_paris.flow(&fp, i, &f) != 0 || f.sport != 40000 ||
		    f.dport != 33435 + i || f.flowlabel != pkt_flow_label(i))
			bad++;
	}
	fp.vary = PKT_VARY_SPORT;
	for (uint32_t i = 0; i < 100; i++) {
		if (pkt_tcp_paris.flow(&fp, i, &f) != 0 ||
		    f.sport != 40000 + i || f.dport != 33435)
			bad++;
	}
	fp.vary = PKT_VARY_ICMP_SUM;
	for (uint32_t i = 0; i < 100; i++) {
		if (pkt_icmp_paris.flow(&fp, i, &f) != 0 || f.sport != 40000 ||
		    f.icmp_sum != i + 1 || f.dport != 0)
			bad++;
	}
	fp.vary = PKT_VARY_FLOWLABEL;
	fp.flowlabel_fixed = 1;		/* not here: the label varies */
	for (uint32_t i = 0; i < 100; i++) {
		if (pkt_icmp_paris.flow(&fp, i, &f) != 0 ||
		    pkt_icmp_paris.flow(&fp, 0, &g) != 0 || f.sport != 40000 ||
		    f.icmp_sum != g.icmp_sum ||
		    f.flowlabel != pkt_flow_label(i) || f.flowlabel == 0)
			bad++;
	}
	T_EQ_INT(bad, 0);

	/* Fixed label; limits of each field. */
	fp.vary = PKT_VARY_SPORT;
	T_EQ_INT(pkt_udp_paris.flow(&fp, 3, &f), 0);
	T_EQ_INT(f.flowlabel, 0);
	fp.flowlabel_fixed = 0;
	fp.sport = 65530;
	T_EQ_INT(pkt_udp_paris.flow(&fp, 5, &f), 0);
	T_EQ_INT(f.sport, 65535);
	T_EQ_INT(pkt_udp_paris.flow(&fp, 6, &f), -1);
	/* ICMP has no sport */
	T_EQ_INT(pkt_icmp_paris.flow(&fp, 0, &f), -1);
	fp.vary = PKT_VARY_DPORT;
	fp.dport = 65535;
	T_EQ_INT(pkt_udp_paris.flow(&fp, 0, &f), 0);
	T_EQ_INT(pkt_udp_paris.flow(&fp, 1, &f), -1);
	fp.vary = PKT_VARY_ICMP_SUM;
	T_EQ_INT(pkt_icmp_paris.flow(&fp, 65533, &f), 0);
	T_EQ_INT(f.icmp_sum, 65534);
	T_EQ_INT(pkt_icmp_paris.flow(&fp, 65534, &f), -1);
	T_EQ_INT(pkt_udp_paris.flow(&fp, 0, &f), -1);
	fp.vary = PKT_VARY_FLOWLABEL;
	addr_pton("192.0.2.1", &fp.src);
	addr_pton("203.0.113.77", &fp.dst);
	/* IPv4: no label */
	T_EQ_INT(pkt_icmp_paris.flow(&fp, 0, &f), -1);
	fp.vary = 77;
	T_EQ_INT(pkt_udp_paris.flow(&fp, 0, &f), -1);
}

int
main(void)
{
	test_nk();
	test_names();
	test_flow_vary();
	return T_DONE();
}
