/*
 * names: PTR lookups through evdns with a deadline per lookup, a cap on
 * questions in flight (the rest wait in a queue, their deadline running)
 * and an open-addressing cache keyed by address.
 */
#include "config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "util/names.h"

#define NAMES_TICK_MS	100	/* how often deadlines are checked */

struct lookup {
	struct names *n;
	struct addr_ip a;
	long long deadline;		/* monotonic ms */
	struct evdns_request *req;	/* NULL while queued */
	int inflight;
	TAILQ_ENTRY(lookup) entry;
};
TAILQ_HEAD(lookupq, lookup);

struct ent {
	struct addr_ip a;		/* family 0: free slot */
	uint8_t state;			/* enum names_state */
	char *name;
	struct lookup *lk;		/* while pending */
};

struct names {
	struct event_base *base;
	struct evdns_base *dns;
	struct names_conf conf;
	names_update_cb update;
	void *arg;
	struct ent *tab;
	size_t cap, used;		/* cap: a power of two */
	struct lookupq queued, inflight;
	unsigned ninflight, npending;
	struct event *tick;
	int in_send;			/* a callback may come from inside
					   evdns_base_resolve_reverse*() */
	int sync_ended;			/* ... and did */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ent *
ent_find(struct names *n, const struct addr_ip *a, int add)
{
	size_t i = addr_hash(a) & (n->cap - 1);

	for (;;) {
		struct ent *e = &n->tab[i];

		if (e->a.family == 0) {
			if (!add)
				return NULL;
			e->a = *a;
			n->used++;
			return e;
		}
		if (addr_eq(&e->a, a))
			return e;
		i = (i + 1) & (n->cap - 1);
	}
}

/* Forget every answered address; pending ones move to a fresh table. */
static int
cache_flush(struct names *n)
{
	struct ent *old = n->tab, *tab;
	size_t cap = n->cap;

	if ((tab = calloc(cap, sizeof(*tab))) == NULL)
		return -1;
	n->tab = tab;
	n->used = 0;
	for (size_t i = 0; i < cap; i++) {
		if (old[i].a.family == 0)
			continue;
		if (old[i].state == NAMES_PENDING)
			*ent_find(n, &old[i].a, 1) = old[i];
		else
			free(old[i].name);
	}
	free(old);
	return 0;
}

static void
lookup_end(struct names *n, struct lookup *lk, const char *name)
{
	struct ent *e = ent_find(n, &lk->a, 0);

	if (lk->inflight) {
		TAILQ_REMOVE(&n->inflight, lk, entry);
		n->ninflight--;
	} else
		TAILQ_REMOVE(&n->queued, lk, entry);
	n->npending--;
	if (e != NULL && e->lk == lk) {
		e->lk = NULL;
		e->state = NAMES_NONE;
		if (name != NULL && name[0] != '\0' &&
		    (e->name = strdup(name)) != NULL)
			e->state = NAMES_FOUND;
	}
	free(lk);
}

static void send_queued(struct names *);

static void
on_answer(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
	struct lookup *lk = arg;
	struct names *n = lk->n;
	const char *name = NULL;

	/* A cancelled (timed out) lookup has already ended: only its memory
	 * was left for this call. */
	if (lk->req == NULL && lk->inflight == 0) {
		free(lk);
		return;
	}
	if (result == DNS_ERR_NONE && type == DNS_PTR && count > 0 &&
	    addrs != NULL)
		name = *(char **)addrs;
	lookup_end(n, lk, name);
	if (n->in_send)
		n->sync_ended = 1;
	else {
		send_queued(n);
		n->update(n->arg);
	}
}

static void
send_one(struct names *n, struct lookup *lk)
{
	struct evdns_request *req;

	TAILQ_REMOVE(&n->queued, lk, entry);
	TAILQ_INSERT_TAIL(&n->inflight, lk, entry);
	lk->inflight = 1;
	n->ninflight++;
	/* Marks the request as live for on_answer before it can run. */
	lk->req = (struct evdns_request *)lk;
	n->in_send = 1;
	n->sync_ended = 0;
	if (lk->a.family == AF_INET)
		req = evdns_base_resolve_reverse(n->dns, &lk->a.u.v4,
		    DNS_QUERY_NO_SEARCH, on_answer, lk);
	else
		req = evdns_base_resolve_reverse_ipv6(n->dns, &lk->a.u.v6,
		    DNS_QUERY_NO_SEARCH, on_answer, lk);
	n->in_send = 0;
	if (n->sync_ended)	/* answered already: lk is gone */
		return;
	if (req == NULL) {	/* refused outright (no resolver) */
		lookup_end(n, lk, NULL);
		return;
	}
	lk->req = req;
}

static void
send_queued(struct names *n)
{
	struct lookup *lk;
	long long now = now_ms();

	while ((lk = TAILQ_FIRST(&n->queued)) != NULL &&
	    n->ninflight < n->conf.max_inflight) {
		if (lk->deadline <= now)
			lookup_end(n, lk, NULL);
		else
			send_one(n, lk);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct names *n = arg;
	struct lookup *lk, *next;
	struct ent *e;
	long long now = now_ms();
	unsigned before = n->npending;

	for (lk = TAILQ_FIRST(&n->inflight); lk != NULL; lk = next) {
		struct evdns_request *req = lk->req;

		next = TAILQ_NEXT(lk, entry);
		if (lk->deadline > now)
			continue;
		/* Ends it now; evdns still calls back once (DNS_ERR_CANCEL)
		 * and on_answer frees lk then. */
		TAILQ_REMOVE(&n->inflight, lk, entry);
		n->ninflight--;
		n->npending--;
		lk->inflight = 0;
		lk->req = NULL;
		if ((e = ent_find(n, &lk->a, 0)) != NULL && e->lk == lk) {
			e->lk = NULL;
			e->state = NAMES_NONE;
		}
		evdns_cancel_request(n->dns, req);
	}
	for (lk = TAILQ_FIRST(&n->queued); lk != NULL; lk = next) {
		next = TAILQ_NEXT(lk, entry);
		if (lk->deadline <= now)
			lookup_end(n, lk, NULL);
	}
	send_queued(n);
	if (n->npending == 0)
		evtimer_del(n->tick);
	/* Also lookups that send_queued saw fail at once. */
	if (n->npending < before)
		n->update(n->arg);
}

struct names *
names_new(struct event_base *base, const struct names_conf *conf,
    names_update_cb update, void *arg, char *err, size_t errlen)
{
	struct names *n;
	char tmo[32];
	size_t cap = 16;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->base = base;
	n->conf = *conf;
	if (n->conf.timeout_ms == 0)
		n->conf.timeout_ms = 2000;
	if (n->conf.max_inflight == 0)
		n->conf.max_inflight = 16;
	if (n->conf.cache_max == 0)
		n->conf.cache_max = 4096;
	while (cap < (size_t)n->conf.cache_max * 2)
		cap *= 2;
	n->cap = cap;
	n->update = update;
	n->arg = arg;
	TAILQ_INIT(&n->queued);
	TAILQ_INIT(&n->inflight);
	if ((n->tab = calloc(cap, sizeof(*n->tab))) == NULL ||
	    (n->tick = event_new(base, -1, EV_PERSIST, on_tick, n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* The system's resolvers (or the one given), never a made-up
	 * default. */
	if ((n->dns = evdns_base_new(base, conf->nameserver != NULL ? 0 :
	    EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_NAMESERVERS_NO_DEFAULT)) == NULL) {
		snprintf(err, errlen, "cannot set up the resolver");
		goto fail;
	}
	if (conf->nameserver != NULL &&
	    evdns_base_nameserver_ip_add(n->dns, conf->nameserver) != 0) {
		snprintf(err, errlen, "bad nameserver '%s'", conf->nameserver);
		goto fail;
	}
	if (evdns_base_count_nameservers(n->dns) == 0) {
		snprintf(err, errlen, "no nameserver in /etc/resolv.conf");
		goto fail;
	}
	/* One try each, bounded by our own deadline anyway. */
	snprintf(tmo, sizeof(tmo), "%u.%03u", n->conf.timeout_ms / 1000,
	    n->conf.timeout_ms % 1000);
	evdns_base_set_option(n->dns, "timeout:", tmo);
	evdns_base_set_option(n->dns, "attempts:", "1");
	return n;
fail:
	names_free(n);
	return NULL;
}

void
names_free(struct names *n)
{
	struct lookup *lk;

	if (n == NULL)
		return;
	/* No callbacks from here on: the lookups' memory is ours to free. */
	if (n->dns != NULL)
		evdns_base_free(n->dns, 0);
	while ((lk = TAILQ_FIRST(&n->queued)) != NULL) {
		TAILQ_REMOVE(&n->queued, lk, entry);
		free(lk);
	}
	while ((lk = TAILQ_FIRST(&n->inflight)) != NULL) {
		TAILQ_REMOVE(&n->inflight, lk, entry);
		free(lk);
	}
	if (n->tick != NULL)
		event_free(n->tick);
	if (n->tab != NULL)
		for (size_t i = 0; i < n->cap; i++)
			free(n->tab[i].name);
	free(n->tab);
	free(n);
}

void
names_want(struct names *n, const struct addr_ip *a)
{
	struct ent *e;
	struct lookup *lk;

	if (n == NULL || (a->family != AF_INET && a->family != AF_INET6))
		return;
	if ((e = ent_find(n, a, 0)) != NULL)
		return;
	if (n->used >= n->conf.cache_max && cache_flush(n) == -1)
		return;
	if (n->used >= n->conf.cache_max)	/* all pending: no room */
		return;
	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return;
	e = ent_find(n, a, 1);
	e->state = NAMES_PENDING;
	e->lk = lk;
	lk->n = n;
	lk->a = *a;
	lk->deadline = now_ms() + n->conf.timeout_ms;
	TAILQ_INSERT_TAIL(&n->queued, lk, entry);
	n->npending++;
	if (!evtimer_pending(n->tick, NULL)) {
		struct timeval tv = { 0, NAMES_TICK_MS * 1000 };

		evtimer_add(n->tick, &tv);
	}
	send_queued(n);
}

enum names_state
names_get(struct names *n, const struct addr_ip *a, const char **name)
{
	struct ent *e;

	*name = NULL;
	if (n == NULL || a->family == 0 || (e = ent_find(n, a, 0)) == NULL)
		return NAMES_NONE;
	if (e->state == NAMES_FOUND)
		*name = e->name;
	return e->state;
}

unsigned
names_pending(const struct names *n)
{
	return n != NULL ? n->npending : 0;
}
