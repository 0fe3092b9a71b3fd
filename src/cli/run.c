/* run: many measurements at once, for hoplite trace, mda and watch. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/addr.h"
#include "util/arena.h"
#include "cli/cmd.h"
#include "cli/dest.h"
#include "cli/run.h"
#include "probe/engine.h"
#include "util/log.h"
#include "util/names.h"
#include "probe/netio.h"
#include "util/priv.h"

struct run {
	const struct run_client *client;
	struct event_base *base;
	struct engine *eng;
	struct engine_io io;		/* netio's, for the source wrapper */
	struct dest_source src;
	struct names *names;
	struct run_job *jobs;
	size_t njobs, next_job, running, finished;
	size_t running_max;		/* most in flight at once, for -v */
	size_t concurrency;
	struct run_job *done_head, **done_tail;
	struct run_job *out_head, **out_tail;	/* done, to be written */
	struct event *reap_ev, *progress_ev;
	struct timespec t0;
	int progress, progress_shown;
	int failed;
	int halting;
};


/* Runs inside engine callbacks: only queue the job; reaping frees it. */
void
run_job_done(struct run_job *j)
{
	struct run *r = j->run;

	j->done = 1;
	j->next_done = NULL;
	*r->done_tail = j;
	r->done_tail = &j->next_done;
	event_active(r->reap_ev, EV_TIMEOUT, 0);
}

struct event_base *
run_base(const struct run *r)
{
	return r->base;
}

struct names *
run_names(const struct run *r)
{
	return r->names;
}

const char *
run_name_of(const struct addr_ip *a, void *names)
{
	const char *name;

	if (names_get(names, a, &name) == NAMES_FOUND)
		return name;
	return NULL;
}

unsigned
run_want_name(struct names *n, const struct addr_ip *a)
{
	const char *name;

	names_want(n, a);
	return names_get(n, a, &name) == NAMES_PENDING;
}

size_t
run_njobs(const struct run *r)
{
	return r->njobs;
}

static double
elapsed(const struct run *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - r->t0.tv_sec) +
	    (now.tv_nsec - r->t0.tv_nsec) / 1e9;
}

static void
progress_clear(struct run *r)
{
	if (r->progress_shown) {
		fputs("\r\033[K", stderr);
		r->progress_shown = 0;
	}
}

/* "12/300 done, 41.2/s, ETA 7s" on one line of the terminal. */
static void
progress_draw(struct run *r)
{
	double t = elapsed(r), rate = t > 0 ? r->finished / t : 0;

	if (!r->progress || r->finished == r->njobs)
		return;
	fprintf(stderr, "\r\033[K%zu/%zu done, %.1f/s", r->finished,
	    r->njobs, rate);
	if (rate > 0)
		fprintf(stderr, ", ETA %.0fs",
		    (double)(r->njobs - r->finished) / rate);
	fflush(stderr);
	r->progress_shown = 1;
}

static void
on_progress(evutil_socket_t fd, short what, void *arg)
{
	progress_draw(arg);
}

/* Write the done jobs in order, each once its names are back or over. */
static void
write_ready(struct run *r)
{
	struct run_job *j;
	int wrote = 0;

	while ((j = r->out_head) != NULL) {
		if (r->names != NULL && r->client->names != NULL &&
		    r->client->names(j, r->names, r->client->arg) > 0)
			break;
		r->out_head = j->next_done;
		if (r->out_head == NULL)
			r->out_tail = &r->out_head;
		if (!wrote)
			progress_clear(r);
		wrote = 1;
		if (r->client->finish(j, r->client->arg) == -1)
			r->failed = 1;
		j->m = NULL;
		r->finished++;
	}
	if (wrote)
		progress_draw(r);
	if (r->finished == r->njobs)
		event_base_loopbreak(r->base);
}

static void
on_names(void *arg)
{
	struct run *r = arg;

	if (r->client->names_update != NULL)
		r->client->names_update(r->client->arg);
	write_ready(r);
}

static void
reap(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	struct run_job *j;

	while ((j = r->done_head) != NULL) {
		r->done_head = j->next_done;
		if (r->done_head == NULL)
			r->done_tail = &r->done_head;
		j->next_done = NULL;
		*r->out_tail = j;
		r->out_tail = &j->next_done;
		r->running--;
	}
	write_ready(r);
	if (r->finished < r->njobs)
		engine_kick(r->eng);	/* room for more */
}

/*
 * The engine's feeder: one more measurement when a probe token is free
 * and no running one wants it.  Running measurements are served first
 * (depth-first), so results come early and few are in flight; -c only
 * caps them.
 */
static int
run_feed(void *arg)
{
	struct run *r = arg;
	struct run_job *j;

	if (r->halting || r->running >= r->concurrency ||
	    r->next_job >= r->njobs)
		return 0;
	j = &r->jobs[r->next_job++];
	if (++r->running > r->running_max)
		r->running_max = r->running;
	if ((j->m = r->client->start(j, r->eng, r->client->arg)) == NULL)
		fatalx("out of memory");
	return 1;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;

	/* Stop everything in flight; each measurement reports what it
	 * measured. */
	r->halting = 1;
	r->finished += r->njobs - r->next_job;
	r->next_job = r->njobs;
	for (size_t i = 0; i < r->njobs; i++)
		if (r->jobs[i].m != NULL && !r->jobs[i].done)
			r->client->halt(r->jobs[i].m);
	/* Nothing may have been in flight. */
	event_active(r->reap_ev, EV_TIMEOUT, 0);
}

/* -s and -i pick the source; otherwise the kernel does (netio). */
static int
run_source(void *ctx, const struct addr_ip *dst, struct addr_ip *src)
{
	struct run *r = ctx;
	const struct addr_ip *s = dst->family == AF_INET ? &r->src.v4 :
	    &r->src.v6;

	if (s->family != 0) {
		*src = *s;
		return 0;
	}
	if (r->src.only)	/* -i: no address of that family there */
		return -1;
	return r->io.source(r->io.ctx, dst, src);
}

static int
run_send(void *ctx, int family, const uint8_t *pkt, size_t len)
{
	struct run *r = ctx;

	return r->io.send(r->io.ctx, family, pkt, len);
}

/*
 * The raw sockets worth opening: skip a family no destination can use.
 * Names could be either, unless -4/-6 says.
 */
static int
families_needed(const struct dest_list *d, int family, int from_file)
{
	int f = 0;

	if (family == AF_INET)
		return NETIO_V4;
	if (family == AF_INET6)
		return NETIO_V6;
	if (from_file)
		return NETIO_V4 | NETIO_V6;
	for (size_t i = 0; i < d->n; i++) {
		struct addr_ip a;

		if (addr_pton(d->v[i], &a) == -1)
			return NETIO_V4 | NETIO_V6;
		f |= a.family == AF_INET ? NETIO_V4 : NETIO_V6;
	}
	return f;
}

/* Destinations into jobs; 0 when none could be resolved. */
static size_t
make_jobs(struct run *r, const struct run_conf *rc,
    const struct dest_list *d, int open)
{
	uint32_t copies = rc->copies > 0 ? rc->copies : 1;
	char err[300];

	if (d->n > 0 && (r->jobs = calloc(d->n * copies,
	    sizeof(*r->jobs))) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < d->n; i++) {
		struct addr_ip a;

		if (dest_resolve(d->v[i], rc->family, open, &a, err,
		    sizeof(err)) == -1) {
			log_warnx("%s", err);
			r->failed = 1;
			continue;
		}
		for (uint32_t k = 0; k < copies; k++) {
			struct run_job *j = &r->jobs[r->njobs++];

			j->run = r;
			j->dst = a;
			j->name = d->v[i];
			j->flowid = rc->flow_lo + k;
		}
	}
	return r->njobs;
}

static void
setup_loop(struct run *r, const struct run_conf *rc, struct netio *nio)
{
	struct engine_conf ec;
	struct engine_io io;
	char err[256];

	if ((r->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	memset(&ec, 0, sizeof(ec));
	ec.pps = rc->pps;
	netio_ops(nio, &r->io);
	io.send = run_send;
	io.source = run_source;
	io.ctx = r;
	if ((r->eng = engine_new(r->base, &ec, &io)) == NULL)
		fatalx("cannot start the probe engine");
	if (netio_attach(nio, r->base, r->eng) == -1)
		fatalx("cannot watch the capture");
	if ((r->reap_ev = event_new(r->base, -1, 0, reap, r)) == NULL)
		fatalx("cannot set up the event loop");
	if (rc->names) {
		struct names_conf nc;

		memset(&nc, 0, sizeof(nc));
		nc.timeout_ms = rc->names_timeout_ms;
		/* Without a resolver the run goes on, without names. */
		if ((r->names = names_new(r->base, &nc, on_names, r, err,
		    sizeof(err))) == NULL)
			log_info("no names: %s", err);
	}
	r->progress = rc->progress && r->njobs > 1 && isatty(STDERR_FILENO);
	if (r->progress) {
		struct timeval tv = { 1, 0 };

		if ((r->progress_ev = event_new(r->base, -1, EV_PERSIST,
		    on_progress, r)) == NULL)
			fatalx("cannot set up the event loop");
		evtimer_add(r->progress_ev, &tv);
	}
}

/*
 * Replies the capture buffer must hold: those that can arrive while the
 * loop is busy elsewhere (RUN_STALL_MS at the probe rate, probes being
 * paced), and never more than can be in flight (each measurement's window
 * times -c, or what the rate sends within one wait).  A bigger buffer
 * would only let a flood of other packets queue longer.
 */
#define RUN_STALL_MS	250

static size_t
replies_in_flight(const struct run_conf *rc)
{
	size_t per = rc->inflight > 0 ? rc->inflight : 8;
	size_t wait = rc->wait_ms > 0 ? rc->wait_ms : 2000;
	size_t n = rc->concurrency * per;

	if (wait > RUN_STALL_MS)
		wait = RUN_STALL_MS;
	if (n > (size_t)rc->pps * wait / 1000)
		n = (size_t)rc->pps * wait / 1000;
	return n;
}

int
run_main(const struct run_conf *rc0, const struct run_client *client,
    int argc, char **argv)
{
	struct run r;
	struct run_conf rcv = *rc0, *rc = &rcv;
	struct dest_list d;
	struct netio *nio;
	struct event *sigint_ev, *sigterm_ev;
	FILE *tf = NULL;
	char err[300];
	uint64_t drops;

	memset(&r, 0, sizeof(r));
	memset(&d, 0, sizeof(d));
	r.client = client;
	r.concurrency = rc->concurrency;
	r.done_tail = &r.done_head;
	r.out_tail = &r.out_head;

	if (dest_add_argv(&d, argc, argv) == -1)
		fatalx("out of memory");
	if (dest_source_setup(&r.src, rc->source, rc->iface, &rc->family,
	    err, sizeof(err)) == -1)
		cmd_usage_error("%s", err);
	/* The file opens with the sockets (it may be root's), and is read
	 * once privileges are gone. */
	if (rc->targets != NULL) {
		if (strcmp(rc->targets, "-") == 0)
			tf = stdin;
		else if ((tf = fopen(rc->targets, "r")) == NULL)
			cmd_usage_error("--targets '%s': %s", rc->targets,
			    strerror(errno));
	}

	/* Privileged handles first, then give up root for good. */
	if (!priv_can_raw())
		fatalx("raw sockets need root or CAP_NET_RAW (e.g. setcap "
		    "cap_net_raw+ep, or AmbientCapabilities=CAP_NET_RAW)");
	if ((nio = netio_open_sized(families_needed(&d, rc->family, tf != NULL),
	    rc->pps, replies_in_flight(rc), err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (rc->iface != NULL && netio_set_device(nio, rc->iface, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	if (priv_drop(rc->user, err, sizeof(err)) == -1)
		fatalx("dropping privileges: %s", err);
	if (netio_set_port_ranges(nio, rc->ports, rc->nports, 0, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	if (client->ready != NULL)
		client->ready(client->arg);

	if (tf != NULL) {
		if (dest_read(&d, tf, strcmp(rc->targets, "-") == 0 ?
		    "stdin" : rc->targets, err, sizeof(err)) == -1) {
			/* What was read is still traced. */
			log_warnx("--targets: %s", err);
			r.failed = 1;
		}
		if (tf != stdin)
			fclose(tf);
	}
	if (d.n == 0 && !r.failed)
		cmd_usage_error("no destination given");
	if (make_jobs(&r, rc, &d, netio_families(nio)) == 0) {
		netio_close_at_exit(nio);
		free(r.jobs);
		dest_free(&d);
		return 1;
	}

	setup_loop(&r, rc, nio);
	if ((sigint_ev = evsignal_new(r.base, SIGINT, on_signal, &r)) == NULL ||
	    (sigterm_ev = evsignal_new(r.base, SIGTERM, on_signal, &r)) == NULL)
		fatalx("cannot set up the event loop");
	evsignal_add(sigint_ev, NULL);
	evsignal_add(sigterm_ev, NULL);

	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	arena_install();
	engine_set_feeder(r.eng, run_feed, &r);
	event_base_dispatch(r.base);
	progress_clear(&r);

	drops = netio_capture_drops(nio);
	if (drops > 0)
		log_warnx("the capture dropped %llu packets: replies may have "
		    "been lost (timeouts, silent hops); lower --pps or -c",
		    (unsigned long long)drops);
	if (rc->verbose) {
		const struct engine_stats *st = engine_stats(r.eng);

		log_info("probes sent %llu, send errors %llu, tx seen %llu, "
		    "replies matched %llu, unmatched %llu, forged %llu, "
		    "late %llu, timeouts %llu, ignored %llu, capture drops %llu",
		    (unsigned long long)st->probes_sent,
		    (unsigned long long)st->send_errors,
		    (unsigned long long)st->tx_seen,
		    (unsigned long long)st->replies_matched,
		    (unsigned long long)st->replies_unmatched,
		    (unsigned long long)st->replies_forged,
		    (unsigned long long)st->late,
		    (unsigned long long)st->timeouts,
		    (unsigned long long)st->packets_ignored,
		    (unsigned long long)drops);
		log_info("measurements in flight at most %zu (-c %zu); "
		    "engine memory for probes %llu bytes", r.running_max,
		    r.concurrency, (unsigned long long)st->mem_bytes);
	}
	names_free(r.names);
	event_free(sigint_ev);
	event_free(sigterm_ev);
	event_free(r.reap_ev);
	if (r.progress_ev != NULL)
		event_free(r.progress_ev);
	engine_free(r.eng);
	netio_close_at_exit(nio);
	event_base_free(r.base);
	arena_release();
	free(r.jobs);
	dest_free(&d);
	return r.failed ? 1 : 0;
}
