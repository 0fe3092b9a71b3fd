/*
 * schema: typed DDL for the CSV tables, so that a database does not
 * import every column as text.  One list of columns per table, rendered
 * for each SQL dialect.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "schema.h"

enum col_type { T_INT, T_REAL, T_TEXT };

struct col {
	const char *name;
	enum col_type type;
};

struct table {
	const char *name;
	const struct col *cols;
};

/* asn is text everywhere: multi-origin (123_456) and AS sets (123,456). */
static const struct col hops[] = {
	{ "uuid", T_TEXT }, { "src", T_TEXT }, { "dst", T_TEXT },
	{ "method", T_TEXT }, { "start", T_REAL }, { "flowid", T_INT },
	{ "ttl", T_INT }, { "probe_id", T_INT }, { "addr", T_TEXT },
	{ "rtt_ms", T_REAL }, { "reply_ttl", T_INT }, { "icmp_type", T_INT },
	{ "icmp_code", T_INT }, { "tcp_flags", T_INT }, { "mpls", T_TEXT },
	{ "mpls_tc", T_TEXT }, { "mpls_s", T_TEXT }, { "mpls_ttl", T_TEXT },
	{ "asn", T_TEXT }, { "source", T_TEXT }, { "prb_id", T_INT },
	{ "msm_id", T_INT }, { "list", T_TEXT }, { "cycle", T_INT },
	{ NULL, 0 }
};
static const struct col paths[] = {
	{ "uuid", T_TEXT }, { "src", T_TEXT }, { "dst", T_TEXT },
	{ "flowid", T_INT }, { "complete", T_INT }, { "path", T_TEXT },
	{ "source", T_TEXT }, { "prb_id", T_INT }, { "msm_id", T_INT },
	{ "list", T_TEXT }, { "cycle", T_INT }, { NULL, 0 }
};
static const struct col links[] = {
	{ "near", T_TEXT }, { "far", T_TEXT }, { "gap", T_INT },
	{ "traces", T_INT }, { "flows", T_INT }, { "dsts", T_INT },
	{ "first_seen", T_INT }, { "last_seen", T_INT },
	{ "near_rtt_min", T_REAL }, { "far_rtt_min", T_REAL }, { NULL, 0 }
};
static const struct col dsts[] = {
	{ "near", T_TEXT }, { "far", T_TEXT }, { "gap", T_INT },
	{ "dst", T_TEXT }, { NULL, 0 }
};
static const struct col nodes[] = {
	{ "addr", T_TEXT }, { "asn", T_TEXT }, { "replies", T_INT },
	{ "traces", T_INT }, { "ttl_min", T_INT }, { "ttl_max", T_INT },
	{ "dst", T_INT }, { "rtt_min", T_REAL }, { "first_seen", T_INT },
	{ "last_seen", T_INT }, { NULL, 0 }
};
static const struct col aslinks[] = {
	{ "as1", T_TEXT }, { "as2", T_TEXT }, { "gap", T_INT },
	{ "traces", T_INT }, { "first_seen", T_INT }, { "last_seen", T_INT },
	{ NULL, 0 }
};

static const struct table tables[] = {
	{ "hops", hops }, { "paths", paths }, { "links", links },
	{ "dsts", dsts }, { "nodes", nodes }, { "aslinks", aslinks },
	{ NULL, NULL }
};

struct dialect {
	const char *name;
	const char *types[3];	/* T_INT, T_REAL, T_TEXT */
	char q;			/* identifier quote */
	int nulls_trigger;	/* empty fields made NULL after the insert */
	const char *load;	/* how to load table %1$s from %1$s.csv */
};

static const struct dialect dialects[] = {
	{ "sqlite", { "INTEGER", "REAL", "TEXT" }, '"', 1,
	  ".import --csv --skip 1 %s.csv %s" },
	{ "duckdb", { "BIGINT", "DOUBLE", "VARCHAR" }, '"', 0,
	  "COPY %s FROM '%s.csv' (HEADER)" },
	{ "bigquery", { "INT64", "FLOAT64", "STRING" }, '`', 0,
	  "bq load --source_format=CSV --skip_leading_rows=1 "
	  "DATASET.%s %s.csv" },
	{ NULL, { NULL }, 0, 0, NULL }
};

static const struct dialect *
schema_find(const char *name)
{
	for (const struct dialect *d = dialects; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

int
schema_known(const char *dialect)
{
	return schema_find(dialect) != NULL;
}

/*
 * sqlite's .import stores an empty field as '' even in an INTEGER
 * column; a trigger turns it into NULL as each row lands.
 */
static void
schema_sqlite_nulls(FILE *f, const struct table *t)
{
	fprintf(f, "CREATE TRIGGER %s_nulls AFTER INSERT ON %s BEGIN\n"
	    "  UPDATE %s SET", t->name, t->name, t->name);
	for (const struct col *c = t->cols; c->name != NULL; c++)
		fprintf(f, "%s\n    \"%s\" = NULLIF(\"%s\", '')",
		    c == t->cols ? "" : ",", c->name, c->name);
	fprintf(f, "\n  WHERE rowid = NEW.rowid;\nEND;\n");
}

int
schema_write(FILE *f, const char *name)
{
	const struct dialect *d = schema_find(name);

	if (d == NULL)
		return -1;
	fprintf(f, "-- hoplite-convert tables for %s.  Load each table "
	    "from its CSV file with:\n", d->name);
	for (const struct table *t = tables; t->name != NULL; t++) {
		fprintf(f, "--   ");
		fprintf(f, d->load, t->name, t->name);
		fprintf(f, "\n");
	}
	fprintf(f, "-- An empty field loads as NULL.\n");
	for (const struct table *t = tables; t->name != NULL; t++) {
		fprintf(f, "\nCREATE TABLE %s (", t->name);
		for (const struct col *c = t->cols; c->name != NULL; c++)
			fprintf(f, "%s\n  %c%s%c %s", c == t->cols ? "" : ",",
			    d->q, c->name, d->q, d->types[c->type]);
		fprintf(f, "\n);\n");
		if (d->nulls_trigger)
			schema_sqlite_nulls(f, t);
	}
	return ferror(f) ? -1 : 0;
}
