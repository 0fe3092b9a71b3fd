/*
 * fmt: the output formats.  Each is one const table of callbacks; the
 * registry in fmt.c lists them.  Per-record formats (hops, paths, ndjson)
 * write as records arrive; aggregate formats (links, nodes, dsts, aslinks,
 * itdk, graphml, dot) write from the aggregates at the end.
 */
#ifndef HOPLITE_CONVERT_FMT_H
#define HOPLITE_CONVERT_FMT_H

#include "out.h"

struct agg;
struct rec;

/* The header lines of the mergeable tables (merge reads them back). */
#define FMT_LINKS_HEADER "near,far,gap,traces,flows,dsts,first_seen," \
	"last_seen,near_rtt_min,far_rtt_min"
#define FMT_NODES_HEADER "addr,asn,replies,traces,ttl_min,ttl_max,dst," \
	"rtt_min,first_seen,last_seen"
#define FMT_ASLINKS_HEADER "as1,as2,gap,traces,first_seen,last_seen"
#define FMT_DSTS_HEADER "near,far,gap,dst"

struct fmt_ops;

struct fmt_ctx {
	const struct fmt_ops *ops;
	const char *path; /* -o; NULL: stdout */
	struct out out;	  /* opened by the caller unless ops->own_files */
};

struct fmt_ops {
	const char *name;
	unsigned agg;	 /* AGG_* tables it needs; 0: per record */
	int own_files;	 /* opens PATH.<suffix> files itself; needs -o */
	int (*begin)(struct fmt_ctx *);
	int (*record)(struct fmt_ctx *, const struct rec *);
	int (*end)(struct fmt_ctx *, struct agg *);
};

extern const struct fmt_ops fmt_hops, fmt_paths, fmt_ndjson;
extern const struct fmt_ops fmt_links, fmt_nodes, fmt_dsts, fmt_aslinks;
extern const struct fmt_ops fmt_itdk, fmt_graphml, fmt_dot;

/* The format called name, or NULL. */
const struct fmt_ops *fmt_find(const char *name);
/* "hops, paths, ..." for messages. */
const char *fmt_names(void);
/* The BigQuery schema of the ndjson format.  0, or -1 with errno. */
int fmt_ndjson_schema(const char *path);

#endif
