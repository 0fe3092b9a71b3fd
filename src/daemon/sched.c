/*
 * sched: requests -> policy -> cache -> bounded queue -> measurements ->
 * files.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "util/log.h"
#include "daemon/journal.h"
#include "daemon/mlab.h"
#include "output/out.h"
#include "daemon/sched_int.h"
#include "daemon/uuidset.h"

static const double time_buckets[] = {
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60, 120, 300,
};

static const double node_buckets[] = {
	1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
};

static const char *const outcome_names[] = {
	[SCHED_QUEUED] = "queued", [SCHED_JOINED] = "joined",
	[SCHED_CACHED] = "cached", [SCHED_REFUSED] = "refused",
	[SCHED_DROPPED] = "dropped",
};

const char *
sched_outcome_name(enum sched_outcome o)
{
	return outcome_names[o];
}


/* An accepted request is over (file written, or its loss counted); the
 * caller frees the UUID. */
static void
req_done(struct sched *s, struct req *r)
{
	journal_done(s->conf.journal, r->jid);
	r->jid = 0;
	uuidset_release(s->uuids, r->uuid);
}


/* --- files --------------------------------------------------------------- */

/* The request's file, named by its acceptance time; the request is over
 * either way (a failure is counted). */
static int
write_file(struct sched *s, struct req *r, const char *text,
    time_t start, time_t stop, const char *cached_uuid)
{
	struct mlab_file f;
	char path[1024], err[512];
	int rc = -1;

	memset(&f, 0, sizeof(f));
	f.uuid = r->uuid;
	f.version = s->conf.version;
	f.cached = cached_uuid != NULL;
	f.cached_uuid = cached_uuid != NULL ? cached_uuid : "";
	f.hostname = s->conf.hostname;
	f.start_time = start;
	f.stop_time = stop;
	f.name_time = r->when;
	f.trace_text = text;
	f.mode = s->conf.file_mode;
	f.nosync = cached_uuid != NULL;
	if (mlab_write(s->conf.output, &f, path, sizeof(path), err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		metric_add(s->m_output_errors, NULL, 1);
	} else {
		metric_add(s->m_files, cached_uuid != NULL ? "cached" :
		    "original", 1);
		log_debug("wrote %s", path);
		rc = 0;
	}
	req_done(s, r);
	return rc;
}

/* --- jobs ---------------------------------------------------------------- */

static void job_done(struct meas *, void *);
static void pump(struct sched *);

static void
job_free(struct job *j)
{
	if (j->deadline != NULL)
		event_free(j->deadline);
	meas_free(j->m);
	free(j);
}

static void
job_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	if (j->naming) {
		/* Each lookup ends in time; this only bounds the whole. */
		j->names_expired = 1;
		event_active(j->s->reap_ev, EV_TIMEOUT, 0);
		return;
	}
	log_info("%s measurement for %s passed its deadline; halting",
	    meas_kind_name(j->kind), j->ce->orig.uuid);
	meas_halt(j->m);
}

static void
job_start(struct sched *s, struct job *j)
{
	struct timeval tv = { (time_t)s->conf.deadline_s, 0 };

	j->m = meas_new(j->kind, s->eng, &j->conf, &s->conf.mda, &j->client,
	    job_done, j);
	j->deadline = evtimer_new(s->base, job_deadline, j);
	if (j->m == NULL || j->deadline == NULL)
		fatalx("out of memory starting a measurement");
	TAILQ_INSERT_TAIL(&s->running, j, entry);
	s->nrunning++;
	if (s->conf.deadline_s > 0)
		evtimer_add(j->deadline, &tv);
	meas_start(j->m);
}

static void
pump(struct sched *s)
{
	struct job *j;

	/* Once the grace period is over, what is left is started and
	 * halted at once: a HALTED trace, and a file for each request. */
	while ((s->halting || s->nrunning < s->conf.max_inflight) &&
	    (j = TAILQ_FIRST(&s->queue)) != NULL) {
		TAILQ_REMOVE(&s->queue, j, entry);
		s->nqueued--;
		job_start(s, j);
		if (s->halting)
			meas_halt(j->m);	/* no-op if it already ended */
	}
}

/* Runs inside engine callbacks: only hand the job to reap(). */
static void
job_done(struct meas *m, void *arg)
{
	struct job *j = arg;
	struct sched *s = j->s;

	TAILQ_REMOVE(&s->running, j, entry);
	TAILQ_INSERT_TAIL(&s->reaped, j, entry);
	event_active(s->reap_ev, EV_TIMEOUT, 0);
}

static enum sched_outcome place(struct sched *, const struct sched_request *,
    struct req *, const char **);

static void
resubmit_waiters(struct sched *s, struct centry *ce)
{
	struct waiterq wq = ce->waiters;
	struct waiter *w;

	/* A failed trace is not reused: each waiter asks again (the first
	 * becomes a new trace, the rest join it), also during shutdown:
	 * they were accepted. */
	STAILQ_INIT(&ce->waiters);
	ce->nwaiters = 0;
	while ((w = STAILQ_FIRST(&wq)) != NULL) {
		struct sched_request r;
		const char *why;

		STAILQ_REMOVE_HEAD(&wq, entry);
		memset(&r, 0, sizeof(r));
		r.uuid = w->r.uuid;
		r.client = ce->ip;
		r.source = "retry";
		r.has_kind = 1;
		r.kind = w->r.kind;
		metric_add(s->m_triggers, r.source, 1);
		place(s, &r, &w->r, &why);
		free(w);
	}
}

/* The result as one JSON line (malloc'd), or NULL. */
static char *
result_text(struct sched *s, const struct job *j)
{
	struct out_extra x;
	json_t *o;
	char *text;

	sched_names_extra(j, &x);
	if ((o = meas_json(j->m, s->conf.anonymize, &x)) == NULL)
		return NULL;
	text = json_dumps(o, OUT_JSON_FLAGS);
	json_decref(o);
	return text;
}

static void
job_metrics(struct sched *s, const struct job *j,
    const struct meas_summary *sum)
{
	metric_observe(s->m_time, sum->failed ? "error" : "success",
	    (double)(sum->end.tv_sec - sum->start.tv_sec) +
	    (sum->end.tv_usec - sum->start.tv_usec) / 1e6);
	metric_add(s->m_performed, NULL, 1);
	metric_add(s->m_kind, meas_kind_name(j->kind), 1);
	if (j->kind == MEAS_MDA) {
		metric_add(s->m_mda_probes, NULL, sum->probes);
		metric_observe(s->m_mda_nodes, NULL, (double)sum->nodes);
		metric_add(s->m_mda_perpacket, NULL, (double)sum->perpacket);
	}
}

static void
job_finish(struct sched *s, struct job *j)
{
	struct meas_summary sum;
	struct centry *ce = j->ce;
	int reusable;
	char *text;
	struct waiter *w;

	meas_summary(j->m, &sum);
	reusable = !sum.failed && !(sum.halted && !s->shutting_down);
	job_metrics(s, j, &sum);
	if ((text = result_text(s, j)) == NULL) {
		log_warnx("out of memory formatting the result for %s",
		    ce->orig.uuid);
		metric_add(s->m_output_errors, NULL, 1);
		req_done(s, &ce->orig);
		reusable = 0;
	} else if (write_file(s, &ce->orig, text, sum.start.tv_sec,
	    sum.end.tv_sec, NULL) == -1)
		reusable = 0;	/* a copy would name a file that is not there */

	if (!reusable) {
		sched_cache_unlink(s, ce);
		resubmit_waiters(s, ce);
		free(text);
		free(ce->orig.uuid);
		free(ce);
		return;
	}
	while ((w = STAILQ_FIRST(&ce->waiters)) != NULL) {
		STAILQ_REMOVE_HEAD(&ce->waiters, entry);
		write_file(s, &w->r, text, sum.start.tv_sec, sum.end.tv_sec,
		    ce->orig.uuid);
		free(w->r.uuid);
		free(w);
	}
	ce->nwaiters = 0;
	ce->state = CE_DONE;
	ce->start_time = sum.start.tv_sec;
	ce->stop_time = sum.end.tv_sec;
	clock_gettime(CLOCK_MONOTONIC, &ce->done_at);
	TAILQ_INSERT_TAIL(&s->done, ce, done_entry);
	s->ndone++;
	/* Not kept (no memory): later requests get a new measurement. */
	if (s->conf.cache_window_s == 0 || sched_cache_store(ce, text) == -1)
		sched_cache_remove(s, ce);
	else
		while (s->ndone > s->conf.cache_max)
			sched_cache_remove(s, TAILQ_FIRST(&s->done));
	free(text);
}

static int
drained_now(const struct sched *s)
{
	return s->shutting_down && s->nrunning == 0 && s->nqueued == 0 &&
	    s->nnaming == 0 && TAILQ_EMPTY(&s->reaped);
}

/* A measurement that ended: its slot is free; its file waits for the
 * names it asked for, unless none is pending or the grace is over. */
static int
start_naming(struct sched *s, struct job *j)
{
	struct timeval tv;

	if (s->conf.names == NULL || s->halting || sched_job_names(j, 1) == 0)
		return 0;
	j->naming = 1;
	/* A backstop: each lookup ends within names_wait_ms anyway. */
	tv.tv_sec = (time_t)(s->conf.names_wait_ms / 1000) + 1;
	tv.tv_usec = (suseconds_t)(s->conf.names_wait_ms % 1000) * 1000;
	evtimer_del(j->deadline);
	evtimer_add(j->deadline, &tv);
	TAILQ_INSERT_TAIL(&s->naming, j, entry);
	s->nnaming++;
	return 1;
}

static void
reap(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	struct job *j, *next;

	while ((j = TAILQ_FIRST(&s->reaped)) != NULL) {
		TAILQ_REMOVE(&s->reaped, j, entry);
		s->nrunning--;
		if (start_naming(s, j))
			continue;
		job_finish(s, j);
		job_free(j);
	}
	for (j = TAILQ_FIRST(&s->naming); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (!s->halting && !j->names_expired && sched_job_names(j, 0) > 0)
			continue;
		TAILQ_REMOVE(&s->naming, j, entry);
		s->nnaming--;
		job_finish(s, j);
		job_free(j);
	}
	pump(s);
	if (drained_now(s) && s->drained != NULL)
		event_active(s->drained_ev, EV_TIMEOUT, 0);
}

/* --- requests ------------------------------------------------------------ */

static enum sched_outcome
refuse(struct sched *s, enum sched_outcome o, const char *why,
    const char **whyp)
{
	*whyp = why;
	metric_add(o == SCHED_REFUSED ? s->m_refused : s->m_dropped, why, 1);
	metric_add(s->m_results, outcome_names[o], 1);
	return o;
}

/* Journal an accepted request that will wait (a copy is written at once). */
static void
journal_req(struct sched *s, const struct sched_request *r, struct req *rq)
{
	struct journal_rec rec;

	if (s->conf.journal == NULL || rq->jid != 0)
		return;
	memset(&rec, 0, sizeof(rec));
	rec.when = rq->when;
	rec.client = r->client;
	rec.client_port = r->client_port;
	rec.server_port = r->server_port;
	if (r->method != NULL)
		snprintf(rec.method, sizeof(rec.method), "%s", r->method->name);
	snprintf(rec.kind, sizeof(rec.kind), "%s", meas_kind_name(rq->kind));
	snprintf(rec.uuid, sizeof(rec.uuid), "%s", rq->uuid);
	rq->jid = journal_add(s->conf.journal, &rec);
}

/* The request that was not placed is over: counted as refused/dropped. */
static enum sched_outcome
unplaced(struct sched *s, struct req *rq, enum sched_outcome o,
    const char *reason, const char **why)
{
	req_done(s, rq);
	free(rq->uuid);
	rq->uuid = NULL;
	return refuse(s, o, reason, why);
}

/*
 * Cache, join or queue a request whose UUID is held; it takes *rq (the
 * request gets its file, or is over and counted).
 */
static enum sched_outcome
place(struct sched *s, const struct sched_request *r, struct req *rq,
    const char **why)
{
	struct centry **pp, *ce;
	struct job *j;

	pp = sched_cache_slot(s, &r->client, rq->kind);
	if ((ce = *pp) != NULL && ce->state == CE_DONE && !sched_cache_fresh(s, ce)) {
		sched_cache_remove(s, ce);
		ce = NULL;
	}
	if (ce != NULL && ce->state == CE_DONE) {
		char *text;

		metric_add(s->m_cache_hits, NULL, 1);
		metric_add(s->m_skipped, NULL, 1);
		if ((text = sched_cache_text(ce)) == NULL) {
			req_done(s, rq);
			free(rq->uuid);
			return refuse(s, SCHED_DROPPED, "no_memory", why);
		}
		if (write_file(s, rq, text, ce->start_time,
		    ce->stop_time, ce->orig.uuid) == -1) {
			free(text);
			free(rq->uuid);
			return refuse(s, SCHED_DROPPED, "output_error", why);
		}
		free(text);
		free(rq->uuid);
		metric_add(s->m_results, "cached", 1);
		return SCHED_CACHED;
	}
	if (ce != NULL) {
		struct waiter *w;

		if (ce->nwaiters >= s->conf.max_waiters)
			return unplaced(s, rq, SCHED_DROPPED, "waiters_full",
			    why);
		if ((w = calloc(1, sizeof(*w))) == NULL)
			return unplaced(s, rq, SCHED_DROPPED, "no_memory", why);
		journal_req(s, r, rq);
		w->r = *rq;
		STAILQ_INSERT_TAIL(&ce->waiters, w, entry);
		ce->nwaiters++;
		metric_add(s->m_cache_hits, NULL, 1);
		metric_add(s->m_skipped, NULL, 1);
		metric_add(s->m_results, "joined", 1);
		return SCHED_JOINED;
	}
	if (s->nqueued >= s->conf.queue_max)
		return unplaced(s, rq, SCHED_DROPPED, "queue_full", why);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return unplaced(s, rq, SCHED_DROPPED, "no_memory", why);
	journal_req(s, r, rq);
	if ((ce = sched_cache_add(s, &r->client, rq)) == NULL) {
		free(j);
		return unplaced(s, rq, SCHED_DROPPED, "no_memory", why);
	}
	j->s = s;
	j->ce = ce;
	j->client = r->client;
	j->kind = rq->kind;
	j->conf = s->conf.trace;
	if (r->method != NULL)
		j->conf.method = r->method;
	if (rq->kind == MEAS_PARIS && s->conf.test_flow &&
	    r->client_port != 0 && r->server_port != 0) {
		/* The test's own 4-tuple: the path its packets took. */
		j->conf.method = &pkt_tcp_ack_paris;
		j->conf.sport = r->server_port;
		j->conf.dport = r->client_port;
		j->conf.flowid = 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->submitted);
	TAILQ_INSERT_TAIL(&s->queue, j, entry);
	s->nqueued++;
	metric_add(s->m_results, "queued", 1);
	pump(s);
	return SCHED_QUEUED;
}

/* Checks common to new and replayed requests; holds the UUID. */
static enum sched_outcome
admit(struct sched *s, const struct sched_request *r, struct req *rq,
    time_t when, const char **why)
{
	enum policy_verdict v;

	memset(rq, 0, sizeof(*rq));
	/* The test's own flow is one flow, a Paris trace in either mode:
	 * MDA would vary the test's ports. */
	if (r->has_kind)
		rq->kind = r->kind;
	else if (s->conf.test_flow && r->client_port != 0 &&
	    r->server_port != 0)
		rq->kind = MEAS_PARIS;
	else
		rq->kind = s->conf.mode;
	if (!mlab_uuid_ok(r->uuid))
		return refuse(s, SCHED_REFUSED, "bad_uuid", why);
	if (r->method != NULL && rq->kind != MEAS_PARIS)
		return refuse(s, SCHED_REFUSED, "method_needs_paris", why);
	if ((v = policy_check(s->policy, &r->client)) != POLICY_OK)
		return refuse(s, SCHED_REFUSED, policy_reason(v), why);
	/* A UUID names a file: a second request with one still pending or
	 * written within the cache window would collide with it. */
	if (uuidset_has(s->uuids, r->uuid))
		return refuse(s, SCHED_REFUSED, "duplicate_uuid", why);
	if ((rq->uuid = strdup(r->uuid)) == NULL ||
	    uuidset_hold(s->uuids, r->uuid) == -1) {
		free(rq->uuid);
		rq->uuid = NULL;
		return refuse(s, SCHED_DROPPED, "no_memory", why);
	}
	rq->when = when;
	return SCHED_QUEUED;
}

enum sched_outcome
sched_submit(struct sched *s, const struct sched_request *r, const char **why)
{
	struct req rq;
	enum sched_outcome o;

	*why = NULL;
	metric_add(s->m_triggers, r->source, 1);
	if (s->shutting_down)
		return refuse(s, SCHED_DROPPED, "shutdown", why);
	if ((o = admit(s, r, &rq, time(NULL), why)) != SCHED_QUEUED)
		return o;
	return place(s, r, &rq, why);
}

void
sched_replay(struct sched *s)
{
	struct journal *jn = s->conf.journal;
	const struct journal_rec *recs;
	time_t now = time(NULL);
	size_t n;

	if (jn == NULL)
		return;
	recs = journal_found(jn, &n);
	for (size_t i = 0; i < n; i++) {
		const struct journal_rec *rec = &recs[i];
		struct sched_request r;
		struct req rq;
		const char *why;
		char path[4096];

		if ((rec->when > now ? rec->when - now : now - rec->when) >
		    (time_t)s->conf.replay_window_s) {
			metric_add(s->m_journal, "expired", 1);
			journal_done(jn, rec->id);
			continue;
		}
		/* Written before the crash, its done line lost. */
		if (mlab_path(s->conf.output, rec->uuid, rec->when, path,
		    sizeof(path)) == 0 && access(path, F_OK) == 0) {
			metric_add(s->m_journal, "present", 1);
			journal_done(jn, rec->id);
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.uuid = rec->uuid;
		r.client = rec->client;
		r.client_port = rec->client_port;
		r.server_port = rec->server_port;
		r.method = rec->method[0] != '\0' ?
		    pkt_method_find(rec->method) : NULL;
		/* What it was accepted as; lines of old versions, which
		 * had no kind, were Paris traces. */
		r.has_kind = 1;
		if (meas_kind_find(rec->kind, &r.kind) == -1)
			r.kind = MEAS_PARIS;
		r.source = "journal";
		metric_add(s->m_triggers, r.source, 1);
		if (admit(s, &r, &rq, rec->when, &why) != SCHED_QUEUED) {
			journal_done(jn, rec->id);
			continue;
		}
		rq.jid = rec->id;
		metric_add(s->m_journal, "replayed", 1);
		place(s, &r, &rq, &why);
	}
	journal_found_free(jn);
}

/* --- life cycle ------------------------------------------------------------ */

static void
register_metrics(struct sched *s, struct metrics *m)
{
	s->m_time = metrics_register(m, "trace_time_seconds",
	    "Time from the first probe to the end of each measurement (a "
	    "trace or an MDA tracelb).",
	    METRIC_HISTOGRAM, "outcome", time_buckets,
	    sizeof(time_buckets) / sizeof(time_buckets[0]));
	s->m_performed = metrics_register(m, "traces_performed_total",
	    "Measurements run to the end (any stop reason, either type).",
	    METRIC_COUNTER, NULL,
	    NULL, 0);
	s->m_in_progress = metrics_register(m, "traces_in_progress",
	    "Traces running now.", METRIC_GAUGE, NULL, NULL, 0);
	s->m_skipped = metrics_register(m, "traces_skipped_total",
	    "Requests served from a running or recent trace to the same client.",
	    METRIC_COUNTER, NULL, NULL, 0);
	s->m_crashed = metrics_register(m, "traces_crashed_total",
	    "Traces that crashed (always 0: traces run in-process; kept for "
	    "dashboards).", METRIC_COUNTER, NULL, NULL, 0);
	s->m_triggers = metrics_register(m, "hoplite_triggers_total",
	    "Trace requests by source.", METRIC_COUNTER, "source", NULL, 0);
	s->m_results = metrics_register(m, "hoplite_trigger_results_total",
	    "Trace requests by result.", METRIC_COUNTER, "result", NULL, 0);
	s->m_refused = metrics_register(m, "hoplite_refused_total",
	    "Requests refused, by reason (destination policy, invalid UUID).",
	    METRIC_COUNTER, "reason", NULL, 0);
	s->m_dropped = metrics_register(m, "hoplite_dropped_total",
	    "Requests dropped, by reason (overload, shutdown).", METRIC_COUNTER,
	    "reason", NULL, 0);
	s->m_cache_hits = metrics_register(m, "hoplite_cache_hits_total",
	    "Requests answered by a running or recent trace.", METRIC_COUNTER,
	    NULL, NULL, 0);
	s->m_queue = metrics_register(m, "hoplite_queue_depth",
	    "Requests waiting for a trace slot.", METRIC_GAUGE, NULL, NULL, 0);
	s->m_output_errors = metrics_register(m, "hoplite_output_errors_total",
	    "Trace files that could not be written.", METRIC_COUNTER, NULL,
	    NULL, 0);
	s->m_files = metrics_register(m, "hoplite_files_written_total",
	    "Trace files written, original or cached copy.", METRIC_COUNTER,
	    "kind", NULL, 0);
	s->m_journal = metrics_register(m, "hoplite_journal_total",
	    "Journal of accepted requests: appended, done, replayed at start, "
	    "expired (older than the replay window), present (file already "
	    "written), bad_lines (corrupt or torn, skipped), rewrites, errors.",
	    METRIC_COUNTER, "event", NULL, 0);
	s->m_journal_bytes = metrics_register(m, "hoplite_journal_bytes",
	    "Size of the journal file.", METRIC_GAUGE, NULL, NULL, 0);
	s->m_kind = metrics_register(m, "hoplite_measurements_total",
	    "Measurements run to the end, by type: paris (a trace, scamper2) "
	    "or mda (a tracelb, scamper1).", METRIC_COUNTER, "type", NULL, 0);
	s->m_mda_probes = metrics_register(m, "hoplite_mda_probes_total",
	    "Probes sent by MDA measurements, retries included.",
	    METRIC_COUNTER, NULL, NULL, 0);
	s->m_mda_nodes = metrics_register(m, "hoplite_mda_nodes",
	    "Nodes (address and quoted TTL) found per MDA measurement.",
	    METRIC_HISTOGRAM, NULL, node_buckets,
	    sizeof(node_buckets) / sizeof(node_buckets[0]));
	s->m_mda_perpacket = metrics_register(m, "hoplite_mda_perpacket_total",
	    "Nodes flagged as per-packet load balancers by MDA measurements.",
	    METRIC_COUNTER, NULL, NULL, 0);
	metric_add(s->m_kind, meas_kind_name(MEAS_PARIS), 0);
	metric_add(s->m_kind, meas_kind_name(MEAS_MDA), 0);
	metric_add(s->m_journal, "expired", 0);
	metric_add(s->m_journal, "replayed", 0);
	metric_add(s->m_journal, "present", 0);
	metric_add(s->m_crashed, NULL, 0);
	metric_add(s->m_skipped, NULL, 0);
	metric_add(s->m_performed, NULL, 0);
	metric_add(s->m_output_errors, NULL, 0);
}

static void
drained_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	void (*cb)(void *) = s->drained;

	s->drained = NULL;
	if (cb != NULL)
		cb(s->drained_arg);
}

struct sched *
sched_new(struct event_base *base, struct engine *eng,
    const struct policy *policy, struct metrics *m,
    const struct sched_conf *conf)
{
	struct sched *s;
	struct timeval tv = { SWEEP_SECONDS, 0 };

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->base = base;
	s->eng = eng;
	s->policy = policy;
	s->conf = *conf;
	TAILQ_INIT(&s->done);
	TAILQ_INIT(&s->queue);
	TAILQ_INIT(&s->running);
	TAILQ_INIT(&s->reaped);
	TAILQ_INIT(&s->naming);
	s->reap_ev = event_new(base, -1, 0, reap, s);
	s->sweep_ev = event_new(base, -1, EV_PERSIST, sched_cache_sweep, s);
	s->drained_ev = event_new(base, -1, 0, drained_cb, s);
	s->uuids = uuidset_new(conf->cache_window_s, conf->cache_max);
	if (s->reap_ev == NULL || s->sweep_ev == NULL || s->drained_ev == NULL ||
	    s->uuids == NULL) {
		sched_free(s);
		return NULL;
	}
	event_add(s->sweep_ev, &tv);
	register_metrics(s, m);
	return s;
}

void
sched_update_metrics(struct sched *s)
{
	metric_set(s->m_in_progress, NULL, (double)s->nrunning);
	metric_set(s->m_queue, NULL, (double)s->nqueued);
	if (s->conf.journal != NULL) {
		const struct journal_stats *st = journal_stats(s->conf.journal);

		metric_set(s->m_journal, "appended", (double)st->appended);
		metric_set(s->m_journal, "done", (double)st->done);
		metric_set(s->m_journal, "bad_lines", (double)st->bad_lines);
		metric_set(s->m_journal, "rewrites", (double)st->rewrites);
		metric_set(s->m_journal, "errors", (double)st->errors);
		metric_set(s->m_journal_bytes, NULL, (double)st->bytes);
	}
}

static void
grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	struct job *j, *next;

	s->halting = 1;
	/* meas_halt calls back job_done, which moves the job to reaped. */
	for (j = TAILQ_FIRST(&s->running); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		meas_halt(j->m);
	}
	/* Files waiting for names are written now, with the names back. */
	if (s->nnaming > 0)
		event_active(s->reap_ev, EV_TIMEOUT, 0);
	pump(s);
	if (drained_now(s))
		event_active(s->drained_ev, EV_TIMEOUT, 0);
}

void
sched_shutdown(struct sched *s, unsigned grace_s, void (*drained)(void *),
    void *arg)
{
	struct timeval tv = { (time_t)grace_s, 0 };

	/* No new requests; every accepted one still gets its file: queued
	 * traces run while the grace period lasts, then what is left is
	 * halted (and never-started ones get an empty HALTED trace). */
	s->shutting_down = 1;
	s->drained = drained;
	s->drained_arg = arg;
	if (drained_now(s)) {
		event_active(s->drained_ev, EV_TIMEOUT, 0);
		return;
	}
	if (grace_s == 0 ||
	    (s->grace_ev = evtimer_new(s->base, grace_over, s)) == NULL)
		grace_over(-1, 0, s);
	else
		evtimer_add(s->grace_ev, &tv);
}

void
sched_free(struct sched *s)
{
	struct job *j;

	if (s == NULL)
		return;
	while ((j = TAILQ_FIRST(&s->queue)) != NULL) {
		TAILQ_REMOVE(&s->queue, j, entry);
		job_free(j);
	}
	while ((j = TAILQ_FIRST(&s->running)) != NULL) {
		TAILQ_REMOVE(&s->running, j, entry);
		job_free(j);
	}
	while ((j = TAILQ_FIRST(&s->reaped)) != NULL) {
		TAILQ_REMOVE(&s->reaped, j, entry);
		job_free(j);
	}
	while ((j = TAILQ_FIRST(&s->naming)) != NULL) {
		TAILQ_REMOVE(&s->naming, j, entry);
		job_free(j);
	}
	for (size_t i = 0; i < CACHE_BUCKETS; i++)
		while (s->cache[i] != NULL)
			sched_cache_remove(s, s->cache[i]);
	uuidset_free(s->uuids);
	if (s->reap_ev != NULL)
		event_free(s->reap_ev);
	if (s->sweep_ev != NULL)
		event_free(s->sweep_ev);
	if (s->grace_ev != NULL)
		event_free(s->grace_ev);
	if (s->drained_ev != NULL)
		event_free(s->drained_ev);
	free(s);
}
