/*
 * out_tracelb_text: a multipath measurement for people.  The text table
 * lists, per TTL, every vertex with its RTTs and where its links go; the
 * Graphviz writer draws the vertices and links as a subgraph, so
 * `hoplite mda -o dot DST | dot -Tsvg` draws the diamonds.
 */
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/addr.h"
#include "measure/mda.h"
#include "output/out.h"
#include "output/out_tracelb.h"

struct rtts {
	uint32_t min, max;
	uint64_t sum;
	unsigned n;
};

/* min/avg/max over the replies that came from vertex u. */
static void
vertex_rtts(const struct mda_result *r, int32_t u, struct rtts *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < r->nprobes; i++) {
		const struct mda_probe *p = &r->probes[i];

		if (!p->replied || p->vertex != u)
			continue;
		if (s->n == 0 || p->rtt_us < s->min)
			s->min = p->rtt_us;
		if (s->n == 0 || p->rtt_us > s->max)
			s->max = p->rtt_us;
		s->sum += p->rtt_us;
		s->n++;
	}
}

/* "name (addr)" when the name is known, else "addr". */
static const char *
vertex_label(const struct addr_ip *addr, const struct out_extra *xt,
    char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	const char *name = NULL;

	addr_ntop(addr, a, sizeof(a));
	if (xt != NULL && xt->name != NULL)
		name = xt->name(addr, xt->arg);
	if (name != NULL)
		snprintf(buf, len, "%s (%s)", name, a);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

static int
print_vertex(FILE *fp, const struct out_lb_view *v, int32_t u, int first,
    int width, const struct out_extra *xt)
{
	const struct mda_result *r = v->r;
	const struct mda_vertex *x = &r->vertices[u];
	char a[ADDR_STRLEN], t[8], rtt[64] = "", label[320];
	struct rtts s;
	size_t lfirst, n;

	vertex_rtts(r, u, &s);
	if (s.n > 0)
		snprintf(rtt, sizeof(rtt), "%.3f/%.3f/%.3f ms",
		    s.min / 1000.0, (double)s.sum / s.n / 1000.0,
		    s.max / 1000.0);
	if (first)
		snprintf(t, sizeof(t), "%3u", x->ttl);
	else
		snprintf(t, sizeof(t), "   ");
	if (fprintf(fp, "%s  %-*s  %-26s", t, width, vertex_label(&x->addr, xt,
	    label, sizeof(label)), rtt) < 0)
		return -1;
	if (x->kind == MDA_V_DEST && fputs("  [destination]", fp) == EOF)
		return -1;
	if (x->kind == MDA_V_UNREACH && fputs("  [unreachable]", fp) == EOF)
		return -1;
	if (x->perpacket && fputs("  [per-packet]", fp) == EOF)
		return -1;
	n = out_lb_links_from(r, u, &lfirst);
	for (size_t i = lfirst; i < lfirst + n; i++) {
		const struct mda_link *l = &r->links[i];

		if (fputs(i == lfirst ? "  -> " : ", ", fp) == EOF)
			return -1;
		if (l->to < 0) {
			if (fputs("* (silent to the end)", fp) == EOF)
				return -1;
			continue;
		}
		if (fputs(addr_ntop(&r->vertices[l->to].addr, a, sizeof(a)),
		    fp) == EOF)
			return -1;
		if (l->gap > 0 && fprintf(fp, " (after %u silent)",
		    (unsigned)l->gap) < 0)
			return -1;
	}
	return putc('\n', fp) == EOF ? -1 : 0;
}

int
out_tracelb_text(FILE *fp, const struct mda_result *r)
{
	return out_tracelb_text_x(fp, r, NULL);
}

int
out_tracelb_text_x(FILE *fp, const struct mda_result *r,
    const struct out_extra *xt)
{
	const struct mda_conf *c = &r->conf;
	const char *method = mda_method_name(c->method);
	const char *stop = mda_stop_name(r->stop_reason);
	struct out_lb_view v;
	char a[ADDR_STRLEN], b[ADDR_STRLEN], label[320];
	unsigned maxttl = 0, ttl;
	double secs;
	int rv = -1, width = 15;	/* an IPv4 address; wider for IPv6 */

	if (out_lb_view_init(&v, r) == -1)
		return -1;
	/* The destination as the user wrote it, and the address chosen. */
	if (r->flow0.dst.family != 0)
		addr_ntop(&r->flow0.dst, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "?");
	if (r->flow0.dst.family != 0 && xt != NULL && xt->dst_name != NULL &&
	    strcmp(xt->dst_name, a) != 0)
		snprintf(label, sizeof(label), "%s (%s)", xt->dst_name, a);
	else
		snprintf(label, sizeof(label), "%s", a);
	if (fprintf(fp, "mda to %s from %s, %s, %s %u%%, %u attempts, "
	    "wait %u ms\n", label,
	    r->flow0.src.family ? addr_ntop(&r->flow0.src, b, sizeof(b)) : "?",
	    method != NULL ? method : "?",
	    c->rule == MDA_RULE_FULL ? "mda" : "mda-lite",
	    (unsigned)c->confidence, (unsigned)c->attempts, c->wait_ms) < 0)
		goto done;
	for (size_t i = 0; i < r->nprobes; i++)
		if (r->probes[i].ttl > maxttl)
			maxttl = r->probes[i].ttl;
	for (size_t i = 0; i < r->nvertices; i++) {
		int w = (int)strlen(vertex_label(&r->vertices[i].addr, xt,
		    label, sizeof(label)));

		if (r->vertices[i].ttl > maxttl)
			maxttl = r->vertices[i].ttl;
		if (w > width)
			width = w;
	}
	/* One block per TTL, vertices in discovery order; "*" where no
	 * vertex first answered at a TTL that was probed. */
	for (ttl = c->first_ttl > 0 ? c->first_ttl : 1; ttl <= maxttl; ttl++) {
		int first = 1;

		for (size_t i = 0; i < r->nvertices; i++) {
			if (r->vertices[i].ttl != ttl)
				continue;
			if (print_vertex(fp, &v, (int32_t)i, first,
			    width, xt) == -1)
				goto done;
			first = 0;
		}
		if (first && fprintf(fp, "%3u  *\n", ttl) < 0)
			goto done;
	}
	secs = (double)(r->end.tv_sec - r->start.tv_sec) +
	    (r->end.tv_usec - r->start.tv_usec) / 1e6;
	if (secs < 0)
		secs = 0;
	if (fprintf(fp, "%zu vertices, %zu links, %u probes, %.2f s, "
	    "stop %s", r->nvertices, r->nlinks, r->probec, secs,
	    stop != NULL ? stop : "NONE") < 0)
		goto done;
	if (r->stop_reason == MDA_STOP_ERROR &&
	    fprintf(fp, " (%s)", strerror(r->stop_data)) < 0)
		goto done;
	if (putc('\n', fp) == EOF || fflush(fp) == EOF)
		goto done;
	rv = 0;
done:
	out_lb_view_free(&v);
	return rv;
}

/* --- Graphviz ------------------------------------------------------------ */

int
out_tracelb_dot(FILE *fp, const struct mda_result *r, unsigned id)
{
	char a[ADDR_STRLEN];
	uint8_t *has_in = NULL;
	int rv = -1;

	if (r->nvertices > 0 && (has_in = calloc(r->nvertices, 1)) == NULL)
		return -1;
	for (size_t i = 0; i < r->nlinks; i++)
		if (r->links[i].to >= 0)
			has_in[r->links[i].to] = 1;
	if (fprintf(fp, "  subgraph \"cluster_%u\" {\n"
	    "    label=\"%s\";\n", id,
	    r->flow0.dst.family ? addr_ntop(&r->flow0.dst, a, sizeof(a)) :
	    "?") < 0)
		goto done;
	if (r->flow0.src.family != 0 &&
	    fprintf(fp, "    \"%u_src\" [label=\"%s\", shape=ellipse];\n",
	    id, addr_ntop(&r->flow0.src, a, sizeof(a))) < 0)
		goto done;
	for (size_t i = 0; i < r->nvertices; i++) {
		const struct mda_vertex *x = &r->vertices[i];

		if (fprintf(fp,
		    "    \"%u_v%zu\" [label=\"%s\\nTTL %u%s\"%s%s];\n", id, i,
		    addr_ntop(&x->addr, a, sizeof(a)), x->ttl,
		    x->perpacket ? "\\nper-packet" : "",
		    x->perpacket ? ", style=\"filled,dashed\", "
		    "fillcolor=lightgoldenrod1" : "",
		    x->kind == MDA_V_DEST ? ", peripheries=2" : "") < 0)
			goto done;
	}
	/* The source leads to every vertex no link reaches (the first hop,
	 * or the first answer after silent first hops: dashed). */
	for (size_t i = 0; i < r->nvertices && r->flow0.src.family != 0;
	    i++) {
		if (has_in[i])
			continue;
		if (fprintf(fp, "    \"%u_src\" -> \"%u_v%zu\"%s;\n", id, id, i,
		    r->vertices[i].ttl > r->conf.first_ttl ?
		    " [style=dashed]" : "") < 0)
			goto done;
	}
	for (size_t i = 0; i < r->nlinks; i++) {
		const struct mda_link *l = &r->links[i];

		if (l->to < 0) {
			if (fprintf(fp, "    \"%u_end%zu\" [label=\"*\", "
			    "shape=plaintext];\n"
			    "    \"%u_v%d\" -> \"%u_end%zu\" [style=dotted];\n",
			    id, i, id, (int)l->from, id, i) < 0)
				goto done;
		} else if (l->gap > 0) {
			if (fprintf(fp, "    \"%u_v%d\" -> \"%u_v%d\" "
			    "[style=dashed, label=\"%u silent\"];\n", id,
			    (int)l->from, id, (int)l->to, (unsigned)l->gap) < 0)
				goto done;
		} else if (fprintf(fp, "    \"%u_v%d\" -> \"%u_v%d\";\n", id,
		    (int)l->from, id, (int)l->to) < 0)
			goto done;
	}
	if (fputs("  }\n", fp) == EOF || fflush(fp) == EOF)
		goto done;
	rv = 0;
done:
	free(has_in);
	return rv;
}
