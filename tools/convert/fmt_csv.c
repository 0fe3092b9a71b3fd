/* fmt_csv: the per-record CSV formats, hops and paths. */
#include "config.h"

#include <string.h>

#include "fmt.h"
#include "rec.h"

/*
 * source,prb_id,msm_id,list,cycle: where the record came from, ending
 * each row.
 */
static void
fmt_rec_suffix(struct out *o, const struct rec *r)
{
	out_char(o, ',');
	out_str(o, r->meta.source);
	out_col(o, r->prb_id);
	out_col(o, r->msm_id);
	out_char(o, ',');
	out_csv(o, r->meta.list);
	out_col(o, r->meta.cycle);
	out_char(o, '\n');
}

/* uuid,src,dst: the columns every per-record row starts with. */
static void
fmt_rec_prefix(struct out *o, const struct rec *r)
{
	out_csv(o, r->meta.uuid);
	out_char(o, ',');
	out_str(o, r->src_str);
	out_char(o, ',');
	out_str(o, r->dst_str);
	out_char(o, ',');
}

/*
 * The label stack, top first, as four columns of space-separated lists:
 * labels, traffic class, bottom-of-stack bit, TTL (an empty item where
 * the input had none).
 */
static void
fmt_mpls(struct out *o, const struct rec *r, const struct rec_hop *h)
{
	for (int f = 0; f < 4; f++) {
		out_char(o, ',');
		for (uint32_t k = 0; k < h->nmpls; k++) {
			const struct rec_lse *e = &r->mpls[h->mpls + k];
			int v = f == 1 ? e->tc : f == 2 ? e->s : e->ttl;

			if (k > 0)
				out_char(o, ' ');
			if (f == 0)
				out_u64(o, e->label);
			else if (v >= 0)
				out_u64(o, (uint64_t)v);
		}
	}
}

static int
fmt_hops_begin(struct fmt_ctx *c)
{
	out_str(&c->out, "uuid,src,dst,method,start,flowid,ttl,probe_id,addr,"
	    "rtt_ms,reply_ttl,icmp_type,icmp_code,tcp_flags,mpls,mpls_tc,mpls_s,"
	    "mpls_ttl,asn,source,prb_id,msm_id,list,cycle\n");
	return 0;
}

static int
fmt_hops_record(struct fmt_ctx *c, const struct rec *r)
{
	struct out *o = &c->out;

	for (size_t i = 0; i < r->nhops; i++) {
		const struct rec_hop *h = &r->hops[i];
		const char *asn = h->addr != REC_NONE ?
		    r->addrs[h->addr].asn : NULL;

		fmt_rec_prefix(o, r);
		out_csv(o, r->method);
		out_char(o, ',');
		out_i64(o, r->start_sec);
		out_char(o, '.');
		for (int64_t d = 100000; d > 0; d /= 10)
			out_char(o, (char)('0' + r->start_usec / d % 10));
		out_col(o, h->flowid);
		out_col(o, h->ttl);
		out_col(o, h->probe_id);
		out_char(o, ',');
		out_str(o, rec_addr_str(r, h->addr));
		out_col_ms(o, h->rtt);
		out_col(o, h->reply_ttl);
		out_col(o, h->icmp_type);
		out_col(o, h->icmp_code);
		out_col(o, h->tcp_flags);
		fmt_mpls(o, r, h);
		out_char(o, ',');
		if (asn != NULL)
			out_csv(o, asn);
		fmt_rec_suffix(o, r);
	}
	return 0;
}

const struct fmt_ops fmt_hops = {
	.name = "hops",
	.begin = fmt_hops_begin,
	.record = fmt_hops_record,
};

static int
fmt_paths_begin(struct fmt_ctx *c)
{
	out_str(&c->out, "uuid,src,dst,flowid,complete,path,source,prb_id,"
	    "msm_id,list,cycle\n");
	return 0;
}

/* Addresses at each TTL from the first hop; '*' for a silent TTL and
 * '|' between addresses that answered at one TTL. */
static void
fmt_path(struct out *o, const struct rec *r, const struct rec_flow *f)
{
	int ttl, sep = 0;

	if (f->n == 0)
		return;
	ttl = r->slots[f->first].ttl < r->firsthop ?
	    r->slots[f->first].ttl : r->firsthop;
	for (size_t i = f->first; i < f->first + f->n; i++) {
		const struct rec_slot *s = &r->slots[i];

		if (i > f->first && s->ttl == s[-1].ttl) {
			out_char(o, '|');
		} else {
			for (; ttl <= s->ttl; ttl++) {
				if (sep)
					out_char(o, ' ');
				if (ttl < s->ttl)
					out_char(o, '*');
				sep = 1;
			}
		}
		out_str(o, r->addrs[s->addr].str);
	}
}

static int
fmt_paths_record(struct fmt_ctx *c, const struct rec *r)
{
	struct out *o = &c->out;
	/* nothing answered: one row, with the trace's own flow id */
	struct rec_flow none = { r->kind == REC_TRACE ? r->flowid : -1, 0, 0,
		0 };

	for (size_t i = 0; i < (r->nflows ? r->nflows : 1); i++) {
		const struct rec_flow *f = r->nflows ? &r->flows[i] : &none;

		fmt_rec_prefix(o, r);
		if (f->flowid >= 0)
			out_i64(o, f->flowid);
		out_char(o, ',');
		out_char(o, f->complete ? '1' : '0');
		out_char(o, ',');
		fmt_path(o, r, f);
		fmt_rec_suffix(o, r);
	}
	return 0;
}

const struct fmt_ops fmt_paths = {
	.name = "paths",
	.begin = fmt_paths_begin,
	.record = fmt_paths_record,
};
