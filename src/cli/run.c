/* run: many measurements at once, for hoplite trace and hoplite mda. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "util/addr.h"
#include "util/arena.h"
#include "cli/run.h"
#include "probe/engine.h"
#include "util/log.h"
#include "probe/netio.h"
#include "util/priv.h"

struct run {
	const struct run_client *client;
	struct event_base *base;
	struct engine *eng;
	struct run_job *jobs;
	size_t njobs, next_job, running, finished;
	size_t running_max;		/* most in flight at once, for -v */
	size_t concurrency;
	struct run_job *done_head, **done_tail;
	struct event *reap_ev;
	int failed;
	int halting;
};


/* Runs inside engine callbacks: only queue the job; reaping frees it. */
void
run_job_done(struct run_job *j)
{
	struct run *r = j->run;

	j->next_done = NULL;
	*r->done_tail = j;
	r->done_tail = &j->next_done;
	event_active(r->reap_ev, EV_TIMEOUT, 0);
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
		if (r->client->finish(j, r->client->arg) == -1)
			r->failed = 1;
		j->m = NULL;
		r->running--;
		r->finished++;
	}
	if (r->finished == r->njobs)
		event_base_loopbreak(r->base);
	else
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
		if (r->jobs[i].m != NULL)
			r->client->halt(r->jobs[i].m);
}

/*
 * The raw sockets worth opening: skip a family no destination can use.
 * Names could be either, unless -4/-6 says.
 */
static int
families_needed(int argc, char **argv, int family)
{
	int f = 0;

	if (family == AF_INET)
		return NETIO_V4;
	if (family == AF_INET6)
		return NETIO_V6;
	for (int i = 0; i < argc; i++) {
		struct addr_ip a;

		if (addr_pton(argv[i], &a) == -1)
			return NETIO_V4 | NETIO_V6;
		f |= a.family == AF_INET ? NETIO_V4 : NETIO_V6;
	}
	return f;
}

/* Resolve one destination; -1 with a message printed. */
static int
resolve(const char *name, int family, struct addr_ip *a)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	if (addr_pton(name, a) == 0) {
		if (family != AF_UNSPEC && a->family != family) {
			log_warnx("%s: not an IPv%c address", name,
			    family == AF_INET ? '4' : '6');
			return -1;
		}
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		log_warnx("%s: %s", name, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			addr_from_v4(a, &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
			break;
		}
		if (ai->ai_family == AF_INET6) {
			addr_from_v6(a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
			break;
		}
	}
	freeaddrinfo(res);
	if (ai == NULL) {
		log_warnx("%s: no IPv4 or IPv6 address", name);
		return -1;
	}
	return 0;
}

/*
 * Replies the capture ring must hold: those that can arrive while the loop
 * is busy elsewhere (RUN_STALL_MS at the probe rate, probes being paced),
 * and never more than can be in flight (each measurement's window times
 * -c, or what the rate sends within one wait).  Every byte of the ring is
 * resident, so it is no bigger.
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
run_main(const struct run_conf *rc, const struct run_client *client,
    int argc, char **argv)
{
	struct run r;
	struct engine_conf ec;
	struct engine_io io;
	struct netio *nio;
	struct event *sigint_ev, *sigterm_ev;
	char err[256];
	uint32_t copies = rc->copies > 0 ? rc->copies : 1;
	uint64_t drops;

	memset(&r, 0, sizeof(r));
	r.client = client;
	r.concurrency = rc->concurrency;
	r.done_tail = &r.done_head;

	/* Privileged handles first, then give up root for good. */
	if (!priv_can_raw())
		fatalx("raw sockets need root or CAP_NET_RAW (e.g. setcap "
		    "cap_net_raw+ep, or AmbientCapabilities=CAP_NET_RAW)");
	if ((nio = netio_open_ring(families_needed(argc, argv, rc->family),
	    rc->pps, replies_in_flight(rc), err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (priv_drop(rc->user, err, sizeof(err)) == -1)
		fatalx("dropping privileges: %s", err);
	if (netio_set_ports(nio, rc->port_lo, rc->port_hi, 0, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);

	if ((r.jobs = calloc((size_t)argc * copies, sizeof(*r.jobs))) == NULL)
		fatalx("out of memory");
	for (int i = 0; i < argc; i++) {
		struct addr_ip a;

		if (resolve(argv[i], rc->family, &a) == -1) {
			r.failed = 1;
			continue;
		}
		if (!(netio_families(nio) &
		    (a.family == AF_INET ? NETIO_V4 : NETIO_V6))) {
			log_warnx("%s: no raw socket for IPv%c", argv[i],
			    a.family == AF_INET ? '4' : '6');
			r.failed = 1;
			continue;
		}
		for (uint32_t k = 0; k < copies; k++) {
			struct run_job *j = &r.jobs[r.njobs++];

			j->run = &r;
			j->dst = a;
			j->flowid = rc->flow_lo + k;
		}
	}
	if (r.njobs == 0) {
		netio_close_at_exit(nio);
		free(r.jobs);
		return 1;
	}

	if ((r.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	memset(&ec, 0, sizeof(ec));
	ec.pps = rc->pps;
	netio_ops(nio, &io);
	if ((r.eng = engine_new(r.base, &ec, &io)) == NULL)
		fatalx("cannot start the probe engine");
	if (netio_attach(nio, r.base, r.eng) == -1)
		fatalx("cannot watch the capture");
	if ((r.reap_ev = event_new(r.base, -1, 0, reap, &r)) == NULL ||
	    (sigint_ev = evsignal_new(r.base, SIGINT, on_signal, &r)) == NULL ||
	    (sigterm_ev = evsignal_new(r.base, SIGTERM, on_signal, &r)) == NULL)
		fatalx("cannot set up the event loop");
	evsignal_add(sigint_ev, NULL);
	evsignal_add(sigterm_ev, NULL);

	arena_install();
	engine_set_feeder(r.eng, run_feed, &r);
	event_base_dispatch(r.base);

	drops = netio_capture_drops(nio);
	if (drops > 0)
		log_warnx("the capture dropped %llu packets: replies may have "
		    "been lost (timeouts, silent hops); lower -p or -c",
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
		log_info("measurements in flight at most %zu (-c %zu)",
		    r.running_max, r.concurrency);
	}
	event_free(sigint_ev);
	event_free(sigterm_ev);
	event_free(r.reap_ev);
	engine_free(r.eng);
	netio_close_at_exit(nio);
	event_base_free(r.base);
	arena_release();
	free(r.jobs);
	return r.failed ? 1 : 0;
}
