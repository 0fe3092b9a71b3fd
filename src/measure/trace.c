/*
 * trace: Paris traceroute, hop by hop while answers come, in parallel
 * where routers are silent.
 *
 * A new TTL opens when the highest open one answered or its probes are
 * late (past an adaptive wait drawn from the RTTs seen), never more than
 * min(window, gaplimit) TTLs beyond the highest answer and never beyond a
 * TTL that ended the path: no probe the trace cannot use.  Once a TTL
 * above answered, a late TTL is retried, or given up after its last
 * attempt, without waiting for -W; its probes stay in flight, so a late
 * answer is still recorded while the trace is open.  Stop conditions are
 * judged in TTL order over the settled prefix, so the outcome does not
 * depend on the order replies arrive in.
 */
#include <sys/types.h>
#include <errno.h>
#include <stddef.h>
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

/*
 * A probe past its adaptive wait is "late": the trace moves on (opens the
 * next TTL; retries or gives up on the TTL once a TTL above answered) but
 * the probe stays in flight until -W, so a late reply still counts.  The
 * adaptive wait is a multiple of the largest RTT the trace has seen, with
 * a floor for jitter and slow ICMP generation (a quarter of -W when that
 * is less), capped by -W.
 */
#define TRACE_LATE_RTT_MULT	4
#define TRACE_LATE_FLOOR_MS	100

/*
 * Per TTL: six bytes, the replies themselves are in res.hops.  Slots and
 * replies share one allocation (slots first, the replies from the next
 * 8-byte boundary), grown as TTLs open and replies come: one malloc chunk
 * a trace, not two.
 */
struct slot {
	uint8_t sent;		/* attempts sent */
	uint8_t inflight;
	uint8_t late;		/* of those in flight, past the adaptive wait */
	uint8_t answer;		/* enum slot_answer of the first reply */
	uint8_t code;		/* its ICMP type or code, for stop_data */
	uint8_t pad;
};

struct trace {
	struct engine *eng;
	struct engine_client client;
	struct trace_result res;
	struct slot *slot;	/* indexed by TTL, 0..open at least; the block */
	const struct trace_cbs *cbs;
	void *arg;
	uint32_t max_rtt_us;	/* largest RTT seen */
	uint8_t limit;		/* no probes above this TTL */
	uint8_t open;		/* highest TTL opened for probing */
	uint8_t top;		/* highest TTL answered; 0 none */
	uint8_t judged;		/* TTLs up to this are judged (no stop there) */
	uint8_t gap;		/* silent TTLs ending the judged prefix */
	uint8_t running;
	uint8_t slots_cap;	/* slot[] has slots_cap + 1 entries */
	uint32_t hops_cap;
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

/* Microseconds from a to b, negative when b is earlier. */
static long long
us_between(const struct timeval *a, const struct timeval *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000 +
	    (b->tv_usec - a->tv_usec);
}

/* Microseconds from start to tx: 0 before it (the clock stepped back),
 * UINT32_MAX past 71 minutes. */
static uint32_t
tx_offset(const struct timeval *start, const struct timeval *tx)
{
	long long d = us_between(start, tx);

	if (d < 0)
		return 0;
	return d > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* The time off microseconds after the trace's start. */
static void
after_start(const struct trace_result *r, uint64_t off, struct timeval *tv)
{
	long long us = (long long)r->start.tv_usec + (long long)off;

	tv->tv_sec = r->start.tv_sec + (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

void
trace_hop_tx(const struct trace_result *r, const struct trace_hop *h,
    struct timeval *tv)
{
	after_start(r, h->tx_us, tv);
}

void
trace_end(const struct trace_result *r, struct timeval *tv)
{
	after_start(r, r->end_us, tv);
}

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
static void trace_on_late(void *, const struct engine_sent *);

static const struct engine_client_ops trace_ops = {
	trace_next_probe, trace_on_reply, trace_on_timeout, trace_on_error,
	trace_on_late, offsetof(struct trace, client),
};

/* Slots in the block (none before the first TTL opens). */
static unsigned
nslots(const struct trace *t)
{
	return t->slot == NULL ? 0 : t->slots_cap + 1u;
}

static size_t
hops_offset(unsigned n)
{
	return (n * sizeof(struct slot) + 7) & ~(size_t)7;
}

/*
 * The block resized to n slots (no fewer than now) and room for hcap
 * replies; -1 out of memory (nothing changed).  Slot and reply pointers
 * taken before do not survive it.
 */
static int
block_resize(struct trace *t, unsigned n, uint32_t hcap)
{
	unsigned old = nslots(t);
	size_t from = hops_offset(old), to = hops_offset(n);
	char *b;

	if ((b = realloc(t->slot, to + hcap * sizeof(struct trace_hop))) == NULL)
		return -1;
	if (to != from)
		memmove(b + to, b + from, t->res.nhops * sizeof(struct trace_hop));
	memset(b + old * sizeof(struct slot), 0,
	    (n - old) * sizeof(struct slot));
	t->slot = (struct slot *)(void *)b;
	t->slots_cap = (uint8_t)(n - 1);
	t->res.hops = (struct trace_hop *)(void *)(b + to);
	t->hops_cap = hcap;
	return 0;
}

/* Slots up to ttl, grown as TTLs open: most paths are short. */
static int
slots_reserve(struct trace *t, unsigned ttl)
{
	unsigned cap = nslots(t), n;

	if (ttl < cap)
		return 0;
	n = cap < 4 ? 4 : cap * 2;
	if (n < ttl + 1)
		n = ttl + 1;
	if (n > (unsigned)t->res.conf.max_ttl + 1)
		n = (unsigned)t->res.conf.max_ttl + 1;
	return block_resize(t, n, t->hops_cap);
}

struct trace *
trace_new(struct engine *eng, const struct trace_conf *conf,
    const struct addr_ip *dst, const struct trace_cbs *cbs, void *arg)
{
	struct trace *t;
	char err[128];

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->eng = eng;
	t->res.conf = *conf;
	if (trace_conf_finish(&t->res.conf, dst->family, err, sizeof(err)) == -1 ||
	    slots_reserve(t, t->res.conf.first_ttl) == -1) {
		free(t);
		return NULL;
	}
	t->res.flow.dst = *dst;
	t->cbs = cbs;
	t->arg = arg;
	engine_client_init(&t->client, &trace_ops, t);
	return t;
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
	free(t->slot);		/* and the replies */
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
	struct timeval now;
	long long us;
	size_t i, n = 0;

	if (!t->running)
		return;
	t->running = 0;
	engine_cancel(t->eng, &t->client);
	r->stop_reason = why;
	r->stop_data = data;
	r->hop_count = hop_count;
	gettimeofday(&now, NULL);
	us = us_between(&r->start, &now);
	r->end_us = us > 0 ? (uint64_t)us : 0;	/* 0: the clock stepped back */
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
	t->cbs->done(t, t->arg);
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
	t->open = c->first_ttl - 1;
	t->judged = c->first_ttl - 1;
	engine_wake(t->eng, &t->client);
}

void
trace_halt(struct trace *t)
{
	trace_finish(t, TRACE_STOP_HALTED, 0,
	    t->top > t->judged ? t->top : t->judged);
}

/* --- probing ----------------------------------------------------------- */

/* Every probe of the TTL still in flight is late, and a TTL above it
 * answered: its silence is no longer just slowness. */
static int
slot_given_up(const struct trace *t, unsigned ttl)
{
	const struct slot *s = &t->slot[ttl];

	return s->inflight == s->late && t->top > ttl;
}

/* No answer, every attempt sent, none still expected. */
static int
slot_silent(const struct trace *t, unsigned ttl)
{
	const struct slot *s = &t->slot[ttl];

	return s->answer == ANS_NONE && s->sent >= t->res.conf.attempts &&
	    (s->inflight == 0 || slot_given_up(t, ttl));
}

static int
slot_wants_probe(const struct trace *t, unsigned ttl)
{
	const struct trace_conf *c = &t->res.conf;
	const struct slot *s = &t->slot[ttl];

	if (s->sent >= c->attempts)
		return 0;
	if (c->all_attempts)
		return 1;
	return s->answer == ANS_NONE &&
	    (s->inflight == 0 || slot_given_up(t, ttl));
}

/*
 * The next TTL opens when the highest open one no longer holds it up: it
 * answered, or all its probes are late.  So a responsive path is probed
 * hop by hop (no probe beyond the destination), and a silent hop costs an
 * adaptive wait, not -W.
 */
static int
may_open(const struct trace *t)
{
	const struct trace_conf *c = &t->res.conf;
	const struct slot *s = &t->slot[t->open];
	unsigned next = (unsigned)t->open + 1, base, gap_end;

	/* Nothing beyond window TTLs past what is answered or judged, nor
	 * beyond where gaplimit silent TTLs would end the trace. */
	base = t->top > t->judged ? t->top : t->judged;
	gap_end = t->top > t->judged ? (unsigned)t->top + c->gaplimit :
	    (unsigned)t->judged + c->gaplimit - t->gap;
	if (next > t->limit || next > base + c->window || next > gap_end)
		return 0;
	if (next == c->first_ttl)
		return 1;
	return s->answer != ANS_NONE ||
	    (s->sent > 0 && s->inflight == s->late);
}

static unsigned
late_ms(const struct trace *t)
{
	unsigned w = t->res.conf.wait_ms;
	unsigned floor = TRACE_LATE_FLOOR_MS < w / 4 ? TRACE_LATE_FLOOR_MS : w / 4;
	unsigned long long ms = (unsigned long long)t->max_rtt_us *
	    TRACE_LATE_RTT_MULT / 1000 + 1;

	if (ms < floor)
		ms = floor;
	return ms >= w ? 0 : (unsigned)ms;
}

static int
trace_next_probe(void *owner, struct engine_probe_req *req)
{
	struct trace *t = owner;
	const struct trace_conf *c = &t->res.conf;
	unsigned ttl;
	struct slot *s;

	if (!t->running)
		return 0;
	/* Retries first, lowest TTL first; then one new TTL. */
	for (ttl = (unsigned)t->judged + 1; ttl <= t->open; ttl++)
		if (slot_wants_probe(t, ttl))
			break;
	if (ttl > t->open) {
		/* Its slot was reserved by trace_wake. */
		if (!may_open(t) || t->open >= t->slots_cap)
			return 0;
		ttl = ++t->open;
	}
	s = &t->slot[ttl];
	s->sent++;
	s->inflight++;
	t->res.probe_count++;
	req->method = c->method;
	req->flow = &t->res.flow;
	req->ttl = (uint8_t)ttl;
	req->attempt = s->sent;
	req->wait_ms = c->wait_ms;
	req->late_ms = late_ms(t);
	req->cookie = ttl;
	return 1;
}

/* The first reply's address at ttl (replies are in arrival order). */
static const struct addr_ip *
first_addr(const struct trace *t, unsigned ttl)
{
	for (size_t i = 0; i < t->res.nhops; i++)
		if (t->res.hops[i].probe_ttl == ttl)
			return &t->res.hops[i].addr;
	return NULL;
}

/*
 * Judge the settled prefix in TTL order, from where the last call left
 * off; stops the trace when it can.  Returns 1 when it did: `done` may
 * have freed t.
 */
static int
trace_assess(struct trace *t)
{
	const struct trace_conf *c = &t->res.conf;
	unsigned ttl;

	for (ttl = (unsigned)t->judged + 1; ttl <= t->open; ttl++) {
		struct slot *s = &t->slot[ttl];

		if (s->answer != ANS_NONE) {
			const struct addr_ip *a;

			/* Every attempt asked for is sent and answered (or
			 * timed out) before the TTL counts. */
			if (c->all_attempts &&
			    (s->sent < c->attempts || s->inflight > 0))
				return 0;
			t->gap = 0;
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
			a = first_addr(t, ttl);
			for (unsigned k = c->first_ttl; a != NULL && k + 1 < ttl; k++) {
				const struct addr_ip *b;

				if (t->slot[k].answer == ANS_HOP &&
				    (b = first_addr(t, k)) != NULL && addr_eq(a, b)) {
					trace_finish(t, TRACE_STOP_LOOP, 0, (uint8_t)ttl);
					return 1;
				}
			}
		} else if (slot_silent(t, ttl)) {
			t->gap++;
			if (t->gap >= c->gaplimit && t->top <= ttl) {
				trace_finish(t, TRACE_STOP_GAPLIMIT, 0, (uint8_t)ttl);
				return 1;
			}
		} else
			return 0;	/* not settled yet */
		t->judged = (uint8_t)ttl;
		if (ttl == c->max_ttl) {
			trace_finish(t, TRACE_STOP_HOPLIMIT, 0, (uint8_t)ttl);
			return 1;
		}
		if (t->cbs->settled != NULL)
			t->cbs->settled(t, ttl, t->arg);
	}
	return 0;
}

/* --- answers ------------------------------------------------------------ */


static int
hop_add(struct trace *t, const struct engine_sent *sent,
    const struct pkt_reply *r, const struct timeval *rx)
{
	struct trace_result *res = &t->res;
	struct trace_hop *h;
	struct timeval tx;
	long long rtt;

	/* Grown as replies come: most traces have a handful. */
	if (res->nhops == t->hops_cap && block_resize(t, nslots(t),
	    t->hops_cap ? t->hops_cap * 2 : 2) == -1)
		return -1;
	h = &res->hops[res->nhops++];
	memset(h, 0, sizeof(*h));
	h->addr = r->src;
	h->probe_ttl = sent->ttl;
	h->probe_id = sent->attempt;
	h->probe_size = sent->size;
	tx = engine_sent_tx(sent);
	h->tx_us = tx_offset(&res->start, &tx);
	rtt = us_between(&tx, rx);
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
	if (h->rtt_us > t->max_rtt_us)
		t->max_rtt_us = h->rtt_us;
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

/* A probe of `s` left flight (answered or timed out). */
static void
slot_landed(struct slot *s, const struct engine_sent *sent)
{
	if (s->inflight > 0)
		s->inflight--;
	if (sent->late && s->late > 0)
		s->late--;
}

/* More may be sent: reserve the slot of the TTL that may open (here, not
 * inside the engine's next_probe, where the trace must not finish). */
static void
trace_wake(struct trace *t)
{
	if (may_open(t) && slots_reserve(t, (unsigned)t->open + 1) == -1) {
		trace_finish(t, TRACE_STOP_ERROR, ENOMEM, t->judged);
		return;
	}
	engine_wake(t->eng, &t->client);
}

static void
trace_on_reply(void *owner, const struct engine_sent *sent,
    const struct pkt_reply *r, const struct timeval *rx)
{
	struct trace *t = owner;
	struct slot *s = &t->slot[sent->ttl];
	enum slot_answer a;
	uint8_t code;

	slot_landed(s, sent);
	if ((a = classify(t, r, &code)) == ANS_NONE)
		return;
	if (hop_add(t, sent, r, rx) == -1) {
		trace_finish(t, TRACE_STOP_ERROR, ENOMEM, t->judged);
		return;
	}
	s = &t->slot[sent->ttl];	/* the block may have moved */
	if (s->answer == ANS_NONE) {
		s->answer = (uint8_t)a;
		s->code = code;
	}
	if (sent->ttl > t->top)
		t->top = sent->ttl;
	/* Nothing above a TTL that ended the path is worth probing. */
	if (a != ANS_HOP && sent->ttl < t->limit)
		t->limit = sent->ttl;
	/* A late answer to a TTL judged silent that ends the path: it ends
	 * here (a router's late answer just joins the hops). */
	if (sent->ttl <= t->judged && a != ANS_HOP) {
		trace_finish(t, a == ANS_DEST ? TRACE_STOP_COMPLETED :
		    a == ANS_UNREACH ? TRACE_STOP_UNREACH : TRACE_STOP_ICMP,
		    a == ANS_DEST ? 0 : code, sent->ttl);
		return;
	}
	if (trace_assess(t) == 0)
		trace_wake(t);
}

static void
trace_on_late(void *owner, const struct engine_sent *sent)
{
	struct trace *t = owner;
	struct slot *s = &t->slot[sent->ttl];

	if (s->inflight > s->late)
		s->late++;
	if (trace_assess(t) == 0)
		trace_wake(t);
}

static void
trace_on_timeout(void *owner, const struct engine_sent *sent)
{
	struct trace *t = owner;

	slot_landed(&t->slot[sent->ttl], sent);
	if (trace_assess(t) == 0)
		trace_wake(t);
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
