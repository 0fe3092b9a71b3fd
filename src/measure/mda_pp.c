/*
 * mda_pp: per-packet tests, asked and read.  A vertex with several next
 * hops has one of its flows re-sent at the next TTL; a vertex whose flow
 * comes back from another vertex forwards per packet -- unless the flow's
 * answer at the vertex's own TTL moves as well, which puts the balancer
 * upstream.
 */
#include "measure/mda_int.h"

/* The vertex a flow last answered from below `ttl` (and its TTL), or -1
 * if none, across silent TTLs only. */
int32_t
mda_vertex_before(const struct mda *m, unsigned flow, unsigned ttl,
    unsigned *at)
{
	for (unsigned t = ttl; t-- > m->res.conf.first_ttl;) {
		const struct mda_cell *c = mda_cell(m, flow, t);

		if (c->vertex >= 0) {
			*at = t;
			return c->vertex;
		}
		if (!(c->flags & CELL_SILENT))
			return -1;
	}
	return -1;
}

/* Vertex u (at TTL t) forwards per packet, unless it is itself reached
 * through such a balancer (then the spreading is that one's). */
void
mda_pp_flag(struct mda *m, int32_t u, unsigned t)
{
	if (u < 0 || m->res.vertices[u].perpacket || m->taint[t])
		return;
	m->res.vertices[u].perpacket = 1;
	mda_dirty(m, m->res.conf.first_ttl, m->res.conf.max_ttl);
}

/*
 * A per-packet test probe (flow f re-sent at t + 1 behind vertex u at t)
 * got another answer than the flow's first.  When something is upstream
 * of u, the same flow is first re-sent at t: if u's own answer moves as
 * well, the spreading happens before u.
 */
void
mda_pp_moved(struct mda *m, unsigned f, unsigned ttl)
{
	struct mda_vx *x;
	unsigned t = 0, t0 = 0;
	int32_t u = mda_vertex_before(m, f, ttl, &t);

	if (u < 0)
		return;
	x = &m->vx[u];
	if (x->flags & (VX_PPCONF | VX_PPDONE))
		return;
	if (mda_vertex_before(m, f, t, &t0) < 0) {
		mda_pp_flag(m, u, t);
		return;
	}
	x->flags |= VX_PPCONF;
	x->conf_flow = (uint16_t)f;
	x->conf_ttl = (uint8_t)t;
	x->conf_out = 0;
	for (unsigned k = 1; k < m->n1; k++)
		if (mda_request(m, f, t, PPT_CONFIRM) == 0) {
			x->conf_out++;
			m->ppout[t]++;
		}
}

/* A confirmation probe is back: v its answer's vertex, -1 if none. */
void
mda_pp_confirm_back(struct mda *m, const struct mda_probe *p, int32_t v)
{
	for (size_t w = 0; w < m->res.nvertices; w++) {
		struct mda_vx *x = &m->vx[w];
		unsigned t0 = 0;

		if (!(x->flags & VX_PPCONF) || x->conf_flow != p->flow ||
		    x->conf_ttl != p->ttl)
			continue;
		if (v >= 0 && v != mda_cell(m, p->flow, p->ttl)->vertex) {
			/* w's own answer moves: blame what is before w. */
			x->flags = (uint8_t)((x->flags & ~VX_PPCONF) |
			    VX_PPDONE);
			mda_pp_flag(m, mda_vertex_before(m, p->flow, p->ttl,
			    &t0), t0);
			return;
		}
		if (x->conf_out > 0 && --x->conf_out == 0) {
			x->flags = (uint8_t)((x->flags & ~VX_PPCONF) |
			    VX_PPDONE);
			mda_pp_flag(m, (int32_t)w, p->ttl);
		}
		return;
	}
}

/* --- asking for tests ------------------------------------------------- */

/*
 * Lowest TTL first: a per-packet balancer makes every vertex after it look
 * like one too, so a vertex at t is tested once the TTLs before it are
 * settled and their tests are done.  The highest TTL whose vertices may be
 * tested now.
 */
unsigned
mda_pp_gate(const struct mda *m)
{
	const struct mda_conf *c = &m->res.conf;
	unsigned g = c->max_ttl;

	for (unsigned u = c->first_ttl; u < g; u++) {
		if (m->ppout[u + 1] > 0)
			return u > c->first_ttl ? u - 1 : 0;
		if (mda_ttl_pending(m, u) > 0)
			g = u;
	}
	return g;
}

/*
 * Repeats a vertex with k known successors gets: the least r with
 * (1/k)^r <= 3/4 (1 - confidence), so that a vertex spreading packets
 * evenly over what is known shows a second answer at the confidence asked,
 * with a quarter of the error left to the MDA itself (5, 3, 3 for k = 2,
 * 3, 4 at 95 %; 8, 5, 4 at 99 %, where scamper re-sends 6 and 8 times
 * whatever k).  More successors may appear later; they only make the
 * repeats sent stronger.
 */
static unsigned
pp_repeats(const struct mda *m, unsigned k)
{
	/* k^r >= 4 / (3 (1 - C)), C in percent: 27 at 95 %, 134 at 99 % */
	unsigned miss = 100 - m->res.conf.confidence;
	unsigned goal = (400 + 3 * miss - 1) / (3 * miss), p = 1, r = 0;

	while (p < goal) {
		p *= k;
		r++;
	}
	return r;
}

void
mda_pp_test(struct mda *m, unsigned t, const int32_t *vs, unsigned nv,
    unsigned gate)
{
	if (t >= m->res.conf.max_ttl || m->taint[t] || t > gate ||
	    mda_ttl_pending(m, t) > 0 || mda_ttl_pending(m, t + 1) > 0)
		return;
	for (unsigned i = 0; i < nv; i++) {
		int32_t v = vs[i], succ[8];
		unsigned f0 = 0, k = 0, r;

		if (!mda_is_router(m, v) || (m->vx[v].flags & VX_PPTEST) ||
		    m->res.vertices[v].perpacket)
			continue;
		for (unsigned f = 0; f < m->nflows && k < 8; f++) {
			const struct mda_cell *c = mda_cell_in(m, f, t), *n;
			unsigned j;

			if (c == NULL || c->vertex != v ||
			    (n = mda_cell_in(m, f, t + 1)) == NULL || n->vertex < 0)
				continue;
			for (j = 0; j < k && succ[j] != n->vertex; j++)
				;
			if (j == k) {
				if (k == 0)
					f0 = f;
				succ[k++] = n->vertex;
			}
		}
		if (k < 2)
			continue;
		m->vx[v].flags |= VX_PPTEST;
		r = pp_repeats(m, k);
		for (unsigned j = 0; j < r; j++)
			if (mda_request(m, f0, t + 1, PPT_TEST) == 0)
				m->ppout[t + 1]++;
	}
}
