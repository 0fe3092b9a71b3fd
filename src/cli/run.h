/*
 * run: what `hoplite trace`, `hoplite mda` and `hoplite watch` share to
 * measure many destinations at once: open the raw sockets and the
 * capture, drop privileges, read and resolve the destinations, run the
 * measurements with a bounded concurrency under one engine (one token
 * bucket), halt them all on SIGINT/SIGTERM, look up hop names on the side,
 * and write each result as soon as it is done (and its names are back or
 * late).
 */
#ifndef HOPLITE_RUN_H
#define HOPLITE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "util/names.h"
#include "probe/engine.h"
#include "probe/netio.h"

struct event_base;
struct run;

struct run_job {
	struct run *run;
	struct addr_ip dst;
	const char *name;	/* the destination as the user wrote it */
	uint32_t flowid;	/* which copy for its destination (trace -F) */
	void *m;		/* the measurement, while it exists */
	int done;		/* it stopped (it may wait to be written) */
	struct run_job *next_done;
};

/* One kind of measurement, as the command drives it. */
struct run_client {
	/* Create and start j's measurement; NULL only when out of memory.
	 * It calls run_job_done(j) once, when it stops for any reason
	 * (also from inside this call). */
	void *(*start)(struct run_job *j, struct engine *, void *arg);
	/* Stop it now, keeping what was measured (it then reports done). */
	void (*halt)(void *m);
	/* Write the result and free the measurement; -1 when the output
	 * failed or the destination could not be measured (exit status 1). */
	int (*finish)(struct run_job *j, void *arg);
	/* With names on (may be NULL): ask for the names of j's finished
	 * result (names_want) and say how many are still pending; j is
	 * written once none is, or as each ends (bounded by its timeout). */
	unsigned (*names)(struct run_job *j, struct names *, void *arg);
	/* With names on (may be NULL): some lookup ended. */
	void (*names_update)(void *arg);
	/* May be NULL: privileges are gone, destinations not yet read; the
	 * place to read side files opened before.  May exit on bad input. */
	void (*ready)(void *arg);
	void *arg;
};

struct run_conf {
	unsigned pps;		/* probes per second, all measurements */
	size_t concurrency;	/* measurements in flight */
	int family;		/* AF_UNSPEC, or AF_INET/AF_INET6 (-4/-6) */
	const char *user;	/* switch to this user after opening */
	int verbose;		/* counters on stderr at the end */
	/* TCP/UDP ports the capture admits */
	struct netio_ports ports[NETIO_MAX_RANGES];
	size_t nports;
	uint32_t copies;	/* measurements per destination (>= 1) */
	uint32_t flow_lo;	/* flowid of a destination's first copy */
	const char *targets;	/* --targets FILE ("-": stdin), or NULL */
	const char *source;	/* -s ADDR, or NULL */
	const char *iface;	/* -i NAME, or NULL */
	int names;		/* look up hop names (PTR) */
	unsigned names_timeout_ms; /* a lookup's life (0: names.h default) */
	int progress;		/* may show a progress line on a terminal */
	/* For the capture buffer's size (0: 8 probes, 2 s): probes one
	 * measurement may have in flight, and their longest wait. */
	unsigned inflight;
	unsigned wait_ms;
};

/*
 * Measure every destination of argv and --targets (addresses or names).
 * Exits with status 2 on a usage error (a bad -s, -i or --targets), and
 * through fatalx() when the sockets cannot be opened or privileges not
 * dropped.  Returns the exit status: 0 when every destination was
 * measured, 1 when some could not be.
 */
int run_main(const struct run_conf *, const struct run_client *, int argc,
    char **argv);
/* For the measurement's done callback: queue j to be finished. */
void run_job_done(struct run_job *j);
/* The run's loop, and its name lookups (NULL when off). */
struct event_base *run_base(const struct run *);
struct names *run_names(const struct run *);
/* For out_extra's name, with the run's names as its arg: a's name, or NULL
 * (none, or not back yet). */
const char *run_name_of(const struct addr_ip *a, void *names);
/* Ask for a's name: 1 while the answer is pending, else 0. */
unsigned run_want_name(struct names *, const struct addr_ip *a);
/* How many measurements the run has in all. */
size_t run_njobs(const struct run *);

#endif
