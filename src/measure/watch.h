/*
 * watch: the same Paris traces again and again (mtr's continuous mode,
 * with fixed flows), and per-branch statistics over the cycles.
 *
 * Each cycle runs one trace per flow of a fixed set, one probe per TTL
 * (attempts 1), all flows at once; the next cycle starts `interval_ms`
 * after this one started, or when it ends if it took longer.  A branch
 * (one row) is one address at one TTL with the set of flows that reached
 * it there: per-flow load balancers keep a flow on its branch, so a
 * row's figures never mix two branches.  A row's probes are those its
 * flows sent at its TTL; replies from other addresses on those flows
 * (per-packet balancing) count as lost for this row.  Flows silent at a
 * TTL in every cycle so far form that TTL's "no reply" row.
 */
#ifndef HOPLITE_WATCH_H
#define HOPLITE_WATCH_H

#include <stdint.h>

#include "util/addr.h"
#include "probe/engine.h"
#include "measure/trace.h"

#define WATCH_MAX_FLOWS	64

struct event_base;

struct watch_conf {
	struct trace_conf trace;	/* attempts is forced to 1 */
	uint32_t flow_lo;		/* flows flow_lo .. flow_lo+nflows-1 */
	unsigned nflows;		/* 1..WATCH_MAX_FLOWS */
	unsigned cycles;		/* 0: until halted */
	unsigned interval_ms;
};

struct watch_row {
	uint8_t ttl;
	struct addr_ip addr;		/* family 0: no reply */
	uint64_t flows;			/* bit k: flow flow_lo+k */
	unsigned sent, received;
	/* RTTs in microseconds (valid when received > 0) */
	uint32_t last_us, best_us, worst_us;
	double avg_us, stdev_us;
};

struct watch;
/* A cycle ended (traces: its nflows results, in flow order). */
typedef void (*watch_cycle_cb)(struct watch *, unsigned cycle,
    const struct trace_result *const *traces, void *arg);
/* The watch is over (cycles done, or halted). */
typedef void (*watch_done_cb)(struct watch *, void *arg);

/* NULL on allocation failure or an invalid conf. */
struct watch *watch_new(struct engine *, struct event_base *,
    const struct watch_conf *, const struct addr_ip *dst, watch_cycle_cb,
    watch_done_cb, void *arg);
void watch_start(struct watch *);
/* Stop now; a cycle in flight is dropped from the figures.  Runs done. */
void watch_halt(struct watch *);
/* Cycles counted so far. */
unsigned watch_cycles(const struct watch *);
/* The rows, by TTL then address (no-reply rows last in a TTL).  The array
 * lives until the next call or watch_free.  -1 on allocation failure. */
int watch_rows(struct watch *, const struct watch_row **, size_t *n);
const struct watch_conf *watch_conf(const struct watch *);
void watch_free(struct watch *);

#endif
