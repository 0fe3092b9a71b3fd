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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "measure/mda_int.h"

/* --- flows and cells -------------------------------------------------- */

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

/* The rules an answer (or a silence) at (flow, ttl) may change: those of
 * the TTLs next to it, and across the flow's silent TTLs, of the TTLs a
 * gap away. */
static void
dirty_around(struct mda *m, unsigned flow, unsigned ttl)
{
	const struct mda_conf *c = &m->res.conf;
	int wide = (mda_cell(m, flow, ttl)->flags & CELL_SILENT) ||
	    (ttl > c->first_ttl &&
	    (mda_cell(m, flow, ttl - 1)->flags & CELL_SILENT)) ||
	    (mda_cell(m, flow, ttl + 1)->flags & CELL_SILENT);
	int g = wide ? c->gaplimit : 0;

	mda_dirty(m, (int)ttl - 1 - g, (int)ttl + 1 + g);
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
	r->test = (uint8_t)test;
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

/*
 * The next request: lowest TTL, tests before others, then oldest, among
 * the TTLs the probe gap lets probe at `now` (ms): the gap is per router,
 * so a TTL where k routers answered probes every gap / k.  *wait: how long until
 * a TTL held back by the gap may probe (0 if none is).
 */
static ssize_t
queue_best(struct mda *m, double now, double *wait)
{
	unsigned gap = m->res.conf.probe_gap_ms;
	ssize_t best = -1;

	*wait = 0;
	for (size_t i = 0; i < m->nq;) {
		const struct mda_req *r = &m->q[i], *b;
		double last, g;

		if (!req_valid(m, r)) {
			req_drop(m, i);
			continue;
		}
		last = r->ttl <= m->span ? m->ttl_tx[r->ttl] : 0;
		/* The gap is each router's: k routers seen at a TTL share
		 * its probes, so the TTL may probe k times as often. */
		g = r->ttl <= m->span && m->nvc[r->ttl] > 1 ?
		    (double)gap / m->nvc[r->ttl] : gap;
		if (gap > 0 && last > 0 && last + g > now) {
			if (*wait == 0 || last + g - now < *wait)
				*wait = last + g - now;
			i++;
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

/* --- life cycle ---------------------------------------------------------- */

static int mda_next_probe(void *, struct engine_probe_req *);
static void mda_on_reply(void *, const struct engine_sent *,
    const struct pkt_reply *, const struct timeval *);
static void mda_on_timeout(void *, const struct engine_sent *);
static void mda_on_late(void *, const struct engine_sent *);
static void mda_on_error(void *, const struct engine_sent *, int);

static const struct engine_client_ops mda_ops = {
	mda_next_probe, mda_on_reply, mda_on_timeout, mda_on_error,
	mda_on_late, offsetof(struct mda, client),
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
	m->pm = mda_pkt_method(m->res.conf.method);
	m->max_flows = mda_max_flows(&m->res.conf);
	m->span = (unsigned)m->res.conf.max_ttl + 2;
	m->n1 = mda_nk(1, m->res.conf.confidence);
	nttl = m->span + 1;
	if ((m->full = calloc(nttl, 1)) == NULL ||
	    (m->nvc = calloc(nttl, 1)) == NULL ||
	    (m->ppc = calloc(nttl, 1)) == NULL ||
	    (m->taint = calloc(nttl, 1)) == NULL ||
	    (m->ppout = calloc(nttl, sizeof(*m->ppout))) == NULL ||
	    (m->ttl_tx = calloc(nttl, sizeof(*m->ttl_tx))) == NULL)
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
	free(m->ppout);
	free(m->ttl_tx);
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
	free(m->gone);
	for (size_t i = 0; i < m->res.nprobes; i++)
		free(m->res.probes[i].ext);
	free(m->res.probes);
	free(m->res.vertices);
	free(m->res.links);
	for (size_t i = 0; i < MDA_MAX_FLOWS / MDA_FBLK; i++)
		free(m->blk[i]);
	free(m->q);
	free(m->vx);
	free(m->sv);
	free(m->sc);
	free(m->sv2);
	free(m->sc2);
	free(m->full);
	free(m->nvc);
	free(m->ppc);
	free(m->taint);
	free(m->ppout);
	free(m->ttl_tx);
	free(m);
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
	if ((mda_links_build(m) == -1 || mda_vertices_order(m) == -1) &&
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
	m->fp.vary = mda_vary(c->method);
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

/* --- probing ------------------------------------------------------------- */

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

/*
 * Once a router beyond `ttl` has answered, a probe at `ttl` that got no
 * answer within a few round trips is not coming back soon: it is given
 * up on after 4 x the largest RTT seen (at least 100 ms), capped by the
 * wait, so a silent router costs round trips rather than the full wait.
 * It stays in flight until the wait ends, and a late answer still
 * counts.  0: the full wait (nothing answered beyond, or no RTT yet).
 */
static unsigned
late_ms(const struct mda *m, unsigned ttl)
{
	unsigned ms;

	if (m->hi <= ttl || m->max_rtt_us == 0)
		return 0;
	ms = m->max_rtt_us * 4 / 1000;
	if (ms < 100)
		ms = 100;
	return ms < m->res.conf.wait_ms ? ms : 0;
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
	double left;
	ssize_t i;

	if (!m->running || m->exhausted ||
	    m->inflight - m->superseded >= c->window ||
	    r->probec >= c->probec_max)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((i = queue_best(m, ts_ms(&now), &left)) < 0) {
		/* Only TTLs the gap holds back: wake when the first may go
		 * (re-armed: a request queued since may go sooner). */
		if (left > 0) {
			struct timeval tv;

			tv.tv_sec = (time_t)(left / 1000);
			tv.tv_usec = (suseconds_t)((left - tv.tv_sec * 1000.0) *
			    1000) + 1;
			evtimer_add(m->gap_ev, &tv);
		}
		return 0;
	}
	if (r->nprobes == m->probes_cap) {
		size_t cap = m->probes_cap ? m->probes_cap * 2 : 64;
		double *tm;
		uint8_t *g;

		if ((p = realloc(r->probes, cap * sizeof(*p))) == NULL)
			return 0;	/* tried again on the next event */
		r->probes = p;
		if ((tm = realloc(m->txmono, cap * sizeof(*tm))) == NULL)
			return 0;
		m->txmono = tm;
		if ((g = realloc(m->gone, cap)) == NULL)
			return 0;
		m->gone = g;
		m->probes_cap = cap;
	}
	q = m->q[i];
	req_drop(m, (size_t)i);
	cl = mda_cell(m, q.flow, q.ttl);
	if (q.test)
		cl->xsent++;
	else {
		if (cl->sent > 0)
			mda_supersede(m, q.flow, q.ttl);
		cl->sent++;
	}
	cl->inflight++;
	m->inflight++;
	m->ttl_tx[q.ttl] = ts_ms(&now);

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
	req->late_ms = q.test ? 0 : late_ms(m, q.ttl);
	req->cookie = (uint32_t)r->nprobes;
	m->txmono[r->nprobes] = ts_ms(&now);
	m->gone[r->nprobes] = 0;
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

	p->tx = engine_sent_tx(s);
	p->replied = 1;
	p->addr = r->src;
	p->rx = *rx;
	rtt = (long long)(rx->tv_sec - p->tx.tv_sec) * 1000000 +
	    (rx->tv_usec - p->tx.tv_usec);
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
	/* A late probe left the counts when it was given up on. */
	mda_probe_leave(m, s->cookie);
	p->tx = engine_sent_tx(s);
	if (classify(m, r, &kind) == -1) {
		if (p->pptest == PPT_CONFIRM)
			mda_pp_confirm_back(m, p, -1);
		goto out;
	}
	if (probe_fill(p, s, r, rx) == -1 ||
	    (v = mda_vertex_find(m, &r->src, r->has_quote, r->q_ttl, kind,
	    p->ttl)) < 0) {
		mda_finish(m, MDA_STOP_ERROR, ENOMEM);
		return;
	}
	p->vertex = v;
	if (p->rtt_us > m->max_rtt_us)
		m->max_rtt_us = p->rtt_us;
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
	} else if (p->pptest == PPT_CONFIRM)
		mda_pp_confirm_back(m, p, v);
	else if (cl->vertex != v) {
		/* One flow, one TTL, two answers: the packets of the flow
		 * are spread somewhere before. */
		if (p->pptest == PPT_TEST)
			mda_pp_moved(m, p->flow, p->ttl);
		else {
			unsigned t = 0;
			int32_t u = mda_vertex_before(m, p->flow, p->ttl, &t);

			mda_pp_flag(m, u, t);
		}
	}
out:
	dirty_around(m, p->flow, p->ttl);
	mda_assess(m);
}

/* No answer to probe i in time (its wait, or its late_ms): next attempt,
 * or the cell is silent. */
static void
probe_gone(struct mda *m, size_t i)
{
	const struct mda_conf *c = &m->res.conf;
	struct mda_probe *p = &m->res.probes[i];
	struct mda_cell *cl = mda_cell(m, p->flow, p->ttl);

	if (!mda_probe_leave(m, i))
		return;
	if (p->pptest == PPT_CONFIRM)
		mda_pp_confirm_back(m, p, -1);
	if (!p->pptest && cl->vertex < 0) {
		if (cl->sent < c->attempts) {
			if (mda_request(m, p->flow, p->ttl, 0) == -1) {
				mda_finish(m, MDA_STOP_ERROR, ENOMEM);
				return;
			}
		} else if (cl->inflight == 0 || p->late) {
			/* The last attempt given up on: earlier ones, out
			 * longer still, are not awaited either (a late
			 * answer still counts). */
			mda_give_up_cell(m, p);
			cl->flags |= CELL_SILENT;
		}
	}
	dirty_around(m, p->flow, p->ttl);
	mda_assess(m);
}

static void
mda_on_timeout(void *owner, const struct engine_sent *s)
{
	struct mda *m = owner;
	struct mda_probe *p;

	if (!m->running || (p = probe_of(m, s)) == NULL)
		return;
	p->tx = engine_sent_tx(s);
	probe_gone(m, s->cookie);
}

static void
mda_on_late(void *owner, const struct engine_sent *s)
{
	struct mda *m = owner;
	struct mda_probe *p;

	if (!m->running || (p = probe_of(m, s)) == NULL ||
	    (m->gone[s->cookie] & PR_GONE))
		return;
	p->tx = engine_sent_tx(s);
	p->late = 1;
	probe_gone(m, s->cookie);
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
