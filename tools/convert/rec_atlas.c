/*
 * rec_atlas: RIPE Atlas traceroute results into the record model.
 * One result is one probe's run: "result" lists the TTLs ("hop"), each
 * with its replies.  paris_id is the flow id; a timeout ({"x":"*"}) is no
 * reply; a late reply has no RTT; a duplicate, and a reply to a packet
 * addressed elsewhere ("edst"), are not part of this path and are left
 * out.  Atlas does not record ICMP types: only "err" (the unreachable
 * code) fills icmp_type and icmp_code.  After a run of silent TTLs the
 * probe sends one last packet with TTL 255: its replies are hop rows but
 * not part of the path (255 is no distance), so no link spans the gap.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rec_priv.h"

static const char *
atlas_str(const sj_t *o, const char *key)
{
	const char *s = sj_string(sj_get(o, key));

	return s != NULL ? s : "";
}

/* scamper's names for the methods, so that mixed inputs share them. */
static const char *
atlas_method(const char *proto, int64_t paris_id)
{
	if (strcmp(proto, "UDP") == 0)
		return paris_id > 0 ? "udp-paris" : "udp";
	if (strcmp(proto, "ICMP") == 0)
		return paris_id > 0 ? "icmp-echo-paris" : "icmp-echo";
	if (strcmp(proto, "TCP") == 0)
		return "tcp";
	return "";
}

/*
 * "err": N network, H host, A administratively prohibited, P protocol,
 * p port unreachable, h beyond scope; an integer is the ICMP code.
 */
static void
atlas_err(struct rec_hop *h, const sj_t *err, int v6)
{
	static const char codes[] = "NHPpA";
	static const int v4code[] = { 0, 1, 2, 3, 13 };
	static const int v6code[] = { 0, 3, -1, 4, 1 };
	const char *s = sj_string(err), *c;

	if (sj_is_integer(err) && sj_integer(err) >= 0 &&
	    sj_integer(err) <= 255) {
		h->icmp_type = v6 ? 1 : 3;
		h->icmp_code = (int)sj_integer(err);
		return;
	}
	if (s == NULL || s[0] == '\0' || s[1] != '\0')
		return;
	if (v6 && s[0] == 'h') {
		h->icmp_type = 1;
		h->icmp_code = 2;
		return;
	}
	if ((c = strchr(codes, s[0])) == NULL)
		return;
	h->icmp_code = v6 ? v6code[c - codes] : v4code[c - codes];
	h->icmp_type = h->icmp_code < 0 ? -1 : v6 ? 1 : 3;
}

/* TCP flags as letters (F S R P A U) into the header bits. */
static int
atlas_flags(const char *s)
{
	static const char letters[] = "FSRPAU";
	int bits = 0;
	const char *c;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if ((c = strchr(letters, *s)) == NULL)
			return -1;
		bits |= 1 << (c - letters);
	}
	return bits;
}

/* icmpext {"obj":[{"class":1,"type":1,"mpls":[{label,exp,s,ttl}]}]} */
static void
atlas_mpls(struct rec *r, struct rec_hop *h, const sj_t *ext)
{
	const sj_t *obj, *e;
	size_t i, j;

	sj_array_foreach(sj_get(ext, "obj"), i, obj) {
		if (rec_jint(obj, "class", -1) != 1 ||
		    rec_jint(obj, "type", -1) != 1)
			continue;
		sj_array_foreach(sj_get(obj, "mpls"), j, e)
			rec_lse_add(r, h, rec_jint(e, "label", -1),
			    rec_jint(e, "exp", -1), rec_jint(e, "s", -1),
			    rec_jint(e, "ttl", -1));
	}
}

/* One entry of a hop's reply list.  -1: out of memory. */
static int
atlas_reply(struct rec *r, const sj_t *e, int ttl, int attempt,
    const struct rec_opts *opt, int v6, int slot)
{
	const sj_t *err = sj_get(e, "error");
	struct rec_hop *h;
	uint32_t addr;

	if (!sj_is_object(e)) {
		rec_bad_hop(r, "hop %d: a reply that is not an object", ttl);
		return 0;
	}
	if (sj_get(e, "x") != NULL)
		return 0;	/* timeout */
	if (err != NULL) {
		/* the probe could not send (bind, sendto failed) */
		rec_bad_hop(r, "hop %d: %.60s", ttl,
		    sj_is_string(err) ? sj_string(err) : "error");
		return 0;
	}
	if (sj_is_true(sj_get(e, "dup")) ||
	    sj_get(e, "edst") != NULL)
		return 0;
	if (sj_string(sj_get(e, "from")) == NULL ||
	    rec_hop_addr_str(r, atlas_str(e, "from"), opt, &addr) == -1) {
		rec_bad_hop(r, "hop %d: from is not an address", ttl);
		return 0;
	}
	if ((h = rec_hop_new(r, addr, r->flowid, ttl, attempt)) == NULL)
		return -1;
	if (sj_get(e, "late") == NULL)
		h->rtt = rec_rtt(sj_get(e, "rtt"));
	h->reply_ttl = (int)rec_jint(e, "ttl", -1);
	if (h->reply_ttl > 255)
		h->reply_ttl = -1;
	atlas_err(h, sj_get(e, "err"), v6);
	h->tcp_flags = atlas_flags(atlas_str(e, "flags"));
	atlas_mpls(r, h, sj_get(e, "icmpext"));
	return rec_hop_done(r, h, slot);
}

/* Why a result has no dst_addr: its first error, when it says so. */
static void
atlas_no_dst(struct rec *r, const sj_t *res)
{
	const char *e = atlas_str(sj_at(res, 0), "error");

	if (*e == '\0') {
		r->fail = "without a dst_addr";
		return;
	}
	snprintf(r->fail_buf, sizeof(r->fail_buf), "without a dst_addr (%.80s)",
	    e);
	r->fail = r->fail_buf;
}

int
rec_atlas(struct rec *r, const sj_t *t, const struct rec_opts *opt)
{
	const sj_t *res = sj_get(t, "result"), *hop, *e;
	int64_t paris = rec_jint(t, "paris_id", -1);
	int v6 = rec_jint(t, "af", 4) == 6;
	size_t i, j;
	int64_t prev = 0;

	r->kind = REC_TRACE;
	r->prb_id = rec_jint(t, "prb_id", -1);
	r->msm_id = rec_jint(t, "msm_id", -1);
	if (rec_set_ends(r, atlas_str(t, "dst_addr"), atlas_str(t, "src_addr"),
	    opt) == -1) {
		atlas_no_dst(r, res);
		return -1;
	}
	if (!sj_is_array(res)) {
		/* firmware 1 wrote traceroute's text output here */
		r->fail = "result is not an array";
		return -1;
	}
	r->start_sec = rec_jint(t, "timestamp", 0);
	r->start_usec = 0;
	r->method = atlas_method(atlas_str(t, "proto"), paris);
	r->stop_reason = "";
	r->firsthop = 1;
	r->hop_count = -1;
	r->flowid = paris >= 0 ? paris : -1;
	sj_array_foreach(res, i, hop) {
		int64_t ttl = rec_jint(hop, "hop", -1);
		const sj_t *err = sj_get(hop, "error");
		const sj_t *list = sj_get(hop, "result");

		if (!rec_ttl_ok(ttl)) {
			rec_bad_hop(r, "result %zu: no hop from 1 to 255", i);
			continue;
		}
		if (err != NULL) {
			rec_bad_hop(r, "hop %d: %.60s", (int)ttl,
			    sj_is_string(err) ? sj_string(err) :
			    "error");
			continue;
		}
		if (!sj_is_array(list)) {
			rec_bad_hop(r, "hop %d: result is not an array",
			    (int)ttl);
			continue;
		}
		sj_array_foreach(list, j, e)
			if (atlas_reply(r, e, (int)ttl, (int)j + 1, opt, v6,
			    ttl < 255 || prev == 254) == -1)
				return -1;
		prev = ttl;
	}
	return 0;
}
