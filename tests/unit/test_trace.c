/*
 * test_trace: the Paris traceroute algorithm against simnet topologies.
 *
 * Every stop reason, for every method over IPv4 and IPv6, is checked
 * against the topology (ground truth): which hops appear, from which
 * addresses, in which order, how many probes left and with which fields.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "probe/engine.h"
#include "probe/pkt.h"
#include "simnet.h"
#include "measure/trace.h"
#include "t.h"

#define RUN_LIMIT_MS	8000

struct tenv {
	struct event_base *base;
	struct simnet *sn;
	struct engine *eng;
	unsigned active;	/* traces not done yet */
};

struct job {
	struct tenv *env;
	struct trace *t;
	unsigned ndone;
	double t_start, t_done;
	int free_in_done;	/* trace_free from the done callback */
	/* kept when the trace frees itself */
	enum trace_stop stop;
	uint8_t stop_data, hop_count;
	size_t nhops;
};

struct mcase {
	const struct pkt_method *m;
	int family;
};

static const struct mcase cases[] = {
	{ &pkt_icmp_paris, AF_INET }, { &pkt_icmp_paris, AF_INET6 },
	{ &pkt_udp_paris, AF_INET }, { &pkt_udp_paris, AF_INET6 },
	{ &pkt_tcp_paris, AF_INET }, { &pkt_tcp_paris, AF_INET6 },
	{ &pkt_tcp_ack_paris, AF_INET }, { &pkt_tcp_ack_paris, AF_INET6 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Destination n of a family, as text. */
static const char *
dst_name(int family, unsigned n)
{
	static char buf[8][64];
	static unsigned k;
	char *b = buf[k++ % 8];

	if (family == AF_INET)
		snprintf(b, 64, "198.18.%u.%u", n / 250, 1 + n % 250);
	else
		snprintf(b, 64, "2001:db8:1::%x", n + 1);
	return b;
}

static void
tenv_init(struct tenv *e, unsigned pps)
{
	memset(e, 0, sizeof(*e));
	e->eng = simnet_engine(pps, 0, &e->base, &e->sn);
}

static void
tenv_free(struct tenv *e)
{
	simnet_engine_free(e->eng, e->sn, e->base);
}

static void
job_done(struct trace *t, void *arg)
{
	struct job *j = arg;
	const struct trace_result *r = trace_result(t);

	j->ndone++;
	j->t_done = simnet_now_s();
	j->stop = r->stop_reason;
	j->stop_data = r->stop_data;
	j->hop_count = r->hop_count;
	j->nhops = r->nhops;
	if (j->env->active > 0 && --j->env->active == 0)
		simnet_stop(j->env->sn);
	if (j->free_in_done) {
		trace_free(t);
		j->t = NULL;
	}
}

static struct job *
job_start(struct tenv *e, const struct trace_conf *c, const char *dst)
{
	static const struct trace_cbs cbs = { job_done, NULL };
	struct job *j;
	struct addr_ip a;

	if ((j = calloc(1, sizeof(*j))) == NULL || addr_pton(dst, &a) == -1)
		abort();
	j->env = e;
	if ((j->t = trace_new(e->eng, c, &a, &cbs, j)) == NULL)
		abort();
	e->active++;
	j->t_start = simnet_now_s();
	trace_start(j->t);
	return j;
}

static void
job_free(struct job *j)
{
	if (j->t != NULL)
		trace_free(j->t);
	free(j);
}

/* Start one trace and run until it is done. */
static struct job *
run_one(struct tenv *e, const struct trace_conf *c, const char *dst)
{
	struct job *j = job_start(e, c, dst);

	if (j->ndone == 0)
		T_EQ_INT(simnet_run(e->sn, RUN_LIMIT_MS), 0);
	T_EQ_INT(j->ndone, 1);
	return j;
}

static void
conf_init(struct trace_conf *c, const struct mcase *mc)
{
	memset(c, 0, sizeof(*c));
	c->method = mc->m;
	c->wait_ms = 200;
}

/* --- checks against the topology ------------------------------------------ */

/* The destination's own answer, as the method calls for it. */
static void
check_dest_hop(const struct mcase *mc, const struct trace_hop *h)
{
	int v4 = mc->family == AF_INET;

	if (mc->m->proto == IPPROTO_TCP) {
		T_EQ_INT(h->is_tcp, 1);
		T_EQ_INT(h->tcp_flags, mc->m->tcp_flags == TH_SYN ? 0x12 : 0x04);
	} else if (mc->m->proto == IPPROTO_UDP) {
		T_EQ_INT(h->is_tcp, 0);
		T_EQ_INT(h->icmp_type, v4 ? 3 : 1);
		T_EQ_INT(h->icmp_code, v4 ? 3 : 4);
		T_EQ_INT(h->has_quote, 1);
	} else {
		T_EQ_INT(h->is_tcp, 0);
		T_EQ_INT(h->icmp_type, v4 ? 0 : 129);
		T_EQ_INT(h->has_quote, 0);
	}
}

/*
 * r's hops are one per TTL from `from` to `to`, leaving out the TTLs in
 * `skip`, in order, each from the router its flow meets (the destination at
 * its distance); `per` replies per TTL, probe ids 1..per.
 */
static int
check_path(const struct trace_result *r, const struct simnet_dest *d,
    unsigned from, unsigned to, const uint8_t *skip, unsigned per)
{
	size_t i = 0;
	int ok = 1;

	for (unsigned ttl = from; ttl <= to; ttl++) {
		struct addr_ip want;

		if (skip != NULL && skip[ttl])
			continue;
		if (ttl >= d->dist)
			want = d->dst;
		else
			simnet_router(d, ttl, r->flow.sport, &want);
		for (unsigned k = 1; k <= per; k++, i++) {
			char a[ADDR_STRLEN], b[ADDR_STRLEN];

			if (i >= r->nhops) {
				fprintf(stderr, "  missing hop ttl %u\n", ttl);
				return 0;
			}
			if (r->hops[i].probe_ttl != ttl ||
			    r->hops[i].probe_id != k ||
			    !addr_eq(&r->hops[i].addr, &want)) {
				fprintf(stderr, "  hop %zu: ttl %u id %u %s, "
				    "want ttl %u id %u %s\n", i,
				    r->hops[i].probe_ttl, r->hops[i].probe_id,
				    addr_ntop(&r->hops[i].addr, a, sizeof(a)),
				    ttl, k, addr_ntop(&want, b, sizeof(b)));
				ok = 0;
			}
		}
	}
	if (i != r->nhops) {
		fprintf(stderr, "  %zu hops, want %zu\n", (size_t)r->nhops, i);
		ok = 0;
	}
	return ok;
}

/*
 * The Paris invariant as the network saw it: probes [lo, hi) all carry the
 * hashed fields of r's flow, with valid checksums, and their count is the
 * trace's probe_count.
 */
static int
check_probes(const struct tenv *e, const struct trace_result *r, size_t lo,
    size_t hi)
{
	const struct pkt_flow *f = &r->flow;
	int ok = 1;

	if (hi - lo != r->probe_count) {
		fprintf(stderr, "  %zu probes seen, probe_count %u\n", hi - lo,
		    r->probe_count);
		ok = 0;
	}
	for (size_t i = lo; i < hi; i++) {
		const struct simnet_probe *p = simnet_probe(e->sn, i);
		const struct simnet_hashed *h = &p->h, *h0 = &simnet_probe(e->sn, lo)->h;

		if (!p->parsed || !p->sums_ok || !simnet_hashed_eq(h, h0) ||
		    !addr_eq(&h->src, &f->src) || !addr_eq(&h->dst, &f->dst) ||
		    h->proto != f->proto || h->sport != f->sport ||
		    h->dport != f->dport || h->len != f->size ||
		    h->tos != f->tos || h->flowlabel != f->flowlabel ||
		    (f->proto != IPPROTO_UDP && f->proto != IPPROTO_TCP &&
		    h->icmp_sum != f->icmp_sum) ||
		    p->ttl < r->conf.first_ttl || p->ttl > r->conf.max_ttl) {
			fprintf(stderr, "  probe %zu (ttl %u) off its flow\n", i,
			    p->ttl);
			ok = 0;
		}
	}
	return ok;
}

static unsigned
probes_at(const struct tenv *e, size_t lo, size_t hi, unsigned ttl)
{
	unsigned n = 0;

	for (size_t i = lo; i < hi; i++)
		n += simnet_probe(e->sn, i)->ttl == ttl;
	return n;
}

/* Probes toward d at ttl. */
static unsigned
probes_to(const struct tenv *e, const struct simnet_dest *d, unsigned ttl)
{
	unsigned n = 0;

	for (size_t i = 0; i < simnet_nprobes(e->sn); i++) {
		const struct simnet_probe *p = simnet_probe(e->sn, i);

		n += p->ttl == ttl && addr_eq(&p->h.dst, &d->dst);
	}
	return n;
}

static unsigned
probes_above(const struct tenv *e, size_t lo, size_t hi, unsigned ttl)
{
	unsigned n = 0;

	for (size_t i = lo; i < hi; i++)
		n += simnet_probe(e->sn, i)->ttl > ttl;
	return n;
}

static void
header(const char *what, const struct mcase *mc)
{
	fprintf(stderr, "%s: %s %s\n", what, mc->m->name,
	    mc->family == AF_INET ? "ipv4" : "ipv6");
}

/* --- COMPLETED ------------------------------------------------------------ */

static void
test_completed(const struct mcase *mc, int reverse)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	const struct trace_result *r;
	struct job *j;
	const char *dst = dst_name(mc->family, 1);
	enum { D = 6 };

	header(reverse ? "completed, replies reversed" : "completed", mc);
	tenv_init(&e, 10000);
	d = simnet_dest_add(e.sn, dst, D);
	d->mpls[2] = 24007;
	/* RFC 792 quotes; an IPv6 quote that stops before the MAC proves
	 * too little (test_engine), where the probe has one. */
	if (mc->family == AF_INET || mc->m->proto == IPPROTO_TCP)
		d->short_quote[3] = 1;
	if (reverse) {
		/* Higher TTLs answer first. */
		for (unsigned h = 0; h <= SIMNET_MAX_TTL; h++)
			d->delay_ms[h] = h <= D ? 8 * (D + 1 - h) : 1;
	}
	conf_init(&c, mc);
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, D);
	T_CHECK(check_path(r, d, 1, D, NULL, 1));
	T_CHECK(check_probes(&e, r, 0, simnet_nprobes(e.sn)));
	T_EQ_INT(r->probe_count, d->nprobes);
	if (r->nhops == D) {
		const struct trace_hop *h = &r->hops[D - 1];

		check_dest_hop(mc, h);
		/* Routers: time exceeded, quoting the probe with TTL 1. */
		for (unsigned i = 0; i + 1 < D; i++) {
			T_EQ_INT(r->hops[i].icmp_type,
			    mc->family == AF_INET ? 11 : 3);
			T_EQ_INT(r->hops[i].icmp_code, 0);
			T_EQ_INT(r->hops[i].has_quote, 1);
			T_EQ_INT(r->hops[i].q_ttl, 1);
			T_EQ_INT(r->hops[i].reply_ttl, 255 - (i + 1));
			T_EQ_INT(r->hops[i].probe_size, r->flow.size);
		}
		T_EQ_INT(r->hops[1].next, 1);
		T_EQ_INT(r->hops[1].ext[0].nmpls, 1);
		T_EQ_INT(r->hops[1].ext[0].mpls[0].label, 24007);
		T_EQ_INT(r->hops[2].next, 0);
		/* tx is the capture timestamp of the probe that was answered. */
		for (unsigned i = 0; i < D; i++) {
			const struct trace_hop *x = &r->hops[i];
			int found = 0;

			for (size_t k = 0; k < simnet_nprobes(e.sn); k++) {
				const struct simnet_probe *p = simnet_probe(e.sn, k);

				struct timeval tx;

				trace_hop_tx(r, x, &tx);
				if (p->ttl == x->probe_ttl &&
				    p->tx.tv_sec == tx.tv_sec &&
				    p->tx.tv_usec == tx.tv_usec)
					found = 1;
			}
			T_CHECK(found);
			T_CHECK(x->rtt_us + 1000 >= 1000 * d->delay_ms[x->probe_ttl]);
			T_CHECK(x->rtt_us < 1000000);
		}
	}
	/* The window overshot the destination by at most its size. */
	T_CHECK(probes_above(&e, 0, simnet_nprobes(e.sn), D) <= r->conf.window);
	job_free(j);
	tenv_free(&e);
}

/* A silent router mid-path, and a silent stretch under the gap limit. */
static void
test_silent(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d1, *d2;
	struct job *j1, *j2;
	const struct trace_result *r;
	const char *dst1 = dst_name(mc->family, 1), *dst2 = dst_name(mc->family, 2);

	header("silent routers", mc);
	tenv_init(&e, 10000);
	d1 = simnet_dest_add(e.sn, dst1, 6);
	d1->silent[3] = 1;
	d2 = simnet_dest_add(e.sn, dst2, 9);
	d2->silent[3] = d2->silent[4] = d2->silent[5] = d2->silent[6] = 1;
	conf_init(&c, mc);
	c.wait_ms = 30;
	c.gaplimit = 5;
	j1 = job_start(&e, &c, dst1);
	j2 = job_start(&e, &c, dst2);
	T_EQ_INT(simnet_run(e.sn, RUN_LIMIT_MS), 0);

	r = trace_result(j1->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, 6);
	T_CHECK(check_path(r, d1, 1, 6, d1->silent, 1));
	T_EQ_INT(r->probe_count, d1->nprobes);
	/* The silent TTL got every attempt, the others one. */
	T_EQ_INT(probes_to(&e, d1, 3), r->conf.attempts);
	T_EQ_INT(probes_to(&e, d1, 2), 1);
	T_EQ_INT(probes_to(&e, d1, 4), 1);

	r = trace_result(j2->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, 9);
	T_CHECK(check_path(r, d2, 1, 9, d2->silent, 1));
	T_EQ_INT(r->probe_count, d2->nprobes);
	job_free(j1);
	job_free(j2);
	tenv_free(&e);
}

/* --- GAPLIMIT ------------------------------------------------------------- */

static void
test_gaplimit(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 3);
	double elapsed, wait;

	header("gaplimit", mc);
	tenv_init(&e, 10000);
	/* Routers at 1-4 answer; the destination is black-holed. */
	d = simnet_dest_add(e.sn, dst, 5);
	d->silent[5] = 1;
	conf_init(&c, mc);
	c.wait_ms = 60;
	c.attempts = 2;
	c.gaplimit = 3;
	c.window = 8;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	elapsed = j->t_done - j->t_start;
	wait = c.attempts * c.wait_ms / 1000.0;
	fprintf(stderr, "  silent tail cost %.3f s (attempts * wait = %.3f)\n",
	    elapsed, wait);
	T_EQ_STR(trace_stop_name(r->stop_reason), "GAPLIMIT");
	/* TTLs 5, 6, 7 silent. */
	T_EQ_INT(r->hop_count, 4 + 3);
	/* One round of timeouts for the whole tail, not gaplimit of them. */
	T_CHECK(elapsed >= 0.95 * wait);
	T_CHECK(elapsed < 2 * wait + 0.1);
	/* No hops beyond the last router, no probe beyond the gap limit. */
	T_CHECK(check_path(r, d, 1, 4, NULL, 1));
	T_EQ_INT(probes_above(&e, 0, simnet_nprobes(e.sn), 7), 0);
	T_EQ_INT(r->probe_count, d->nprobes);
	T_CHECK(check_probes(&e, r, 0, simnet_nprobes(e.sn)));
	/* Every silent TTL judged got all its attempts. */
	for (unsigned ttl = 5; ttl <= 7; ttl++)
		T_EQ_INT(probes_at(&e, 0, simnet_nprobes(e.sn), ttl),
		    c.attempts);
	job_free(j);
	tenv_free(&e);
}

/* --- UNREACH, LOOP, HOPLIMIT, first TTL --------------------------------- */

static void
test_unreach(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 4);

	header("unreach", mc);
	tenv_init(&e, 10000);
	d = simnet_dest_add(e.sn, dst, 8);
	d->unreach_ttl = 4;
	d->unreach_code = mc->family == AF_INET ? 13 : 1;	/* prohibited */
	conf_init(&c, mc);
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "UNREACH");
	T_EQ_INT(r->stop_data, d->unreach_code);
	T_EQ_INT(r->hop_count, 4);
	/* The unreachable comes from the router at 4, not the destination. */
	d->dist = 99;
	T_CHECK(check_path(r, d, 1, 4, NULL, 1));
	if (r->nhops == 4) {
		T_EQ_INT(r->hops[3].icmp_type, mc->family == AF_INET ? 3 : 1);
		T_EQ_INT(r->hops[3].icmp_code, d->unreach_code);
	}
	T_EQ_INT(r->probe_count, d->nprobes);
	job_free(j);
	tenv_free(&e);
}

static void
test_loop(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 5);

	header("loop", mc);
	tenv_init(&e, 10000);
	/* 1 2 3 then 4 5 4 5 ...: the loop shows at TTL 6. */
	d = simnet_dest_add(e.sn, dst, 20);
	d->loop_ttl = 4;
	d->loop_len = 2;
	conf_init(&c, mc);
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "LOOP");
	T_EQ_INT(r->hop_count, 6);
	T_EQ_INT(r->nhops, 6);
	if (r->nhops == 6) {
		struct addr_ip a4, a5;

		simnet_router(d, 4, r->flow.sport, &a4);
		simnet_router(d, 5, r->flow.sport, &a5);
		for (unsigned i = 0; i < 3; i++) {
			struct addr_ip a;

			simnet_router(d, i + 1, r->flow.sport, &a);
			T_CHECK(addr_eq(&r->hops[i].addr, &a));
			T_EQ_INT(r->hops[i].probe_ttl, i + 1);
		}
		T_CHECK(addr_eq(&r->hops[3].addr, &a4));
		T_CHECK(addr_eq(&r->hops[4].addr, &a5));
		T_CHECK(addr_eq(&r->hops[5].addr, &a4));
		T_EQ_INT(r->hops[5].probe_ttl, 6);
	}
	T_EQ_INT(r->probe_count, d->nprobes);
	job_free(j);
	tenv_free(&e);
}

static void
test_hoplimit(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 6);

	header("hoplimit", mc);
	tenv_init(&e, 10000);
	d = simnet_dest_add(e.sn, dst, 9);
	conf_init(&c, mc);
	c.max_ttl = 4;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "HOPLIMIT");
	T_EQ_INT(r->hop_count, 4);
	T_CHECK(check_path(r, d, 1, 4, NULL, 1));
	T_EQ_INT(probes_above(&e, 0, simnet_nprobes(e.sn), 4), 0);
	T_EQ_INT(r->probe_count, d->nprobes);
	job_free(j);

	/* The last TTL silent: still HOPLIMIT (the gap is short). */
	d->silent[4] = 1;
	c.wait_ms = 30;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "HOPLIMIT");
	T_EQ_INT(r->hop_count, 4);
	T_CHECK(check_path(r, d, 1, 4, d->silent, 1));
	job_free(j);
	tenv_free(&e);
}

static void
test_first_ttl(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 7);

	header("first ttl", mc);
	tenv_init(&e, 10000);
	d = simnet_dest_add(e.sn, dst, 7);
	conf_init(&c, mc);
	c.first_ttl = 3;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, 7);
	T_CHECK(check_path(r, d, 3, 7, NULL, 1));
	T_EQ_INT(probes_at(&e, 0, simnet_nprobes(e.sn), 1) +
	    probes_at(&e, 0, simnet_nprobes(e.sn), 2), 0);
	T_CHECK(check_probes(&e, r, 0, simnet_nprobes(e.sn)));
	job_free(j);

	/* first_ttl at the destination itself. */
	c.first_ttl = 7;
	c.window = 1;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, 7);
	T_EQ_INT(r->nhops, 1);
	T_EQ_INT(r->probe_count, 1);
	job_free(j);
	tenv_free(&e);
}

/* --- ERROR ---------------------------------------------------------------- */

static void
test_error(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 8);

	header("error", mc);
	tenv_init(&e, 10000);
	simnet_dest_add(e.sn, dst, 5);
	conf_init(&c, mc);

	/* No route: done runs from trace_start itself. */
	simnet_fail_source(e.sn, 1);
	j = job_start(&e, &c, dst);
	T_EQ_INT(j->ndone, 1);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "ERROR");
	T_EQ_INT(r->stop_data, ENETUNREACH);
	T_EQ_INT(r->probe_count, 0);
	T_EQ_INT(r->nhops, 0);
	job_free(j);
	simnet_fail_source(e.sn, 0);
	T_EQ_INT(simnet_nprobes(e.sn), 0);

	/* The source of the other family only. */
	if (mc->family == AF_INET)
		simnet_set_source(e.sn, NULL, "2001:db8:ffff::1");
	else
		simnet_set_source(e.sn, "198.51.100.1", NULL);
	j = job_start(&e, &c, dst);
	T_EQ_INT(j->ndone, 1);
	T_EQ_INT(j->stop, TRACE_STOP_ERROR);
	job_free(j);
	simnet_set_source(e.sn, "198.51.100.1", "2001:db8:ffff::1");

	/* The send fails at once. */
	e.active = 0;
	simnet_fail_send(e.sn, 0, EHOSTUNREACH);
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "ERROR");
	T_EQ_INT(r->stop_data, EHOSTUNREACH);
	T_EQ_INT(r->nhops, 0);
	T_EQ_INT(r->probe_count, 0);
	job_free(j);

	/* The send fails later: what was measured is kept. */
	e.active = 0;
	simnet_fail_send(e.sn, 3, EPERM);
	c.window = 1;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "ERROR");
	T_EQ_INT(r->stop_data, EPERM);
	T_EQ_INT(r->nhops, 3);
	T_EQ_INT(r->probe_count, 3);
	T_EQ_INT(simnet_nprobes(e.sn), 3);
	job_free(j);
	simnet_fail_send(e.sn, 0, 0);
	tenv_free(&e);
}

/* --- HALTED --------------------------------------------------------------- */

static void
halt_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	trace_halt(j->t);
}

static void
test_halt(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	struct event *ev;
	struct timeval tv = { 0, 40000 };
	const char *dst = dst_name(mc->family, 9);

	header("halt", mc);
	tenv_init(&e, 10000);
	/* Hops 1-2 answer at once, the rest after 120 ms. */
	d = simnet_dest_add(e.sn, dst, 6);
	for (unsigned h = 3; h <= SIMNET_MAX_TTL; h++)
		d->delay_ms[h] = 120;
	conf_init(&c, mc);
	c.wait_ms = 1000;
	j = job_start(&e, &c, dst);
	ev = evtimer_new(e.base, halt_cb, j);
	evtimer_add(ev, &tv);
	T_EQ_INT(simnet_run(e.sn, RUN_LIMIT_MS), 0);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "HALTED");
	T_CHECK(check_path(r, d, 1, 2, NULL, 1));
	T_EQ_INT(r->probe_count, d->nprobes);
	/* The late replies come and go: done ran once, nothing changes. */
	simnet_run_for(e.sn, 120);
	T_EQ_INT(j->ndone, 1);
	T_EQ_INT(r->nhops, 2);
	/* Hop by hop: only TTL 3 was out (its adaptive wait is longer than
	 * 40 ms), and its late reply found nothing. */
	T_EQ_INT(r->probe_count, 3);
	T_EQ_INT(engine_stats(e.eng)->replies_unmatched, 1);
	/* Halting again is harmless. */
	trace_halt(j->t);
	T_EQ_INT(j->ndone, 1);
	event_free(ev);
	job_free(j);
	tenv_free(&e);
}

/* --- attempts and window -------------------------------------------------- */

static void
test_all_attempts(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 10);
	size_t lo, hi;

	header("all attempts", mc);
	tenv_init(&e, 10000);
	d = simnet_dest_add(e.sn, dst, 4);
	conf_init(&c, mc);
	c.attempts = 3;
	c.all_attempts = 1;
	c.window = 2;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, 4);
	for (unsigned ttl = 1; ttl <= 4; ttl++)
		T_EQ_INT(probes_at(&e, 0, simnet_nprobes(e.sn), ttl), 3);
	T_CHECK(check_path(r, d, 1, 4, NULL, 3));
	T_EQ_INT(r->probe_count, d->nprobes);
	T_CHECK(check_probes(&e, r, 0, simnet_nprobes(e.sn)));
	job_free(j);

	/* Without it, one answered attempt per TTL is enough. */
	c.all_attempts = 0;
	lo = simnet_nprobes(e.sn);
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	hi = simnet_nprobes(e.sn);
	T_CHECK(check_path(r, d, 1, 4, NULL, 1));
	for (unsigned ttl = 1; ttl <= 4; ttl++)
		T_EQ_INT(probes_at(&e, lo, hi, ttl), 1);
	T_EQ_INT(r->probe_count, hi - lo);
	job_free(j);
	tenv_free(&e);
}

static void
test_window(const struct mcase *mc)
{
	static const uint8_t windows[] = { 1, 2, 3, 5, 8 };
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d, *h;
	const char *dst = dst_name(mc->family, 11);
	const char *dst2 = dst_name(mc->family, 12);

	header("window", mc);
	tenv_init(&e, 100000);
	d = simnet_dest_add(e.sn, dst, 5);
	for (unsigned k = 0; k <= SIMNET_MAX_TTL; k++)
		d->delay_ms[k] = 5;
	/* Silent 3-6, answers again at 7, destination 8. */
	h = simnet_dest_add(e.sn, dst2, 8);
	for (unsigned k = 3; k <= 6; k++)
		h->silent[k] = 1;
	conf_init(&c, mc);
	c.wait_ms = 200;
	c.gaplimit = 8;
	for (size_t w = 0; w < sizeof(windows); w++) {
		size_t lo = simnet_nprobes(e.sn), hi;
		const struct trace_result *r;
		struct job *j;
		unsigned open_max = 0;

		/* A responsive path goes hop by hop whatever the window: each
		 * probe leaves after the answer to the one before, none goes
		 * past the destination. */
		c.window = windows[w];
		j = run_one(&e, &c, dst);
		r = trace_result(j->t);
		hi = simnet_nprobes(e.sn);
		T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
		T_EQ_INT(r->hop_count, 5);
		T_CHECK(check_path(r, d, 1, 5, NULL, 1));
		T_CHECK(check_probes(&e, r, lo, hi));
		T_EQ_INT(probes_above(&e, lo, hi, 5), 0);
		T_EQ_INT(hi - lo, 5);
		for (size_t i = lo; i < hi; i++)
			T_EQ_INT(simnet_probe(e.sn, i)->replies_before -
			    simnet_probe(e.sn, lo)->replies_before, i - lo);
		job_free(j);

		/* Through a silent stretch, TTLs open one per adaptive
		 * wait, never more than the window past the last answered
		 * or settled TTL. */
		lo = simnet_nprobes(e.sn);
		j = run_one(&e, &c, dst2);
		r = trace_result(j->t);
		hi = simnet_nprobes(e.sn);
		T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
		T_EQ_INT(r->hop_count, 8);
		T_CHECK(check_path(r, h, 1, 8, h->silent, 1));
		/* What a hop-by-hop tracer sends: one probe per answering
		 * TTL, every attempt for the silent ones. */
		T_EQ_INT(hi - lo, 2 + 4 * r->conf.attempts + 2);
		for (size_t i = lo; i < hi; i++) {
			const struct simnet_probe *p = simnet_probe(e.sn, i);

			if (p->ttl > open_max)
				open_max = p->ttl;
			/* Before TTL 7 answered, a TTL beyond 2 + window
			 * needs the one `window` below settled silent (all
			 * its attempts sent). */
			if (p->ttl <= 7 && p->ttl > 2u + windows[w])
				T_EQ_INT(probes_at(&e, lo, i, p->ttl - windows[w]),
				    r->conf.attempts);
		}
		T_EQ_INT(open_max, 8);
		job_free(j);
	}
	tenv_free(&e);
}

/*
 * A silent router costs adaptive waits, not -W: once the TTL above
 * answered, the silent one is retried and given up without any probe
 * reaching its -W timeout.  A slow answer that comes after its adaptive
 * wait but while the trace is open is still recorded.
 */
static void
test_adaptive(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 13);
	const char *dst2 = dst_name(mc->family, 14);
	size_t lo, hi, i;
	int seen3 = 0;

	header("adaptive wait", mc);
	tenv_init(&e, 100000);
	d = simnet_dest_add(e.sn, dst, 6);
	d->silent[3] = 1;
	conf_init(&c, mc);
	c.wait_ms = 4000;	/* far longer than the whole run */
	c.attempts = 2;
	j = run_one(&e, &c, dst);
	r = trace_result(j->t);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, 6);
	T_CHECK(check_path(r, d, 1, 6, d->silent, 1));
	T_EQ_INT(probes_to(&e, d, 3), 2);
	T_EQ_INT(r->probe_count, 7);
	/* No probe waited out -W; TTL 3's two went late. */
	T_EQ_INT(engine_stats(e.eng)->timeouts, 0);
	T_EQ_INT(engine_stats(e.eng)->late, 2);
	job_free(j);

	/* TTL 3 answers after 150 ms: past the adaptive wait (100 ms), so
	 * TTL 4 opens and TTL 3 is retried, but the first answer still
	 * comes before the retry is given up, and counts. */
	d = simnet_dest_add(e.sn, dst2, 5);
	d->delay_ms[3] = 150;
	lo = simnet_nprobes(e.sn);
	j = run_one(&e, &c, dst2);
	r = trace_result(j->t);
	hi = simnet_nprobes(e.sn);
	T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
	T_EQ_INT(r->hop_count, 5);
	T_CHECK(check_path(r, d, 1, 5, NULL, 1));
	for (i = 0; i < r->nhops; i++)
		if (r->hops[i].probe_ttl == 3 && r->hops[i].probe_id == 1)
			seen3 = 1;
	T_CHECK(seen3);
	T_EQ_INT(probes_at(&e, lo, hi, 3), 2);
	T_EQ_INT(probes_above(&e, lo, hi, 5), 0);
	T_EQ_INT(engine_stats(e.eng)->timeouts, 0);
	job_free(j);
	tenv_free(&e);
}

/* --- the Paris invariant and ECMP ----------------------------------------- */

static void
test_paris(const struct mcase *mc)
{
	enum { NF = 4, D = 7 };
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct simnet_hashed h[NF];
	const char *dst = dst_name(mc->family, 12);

	header("paris flows over ecmp", mc);
	tenv_init(&e, 10000);
	d = simnet_dest_add(e.sn, dst, D);
	d->ecmp_ttl = 2;
	d->ecmp_width = 4;
	conf_init(&c, mc);
	for (unsigned f = 0; f < NF; f++) {
		size_t lo = simnet_nprobes(e.sn), hi;
		const struct trace_result *r;
		struct job *j;

		c.flowid = f;
		j = run_one(&e, &c, dst);
		r = trace_result(j->t);
		hi = simnet_nprobes(e.sn);
		/* One flow, one path: no false loop, no mixed branches. */
		T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
		T_EQ_INT(r->hop_count, D);
		T_CHECK(check_path(r, d, 1, D, NULL, 1));
		T_CHECK(check_probes(&e, r, lo, hi));
		T_EQ_INT(r->flow.flowid, f);
		h[f] = simnet_probe(e.sn, lo)->h;
		for (unsigned g = 0; g < f; g++) {
			T_CHECK(!simnet_hashed_eq(&h[g], &h[f]));
			T_CHECK(h[g].sport != h[f].sport);
			if (mc->m->proto == IPPROTO_ICMP)
				T_CHECK(h[g].icmp_sum != h[f].icmp_sum);
			if (mc->family == AF_INET6)
				T_CHECK(h[g].flowlabel != h[f].flowlabel);
		}
		if (f > 0 && r->nhops == D) {
			struct addr_ip a0;

			/* Consecutive flows took other branches. */
			simnet_router(d, 3, (uint16_t)(r->flow.sport - 1), &a0);
			T_CHECK(!addr_eq(&r->hops[2].addr, &a0));
		}
		job_free(j);
	}
	tenv_free(&e);
}

/* --- hostile and broken networks ------------------------------------------ */

static void
test_hostile(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const struct trace_result *r;
	const char *dst = dst_name(mc->family, 13);
	unsigned spoof[3] = { SIMNET_F_BAD_TAG, 0, 0 };
	size_t nspoof = 1;

	header("spoofs, duplicates, truncated quotes", mc);
	if (mc->family == AF_INET)
		spoof[nspoof++] = SIMNET_F_BAD_IPID;
	if (mc->m->proto == IPPROTO_TCP)
		spoof[nspoof++] = SIMNET_F_BAD_SEQ;
	for (size_t s = 0; s < nspoof; s++) {
		uint8_t skip[SIMNET_MAX_TTL + 1] = { 0 };

		tenv_init(&e, 10000);
		d = simnet_dest_add(e.sn, dst, 6);
		for (unsigned h = 0; h <= SIMNET_MAX_TTL; h++)
			d->delay_ms[h] = 6;
		d->spoof = spoof[s];
		d->dup = 2;
		if (s == 0) {
			d->trunc_quote[2] = 1;
			skip[2] = 1;
		}
		conf_init(&c, mc);
		c.wait_ms = 30;
		j = run_one(&e, &c, dst);
		r = trace_result(j->t);
		T_EQ_STR(trace_stop_name(r->stop_reason), "COMPLETED");
		T_EQ_INT(r->hop_count, 6);
		/* Neither forgeries nor copies enter the path; the router
		 * with a useless quote is as good as silent. */
		T_CHECK(check_path(r, d, 1, 6, skip, 1));
		if (s == 0)
			T_CHECK(engine_stats(e.eng)->packets_ignored >= 1);
		if (spoof[s] == SIMNET_F_BAD_TAG)
			T_CHECK(engine_stats(e.eng)->replies_unmatched >= 5);
		else	/* the routers' quotes (echo replies carry no IP ID) */
			T_CHECK(engine_stats(e.eng)->replies_forged >= 4);
		job_free(j);
		tenv_free(&e);
	}
}

/* done frees its trace, from each kind of last event. */
static void
test_free_in_done(const struct mcase *mc)
{
	struct tenv e;
	struct trace_conf c;
	struct simnet_dest *d;
	struct job *j;
	const char *dst = dst_name(mc->family, 14);

	header("trace_free in done", mc);
	tenv_init(&e, 10000);
	d = simnet_dest_add(e.sn, dst, 3);
	conf_init(&c, mc);
	c.wait_ms = 30;
	c.gaplimit = 2;

	/* Stopped by a reply. */
	j = job_start(&e, &c, dst);
	j->free_in_done = 1;
	T_EQ_INT(simnet_run(e.sn, RUN_LIMIT_MS), 0);
	T_EQ_INT(j->stop, TRACE_STOP_COMPLETED);
	T_CHECK(j->t == NULL);
	job_free(j);

	/* Stopped by a timeout. */
	d->silent[3] = 1;
	j = job_start(&e, &c, dst);
	j->free_in_done = 1;
	T_EQ_INT(simnet_run(e.sn, RUN_LIMIT_MS), 0);
	T_EQ_INT(j->stop, TRACE_STOP_GAPLIMIT);
	T_CHECK(j->t == NULL);
	job_free(j);

	/* Stopped by a send error, inside the engine's pump. */
	simnet_fail_send(e.sn, 2, ENOBUFS);
	j = job_start(&e, &c, dst);
	j->free_in_done = 1;
	T_EQ_INT(simnet_run(e.sn, RUN_LIMIT_MS), 0);
	T_EQ_INT(j->stop, TRACE_STOP_ERROR);
	T_EQ_INT(j->stop_data, ENOBUFS);
	job_free(j);
	simnet_fail_send(e.sn, 0, 0);

	/* Halted, and with the source missing. */
	j = job_start(&e, &c, dst);
	j->free_in_done = 1;
	trace_halt(j->t);
	T_EQ_INT(j->stop, TRACE_STOP_HALTED);
	job_free(j);
	simnet_fail_source(e.sn, 1);
	j = job_start(&e, &c, dst);
	j->free_in_done = 1;
	T_EQ_INT(j->stop, TRACE_STOP_ERROR);
	job_free(j);
	simnet_run_for(e.sn, 30);
	tenv_free(&e);
}

/* --- many at once --------------------------------------------------------- */

static void
test_many(void)
{
	enum { N = 200 };
	struct tenv e;
	struct job *j[N];
	struct simnet_dest *d[N];
	size_t total = 0;
	unsigned ok = 0;
	double t0;

	fprintf(stderr, "%d traces at once\n", N);
	tenv_init(&e, 100000);
	for (unsigned i = 0; i < N; i++) {
		const struct mcase *mc = &cases[i % NCASES];

		d[i] = simnet_dest_add(e.sn, dst_name(mc->family, 100 + i),
		    3 + i % 12);
		d[i]->ecmp_ttl = 2;
		d[i]->ecmp_width = 2;
		if (i % 5 == 0)
			d[i]->silent[2] = 1;
	}
	t0 = simnet_now_s();
	for (unsigned i = 0; i < N; i++) {
		const struct mcase *mc = &cases[i % NCASES];
		struct trace_conf c;

		conf_init(&c, mc);
		c.wait_ms = 150;
		c.window = 16;		/* enough in flight to grow the table */
		c.flowid = i % 3;
		j[i] = job_start(&e, &c, dst_name(mc->family, 100 + i));
	}
	T_EQ_INT(simnet_run(e.sn, RUN_LIMIT_MS), 0);
	fprintf(stderr, "  done in %.3f s, %zu probes\n", simnet_now_s() - t0,
	    simnet_nprobes(e.sn));
	for (unsigned i = 0; i < N; i++) {
		const struct trace_result *r = trace_result(j[i]->t);

		T_EQ_INT(j[i]->ndone, 1);
		if (r->stop_reason == TRACE_STOP_COMPLETED &&
		    r->hop_count == d[i]->dist &&
		    r->probe_count == d[i]->nprobes &&
		    check_path(r, d[i], 1, d[i]->dist, d[i]->silent, 1))
			ok++;
		total += r->probe_count;
		job_free(j[i]);
	}
	T_EQ_INT(ok, N);
	T_EQ_INT(total, simnet_nprobes(e.sn));
	T_EQ_INT(engine_stats(e.eng)->probes_sent, simnet_nprobes(e.sn));
	tenv_free(&e);
}

static void
test_conf(void)
{
	struct trace_conf c;
	char err[128];

	memset(&c, 0, sizeof(c));
	T_EQ_INT(trace_conf_finish(&c, AF_INET, err, sizeof(err)), 0);
	T_CHECK(c.method == &pkt_icmp_paris);
	T_EQ_INT(c.first_ttl, 1);
	T_EQ_INT(c.max_ttl, 30);
	T_EQ_INT(c.attempts, 2);
	T_EQ_INT(c.gaplimit, 5);
	T_EQ_INT(c.window, 8);
	T_EQ_INT(c.wait_ms, 2000);
	memset(&c, 0, sizeof(c));
	c.first_ttl = 10;
	c.max_ttl = 5;
	T_EQ_INT(trace_conf_finish(&c, AF_INET, err, sizeof(err)), -1);
	memset(&c, 0, sizeof(c));
	c.method = &pkt_udp_paris;
	c.size = 20;
	T_EQ_INT(trace_conf_finish(&c, AF_INET6, err, sizeof(err)), -1);
	T_EQ_STR(trace_stop_name(TRACE_STOP_GAPLIMIT), "GAPLIMIT");
	T_EQ_STR(trace_stop_name((enum trace_stop)99), "NONE");
}

int
main(void)
{
	simnet_count_libevent_warnings();
	test_conf();
	for (size_t i = 0; i < NCASES; i++) {
		const struct mcase *mc = &cases[i];

		test_completed(mc, 0);
		test_completed(mc, 1);
		test_silent(mc);
		test_gaplimit(mc);
		test_unreach(mc);
		test_loop(mc);
		test_hoplimit(mc);
		test_first_ttl(mc);
		test_error(mc);
		test_halt(mc);
		test_all_attempts(mc);
		test_window(mc);
		test_adaptive(mc);
		test_paris(mc);
		test_hostile(mc);
		test_free_in_done(mc);
	}
	test_many();
	T_EQ_INT(simnet_libevent_warnings(), 0);
	return T_DONE();
}
