/*
 * fuzz_convert: libFuzzer harness for hoplite-convert's input side.  The
 * bytes are the lines of one file: rd tells the kinds of lines apart and
 * checks the M-Lab structure, every trace or tracelb object it hands over
 * becomes a record (rec_parse), and every record goes into all the
 * aggregates (agg_add_rec).  The record's indexes must stay in range and
 * its paths and links consistent, whatever the input.  Bytes that start
 * with the warts magic go through the warts reader (libscamperfile) and
 * rec_warts instead.  tests/fuzz/replay.c
 * runs the same function over tests/fuzz/corpus_convert without libFuzzer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agg.h"
#include "in.h"
#include "util/arena.h"
#include "rd.h"
#include "rec.h"
#include "report.h"

#define FUZZ_MAXDOC	(1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz {
	struct rec rec;
	struct agg *agg;
	uint64_t line;
};

static void
check_addr_idx(const struct rec *r, uint32_t i, int none_ok)
{
	if (i == REC_NONE ? !none_ok : i >= r->naddrs)
		abort();
}

static void
check_rec(const struct rec *r)
{
	check_addr_idx(r, r->dst_addr, 1);
	for (size_t i = 0; i < r->nhops; i++) {
		const struct rec_hop *h = &r->hops[i];

		check_addr_idx(r, h->addr, 1);
		if (h->mpls > r->nmpls || h->nmpls > r->nmpls - h->mpls)
			abort();
	}
	for (size_t i = 0; i < r->nslots; i++) {
		const struct rec_slot *s = &r->slots[i], *p = s - 1;

		check_addr_idx(r, s->addr, 0);
		/* Sorted by flow, TTL, address; each slot distinct. */
		if (i > 0 && (p->flowid > s->flowid ||
		    (p->flowid == s->flowid && (p->ttl > s->ttl ||
		    (p->ttl == s->ttl && p->addr >= s->addr)))))
			abort();
	}
	for (size_t i = 0; i < r->nflows; i++) {
		const struct rec_flow *f = &r->flows[i];

		if (f->first > r->nslots || f->n > r->nslots - f->first)
			abort();
		for (size_t k = f->first; k < f->first + f->n; k++)
			if (r->slots[k].flowid != f->flowid)
				abort();
	}
	for (size_t i = 0; i < r->nlinks; i++) {
		const struct rec_link *l = &r->links[i];

		check_addr_idx(r, l->near, 0);
		check_addr_idx(r, l->far, 0);
		if (l->near == l->far || l->gap < 0 || l->flows == 0)
			abort();
	}
}

static int
emit(void *ctx, const sj_t *trace, const struct rd_meta *meta,
    const char *file, uint64_t line)
{
	struct fuzz *f = ctx;
	struct rec_opts o;
	char err[128];

	memset(&o, 0, sizeof(o));
	o.anonymize = (int)(f->line++ & 1);
	if (rec_parse(&f->rec, trace, meta, &o, err, sizeof(err)) == -1)
		return 0;
	check_rec(&f->rec);
	if (agg_add_rec(f->agg, &f->rec) == -1)
		abort();
	return 0;
}

static int
emit_warts(void *ctx, int type, const void *obj, const struct rd_meta *meta,
    const char *file, uint64_t recno)
{
	struct fuzz *f = ctx;
	struct rec_opts o;
	char err[128];

	memset(&o, 0, sizeof(o));
	if (rec_warts(&f->rec, type, obj, meta, &o, err, sizeof(err)) == -1)
		return 0;
	check_rec(&f->rec);
	if (agg_add_rec(f->agg, &f->rec) == -1)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct fuzz f;
	struct rd *rd;
	const char *p = (const char *)data, *end = p + size, *nl;
	uint64_t lineno = 0;

	if (!ready) {
		arena_install();
		report_init(0, 0, REPORT_PROGRESS_OFF, 0);
		ready = 1;
	}
	memset(&f, 0, sizeof(f));
	rec_init(&f.rec);
	if ((f.agg = agg_new(AGG_NODES | AGG_LINKS | AGG_DSTS | AGG_ASLINKS)) ==
	    NULL || (rd = rd_new(emit, &f, FUZZ_MAXDOC)) == NULL)
		abort();
	rd_set_warts(rd, emit_warts);
	if (size >= 2 && data[0] == IN_WARTS_MAGIC0 &&
	    data[1] == IN_WARTS_MAGIC1) {
		in_run_mem(data, size, "fuzz", &rd_in_ops, rd, FUZZ_MAXDOC);
		p = end;
	} else
		rd_in_ops.begin(rd, "fuzz");
	while (p < end) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		/* in_run strips a CR before the LF the same way. */
		if (n > 0 && p[n - 1] == '\r')
			n--;
		rd_in_ops.line(rd, "fuzz", ++lineno, p, n);
		p = nl != NULL ? nl + 1 : end;
	}
	rd_in_ops.end(rd, "fuzz", lineno, 0);
	rd_free(rd);
	agg_free(f.agg);
	rec_free(&f.rec);
	return 0;
}
