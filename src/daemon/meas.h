/*
 * meas: the daemon's view of one measurement toward a client, whatever
 * its kind: a Paris `trace` (one flow, M-Lab's scamper2) or a multipath
 * detection `tracelb` (MDA, M-Lab's scamper1).  One table of operations
 * per kind (meas.c), so sched runs, halts, times and writes both through
 * the same code path.
 */
#ifndef HOPLITE_MEAS_H
#define HOPLITE_MEAS_H

#include <stddef.h>
#include <sys/time.h>
#include <jansson.h>

#include "util/addr.h"
#include "probe/engine.h"
#include "measure/mda.h"
#include "measure/trace.h"

enum meas_kind {
	MEAS_PARIS = 0,		/* trace.c: one flow, a `trace` object */
	MEAS_MDA,		/* mda.c: every load-balanced path, `tracelb` */
	MEAS_NKINDS,
};

/* What sched needs to know of a measurement that ended. */
struct meas_summary {
	struct timeval start, end;
	int failed;		/* could not run (no route, send failure) */
	int halted;		/* stopped from outside (deadline, shutdown) */
	unsigned probes;	/* probes sent */
	size_t nodes;		/* MDA: vertices found */
	size_t perpacket;	/* MDA: vertices flagged per-packet */
};

struct meas;
struct out_extra;
typedef void (*meas_done_cb)(struct meas *, void *arg);
typedef void (*meas_addr_cb)(const struct addr_ip *, void *arg);

/* "paris", "mda" (the --mode names); meas_kind_find: -1 if unknown. */
const char *meas_kind_name(enum meas_kind);
int meas_kind_find(const char *name, enum meas_kind *);

/*
 * A measurement of `kind` toward dst, with tconf (MEAS_PARIS) or mconf
 * (MEAS_MDA); `done` runs once when it stops for any reason.  NULL on
 * allocation failure or an invalid conf.
 */
struct meas *meas_new(enum meas_kind, struct engine *,
    const struct trace_conf *tconf, const struct mda_conf *mconf,
    const struct addr_ip *dst, meas_done_cb done, void *arg);
void meas_start(struct meas *);
/* Stop now with HALTED, keeping what was measured; runs `done`. */
void meas_halt(struct meas *);
enum meas_kind meas_kind(const struct meas *);
void meas_summary(const struct meas *, struct meas_summary *);
/*
 * The `trace` or `tracelb` object.  With anonymize, every address inside
 * the destination's netblock (/24, /48) is zeroed there, as M-Lab's
 * anonymisation does: destination, hops, MDA nodes and link ends.  With
 * x (may be NULL), hops or nodes get x->name's names, asked with the
 * addresses as written (anonymized ones zeroed).  NULL on allocation
 * failure.
 */
json_t *meas_json(const struct meas *, int anonymize, const struct out_extra *);
/* Each address a result may name (trace hops, MDA nodes), repeats
 * included, as measured (not anonymized). */
void meas_addrs(const struct meas *, meas_addr_cb, void *arg);
void meas_free(struct meas *);

#endif
