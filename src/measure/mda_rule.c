/*
 * mda_rule: the stopping rules of MDA-Lite and MDA, as requests for
 * (flow, TTL) probes.
 *
 * A TTL beyond the highest router answer gets one scout flow (up to
 * gaplimit TTLs ahead, all in flight together, so a silent tail costs one
 * round of timeouts); once a router answers at or above it, the TTL gets
 * all the discovery flows (mda_nk(1) of them).  The destination's hop
 * thus costs the scout and one flow per predecessor.  Then, per TTL t:
 *   - hop rule (MDA-Lite): with k vertices seen at t, mda_nk(k) answered
 *     flows, taking flows known at t - 1 or t + 1 first, new ones last;
 *   - reconnect: every vertex gets one flow probed at the TTL before and
 *     after it, so every link is seen by a single flow;
 *   - per-packet test (mda_pp.c): a vertex with k >= 2 successors, once
 *     they are known, has one flow re-sent at the next TTL as often as
 *     rules out even spreading over them at the confidence asked (at
 *     95 %: 5 times for k = 2, 3 for k = 3 or 4; at 99 %: 8, 5, 4);
 *     another answer flags it;
 *   - meshing and width asymmetry (MDA-Lite): two flows per vertex on the
 *     wider side of (t, t + 1), then node control at t if a vertex has
 *     several predecessors (successors) or the degrees differ;
 *   - node control (MDA, everywhere under MDA_RULE_FULL): a vertex with d
 *     successors needs mda_nk(d) of its flows answered at t + 1; new flows
 *     at t are drawn until enough land on it (in a stage MDA-Lite found
 *     unmeshed, at t + 1 directly: there a next hop tells its vertex).
 *     In a meshed stage, a vertex that has not reached a next hop its
 *     siblings share also takes the flows that land on it anyway to
 *     t + 1, up to mda_nk(d + 1).  Below a per-packet vertex (taint)
 *     flows land at random, so neither this nor the meshing test
 *     applies there.
 * A hop stops asking for flows after 2 x the rule's number were sent
 * (losses), and the probe budget bounds everything.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "measure/mda_int.h"

/* --- what is known at one TTL -------------------------------------------- */

struct tstat {
	unsigned answered, pending, probed, silent;
	unsigned nv, nrouter;		/* vertices, of them routers */
	unsigned disc_pending;		/* discovery flows still out */
	int32_t *v;			/* the vertices */
	unsigned *c;			/* flows answered from each */
};

static int
probed(const struct mda_cell *c)
{
	return (c->flags & CELL_QUEUED) || c->sent > 0;
}

static int
pending(const struct mda_cell *c)
{
	return probed(c) && c->vertex < 0 && !(c->flags & CELL_SILENT);
}

/* The flow's cell at t, or NULL when the flow ended below t. */
const struct mda_cell *
mda_cell_in(const struct mda *m, unsigned f, unsigned t)
{
	unsigned end = mda_flow_end(m, f);

	if (end != 0 && t > end)
		return NULL;
	return mda_cell(m, f, t);
}

int
mda_is_router(const struct mda *m, int32_t v)
{
	return v >= 0 && m->res.vertices[v].kind == MDA_V_ROUTER;
}

static void
scan(struct mda *m, unsigned t, struct tstat *st, int32_t *sv, unsigned *sc)
{
	uint8_t pp = 0;

	memset(st, 0, sizeof(*st));
	st->v = sv;
	st->c = sc;
	for (unsigned f = 0; f < m->nflows; f++) {
		const struct mda_cell *c = mda_cell_in(m, f, t);
		unsigned i;

		if (c == NULL || !probed(c))
			continue;
		st->probed++;
		if (c->vertex < 0) {
			if (c->flags & CELL_SILENT)
				st->silent++;
			else {
				st->pending++;
				if (f < m->n1)
					st->disc_pending++;
			}
			continue;
		}
		st->answered++;
		for (i = 0; i < st->nv && sv[i] != c->vertex; i++)
			;
		if (i < st->nv) {
			sc[i]++;
			continue;
		}
		sv[st->nv] = c->vertex;
		sc[st->nv++] = 1;
		if (mda_is_router(m, c->vertex))
			st->nrouter++;
		if (m->res.vertices[c->vertex].perpacket)
			pp = 1;
	}
	m->nvc[t] = (uint8_t)(st->nv > 255 ? 255 : st->nv);
	m->ppc[t] = pp;
}

static void
taint_update(struct mda *m)
{
	const struct mda_conf *c = &m->res.conf;

	m->taint[c->first_ttl] = 0;
	for (unsigned t = c->first_ttl + 1; t <= c->max_ttl; t++)
		m->taint[t] = m->nvc[t] > 1 &&
		    (m->ppc[t - 1] || m->taint[t - 1]);
}

void
mda_taint(struct mda *m)
{
	struct tstat st;

	for (unsigned t = m->res.conf.first_ttl; t <= m->res.conf.max_ttl; t++)
		scan(m, t, &st, m->sv, m->sc);
	taint_update(m);
}

unsigned
mda_horizon(const struct mda *m)
{
	const struct mda_conf *c = &m->res.conf;
	unsigned h = (m->hi != 0 ? m->hi : c->first_ttl - 1u) + c->gaplimit;

	return h > c->max_ttl ? c->max_ttl : h;
}

/* Whether new flow ids may be drawn at t: past the destination they would
 * only find it again at a lower TTL, and from a loop's TTL on they would
 * go round it without a history to show it. */
static int
new_ok(const struct mda *m, unsigned t)
{
	return t <= mda_horizon(m) && (m->dest_ttl == 0 || t <= m->dest_ttl) &&
	    (m->loop_ttl == 0 || t < m->loop_ttl);
}

int
mda_can_probe(const struct mda *m, unsigned f, unsigned t)
{
	const struct mda_conf *c = &m->res.conf;
	unsigned end = mda_flow_end(m, f), e = mda_end_ttl(m);

	if (t < c->first_ttl || t > c->max_ttl || t > mda_horizon(m) ||
	    (end != 0 && t >= end))
		return 0;
	if (e != 0 && t > e) {
		/* Past the destination (or a loop) only flows known to
		 * go on. */
		const struct mda_cell *p = mda_cell(m, f, t - 1);

		if (!mda_is_router(m, p->vertex) && !(p->flags & CELL_SILENT))
			return 0;
	}
	/* gaplimit silent TTLs in a row: this flow's branch ended. */
	if (t - c->first_ttl >= c->gaplimit) {
		unsigned u;

		for (u = 1; u <= c->gaplimit; u++)
			if (!(mda_cell(m, f, t - u)->flags & CELL_SILENT))
				break;
		if (u > c->gaplimit)
			return 0;
	}
	return 1;
}

static int
ask(struct mda *m, unsigned f, unsigned t)
{
	return mda_request(m, f, t, 0) == 0;
}

/* --- discovery ---------------------------------------------------------- */

static void
discovery(struct mda *m, unsigned t)
{
	unsigned base = m->hi != 0 ? m->hi : m->res.conf.first_ttl - 1u;

	if (t > mda_horizon(m))
		return;
	if (t <= base) {
		for (unsigned f = 0; f < m->n1; f++)
			if (!probed(mda_cell(m, f, t)) &&
			    mda_can_probe(m, f, t))
				ask(m, f, t);
		return;
	}
	/* Beyond: one scout; the others follow once a router answers. */
	for (unsigned f = 0; f < m->n1; f++)
		if (probed(mda_cell(m, f, t)))
			return;
	for (unsigned f = 0; f < m->n1; f++)
		if (mda_can_probe(m, f, t)) {
			ask(m, f, t);
			return;
		}
}

/* --- hop rule ----------------------------------------------------------- */

/* Whether flow f's cell at u (a neighbour TTL) says it passes t. */
static int
neighbour_rank(const struct mda *m, unsigned f, unsigned u)
{
	const struct mda_conf *c = &m->res.conf;
	const struct mda_cell *n;

	if (u < c->first_ttl || u > c->max_ttl || (n = mda_cell_in(m, f, u)) ==
	    NULL || !probed(n))
		return 0;
	if (n->vertex >= 0)
		return 3;
	if (n->flags & CELL_SILENT)
		return 2;
	return 1;
}

/* Ask for `want` more flows at t: flows seen at t - 1 or t + 1 first (the
 * links come free), then new ones.  How many were asked. */
static unsigned
more_flows(struct mda *m, unsigned t, unsigned want)
{
	unsigned got = 0;

	for (int rank = 3; rank >= 1 && got < want; rank--) {
		for (unsigned f = 0; f < m->nflows && got < want; f++) {
			int r;

			if (probed(mda_cell(m, f, t)))
				continue;
			r = neighbour_rank(m, f, t + 1);
			if (t > m->res.conf.first_ttl) {
				int r0 = neighbour_rank(m, f, t - 1);

				/* Below: a router answer, not the end. */
				if (r0 == 3 && !mda_is_router(m,
				    mda_cell(m, f, t - 1)->vertex))
					r0 = 0;
				if (r0 > r)
					r = r0;
			}
			if (r == rank && mda_can_probe(m, f, t) && ask(m, f, t))
				got++;
		}
	}
	while (got < want && new_ok(m, t)) {
		int f = mda_flow_new(m);

		if (f < 0 || !mda_can_probe(m, (unsigned)f, t) ||
		    !ask(m, (unsigned)f, t))
			break;
		got++;
	}
	return got;
}

static void
hop_rule(struct mda *m, unsigned t, const struct tstat *st)
{
	unsigned need, want;

	if (st->disc_pending > 0 || st->nv == 0)
		return;
	/* The destination's hop: reconnecting its predecessors is enough. */
	if (st->nrouter == 0 && m->dest_ttl != 0 && t >= m->dest_ttl)
		return;
	need = mda_nk(st->nv, m->res.conf.confidence);
	if (st->answered + st->pending >= need || st->probed >= 2 * need)
		return;
	want = need - st->answered - st->pending;
	/* Where flows go unanswered (a silent branch, losses), ask as many
	 * more as the answer rate says, in one round. */
	if (st->silent > 0)
		want = (want * (st->answered + st->silent) + st->answered - 1) /
		    st->answered;
	if (want > 2 * need - st->probed)
		want = 2 * need - st->probed;
	more_flows(m, t, want);
}

/* --- reconnecting vertices ---------------------------------------------- */

/*
 * Walk flow f from t in direction dir over silent cells: 1 when it already
 * shows a neighbour (answer, or one in flight) or can show none (range, gap
 * limit); 0 with *cand set to a TTL worth probing; 0 with *cand 0 when the
 * flow cannot tell.
 */
static int
walk(const struct mda *m, unsigned f, unsigned t, int dir, unsigned *cand)
{
	const struct mda_conf *c = &m->res.conf;

	*cand = 0;
	for (unsigned g = 1; g <= c->gaplimit; g++) {
		int u = (int)t + dir * (int)g;
		const struct mda_cell *n;

		if (u < c->first_ttl || u > c->max_ttl)
			return 1;
		if ((n = mda_cell_in(m, f, (unsigned)u)) == NULL)
			return 1;
		if (n->vertex >= 0 || pending(n))
			return 1;
		if (n->flags & CELL_SILENT)
			continue;
		if (mda_can_probe(m, f, (unsigned)u))
			*cand = (unsigned)u;
		return 0;
	}
	return 1;
}

/* What flow f shows next to t (dir -1: below, 1: above). */
enum { ADJ_HAS, ADJ_CAND, ADJ_SILENT, ADJ_NONE };

static int
adjacent(const struct mda *m, unsigned f, unsigned t, int dir, unsigned *u)
{
	const struct mda_conf *c = &m->res.conf;
	const struct mda_cell *n;
	int w = (int)t + dir;

	if (w < c->first_ttl || w > c->max_ttl ||
	    (n = mda_cell_in(m, f, (unsigned)w)) == NULL)
		return ADJ_HAS;		/* nothing there to learn */
	if (n->vertex >= 0 || pending(n))
		return ADJ_HAS;
	if (n->flags & CELL_SILENT)
		return ADJ_SILENT;
	*u = (unsigned)w;
	return mda_can_probe(m, f, (unsigned)w) ? ADJ_CAND : ADJ_NONE;
}

/* Flow f is out at u (nothing answered there yet): ask it at the TTLs
 * after u up to the gap limit too. */
static void
tail_ahead(struct mda *m, unsigned f, unsigned u)
{
	const struct mda_cell *c = mda_cell_in(m, f, u);

	if (c == NULL || !pending(c) || m->nvc[u] != 0)
		return;
	for (unsigned g = 1; g < m->res.conf.gaplimit; g++)
		if (!probed(mda_cell(m, f, u + g)) &&
		    mda_can_probe(m, f, u + g))
			ask(m, f, u + g);
}

/* Ask flow f at u and, above a TTL where nothing answered yet, at the
 * TTLs after it up to the gap limit too: a silent tail then costs one
 * round of timeouts, not one per TTL. */
static void
ask_ahead(struct mda *m, unsigned f, unsigned u, int dir)
{
	ask(m, f, u);
	if (dir < 0 || m->nvc[u] != 0)
		return;
	for (unsigned g = 1; g < m->res.conf.gaplimit; g++)
		if (!probed(mda_cell(m, f, u + g)) &&
		    mda_can_probe(m, f, u + g))
			ask(m, f, u + g);
}

/*
 * One side of vertex v at t: a flow of v answered (or in flight) at the
 * next TTL that way, else one such probe asked.  Silence there may be a
 * lost answer: where other vertices answered at that TTL a second flow is
 * tried; then (or at once where nothing answered) a flow seen across the
 * silence will do.
 */
static void
reconnect_side(struct mda *m, unsigned t, int32_t v, int dir)
{
	unsigned cf = 0, cu = 0, wf = 0, wu = 0, u = 0, ns = 0, limit;
	int direct = 0, across = 0;

	for (unsigned f = 0; f < m->nflows; f++) {
		const struct mda_cell *c = mda_cell_in(m, f, t);

		if (c == NULL || c->vertex != v)
			continue;
		switch (adjacent(m, f, t, dir, &u)) {
		case ADJ_HAS:
			/* A router at the highest answered TTL whose flow is
			 * still out beyond: its tail of gaplimit TTLs goes out
			 * now, so a silent tail behind several branches costs
			 * one round of timeouts, not one per branch. */
			if (dir > 0 && t == m->hi && mda_is_router(m, v))
				tail_ahead(m, f, t + 1);
			return;
		case ADJ_CAND:
			if (!direct)
				cf = f, cu = u, direct = 1;
			break;
		case ADJ_SILENT:
			ns++;
			if (!across) {
				if (walk(m, f, t, dir, &u))
					across = 2;
				else if (u != 0)
					wf = f, wu = u, across = 1;
			}
			break;
		}
	}
	limit = m->nvc[(int)t + dir] != 0 ? 2 : 1;
	if (direct && ns < limit)
		ask_ahead(m, cf, cu, dir);
	else if (across == 1)
		ask_ahead(m, wf, wu, dir);
}

static void
reconnect(struct mda *m, unsigned t, const struct tstat *st)
{
	for (unsigned i = 0; i < st->nv; i++) {
		int32_t v = st->v[i];

		if (t > m->res.conf.first_ttl)
			reconnect_side(m, t, v, -1);
		if (mda_is_router(m, v) && t < m->res.conf.max_ttl)
			reconnect_side(m, t, v, 1);
	}
}

unsigned
mda_ttl_pending(const struct mda *m, unsigned t)
{
	unsigned n = 0;

	for (unsigned f = 0; f < m->nflows; f++) {
		const struct mda_cell *c = mda_cell_in(m, f, t);

		n += c != NULL && pending(c);
	}
	return n;
}

/* --- meshing and width asymmetry (MDA-Lite) ------------------------------ */

/* Index of v in st's vertices, or -1. */
static int
vidx(const struct tstat *st, int32_t v)
{
	for (unsigned i = 0; i < st->nv; i++)
		if (st->v[i] == v)
			return (int)i;
	return -1;
}

/* Make every vertex of `wide` (at tw) show two flows at the other TTL to.
 * Whether probes were asked. */
static int
phi_flows(struct mda *m, const struct tstat *wide, unsigned tw, unsigned to)
{
	int asked = 0;

	for (unsigned i = 0; i < wide->nv; i++) {
		int32_t v = wide->v[i];
		unsigned have = 0;

		if (tw < to && !mda_is_router(m, v))
			continue;
		for (unsigned f = 0; f < m->nflows; f++) {
			const struct mda_cell *c = mda_cell_in(m, f, tw), *o;

			if (c == NULL || c->vertex != v ||
			    (o = mda_cell_in(m, f, to)) == NULL || o->vertex < 0)
				continue;
			have++;
		}
		for (unsigned f = 0; f < m->nflows && have < 2; f++) {
			const struct mda_cell *c = mda_cell_in(m, f, tw);

			if (c == NULL || c->vertex != v ||
			    probed(mda_cell(m, f, to)) ||
			    !mda_can_probe(m, f, to))
				continue;
			if (ask(m, f, to)) {
				have++;
				asked = 1;
			}
		}
	}
	return asked;
}

static void
mesh_test(struct mda *m, unsigned t, const struct tstat *s0)
{
	struct tstat s1;
	unsigned *outd, *ind, n0, n1;
	uint8_t *edge;
	int div, meshed = 0, asym = 0;
	unsigned od = 0, id = 0;

	if (t >= m->res.conf.max_ttl || m->full[t] || m->taint[t] ||
	    m->ppc[t] || m->taint[t + 1] || s0->pending > 0 || s0->nv < 2)
		return;
	scan(m, t + 1, &s1, m->sv2, m->sc2);
	if (s1.pending > 0 || s1.nv < 2)
		return;
	n0 = s0->nv;
	n1 = s1.nv;
	div = n1 >= n0;
	if (div ? phi_flows(m, &s1, t + 1, t) : phi_flows(m, s0, t, t + 1))
		return;
	if ((edge = calloc((size_t)n0 * n1 + 2 * (n0 + n1),
	    sizeof(unsigned))) == NULL)
		return;
	outd = (unsigned *)(void *)edge + (size_t)n0 * n1;
	ind = outd + n0;
	for (unsigned f = 0; f < m->nflows; f++) {
		const struct mda_cell *a = mda_cell_in(m, f, t), *b;
		int i, j;

		if (a == NULL || !mda_is_router(m, a->vertex) ||
		    (b = mda_cell_in(m, f, t + 1)) == NULL || b->vertex < 0 ||
		    (i = vidx(s0, a->vertex)) < 0 ||
		    (j = vidx(&s1, b->vertex)) < 0)
			continue;
		if (((unsigned *)(void *)edge)[(size_t)i * n1 + j]++ == 0) {
			outd[i]++;
			ind[j]++;
		}
	}
	for (unsigned i = 0; i < n0; i++) {
		if (outd[i] == 0)
			continue;
		if (!div && outd[i] > 1)
			meshed = 1;
		if (od != 0 && outd[i] != od)
			asym = 1;
		od = outd[i];
	}
	for (unsigned j = 0; j < n1; j++) {
		if (ind[j] == 0)
			continue;
		if (div && ind[j] > 1)
			meshed = 1;
		if (id != 0 && ind[j] != id)
			asym = 1;
		id = ind[j];
	}
	free(edge);
	if (meshed || asym)
		m->full[t] = 1;
}

/* --- node control (MDA) -------------------------------------------------- */

#define SUCC_MAX	64

/* Whether flow f passes v at t: it answered from v there, or v is the one
 * vertex at t and f was not probed there. */
static int
through(const struct mda *m, unsigned f, unsigned t, int32_t v, int one)
{
	const struct mda_cell *c = mda_cell_in(m, f, t);

	return c != NULL && (c->vertex == v || (one && !probed(c)));
}

/* The vertices at t + 1 that flows answered at t and t + 1 reached, into
 * m->sv2, and per vertex its router at t in m->sc2, UINT_MAX where two or
 * more led to it (a meshed stage's shared next hop); how many. */
static unsigned
stage_scan(struct mda *m, unsigned t)
{
	int32_t *w = m->sv2;
	unsigned *from = m->sc2, n = 0;

	for (unsigned f = 0; f < m->nflows; f++) {
		const struct mda_cell *a = mda_cell_in(m, f, t), *b;
		unsigned i;

		if (a == NULL || !mda_is_router(m, a->vertex) ||
		    (b = mda_cell_in(m, f, t + 1)) == NULL || b->vertex < 0)
			continue;
		for (i = 0; i < n && w[i] != b->vertex; i++)
			;
		if (i == n) {
			w[n] = b->vertex;
			from[n++] = (unsigned)a->vertex;
		} else if (from[i] != (unsigned)a->vertex)
			from[i] = UINT_MAX;
	}
	return n;
}

/* The one router at t known to lead to w at t + 1, or UINT_MAX. */
static unsigned
pred_of(const struct mda *m, unsigned n, int32_t w)
{
	for (unsigned i = 0; i < n; i++)
		if (m->sv2[i] == w)
			return m->sc2[i];
	return UINT_MAX;
}

static void
node_control(struct mda *m, unsigned t, const struct tstat *st)
{
	unsigned conf = m->res.conf.confidence;
	unsigned deficit = 0, expect = 0, cap, sent1 = 0;
	unsigned nw, nshared = 0, probed1 = 0;
	int one = st->nv == 1, direct;

	if (t >= m->res.conf.max_ttl || m->taint[t] || st->disc_pending > 0)
		return;
	nw = stage_scan(m, t);
	for (unsigned k = 0; k < nw; k++)
		nshared += m->sc2[k] == UINT_MAX;
	/* MDA-Lite found the stage unmeshed (as far as seen): a flow's
	 * vertex at t + 1 tells the one at t, so new flows may skip t. */
	direct = m->res.conf.rule == MDA_RULE_LITE && nshared == 0 && !one;
	for (unsigned i = 0; i < st->nv; i++) {
		int32_t v = st->v[i], succ[SUCC_MAX];
		unsigned a = 0, p = 0, s = 0, d = 0, nfv = 0, need, want, more;

		/* A per-packet vertex stays: each probe through it is a
		 * fresh draw of its next hop, as good a sample as a flow. */
		if (!mda_is_router(m, v))
			continue;
		for (unsigned f = 0; f < m->nflows; f++) {
			const struct mda_cell *n;
			unsigned k;

			if (!through(m, f, t, v, one)) {
				/* Sent past t: v's if its answer is a next
				 * hop of v's alone. */
				const struct mda_cell *c = mda_cell_in(m, f, t);

				if (!direct || c == NULL || probed(c) ||
				    (n = mda_cell_in(m, f, t + 1)) == NULL ||
				    n->vertex < 0 ||
				    pred_of(m, nw, n->vertex) != (unsigned)v)
					continue;
			} else
				nfv++;
			if ((n = mda_cell_in(m, f, t + 1)) == NULL || !probed(n))
				continue;
			s++;
			if (pending(n))
				p++;
			if (n->vertex < 0)
				continue;
			a++;
			for (k = 0; k < d && succ[k] != n->vertex; k++)
				;
			if (k == d && d < SUCC_MAX)
				succ[d++] = n->vertex;
		}
		/* Only the destination (or an unreachable) beyond: one
		 * answer shows it. */
		if (d == 1 && !mda_is_router(m, succ[0]))
			continue;
		need = mda_nk(d > 0 ? d : 1, conf);
		expect += (need * st->answered + nfv - 1) / nfv;
		sent1 = s;
		if (s >= 2 * need)
			continue;
		want = a + p < need ? need - a - p : 0;
		/* Where v has not reached a next hop that two of its
		 * siblings share (a meshed stage), flows drawn for other
		 * vertices that landed on v cost one probe each to sample
		 * v's next hops: take them up to the next hypothesis'
		 * number.  The rule alone missed a link of a 3x3 meshed
		 * stage in 1.6 % of simnet traces, 0.4 % so.  Unmeshed,
		 * siblings' next hops say nothing of v's. */
		more = 0;
		for (unsigned k = 0; k < nw && more == 0; k++) {
			unsigned j;

			if (m->sc2[k] != UINT_MAX)
				continue;
			for (j = 0; j < d && succ[j] != m->sv2[k]; j++)
				;
			if (j == d)
				more = mda_nk((d > 0 ? d : 1) + 1, conf);
		}
		more = a + p < more ? more - a - p - want : 0;
		for (unsigned f = 0; f < m->nflows && want + more > 0; f++) {
			const struct mda_cell *c = mda_cell_in(m, f, t);

			if (!through(m, f, t, v, one) ||
			    probed(mda_cell(m, f, t + 1)) ||
			    !mda_can_probe(m, f, t + 1))
				continue;
			if (want == 0 && (c == NULL || c->vertex != v))
				continue;
			if (!ask(m, f, t + 1))
				continue;
			if (want > 0)
				want--;
			else
				more--;
		}
		/* New flows at t land on v in proportion to its share,
		 * taken as at least an even share while few are known
		 * (a short round costs one more round trip, an overdraw
		 * costs probes). */
		if (want > 0) {
			unsigned n = (want * st->answered + nfv - 1) / nfv;

			if (n > want * st->nv)
				n = want * st->nv;
			if (n > deficit)
				deficit = n;
		}
	}
	if (deficit == 0 || st->pending > 0)
		return;
	/* One vertex at t: every flow passes it, so new flows go straight
	 * to t + 1 (reconnect links what they find). */
	if (one) {
		while (deficit-- > 0 && sent1++ < 4 * expect + m->n1 &&
		    new_ok(m, t + 1)) {
			int f = mda_flow_new(m);

			if (f < 0 || !mda_can_probe(m, (unsigned)f, t + 1) ||
			    !ask(m, (unsigned)f, t + 1))
				break;
		}
		return;
	}
	/* Unmeshed: straight to t + 1 too, one round at a time (flows in
	 * flight there belong to no vertex yet). */
	if (direct) {
		for (unsigned f = 0; f < m->nflows; f++) {
			const struct mda_cell *n = mda_cell_in(m, f, t + 1);

			if (n != NULL && probed(n)) {
				if (pending(n))
					return;
				probed1++;
			}
		}
		cap = 4 * expect + m->n1;
		if (deficit > 64)
			deficit = 64;
		while (deficit-- > 0 && probed1++ < cap && new_ok(m, t + 1)) {
			int f = mda_flow_new(m);

			if (f < 0 || !mda_can_probe(m, (unsigned)f, t + 1) ||
			    !ask(m, (unsigned)f, t + 1))
				break;
		}
		return;
	}
	/* Else drawn at t, once the flows still coming from below have
	 * landed (they may be the ones wanted). */
	cap = 4 * expect + m->n1;
	if (!new_ok(m, t) || st->probed >= cap ||
	    (t > m->res.conf.first_ttl && mda_ttl_pending(m, t - 1) > 0))
		return;
	if (deficit > cap - st->probed)
		deficit = cap - st->probed;
	if (deficit > 64)
		deficit = 64;
	while (deficit-- > 0) {
		int f = mda_flow_new(m);

		if (f < 0 || !mda_can_probe(m, (unsigned)f, t) ||
		    !ask(m, (unsigned)f, t))
			break;
	}
}

/* --- all together ------------------------------------------------------- */

void
mda_plan(struct mda *m)
{
	const struct mda_conf *c = &m->res.conf;
	int lite = c->rule == MDA_RULE_LITE;
	unsigned lo = m->dirty_lo, hi = m->dirty_hi, h = mda_horizon(m), gate;
	struct tstat st;

	if (lo == 0)
		return;
	m->dirty_lo = m->dirty_hi = 0;
	if (hi > h)
		hi = h;
	taint_update(m);
	for (unsigned t = lo; t <= hi; t++)
		discovery(m, t);
	if (lite)
		for (unsigned t = lo; t <= hi; t++) {
			scan(m, t, &st, m->sv, m->sc);
			hop_rule(m, t, &st);
		}
	gate = mda_pp_gate(m);
	for (unsigned t = lo; t <= hi; t++) {
		scan(m, t, &st, m->sv, m->sc);
		reconnect(m, t, &st);
		if (lite)
			mesh_test(m, t, &st);
		if (m->full[t] || !lite)
			node_control(m, t, &st);
		mda_pp_test(m, t, st.v, st.nv, gate);
	}
}
