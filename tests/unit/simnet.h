/*
 * simnet: a simulated network behind struct engine_io, so the engine and the
 * algorithms run without root on a real libevent loop.
 *
 * Every probe sent is parsed from its bytes (independently of pkt_parse),
 * checked (IP and transport checksums), recorded, fed back to the engine as
 * an outgoing capture, and answered after a per-hop delay with real reply
 * bytes (correct checksums, IPv4 and IPv6) according to the destination's
 * topology.  Tests can also build replies to recorded probes themselves,
 * altered the way an off-path attacker or a broken router would, and inject
 * them.
 */
#ifndef HOPLITE_SIMNET_H
#define HOPLITE_SIMNET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "util/addr.h"
#include "probe/engine.h"

#define SIMNET_MAX_TTL	64	/* hops a topology can describe */

struct event_base;
struct simnet;

/* The fields a load balancer may hash, as they left in one probe. */
struct simnet_hashed {
	int family;
	uint8_t proto, tos;
	struct addr_ip src, dst;
	uint16_t sport, dport;		/* ICMP: echo id, 0 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_sum;
	uint32_t flowlabel;		/* IPv6 */
	uint16_t len;			/* IP total length */
};

/* One probe as it left. */
struct simnet_probe {
	struct timeval tx;		/* also the outgoing capture timestamp */
	struct simnet_hashed h;
	uint8_t ttl;
	uint16_t ipid;			/* IPv4 */
	uint16_t tag;			/* transport bytes 6-7: UDP sum, ICMP seq, TCP seq low */
	uint32_t seq, ack;		/* TCP */
	uint8_t tcp_flags;
	size_t replies_before;		/* replies handed to the engine before it left */
	uint8_t parsed;			/* a well-formed IPv4/IPv6 UDP/TCP/echo probe */
	uint8_t sums_ok;		/* IP header and transport checksums verify */
	uint8_t *bytes;
	size_t len;
};

/*
 * Multipath topologies (simnet_node_add): a graph of routers from the
 * first hop on.  A router forwards a probe to one of its next hops chosen
 * by a hash of the probe's hashed fields and the router's own seed
 * (per-flow balancing, as the lab's nftables routers), or at random
 * (per-packet).  SIMNET_NODE_DEST as a next hop is the destination.
 */
#define SIMNET_MAX_NODES	64
#define SIMNET_MAX_NEXT		16
#define SIMNET_NODE_DEST	0xffff
#define SIMNET_PP_RANDOM	1	/* per packet: a random next hop */
#define SIMNET_PP_ROUND		2	/* per packet: next hops in turn */

/* What a router's hash covers (simnet_dest.hash_fields). */
#define SIMNET_HASH_L4		0x1	/* first four transport bytes: ports,
					   or ICMP type, code and checksum */
#define SIMNET_HASH_FLOWLABEL	0x2	/* IPv6 flow label */
#define SIMNET_HASH_ADDRS	0x4	/* addresses and protocol */

struct simnet_node {
	struct addr_ip addr;
	uint16_t next[SIMNET_MAX_NEXT];
	unsigned nnext;
	uint32_t seed;			/* default: from its index */
	uint8_t silent;			/* forwards, never answers */
	uint8_t perpacket;		/* SIMNET_PP_*: next hop per packet */
	unsigned rr;			/* SIMNET_PP_ROUND: packets so far */
	unsigned loss_pct;		/* answers lost, percent */
};

/* What a destination does with probes that reach it (or its path). */
struct simnet_dest {
	struct addr_ip dst;
	unsigned dist;			/* TTL that reaches dst; routers at 1..dist-1 */
	struct addr_ip hop[SIMNET_MAX_TTL + 1];	/* router at each hop */
	/* ECMP: from hop ecmp_ttl on, flow key k (sport or echo id) takes
	 * branch k % ecmp_width, the router's last address byte + branch. */
	unsigned ecmp_ttl, ecmp_width;
	uint8_t silent[SIMNET_MAX_TTL + 1];	/* never answers; [dist]: black hole */
	uint8_t short_quote[SIMNET_MAX_TTL + 1];	/* IP header + 8 transport bytes (RFC 792) */
	uint8_t trunc_quote[SIMNET_MAX_TTL + 1];	/* IP header + 4 bytes */
	uint32_t mpls[SIMNET_MAX_TTL + 1];	/* label to attach (RFC 4950); 0 none */
	unsigned delay_ms[SIMNET_MAX_TTL + 1];	/* reply delay by hop; default = hop */
	/* A router at unreach_ttl (> 0) answers unreachable(unreach_code) to
	 * every probe reaching it. */
	unsigned unreach_ttl;
	uint8_t unreach_code;
	/* A forwarding loop: from loop_ttl on, hops cycle through
	 * loop_ttl .. loop_ttl + loop_len - 1; the destination is never reached. */
	unsigned loop_ttl, loop_len;
	uint8_t tcp_closed;		/* SYN answered with RST-ACK, not SYN-ACK */
	unsigned dup;			/* extra copies of every reply */
	unsigned spoof;			/* SIMNET_F_BAD_*: also send such a forgery */
	unsigned nprobes;		/* probes seen toward dst */
	/* A graph of routers (nnodes > 0): node 0 is the first hop; dist,
	 * hop[], ecmp_*, loop_*, unreach_* do not apply then. */
	struct simnet_node node[SIMNET_MAX_NODES];
	unsigned nnodes;
	unsigned hash_fields;		/* SIMNET_HASH_*; 0 = all of them */
	uint8_t blackhole;		/* graph: the destination never answers */
	unsigned dest_loss_pct;		/* graph: its answers lost, percent */
};

enum simnet_kind {
	SIMNET_TIMXCEED = 1,		/* v4 11/0, v6 3/0 */
	SIMNET_UNREACH,			/* v4 3/code, v6 1/code */
	SIMNET_DEST,			/* the destination's own answer to the probe */
};

/* Alterations of a reply (flags). */
#define SIMNET_F_SHORT_QUOTE	0x001	/* quote IP header + 8 transport bytes;
					 * an echo reply: no data */
#define SIMNET_F_TRUNC_QUOTE	0x002	/* quote IP header + 4 transport bytes */
#define SIMNET_F_MPLS		0x004	/* RFC 4884 extension with one MPLS label */
#define SIMNET_F_BAD_TAG	0x010	/* tag (transport bytes 6-7) altered */
#define SIMNET_F_BAD_IPID	0x020	/* quoted IPv4 ID altered */
#define SIMNET_F_BAD_SEQ	0x040	/* TCP sequence, high 16 bits altered */
#define SIMNET_F_BAD_DST	0x080	/* the probe's destination altered */
#define SIMNET_F_BAD_PORT	0x100	/* source port / echo id altered */
#define SIMNET_F_BAD_MAC	0x200	/* payload MAC altered, where quoted or
					 * echoed (transport bytes 10-17, TCP
					 * 20-27, if the probe has them) */

struct simnet_reply_spec {
	enum simnet_kind kind;
	uint8_t code;			/* UNREACH: the code; DEST: != 0 closed TCP port */
	struct addr_ip from;		/* unset: the probe's destination */
	unsigned flags;
	uint32_t mpls_label;
	uint8_t reply_ttl;		/* 0: 64 */
	uint8_t q_ttl;			/* TTL in the quote; 0: 1 */
};

/*
 * An event base whose timers use the precise monotonic clock: libevent's
 * default (CLOCK_MONOTONIC_COARSE) fires timers up to a tick early, which
 * tests that check delays and timeouts cannot tolerate.
 */
struct event_base *simnet_base_new(void);
/* Count (and print) libevent's warnings from now on; how many so far. */
void simnet_count_libevent_warnings(void);
int simnet_libevent_warnings(void);
/* CLOCK_MONOTONIC in seconds, and in milliseconds. */
double simnet_now_s(void);
long long simnet_now_ms(void);
/*
 * For tests of other event-driven modules: a timer that wakes the loop
 * every 5 ms (so loops run with EVLOOP_ONCE can watch the clock; free it
 * with event_free), and running any loop for ms milliseconds.
 */
struct event *simnet_ticker(struct event_base *);
void simnet_loop_for(struct event_base *, unsigned ms);
struct simnet *simnet_new(struct event_base *);
void simnet_free(struct simnet *);
/* The I/O operations for engine_new; then attach the engine. */
void simnet_io(struct simnet *, struct engine_io *);
void simnet_attach(struct simnet *, struct engine *);
/*
 * The tests' common set-up: a precise-timer event base, a simulated network
 * and an engine (pps, burst) sending through it.  Aborts on failure.
 */
struct engine *simnet_engine(unsigned pps, unsigned burst,
    struct event_base **base, struct simnet **sn);
void simnet_engine_free(struct engine *, struct simnet *, struct event_base *);

/* Source addresses (numeric); a family without one has no route. */
int simnet_set_source(struct simnet *, const char *v4, const char *v6);
/* io->source fails for every destination. */
void simnet_fail_source(struct simnet *, int on);
/* Sends after the first `after` fail with errno err (err 0: never fail). */
void simnet_fail_send(struct simnet *, unsigned after, int err);
/* Answer probes from the topologies (default on); off: only record. */
void simnet_set_auto(struct simnet *, int on);
/* Feed probes back as outgoing captures (default on). */
void simnet_set_capture(struct simnet *, int on);

/* A destination `dist` hops away with generated router addresses. */
struct simnet_dest *simnet_dest_add(struct simnet *, const char *dst,
    unsigned dist);
struct simnet_dest *simnet_dest_find(struct simnet *, const struct addr_ip *);
int simnet_dest_set_hop(struct simnet_dest *, unsigned ttl, const char *addr);
/* The router a probe of flow key k meets at `hop`. */
void simnet_router(const struct simnet_dest *, unsigned hop, uint16_t k,
    struct addr_ip *);

/* A router of the graph (node 0 first: the first hop); its index or -1. */
int simnet_node_add(struct simnet_dest *, const char *addr);
/* A next hop of router `from`: a router, or SIMNET_NODE_DEST.  0 or -1. */
int simnet_node_link(struct simnet_dest *, int from, int to);
/* The routers a probe of these hashed fields meets at hops 1.. (indices),
 * per-packet routers taken as their first next hop; the hop count to the
 * destination, or -1 if none within `max`. */
int simnet_walk(const struct simnet_dest *, const struct simnet_hashed *,
    int *path, unsigned max);
/* Seed the random draws (per-packet routers, losses); fixed by default. */
void simnet_seed(struct simnet *, uint64_t seed);
/* The next random draw. */
uint32_t simnet_rand(struct simnet *);
/* What a graph does with probe p (simnet.c calls it). */
void simnet_graph_respond(struct simnet *, struct simnet_dest *,
    const struct simnet_probe *p);

/* Probes sent so far, in order. */
size_t simnet_nprobes(const struct simnet *);
const struct simnet_probe *simnet_probe(const struct simnet *, size_t i);
int simnet_hashed_eq(const struct simnet_hashed *, const struct simnet_hashed *);
/* Replies handed to the engine so far. */
size_t simnet_ninjected(const struct simnet *);

/* Build a reply to probe p; its length, or -1. */
int simnet_reply_build(const struct simnet_probe *p,
    const struct simnet_reply_spec *, uint8_t *buf, size_t cap);
/* Hand pkt to the engine as a capture after delay_ms (copied). */
void simnet_inject(struct simnet *, const uint8_t *pkt, size_t len,
    unsigned delay_ms);

/*
 * Run the loop until simnet_stop or timeout_ms; 0 when stopped (or nothing
 * was left to run), -1 on the timeout.
 */
int simnet_run(struct simnet *, unsigned timeout_ms);
void simnet_stop(struct simnet *);
/* Run the loop for ms milliseconds. */
void simnet_run_for(struct simnet *, unsigned ms);

#endif
