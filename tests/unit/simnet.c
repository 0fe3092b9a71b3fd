/*
 * simnet: a simulated network for the engine and the algorithms.
 *
 * Probes are read from their bytes here, not through pkt_parse, so the tests
 * check the packet code against an independent reading.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "probe/pkt.h"
#include "simnet.h"

#define SIMNET_MAX_PKT	2048
#define QUOTE_EXT_LEN	128	/* RFC 4884: quote padded to 128 bytes */
#define MAC_LEN		8	/* a probe's payload MAC (pkt.h) */

struct simnet_pkt {
	struct simnet *sn;
	TAILQ_ENTRY(simnet_pkt) entry;
	struct event ev;
	size_t len;
	uint8_t bytes[];
};

struct simnet {
	struct event_base *base;
	struct engine *eng;
	struct addr_ip src4, src6;
	int fail_source;
	unsigned fail_after;
	int fail_err;
	unsigned nsent;
	int auto_reply, capture;
	uint16_t ipid;

	struct simnet_dest **dests;
	size_t ndests;
	struct simnet_probe **probes;
	size_t nprobes, probes_cap;
	size_t ninjected;
	TAILQ_HEAD(, simnet_pkt) pending;

	struct event *guard;
	int timed_out;
	uint64_t rng;
};

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Sum of the v4/v6 pseudo-header: both add up to addresses + proto + len. */
static uint32_t
pseudo_sum(const struct addr_ip *src, const struct addr_ip *dst, uint8_t proto,
    size_t len)
{
	uint32_t sum;

	sum = pkt_sum(src->u.b, addr_len(src), 0);
	sum = pkt_sum(dst->u.b, addr_len(dst), sum);
	return sum + proto + (uint32_t)len;
}

/* --- setup ---------------------------------------------------------------- */

static int sim_send(void *, int, const uint8_t *, size_t);
static int sim_source(void *, const struct addr_ip *, struct addr_ip *);

static int libevent_warnings;

static void
ev_log(int sev, const char *msg)
{
	if (sev >= EVENT_LOG_WARN) {
		fprintf(stderr, "libevent: %s\n", msg);
		libevent_warnings++;
	}
}

void
simnet_count_libevent_warnings(void)
{
	event_set_log_callback(ev_log);
}

int
simnet_libevent_warnings(void)
{
	return libevent_warnings;
}

double
simnet_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

long long
simnet_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
}

struct event *
simnet_ticker(struct event_base *base)
{
	struct timeval tv = { 0, 5000 };
	struct event *ev;

	if ((ev = event_new(base, -1, EV_PERSIST, tick, NULL)) == NULL ||
	    event_add(ev, &tv) == -1)
		abort();
	return ev;
}

void
simnet_loop_for(struct event_base *base, unsigned ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

struct event_base *
simnet_base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	if ((cfg = event_config_new()) == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

struct simnet *
simnet_new(struct event_base *base)
{
	struct simnet *sn;

	if ((sn = calloc(1, sizeof(*sn))) == NULL)
		return NULL;
	sn->base = base;
	sn->auto_reply = 1;
	sn->capture = 1;
	sn->ipid = 1000;
	sn->rng = 0x9e3779b97f4a7c15ull;
	TAILQ_INIT(&sn->pending);
	simnet_set_source(sn, "198.51.100.1", "2001:db8:ffff::1");
	return sn;
}

void
simnet_free(struct simnet *sn)
{
	struct simnet_pkt *sp;

	if (sn == NULL)
		return;
	while ((sp = TAILQ_FIRST(&sn->pending)) != NULL) {
		TAILQ_REMOVE(&sn->pending, sp, entry);
		event_del(&sp->ev);
		free(sp);
	}
	for (size_t i = 0; i < sn->nprobes; i++) {
		free(sn->probes[i]->bytes);
		free(sn->probes[i]);
	}
	free(sn->probes);
	for (size_t i = 0; i < sn->ndests; i++)
		free(sn->dests[i]);
	free(sn->dests);
	if (sn->guard != NULL)
		event_free(sn->guard);
	free(sn);
}

void
simnet_io(struct simnet *sn, struct engine_io *io)
{
	memset(io, 0, sizeof(*io));
	io->send = sim_send;
	io->source = sim_source;
	io->ctx = sn;
}

void
simnet_attach(struct simnet *sn, struct engine *eng)
{
	sn->eng = eng;
}

int
simnet_set_source(struct simnet *sn, const char *v4, const char *v6)
{
	memset(&sn->src4, 0, sizeof(sn->src4));
	memset(&sn->src6, 0, sizeof(sn->src6));
	if (v4 != NULL && (addr_pton(v4, &sn->src4) == -1 ||
	    sn->src4.family != AF_INET))
		return -1;
	if (v6 != NULL && (addr_pton(v6, &sn->src6) == -1 ||
	    sn->src6.family != AF_INET6))
		return -1;
	return 0;
}

void
simnet_fail_source(struct simnet *sn, int on)
{
	sn->fail_source = on;
}

void
simnet_fail_send(struct simnet *sn, unsigned after, int err)
{
	sn->fail_after = after;
	sn->fail_err = err;
	sn->nsent = 0;
}

void
simnet_set_auto(struct simnet *sn, int on)
{
	sn->auto_reply = on;
}

void
simnet_set_capture(struct simnet *sn, int on)
{
	sn->capture = on;
}

struct simnet_dest *
simnet_dest_add(struct simnet *sn, const char *dst, unsigned dist)
{
	struct simnet_dest *d, **n;
	size_t idx = sn->ndests;

	if (dist < 1 || dist > SIMNET_MAX_TTL || idx >= 4096)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (addr_pton(dst, &d->dst) == -1 ||
	    (n = realloc(sn->dests, (idx + 1) * sizeof(*n))) == NULL) {
		free(d);
		return NULL;
	}
	sn->dests = n;
	d->dist = dist;
	d->ecmp_width = 1;
	for (unsigned h = 0; h <= SIMNET_MAX_TTL; h++) {
		struct addr_ip *a = &d->hop[h];

		a->family = d->dst.family;
		if (a->family == AF_INET) {
			/* 10.idx.hop.(1 + 16 * idx_hi) */
			a->u.b[0] = 10;
			a->u.b[1] = (uint8_t)idx;
			a->u.b[2] = (uint8_t)h;
			a->u.b[3] = (uint8_t)(1 + 16 * (idx >> 8));
		} else {
			/* 2001:db8:idx:hop::1 */
			a->u.b[0] = 0x20;
			a->u.b[1] = 0x01;
			a->u.b[2] = 0x0d;
			a->u.b[3] = 0xb8;
			put16(a->u.b + 4, (uint16_t)idx);
			put16(a->u.b + 6, (uint16_t)h);
			a->u.b[15] = 1;
		}
		d->delay_ms[h] = h;
	}
	sn->dests[sn->ndests++] = d;
	return d;
}

struct simnet_dest *
simnet_dest_find(struct simnet *sn, const struct addr_ip *dst)
{
	for (size_t i = 0; i < sn->ndests; i++)
		if (addr_eq(&sn->dests[i]->dst, dst))
			return sn->dests[i];
	return NULL;
}

int
simnet_dest_set_hop(struct simnet_dest *d, unsigned ttl, const char *addr)
{
	struct addr_ip a;

	if (ttl > SIMNET_MAX_TTL || addr_pton(addr, &a) == -1 ||
	    a.family != d->dst.family)
		return -1;
	d->hop[ttl] = a;
	return 0;
}

void
simnet_router(const struct simnet_dest *d, unsigned hop, uint16_t k,
    struct addr_ip *a)
{
	if (hop > SIMNET_MAX_TTL)
		hop = SIMNET_MAX_TTL;
	*a = d->hop[hop];
	if (d->ecmp_width > 1 && hop >= d->ecmp_ttl)
		a->u.b[addr_len(a) - 1] += (uint8_t)(k % d->ecmp_width);
}

void
simnet_seed(struct simnet *sn, uint64_t seed)
{
	sn->rng = seed != 0 ? seed : 1;
}

/* xorshift64*: the draws of per-packet routers and losses. */
uint32_t
simnet_rand(struct simnet *sn)
{
	sn->rng ^= sn->rng >> 12;
	sn->rng ^= sn->rng << 25;
	sn->rng ^= sn->rng >> 27;
	return (uint32_t)((sn->rng * 2685821657736338717ull) >> 32);
}

size_t
simnet_nprobes(const struct simnet *sn)
{
	return sn->nprobes;
}

const struct simnet_probe *
simnet_probe(const struct simnet *sn, size_t i)
{
	return i < sn->nprobes ? sn->probes[i] : NULL;
}

size_t
simnet_ninjected(const struct simnet *sn)
{
	return sn->ninjected;
}

int
simnet_hashed_eq(const struct simnet_hashed *a, const struct simnet_hashed *b)
{
	return a->family == b->family && a->proto == b->proto &&
	    a->tos == b->tos && addr_eq(&a->src, &b->src) &&
	    addr_eq(&a->dst, &b->dst) && a->sport == b->sport &&
	    a->dport == b->dport && a->icmp_type == b->icmp_type &&
	    a->icmp_code == b->icmp_code && a->icmp_sum == b->icmp_sum &&
	    a->flowlabel == b->flowlabel && a->len == b->len;
}

/* --- reading probes ------------------------------------------------------- */

static void
probe_read(const uint8_t *b, size_t len, struct simnet_probe *p)
{
	struct simnet_hashed *h = &p->h;
	const uint8_t *t;
	size_t hl, tl;
	uint32_t sum = 0;
	int ip_ok = 1, l4_ok = 0;

	if (len < 1)
		return;
	if (b[0] >> 4 == 4) {
		if (len < 20)
			return;
		hl = (size_t)(b[0] & 0x0f) * 4;
		if (hl < 20 || hl > len || be16(b + 2) != len)
			return;
		h->family = AF_INET;
		h->tos = b[1];
		p->ipid = be16(b + 4);
		p->ttl = b[8];
		h->proto = b[9];
		addr_from_v4(&h->src, b + 12);
		addr_from_v4(&h->dst, b + 16);
		ip_ok = pkt_fold(pkt_sum(b, hl, 0)) == 0;
	} else if (b[0] >> 4 == 6) {
		if (len < 40 || (size_t)be16(b + 4) + 40 != len)
			return;
		hl = 40;
		h->family = AF_INET6;
		h->tos = (uint8_t)((b[0] & 0x0f) << 4 | b[1] >> 4);
		h->flowlabel = (uint32_t)(b[1] & 0x0f) << 16 | be16(b + 2);
		h->proto = b[6];
		p->ttl = b[7];
		addr_from_v6(&h->src, b + 8);
		addr_from_v6(&h->dst, b + 24);
	} else
		return;
	h->len = (uint16_t)len;
	t = b + hl;
	tl = len - hl;
	if (tl < 8)
		return;
	p->tag = be16(t + 6);
	if (h->proto != IPPROTO_ICMP)
		sum = pseudo_sum(&h->src, &h->dst, h->proto, tl);
	switch (h->proto) {
	case IPPROTO_UDP:
		h->sport = be16(t);
		h->dport = be16(t + 2);
		break;
	case IPPROTO_TCP:
		if (tl < 20)
			return;
		h->sport = be16(t);
		h->dport = be16(t + 2);
		p->seq = be32(t + 4);
		p->ack = be32(t + 8);
		p->tcp_flags = t[13];
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((h->proto == IPPROTO_ICMP) != (h->family == AF_INET) ||
		    t[0] != (h->family == AF_INET ? 8 : 128))
			return;
		h->icmp_type = t[0];
		h->icmp_code = t[1];
		h->icmp_sum = be16(t + 2);
		h->sport = be16(t + 4);
		break;
	default:
		return;
	}
	l4_ok = pkt_fold(pkt_sum(t, tl, sum)) == 0;
	p->parsed = 1;
	p->sums_ok = ip_ok && l4_ok;
}

/* --- building replies ----------------------------------------------------- */

/*
 * Alter the MAC a probe carries in its transport bytes t (tlen of them): after
 * the ICMP/UDP header and compensation word, after the TCP header.
 */
static void
mac_alter(uint8_t *t, size_t tlen, uint8_t proto)
{
	size_t off = proto == IPPROTO_TCP ? 20 : 10;

	for (size_t i = off; i < off + MAC_LEN && i < tlen; i++)
		t[i] ^= 0x5a;
}

/* Apply the alterations that concern the probe's own fields. */
static void
quote_alter(uint8_t *q, size_t qlen, size_t hl, int family, uint8_t proto,
    unsigned flags)
{
	uint8_t *t = q + hl;

	if (flags & SIMNET_F_BAD_IPID && family == AF_INET)
		q[4] ^= 0x01, q[5] ^= 0x01;
	if (flags & SIMNET_F_BAD_DST)
		q[family == AF_INET ? 19 : 39] ^= 0x01;
	if (qlen < hl + 8)
		return;
	if (flags & SIMNET_F_BAD_TAG)
		t[6] ^= 0x01, t[7] ^= 0x01;
	if (flags & SIMNET_F_BAD_SEQ && proto == IPPROTO_TCP)
		t[4] ^= 0x01, t[5] ^= 0x01;
	if (flags & SIMNET_F_BAD_PORT) {
		if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
			t[5] ^= 0x01;
		else
			t[1] ^= 0x01;
	}
	if (flags & SIMNET_F_BAD_MAC)
		mac_alter(t, qlen - hl, proto);
}

/* ICMP error body (header + quote [+ extension]); its length. */
static size_t
icmp_error(const struct simnet_probe *p, const struct simnet_reply_spec *rs,
    uint8_t type, uint8_t code, uint8_t *body)
{
	int v4 = p->h.family == AF_INET;
	size_t hl = v4 ? (size_t)(p->bytes[0] & 0x0f) * 4 : 40;
	uint8_t *q = body + 8;
	size_t qlen = p->len;

	memset(body, 0, 8);
	body[0] = type;
	body[1] = code;
	memcpy(q, p->bytes, p->len);
	/* The header as the router saw it: TTL 1 (a router) or what was
	 * left (rs->q_ttl, the destination). */
	q[v4 ? 8 : 7] = rs->q_ttl ? rs->q_ttl : 1;
	quote_alter(q, qlen, hl, p->h.family, p->h.proto, rs->flags);
	if (v4) {
		put16(q + 10, 0);
		put16(q + 10, pkt_fold(pkt_sum(q, hl, 0)));
	}
	if (rs->flags & SIMNET_F_SHORT_QUOTE && qlen > hl + 8)
		qlen = hl + 8;
	if (rs->flags & SIMNET_F_TRUNC_QUOTE && qlen > hl + 4)
		qlen = hl + 4;
	if (rs->flags & SIMNET_F_MPLS) {
		uint8_t *e;

		/* RFC 4884: the original datagram padded (or cut) to 128
		 * bytes, its length in words, then the extension. */
		if (qlen < QUOTE_EXT_LEN)
			memset(q + qlen, 0, QUOTE_EXT_LEN - qlen);
		qlen = QUOTE_EXT_LEN;
		if (v4)
			body[5] = QUOTE_EXT_LEN / 4;
		else
			body[4] = QUOTE_EXT_LEN / 8;
		e = q + qlen;
		memset(e, 0, 12);
		e[0] = 0x20;				/* version 2 */
		put16(e + 4, 8);			/* object length */
		e[6] = 1;				/* MPLS label stack */
		e[7] = 1;				/* incoming */
		put32(e + 8, rs->mpls_label << 12 | 0u << 9 | 1u << 8 | 1);
		put16(e + 2, pkt_fold(pkt_sum(e, 12, 0)));
		qlen += 12;
	}
	return 8 + qlen;
}

int
simnet_reply_build(const struct simnet_probe *p,
    const struct simnet_reply_spec *rs, uint8_t *buf, size_t cap)
{
	uint8_t body[SIMNET_MAX_PKT];
	struct addr_ip from;
	int v4 = p->h.family == AF_INET;
	uint8_t proto = v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	size_t blen, hl = v4 ? 20 : 40, sumoff = 2;
	unsigned flags = rs->flags;
	uint32_t sum;

	if (!p->parsed || p->len + 8 + 12 + QUOTE_EXT_LEN > sizeof(body))
		return -1;
	from = rs->from.family != 0 ? rs->from : p->h.dst;
	switch (rs->kind) {
	case SIMNET_TIMXCEED:
		blen = icmp_error(p, rs, v4 ? 11 : 3, 0, body);
		break;
	case SIMNET_UNREACH:
		blen = icmp_error(p, rs, v4 ? 3 : 1, rs->code, body);
		break;
	case SIMNET_DEST:
		if (flags & SIMNET_F_BAD_DST)
			from.u.b[addr_len(&from) - 1] ^= 0x01;
		if (p->h.proto == IPPROTO_UDP) {
			blen = icmp_error(p, rs, v4 ? 3 : 1, v4 ? 3 : 4, body);
			break;
		}
		if (p->h.proto == IPPROTO_TCP) {
			uint32_t seq, ack;
			uint8_t fl;

			if (p->tcp_flags & 0x02) {
				/* SYN: SYN-ACK, or RST-ACK (code != 0: closed);
				 * either way ack = our seq + 1. */
				seq = rs->code ? 0 : 0x5eed0001;
				ack = p->seq + 1;
				fl = (uint8_t)(rs->code ? 0x14 : 0x12);
				if (flags & SIMNET_F_BAD_TAG)
					ack ^= 0x0101;
				if (flags & SIMNET_F_BAD_SEQ)
					ack ^= 0x01010000;
			} else {			/* ACK: RST, seq = our ack */
				seq = p->ack;
				ack = 0;
				fl = 0x04;
				if (flags & SIMNET_F_BAD_TAG)
					seq ^= 0x0101;
				if (flags & SIMNET_F_BAD_SEQ)
					seq ^= 0x01010000;
			}
			memset(body, 0, 20);
			put16(body, p->h.dport);
			put16(body + 2, p->h.sport ^
			    (flags & SIMNET_F_BAD_PORT ? 1 : 0));
			put32(body + 4, seq);
			put32(body + 8, ack);
			body[12] = 5 << 4;
			body[13] = fl;
			put16(body + 14, 65535);
			blen = 20;
			proto = IPPROTO_TCP;
			sumoff = 16;
			break;
		}
		/* Echo reply: the request's message, type changed. */
		blen = p->len - (v4 ? (size_t)(p->bytes[0] & 0x0f) * 4 : 40);
		memcpy(body, p->bytes + (p->len - blen), blen);
		body[0] = v4 ? 0 : 129;
		body[2] = body[3] = 0;
		if (flags & SIMNET_F_BAD_TAG)
			body[6] ^= 0x01, body[7] ^= 0x01;
		if (flags & SIMNET_F_BAD_PORT)
			body[5] ^= 0x01;
		if (flags & SIMNET_F_BAD_MAC)
			mac_alter(body, blen, p->h.proto);
		if (flags & SIMNET_F_SHORT_QUOTE)
			blen = 8;
		break;
	default:
		return -1;
	}
	if (hl + blen > cap)
		return -1;

	/* The transport checksum. */
	put16(body + sumoff, 0);
	sum = proto == IPPROTO_ICMP ? 0 : pseudo_sum(&from, &p->h.src, proto, blen);
	put16(body + sumoff, pkt_fold(pkt_sum(body, blen, sum)));

	memset(buf, 0, hl);
	if (v4) {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(hl + blen));
		put16(buf + 4, (uint16_t)(p->ipid * 7 + 1));
		buf[8] = rs->reply_ttl ? rs->reply_ttl : 64;
		buf[9] = proto;
		memcpy(buf + 12, from.u.b, 4);
		memcpy(buf + 16, p->h.src.u.b, 4);
		put16(buf + 10, pkt_fold(pkt_sum(buf, 20, 0)));
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)blen);
		buf[6] = proto;
		buf[7] = rs->reply_ttl ? rs->reply_ttl : 64;
		memcpy(buf + 8, from.u.b, 16);
		memcpy(buf + 24, p->h.src.u.b, 16);
	}
	memcpy(buf + hl, body, blen);
	return (int)(hl + blen);
}

/* --- delivering ----------------------------------------------------------- */

static void
deliver(evutil_socket_t fd, short what, void *arg)
{
	struct simnet_pkt *sp = arg;
	struct simnet *sn = sp->sn;
	struct timeval now;

	TAILQ_REMOVE(&sn->pending, sp, entry);
	gettimeofday(&now, NULL);
	sn->ninjected++;
	if (sn->eng != NULL)
		engine_input(sn->eng, sp->bytes, sp->len, &now, 0);
	free(sp);
}

void
simnet_inject(struct simnet *sn, const uint8_t *pkt, size_t len,
    unsigned delay_ms)
{
	struct simnet_pkt *sp;
	struct timeval tv;

	if ((sp = malloc(sizeof(*sp) + len)) == NULL)
		abort();
	sp->sn = sn;
	sp->len = len;
	memcpy(sp->bytes, pkt, len);
	TAILQ_INSERT_TAIL(&sn->pending, sp, entry);
	/* From now, not from the loop's cached time: never early. */
	event_base_update_cache_time(sn->base);
	evtimer_assign(&sp->ev, sn->base, deliver, sp);
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (suseconds_t)(delay_ms % 1000) * 1000;
	evtimer_add(&sp->ev, &tv);
}

/* What the topology does with probe p. */
static void
respond(struct simnet *sn, struct simnet_dest *d, const struct simnet_probe *p)
{
	struct simnet_reply_spec rs;
	uint8_t buf[SIMNET_MAX_PKT];
	unsigned ttl = p->ttl, hop;
	int len;

	memset(&rs, 0, sizeof(rs));
	if (d->loop_len > 0 && ttl >= d->loop_ttl) {
		hop = d->loop_ttl + (ttl - d->loop_ttl) % d->loop_len;
		rs.kind = SIMNET_TIMXCEED;
	} else if (d->unreach_ttl > 0 && ttl >= d->unreach_ttl &&
	    d->unreach_ttl < d->dist) {
		hop = d->unreach_ttl;
		rs.kind = SIMNET_UNREACH;
		rs.code = d->unreach_code;
	} else if (ttl >= d->dist) {
		hop = d->dist;
		rs.kind = SIMNET_DEST;
		rs.code = d->tcp_closed;
	} else {
		hop = ttl;
		rs.kind = SIMNET_TIMXCEED;
	}
	if (hop > SIMNET_MAX_TTL || d->silent[hop])
		return;
	if (rs.kind != SIMNET_DEST)
		simnet_router(d, hop, p->h.sport, &rs.from);
	if (d->short_quote[hop])
		rs.flags |= SIMNET_F_SHORT_QUOTE;
	if (d->trunc_quote[hop])
		rs.flags |= SIMNET_F_TRUNC_QUOTE;
	if (d->mpls[hop] != 0 && rs.kind != SIMNET_DEST) {
		rs.flags |= SIMNET_F_MPLS;
		rs.mpls_label = d->mpls[hop];
	}
	rs.reply_ttl = (uint8_t)(255 - hop);
	if ((len = simnet_reply_build(p, &rs, buf, sizeof(buf))) < 0)
		return;
	if (d->spoof != 0) {
		struct simnet_reply_spec fs = rs;
		uint8_t fb[SIMNET_MAX_PKT];
		int flen;

		/* The forgery arrives first, so it meets the probe in flight;
		 * none when the alteration does not apply to this reply (an
		 * IP ID where nothing is quoted). */
		fs.flags |= d->spoof;
		flen = simnet_reply_build(p, &fs, fb, sizeof(fb));
		if (flen > 0 && (flen != len || memcmp(fb, buf, (size_t)len) != 0))
			simnet_inject(sn, fb, (size_t)flen,
			    d->delay_ms[hop] / 2);
	}
	for (unsigned i = 0; i <= d->dup; i++)
		simnet_inject(sn, buf, (size_t)len, d->delay_ms[hop] + i);
}

static int
sim_send(void *ctx, int family, const uint8_t *pkt, size_t len)
{
	struct simnet *sn = ctx;
	struct simnet_probe *p, **n;
	struct simnet_dest *d;

	if (sn->fail_err != 0 && sn->nsent >= sn->fail_after) {
		errno = sn->fail_err;
		return -1;
	}
	sn->nsent++;
	if (sn->nprobes == sn->probes_cap) {
		size_t cap = sn->probes_cap ? sn->probes_cap * 2 : 64;

		if ((n = realloc(sn->probes, cap * sizeof(*n))) == NULL)
			abort();
		sn->probes = n;
		sn->probes_cap = cap;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->bytes = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(p->bytes, pkt, len);
	p->len = len;
	gettimeofday(&p->tx, NULL);
	p->replies_before = sn->ninjected;
	probe_read(pkt, len, p);
	if (p->parsed && p->h.family != family)
		p->parsed = 0;
	sn->probes[sn->nprobes++] = p;

	/* Our capture sees the probe leave. */
	if (sn->capture && sn->eng != NULL)
		engine_input(sn->eng, pkt, len, &p->tx, 1);
	if (!sn->auto_reply || !p->parsed ||
	    (d = simnet_dest_find(sn, &p->h.dst)) == NULL)
		return 0;
	d->nprobes++;
	if (d->nnodes > 0)
		simnet_graph_respond(sn, d, p);
	else
		respond(sn, d, p);
	return 0;
}

static int
sim_source(void *ctx, const struct addr_ip *dst, struct addr_ip *src)
{
	struct simnet *sn = ctx;
	const struct addr_ip *s = dst->family == AF_INET ? &sn->src4 : &sn->src6;

	if (sn->fail_source || s->family == 0 || s->family != dst->family)
		return -1;
	*src = *s;
	return 0;
}

/* --- running -------------------------------------------------------------- */

static void
guard_fire(evutil_socket_t fd, short what, void *arg)
{
	struct simnet *sn = arg;

	sn->timed_out = 1;
	event_base_loopbreak(sn->base);
}

int
simnet_run(struct simnet *sn, unsigned timeout_ms)
{
	struct timeval tv;

	if (sn->guard == NULL &&
	    (sn->guard = evtimer_new(sn->base, guard_fire, sn)) == NULL)
		abort();
	sn->timed_out = 0;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	evtimer_add(sn->guard, &tv);
	event_base_dispatch(sn->base);
	evtimer_del(sn->guard);
	return sn->timed_out ? -1 : 0;
}

void
simnet_stop(struct simnet *sn)
{
	event_base_loopbreak(sn->base);
}

void
simnet_run_for(struct simnet *sn, unsigned ms)
{
	simnet_loop_for(sn->base, ms);
}

struct engine *
simnet_engine(unsigned pps, unsigned burst, struct event_base **base,
    struct simnet **sn)
{
	struct engine_conf ec;
	struct engine_io io;
	struct engine *eng;

	memset(&ec, 0, sizeof(ec));
	ec.pps = pps;
	ec.burst = burst;
	if ((*base = simnet_base_new()) == NULL ||
	    (*sn = simnet_new(*base)) == NULL)
		abort();
	simnet_io(*sn, &io);
	if ((eng = engine_new(*base, &ec, &io)) == NULL)
		abort();
	simnet_attach(*sn, eng);
	return eng;
}

void
simnet_engine_free(struct engine *eng, struct simnet *sn,
    struct event_base *base)
{
	engine_free(eng);
	simnet_free(sn);
	event_base_free(base);
}
