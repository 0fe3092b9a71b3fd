/*
 * merge: reads back the tables that earlier runs wrote (links, nodes,
 * dsts, aslinks CSV; told apart by their header lines) into one set of
 * aggregates, so that shards combine into exactly what one pass over all
 * their inputs gives.  The shards must hold disjoint sets of records.
 */
#ifndef HOPLITE_CONVERT_MERGE_H
#define HOPLITE_CONVERT_MERGE_H

#include <stddef.h>

#include "in.h"

struct agg;
struct merge;

struct merge *merge_new(struct agg *);
void merge_free(struct merge *);
/* in_run() callbacks; their ctx is the struct merge. */
extern const struct in_ops merge_in_ops;
/*
 * Whether the tables read can give the tables in need (AGG_*): links
 * need the dsts files of the same shards for their dsts column.  0, or
 * -1 with the reason in err.
 */
int merge_check(const struct merge *, unsigned need, char *err, size_t len);

#endif
