/*
 * sched: hoplited's core.  Takes trace requests (from the event socket or
 * the control socket), applies the destination policy and the per-client
 * cache, queues within bounds, runs measurements on the engine (a Paris
 * trace or an MDA tracelb, daemon/meas.h), and writes each result as an
 * M-Lab file beside the test's UUID.
 *
 *   request -> policy -> cache (done: cached copy now; running: wait for it)
 *           -> bounded queue -> at most max_inflight measurements -> file
 *
 * The cache keeps each result as its JSON line, zlib-compressed: about
 * 1 KB per client for a typical trace.
 */
#ifndef HOPLITE_SCHED_H
#define HOPLITE_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "probe/engine.h"
#include "daemon/metrics.h"
#include "daemon/policy.h"
#include "daemon/meas.h"
#include "measure/mda.h"
#include "measure/trace.h"

struct sched_conf {
	enum meas_kind mode;		/* what a request gets: MEAS_PARIS or MEAS_MDA */
	struct trace_conf trace;	/* every trace's settings (method may be overridden) */
	struct mda_conf mda;		/* every MDA measurement's settings */
	int test_flow;			/* trace the test's own flow: tcp-ack-paris,
					   test's ports (a Paris trace in either mode) */
	unsigned cache_window_s;	/* reuse a result for this long (0 = never) */
	size_t cache_max;		/* finished results kept at most */
	size_t max_inflight;		/* traces running at once */
	size_t queue_max;		/* requests waiting for a slot */
	unsigned deadline_s;		/* a trace running longer is halted */
	size_t max_waiters;		/* requests waiting on one running trace */
	int anonymize;			/* netblock anonymization of dst and hops */
	const char *output;		/* root directory of the files */
	unsigned file_mode;		/* of the files (0: 0640) */
	struct journal *journal;	/* accepted requests on disk (NULL: none) */
	unsigned replay_window_s;	/* journaled requests older are expired */
	const char *hostname;		/* for cycle-start/stop */
	const char *version;		/* TracerouteCallerVersion */
	struct names *names;		/* hop names (--ptr); NULL: none */
	unsigned names_wait_ms;		/* a file waits for names this long at
					   most (each lookup is bounded too) */
};

struct sched_request {
	const char *uuid;
	struct addr_ip client;
	uint16_t client_port, server_port;	/* 0 when unknown */
	const struct pkt_method *method;	/* NULL: the configured one
						   (Paris only) */
	const char *source;			/* "eventsocket", "control" (metrics label) */
	int has_kind;				/* kind given (journal replay) */
	enum meas_kind kind;			/* else the mode (or test flow) */
};

enum sched_outcome {
	SCHED_QUEUED,		/* a new trace was queued */
	SCHED_JOINED,		/* waits for the running trace to the same client */
	SCHED_CACHED,		/* a copy of a recent result was written */
	SCHED_REFUSED,		/* policy, invalid or duplicate UUID; *why says which */
	SCHED_DROPPED,		/* overload or shutdown; *why says which */
};

struct sched;
struct journal;
struct names;

struct sched *sched_new(struct event_base *, struct engine *,
    const struct policy *, struct metrics *, const struct sched_conf *);
/* *why is a short static reason for REFUSED/DROPPED/output errors. */
enum sched_outcome sched_submit(struct sched *, const struct sched_request *,
    const char **why);
const char *sched_outcome_name(enum sched_outcome);
/*
 * The names' update callback: files waiting for names are written once
 * theirs are back or given up on.  A measurement's slot is free while its
 * file waits; the client's own address (and, anonymizing, its netblock)
 * is never looked up.
 */
void sched_names_update(struct sched *);
/* Refresh gauges (queue depth, traces in progress) before a scrape. */
void sched_update_metrics(struct sched *);
/*
 * Trace the requests the journal held at start that are younger than the
 * replay window (older ones, and those whose file is there, are counted
 * and marked done).  Call once, after sched_new.
 */
void sched_replay(struct sched *);
/*
 * Stop intake.  Every accepted request still gets its file: queued and
 * running traces go on for `grace_s` seconds, then every trace left is
 * halted (one never started gets an empty HALTED trace) and written, with
 * a copy for each request that joined it.  `drained` runs once nothing is
 * left.
 */
void sched_shutdown(struct sched *, unsigned grace_s, void (*drained)(void *),
    void *arg);
void sched_free(struct sched *);

#endif
