/*
 * mda_pp: what the answers to per-packet test probes mean.  A vertex whose
 * flow, re-sent at the next TTL, comes back from another vertex forwards
 * per packet -- unless the flow's answer at the vertex's own TTL moves as
 * well, which puts the balancer upstream.
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
