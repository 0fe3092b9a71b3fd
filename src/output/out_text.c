/*
 * out_text: a trace as a traceroute-like table, one line per TTL with every
 * reply's RTT, addresses grouped when several answered the same TTL.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "util/addr.h"
#include "output/out.h"
#include "probe/pkt.h"
#include "measure/trace.h"

#define EXT_MPLS_CN	1
#define EXT_MPLS_CT	1

/* TCP flag names in header bit order (FIN is bit 0). */
static const char *const tcp_flag_names[8] = {
	"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"
};

static void
unreach_note(int v6, uint8_t code, char *buf, size_t len)
{
	const char *s = NULL;

	if (!v6) {
		switch (code) {
		case 0:			/* net unreachable */
			s = "!N";
			break;
		case 1:			/* host unreachable */
			s = "!H";
			break;
		case 2:			/* protocol unreachable */
			s = "!P";
			break;
		case 3:			/* port unreachable: the destination */
			s = "";
			break;
		case 4:			/* fragmentation needed */
			s = "!F";
			break;
		case 5:			/* source route failed */
			s = "!S";
			break;
		case 9:			/* net administratively prohibited */
		case 10:		/* host administratively prohibited */
		case 13:		/* communication administratively prohibited */
			s = "!X";
			break;
		}
	} else {
		switch (code) {
		case 0:			/* no route */
			s = "!N";
			break;
		case 1:			/* administratively prohibited */
		case 5:			/* source address failed policy */
		case 6:			/* reject route */
			s = "!X";
			break;
		case 3:			/* address unreachable */
			s = "!H";
			break;
		case 4:			/* port unreachable: the destination */
			s = "";
			break;
		}
	}
	if (s != NULL)
		snprintf(buf, len, "%s%s", *s != '\0' ? " " : "", s);
	else
		snprintf(buf, len, " !%u", code);
}

/* What follows an RTT: "" for time exceeded and echo replies. */
static void
reply_note(const struct trace_result *r, const struct trace_hop *h,
    char *buf, size_t len)
{
	int v6;

	buf[0] = '\0';
	if (h->is_tcp) {
		size_t n = 0;

		n += snprintf(buf + n, len - n, " [");
		for (int i = 0; i < 8 && n < len; i++) {
			if ((h->tcp_flags & (1u << i)) == 0)
				continue;
			n += snprintf(buf + n, len - n, "%s%s",
			    buf[n - 1] == '[' ? "" : ",", tcp_flag_names[i]);
		}
		if (n < len)
			snprintf(buf + n, len - n, "]");
		return;
	}

	v6 = (r->flow.dst.family != 0 ? r->flow.dst.family :
	    h->addr.family) == AF_INET6;
	if (!v6) {
		if ((h->icmp_type == 11 && h->icmp_code == 0) ||
		    h->icmp_type == 0)
			return;
		if (h->icmp_type == 3) {
			unreach_note(0, h->icmp_code, buf, len);
			return;
		}
	} else {
		if ((h->icmp_type == 3 && h->icmp_code == 0) ||
		    h->icmp_type == 129)
			return;
		if (h->icmp_type == 1) {
			unreach_note(1, h->icmp_code, buf, len);
			return;
		}
	}
	/* Any other ICMP message: its type and code. */
	snprintf(buf, len, " !T%u/%u", h->icmp_type, h->icmp_code);
}

static int
has_mpls(const struct trace_hop *h)
{
	size_t n = h->next < PKT_MAX_EXT ? h->next : PKT_MAX_EXT;

	for (size_t i = 0; i < n; i++)
		if (h->ext[i].cn == EXT_MPLS_CN &&
		    h->ext[i].ct == EXT_MPLS_CT && h->ext[i].nmpls > 0)
			return 1;
	return 0;
}

static void
print_mpls(FILE *fp, const struct trace_hop *h)
{
	size_t n = h->next < PKT_MAX_EXT ? h->next : PKT_MAX_EXT;

	for (size_t i = 0; i < n; i++) {
		const struct pkt_ext *e = &h->ext[i];
		size_t nm = e->nmpls < PKT_MAX_MPLS ? e->nmpls : PKT_MAX_MPLS;

		if (e->cn != EXT_MPLS_CN || e->ct != EXT_MPLS_CT)
			continue;
		for (size_t j = 0; j < nm; j++)
			fprintf(fp, "     MPLS Label %u TTL=%u\n",
			    (unsigned)e->mpls[j].label,
			    (unsigned)e->mpls[j].ttl);
	}
}

/* Whether hop i's address already answered this TTL before index i. */
static int
seen_before(const struct trace_result *r, size_t i)
{
	const struct trace_hop *h = &r->hops[i];

	for (size_t j = 0; j < i; j++)
		if (r->hops[j].probe_ttl == h->probe_ttl &&
		    addr_eq(&r->hops[j].addr, &h->addr))
			return 1;
	return 0;
}

/* "name (addr) [AS64500]", as traceroute -A writes it; "addr" alone
 * without a name. */
static void
print_addr(FILE *fp, const struct addr_ip *a, const struct out_extra *x,
    int first)
{
	char addr[ADDR_STRLEN];
	const char *name = NULL, *as = NULL;

	addr_ntop(a, addr, sizeof(addr));
	if (x != NULL && x->name != NULL)
		name = x->name(a, x->arg);
	if (x != NULL && x->asn != NULL)
		as = x->asn(a, x->arg);
	fputs(first ? " " : "  ", fp);
	if (name != NULL)
		fprintf(fp, "%s (%s)", name, addr);
	else
		fputs(addr, fp);
	if (x != NULL && x->asn != NULL)
		fprintf(fp, " [%s%s]", as != NULL ? "AS" : "",
		    as != NULL ? as : "*");
}

static void
print_ttl(FILE *fp, const struct trace_result *r, unsigned ttl,
    const struct out_extra *x)
{
	char note[64];
	int any = 0;

	fprintf(fp, "%2u ", ttl);
	for (size_t i = 0; i < r->nhops; i++) {
		const struct trace_hop *h = &r->hops[i];

		if (h->probe_ttl != ttl || seen_before(r, i))
			continue;
		print_addr(fp, &h->addr, x, !any);
		any = 1;
		for (size_t k = i; k < r->nhops; k++) {
			const struct trace_hop *g = &r->hops[k];

			if (g->probe_ttl != ttl || !addr_eq(&g->addr, &h->addr))
				continue;
			reply_note(r, g, note, sizeof(note));
			fprintf(fp, "  %u.%03u ms%s", (unsigned)(g->rtt_us / 1000),
			    (unsigned)(g->rtt_us % 1000), note);
		}
	}
	fputs(any ? "\n" : " *\n", fp);

	/* MPLS stacks, once per address (from its first reply with one). */
	for (size_t i = 0; i < r->nhops; i++) {
		const struct trace_hop *h = &r->hops[i];
		int printed = 0;

		if (h->probe_ttl != ttl || seen_before(r, i))
			continue;
		for (size_t k = i; k < r->nhops && !printed; k++) {
			const struct trace_hop *g = &r->hops[k];

			if (g->probe_ttl == ttl && addr_eq(&g->addr, &h->addr) &&
			    has_mpls(g)) {
				print_mpls(fp, g);
				printed = 1;
			}
		}
	}
}

/*
 * The last TTL to show: the destination's when the trace completed,
 * otherwise the highest TTL that was probed (hop_count) or answered.
 */
static unsigned
last_ttl(const struct trace_result *r)
{
	unsigned last = r->hop_count;

	if (r->stop_reason == TRACE_STOP_COMPLETED && last > 0)
		return last;
	for (size_t i = 0; i < r->nhops; i++)
		if (r->hops[i].probe_ttl > last)
			last = r->hops[i].probe_ttl;
	return last;
}

int
out_trace_text_head(FILE *fp, const struct trace_result *r,
    const struct out_extra *x)
{
	const struct pkt_method *m = r->conf.method;
	char src[ADDR_STRLEN], dst[ADDR_STRLEN];

	addr_ntop(&r->flow.dst, dst, sizeof(dst));
	/* The name the user typed, and the address it chose. */
	if (x != NULL && x->dst_name != NULL && strcmp(x->dst_name, dst) != 0)
		fprintf(fp, "traceroute to %s (%s)", x->dst_name, dst);
	else
		fprintf(fp, "traceroute to %s", dst);
	fprintf(fp, " from %s, %s, flow %u, max %u hops\n",
	    addr_ntop(&r->flow.src, src, sizeof(src)),
	    m != NULL && m->name != NULL ? m->name : "?",
	    (unsigned)r->conf.flowid, (unsigned)r->conf.max_ttl);
	return ferror(fp) ? -1 : 0;
}

int
out_trace_text_ttl(FILE *fp, const struct trace_result *r, unsigned ttl,
    const struct out_extra *x)
{
	print_ttl(fp, r, ttl, x);
	if (fflush(fp) == EOF || ferror(fp))
		return -1;
	return 0;
}

int
out_trace_text_tail(FILE *fp, const struct trace_result *r, unsigned from,
    const struct out_extra *x)
{
	const char *stop = trace_stop_name(r->stop_reason);
	unsigned last = last_ttl(r);

	for (unsigned ttl = from; ttl <= last; ttl++)
		print_ttl(fp, r, ttl, x);

	fprintf(fp, "stop: %s", stop != NULL ? stop : "NONE");
	switch (r->stop_reason) {
	case TRACE_STOP_UNREACH:
		fprintf(fp, " (code %u)", r->stop_data);
		break;
	case TRACE_STOP_ICMP:
		fprintf(fp, " (type %u)", r->stop_data);
		break;
	case TRACE_STOP_ERROR:
		if (r->stop_data != 0)
			fprintf(fp, " (%s)", strerror(r->stop_data));
		break;
	default:
		break;
	}
	fputc('\n', fp);

	if (fflush(fp) == EOF || ferror(fp))
		return -1;
	return 0;
}

int
out_trace_text_x(FILE *fp, const struct trace_result *r,
    const struct out_extra *x)
{
	unsigned first = r->conf.first_ttl > 0 ? r->conf.first_ttl : 1;

	if (out_trace_text_head(fp, r, x) == -1)
		return -1;
	return out_trace_text_tail(fp, r, first, x);
}

int
out_trace_text(FILE *fp, const struct trace_result *r)
{
	return out_trace_text_x(fp, r, NULL);
}
