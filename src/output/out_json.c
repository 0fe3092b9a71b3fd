/*
 * out_json: a trace as a scamper `trace` JSON object, built with jansson.
 * Key names, types and order follow scamper's trace JSON (warts2json), so
 * tools that read scamper's output (M-Lab's parser among them) read ours;
 * hoplite's own fields come after scamper's, before "hops".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/addr.h"
#include "output/out.h"
#include "probe/pkt.h"
#include "measure/trace.h"

#ifndef PACKAGE_VERSION
#error "PACKAGE_VERSION must be defined (config.h or -D)"
#endif

/* MPLS label stack: RFC 4950 class 1, c-type 1. */
#define EXT_MPLS_CN	1
#define EXT_MPLS_CT	1

/*
 * Setters that take NULL values (failed allocations) and report them, so a
 * builder can collect errors and check once.  json_object_set_new() drops
 * the value's reference on failure too.
 */
int
out_json_set_int(json_t *o, const char *key, json_int_t v)
{
	return json_object_set_new(o, key, json_integer(v));
}

int
out_json_set_str(json_t *o, const char *key, const char *v)
{
	return json_object_set_new(o, key, json_string(v));
}

int
out_json_set_addr(json_t *o, const char *key, const struct addr_ip *a)
{
	char buf[ADDR_STRLEN];

	return out_json_set_str(o, key, addr_ntop(a, buf, sizeof(buf)));
}

json_t *
out_json_time(const struct timeval *tv, int with_ftime)
{
	json_t *o;
	struct tm tm;
	time_t t = tv->tv_sec;
	char ftime[32];
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	err |= out_json_set_int(o, "sec", (json_int_t)tv->tv_sec);
	err |= out_json_set_int(o, "usec", (json_int_t)tv->tv_usec);
	if (with_ftime) {
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(ftime, sizeof(ftime), "%Y-%m-%d %H:%M:%S",
		    &tm) == 0)
			err = -1;
		else
			err |= out_json_set_str(o, "ftime", ftime);
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
mpls_json(const struct pkt_ext *e)
{
	json_t *a, *o;
	size_t n = e->nmpls < PKT_MAX_MPLS ? e->nmpls : PKT_MAX_MPLS;
	int err = 0;

	if ((a = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct pkt_mpls *m = &e->mpls[i];

		if ((o = json_object()) == NULL ||
		    json_array_append_new(a, o) == -1)
			goto fail;
		err |= out_json_set_int(o, "mpls_ttl", m->ttl);
		err |= out_json_set_int(o, "mpls_s", m->s);
		err |= out_json_set_int(o, "mpls_exp", m->exp);
		err |= out_json_set_int(o, "mpls_label", m->label);
		if (err)
			goto fail;
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

json_t *
out_json_icmpext(const struct pkt_ext *ext, uint8_t next)
{
	json_t *a, *o;
	size_t n = next < PKT_MAX_EXT ? next : PKT_MAX_EXT;
	int err = 0;

	if ((a = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct pkt_ext *e = &ext[i];

		if ((o = json_object()) == NULL ||
		    json_array_append_new(a, o) == -1)
			goto fail;
		err |= out_json_set_int(o, "ie_cn", e->cn);
		err |= out_json_set_int(o, "ie_ct", e->ct);
		err |= out_json_set_int(o, "ie_dl", e->dl);
		if (e->cn == EXT_MPLS_CN && e->ct == EXT_MPLS_CT)
			err |= json_object_set_new(o, "mpls_labels",
			    mpls_json(e));
		if (err)
			goto fail;
	}
	return a;
fail:
	json_decref(a);
	return NULL;
}

static json_t *
hop_json(const struct trace_result *r, const struct trace_hop *h,
    const struct out_extra *x)
{
	json_t *o;
	const char *name;
	struct timeval tx;
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	err |= out_json_set_addr(o, "addr", &h->addr);
	/* scamper -O ptr: the name right after the address, when known. */
	if (x != NULL && x->name != NULL &&
	    (name = x->name(&h->addr, x->arg)) != NULL)
		err |= out_json_set_str(o, "name", name);
	err |= out_json_set_int(o, "probe_ttl", h->probe_ttl);
	err |= out_json_set_int(o, "probe_id", h->probe_id);
	err |= out_json_set_int(o, "probe_size", h->probe_size);
	trace_hop_tx(r, h, &tx);
	err |= json_object_set_new(o, "tx", out_json_time(&tx, 0));
	/* Whole microseconds: the 10-digit dump (OUT_JSON_FLAGS) prints
	 * at most three decimals. */
	err |= json_object_set_new(o, "rtt", json_real(h->rtt_us / 1000.0));
	err |= out_json_set_int(o, "reply_ttl", h->reply_ttl);
	err |= out_json_set_int(o, "reply_tos", h->reply_tos);
	err |= out_json_set_int(o, "reply_ipid", h->reply_ipid);
	err |= out_json_set_int(o, "reply_size", h->reply_size);
	if (h->is_tcp) {
		err |= out_json_set_int(o, "tcp_flags", h->tcp_flags);
	} else {
		err |= out_json_set_int(o, "icmp_type", h->icmp_type);
		err |= out_json_set_int(o, "icmp_code", h->icmp_code);
		if (h->has_quote) {
			err |= out_json_set_int(o, "icmp_q_ttl", h->q_ttl);
			err |= out_json_set_int(o, "icmp_q_ipl", h->q_ipl);
			err |= out_json_set_int(o, "icmp_q_tos", h->q_tos);
		}
		if (h->next > 0)
			err |= json_object_set_new(o, "icmpext",
			    out_json_icmpext(h->ext, h->next));
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
is_icmp_trace(const struct trace_result *r)
{
	uint8_t proto = r->flow.proto;

	/* Before the flow exists (a trace that could not start), the
	 * method says. */
	if (proto == 0 && r->conf.method != NULL)
		proto = r->conf.method->proto;
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

json_t *
out_trace_json(const struct trace_result *r)
{
	return out_trace_json_x(r, NULL);
}

json_t *
out_trace_json_x(const struct trace_result *r, const struct out_extra *x)
{
	const struct pkt_method *m = r->conf.method;
	const char *stop = trace_stop_name(r->stop_reason);
	json_t *o, *hops, *h;
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	err |= out_json_set_str(o, "type", "trace");
	err |= out_json_set_str(o, "version", "0.1");
	err |= out_json_set_int(o, "userid", 0);
	err |= out_json_set_str(o, "method",
	    m != NULL && m->trace_name != NULL ? m->trace_name : "");
	err |= out_json_set_addr(o, "src", &r->flow.src);
	err |= out_json_set_addr(o, "dst", &r->flow.dst);
	if (is_icmp_trace(r)) {
		err |= out_json_set_int(o, "icmp_sum", r->flow.icmp_sum);
	} else {
		err |= out_json_set_int(o, "sport", r->flow.sport);
		err |= out_json_set_int(o, "dport", r->flow.dport);
	}
	err |= out_json_set_str(o, "stop_reason", stop != NULL ? stop : "NONE");
	err |= out_json_set_int(o, "stop_data", r->stop_data);
	err |= json_object_set_new(o, "start", out_json_time(&r->start, 1));
	err |= out_json_set_int(o, "hop_count", r->hop_count);
	err |= out_json_set_int(o, "attempts", r->conf.attempts);
	err |= out_json_set_int(o, "hoplimit", r->conf.max_ttl);
	err |= out_json_set_int(o, "firsthop", r->conf.first_ttl);
	/* scamper's wait is whole seconds; round up so it is never shorter
	 * than what was used (wait_ms has the exact value). */
	err |= out_json_set_int(o, "wait",
	    ((json_int_t)r->conf.wait_ms + 999) / 1000);
	err |= out_json_set_int(o, "wait_probe", 0);
	err |= out_json_set_int(o, "tos", r->conf.tos);
	err |= out_json_set_int(o, "probe_size", r->flow.size);
	err |= out_json_set_int(o, "probe_count", r->probe_count);
	/* hoplite's own. */
	err |= out_json_set_int(o, "flowid", r->conf.flowid);
	err |= out_json_set_int(o, "wait_ms", r->conf.wait_ms);
	err |= out_json_set_int(o, "window", r->conf.window);
	err |= out_json_set_str(o, "hoplite_version", PACKAGE_VERSION);
	if (err)
		goto fail;

	if ((hops = json_array()) == NULL ||
	    json_object_set_new(o, "hops", hops) == -1)
		goto fail;
	for (size_t i = 0; i < r->nhops; i++) {
		if ((h = hop_json(r, &r->hops[i], x)) == NULL ||
		    json_array_append_new(hops, h) == -1)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

int
out_json_write_line(FILE *fp, const json_t *o)
{
	char buf[8192], *s = buf, *big = NULL;
	size_t len;
	int rv = -1;

	/* Into a buffer of ours, not a string jansson allocates: the caller
	 * may have given jansson an arena allocator (hoplite trace does). */
	if ((len = json_dumpb(o, buf, sizeof(buf), OUT_JSON_FLAGS)) == 0)
		goto done;
	if (len > sizeof(buf)) {
		if ((big = malloc(len)) == NULL ||
		    json_dumpb(o, big, len, OUT_JSON_FLAGS) != len)
			goto done;
		s = big;
	}
	if (fwrite(s, 1, len, fp) != len || putc('\n', fp) == EOF)
		goto done;
	/* Flush here so a full disk is reported for this trace. */
	if (fflush(fp) == EOF)
		goto done;
	rv = 0;
done:
	free(big);
	return rv;
}

int
out_trace_json_line(FILE *fp, const struct trace_result *r)
{
	return out_trace_json_line_x(fp, r, NULL);
}

int
out_trace_json_line_x(FILE *fp, const struct trace_result *r,
    const struct out_extra *x)
{
	json_t *o;
	int rv = -1;

	if ((o = out_trace_json_x(r, x)) == NULL)
		goto done;
	rv = out_json_write_line(fp, o);
done:
	json_decref(o);
	return rv;
}
