/*
 * out_watch: hoplite watch's figures as a table (mtr's report columns,
 * one row per branch) and as one JSON object per cycle.
 */
#include "config.h"

#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "util/addr.h"
#include "output/out.h"
#include "measure/watch.h"

/* Flow ids as "0-3,7". */
static void
flows_str(uint64_t mask, uint32_t lo, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned f = 0; f < WATCH_MAX_FLOWS && n < len; f++) {
		unsigned g = f;

		if (!(mask & ((uint64_t)1 << f)))
			continue;
		while (g + 1 < WATCH_MAX_FLOWS && (mask & ((uint64_t)1 << (g + 1))))
			g++;
		if (g == f)
			n += snprintf(buf + n, len - n, "%s%u", n ? "," : "",
			    lo + f);
		else
			n += snprintf(buf + n, len - n, "%s%u-%u", n ? "," : "",
			    lo + f, lo + g);
		f = g;
	}
}

static double
loss_pct(const struct watch_row *r)
{
	return r->sent > 0 ? 100.0 * (r->sent - r->received) / r->sent : 0;
}

int
out_watch_text(FILE *fp, const struct out_watch_info *wi,
    const struct watch_row *rows, size_t n, const struct out_extra *x)
{
	char dst[ADDR_STRLEN], a[ADDR_STRLEN], host[300], flows[128];

	addr_ntop(wi->dst, dst, sizeof(dst));
	if (x != NULL && x->dst_name != NULL && strcmp(x->dst_name, dst) != 0)
		fprintf(fp, "watch %s (%s)", x->dst_name, dst);
	else
		fprintf(fp, "watch %s", dst);
	fprintf(fp, ", %s, cycle %u\n", wi->method, wi->cycle);
	fprintf(fp, "%3s  %-40s %-8s %6s %5s %7s %7s %7s %7s %7s\n", "TTL",
	    "Host", "Flows", "Loss%", "Snt", "Last", "Avg", "Best", "Wrst",
	    "StDev");
	for (size_t i = 0; i < n; i++) {
		const struct watch_row *r = &rows[i];
		const char *name = NULL;

		flows_str(r->flows, wi->flow_lo, flows, sizeof(flows));
		if (r->addr.family == 0)
			snprintf(host, sizeof(host), "???");
		else {
			addr_ntop(&r->addr, a, sizeof(a));
			if (x != NULL && x->name != NULL)
				name = x->name(&r->addr, x->arg);
			if (name != NULL)
				snprintf(host, sizeof(host), "%s (%s)", name, a);
			else
				snprintf(host, sizeof(host), "%s", a);
		}
		fprintf(fp, "%3u  %-40s %-8s %5.1f%% %5u", r->ttl, host, flows,
		    loss_pct(r), r->sent);
		if (r->received > 0)
			fprintf(fp, " %7.3f %7.3f %7.3f %7.3f %7.3f\n",
			    r->last_us / 1000.0, r->avg_us / 1000.0,
			    r->best_us / 1000.0, r->worst_us / 1000.0,
			    r->stdev_us / 1000.0);
		else
			fputc('\n', fp);
	}
	if (fflush(fp) == EOF || ferror(fp))
		return -1;
	return 0;
}

static json_t *
row_json(const struct out_watch_info *wi, const struct watch_row *r,
    const struct out_extra *x)
{
	json_t *o, *fl;
	const char *name;
	int err = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	err |= out_json_set_int(o, "ttl", r->ttl);
	if (r->addr.family != 0) {
		err |= out_json_set_addr(o, "addr", &r->addr);
		if (x != NULL && x->name != NULL &&
		    (name = x->name(&r->addr, x->arg)) != NULL)
			err |= out_json_set_str(o, "name", name);
	} else
		err |= json_object_set_new(o, "addr", json_null());
	if ((fl = json_array()) == NULL ||
	    json_object_set_new(o, "flows", fl) == -1)
		err = -1;
	else
		for (unsigned f = 0; f < WATCH_MAX_FLOWS; f++)
			if (r->flows & ((uint64_t)1 << f))
				err |= json_array_append_new(fl,
				    json_integer(wi->flow_lo + f));
	err |= out_json_set_int(o, "sent", r->sent);
	err |= out_json_set_int(o, "received", r->received);
	err |= json_object_set_new(o, "loss",
	    json_real(loss_pct(r) / 100.0));
	if (r->received > 0) {
		err |= json_object_set_new(o, "last", json_real(r->last_us / 1000.0));
		err |= json_object_set_new(o, "avg",
		    json_real((double)(long long)(r->avg_us + 0.5) / 1000.0));
		err |= json_object_set_new(o, "best", json_real(r->best_us / 1000.0));
		err |= json_object_set_new(o, "worst", json_real(r->worst_us / 1000.0));
		err |= json_object_set_new(o, "stdev",
		    json_real((double)(long long)(r->stdev_us + 0.5) / 1000.0));
	}
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
out_watch_json_line(FILE *fp, const struct out_watch_info *wi,
    const struct watch_row *rows, size_t n, const struct out_extra *x)
{
	json_t *o, *a, *r;
	int err = 0, rv = -1;

	if ((o = json_object()) == NULL)
		return -1;
	err |= out_json_set_str(o, "type", "watch");
	err |= out_json_set_str(o, "method", wi->method);
	err |= out_json_set_addr(o, "src", wi->src);
	err |= out_json_set_addr(o, "dst", wi->dst);
	err |= out_json_set_int(o, "cycle", wi->cycle);
	err |= json_object_set_new(o, "time", out_json_time(wi->time, 1));
	err |= out_json_set_str(o, "hoplite_version", PACKAGE_VERSION);
	if (err || (a = json_array()) == NULL ||
	    json_object_set_new(o, "rows", a) == -1)
		goto done;
	for (size_t i = 0; i < n; i++)
		if ((r = row_json(wi, &rows[i], x)) == NULL ||
		    json_array_append_new(a, r) == -1)
			goto done;
	rv = out_json_write_line(fp, o);
done:
	json_decref(o);
	return rv;
}
