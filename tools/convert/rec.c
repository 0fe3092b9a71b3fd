/*
 * rec: the record model: addresses, hops, path slots, then flows, links
 * and AS links.  The readers (rec_scamper.c, rec_atlas.c, rec_warts.c)
 * fill it.
 */
#include "config.h"

#include <sys/socket.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "pfx2as.h"
#include "rec.h"
#include "rec_priv.h"

#define REC_MAXTTL 255
/*
 * Links come from every pair of addresses at consecutive TTLs of a flow:
 * a real trace has one to a few addresses there, a hostile one thousands
 * (a quadratic number of pairs).  More pairs than this many per path slot
 * (plus a floor) is more than a trace can hold: the record is refused.
 */
#define REC_PAIRS_PER_SLOT 4
#define REC_PAIRS_FLOOR 4096

void
rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	htab_init(&r->addr_ht);
}

void
rec_free(struct rec *r)
{
	free(r->addrs);
	free(r->hops);
	free(r->slots);
	free(r->flows);
	free(r->links);
	free(r->aslinks);
	free(r->mpls);
	free(r->tmp);
	free(r->fl);
	htab_free(&r->addr_ht);
	rec_init(r);
}

const char *
rec_addr_str(const struct rec *r, uint32_t idx)
{
	return idx == REC_NONE ? "*" : r->addrs[idx].str;
}

void
rec_bad_hop(struct rec *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad_hops++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(r->bad_hop_why, sizeof(r->bad_hop_why), fmt, ap);
	va_end(ap);
}
void
rec_bad_node(struct rec *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad_nodes++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(r->bad_node_why, sizeof(r->bad_node_why), fmt, ap);
	va_end(ap);
}

/* Parse, fold v4-mapped IPv6 into IPv4, anonymize. */
static int
rec_addr_parse(const char *s, struct addr_ip *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	if (addr_pton(s, a) == -1)
		return -1;
	if (a->family == AF_INET6 && memcmp(a->u.b, mapped, 12) == 0) {
		uint8_t v4[4];

		memcpy(v4, a->u.b + 12, 4);
		addr_from_v4(a, v4);
	}
	return 0;
}

/* --anonymize netblock: zero what lies below the client's /24 or /48. */
static void
rec_anonymize(struct addr_ip *a, const struct addr_ip *client)
{
	size_t keep = client->family == AF_INET ? 3 : 6;

	if (a->family != client->family || client->family == 0 ||
	    memcmp(a->u.b, client->u.b, keep) != 0)
		return;
	memset(a->u.b + keep, 0, addr_len(a) - keep);
}

static int
rec_addr_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct rec *r = ctx;

	return addr_eq(&r->addrs[idx].ip, key);
}

/* inet_ntop()'s text of an IPv4 address, without its sprintf(). */
static void
rec_ntop4(const uint8_t *b, char *buf)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*buf++ = (char)('0' + v / 100);
		if (v >= 10)
			*buf++ = (char)('0' + v / 10 % 10);
		*buf++ = (char)('0' + v % 10);
		*buf++ = i < 3 ? '.' : '\0';
	}
}

/* The index of an address in the record's table, added if new. */
static uint32_t
rec_intern(struct rec *r, const struct addr_ip *ip,
    const struct rec_opts *opt)
{
	uint32_t h = htab_hash(ip, sizeof(*ip)), idx;
	struct rec_addr *a;

	idx = htab_find(&r->addr_ht, h, ip, rec_addr_eq, r);
	if (idx != HTAB_NONE)
		return idx;
	if (mem_grow(&r->addrs, &r->cap_addrs, r->naddrs + 1, sizeof(*a)) == -1 ||
	    htab_add(&r->addr_ht, h, (uint32_t)r->naddrs) == -1)
		return REC_NONE;
	a = &r->addrs[r->naddrs];
	memset(a, 0, sizeof(*a));
	a->ip = *ip;
	if (ip->family == AF_INET && sizeof(a->str) >= 16)
		rec_ntop4(ip->u.b, a->str);
	else
		addr_ntop(ip, a->str, sizeof(a->str));
	a->rtt_min = -1;
	a->ttl_min = REC_MAXTTL;
	a->asn = opt->pfx != NULL ? pfx2as_lookup(opt->pfx, ip) : NULL;
	return (uint32_t)r->naddrs++;
}

int
rec_hop_addr_str(struct rec *r, const char *s, const struct rec_opts *opt,
    uint32_t *idx)
{
	struct addr_ip ip;

	*idx = REC_NONE;
	if (*s == '\0' || strcmp(s, "*") == 0)
		return 0;
	if (rec_addr_parse(s, &ip) == -1)
		return -1;
	if (opt->anonymize)
		rec_anonymize(&ip, &r->dst);
	if ((*idx = rec_intern(r, &ip, opt)) == REC_NONE)
		return -1;
	return 0;
}

int
rec_add_slot(struct rec *r, int64_t flowid, int ttl, uint32_t addr)
{
	if (mem_grow(&r->slots, &r->cap_slots, r->nslots + 1,
	    sizeof(*r->slots)) == -1)
		return -1;
	r->slots[r->nslots].flowid = flowid;
	r->slots[r->nslots].ttl = ttl;
	r->slots[r->nslots].addr = addr;
	r->nslots++;
	return 0;
}

void
rec_lse_add(struct rec *r, struct rec_hop *h, int64_t label, int64_t tc,
    int64_t bos, int64_t ttl)
{
	struct rec_lse *e;

	if (label < 0 || label > 0xfffff || mem_grow(&r->mpls, &r->cap_mpls,
	    r->nmpls + 1, sizeof(*r->mpls)) == -1)
		return;
	e = &r->mpls[r->nmpls++];
	e->label = (uint32_t)label;
	/* out of range (3, 1 and 8 bits): not in the input */
	e->tc = tc >= 0 && tc <= 7 ? (int)tc : -1;
	e->s = bos == 0 || bos == 1 ? (int)bos : -1;
	e->ttl = ttl >= 0 && ttl <= 255 ? (int)ttl : -1;
	h->nmpls++;
}

int64_t
rec_rtt(const sj_t *v)
{
	double d;

	if (!sj_is_number(v))
		return -1;
	d = sj_number(v);
	if (!(d >= 0) || d > 1e9)
		return -1;
	return llround(d * 1000.0);
}

struct rec_hop *
rec_hop_new(struct rec *r, uint32_t addr, int64_t flowid, int ttl,
    int probe_id)
{
	struct rec_hop *h;

	if (mem_grow(&r->hops, &r->cap_hops, r->nhops + 1, sizeof(*h)) == -1)
		return NULL;
	h = &r->hops[r->nhops++];
	memset(h, 0, sizeof(*h));
	h->addr = addr;
	h->flowid = flowid;
	h->ttl = ttl;
	h->probe_id = probe_id;
	h->rtt = -1;
	h->reply_ttl = h->icmp_type = h->icmp_code = h->tcp_flags = -1;
	h->mpls = (uint32_t)r->nmpls;
	return h;
}

int
rec_hop_done(struct rec *r, const struct rec_hop *h, int slot)
{
	struct rec_addr *a;

	if (h->addr == REC_NONE)
		return 0;
	a = &r->addrs[h->addr];
	a->replies++;
	if (h->ttl < a->ttl_min)
		a->ttl_min = (uint8_t)h->ttl;
	if (h->ttl > a->ttl_max)
		a->ttl_max = (uint8_t)h->ttl;
	if (h->rtt >= 0 && (a->rtt_min < 0 || h->rtt < a->rtt_min))
		a->rtt_min = h->rtt;
	return slot ? rec_add_slot(r, h->flowid, h->ttl, h->addr) : 0;
}

int
rec_ttl_ok(int64_t ttl)
{
	return ttl >= 1 && ttl <= REC_MAXTTL;
}

/*
 * qsort()'s stable order (glibc's merge sort), cheaper for what is
 * already sorted (a trace's slots and pairs mostly are) or small.
 */
static void
rec_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	char *p = base, tmp[64];
	size_t i, j;

	for (i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0)
			break;
	if (i >= n)
		return;
	if (n > 32 || size > sizeof(tmp)) {
		qsort(base, n, size, cmp);
		return;
	}
	/* few: an insertion sort, stable as well */
	for (; i < n; i++) {
		memcpy(tmp, p + i * size, size);
		for (j = i; j > 0 && cmp(p + (j - 1) * size, tmp) > 0; j--)
			memcpy(p + j * size, p + (j - 1) * size, size);
		memcpy(p + j * size, tmp, size);
	}
}

static int
rec_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

void
rec_lbflows_begin(struct rec *r, struct rec_lbflows *fl)
{
	fl->fl = r->fl;
	fl->n = 0;
}

int
rec_lbflows_add(struct rec *r, struct rec_lbflows *fl, int64_t flowid)
{
	int rc = mem_grow(&fl->fl, &r->cap_fl, fl->n + 1, sizeof(*fl->fl));

	r->fl = fl->fl;
	if (rc == -1)
		return -1;
	fl->fl[fl->n++] = flowid;
	return 0;
}

/* The first hop's slot, once per flow (or alone, with no probes). */
int
rec_lbflows_end(struct rec *r, struct rec_lbflows *fl, uint32_t first)
{
	size_t k;

	if (first == REC_NONE)
		return 0;
	if (fl->n > 1)	/* fl may still be NULL */
		rec_sort(fl->fl, fl->n, sizeof(*fl->fl), rec_cmp_i64);
	for (k = 0; k < fl->n; k++)
		if ((k == 0 || fl->fl[k] != fl->fl[k - 1]) &&
		    rec_add_slot(r, fl->fl[k], r->firsthop, first) == -1)
			return -1;
	if (fl->n == 0 && rec_add_slot(r, -1, r->firsthop, first) == -1)
		return -1;
	return 0;
}

static int
rec_cmp_slot(const void *a, const void *b)
{
	const struct rec_slot *x = a, *y = b;

	if (x->flowid != y->flowid)
		return x->flowid < y->flowid ? -1 : 1;
	if (x->ttl != y->ttl)
		return x->ttl < y->ttl ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static inline int
rec_slot_lt(const struct rec_slot *x, const struct rec_slot *y)
{
	if (x->flowid != y->flowid)
		return x->flowid < y->flowid;
	if (x->ttl != y->ttl)
		return x->ttl < y->ttl;
	return x->addr < y->addr;
}

/*
 * Slots in rec_cmp_slot()'s order: a merge sort with the comparison
 * inlined (an MDA trace has hundreds of slots; qsort's calls cost).
 * Equal slots are equal bytes, so the order among them does not matter.
 * tmp holds n / 2 slots.
 */
static void
rec_sort_slots(struct rec_slot *a, struct rec_slot *tmp, size_t n)
{
	size_t h = n / 2, i, j, k;

	if (n <= 16) {
		for (i = 1; i < n; i++) {
			struct rec_slot t = a[i];

			for (j = i; j > 0 && rec_slot_lt(&t, &a[j - 1]); j--)
				a[j] = a[j - 1];
			a[j] = t;
		}
		return;
	}
	rec_sort_slots(a, tmp, h);
	rec_sort_slots(a + h, tmp, n - h);
	if (!rec_slot_lt(&a[h], &a[h - 1]))
		return;
	memcpy(tmp, a, h * sizeof(*a));
	for (i = 0, j = h, k = 0; i < h && j < n; k++)
		a[k] = rec_slot_lt(&a[j], &tmp[i]) ? a[j++] : tmp[i++];
	while (i < h)
		a[k++] = tmp[i++];
}

/* A link or AS link seen in one flow, before they are made distinct. */
struct rec_pair {
	uintptr_t a, b;
	int gap;
	uint32_t flow;
};

static int
rec_cmp_pair(const void *pa, const void *pb)
{
	const struct rec_pair *x = pa, *y = pb;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	if (x->gap != y->gap)
		return x->gap < y->gap ? -1 : 1;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

/* The end of the TTL group that starts at slot i of flow f. */
static size_t
rec_group_end(const struct rec *r, const struct rec_flow *f, size_t i)
{
	size_t e = i + 1;

	while (e < f->first + f->n && r->slots[e].ttl == r->slots[i].ttl)
		e++;
	return e;
}

static const char *
rec_slot_as(const struct rec *r, size_t i)
{
	return r->addrs[r->slots[i].addr].asn;
}

/*
 * The pairs between consecutive TTL groups of every flow: addresses
 * (as == 0) or origin ASes of groups that have one (as == 1).
 */
static int
rec_pairs(struct rec *r, int as, struct rec_pair **pp, size_t *np)
{
	struct rec_pair *p = r->tmp;
	size_t n = 0, max = REC_PAIRS_PER_SLOT * r->nslots + REC_PAIRS_FLOOR;

	for (uint32_t fi = 0; fi < r->nflows; fi++) {
		const struct rec_flow *f = &r->flows[fi];
		size_t ps = 0, pe = 0, i, e;
		int have = 0;

		for (i = f->first; i < f->first + f->n; i = e) {
			int mapped = 0;

			e = rec_group_end(r, f, i);
			for (size_t b = i; b < e; b++) {
				if (as && rec_slot_as(r, b) == NULL)
					continue;
				mapped = 1;
				for (size_t a = ps; have && a < pe; a++) {
					uintptr_t x, y;

					if (as && rec_slot_as(r, a) == NULL)
						continue;
					x = as ? (uintptr_t)rec_slot_as(r, a) :
					    r->slots[a].addr;
					y = as ? (uintptr_t)rec_slot_as(r, b) :
					    r->slots[b].addr;
					if (x == y)
						continue;
					if (n == max) {
						r->tmp = p;
						r->fail = "more links than a trace "
						    "can hold (too many addresses "
						    "at consecutive TTLs of a flow)";
						r->too_large = 1;
						return -1;
					}
					if (mem_grow(&p, &r->cap_tmp, n + 1,
					    sizeof(*p)) == -1) {
						r->tmp = p;
						return -1;
					}
					p[n].a = x;
					p[n].b = y;
					p[n].gap = r->slots[i].ttl -
					    r->slots[ps].ttl - 1;
					p[n].flow = fi;
					n++;
				}
			}
			if (mapped) {
				ps = i;
				pe = e;
				have = 1;
			}
		}
	}
	r->tmp = p;
	if (n > 1)	/* p may still be NULL */
		rec_sort(p, n, sizeof(*p), rec_cmp_pair);
	*pp = p;
	*np = n;
	return 0;
}

static int
rec_links(struct rec *r)
{
	struct rec_pair *p;
	size_t n;

	r->nlinks = 0;
	if (rec_pairs(r, 0, &p, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct rec_link *l;

		if (r->nlinks > 0) {
			l = &r->links[r->nlinks - 1];
			if (l->near == p[i].a && l->far == p[i].b &&
			    l->gap == p[i].gap) {
				if (p[i].flow != p[i - 1].flow)
					l->flows++;
				continue;
			}
		}
		if (mem_grow(&r->links, &r->cap_links, r->nlinks + 1,
		    sizeof(*l)) == -1)
			return -1;
		l = &r->links[r->nlinks++];
		l->near = (uint32_t)p[i].a;
		l->far = (uint32_t)p[i].b;
		l->gap = p[i].gap;
		l->flows = 1;
	}
	return 0;
}

static int
rec_aslinks(struct rec *r)
{
	struct rec_pair *p;
	size_t n;

	r->naslinks = 0;
	if (rec_pairs(r, 1, &p, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct rec_aslink *l;

		if (i > 0 && p[i].a == p[i - 1].a && p[i].b == p[i - 1].b &&
		    p[i].gap == p[i - 1].gap)
			continue;
		if (mem_grow(&r->aslinks, &r->cap_aslinks, r->naslinks + 1,
		    sizeof(*l)) == -1)
			return -1;
		l = &r->aslinks[r->naslinks++];
		l->as1 = (const char *)p[i].a;
		l->as2 = (const char *)p[i].b;
		l->gap = p[i].gap;
	}
	return 0;
}

/* Sorted, distinct slots; flows; links; AS links. */
static int
rec_finish(struct rec *r, const struct rec_opts *opt)
{
	size_t i, n = 0;

	r->dst_addr = htab_find(&r->addr_ht, htab_hash(&r->dst,
	    sizeof(r->dst)), &r->dst, rec_addr_eq, r);
	if (r->nslots > 1 && r->nslots <= 2048) {
		struct rec_slot tmp[1024];

		rec_sort_slots(r->slots, tmp, r->nslots);
	} else if (r->nslots > 1)	/* slots may still be NULL */
		rec_sort(r->slots, r->nslots, sizeof(*r->slots), rec_cmp_slot);
	for (i = 0; i < r->nslots; i++)
		if (n == 0 || rec_cmp_slot(&r->slots[i], &r->slots[n - 1]))
			r->slots[n++] = r->slots[i];
	r->nslots = n;

	for (i = 0; i < r->nslots; i++) {
		struct rec_flow *f;

		if (i == 0 || r->slots[i].flowid != r->slots[i - 1].flowid) {
			if (mem_grow(&r->flows, &r->cap_flows, r->nflows + 1,
			    sizeof(*f)) == -1)
				return -1;
			f = &r->flows[r->nflows++];
			f->flowid = r->slots[i].flowid;
			f->first = i;
			f->n = 0;
			f->complete = 0;
		}
		f = &r->flows[r->nflows - 1];
		f->n++;
		if (r->slots[i].addr == r->dst_addr)
			f->complete = 1;
	}
	if (rec_links(r) == -1)
		return -1;
	return opt->pfx != NULL ? rec_aslinks(r) : 0;
}

int
rec_set_ends(struct rec *r, const char *dst, const char *src,
    const struct rec_opts *opt)
{
	struct addr_ip client;

	if (rec_addr_parse(dst, &r->dst) == -1)
		return -1;
	client = r->dst;
	if (opt->anonymize)
		rec_anonymize(&r->dst, &client);
	addr_ntop(&r->dst, r->dst_str, sizeof(r->dst_str));
	if (rec_addr_parse(src, &r->src) == 0)
		addr_ntop(&r->src, r->src_str, sizeof(r->src_str));
	else
		r->src_str[0] = '\0';
	return 0;
}

void
rec_reset(struct rec *r, const struct rd_meta *meta)
{
	r->naddrs = r->nhops = r->nslots = r->nflows = r->nlinks = 0;
	r->naslinks = r->nmpls = r->bad_hops = r->bad_nodes = 0;
	r->fail = NULL;
	r->too_large = 0;
	htab_clear(&r->addr_ht);
	r->meta = *meta;
	r->prb_id = r->msm_id = -1;
}

int
rec_done(struct rec *r, int rc, const struct rec_opts *opt, char *err,
    size_t errlen)
{
	if (rc == 0)
		rc = rec_finish(r, opt);
	if (rc == -1) {
		if (r->fail != NULL && strncmp(r->fail, "without ", 8) == 0)
			snprintf(err, errlen, "%s %s", r->type, r->fail);
		else
			snprintf(err, errlen, "%s: %s", r->type,
			    r->fail != NULL ? r->fail : "out of memory");
	}
	return rc;
}

int
rec_parse(struct rec *r, const sj_t *t, const struct rd_meta *meta,
    const struct rec_opts *opt, char *err, size_t errlen)
{
	int rc;

	rec_reset(r, meta);
	r->type = rec_jstr(t, "type");
	if (strcmp(r->type, "traceroute") == 0)
		rc = rec_atlas(r, t, opt);
	else
		rc = rec_scamper(r, t, opt);
	return rec_done(r, rc, opt, err, errlen);
}
