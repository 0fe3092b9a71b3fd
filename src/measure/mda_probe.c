/*
 * mda_probe: the in-flight counts of one measurement's probes.  A probe
 * leaves them when it is answered, timed out or given up on; one whose
 * next attempt has left stays awaited but no longer holds a window slot.
 */
#include "measure/mda_int.h"

/* Probe i is no longer awaited: it leaves the in-flight counts.  Whether
 * it was still in them. */
int
mda_probe_leave(struct mda *m, size_t i)
{
	const struct mda_probe *p = &m->res.probes[i];
	struct mda_cell *cl = mda_cell(m, p->flow, p->ttl);

	if (m->gone[i] & PR_GONE)
		return 0;
	if ((m->gone[i] & PR_SUPERSEDED) && m->superseded > 0)
		m->superseded--;
	m->gone[i] = PR_GONE;
	if (cl->inflight > 0)
		cl->inflight--;
	if (m->inflight > 0)
		m->inflight--;
	if (p->pptest && m->ppout[p->ttl] > 0)
		m->ppout[p->ttl]--;
	return 1;
}

/*
 * Another attempt at (flow, ttl) leaves: the earlier ones still out are
 * still awaited (a late answer counts) but free their window slots, so a
 * silent tail's retries do not wait behind its own first attempts.
 */
void
mda_supersede(struct mda *m, unsigned flow, unsigned ttl)
{
	struct mda_result *r = &m->res;
	unsigned left = mda_cell(m, flow, ttl)->inflight;

	for (size_t i = r->nprobes; left > 0 && i-- > 0;) {
		const struct mda_probe *q = &r->probes[i];

		if ((m->gone[i] & PR_GONE) || q->flow != flow || q->ttl != ttl)
			continue;
		left--;
		if (q->pptest || (m->gone[i] & PR_SUPERSEDED))
			continue;
		m->gone[i] |= PR_SUPERSEDED;
		m->superseded++;
	}
}

/* Every other attempt of p's (flow, TTL) still out leaves the counts. */
void
mda_give_up_cell(struct mda *m, const struct mda_probe *p)
{
	struct mda_result *r = &m->res;
	struct mda_cell *cl = mda_cell(m, p->flow, p->ttl);

	for (size_t i = 0; i < r->nprobes && cl->inflight > 0; i++) {
		struct mda_probe *q = &r->probes[i];

		if ((m->gone[i] & PR_GONE) || q->flow != p->flow ||
		    q->ttl != p->ttl || q->pptest)
			continue;
		q->late = 1;
		mda_probe_leave(m, i);
	}
}
