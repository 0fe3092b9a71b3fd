/*
 * fmt_agg: the mergeable tables as CSV: links, nodes, dsts (the
 * destination set behind each link) and aslinks, sorted so that equal
 * tables are equal files.
 */
#include "config.h"

#include <stdlib.h>

#include "agg.h"
#include "fmt.h"

static void
fmt_addr(struct out *o, const struct agg *a, uint32_t id)
{
	char buf[ADDR_STRLEN];

	out_str(o, agg_addr_str(a, id, buf));
}

static int
fmt_links_end(struct fmt_ctx *c, struct agg *a)
{
	struct out *o = &c->out;
	uint32_t *ord = agg_order(a, AGG_LINKS);

	if (ord == NULL)
		return -1;
	out_str(o, FMT_LINKS_HEADER "\n");
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct agg_link *l = &a->links[ord[i]];

		fmt_addr(o, a, l->near);
		out_char(o, ',');
		fmt_addr(o, a, l->far);
		out_col(o, l->gap);
		out_col(o, (int64_t)l->traces);
		out_col(o, (int64_t)l->flows);
		out_col(o, (int64_t)l->dsts);
		out_col(o, l->first);
		out_col(o, l->last);
		out_col_ms(o, l->near_rtt);
		out_col_ms(o, l->far_rtt);
		out_char(o, '\n');
	}
	free(ord);
	return 0;
}

const struct fmt_ops fmt_links = {
	.name = "links",
	.agg = AGG_LINKS | AGG_DSTS,
	.end = fmt_links_end,
};

static int
fmt_nodes_end(struct fmt_ctx *c, struct agg *a)
{
	struct out *o = &c->out;
	uint32_t *ord = agg_order(a, AGG_NODES);

	if (ord == NULL)
		return -1;
	out_str(o, FMT_NODES_HEADER "\n");
	for (size_t i = 0; i < a->nnodes; i++) {
		const struct agg_node *n = &a->nodes[ord[i]];

		fmt_addr(o, a, n->addr);
		out_char(o, ',');
		out_csv(o, agg_str(a, n->asn));
		out_col(o, (int64_t)n->replies);
		out_col(o, (int64_t)n->traces);
		out_col(o, n->ttl_min);
		out_col(o, n->ttl_max);
		out_col(o, (int64_t)n->dst);
		out_col_ms(o, n->rtt_min);
		out_col(o, n->first);
		out_col(o, n->last);
		out_char(o, '\n');
	}
	free(ord);
	return 0;
}

const struct fmt_ops fmt_nodes = {
	.name = "nodes",
	.agg = AGG_NODES,
	.end = fmt_nodes_end,
};

static int
fmt_dsts_end(struct fmt_ctx *c, struct agg *a)
{
	struct out *o = &c->out;
	uint32_t *ord = agg_order(a, AGG_DSTS);

	if (ord == NULL)
		return -1;
	out_str(o, FMT_DSTS_HEADER "\n");
	for (size_t i = 0; i < a->ndsts; i++) {
		const struct agg_dst *d = &a->dsts[ord[i]];
		const struct agg_link *l = &a->links[d->link];

		fmt_addr(o, a, l->near);
		out_char(o, ',');
		fmt_addr(o, a, l->far);
		out_col(o, l->gap);
		out_char(o, ',');
		fmt_addr(o, a, d->dst);
		out_char(o, '\n');
	}
	free(ord);
	return 0;
}

const struct fmt_ops fmt_dsts = {
	.name = "dsts",
	.agg = AGG_LINKS | AGG_DSTS,
	.end = fmt_dsts_end,
};

static int
fmt_aslinks_end(struct fmt_ctx *c, struct agg *a)
{
	struct out *o = &c->out;
	uint32_t *ord = agg_order(a, AGG_ASLINKS);

	if (ord == NULL)
		return -1;
	out_str(o, FMT_ASLINKS_HEADER "\n");
	for (size_t i = 0; i < a->naslinks; i++) {
		const struct agg_aslink *l = &a->aslinks[ord[i]];

		out_csv(o, agg_str(a, l->as1));
		out_char(o, ',');
		out_csv(o, agg_str(a, l->as2));
		out_col(o, l->gap);
		out_col(o, (int64_t)l->traces);
		out_col(o, l->first);
		out_col(o, l->last);
		out_char(o, '\n');
	}
	free(ord);
	return 0;
}

const struct fmt_ops fmt_aslinks = {
	.name = "aslinks",
	.agg = AGG_ASLINKS,
	.end = fmt_aslinks_end,
};
