/*
 * run: what `hoplite trace` and `hoplite mda` share to measure many
 * destinations at once: open the raw sockets and the capture, drop
 * privileges, resolve the destinations, run the measurements with a
 * bounded concurrency under one engine (one token bucket), halt them all
 * on SIGINT/SIGTERM, and write each result as soon as it is done.
 */
#ifndef HOPLITE_RUN_H
#define HOPLITE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "probe/engine.h"

struct run;

struct run_job {
	struct run *run;
	struct addr_ip dst;
	uint32_t flowid;	/* which copy for its destination (trace -F) */
	void *m;		/* the measurement, while it exists */
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
	void *arg;
};

struct run_conf {
	unsigned pps;		/* probes per second, all measurements */
	size_t concurrency;	/* measurements in flight */
	int family;		/* AF_UNSPEC, or AF_INET/AF_INET6 (-4/-6) */
	const char *user;	/* switch to this user after opening */
	int verbose;		/* counters on stderr at the end */
	uint16_t port_lo, port_hi; /* TCP/UDP ports the capture admits */
	uint32_t copies;	/* measurements per destination (>= 1) */
	uint32_t flow_lo;	/* flowid of a destination's first copy */
	/* For the capture ring's size (0: 8 probes, 2 s): probes one
	 * measurement may have in flight, and their longest wait. */
	unsigned inflight;
	unsigned wait_ms;
};

/*
 * Measure every destination of argv (addresses or names).  Exits through
 * fatalx() when the sockets cannot be opened or privileges not dropped.
 * Returns the exit status: 0 when every destination was measured, 1 when
 * some could not be.
 */
int run_main(const struct run_conf *, const struct run_client *, int argc,
    char **argv);
/* For the measurement's done callback: queue j to be finished. */
void run_job_done(struct run_job *j);

#endif
