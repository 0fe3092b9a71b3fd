/*
 * trace: the Paris traceroute algorithm on top of the engine.
 *
 * TTLs are probed hop by hop while they answer; past a silent TTL the next
 * ones open after an adaptive wait (a multiple of the RTTs seen), so a
 * silent hop costs round trips, not -W, and a silent tail about two
 * timeouts.  Stop
 * conditions are judged in TTL order, so the result does not depend on the
 * order in which replies arrive.
 */
#ifndef HOPLITE_TRACE_H
#define HOPLITE_TRACE_H

#include <stdint.h>
#include <sys/time.h>

#include "util/addr.h"
#include "probe/engine.h"
#include "probe/pkt.h"

enum trace_stop {
	TRACE_STOP_NONE = 0,
	TRACE_STOP_COMPLETED,	/* the destination answered */
	TRACE_STOP_UNREACH,	/* ICMP destination unreachable; stop_data = code */
	TRACE_STOP_ICMP,	/* another ICMP error; stop_data = type */
	TRACE_STOP_LOOP,	/* an address repeated at non-adjacent TTLs */
	TRACE_STOP_GAPLIMIT,	/* gaplimit consecutive silent TTLs */
	TRACE_STOP_ERROR,	/* no route, send failure; stop_data = errno */
	TRACE_STOP_HOPLIMIT,	/* max TTL reached without the destination */
	TRACE_STOP_HALTED,	/* stopped from outside (shutdown, deadline) */
};

struct trace_conf {
	const struct pkt_method *method;
	uint32_t flowid;
	uint16_t sport;		/* 0 = method default; flow F uses sport + F */
	uint16_t dport;		/* 0 = method default */
	uint16_t size;		/* 0 = method default */
	uint8_t tos;
	uint8_t first_ttl;	/* default 1 */
	uint8_t max_ttl;	/* default 30 */
	uint8_t attempts;	/* tries per TTL until a reply; default 2 */
	uint8_t gaplimit;	/* default 5 */
	uint8_t window;		/* at most TTLs open beyond the highest answer
				   (and never more than gaplimit); default 8 */
	uint8_t all_attempts;	/* send every attempt even after a reply */
	unsigned wait_ms;	/* per probe; default 2000 */
};

/* One reply (silent TTLs have none). */
struct trace_hop {
	struct addr_ip addr;
	uint8_t probe_ttl, probe_id;	/* probe_id: attempt, 1-based */
	uint16_t probe_size;
	uint32_t tx_us;			/* sent, microseconds after the start
					   (trace_hop_tx: the time) */
	uint32_t rtt_us;
	uint8_t reply_ttl, reply_tos;
	uint16_t reply_ipid, reply_size;
	uint8_t is_tcp;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint8_t has_quote;
	uint8_t q_ttl, q_tos;
	uint8_t next;
	uint16_t q_ipl;
	struct pkt_ext *ext;		/* next objects (RFC 4884), NULL if none;
					   owned by the trace */
};

struct trace_result {
	struct trace_conf conf;		/* with defaults filled in */
	struct pkt_flow flow;		/* src, dst, ports, icmp_sum, ... */
	uint8_t stop_reason;		/* enum trace_stop */
	uint8_t stop_data;
	uint8_t hop_count;		/* highest TTL that counts (the destination's) */
	unsigned probe_count;		/* probes sent */
	uint32_t nhops;
	uint64_t end_us;		/* when it stopped, microseconds after
					   the start (trace_end: the time) */
	struct timeval start;		/* wall clock when the trace began */
	struct trace_hop *hops;		/* ordered by probe_ttl, then probe_id */
};

/* When the hop's probe was sent, and when the trace stopped (wall clock). */
void trace_hop_tx(const struct trace_result *, const struct trace_hop *,
    struct timeval *);
void trace_end(const struct trace_result *, struct timeval *);

struct trace;

/* What the trace tells its owner, with the arg given to trace_new. */
struct trace_cbs {
	/* It stopped, for any reason (also when it could not start: stop
	 * reason ERROR).  Runs once. */
	void (*done)(struct trace *, void *arg);
	/*
	 * NULL, or told as TTLs settle, in TTL order: every TTL up to `ttl`
	 * is final (a router answered, or every attempt went unanswered),
	 * for a display that prints hop by hop.  The TTLs that end the
	 * trace come with `done` instead.  It must not free or stop the
	 * trace; it changes nothing in the result.
	 */
	void (*settled)(struct trace *, unsigned ttl, void *arg);
};

/* Fill unset (zero) fields with defaults; -1 with a message if invalid. */
int trace_conf_finish(struct trace_conf *, int family, char *err, size_t errlen);

/*
 * A trace toward dst.  The source address comes from the engine.  `cbs`
 * must outlive the trace (a static table).  NULL only on allocation
 * failure or invalid conf.
 */
struct trace *trace_new(struct engine *, const struct trace_conf *,
    const struct addr_ip *dst, const struct trace_cbs *cbs, void *arg);
void trace_start(struct trace *);
/* Stop now with HALTED (keeping what was measured); runs `done`. */
void trace_halt(struct trace *);
const struct trace_result *trace_result(const struct trace *);
void trace_free(struct trace *);

const char *trace_stop_name(enum trace_stop);

#endif
