/*
 * test_mda: multipath detection (MDA-Lite and MDA) against simnet graphs.
 *
 * Every topology is a graph of routers that balance per flow (a hash of
 * the probe's hashed fields with a seed of their own) or per packet.  The
 * ground truth is the graph: every link between answering routers (across
 * silent ones, with their number as the gap) must be found, no other link
 * may appear, the stop reason and the per-packet flags must be right.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>

#include <event2/event.h>

#include "probe/engine.h"
#include "probe/pkt.h"
#include "simnet.h"
#include "measure/mda.h"
#include "mdanet.h"
#include "t.h"

static void
expect_exact(const struct outcome *o)
{
	T_EQ_INT(o->missed, 0);
	T_EQ_INT(o->false_links, 0);
	T_EQ_INT(o->unknown, 0);
	T_EQ_INT(o->bad_probes, 0);
	T_EQ_INT(o->tails, 0);
	T_EQ_INT(o->perpacket, 0);
}

/* vertices[0] is node 0 (the first hop). */
static void
expect_first(const struct simnet_dest *d, const struct mda_result *r)
{
	T_CHECK(r->nvertices > 0 && addr_eq(&r->vertices[0].addr,
	    &d->node[0].addr));
}

/* --- topologies --------------------------------------------------------- */

/* --- flows: only the method's field varies ------------------------------- */

struct mcase {
	enum mda_method m;
	int family;
};

static const struct mcase cases[] = {
	{ MDA_ICMP_ECHO, AF_INET }, { MDA_ICMP_ECHO, AF_INET6 },
	{ MDA_UDP_DPORT, AF_INET }, { MDA_UDP_DPORT, AF_INET6 },
	{ MDA_UDP_SPORT, AF_INET }, { MDA_UDP_SPORT, AF_INET6 },
	{ MDA_TCP_SPORT, AF_INET }, { MDA_TCP_SPORT, AF_INET6 },
	{ MDA_TCP_ACK_SPORT, AF_INET }, { MDA_TCP_ACK_SPORT, AF_INET6 },
	{ MDA_FLOWLABEL, AF_INET6 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void
test_methods(enum mda_rule rule)
{
	fprintf(stderr, "every method, diamond2, %s\n",
	    rule == MDA_RULE_LITE ? "MDA-Lite" : "MDA");
	for (size_t i = 0; i < NCASES; i++) {
		const struct mcase *mc = &cases[i];
		struct tenv e;
		struct mda_conf c;
		struct simnet_dest *d;
		struct job *j;
		const struct mda_result *r;
		struct outcome o;
		const char *dst = dname(mc->family, (unsigned)i);

		tenv_init(&e);
		d = GRAPH(&e, dst, 5, diamond2);
		/* The only field that varies must be enough to balance. */
		if (mc->m == MDA_FLOWLABEL)
			d->hash_fields = SIMNET_HASH_FLOWLABEL;
		else
			d->hash_fields = SIMNET_HASH_L4 | SIMNET_HASH_ADDRS;
		conf_init(&c, mc->m, rule);
		j = run_one(&e, &c, dst);
		r = mda_result(j->m);
		fprintf(stderr, "  %s %s: %u probes, %zu vertices, %zu links, "
		    "%s\n", mda_method_name(mc->m),
		    mc->family == AF_INET ? "ipv4" : "ipv6", r->probec,
		    r->nvertices, r->nlinks, mda_stop_name(r->stop_reason));
		T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
		o = check(d, r);
		expect_exact(&o);
		expect_first(d, r);
		T_EQ_INT(r->nvertices, 6);
		T_CHECK(check_fields(&e, r, 0));
		T_EQ_INT(r->probec, simnet_nprobes(e.sn));
		job_free(j);
		tenv_free(&e);
	}
}

/* udp-dport over IPv6 with the flow label fixed: labels all 0. */
static void
test_flowlabel_fixed(void)
{
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	const char *dst = dname(AF_INET6, 50);
	struct outcome o;

	fprintf(stderr, "fixed flow label\n");
	tenv_init(&e);
	d = GRAPH(&e, dst, 5, diamond2);
	d->hash_fields = SIMNET_HASH_L4;
	conf_init(&c, MDA_UDP_DPORT, MDA_RULE_LITE);
	c.flowlabel_fixed = 1;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	o = check(d, r);
	expect_exact(&o);
	T_CHECK(check_fields(&e, r, 0));
	for (size_t i = 0; i < simnet_nprobes(e.sn); i++)
		T_EQ_INT(simnet_probe(e.sn, i)->h.flowlabel, 0);
	job_free(j);
	tenv_free(&e);
}

/* --- topologies, both rules --------------------------------------------- */

struct topo {
	const char *name;
	const int (*edges)[2];
	size_t nedges;
	unsigned nnodes;
};

#define TOPO(name, n) { #name, name, sizeof(name) / sizeof(name[0]), n }

static const struct topo topos[] = {
	TOPO(diamond1, 4), TOPO(diamond2, 5), TOPO(fan4n, 12),
	TOPO(meshed, 6), TOPO(lenasym, 5), TOPO(nested, 8), TOPO(line3, 3),
	TOPO(meshed3, 9),
};
#define NTOPOS	(sizeof(topos) / sizeof(topos[0]))

static unsigned
run_topo(const struct topo *tp, int family, enum mda_rule rule,
    unsigned confidence, unsigned seed)
{
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	struct outcome o;
	const char *dst = dname(family, seed);
	unsigned probec;

	tenv_init(&e);
	d = graph(&e, dst, tp->nnodes, tp->edges, tp->nedges);
	for (unsigned i = 0; i < d->nnodes; i++)
		d->node[i].seed = d->node[i].seed * (seed + 1) + seed;
	conf_init(&c, family == AF_INET ? MDA_UDP_DPORT : MDA_ICMP_ECHO, rule);
	c.confidence = (uint8_t)confidence;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	o = check(d, r);
	fprintf(stderr, "  %s %s %s %u%%: %u probes, %zu vertices, %zu links, "
	    "%s\n", tp->name, family == AF_INET ? "ipv4" : "ipv6",
	    rule == MDA_RULE_LITE ? "lite" : "full", confidence, r->probec,
	    r->nvertices, r->nlinks, mda_stop_name(r->stop_reason));
	T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
	expect_exact(&o);
	expect_first(d, r);
	T_EQ_INT(r->nvertices, tp->nnodes + 1);
	probec = r->probec;
	job_free(j);
	tenv_free(&e);
	return probec;
}

static void
test_topologies(void)
{
	unsigned lite[NTOPOS], full[NTOPOS];

	fprintf(stderr, "topologies, MDA-Lite and MDA\n");
	for (size_t i = 0; i < NTOPOS; i++) {
		lite[i] = full[i] = 0;
		for (unsigned s = 0; s < 3; s++) {
			int fam = s % 2 ? AF_INET6 : AF_INET;

			lite[i] += run_topo(&topos[i], fam, MDA_RULE_LITE, 99,
			    s);
			full[i] += run_topo(&topos[i], fam, MDA_RULE_FULL, 99,
			    s);
		}
		/* A line costs about the same under both; diamonds less
		 * in Lite. */
		T_CHECK(lite[i] <= full[i] + 3);
	}
	/* Uniform, unmeshed width-2 diamond: MDA-Lite well under MDA. */
	T_CHECK(lite[1] * 10 < full[1] * 9);
}

/*
 * The lab's 3x3 meshed stage (r1 => {a, b, c}, each => {d, e, f}) with
 * router seeds where a vertex's first mda_nk(2) = 15 flows at 99 % reach
 * only two of its three next hops, deterministically (as b in the lab's
 * udp-dport IPv6 and tcp-ack-sport IPv4 traces): the rule alone stops
 * there and misses a link.  Flows drawn for the other vertices that land
 * on it anyway must go on to the next TTL too.
 */
static void
test_meshed_unlucky(void)
{
	static const struct {
		unsigned seed;
		int family;
	} runs[] = {
		{ 106, AF_INET6 }, { 128, AF_INET6 }, { 131, AF_INET6 },
		{ 143, AF_INET }, { 147, AF_INET6 }, { 153, AF_INET },
		{ 295, AF_INET6 }, { 325, AF_INET6 }, { 342, AF_INET },
		{ 381, AF_INET },
	};
	const struct topo *tp = &topos[NTOPOS - 1];
	unsigned lite = 0, full = 0, n = sizeof(runs) / sizeof(runs[0]);

	fprintf(stderr, "meshed 3x3, seeds where a vertex's first flows "
	    "miss a next hop\n");
	for (unsigned i = 0; i < n; i++) {
		lite += run_topo(tp, runs[i].family, MDA_RULE_LITE, 99,
		    runs[i].seed);
		full += run_topo(tp, runs[i].family, MDA_RULE_FULL, 99,
		    runs[i].seed);
	}
	fprintf(stderr, "  probes per trace: %u lite, %u full\n", lite / n,
	    full / n);
	/* The extra flows stay a small share of the trace. */
	T_CHECK(lite < 240 * n);
	T_CHECK(full < 280 * n);
}

/* Both confidences on the uniform diamond: more probes at 99 %.  (At 95 %
 * the rule may miss a branch now and then: no exactness asked.) */
static void
test_confidence(void)
{
	unsigned p[2] = { 0, 0 };

	fprintf(stderr, "confidence\n");
	for (unsigned s = 0; s < 8; s++) {
		for (unsigned k = 0; k < 2; k++) {
			struct tenv e;
			struct mda_conf c;
			struct simnet_dest *d;
			struct job *j;
			const struct mda_result *r;
			struct outcome o;
			const char *dst = dname(AF_INET, 10 + s);

			tenv_init(&e);
			d = GRAPH(&e, dst, 5, diamond2);
			for (unsigned i = 0; i < d->nnodes; i++)
				d->node[i].seed += s * 7919;
			conf_init(&c, MDA_UDP_DPORT, MDA_RULE_LITE);
			c.confidence = k ? 99 : 95;
			j = run_one(&e, &c, dst);
			r = mda_result(j->m);
			o = check(d, r);
			T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
			T_EQ_INT(o.false_links, 0);
			T_EQ_INT(o.bad_probes, 0);
			p[k] += r->probec;
			job_free(j);
			tenv_free(&e);
		}
	}
	fprintf(stderr, "  probes: %u at 95 %%, %u at 99 %%\n", p[0], p[1]);
	T_CHECK(p[0] < p[1]);
}

/* --- silence, loss ------------------------------------------------------ */

static void
test_silent(enum mda_rule rule, int family)
{
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	struct outcome o;
	const char *dst = dname(family, 60);

	fprintf(stderr, "silent branch router, %s\n",
	    rule == MDA_RULE_LITE ? "lite" : "full");
	tenv_init(&e);
	d = GRAPH(&e, dst, 5, diamond2);
	d->node[2].silent = 1;		/* a: forwards, never answers */
	conf_init(&c, MDA_UDP_SPORT, rule);
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	o = check(d, r);
	T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
	/* r1 -> * -> r3 shows as a link with one silent hop. */
	expect_exact(&o);
	T_EQ_INT(r->nvertices, 5);
	/* Routers beyond answered: the silent router's last attempts are
	 * given up on after a few RTTs (late), not after the full wait. */
	{
		unsigned late = 0;

		for (size_t i = 0; i < r->nprobes; i++)
			late += r->probes[i].late && !r->probes[i].replied;
		T_CHECK(late > 0);
	}
	job_free(j);

	/* A whole silent hop on a line. */
	d = GRAPH(&e, dname(family, 61), 3, line3);
	d->node[1].silent = 1;
	j = run_one(&e, &c, dname(family, 61));
	r = mda_result(j->m);
	o = check(d, r);
	T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
	expect_exact(&o);
	job_free(j);
	tenv_free(&e);
}

static void
test_blackhole(void)
{
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	struct outcome o;
	const char *dst = dname(AF_INET, 70);
	unsigned above = 0;

	fprintf(stderr, "black-holed destination\n");
	tenv_init(&e);
	d = GRAPH(&e, dst, 5, diamond2);
	d->blackhole = 1;
	conf_init(&c, MDA_UDP_DPORT, MDA_RULE_LITE);
	c.gaplimit = 2;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	o = check(d, r);
	T_EQ_STR(mda_stop_name(r->stop_reason), "GAPLIMIT");
	T_EQ_INT(o.missed, 0);
	T_EQ_INT(o.false_links, 0);
	T_EQ_INT(o.perpacket, 0);
	/* r3's branch ends in silence: one link to -1, gap = gaplimit. */
	T_EQ_INT(o.tails, 1);
	if (r->nlinks > 0) {
		const struct mda_link *l = &r->links[r->nlinks - 1];

		T_EQ_INT(l->to, -1);
		T_EQ_INT(l->gap, 2);
		T_CHECK(addr_eq(&r->vertices[l->from].addr, &d->node[4].addr));
	}
	/* Nothing beyond the gap limit. */
	for (size_t i = 0; i < r->nprobes; i++)
		above += r->probes[i].ttl > 4 + 2;
	T_EQ_INT(above, 0);
	job_free(j);
	tenv_free(&e);
}

/*
 * A black hole with three attempts and a small window: every retry leaves
 * one second after the attempt before it, while that one is still awaited
 * (an attempt that has a successor holds no window slot), not once the
 * first round's waits have run out.
 */
static void
test_blackhole_retries(void)
{
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	const char *dst = dname(AF_INET, 71);
	unsigned retries = 0, early = 0;

	fprintf(stderr, "black hole, -q 3, window 3\n");
	tenv_init(&e);
	d = GRAPH(&e, dst, 5, diamond2);
	d->blackhole = 1;
	conf_init(&c, MDA_UDP_DPORT, MDA_RULE_LITE);
	c.gaplimit = 2;
	c.attempts = 3;
	c.wait_ms = 2000;
	c.window = 3;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	T_EQ_STR(mda_stop_name(r->stop_reason), "GAPLIMIT");
	for (size_t i = 0; i < r->nprobes; i++) {
		const struct mda_probe *p = &r->probes[i];

		if (p->attempt < 2 || p->pptest)
			continue;
		retries++;
		for (size_t k = i; k-- > 0;) {
			const struct mda_probe *q = &r->probes[k];
			long long us;

			if (q->flow != p->flow || q->ttl != p->ttl ||
			    q->attempt + 1 != p->attempt)
				continue;
			us = (long long)(p->tx.tv_sec - q->tx.tv_sec) *
			    1000000 + (p->tx.tv_usec - q->tx.tv_usec);
			early += us < 2000000;
			break;
		}
	}
	fprintf(stderr, "  %u retries, %u before the wait before them ran out\n",
	    retries, early);
	T_CHECK(retries >= 4);
	T_EQ_INT(early, retries);
	job_free(j);
	tenv_free(&e);
}

static void
test_loss(enum mda_rule rule)
{
	fprintf(stderr, "loss, %s\n", rule == MDA_RULE_LITE ? "lite" : "full");
	for (unsigned s = 0; s < 3; s++) {
		struct tenv e;
		struct mda_conf c;
		struct simnet_dest *d;
		struct job *j;
		const struct mda_result *r;
		struct outcome o;
		const char *dst = dname(AF_INET, 80 + s);
		unsigned retries = 0;

		tenv_init(&e);
		simnet_seed(e.sn, 1234 + s);
		d = GRAPH(&e, dst, 12, fan4n);
		for (unsigned i = 0; i < d->nnodes; i++)
			d->node[i].loss_pct = 20;
		d->dest_loss_pct = 20;
		conf_init(&c, MDA_UDP_DPORT, rule);
		c.attempts = 3;
		c.wait_ms = 150;
		j = run_one(&e, &c, dst);
		r = mda_result(j->m);
		o = check(d, r);
		fprintf(stderr, "  seed %u: %u probes, %zu links, %s\n", s,
		    r->probec, r->nlinks, mda_stop_name(r->stop_reason));
		T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
		expect_exact(&o);
		for (size_t i = 0; i < r->nprobes; i++)
			retries += r->probes[i].attempt > 1 &&
			    !r->probes[i].pptest;
		T_CHECK(retries > 0);
		job_free(j);
		tenv_free(&e);
	}
}

/* First and maximum TTL. */
static void
test_ttl_range(void)
{
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	const char *dst = dname(AF_INET, 101);
	unsigned out = 0;

	fprintf(stderr, "first and maximum TTL\n");
	tenv_init(&e);
	d = GRAPH(&e, dst, 3, line3);
	conf_init(&c, MDA_TCP_SPORT, MDA_RULE_LITE);
	c.max_ttl = 2;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	T_EQ_STR(mda_stop_name(r->stop_reason), "HOPLIMIT");
	for (size_t i = 0; i < r->nprobes; i++)
		out += r->probes[i].ttl > 2;
	T_EQ_INT(out, 0);
	T_EQ_INT(r->nvertices, 2);
	T_EQ_INT(r->nlinks, 1);
	if (r->nlinks == 1) {
		T_CHECK(addr_eq(&r->vertices[r->links[0].from].addr,
		    &d->node[0].addr));
		T_CHECK(addr_eq(&r->vertices[r->links[0].to].addr,
		    &d->node[1].addr));
	}
	job_free(j);

	c.max_ttl = 0;
	c.first_ttl = 2;
	e.active = 0;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
	for (size_t i = 0; i < r->nprobes; i++)
		out += r->probes[i].ttl < 2;
	T_EQ_INT(out, 0);
	T_EQ_INT(r->nvertices, 3);
	T_CHECK(r->nvertices > 0 && addr_eq(&r->vertices[0].addr,
	    &d->node[1].addr));
	T_EQ_INT(r->nlinks, 2);
	job_free(j);
	tenv_free(&e);
}

/* A forwarding loop: r1 - r2 - r1 - ...; every branch ends there. */
static void
test_loop(enum mda_rule rule)
{
	static const int loop[][2] = {
		{ 0, 1 }, { 1, 2 }, { 2, 1 },
	};
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	struct outcome o;
	const char *dst = dname(AF_INET, 100);
	unsigned above = 0;

	fprintf(stderr, "forwarding loop, %s\n",
	    rule == MDA_RULE_LITE ? "lite" : "full");
	tenv_init(&e);
	d = GRAPH(&e, dst, 3, loop);
	conf_init(&c, MDA_UDP_DPORT, rule);
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	o = check(d, r);
	if (getenv("MDA_DEBUG") != NULL)
		for (size_t i = 0; i < r->nprobes; i++)
			fprintf(stderr, "    probe %zu flow %u ttl %u att %u "
			    "-> %d\n", i, r->probes[i].flow, r->probes[i].ttl,
			    r->probes[i].attempt, r->probes[i].replied ?
			    node_of(d, r, r->probes[i].vertex) : -9);
	T_EQ_STR(mda_stop_name(r->stop_reason), "LOOP");
	expect_exact(&o);
	for (size_t i = 0; i < r->nprobes; i++)
		above += r->probes[i].ttl > 4 + r->conf.gaplimit;
	T_EQ_INT(above, 0);
	job_free(j);
	tenv_free(&e);
}

/* --- budget, halt, many at once, pacing --------------------------------- */

static void
test_budget(void)
{
	struct tenv e;
	struct mda_conf c;
	struct job *j;
	const struct mda_result *r;
	struct outcome o;
	struct simnet_dest *d;
	const char *dst = dname(AF_INET, 110);

	fprintf(stderr, "probe budget\n");
	tenv_init(&e);
	d = GRAPH(&e, dst, 12, fan4n);
	conf_init(&c, MDA_UDP_DPORT, MDA_RULE_FULL);
	c.probec_max = 40;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	T_EQ_STR(mda_stop_name(r->stop_reason), "PROBEC_MAX");
	T_EQ_INT(r->probec, 40);
	T_EQ_INT(simnet_nprobes(e.sn), 40);
	o = check(d, r);
	T_EQ_INT(o.false_links, 0);
	T_EQ_INT(o.bad_probes, 0);
	/* Every probe sent got its answer: the budget waits for them. */
	for (size_t i = 0; i < r->nprobes; i++)
		T_EQ_INT(r->probes[i].replied, 1);
	job_free(j);
	tenv_free(&e);
}

static void
test_halt(void)
{
	struct tenv e;
	struct mda_conf c;
	struct job *j;
	const struct mda_result *r;
	struct simnet_dest *d;
	const char *dst = dname(AF_INET, 120);

	fprintf(stderr, "halt\n");
	tenv_init(&e);
	d = GRAPH(&e, dst, 5, diamond2);
	d->node[2].silent = 1;
	d->node[3].silent = 1;		/* TTL 3 silent: long waits */
	conf_init(&c, MDA_UDP_DPORT, MDA_RULE_LITE);
	c.wait_ms = 5000;
	j = job_start(&e, &c, dst);
	simnet_run_for(e.sn, 100);
	T_EQ_INT(j->ndone, 0);
	mda_halt(j->m);
	T_EQ_INT(j->ndone, 1);
	r = mda_result(j->m);
	T_EQ_STR(mda_stop_name(r->stop_reason), "HALTED");
	T_CHECK(r->nvertices >= 2);	/* r0, r1 kept */
	T_CHECK(r->nprobes > 0 && r->nprobes == r->probec);
	mda_halt(j->m);			/* once only */
	T_EQ_INT(j->ndone, 1);
	simnet_run_for(e.sn, 20);
	T_EQ_INT(j->ndone, 1);
	job_free(j);
	tenv_free(&e);
}

static void
test_error(void)
{
	struct tenv e;
	struct mda_conf c;
	struct job *j;
	const char *dst = dname(AF_INET, 130);

	fprintf(stderr, "errors\n");
	tenv_init(&e);
	GRAPH(&e, dst, 5, diamond2);
	conf_init(&c, MDA_UDP_DPORT, MDA_RULE_LITE);
	simnet_fail_source(e.sn, 1);
	j = job_start(&e, &c, dst);
	T_EQ_INT(j->ndone, 1);
	T_EQ_STR(mda_stop_name(mda_result(j->m)->stop_reason), "ERROR");
	T_EQ_INT(mda_result(j->m)->stop_data, ENETUNREACH);
	job_free(j);
	simnet_fail_source(e.sn, 0);

	/* Sends fail after 5: ERROR with the errno, 5 probes kept. */
	simnet_fail_send(e.sn, 5, EHOSTUNREACH);
	e.active = 0;
	j = run_one(&e, &c, dst);
	T_EQ_STR(mda_stop_name(mda_result(j->m)->stop_reason), "ERROR");
	T_EQ_INT(mda_result(j->m)->stop_data, EHOSTUNREACH);
	T_EQ_INT(mda_result(j->m)->probec, 5);
	T_EQ_INT(mda_result(j->m)->nprobes, 5);
	job_free(j);
	tenv_free(&e);
}

static void
test_many(void)
{
	enum { N = 24 };
	struct tenv e;
	struct mda_conf c;
	struct simnet_dest *d[N];
	struct job *j[N];
	unsigned incomplete = 0;

	fprintf(stderr, "%d measurements at once\n", N);
	tenv_init(&e);
	conf_init(&c, MDA_UDP_SPORT, MDA_RULE_LITE);
	for (unsigned i = 0; i < N; i++) {
		d[i] = i % 2 ? GRAPH(&e, dname(AF_INET6, 200 + i), 12, fan4n) :
		    GRAPH(&e, dname(AF_INET, 200 + i), 5, diamond2);
		for (unsigned k = 0; k < d[i]->nnodes; k++)
			d[i]->node[k].seed += i;
	}
	for (unsigned i = 0; i < N; i++)
		j[i] = job_start(&e, &c, dname(i % 2 ? AF_INET6 : AF_INET,
		    200 + i));
	T_EQ_INT(simnet_run(e.sn, RUN_LIMIT_MS), 0);
	for (unsigned i = 0; i < N; i++) {
		const struct mda_result *r = mda_result(j[i]->m);
		struct outcome o = check(d[i], r);

		T_EQ_INT(j[i]->ndone, 1);
		T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
		T_EQ_INT(o.false_links, 0);
		T_EQ_INT(o.bad_probes, 0);
		T_EQ_INT(o.perpacket, 0);
		incomplete += o.missed > 0;
		T_EQ_INT(r->probec, d[i]->nprobes);
		job_free(j[i]);
	}
	/* The rule's own failure bound at 99 % (fan4n about 4 % a trace,
	 * diamond2 under 1 %): a miss now and then is no bug. */
	fprintf(stderr, "  %u incomplete\n", incomplete);
	T_CHECK(incomplete <= 3);
	tenv_free(&e);
}

static long long
tv_us(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000LL + (b->tv_usec - a->tv_usec);
}

/*
 * The probe gap of one measurement holds per TTL (toward one router):
 * probes at one TTL are never closer than the gap, while probes at other
 * TTLs overlap.
 */
static void
test_pacing(void)
{
	struct tenv e;
	struct mda_conf c;
	struct job *j;
	const struct mda_result *r;
	const char *dst = dname(AF_INET, 140);
	long long mingap = -1, minany = -1;

	fprintf(stderr, "probe gap\n");
	tenv_init(&e);
	GRAPH(&e, dst, 3, line3);
	conf_init(&c, MDA_UDP_DPORT, MDA_RULE_LITE);
	c.probe_gap_ms = 15;
	c.confidence = 95;
	j = run_one(&e, &c, dst);
	r = mda_result(j->m);
	T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
	for (size_t i = 0; i < simnet_nprobes(e.sn); i++) {
		const struct simnet_probe *a = simnet_probe(e.sn, i);

		if (i > 0) {
			long long us = tv_us(&simnet_probe(e.sn, i - 1)->tx,
			    &a->tx);

			if (minany < 0 || us < minany)
				minany = us;
		}
		for (size_t k = i + 1; k < simnet_nprobes(e.sn); k++) {
			const struct simnet_probe *b = simnet_probe(e.sn, k);

			if (b->ttl != a->ttl)
				continue;
			if (mingap < 0 || tv_us(&a->tx, &b->tx) < mingap)
				mingap = tv_us(&a->tx, &b->tx);
			break;
		}
	}
	/* Never closer than the gap at one TTL (the clock's jitter aside)... */
	T_CHECK(mingap >= 14000);
	/* ...but probes at different TTLs do not wait for each other. */
	T_CHECK(minany >= 0 && minany < 14000);
	job_free(j);
	tenv_free(&e);
}

int
main(void)
{
	simnet_count_libevent_warnings();
	test_methods(MDA_RULE_LITE);
	test_methods(MDA_RULE_FULL);
	test_flowlabel_fixed();
	test_topologies();
	test_meshed_unlucky();
	test_confidence();
	test_silent(MDA_RULE_LITE, AF_INET);
	test_silent(MDA_RULE_FULL, AF_INET6);
	test_blackhole();
	test_blackhole_retries();
	test_loss(MDA_RULE_LITE);
	test_loss(MDA_RULE_FULL);
	test_ttl_range();
	test_loop(MDA_RULE_LITE);
	test_loop(MDA_RULE_FULL);
	test_budget();
	test_halt();
	test_error();
	test_many();
	test_pacing();
	T_EQ_INT(simnet_libevent_warnings(), 0);
	return T_DONE();
}
