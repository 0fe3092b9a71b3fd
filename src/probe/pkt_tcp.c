/*
 * tcp-paris and tcp-ack-paris: TCP SYN or ACK probes from the flow's ports.
 * The probe's identity is the sequence number (seq32, low 16 bits the tag);
 * ACK probes carry it in the ack field too, because the RST that answers an
 * ACK takes its sequence number from our ack.  A size beyond the header is
 * payload: the MAC first when it fits, zeros after.
 */
#include <sys/socket.h>
#include <string.h>

#include "probe/pkt.h"

#define TCP_WINDOW 65535

static uint16_t
tcp_size(int family)
{
	/* IP + TCP headers, no options; extra size is payload. */
	return family == AF_INET ? 40 : 60;
}

static int
tcp_flow(const struct pkt_flow_params *p, uint32_t flowid, struct pkt_flow *f)
{
	return pkt_flow_make(&pkt_tcp_paris, p, flowid, f);
}

static int
tcp_ack_flow(const struct pkt_flow_params *p, uint32_t flowid,
    struct pkt_flow *f)
{
	return pkt_flow_make(&pkt_tcp_ack_paris, p, flowid, f);
}

static int
tcp_tag_ok(uint16_t tag)
{
	(void)tag;
	return 1;
}

static int
tcp_build_common(const struct pkt_method *m, libnet_t *lb,
    const struct pkt_flow *f, const struct pkt_ident *id, uint8_t *buf,
    size_t buflen)
{
	uint8_t l4[1500];
	uint32_t ack = m->tcp_flags & TH_ACK ? id->seq32 : 0;
	int l4len;

	if ((l4len = pkt_l4_len(m, f, buflen)) < 0 ||
	    (id->seq32 & 0xffff) != id->tag)
		return -1;
	memset(l4, 0, (size_t)l4len);
	pkt_mac_put(f, id, l4, (size_t)l4len);
	/* A zero sum asks libnet to compute it (over the pseudo-header). */
	if (libnet_build_tcp(f->sport, f->dport, id->seq32, ack, m->tcp_flags,
	        TCP_WINDOW, 0, 0, l4len,
	        l4len > LIBNET_TCP_H ? l4 + LIBNET_TCP_H : NULL,
	        l4len - LIBNET_TCP_H, lb, 0) == -1) {
		libnet_clear_packet(lb);
		return -1;
	}
	return pkt_ip_finish(lb, f, id, buf, buflen);
}

static int
tcp_build(libnet_t *lb, const struct pkt_flow *f, const struct pkt_ident *id,
    uint8_t *buf, size_t buflen)
{
	return tcp_build_common(&pkt_tcp_paris, lb, f, id, buf, buflen);
}

static int
tcp_ack_build(libnet_t *lb, const struct pkt_flow *f,
    const struct pkt_ident *id, uint8_t *buf, size_t buflen)
{
	return tcp_build_common(&pkt_tcp_ack_paris, lb, f, id, buf, buflen);
}

const struct pkt_method pkt_tcp_paris = {
	.name = "tcp-paris",
	.trace_name = "tcp",
	.lb_name = "tcp-sport",
	.proto = IPPROTO_TCP,
	.tcp_flags = TH_SYN,
	.default_sport = 33000,
	.default_dport = 80,
	.min_size = tcp_size,
	.default_size = tcp_size,
	.flow = tcp_flow,
	.tag_ok = tcp_tag_ok,
	.build = tcp_build,
};

const struct pkt_method pkt_tcp_ack_paris = {
	.name = "tcp-ack-paris",
	.trace_name = "tcp-ack",
	.lb_name = "tcp-ack-sport",
	.proto = IPPROTO_TCP,
	.tcp_flags = TH_ACK,
	.default_sport = 33000,
	.default_dport = 80,
	.min_size = tcp_size,
	.default_size = tcp_size,
	.flow = tcp_ack_flow,
	.tag_ok = tcp_tag_ok,
	.build = tcp_ack_build,
};
