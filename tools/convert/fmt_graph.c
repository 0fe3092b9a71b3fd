/*
 * fmt_graph: the aggregates as graphs: CAIDA ITDK-style .nodes/.links
 * files (one node per interface address, no alias resolution), GraphML
 * and Graphviz DOT.  Vertices are the nodes table in address order;
 * edges are links, one per (near, far) pair with its smallest gap.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "agg.h"
#include "fmt.h"

/* Both orders, and each address's node number (from 1) in node order. */
struct fmt_graph {
	uint32_t *nodes, *links, *num;
};

static void
fmt_graph_free(struct fmt_graph *g)
{
	free(g->nodes);
	free(g->links);
	free(g->num);
}

static int
fmt_graph_init(struct fmt_graph *g, struct agg *a)
{
	g->nodes = agg_order(a, AGG_NODES);
	g->links = agg_order(a, AGG_LINKS);
	g->num = calloc(a->naddrs ? a->naddrs : 1, sizeof(*g->num));
	if (g->nodes == NULL || g->links == NULL || g->num == NULL) {
		fmt_graph_free(g);
		return -1;
	}
	for (size_t i = 0; i < a->nnodes; i++)
		g->num[a->nodes[g->nodes[i]].addr] = (uint32_t)i + 1;
	return 0;
}

/* The i-th link in order, unless it repeats the previous pair. */
static const struct agg_link *
fmt_edge(const struct agg *a, const struct fmt_graph *g, size_t i)
{
	const struct agg_link *l = &a->links[g->links[i]], *p;

	if (i == 0)
		return l;
	p = &a->links[g->links[i - 1]];
	return p->near == l->near && p->far == l->far ? NULL : l;
}

static const char *
fmt_a(const struct agg *a, uint32_t id, char *buf)
{
	return agg_addr_str(a, id, buf);
}

/* --- ITDK ---------------------------------------------------------------- */

static int
fmt_itdk_file(struct out *o, const char *path, const char *suffix)
{
	char *p;
	int rc;

	if (asprintf(&p, "%s%s", path, suffix) == -1)
		return -1;
	rc = out_open(o, p);
	o->path = NULL; /* p is freed here */
	free(p);
	return rc;
}

/*
 * CAIDA's nodes.as holds one integer AS per node; the pfx2as text may
 * name several (123_456: multi-origin, 123,456: an AS set).  The rule:
 * the smallest AS number named.  -1 when the text names none.
 */
static int64_t
fmt_itdk_as(const char *s)
{
	int64_t best = -1;

	while (*s != '\0') {
		int64_t v = 0;
		int digits = 0;

		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if ((v = v * 10 + (*s - '0')) > UINT32_MAX)
				v = UINT32_MAX + (int64_t)1;
		if (digits > 0 && v <= UINT32_MAX && (best < 0 || v < best))
			best = v;
		if (digits == 0)
			s++;
	}
	return best;
}

static int
fmt_itdk_end(struct fmt_ctx *c, struct agg *a)
{
	struct fmt_graph g;
	struct out nodes, links, as, asall;
	char b1[ADDR_STRLEN];
	size_t nl = 0;
	int has_as = 0, rc = 0, saved;

	if (fmt_graph_init(&g, a) == -1)
		return -1;
	for (size_t i = 0; i < a->nnodes; i++)
		has_as |= a->nodes[i].asn != AGG_NONE;
	if (fmt_itdk_file(&nodes, c->path, ".nodes") == -1) {
		fmt_graph_free(&g);
		return -1;
	}
	if (fmt_itdk_file(&links, c->path, ".links") == -1) {
		saved = errno;
		out_close(&nodes);
		fmt_graph_free(&g);
		errno = saved;
		return -1;
	}
	if (has_as && fmt_itdk_file(&as, c->path, ".nodes.as") == -1)
		has_as = 0, rc = -1;
	if (has_as && fmt_itdk_file(&asall, c->path, ".nodes.as.all") == -1) {
		out_close(&as);
		has_as = 0, rc = -1;
	}

	out_str(&nodes, "# hoplite-convert: one node per interface address\n");
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct agg_node *n = &a->nodes[g.nodes[i]];

		out_str(&nodes, "node N");
		out_u64(&nodes, i + 1);
		out_str(&nodes, ":  ");
		out_str(&nodes, fmt_a(a, n->addr, b1));
		out_char(&nodes, '\n');
		if (has_as && n->asn != AGG_NONE) {
			int64_t one = fmt_itdk_as(agg_str(a, n->asn));

			if (one >= 0) {
				out_str(&as, "node.AS N");
				out_u64(&as, i + 1);
				out_char(&as, ' ');
				out_i64(&as, one);
				out_str(&as, " origin\n");
			}
			out_str(&asall, "node.AS N");
			out_u64(&asall, i + 1);
			out_char(&asall, ' ');
			out_str(&asall, agg_str(a, n->asn));
			out_str(&asall, " origin\n");
		}
	}
	/* Traceroute sees a router's incoming interface: the far address
	 * is the one on the link; the near router's side is unknown. */
	out_str(&links, "# hoplite-convert: links between adjacent hops\n");
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct agg_link *l = fmt_edge(a, &g, i);

		if (l == NULL || l->gap != 0)
			continue;
		out_str(&links, "link L");
		out_u64(&links, ++nl);
		out_str(&links, ":  N");
		out_u64(&links, g.num[l->near]);
		out_str(&links, " N");
		out_u64(&links, g.num[l->far]);
		out_char(&links, ':');
		out_str(&links, fmt_a(a, l->far, b1));
		out_char(&links, '\n');
	}
	if (out_close(&nodes) == -1)
		rc = -1;
	if (out_close(&links) == -1)
		rc = -1;
	if (has_as && out_close(&as) == -1)
		rc = -1;
	if (has_as && out_close(&asall) == -1)
		rc = -1;
	fmt_graph_free(&g);
	return rc;
}

const struct fmt_ops fmt_itdk = {
	.name = "itdk",
	.agg = AGG_NODES | AGG_LINKS,
	.own_files = 1,
	.end = fmt_itdk_end,
};

/* --- GraphML ------------------------------------------------------------- */

static void
fmt_gml_data(struct out *o, const char *key, int64_t v)
{
	if (v < 0)
		return;
	out_str(o, "<data key=\"");
	out_str(o, key);
	out_str(o, "\">");
	out_i64(o, v);
	out_str(o, "</data>");
}

static int
fmt_graphml_end(struct fmt_ctx *c, struct agg *a)
{
	struct out *o = &c->out;
	struct fmt_graph g;
	char b1[ADDR_STRLEN];

	if (fmt_graph_init(&g, a) == -1)
		return -1;
	out_str(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
	    "<key id=\"asn\" for=\"node\" attr.name=\"asn\" "
	    "attr.type=\"string\"/>\n"
	    "<key id=\"replies\" for=\"node\" attr.name=\"replies\" "
	    "attr.type=\"long\"/>\n"
	    "<key id=\"traces\" for=\"node\" attr.name=\"traces\" "
	    "attr.type=\"long\"/>\n"
	    "<key id=\"dst\" for=\"node\" attr.name=\"dst\" "
	    "attr.type=\"long\"/>\n"
	    "<key id=\"weight\" for=\"edge\" attr.name=\"weight\" "
	    "attr.type=\"long\"/>\n"
	    "<key id=\"gap\" for=\"edge\" attr.name=\"gap\" "
	    "attr.type=\"int\"/>\n"
	    "<key id=\"flows\" for=\"edge\" attr.name=\"flows\" "
	    "attr.type=\"long\"/>\n"
	    "<graph id=\"hoplite\" edgedefault=\"directed\">\n");
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct agg_node *n = &a->nodes[g.nodes[i]];

		out_str(o, "<node id=\"");
		out_xml(o, fmt_a(a, n->addr, b1));
		out_str(o, "\">");
		if (n->asn != AGG_NONE) {
			out_str(o, "<data key=\"asn\">");
			out_xml(o, agg_str(a, n->asn));
			out_str(o, "</data>");
		}
		fmt_gml_data(o, "replies", (int64_t)n->replies);
		fmt_gml_data(o, "traces", (int64_t)n->traces);
		fmt_gml_data(o, "dst", (int64_t)n->dst);
		out_str(o, "</node>\n");
	}
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct agg_link *l = fmt_edge(a, &g, i);

		if (l == NULL)
			continue;
		out_str(o, "<edge source=\"");
		out_xml(o, fmt_a(a, l->near, b1));
		out_str(o, "\" target=\"");
		out_xml(o, fmt_a(a, l->far, b1));
		out_str(o, "\">");
		fmt_gml_data(o, "weight", (int64_t)l->traces);
		fmt_gml_data(o, "gap", l->gap);
		fmt_gml_data(o, "flows", (int64_t)l->flows);
		out_str(o, "</edge>\n");
	}
	out_str(o, "</graph>\n</graphml>\n");
	fmt_graph_free(&g);
	return 0;
}

const struct fmt_ops fmt_graphml = {
	.name = "graphml",
	.agg = AGG_NODES | AGG_LINKS,
	.end = fmt_graphml_end,
};

/* --- DOT ----------------------------------------------------------------- */

static int
fmt_dot_end(struct fmt_ctx *c, struct agg *a)
{
	struct out *o = &c->out;
	struct fmt_graph g;
	char b1[ADDR_STRLEN];

	if (fmt_graph_init(&g, a) == -1)
		return -1;
	out_str(o, "digraph hoplite {\n");
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct agg_node *n = &a->nodes[g.nodes[i]];

		out_char(o, '\t');
		out_dotq(o, fmt_a(a, n->addr, b1));
		out_str(o, " [traces=");
		out_u64(o, n->traces);
		if (n->asn != AGG_NONE) {
			out_str(o, ", asn=");
			out_dotq(o, agg_str(a, n->asn));
		}
		out_str(o, "];\n");
	}
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct agg_link *l = fmt_edge(a, &g, i);

		if (l == NULL)
			continue;
		out_char(o, '\t');
		out_dotq(o, fmt_a(a, l->near, b1));
		out_str(o, " -> ");
		out_dotq(o, fmt_a(a, l->far, b1));
		out_str(o, " [weight=");
		out_u64(o, l->traces);
		out_str(o, ", gap=");
		out_i64(o, l->gap);
		if (l->gap > 0)
			out_str(o, ", style=dashed");
		out_str(o, "];\n");
	}
	out_str(o, "}\n");
	fmt_graph_free(&g);
	return 0;
}

const struct fmt_ops fmt_dot = {
	.name = "dot",
	.agg = AGG_NODES | AGG_LINKS,
	.end = fmt_dot_end,
};
