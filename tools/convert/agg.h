/*
 * agg: the aggregates built over all inputs: nodes (one per address),
 * links (near, far, gap), the exact set of destinations behind each link,
 * and AS links.  Every column is a count, a minimum or a maximum, so the
 * tables of disjoint shards merge into exactly the tables of one pass;
 * the distinct-destination count merges through the sets themselves.
 * Pure code.
 */
#ifndef HOPLITE_CONVERT_AGG_H
#define HOPLITE_CONVERT_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "htab.h"

#define AGG_NONE UINT32_MAX

enum {
	AGG_NODES = 1,
	AGG_LINKS = 2,
	AGG_DSTS = 4,	 /* the destination sets behind links */
	AGG_ASLINKS = 8
};

struct agg_node {
	uint32_t addr;	 /* address id */
	uint32_t asn;	 /* string id, AGG_NONE: unknown */
	uint64_t replies, traces, dst;
	int ttl_min, ttl_max;
	int64_t rtt_min; /* usec, -1: none */
	int64_t first, last;
};

struct agg_link {
	uint32_t near, far; /* address ids */
	int gap;
	uint64_t traces, flows;
	uint64_t dsts;	    /* distinct destinations (the set's size) */
	uint64_t dsts_row;  /* merge: the largest dsts column read */
	int64_t first, last;
	int64_t near_rtt, far_rtt; /* usec, -1: none */
};

struct agg_aslink {
	uint32_t as1, as2; /* string ids */
	int gap;
	uint64_t traces;
	int64_t first, last;
};

/* One (link, destination) pair of the destination sets. */
struct agg_dst {
	uint32_t link, dst;
};

struct agg {
	unsigned what;
	struct addr_ip *addrs;
	uint32_t *node_of; /* per address id: node index, AGG_NONE */
	struct agg_node *nodes;
	struct agg_link *links;
	struct agg_dst *dsts;
	struct agg_aslink *aslinks;
	char **strs;
	size_t naddrs, nnodes, nlinks, ndsts, naslinks, nstrs;
	/* private */
	size_t cap_addrs, cap_node_of, cap_nodes, cap_links, cap_dsts, cap_aslinks;
	size_t cap_strs;
	struct htab addr_ht, link_ht, dst_ht, aslink_ht, str_ht;
	uint32_t *rank; /* address id -> position in address order */
};

struct rec;

struct agg *agg_new(unsigned what);
void agg_free(struct agg *);
/* Add a record to every table asked for.  0, or -1 (out of memory). */
int agg_add_rec(struct agg *, struct rec *);

/* merge: one row of a table written by an earlier run. */
int agg_merge_node(struct agg *, const struct addr_ip *, const char *asn,
    const struct agg_node *);
int agg_merge_link(struct agg *, const struct addr_ip *near,
    const struct addr_ip *far, const struct agg_link *);
int agg_merge_dst(struct agg *, const struct addr_ip *near,
    const struct addr_ip *far, int gap, const struct addr_ip *dst);
int agg_merge_aslink(struct agg *, const char *as1, const char *as2,
    const struct agg_aslink *);

/* Every table of w (a -j worker's) into a.  0, or -1 (out of memory). */
int agg_merge_agg(struct agg *a, const struct agg *w);

/*
 * Output order of one table (AGG_NODES, AGG_LINKS, AGG_DSTS, AGG_ASLINKS),
 * as a malloc'd array of indexes (NULL: out of memory): nodes and links by
 * address, dsts by link then destination, AS links by AS text.
 */
uint32_t *agg_order(struct agg *, unsigned table);
/* Address text into buf (ADDR_STRLEN bytes). */
const char *agg_addr_str(const struct agg *, uint32_t id, char *buf);
/* String text; "" for AGG_NONE. */
const char *agg_str(const struct agg *, uint32_t id);

#endif
