/*
 * engine: pacing, probe identity, and reply routing for many measurements.
 */
#include <sys/types.h>
#include <sys/random.h>
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "probe/engine.h"
#include "probe/siphash.h"

#define ENGINE_MAX_PROBE	2048
#define ENGINE_TAG_TRIES	32

/*
 * A probe in flight, 112 bytes.  Records come from slabs the engine keeps
 * (a free list reuses them; the slabs are freed with the engine, so the
 * memory is the most probes ever in flight at once, as malloc's would be)
 * and refer to each other by 32-bit index: hash chains, the client's
 * list, the deadline heap.  No libevent timer each: the engine keeps them
 * in a binary heap by deadline, and one timer for the earliest.  (A list
 * sorted from its tail was O(1) while waits were equal, and O(n) a probe
 * once adaptive waits mixed short and long ones: at 100,000 pps 80 % of
 * the run went to finding the place.)  Equal deadlines keep their order
 * of insertion.
 */
#define NIL		UINT32_MAX	/* no record; not in the heap */
#define SLAB_BITS	7		/* 128 records a slab */
#define SLAB_MASK	((1u << SLAB_BITS) - 1)
#define SLABS_MAX	((1u << (32 - SLAB_BITS)) - 1)	/* indices stay below NIL */

struct engine_pending {
	struct engine_client *client;
	uint64_t deadline_us;			/* monotonic */
	uint32_t hnext;				/* hash chain; the free list */
	uint32_t cnext, cprev;			/* client's list */
	uint32_t heap_i;			/* in e->heap; NIL */
	uint32_t seq;				/* insertion order, for ties */
	uint32_t late_left_ms;			/* after on_late, until the timeout */
	struct pkt_key key;
	uint32_t self;				/* this record's index */
	struct engine_sent sent;
};

/* The struct a client is embedded in, as its callbacks take it. */
#define OWNER(c)	((void *)((char *)(c) - (c)->ops->client_offset))

TAILQ_HEAD(engine_readyq, engine_client);

struct engine {
	struct event_base *base;
	struct engine_io io;
	struct siphash_key secret;
	uint32_t serial;		/* probes identified so far */
	libnet_t *lb;			/* LIBNET_NONE: builds, never sends */

	/* token bucket, on the monotonic clock */
	double rate, burst, tokens;
	struct timespec last;
	struct engine_readyq ready;
	struct event *pump_ev;		/* runs the bucket */
	uint8_t pump_armed;
	int (*feed)(void *);		/* starts new clients (depth-first) */
	void *feed_arg;
	uint8_t feed_more;		/* feed has not said it is done */

	/* probe records: slabs, and the free ones */
	struct engine_pending **slab;
	uint32_t nslabs, slabs_cap, free_rec;

	/* probes in flight, by key, and by deadline (record indices) */
	uint32_t *table;
	size_t nbuckets, count;
	uint32_t *heap;			/* by deadline, then seq */
	uint32_t nheap, heap_cap, heap_seq;
	struct event *timer_ev;
	uint64_t timer_at;		/* when timer_ev fires; 0 not armed */

	struct engine_stats stats;
};

static void engine_pump(evutil_socket_t, short, void *);
static void engine_timer(evutil_socket_t, short, void *);

static double
mono_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	return (double)ts->tv_sec + ts->tv_nsec / 1e9;
}

struct engine *
engine_new(struct event_base *base, const struct engine_conf *conf,
    const struct engine_io *io)
{
	struct engine *e;
	char errbuf[LIBNET_ERRBUF_SIZE];
	uint64_t k[2];

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->base = base;
	e->io = *io;
	e->rate = conf->pps > 0 ? conf->pps : 1;
	e->burst = conf->burst > 0 ? conf->burst : e->rate / 100;
	if (e->burst < 1)
		e->burst = 1;
	e->tokens = e->burst;
	mono_now(&e->last);
	TAILQ_INIT(&e->ready);
	e->free_rec = NIL;
	e->nbuckets = 1024;
	if ((e->table = malloc(e->nbuckets * sizeof(*e->table))) == NULL)
		goto fail;
	memset(e->table, 0xff, e->nbuckets * sizeof(*e->table));	/* NIL */
	e->stats.mem_bytes = e->nbuckets * sizeof(*e->table);
	if ((e->lb = libnet_init(LIBNET_NONE, NULL, errbuf)) == NULL)
		goto fail;
	if ((e->pump_ev = event_new(base, -1, 0, engine_pump, e)) == NULL ||
	    (e->timer_ev = evtimer_new(base, engine_timer, e)) == NULL)
		goto fail;
	if (getrandom(k, sizeof(k), 0) != sizeof(k))
		goto fail;
	e->secret.k0 = k[0];
	e->secret.k1 = k[1];
	return e;
fail:
	engine_free(e);
	return NULL;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	for (uint32_t i = 0; i < e->nslabs; i++)
		free(e->slab[i]);
	free(e->slab);
	free(e->table);
	free(e->heap);
	if (e->pump_ev != NULL)
		event_free(e->pump_ev);
	if (e->timer_ev != NULL)
		event_free(e->timer_ev);
	if (e->lb != NULL)
		libnet_destroy(e->lb);
	free(e);
}

void
engine_set_secret(struct engine *e, uint64_t k0, uint64_t k1)
{
	e->secret.k0 = k0;
	e->secret.k1 = k1;
}

int
engine_source(struct engine *e, const struct addr_ip *dst, struct addr_ip *src)
{
	return e->io.source(e->io.ctx, dst, src);
}

const struct engine_stats *
engine_stats(const struct engine *e)
{
	return &e->stats;
}

struct event_base *
engine_base(const struct engine *e)
{
	return e->base;
}

/* --- the table of probes in flight ------------------------------------ */

static uint32_t
key_hash(const struct pkt_key *k)
{
	uint32_t h = addr_hash(&k->dst);

	h ^= (uint32_t)k->proto * 0x9e3779b1u;
	h ^= ((uint32_t)k->sport << 16 | k->dport) * 0x85ebca6bu;
	h ^= (uint32_t)k->tag * 0xc2b2ae35u;
	h ^= h >> 15;
	return h;
}

static int
key_eq(const struct pkt_key *a, const struct pkt_key *b)
{
	return a->proto == b->proto && a->sport == b->sport &&
	    a->dport == b->dport && a->tag == b->tag && addr_eq(&a->dst, &b->dst);
}

static struct engine_pending *
rec(const struct engine *e, uint32_t i)
{
	return &e->slab[i >> SLAB_BITS][i & SLAB_MASK];
}

/* A record for a new probe, from the free list or a new slab; NULL. */
static struct engine_pending *
rec_get(struct engine *e)
{
	struct engine_pending *p, *s;
	uint32_t base;

	if (e->free_rec == NIL) {
		if (e->nslabs == SLABS_MAX)
			return NULL;
		if (e->nslabs == e->slabs_cap) {
			uint32_t cap = e->slabs_cap ? e->slabs_cap * 2 : 8;
			struct engine_pending **t;

			if ((t = realloc(e->slab, cap * sizeof(*t))) == NULL)
				return NULL;
			e->slab = t;
			e->stats.mem_bytes += (cap - e->slabs_cap) * sizeof(*t);
			e->slabs_cap = cap;
		}
		if ((s = malloc(sizeof(*s) << SLAB_BITS)) == NULL)
			return NULL;
		e->stats.mem_bytes += sizeof(*s) << SLAB_BITS;
		base = e->nslabs << SLAB_BITS;
		e->slab[e->nslabs++] = s;
		for (uint32_t i = SLAB_MASK + 1; i-- > 0;) {
			s[i].self = base + i;
			s[i].hnext = e->free_rec;
			e->free_rec = base + i;
		}
	}
	p = rec(e, e->free_rec);
	e->free_rec = p->hnext;
	memset(p, 0, offsetof(struct engine_pending, self));
	memset(&p->sent, 0, sizeof(p->sent));
	return p;
}

static void
rec_put(struct engine *e, struct engine_pending *p)
{
	p->client = NULL;
	p->hnext = e->free_rec;
	e->free_rec = p->self;
}

static struct engine_pending *
table_find(struct engine *e, const struct pkt_key *k)
{
	uint32_t i;

	for (i = e->table[key_hash(k) & (e->nbuckets - 1)]; i != NIL;) {
		struct engine_pending *p = rec(e, i);

		if (key_eq(&p->key, k))
			return p;
		i = p->hnext;
	}
	return NULL;
}

static void
table_grow(struct engine *e)
{
	size_t nb = e->nbuckets * 2;
	uint32_t *t;

	if ((t = malloc(nb * sizeof(*t))) == NULL)
		return;		/* keep the longer chains; still correct */
	memset(t, 0xff, nb * sizeof(*t));
	for (size_t i = 0; i < e->nbuckets; i++) {
		uint32_t j, n;
		for (j = e->table[i]; j != NIL; j = n) {
			struct engine_pending *p = rec(e, j);
			size_t b = key_hash(&p->key) & (nb - 1);
			n = p->hnext;
			p->hnext = t[b];
			t[b] = j;
		}
	}
	free(e->table);
	e->table = t;
	e->stats.mem_bytes += (nb - e->nbuckets) * sizeof(*t);
	e->nbuckets = nb;
}

static void
table_insert(struct engine *e, struct engine_pending *p)
{
	size_t b;

	if (e->count >= e->nbuckets * 2)
		table_grow(e);
	b = key_hash(&p->key) & (e->nbuckets - 1);
	p->hnext = e->table[b];
	e->table[b] = p->self;
	e->count++;

	p->cprev = NIL;
	p->cnext = p->client->pending;
	if (p->cnext != NIL)
		rec(e, p->cnext)->cprev = p->self;
	p->client->pending = p->self;
	p->client->inflight++;
}

static uint64_t
wall_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

static uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The heap: x before y. */
static int
heap_lt(const struct engine_pending *x, const struct engine_pending *y)
{
	if (x->deadline_us != y->deadline_us)
		return x->deadline_us < y->deadline_us;
	return (int32_t)(x->seq - y->seq) < 0;
}

static struct engine_pending *
heap_at(const struct engine *e, uint32_t i)
{
	return rec(e, e->heap[i]);
}

static void
heap_set(struct engine *e, uint32_t i, struct engine_pending *p)
{
	e->heap[i] = p->self;
	p->heap_i = i;
}

static void
heap_up(struct engine *e, uint32_t i)
{
	struct engine_pending *p = heap_at(e, i);

	while (i > 0 && heap_lt(p, heap_at(e, (i - 1) / 2))) {
		heap_set(e, i, heap_at(e, (i - 1) / 2));
		i = (i - 1) / 2;
	}
	heap_set(e, i, p);
}

static void
heap_down(struct engine *e, uint32_t i)
{
	struct engine_pending *p = heap_at(e, i);

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= e->nheap)
			break;
		if (c + 1 < e->nheap && heap_lt(heap_at(e, c + 1), heap_at(e, c)))
			c++;
		if (!heap_lt(heap_at(e, c), p))
			break;
		heap_set(e, i, heap_at(e, c));
		i = c;
	}
	heap_set(e, i, p);
}

/* Room for one more probe in the heap; -1 out of memory. */
static int
heap_reserve(struct engine *e)
{
	uint32_t cap;
	uint32_t *h;

	if (e->nheap < e->heap_cap)
		return 0;
	cap = e->heap_cap ? e->heap_cap * 2 : 64;
	if ((h = realloc(e->heap, cap * sizeof(*h))) == NULL)
		return -1;
	e->heap = h;
	e->stats.mem_bytes += (cap - e->heap_cap) * sizeof(*h);
	e->heap_cap = cap;
	return 0;
}

static void
timer_arm(struct engine *e, uint64_t now)
{
	struct timeval tv;
	uint64_t d, at;

	if (e->nheap == 0)
		return;
	at = heap_at(e, 0)->deadline_us;
	if (e->timer_at != 0 && e->timer_at <= at)
		return;
	d = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(d / 1000000);
	tv.tv_usec = (suseconds_t)(d % 1000000);
	e->timer_at = at;
	evtimer_add(e->timer_ev, &tv);
}

/* p into the heap, due in ms; heap_reserve() made room for it. */
static void
timer_insert(struct engine *e, struct engine_pending *p, unsigned ms)
{
	uint64_t now = mono_us();

	p->deadline_us = now + (uint64_t)ms * 1000;
	p->seq = e->heap_seq++;
	heap_set(e, e->nheap++, p);
	heap_up(e, p->heap_i);
	timer_arm(e, now);
}

/* An earlier armed timer that finds nothing due just re-arms. */
static void
timer_unlink(struct engine *e, struct engine_pending *p)
{
	uint32_t i = p->heap_i;
	struct engine_pending *last;

	if (i == NIL)
		return;
	p->heap_i = NIL;
	last = heap_at(e, --e->nheap);
	if (last == p)
		return;
	heap_set(e, i, last);
	if (i > 0 && heap_lt(last, heap_at(e, (i - 1) / 2)))
		heap_up(e, i);
	else
		heap_down(e, i);
}

/* Unlink from the table, the client and the timer; the caller frees. */
static void
table_remove(struct engine *e, struct engine_pending *p)
{
	uint32_t *pp;

	for (pp = &e->table[key_hash(&p->key) & (e->nbuckets - 1)]; *pp != NIL;
	    pp = &rec(e, *pp)->hnext) {
		if (*pp == p->self) {
			*pp = p->hnext;
			e->count--;
			break;
		}
	}
	if (p->cprev != NIL)
		rec(e, p->cprev)->cnext = p->cnext;
	else
		p->client->pending = p->cnext;
	if (p->cnext != NIL)
		rec(e, p->cnext)->cprev = p->cprev;
	p->client->inflight--;
	timer_unlink(e, p);
}

/* --- clients and pacing ----------------------------------------------- */

void
engine_client_init(struct engine_client *c, const struct engine_client_ops *ops,
    void *owner)
{
	assert((char *)owner + ops->client_offset == (char *)c);
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->pending = NIL;
}

static void
pump_arm(struct engine *e, double delay)
{
	struct timeval tv;

	if (e->pump_armed)
		return;
	e->pump_armed = 1;
	if (delay <= 0) {
		event_active(e->pump_ev, EV_TIMEOUT, 0);
		return;
	}
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = (suseconds_t)((delay - (double)tv.tv_sec) * 1e6) + 1;
	event_add(e->pump_ev, &tv);
}

void
engine_wake(struct engine *e, struct engine_client *c)
{
	if (!c->queued) {
		c->queued = 1;
		TAILQ_INSERT_TAIL(&e->ready, c, ready_entry);
	}
	pump_arm(e, 0);
}

void
engine_set_feeder(struct engine *e, int (*feed)(void *), void *arg)
{
	e->feed = feed;
	e->feed_arg = arg;
	engine_kick(e);
}

void
engine_kick(struct engine *e)
{
	if (e->feed == NULL)
		return;
	e->feed_more = 1;
	pump_arm(e, 0);
}

void
engine_cancel(struct engine *e, struct engine_client *c)
{
	if (c->queued) {
		TAILQ_REMOVE(&e->ready, c, ready_entry);
		c->queued = 0;
	}
	while (c->pending != NIL) {
		struct engine_pending *p = rec(e, c->pending);
		table_remove(e, p);
		rec_put(e, p);
	}
}

/*
 * The probe's identity: a keyed hash of the per-run secret and what the
 * probe is.  The tag (with the flow's ports, which anyone can guess) finds
 * the probe, and an off-path sender can try all 2^16 tags; the IP ID, the
 * high half of seq32 and the MAC, drawn from the same secret, are what it
 * must guess on top (see pkt.h for what each reply proves).  The serial
 * number makes it unique in the run: a later trace of the same flow does not
 * take the late answers to an earlier one's probes.
 */
static int
probe_ident(struct engine *e, const struct engine_probe_req *req,
    struct pkt_key *key, struct pkt_ident *id)
{
	const struct pkt_flow *f = req->flow;
	uint8_t msg[16 + 16];
	size_t n = addr_len(&f->dst);
	uint32_t serial = e->serial++;

	memcpy(msg, f->dst.u.b, n);
	memset(key, 0, sizeof(*key));
	key->dst = f->dst;
	key->proto = f->proto;
	key->sport = f->sport;
	key->dport = f->dport;
	for (uint32_t salt = 0; salt < ENGINE_TAG_TRIES; salt++) {
		uint64_t h, mac;
		size_t m = n;

		msg[m++] = f->proto;
		msg[m++] = (uint8_t)(f->sport >> 8);
		msg[m++] = (uint8_t)f->sport;
		msg[m++] = (uint8_t)(f->dport >> 8);
		msg[m++] = (uint8_t)f->dport;
		msg[m++] = req->ttl;
		msg[m++] = req->attempt;
		msg[m++] = (uint8_t)salt;
		msg[m++] = (uint8_t)(serial >> 24);
		msg[m++] = (uint8_t)(serial >> 16);
		msg[m++] = (uint8_t)(serial >> 8);
		msg[m++] = (uint8_t)serial;
		h = siphash24(&e->secret, msg, m);
		/* One more byte: another input, an independent 64 bits. */
		msg[m++] = 'M';
		mac = siphash24(&e->secret, msg, m);

		id->ttl = req->ttl;
		id->tag = (uint16_t)h;
		id->ipid = (uint16_t)(h >> 16);
		if (id->ipid == 0)
			id->ipid = 1;
		id->seq32 = (uint32_t)(h >> 32 & 0xffff0000u) | id->tag;
		for (size_t i = 0; i < PKT_MAC_LEN; i++)
			id->mac[i] = (uint8_t)(mac >> (56 - 8 * i));
		key->tag = id->tag;
		if (!req->method->tag_ok(id->tag))
			continue;
		if (table_find(e, key) == NULL)
			return 0;
	}
	return -1;
}

/* Send one probe for client c; 0 sent, 1 nothing to send, -1 failed. */
static int
engine_send_one(struct engine *e, struct engine_client *c)
{
	struct engine_probe_req req;
	struct engine_pending *p;
	uint8_t buf[ENGINE_MAX_PROBE];
	unsigned wait;
	int len, err;

	memset(&req, 0, sizeof(req));
	if (c->ops->next_probe(OWNER(c), &req) != 1)
		return 1;
	if (heap_reserve(e) == -1 || (p = rec_get(e)) == NULL) {
		err = ENOMEM;
		goto fail_nop;
	}
	p->client = c;
	p->heap_i = NIL;
	p->sent.cookie = req.cookie;
	p->sent.ttl = req.ttl;
	p->sent.attempt = req.attempt;
	p->sent.size = req.flow->size;
	p->sent.has_mac = (uint8_t)pkt_flow_has_mac(req.flow);
	if (probe_ident(e, &req, &p->key, &p->sent.ident) == -1) {
		err = EAGAIN;
		goto fail;
	}
	len = req.method->build(e->lb, req.flow, &p->sent.ident, buf, sizeof(buf));
	if (len < 0) {
		err = EINVAL;
		goto fail;
	}
	/* Registered before it leaves: the capture may see it at once. */
	table_insert(e, p);
	p->sent.tx_us = wall_us();
	if (e->io.send(e->io.ctx, req.flow->dst.family, buf, (size_t)len) == -1) {
		err = errno;
		table_remove(e, p);
		goto fail;
	}
	e->stats.probes_sent++;
	wait = req.wait_ms;
	if (req.late_ms > 0 && req.late_ms < wait &&
	    c->ops->on_late != NULL) {
		p->late_left_ms = wait - req.late_ms;
		wait = req.late_ms;
	}
	timer_insert(e, p, wait);
	return 0;

fail:
	{
		struct engine_sent s = p->sent;
		rec_put(e, p);
		e->stats.send_errors++;
		c->ops->on_error(OWNER(c), &s, err);
	}
	return -1;
fail_nop:
	{
		struct engine_sent s;
		memset(&s, 0, sizeof(s));
		s.cookie = req.cookie;
		s.ttl = req.ttl;
		s.attempt = req.attempt;
		e->stats.send_errors++;
		c->ops->on_error(OWNER(c), &s, err);
	}
	return -1;
}

static void
engine_pump(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	struct timespec now;
	double t, dt;

	e->pump_armed = 0;
	t = mono_now(&now);
	dt = t - ((double)e->last.tv_sec + e->last.tv_nsec / 1e9);
	e->last = now;
	e->tokens += dt * e->rate;
	if (e->tokens > e->burst)
		e->tokens = e->burst;

	while (e->tokens >= 1) {
		struct engine_client *c;

		if (TAILQ_EMPTY(&e->ready)) {
			/* Running clients first; only a spare token starts
			 * a new one.  Each call starts one or says done, so
			 * this ends. */
			if (e->feed == NULL || !e->feed_more)
				break;
			if (e->feed(e->feed_arg) == 0)
				e->feed_more = 0;
			continue;
		}
		c = TAILQ_FIRST(&e->ready);

		/* Round robin: to the tail first, so that a client cancelled
		 * (or freed after engine_cancel) from a callback is simply
		 * gone from the queue. */
		TAILQ_REMOVE(&e->ready, c, ready_entry);
		TAILQ_INSERT_TAIL(&e->ready, c, ready_entry);
		if (engine_send_one(e, c) == 1) {
			/* Nothing to send: no callback ran, c is alive. */
			TAILQ_REMOVE(&e->ready, c, ready_entry);
			c->queued = 0;
			continue;
		}
		/* A failed probe costs a token like a sent one, so a
		 * failing client cannot spin the loop. */
		e->tokens -= 1;
	}
	if (!TAILQ_EMPTY(&e->ready) || (e->feed != NULL && e->feed_more))
		pump_arm(e, (1 - e->tokens) / e->rate);
}

/* --- replies ------------------------------------------------------------ */

/* Probe p's deadline passed: late (still in flight) or timed out. */
static void
probe_due(struct engine *e, struct engine_pending *p)
{
	struct engine_client *c = p->client;
	struct engine_sent s;

	if (p->late_left_ms > 0) {
		/* Late, not lost: the client may move on, a reply still
		 * counts until the full wait. */
		unsigned left = p->late_left_ms;

		timer_unlink(e, p);
		p->late_left_ms = 0;
		p->sent.late = 1;
		timer_insert(e, p, left);
		s = p->sent;
		e->stats.late++;
		c->ops->on_late(OWNER(c), &s);	/* may cancel c: p gone */
		return;
	}
	s = p->sent;
	table_remove(e, p);
	rec_put(e, p);
	e->stats.timeouts++;
	c->ops->on_timeout(OWNER(c), &s);
}

static void
engine_timer(evutil_socket_t fd, short what, void *arg)
{
	struct engine *e = arg;
	uint64_t now = mono_us();

	e->timer_at = 0;
	/* Callbacks may cancel any probe: take the head afresh each time. */
	while (e->nheap > 0 && heap_at(e, 0)->deadline_us <= now)
		probe_due(e, heap_at(e, 0));
	timer_arm(e, now);
}

/*
 * Whether r proves it saw probe p, beyond the tag that found p: the table in
 * pkt.h says how many bits of the keyed identity that is, by method and
 * family.
 */
static int
proof_ok(const struct pkt_reply *r, const struct engine_pending *p)
{
	const struct pkt_check *ck = &r->check;
	const struct pkt_ident *id = &p->sent.ident;
	int v4 = r->key.dst.family == AF_INET;
	size_t n;

	if (ck->has_ipid && v4 && ck->ipid != id->ipid)
		return 0;
	if (ck->has_seq32 && ck->seq32 != id->seq32)
		return 0;
	/* A TCP segment from the destination echoes no payload. */
	if (!p->sent.has_mac || r->kind == PKT_KIND_TCP)
		return 1;
	/*
	 * IPv6 errors quote as much as fits in 1280 bytes, echo replies
	 * return all the data and our own probe is whole: only an IPv4 quote
	 * may stop short of the MAC, and then it proves the bytes it holds.
	 * Trailing zeros there prove nothing: RFC 4884 pads a quote cut at 8
	 * bytes with zeros up to 128.
	 */
	n = ck->mac_len;
	if (v4 && r->kind == PKT_KIND_ICMP_ERR) {
		while (n > 0 && ck->mac[n - 1] == 0)
			n--;
	} else if (n < PKT_MAC_LEN)
		return 0;
	return memcmp(ck->mac, id->mac, n) == 0;
}

void
engine_input(struct engine *e, const uint8_t *ip, size_t len,
    const struct timeval *ts, int outgoing)
{
	struct pkt_reply r;
	struct engine_pending *p;
	struct engine_client *c;
	struct engine_sent s;

	if (pkt_parse(ip, len, outgoing, &r) == -1) {
		e->stats.packets_ignored++;
		return;
	}
	p = table_find(e, &r.key);
	if (r.kind == PKT_KIND_PROBE) {
		/* Our own probe leaving: its capture time is the tx time. */
		if (p != NULL && proof_ok(&r, p)) {
			p->sent.tx_us = (uint64_t)ts->tv_sec * 1000000 +
			    (uint64_t)ts->tv_usec;
			p->sent.tx_pcap = 1;
			e->stats.tx_seen++;
		} else
			e->stats.packets_ignored++;
		return;
	}
	if (p == NULL) {
		e->stats.replies_unmatched++;
		return;
	}
	if (!proof_ok(&r, p)) {
		/* The probe stays in flight for its genuine answer. */
		e->stats.replies_forged++;
		return;
	}
	e->stats.replies_matched++;
	c = p->client;
	s = p->sent;
	table_remove(e, p);
	rec_put(e, p);
	c->ops->on_reply(OWNER(c), &s, &r, ts);
}
