/*
 * mda_conf: the methods (scamper's tracelb names), the configuration and
 * its defaults, the stop reasons' names, and what a flow id puts in the
 * varied field.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "measure/mda_int.h"

static const char *const stop_names[] = {
	[MDA_STOP_NONE] = "NONE",
	[MDA_STOP_COMPLETED] = "COMPLETED",
	[MDA_STOP_GAPLIMIT] = "GAPLIMIT",
	[MDA_STOP_HOPLIMIT] = "HOPLIMIT",
	[MDA_STOP_PROBEC_MAX] = "PROBEC_MAX",
	[MDA_STOP_HALTED] = "HALTED",
	[MDA_STOP_ERROR] = "ERROR",
	[MDA_STOP_LOOP] = "LOOP",
};

const char *
mda_stop_name(enum mda_stop s)
{
	if ((unsigned)s >= sizeof(stop_names) / sizeof(stop_names[0]))
		return "NONE";
	return stop_names[s];
}

/* Method -> packet method and the field the flow id varies. */
static const struct {
	const char *name;
	const struct pkt_method *pm;
	uint8_t vary;
} methods[MDA_NMETHODS] = {
	[MDA_ICMP_ECHO] = { "icmp-echo", &pkt_icmp_paris, PKT_VARY_ICMP_SUM },
	[MDA_UDP_DPORT] = { "udp-dport", &pkt_udp_paris, PKT_VARY_DPORT },
	[MDA_UDP_SPORT] = { "udp-sport", &pkt_udp_paris, PKT_VARY_SPORT },
	[MDA_TCP_SPORT] = { "tcp-sport", &pkt_tcp_paris, PKT_VARY_SPORT },
	[MDA_TCP_ACK_SPORT] = { "tcp-ack-sport", &pkt_tcp_ack_paris,
	    PKT_VARY_SPORT },
	[MDA_FLOWLABEL] = { "flowlabel", &pkt_icmp_paris, PKT_VARY_FLOWLABEL },
};

int
mda_method_find(const char *name, enum mda_method *m)
{
	if (name == NULL)
		return -1;
	for (unsigned i = 0; i < MDA_NMETHODS; i++)
		if (strcasecmp(methods[i].name, name) == 0) {
			*m = (enum mda_method)i;
			return 0;
		}
	return -1;
}

const char *
mda_method_name(enum mda_method m)
{
	return (unsigned)m < MDA_NMETHODS ? methods[m].name : "unknown";
}

uint32_t
mda_flowid_value(const struct mda_result *r, unsigned flow)
{
	switch (r->conf.method) {
	case MDA_UDP_DPORT:
		return (uint32_t)r->conf.dport + flow;
	case MDA_UDP_SPORT:
	case MDA_TCP_SPORT:
	case MDA_TCP_ACK_SPORT:
		return (uint32_t)r->conf.sport + flow;
	case MDA_FLOWLABEL:
		return pkt_flow_label(flow);
	default:
		return flow + 1;	/* the ICMP checksum */
	}
}

/* Flows a measurement may use: the varied field's range allows. */
unsigned
mda_max_flows(const struct mda_conf *c)
{
	unsigned n = MDA_MAX_FLOWS;

	switch (methods[c->method].vary) {
	case PKT_VARY_DPORT:
		if (65536u - c->dport < n)
			n = 65536u - c->dport;
		break;
	case PKT_VARY_SPORT:
		if (65536u - c->sport < n)
			n = 65536u - c->sport;
		break;
	}
	return n;
}

unsigned
mda_port_ranges(const struct mda_conf *c, uint16_t lo[2], uint16_t hi[2])
{
	unsigned n = mda_max_flows(c);

	switch (methods[c->method].vary) {
	case PKT_VARY_DPORT:
		lo[0] = c->dport;
		hi[0] = (uint16_t)(c->dport + n - 1);
		lo[1] = hi[1] = c->sport;
		return 2;
	case PKT_VARY_SPORT:
		lo[0] = c->sport;
		hi[0] = (uint16_t)(c->sport + n - 1);
		lo[1] = hi[1] = c->dport;
		return 2;
	default:
		/* ICMP: no ports; the echo id, harmless to a filter. */
		lo[0] = hi[0] = c->sport;
		return 1;
	}
}

int
mda_conf_finish(struct mda_conf *c, int family, char *err, size_t errlen)
{
	const struct pkt_method *pm;

	if ((unsigned)c->method >= MDA_NMETHODS) {
		snprintf(err, errlen, "unknown MDA method %d", (int)c->method);
		return -1;
	}
	if (c->rule != MDA_RULE_LITE && c->rule != MDA_RULE_FULL) {
		snprintf(err, errlen, "unknown stopping rule %d", (int)c->rule);
		return -1;
	}
	pm = methods[c->method].pm;
	if (c->confidence == 0)
		c->confidence = 95;
	if (c->sport == 0)
		c->sport = pm->default_sport;
	if (c->dport == 0)
		c->dport = pm->default_dport;
	if (c->first_ttl == 0)
		c->first_ttl = 1;
	if (c->max_ttl == 0)
		c->max_ttl = 30;
	if (c->attempts == 0)
		c->attempts = 2;
	if (c->gaplimit == 0)
		c->gaplimit = 3;
	if (c->window == 0)
		c->window = 16;
	if (c->wait_ms == 0)
		c->wait_ms = 5000;
	if (c->probec_max == 0)
		c->probec_max = 3000;
	if (c->confidence != 95 && c->confidence != 99) {
		snprintf(err, errlen, "confidence %u: 95 or 99",
		    c->confidence);
		return -1;
	}
	if (c->first_ttl > c->max_ttl) {
		snprintf(err, errlen,
		    "first TTL %u is above the maximum TTL %u", c->first_ttl,
		    c->max_ttl);
		return -1;
	}
	if (c->attempts > 10) {
		snprintf(err, errlen, "attempts %u out of range 1-10",
		    c->attempts);
		return -1;
	}
	if (c->size != 0 && (c->size < pm->min_size(family) ||
	    c->size > 1500)) {
		snprintf(err, errlen,
		    "probe size %u out of range %u-1500 for %s", c->size,
		    pm->min_size(family), methods[c->method].name);
		return -1;
	}
	if (c->method == MDA_FLOWLABEL && family != AF_INET6) {
		snprintf(err, errlen, "method flowlabel is for IPv6 only");
		return -1;
	}
	if (mda_max_flows(c) < 16) {
		snprintf(err, errlen, "port base %u leaves fewer than 16 flows",
		    methods[c->method].vary == PKT_VARY_DPORT ? c->dport :
		    c->sport);
		return -1;
	}
	return 0;
}

const struct pkt_method *
mda_pkt_method(enum mda_method m)
{
	return methods[m].pm;
}

uint8_t
mda_vary(enum mda_method m)
{
	return methods[m].vary;
}
