/*
 * udp-paris: UDP probes whose checksum is the probe's tag.  The first two
 * payload bytes are a compensation word chosen so the checksum comes out as
 * the tag; the probe's MAC follows, the rest of the payload is zero.  No
 * balancer hashes a payload, so everything one hashes stays a function of
 * the flow.
 */
#include <sys/socket.h>
#include <string.h>

#include "probe/pkt.h"

static uint16_t
udp_min_size(int family)
{
	/* IP + UDP headers + the compensation word + the MAC */
	return family == AF_INET ? 38 : 58;
}

static uint16_t
udp_default_size(int family)
{
	return family == AF_INET ? 44 : 64;
}

static int
udp_flow(const struct pkt_flow_params *p, uint32_t flowid, struct pkt_flow *f)
{
	return pkt_flow_make(&pkt_udp_paris, p, flowid, f);
}

static int
udp_tag_ok(uint16_t tag)
{
	/* 0 means "no checksum"; 0xffff cannot come out of the sum. */
	return tag != 0 && tag != 0xffff;
}

static int
udp_build(libnet_t *lb, const struct pkt_flow *f, const struct pkt_ident *id,
    uint8_t *buf, size_t buflen)
{
	uint8_t l4[1500];
	uint32_t sum;
	uint16_t w;
	int l4len;

	if ((l4len = pkt_l4_len(&pkt_udp_paris, f, buflen)) < 0 ||
	    !udp_tag_ok(id->tag))
		return -1;
	memset(l4, 0, (size_t)l4len);
	l4[0] = f->sport >> 8;
	l4[1] = f->sport;
	l4[2] = f->dport >> 8;
	l4[3] = f->dport;
	l4[4] = l4len >> 8;
	l4[5] = l4len;
	pkt_mac_put(f, id, l4, (size_t)l4len);
	/* Checksum and compensation word still zero: they add nothing. */
	sum = pkt_sum(l4, (size_t)l4len, pkt_pseudo_sum(f, l4len));
	w = pkt_compensate(sum, id->tag);
	l4[8] = w >> 8;
	l4[9] = w;
	if (libnet_build_udp(f->sport, f->dport, l4len, id->tag, l4 + 8,
	        l4len - LIBNET_UDP_H, lb, 0) == -1) {
		libnet_clear_packet(lb);
		return -1;
	}
	return pkt_ip_finish(lb, f, id, buf, buflen);
}

const struct pkt_method pkt_udp_paris = {
	.name = "udp-paris",
	.trace_name = "udp-paris",
	.lb_name = "udp-dport",
	.proto = IPPROTO_UDP,
	.tcp_flags = 0,
	.default_sport = 33000,
	.default_dport = 33435,
	.min_size = udp_min_size,
	.default_size = udp_default_size,
	.flow = udp_flow,
	.tag_ok = udp_tag_ok,
	.build = udp_build,
};
