/*
 * mda_int.h: the state one MDA measurement shares between mda.c (engine
 * client, probes, vertices, result), mda_probe.c (in-flight counts),
 * mda_rule.c (the stopping rules) and mda_pp.c (per-packet tests).
 * Not for other modules.
 */
#ifndef HOPLITE_MDA_INT_H
#define HOPLITE_MDA_INT_H

#include <time.h>

#include "measure/mda.h"

#define MDA_FBLK	64	/* flows per block: blocks never move */

/* What is known of one flow at one TTL. */
struct mda_cell {
	int32_t vertex;		/* the first reply's vertex, or -1 */
	uint8_t sent;		/* attempts sent (not counting tests) */
	uint8_t inflight;	/* probes out, tests included */
	uint8_t flags;		/* CELL_* */
	uint8_t xsent;		/* per-packet test probes sent */
};

#define CELL_QUEUED	0x01	/* a request waits in the queue */
#define CELL_SILENT	0x02	/* every attempt timed out */

struct mda_fblock {
	struct pkt_flow flow[MDA_FBLK];
	/* per flow: TTL of its last answer (not a time exceeded, or a
	 * loop); 0: none yet */
	uint8_t end[MDA_FBLK];
	struct mda_cell cell[];		/* MDA_FBLK x span, flow-major */
};

struct mda_req {
	uint16_t flow;
	uint8_t ttl;
	uint8_t test;		/* PPT_*, or 0 */
	uint32_t seq;		/* queue order */
};

/* Per vertex, besides the result's struct mda_vertex. */
#define VX_PPTEST	0x01	/* per-packet test asked */
#define VX_PPCONF	0x02	/* its test saw two answers: confirming
				   they do not come from upstream */
#define VX_PPDONE	0x04	/* confirmation over */

struct mda_vx {
	uint8_t flags;		/* VX_* */
	uint8_t conf_out;	/* confirmation probes not back yet */
	uint8_t conf_ttl;	/* the confirmation's (flow, TTL) */
	uint16_t conf_flow;
};

/* Test probes: the per-packet test, and its confirmation. */
#define PPT_TEST	1
#define PPT_CONFIRM	2

struct mda {
	struct engine *eng;
	struct engine_client client;
	struct mda_result res;
	const struct pkt_method *pm;
	struct pkt_flow_params fp;
	mda_done_cb done;
	void *arg;

	struct mda_fblock *blk[MDA_MAX_FLOWS / MDA_FBLK];
	unsigned nflows, max_flows;
	unsigned span;			/* cells per flow: TTL 0..max+1 */
	unsigned n1;			/* mda_nk(1): flows of discovery */

	struct mda_req *q;		/* probes the rules want */
	size_t nq, qcap;
	uint32_t qseq;
	unsigned inflight;		/* probes out (the window counts
					   inflight - superseded) */

	size_t probes_cap, vert_cap;
	struct mda_vx *vx;		/* per vertex */
	int32_t *sv, *sv2;		/* scratch: vertex ids at a TTL */
	unsigned *sc, *sc2;		/* scratch: flows per vertex */

	uint8_t *full;			/* per TTL: node control (MDA) */
	uint8_t *nvc;			/* per TTL: vertices last seen */
	uint8_t *ppc;			/* per TTL: a per-packet vertex */
	uint8_t *taint;			/* per TTL: reached through a
					   per-packet balancer */
	uint16_t *ppout;		/* per TTL: per-packet tests out */
	uint8_t hi;			/* highest TTL a router answered */
	uint8_t dest_ttl;		/* lowest TTL the dest answered */
	uint8_t loop_ttl;		/* lowest TTL a flow looped at */
	uint8_t dirty_lo, dirty_hi;	/* TTLs whose rules need a look */
	uint8_t running, exhausted;

	/* The probe gap is per router: per TTL, divided by the routers seen
	 * there; probes to different hops overlap. */
	struct event *gap_ev;
	uint32_t max_rtt_us;		/* largest RTT seen, for late_ms */
	double *ttl_tx;			/* per TTL: last probe sent (ms), 0 */
	/* Retries go out min(wait, 1 s) after an attempt; the attempt still
	 * counts if its answer comes later, within the wait. */
	struct event *retry_ev;
	double *txmono;			/* per probe: sent at, mono ms */
	uint8_t *gone;			/* per probe: PR_* */
	unsigned superseded;		/* probes in flight with PR_SUPERSEDED */
	size_t retry_next;		/* the next probe to look at */
};

/* Per probe (struct mda's gone[]): answered, timed out or given up on
 * (late), out of the in-flight counts; or still out, but a later attempt
 * of its (flow, TTL) has left, so it no longer holds a window slot. */
#define PR_GONE		0x01
#define PR_SUPERSEDED	0x02

/* mda_conf.c */
const struct pkt_method *mda_pkt_method(enum mda_method);
uint8_t mda_vary(enum mda_method);		/* enum pkt_vary */
unsigned mda_max_flows(const struct mda_conf *);

/* mda_graph.c */
int mda_vertex_find(struct mda *, const struct addr_ip *, int has_q,
    uint8_t q_ttl, uint8_t kind, uint8_t ttl);
int mda_links_build(struct mda *);
int mda_vertices_order(struct mda *);

/* What flow `flow` got at `ttl` (the rules read it all the time). */
static inline struct mda_cell *
mda_cell(const struct mda *m, unsigned flow, unsigned ttl)
{
	return &m->blk[flow / MDA_FBLK]->cell[(flow % MDA_FBLK) * m->span +
	    ttl];
}

static inline unsigned
mda_flow_end(const struct mda *m, unsigned flow)
{
	return m->blk[flow / MDA_FBLK]->end[flow % MDA_FBLK];
}

/* mda.c */
int mda_flow_new(struct mda *);
int mda_request(struct mda *, unsigned flow, unsigned ttl, int test);
void mda_dirty(struct mda *, int lo, int hi);

/* The TTL beyond which only flows known to go on are probed. */
unsigned mda_end_ttl(const struct mda *);

/* mda_probe.c */
int mda_probe_leave(struct mda *, size_t probe);
void mda_supersede(struct mda *, unsigned flow, unsigned ttl);
void mda_give_up_cell(struct mda *, const struct mda_probe *);

/* mda_pp.c */
int32_t mda_vertex_before(const struct mda *, unsigned flow, unsigned ttl,
    unsigned *at);
void mda_pp_flag(struct mda *, int32_t vertex, unsigned ttl);
void mda_pp_moved(struct mda *, unsigned flow, unsigned ttl);
void mda_pp_confirm_back(struct mda *, const struct mda_probe *,
    int32_t vertex);
/* The highest TTL whose vertices may be tested now. */
unsigned mda_pp_gate(const struct mda *);
/* Ask the tests of the vertices vs[0..nv) at TTL t that are due. */
void mda_pp_test(struct mda *, unsigned t, const int32_t *vs, unsigned nv,
    unsigned gate);

/* mda_rule.c */
unsigned mda_horizon(const struct mda *);
/* The flow's cell at ttl, or NULL when the flow ended below it. */
const struct mda_cell *mda_cell_in(const struct mda *, unsigned flow,
    unsigned ttl);
int mda_is_router(const struct mda *, int32_t vertex);
/* Cells at ttl probed and neither answered nor silent yet. */
unsigned mda_ttl_pending(const struct mda *, unsigned ttl);
int mda_can_probe(const struct mda *, unsigned flow, unsigned ttl);
void mda_plan(struct mda *);
void mda_taint(struct mda *);

#endif
