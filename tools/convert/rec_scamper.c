/*
 * rec_scamper: scamper's JSON (hoplite's, M-Lab's, raw) into the record
 * model.  A trace lists its hops, one reply each; a tracelb its nodes,
 * whose links list the addresses beyond with the probes they answered.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rec_priv.h"

static void
rec_why(char *buf, size_t len, size_t *count, const char *fmt, ...)
{
	va_list ap;

	if ((*count)++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

#define BAD_HOP(r, ...) \
	rec_why((r)->bad_hop_why, sizeof((r)->bad_hop_why), &(r)->bad_hops, \
	    __VA_ARGS__)

#define BAD_NODE(r, ...) \
	rec_why((r)->bad_node_why, sizeof((r)->bad_node_why), \
	    &(r)->bad_nodes, __VA_ARGS__)

/*
 * A hop or link address: REC_NONE for "*" and "" (no address), -1 for
 * something that is not an address at all.
 */
static int
rec_hop_addr(struct rec *r, const sj_t *v, const struct rec_opts *opt,
    uint32_t *idx)
{
	*idx = REC_NONE;
	if (sj_string(v) == NULL)
		return -1;
	return rec_hop_addr_str(r, sj_string(v), opt, idx);
}

/* MPLS label stacks of RFC 4950 extension objects. */
static void
rec_mpls(struct rec *r, struct rec_hop *h, const sj_t *ext)
{
	size_t i, j;
	const sj_t *ie, *lab;

	h->mpls = (uint32_t)r->nmpls;
	if (!sj_is_array(ext))
		return;
	sj_array_foreach(ext, i, ie) {
		sj_array_foreach(sj_get(ie, "mpls_labels"), j, lab) {
			rec_lse_add(r, h, rec_jint(lab, "mpls_label", -1),
			    rec_jint(lab, "mpls_exp", -1),
			    rec_jint(lab, "mpls_s", -1),
			    rec_jint(lab, "mpls_ttl", -1));
		}
	}
}

/*
 * One scamper reply: the hop row, the address's statistics and the path
 * slot.  rep holds rtt, reply TTL and ICMP fields under the given key
 * names.
 */
static int
rec_add_hop(struct rec *r, uint32_t addr, int64_t flowid, int ttl,
    int probe_id, const sj_t *rep, const char *ttl_key, int slot)
{
	struct rec_hop *h = rec_hop_new(r, addr, flowid, ttl, probe_id);
	/* the members sj_get() would give (the last of each name), found
	 * in one pass over the reply's keys */
	const sj_t *rtt = NULL, *rttl = NULL, *type = NULL, *code = NULL,
	    *flags = NULL, *ext = NULL, *k, *end;
	size_t tlen = strlen(ttl_key);

	if (h == NULL)
		return -1;
	end = sj_is_object(rep) ? rep + rep->skip : NULL;
	for (k = end != NULL ? rep + 1 : NULL; k < end; k = k + 1 + k[1].skip) {
		const char *n = k->u.s;

		if (k->n == tlen && memcmp(n, ttl_key, tlen) == 0)
			rttl = k + 1;
		else if (k->n == 3 && memcmp(n, "rtt", 3) == 0)
			rtt = k + 1;
		else if (k->n == 9 && memcmp(n, "icmp_type", 9) == 0)
			type = k + 1;
		else if (k->n == 9 && memcmp(n, "icmp_code", 9) == 0)
			code = k + 1;
		else if (k->n == 9 && memcmp(n, "tcp_flags", 9) == 0)
			flags = k + 1;
		else if (k->n == 7 && memcmp(n, "icmpext", 7) == 0)
			ext = k + 1;
	}
	h->rtt = rec_rtt(rtt);
	h->reply_ttl = sj_is_integer(rttl) ? (int)sj_integer(rttl) : -1;
	h->icmp_type = sj_is_integer(type) ? (int)sj_integer(type) : -1;
	h->icmp_code = sj_is_integer(code) ? (int)sj_integer(code) : -1;
	h->tcp_flags = sj_is_integer(flags) ? (int)sj_integer(flags) : -1;
	rec_mpls(r, h, ext);
	return rec_hop_done(r, h, slot);
}

static int
rec_trace_hops(struct rec *r, const sj_t *t, const struct rec_opts *opt)
{
	const sj_t *hops = sj_get(t, "hops"), *h;
	size_t i;

	if (hops == NULL)
		return 0;
	if (!sj_is_array(hops)) {
		r->fail = "hops is not an array";
		return -1;
	}
	sj_array_foreach(hops, i, h) {
		int64_t ttl = rec_jint(h, "probe_ttl", -1);
		uint32_t addr;

		if (!sj_is_object(h)) {
			BAD_HOP(r, "hop %zu is not an object", i);
			continue;
		}
		if (!rec_ttl_ok(ttl)) {
			BAD_HOP(r, "hop %zu: no probe_ttl from 1 to 255", i);
			continue;
		}
		if (rec_hop_addr(r, sj_get(h, "addr"), opt,
		    &addr) == -1) {
			BAD_HOP(r, "hop %zu: addr is not an address", i);
			continue;
		}
		if (rec_add_hop(r, addr, r->flowid, (int)ttl,
		    (int)rec_jint(h, "probe_id", 0), h, "reply_ttl", 1) == -1)
			return -1;
	}
	return 0;
}

/* The probes of one tracelb link entry whose replies came from addr. */
static int
rec_probes(struct rec *r, uint32_t addr, const sj_t *probes,
    struct rec_lbflows *fl)
{
	const sj_t *p, *rep;
	size_t i, j;

	sj_array_foreach(probes, i, p) {
		int64_t ttl = rec_jint(p, "ttl", -1), flowid = rec_jint(p, "flowid", -1);
		const sj_t *replies = sj_get(p, "replies");

		if (!rec_ttl_ok(ttl) || flowid < 0 ||
		    (replies != NULL && !sj_is_array(replies))) {
			BAD_HOP(r, "a probe without ttl, flowid or replies");
			continue;
		}
		if (rec_lbflows_add(r, fl, flowid) == -1)
			return -1;
		sj_array_foreach(replies, j, rep) {
			if (!sj_is_object(rep)) {
				BAD_HOP(r, "a reply that is not an object");
				continue;
			}
			if (rec_add_hop(r, addr, flowid, (int)ttl,
			    (int)rec_jint(p, "attempt", 0) + 1, rep, "ttl", 1) == -1)
				return -1;
		}
	}
	return 0;
}

static int
rec_node_links(struct rec *r, const sj_t *node, size_t ni,
    const struct rec_opts *opt, struct rec_lbflows *fl)
{
	const sj_t *links = sj_get(node, "links"), *hopv, *e;
	size_t i, j;

	if (links == NULL) {
		if (rec_jint(node, "linkc", 0) > 0)
			BAD_NODE(r, "node %zu: linkc %lld but no links", ni,
			    (long long)rec_jint(node, "linkc", 0));
		return 0;
	}
	if (!sj_is_array(links)) {
		BAD_NODE(r, "node %zu: links is not an array", ni);
		return 0;
	}
	sj_array_foreach(links, i, hopv) {
		if (!sj_is_array(hopv)) {
			BAD_NODE(r, "node %zu: a link that is not an array",
			    ni);
			continue;
		}
		sj_array_foreach(hopv, j, e) {
			const sj_t *probes = sj_get(e, "probes");
			uint32_t addr;

			if (rec_hop_addr(r, sj_get(e, "addr"), opt,
			    &addr) == -1 ||
			    (probes != NULL && !sj_is_array(probes))) {
				BAD_NODE(r, "node %zu: a link hop without "
				    "address or probes", ni);
				continue;
			}
			if (rec_probes(r, addr, probes, fl) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * tracelb: every probe that got a reply gives (flow id, TTL, address);
 * the first node is every flow's first hop.  Links come from these
 * per-flow paths, not from scamper's node chains.
 */
static int
rec_tracelb(struct rec *r, const sj_t *t, const struct rec_opts *opt)
{
	const sj_t *nodes = sj_get(t, "nodes"), *n;
	struct rec_lbflows fl;
	size_t i;
	uint32_t first = REC_NONE;

	if (nodes != NULL && !sj_is_array(nodes)) {
		r->fail = "nodes is not an array";
		return -1;
	}
	rec_lbflows_begin(r, &fl);
	sj_array_foreach(nodes, i, n) {
		if (!sj_is_object(n)) {
			BAD_NODE(r, "node %zu is not an object", i);
			continue;
		}
		if (i == 0 && rec_hop_addr(r, sj_get(n, "addr"), opt,
		    &first) == -1)
			BAD_NODE(r, "node 0: addr is not an address");
		if (i == 0 && rec_add_hop(r, first, -1, r->firsthop, -1, NULL,
		    "ttl", 0) == -1)
			return -1;
		if (rec_node_links(r, n, i, opt, &fl) == -1)
			return -1;
	}
	return rec_lbflows_end(r, &fl, first);
}

/* A scamper trace or tracelb object (hoplite's, M-Lab's, raw). */
int
rec_scamper(struct rec *r, const sj_t *t, const struct rec_opts *opt)
{
	const sj_t *start = sj_get(t, "start");

	r->kind = strcmp(r->type, "tracelb") == 0 ? REC_TRACELB : REC_TRACE;
	if (rec_set_ends(r, rec_jstr(t, "dst"), rec_jstr(t, "src"),
	    opt) == -1) {
		r->fail = "without a dst address";
		return -1;
	}
	if (start != NULL && !sj_is_object(start)) {
		r->fail = "start is not an object";
		return -1;
	}
	r->start_sec = rec_jint(start, "sec", 0);
	r->start_usec = rec_jint(start, "usec", 0);
	if (r->start_usec < 0 || r->start_usec > 999999)
		r->start_usec = 0;
	r->method = rec_jstr(t, "method");
	r->stop_reason = rec_jstr(t, "stop_reason");
	r->firsthop = (int)rec_jint(t, "firsthop", 1);
	if (!rec_ttl_ok(r->firsthop))
		r->firsthop = 1;
	r->hop_count = (int)rec_jint(t, "hop_count", -1);
	r->flowid = r->kind == REC_TRACE ? rec_jint(t, "flowid", -1) : -1;
	if (r->flowid < -1)
		r->flowid = -1;
	if (r->kind == REC_TRACE)
		return rec_trace_hops(r, t, opt);
	return rec_tracelb(r, t, opt);
}
