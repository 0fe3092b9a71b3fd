/*
 * mda: multipath detection (MDA and MDA-Lite) on top of the engine.
 *
 * One measurement toward one destination enumerates the load-balanced
 * paths by sending probes of many Paris flows (flow ids 0, 1, 2, ...) at
 * the TTLs the stopping rule still needs.  Many (flow, TTL) probes of one
 * measurement are in flight at once under a per-measurement window, and
 * the engine's one token bucket paces every measurement together.
 *
 * The result keeps every probe with its reply, the vertices (address and
 * quoted TTL, as scamper's tracelb nodes) and the links between vertices
 * that a single flow saw at consecutive answered TTLs.  Writers
 * (output/out_tracelb.c) build scamper's `tracelb` JSON, a text table and
 * a Graphviz graph from it.
 *
 * Links are flow-consistent: (v(f,t), v(f,t+1+gap)) for a flow f answered
 * at both TTLs and silent at the `gap` TTLs between.  Across a vertex
 * flagged per-packet no link is inferred that no single flow saw: the
 * balancer's own links are kept, and after it (where the vertex a flow
 * meets depends on the packet) only links into a TTL with one vertex,
 * until such a TTL.
 */
#ifndef HOPLITE_MDA_H
#define HOPLITE_MDA_H

#include <stdint.h>
#include <sys/time.h>

#include "util/addr.h"
#include "probe/engine.h"
#include "probe/pkt.h"

#define MDA_MAX_FLOWS	4096	/* flows per measurement */

enum mda_stop {
	MDA_STOP_NONE = 0,
	MDA_STOP_COMPLETED,	/* every branch ended and the rule is met */
	MDA_STOP_GAPLIMIT,	/* every open branch hit gaplimit silent hops */
	MDA_STOP_HOPLIMIT,	/* max TTL reached on some branch */
	MDA_STOP_PROBEC_MAX,	/* the probe budget ran out */
	MDA_STOP_HALTED,	/* stopped from outside (shutdown, deadline) */
	MDA_STOP_ERROR,		/* no route, send failure; stop_data = errno */
	MDA_STOP_LOOP,		/* every branch ended in a forwarding loop (a
				   flow met one vertex at TTLs 2+ apart) */
};

enum mda_rule {
	MDA_RULE_LITE = 0,	/* MDA-Lite, full MDA where its tests fail */
	MDA_RULE_FULL,		/* per-vertex MDA everywhere (--full) */
};

/*
 * Which header field the flow id varies (scamper's tracelb method names,
 * plus the IPv6 flow label alone).  Every other hashed field stays a
 * constant of the measurement.
 */
enum mda_method {
	MDA_ICMP_ECHO = 0,	/* icmp-echo: ICMP checksum */
	MDA_UDP_DPORT,		/* udp-dport */
	MDA_UDP_SPORT,		/* udp-sport */
	MDA_TCP_SPORT,		/* tcp-sport (SYN) */
	MDA_TCP_ACK_SPORT,	/* tcp-ack-sport */
	MDA_FLOWLABEL,		/* flowlabel: IPv6 flow label only (ICMP echo) */
	MDA_NMETHODS,
};

struct mda_conf {
	enum mda_method method;
	enum mda_rule rule;
	uint8_t confidence;	/* 95 (default) or 99 */
	uint16_t sport;		/* 0 = method default; base for *-sport */
	uint16_t dport;		/* 0 = method default; base for udp-dport */
	uint16_t size;		/* 0 = method default */
	uint8_t tos;
	uint8_t flowlabel_fixed; /* IPv6: keep the flow label constant (0) */
	uint8_t first_ttl;	/* default 1 */
	uint8_t max_ttl;	/* default 30 */
	uint8_t attempts;	/* tries per (flow, TTL); default 2 */
	uint8_t gaplimit;	/* consecutive silent hops per branch; default 3 */
	uint8_t window;		/* probes in flight per measurement; default 16 */
	unsigned wait_ms;	/* per probe; default 5000 (the next attempt
				   leaves after min(wait, 1 s); a late answer
				   still counts) */
	unsigned probe_gap_ms;	/* spacing of this measurement's probes per
				   router: at a TTL where k routers answered,
				   probes leave gap / k apart (the balancer
				   spreads them), so each router sees one per
				   gap on average; other TTLs overlap
				   (scamper's wait_probe spaces the whole
				   trace); 0 */
	unsigned probec_max;	/* probe budget; default 3000 */
};

/* One probe sent, and its reply if one came. */
struct mda_probe {
	uint16_t flow;		/* flow index, 0-based */
	uint8_t ttl;
	uint8_t attempt;	/* 1-based */
	uint16_t size;
	struct timeval tx;
	uint8_t replied;
	int32_t vertex;		/* the reply's vertex, -1 if none */
	/* the reply, when replied */
	struct addr_ip addr;
	struct timeval rx;
	uint32_t rtt_us;
	uint8_t reply_ttl, reply_tos;
	uint16_t reply_ipid, reply_size;
	uint8_t is_tcp, tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint8_t has_quote, q_ttl, q_tos;
	uint16_t q_ipl;
	uint8_t next;
	struct pkt_ext *ext;	/* RFC 4884 objects or NULL; owned here */
	uint8_t pptest;		/* a repeat of an answered (flow, TTL): 1 the
				   per-packet test of the vertex before, 2
				   its confirmation at the vertex's own TTL */
	uint8_t late;		/* given up on before its wait ended, once a
				   later TTL had answered (RTT-derived wait);
				   a reply may still come and counts */
};

enum mda_vkind {
	MDA_V_ROUTER = 0,	/* time exceeded */
	MDA_V_DEST,		/* the destination answered (echo, TCP, port
				   unreachable from the destination) */
	MDA_V_UNREACH,		/* another unreachable or ICMP error */
};

/* A vertex: one address with one quoted TTL (scamper's node). */
struct mda_vertex {
	struct addr_ip addr;
	uint8_t ttl;		/* lowest probe TTL it answered */
	uint8_t has_q_ttl, q_ttl;
	uint8_t kind;		/* enum mda_vkind */
	uint8_t perpacket;	/* a per-packet balancer forwards from here */
};

/*
 * A link: flow(s) answered at `from` then `gap` silent TTLs then `to`.
 * to == -1: the branch ended in silence (gaplimit) after `from`.
 */
struct mda_link {
	int32_t from, to;
	uint8_t gap;
};

struct mda_result {
	struct mda_conf conf;		/* with defaults filled in */
	struct pkt_flow flow0;		/* flow 0: src, dst, proto, bases */
	enum mda_stop stop_reason;
	uint8_t stop_data;
	struct timeval start, end;
	unsigned probec;		/* probes sent, retries included */
	struct mda_probe *probes;	/* in the order they were sent */
	size_t nprobes;
	struct mda_vertex *vertices;	/* discovery order, by the lowest TTL
					   each answered at, then by first
					   reply: vertices[0] is the first hop
					   when it answered */
	size_t nvertices;
	struct mda_link *links;		/* sorted by (from, to) */
	size_t nlinks;
};

struct mda;
typedef void (*mda_done_cb)(struct mda *, void *arg);

/*
 * The stopping rule: how many probes (answered flows) must show no new
 * next hop before n known next hops are taken to be all of them, i.e. to
 * rule out n + 1 at the confidence (95 or 99; anything else counts as 95).
 * mda_nk(n) is entry n + 1 of scamper's tracelb table k(): mda_nk(1) =
 * 6 / 8, mda_nk(2) = 11 / 15, ... mda_nk(98) = 746 / 906; beyond it the
 * closed form ceil(ln(eps / (n+1)) / ln(n / (n+1))) with eps 0.05 / 0.01
 * (mda_nk(100) = 765 at 95 %).  mda_nk(0) = 0.
 */
unsigned mda_nk(unsigned n, unsigned confidence);

/* "icmp-echo", ... -> method; -1 if unknown. */
int mda_method_find(const char *name, enum mda_method *);
const char *mda_method_name(enum mda_method);
/* The value the flow id puts in the varied field (JSON "flowid"). */
uint32_t mda_flowid_value(const struct mda_result *, unsigned flow);

/*
 * The TCP/UDP ports a measurement's probes use, for the capture filter
 * (netio_set_port_ranges): range 0 the varied field's (every flow the
 * measurement may use), range 1 the constant port, when there is one.
 * Returns the number of ranges (1 or 2).  conf as mda_conf_finish left it.
 */
unsigned mda_port_ranges(const struct mda_conf *, uint16_t lo[2],
    uint16_t hi[2]);

/* Fill unset (zero) fields with defaults (sport and dport: the method's
 * bases, so the result's conf names them); -1 with a message if invalid. */
int mda_conf_finish(struct mda_conf *, int family, char *err, size_t errlen);

/*
 * A measurement toward dst; `done` runs once when it stops for any reason
 * (also when it cannot start: stop reason ERROR).  NULL only on allocation
 * failure or an invalid conf.
 */
struct mda *mda_new(struct engine *, const struct mda_conf *,
    const struct addr_ip *dst, mda_done_cb done, void *arg);
void mda_start(struct mda *);
/* Stop now with HALTED, keeping what was measured; runs `done`. */
void mda_halt(struct mda *);
const struct mda_result *mda_result(const struct mda *);
void mda_free(struct mda *);

const char *mda_stop_name(enum mda_stop);

#endif
