/* agg: nodes, links, destination sets and AS links, and their merge. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "mem.h"
#include "rec.h"

struct agg *
agg_new(unsigned what)
{
	struct agg *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->what = what;
	return a;
}

void
agg_free(struct agg *a)
{
	if (a == NULL)
		return;
	free(a->addrs);
	free(a->node_of);
	free(a->nodes);
	free(a->links);
	free(a->dsts);
	free(a->aslinks);
	for (size_t i = 0; i < a->nstrs; i++)
		free(a->strs[i]);
	free(a->strs);
	free(a->rank);
	htab_free(&a->addr_ht);
	htab_free(&a->link_ht);
	htab_free(&a->dst_ht);
	htab_free(&a->aslink_ht);
	htab_free(&a->str_ht);
	free(a);
}

/* --- interning ---------------------------------------------------------- */

static int
agg_addr_eq(const void *ctx, uint32_t idx, const void *key)
{
	return addr_eq(&((const struct agg *)ctx)->addrs[idx], key);
}

static uint32_t
agg_addr_id(struct agg *a, const struct addr_ip *ip)
{
	struct addr_ip k;
	uint32_t h, id;

	/* hash and compare the meaningful bytes only */
	memset(&k, 0, sizeof(k));
	k.family = ip->family;
	memcpy(k.u.b, ip->u.b, addr_len(ip));
	h = htab_hash(&k, sizeof(k));
	if ((id = htab_find(&a->addr_ht, h, &k, agg_addr_eq, a)) != HTAB_NONE)
		return id;
	if (mem_grow(&a->addrs, &a->cap_addrs, a->naddrs + 1,
	    sizeof(*a->addrs)) == -1 ||
	    mem_grow(&a->node_of, &a->cap_node_of, a->naddrs + 1,
	    sizeof(*a->node_of)) == -1 ||
	    htab_add(&a->addr_ht, h, (uint32_t)a->naddrs) == -1)
		return AGG_NONE;
	a->addrs[a->naddrs] = k;
	a->node_of[a->naddrs] = AGG_NONE;
	free(a->rank);
	a->rank = NULL;
	return (uint32_t)a->naddrs++;
}

static int
agg_str_eq(const void *ctx, uint32_t idx, const void *key)
{
	return strcmp(((const struct agg *)ctx)->strs[idx], key) == 0;
}

static uint32_t
agg_str_id(struct agg *a, const char *s)
{
	uint32_t h, id;

	if (s == NULL || *s == '\0')
		return AGG_NONE;
	h = htab_hash(s, strlen(s));
	if ((id = htab_find(&a->str_ht, h, s, agg_str_eq, a)) != HTAB_NONE)
		return id;
	if (mem_grow(&a->strs, &a->cap_strs, a->nstrs + 1, sizeof(*a->strs)) ==
	    -1 || (a->strs[a->nstrs] = strdup(s)) == NULL)
		return AGG_NONE;
	if (htab_add(&a->str_ht, h, (uint32_t)a->nstrs) == -1) {
		free(a->strs[a->nstrs]);
		return AGG_NONE;
	}
	return (uint32_t)a->nstrs++;
}

const char *
agg_addr_str(const struct agg *a, uint32_t id, char *buf)
{
	return addr_ntop(&a->addrs[id], buf, ADDR_STRLEN);
}

const char *
agg_str(const struct agg *a, uint32_t id)
{
	return id == AGG_NONE ? "" : a->strs[id];
}

/* --- combining: every column is a sum, a minimum or a maximum ----------- */

static void
agg_min(int64_t *acc, int64_t v)
{
	if (v >= 0 && (*acc < 0 || v < *acc))
		*acc = v;
}

static void
agg_seen(int64_t *first, int64_t *last, int64_t f, int64_t l)
{
	if (f < *first)
		*first = f;
	if (l > *last)
		*last = l;
}

/*
 * The index of the entry with this key in one of the tables: found, or
 * appended for the caller to fill (*created set).  AGG_NONE: no memory.
 */
static uint32_t
agg_slot(struct agg *a, struct htab *ht, uint32_t h, const void *key,
    htab_eq_fn eq, void *arr, size_t *n, size_t *cap, size_t size,
    int *created)
{
	uint32_t i = htab_find(ht, h, key, eq, a);

	*created = 0;
	if (i != HTAB_NONE)
		return i;
	if (mem_grow(arr, cap, *n + 1, size) == -1 ||
	    htab_add(ht, h, (uint32_t)*n) == -1)
		return AGG_NONE;
	*created = 1;
	return (uint32_t)(*n)++;
}

static int
agg_node_add(struct agg *a, uint32_t addr, uint32_t asn,
    const struct agg_node *v)
{
	struct agg_node *n;
	uint32_t i = a->node_of[addr];

	if (i == AGG_NONE) {
		if (mem_grow(&a->nodes, &a->cap_nodes, a->nnodes + 1,
		    sizeof(*n)) == -1)
			return -1;
		i = a->node_of[addr] = (uint32_t)a->nnodes++;
		n = &a->nodes[i];
		*n = *v;
		n->addr = addr;
		n->asn = asn;
		return 0;
	}
	n = &a->nodes[i];
	n->replies += v->replies;
	n->traces += v->traces;
	n->dst += v->dst;
	if (v->ttl_min < n->ttl_min)
		n->ttl_min = v->ttl_min;
	if (v->ttl_max > n->ttl_max)
		n->ttl_max = v->ttl_max;
	agg_min(&n->rtt_min, v->rtt_min);
	agg_seen(&n->first, &n->last, v->first, v->last);
	if (n->asn == AGG_NONE)
		n->asn = asn;
	return 0;
}

struct agg_lkey {
	uint32_t a, b;
	int gap;
};

static int
agg_link_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct agg_link *l = &((const struct agg *)ctx)->links[idx];
	const struct agg_lkey *k = key;

	return l->near == k->a && l->far == k->b && l->gap == k->gap;
}

static int
agg_aslink_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct agg_aslink *l = &((const struct agg *)ctx)->aslinks[idx];
	const struct agg_lkey *k = key;

	return l->as1 == k->a && l->as2 == k->b && l->gap == k->gap;
}

static uint32_t
agg_lkey_hash(uint32_t x, uint32_t y, int gap, struct agg_lkey *k)
{
	memset(k, 0, sizeof(*k));
	k->a = x;
	k->b = y;
	k->gap = gap;
	return htab_hash(k, sizeof(*k));
}

static uint32_t
agg_link_add(struct agg *a, uint32_t near, uint32_t far,
    const struct agg_link *v)
{
	struct agg_lkey k;
	uint32_t h = agg_lkey_hash(near, far, v->gap, &k), i;
	struct agg_link *l;
	int created;

	i = agg_slot(a, &a->link_ht, h, &k, agg_link_eq, &a->links,
	    &a->nlinks, &a->cap_links, sizeof(*l), &created);
	if (i == AGG_NONE)
		return AGG_NONE;
	l = &a->links[i];
	if (created) {
		*l = *v;
		l->near = near;
		l->far = far;
		l->dsts = 0;
		return i;
	}
	l->traces += v->traces;
	l->flows += v->flows;
	if (v->dsts_row > l->dsts_row)
		l->dsts_row = v->dsts_row;
	agg_seen(&l->first, &l->last, v->first, v->last);
	agg_min(&l->near_rtt, v->near_rtt);
	agg_min(&l->far_rtt, v->far_rtt);
	return i;
}

static int
agg_dst_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct agg_dst *d = &((const struct agg *)ctx)->dsts[idx];
	const struct agg_dst *k = key;

	return d->link == k->link && d->dst == k->dst;
}

static int
agg_dst_add(struct agg *a, uint32_t link, uint32_t dst)
{
	struct agg_dst k = { link, dst };
	uint32_t i;
	int created;

	i = agg_slot(a, &a->dst_ht, htab_hash(&k, sizeof(k)), &k, agg_dst_eq,
	    &a->dsts, &a->ndsts, &a->cap_dsts, sizeof(k), &created);
	if (i == AGG_NONE)
		return -1;
	if (created) {
		a->dsts[i] = k;
		a->links[link].dsts++;
	}
	return 0;
}

static int
agg_aslink_add(struct agg *a, uint32_t as1, uint32_t as2,
    const struct agg_aslink *v)
{
	struct agg_lkey k;
	uint32_t h = agg_lkey_hash(as1, as2, v->gap, &k), i;
	struct agg_aslink *l;
	int created;

	i = agg_slot(a, &a->aslink_ht, h, &k, agg_aslink_eq, &a->aslinks,
	    &a->naslinks, &a->cap_aslinks, sizeof(*l), &created);
	if (i == AGG_NONE)
		return -1;
	l = &a->aslinks[i];
	if (created) {
		*l = *v;
		l->as1 = as1;
		l->as2 = as2;
		return 0;
	}
	l->traces += v->traces;
	agg_seen(&l->first, &l->last, v->first, v->last);
	return 0;
}

/* --- a record ------------------------------------------------------------ */

int
agg_add_rec(struct agg *a, struct rec *r)
{
	int64_t t = r->start_sec;
	uint32_t dst = AGG_NONE;
	size_t i;

	for (i = 0; i < r->naddrs; i++)
		if ((r->addrs[i].id = agg_addr_id(a, &r->addrs[i].ip)) ==
		    AGG_NONE)
			return -1;
	if ((a->what & AGG_DSTS) && (dst = agg_addr_id(a, &r->dst)) ==
	    AGG_NONE)
		return -1;
	for (i = 0; (a->what & AGG_NODES) && i < r->naddrs; i++) {
		const struct rec_addr *ra = &r->addrs[i];
		struct agg_node v = { .replies = ra->replies, .traces = 1,
			.dst = i == r->dst_addr, .ttl_min = ra->ttl_min,
			.ttl_max = ra->ttl_max, .rtt_min = ra->rtt_min,
			.first = t, .last = t };

		if (ra->replies == 0)
			continue;
		if (agg_node_add(a, ra->id, agg_str_id(a, ra->asn), &v) == -1)
			return -1;
	}
	for (i = 0; (a->what & AGG_LINKS) && i < r->nlinks; i++) {
		const struct rec_link *rl = &r->links[i];
		struct agg_link v = { .gap = rl->gap, .traces = 1,
			.flows = rl->flows, .first = t, .last = t,
			.near_rtt = r->addrs[rl->near].rtt_min,
			.far_rtt = r->addrs[rl->far].rtt_min };
		uint32_t li = agg_link_add(a, r->addrs[rl->near].id,
		    r->addrs[rl->far].id, &v);

		if (li == AGG_NONE ||
		    ((a->what & AGG_DSTS) && agg_dst_add(a, li, dst) == -1))
			return -1;
	}
	for (i = 0; (a->what & AGG_ASLINKS) && i < r->naslinks; i++) {
		struct agg_aslink v = { .gap = r->aslinks[i].gap, .traces = 1,
			.first = t, .last = t };
		uint32_t x = agg_str_id(a, r->aslinks[i].as1);
		uint32_t y = agg_str_id(a, r->aslinks[i].as2);

		if (x == AGG_NONE || y == AGG_NONE ||
		    agg_aslink_add(a, x, y, &v) == -1)
			return -1;
	}
	return 0;
}

/* --- rows of earlier runs ------------------------------------------------ */

int
agg_merge_node(struct agg *a, const struct addr_ip *ip, const char *asn,
    const struct agg_node *v)
{
	uint32_t id = agg_addr_id(a, ip);

	if (id == AGG_NONE)
		return -1;
	return agg_node_add(a, id, agg_str_id(a, asn), v);
}

int
agg_merge_link(struct agg *a, const struct addr_ip *near,
    const struct addr_ip *far, const struct agg_link *v)
{
	uint32_t x = agg_addr_id(a, near), y = agg_addr_id(a, far);

	if (x == AGG_NONE || y == AGG_NONE ||
	    agg_link_add(a, x, y, v) == AGG_NONE)
		return -1;
	return 0;
}

int
agg_merge_dst(struct agg *a, const struct addr_ip *near,
    const struct addr_ip *far, int gap, const struct addr_ip *dst)
{
	struct agg_link v = { .gap = gap, .first = INT64_MAX,
		.last = INT64_MIN, .near_rtt = -1, .far_rtt = -1 };
	uint32_t x = agg_addr_id(a, near), y = agg_addr_id(a, far);
	uint32_t d = agg_addr_id(a, dst), li;

	/* a link known only from its destinations gets its other columns
	 * from the links rows */
	if (x == AGG_NONE || y == AGG_NONE || d == AGG_NONE ||
	    (li = agg_link_add(a, x, y, &v)) == AGG_NONE)
		return -1;
	return agg_dst_add(a, li, d);
}

int
agg_merge_aslink(struct agg *a, const char *as1, const char *as2,
    const struct agg_aslink *v)
{
	uint32_t x = agg_str_id(a, as1), y = agg_str_id(a, as2);

	if (x == AGG_NONE || y == AGG_NONE)
		return -1;
	return agg_aslink_add(a, x, y, v);
}

/* -j: a worker's tables into the run's, every row as merge reads it. */
int
agg_merge_agg(struct agg *a, const struct agg *w)
{
	for (size_t i = 0; i < w->nnodes; i++) {
		const struct agg_node *n = &w->nodes[i];

		if (agg_merge_node(a, &w->addrs[n->addr], agg_str(w, n->asn),
		    n) == -1)
			return -1;
	}
	for (size_t i = 0; i < w->nlinks; i++) {
		const struct agg_link *l = &w->links[i];

		if (agg_merge_link(a, &w->addrs[l->near], &w->addrs[l->far],
		    l) == -1)
			return -1;
	}
	for (size_t i = 0; i < w->ndsts; i++) {
		const struct agg_link *l = &w->links[w->dsts[i].link];

		if (agg_merge_dst(a, &w->addrs[l->near], &w->addrs[l->far],
		    l->gap, &w->addrs[w->dsts[i].dst]) == -1)
			return -1;
	}
	for (size_t i = 0; i < w->naslinks; i++) {
		const struct agg_aslink *l = &w->aslinks[i];

		if (agg_merge_aslink(a, agg_str(w, l->as1), agg_str(w, l->as2),
		    l) == -1)
			return -1;
	}
	return 0;
}

/* --- output order -------------------------------------------------------- */

static int
agg_cmp_addr(const void *x, const void *y, void *ctx)
{
	const struct agg *a = ctx;

	return addr_cmp(&a->addrs[*(const uint32_t *)x],
	    &a->addrs[*(const uint32_t *)y]);
}

static uint32_t *
agg_iota(size_t n)
{
	uint32_t *v = malloc((n ? n : 1) * sizeof(*v));

	for (size_t i = 0; v != NULL && i < n; i++)
		v[i] = (uint32_t)i;
	return v;
}

/* rank[id]: the address's position in address order. */
static int
agg_rank(struct agg *a)
{
	uint32_t *o;

	if (a->rank != NULL)
		return 0;
	if ((o = agg_iota(a->naddrs)) == NULL ||
	    (a->rank = malloc((a->naddrs ? a->naddrs : 1) *
	    sizeof(*a->rank))) == NULL) {
		free(o);
		return -1;
	}
	qsort_r(o, a->naddrs, sizeof(*o), agg_cmp_addr, a);
	for (size_t i = 0; i < a->naddrs; i++)
		a->rank[o[i]] = (uint32_t)i;
	free(o);
	return 0;
}

static int
agg_cmp_u32(uint32_t x, uint32_t y)
{
	return (x > y) - (x < y);
}

static int
agg_cmp_node(const void *x, const void *y, void *ctx)
{
	const struct agg *a = ctx;

	return agg_cmp_u32(a->rank[a->nodes[*(const uint32_t *)x].addr],
	    a->rank[a->nodes[*(const uint32_t *)y].addr]);
}

static int
agg_cmp_linkidx(const struct agg *a, uint32_t i, uint32_t j)
{
	const struct agg_link *l = &a->links[i], *m = &a->links[j];
	int c;

	if ((c = agg_cmp_u32(a->rank[l->near], a->rank[m->near])) != 0 ||
	    (c = agg_cmp_u32(a->rank[l->far], a->rank[m->far])) != 0)
		return c;
	return (l->gap > m->gap) - (l->gap < m->gap);
}

static int
agg_cmp_link(const void *x, const void *y, void *ctx)
{
	return agg_cmp_linkidx(ctx, *(const uint32_t *)x,
	    *(const uint32_t *)y);
}

static int
agg_cmp_dst(const void *x, const void *y, void *ctx)
{
	const struct agg *a = ctx;
	const struct agg_dst *d = &a->dsts[*(const uint32_t *)x];
	const struct agg_dst *e = &a->dsts[*(const uint32_t *)y];
	int c = agg_cmp_linkidx(a, d->link, e->link);

	return c != 0 ? c : agg_cmp_u32(a->rank[d->dst], a->rank[e->dst]);
}

static int
agg_cmp_aslink(const void *x, const void *y, void *ctx)
{
	const struct agg *a = ctx;
	const struct agg_aslink *l = &a->aslinks[*(const uint32_t *)x];
	const struct agg_aslink *m = &a->aslinks[*(const uint32_t *)y];
	int c;

	if ((c = strcmp(a->strs[l->as1], a->strs[m->as1])) != 0 ||
	    (c = strcmp(a->strs[l->as2], a->strs[m->as2])) != 0)
		return c;
	return (l->gap > m->gap) - (l->gap < m->gap);
}

uint32_t *
agg_order(struct agg *a, unsigned table)
{
	int (*cmp)(const void *, const void *, void *);
	uint32_t *o;
	size_t n;

	switch (table) {
	case AGG_NODES:
		n = a->nnodes;
		cmp = agg_cmp_node;
		break;
	case AGG_LINKS:
		n = a->nlinks;
		cmp = agg_cmp_link;
		break;
	case AGG_DSTS:
		n = a->ndsts;
		cmp = agg_cmp_dst;
		break;
	default:
		n = a->naslinks;
		cmp = agg_cmp_aslink;
		break;
	}
	if (agg_rank(a) == -1 || (o = agg_iota(n)) == NULL)
		return NULL;
	qsort_r(o, n, sizeof(*o), cmp, a);
	return o;
}
