/*
 * fmt_ndjson: one JSON object per trace, flattened for loading into
 * BigQuery-like stores (no arrays of arrays: an MDA trace's hops carry
 * their flow id), and the matching schema.  Absent values are left out.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fmt.h"
#include "rec.h"

/* The schema: name, type, mode; a RECORD's fields follow it, up to "}". */
static const char *const fmt_schema[][3] = {
	{ "uuid", "STRING", "NULLABLE" },
	{ "cached", "BOOLEAN", "NULLABLE" },
	{ "cached_uuid", "STRING", "NULLABLE" },
	{ "hostname", "STRING", "NULLABLE" },
	{ "type", "STRING", "REQUIRED" },
	{ "method", "STRING", "NULLABLE" },
	{ "src", "STRING", "NULLABLE" },
	{ "dst", "STRING", "REQUIRED" },
	{ "start_time", "TIMESTAMP", "NULLABLE" },
	{ "start_sec", "INTEGER", "NULLABLE" },
	{ "stop_reason", "STRING", "NULLABLE" },
	{ "flowid", "INTEGER", "NULLABLE" },
	{ "hop_count", "INTEGER", "NULLABLE" },
	{ "source", "STRING", "REQUIRED" },
	{ "prb_id", "INTEGER", "NULLABLE" },
	{ "msm_id", "INTEGER", "NULLABLE" },
	{ "list", "STRING", "NULLABLE" },
	{ "cycle", "INTEGER", "NULLABLE" },
	{ "hops", "RECORD", "REPEATED" },
	{ "flowid", "INTEGER", "NULLABLE" },
	{ "ttl", "INTEGER", "REQUIRED" },
	{ "probe_id", "INTEGER", "NULLABLE" },
	{ "addr", "STRING", "NULLABLE" },
	{ "rtt_ms", "FLOAT", "NULLABLE" },
	{ "reply_ttl", "INTEGER", "NULLABLE" },
	{ "icmp_type", "INTEGER", "NULLABLE" },
	{ "icmp_code", "INTEGER", "NULLABLE" },
	{ "tcp_flags", "INTEGER", "NULLABLE" },
	{ "mpls_labels", "INTEGER", "REPEATED" },
	{ "mpls", "RECORD", "REPEATED" },
	{ "label", "INTEGER", "REQUIRED" },
	{ "tc", "INTEGER", "NULLABLE" },
	{ "s", "INTEGER", "NULLABLE" },
	{ "ttl", "INTEGER", "NULLABLE" },
	{ "}" },
	{ "asn", "STRING", "NULLABLE" },
	{ "}" },
	{ "paths", "RECORD", "REPEATED" },
	{ "flowid", "INTEGER", "NULLABLE" },
	{ "complete", "BOOLEAN", "REQUIRED" },
	{ "path", "STRING", "REPEATED" },
	{ "}" },
	{ NULL }
};

static int
fmt_ndjson_write(const char *buf, size_t len, void *data)
{
	out_write(data, buf, len);
	return 0;
}

static void
fmt_setint(json_t *o, const char *key, int64_t v)
{
	if (v >= 0)
		json_object_set_new_nocheck(o, key, json_integer(v));
}

static void
fmt_setstr(json_t *o, const char *key, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new_nocheck(o, key, json_string(v));
}

static json_t *
fmt_ndjson_hop(const struct rec *r, const struct rec_hop *h)
{
	json_t *o = json_object(), *m;

	fmt_setint(o, "flowid", h->flowid);
	json_object_set_new_nocheck(o, "ttl", json_integer(h->ttl));
	fmt_setint(o, "probe_id", h->probe_id);
	if (h->addr != REC_NONE) {
		fmt_setstr(o, "addr", r->addrs[h->addr].str);
		fmt_setstr(o, "asn", r->addrs[h->addr].asn);
	}
	if (h->rtt >= 0)
		json_object_set_new_nocheck(o, "rtt_ms",
		    json_real((double)h->rtt / 1000.0));
	fmt_setint(o, "reply_ttl", h->reply_ttl);
	fmt_setint(o, "icmp_type", h->icmp_type);
	fmt_setint(o, "icmp_code", h->icmp_code);
	fmt_setint(o, "tcp_flags", h->tcp_flags);
	if (h->nmpls > 0) {
		json_t *lse = json_array();

		m = json_array();
		for (uint32_t k = 0; k < h->nmpls; k++) {
			const struct rec_lse *e = &r->mpls[h->mpls + k];
			json_t *x = json_object();

			json_array_append_new(m, json_integer(e->label));
			json_object_set_new_nocheck(x, "label",
			    json_integer(e->label));
			fmt_setint(x, "tc", e->tc);
			fmt_setint(x, "s", e->s);
			fmt_setint(x, "ttl", e->ttl);
			json_array_append_new(lse, x);
		}
		json_object_set_new_nocheck(o, "mpls_labels", m);
		json_object_set_new_nocheck(o, "mpls", lse);
	}
	return o;
}

static json_t *
fmt_ndjson_path(const struct rec *r, const struct rec_flow *f)
{
	json_t *o = json_object(), *p = json_array();
	int ttl = f->n ? r->slots[f->first].ttl : 0;

	if (ttl > r->firsthop)
		ttl = r->firsthop;
	fmt_setint(o, "flowid", f->flowid);
	json_object_set_new_nocheck(o, "complete", json_boolean(f->complete));
	for (size_t i = f->first; i < f->first + f->n; i++) {
		const struct rec_slot *s = &r->slots[i];
		char buf[1024];
		size_t n = 0;

		for (; ttl < s->ttl; ttl++)
			json_array_append_new(p, json_string("*"));
		/* addresses that answered at one TTL, joined by '|' */
		for (; i < f->first + f->n && r->slots[i].ttl == s->ttl; i++) {
			int k = snprintf(buf + n, sizeof(buf) - n, "%s%s",
			    n ? "|" : "", r->addrs[r->slots[i].addr].str);

			if (k > 0 && (size_t)k < sizeof(buf) - n)
				n += (size_t)k;
			buf[n] = '\0';
		}
		i--;
		json_array_append_new(p, json_string(buf));
		ttl = s->ttl + 1;
	}
	json_object_set_new_nocheck(o, "path", p);
	return o;
}

static int
fmt_ndjson_record(struct fmt_ctx *c, const struct rec *r)
{
	json_t *o = json_object(), *hops = json_array(), *paths = json_array();
	char ts[64];
	struct tm tm;
	time_t t = (time_t)r->start_sec;

	fmt_setstr(o, "uuid", r->meta.uuid);
	if (*r->meta.uuid != '\0')
		json_object_set_new_nocheck(o, "cached",
		    json_boolean(r->meta.cached));
	fmt_setstr(o, "cached_uuid", r->meta.cached_uuid);
	fmt_setstr(o, "hostname", r->meta.hostname);
	fmt_setstr(o, "type", r->type);
	fmt_setstr(o, "method", r->method);
	fmt_setstr(o, "src", r->src_str);
	fmt_setstr(o, "dst", r->dst_str);
	if (r->start_sec > 0 && gmtime_r(&t, &tm) != NULL) {
		size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

		snprintf(ts + n, sizeof(ts) - n, ".%06lldZ",
		    (long long)r->start_usec % 1000000);
		fmt_setstr(o, "start_time", ts);
		fmt_setint(o, "start_sec", r->start_sec);
	}
	fmt_setstr(o, "stop_reason", r->stop_reason);
	fmt_setint(o, "flowid", r->flowid);
	fmt_setint(o, "hop_count", r->hop_count);
	fmt_setstr(o, "source", r->meta.source);
	fmt_setint(o, "prb_id", r->prb_id);
	fmt_setint(o, "msm_id", r->msm_id);
	fmt_setstr(o, "list", r->meta.list);
	fmt_setint(o, "cycle", r->meta.cycle);
	for (size_t i = 0; i < r->nhops; i++)
		json_array_append_new(hops, fmt_ndjson_hop(r, &r->hops[i]));
	for (size_t i = 0; i < r->nflows; i++)
		json_array_append_new(paths, fmt_ndjson_path(r, &r->flows[i]));
	json_object_set_new_nocheck(o, "hops", hops);
	json_object_set_new_nocheck(o, "paths", paths);
	json_dump_callback(o, fmt_ndjson_write, &c->out,
	    JSON_COMPACT | JSON_REAL_PRECISION(12));
	out_char(&c->out, '\n');
	json_decref(o);
	return 0;
}

const struct fmt_ops fmt_ndjson = {
	.name = "ndjson",
	.record = fmt_ndjson_record,
};

/* The fields from row *i up to the matching "}" (or the end). */
static json_t *
fmt_schema_fields(int *i)
{
	json_t *a = json_array();

	for (; fmt_schema[*i][0] != NULL && strcmp(fmt_schema[*i][0], "}");
	    (*i)++) {
		json_t *f = json_pack("{s:s, s:s, s:s}", "name",
		    fmt_schema[*i][0], "type", fmt_schema[*i][1], "mode",
		    fmt_schema[*i][2]);

		if (strcmp(fmt_schema[*i][1], "RECORD") == 0) {
			(*i)++;
			json_object_set_new(f, "fields", fmt_schema_fields(i));
		}
		json_array_append_new(a, f);
	}
	return a;
}

int
fmt_ndjson_schema(const char *path)
{
	int i = 0, rc;
	json_t *s = fmt_schema_fields(&i);

	rc = json_dump_file(s, path, JSON_INDENT(2));
	json_decref(s);
	if (rc == -1 && errno == 0)
		errno = EIO;
	return rc;
}
