/*
 * test_out_tracelb: multipath results (struct mda_result, built by hand) as
 * scamper tracelb JSON, as a text table and as Graphviz.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"		/* PACKAGE_VERSION */
#endif
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/addr.h"
#include "measure/mda.h"
#include "output/out.h"
#include "t.h"

#define T0	1700000000

/* A result under construction: vertices and probes in fixed arrays. */
struct tb {
	struct mda_result r;
	struct mda_vertex v[16];
	struct mda_probe p[64];
	struct mda_link l[16];
	struct pkt_ext ext[1];
};

static void
addr_set(struct addr_ip *a, const char *s)
{
	if (addr_pton(s, a) == -1)
		abort();
}

static void
tb_init(struct tb *b, enum mda_method m, const char *src, const char *dst)
{
	memset(b, 0, sizeof(*b));
	b->r.conf.method = m;
	b->r.conf.rule = MDA_RULE_LITE;
	b->r.conf.confidence = 95;
	b->r.conf.sport = 40000;
	b->r.conf.dport = 33435;
	b->r.conf.first_ttl = 1;
	b->r.conf.max_ttl = 30;
	b->r.conf.attempts = 2;
	b->r.conf.gaplimit = 3;
	b->r.conf.window = 16;
	b->r.conf.wait_ms = 1500;
	b->r.conf.probe_gap_ms = 150;
	b->r.conf.probec_max = 3000;
	addr_set(&b->r.flow0.src, src);
	addr_set(&b->r.flow0.dst, dst);
	b->r.flow0.size = b->r.flow0.dst.family == AF_INET ? 44 : 60;
	b->r.stop_reason = MDA_STOP_COMPLETED;
	b->r.start.tv_sec = T0;
	b->r.start.tv_usec = 5;
	b->r.end.tv_sec = T0 + 1;
	b->r.end.tv_usec = 250005;
	b->r.vertices = b->v;
	b->r.probes = b->p;
	b->r.links = b->l;
}

static int
tb_vertex(struct tb *b, const char *addr, unsigned ttl, int kind)
{
	struct mda_vertex *v = &b->v[b->r.nvertices];

	addr_set(&v->addr, addr);
	v->ttl = (uint8_t)ttl;
	v->kind = (uint8_t)kind;
	if (kind != MDA_V_DEST || v->addr.family != 0) {
		v->has_q_ttl = 1;
		v->q_ttl = 1;
	}
	return (int)b->r.nvertices++;
}

/* A probe (attempt 1-based) answered by vertex `vx` (-1: silent). */
static struct mda_probe *
tb_probe(struct tb *b, unsigned flow, unsigned ttl, unsigned attempt, int vx,
    unsigned rtt_us)
{
	struct mda_probe *p = &b->p[b->r.nprobes];
	long us = (long)b->r.nprobes * 1000;

	p->flow = (uint16_t)flow;
	p->ttl = (uint8_t)ttl;
	p->attempt = (uint8_t)attempt;
	p->size = b->r.flow0.size;
	p->tx.tv_sec = T0 + 1;
	p->tx.tv_usec = us;
	p->vertex = vx;
	if (vx >= 0) {
		const struct mda_vertex *v = &b->v[vx];

		p->replied = 1;
		p->addr = v->addr;
		p->rtt_us = rtt_us;
		p->rx.tv_sec = T0 + 1;
		p->rx.tv_usec = us + rtt_us;
		p->reply_ttl = (uint8_t)(65 - ttl);
		p->reply_ipid = (uint16_t)(100 + b->r.nprobes);
		p->reply_size = 56;
		if (v->kind == MDA_V_DEST) {
			p->icmp_type = v->addr.family == AF_INET ? 3 : 1;
			p->icmp_code = v->addr.family == AF_INET ? 3 : 4;
		} else {
			p->icmp_type = v->addr.family == AF_INET ? 11 : 3;
			p->icmp_code = 0;
		}
		p->has_quote = 1;
		p->q_ttl = 1;
		p->q_ipl = p->size;
	}
	b->r.nprobes++;
	b->r.probec++;
	return p;
}

static void
tb_link(struct tb *b, int from, int to, unsigned gap)
{
	struct mda_link *l = &b->l[b->r.nlinks++];

	l->from = from;
	l->to = to;
	l->gap = (uint8_t)gap;
}

/* --- rendering and a compact skeleton of the JSON ------------------------ */

static char *
render(int (*fn)(FILE *, const struct mda_result *),
    const struct mda_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	T_CHECK(fp != NULL);
	if (fp == NULL)
		return NULL;
	T_EQ_INT(fn(fp, r), 0);
	fclose(fp);
	return buf;
}

static char *
dot_of(const struct mda_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	T_CHECK(fp != NULL);
	if (fp == NULL)
		return NULL;
	T_EQ_INT(out_tracelb_dot(fp, r, 7), 0);
	fclose(fp);
	return buf;
}

/* The JSON line, parsed; *line keeps the text. */
static json_t *
json_of(const struct mda_result *r, char **line)
{
	json_error_t e;
	json_t *o;

	*line = render(out_tracelb_json_line, r);
	if (*line == NULL)
		return NULL;
	T_CHECK(strchr(*line, '\n') == *line + strlen(*line) - 1);
	if ((o = json_loads(*line, 0, &e)) == NULL)
		fprintf(stderr, "json_loads: %s: %s\n", e.text, *line);
	T_CHECK(o != NULL);
	return o;
}

static void
cat(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s", s);
}

/*
 * "node ADDR linkc N [pp]: [elem, ...] [elem]" per node, joined by " | ";
 * elem = ADDR(flowid/ttl/attempt/replyc ...) or ADDR alone without probes.
 */
static void
skeleton(const json_t *o, char *buf, size_t len)
{
	const json_t *nodes = json_object_get(o, "nodes"), *n, *hop, *e, *p;
	size_t i, j, k, m;
	char tmp[128];

	buf[0] = '\0';
	json_array_foreach(nodes, i, n) {
		if (i > 0)
			cat(buf, len, " | ");
		snprintf(tmp, sizeof(tmp), "%s linkc %lld%s:",
		    json_string_value(json_object_get(n, "addr")),
		    json_integer_value(json_object_get(n, "linkc")),
		    json_is_true(json_object_get(n, "perpacket")) ? " pp" : "");
		cat(buf, len, tmp);
		json_array_foreach(json_object_get(n, "links"), j, hop) {
			cat(buf, len, " [");
			json_array_foreach(hop, k, e) {
				const json_t *probes = json_object_get(e,
				    "probes");

				if (k > 0)
					cat(buf, len, ", ");
				cat(buf, len, json_string_value(
				    json_object_get(e, "addr")));
				if (probes == NULL)
					continue;
				cat(buf, len, "(");
				json_array_foreach(probes, m, p) {
					snprintf(tmp, sizeof(tmp), "%s%lld/%lld/"
					    "%lld/%lld", m > 0 ? " " : "",
					    json_integer_value(json_object_get(
					    p, "flowid")),
					    json_integer_value(json_object_get(
					    p, "ttl")),
					    json_integer_value(json_object_get(
					    p, "attempt")),
					    json_integer_value(json_object_get(
					    p, "replyc")));
					cat(buf, len, tmp);
				}
				cat(buf, len, ")");
			}
			cat(buf, len, "]");
		}
	}
}

/* o's keys, in order, joined by ','. */
static void
keys_of(const json_t *o, char *buf, size_t len)
{
	const char *k;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach((json_t *)o, k, v) {
		if (buf[0] != '\0')
			cat(buf, len, ",");
		cat(buf, len, k);
	}
}

static void
check_keys(const json_t *o, const char *want)
{
	char buf[1024];

	keys_of(o, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "keys: %s\n want %s\n", buf, want);
	T_EQ_STR(buf, want);
}

static void
check_skeleton(const json_t *o, const char *want)
{
	char buf[4096];

	skeleton(o, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "skeleton: %s\n    want: %s\n", buf, want);
	T_EQ_STR(buf, want);
}

/* Replace each "@N" in want by flow N's flowid value (mda.c decides). */
static void
flowids(const struct mda_result *r, const char *want, char *buf, size_t len)
{
	char tmp[16];

	buf[0] = '\0';
	for (const char *s = want; *s != '\0'; s++) {
		if (*s == '@') {
			unsigned f = (unsigned)strtoul(s + 1, (char **)&s, 10);

			snprintf(tmp, sizeof(tmp), "%u",
			    (unsigned)mda_flowid_value(r, f));
			cat(buf, len, tmp);
			s--;
			continue;
		}
		tmp[0] = *s;
		tmp[1] = '\0';
		cat(buf, len, tmp);
	}
}

static void
check_skeleton_f(const json_t *o, const struct mda_result *r,
    const char *want)
{
	char buf[4096];

	flowids(r, want, buf, sizeof(buf));
	check_skeleton(o, buf);
}

#define HEADER_KEYS "type,version,userid,method,src,dst"
#define HEADER_TAIL "start,probe_size,firsthop,attempts,confidence,tos," \
	"gaplimit,wait_timeout,wait_probe,probec,probec_max,nodec,linkc," \
	"hoplite_version,stop_rule,stop_reason,wait_ms,window"

/* --- the cases ------------------------------------------------------------ */

/*
 * A width-2 diamond (IPv4, udp-dport): 198.18.1.1 => {2.1, 2.5} => 3.1 =>
 * the destination, four flows; flow 3 needed a second attempt at TTL 3.
 */
static void
build_diamond(struct tb *b)
{
	int a, x, y, c, d;

	tb_init(b, MDA_UDP_DPORT, "198.18.0.1", "198.18.4.2");
	a = tb_vertex(b, "198.18.1.1", 1, MDA_V_ROUTER);
	x = tb_vertex(b, "198.18.2.1", 2, MDA_V_ROUTER);
	y = tb_vertex(b, "198.18.2.5", 2, MDA_V_ROUTER);
	c = tb_vertex(b, "198.18.3.1", 3, MDA_V_ROUTER);
	d = tb_vertex(b, "198.18.4.2", 4, MDA_V_DEST);
	tb_probe(b, 0, 1, 1, a, 1000);
	tb_probe(b, 0, 2, 1, x, 2000);
	tb_probe(b, 1, 2, 1, y, 2100);
	tb_probe(b, 2, 2, 1, x, 2200);
	tb_probe(b, 3, 2, 1, y, 2300);
	tb_probe(b, 0, 3, 1, c, 3000);
	tb_probe(b, 1, 3, 1, c, 3100);
	tb_probe(b, 2, 3, 1, c, 3200);
	tb_probe(b, 3, 3, 1, -1, 0);
	tb_probe(b, 3, 3, 2, c, 3400);
	tb_probe(b, 0, 4, 1, d, 4000);
	tb_link(b, a, x, 0);
	tb_link(b, a, y, 0);
	tb_link(b, x, c, 0);
	tb_link(b, y, c, 0);
	tb_link(b, c, d, 0);
}

static void
test_diamond(void)
{
	struct tb b;
	json_t *o, *n0, *e, *p, *rep;
	char *line, want[4096], hdr[2048];

	build_diamond(&b);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	check_keys(o, HEADER_KEYS ",sport,dport," HEADER_TAIL ",nodes");
	/* The header, exactly (flow ids: mda.c's mapping). */
	snprintf(hdr, sizeof(hdr), "{\"type\":\"tracelb\",\"version\":\"0.1\","
	    "\"userid\":0,\"method\":\"udp-dport\",\"src\":\"198.18.0.1\","
	    "\"dst\":\"198.18.4.2\",\"sport\":40000,\"dport\":33435,"
	    "\"start\":{\"sec\":%d,\"usec\":5,\"ftime\":\"2023-11-14 22:13:20\"},"
	    "\"probe_size\":44,\"firsthop\":1,\"attempts\":2,\"confidence\":95,"
	    "\"tos\":0,\"gaplimit\":3,\"wait_timeout\":2,\"wait_probe\":150,"
	    "\"probec\":11,\"probec_max\":3000,\"nodec\":5,\"linkc\":5,"
	    "\"hoplite_version\":\"%s\",\"stop_rule\":\"mda-lite\","
	    "\"stop_reason\":\"%s\",\"wait_ms\":1500,\"window\":16,"
	    "\"nodes\":[", T0, PACKAGE_VERSION,
	    mda_stop_name(MDA_STOP_COMPLETED));
	T_CHECK(strncmp(line, hdr, strlen(hdr)) == 0);
	if (strncmp(line, hdr, strlen(hdr)) != 0)
		fprintf(stderr, "line: %s\nwant: %s\n", line, hdr);
	/* nodec counts the destination; it has no link, so is not printed. */
	T_EQ_INT(json_array_size(json_object_get(o, "nodes")), 4);
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 2: [198.18.2.1(@0/2/0/1 @2/2/0/1), "
	    "198.18.2.5(@1/2/0/1 @3/2/0/1)]"
	    " | 198.18.2.1 linkc 1: [198.18.3.1(@0/3/0/1 @2/3/0/1)]"
	    " | 198.18.2.5 linkc 1: [198.18.3.1(@1/3/0/1 @3/3/0/0 @3/3/1/1)]"
	    " | 198.18.3.1 linkc 1: [198.18.4.2(@0/4/0/1)]");
	n0 = json_array_get(json_object_get(o, "nodes"), 0);
	check_keys(n0, "addr,q_ttl,linkc,links");
	e = json_array_get(json_array_get(json_object_get(n0, "links"), 0), 0);
	check_keys(e, "addr,probes");
	p = json_array_get(json_object_get(e, "probes"), 0);
	check_keys(p, "tx,replyc,ttl,attempt,flowid,replies");
	check_keys(json_object_get(p, "tx"), "sec,usec");
	rep = json_array_get(json_object_get(p, "replies"), 0);
	check_keys(rep, "rx,ttl,rtt,ipid,icmp_type,icmp_code,icmp_q_tos,"
	    "icmp_q_ttl");
	/* One probe and its reply, exactly. */
	flowids(&b.r, "{\"tx\":{\"sec\":1700000001,\"usec\":1000},\"replyc\":1,"
	    "\"ttl\":2,\"attempt\":0,\"flowid\":@0,\"replies\":[{\"rx\":"
	    "{\"sec\":1700000001,\"usec\":3000},\"ttl\":63,\"rtt\":2.0,"
	    "\"ipid\":101,\"icmp_type\":11,\"icmp_code\":0,\"icmp_q_tos\":0,"
	    "\"icmp_q_ttl\":1}]}", want, sizeof(want));
	T_CHECK(strstr(line, want) != NULL);
	if (strstr(line, want) == NULL)
		fprintf(stderr, "line: %s\nwant: %s\n", line, want);
	/* The unanswered first attempt is listed, without replies. */
	flowids(&b.r, "{\"tx\":{\"sec\":1700000001,\"usec\":8000},\"replyc\":0,"
	    "\"ttl\":3,\"attempt\":0,\"flowid\":@3}", want, sizeof(want));
	T_CHECK(strstr(line, want) != NULL);
	/* The destination's port unreachable. */
	T_CHECK(strstr(line, "\"rtt\":4.0,\"ipid\":110,\"icmp_type\":3,"
	    "\"icmp_code\":3,\"icmp_q_tos\":0,\"icmp_q_ttl\":1}") != NULL);
	json_decref(o);
	free(line);
}

/*
 * A silent router inside a link (1.1 -> * -> 3.1), beside a direct link
 * from the same vertex (1.1 -> 2.5), and a single-link node after a gap.
 */
static void
test_silent_hop(void)
{
	struct tb b;
	json_t *o;
	char *line;
	int a, y, c, d;

	tb_init(&b, MDA_UDP_SPORT, "198.18.0.1", "198.18.4.2");
	a = tb_vertex(&b, "198.18.1.1", 1, MDA_V_ROUTER);
	y = tb_vertex(&b, "198.18.2.5", 2, MDA_V_ROUTER);
	c = tb_vertex(&b, "198.18.3.1", 3, MDA_V_ROUTER);
	d = tb_vertex(&b, "198.18.4.2", 4, MDA_V_DEST);
	tb_probe(&b, 0, 1, 1, a, 1000);
	tb_probe(&b, 1, 1, 1, a, 1000);
	tb_probe(&b, 0, 2, 1, -1, 0);
	tb_probe(&b, 0, 2, 2, -1, 0);
	tb_probe(&b, 1, 2, 1, y, 2000);
	tb_probe(&b, 0, 3, 1, c, 3000);
	tb_probe(&b, 1, 3, 1, c, 3000);
	tb_probe(&b, 0, 4, 1, d, 4000);
	tb_link(&b, a, y, 0);
	tb_link(&b, a, c, 1);
	tb_link(&b, y, c, 0);
	tb_link(&b, c, d, 0);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	/* linkc > 1: the gap link's element names its far end and lists
	 * the silent first-hop probes with replyc 0. */
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 2: [198.18.2.5(@1/2/0/1), "
	    "198.18.3.1(@0/2/0/0 @0/2/1/0)]"
	    " | 198.18.2.5 linkc 1: [198.18.3.1(@1/3/0/1)]"
	    " | 198.18.3.1 linkc 1: [198.18.4.2(@0/4/0/1)]");
	json_decref(o);
	free(line);

	/* The same with only the gap link: one inner array per hop. */
	tb_init(&b, MDA_UDP_SPORT, "198.18.0.1", "198.18.4.2");
	a = tb_vertex(&b, "198.18.1.1", 1, MDA_V_ROUTER);
	c = tb_vertex(&b, "198.18.3.1", 3, MDA_V_ROUTER);
	tb_probe(&b, 0, 1, 1, a, 1000);
	tb_probe(&b, 0, 2, 1, -1, 0);
	tb_probe(&b, 0, 3, 1, c, 3000);
	tb_link(&b, a, c, 1);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 1: [*] [198.18.3.1(@0/3/0/1)]");
	T_CHECK(strstr(line, "\"links\":[[{\"addr\":\"*\"}],[{\"addr\":"
	    "\"198.18.3.1\",\"probes\":[") != NULL);
	T_EQ_INT(json_integer_value(json_object_get(o, "nodec")), 2);
	T_EQ_INT(json_integer_value(json_object_get(o, "linkc")), 1);
	json_decref(o);
	free(line);
}

/*
 * Flows not probed at the near end of a link: flow 2 answered only at TTL
 * 2 (2.5, whose one link in is from 1.1: listed), flow 3 only at TTL 3
 * (3.1, reached from 2.1 and 2.5: which link it took is unknown, so it is
 * listed under neither).
 */
static void
test_implied(void)
{
	struct tb b;
	json_t *o;
	char *line;
	int a, x, y, c;

	tb_init(&b, MDA_UDP_DPORT, "198.18.0.1", "198.18.4.2");
	a = tb_vertex(&b, "198.18.1.1", 1, MDA_V_ROUTER);
	x = tb_vertex(&b, "198.18.2.1", 2, MDA_V_ROUTER);
	y = tb_vertex(&b, "198.18.2.5", 2, MDA_V_ROUTER);
	c = tb_vertex(&b, "198.18.3.1", 3, MDA_V_ROUTER);
	tb_probe(&b, 0, 1, 1, a, 1000);
	tb_probe(&b, 1, 1, 1, a, 1000);
	tb_probe(&b, 0, 2, 1, x, 2000);
	tb_probe(&b, 1, 2, 1, y, 2000);
	tb_probe(&b, 2, 2, 1, y, 2000);
	tb_probe(&b, 0, 3, 1, c, 3000);
	tb_probe(&b, 1, 3, 1, c, 3000);
	tb_probe(&b, 3, 3, 1, c, 3000);
	tb_link(&b, a, x, 0);
	tb_link(&b, a, y, 0);
	tb_link(&b, x, c, 0);
	tb_link(&b, y, c, 0);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 2: [198.18.2.1(@0/2/0/1), "
	    "198.18.2.5(@1/2/0/1 @2/2/0/1)]"
	    " | 198.18.2.1 linkc 1: [198.18.3.1(@0/3/0/1)]"
	    " | 198.18.2.5 linkc 1: [198.18.3.1(@1/3/0/1)]");
	json_decref(o);
	free(line);
}

/* A branch that ends in silence (gaplimit 3 after 2.1), beside one that
 * goes on; then the same branch alone. */
static void
test_silent_end(void)
{
	struct tb b;
	json_t *o;
	char *line;
	int a, x, y;

	tb_init(&b, MDA_ICMP_ECHO, "198.18.0.1", "198.18.9.9");
	b.r.stop_reason = MDA_STOP_GAPLIMIT;
	a = tb_vertex(&b, "198.18.1.1", 1, MDA_V_ROUTER);
	x = tb_vertex(&b, "198.18.2.1", 2, MDA_V_ROUTER);
	y = tb_vertex(&b, "198.18.3.1", 3, MDA_V_ROUTER);
	tb_probe(&b, 0, 1, 1, a, 1000);
	tb_probe(&b, 0, 2, 1, x, 2000);
	tb_probe(&b, 1, 2, 1, x, 2000);
	tb_probe(&b, 0, 3, 1, -1, 0);
	tb_probe(&b, 0, 4, 1, -1, 0);
	tb_probe(&b, 0, 5, 1, -1, 0);
	tb_probe(&b, 1, 3, 1, y, 3000);
	tb_link(&b, a, x, 0);
	tb_link(&b, x, -1, 3);
	tb_link(&b, x, y, 0);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	/* icmp-echo: no sport/dport in the header. */
	check_keys(o, HEADER_KEYS "," HEADER_TAIL ",nodes");
	T_EQ_STR(json_string_value(json_object_get(o, "stop_reason")),
	    mda_stop_name(MDA_STOP_GAPLIMIT));
	/* Flow 1 was not probed at TTL 1: its link is implied (the only one
	 * into 2.1), so its probe is listed too. */
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 1: [198.18.2.1(@0/2/0/1 @1/2/0/1)]"
	    " | 198.18.2.1 linkc 2: [*(@0/3/0/0), 198.18.3.1(@1/3/0/1)]");
	T_EQ_INT(json_integer_value(json_object_get(o, "linkc")), 3);
	json_decref(o);
	free(line);

	b.r.nlinks = 0;
	tb_link(&b, a, x, 0);
	tb_link(&b, x, -1, 3);
	b.r.nprobes = 6;
	b.r.nvertices = 2;
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	/* Three silent hops: two, then the missing far end. */
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 1: [198.18.2.1(@0/2/0/1 @1/2/0/1)]"
	    " | 198.18.2.1 linkc 1: [*] [*] [*]");
	T_CHECK(strstr(line, "\"linkc\":1,\"links\":[[{\"addr\":\"*\"}],"
	    "[{\"addr\":\"*\"}],[{\"addr\":\"*\"}]]}]}") != NULL);
	json_decref(o);
	free(line);
}

/*
 * A per-packet balancer at 1.1: flow 0's attempts at TTL 2 were answered
 * by 2.1 and by 2.5.  Its successors converge on 3.1, so 1.1 is printed
 * as one link whose middle hop lists both addresses (a clump), and 2.1 and
 * 2.5 are not nodes of their own.
 */
static void
build_perpacket(struct tb *b)
{
	int a, x, y, c, d;

	tb_init(b, MDA_UDP_DPORT, "198.18.0.1", "198.18.4.2");
	a = tb_vertex(b, "198.18.1.1", 1, MDA_V_ROUTER);
	x = tb_vertex(b, "198.18.2.1", 2, MDA_V_ROUTER);
	y = tb_vertex(b, "198.18.2.5", 2, MDA_V_ROUTER);
	c = tb_vertex(b, "198.18.3.1", 3, MDA_V_ROUTER);
	d = tb_vertex(b, "198.18.4.2", 4, MDA_V_DEST);
	b->v[a].perpacket = 1;
	tb_probe(b, 0, 1, 1, a, 1000);
	tb_probe(b, 1, 1, 1, a, 1000);
	tb_probe(b, 0, 2, 1, x, 2000);
	tb_probe(b, 0, 2, 2, y, 2000);
	tb_probe(b, 1, 2, 1, y, 2000);
	tb_probe(b, 1, 2, 2, -1, 0);
	tb_probe(b, 0, 3, 1, c, 3000);
	tb_probe(b, 1, 3, 1, c, 3000);
	tb_probe(b, 0, 4, 1, d, 4000);
	tb_link(b, a, x, 0);
	tb_link(b, a, y, 0);
	tb_link(b, x, c, 0);
	tb_link(b, y, c, 0);
	tb_link(b, c, d, 0);
}

static void
test_perpacket(void)
{
	struct tb b;
	json_t *o, *n0;
	char *line;

	build_perpacket(&b);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 1 pp: [198.18.2.1(@0/2/0/1), "
	    "198.18.2.5(@0/2/1/1 @1/2/0/1)] [198.18.3.1(@0/3/0/1 @1/3/0/1)]"
	    " | 198.18.3.1 linkc 1: [198.18.4.2(@0/4/0/1)]");
	n0 = json_array_get(json_object_get(o, "nodes"), 0);
	check_keys(n0, "addr,q_ttl,linkc,perpacket,links");
	T_EQ_INT(json_integer_value(json_object_get(o, "nodec")), 5);
	/* Links as printed: the clump is one. */
	T_EQ_INT(json_integer_value(json_object_get(o, "linkc")), 2);
	json_decref(o);
	free(line);

	/* Successors that never converge: plain links, still flagged. */
	b.r.nlinks = 2;
	b.r.nprobes = 6;
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	check_skeleton_f(o, &b.r,
	    "198.18.1.1 linkc 2 pp: [198.18.2.1(@0/2/0/1), "
	    "198.18.2.5(@0/2/1/1 @1/2/0/1 @1/2/1/0)]");
	json_decref(o);
	free(line);
}

/* IPv6, tcp-sport: the destination answers with a TCP RST; MPLS labels
 * in a time exceeded. */
static void
test_ipv6_tcp_mpls(void)
{
	struct tb b;
	struct mda_probe *p;
	json_t *o, *rep;
	char *line;
	int a, d;

	tb_init(&b, MDA_TCP_SPORT, "2001:db8::1", "2001:db8:4::2");
	a = tb_vertex(&b, "2001:db8:1::1", 1, MDA_V_ROUTER);
	d = tb_vertex(&b, "2001:db8:4::2", 2, MDA_V_DEST);
	b.v[d].has_q_ttl = 0;
	p = tb_probe(&b, 0, 1, 1, a, 1234);
	b.ext[0].cn = 1;
	b.ext[0].ct = 1;
	b.ext[0].dl = 4;
	b.ext[0].nmpls = 1;
	b.ext[0].mpls[0].label = 16000;
	b.ext[0].mpls[0].s = 1;
	b.ext[0].mpls[0].ttl = 1;
	p->next = 1;
	p->ext = b.ext;
	p = tb_probe(&b, 0, 2, 1, d, 2500);
	p->is_tcp = 1;
	p->tcp_flags = 0x14;
	p->has_quote = 0;
	p->icmp_type = p->icmp_code = 0;
	tb_link(&b, a, d, 0);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	check_keys(o, HEADER_KEYS ",sport,dport," HEADER_TAIL
	    ",hoplite_flowlabel,nodes");
	T_EQ_STR(json_string_value(json_object_get(o, "method")), "tcp-sport");
	T_EQ_STR(json_string_value(json_object_get(o, "hoplite_flowlabel")),
	    "per-flow");
	T_EQ_INT(json_integer_value(json_object_get(o, "probe_size")), 60);
	check_skeleton_f(o, &b.r,
	    "2001:db8:1::1 linkc 1: [2001:db8:4::2(@0/2/0/1)]");
	/* No ipid for IPv6; TCP replies carry tcp_flags, no ICMP keys. */
	T_CHECK(strstr(line, "\"replies\":[{\"rx\":{\"sec\":1700000001,"
	    "\"usec\":3500},\"ttl\":63,\"rtt\":2.5,\"tcp_flags\":20}]") != NULL);
	rep = json_object_get(json_array_get(json_object_get(json_array_get(
	    json_array_get(json_object_get(json_array_get(json_object_get(o,
	    "nodes"), 0), "links"), 0), 0), "probes"), 0), "replies");
	check_keys(json_array_get(rep, 0), "rx,ttl,rtt,tcp_flags");
	json_decref(o);
	free(line);

	/* The time exceeded with its MPLS stack, as in trace JSON: make the
	 * first hop a node of its own by linking the source's hop to it. */
	tb_init(&b, MDA_TCP_SPORT, "2001:db8::1", "2001:db8:4::2");
	b.r.conf.flowlabel_fixed = 1;
	a = tb_vertex(&b, "2001:db8:1::1", 1, MDA_V_ROUTER);
	d = tb_vertex(&b, "2001:db8:2::1", 2, MDA_V_ROUTER);
	tb_probe(&b, 0, 1, 1, a, 1000);
	p = tb_probe(&b, 0, 2, 1, d, 1234);
	b.ext[0].cn = 1;
	b.ext[0].ct = 1;
	b.ext[0].dl = 4;
	b.ext[0].nmpls = 1;
	b.ext[0].mpls[0].label = 16000;
	b.ext[0].mpls[0].s = 1;
	b.ext[0].mpls[0].ttl = 1;
	p->next = 1;
	p->ext = b.ext;
	tb_link(&b, a, d, 0);
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	T_EQ_STR(json_string_value(json_object_get(o, "hoplite_flowlabel")),
	    "fixed");
	T_CHECK(strstr(line, "\"rtt\":1.234,\"icmp_type\":3,\"icmp_code\":0,"
	    "\"icmp_q_tos\":0,\"icmp_q_ttl\":1,\"icmpext\":[{\"ie_cn\":1,"
	    "\"ie_ct\":1,\"ie_dl\":4,\"mpls_labels\":[{\"mpls_ttl\":1,"
	    "\"mpls_s\":1,\"mpls_exp\":0,\"mpls_label\":16000}]}]}") != NULL);
	json_decref(o);
	free(line);
}

/* Nothing measured: no "nodes" (as scamper), the reason in errmsg. */
static void
test_error(void)
{
	struct tb b;
	json_t *o;
	char *line, *txt, want[256];

	tb_init(&b, MDA_ICMP_ECHO, "198.18.0.1", "198.18.4.2");
	b.r.stop_reason = MDA_STOP_ERROR;
	b.r.stop_data = ENETUNREACH;
	b.r.conf.rule = MDA_RULE_FULL;
	b.r.end = b.r.start;
	if ((o = json_of(&b.r, &line)) == NULL)
		return;
	check_keys(o, HEADER_KEYS "," "start,probe_size,firsthop,attempts,"
	    "confidence,tos,gaplimit,wait_timeout,wait_probe,probec,probec_max,"
	    "nodec,linkc,errmsg,hoplite_version,stop_rule,stop_reason,wait_ms,"
	    "window");
	T_EQ_STR(json_string_value(json_object_get(o, "errmsg")),
	    strerror(ENETUNREACH));
	T_EQ_STR(json_string_value(json_object_get(o, "stop_rule")), "mda");
	T_EQ_INT(json_integer_value(json_object_get(o, "nodec")), 0);
	json_decref(o);
	free(line);
	txt = render(out_tracelb_text, &b.r);
	snprintf(want, sizeof(want), "mda to 198.18.4.2 from 198.18.0.1, "
	    "icmp-echo, mda 95%%, 2 attempts, wait 1500 ms\n"
	    "0 vertices, 0 links, 0 probes, 0.00 s, stop %s (%s)\n",
	    mda_stop_name(MDA_STOP_ERROR), strerror(ENETUNREACH));
	T_EQ_STR(txt, want);
	free(txt);
}

static void
test_text(void)
{
	struct tb b;
	char *txt, want[2048];

	build_diamond(&b);
	/* A silent TTL 5 probed after the destination's TTL: "*". */
	tb_probe(&b, 1, 5, 1, -1, 0);
	txt = render(out_tracelb_text, &b.r);
	snprintf(want, sizeof(want),
	    "mda to 198.18.4.2 from 198.18.0.1, udp-dport, mda-lite 95%%, "
	    "2 attempts, wait 1500 ms\n"
	    "  1  198.18.1.1       1.000/1.000/1.000 ms      "
	    "  -> 198.18.2.1, 198.18.2.5\n"
	    "  2  198.18.2.1       2.000/2.100/2.200 ms      "
	    "  -> 198.18.3.1\n"
	    "     198.18.2.5       2.100/2.200/2.300 ms      "
	    "  -> 198.18.3.1\n"
	    "  3  198.18.3.1       3.000/3.175/3.400 ms      "
	    "  -> 198.18.4.2\n"
	    "  4  198.18.4.2       4.000/4.000/4.000 ms      "
	    "  [destination]\n"
	    "  5  *\n"
	    "5 vertices, 5 links, 12 probes, 1.25 s, stop %s\n",
	    mda_stop_name(MDA_STOP_COMPLETED));
	T_EQ_STR(txt, want);
	free(txt);

	build_perpacket(&b);
	txt = render(out_tracelb_text, &b.r);
	T_CHECK(strstr(txt, "  1  198.18.1.1       1.000/1.000/1.000 ms      "
	    "  [per-packet]  -> 198.18.2.1, 198.18.2.5\n") != NULL);
	free(txt);

	/* Gaps and silent ends are written out. */
	tb_init(&b, MDA_ICMP_ECHO, "198.18.0.1", "198.18.9.9");
	tb_vertex(&b, "198.18.1.1", 1, MDA_V_ROUTER);
	tb_vertex(&b, "198.18.3.1", 3, MDA_V_ROUTER);
	tb_link(&b, 0, -1, 3);
	tb_link(&b, 0, 1, 1);
	txt = render(out_tracelb_text, &b.r);
	T_CHECK(strstr(txt, "  -> * (silent to the end), 198.18.3.1 "
	    "(after 1 silent)\n  2  *\n  3  198.18.3.1") != NULL);
	free(txt);
}

static void
test_dot(void)
{
	struct tb b;
	char *dot, *path, cmd[PATH_MAX + 128];
	FILE *fp;
	int st;

	build_perpacket(&b);
	tb_link(&b, 3, -1, 2);
	dot = dot_of(&b.r);
	T_EQ_STR(dot,
	    "  subgraph \"cluster_7\" {\n"
	    "    label=\"198.18.4.2\";\n"
	    "    \"7_src\" [label=\"198.18.0.1\", shape=ellipse];\n"
	    "    \"7_v0\" [label=\"198.18.1.1\\nTTL 1\\nper-packet\", "
	    "style=\"filled,dashed\", fillcolor=lightgoldenrod1];\n"
	    "    \"7_v1\" [label=\"198.18.2.1\\nTTL 2\"];\n"
	    "    \"7_v2\" [label=\"198.18.2.5\\nTTL 2\"];\n"
	    "    \"7_v3\" [label=\"198.18.3.1\\nTTL 3\"];\n"
	    "    \"7_v4\" [label=\"198.18.4.2\\nTTL 4\", peripheries=2];\n"
	    "    \"7_src\" -> \"7_v0\";\n"
	    "    \"7_v0\" -> \"7_v1\";\n"
	    "    \"7_v0\" -> \"7_v2\";\n"
	    "    \"7_v1\" -> \"7_v3\";\n"
	    "    \"7_v2\" -> \"7_v3\";\n"
	    "    \"7_v3\" -> \"7_v4\";\n"
	    "    \"7_end5\" [label=\"*\", shape=plaintext];\n"
	    "    \"7_v3\" -> \"7_end5\" [style=dotted];\n"
	    "  }\n");

	/* Graphviz itself reads it, when installed. */
	if (system("command -v dot >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: dot not installed\n");
		free(dot);
		return;
	}
	if ((path = strdup("/tmp/test_out_tracelb.XXXXXX")) == NULL ||
	    (st = mkstemp(path)) == -1) {
		T_CHECK(0);
		free(path);
		free(dot);
		return;
	}
	fp = fdopen(st, "w");
	T_CHECK(fp != NULL);
	fprintf(fp, "digraph hoplite {\n%s}\n", dot);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' >/dev/null", path);
	st = system(cmd);
	T_CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(path);
	free(path);
	free(dot);
}

/*
 * The line as line 3 of an M-Lab scamper1 file passes mlab_check.py: M-Lab's
 * rules, hoplite's stricter ones and the tracelb shape (--shape).
 */
static void
mlab_check_one(const char *py, const char *chk, const struct mda_result *r)
{
	char cmd[PATH_MAX * 3], *line, path[] = "/tmp/test_out_tracelb.XXXXXX";
	FILE *fp;
	int fd, st;

	line = render(out_tracelb_json_line, r);
	if (line == NULL || (fd = mkstemp(path)) == -1) {
		T_CHECK(0);
		free(line);
		return;
	}
	fp = fdopen(fd, "w");
	T_CHECK(fp != NULL);
	if (fp == NULL) {
		close(fd);
		unlink(path);
		free(line);
		return;
	}
	fprintf(fp, "{\"UUID\":\"u\",\"TracerouteCallerVersion\":\"hoplite\","
	    "\"CachedResult\":false,\"CachedUUID\":\"\"}\n"
	    "{\"type\":\"cycle-start\",\"list_name\":\"x\",\"id\":1,"
	    "\"hostname\":\"h\",\"start_time\":%d}\n%s"
	    "{\"type\":\"cycle-stop\",\"list_name\":\"x\",\"id\":1,"
	    "\"hostname\":\"h\",\"stop_time\":%d}\n", T0, line, T0 + 2);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' -q --shape --type tracelb '%s'",
	    py, chk, path);
	st = system(cmd);
	T_CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(path);
	free(line);
}

static void
test_mlab_rules(void)
{
	const char *srcdir = getenv("top_srcdir");
	const char *py = getenv("PYTHON3");
	char chk[PATH_MAX], cmd[PATH_MAX + 64];
	struct tb b;

	snprintf(chk, sizeof(chk), "%s/tests/unit/mlab_check.py",
	    srcdir != NULL ? srcdir : ".");
	if (py == NULL || *py == '\0')
		py = "python3";
	snprintf(cmd, sizeof(cmd), "'%s' -c 'import json' >/dev/null 2>&1",
	    py);
	if (access(chk, R_OK) != 0 || system(cmd) != 0) {
		fprintf(stderr, "skip: mlab_check.py or python3 not found\n");
		return;
	}
	build_diamond(&b);
	mlab_check_one(py, chk, &b.r);
	build_perpacket(&b);
	mlab_check_one(py, chk, &b.r);
	/* A branch ending in silence beside a direct link. */
	build_diamond(&b);
	tb_probe(&b, 1, 4, 1, -1, 0);
	b.r.nlinks = 4;
	tb_link(&b, 3, -1, 1);
	tb_link(&b, 3, 4, 0);
	mlab_check_one(py, chk, &b.r);
}

int
main(void)
{
	test_diamond();
	test_silent_hop();
	test_implied();
	test_silent_end();
	test_perpacket();
	test_ipv6_tcp_mpls();
	test_error();
	test_text();
	test_dot();
	test_mlab_rules();
	return T_DONE();
}
