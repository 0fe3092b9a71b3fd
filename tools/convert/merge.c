/* merge: the CSV tables of earlier runs, back into aggregates. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "fmt.h"
#include "merge.h"
#include "report.h"

#define MERGE_MAXF 12

enum merge_table {
	MT_NONE,
	MT_NODES,
	MT_LINKS,
	MT_DSTS,
	MT_ASLINKS
};

struct merge {
	struct agg *agg;
	enum merge_table cur; /* the table of the file being read */
	unsigned seen;	      /* AGG_* tables read */
	int dsts_files;
};

struct merge *
merge_new(struct agg *a)
{
	struct merge *m = calloc(1, sizeof(*m));

	if (m != NULL)
		m->agg = a;
	return m;
}

void
merge_free(struct merge *m)
{
	free(m);
}

/*
 * Split one CSV line in place (RFC 4180 quotes).  Returns the number of
 * fields, or -1 for more than max or a broken quote.
 */
static int
merge_split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		char *w = s;

		if (n == max)
			return -1;
		f[n++] = w;
		if (*s == '"') {
			for (s++;; s++) {
				if (*s == '\0')
					return -1;
				if (*s == '"' && s[1] == '"')
					s++;
				else if (*s == '"')
					break;
				*w++ = *s;
			}
			s++;
			if (*s != ',' && *s != '\0')
				return -1;
		} else {
			while (*s != ',' && *s != '\0')
				*w++ = *s++;
		}
		if (*s == '\0') {
			*w = '\0';
			return n;
		}
		*w = '\0';
		s++;
	}
}

/* A count (required) or an optional value ("" gives -1). */
static int
merge_num(const char *s, int optional, int64_t *v)
{
	char *end;
	unsigned long long u;

	if (*s == '\0' && optional) {
		*v = -1;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	u = strtoull(s, &end, 10);
	if (*end != '\0' || u > INT64_MAX)
		return -1;
	*v = (int64_t)u;
	return 0;
}

/* "12.345" (milliseconds, three decimals) to microseconds; "" is -1. */
static int
merge_ms(const char *s, int64_t *v)
{
	const char *dot = strchr(s, '.');
	char ip[24];
	int64_t whole;

	if (*s == '\0') {
		*v = -1;
		return 0;
	}
	if (dot == NULL || (size_t)(dot - s) >= sizeof(ip) ||
	    strlen(dot + 1) != 3 || strspn(dot + 1, "0123456789") != 3)
		return -1;
	memcpy(ip, s, (size_t)(dot - s));
	ip[dot - s] = '\0';
	if (merge_num(ip, 0, &whole) == -1 || whole > INT64_MAX / 1000 - 1)
		return -1;
	*v = whole * 1000 + atoi(dot + 1);
	return 0;
}

static int
merge_addr(const char *s, struct addr_ip *a)
{
	return addr_pton(s, a);
}

static int
merge_gap(const char *s, int *gap)
{
	int64_t v;

	if (merge_num(s, 0, &v) == -1 || v > 255)
		return -1;
	*gap = (int)v;
	return 0;
}

static int
merge_node(struct merge *m, char **f, int n)
{
	struct agg_node v;
	struct addr_ip ip;
	int64_t x[8];

	if (n != 10 || merge_addr(f[0], &ip) == -1)
		return -1;
	for (int i = 0; i < 8; i++)
		if ((i == 5 ? merge_ms(f[i + 2], &x[i]) :
		    merge_num(f[i + 2], i != 0 && i != 1 && i != 4,
		    &x[i])) == -1)
			return -1;
	memset(&v, 0, sizeof(v));
	v.replies = (uint64_t)x[0];
	v.traces = (uint64_t)x[1];
	v.ttl_min = (int)x[2];
	v.ttl_max = (int)x[3];
	v.dst = (uint64_t)x[4];
	v.rtt_min = x[5];
	v.first = x[6];
	v.last = x[7];
	return agg_merge_node(m->agg, &ip, f[1], &v);
}

static int
merge_link(struct merge *m, char **f, int n)
{
	struct agg_link v;
	struct addr_ip a, b;
	int64_t x[5];

	memset(&v, 0, sizeof(v));
	if (n != 10 || merge_addr(f[0], &a) == -1 ||
	    merge_addr(f[1], &b) == -1 || merge_gap(f[2], &v.gap) == -1 ||
	    merge_ms(f[8], &v.near_rtt) == -1 ||
	    merge_ms(f[9], &v.far_rtt) == -1)
		return -1;
	for (int i = 0; i < 5; i++)
		if (merge_num(f[i + 3], 0, &x[i]) == -1)
			return -1;
	v.traces = (uint64_t)x[0];
	v.flows = (uint64_t)x[1];
	v.dsts_row = (uint64_t)x[2];
	v.first = x[3];
	v.last = x[4];
	return agg_merge_link(m->agg, &a, &b, &v);
}

static int
merge_dst(struct merge *m, char **f, int n)
{
	struct addr_ip a, b, d;
	int gap;

	if (n != 4 || merge_addr(f[0], &a) == -1 ||
	    merge_addr(f[1], &b) == -1 || merge_gap(f[2], &gap) == -1 ||
	    merge_addr(f[3], &d) == -1)
		return -1;
	return agg_merge_dst(m->agg, &a, &b, gap, &d);
}

static int
merge_aslink(struct merge *m, char **f, int n)
{
	struct agg_aslink v;
	int64_t x[3];

	memset(&v, 0, sizeof(v));
	if (n != 6 || *f[0] == '\0' || *f[1] == '\0' ||
	    merge_gap(f[2], &v.gap) == -1)
		return -1;
	for (int i = 0; i < 3; i++)
		if (merge_num(f[i + 3], 0, &x[i]) == -1)
			return -1;
	v.traces = (uint64_t)x[0];
	v.first = x[1];
	v.last = x[2];
	return agg_merge_aslink(m->agg, f[0], f[1], &v);
}

static const struct {
	const char *header;
	enum merge_table t;
	unsigned agg;
} merge_tables[] = {
	{ FMT_NODES_HEADER, MT_NODES, AGG_NODES },
	{ FMT_LINKS_HEADER, MT_LINKS, AGG_LINKS },
	{ FMT_DSTS_HEADER, MT_DSTS, AGG_DSTS },
	{ FMT_ASLINKS_HEADER, MT_ASLINKS, AGG_ASLINKS },
};

static int
merge_line(void *ctx, const char *file, uint64_t line, const char *p,
    size_t len)
{
	struct merge *m = ctx;
	char buf[2048], *f[MERGE_MAXF];
	int n, rc;

	if (line == 1) {
		for (size_t i = 0; i < sizeof(merge_tables) /
		    sizeof(merge_tables[0]); i++)
			if (strlen(merge_tables[i].header) == len &&
			    memcmp(merge_tables[i].header, p, len) == 0) {
				m->cur = merge_tables[i].t;
				m->seen |= merge_tables[i].agg;
				m->dsts_files += m->cur == MT_DSTS;
				return 0;
			}
		m->cur = MT_NONE;
		return report_problem(REPORT_BAD_CSV, file, line,
		    "not a links, nodes, dsts or aslinks table");
	}
	if (m->cur == MT_NONE)
		return 0;
	if (len >= sizeof(buf))
		return report_problem(REPORT_BAD_CSV, file, line,
		    "row too long");
	memcpy(buf, p, len);
	buf[len] = '\0';
	if ((n = merge_split(buf, f, MERGE_MAXF)) == -1)
		rc = -1;
	else if (m->cur == MT_NODES)
		rc = merge_node(m, f, n);
	else if (m->cur == MT_LINKS)
		rc = merge_link(m, f, n);
	else if (m->cur == MT_DSTS)
		rc = merge_dst(m, f, n);
	else
		rc = merge_aslink(m, f, n);
	if (rc == -1)
		return report_problem(REPORT_BAD_CSV, file, line,
		    "a row that does not fit the table's columns");
	return 0;
}

static int
merge_begin(void *ctx, const char *name)
{
	((struct merge *)ctx)->cur = MT_NONE;
	return 0;
}

const struct in_ops merge_in_ops = {
	.begin = merge_begin,
	.line = merge_line,
};

int
merge_check(const struct merge *m, unsigned need, char *err, size_t len)
{
	const struct agg *a = m->agg;

	if ((need & AGG_NODES) && !(m->seen & AGG_NODES)) {
		snprintf(err, len, "this output needs nodes tables");
		return -1;
	}
	if ((need & AGG_ASLINKS) && !(m->seen & AGG_ASLINKS)) {
		snprintf(err, len, "this output needs aslinks tables");
		return -1;
	}
	if (!(need & AGG_LINKS))
		return 0;
	if (!(m->seen & AGG_LINKS)) {
		snprintf(err, len, "this output needs links tables");
		return -1;
	}
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct agg_link *l = &a->links[i];

		if (l->traces == 0) {
			snprintf(err, len, "a dsts table names a link that "
			    "no links table has");
			return -1;
		}
		if ((need & AGG_DSTS) &&
		    (l->dsts == 0 || l->dsts < l->dsts_row)) {
			snprintf(err, len, "the dsts column needs the dsts "
			    "table (--dsts) of every links table merged");
			return -1;
		}
	}
	return 0;
}
