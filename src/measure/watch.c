/*
 * watch: cycles of Paris traces over a fixed set of flows, and the
 * per-branch figures.  Replies are kept per (flow, TTL, address) cell and
 * probes per (flow, TTL); rows group the cells of one (TTL, address).
 */
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "measure/watch.h"

struct cell {
	uint8_t flow, ttl;
	struct addr_ip addr;
	unsigned received;
	unsigned last_cycle;
	uint32_t last_us, best_us, worst_us;
	double sum, sumsq;
};

struct watch {
	struct engine *eng;
	struct event_base *base;
	struct watch_conf conf;
	struct addr_ip dst;
	watch_cycle_cb cycle_cb;
	watch_done_cb done_cb;
	void *arg;
	struct trace *traces[WATCH_MAX_FLOWS];
	unsigned running;		/* traces of this cycle not done */
	unsigned cycle;			/* cycles counted */
	int halted, over;
	int in_cycle;			/* traces of a cycle exist */
	struct event *ev;		/* next cycle, or a cycle's end */
	struct timespec cycle_start;
	unsigned (*sent)[256];		/* [flow][ttl] probes */
	struct cell *cells;
	size_t ncells, capcells;
	struct watch_row *rows;
	size_t nrows, caprows;
};

static void watch_event(evutil_socket_t, short, void *);

/* Newton's square root: the command links no libm (400 kB of memory). */
static double
root(double v)
{
	double x;

	if (!(v > 0))
		return 0;
	/* From above, each step lowers x toward the root until it cannot. */
	x = v > 1 ? v : 1;
	for (int i = 0; i < 200; i++) {
		double n = 0.5 * (x + v / x);

		if (!(n < x))
			break;
		x = n;
	}
	return x;
}

struct watch *
watch_new(struct engine *eng, struct event_base *base,
    const struct watch_conf *conf, const struct addr_ip *dst,
    watch_cycle_cb cycle_cb, watch_done_cb done_cb, void *arg)
{
	struct watch *w;
	char err[128];

	if (conf->nflows == 0 || conf->nflows > WATCH_MAX_FLOWS)
		return NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->eng = eng;
	w->base = base;
	w->conf = *conf;
	w->conf.trace.attempts = 1;	/* one probe per TTL and cycle */
	w->conf.trace.all_attempts = 0;
	w->dst = *dst;
	w->cycle_cb = cycle_cb;
	w->done_cb = done_cb;
	w->arg = arg;
	if (trace_conf_finish(&w->conf.trace, dst->family, err,
	    sizeof(err)) == -1 ||
	    (w->sent = calloc(conf->nflows, sizeof(*w->sent))) == NULL ||
	    (w->ev = evtimer_new(base, watch_event, w)) == NULL) {
		watch_free(w);
		return NULL;
	}
	return w;
}

void
watch_free(struct watch *w)
{
	if (w == NULL)
		return;
	for (unsigned k = 0; k < WATCH_MAX_FLOWS; k++)
		trace_free(w->traces[k]);
	if (w->ev != NULL)
		event_free(w->ev);
	free(w->sent);
	free(w->cells);
	free(w->rows);
	free(w);
}

const struct watch_conf *
watch_conf(const struct watch *w)
{
	return &w->conf;
}

unsigned
watch_cycles(const struct watch *w)
{
	return w->cycle;
}

/* Runs inside engine callbacks: the cycle ends from the loop. */
static void
trace_done(struct trace *t, void *arg)
{
	struct watch *w = arg;

	if (w->running > 0 && --w->running == 0)
		event_active(w->ev, EV_TIMEOUT, 0);
}

static const struct trace_cbs trace_cbs = { trace_done, NULL };

static void
cycle_begin(struct watch *w)
{
	clock_gettime(CLOCK_MONOTONIC, &w->cycle_start);
	w->in_cycle = 1;
	w->running = w->conf.nflows;
	for (unsigned k = 0; k < w->conf.nflows; k++) {
		struct trace_conf c = w->conf.trace;

		c.flowid = w->conf.flow_lo + k;
		/* Out of memory: the flow is left out of this cycle. */
		if ((w->traces[k] = trace_new(w->eng, &c, &w->dst,
		    &trace_cbs, w)) == NULL)
			w->running--;
	}
	if (w->running == 0) {
		event_active(w->ev, EV_TIMEOUT, 0);
		return;
	}
	for (unsigned k = 0; k < w->conf.nflows; k++)
		if (w->traces[k] != NULL)
			trace_start(w->traces[k]);
}

static struct cell *
cell_get(struct watch *w, unsigned flow, unsigned ttl,
    const struct addr_ip *a)
{
	struct cell *c;

	for (size_t i = 0; i < w->ncells; i++) {
		c = &w->cells[i];
		if (c->flow == flow && c->ttl == ttl && addr_eq(&c->addr, a))
			return c;
	}
	if (w->ncells == w->capcells) {
		size_t cap = w->capcells ? w->capcells * 2 : 64;
		struct cell *n = realloc(w->cells, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		w->cells = n;
		w->capcells = cap;
	}
	c = &w->cells[w->ncells++];
	memset(c, 0, sizeof(*c));
	c->flow = (uint8_t)flow;
	c->ttl = (uint8_t)ttl;
	c->addr = *a;
	return c;
}

/* One finished trace into the figures: a probe at each TTL up to the
 * last that counts, and its reply if one came. */
static void
account(struct watch *w, unsigned flow, const struct trace_result *r)
{
	unsigned first = r->conf.first_ttl;

	for (unsigned ttl = first; ttl <= r->hop_count; ttl++)
		w->sent[flow][ttl]++;
	for (size_t i = 0; i < r->nhops; i++) {
		const struct trace_hop *h = &r->hops[i];
		struct cell *c;

		if (h->probe_ttl < first || h->probe_ttl > r->hop_count ||
		    (c = cell_get(w, flow, h->probe_ttl, &h->addr)) == NULL)
			continue;
		if (c->received == 0 || h->rtt_us < c->best_us)
			c->best_us = h->rtt_us;
		if (c->received == 0 || h->rtt_us > c->worst_us)
			c->worst_us = h->rtt_us;
		c->received++;
		c->last_us = h->rtt_us;
		c->last_cycle = w->cycle;
		c->sum += h->rtt_us;
		c->sumsq += (double)h->rtt_us * h->rtt_us;
	}
}

static void
cycle_end(struct watch *w)
{
	const struct trace_result *res[WATCH_MAX_FLOWS] = { NULL };
	unsigned n = 0;

	/* A halted cycle stopped early: its TTLs were not all probed. */
	if (!w->halted) {
		for (unsigned k = 0; k < w->conf.nflows; k++) {
			if (w->traces[k] == NULL)
				continue;
			res[n++] = trace_result(w->traces[k]);
			account(w, k, res[n - 1]);
		}
		w->cycle++;
		if (w->cycle_cb != NULL)
			w->cycle_cb(w, w->cycle, res, w->arg);
	}
	for (unsigned k = 0; k < w->conf.nflows; k++) {
		trace_free(w->traces[k]);
		w->traces[k] = NULL;
	}
	w->in_cycle = 0;
}

static void
watch_event(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	struct timespec now;
	long long waited_ms, left_ms;

	if (w->over || w->running > 0)
		return;
	if (w->in_cycle) {
		cycle_end(w);
		w->in_cycle = 0;
	} else if (!w->halted) {
		/* The timer: time for the next cycle. */
		cycle_begin(w);
		return;
	}
	if (w->halted || (w->conf.cycles != 0 && w->cycle >= w->conf.cycles)) {
		w->over = 1;
		w->done_cb(w, w->arg);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	waited_ms = (long long)(now.tv_sec - w->cycle_start.tv_sec) * 1000 +
	    (now.tv_nsec - w->cycle_start.tv_nsec) / 1000000;
	left_ms = (long long)w->conf.interval_ms - waited_ms;
	if (left_ms <= 0)
		cycle_begin(w);
	else {
		struct timeval tv = { (time_t)(left_ms / 1000),
		    (suseconds_t)(left_ms % 1000) * 1000 };

		evtimer_add(w->ev, &tv);
	}
}

void
watch_start(struct watch *w)
{
	cycle_begin(w);
}

void
watch_halt(struct watch *w)
{
	if (w->over)
		return;
	w->halted = 1;
	evtimer_del(w->ev);
	if (w->running > 0) {
		/* Each reports done; the last one ends the watch. */
		for (unsigned k = 0; k < w->conf.nflows; k++)
			if (w->traces[k] != NULL)
				trace_halt(w->traces[k]);
	} else
		event_active(w->ev, EV_TIMEOUT, 0);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct watch_row *x = a, *y = b;

	if (x->ttl != y->ttl)
		return x->ttl < y->ttl ? -1 : 1;
	if ((x->addr.family == 0) != (y->addr.family == 0))
		return x->addr.family == 0 ? 1 : -1;
	return addr_cmp(&x->addr, &y->addr);
}

static struct watch_row *
row_add(struct watch *w)
{
	if (w->nrows == w->caprows) {
		size_t cap = w->caprows ? w->caprows * 2 : 32;
		struct watch_row *n = realloc(w->rows, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		w->rows = n;
		w->caprows = cap;
	}
	memset(&w->rows[w->nrows], 0, sizeof(w->rows[0]));
	return &w->rows[w->nrows++];
}

int
watch_rows(struct watch *w, const struct watch_row **rows, size_t *n)
{
	uint64_t answered[256];
	unsigned *last_cycle = NULL;

	w->nrows = 0;
	memset(answered, 0, sizeof(answered));
	if (w->ncells > 0 &&
	    (last_cycle = calloc(w->ncells, sizeof(*last_cycle))) == NULL)
		return -1;
	for (size_t i = 0; i < w->ncells; i++) {
		const struct cell *c = &w->cells[i];
		struct watch_row *r = NULL;
		size_t k;

		answered[c->ttl] |= (uint64_t)1 << c->flow;
		for (k = 0; k < w->nrows; k++)
			if (w->rows[k].ttl == c->ttl &&
			    addr_eq(&w->rows[k].addr, &c->addr)) {
				r = &w->rows[k];
				break;
			}
		if (r == NULL) {
			if ((r = row_add(w)) == NULL) {
				free(last_cycle);
				return -1;
			}
			k = w->nrows - 1;
			r->ttl = c->ttl;
			r->addr = c->addr;
			r->best_us = c->best_us;
			r->worst_us = c->worst_us;
		}
		r->flows |= (uint64_t)1 << c->flow;
		if (c->best_us < r->best_us)
			r->best_us = c->best_us;
		if (c->worst_us > r->worst_us)
			r->worst_us = c->worst_us;
		if (c->last_cycle >= last_cycle[k]) {
			last_cycle[k] = c->last_cycle;
			r->last_us = c->last_us;
		}
		r->received += c->received;
		/* avg and stdev hold sums until the end */
		r->avg_us += c->sum;
		r->stdev_us += c->sumsq;
	}
	free(last_cycle);
	for (size_t k = 0; k < w->nrows; k++) {
		struct watch_row *r = &w->rows[k];
		double mean = r->avg_us / r->received;
		double var = r->stdev_us / r->received - mean * mean;

		for (unsigned f = 0; f < w->conf.nflows; f++)
			if (r->flows & ((uint64_t)1 << f))
				r->sent += w->sent[f][r->ttl];
		r->avg_us = mean;
		r->stdev_us = root(var);
	}
	/* Flows that never got a reply at a TTL they probed. */
	for (unsigned ttl = 1; ttl < 256; ttl++) {
		uint64_t silent = 0;
		unsigned sent = 0;
		struct watch_row *r;

		for (unsigned f = 0; f < w->conf.nflows; f++)
			if (w->sent[f][ttl] > 0 &&
			    !(answered[ttl] & ((uint64_t)1 << f))) {
				silent |= (uint64_t)1 << f;
				sent += w->sent[f][ttl];
			}
		if (silent == 0)
			continue;
		if ((r = row_add(w)) == NULL)
			return -1;
		r->ttl = (uint8_t)ttl;
		r->flows = silent;
		r->sent = sent;
	}
	if (w->nrows > 1)
		qsort(w->rows, w->nrows, sizeof(*w->rows), row_cmp);
	*rows = w->rows;
	*n = w->nrows;
	return 0;
}
