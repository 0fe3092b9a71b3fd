/*
 * meas: Paris traces and MDA measurements behind one interface.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "daemon/meas.h"
#include "daemon/policy.h"
#include "output/out.h"

struct meas_ops {
	const char *name;
	int (*create)(struct meas *, struct engine *,
	    const struct trace_conf *, const struct mda_conf *,
	    const struct addr_ip *);
	void (*start)(struct meas *);
	void (*halt)(struct meas *);
	void (*summary)(const struct meas *, struct meas_summary *);
	json_t *(*json)(const struct meas *, int anonymize,
	    const struct out_extra *);
	void (*addrs)(const struct meas *, meas_addr_cb, void *);
	void (*free)(struct meas *);
};

struct meas {
	const struct meas_ops *ops;
	enum meas_kind kind;
	union {
		struct trace *t;
		struct mda *m;
	} u;
	meas_done_cb done;
	void *arg;
};

/* --- Paris trace ---------------------------------------------------------- */

static void
trace_cb(struct trace *t, void *arg)
{
	struct meas *m = arg;

	m->done(m, m->arg);
}

static int
paris_create(struct meas *m, struct engine *eng, const struct trace_conf *tc,
    const struct mda_conf *mc, const struct addr_ip *dst)
{
	static const struct trace_cbs cbs = { trace_cb, NULL };

	m->u.t = trace_new(eng, tc, dst, &cbs, m);
	return m->u.t != NULL ? 0 : -1;
}

static void
paris_start(struct meas *m)
{
	trace_start(m->u.t);
}

static void
paris_halt(struct meas *m)
{
	trace_halt(m->u.t);
}

static void
paris_summary(const struct meas *m, struct meas_summary *s)
{
	const struct trace_result *r = trace_result(m->u.t);

	s->start = r->start;
	trace_end(r, &s->end);
	s->failed = r->stop_reason == TRACE_STOP_ERROR;
	s->halted = r->stop_reason == TRACE_STOP_HALTED;
	s->probes = r->probe_count;
}

static json_t *
paris_json(const struct meas *m, int anonymize, const struct out_extra *x)
{
	const struct trace_result *res = trace_result(m->u.t);
	struct trace_result copy;
	json_t *o;

	if (!anonymize)
		return out_trace_json_x(res, x);
	/* Anonymize a copy: the trace keeps what it measured. */
	copy = *res;
	if ((copy.hops = calloc(res->nhops ? res->nhops : 1,
	    sizeof(*copy.hops))) == NULL)
		return NULL;
	memcpy(copy.hops, res->hops, res->nhops * sizeof(*copy.hops));
	for (size_t i = 0; i < copy.nhops; i++)
		policy_anonymize(&copy.hops[i].addr, &res->flow.dst);
	policy_anonymize(&copy.flow.dst, &res->flow.dst);
	o = out_trace_json_x(&copy, x);
	free(copy.hops);
	return o;
}

static void
paris_addrs(const struct meas *m, meas_addr_cb cb, void *arg)
{
	const struct trace_result *r = trace_result(m->u.t);

	for (size_t i = 0; i < r->nhops; i++)
		if (r->hops[i].addr.family != 0)
			cb(&r->hops[i].addr, arg);
}

static void
paris_free(struct meas *m)
{
	trace_free(m->u.t);
}

/* --- MDA ------------------------------------------------------------------ */

static void
mda_cb(struct mda *md, void *arg)
{
	struct meas *m = arg;

	m->done(m, m->arg);
}

static int
mda_create(struct meas *m, struct engine *eng, const struct trace_conf *tc,
    const struct mda_conf *mc, const struct addr_ip *dst)
{
	m->u.m = mda_new(eng, mc, dst, mda_cb, m);
	return m->u.m != NULL ? 0 : -1;
}

static void
mda_start_op(struct meas *m)
{
	mda_start(m->u.m);
}

static void
mda_halt_op(struct meas *m)
{
	mda_halt(m->u.m);
}

static void
mda_summary(const struct meas *m, struct meas_summary *s)
{
	const struct mda_result *r = mda_result(m->u.m);

	s->start = r->start;
	s->end = r->end;
	s->failed = r->stop_reason == MDA_STOP_ERROR;
	s->halted = r->stop_reason == MDA_STOP_HALTED;
	s->probes = r->probec;
	s->nodes = r->nvertices;
	for (size_t i = 0; i < r->nvertices; i++)
		if (r->vertices[i].perpacket)
			s->perpacket++;
}

static json_t *
mda_json(const struct meas *m, int anonymize, const struct out_extra *x)
{
	const struct mda_result *res = mda_result(m->u.m);
	const struct addr_ip *client = &res->flow0.dst;
	struct mda_result copy;
	json_t *o = NULL;

	if (!anonymize)
		return out_tracelb_json_x(res, x);
	/* Nodes and link ends come from the vertices and the probes'
	 * replies: anonymize copies of both (the rest is shared). */
	copy = *res;
	copy.vertices = calloc(res->nvertices ? res->nvertices : 1,
	    sizeof(*copy.vertices));
	copy.probes = calloc(res->nprobes ? res->nprobes : 1,
	    sizeof(*copy.probes));
	if (copy.vertices == NULL || copy.probes == NULL)
		goto out;
	memcpy(copy.vertices, res->vertices,
	    res->nvertices * sizeof(*copy.vertices));
	memcpy(copy.probes, res->probes, res->nprobes * sizeof(*copy.probes));
	for (size_t i = 0; i < copy.nvertices; i++)
		policy_anonymize(&copy.vertices[i].addr, client);
	for (size_t i = 0; i < copy.nprobes; i++)
		if (copy.probes[i].replied)
			policy_anonymize(&copy.probes[i].addr, client);
	policy_anonymize(&copy.flow0.dst, client);
	o = out_tracelb_json_x(&copy, x);
out:
	free(copy.vertices);
	free(copy.probes);
	return o;
}

/* The nodes: the only addresses a tracelb names. */
static void
mda_addrs(const struct meas *m, meas_addr_cb cb, void *arg)
{
	const struct mda_result *r = mda_result(m->u.m);

	for (size_t i = 0; i < r->nvertices; i++)
		if (r->vertices[i].addr.family != 0)
			cb(&r->vertices[i].addr, arg);
}

static void
mda_free_op(struct meas *m)
{
	mda_free(m->u.m);
}

/* --- the table ------------------------------------------------------------ */

static const struct meas_ops kinds[MEAS_NKINDS] = {
	[MEAS_PARIS] = { "paris", paris_create, paris_start, paris_halt,
	    paris_summary, paris_json, paris_addrs, paris_free },
	[MEAS_MDA] = { "mda", mda_create, mda_start_op, mda_halt_op,
	    mda_summary, mda_json, mda_addrs, mda_free_op },
};

const char *
meas_kind_name(enum meas_kind k)
{
	return (unsigned)k < MEAS_NKINDS ? kinds[k].name : "?";
}

int
meas_kind_find(const char *name, enum meas_kind *k)
{
	for (unsigned i = 0; i < MEAS_NKINDS; i++)
		if (strcmp(name, kinds[i].name) == 0) {
			*k = (enum meas_kind)i;
			return 0;
		}
	return -1;
}

struct meas *
meas_new(enum meas_kind kind, struct engine *eng,
    const struct trace_conf *tconf, const struct mda_conf *mconf,
    const struct addr_ip *dst, meas_done_cb done, void *arg)
{
	struct meas *m;

	if ((unsigned)kind >= MEAS_NKINDS || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->ops = &kinds[kind];
	m->kind = kind;
	m->done = done;
	m->arg = arg;
	if (m->ops->create(m, eng, tconf, mconf, dst) == -1) {
		free(m);
		return NULL;
	}
	return m;
}

void
meas_start(struct meas *m)
{
	m->ops->start(m);
}

void
meas_halt(struct meas *m)
{
	m->ops->halt(m);
}

enum meas_kind
meas_kind(const struct meas *m)
{
	return m->kind;
}

void
meas_summary(const struct meas *m, struct meas_summary *s)
{
	memset(s, 0, sizeof(*s));
	m->ops->summary(m, s);
}

json_t *
meas_json(const struct meas *m, int anonymize, const struct out_extra *x)
{
	return m->ops->json(m, anonymize, x);
}

void
meas_addrs(const struct meas *m, meas_addr_cb cb, void *arg)
{
	m->ops->addrs(m, cb, arg);
}

void
meas_free(struct meas *m)
{
	if (m == NULL)
		return;
	m->ops->free(m);
	free(m);
}
