/*
 * mdanet: the MDA tests' support: a simulated network with an engine,
 * measurements run to their end, graph topologies, and the comparison of a
 * result with the graph's ground truth.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdanet.h"

#define GT_MAX		512

void
tenv_init(struct tenv *e)
{
	memset(e, 0, sizeof(*e));
	e->eng = simnet_engine(100000, 0, &e->base, &e->sn);
}

void
tenv_free(struct tenv *e)
{
	simnet_engine_free(e->eng, e->sn, e->base);
}

static void
job_done(struct mda *m, void *arg)
{
	struct job *j = arg;

	(void)m;
	j->ndone++;
	if (j->env->active > 0 && --j->env->active == 0)
		simnet_stop(j->env->sn);
}

struct job *
job_start(struct tenv *e, const struct mda_conf *c, const char *dst)
{
	struct job *j;
	struct addr_ip a;

	if ((j = calloc(1, sizeof(*j))) == NULL || addr_pton(dst, &a) == -1)
		abort();
	j->env = e;
	if ((j->m = mda_new(e->eng, c, &a, job_done, j)) == NULL)
		abort();
	e->active++;
	mda_start(j->m);
	return j;
}

void
job_free(struct job *j)
{
	mda_free(j->m);
	free(j);
}

struct job *
run_one(struct tenv *e, const struct mda_conf *c, const char *dst)
{
	struct job *j = job_start(e, c, dst);

	if (j->ndone == 0 && simnet_run(e->sn, RUN_LIMIT_MS) != 0) {
		fprintf(stderr, "%s: the simulated network did not settle\n",
		    dst);
		abort();
	}
	if (j->ndone != 1) {
		fprintf(stderr, "%s: %u measurements done, not 1\n", dst,
		    j->ndone);
		abort();
	}
	return j;
}

void
conf_init(struct mda_conf *c, enum mda_method m, enum mda_rule rule)
{
	memset(c, 0, sizeof(*c));
	c->method = m;
	c->rule = rule;
	c->confidence = 99;
	c->wait_ms = 300;
}

const char *
naddr(int family, unsigned n)
{
	static char buf[16][64];
	static unsigned k;
	char *b = buf[k++ % 16];

	if (family == AF_INET)
		snprintf(b, 64, "198.18.10.%u", n);
	else
		snprintf(b, 64, "2001:db8:10::%x", n);
	return b;
}

const char *
dname(int family, unsigned n)
{
	static char buf[8][64];
	static unsigned k;
	char *b = buf[k++ % 8];

	if (family == AF_INET)
		snprintf(b, 64, "198.19.%u.%u", n / 250, 1 + n % 250);
	else
		snprintf(b, 64, "2001:db8:20::%x", n + 1);
	return b;
}

/* Routers 0..n-1 (addresses naddr(i + 1)); edges as (from, to) pairs,
 * to -1 for the destination. */
struct simnet_dest *
graph(struct tenv *e, const char *dst, unsigned n, const int (*edges)[2],
    size_t nedges)
{
	struct simnet_dest *d = simnet_dest_add(e->sn, dst, 1);
	int family;

	if (d == NULL)
		abort();
	family = d->dst.family;
	for (unsigned i = 0; i < n; i++)
		if (simnet_node_add(d, naddr(family, i + 1)) != (int)i)
			abort();
	for (size_t i = 0; i < nedges; i++)
		if (simnet_node_link(d, edges[i][0], edges[i][1] < 0 ?
		    SIMNET_NODE_DEST : edges[i][1]) == -1)
			abort();
	return d;
}

#define GRAPH(e, dst, n, edges) \
	graph(e, dst, n, edges, sizeof(edges) / sizeof(edges[0]))

struct gt {
	int from, to;		/* node, or -1 the destination */
	unsigned gap;
};

static void
gt_walk(const struct simnet_dest *d, int u, int w, unsigned gap,
    struct gt *gt, size_t *n)
{
	if (w >= 0 && d->node[w].silent) {
		for (unsigned k = 0; k < d->node[w].nnext; k++) {
			int x = d->node[w].next[k];

			gt_walk(d, u, x == SIMNET_NODE_DEST ? -1 : x, gap + 1,
			    gt, n);
		}
		return;
	}
	if (w < 0 && d->blackhole)
		return;
	for (size_t i = 0; i < *n; i++)
		if (gt[i].from == u && gt[i].to == w && gt[i].gap == gap)
			return;
	if (*n < GT_MAX)
		gt[(*n)++] = (struct gt){ u, w, gap };
}

/* The links an observer can see: between answering routers (and the
 * destination), across silent ones. */
static size_t
gt_links(const struct simnet_dest *d, struct gt *gt)
{
	size_t n = 0;

	for (unsigned u = 0; u < d->nnodes; u++) {
		if (d->node[u].silent)
			continue;
		for (unsigned k = 0; k < d->node[u].nnext; k++) {
			int x = d->node[u].next[k];

			gt_walk(d, (int)u, x == SIMNET_NODE_DEST ? -1 : x, 0,
			    gt, &n);
		}
	}
	return n;
}

/* The graph node of vertex v: index, -1 the destination, -2 unknown. */
int
node_of(const struct simnet_dest *d, const struct mda_result *r, int32_t v)
{
	const struct addr_ip *a = &r->vertices[v].addr;

	if (addr_eq(a, &d->dst))
		return -1;
	for (unsigned i = 0; i < d->nnodes; i++)
		if (addr_eq(a, &d->node[i].addr))
			return (int)i;
	return -2;
}


/* Compare r with d's ground truth; tails (links to -1) are counted apart. */
struct outcome
check(const struct simnet_dest *d, const struct mda_result *r)
{
	struct gt gt[GT_MAX];
	size_t ngt = gt_links(d, gt);
	struct outcome o;

	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < r->nvertices; i++) {
		if (node_of(d, r, (int32_t)i) == -2)
			o.unknown++;
		if (r->vertices[i].perpacket)
			o.perpacket++;
	}
	for (size_t i = 0; i < r->nlinks; i++) {
		const struct mda_link *l = &r->links[i];
		int u, w;
		size_t k;

		if (i > 0 && (l->from < r->links[i - 1].from ||
		    (l->from == r->links[i - 1].from &&
		    l->to < r->links[i - 1].to)))
			o.bad_probes++;	/* not sorted */
		if (l->to < 0) {
			o.tails++;
			continue;
		}
		u = node_of(d, r, l->from);
		w = node_of(d, r, l->to);
		for (k = 0; k < ngt; k++)
			if (gt[k].from == u && gt[k].to == w &&
			    gt[k].gap == l->gap)
				break;
		if (k == ngt) {
			char a[ADDR_STRLEN], b[ADDR_STRLEN];

			fprintf(stderr, "  false link %s -> %s gap %u\n",
			    addr_ntop(&r->vertices[l->from].addr, a, sizeof(a)),
			    addr_ntop(&r->vertices[l->to].addr, b, sizeof(b)),
			    l->gap);
			o.false_links++;
		}
	}
	for (size_t k = 0; k < ngt; k++) {
		size_t i;

		for (i = 0; i < r->nlinks; i++) {
			const struct mda_link *l = &r->links[i];

			if (l->to >= 0 &&
			    node_of(d, r, l->from) == gt[k].from &&
			    node_of(d, r, l->to) == gt[k].to &&
			    l->gap == gt[k].gap)
				break;
		}
		if (i == r->nlinks) {
			fprintf(stderr, "  missed link node %d -> %d gap %u\n",
			    gt[k].from, gt[k].to, gt[k].gap);
			o.missed++;
		}
	}
	/* Probes: every one in the result, in send order, answered from the
	 * vertex it names. */
	if (r->nprobes != r->probec)
		o.bad_probes++;
	for (size_t i = 0; i < r->nprobes; i++) {
		const struct mda_probe *p = &r->probes[i];

		if (p->replied && (p->vertex < 0 ||
		    (size_t)p->vertex >= r->nvertices ||
		    !addr_eq(&p->addr, &r->vertices[p->vertex].addr)))
			o.bad_probes++;
		if (!p->replied && p->vertex != -1)
			o.bad_probes++;
	}
	if ((o.missed || o.false_links) && getenv("MDA_DEBUG") != NULL)
		for (size_t i = 0; i < r->nprobes; i++) {
			const struct mda_probe *p = &r->probes[i];

			fprintf(stderr, "    probe %zu flow %u ttl %u att %u%s "
			    "-> %d\n", i, p->flow, p->ttl, p->attempt,
			    p->pptest ? " test" : "", p->replied ?
			    node_of(d, r, p->vertex) : -9);
		}
	return o;
}

/* --- topologies ------------------------------------------------------ */

/* r0 - r1 => {a, b} => r3 - dst: the balancer at TTL 2. */
const int diamond2[6][2] = {
	{ 0, 1 }, { 1, 2 }, { 1, 3 }, { 2, 4 }, { 3, 4 }, { 4, -1 },
};
/* r0 => {a, b} => r3 - dst: the balancer at TTL 1. */
const int diamond1[5][2] = {
	{ 0, 1 }, { 0, 2 }, { 1, 3 }, { 2, 3 }, { 3, -1 },
};
/* r0 - r1 => {ma, mb, mc, md}; ma => {x1, x2}; mb - y, mc - z, md - w;
 * all => r3 - dst (the lab's fan4n). */
const int fan4n[16][2] = {
	{ 0, 1 }, { 1, 2 }, { 1, 3 }, { 1, 4 }, { 1, 5 },
	{ 2, 6 }, { 2, 7 }, { 3, 8 }, { 4, 9 }, { 5, 10 },
	{ 6, 11 }, { 7, 11 }, { 8, 11 }, { 9, 11 }, { 10, 11 }, { 11, -1 },
};
/* r0 => {a, b}; a and b both => {c, d}; c, d => r5 - dst. */
const int meshed[9][2] = {
	{ 0, 1 }, { 0, 2 }, { 1, 3 }, { 1, 4 }, { 2, 3 }, { 2, 4 },
	{ 3, 5 }, { 4, 5 }, { 5, -1 },
};
/* The lab's meshed stage: r0 - r1 => {a, b, c}; each of a, b, c =>
 * {d, e, f}; d, e, f => r8 - dst. */
const int meshed3[17][2] = {
	{ 0, 1 }, { 1, 2 }, { 1, 3 }, { 1, 4 },
	{ 2, 5 }, { 2, 6 }, { 2, 7 }, { 3, 5 }, { 3, 6 }, { 3, 7 },
	{ 4, 5 }, { 4, 6 }, { 4, 7 }, { 5, 8 }, { 6, 8 }, { 7, 8 }, { 8, -1 },
};
/* r0 => {a, b1}; a - r4; b1 - b2 - r4; r4 - dst: r4 at TTLs 3 and 4. */
const int lenasym[6][2] = {
	{ 0, 1 }, { 0, 2 }, { 1, 4 }, { 2, 3 }, { 3, 4 }, { 4, -1 },
};
/* r0 => {a, b}; a => {c, d} => e; b - f; e, f => g - dst. */
const int nested[10][2] = {
	{ 0, 1 }, { 0, 2 }, { 1, 3 }, { 1, 4 }, { 3, 5 }, { 4, 5 },
	{ 2, 6 }, { 5, 7 }, { 6, 7 }, { 7, -1 },
};
/* A line: r0 - r1 - r2 - dst. */
const int line3[3][2] = {
	{ 0, 1 }, { 1, 2 }, { 2, -1 },
};

/*
 * The probes as the network saw them (simnet's own reading, in send
 * order): valid, every hashed field but the method's one constant, that
 * one = mda_flowid_value of the probe's flow; the IPv6 flow label per flow
 * unless fixed.
 */
int
check_fields(const struct tenv *e, const struct mda_result *r, size_t lo)
{
	const struct simnet_hashed *h0 = &simnet_probe(e->sn, lo)->h;
	int ok = 1;

	for (size_t i = 0; i < r->nprobes; i++) {
		const struct simnet_probe *sp = simnet_probe(e->sn, lo + i);
		const struct mda_probe *p = &r->probes[i];
		const struct simnet_hashed *h;
		uint32_t want = mda_flowid_value(r, p->flow), got = 0;
		int same_rest;

		if (sp == NULL || !sp->parsed || !sp->sums_ok ||
		    sp->ttl != p->ttl) {
			fprintf(stderr, "  probe %zu unreadable\n", i);
			ok = 0;
			continue;
		}
		h = &sp->h;
		same_rest = h->proto == h0->proto && h->tos == h0->tos &&
		    h->len == h0->len && addr_eq(&h->dst, &h0->dst);
		switch (r->conf.method) {
		case MDA_UDP_DPORT:
			got = h->dport;
			same_rest &= h->sport == h0->sport;
			break;
		case MDA_UDP_SPORT:
		case MDA_TCP_SPORT:
		case MDA_TCP_ACK_SPORT:
			got = h->sport;
			same_rest &= h->dport == h0->dport;
			break;
		case MDA_ICMP_ECHO:
			got = h->icmp_sum;
			same_rest &= h->sport == h0->sport;
			break;
		case MDA_FLOWLABEL:
			got = h->flowlabel;
			same_rest &= h->sport == h0->sport &&
			    h->icmp_sum == h0->icmp_sum;
			break;
		default:
			break;
		}
		if (h->family == AF_INET6 && r->conf.method != MDA_FLOWLABEL) {
			uint32_t fl = r->conf.flowlabel_fixed ? 0 :
			    pkt_flow_label(p->flow);

			same_rest &= h->flowlabel == fl;
		}
		if (got != want || !same_rest) {
			fprintf(stderr, "  probe %zu flow %u: field %u, want "
			    "%u%s\n", i, p->flow, got, want,
			    same_rest ? "" : ", other fields moved");
			ok = 0;
		}
	}
	return ok;
}
