/*
 * rec_priv: what the record model (rec.c) and its readers (rec_scamper.c
 * for scamper JSON, rec_atlas.c for RIPE Atlas, rec_warts.c for warts)
 * share.  Not for the formats.
 */
#ifndef HOPLITE_CONVERT_REC_PRIV_H
#define HOPLITE_CONVERT_REC_PRIV_H

#include "rec.h"

/* An integer member, or def when absent or not an integer.  Inline: so
 * is sj_get() with its constant key. */
static inline int64_t
rec_jint(const sj_t *o, const char *key, int64_t def)
{
	const sj_t *v = sj_get(o, key);

	return sj_is_integer(v) ? (int64_t)sj_integer(v) : def;
}
/* A string member, or "" when absent or not a string. */
static inline const char *
rec_jstr(const sj_t *o, const char *key)
{
	const char *s = sj_string(sj_get(o, key));

	return s != NULL ? s : "";
}
/* An RTT in ms as usec, or -1. */
int64_t rec_rtt(const sj_t *);
int rec_ttl_ok(int64_t ttl);
/* Count a skipped hop; the first reason is kept. */
void rec_bad_hop(struct rec *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* dst (-1 when not an address) and src, anonymized as opt asks. */
int rec_set_ends(struct rec *, const char *dst, const char *src,
    const struct rec_opts *);
/* A hop address: REC_NONE for "" and "*", -1 for no address. */
int rec_hop_addr_str(struct rec *, const char *s, const struct rec_opts *,
    uint32_t *idx);
int rec_add_slot(struct rec *, int64_t flowid, int ttl, uint32_t addr);
/* A hop row with every value unknown; NULL when out of memory.  The
 * pointer is good until the next rec_hop_new(). */
struct rec_hop *rec_hop_new(struct rec *, uint32_t addr, int64_t flowid,
    int ttl, int probe_id);
/* The hop is filled in: the address's statistics, and its path slot. */
int rec_hop_done(struct rec *, const struct rec_hop *, int slot);
/* One MPLS label stack entry for the last hop; out-of-range values are
 * unknown (-1), a bad label is dropped. */
void rec_lse_add(struct rec *, struct rec_hop *, int64_t label, int64_t tc,
    int64_t s, int64_t ttl);
void rec_bad_node(struct rec *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A record starts: everything from the last one forgotten. */
void rec_reset(struct rec *, const struct rd_meta *);
/* It ends (rc: what filling it returned): links, AS links, the error. */
int rec_done(struct rec *, int rc, const struct rec_opts *, char *err,
    size_t errlen);
/*
 * tracelb: the flow ids of the probes, so that the first node is each
 * flow's first hop (first: its address).
 */
struct rec_lbflows {
	int64_t *fl;
	size_t n;
};
void rec_lbflows_begin(struct rec *, struct rec_lbflows *);
int rec_lbflows_add(struct rec *, struct rec_lbflows *, int64_t flowid);
int rec_lbflows_end(struct rec *, struct rec_lbflows *, uint32_t first);
/* A scamper trace or tracelb object (hoplite's, M-Lab's, raw). */
int rec_scamper(struct rec *, const sj_t *, const struct rec_opts *);
/* A RIPE Atlas traceroute result ("type":"traceroute"). */
int rec_atlas(struct rec *, const sj_t *, const struct rec_opts *);

#endif
