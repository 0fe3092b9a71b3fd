/* test_out: trace results as scamper JSON and as a text table. */
#ifdef HAVE_CONFIG_H
#include "config.h"		/* PACKAGE_VERSION */
#endif
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/addr.h"
#include "util/arena.h"
#include "output/out.h"
#include "probe/pkt.h"
#include "t.h"
#include "measure/trace.h"

/* Methods as the tables in pkt_*.c describe them; output reads only these. */
static const struct pkt_method m_icmp = {
	.name = "icmp-paris", .trace_name = "icmp-echo-paris",
	.lb_name = "icmp-echo", .proto = IPPROTO_ICMP,
};
static const struct pkt_method m_udp = {
	.name = "udp-paris", .trace_name = "udp-paris",
	.lb_name = "udp-dport", .proto = IPPROTO_UDP,
};
static const struct pkt_method m_tcp = {
	.name = "tcp-paris", .trace_name = "tcp",
	.lb_name = "tcp-sport", .proto = IPPROTO_TCP, .tcp_flags = 0x02,
};

/* Top-level keys and JSON types: s string, i integer, r real, o object,
 * a array. */
static const char *const icmp_keys[] = {
	"type", "version", "userid", "method", "src", "dst", "icmp_sum",
	"stop_reason", "stop_data", "start", "hop_count", "attempts",
	"hoplimit", "firsthop", "wait", "wait_probe", "tos", "probe_size",
	"probe_count", "flowid", "wait_ms", "window", "hoplite_version",
	"hops", NULL
};
static const char icmp_types[] = "ssisssisioiiiiiiiiiiiisa";
static const char *const port_keys[] = {
	"type", "version", "userid", "method", "src", "dst", "sport", "dport",
	"stop_reason", "stop_data", "start", "hop_count", "attempts",
	"hoplimit", "firsthop", "wait", "wait_probe", "tos", "probe_size",
	"probe_count", "flowid", "wait_ms", "window", "hoplite_version",
	"hops", NULL
};
static const char port_types[] = "ssisssiisioiiiiiiiiiiiisa";
static const char *const start_keys[] = { "sec", "usec", "ftime", NULL };
static const char *const tx_keys[] = { "sec", "usec", NULL };

/* Hop keys: the common part, then one of the tails. */
#define HOP_COMMON "addr", "probe_ttl", "probe_id", "probe_size", "tx", \
	"rtt", "reply_ttl", "reply_tos", "reply_ipid", "reply_size"
#define HOP_COMMON_T "siiioriiii"
static const char *const hop_te_mpls_keys[] = {
	HOP_COMMON, "icmp_type", "icmp_code", "icmp_q_ttl", "icmp_q_ipl",
	"icmp_q_tos", "icmpext", NULL
};
static const char hop_te_mpls_types[] = HOP_COMMON_T "iiiiia";
static const char *const hop_te_quote_keys[] = {
	HOP_COMMON, "icmp_type", "icmp_code", "icmp_q_ttl", "icmp_q_ipl",
	"icmp_q_tos", NULL
};
static const char hop_te_quote_types[] = HOP_COMMON_T "iiiii";
static const char *const hop_icmp_bare_keys[] = {
	HOP_COMMON, "icmp_type", "icmp_code", NULL
};
static const char hop_icmp_bare_types[] = HOP_COMMON_T "ii";
static const char *const hop_tcp_keys[] = { HOP_COMMON, "tcp_flags", NULL };
static const char hop_tcp_types[] = HOP_COMMON_T "i";
static const char *const ext_mpls_keys[] = {
	"ie_cn", "ie_ct", "ie_dl", "mpls_labels", NULL
};
static const char ext_mpls_types[] = "iiia";
static const char *const ext_other_keys[] = { "ie_cn", "ie_ct", "ie_dl", NULL };
static const char ext_other_types[] = "iii";
static const char *const mpls_keys[] = {
	"mpls_ttl", "mpls_s", "mpls_exp", "mpls_label", NULL
};
static const char mpls_types[] = "iiii";

static int
type_ok(const json_t *v, char t)
{
	switch (t) {
	case 's':
		return json_is_string(v);
	case 'i':
		return json_is_integer(v);
	case 'r':
		return json_is_real(v);
	case 'o':
		return json_is_object(v);
	case 'a':
		return json_is_array(v);
	}
	return 0;
}

/* o has exactly `keys`, in that order, with `types`. */
static void
check_keys(const char *what, const json_t *o, const char *const *keys,
    const char *types)
{
	void *it;
	size_t i = 0;

	T_CHECK(json_is_object(o));
	if (!json_is_object(o))
		return;
	for (it = json_object_iter((json_t *)o); it != NULL;
	    it = json_object_iter_next((json_t *)o, it), i++) {
		const char *k = json_object_iter_key(it);

		if (keys[i] == NULL) {
			fprintf(stderr, "%s: extra key %s\n", what, k);
			T_CHECK(keys[i] != NULL);
			return;
		}
		if (strcmp(k, keys[i]) != 0)
			fprintf(stderr, "%s: key %zu is %s, want %s\n", what,
			    i, k, keys[i]);
		T_EQ_STR(k, keys[i]);
		if (!type_ok(json_object_iter_value(it), types[i]))
			fprintf(stderr, "%s: %s is not of type %c\n", what, k,
			    types[i]);
		T_CHECK(type_ok(json_object_iter_value(it), types[i]));
	}
	if (keys[i] != NULL)
		fprintf(stderr, "%s: missing key %s\n", what, keys[i]);
	T_CHECK(keys[i] == NULL);
	T_EQ_INT(strlen(types), i);
}

static long long
get_int(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	T_CHECK(json_is_integer(v));
	return json_integer_value(v);
}

static const char *
get_str(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	T_CHECK(json_is_string(v));
	return json_string_value(v);
}

/* A JSON integer that Go decodes into an int32 (M-Lab's field type). */
static int
is_int32(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
	    json_integer_value(v) <= INT32_MAX;
}

/*
 * What M-Lab's scamper parser (traceroute-caller parser/scamper2.go) asks
 * of the trace line: it decodes into TraceLine/ScamperHop, whose fields
 * are strings, int32s, {sec, usec} int64 pairs and an rtt float64, and
 * then requires type == "trace".  A field of the wrong JSON type fails
 * the whole line; absent fields are allowed.
 */
static void
check_mlab(const json_t *t)
{
	static const char *const strs[] = {
		"type", "version", "method", "src", "dst", "stop_reason", NULL
	};
	static const char *const ints[] = {
		"userid", "icmp_sum", "stop_data", "hop_count", "attempts",
		"hoplimit", "firsthop", "wait", "wait_probe", "tos",
		"probe_size", "probe_count", NULL
	};
	static const char *const hop_ints[] = {
		"probe_ttl", "probe_id", "probe_size", "reply_ttl", "reply_tos",
		"reply_ipid", "reply_size", "icmp_type", "icmp_code",
		"icmp_q_ttl", "icmp_q_ipl", "icmp_q_tos", NULL
	};
	const json_t *v, *hops, *h, *ts;
	size_t i;

	T_CHECK(json_is_object(t));
	T_EQ_STR(get_str(t, "type"), "trace");
	for (i = 0; strs[i] != NULL; i++)
		if ((v = json_object_get(t, strs[i])) != NULL)
			T_CHECK(json_is_string(v));
	for (i = 0; ints[i] != NULL; i++)
		if ((v = json_object_get(t, ints[i])) != NULL)
			T_CHECK(is_int32(v));
	ts = json_object_get(t, "start");
	T_CHECK(json_is_integer(json_object_get(ts, "sec")));
	T_CHECK(json_is_integer(json_object_get(ts, "usec")));
	hops = json_object_get(t, "hops");
	T_CHECK(json_is_array(hops));
	json_array_foreach(hops, i, h) {
		T_CHECK(json_is_string(json_object_get(h, "addr")));
		for (size_t k = 0; hop_ints[k] != NULL; k++)
			if ((v = json_object_get(h, hop_ints[k])) != NULL)
				T_CHECK(is_int32(v));
		ts = json_object_get(h, "tx");
		T_CHECK(json_is_integer(json_object_get(ts, "sec")));
		T_CHECK(json_is_integer(json_object_get(ts, "usec")));
		T_CHECK(json_is_number(json_object_get(h, "rtt")));
	}
}

/* Render with out_trace_json_line and parse it back. */
static json_t *
json_line(const struct trace_result *r, char **linep)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	json_t *o = NULL;
	json_error_t e;

	T_CHECK(fp != NULL);
	if (fp == NULL)
		return NULL;
	T_EQ_INT(out_trace_json_line(fp, r), 0);
	fclose(fp);
	/* Exactly one line, newline-terminated. */
	T_CHECK(len > 0 && buf[len - 1] == '\n');
	T_CHECK(memchr(buf, '\n', len) == buf + len - 1);
	o = json_loads(buf, 0, &e);
	if (o == NULL)
		fprintf(stderr, "json_loads: %s: %s\n", e.text, buf);
	T_CHECK(o != NULL);
	*linep = buf;
	return o;
}

static char *
text_of(const struct trace_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	T_CHECK(fp != NULL);
	if (fp == NULL)
		return NULL;
	T_EQ_INT(out_trace_text(fp, r), 0);
	fclose(fp);
	return buf;
}

static void
set_addr(struct addr_ip *a, const char *s)
{
	if (addr_pton(s, a) != 0)
		abort();
}

static void
hop(struct trace_hop *h, const char *addr, uint8_t ttl, uint8_t id,
    uint32_t rtt_us)
{
	memset(h, 0, sizeof(*h));
	set_addr(&h->addr, addr);
	h->probe_ttl = ttl;
	h->probe_id = id;
	h->probe_size = 44;
	/* 1638999963.788025 + ttl ms + id us; the start is .787829 */
	h->tx_us = 196 + ttl * 1000u + id;
	h->rtt_us = rtt_us;
	h->reply_ttl = (uint8_t)(65 - ttl);
	h->reply_tos = 192;
	h->reply_ipid = (uint16_t)(11379 + ttl);
	h->reply_size = 56;
}

static void
quote(struct trace_hop *h, uint8_t type, uint8_t code, uint8_t q_ttl,
    uint16_t q_ipl)
{
	h->icmp_type = type;
	h->icmp_code = code;
	h->has_quote = 1;
	h->q_ttl = q_ttl;
	h->q_ipl = q_ipl;
	h->q_tos = 0;
}

static void
base_conf(struct trace_result *r, const struct pkt_method *m)
{
	memset(r, 0, sizeof(*r));
	r->conf.method = m;
	r->conf.flowid = 3;
	r->conf.first_ttl = 1;
	r->conf.max_ttl = 30;
	r->conf.attempts = 2;
	r->conf.gaplimit = 5;
	r->conf.window = 8;
	r->conf.wait_ms = 1500;
	r->start.tv_sec = 1638999963;
	r->start.tv_usec = 787829;
	r->flow.size = 44;
	r->flow.flowid = 3;
}

/*
 * ICMP, IPv4: TTL 1 answered twice (an MPLS router with a quote, then a
 * second address without a quote), TTL 2 silent, TTL 3 the destination.
 */
static void
test_icmp(void)
{
	static const char want_line[] =
	    "{\"type\":\"trace\",\"version\":\"0.1\",\"userid\":0,"
	    "\"method\":\"icmp-echo-paris\",\"src\":\"192.0.2.1\","
	    "\"dst\":\"198.51.100.7\",\"icmp_sum\":33009,"
	    "\"stop_reason\":\"COMPLETED\",\"stop_data\":0,"
	    "\"start\":{\"sec\":1638999963,\"usec\":787829,"
	    "\"ftime\":\"2021-12-08 21:46:03\"},\"hop_count\":3,"
	    "\"attempts\":3,\"hoplimit\":30,\"firsthop\":1,\"wait\":2,"
	    "\"wait_probe\":0,\"tos\":0,\"probe_size\":44,\"probe_count\":7,"
	    "\"flowid\":3,\"wait_ms\":1500,\"window\":8,"
	    "\"hoplite_version\":\"" PACKAGE_VERSION "\",\"hops\":["
	    "{\"addr\":\"192.0.2.254\",\"probe_ttl\":1,\"probe_id\":1,"
	    "\"probe_size\":44,\"tx\":{\"sec\":1638999963,\"usec\":789026},"
	    "\"rtt\":0.123,\"reply_ttl\":64,\"reply_tos\":192,"
	    "\"reply_ipid\":11380,\"reply_size\":56,\"icmp_type\":11,"
	    "\"icmp_code\":0,\"icmp_q_ttl\":1,\"icmp_q_ipl\":44,"
	    "\"icmp_q_tos\":0,\"icmpext\":[{\"ie_cn\":1,\"ie_ct\":1,"
	    "\"ie_dl\":8,\"mpls_labels\":[{\"mpls_ttl\":1,\"mpls_s\":0,"
	    "\"mpls_exp\":0,\"mpls_label\":24000},{\"mpls_ttl\":1,"
	    "\"mpls_s\":1,\"mpls_exp\":5,\"mpls_label\":1048575}]},"
	    "{\"ie_cn\":2,\"ie_ct\":1,\"ie_dl\":4}]},"
	    "{\"addr\":\"192.0.2.253\",\"probe_ttl\":1,\"probe_id\":2,"
	    "\"probe_size\":44,\"tx\":{\"sec\":1638999963,\"usec\":789027},"
	    "\"rtt\":2.0,\"reply_ttl\":64,\"reply_tos\":192,"
	    "\"reply_ipid\":11380,\"reply_size\":56,\"icmp_type\":11,"
	    "\"icmp_code\":0},"
	    "{\"addr\":\"192.0.2.254\",\"probe_ttl\":1,\"probe_id\":3,"
	    "\"probe_size\":44,\"tx\":{\"sec\":1638999963,\"usec\":789028},"
	    "\"rtt\":1.5,\"reply_ttl\":64,\"reply_tos\":192,"
	    "\"reply_ipid\":11380,\"reply_size\":56,\"icmp_type\":11,"
	    "\"icmp_code\":0,\"icmp_q_ttl\":1,\"icmp_q_ipl\":44,"
	    "\"icmp_q_tos\":0},"
	    "{\"addr\":\"198.51.100.7\",\"probe_ttl\":3,\"probe_id\":1,"
	    "\"probe_size\":44,\"tx\":{\"sec\":1638999963,\"usec\":791026},"
	    "\"rtt\":135.64,\"reply_ttl\":62,\"reply_tos\":192,"
	    "\"reply_ipid\":11382,\"reply_size\":56,\"icmp_type\":0,"
	    "\"icmp_code\":0}]}\n";
	static const char want_text[] =
	    "traceroute to 198.51.100.7 from 192.0.2.1, icmp-paris, flow 3,"
	    " max 30 hops\n"
	    " 1  192.0.2.254  0.123 ms  1.500 ms  192.0.2.253  2.000 ms\n"
	    "     MPLS Label 24000 TTL=1\n"
	    "     MPLS Label 1048575 TTL=1\n"
	    " 2  *\n"
	    " 3  198.51.100.7  135.640 ms\n"
	    "stop: COMPLETED\n";
	struct trace_result r;
	struct trace_hop hops[4];
	struct pkt_ext ext0[2];
	json_t *o, *hs, *h, *ext, *lab;
	char *line, *text;

	base_conf(&r, &m_icmp);
	set_addr(&r.flow.src, "192.0.2.1");
	set_addr(&r.flow.dst, "198.51.100.7");
	r.flow.proto = IPPROTO_ICMP;
	r.flow.sport = 0x1234;
	r.flow.icmp_sum = 33009;
	r.stop_reason = TRACE_STOP_COMPLETED;
	r.hop_count = 3;
	r.probe_count = 7;
	r.conf.attempts = 3;

	hop(&hops[0], "192.0.2.254", 1, 1, 123);
	quote(&hops[0], 11, 0, 1, 44);
	hops[0].next = 2;
	hops[0].ext = ext0;
	hops[0].ext[0].cn = 1;
	hops[0].ext[0].ct = 1;
	hops[0].ext[0].dl = 8;
	hops[0].ext[0].nmpls = 2;
	hops[0].ext[0].mpls[0] = (struct pkt_mpls){ .label = 24000,
	    .exp = 0, .s = 0, .ttl = 1 };
	hops[0].ext[0].mpls[1] = (struct pkt_mpls){ .label = 1048575,
	    .exp = 5, .s = 1, .ttl = 1 };
	hops[0].ext[1].cn = 2;	/* interface information: no labels */
	hops[0].ext[1].ct = 1;
	hops[0].ext[1].dl = 4;
	hop(&hops[1], "192.0.2.253", 1, 2, 2000);
	hops[1].icmp_type = 11;	/* time exceeded, no quote kept */
	hop(&hops[2], "192.0.2.254", 1, 3, 1500);
	quote(&hops[2], 11, 0, 1, 44);
	hop(&hops[3], "198.51.100.7", 3, 1, 135640);
	hops[3].icmp_type = 0;	/* echo reply */
	r.hops = hops;
	r.nhops = 4;

	o = json_line(&r, &line);
	T_EQ_STR(line, want_line);
	check_keys("icmp trace", o, icmp_keys, icmp_types);
	check_keys("start", json_object_get(o, "start"), start_keys, "iis");
	check_mlab(o);

	/* Values round-trip. */
	T_EQ_STR(get_str(o, "method"), "icmp-echo-paris");
	T_EQ_STR(get_str(o, "src"), "192.0.2.1");
	T_EQ_STR(get_str(o, "dst"), "198.51.100.7");
	T_EQ_INT(get_int(o, "icmp_sum"), 33009);
	T_EQ_STR(get_str(o, "stop_reason"), "COMPLETED");
	T_EQ_INT(get_int(o, "hop_count"), 3);
	T_EQ_INT(get_int(o, "hoplimit"), 30);
	T_EQ_INT(get_int(o, "wait"), 2);
	T_EQ_INT(get_int(o, "wait_ms"), 1500);
	T_EQ_INT(get_int(o, "probe_count"), 7);
	T_EQ_STR(get_str(o, "hoplite_version"), PACKAGE_VERSION);
	T_CHECK(json_object_get(o, "sport") == NULL);
	T_CHECK(json_object_get(o, "dport") == NULL);

	hs = json_object_get(o, "hops");
	T_EQ_INT(json_array_size(hs), 4);
	h = json_array_get(hs, 0);
	check_keys("hop 0", h, hop_te_mpls_keys, hop_te_mpls_types);
	check_keys("hop 0 tx", json_object_get(h, "tx"), tx_keys, "ii");
	T_CHECK(json_real_value(json_object_get(h, "rtt")) == 123 / 1000.0);
	T_EQ_INT(get_int(json_object_get(h, "tx"), "usec"), 789026);
	ext = json_object_get(h, "icmpext");
	T_EQ_INT(json_array_size(ext), 2);
	check_keys("ext 0", json_array_get(ext, 0), ext_mpls_keys,
	    ext_mpls_types);
	check_keys("ext 1", json_array_get(ext, 1), ext_other_keys,
	    ext_other_types);
	lab = json_object_get(json_array_get(ext, 0), "mpls_labels");
	T_EQ_INT(json_array_size(lab), 2);
	check_keys("label 1", json_array_get(lab, 1), mpls_keys, mpls_types);
	T_EQ_INT(get_int(json_array_get(lab, 1), "mpls_label"), 1048575);
	T_EQ_INT(get_int(json_array_get(lab, 1), "mpls_exp"), 5);
	T_EQ_INT(get_int(json_array_get(lab, 1), "mpls_s"), 1);

	/* No quote: no icmp_q_* keys. */
	h = json_array_get(hs, 1);
	check_keys("hop 1", h, hop_icmp_bare_keys, hop_icmp_bare_types);
	T_CHECK(json_object_get(h, "icmp_q_ttl") == NULL);
	check_keys("hop 2", json_array_get(hs, 2), hop_te_quote_keys,
	    hop_te_quote_types);
	/* Echo reply: type 0, no quote keys, no extensions. */
	h = json_array_get(hs, 3);
	check_keys("hop 3", h, hop_icmp_bare_keys, hop_icmp_bare_types);
	T_EQ_INT(get_int(h, "icmp_type"), 0);
	T_CHECK(json_real_value(json_object_get(h, "rtt")) == 135.64);

	text = text_of(&r);
	T_EQ_STR(text, want_text);

	json_decref(o);
	free(line);
	free(text);
}

/* TCP, IPv4: a router, then a SYN-ACK from the destination. */
static void
test_tcp(void)
{
	static const char want_text[] =
	    "traceroute to 203.0.113.9 from 192.0.2.1, tcp-paris, flow 3,"
	    " max 30 hops\n"
	    " 1  192.0.2.254  0.999 ms\n"
	    " 2  203.0.113.9  10.000 ms [SYN,ACK]  10.001 ms [RST]\n"
	    "stop: COMPLETED\n";
	struct trace_result r;
	struct trace_hop hops[3];
	json_t *o, *h;
	char *line, *text;

	base_conf(&r, &m_tcp);
	set_addr(&r.flow.src, "192.0.2.1");
	set_addr(&r.flow.dst, "203.0.113.9");
	r.flow.proto = IPPROTO_TCP;
	r.flow.sport = 40003;
	r.flow.dport = 80;
	r.flow.size = 40;
	r.stop_reason = TRACE_STOP_COMPLETED;
	r.hop_count = 2;
	r.probe_count = 3;
	hop(&hops[0], "192.0.2.254", 1, 1, 999);
	quote(&hops[0], 11, 0, 1, 40);
	hop(&hops[1], "203.0.113.9", 2, 1, 10000);
	hops[1].is_tcp = 1;
	hops[1].tcp_flags = 0x12;	/* SYN|ACK */
	hop(&hops[2], "203.0.113.9", 2, 2, 10001);
	hops[2].is_tcp = 1;
	hops[2].tcp_flags = 0x04;	/* RST */
	r.hops = hops;
	r.nhops = 3;

	o = json_line(&r, &line);
	check_keys("tcp trace", o, port_keys, port_types);
	check_mlab(o);
	T_EQ_STR(get_str(o, "method"), "tcp");
	T_EQ_INT(get_int(o, "sport"), 40003);
	T_EQ_INT(get_int(o, "dport"), 80);
	T_EQ_INT(get_int(o, "probe_size"), 40);
	T_CHECK(json_object_get(o, "icmp_sum") == NULL);
	check_keys("tcp hop 0", json_array_get(json_object_get(o, "hops"), 0),
	    hop_te_quote_keys, hop_te_quote_types);
	h = json_array_get(json_object_get(o, "hops"), 1);
	check_keys("tcp hop 1", h, hop_tcp_keys, hop_tcp_types);
	T_EQ_INT(get_int(h, "tcp_flags"), 0x12);
	T_CHECK(json_object_get(h, "icmp_type") == NULL);
	T_CHECK(strstr(line, "\"rtt\":10.0,") != NULL);
	T_CHECK(strstr(line, "\"rtt\":10.001,") != NULL);
	T_CHECK(strstr(line, "\"rtt\":0.999,") != NULL);

	text = text_of(&r);
	T_EQ_STR(text, want_text);

	json_decref(o);
	free(line);
	free(text);
}

/* UDP, IPv6: a router, a silent TTL, then unreachables. */
static void
test_ipv6(void)
{
	static const char want_text[] =
	    "traceroute to 2001:db8:1::2 from 2001:db8::1, udp-paris, flow 3,"
	    " max 30 hops\n"
	    " 1  2001:db8::ff  0.238 ms\n"
	    " 2  *\n"
	    " 3  2001:db8:0:3:ffff:0:d178:83bd  4.264 ms !N"
	    "  2001:db8::fe  5.000 ms !X  6.000 ms !9\n"
	    "stop: UNREACH (code 0)\n";
	struct trace_result r;
	struct trace_hop hops[4];
	json_t *o, *hs, *h;
	char *line, *text;

	base_conf(&r, &m_udp);
	set_addr(&r.flow.src, "2001:db8::1");
	set_addr(&r.flow.dst, "2001:db8:1::2");
	r.flow.proto = IPPROTO_UDP;
	r.flow.sport = 33437;
	r.flow.dport = 33435;
	r.flow.size = 60;
	r.conf.wait_ms = 2000;
	r.stop_reason = TRACE_STOP_UNREACH;
	r.stop_data = 0;
	r.hop_count = 3;
	r.probe_count = 6;
	hop(&hops[0], "2001:db8::ff", 1, 1, 238);
	quote(&hops[0], 3, 0, 1, 60);
	hop(&hops[1], "2001:db8:0:3:ffff:0:d178:83bd", 3, 1, 4264);
	quote(&hops[1], 1, 0, 1, 60);
	hop(&hops[2], "2001:db8::fe", 3, 2, 5000);
	quote(&hops[2], 1, 1, 1, 60);
	hop(&hops[3], "2001:db8::fe", 3, 3, 6000);
	quote(&hops[3], 1, 9, 1, 60);
	for (int i = 0; i < 4; i++)
		hops[i].probe_size = 60;
	r.hops = hops;
	r.nhops = 4;

	o = json_line(&r, &line);
	check_keys("ipv6 trace", o, port_keys, port_types);
	check_mlab(o);
	T_EQ_STR(get_str(o, "src"), "2001:db8::1");
	T_EQ_STR(get_str(o, "dst"), "2001:db8:1::2");
	T_EQ_STR(get_str(o, "method"), "udp-paris");
	T_EQ_STR(get_str(o, "stop_reason"), "UNREACH");
	T_EQ_INT(get_int(o, "wait"), 2);
	hs = json_object_get(o, "hops");
	T_EQ_INT(json_array_size(hs), 4);
	h = json_array_get(hs, 1);
	check_keys("v6 hop 1", h, hop_te_quote_keys, hop_te_quote_types);
	T_EQ_STR(get_str(h, "addr"), "2001:db8:0:3:ffff:0:d178:83bd");
	T_EQ_INT(get_int(h, "icmp_type"), 1);
	T_EQ_INT(get_int(h, "icmp_q_ipl"), 60);
	T_EQ_INT(get_int(h, "probe_size"), 60);

	text = text_of(&r);
	T_EQ_STR(text, want_text);

	json_decref(o);
	free(line);
	free(text);
}

/* Traces that did not complete: how far the table goes, stop details. */
static void
test_incomplete(void)
{
	static const char want_gap[] =
	    "traceroute to 198.51.100.7 from 192.0.2.1, udp-paris, flow 3,"
	    " max 30 hops\n"
	    " 1  192.0.2.254  1.000 ms\n"
	    " 2  *\n"
	    " 3  *\n"
	    "stop: GAPLIMIT\n";
	static const char want_halted[] =
	    "traceroute to 198.51.100.7 from 192.0.2.1, udp-paris, flow 3,"
	    " max 30 hops\n"
	    " 1  192.0.2.254  1.000 ms\n"
	    " 2  *\n"
	    " 3  192.0.2.9  3.000 ms !T12/0\n"
	    "stop: HALTED\n";
	static const char want_err[] =
	    "traceroute to 198.51.100.7 from ?, udp-paris, flow 3,"
	    " max 30 hops\n"
	    "stop: ERROR (Network is unreachable)\n";
	struct trace_result r;
	struct trace_hop hops[2];
	json_t *o;
	char *line, *text;

	/* Gap limit: hop_count covers the silent TTLs that were probed. */
	base_conf(&r, &m_udp);
	set_addr(&r.flow.src, "192.0.2.1");
	set_addr(&r.flow.dst, "198.51.100.7");
	r.flow.proto = IPPROTO_UDP;
	r.stop_reason = TRACE_STOP_GAPLIMIT;
	r.hop_count = 3;
	hop(&hops[0], "192.0.2.254", 1, 1, 1000);
	quote(&hops[0], 11, 0, 1, 44);
	r.hops = hops;
	r.nhops = 1;
	text = text_of(&r);
	T_EQ_STR(text, want_gap);
	free(text);

	/* Halted with hop_count 0: up to the highest TTL answered. */
	r.stop_reason = TRACE_STOP_HALTED;
	r.hop_count = 0;
	hop(&hops[1], "192.0.2.9", 3, 1, 3000);
	quote(&hops[1], 12, 0, 1, 44);	/* parameter problem */
	r.nhops = 2;
	text = text_of(&r);
	T_EQ_STR(text, want_halted);
	free(text);

	/* An error before any probe: no source, no hops, an empty array. */
	base_conf(&r, &m_udp);
	set_addr(&r.flow.dst, "198.51.100.7");
	r.stop_reason = TRACE_STOP_ERROR;
	r.stop_data = ENETUNREACH;
	text = text_of(&r);
	T_EQ_STR(text, want_err);
	free(text);
	o = json_line(&r, &line);
	check_keys("error trace", o, port_keys, port_types);
	check_mlab(o);
	T_EQ_STR(get_str(o, "stop_reason"), "ERROR");
	T_EQ_INT(get_int(o, "stop_data"), ENETUNREACH);
	T_EQ_INT(json_array_size(json_object_get(o, "hops")), 0);
	json_decref(o);
	free(line);
}

/*
 * A line longer than out_trace_json_line's own buffer (60 answered probes
 * make about 14 KB), with jansson's allocator as hoplite trace sets it (the
 * arena) and without: the same, complete line.
 */
static void
test_long_line(void)
{
	struct trace_result r;
	struct trace_hop hops[60];
	char *plain = NULL, *arena = NULL;
	json_t *o;

	base_conf(&r, &m_icmp);
	set_addr(&r.flow.src, "192.0.2.1");
	set_addr(&r.flow.dst, "198.51.100.7");
	for (int i = 0; i < 60; i++) {
		hop(&hops[i], "203.0.113.9", (uint8_t)(1 + i / 2),
		    (uint8_t)(1 + i % 2), 1000u + (uint32_t)i);
		quote(&hops[i], 11, 0, 1, 44);
	}
	r.hops = hops;
	r.nhops = 60;
	r.hop_count = 30;
	r.probe_count = 60;
	r.stop_reason = TRACE_STOP_HOPLIMIT;

	o = json_line(&r, &plain);
	T_CHECK(plain != NULL && strlen(plain) > 8192);
	T_EQ_INT(json_array_size(json_object_get(o, "hops")), 60);
	json_decref(o);

	arena_install();
	arena_begin();
	o = json_line(&r, &arena);
	arena_end();
	T_EQ_STR(arena, plain);
	json_decref(o);
	arena_release();
	free(plain);
	free(arena);
}

/* Write errors are reported, not swallowed. */
static void
test_write_error(void)
{
	struct trace_result r;
	FILE *fp;

	base_conf(&r, &m_icmp);
	set_addr(&r.flow.dst, "198.51.100.7");
	if ((fp = fopen("/dev/full", "w")) == NULL)
		return;
	T_EQ_INT(out_trace_json_line(fp, &r), -1);
	clearerr(fp);
	T_EQ_INT(out_trace_text(fp, &r), -1);
	fclose(fp);
}

/* The object can be dumped by other writers with OUT_JSON_FLAGS. */
static void
test_flags(void)
{
	json_t *a = json_pack("[f,f,f,f]", 0.123, 4294967.295, 0.001, 0.0);
	char *s;

	T_CHECK(a != NULL);
	s = json_dumps(a, OUT_JSON_FLAGS);
	T_EQ_STR(s, "[0.123,4294967.295,0.001,0.0]");
	free(s);
	json_decref(a);
}

int
main(void)
{
	test_icmp();
	test_tcp();
	test_ipv6();
	test_incomplete();
	test_long_line();
	test_write_error();
	test_flags();
	return T_DONE();
}
