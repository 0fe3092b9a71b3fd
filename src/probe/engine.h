/*
 * engine: many measurements' probes in one process.
 *
 * Clients (traces, later MDA) hand the engine probes when it asks for them;
 * the engine paces all clients together under one packets-per-second token
 * bucket (round robin between running clients; a feeder, if set, starts
 * new ones only with tokens no running client wants), gives each probe an
 * identity drawn from a keyed hash of a per-run secret, builds it with the
 * method, sends it through the I/O layer, and routes every reply to the
 * client owning the probe.  A reply is found by its probe's tag (with ports and addresses an
 * off-path sender can guess) and must prove at least 32 bits of that keyed
 * identity, tag included, and 64 or more where the quote is long enough
 * (pkt.h has the table); anything else is counted and dropped.
 *
 * The I/O layer is swappable: netio.c is the real one (raw sockets,
 * libpcap, libdnet); tests plug in a simulated network.  Probes are built
 * with libnet.
 */
#ifndef HOPLITE_ENGINE_H
#define HOPLITE_ENGINE_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "util/addr.h"
#include "probe/pkt.h"

struct event_base;
struct engine;

struct engine_io {
	/* Send one IP packet (header included).  0, or -1 with errno set. */
	int (*send)(void *ctx, int family, const uint8_t *pkt, size_t len);
	/* Source address this host uses toward dst.  0, or -1 (no route). */
	int (*source)(void *ctx, const struct addr_ip *dst, struct addr_ip *src);
	void *ctx;
};

struct engine_conf {
	unsigned pps;		/* probes per second, all clients together */
	unsigned burst;		/* token bucket depth; 0 = pps/100, at least 1 */
};

/* What a client asks to send. */
struct engine_probe_req {
	const struct pkt_method *method;
	const struct pkt_flow *flow;	/* must stay valid while in flight */
	uint8_t ttl;
	uint8_t attempt;		/* 1-based */
	unsigned wait_ms;		/* timeout after the probe leaves */
	/* 0, or a shorter wait after which ops->on_late runs: the probe
	 * stays in flight (a reply still counts) until wait_ms. */
	unsigned late_ms;
	uint32_t cookie;		/* the client's own reference */
};

/* A probe the engine sent, as reported back to its client. */
struct engine_sent {
	uint32_t cookie;
	uint8_t ttl, attempt;
	uint16_t size;
	/* When it left, microseconds since the epoch: the capture timestamp
	 * when seen, else the clock (engine_sent_tx: as a timeval). */
	uint64_t tx_us;
	uint8_t tx_pcap;	/* tx_us is the capture timestamp */
	uint8_t late;		/* on_late ran for it */
	uint8_t has_mac;	/* its payload carries ident.mac */
	struct pkt_ident ident;
};

static inline struct timeval
engine_sent_tx(const struct engine_sent *s)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(s->tx_us / 1000000);
	tv.tv_usec = (suseconds_t)(s->tx_us % 1000000);
	return tv;
}

struct engine_client_ops {
	/* Fill req with the next probe; 1 if filled, 0 if nothing to send now. */
	int (*next_probe)(void *owner, struct engine_probe_req *req);
	/* A reply matched probe `s`; rx is its capture timestamp. */
	void (*on_reply)(void *owner, const struct engine_sent *s,
	    const struct pkt_reply *r, const struct timeval *rx);
	/* Probe `s` got no reply within its wait. */
	void (*on_timeout)(void *owner, const struct engine_sent *s);
	/* Probe `s` could not be built or sent; errno-style code. */
	void (*on_error)(void *owner, const struct engine_sent *s, int err);
	/* Probe `s` has been out for its late_ms; it is still in flight.
	 * NULL: late_ms is ignored. */
	void (*on_late)(void *owner, const struct engine_sent *s);
	/* Where the struct engine_client is in the owner (offsetof): the
	 * engine finds the owner from it, and keeps no pointer to it. */
	size_t client_offset;
};

/* Embedded in each client; opaque to it. */
struct engine_client {
	const struct engine_client_ops *ops;
	TAILQ_ENTRY(engine_client) ready_entry;
	uint32_t pending;		/* its probes in flight: a record index */
	uint32_t inflight : 31;
	uint32_t queued : 1;
};

struct engine_stats {
	uint64_t probes_sent;
	uint64_t send_errors;
	uint64_t replies_matched;
	uint64_t replies_unmatched;	/* no probe in flight with that key */
	/* Key matched a probe in flight, the proof (IP ID, seq32, MAC) did
	 * not: forged, or mangled on the way; the probe stays in flight. */
	uint64_t replies_forged;
	uint64_t packets_ignored;	/* not a probe or an answer to one */
	uint64_t tx_seen;		/* our probes seen leaving by the capture */
	uint64_t timeouts;
	uint64_t late;		/* probes past their late_ms (still in flight then) */
	/* Bytes held for probes in flight: record slabs, the deadline heap
	 * and the lookup table.  They are kept for reuse, so this is what
	 * the most probes ever in flight at once needed. */
	uint64_t mem_bytes;
};

struct engine *engine_new(struct event_base *, const struct engine_conf *,
    const struct engine_io *);
void engine_free(struct engine *);

/* A random per-run secret is drawn in engine_new; tests may fix it. */
void engine_set_secret(struct engine *, uint64_t k0, uint64_t k1);

int engine_source(struct engine *, const struct addr_ip *dst, struct addr_ip *src);

/* owner: the struct holding c, at ops->client_offset (checked). */
void engine_client_init(struct engine_client *c,
    const struct engine_client_ops *ops, void *owner);
/* The client has probes to send: queue it for the next free tokens. */
void engine_wake(struct engine *, struct engine_client *);
/* Forget the client: dequeue it and drop its probes in flight (no callbacks). */
void engine_cancel(struct engine *, struct engine_client *);

/*
 * Depth-first: when a token is free and no client has a probe ready, the
 * engine calls feed(arg), which may start one more client (waking it);
 * it returns 1 if it started one, 0 when it has nothing more to start
 * for now.  After a 0, engine_kick asks again (when more may start).
 * Running clients are thus always served before new ones begin.
 */
void engine_set_feeder(struct engine *, int (*feed)(void *), void *arg);
void engine_kick(struct engine *);

/*
 * Feed one captured IP packet.  `outgoing` marks packets seen leaving this
 * host (our own probes, which give the tx timestamps).  Called by the I/O
 * layer; callbacks to clients run from here.
 */
void engine_input(struct engine *, const uint8_t *ip, size_t len,
    const struct timeval *ts, int outgoing);

const struct engine_stats *engine_stats(const struct engine *);
/* The event loop the engine runs on (clients arm their own timers on it). */
struct event_base *engine_base(const struct engine *);

#endif
