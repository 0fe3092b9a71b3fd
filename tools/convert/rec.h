/*
 * rec: the record model.  One trace (scamper "trace", hoplite's own) or
 * MDA trace (scamper "tracelb") turned into flat arrays: the distinct
 * addresses, one hop per reply, each flow's path (flow id, TTL, address)
 * and the links and AS links those paths contain.  Pure code; the arrays
 * are reused from one record to the next.
 */
#ifndef HOPLITE_CONVERT_REC_H
#define HOPLITE_CONVERT_REC_H

#include <stddef.h>
#include <stdint.h>

#include "sj.h"

#include "util/addr.h"
#include "htab.h"
#include "rd.h"

#define REC_NONE UINT32_MAX

struct pfx2as;

enum rec_kind {
	REC_TRACE,
	REC_TRACELB
};

struct rec_addr {
	struct addr_ip ip;
	char str[ADDR_STRLEN];
	int64_t rtt_min;     /* usec; -1 when no reply carried an RTT */
	uint32_t replies;
	uint8_t ttl_min, ttl_max;
	const char *asn;     /* origin AS, NULL when unknown */
	uint32_t id;	     /* the caller's (aggregate index) */
};

/* One MPLS label stack entry (RFC 4950); -1: not in the input. */
struct rec_lse {
	uint32_t label;
	int tc, s, ttl;
};

/* One reply (tracelb: the first node stands for its unrecorded replies). */
struct rec_hop {
	uint32_t addr;	     /* index in addrs; REC_NONE: no usable address */
	int64_t flowid;	     /* -1: none */
	int ttl, probe_id;
	int64_t rtt;	     /* usec, -1: none */
	int reply_ttl, icmp_type, icmp_code, tcp_flags; /* -1: none */
	uint32_t mpls, nmpls; /* labels: mpls[mpls .. mpls + nmpls) */
};

/* One address at one TTL of one flow; sorted by flow, TTL, address. */
struct rec_slot {
	int64_t flowid;
	int ttl;
	uint32_t addr;
};

struct rec_flow {
	int64_t flowid;	     /* -1: none */
	size_t first, n;     /* slots[first .. first + n) */
	int complete;	     /* the destination answered in this flow */
};

/* Distinct within the record; flows: how many of its flows hold it. */
struct rec_link {
	uint32_t near, far;  /* indexes in addrs */
	int gap;	     /* silent TTLs between them */
	uint32_t flows;
};

struct rec_aslink {
	const char *as1, *as2;
	int gap;
};

struct rec_opts {
	int anonymize;		 /* zero the client's /24 or /48 */
	const struct pfx2as *pfx; /* NULL: no AS lookups */
};

struct rec {
	enum rec_kind kind;
	struct rd_meta meta;
	const char *type, *method, *stop_reason; /* "" when absent */
	struct addr_ip src, dst;
	char src_str[ADDR_STRLEN], dst_str[ADDR_STRLEN];
	int64_t start_sec, start_usec;
	int firsthop;
	int64_t flowid;	     /* hoplite's trace flow id, -1: none */
	int hop_count;	     /* trace: hop_count; -1: none */
	uint32_t dst_addr;   /* index of dst in addrs when it answered */

	struct rec_addr *addrs;
	struct rec_hop *hops;
	struct rec_slot *slots;
	struct rec_flow *flows;
	struct rec_link *links;
	struct rec_aslink *aslinks;
	struct rec_lse *mpls;
	size_t naddrs, nhops, nslots, nflows, nlinks, naslinks, nmpls;

	/* parts skipped, with the first reason */
	size_t bad_hops, bad_nodes;
	char bad_hop_why[96], bad_node_why[96];
	/* rec_parse() failed: the reason; too_large when it is the
	 * record's size (too many links) */
	const char *fail;
	char fail_buf[128];
	int too_large;
	/* RIPE Atlas: probe and measurement ids, -1 for other sources */
	int64_t prb_id, msm_id;

	/* private */
	size_t cap_addrs, cap_hops, cap_slots, cap_flows, cap_links;
	size_t cap_aslinks, cap_mpls, cap_tmp, cap_fl;
	struct htab addr_ht;
	void *tmp;	     /* pairs, before they are made distinct */
	char method_buf[32], stop_buf[32]; /* warts: the names' text */
	int64_t *fl;	     /* tracelb flow ids */
};

void rec_init(struct rec *);
void rec_free(struct rec *);
/*
 * Fill r from a trace or tracelb object.  0; or -1 when the record is
 * unusable, with the reason in err.  Strings point into obj and meta.
 */
int rec_parse(struct rec *r, const sj_t *obj, const struct rd_meta *meta,
    const struct rec_opts *, char *err, size_t errlen);
/*
 * The same from a warts trace or tracelb (type: SCAMPER_FILE_OBJ_TRACE
 * or _TRACELB, obj: scamper_trace_t or scamper_tracelb_t).
 */
int rec_warts(struct rec *r, int type, const void *obj,
    const struct rd_meta *meta, const struct rec_opts *, char *err,
    size_t errlen);
/* Address text: "*" for REC_NONE. */
const char *rec_addr_str(const struct rec *, uint32_t idx);

#endif
