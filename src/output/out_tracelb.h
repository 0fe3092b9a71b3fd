/*
 * out_tracelb.h: the view of a struct mda_result that the tracelb writers
 * (out_tracelb.c: JSON; out_tracelb_text.c: text and Graphviz) share.
 * Internal to src/output.
 */
#ifndef HOPLITE_OUT_TRACELB_H
#define HOPLITE_OUT_TRACELB_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "measure/mda.h"

/* The probes of one (flow, TTL): ord[lo..hi), attempts in send order. */
struct out_lb_grp {
	uint16_t flow;
	uint8_t ttl;
	size_t lo, hi;
};

struct out_lb_view {
	const struct mda_result *r;
	size_t *ord;		/* probe indices by (flow, TTL, send order) */
	struct out_lb_grp *grp;	/* by (flow, TTL) */
	size_t ngrp;
	/* Per vertex: */
	uint8_t *absorbed;	/* inside a per-packet clump: not a node */
	uint8_t *clump_depth;	/* > 0: a clump head, its intermediate hops */
	int32_t *clump_far;	/* the clump's far end */
	uint32_t *indeg;	/* links into the vertex */
	uint8_t *mark;		/* scratch */
};

/* 0, or -1 on allocation failure (nothing to free then). */
int out_lb_view_init(struct out_lb_view *, const struct mda_result *);
void out_lb_view_free(struct out_lb_view *);
const struct mda_probe *out_lb_probe(const struct out_lb_view *, size_t i);
/* The group of (flow, ttl), or -1. */
ssize_t out_lb_find(const struct out_lb_view *, unsigned flow, unsigned ttl);
/* Whether a probe of the group was answered by `vertex`; by anyone. */
int out_lb_grp_has(const struct out_lb_view *, const struct out_lb_grp *,
    int32_t vertex);
int out_lb_grp_silent(const struct out_lb_view *, const struct out_lb_grp *);
/*
 * The groups at hop `hop` (1-based) of link l, one per flow that follows
 * the link (answered l->from, silent for l->gap TTLs, then answered
 * l->to; or silent to the end when to == -1; a flow not probed at the
 * near end counts when l is the only link into l->to).  At most max.
 */
size_t out_lb_link_groups(const struct out_lb_view *, const struct mda_link *,
    unsigned hop, size_t *out, size_t max);
/* The groups `hop` TTLs after u, one per flow through u (as above). */
size_t out_lb_after_groups(const struct out_lb_view *, int32_t u, unsigned hop,
    size_t *out, size_t max);
/* Links leaving u: r->links[*first .. *first + return value). */
size_t out_lb_links_from(const struct mda_result *, int32_t u, size_t *first);
/* Links printed for u: 0 (no link, or absorbed), 1 for a clump head. */
size_t out_lb_node_linkc(const struct out_lb_view *, int32_t u);

#endif
