/*
 * sched_int.h: sched's state, shared by sched.c (requests, queue,
 * measurements, files) and sched_cache.c (the per-client cache).
 * Internal to src/daemon.
 */
#ifndef HOPLITE_SCHED_INT_H
#define HOPLITE_SCHED_INT_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/meas.h"
#include "daemon/sched.h"

#define CACHE_BUCKETS	4096
#define SWEEP_SECONDS	10

/* An accepted request: it gets a file (or its loss is counted). */
struct req {
	char *uuid;
	time_t when;			/* wall clock of acceptance: names the file */
	uint64_t jid;			/* journal id, 0 when not journaled */
	enum meas_kind kind;		/* what it gets, fixed at acceptance */
};

struct waiter {
	STAILQ_ENTRY(waiter) entry;
	struct req r;
};
STAILQ_HEAD(waiterq, waiter);


enum centry_state { CE_RUNNING, CE_DONE };

/* One client address and kind: a measurement running (or queued) for it,
 * or a recent result. */
struct centry {
	struct centry *hnext;
	TAILQ_ENTRY(centry) done_entry;	/* finished results, oldest first */
	struct addr_ip ip;
	enum meas_kind kind;
	enum centry_state state;
	struct req orig;		/* the original request (uuid kept when done) */
	struct waiterq waiters;
	size_t nwaiters;
	/* when done: the JSON line, compressed (copies are rare, memory
	 * per cached client is what --cache-max multiplies) */
	unsigned char *z;
	uint32_t zlen, textlen;
	time_t start_time, stop_time;
	struct timespec done_at;	/* monotonic */
};
TAILQ_HEAD(centryq, centry);

struct job {
	TAILQ_ENTRY(job) entry;		/* queue, running or reaped list */
	struct sched *s;
	struct centry *ce;
	struct addr_ip client;
	enum meas_kind kind;
	struct trace_conf conf;		/* MEAS_PARIS; MDA takes the sched's */
	struct meas *m;
	struct event *deadline;		/* then, naming: the wait for names */
	struct timespec submitted;
	int naming;			/* measured, the file waits for names */
	int names_expired;		/* waited names_wait_ms */
};
TAILQ_HEAD(jobq, job);

struct sched {
	struct event_base *base;
	struct engine *eng;
	const struct policy *policy;
	struct sched_conf conf;
	struct centry *cache[CACHE_BUCKETS];
	struct centryq done;		/* finished entries, by age */
	size_t ndone;
	struct jobq queue, running, reaped, naming;
	size_t nqueued, nrunning, nnaming;
	struct uuidset *uuids;		/* pending or recently written */
	struct event *reap_ev, *sweep_ev, *grace_ev, *drained_ev;
	int shutting_down;
	int halting;			/* grace over: every trace halted at start */
	void (*drained)(void *);
	void *drained_arg;

	struct metric *m_time, *m_performed, *m_in_progress, *m_skipped,
	    *m_crashed, *m_triggers, *m_results, *m_refused, *m_dropped,
	    *m_cache_hits, *m_queue, *m_output_errors, *m_files, *m_journal,
	    *m_journal_bytes, *m_kind, *m_mda_probes, *m_mda_nodes,
	    *m_mda_perpacket;
};

/* Seconds since t0 on the monotonic clock. */
double sched_mono_since(const struct timespec *);

/* Names (sched_names.c).  The lookups the job's file still waits for,
 * asked for first with want; 0 without --ptr. */
unsigned sched_job_names(const struct job *, int want);
/* x shows the names the job's file may show (none without --ptr). */
struct out_extra;
void sched_names_extra(const struct job *, struct out_extra *);

/* The cache (sched_cache.c): one entry per client address and kind. */
struct centry **sched_cache_slot(struct sched *, const struct addr_ip *,
    enum meas_kind);
/* The entry takes the request; NULL on allocation failure. */
struct centry *sched_cache_add(struct sched *, const struct addr_ip *,
    struct req *);
/* Out of the hash table only. */
void sched_cache_unlink(struct sched *, struct centry *);
/* Out of everything, freed (waiters too: memory only). */
void sched_cache_remove(struct sched *, struct centry *);
void sched_waiters_free(struct sched *, struct centry *);
int sched_cache_fresh(const struct sched *, const struct centry *);
/* The result line into the entry, compressed; 0 or -1. */
int sched_cache_store(struct centry *, const char *text);
/* The entry's result line (malloc'd, NUL-terminated), or NULL. */
char *sched_cache_text(const struct centry *);
/* The sweep timer: expired entries and UUIDs go. */
void sched_cache_sweep(evutil_socket_t, short, void *);

#endif
