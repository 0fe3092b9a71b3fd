/*
 * out_tracelb: a multipath measurement as a scamper `tracelb` JSON object,
 * built with jansson.  Keys, order and nesting follow scamper's tracelb
 * JSON, so M-Lab's scamper1 parser and scamper's readers take it as is;
 * hoplite's own keys come just before "nodes" (and "links" in a node).
 *
 * scamper's shape, from the probes and links of struct mda_result:
 * - a node is a vertex with at least one link; nodes without links (the
 *   destination) count in "nodec" but are not printed;
 * - a node with several links has ONE inner array, one element per link
 *   with the probes of the link's first hop;
 * - a node with one link has one inner array PER HOP of the link:
 *   [{"addr":"*"}] for each silent hop, then the far end, or
 *   [{"addr":"*"}] when the branch ended in silence;
 * - a per-packet vertex whose successors converge again is printed as one
 *   link whose intermediate hops (a "clump") list every address seen.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/addr.h"
#include "measure/mda.h"
#include "output/out.h"
#include "output/out_tracelb.h"

#ifndef PACKAGE_VERSION
#error "PACKAGE_VERSION must be defined (config.h or -D)"
#endif

static void lb_clumps(struct out_lb_view *);

static int
probe_cmp(const void *a, const void *b, void *arg)
{
	const struct mda_result *r = arg;
	const struct mda_probe *p = &r->probes[*(const size_t *)a];
	const struct mda_probe *q = &r->probes[*(const size_t *)b];

	if (p->flow != q->flow)
		return p->flow < q->flow ? -1 : 1;
	if (p->ttl != q->ttl)
		return p->ttl < q->ttl ? -1 : 1;
	/* Send order within a (flow, TTL): the attempts in turn. */
	return *(const size_t *)a < *(const size_t *)b ? -1 :
	    *(const size_t *)a > *(const size_t *)b;
}

int
out_lb_view_init(struct out_lb_view *v, const struct mda_result *r)
{
	size_t i, n;

	memset(v, 0, sizeof(*v));
	v->r = r;
	if (r->nprobes > 0 &&
	    ((v->ord = calloc(r->nprobes, sizeof(*v->ord))) == NULL ||
	    (v->grp = calloc(r->nprobes, sizeof(*v->grp))) == NULL))
		goto fail;
	if (r->nvertices > 0 &&
	    ((v->absorbed = calloc(r->nvertices, 1)) == NULL ||
	    (v->clump_depth = calloc(r->nvertices,
	    sizeof(*v->clump_depth))) == NULL ||
	    (v->clump_far = calloc(r->nvertices,
	    sizeof(*v->clump_far))) == NULL ||
	    (v->mark = calloc(r->nvertices, 1)) == NULL ||
	    (v->indeg = calloc(r->nvertices, sizeof(*v->indeg))) == NULL))
		goto fail;
	for (i = 0; i < r->nlinks; i++)
		if (r->links[i].to >= 0 &&
		    (size_t)r->links[i].to < r->nvertices)
			v->indeg[r->links[i].to]++;
	for (i = 0; i < r->nprobes; i++)
		v->ord[i] = i;
	/* qsort_r: glibc's argument order.  No probes: ord may be NULL. */
	if (r->nprobes > 1)
		qsort_r(v->ord, r->nprobes, sizeof(*v->ord), probe_cmp,
		    (void *)r);
	for (i = 0; i < r->nprobes; i = n) {
		const struct mda_probe *p = &r->probes[v->ord[i]];
		struct out_lb_grp *g = &v->grp[v->ngrp++];

		for (n = i + 1; n < r->nprobes &&
		    r->probes[v->ord[n]].flow == p->flow &&
		    r->probes[v->ord[n]].ttl == p->ttl; n++)
			;
		g->flow = p->flow;
		g->ttl = p->ttl;
		g->lo = i;
		g->hi = n;
	}
	lb_clumps(v);
	return 0;
fail:
	out_lb_view_free(v);
	return -1;
}

void
out_lb_view_free(struct out_lb_view *v)
{
	free(v->ord);
	free(v->grp);
	free(v->absorbed);
	free(v->clump_depth);
	free(v->clump_far);
	free(v->mark);
	free(v->indeg);
	memset(v, 0, sizeof(*v));
}

const struct mda_probe *
out_lb_probe(const struct out_lb_view *v, size_t i)
{
	return &v->r->probes[v->ord[i]];
}

/* The group of (flow, ttl), or -1. */
ssize_t
out_lb_find(const struct out_lb_view *v, unsigned flow, unsigned ttl)
{
	size_t lo = 0, hi = v->ngrp;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct out_lb_grp *g = &v->grp[mid];

		if (g->flow == flow && g->ttl == ttl)
			return (ssize_t)mid;
		if (g->flow < flow || (g->flow == flow && g->ttl < ttl))
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
out_lb_grp_has(const struct out_lb_view *v, const struct out_lb_grp *g,
    int32_t vertex)
{
	for (size_t i = g->lo; i < g->hi; i++) {
		const struct mda_probe *p = out_lb_probe(v, i);

		if (p->replied && p->vertex == vertex)
			return 1;
	}
	return 0;
}

int
out_lb_grp_silent(const struct out_lb_view *v, const struct out_lb_grp *g)
{
	for (size_t i = g->lo; i < g->hi; i++)
		if (out_lb_probe(v, i)->replied)
			return 0;
	return 1;
}

/* Whether flow f got no answer at TTLs lo..hi (unprobed counts). */
static int
flow_silent(const struct out_lb_view *v, unsigned f, unsigned lo,
    unsigned hi)
{
	for (unsigned t = lo; t <= hi; t++) {
		ssize_t j = out_lb_find(v, f, t);

		if (j != -1 && !out_lb_grp_silent(v, &v->grp[j]))
			return 0;
	}
	return 1;
}

/*
 * The groups (one per flow) at hop `hop` of link l.  A flow follows l
 * when it answered l->to at TTL t2 and nothing at the l->gap TTLs before,
 * and either answered l->from at t2 - gap - 1, or was not probed there
 * and l is the only link into l->to (MDA does not probe a TTL with a
 * single vertex again: the link is implied).  When to == -1: flows that
 * answered l->from and then nothing, silent at the first hop at least.
 */
size_t
out_lb_link_groups(const struct out_lb_view *v, const struct mda_link *l,
    unsigned hop, size_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < v->ngrp && n < max; i++) {
		const struct out_lb_grp *g = &v->grp[i];
		ssize_t j0, j;
		unsigned t;

		if (l->to < 0) {
			unsigned span = l->gap > 0 ? l->gap : 1u;

			if (!out_lb_grp_has(v, g, l->from) ||
			    (j = out_lb_find(v, g->flow, g->ttl + 1u)) == -1 ||
			    !out_lb_grp_silent(v, &v->grp[j]) ||
			    !flow_silent(v, g->flow, g->ttl + 2u,
			    g->ttl + span))
				continue;
			t = g->ttl;
		} else {
			if (g->ttl < l->gap + 2u ||
			    !out_lb_grp_has(v, g, l->to))
				continue;
			t = g->ttl - l->gap - 1u;
			if (!flow_silent(v, g->flow, t + 1u, g->ttl - 1u))
				continue;
			if ((j0 = out_lb_find(v, g->flow, t)) != -1) {
				if (!out_lb_grp_has(v, &v->grp[j0], l->from))
					continue;
			} else if (v->indeg[l->to] != 1)
				continue;
		}
		if ((j = out_lb_find(v, g->flow, t + hop)) != -1)
			out[n++] = (size_t)j;
	}
	return n;
}

/*
 * The groups `hop` TTLs after vertex u, one per flow through u: flows
 * that answered u, and flows not probed at u's TTL that answered a
 * successor which only u leads to.
 */
size_t
out_lb_after_groups(const struct out_lb_view *v, int32_t u, unsigned hop,
    size_t *out, size_t max)
{
	const struct mda_result *r = v->r;
	size_t n = 0, first, nl;
	ssize_t j;

	nl = out_lb_links_from(r, u, &first);
	for (size_t i = 0; i < v->ngrp && n < max; i++) {
		const struct out_lb_grp *g = &v->grp[i];
		unsigned t = g->ttl;

		if (!out_lb_grp_has(v, g, u)) {
			size_t k;

			if (g->ttl < 2 || out_lb_find(v, g->flow,
			    g->ttl - 1u) != -1)
				continue;
			for (k = first; k < first + nl; k++) {
				int32_t to = r->links[k].to;

				if (to >= 0 && r->links[k].gap == 0 &&
				    v->indeg[to] == 1 &&
				    out_lb_grp_has(v, g, to))
					break;
			}
			if (k == first + nl)
				continue;
			t = g->ttl - 1u;
		}
		if ((j = out_lb_find(v, g->flow, t + hop)) != -1)
			out[n++] = (size_t)j;
	}
	return n;
}

/* Links leaving vertex u: [*first, *first + count) of r->links. */
size_t
out_lb_links_from(const struct mda_result *r, int32_t u, size_t *first)
{
	size_t i, n = 0;

	for (i = 0; i < r->nlinks && r->links[i].from != u; i++)
		;
	*first = i;
	for (; i < r->nlinks && r->links[i].from == u; i++)
		n++;
	return n;
}

/*
 * A per-packet vertex u is printed as a clump when, walking its successors
 * hop by hop (links without gaps), the hops converge on one vertex within
 * the measured TTLs and no vertex inside is reached from outside.  The
 * vertices inside are then absorbed: counted in nodec, not printed.
 */
static void
clump_one(struct out_lb_view *v, int32_t u)
{
	const struct mda_result *r = v->r;
	size_t nv = r->nvertices, first, n, i, k;
	unsigned depth;
	int32_t far = -1;

	memset(v->mark, 0, nv);
	n = out_lb_links_from(r, u, &first);
	if (n < 2)
		return;
	for (i = first; i < first + n; i++) {
		if (r->links[i].gap != 0 || r->links[i].to < 0)
			return;
		v->mark[r->links[i].to] = 1;	/* hop 1 */
	}
	for (depth = 1; depth < 255; depth++) {
		size_t nnext = 0;

		far = -1;
		for (k = 0; k < nv; k++) {
			if (v->mark[k] != depth)
				continue;
			if ((n = out_lb_links_from(r, (int32_t)k, &first)) == 0)
				return;
			for (i = first; i < first + n; i++) {
				int32_t to = r->links[i].to;

				if (r->links[i].gap != 0 || to < 0 || to == u ||
				    (v->mark[to] != 0 && v->mark[to] <= depth))
					return;	/* a gap, an end or a loop */
				if (v->mark[to] == 0) {
					v->mark[to] = (uint8_t)(depth + 1);
					far = to;
					nnext++;
				}
			}
		}
		if (nnext == 0)
			return;
		if (nnext == 1)
			break;
	}
	if (depth == 255)
		return;
	v->mark[far] = 0;
	/* No link from outside into the clump. */
	for (i = 0; i < r->nlinks; i++) {
		const struct mda_link *l = &r->links[i];

		if (l->to >= 0 && v->mark[l->to] && l->from != u &&
		    !v->mark[l->from])
			return;
	}
	for (k = 0; k < nv; k++)
		if (v->mark[k])
			v->absorbed[k] = 1;
	v->clump_depth[u] = (uint8_t)depth;
	v->clump_far[u] = far;
}

static void
lb_clumps(struct out_lb_view *v)
{
	const struct mda_result *r = v->r;

	for (size_t u = 0; u < r->nvertices; u++)
		if (r->vertices[u].perpacket && !v->absorbed[u])
			clump_one(v, (int32_t)u);
}

/* Links printed for vertex u (0: not printed). */
size_t
out_lb_node_linkc(const struct out_lb_view *v, int32_t u)
{
	size_t first;

	if (v->absorbed[u])
		return 0;
	if (v->clump_depth[u] > 0)
		return 1;
	return out_lb_links_from(v->r, u, &first);
}

/* --- JSON --------------------------------------------------------------- */

static json_t *
reply_json(const struct mda_probe *p)
{
	json_t *o;
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	err |= json_object_set_new(o, "rx", out_json_time(&p->rx, 0));
	err |= out_json_set_int(o, "ttl", p->reply_ttl);
	/* Whole microseconds: the 10-digit dump (OUT_JSON_FLAGS) prints at
	 * most three decimals. */
	err |= json_object_set_new(o, "rtt", json_real(p->rtt_us / 1000.0));
	if (p->addr.family == AF_INET)
		err |= out_json_set_int(o, "ipid", p->reply_ipid);
	if (p->is_tcp) {
		err |= out_json_set_int(o, "tcp_flags", p->tcp_flags);
	} else {
		err |= out_json_set_int(o, "icmp_type", p->icmp_type);
		err |= out_json_set_int(o, "icmp_code", p->icmp_code);
		err |= out_json_set_int(o, "icmp_q_tos", p->q_tos);
		if (p->has_quote)
			err |= out_json_set_int(o, "icmp_q_ttl", p->q_ttl);
		if (p->next > 0 && p->ext != NULL)
			err |= json_object_set_new(o, "icmpext",
			    out_json_icmpext(p->ext, p->next));
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A probe as listed under address `addr` (NULL: no address). */
static json_t *
probe_json(const struct mda_result *r, const struct mda_probe *p,
    const struct addr_ip *addr)
{
	json_t *o, *a;
	int mine = p->replied && addr != NULL && addr_eq(&p->addr, addr);
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	err |= json_object_set_new(o, "tx", out_json_time(&p->tx, 0));
	err |= out_json_set_int(o, "replyc", mine);
	err |= out_json_set_int(o, "ttl", p->ttl);
	err |= out_json_set_int(o, "attempt", p->attempt > 0 ?
	    p->attempt - 1 : 0);
	err |= out_json_set_int(o, "flowid", mda_flowid_value(r, p->flow));
	if (mine) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(o, "replies", a) == -1 ||
		    json_array_append_new(a, reply_json(p)) == -1)
			err = -1;
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * {"addr": addr, "probes": [...]}: the probes of the groups answered from
 * addr, and unless `answered` those that got no answer (answers from
 * another address are listed under that address).  addr NULL: "*" and
 * every probe.
 */
static json_t *
elem_json(const struct out_lb_view *v, const struct addr_ip *addr,
    const size_t *gs, size_t ng, int answered)
{
	json_t *o, *probes, *p;
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	if (addr != NULL)
		err |= out_json_set_addr(o, "addr", addr);
	else
		err |= out_json_set_str(o, "addr", "*");
	if (err || (probes = json_array()) == NULL ||
	    json_object_set_new(o, "probes", probes) == -1)
		goto fail;
	for (size_t k = 0; k < ng; k++) {
		const struct out_lb_grp *g = &v->grp[gs[k]];

		for (size_t i = g->lo; i < g->hi; i++) {
			const struct mda_probe *q = out_lb_probe(v, i);

			if (q->replied && addr != NULL &&
			    !addr_eq(&q->addr, addr))
				continue;
			if (!q->replied && answered)
				continue;
			if ((p = probe_json(v->r, q, addr)) == NULL ||
			    json_array_append_new(probes, p) == -1)
				goto fail;
		}
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

static json_t *
star_json(void)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (out_json_set_str(o, "addr", "*") == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Append [elem] to links. */
static int
append_hop(json_t *links, json_t *elem)
{
	json_t *hop;

	if (elem == NULL)
		return -1;
	if ((hop = json_array()) == NULL) {
		json_decref(elem);
		return -1;
	}
	if (json_array_append_new(hop, elem) == -1) {
		json_decref(hop);
		return -1;
	}
	return json_array_append_new(links, hop);
}

/*
 * A clump hop: one element per address that answered the groups, in the
 * order first seen, then {"addr":"*"} if a group got no answer at all.
 */
static json_t *
summary_json(const struct out_lb_view *v, const size_t *gs, size_t ng)
{
	json_t *hop, *e;
	int silent = 0;

	if ((hop = json_array()) == NULL)
		return NULL;
	for (size_t k = 0; k < ng; k++) {
		const struct out_lb_grp *g = &v->grp[gs[k]];

		if (out_lb_grp_silent(v, g)) {
			silent = 1;
			continue;
		}
		for (size_t i = g->lo; i < g->hi; i++) {
			const struct mda_probe *q = out_lb_probe(v, i);
			int seen = 0;

			if (!q->replied)
				continue;
			/* Listed already from an earlier probe? */
			for (size_t k2 = 0; k2 <= k && !seen; k2++) {
				const struct out_lb_grp *g2 = &v->grp[gs[k2]];
				size_t end = k2 == k ? i : g2->hi;

				for (size_t i2 = g2->lo; i2 < end; i2++) {
					const struct mda_probe *q2 =
					    out_lb_probe(v, i2);

					if (q2->replied &&
					    addr_eq(&q2->addr, &q->addr)) {
						seen = 1;
						break;
					}
				}
			}
			if (seen)
				continue;
			if ((e = elem_json(v, &q->addr, gs, ng, 1)) == NULL ||
			    json_array_append_new(hop, e) == -1)
				goto fail;
		}
	}
	if (silent || json_array_size(hop) == 0) {
		if (json_array_append_new(hop, star_json()) == -1)
			goto fail;
	}
	return hop;
fail:
	json_decref(hop);
	return NULL;
}

/* Node u's "links": see the file's comment for the three shapes. */
static json_t *
node_links_json(const struct out_lb_view *v, int32_t u, size_t *gs,
    size_t max)
{
	const struct mda_result *r = v->r;
	json_t *links, *inner, *e;
	size_t first, n, ng;

	if ((links = json_array()) == NULL)
		return NULL;
	n = out_lb_links_from(r, u, &first);
	if (v->clump_depth[u] > 0) {
		unsigned d = v->clump_depth[u];
		int32_t far = v->clump_far[u];

		for (unsigned h = 1; h <= d; h++) {
			ng = out_lb_after_groups(v, u, h, gs, max);
			if ((inner = summary_json(v, gs, ng)) == NULL ||
			    json_array_append_new(links, inner) == -1)
				goto fail;
		}
		ng = out_lb_after_groups(v, u, d + 1, gs, max);
		if (append_hop(links, elem_json(v, &r->vertices[far].addr, gs,
		    ng, 0)) == -1)
			goto fail;
	} else if (n > 1) {
		if ((inner = json_array()) == NULL ||
		    json_array_append_new(links, inner) == -1)
			goto fail;
		for (size_t i = first; i < first + n; i++) {
			const struct mda_link *l = &r->links[i];

			ng = out_lb_link_groups(v, l, 1, gs, max);
			e = elem_json(v, l->to >= 0 ?
			    &r->vertices[l->to].addr : NULL, gs, ng, 0);
			if (e == NULL || json_array_append_new(inner, e) == -1)
				goto fail;
		}
	} else if (n == 1) {
		const struct mda_link *l = &r->links[first];
		unsigned silent = l->to >= 0 ? l->gap :
		    (l->gap > 0 ? l->gap : 1u);

		for (unsigned h = 0; h < silent; h++)
			if (append_hop(links, star_json()) == -1)
				goto fail;
		if (l->to >= 0) {
			ng = out_lb_link_groups(v, l, l->gap + 1u, gs, max);
			if (append_hop(links, elem_json(v,
			    &r->vertices[l->to].addr, gs, ng, 0)) == -1)
				goto fail;
		}
	}
	return links;
fail:
	json_decref(links);
	return NULL;
}

static json_t *
node_json(const struct out_lb_view *v, int32_t u, size_t *gs, size_t max,
    const struct out_extra *ex)
{
	const struct mda_vertex *x = &v->r->vertices[u];
	const char *name;
	json_t *o;
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	err |= out_json_set_addr(o, "addr", &x->addr);
	/* scamper -O ptr: a node's name right after its address. */
	if (ex != NULL && ex->name != NULL &&
	    (name = ex->name(&x->addr, ex->arg)) != NULL)
		err |= out_json_set_str(o, "name", name);
	if (x->has_q_ttl)
		err |= out_json_set_int(o, "q_ttl", x->q_ttl);
	err |= out_json_set_int(o, "linkc",
	    (json_int_t)out_lb_node_linkc(v, u));
	if (x->perpacket)
		err |= json_object_set_new(o, "perpacket", json_true());
	err |= json_object_set_new(o, "links", node_links_json(v, u, gs, max));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
is_udp_or_tcp(enum mda_method m)
{
	return m == MDA_UDP_DPORT || m == MDA_UDP_SPORT ||
	    m == MDA_TCP_SPORT || m == MDA_TCP_ACK_SPORT;
}

static int
header_json(json_t *o, const struct out_lb_view *v)
{
	const struct mda_result *r = v->r;
	const struct mda_conf *c = &r->conf;
	const char *method = mda_method_name(c->method);
	const char *stop = mda_stop_name(r->stop_reason);
	size_t linkc = 0;
	int err = 0;

	for (size_t u = 0; u < r->nvertices; u++)
		linkc += out_lb_node_linkc(v, (int32_t)u);
	err |= out_json_set_str(o, "type", "tracelb");
	err |= out_json_set_str(o, "version", "0.1");
	err |= out_json_set_int(o, "userid", 0);
	err |= out_json_set_str(o, "method", method != NULL ? method : "");
	if (r->flow0.src.family != 0)
		err |= out_json_set_addr(o, "src", &r->flow0.src);
	if (r->flow0.dst.family != 0)
		err |= out_json_set_addr(o, "dst", &r->flow0.dst);
	if (is_udp_or_tcp(c->method)) {
		err |= out_json_set_int(o, "sport", c->sport);
		err |= out_json_set_int(o, "dport", c->dport);
	}
	err |= json_object_set_new(o, "start", out_json_time(&r->start, 1));
	err |= out_json_set_int(o, "probe_size",
	    r->flow0.size != 0 ? r->flow0.size : c->size);
	err |= out_json_set_int(o, "firsthop", c->first_ttl);
	err |= out_json_set_int(o, "attempts", c->attempts);
	err |= out_json_set_int(o, "confidence", c->confidence);
	err |= out_json_set_int(o, "tos", c->tos);
	err |= out_json_set_int(o, "gaplimit", c->gaplimit);
	/* scamper's whole seconds, rounded up (wait_ms is exact); the probe
	 * spacing in milliseconds, as M-Lab's archived scamper1 files. */
	err |= out_json_set_int(o, "wait_timeout",
	    ((json_int_t)c->wait_ms + 999) / 1000);
	err |= out_json_set_int(o, "wait_probe", c->probe_gap_ms);
	err |= out_json_set_int(o, "probec", r->probec);
	err |= out_json_set_int(o, "probec_max", c->probec_max);
	err |= out_json_set_int(o, "nodec", (json_int_t)r->nvertices);
	err |= out_json_set_int(o, "linkc", (json_int_t)linkc);
	if (r->stop_reason == MDA_STOP_ERROR)
		err |= out_json_set_str(o, "errmsg", strerror(r->stop_data));
	/* hoplite's own. */
	err |= out_json_set_str(o, "hoplite_version", PACKAGE_VERSION);
	err |= out_json_set_str(o, "stop_rule",
	    c->rule == MDA_RULE_FULL ? "mda" : "mda-lite");
	err |= out_json_set_str(o, "stop_reason", stop != NULL ? stop : "NONE");
	err |= out_json_set_int(o, "wait_ms", c->wait_ms);
	err |= out_json_set_int(o, "window", c->window);
	if (r->flow0.dst.family == AF_INET6)
		err |= out_json_set_str(o, "hoplite_flowlabel",
		    c->flowlabel_fixed ? "fixed" : "per-flow");
	return err ? -1 : 0;
}

json_t *
out_tracelb_json(const struct mda_result *r)
{
	return out_tracelb_json_x(r, NULL);
}

json_t *
out_tracelb_json_x(const struct mda_result *r, const struct out_extra *x)
{
	struct out_lb_view v;
	json_t *o = NULL, *nodes = NULL, *n;
	size_t *gs = NULL, max = r->nprobes > 0 ? r->nprobes : 1;

	if (out_lb_view_init(&v, r) == -1)
		return NULL;
	if ((gs = calloc(max, sizeof(*gs))) == NULL ||
	    (o = json_object()) == NULL || header_json(o, &v) == -1)
		goto fail;
	for (size_t u = 0; u < r->nvertices; u++) {
		if (out_lb_node_linkc(&v, (int32_t)u) == 0)
			continue;
		if (nodes == NULL && ((nodes = json_array()) == NULL ||
		    json_object_set_new(o, "nodes", nodes) == -1))
			goto fail;
		if ((n = node_json(&v, (int32_t)u, gs, max, x)) == NULL ||
		    json_array_append_new(nodes, n) == -1)
			goto fail;
	}
	free(gs);
	out_lb_view_free(&v);
	return o;
fail:
	free(gs);
	json_decref(o);
	out_lb_view_free(&v);
	return NULL;
}

int
out_tracelb_json_line(FILE *fp, const struct mda_result *r)
{
	json_t *o;
	int rv = -1;

	if ((o = out_tracelb_json(r)) == NULL)
		goto done;
	rv = out_json_write_line(fp, o);
done:
	json_decref(o);
	return rv;
}
