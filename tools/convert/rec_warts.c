/*
 * rec_warts: scamper's trace and tracelb structures (from warts files)
 * into the record model, field for field as rec_scamper.c maps the JSON
 * that sc_warts2json writes for them: a trace's hops from its first hop
 * on; a tracelb's first node (the first with links) as every flow's first
 * hop, and each link's probes with the replies from the address the
 * JSON names for them.  One difference: sc_warts2json (20211212) leaves
 * a tracelb reply's ICMP extensions out; here their MPLS labels are kept.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

/* libscamperfile's headers include none of what they use */
#include <sys/types.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <stdint.h>

#include <scamper_addr.h>
#include <scamper_list.h>
#include <scamper_icmpext.h>
#include <scamper_file.h>
#include <scamper_trace.h>
#include <scamper_tracelb.h>

#include "rec_priv.h"

/* A scamper address as rec.c takes it: "*" for none. */
static int
rw_addr(struct rec *r, const scamper_addr_t *a, const struct rec_opts *opt,
    uint32_t *idx)
{
	char buf[128];

	*idx = REC_NONE;
	if (a == NULL)
		return 0;
	if (scamper_addr_tostr(a, buf, sizeof(buf)) == NULL)
		return -1;
	return rec_hop_addr_str(r, buf, opt, idx);
}

static int64_t
rw_usec(const struct timeval *tv)
{
	if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_sec > 1000000)
		return -1;
	return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

static void
rw_mpls(struct rec *r, struct rec_hop *h, const scamper_icmpext_t *ie)
{
	h->mpls = (uint32_t)r->nmpls;
	for (; ie != NULL; ie = ie->ie_next) {
		if (!SCAMPER_ICMPEXT_IS_MPLS(ie))
			continue;
		for (int i = 0; i < SCAMPER_ICMPEXT_MPLS_COUNT(ie); i++)
			rec_lse_add(r, h, SCAMPER_ICMPEXT_MPLS_LABEL(ie, i),
			    SCAMPER_ICMPEXT_MPLS_EXP(ie, i),
			    SCAMPER_ICMPEXT_MPLS_S(ie, i),
			    SCAMPER_ICMPEXT_MPLS_TTL(ie, i));
	}
}

static int
rw_ends(struct rec *r, const scamper_addr_t *dst, const scamper_addr_t *src,
    const struct rec_opts *opt)
{
	char d[128], s[128];

	if (dst == NULL || scamper_addr_tostr(dst, d, sizeof(d)) == NULL)
		d[0] = '\0';
	if (src == NULL || scamper_addr_tostr(src, s, sizeof(s)) == NULL)
		s[0] = '\0';
	if (rec_set_ends(r, d, s, opt) == -1) {
		r->fail = "without a dst address";
		return -1;
	}
	return 0;
}

static void
rw_start(struct rec *r, const struct timeval *tv, int firsthop)
{
	r->start_sec = tv->tv_sec;
	r->start_usec = tv->tv_usec >= 0 && tv->tv_usec <= 999999 ?
	    tv->tv_usec : 0;
	r->firsthop = rec_ttl_ok(firsthop) ? firsthop : 1;
}

static int
rw_trace(struct rec *r, const scamper_trace_t *t, const struct rec_opts *opt,
    char *mbuf, size_t mlen, char *sbuf, size_t slen)
{
	size_t n = 0;

	r->kind = REC_TRACE;
	r->type = "trace";
	if (rw_ends(r, t->dst, t->src, opt) == -1)
		return -1;
	rw_start(r, &t->start, t->firsthop);
	r->method = scamper_trace_type_tostr(t, mbuf, mlen);
	r->stop_reason = scamper_trace_stop_tostr(t, sbuf, slen);
	if (r->method == NULL)
		r->method = "";
	if (r->stop_reason == NULL)
		r->stop_reason = "";
	r->hop_count = t->hop_count;
	r->flowid = -1;
	for (int i = t->firsthop > 0 ? t->firsthop - 1 : 0;
	    t->hops != NULL && i < t->hop_count; i++) {
		for (const scamper_trace_hop_t *sh = t->hops[i]; sh != NULL;
		    sh = sh->hop_next, n++) {
			struct rec_hop *h;
			uint32_t addr;

			if (!rec_ttl_ok(sh->hop_probe_ttl)) {
				rec_bad_hop(r, "hop %zu: no probe_ttl from 1 "
				    "to 255", n);
				continue;
			}
			if (rw_addr(r, sh->hop_addr, opt, &addr) == -1) {
				rec_bad_hop(r, "hop %zu: addr is not an "
				    "address", n);
				continue;
			}
			h = rec_hop_new(r, addr, -1, sh->hop_probe_ttl,
			    sh->hop_probe_id);
			if (h == NULL)
				return -1;
			h->rtt = rw_usec(&sh->hop_rtt);
			h->reply_ttl = sh->hop_reply_ttl;
			if (SCAMPER_TRACE_HOP_IS_ICMP(sh)) {
				h->icmp_type = sh->hop_icmp_type;
				h->icmp_code = sh->hop_icmp_code;
			} else if (SCAMPER_TRACE_HOP_IS_TCP(sh))
				h->tcp_flags = sh->hop_tcp_flags;
			rw_mpls(r, h, sh->hop_icmpext);
			if (rec_hop_done(r, h, 1) == -1)
				return -1;
		}
	}
	return 0;
}

/* The probes of one probe set whose replies came from addr. */
static int
rw_probes(struct rec *r, const scamper_tracelb_probeset_t *set,
    const scamper_addr_t *from, uint32_t addr, int replied,
    struct rec_lbflows *fl)
{
	for (int k = 0; set != NULL && k < set->probec; k++) {
		const scamper_tracelb_probe_t *p = set->probes[k];
		int j;

		/* an unresolved hop lists only the probes it answered */
		for (j = 0; replied && j < p->rxc; j++)
			if (scamper_addr_cmp(from, p->rxs[j]->reply_from) == 0)
				break;
		if (replied && j == p->rxc)
			continue;

		if (!rec_ttl_ok(p->ttl)) {
			rec_bad_hop(r, "a probe without ttl, flowid or "
			    "replies");
			continue;
		}
		if (rec_lbflows_add(r, fl, p->flowid) == -1)
			return -1;
		for (j = 0; j < p->rxc; j++) {
			const scamper_tracelb_reply_t *rp = p->rxs[j];
			struct rec_hop *h;
			struct timeval rtt;

			if (from == NULL ||
			    scamper_addr_cmp(from, rp->reply_from) != 0)
				continue;
			h = rec_hop_new(r, addr, p->flowid, p->ttl,
			    p->attempt + 1);
			if (h == NULL)
				return -1;
			timersub(&rp->reply_rx, &p->tx, &rtt);
			h->rtt = rw_usec(&rtt);
			h->reply_ttl = rp->reply_ttl;
			if (SCAMPER_TRACELB_REPLY_IS_TCP(rp))
				h->tcp_flags = rp->reply_tcp_flags;
			else {
				h->icmp_type = rp->reply_icmp_type;
				h->icmp_code = rp->reply_icmp_code;
				rw_mpls(r, h, rp->reply_icmp_ext);
			}
			if (rec_hop_done(r, h, 1) == -1)
				return -1;
		}
	}
	return 0;
}

/* One node's links as sc_warts2json lays them out. */
static int
rw_node(struct rec *r, const scamper_tracelb_node_t *nd, int ni,
    const struct rec_opts *opt, struct rec_lbflows *fl)
{
	uint32_t addr;

	if (nd->linkc > 1) {
		/* every link: its far end, with the first probe set */
		for (int j = 0; j < nd->linkc; j++) {
			const scamper_tracelb_link_t *l = nd->links[j];
			const scamper_addr_t *to = l->to != NULL ?
			    l->to->addr : NULL;

			if (rw_addr(r, to, opt, &addr) == -1) {
				rec_bad_node(r, "node %d: a link hop without "
				    "address or probes", ni);
				continue;
			}
			if (l->hopc > 0 && rw_probes(r, l->sets[0], to, addr,
			    0, fl) == -1)
				return -1;
		}
		return 0;
	}
	const scamper_tracelb_link_t *l = nd->links[0];

	/* the silent or unresolved hops of a link, then its far end */
	for (int j = 0; j + 1 < l->hopc; j++) {
		scamper_tracelb_probeset_summary_t *sum;

		if ((sum = scamper_tracelb_probeset_summary_alloc(
		    l->sets[j])) == NULL)
			return -1;
		for (int i = 0; i < sum->addrc; i++) {
			if (rw_addr(r, sum->addrs[i], opt, &addr) == -1) {
				rec_bad_node(r, "node %d: a link hop without "
				    "address or probes", ni);
				continue;
			}
			if (rw_probes(r, l->sets[j], sum->addrs[i], addr, 1,
			    fl) == -1) {
				scamper_tracelb_probeset_summary_free(sum);
				return -1;
			}
		}
		scamper_tracelb_probeset_summary_free(sum);
	}
	if (l->to != NULL && l->hopc > 0) {
		if (rw_addr(r, l->to->addr, opt, &addr) == -1)
			rec_bad_node(r, "node %d: a link hop without address "
			    "or probes", ni);
		else if (rw_probes(r, l->sets[l->hopc - 1], l->to->addr, addr,
		    0, fl) == -1)
			return -1;
	}
	return 0;
}

static int
rw_tracelb(struct rec *r, const scamper_tracelb_t *t,
    const struct rec_opts *opt)
{
	struct rec_lbflows fl;
	uint32_t first = REC_NONE;
	int shown = 0;

	r->kind = REC_TRACELB;
	r->type = "tracelb";
	if (rw_ends(r, t->dst, t->src, opt) == -1)
		return -1;
	rw_start(r, &t->start, t->firsthop);
	r->method = scamper_tracelb_type_tostr(t);
	if (r->method == NULL)
		r->method = "";
	r->stop_reason = "";
	r->hop_count = -1;
	r->flowid = -1;
	rec_lbflows_begin(r, &fl);
	for (int i = 0; t->nodes != NULL && i < t->nodec; i++) {
		const scamper_tracelb_node_t *nd = t->nodes[i];

		/* sc_warts2json leaves out the nodes without links */
		if (nd == NULL || nd->linkc < 1)
			continue;
		if (shown++ == 0) {
			if (rw_addr(r, nd->addr, opt, &first) == -1)
				rec_bad_node(r, "node 0: addr is not an "
				    "address");
			if (rec_hop_new(r, first, -1, r->firsthop, -1) == NULL ||
			    rec_hop_done(r, &r->hops[r->nhops - 1], 0) == -1)
				return -1;
		}
		if (rw_node(r, nd, shown - 1, opt, &fl) == -1)
			return -1;
	}
	return rec_lbflows_end(r, &fl, first);
}

int
rec_warts(struct rec *r, int type, const void *obj,
    const struct rd_meta *meta, const struct rec_opts *opt, char *err,
    size_t errlen)
{
	int rc;

	rec_reset(r, meta);
	if (type == SCAMPER_FILE_OBJ_TRACE)
		rc = rw_trace(r, obj, opt, r->method_buf,
		    sizeof(r->method_buf), r->stop_buf, sizeof(r->stop_buf));
	else
		rc = rw_tracelb(r, obj, opt);
	return rec_done(r, rc, opt, err, errlen);
}
