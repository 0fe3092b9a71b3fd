/* pkt: the method registry and the helpers the methods share. */
#include <sys/socket.h>
#include <string.h>

#include "probe/pkt.h"

#define PKT_MAX_SIZE 1500

const struct pkt_method *const pkt_methods[] = {
	&pkt_icmp_paris,
	&pkt_udp_paris,
	&pkt_tcp_paris,
	&pkt_tcp_ack_paris,
	NULL,
};

const struct pkt_method *
pkt_method_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; pkt_methods[i] != NULL; i++)
		if (strcmp(pkt_methods[i]->name, name) == 0)
			return pkt_methods[i];
	return NULL;
}

uint32_t
pkt_sum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
		/* Fold as we go so chained sums never overflow. */
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return (sum & 0xffff) + (sum >> 16);
}

uint16_t
pkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * The word that, added to a message summing to `sum` (its checksum field
 * zero), makes the checksum `want`: the folded total must be ~want, so the
 * word is ~want - sum in ones' complement arithmetic.  `want` must not be
 * 0xffff (a folded non-zero sum is never 0).
 */
uint16_t
pkt_compensate(uint32_t sum, uint16_t want)
{
	return (uint16_t)~pkt_fold((uint32_t)(uint16_t)~want + pkt_fold(sum));
}

/*
 * The ICMP checksum and IPv6 flow label of a flow: multiplicative
 * permutations, so distinct flow ids (up to 65534 and 2^20 - 1 of them) get
 * distinct values, none of them 0 (nor 0xffff for the checksum).
 */
static uint16_t
flow_icmp_sum(uint32_t flowid)
{
	return (uint16_t)(1 + (uint64_t)(flowid % 65534) * 40503 % 65534);
}

uint32_t
pkt_flow_label(uint32_t flowid)
{
	return (uint32_t)(1 + (uint64_t)(flowid % 0xfffff) * 0x9e3b9 % 0xfffff);
}

/* The varied port: base + flowid, or -1 past 65535. */
static int
flow_port(uint16_t base, uint32_t flowid, uint16_t *port)
{
	if (flowid > 65535 || (uint32_t)base + flowid > 65535)
		return -1;
	*port = (uint16_t)(base + flowid);
	return 0;
}

int
pkt_flow_make(const struct pkt_method *m, const struct pkt_flow_params *p,
    uint32_t flowid, struct pkt_flow *f)
{
	int family = p->dst.family;
	int icmp = m->proto == IPPROTO_ICMP;
	uint16_t sport, dport, size;

	if ((family != AF_INET && family != AF_INET6) ||
	    p->src.family != family)
		return -1;
	size = p->size != 0 ? p->size : m->default_size(family);
	if (size < m->min_size(family) || size > PKT_MAX_SIZE)
		return -1;

	memset(f, 0, sizeof(*f));
	f->src = p->src;
	f->dst = p->dst;
	f->flowid = flowid;
	f->tos = p->tos;
	f->size = size;
	f->proto = m->proto;
	if (icmp && family == AF_INET6)
		f->proto = IPPROTO_ICMPV6;
	sport = p->sport != 0 ? p->sport : m->default_sport;
	dport = icmp ? 0 : p->dport != 0 ? p->dport : m->default_dport;
	f->sport = sport;
	f->dport = dport;
	if (icmp)
		f->icmp_sum = flow_icmp_sum(0);
	switch (p->vary) {
	case PKT_VARY_PARIS:
		f->sport = (uint16_t)(sport + flowid);
		if (icmp)
			f->icmp_sum = flow_icmp_sum(flowid);
		break;
	case PKT_VARY_SPORT:
		if (icmp || flow_port(sport, flowid, &f->sport) == -1)
			return -1;
		break;
	case PKT_VARY_DPORT:
		if (icmp || flow_port(dport, flowid, &f->dport) == -1)
			return -1;
		break;
	case PKT_VARY_ICMP_SUM:
		/* scamper's tracelb: the checksum is the flow id (from 1). */
		if (!icmp || flowid > 65533)
			return -1;
		f->icmp_sum = (uint16_t)(flowid + 1);
		break;
	case PKT_VARY_FLOWLABEL:
		if (family != AF_INET6)
			return -1;
		break;
	default:
		return -1;
	}
	if (family == AF_INET6 && (!p->flowlabel_fixed ||
	    p->vary == PKT_VARY_FLOWLABEL))
		f->flowlabel = pkt_flow_label(flowid);
	return 0;
}

int
pkt_l4_len(const struct pkt_method *m, const struct pkt_flow *f, size_t buflen)
{
	int family = f->dst.family;

	if ((family != AF_INET && family != AF_INET6) ||
	    f->src.family != family)
		return -1;
	if (f->size < m->min_size(family) || f->size > PKT_MAX_SIZE ||
	    f->size > buflen)
		return -1;
	return f->size - (family == AF_INET ? LIBNET_IPV4_H : LIBNET_IPV6_H);
}

uint32_t
pkt_pseudo_sum(const struct pkt_flow *f, uint16_t l4len)
{
	uint32_t sum;

	/*
	 * Both pseudo-headers (v4: zero, proto, 16-bit length; v6: 32-bit
	 * length, zeros, next header) add up to proto + length.
	 */
	sum = pkt_sum(f->src.u.b, addr_len(&f->src), 0);
	sum = pkt_sum(f->dst.u.b, addr_len(&f->dst), sum);
	return sum + f->proto + l4len;
}

int
pkt_ip_finish(libnet_t *lb, const struct pkt_flow *f,
    const struct pkt_ident *id, uint8_t *buf, size_t buflen)
{
	uint8_t *pkt = NULL;
	uint32_t n = 0;
	int rc = -1;

	if (f->dst.family == AF_INET) {
		uint32_t src, dst;

		memcpy(&src, f->src.u.b, 4);
		memcpy(&dst, f->dst.u.b, 4);
		if (libnet_build_ipv4(f->size, f->tos, id->ipid, 0, id->ttl,
		        f->proto, 0, src, dst, NULL, 0, lb, 0) == -1)
			goto done;
	} else {
		struct libnet_in6_addr src, dst;

		memcpy(&src, f->src.u.b, 16);
		memcpy(&dst, f->dst.u.b, 16);
		if (libnet_build_ipv6(f->tos, f->flowlabel,
		        f->size - LIBNET_IPV6_H, f->proto, id->ttl, src, dst,
		        NULL, 0, lb, 0) == -1)
			goto done;
	}
	if (libnet_pblock_coalesce(lb, &pkt, &n) == -1) {
		pkt = NULL;
		goto done;
	}
	if (n != f->size || n > buflen)
		goto done;
	memcpy(buf, pkt, n);
	if (f->dst.family == AF_INET6) {
		/*
		 * libnet 1.1.6 loses bits 8-15 of the flow label (an operator
		 * precedence slip in libnet_build_ipv6); write the first word
		 * here.  No checksum covers it.
		 */
		uint32_t vtf = 6u << 28 | (uint32_t)f->tos << 20 |
		    (f->flowlabel & 0xfffff);

		buf[0] = vtf >> 24;
		buf[1] = vtf >> 16;
		buf[2] = vtf >> 8;
		buf[3] = vtf;
	}
	rc = (int)n;
done:
	if (pkt != NULL)
		libnet_adv_free_packet(lb, pkt);
	libnet_clear_packet(lb);
	return rc;
}

/*
 * The MAC sits where every quote that reaches past the headers has it:
 * after the ICMP echo or UDP header and the compensation word, or right
 * after the TCP header (our probes carry no TCP options).
 */
size_t
pkt_mac_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? LIBNET_TCP_H : 8 + 2;
}

int
pkt_flow_has_mac(const struct pkt_flow *f)
{
	size_t hl = f->dst.family == AF_INET ? LIBNET_IPV4_H : LIBNET_IPV6_H;

	return f->size >= hl + pkt_mac_off(f->proto) + PKT_MAC_LEN;
}

void
pkt_mac_put(const struct pkt_flow *f, const struct pkt_ident *id,
    uint8_t *l4, size_t l4len)
{
	size_t off = pkt_mac_off(f->proto);

	if (l4len >= off + PKT_MAC_LEN)
		memcpy(l4 + off, id->mac, PKT_MAC_LEN);
}
