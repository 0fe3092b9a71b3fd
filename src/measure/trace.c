/*
 * trace: Paris traceroute with several TTLs in flight.
 *
 * Probes go out lowest TTL first, up to a horizon `window` TTLs beyond the
 * highest TTL already settled (answered, or silent after every attempt).
 * Stop conditions are then judged in TTL order over the settled prefix, so
 * the outcome does not depend on the order replies arrive in.
 */
#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/trace.h"

enum slot_answer {
	ANS_NONE = 0,
	ANS_HOP,		/* time exceeded: a router on the path */
	ANS_DEST,		/* the destination answered */
	ANS_UNREACH,
	ANS_ICMP,		/* another ICMP error */
};

struct slot {
	uint8_t sent;		/* attempts sent */
	uint8_t inflight;
	uint8_t answer;		/* enum slot_answer of the first reply */
	uint8_t code;		/* its ICMP type or code, for stop_data */
	uint8_t silent;		/* every attempt timed out */
	struct addr_ip addr;	/* first replying address */
};

struct trace {
	struct engine *eng;
	struct engine_client client;
	struct trace_result res;
	struct slot *slot;	/* indexed by TTL, 0..max_ttl */
	uint8_t limit;		/* no probes above this TTL */
	uint8_t settled_max;	/* highest settled TTL */
	uint8_t running;
	uint8_t reported;	/* highest TTL given to `settled` */
	size_t hops_cap;
	trace_done_cb done;
	void *arg;
	trace_settled_cb settled;
	void *settled_arg;
};

static const char *const stop_names[] = {
	[TRACE_STOP_NONE] = "NONE",
	[TRACE_STOP_COMPLETED] = "COMPLETED",
	[TRACE_STOP_UNREACH] = "UNREACH",
	[TRACE_STOP_ICMP] = "ICMP",
	[TRACE_STOP_LOOP] = "LOOP",
	[TRACE_STOP_GAPLIMIT] = "GAPLIMIT",
	[TRACE_STOP_ERROR] = "ERROR",
	[TRACE_STOP_HOPLIMIT] = "HOPLIMIT",
	[TRACE_STOP_HALTED] = "HALTED",
};

const char *
trace_stop_name(enum trace_stop s)
{
	if ((unsigned)s >= sizeof(stop_names) / sizeof(stop_names[0]))
		return "NONE";
	return stop_names[s];
}

int
trace_conf_finish(struct trace_conf *c, int family, char *err, size_t errlen)
{
	if (c->method == NULL)
		c->method = &pkt_icmp_paris;
	if (c->first_ttl == 0)
		c->first_ttl = 1;
	if (c->max_ttl == 0)
		c->max_ttl = 30;
	if (c->attempts == 0)
		c->attempts = 2;
	if (c->gaplimit == 0)
		c->gaplimit = 5;
	if (c->window == 0)
		c->window = 8;
	if (c->wait_ms == 0)
		c->wait_ms = 2000;
	if (c->first_ttl > c->max_ttl) {
		snprintf(err, errlen, "first TTL %u is above the maximum TTL %u",
		    c->first_ttl, c->max_ttl);
		return -1;
	}
	if (c->size != 0 && (c->size < c->method->min_size(family) ||
	    c->size > 1500)) {
		snprintf(err, errlen, "probe size %u out of range %u-1500 for %s",
		    c->size, c->method->min_size(family), c->method->name);
		return -1;
	}
	return 0;
}

static int trace_next_probe(void *, struct engine_probe_req *);
static void trace_on_reply(void *, const struct engine_sent *,
    const struct pkt_reply *, const struct timeval *);
static void trace_on_timeout(void *, const struct engine_sent *);
static void trace_on_error(void *, const struct engine_sent *, int);

static const struct engine_client_ops trace_ops = {
	trace_next_probe, trace_on_reply, trace_on_timeout, trace_on_error,
};

struct trace *
trace_new(struct engine *eng, const struct trace_conf *conf,
    const struct addr_ip *dst, trace_done_cb done, void *arg)
{
	struct trace *t;
	char err[128];

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->eng = eng;
	t->res.conf = *conf;
	if (trace_conf_finish(&t->res.conf, dst->family, err, sizeof(err)) == -1 ||
	    (t->slot = calloc((size_t)t->res.conf.max_ttl + 1,
	    sizeof(*t->slot))) == NULL) {
		free(t);
		return NULL;
	}
	t->res.flow.dst = *dst;
	t->done = done;
	t->arg = arg;
	engine_client_init(&t->client, &trace_ops, t);
	return t;
}

void
trace_set_settled_cb(struct trace *t, trace_settled_cb cb, void *arg)
{
	t->settled = cb;
	t->settled_arg = arg;
}

const struct trace_result *
trace_result(const struct trace *t)
{
	return &t->res;
}

void
trace_free(struct trace *t)
{
	if (t == NULL)
		return;
	engine_cancel(t->eng, &t->client);
	for (size_t i = 0; i < t->res.nhops; i++)
		free(t->res.hops[i].ext);
	free(t->res.hops);
	free(t->slot);
	free(t);
}

static int
hop_cmp(const void *a, const void *b)
{
	const struct trace_hop *x = a, *y = b;

	if (x->probe_ttl != y->probe_ttl)
		return x->probe_ttl < y->probe_ttl ? -1 : 1;
	if (x->probe_id != y->probe_id)
		return x->probe_id < y->probe_id ? -1 : 1;
	return 0;
}

static void
trace_finish(struct trace *t, enum trace_stop why, uint8_t data, uint8_t hop_count)
{
	struct trace_result *r = &t->res;
	size_t i, n = 0;

	if (!t->running)
		return;
	t->running = 0;
	engine_cancel(t->eng, &t->client);
	r->stop_reason = why;
	r->stop_data = data;
	r->hop_count = hop_count;
	gettimeofday(&r->end, NULL);
	/* Replies above the stopping TTL (overshoot of the window) are not
	 * part of the path. */
	for (i = 0; i < r->nhops; i++) {
		if (r->hops[i].probe_ttl <= hop_count)
			r->hops[n++] = r->hops[i];
		else
			free(r->hops[i].ext);
	}
	r->nhops = n;
	if (n > 1)	/* hops may still be NULL */
		qsort(r->hops, r->nhops, sizeof(*r->hops), hop_cmp);
	t->done(t, t->arg);
}

void
trace_start(struct trace *t)
{
	struct trace_result *r = &t->res;
	struct pkt_flow_params fp;
	const struct trace_conf *c = &r->conf;
	struct addr_ip dst = r->flow.dst;

	gettimeofday(&r->start, NULL);
	t->running = 1;
	memset(&fp, 0, sizeof(fp));
	fp.dst = dst;
	fp.sport = c->sport;
	fp.dport = c->dport;
	fp.size = c->size;
	fp.tos = c->tos;
	if (engine_source(t->eng, &dst, &fp.src) == -1) {
		r->flow.src.family = 0;
		trace_finish(t, TRACE_STOP_ERROR, ENETUNREACH, 0);
		return;
	}
	if (c->method->flow(&fp, c->flowid, &r->flow) == -1) {
		r->flow.dst = dst;
		r->flow.src = fp.src;
		trace_finish(t, TRACE_STOP_ERROR, EINVAL, 0);
		return;
	}
	t->limit = c->max_ttl;
	t->settled_max = c->first_ttl - 1;
	engine_wake(t->eng, &t->client);
}

void
trace_halt(struct trace *t)
{
	trace_finish(t, TRACE_STOP_HALTED, 0, t->settled_max);
}

/* --- probing ----------------------------------------------------------- */

static int
slot_wants_probe(const struct trace *t, const struct slot *s)
{
	const struct trace_conf *c = &t->res.conf;

	if (s->sent >= c->attempts)
		return 0;
	if (c->all_attempts)
		return 1;
	return s->answer == ANS_NONE && s->inflight == 0;
}

static int
trace_next_probe(void *owner, struct engine_probe_req *req)
{
	struct trace *t = owner;
	const struct trace_conf *c = &t->res.conf;
	unsigned horizon = (unsigned)t->settled_max + c->window;
	unsigned ttl;

	if (!t->running)
		return 0;
	if (horizon > t->limit)
		horizon = t->limit;
	for (ttl = c->first_ttl; ttl <= horizon; ttl++) {
		struct slot *s = &t->slot[ttl];

		if (!slot_wants_probe(t, s))
			continue;
		s->sent++;
		s->inflight++;
		t->res.probe_count++;
		req->method = c->method;
		req->flow = &t->res.flow;
		req->ttl = (uint8_t)ttl;
		req->attempt = s->sent;
		req->wait_ms = c->wait_ms;
		req->cookie = ttl;
		return 1;
	}
	return 0;
}

/* Whether a TTL above `ttl` answered: a silent stretch is then not the end. */
static int
answered_above(const struct trace *t, unsigned ttl)
{
	for (ttl++; ttl <= t->res.conf.max_ttl; ttl++)
		if (t->slot[ttl].answer != ANS_NONE)
			return 1;
	return 0;
}

/*
 * Judge the settled prefix in TTL order; stops the trace when it can.
 * Returns 1 when it did: `done` may have freed t.
 */
static int
trace_assess(struct trace *t)
{
	const struct trace_conf *c = &t->res.conf;
	unsigned ttl, gap = 0;

	for (ttl = c->first_ttl; ttl <= c->max_ttl; ttl++) {
		struct slot *s = &t->slot[ttl];

		if (s->answer != ANS_NONE) {
			/* Every attempt asked for is sent and answered (or
			 * timed out) before the TTL counts. */
			if (c->all_attempts &&
			    (s->sent < c->attempts || s->inflight > 0))
				return 0;
			gap = 0;
			switch (s->answer) {
			case ANS_DEST:
				trace_finish(t, TRACE_STOP_COMPLETED, 0, (uint8_t)ttl);
				return 1;
			case ANS_UNREACH:
				trace_finish(t, TRACE_STOP_UNREACH, s->code, (uint8_t)ttl);
				return 1;
			case ANS_ICMP:
				trace_finish(t, TRACE_STOP_ICMP, s->code, (uint8_t)ttl);
				return 1;
			}
			/* A forwarding loop: the same router two or more TTLs
			 * apart on one Paris flow. */
			for (unsigned k = c->first_ttl; k + 1 < ttl; k++) {
				if (t->slot[k].answer == ANS_HOP &&
				    addr_eq(&t->slot[k].addr, &s->addr)) {
					trace_finish(t, TRACE_STOP_LOOP, 0, (uint8_t)ttl);
					return 1;
				}
			}
		} else if (s->silent) {
			gap++;
			if (gap >= c->gaplimit && !answered_above(t, ttl)) {
				trace_finish(t, TRACE_STOP_GAPLIMIT, 0, (uint8_t)ttl);
				return 1;
			}
		} else
			return 0;	/* not settled yet */
		if (ttl == c->max_ttl) {
			trace_finish(t, TRACE_STOP_HOPLIMIT, 0, (uint8_t)ttl);
			return 1;
		}
		if (ttl > t->reported) {
			t->reported = (uint8_t)ttl;
			if (t->settled != NULL)
				t->settled(t, ttl, t->settled_arg);
		}
	}
	return 0;
}

/* --- answers ------------------------------------------------------------ */

static void
slot_settled(struct trace *t, unsigned ttl)
{
	if (ttl > t->settled_max)
		t->settled_max = (uint8_t)ttl;
}

static int
hop_add(struct trace *t, const struct engine_sent *sent,
    const struct pkt_reply *r, const struct timeval *rx)
{
	struct trace_result *res = &t->res;
	struct trace_hop *h;
	long long rtt;

	if (res->nhops == t->hops_cap) {
		size_t cap = t->hops_cap ? t->hops_cap * 2 : 16;
		struct trace_hop *n = realloc(res->hops, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		res->hops = n;
		t->hops_cap = cap;
	}
	h = &res->hops[res->nhops++];
	memset(h, 0, sizeof(*h));
	h->addr = r->src;
	h->probe_ttl = sent->ttl;
	h->probe_id = sent->attempt;
	h->probe_size = sent->size;
	h->tx = sent->tx;
	rtt = (long long)(rx->tv_sec - sent->tx.tv_sec) * 1000000 +
	    (rx->tv_usec - sent->tx.tv_usec);
	h->rtt_us = rtt > 0 ? (uint32_t)rtt : 0;
	h->reply_ttl = r->ttl;
	h->reply_tos = r->tos;
	h->reply_ipid = r->ipid;
	h->reply_size = r->size;
	if (r->kind == PKT_KIND_TCP) {
		h->is_tcp = 1;
		h->tcp_flags = r->tcp_flags;
	} else {
		h->icmp_type = r->icmp_type;
		h->icmp_code = r->icmp_code;
	}
	h->has_quote = r->has_quote;
	h->q_ttl = r->q_ttl;
	h->q_tos = r->q_tos;
	h->q_ipl = r->q_ipl;
	/* Few replies carry extensions: keep them out of line. */
	if (r->next > 0) {
		if ((h->ext = calloc(r->next, sizeof(*h->ext))) == NULL) {
			res->nhops--;
			return -1;
		}
		memcpy(h->ext, r->ext, r->next * sizeof(*h->ext));
		h->next = r->next;
	}
	return 0;
}

static enum slot_answer
classify(const struct trace *t, const struct pkt_reply *r, uint8_t *code)
{
	int from_dst = addr_eq(&r->src, &t->res.flow.dst);

	*code = 0;
	switch (r->kind) {
	case PKT_KIND_ECHO_REPLY:
	case PKT_KIND_TCP:
		return ANS_DEST;
	case PKT_KIND_ICMP_ERR:
		break;
	default:
		return ANS_NONE;
	}
	switch (r->icmp_class) {
	case PKT_IC_TTL_EXPIRED:
		return ANS_HOP;
	case PKT_IC_PORT_UNREACH:
		if (from_dst)
			return ANS_DEST;
		*code = r->icmp_code;
		return ANS_UNREACH;
	case PKT_IC_UNREACH:
		*code = r->icmp_code;
		return ANS_UNREACH;
	default:
		*code = r->icmp_type;
		return ANS_ICMP;
	}
}

static void
trace_on_reply(void *owner, const struct engine_sent *sent,
    const struct pkt_reply *r, const struct timeval *rx)
{
	struct trace *t = owner;
	struct slot *s = &t->slot[sent->ttl];
	enum slot_answer a;
	uint8_t code;

	if (s->inflight > 0)
		s->inflight--;
	if ((a = classify(t, r, &code)) == ANS_NONE)
		return;
	if (hop_add(t, sent, r, rx) == -1) {
		trace_finish(t, TRACE_STOP_ERROR, ENOMEM, t->settled_max);
		return;
	}
	if (s->answer == ANS_NONE) {
		s->answer = (uint8_t)a;
		s->code = code;
		s->addr = r->src;
	}
	slot_settled(t, sent->ttl);
	/* Nothing above a TTL that ended the path is worth probing. */
	if (a != ANS_HOP && sent->ttl < t->limit)
		t->limit = sent->ttl;
	if (trace_assess(t) == 0)
		engine_wake(t->eng, &t->client);
}

static void
trace_on_timeout(void *owner, const struct engine_sent *sent)
{
	struct trace *t = owner;
	struct slot *s = &t->slot[sent->ttl];

	if (s->inflight > 0)
		s->inflight--;
	if (s->answer == ANS_NONE && s->inflight == 0 &&
	    s->sent >= t->res.conf.attempts) {
		s->silent = 1;
		slot_settled(t, sent->ttl);
	}
	if (trace_assess(t) == 0)
		engine_wake(t->eng, &t->client);
}

static void
trace_on_error(void *owner, const struct engine_sent *sent, int err)
{
	struct trace *t = owner;

	/* Counted when handed out; it never left. */
	if (t->res.probe_count > 0)
		t->res.probe_count--;
	trace_finish(t, TRACE_STOP_ERROR, (uint8_t)(err > 255 ? 255 : err),
	    sent->ttl);
}
