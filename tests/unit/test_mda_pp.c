/*
 * test_mda_pp: per-packet load balancers against simnet graphs (the rest
 * of MDA is test_mda's).  A per-packet balancer must be flagged, and
 * nothing else; a per-flow one never; the test of a per-flow vertex costs
 * the repeats its width calls for.
 */
#include <sys/socket.h>
#include <stdint.h>

#include <event2/event.h>

#include "probe/engine.h"
#include "probe/pkt.h"
#include "simnet.h"
#include "measure/mda.h"
#include "mdanet.h"
#include "t.h"

/*
 * A per-packet balancer: flagged, and nothing else.  Next hops in turn are
 * always caught; at random each run misses with probability 2^-8 (99 %:
 * eight repeats), so two misses in eight runs are allowed there.
 */
static void
test_perpacket(enum mda_rule rule, int family, int mode)
{
	unsigned flagged = 0, runs = 8;

	fprintf(stderr, "per-packet balancer (%s), %s %s\n",
	    mode == SIMNET_PP_ROUND ? "in turn" : "random",
	    rule == MDA_RULE_LITE ? "lite" : "full",
	    family == AF_INET ? "ipv4" : "ipv6");
	for (unsigned s = 0; s < runs; s++) {
		struct tenv e;
		struct mda_conf c;
		struct simnet_dest *d;
		struct job *j;
		const struct mda_result *r;
		struct outcome o;
		const char *dst = dname(family, 90 + s);

		tenv_init(&e);
		simnet_seed(e.sn, 77 + s);
		d = GRAPH(&e, dst, 5, diamond2);
		d->node[1].perpacket = (uint8_t)mode;	/* r1 */
		conf_init(&c, MDA_ICMP_ECHO, rule);
		j = run_one(&e, &c, dst);
		r = mda_result(j->m);
		o = check(d, r);
		T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
		T_EQ_INT(o.false_links, 0);
		T_EQ_INT(o.missed, 0);
		T_EQ_INT(o.unknown, 0);
		T_EQ_INT(o.bad_probes, 0);
		/* Only r1 (and r1 in every run, below). */
		for (size_t i = 0; i < r->nvertices; i++) {
			int is_r1 = addr_eq(&r->vertices[i].addr,
			    &d->node[1].addr);

			if (r->vertices[i].perpacket) {
				T_CHECK(is_r1);
				flagged += is_r1;
			}
		}
		job_free(j);
		tenv_free(&e);
	}
	if (mode == SIMNET_PP_ROUND)
		T_EQ_INT(flagged, runs);
	else
		T_CHECK(flagged + 2 >= runs);
}

/*
 * One MDA over graph g with per-packet router pp (answering in turn):
 * COMPLETED, every link found, none false, one vertex flagged.  The job
 * is the caller's to check further and free.
 */
static struct job *
run_pp_graph(struct tenv *e, const char *dst, unsigned dist,
    const int (*g)[2], size_t ng, int pp, enum mda_method method,
    enum mda_rule rule)
{
	struct mda_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct mda_result *r;
	struct outcome o;

	d = graph(e, dst, dist, g, ng);
	d->node[pp].perpacket = SIMNET_PP_ROUND;
	conf_init(&c, method, rule);
	j = run_one(e, &c, dst);
	r = mda_result(j->m);
	o = check(d, r);
	T_EQ_STR(mda_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(o.false_links, 0);
	T_EQ_INT(o.missed, 0);
	T_EQ_INT(o.perpacket, 1);
	return j;
}

/* A per-packet balancer in front of a per-flow diamond: links after it are
 * kept only where a single flow's answers cannot mislead. */
static void
test_perpacket_nested(void)
{
	static const int pp_then_diamond[][2] = {
		/* r0 (per packet) => {a, b} => c => {d, e} => f - dst */
		{ 0, 1 }, { 0, 2 }, { 1, 3 }, { 2, 3 }, { 3, 4 }, { 3, 5 },
		{ 4, 6 }, { 5, 6 }, { 6, -1 },
	};
	struct tenv e;
	struct job *j;
	const struct mda_result *r;

	fprintf(stderr, "per-packet balancer, then a per-flow diamond\n");
	tenv_init(&e);
	j = run_pp_graph(&e, dname(AF_INET, 99), 7, pp_then_diamond,
	    sizeof(pp_then_diamond) / sizeof(pp_then_diamond[0]), 0,
	    MDA_UDP_DPORT, MDA_RULE_LITE);
	r = mda_result(j->m);
	T_CHECK(r->nvertices > 0 && r->vertices[0].perpacket);
	job_free(j);
	tenv_free(&e);
}

/* A width-4 per-packet balancer: every next hop found under both rules
 * (node control samples a per-packet vertex packet by packet). */
static void
test_perpacket_wide(enum mda_rule rule)
{
	static const int pp4[][2] = {
		{ 0, 1 }, { 1, 2 }, { 1, 3 }, { 1, 4 }, { 1, 5 },
		{ 2, 6 }, { 3, 6 }, { 4, 6 }, { 5, 6 }, { 6, -1 },
	};
	struct tenv e;
	struct job *j;

	fprintf(stderr, "width-4 per-packet balancer, %s\n",
	    rule == MDA_RULE_LITE ? "lite" : "full");
	tenv_init(&e);
	simnet_seed(e.sn, 4242);
	j = run_pp_graph(&e, dname(AF_INET6, 102), 7, pp4,
	    sizeof(pp4) / sizeof(pp4[0]), 1, MDA_TCP_ACK_SPORT, rule);
	T_EQ_INT(mda_result(j->m)->nvertices, 8);
	job_free(j);
	tenv_free(&e);
}

/*
 * The per-packet test of a per-flow vertex: a width-w balancer gets as
 * many repeats as rule out even spreading over w next hops at the
 * confidence asked, (1/w)^r <= 3/4 (1 - C): 5, 3, 3 at 95 %, 8, 5, 4 at
 * 99 %.
 */
static void
test_pp_repeats(void)
{
	static const unsigned want[2][3] = { { 5, 3, 3 }, { 8, 5, 4 } };

	fprintf(stderr, "per-packet test repeats by width\n");
	for (unsigned k = 0; k < 2; k++)
		for (unsigned w = 2; w <= 4; w++) {
			int g[12][2], n = 0;
			struct tenv e;
			struct mda_conf c;
			struct simnet_dest *d;
			struct job *j;
			const struct mda_result *r;
			struct outcome o;
			unsigned rep = 0;
			const char *dst = dname(AF_INET, 40 + 3 * k + w);

			g[n][0] = 0, g[n++][1] = 1;
			for (unsigned b = 0; b < w; b++) {
				g[n][0] = 1, g[n++][1] = (int)(2 + b);
				g[n][0] = (int)(2 + b), g[n++][1] = (int)(2 + w);
			}
			g[n][0] = (int)(2 + w), g[n++][1] = -1;
			tenv_init(&e);
			d = graph(&e, dst, 3 + w, (const int (*)[2])g, (size_t)n);
			conf_init(&c, MDA_UDP_SPORT, MDA_RULE_LITE);
			c.confidence = k ? 99 : 95;
			j = run_one(&e, &c, dst);
			r = mda_result(j->m);
			o = check(d, r);
			T_EQ_INT(o.missed, 0);
			T_EQ_INT(o.perpacket, 0);
			for (size_t i = 0; i < r->nprobes; i++)
				rep += r->probes[i].pptest;
			fprintf(stderr, "  %u %%, width %u: %u repeats\n",
			    c.confidence, w, rep);
			T_EQ_INT(rep, want[k][w - 2]);
			job_free(j);
			tenv_free(&e);
		}
}

int
main(void)
{
	simnet_count_libevent_warnings();
	test_perpacket(MDA_RULE_LITE, AF_INET, SIMNET_PP_ROUND);
	test_perpacket(MDA_RULE_FULL, AF_INET6, SIMNET_PP_ROUND);
	test_perpacket(MDA_RULE_LITE, AF_INET6, SIMNET_PP_RANDOM);
	test_perpacket(MDA_RULE_FULL, AF_INET, SIMNET_PP_RANDOM);
	test_perpacket_nested();
	test_perpacket_wide(MDA_RULE_LITE);
	test_perpacket_wide(MDA_RULE_FULL);
	test_pp_repeats();
	T_EQ_INT(simnet_libevent_warnings(), 0);
	return T_DONE();
}
