/*
 * mda_graph: the result's vertices and links, from what every flow got at
 * every TTL.
 */
#include <stdlib.h>
#include <string.h>

#include "measure/mda_int.h"

int
mda_vertex_find(struct mda *m, const struct addr_ip *a, int has_q,
    uint8_t q_ttl, uint8_t kind, uint8_t ttl)
{
	struct mda_result *r = &m->res;
	struct mda_vertex *v;

	for (size_t i = 0; i < r->nvertices; i++) {
		v = &r->vertices[i];
		if (!addr_eq(&v->addr, a))
			continue;
		/* The destination is one vertex: probes sent past it quote
		 * what TTL they had left, not a different node. */
		if (kind == MDA_V_DEST && v->kind == MDA_V_DEST) {
			if (has_q && (!v->has_q_ttl || q_ttl < v->q_ttl)) {
				v->has_q_ttl = 1;
				v->q_ttl = q_ttl;
			}
		} else if (v->has_q_ttl != has_q ||
		    (has_q && v->q_ttl != q_ttl))
			continue;
		if (ttl < v->ttl)
			v->ttl = ttl;
		return (int)i;
	}
	if (r->nvertices == m->vert_cap) {
		size_t cap = m->vert_cap ? m->vert_cap * 2 : 32;
		struct mda_vertex *nv;
		struct mda_vx *nf;
		int32_t *sv;
		unsigned *sc;

		if ((nv = realloc(r->vertices, cap * sizeof(*nv))) == NULL)
			return -1;
		r->vertices = nv;
		if ((nf = realloc(m->vx, cap * sizeof(*nf))) == NULL)
			return -1;
		m->vx = nf;
		if ((sv = realloc(m->sv, cap * sizeof(*sv))) == NULL)
			return -1;
		m->sv = sv;
		if ((sc = realloc(m->sc, cap * sizeof(*sc))) == NULL)
			return -1;
		m->sc = sc;
		if ((sv = realloc(m->sv2, cap * sizeof(*sv))) == NULL)
			return -1;
		m->sv2 = sv;
		if ((sc = realloc(m->sc2, cap * sizeof(*sc))) == NULL)
			return -1;
		m->sc2 = sc;
		m->vert_cap = cap;
	}
	v = &r->vertices[r->nvertices];
	memset(v, 0, sizeof(*v));
	v->addr = *a;
	v->ttl = ttl;
	v->has_q_ttl = (uint8_t)has_q;
	v->q_ttl = has_q ? q_ttl : 0;
	v->kind = kind;
	memset(&m->vx[r->nvertices], 0, sizeof(*m->vx));
	return (int)r->nvertices++;
}

static int
link_cmp(const void *a, const void *b)
{
	const struct mda_link *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->gap != y->gap)
		return x->gap < y->gap ? -1 : 1;
	return 0;
}

static int
link_add(struct mda_link **l, size_t *n, size_t *cap, int32_t from,
    int32_t to, unsigned gap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		struct mda_link *nl = realloc(*l, c * sizeof(*nl));

		if (nl == NULL)
			return -1;
		*l = nl;
		*cap = c;
	}
	(*l)[*n].from = from;
	(*l)[*n].to = to;
	(*l)[*n].gap = (uint8_t)(gap > 255 ? 255 : gap);
	(*n)++;
	return 0;
}

/* Whether links other than the one (from, to, span - 1) lead from `from`
 * to `to` within `span` TTLs (a link with gap g spans g + 1). */
static int
other_path(const struct mda_link *l, size_t n, int32_t from, int32_t to,
    unsigned span, int depth)
{
	if (depth > 32)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned s = l[i].gap + 1u;

		if (l[i].from != from || l[i].to < 0 || s > span ||
		    (depth == 0 && l[i].to == to && s == span))
			continue;
		if (l[i].to == to || other_path(l, n, l[i].to, to, span - s,
		    depth + 1))
			return 1;
	}
	return 0;
}

/*
 * The links every flow saw: vertex at t, `gap` silent TTLs, vertex at the
 * next answered TTL.  Where a per-packet balancer makes the vertex at t
 * depend on the packet (taint), a flow's two answers need not come from one
 * packet path: such a pair counts only as the balancer's own link.  A gap
 * seen by a single flow where answered vertices also lead from one vertex
 * to the other is a lost answer, not a silent router.  A router whose
 * flows all ended in silence gets a link to -1.
 */
int
mda_links_build(struct mda *m)
{
	const struct mda_conf *c = &m->res.conf;
	struct mda_result *r = &m->res;
	struct mda_link *l = NULL;
	size_t n = 0, cap = 0, nl, k;
	uint8_t *tail = NULL, *once = NULL;
	int rc = -1;

	/* A flag on a vertex reached through a per-packet balancer is that
	 * balancer's doing (its test ran first, or the flag came free). */
	mda_taint(m);
	for (size_t v = 0; v < r->nvertices; v++)
		if (r->vertices[v].perpacket && m->taint[r->vertices[v].ttl])
			r->vertices[v].perpacket = 0;
	mda_taint(m);
	if (r->nvertices > 0 && (tail = calloc(r->nvertices, 1)) == NULL)
		return -1;
	for (unsigned f = 0; f < m->nflows; f++) {
		unsigned end = mda_flow_end(m, f), pt = 0, silent = 0, ts = 0;
		int32_t pv = -1, tv = -1;

		for (unsigned t = c->first_ttl; t <= c->max_ttl; t++) {
			const struct mda_cell *cl = mda_cell(m, f, t);

			if (end != 0 && t > end)
				break;
			if (cl->vertex >= 0) {
				unsigned gap = t - pt - 1;

				if (pv >= 0 && (!m->taint[t] || (gap == 0 &&
				    r->vertices[pv].perpacket &&
				    !m->taint[pt])) && link_add(&l, &n, &cap,
				    pv, cl->vertex, gap) == -1)
					goto done;
				pv = cl->vertex;
				pt = t;
				silent = 0;
				tv = -1;
				if (r->vertices[pv].kind != MDA_V_ROUTER)
					break;
			} else if (cl->flags & CELL_SILENT)
				silent++;
			else {
				/* Not probed, or still in flight (halted):
				 * nothing links across it. */
				if (pv >= 0 && silent > 0) {
					tv = pv;
					ts = silent;
				}
				pv = -1;
				silent = 0;
			}
		}
		if (pv >= 0 && silent > 0) {
			tv = pv;
			ts = silent;
		}
		if (tv >= 0 && r->vertices[tv].kind == MDA_V_ROUTER &&
		    tail[tv] < ts)
			tail[tv] = (uint8_t)(ts > 255 ? 255 : ts);
	}
	if (n > 1)
		qsort(l, n, sizeof(*l), link_cmp);
	/* One entry per (from, to, gap), noting those one flow saw. */
	if (n > 0 && (once = calloc(n, 1)) == NULL)
		goto done;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && link_cmp(&l[i], &l[j]) == 0; j++)
			;
		once[i] = j == i + 1;
	}
	for (size_t i = k = 0; i < n; i++)
		if (i == 0 || link_cmp(&l[i], &l[i - 1]) != 0) {
			once[k] = once[i];
			l[k++] = l[i];
		}
	n = k;
	for (size_t i = k = 0; i < n; i++)
		if (!(l[i].gap > 0 && once[i] && other_path(l, n, l[i].from,
		    l[i].to, l[i].gap + 1u, 0)))
			l[k++] = l[i];
	n = nl = k;
	for (size_t v = 0; v < r->nvertices; v++) {
		int has_out = 0;

		if (tail[v] == 0)
			continue;
		for (size_t i = 0; i < nl && !has_out; i++)
			has_out = l[i].from == (int32_t)v;
		if (!has_out && link_add(&l, &n, &cap, (int32_t)v, -1,
		    tail[v]) == -1)
			goto done;
	}
	r->links = l;
	r->nlinks = n;
	l = NULL;
	rc = 0;
done:
	free(l);
	free(tail);
	free(once);
	return rc;
}

/* Vertices in order of their lowest TTL, then of discovery. */
int
mda_vertices_order(struct mda *m)
{
	struct mda_result *r = &m->res;
	size_t n = r->nvertices, k = 0;
	int32_t *map;
	struct mda_vertex *nv;

	if (n == 0)
		return 0;
	if ((map = malloc(n * sizeof(*map))) == NULL ||
	    (nv = malloc(n * sizeof(*nv))) == NULL) {
		free(map);
		return -1;
	}
	for (unsigned t = 0; t <= 255 && k < n; t++)
		for (size_t i = 0; i < n; i++)
			if (r->vertices[i].ttl == t) {
				map[i] = (int32_t)k;
				nv[k++] = r->vertices[i];
			}
	memcpy(r->vertices, nv, n * sizeof(*nv));
	free(nv);
	for (size_t i = 0; i < r->nprobes; i++)
		if (r->probes[i].vertex >= 0)
			r->probes[i].vertex = map[r->probes[i].vertex];
	for (size_t i = 0; i < r->nlinks; i++) {
		r->links[i].from = map[r->links[i].from];
		if (r->links[i].to >= 0)
			r->links[i].to = map[r->links[i].to];
	}
	if (r->nlinks > 1)
		qsort(r->links, r->nlinks, sizeof(*r->links), link_cmp);
	free(map);
	return 0;
}
