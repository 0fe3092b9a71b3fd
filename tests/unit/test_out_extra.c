/*
 * test_out_extra: what the writers add to a result: hop names (text and
 * scamper's "name" in JSON), origin ASes, the destination as typed; the
 * live pieces of the text table composing the whole table; names in the
 * multipath table; hoplite watch's table and JSON.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/addr.h"
#include "output/out.h"
#include "probe/pkt.h"
#include "t.h"
#include "measure/mda.h"
#include "measure/trace.h"
#include "measure/watch.h"

static const struct pkt_method m_icmp = {
	.name = "icmp-paris", .trace_name = "icmp-echo-paris",
	.lb_name = "icmp-echo", .proto = IPPROTO_ICMP,
};

/* Names for 198.18.1.2 and 198.18.2.2; none for the rest. */
static const char *
name_of(const struct addr_ip *a, void *arg)
{
	char buf[ADDR_STRLEN];

	addr_ntop(a, buf, sizeof(buf));
	if (strcmp(buf, "198.18.1.2") == 0)
		return "r1.example";
	if (strcmp(buf, "198.18.2.2") == 0)
		return "r2.example";
	return NULL;
}

static const char *
asn_of(const struct addr_ip *a, void *arg)
{
	char buf[ADDR_STRLEN];

	addr_ntop(a, buf, sizeof(buf));
	return strcmp(buf, "198.18.4.2") == 0 ? NULL : "64500";
}

static char *
capture(int (*fn)(FILE *, void *), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	T_EQ_INT(fn(fp, arg), 0);
	fclose(fp);
	return buf;
}

static struct trace_hop hops[4];
static struct trace_result res;

static void
mk_trace(void)
{
	const char *addrs[] = { "198.18.1.2", "198.18.2.2", "198.18.3.2",
	    "198.18.4.2" };

	memset(&res, 0, sizeof(res));
	memset(hops, 0, sizeof(hops));
	res.conf.method = &m_icmp;
	res.conf.first_ttl = 1;
	res.conf.max_ttl = 30;
	res.conf.attempts = 2;
	res.conf.wait_ms = 2000;
	res.conf.window = 8;
	addr_pton("198.18.1.1", &res.flow.src);
	addr_pton("198.18.4.2", &res.flow.dst);
	res.flow.proto = IPPROTO_ICMP;
	res.stop_reason = TRACE_STOP_COMPLETED;
	res.hop_count = 4;
	for (int i = 0; i < 4; i++) {
		addr_pton(addrs[i], &hops[i].addr);
		hops[i].probe_ttl = (uint8_t)(i + 1);
		hops[i].probe_id = 1;
		hops[i].rtt_us = 1000u * (unsigned)(i + 1);
		hops[i].icmp_type = i == 3 ? 0 : 11;
	}
	res.hops = hops;
	res.nhops = 4;
}

static struct out_extra xt;

static int
w_text(FILE *fp, void *arg)
{
	return out_trace_text_x(fp, &res, arg);
}

static int
w_live(FILE *fp, void *arg)
{
	/* As hoplite trace prints one trace on a terminal. */
	if (out_trace_text_head(fp, &res, arg) == -1 ||
	    out_trace_text_ttl(fp, &res, 1, arg) == -1 ||
	    out_trace_text_ttl(fp, &res, 2, arg) == -1)
		return -1;
	return out_trace_text_tail(fp, &res, 3, arg);
}

static void
test_trace_text(void)
{
	char *s, *live;

	mk_trace();
	memset(&xt, 0, sizeof(xt));
	xt.name = name_of;
	xt.asn = asn_of;
	xt.dst_name = "dst.example";
	s = capture(w_text, &xt);
	T_CHECK(strncmp(s, "traceroute to dst.example (198.18.4.2) from "
	    "198.18.1.1, icmp-paris", 62) == 0);
	T_CHECK(strstr(s, "\n 1  r1.example (198.18.1.2) [AS64500]  1.000 ms\n")
	    != NULL);
	T_CHECK(strstr(s, "\n 3  198.18.3.2 [AS64500]  3.000 ms\n") != NULL);
	T_CHECK(strstr(s, "\n 4  198.18.4.2 [*]  4.000 ms\n") != NULL);
	T_CHECK(strstr(s, "\nstop: COMPLETED\n") != NULL);
	live = capture(w_live, &xt);
	T_EQ_STR(live, s);
	free(live);
	free(s);

	/* No extras: the table as before; the typed name equal to the
	 * address is not repeated. */
	memset(&xt, 0, sizeof(xt));
	xt.dst_name = "198.18.4.2";
	s = capture(w_text, &xt);
	T_CHECK(strncmp(s, "traceroute to 198.18.4.2 from", 29) == 0);
	T_CHECK(strstr(s, "\n 1  198.18.1.2  1.000 ms\n") != NULL);
	T_CHECK(strstr(s, "example") == NULL && strstr(s, "[") == NULL);
	free(s);
}

static void
test_trace_json(void)
{
	json_t *o, *h;
	const char *k;
	void *it;

	mk_trace();
	memset(&xt, 0, sizeof(xt));
	xt.name = name_of;
	o = out_trace_json_x(&res, &xt);
	T_CHECK(o != NULL);
	h = json_array_get(json_object_get(o, "hops"), 0);
	it = json_object_iter(h);
	k = json_object_iter_key(it);
	T_EQ_STR(k, "addr");
	k = json_object_iter_key(json_object_iter_next(h, it));
	T_EQ_STR(k, "name");
	T_EQ_STR(json_string_value(json_object_get(h, "name")), "r1.example");
	h = json_array_get(json_object_get(o, "hops"), 2);
	T_CHECK(json_object_get(h, "name") == NULL);
	json_decref(o);
	o = out_trace_json(&res);
	h = json_array_get(json_object_get(o, "hops"), 0);
	T_CHECK(json_object_get(h, "name") == NULL);
	json_decref(o);
}

static struct mda_result lb;

static int
w_lb(FILE *fp, void *arg)
{
	return out_tracelb_text_x(fp, &lb, arg);
}

static void
test_tracelb_text(void)
{
	struct mda_vertex v[2];
	struct mda_link l[1];
	char *s;

	memset(&lb, 0, sizeof(lb));
	memset(v, 0, sizeof(v));
	memset(l, 0, sizeof(l));
	lb.conf.method = MDA_UDP_DPORT;
	lb.conf.confidence = 95;
	lb.conf.first_ttl = 1;
	lb.conf.attempts = 2;
	addr_pton("198.18.1.1", &lb.flow0.src);
	addr_pton("198.18.4.2", &lb.flow0.dst);
	addr_pton("198.18.1.2", &v[0].addr);
	v[0].ttl = 1;
	addr_pton("198.18.4.2", &v[1].addr);
	v[1].ttl = 2;
	v[1].kind = MDA_V_DEST;
	l[0].from = 0;
	l[0].to = 1;
	lb.vertices = v;
	lb.nvertices = 2;
	lb.links = l;
	lb.nlinks = 1;
	lb.stop_reason = MDA_STOP_COMPLETED;
	memset(&xt, 0, sizeof(xt));
	xt.name = name_of;
	xt.dst_name = "dst.example";
	s = capture(w_lb, &xt);
	T_CHECK(strncmp(s, "mda to dst.example (198.18.4.2) from 198.18.1.1",
	    47) == 0);
	T_CHECK(strstr(s, "\n  1  r1.example (198.18.1.2)  ") != NULL);
	/* the column is as wide as the widest label */
	T_CHECK(strstr(s, "\n  2  198.18.4.2                 ") != NULL);
	free(s);
}

static void
test_watch(void)
{
	struct watch_row rows[2];
	struct out_watch_info wi;
	struct addr_ip src, dst;
	struct timeval now = { 1700000000, 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	json_t *o, *r;

	memset(rows, 0, sizeof(rows));
	addr_pton("198.18.1.2", &rows[0].addr);
	rows[0].ttl = 1;
	rows[0].flows = 0xf;	/* flows 0-3 */
	rows[0].sent = 40;
	rows[0].received = 30;
	rows[0].last_us = 1500;
	rows[0].best_us = 1000;
	rows[0].worst_us = 3000;
	rows[0].avg_us = 1250.4;
	rows[0].stdev_us = 100.2;
	rows[1].ttl = 2;
	rows[1].flows = 0x5;	/* flows 0 and 2 */
	rows[1].sent = 20;
	addr_pton("198.18.1.1", &src);
	addr_pton("198.18.4.2", &dst);
	memset(&wi, 0, sizeof(wi));
	wi.src = &src;
	wi.dst = &dst;
	wi.method = "icmp-paris";
	wi.flow_lo = 10;
	wi.cycle = 10;
	wi.time = &now;
	memset(&xt, 0, sizeof(xt));
	xt.name = name_of;
	fp = open_memstream(&buf, &len);
	T_EQ_INT(out_watch_text(fp, &wi, rows, 2, &xt), 0);
	fclose(fp);
	T_CHECK(strstr(buf, "watch 198.18.4.2, icmp-paris, cycle 10\n") != NULL);
	T_CHECK(strstr(buf, "  1  r1.example (198.18.1.2)") != NULL);
	T_CHECK(strstr(buf, " 10-13     25.0%    40   1.500   1.250   1.000"
	    "   3.000   0.100\n") != NULL);
	T_CHECK(strstr(buf, "  2  ???") != NULL);
	T_CHECK(strstr(buf, " 10,12    100.0%    20\n") != NULL);
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &len);
	T_EQ_INT(out_watch_json_line(fp, &wi, rows, 2, NULL), 0);
	fclose(fp);
	o = json_loads(buf, 0, NULL);
	T_CHECK(o != NULL);
	T_EQ_STR(json_string_value(json_object_get(o, "type")), "watch");
	T_EQ_INT(json_integer_value(json_object_get(o, "cycle")), 10);
	r = json_array_get(json_object_get(o, "rows"), 0);
	T_EQ_INT(json_array_size(json_object_get(r, "flows")), 4);
	T_EQ_INT(json_integer_value(json_array_get(json_object_get(r,
	    "flows"), 0)), 10);
	T_CHECK(json_real_value(json_object_get(r, "loss")) == 0.25);
	T_CHECK(json_real_value(json_object_get(r, "avg")) == 1.25);
	T_CHECK(json_object_get(r, "name") == NULL);
	r = json_array_get(json_object_get(o, "rows"), 1);
	T_CHECK(json_is_null(json_object_get(r, "addr")));
	T_CHECK(json_real_value(json_object_get(r, "loss")) == 1.0);
	T_CHECK(json_object_get(r, "avg") == NULL);
	json_decref(o);
	free(buf);
}

int
main(void)
{
	test_trace_text();
	test_trace_json();
	test_tracelb_text();
	test_watch();
	return T_DONE();
}
