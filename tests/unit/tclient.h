/*
 * tclient: a minimal engine client on simnet, for the engine's unit tests
 * (test_engine, test_engine_timer): it sends its probes TTL by TTL and
 * records every callback.
 */
#ifndef HOPLITE_TCLIENT_H
#define HOPLITE_TCLIENT_H

#include <sys/time.h>

#include "probe/engine.h"
#include "probe/pkt.h"
#include "simnet.h"

#define MAX_EVENTS	256

enum { CB_REPLY = 1, CB_TIMEOUT, CB_ERROR, CB_LATE };

struct tev {
	int kind;
	struct engine_sent s;
	struct pkt_reply r;
	struct timeval at;
	unsigned n;		/* its place among every client's events */
	int err;
};

struct tclient {
	struct engine_client c;
	struct env *env;
	struct pkt_flow flow;
	const struct pkt_method *m;
	unsigned to_send, next_ttl, wait_ms, late_ms;
	unsigned rounds;	/* probes still to send, one after each reply */
	struct tev ev[MAX_EVENTS];
	unsigned nev, nreply, ntimeout, nerror, nlate;
	/* engine_cancel and free the client in its first callback */
	int free_in_cb;
	int *freed;
};

struct env {
	struct event_base *base;
	struct simnet *sn;
	struct engine *eng;
	unsigned pending;	/* callbacks still expected; 0 stops the loop */
	unsigned nev;		/* events recorded, every client's */
};

extern const struct engine_client_ops tc_ops;
/* The same client, opted in to late_ms. */
extern const struct engine_client_ops tc_late_ops;

double tv_diff(const struct timeval *, const struct timeval *);
void env_init(struct env *, unsigned pps, unsigned burst);
void env_free(struct env *);
struct tclient *client_new_size(struct env *, const struct pkt_method *,
    const char *dst, uint32_t flowid, unsigned nprobes, unsigned wait_ms,
    uint16_t size);
struct tclient *client_new(struct env *, const struct pkt_method *,
    const char *dst, uint32_t flowid, unsigned nprobes, unsigned wait_ms);
void client_free(struct env *, struct tclient *);
/* Build a reply to probe p and feed it to the engine now. */
void feed(struct env *, const struct simnet_probe *, enum simnet_kind,
    const struct addr_ip *from, unsigned flags);
/* The probe simnet saw from flow f at ttl. */
const struct simnet_probe *probe_of(struct env *, const struct pkt_flow *,
    unsigned ttl);

#endif
