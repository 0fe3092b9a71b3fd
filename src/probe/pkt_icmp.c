/*
 * icmp-paris: ICMP echo requests whose checksum is a constant of the flow.
 * The echo id is the flow's sport, the sequence number is the probe's tag,
 * the payload carries the probe's MAC after two bytes that compensate the
 * sequence and the MAC, so the checksum (which balancers may hash) does not
 * move.
 */
#include <sys/socket.h>
#include <string.h>

#include "probe/pkt.h"

#define ICMP_ECHO_REQ 8
#define ICMP6_ECHO_REQ 128

static uint16_t
icmp_min_size(int family)
{
	/* IP + ICMP headers + the compensation word + the MAC */
	return family == AF_INET ? 38 : 58;
}

static uint16_t
icmp_default_size(int family)
{
	return family == AF_INET ? 44 : 64;
}

static int
icmp_flow(const struct pkt_flow_params *p, uint32_t flowid, struct pkt_flow *f)
{
	return pkt_flow_make(&pkt_icmp_paris, p, flowid, f);
}

static int
icmp_tag_ok(uint16_t tag)
{
	(void)tag;
	return 1;
}

static int
icmp_build(libnet_t *lb, const struct pkt_flow *f, const struct pkt_ident *id,
    uint8_t *buf, size_t buflen)
{
	uint8_t l4[1500];
	uint32_t sum = 0;
	uint16_t w;
	libnet_ptag_t t;
	int v6 = f->dst.family == AF_INET6;
	int l4len;

	if ((l4len = pkt_l4_len(&pkt_icmp_paris, f, buflen)) < 0 ||
	    f->icmp_sum == 0 || f->icmp_sum == 0xffff)
		return -1;
	memset(l4, 0, (size_t)l4len);
	l4[0] = v6 ? ICMP6_ECHO_REQ : ICMP_ECHO_REQ;
	l4[4] = f->sport >> 8;
	l4[5] = f->sport;
	l4[6] = id->tag >> 8;
	l4[7] = id->tag;
	pkt_mac_put(f, id, l4, (size_t)l4len);
	if (v6)
		sum = pkt_pseudo_sum(f, l4len);
	/* Checksum and compensation word still zero: they add nothing. */
	sum = pkt_sum(l4, (size_t)l4len, sum);
	w = pkt_compensate(sum, f->icmp_sum);
	l4[8] = w >> 8;
	l4[9] = w;
	/* The sum is given, so libnet leaves it as it is. */
	if (v6)
		t = libnet_build_icmpv6_echo(ICMP6_ECHO_REQ, 0, f->icmp_sum,
		    f->sport, id->tag, l4 + 8, l4len - LIBNET_ICMPV6_ECHO_H,
		    lb, 0);
	else
		t = libnet_build_icmpv4_echo(ICMP_ECHO_REQ, 0, f->icmp_sum,
		    f->sport, id->tag, l4 + 8, l4len - LIBNET_ICMPV4_ECHO_H,
		    lb, 0);
	if (t == -1) {
		libnet_clear_packet(lb);
		return -1;
	}
	return pkt_ip_finish(lb, f, id, buf, buflen);
}

const struct pkt_method pkt_icmp_paris = {
	.name = "icmp-paris",
	.trace_name = "icmp-echo-paris",
	.lb_name = "icmp-echo",
	.proto = IPPROTO_ICMP,
	.tcp_flags = 0,
	.default_sport = 33000,
	.default_dport = 0,
	.min_size = icmp_min_size,
	.default_size = icmp_default_size,
	.flow = icmp_flow,
	.tag_ok = icmp_tag_ok,
	.build = icmp_build,
};
