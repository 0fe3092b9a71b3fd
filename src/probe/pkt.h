/*
 * pkt: probe construction and reply parsing, one method per file.
 *
 * Everything here is pure: no I/O, no globals, no logging.  A probe is a
 * complete IP packet (header included).  The fields a load balancer may hash
 * (addresses, protocol, ports or ICMP id, ICMP type/code/checksum, IPv6 flow
 * label and traffic class, and the length) come from struct pkt_flow, which
 * is a pure function of the trace's parameters and flow id.  The probe's
 * identity lives in struct pkt_ident, carried only in fields routers quote
 * back and balancers do not hash:
 *
 *   IPv4 IP ID        ident.ipid (never 0)
 *   UDP checksum      ident.tag (a payload compensation word makes it so)
 *   ICMP echo seq     ident.tag (the checksum stays flow.icmp_sum through a
 *                     payload compensation word)
 *   TCP seq           ident.seq32 (low 16 bits == ident.tag); tcp-ack
 *                     probes also carry seq32 in the ack field, because a
 *                     RST answering an ACK echoes the ack as its seq.
 *   payload MAC       ident.mac, PKT_MAC_LEN bytes at pkt_mac_off(proto):
 *                     right after the ICMP/UDP compensation word (every
 *                     ICMP and UDP probe has room: min_size), after the
 *                     TCP header when the flow's size leaves room.  The
 *                     compensation word covers it, so checksums stay as
 *                     above; the payload's length is the flow's.
 *
 * The engine draws all of these from a keyed hash of a per-run secret; the
 * tag and the flow's ports or echo id (predictable) find the probe, the rest
 * proves the reply saw it.  Bits of the keyed identity an accepted reply
 * proves (the engine's proof_ok), by method and family:
 *
 *   method      family  reply                          proves (bits)
 *   icmp-paris  IPv4    error quoting the MAC          ipid+tag+MAC   96
 *                       error with a short quote       ipid+tag       32
 *                       echo reply                     tag+MAC        80
 *               IPv6    error, echo reply              tag+MAC        80
 *   udp-paris   IPv4    error quoting the MAC          ipid+tag+MAC   96
 *                       error with a short quote       ipid+tag       32
 *               IPv6    error                          tag+MAC        80
 *   tcp-paris,  IPv4    error                          ipid+seq32     48
 *   tcp-ack-    IPv6    error                          seq32          32
 *   paris       both    SYN-ACK, RST-ACK, RST          seq32          32
 *               with a size leaving 8 payload bytes, errors quoting
 *               the MAC also prove it                  +MAC           +64
 *
 * IPv6 errors quote as much of the probe as fits in 1280 bytes (RFC 4443)
 * and echo replies return all of its data, so there the MAC must be whole.
 * Only IPv4 errors may stop short of it (RFC 792: 8 bytes); they prove the
 * MAC bytes they hold, less trailing zeros (RFC 4884 pads a short quote
 * with zeros to 128 bytes), and never less than ipid+tag.  TCP probes carry
 * no payload by default (firewalls treat a SYN with data apart).  Figures
 * are nominal: a UDP tag is never 0 or 0xffff, an IP ID never 0.
 */
#ifndef HOPLITE_PKT_H
#define HOPLITE_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <libnet.h>

#include "util/addr.h"

#define PKT_MAX_EXT	4	/* RFC 4884 objects kept per reply */
#define PKT_MAX_MPLS	8	/* RFC 4950 label stack entries kept per object */
#define PKT_MAC_LEN	8	/* bytes of keyed MAC in a probe's payload */

/*
 * Which hashed field a flow id varies.  PKT_VARY_PARIS (the trace's) moves
 * the sport or echo id, the ICMP checksum and the IPv6 flow label together;
 * the others (MDA, scamper's tracelb methods) move one field and keep every
 * other hashed field a constant of the measurement, refusing a flow id that
 * would leave the field's range (base + flowid <= 65535; ICMP checksum
 * flowid + 1, never 0 or 0xffff).
 */
enum pkt_vary {
	PKT_VARY_PARIS = 0,
	PKT_VARY_SPORT,		/* UDP/TCP: sport = base + F, dport constant */
	PKT_VARY_DPORT,		/* UDP/TCP: dport = base + F, sport constant */
	PKT_VARY_ICMP_SUM,	/* ICMP: checksum = F + 1, echo id = sport */
	PKT_VARY_FLOWLABEL,	/* IPv6: the flow label alone */
};

/* What a caller chooses for a trace; the method turns it into a flow. */
struct pkt_flow_params {
	struct addr_ip src, dst;
	uint16_t sport;		/* base: flow F uses sport + F (ICMP: echo id) */
	uint16_t dport;		/* UDP/TCP destination port (constant) */
	uint16_t size;		/* whole IP packet length; 0 = method default */
	uint8_t tos;		/* IPv4 TOS / IPv6 traffic class */
	uint8_t vary;		/* enum pkt_vary; 0 = PKT_VARY_PARIS */
	uint8_t flowlabel_fixed; /* IPv6: flow label 0 for every flow, except
				   under PKT_VARY_FLOWLABEL */
};

/* The load-balancer-hashed fields of one Paris flow. */
struct pkt_flow {
	struct addr_ip src, dst;
	uint8_t proto;		/* IPPROTO_ICMP/ICMPV6 (by family), UDP, TCP */
	uint16_t sport, dport;	/* ICMP: sport = echo id, dport = 0 */
	uint16_t icmp_sum;	/* ICMP: the checksum every probe carries */
	uint32_t flowlabel;	/* IPv6 only, 20 bits */
	uint8_t tos;
	uint16_t size;		/* whole IP packet length */
	uint32_t flowid;
};

/* The identity of one probe within its flow. */
struct pkt_ident {
	uint8_t ttl;
	uint16_t tag;		/* lookup tag; see the table above */
	uint16_t ipid;		/* IPv4 only; never 0 */
	uint32_t seq32;		/* TCP only; (seq32 & 0xffff) == tag */
	uint8_t mac[PKT_MAC_LEN];	/* in the payload, see pkt_flow_has_mac */
};

/* Key under which an in-flight probe is found again. */
struct pkt_key {
	struct addr_ip dst;	/* the probe's destination */
	uint8_t proto;		/* the probe's protocol (IPPROTO_ICMPV6 for v6 ICMP) */
	uint16_t sport, dport;	/* as in struct pkt_flow */
	uint16_t tag;
};

/* Extra fields a reply must agree with, where the reply carries them. */
struct pkt_check {
	uint8_t has_ipid, has_seq32;
	uint16_t ipid;
	uint32_t seq32;
	/* The bytes found where a probe carries its MAC (a quote or an echo
	 * reply may hold all, part or none of them); never for TCP replies. */
	uint8_t mac_len;
	uint8_t mac[PKT_MAC_LEN];
};

struct pkt_mpls {
	uint32_t label;		/* 20 bits */
	uint8_t exp, s, ttl;
};

/* One RFC 4884 extension object; labels filled for MPLS (class 1, type 1). */
struct pkt_ext {
	uint8_t cn, ct;
	uint16_t dl;		/* object data length */
	uint8_t nmpls;
	struct pkt_mpls mpls[PKT_MAX_MPLS];
};

enum pkt_kind {
	PKT_KIND_NONE = 0,
	PKT_KIND_PROBE,		/* one of our probes seen leaving (outgoing) */
	PKT_KIND_ICMP_ERR,	/* ICMP error quoting a probe */
	PKT_KIND_ECHO_REPLY,	/* ICMP echo reply from the destination */
	PKT_KIND_TCP,		/* TCP segment from the destination */
};

/* What kind of answer an ICMP message is, family-independent. */
enum pkt_icmp_class {
	PKT_IC_NONE = 0,	/* not ICMP */
	PKT_IC_TTL_EXPIRED,	/* v4 11/0, v6 3/0 */
	PKT_IC_PORT_UNREACH,	/* v4 3/3, v6 1/4 */
	PKT_IC_UNREACH,		/* any other destination unreachable */
	PKT_IC_ECHO_REPLY,	/* v4 0, v6 129 */
	PKT_IC_OTHER,		/* other errors: reassembly timeout, param problem, too big... */
};

struct pkt_reply {
	enum pkt_kind kind;
	/* outer IP header */
	struct addr_ip src, dst;
	uint8_t ttl, tos;
	uint16_t ipid;		/* 0 for IPv6 */
	uint16_t size;		/* IP total length as the header says */
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	enum pkt_icmp_class icmp_class;
	/* TCP */
	uint8_t tcp_flags;
	/* quoted IP header of ICMP errors */
	uint8_t has_quote;
	uint8_t q_ttl, q_tos;
	uint16_t q_ipl;		/* quoted total length (v6: payload length + 40) */
	/* RFC 4884 / 4950 */
	uint8_t next;
	struct pkt_ext ext[PKT_MAX_EXT];
	/* matching: which probe this answers (or is, for PKT_KIND_PROBE) */
	struct pkt_key key;
	struct pkt_check check;
};

struct pkt_method {
	const char *name;	/* command line: "icmp-paris" */
	const char *trace_name;	/* scamper's trace method: "icmp-echo-paris" */
	const char *lb_name;	/* scamper's tracelb method: "icmp-echo" */
	uint8_t proto;		/* IPPROTO_ICMP (ICMPv6 under IPv6), UDP or TCP */
	uint8_t tcp_flags;	/* TCP methods: TH_SYN or TH_ACK */
	uint16_t default_sport, default_dport;
	/* Probe length limits for an address family (AF_INET/AF_INET6). */
	uint16_t (*min_size)(int family);
	uint16_t (*default_size)(int family);
	/* Fill the hashed fields of flow `flowid`.  0, or -1 if params are unusable. */
	int (*flow)(const struct pkt_flow_params *, uint32_t flowid, struct pkt_flow *);
	/* Whether `tag` can be carried (a UDP checksum cannot be 0 or 0xffff). */
	int (*tag_ok)(uint16_t tag);
	/* Build a probe into buf with the LIBNET_NONE context lb; length or -1. */
	int (*build)(libnet_t *lb, const struct pkt_flow *, const struct pkt_ident *,
	    uint8_t *buf, size_t buflen);
};

extern const struct pkt_method pkt_icmp_paris;
extern const struct pkt_method pkt_udp_paris;
extern const struct pkt_method pkt_tcp_paris;
extern const struct pkt_method pkt_tcp_ack_paris;

/* NULL-terminated registry of all methods. */
extern const struct pkt_method *const pkt_methods[];
const struct pkt_method *pkt_method_find(const char *name);

/*
 * Parse one IP packet (no link header) of `len` captured bytes.  `outgoing`
 * says the packet was seen leaving this host (then it can only be a probe).
 * Fills `r` and returns 0 when the packet is a probe or an answer to one
 * (r->key and r->check say which probe); -1 for anything else, including
 * truncated or malformed packets.  Never reads past len.
 */
int pkt_parse(const uint8_t *ip, size_t len, int outgoing, struct pkt_reply *r);

/*
 * Ones' complement helpers shared by the methods.  pkt_sum adds the buffer's
 * big-endian 16-bit words (an odd last byte padded with zero) to `sum` and
 * returns a partial sum that can be chained (pieces other than the last must
 * have even lengths).  pkt_fold folds it and returns its complement, i.e. the
 * Internet checksum in host order: a valid packet folds to 0.
 */
uint32_t pkt_sum(const void *, size_t, uint32_t sum);
uint16_t pkt_fold(uint32_t sum);

/* Transport offset of the MAC in probes of protocol proto. */
size_t pkt_mac_off(uint8_t proto);
/* Whether the flow's probes carry a MAC (their payload has room for it). */
int pkt_flow_has_mac(const struct pkt_flow *);
/* The IPv6 flow label flow id F gets (never 0, distinct up to 2^20 - 1). */
uint32_t pkt_flow_label(uint32_t flowid);

/* For the method files (src/pkt_*.c) only. */
int pkt_flow_make(const struct pkt_method *, const struct pkt_flow_params *,
    uint32_t flowid, struct pkt_flow *);
/* Transport length of the flow's probes; -1 if they cannot fit in buflen. */
int pkt_l4_len(const struct pkt_method *, const struct pkt_flow *,
    size_t buflen);
/* Sum of the IPv4/IPv6 pseudo-header for an upper-layer length. */
uint32_t pkt_pseudo_sum(const struct pkt_flow *, uint16_t l4len);
/* Payload compensation word making a checksum come out as `want`. */
uint16_t pkt_compensate(uint32_t sum, uint16_t want);
/* Write the ident's MAC into a zeroed transport block of l4len bytes. */
void pkt_mac_put(const struct pkt_flow *, const struct pkt_ident *,
    uint8_t *l4, size_t l4len);
/* Add the IP header to the transport block in lb, copy the probe to buf. */
int pkt_ip_finish(libnet_t *lb, const struct pkt_flow *,
    const struct pkt_ident *, uint8_t *buf, size_t buflen);

#endif
