/*
 * mda: multipath detection as an engine client.
 *
 * This file keeps the measurement's state: the flows (in blocks that never
 * move, since the engine holds a pointer to a flow while its probe is in
 * flight), what each (flow, TTL) got, the vertices, the queue of probes the
 * rules want, and the result.  The rules that fill the queue live in
 * mda_rule.c.  Probes leave lowest TTL first under a per-measurement
 * window and probe gap; every reply or timeout re-runs the rules for the
 * TTLs it touched.
 */
#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

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
static unsigned
max_flows(const struct mda_conf *c)
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
	unsigned n = max_flows(c);

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
		snprintf(err, errlen, "first TTL %u is above the maximum TTL %u",
		    c->first_ttl, c->max_ttl);
		return -1;
	}
	if (c->attempts > 10) {
		snprintf(err, errlen, "attempts %u out of range 1-10",
		    c->attempts);
		return -1;
	}
	if (c->size != 0 && (c->size < pm->min_size(family) ||
	    c->size > 1500)) {
		snprintf(err, errlen, "probe size %u out of range %u-1500 for %s",
		    c->size, pm->min_size(family), methods[c->method].name);
		return -1;
	}
	if (c->method == MDA_FLOWLABEL && family != AF_INET6) {
		snprintf(err, errlen, "method flowlabel is for IPv6 only");
		return -1;
	}
	if (max_flows(c) < 16) {
		snprintf(err, errlen, "port base %u leaves fewer than 16 flows",
		    methods[c->method].vary == PKT_VARY_DPORT ? c->dport :
		    c->sport);
		return -1;
	}
	return 0;
}

/* --- flows and cells -------------------------------------------------- */

struct mda_cell *
mda_cell(const struct mda *m, unsigned flow, unsigned ttl)
{
	return &m->blk[flow / MDA_FBLK]->cell[(flow % MDA_FBLK) * m->span +
	    ttl];
}

unsigned
mda_flow_end(const struct mda *m, unsigned flow)
{
	return m->blk[flow / MDA_FBLK]->end[flow % MDA_FBLK];
}

static void
flow_set_end(struct mda *m, unsigned flow, unsigned ttl)
{
	uint8_t *e = &m->blk[flow / MDA_FBLK]->end[flow % MDA_FBLK];

	if (*e == 0 || ttl < *e)
		*e = (uint8_t)ttl;
}

static const struct pkt_flow *
flow_at(const struct mda *m, unsigned flow)
{
	return &m->blk[flow / MDA_FBLK]->flow[flow % MDA_FBLK];
}

/* A new flow id; its index, or -1 when none is left (or no memory). */
int
mda_flow_new(struct mda *m)
{
	unsigned f = m->nflows, b = f / MDA_FBLK;
	struct mda_fblock *blk;

	if (f >= m->max_flows)
		return -1;
	if (m->blk[b] == NULL) {
		size_t cells = (size_t)MDA_FBLK * m->span;

		if ((blk = calloc(1, sizeof(*blk) +
		    cells * sizeof(struct mda_cell))) == NULL)
			return -1;
		for (size_t i = 0; i < cells; i++)
			blk->cell[i].vertex = -1;
		m->blk[b] = blk;
	}
	if (m->pm->flow(&m->fp, f, &m->blk[b]->flow[f % MDA_FBLK]) == -1)
		return -1;
	m->nflows++;
	return (int)f;
}

void
mda_dirty(struct mda *m, int lo, int hi)
{
	const struct mda_conf *c = &m->res.conf;

	if (lo < c->first_ttl)
		lo = c->first_ttl;
	if (hi > c->max_ttl)
		hi = c->max_ttl;
	if (lo > hi)
		return;
	if (m->dirty_lo == 0 || lo < m->dirty_lo)
		m->dirty_lo = (uint8_t)lo;
	if (hi > m->dirty_hi)
		m->dirty_hi = (uint8_t)hi;
}

static void
dirty_all(struct mda *m)
{
	mda_dirty(m, m->res.conf.first_ttl, m->res.conf.max_ttl);
}

unsigned
mda_end_ttl(const struct mda *m)
{
	if (m->dest_ttl == 0 || (m->loop_ttl != 0 && m->loop_ttl < m->dest_ttl))
		return m->loop_ttl;
	return m->dest_ttl;
}

/* --- the queue ---------------------------------------------------------- */

int
mda_request(struct mda *m, unsigned flow, unsigned ttl, int test)
{
	struct mda_cell *c = mda_cell(m, flow, ttl);
	struct mda_req *r;

	if (!test && (c->flags & CELL_QUEUED))
		return 0;
	if (m->nq == m->qcap) {
		size_t cap = m->qcap ? m->qcap * 2 : 64;

		if ((r = realloc(m->q, cap * sizeof(*r))) == NULL)
			return -1;
		m->q = r;
		m->qcap = cap;
	}
	r = &m->q[m->nq++];
	r->flow = (uint16_t)flow;
	r->ttl = (uint8_t)ttl;
	r->test = (uint8_t)(test != 0);
	r->seq = m->qseq++;
	if (!test)
		c->flags |= CELL_QUEUED;
	return 0;
}

/* Whether a queued request still makes sense. */
static int
req_valid(const struct mda *m, const struct mda_req *r)
{
	const struct mda_cell *c = mda_cell(m, r->flow, r->ttl);

	if (r->test)
		return 1;
	return c->vertex < 0 && !(c->flags & CELL_SILENT) &&
	    c->sent < m->res.conf.attempts &&
	    mda_can_probe(m, r->flow, r->ttl);
}

static void
req_drop(struct mda *m, size_t i)
{
	struct mda_req *r = &m->q[i];

	if (!r->test)
		mda_cell(m, r->flow, r->ttl)->flags &= ~CELL_QUEUED;
	m->q[i] = m->q[--m->nq];
}

static void
queue_purge(struct mda *m)
{
	for (size_t i = 0; i < m->nq;)
		if (!req_valid(m, &m->q[i]))
			req_drop(m, i);
		else
			i++;
}

/* The next request: lowest TTL, tests before others, then oldest. */
static ssize_t
queue_best(struct mda *m)
{
	ssize_t best = -1;

	for (size_t i = 0; i < m->nq;) {
		const struct mda_req *r = &m->q[i], *b;

		if (!req_valid(m, r)) {
			req_drop(m, i);
			continue;
		}
		b = best >= 0 ? &m->q[best] : NULL;
		if (b == NULL || r->ttl < b->ttl || (r->ttl == b->ttl &&
		    (r->test > b->test || (r->test == b->test &&
		    r->seq < b->seq))))
			best = (ssize_t)i;
		i++;
	}
	return best;
}

/* --- vertices ------------------------------------------------------------ */

static int
vertex_find(struct mda *m, const struct addr_ip *a, int has_q, uint8_t q_ttl,
    uint8_t kind, uint8_t ttl)
{
	struct mda_result *r = &m->res;
	struct mda_vertex *v;

	for (size_t i = 0; i < r->nvertices; i++) {
		v = &r->vertices[i];
		if (v->has_q_ttl == has_q && (!has_q || v->q_ttl == q_ttl) &&
		    addr_eq(&v->addr, a)) {
			if (ttl < v->ttl)
				v->ttl = ttl;
			return (int)i;
		}
	}
	if (r->nvertices == m->vert_cap) {
		size_t cap = m->vert_cap ? m->vert_cap * 2 : 32;
		struct mda_vertex *nv;
		uint8_t *nf;
		int32_t *sv;
		unsigned *sc;

		if ((nv = realloc(r->vertices, cap * sizeof(*nv))) == NULL)
			return -1;
		r->vertices = nv;
		if ((nf = realloc(m->vflags, cap)) == NULL)
			return -1;
		m->vflags = nf;
		if ((sv = realloc(m->sv, cap * sizeof(*sv))) == NULL)
			return -1;
		m->sv = sv;
		if ((sc = realloc(m->sc, cap * sizeof(*sc))) == NULL)
			return -1;
		m->sc = sc;
		if ((sv = realloc(m->sv2, cap * sizeof(*sv))) == NULL)
			return -1;
		m->sv2 = sv;
		if ((sc = realloc(m->sc2, cap * sizeof(*sc))) == NULL)
			return -1;
		m->sc2 = sc;
		m->vert_cap = cap;
	}
	v = &r->vertices[r->nvertices];
	memset(v, 0, sizeof(*v));
	v->addr = *a;
	v->ttl = ttl;
	v->has_q_ttl = (uint8_t)has_q;
	v->q_ttl = has_q ? q_ttl : 0;
	v->kind = kind;
	m->vflags[r->nvertices] = 0;
	return (int)r->nvertices++;
}

/* --- life cycle ------------------------------------------------------------ */

static int mda_next_probe(void *, struct engine_probe_req *);
static void mda_on_reply(void *, const struct engine_sent *,
    const struct pkt_reply *, const struct timeval *);
static void mda_on_timeout(void *, const struct engine_sent *);
static void mda_on_error(void *, const struct engine_sent *, int);

static const struct engine_client_ops mda_ops = {
	mda_next_probe, mda_on_reply, mda_on_timeout, mda_on_error,
};

static void
gap_fire(evutil_socket_t fd, short what, void *arg)
{
	struct mda *m = arg;

	if (m->running)
		engine_wake(m->eng, &m->client);
}

static void retry_fire(evutil_socket_t, short, void *);

struct mda *
mda_new(struct engine *eng, const struct mda_conf *conf,
    const struct addr_ip *dst, mda_done_cb done, void *arg)
{
	struct mda *m;
	char err[128];
	size_t nttl;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->eng = eng;
	m->res.conf = *conf;
	if (mda_conf_finish(&m->res.conf, dst->family, err, sizeof(err)) == -1)
		goto fail;
	m->pm = methods[m->res.conf.method].pm;
	m->max_flows = max_flows(&m->res.conf);
	m->span = (unsigned)m->res.conf.max_ttl + 2;
	m->n1 = mda_nk(1, m->res.conf.confidence);
	nttl = m->span + 1;
	if ((m->full = calloc(nttl, 1)) == NULL ||
	    (m->nvc = calloc(nttl, 1)) == NULL ||
	    (m->ppc = calloc(nttl, 1)) == NULL ||
	    (m->taint = calloc(nttl, 1)) == NULL)
		goto fail;
	if ((m->gap_ev = evtimer_new(engine_base(eng), gap_fire, m)) == NULL ||
	    (m->retry_ev = evtimer_new(engine_base(eng), retry_fire,
	    m)) == NULL)
		goto fail;
	m->res.flow0.dst = *dst;
	m->done = done;
	m->arg = arg;
	engine_client_init(&m->client, &mda_ops, m);
	return m;
fail:
	if (m->gap_ev != NULL)
		event_free(m->gap_ev);
	free(m->full);
	free(m->nvc);
	free(m->ppc);
	free(m->taint);
	free(m);
	return NULL;
}

const struct mda_result *
mda_result(const struct mda *m)
{
	return &m->res;
}

void
mda_free(struct mda *m)
{
	if (m == NULL)
		return;
	engine_cancel(m->eng, &m->client);
	if (m->gap_ev != NULL)
		event_free(m->gap_ev);
	if (m->retry_ev != NULL)
		event_free(m->retry_ev);
	free(m->txmono);
	for (size_t i = 0; i < m->res.nprobes; i++)
		free(m->res.probes[i].ext);
	free(m->res.probes);
	free(m->res.vertices);
	free(m->res.links);
	for (size_t i = 0; i < MDA_MAX_FLOWS / MDA_FBLK; i++)
		free(m->blk[i]);
	free(m->q);
	free(m->vflags);
	free(m->sv);
	free(m->sc);
	free(m->sv2);
	free(m->sc2);
	free(m->full);
	free(m->nvc);
	free(m->ppc);
	free(m->taint);
	free(m);
}

static int
link_cmp(const void *a, const void *b)
{
	const struct mda_link *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->gap != y->gap)
		return x->gap < y->gap ? -1 : 1;
	return 0;
}

static int
link_add(struct mda_link **l, size_t *n, size_t *cap, int32_t from,
    int32_t to, unsigned gap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		struct mda_link *nl = realloc(*l, c * sizeof(*nl));

		if (nl == NULL)
			return -1;
		*l = nl;
		*cap = c;
	}
	(*l)[*n].from = from;
	(*l)[*n].to = to;
	(*l)[*n].gap = (uint8_t)(gap > 255 ? 255 : gap);
	(*n)++;
	return 0;
}

/* Whether links other than the one (from, to, span - 1) lead from `from`
 * to `to` within `span` TTLs (a link with gap g spans g + 1). */
static int
other_path(const struct mda_link *l, size_t n, int32_t from, int32_t to,
    unsigned span, int depth)
{
	if (depth > 32)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned s = l[i].gap + 1u;

		if (l[i].from != from || l[i].to < 0 || s > span ||
		    (depth == 0 && l[i].to == to && s == span))
			continue;
		if (l[i].to == to || other_path(l, n, l[i].to, to, span - s,
		    depth + 1))
			return 1;
	}
	return 0;
}

/*
 * The links every flow saw: vertex at t, `gap` silent TTLs, vertex at the
 * next answered TTL.  Where a per-packet balancer makes the vertex at t
 * depend on the packet (taint), a flow's two answers need not come from one
 * packet path: such a pair counts only as the balancer's own link.  A gap
 * seen by a single flow where answered vertices also lead from one vertex
 * to the other is a lost answer, not a silent router.  A router whose
 * flows all ended in silence gets a link to -1.
 */
static int
links_build(struct mda *m)
{
	const struct mda_conf *c = &m->res.conf;
	struct mda_result *r = &m->res;
	struct mda_link *l = NULL;
	size_t n = 0, cap = 0, nl, k;
	uint8_t *tail = NULL, *once = NULL;
	int rc = -1;

	mda_taint(m);
	if (r->nvertices > 0 && (tail = calloc(r->nvertices, 1)) == NULL)
		return -1;
	for (unsigned f = 0; f < m->nflows; f++) {
		unsigned end = mda_flow_end(m, f), pt = 0, silent = 0, ts = 0;
		int32_t pv = -1, tv = -1;

		for (unsigned t = c->first_ttl; t <= c->max_ttl; t++) {
			const struct mda_cell *cl = mda_cell(m, f, t);

			if (end != 0 && t > end)
				break;
			if (cl->vertex >= 0) {
				unsigned gap = t - pt - 1;

				if (pv >= 0 && (!m->taint[t] || (gap == 0 &&
				    r->vertices[pv].perpacket &&
				    !m->taint[pt])) && link_add(&l, &n, &cap,
				    pv, cl->vertex, gap) == -1)
					goto done;
				pv = cl->vertex;
				pt = t;
				silent = 0;
				tv = -1;
				if (r->vertices[pv].kind != MDA_V_ROUTER)
					break;
			} else if (cl->flags & CELL_SILENT)
				silent++;
			else {
				/* Not probed, or still in flight (halted):
				 * nothing links across it. */
				if (pv >= 0 && silent > 0) {
					tv = pv;
					ts = silent;
				}
				pv = -1;
				silent = 0;
			}
		}
		if (pv >= 0 && silent > 0) {
			tv = pv;
			ts = silent;
		}
		if (tv >= 0 && r->vertices[tv].kind == MDA_V_ROUTER &&
		    tail[tv] < ts)
			tail[tv] = (uint8_t)(ts > 255 ? 255 : ts);
	}
	if (n > 1)
		qsort(l, n, sizeof(*l), link_cmp);
	/* One entry per (from, to, gap), noting those one flow saw. */
	if (n > 0 && (once = calloc(n, 1)) == NULL)
		goto done;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && link_cmp(&l[i], &l[j]) == 0; j++)
			;
		once[i] = j == i + 1;
	}
	for (size_t i = k = 0; i < n; i++)
		if (i == 0 || link_cmp(&l[i], &l[i - 1]) != 0) {
			once[k] = once[i];
			l[k++] = l[i];
		}
	n = k;
	for (size_t i = k = 0; i < n; i++)
		if (!(l[i].gap > 0 && once[i] && other_path(l, n, l[i].from,
		    l[i].to, l[i].gap + 1u, 0)))
			l[k++] = l[i];
	n = nl = k;
	for (size_t v = 0; v < r->nvertices; v++) {
		int has_out = 0;

		if (tail[v] == 0)
			continue;
		for (size_t i = 0; i < nl && !has_out; i++)
			has_out = l[i].from == (int32_t)v;
		if (!has_out && link_add(&l, &n, &cap, (int32_t)v, -1,
		    tail[v]) == -1)
			goto done;
	}
	r->links = l;
	r->nlinks = n;
	l = NULL;
	rc = 0;
done:
	free(l);
	free(tail);
	free(once);
	return rc;
}

/* Vertices in order of their lowest TTL, then of discovery. */
static int
vertices_order(struct mda *m)
{
	struct mda_result *r = &m->res;
	size_t n = r->nvertices, k = 0;
	int32_t *map;
	struct mda_vertex *nv;

	if (n == 0)
		return 0;
	if ((map = malloc(n * sizeof(*map))) == NULL ||
	    (nv = malloc(n * sizeof(*nv))) == NULL) {
		free(map);
		return -1;
	}
	for (unsigned t = 0; t <= 255 && k < n; t++)
		for (size_t i = 0; i < n; i++)
			if (r->vertices[i].ttl == t) {
				map[i] = (int32_t)k;
				nv[k++] = r->vertices[i];
			}
	memcpy(r->vertices, nv, n * sizeof(*nv));
	free(nv);
	for (size_t i = 0; i < r->nprobes; i++)
		if (r->probes[i].vertex >= 0)
			r->probes[i].vertex = map[r->probes[i].vertex];
	for (size_t i = 0; i < r->nlinks; i++) {
		r->links[i].from = map[r->links[i].from];
		if (r->links[i].to >= 0)
			r->links[i].to = map[r->links[i].to];
	}
	if (r->nlinks > 1)
		qsort(r->links, r->nlinks, sizeof(*r->links), link_cmp);
	free(map);
	return 0;
}

static void
mda_finish(struct mda *m, enum mda_stop why, uint8_t data)
{
	struct mda_result *r = &m->res;

	if (!m->running)
		return;
	m->running = 0;
	engine_cancel(m->eng, &m->client);
	event_del(m->gap_ev);
	event_del(m->retry_ev);
	gettimeofday(&r->end, NULL);
	if ((links_build(m) == -1 || vertices_order(m) == -1) &&
	    why != MDA_STOP_ERROR) {
		why = MDA_STOP_ERROR;
		data = ENOMEM;
	}
	r->stop_reason = why;
	r->stop_data = data;
	m->done(m, m->arg);
}

void
mda_start(struct mda *m)
{
	struct mda_result *r = &m->res;
	const struct mda_conf *c = &r->conf;
	struct addr_ip dst = r->flow0.dst;

	gettimeofday(&r->start, NULL);
	m->running = 1;
	memset(&m->fp, 0, sizeof(m->fp));
	m->fp.dst = dst;
	m->fp.sport = c->sport;
	m->fp.dport = c->dport;
	m->fp.size = c->size;
	m->fp.tos = c->tos;
	m->fp.vary = methods[c->method].vary;
	m->fp.flowlabel_fixed = c->flowlabel_fixed;
	if (engine_source(m->eng, &dst, &m->fp.src) == -1) {
		mda_finish(m, MDA_STOP_ERROR, ENETUNREACH);
		return;
	}
	r->flow0.src = m->fp.src;
	/* The discovery flows exist from the start. */
	for (unsigned i = 0; i < m->n1; i++) {
		if (mda_flow_new(m) == -1) {
			mda_finish(m, MDA_STOP_ERROR, EINVAL);
			return;
		}
	}
	r->flow0 = *flow_at(m, 0);
	dirty_all(m);
	mda_plan(m);
	engine_wake(m->eng, &m->client);
}

void
mda_halt(struct mda *m)
{
	mda_finish(m, MDA_STOP_HALTED, 0);
}

/* Why a measurement with nothing left to do stopped. */
static enum mda_stop
stop_reason(const struct mda *m)
{
	const struct mda_conf *c = &m->res.conf;

	if (m->dest_ttl != 0)
		return MDA_STOP_COMPLETED;
	if (m->hi == c->max_ttl)
		return MDA_STOP_HOPLIMIT;
	if (m->loop_ttl != 0)
		return MDA_STOP_LOOP;
	/* Branches that ended with an unreachable ended; silent ones hit
	 * the gap limit. */
	for (unsigned f = 0; f < m->nflows; f++) {
		unsigned e = mda_flow_end(m, f);

		if (e != 0 && e > m->hi)
			return MDA_STOP_COMPLETED;
	}
	return MDA_STOP_GAPLIMIT;
}

/*
 * After every event: run the rules, then stop when nothing is wanted and
 * nothing is in flight, or when the budget is spent.  Returns 1 when the
 * measurement stopped (`done` may have freed it).
 */
static int
mda_assess(struct mda *m)
{
	mda_plan(m);
	queue_purge(m);
	if (m->nq > 0 && m->res.probec >= m->res.conf.probec_max)
		m->exhausted = 1;
	if (m->inflight == 0) {
		if (m->exhausted) {
			mda_finish(m, MDA_STOP_PROBEC_MAX, 0);
			return 1;
		}
		if (m->nq == 0) {
			mda_finish(m, stop_reason(m), 0);
			return 1;
		}
	}
	if (m->nq > 0 && !m->exhausted)
		engine_wake(m->eng, &m->client);
	return 0;
}

/* --- probing ----------------------------------------------------------------- */

static double
ts_ms(const struct timespec *t)
{
	return (double)t->tv_sec * 1e3 + t->tv_nsec / 1e6;
}

static double
retry_delay(const struct mda *m)
{
	return m->res.conf.wait_ms < 1000 ? m->res.conf.wait_ms : 1000;
}

static void
retry_arm(struct mda *m, double now)
{
	double left;
	struct timeval tv;

	if (m->retry_next >= m->res.nprobes ||
	    evtimer_pending(m->retry_ev, NULL))
		return;
	left = m->txmono[m->retry_next] + retry_delay(m) - now;
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)((left - tv.tv_sec * 1000.0) * 1000) + 1;
	evtimer_add(m->retry_ev, &tv);
}

/* Attempts unanswered after min(wait, 1 s) get their next attempt. */
static void
retry_fire(evutil_socket_t fd, short what, void *arg)
{
	struct mda *m = arg;
	struct mda_result *r = &m->res;
	struct timespec ts;
	double now, d = retry_delay(m);
	int asked = 0;

	if (!m->running)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts_ms(&ts);
	while (m->retry_next < r->nprobes &&
	    m->txmono[m->retry_next] + d <= now) {
		const struct mda_probe *p = &r->probes[m->retry_next++];
		const struct mda_cell *cl = mda_cell(m, p->flow, p->ttl);

		if (p->pptest || cl->vertex >= 0 || (cl->flags & CELL_SILENT) ||
		    cl->sent != p->attempt || cl->sent >= r->conf.attempts)
			continue;
		if (mda_request(m, p->flow, p->ttl, 0) == -1) {
			mda_finish(m, MDA_STOP_ERROR, ENOMEM);
			return;
		}
		asked = 1;
	}
	retry_arm(m, now);
	if (asked)
		mda_assess(m);
}

static int
mda_next_probe(void *owner, struct engine_probe_req *req)
{
	struct mda *m = owner;
	const struct mda_conf *c = &m->res.conf;
	struct mda_result *r = &m->res;
	struct mda_probe *p;
	struct mda_cell *cl;
	struct mda_req q;
	struct timespec now;
	ssize_t i;

	if (!m->running || m->exhausted || m->inflight >= c->window ||
	    r->probec >= c->probec_max)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->probe_gap_ms > 0 && m->sent_any) {
		double left = ts_ms(&m->last_tx) + c->probe_gap_ms - ts_ms(&now);

		if (left > 0) {
			struct timeval tv;

			tv.tv_sec = (time_t)(left / 1000);
			tv.tv_usec = (suseconds_t)((left - tv.tv_sec * 1000.0) *
			    1000) + 1;
			if (!evtimer_pending(m->gap_ev, NULL))
				evtimer_add(m->gap_ev, &tv);
			return 0;
		}
	}
	if ((i = queue_best(m)) < 0)
		return 0;
	if (r->nprobes == m->probes_cap) {
		size_t cap = m->probes_cap ? m->probes_cap * 2 : 64;
		double *tm;

		if ((p = realloc(r->probes, cap * sizeof(*p))) == NULL)
			return 0;	/* tried again on the next event */
		r->probes = p;
		if ((tm = realloc(m->txmono, cap * sizeof(*tm))) == NULL)
			return 0;
		m->txmono = tm;
		m->probes_cap = cap;
	}
	q = m->q[i];
	req_drop(m, (size_t)i);
	cl = mda_cell(m, q.flow, q.ttl);
	if (q.test)
		cl->xsent++;
	else
		cl->sent++;
	cl->inflight++;
	m->inflight++;
	m->last_tx = now;
	m->sent_any = 1;

	p = &r->probes[r->nprobes];
	memset(p, 0, sizeof(*p));
	p->flow = q.flow;
	p->ttl = q.ttl;
	p->attempt = (uint8_t)(cl->sent + cl->xsent);
	p->size = flow_at(m, q.flow)->size;
	p->vertex = -1;
	p->pptest = q.test;
	gettimeofday(&p->tx, NULL);

	req->method = m->pm;
	req->flow = flow_at(m, q.flow);
	req->ttl = q.ttl;
	req->attempt = p->attempt;
	req->wait_ms = c->wait_ms;
	req->cookie = (uint32_t)r->nprobes;
	m->txmono[r->nprobes] = ts_ms(&now);
	r->nprobes++;
	r->probec++;
	if (!q.test && c->attempts > 1)
		retry_arm(m, ts_ms(&now));
	return 1;
}

/* The probe an engine report is about, or NULL. */
static struct mda_probe *
probe_of(struct mda *m, const struct engine_sent *s)
{
	if (s->cookie >= m->res.nprobes)
		return NULL;
	return &m->res.probes[s->cookie];
}

static int
classify(const struct mda *m, const struct pkt_reply *r, uint8_t *kind)
{
	int from_dst = addr_eq(&r->src, &m->res.flow0.dst);

	switch (r->kind) {
	case PKT_KIND_ECHO_REPLY:
	case PKT_KIND_TCP:
		*kind = MDA_V_DEST;
		return 0;
	case PKT_KIND_ICMP_ERR:
		break;
	default:
		return -1;
	}
	switch (r->icmp_class) {
	case PKT_IC_TTL_EXPIRED:
		*kind = MDA_V_ROUTER;
		break;
	case PKT_IC_PORT_UNREACH:
		*kind = from_dst ? MDA_V_DEST : MDA_V_UNREACH;
		break;
	default:
		*kind = MDA_V_UNREACH;
		break;
	}
	return 0;
}

static int
probe_fill(struct mda_probe *p, const struct engine_sent *s,
    const struct pkt_reply *r, const struct timeval *rx)
{
	long long rtt;

	p->tx = s->tx;
	p->replied = 1;
	p->addr = r->src;
	p->rx = *rx;
	rtt = (long long)(rx->tv_sec - s->tx.tv_sec) * 1000000 +
	    (rx->tv_usec - s->tx.tv_usec);
	p->rtt_us = rtt > 0 ? (uint32_t)rtt : 0;
	p->reply_ttl = r->ttl;
	p->reply_tos = r->tos;
	p->reply_ipid = r->ipid;
	p->reply_size = r->size;
	if (r->kind == PKT_KIND_TCP) {
		p->is_tcp = 1;
		p->tcp_flags = r->tcp_flags;
	} else {
		p->icmp_type = r->icmp_type;
		p->icmp_code = r->icmp_code;
	}
	p->has_quote = r->has_quote;
	p->q_ttl = r->q_ttl;
	p->q_tos = r->q_tos;
	p->q_ipl = r->q_ipl;
	if (r->next > 0) {
		if ((p->ext = calloc(r->next, sizeof(*p->ext))) == NULL)
			return -1;
		memcpy(p->ext, r->ext, r->next * sizeof(*p->ext));
		p->next = r->next;
	}
	return 0;
}

/* Whether flow f met vertex v two or more TTLs below t: a loop (the same
 * vertex at adjacent TTLs is zero-TTL forwarding, not a loop). */
static int
looped(const struct mda *m, unsigned f, unsigned t, int32_t v)
{
	for (unsigned u = m->res.conf.first_ttl; u + 1 < t; u++)
		if (mda_cell(m, f, u)->vertex == v)
			return 1;
	return 0;
}

/* The vertex a flow last answered from below `ttl`, or -1. */
static int32_t
vertex_before(const struct mda *m, unsigned flow, unsigned ttl)
{
	for (unsigned t = ttl; t-- > m->res.conf.first_ttl;) {
		const struct mda_cell *c = mda_cell(m, flow, t);

		if (c->vertex >= 0)
			return c->vertex;
		if (!(c->flags & CELL_SILENT))
			return -1;
	}
	return -1;
}

static void
mda_on_reply(void *owner, const struct engine_sent *s,
    const struct pkt_reply *r, const struct timeval *rx)
{
	struct mda *m = owner;
	struct mda_result *res = &m->res;
	struct mda_probe *p;
	struct mda_cell *cl;
	uint8_t kind;
	int v, was_answered;

	if (!m->running || (p = probe_of(m, s)) == NULL)
		return;
	cl = mda_cell(m, p->flow, p->ttl);
	if (cl->inflight > 0)
		cl->inflight--;
	if (m->inflight > 0)
		m->inflight--;
	p->tx = s->tx;
	if (classify(m, r, &kind) == -1)
		goto out;
	if (probe_fill(p, s, r, rx) == -1 ||
	    (v = vertex_find(m, &r->src, r->has_quote, r->q_ttl, kind,
	    p->ttl)) < 0) {
		mda_finish(m, MDA_STOP_ERROR, ENOMEM);
		return;
	}
	p->vertex = v;
	was_answered = cl->vertex >= 0;
	if (!was_answered) {
		cl->vertex = v;
		cl->flags &= ~CELL_SILENT;
		kind = res->vertices[v].kind;
		if (kind != MDA_V_ROUTER) {
			flow_set_end(m, p->flow, p->ttl);
			if (kind == MDA_V_DEST && (m->dest_ttl == 0 ||
			    p->ttl < m->dest_ttl))
				m->dest_ttl = p->ttl;
			dirty_all(m);
		} else if (looped(m, p->flow, p->ttl, v)) {
			flow_set_end(m, p->flow, p->ttl);
			if (m->loop_ttl == 0 || p->ttl < m->loop_ttl)
				m->loop_ttl = p->ttl;
			dirty_all(m);
		} else if (p->ttl > m->hi) {
			m->hi = p->ttl;
			dirty_all(m);
		}
	} else if (cl->vertex != v) {
		/* One flow, one TTL, two answers: the packets of the flow
		 * are spread by the hop before. */
		int32_t u = vertex_before(m, p->flow, p->ttl);

		if (u >= 0 && !res->vertices[u].perpacket) {
			res->vertices[u].perpacket = 1;
			dirty_all(m);
		}
	}
out:
	mda_dirty(m, p->ttl - 1 - res->conf.gaplimit,
	    p->ttl + 1 + res->conf.gaplimit);
	mda_assess(m);
}

static void
mda_on_timeout(void *owner, const struct engine_sent *s)
{
	struct mda *m = owner;
	const struct mda_conf *c = &m->res.conf;
	struct mda_probe *p;
	struct mda_cell *cl;

	if (!m->running || (p = probe_of(m, s)) == NULL)
		return;
	p->tx = s->tx;
	cl = mda_cell(m, p->flow, p->ttl);
	if (cl->inflight > 0)
		cl->inflight--;
	if (m->inflight > 0)
		m->inflight--;
	if (!p->pptest && cl->vertex < 0) {
		if (cl->sent < c->attempts) {
			if (mda_request(m, p->flow, p->ttl, 0) == -1) {
				mda_finish(m, MDA_STOP_ERROR, ENOMEM);
				return;
			}
		} else if (cl->inflight == 0)
			cl->flags |= CELL_SILENT;
	}
	mda_dirty(m, p->ttl - 1 - c->gaplimit, p->ttl + 1 + c->gaplimit);
	mda_assess(m);
}

static void
mda_on_error(void *owner, const struct engine_sent *s, int err)
{
	struct mda *m = owner;
	struct mda_result *r = &m->res;

	/* Reported while it was being sent: it is the last one, and it
	 * never left. */
	if (s->cookie + 1 == r->nprobes) {
		struct mda_probe *p = &r->probes[s->cookie];
		struct mda_cell *cl = mda_cell(m, p->flow, p->ttl);

		if (cl->inflight > 0)
			cl->inflight--;
		if (m->inflight > 0)
			m->inflight--;
		r->nprobes--;
		r->probec--;
	}
	mda_finish(m, MDA_STOP_ERROR, (uint8_t)(err > 255 ? 255 : err));
}
