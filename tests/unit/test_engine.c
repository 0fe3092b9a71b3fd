/*
 * test_engine: pacing, probe identity and reply routing, on simnet.
 *
 * Pacing is checked with generous bounds (0.8x to 2x), never a tight timing
 * assertion.  Replies are built by simnet from the probes as they left, then
 * altered the way a forger or a broken router would.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "probe/engine.h"
#include "probe/pkt.h"
#include "simnet.h"
#include "t.h"
#include "tclient.h"

/* --- pacing --------------------------------------------------------------- */

static void
test_pacing(void)
{
	enum { NC = 3, PER = 40, PPS = 200 };
	struct env e;
	struct tclient *c[NC];
	double t0, elapsed, ideal;
	int rr_ok = 1;

	env_init(&e, PPS, 0);
	simnet_set_auto(e.sn, 0);
	for (int i = 0; i < NC; i++) {
		c[i] = client_new(&e, &pkt_udp_paris, "192.0.2.10", (uint32_t)i,
		    PER, 50);
	}
	e.pending = NC * PER;
	t0 = simnet_now_s();
	for (int i = 0; i < NC; i++)
		engine_wake(e.eng, &c[i]->c);
	T_EQ_INT(simnet_run(e.sn, 5000), 0);

	T_EQ_INT(simnet_nprobes(e.sn), NC * PER);
	/* From the first probe to the last: the bucket starts with burst
	 * (pps/100 = 2) tokens, then one per 1/pps. */
	elapsed = tv_diff(&simnet_probe(e.sn, 0)->tx,
	    &simnet_probe(e.sn, NC * PER - 1)->tx);
	ideal = (double)(NC * PER - 2) / PPS;
	fprintf(stderr, "pacing: %d probes at %d pps in %.3f s (ideal %.3f)\n",
	    NC * PER, PPS, elapsed, ideal);
	T_CHECK(elapsed >= 0.8 * ideal);
	T_CHECK(elapsed <= 2.0 * ideal);
	T_CHECK(simnet_now_s() - t0 >= 0.8 * ideal);

	/* Round robin: clients alternate, each in its own TTL order. */
	for (int i = 0; i < NC * PER; i++) {
		const struct simnet_probe *p = simnet_probe(e.sn, (size_t)i);
		const struct tclient *w = c[i % NC];

		if (p->h.sport != w->flow.sport || p->ttl != i / NC + 1)
			rr_ok = 0;
	}
	T_CHECK(rr_ok);

	/* Every probe timed out exactly once; all seen leaving. */
	for (int i = 0; i < NC; i++) {
		T_EQ_INT(c[i]->ntimeout, PER);
		T_EQ_INT(c[i]->nreply + c[i]->nerror, 0);
	}
	T_EQ_INT(engine_stats(e.eng)->probes_sent, NC * PER);
	T_EQ_INT(engine_stats(e.eng)->timeouts, NC * PER);
	T_EQ_INT(engine_stats(e.eng)->tx_seen, NC * PER);
	for (int i = 0; i < NC; i++)
		client_free(&e, c[i]);
	env_free(&e);
}

/* An explicit burst goes out at once, then the rate takes over. */
static void
test_burst(void)
{
	struct env e;
	struct tclient *c;
	double head, tail;

	env_init(&e, 50, 10);
	simnet_set_auto(e.sn, 0);
	c = client_new(&e, &pkt_icmp_paris, "192.0.2.10", 0, 15, 20);
	e.pending = 15;
	engine_wake(e.eng, &c->c);
	T_EQ_INT(simnet_run(e.sn, 5000), 0);
	T_EQ_INT(simnet_nprobes(e.sn), 15);
	head = tv_diff(&simnet_probe(e.sn, 0)->tx, &simnet_probe(e.sn, 9)->tx);
	tail = tv_diff(&simnet_probe(e.sn, 9)->tx, &simnet_probe(e.sn, 14)->tx);
	T_CHECK(head < 0.1);			/* the burst: no waiting */
	T_CHECK(tail >= 0.8 * 5 / 50.0);	/* 5 more at 50 pps */
	T_CHECK(tail <= 2.0 * 5 / 50.0);
	client_free(&e, c);
	env_free(&e);
}

/* --- the feeder: depth-first ---------------------------------------------- */

struct fenv {
	struct env *e;
	struct tclient *c[8];
	unsigned n, max, calls, busy_calls;
};

static int
test_feed(void *arg)
{
	struct fenv *f = arg;
	struct tclient *c;
	char dst[32];

	f->calls++;
	/* Called only when no started client has a probe to send. */
	for (unsigned i = 0; i < f->n; i++)
		if (f->c[i]->to_send > 0)
			f->busy_calls++;
	if (f->n == f->max)
		return 0;
	snprintf(dst, sizeof(dst), "192.0.2.%u", 20 + f->n);
	c = client_new(f->e, &pkt_icmp_paris, dst, 0, 1, 500);
	c->rounds = 3;
	f->c[f->n++] = c;
	engine_wake(f->e->eng, &c->c);
	return 1;
}

static void
test_feeder(void)
{
	struct env e;
	struct fenv f;

	env_init(&e, 2000, 1);
	memset(&f, 0, sizeof(f));
	f.e = &e;
	f.max = 5;
	for (unsigned i = 0; i < 8; i++) {
		char dst[32];

		snprintf(dst, sizeof(dst), "192.0.2.%u", 20 + i);
		simnet_dest_add(e.sn, dst, 10);
	}
	e.pending = 5 * 4;	/* four replies each */
	engine_set_feeder(e.eng, test_feed, &f);
	T_EQ_INT(simnet_run(e.sn, 5000), 0);
	T_EQ_INT(f.n, 5);
	T_EQ_INT(f.busy_calls, 0);
	for (unsigned i = 0; i < f.n; i++)
		T_EQ_INT(f.c[i]->nreply, 4);
	T_EQ_INT(simnet_nprobes(e.sn), 20);
	/* Done: no more calls until kicked, then one that starts nothing. */
	{
		unsigned calls = f.calls;

		simnet_run_for(e.sn, 20);
		T_EQ_INT(f.calls, calls);
		engine_kick(e.eng);
		simnet_run_for(e.sn, 20);
		T_EQ_INT(f.calls, calls + 1);
	}
	for (unsigned i = 0; i < f.n; i++)
		client_free(&e, f.c[i]);
	env_free(&e);
}

/* --- matching ------------------------------------------------------------- */

static const struct tev *
only_event(const struct tclient *c)
{
	return c->nev == 1 ? &c->ev[0] : NULL;
}

static void
test_matching(const struct pkt_method *m, int family)
{
	const char *dst1 = family == AF_INET ? "192.0.2.10" : "2001:db8::10";
	const char *dst2 = family == AF_INET ? "192.0.2.20" : "2001:db8::20";
	struct env e;
	struct tclient *a, *b, *c, *d;
	const struct simnet_probe *p;
	const struct engine_stats *st;
	struct addr_ip router;
	uint64_t unmatched, rejected, ignored, matched;
	const struct tev *v;
	int v4 = family == AF_INET, tcp = m->proto == IPPROTO_TCP;

	fprintf(stderr, "matching: %s %s\n", m->name, v4 ? "ipv4" : "ipv6");
	env_init(&e, 100000, 0);
	simnet_set_auto(e.sn, 0);
	st = engine_stats(e.eng);
	addr_pton(v4 ? "10.9.9.9" : "2001:db8:9::9", &router);
	/* a and b: two flows to one destination; c: another destination;
	 * d: a short wait, to answer after its timeout. */
	a = client_new(&e, m, dst1, 0, 3, 5000);
	b = client_new(&e, m, dst1, 1, 3, 5000);
	c = client_new(&e, m, dst2, 0, 3, 5000);
	d = client_new(&e, m, dst2, 7, 1, 30);
	engine_wake(e.eng, &a->c);
	engine_wake(e.eng, &b->c);
	engine_wake(e.eng, &c->c);
	engine_wake(e.eng, &d->c);
	e.pending = 1;		/* d's timeout */
	T_EQ_INT(simnet_run(e.sn, 5000), 0);
	T_EQ_INT(simnet_nprobes(e.sn), 10);
	for (size_t i = 0; i < simnet_nprobes(e.sn); i++) {
		T_CHECK(simnet_probe(e.sn, i)->parsed);
		T_CHECK(simnet_probe(e.sn, i)->sums_ok);
	}
	T_EQ_INT(d->ntimeout, 1);
	T_EQ_INT(a->nev + b->nev + c->nev, 0);

	/* Forgeries and broken replies to a's TTL 1 probe. */
	p = probe_of(&e, &a->flow, 1);
	T_CHECK(p != NULL);
	if (p == NULL)
		goto done;
	unmatched = st->replies_unmatched;
	rejected = st->replies_forged;
	ignored = st->packets_ignored;
	feed(&e, p, SIMNET_TIMXCEED, &router, SIMNET_F_BAD_TAG);
	feed(&e, p, SIMNET_TIMXCEED, &router, SIMNET_F_BAD_DST);
	feed(&e, p, SIMNET_TIMXCEED, &router, SIMNET_F_BAD_PORT);
	T_EQ_INT(st->replies_unmatched, unmatched + 3);
	if (v4) {
		feed(&e, p, SIMNET_TIMXCEED, &router, SIMNET_F_BAD_IPID);
		T_EQ_INT(st->replies_forged, ++rejected);
	}
	if (tcp) {
		feed(&e, p, SIMNET_TIMXCEED, &router, SIMNET_F_BAD_SEQ);
		T_EQ_INT(st->replies_forged, ++rejected);
	}
	feed(&e, p, SIMNET_TIMXCEED, &router, SIMNET_F_TRUNC_QUOTE);
	T_EQ_INT(st->packets_ignored, ignored + 1);
	T_EQ_INT(st->replies_forged, rejected);
	T_EQ_INT(a->nev + b->nev + c->nev, 0);

	/* The genuine answer still finds its probe. */
	matched = st->replies_matched;
	feed(&e, p, SIMNET_TIMXCEED, &router, 0);
	T_EQ_INT(st->replies_matched, matched + 1);
	T_CHECK((v = only_event(a)) != NULL);
	if (v != NULL) {
		T_EQ_INT(v->kind, CB_REPLY);
		T_EQ_INT(v->s.cookie, 1001);
		T_EQ_INT(v->s.ttl, 1);
		T_EQ_INT(v->s.attempt, 1);
		T_EQ_INT(v->s.tx_pcap, 1);
		T_EQ_INT(v->r.kind, PKT_KIND_ICMP_ERR);
		T_EQ_INT(v->r.icmp_class, PKT_IC_TTL_EXPIRED);
		T_CHECK(addr_eq(&v->r.src, &router));
		T_EQ_INT(v->r.q_ttl, 1);
		T_EQ_INT(v->r.next, 0);
	}
	/* A duplicate, and anything else for an answered probe: unmatched. */
	unmatched = st->replies_unmatched;
	feed(&e, p, SIMNET_TIMXCEED, &router, 0);
	feed(&e, p, SIMNET_DEST, NULL, 0);
	T_EQ_INT(st->replies_unmatched, unmatched + 2);
	T_EQ_INT(a->nev, 1);

	/* a's TTL 2: a v4 short quote with an MPLS extension (v6 routers
	 * quote as much as fits; the extension alone there). */
	p = probe_of(&e, &a->flow, 2);
	feed(&e, p, SIMNET_TIMXCEED, &router,
	    SIMNET_F_MPLS | (v4 ? SIMNET_F_SHORT_QUOTE : 0));
	T_EQ_INT(a->nev, 2);
	if (a->nev == 2) {
		v = &a->ev[1];
		T_EQ_INT(v->s.ttl, 2);
		T_EQ_INT(v->r.next, 1);
		T_EQ_INT(v->r.ext[0].cn, 1);
		T_EQ_INT(v->r.ext[0].ct, 1);
		T_EQ_INT(v->r.ext[0].nmpls, 1);
		T_EQ_INT(v->r.ext[0].mpls[0].label, 16004);
		T_EQ_INT(v->r.ext[0].mpls[0].s, 1);
	}

	/* a's TTL 3: the destination, after forgeries of its answer. */
	p = probe_of(&e, &a->flow, 3);
	unmatched = st->replies_unmatched;
	rejected = st->replies_forged;
	feed(&e, p, SIMNET_DEST, NULL, SIMNET_F_BAD_TAG);
	feed(&e, p, SIMNET_DEST, NULL, SIMNET_F_BAD_DST);
	feed(&e, p, SIMNET_DEST, NULL, SIMNET_F_BAD_PORT);
	T_EQ_INT(st->replies_unmatched, unmatched + 3);
	if (tcp) {
		feed(&e, p, SIMNET_DEST, NULL, SIMNET_F_BAD_SEQ);
		T_EQ_INT(st->replies_forged, rejected + 1);
	}
	T_EQ_INT(a->nev, 2);
	feed(&e, p, SIMNET_DEST, NULL, 0);
	T_EQ_INT(a->nev, 3);
	if (a->nev == 3) {
		v = &a->ev[2];
		T_EQ_INT(v->s.ttl, 3);
		T_CHECK(addr_eq(&v->r.src, &a->flow.dst));
		if (m->proto == IPPROTO_ICMP) {
			T_EQ_INT(v->r.kind, PKT_KIND_ECHO_REPLY);
		} else if (m->proto == IPPROTO_UDP) {
			T_EQ_INT(v->r.kind, PKT_KIND_ICMP_ERR);
			T_EQ_INT(v->r.icmp_class, PKT_IC_PORT_UNREACH);
		} else {
			T_EQ_INT(v->r.kind, PKT_KIND_TCP);
			/* SYN -> SYN-ACK; ACK -> RST */
			T_EQ_INT(v->r.tcp_flags,
			    m->tcp_flags == TH_SYN ? 0x12 : 0x04);
		}
	}

	/* b's answers go to b, never to a (same destination, other flow). */
	p = probe_of(&e, &b->flow, 1);
	feed(&e, p, SIMNET_TIMXCEED, &router, 0);
	p = probe_of(&e, &b->flow, 2);
	feed(&e, p, SIMNET_UNREACH, &router, 0);
	T_EQ_INT(a->nev, 3);
	T_EQ_INT(b->nev, 2);
	if (b->nev == 2) {
		T_EQ_INT(b->ev[0].s.cookie, 1001);
		T_EQ_INT(b->ev[1].s.cookie, 1002);
		T_EQ_INT(b->ev[1].r.icmp_class, PKT_IC_UNREACH);
		T_EQ_INT(b->ev[1].r.icmp_code, 1);
	}
	/* A SYN to a closed port: RST-ACK, matched through its ack. */
	if (m == &pkt_tcp_paris) {
		struct simnet_reply_spec rs;
		uint8_t buf[2048];
		struct timeval now;
		int len;

		p = probe_of(&e, &b->flow, 3);
		memset(&rs, 0, sizeof(rs));
		rs.kind = SIMNET_DEST;
		rs.code = 1;
		len = simnet_reply_build(p, &rs, buf, sizeof(buf));
		gettimeofday(&now, NULL);
		engine_input(e.eng, buf, (size_t)len, &now, 0);
		T_EQ_INT(b->nev, 3);
		if (b->nev == 3)
			T_EQ_INT(b->ev[2].r.tcp_flags, 0x14);
	}

	/* c, another destination with the same ports: its own answers. */
	p = probe_of(&e, &c->flow, 2);
	feed(&e, p, SIMNET_DEST, NULL, 0);
	T_EQ_INT(c->nev, 1);
	if (c->nev == 1)
		T_EQ_INT(c->ev[0].s.ttl, 2);

	/* d's probe timed out: its answer is too late. */
	unmatched = st->replies_unmatched;
	p = probe_of(&e, &d->flow, 1);
	feed(&e, p, SIMNET_TIMXCEED, &router, 0);
	T_EQ_INT(st->replies_unmatched, unmatched + 1);
	T_EQ_INT(d->nev, 1);

	/* Our own probes fed again as captures: not replies. */
	matched = st->replies_matched;
	{
		struct timeval now;

		gettimeofday(&now, NULL);
		p = probe_of(&e, &c->flow, 3);
		engine_input(e.eng, p->bytes, p->len, &now, 0);
	}
	T_EQ_INT(st->replies_matched, matched);
	T_EQ_INT(c->nev, 1);
done:
	client_free(&e, a);
	client_free(&e, b);
	client_free(&e, c);
	client_free(&e, d);
	env_free(&e);
}

/*
 * Forgeries that find a probe in flight (right destination, ports or echo
 * id, and 16-bit tag) but cannot prove the rest of its keyed identity: each
 * is counted as forged and leaves the probe in flight, and the genuine
 * answer still gets through.  `forged` lists what an off-path sender can
 * send for the reply kind; `genuine` the alterations a real router's answer
 * may come with, which must pass.
 */
static void
forgeries(struct env *e, struct tclient *a, unsigned ttl, enum simnet_kind kind,
    const unsigned *forged, size_t nforged, unsigned genuine,
    const char *what)
{
	const struct engine_stats *st = engine_stats(e->eng);
	const struct simnet_probe *p = probe_of(e, &a->flow, ttl);
	struct addr_ip router;
	unsigned before = a->nev;

	T_CHECK(p != NULL);
	if (p == NULL)
		return;
	addr_pton(p->h.family == AF_INET ? "10.66.6.6" : "2001:db8:666::6",
	    &router);
	for (size_t i = 0; i < nforged; i++) {
		uint64_t n = st->replies_forged, u = st->replies_unmatched;

		feed(e, p, kind, kind == SIMNET_DEST ? NULL : &router,
		    forged[i]);
		if (st->replies_forged != n + 1 || st->replies_unmatched != u ||
		    a->nev != before) {
			fprintf(stderr, "  %s: forgery %#x taken (forged %llu, "
			    "events %u)\n", what, forged[i],
			    (unsigned long long)(st->replies_forged - n),
			    a->nev - before);
			T_CHECK(0);
		}
	}
	feed(e, p, kind, kind == SIMNET_DEST ? NULL : &router, genuine);
	T_EQ_INT(a->nev, before + 1);
	if (a->nev == before + 1) {
		T_EQ_INT(a->ev[before].kind, CB_REPLY);
		T_EQ_INT(a->ev[before].s.ttl, ttl);
	}
}

static void
test_forgery(const struct pkt_method *m, int family, uint16_t size)
{
	const char *dst = family == AF_INET ? "192.0.2.30" : "2001:db8::30";
	int v4 = family == AF_INET, tcp = m->proto == IPPROTO_TCP;
	struct env e;
	struct tclient *a;
	unsigned f[8] = { 0 }, genuine;
	size_t n = 0;
	char what[64];
	int mac;

	snprintf(what, sizeof(what), "%s %s size %u", m->name,
	    v4 ? "ipv4" : "ipv6", size);
	fprintf(stderr, "forgery: %s\n", what);
	env_init(&e, 100000, 0);
	simnet_set_auto(e.sn, 0);
	a = client_new_size(&e, m, dst, 2, 4, 5000, size);
	mac = pkt_flow_has_mac(&a->flow);
	T_CHECK(mac == !tcp || (size != 0 && mac));
	engine_wake(e.eng, &a->c);
	simnet_run_for(e.sn, 20);
	T_EQ_INT(simnet_nprobes(e.sn), 4);

	/* TTL 1: time exceeded with the right tag and nothing else right.
	 * IPv4 quotes always carry the IP ID; TCP's the sequence number, of
	 * which the tag is the low half. */
	if (v4) {
		f[n++] = SIMNET_F_BAD_IPID;
		f[n++] = SIMNET_F_BAD_IPID | SIMNET_F_SHORT_QUOTE;
		f[n++] = SIMNET_F_BAD_IPID | SIMNET_F_SHORT_QUOTE |
		    SIMNET_F_MPLS;
	}
	if (tcp) {
		f[n++] = SIMNET_F_BAD_SEQ;
		f[n++] = SIMNET_F_BAD_SEQ | SIMNET_F_SHORT_QUOTE;
	}
	if (mac) {
		/* Even the right IP ID and sequence number do not make up
		 * for a wrong MAC... */
		f[n++] = SIMNET_F_BAD_MAC;
		f[n++] = SIMNET_F_BAD_MAC | SIMNET_F_MPLS;
		/* ...and IPv6 quotes must hold it: nothing that a forger
		 * could leave out, nor a zero-padded short quote. */
		if (!v4) {
			f[n++] = SIMNET_F_SHORT_QUOTE;
			f[n++] = SIMNET_F_SHORT_QUOTE | SIMNET_F_MPLS;
		}
	}
	/* Genuine IPv4 routers may quote 8 bytes (RFC 792), padded with
	 * zeros to 128 when they add an extension (RFC 4884). */
	genuine = v4 ? SIMNET_F_SHORT_QUOTE | SIMNET_F_MPLS : 0;
	forgeries(&e, a, 1, SIMNET_TIMXCEED, f, n, genuine, what);
	forgeries(&e, a, 2, SIMNET_TIMXCEED, f, n,
	    v4 ? SIMNET_F_SHORT_QUOTE : SIMNET_F_MPLS, what);
	forgeries(&e, a, 3, SIMNET_UNREACH, f, n, 0, what);

	/* TTL 4: the destination.  Echo replies return the MAC whole; TCP
	 * answers prove seq32. */
	n = 0;
	if (m->proto == IPPROTO_ICMP) {
		f[n++] = SIMNET_F_BAD_MAC;
		f[n++] = SIMNET_F_SHORT_QUOTE;
	} else if (tcp)
		f[n++] = SIMNET_F_BAD_SEQ;
	else {
		if (v4)
			f[n++] = SIMNET_F_BAD_IPID;
		f[n++] = SIMNET_F_BAD_MAC;
	}
	forgeries(&e, a, 4, SIMNET_DEST, f, n, 0, what);
	T_EQ_INT(a->nreply, 4);
	T_EQ_INT(engine_stats(e.eng)->replies_matched, 4);
	client_free(&e, a);
	env_free(&e);
}

/* Garbage and truncations of a genuine reply never crash nor match. */
static void
test_garbage(void)
{
	struct env e;
	struct tclient *a;
	const struct simnet_probe *p;
	struct simnet_reply_spec rs;
	uint8_t buf[2048];
	struct timeval now;
	int len;

	env_init(&e, 100000, 0);
	simnet_set_auto(e.sn, 0);
	a = client_new(&e, &pkt_udp_paris, "192.0.2.10", 0, 1, 5000);
	engine_wake(e.eng, &a->c);
	simnet_run_for(e.sn, 20);
	p = simnet_probe(e.sn, 0);
	T_CHECK(p != NULL);
	if (p == NULL)
		goto done;
	memset(&rs, 0, sizeof(rs));
	rs.kind = SIMNET_TIMXCEED;
	addr_pton("10.1.1.1", &rs.from);
	len = simnet_reply_build(p, &rs, buf, sizeof(buf));
	gettimeofday(&now, NULL);
	engine_input(e.eng, NULL, 0, &now, 0);
	/* Every prefix of the reply, as a short capture (in a buffer of its
	 * own size, so ASan sees any read past it): nothing matches until the
	 * quote holds 8 transport bytes, IP header + ICMP + IP header + 8. */
	for (int n = 0; n <= len; n++) {
		uint8_t *cut = malloc(n ? (size_t)n : 1);

		memcpy(cut, buf, (size_t)n);
		engine_input(e.eng, cut, (size_t)n, &now, 0);
		free(cut);
		if (a->nreply > 0) {
			T_EQ_INT(n, 20 + 8 + 20 + 8);
			break;
		}
	}
	T_EQ_INT(a->nreply, 1);
	T_EQ_INT(engine_stats(e.eng)->replies_matched, 1);
	T_EQ_INT(engine_stats(e.eng)->packets_ignored, 20 + 8 + 20 + 8 + 1);
done:
	client_free(&e, a);
	env_free(&e);
}

/* --- cancel --------------------------------------------------------------- */

static void
test_cancel(void)
{
	struct env e;
	struct tclient *a, *q;
	struct simnet_dest *d;
	size_t sent;

	env_init(&e, 100000, 0);
	d = simnet_dest_add(e.sn, "192.0.2.10", 10);
	for (unsigned h = 0; h <= SIMNET_MAX_TTL; h++)
		d->delay_ms[h] = 60;
	/* a: five probes in flight; q: queued behind a slow bucket. */
	a = client_new(&e, &pkt_icmp_paris, "192.0.2.10", 0, 5, 100);
	engine_wake(e.eng, &a->c);
	simnet_run_for(e.sn, 20);
	T_EQ_INT(simnet_nprobes(e.sn), 5);
	T_EQ_INT(a->c.inflight, 5);
	engine_cancel(e.eng, &a->c);
	T_EQ_INT(a->c.inflight, 0);
	T_CHECK(a->c.pending == UINT32_MAX);
	simnet_run_for(e.sn, 200);
	/* The replies came, the timeouts passed: no callback. */
	T_EQ_INT(a->nev, 0);
	T_EQ_INT(engine_stats(e.eng)->replies_unmatched, 5);
	T_EQ_INT(engine_stats(e.eng)->timeouts, 0);
	client_free(&e, a);
	env_free(&e);

	env_init(&e, 20, 1);
	simnet_set_auto(e.sn, 0);
	q = client_new(&e, &pkt_icmp_paris, "192.0.2.10", 0, 50, 5000);
	engine_wake(e.eng, &q->c);
	simnet_run_for(e.sn, 30);
	sent = simnet_nprobes(e.sn);
	T_CHECK(sent >= 1 && sent < 50);
	engine_cancel(e.eng, &q->c);
	simnet_run_for(e.sn, 200);
	T_EQ_INT(simnet_nprobes(e.sn), sent);
	T_EQ_INT(q->nev, 0);
	client_free(&e, q);
	env_free(&e);
}

/* engine_cancel then free from the client's own callback, of each kind. */
static void
test_free_in_callback(int kind)
{
	struct env e;
	struct tclient *a, *other;
	struct simnet_dest *d;
	int freed = 0;

	env_init(&e, 100000, 0);
	d = simnet_dest_add(e.sn, "2001:db8::10", 10);
	simnet_dest_add(e.sn, "2001:db8::20", 10);
	/* Everything answers at once: the second reply is already due
	 * when the first callback frees the client. */
	for (unsigned h = 0; h <= SIMNET_MAX_TTL; h++)
		d->delay_ms[h] = 5;
	d->dup = 2;
	if (kind != CB_REPLY)
		simnet_set_auto(e.sn, 0);
	if (kind == CB_ERROR)
		simnet_fail_send(e.sn, 3, EHOSTUNREACH);
	a = client_new(&e, &pkt_udp_paris, "2001:db8::10", 0, 6, 30);
	a->free_in_cb = 1;
	a->freed = &freed;
	/* Another client keeps going meanwhile. */
	other = client_new(&e, &pkt_udp_paris, "2001:db8::20", 0, 6, 30);
	engine_wake(e.eng, &a->c);
	engine_wake(e.eng, &other->c);
	simnet_run_for(e.sn, 150);
	T_EQ_INT(freed, 1);
	if (kind == CB_ERROR) {
		/* Round robin: a1 o1 a2 go out, then o2 fails, a3 fails (a
		 * frees itself), o3-o6 fail. */
		T_EQ_INT(engine_stats(e.eng)->probes_sent, 3);
		T_EQ_INT(engine_stats(e.eng)->send_errors, 6);
		T_EQ_INT(other->nerror, 5);
	} else
		T_EQ_INT(other->nev, 6);
	client_free(&e, other);
	env_free(&e);
}

/* A failed send: on_error with the errno, nothing left behind. */
static void
test_send_error(void)
{
	struct env e;
	struct tclient *a;

	env_init(&e, 100000, 0);
	simnet_set_auto(e.sn, 0);
	simnet_fail_send(e.sn, 2, ENETDOWN);
	a = client_new(&e, &pkt_tcp_paris, "192.0.2.10", 0, 3, 40);
	engine_wake(e.eng, &a->c);
	e.pending = 3;
	T_EQ_INT(simnet_run(e.sn, 3000), 0);
	T_EQ_INT(a->nerror, 1);
	T_EQ_INT(a->ntimeout, 2);
	for (unsigned i = 0; i < a->nev; i++) {
		if (a->ev[i].kind == CB_ERROR) {
			T_EQ_INT(a->ev[i].err, ENETDOWN);
			T_EQ_INT(a->ev[i].s.ttl, 3);
			T_EQ_INT(a->ev[i].s.cookie, 1003);
		}
	}
	T_EQ_INT(engine_stats(e.eng)->send_errors, 1);
	T_EQ_INT(engine_stats(e.eng)->probes_sent, 2);
	T_EQ_INT(a->c.inflight, 0);
	client_free(&e, a);
	env_free(&e);
}

/*
 * A later client of the same flow sends the same TTLs and attempts: the late
 * answer to the earlier client's probe is not taken for the new one's.
 */
static void
test_stale(void)
{
	struct env e;
	struct tclient *a, *b;
	const struct simnet_probe *pa, *pb;
	struct addr_ip router;

	env_init(&e, 100000, 0);
	simnet_set_auto(e.sn, 0);
	addr_pton("10.9.9.9", &router);
	a = client_new(&e, &pkt_udp_paris, "192.0.2.10", 0, 1, 20);
	engine_wake(e.eng, &a->c);
	e.pending = 1;
	T_EQ_INT(simnet_run(e.sn, 3000), 0);
	T_EQ_INT(a->ntimeout, 1);
	b = client_new(&e, &pkt_udp_paris, "192.0.2.10", 0, 1, 5000);
	engine_wake(e.eng, &b->c);
	simnet_run_for(e.sn, 20);
	T_EQ_INT(simnet_nprobes(e.sn), 2);
	pa = simnet_probe(e.sn, 0);
	pb = simnet_probe(e.sn, 1);
	if (pa == NULL || pb == NULL)
		goto done;
	T_CHECK(simnet_hashed_eq(&pa->h, &pb->h));
	T_EQ_INT(pa->ttl, pb->ttl);
	T_CHECK(pa->tag != pb->tag || pa->ipid != pb->ipid);
	feed(&e, pa, SIMNET_TIMXCEED, &router, 0);
	T_EQ_INT(b->nev, 0);
	feed(&e, pb, SIMNET_TIMXCEED, &router, 0);
	T_EQ_INT(b->nreply, 1);
done:
	client_free(&e, a);
	client_free(&e, b);
	env_free(&e);
}

/* --- the per-run secret --------------------------------------------------- */

/* Send TTLs 1-4 of one flow from a fresh engine; copy the probes out. */
static void
probes_with(int set, uint64_t k0, uint64_t k1, uint8_t out[4][64],
    uint16_t tags[4])
{
	struct env e;
	struct tclient *a;

	env_init(&e, 100000, 0);
	simnet_set_auto(e.sn, 0);
	if (set)
		engine_set_secret(e.eng, k0, k1);
	a = client_new(&e, &pkt_udp_paris, "192.0.2.10", 5, 4, 5000);
	engine_wake(e.eng, &a->c);
	simnet_run_for(e.sn, 20);
	T_EQ_INT(simnet_nprobes(e.sn), 4);
	memset(out, 0, 4 * 64);
	for (size_t i = 0; i < 4 && i < simnet_nprobes(e.sn); i++) {
		const struct simnet_probe *p = simnet_probe(e.sn, i);

		memcpy(out[i], p->bytes, p->len < 64 ? p->len : 64);
		tags[i] = p->tag;
	}
	client_free(&e, a);
	env_free(&e);
}

static void
test_secret(void)
{
	uint8_t x[4][64], y[4][64];
	uint16_t tx[4], ty[4];
	int differ = 0;

	/* Random secrets: the same probes carry other identities. */
	probes_with(0, 0, 0, x, tx);
	probes_with(0, 0, 0, y, ty);
	for (int i = 0; i < 4; i++)
		differ += memcmp(x[i], y[i], 64) != 0;
	T_CHECK(differ >= 3);	/* a 2^-32 coincidence per probe at worst */

	/* A fixed secret: reproducible, byte for byte. */
	probes_with(1, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, x, tx);
	probes_with(1, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, y, ty);
	for (int i = 0; i < 4; i++) {
		T_EQ_MEM(x[i], y[i], 64);
		T_EQ_INT(tx[i], ty[i]);
	}
	/* And another fixed secret gives other tags. */
	probes_with(1, 1, 2, y, ty);
	differ = 0;
	for (int i = 0; i < 4; i++)
		differ += tx[i] != ty[i];
	T_CHECK(differ >= 3);
	/* Within a run, the probes' tags differ from one another. */
	T_CHECK(tx[0] != tx[1] && tx[1] != tx[2] && tx[2] != tx[3]);
}

int
main(void)
{
	const struct pkt_method *const methods[] = {
		&pkt_icmp_paris, &pkt_udp_paris, &pkt_tcp_paris,
		&pkt_tcp_ack_paris,
	};

	simnet_count_libevent_warnings();
	test_pacing();
	test_burst();
	test_feeder();
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		test_matching(methods[i], AF_INET);
		test_matching(methods[i], AF_INET6);
		test_forgery(methods[i], AF_INET, 0);
		test_forgery(methods[i], AF_INET6, 0);
		test_forgery(methods[i], AF_INET, 200);
		test_forgery(methods[i], AF_INET6, 200);
	}
	test_garbage();
	test_cancel();
	test_free_in_callback(CB_REPLY);
	test_free_in_callback(CB_TIMEOUT);
	test_free_in_callback(CB_ERROR);
	test_send_error();
	test_stale();
	test_secret();
	T_EQ_INT(simnet_libevent_warnings(), 0);
	return T_DONE();
}
