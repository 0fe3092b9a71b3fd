/*
 * out: results as scamper-compatible JSON (jansson), readable text and
 * Graphviz: Paris traces (`trace`, out_json.c and out_text.c) and
 * multipath detection (`tracelb`, out_tracelb.c and out_tracelb_text.c).
 */
#ifndef HOPLITE_OUT_H
#define HOPLITE_OUT_H

#include <stdio.h>
#include <jansson.h>

#include "measure/mda.h"
#include "measure/trace.h"
#include "measure/watch.h"

/*
 * What a writer may add to a result: hop names (PTR), origin ASes and the
 * destination as the user wrote it.  Every member may be NULL.
 */
struct out_extra {
	/* The name of an address, or NULL (none, or not back in time). */
	const char *(*name)(const struct addr_ip *, void *arg);
	/* The origin AS of an address ("64500", "64500_64501"), or NULL. */
	const char *(*asn)(const struct addr_ip *, void *arg);
	void *arg;
	const char *dst_name;
};

/*
 * A scamper `trace` object with scamper's field names (see hoplite-json(5)),
 * plus hoplite's own ("flowid", "hoplite_version"...).  With x->name, hops
 * get scamper's "name" (as scamper -O ptr writes it).  NULL on allocation
 * failure.
 */
json_t *out_trace_json(const struct trace_result *);
json_t *out_trace_json_x(const struct trace_result *, const struct out_extra *);
/*
 * Flags for dumping such objects: compact, keys in insertion order, and
 * reals with 10 significant digits so an RTT prints as 0.123 rather than
 * 0.12300000000000001 (RTTs are whole microseconds below 2^32, so 10
 * digits are exact).
 */
#define OUT_JSON_FLAGS	(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
/* One compact JSON line followed by '\n'.  0 or -1. */
int out_trace_json_line(FILE *, const struct trace_result *);
int out_trace_json_line_x(FILE *, const struct trace_result *,
    const struct out_extra *);
/* A traceroute-like table with every RTT.  0 or -1. */
int out_trace_text(FILE *, const struct trace_result *);
int out_trace_text_x(FILE *, const struct trace_result *,
    const struct out_extra *);
/*
 * The same table piece by piece, for a trace still running: the header,
 * one TTL (settled: it will not change), and the TTLs from `from` to the
 * last with the stop line (once the trace is done).  0 or -1.
 */
int out_trace_text_head(FILE *, const struct trace_result *,
    const struct out_extra *);
int out_trace_text_ttl(FILE *, const struct trace_result *, unsigned ttl,
    const struct out_extra *);
int out_trace_text_tail(FILE *, const struct trace_result *, unsigned from,
    const struct out_extra *);

/*
 * A scamper `tracelb` object: scamper's keys, order and nesting, hoplite's
 * own keys just before "nodes" (see hoplite-json(5)).  NULL on allocation
 * failure.
 */
json_t *out_tracelb_json(const struct mda_result *);
/* With x->name, nodes get scamper's "name" (as scamper -O ptr). */
json_t *out_tracelb_json_x(const struct mda_result *,
    const struct out_extra *);
/* One compact JSON line followed by '\n'.  0 or -1. */
int out_tracelb_json_line(FILE *, const struct mda_result *);
/* A multipath table: per TTL the addresses, RTTs and links.  0 or -1.
 * With x: names beside addresses, the destination as typed. */
int out_tracelb_text(FILE *, const struct mda_result *);
int out_tracelb_text_x(FILE *, const struct mda_result *,
    const struct out_extra *);
/*
 * A Graphviz subgraph (cluster) of the measurement's vertices and links,
 * its node names prefixed by `id`; the caller writes `digraph ... {` before
 * the first and `}` after the last.  0 or -1.
 */
int out_tracelb_dot(FILE *, const struct mda_result *, unsigned id);

/* hoplite watch: what its writers show beside the rows. */
struct out_watch_info {
	const struct addr_ip *src, *dst;
	const char *method;
	uint32_t flow_lo;
	unsigned cycle;
	const struct timeval *time;	/* when the cycle ended */
};
/* The rows as a table (mtr's report columns).  0 or -1. */
int out_watch_text(FILE *, const struct out_watch_info *,
    const struct watch_row *, size_t n, const struct out_extra *);
/* One line: {"type":"watch","cycle":N,...,"rows":[...]}.  0 or -1. */
int out_watch_json_line(FILE *, const struct out_watch_info *,
    const struct watch_row *, size_t n, const struct out_extra *);

/* Helpers the JSON writers share.  The setters accept a NULL value (a
 * failed allocation) and return -1 for it, so a builder checks once. */
int out_json_set_int(json_t *, const char *key, json_int_t);
int out_json_set_str(json_t *, const char *key, const char *);
int out_json_set_addr(json_t *, const char *key, const struct addr_ip *);
/* {sec, usec[, ftime]}: ftime is UTC "%Y-%m-%d %H:%M:%S". */
json_t *out_json_time(const struct timeval *, int with_ftime);
/* RFC 4884 objects as scamper's "icmpext" (MPLS labels decoded). */
json_t *out_json_icmpext(const struct pkt_ext *, uint8_t next);
/* Dump `o` with OUT_JSON_FLAGS as one line and flush.  0 or -1. */
int out_json_write_line(FILE *, const json_t *);

#endif
