/*
 * schema: typed SQL DDL for the CSV tables (hops, paths, links, dsts,
 * nodes, aslinks) in the dialects of sqlite, duckdb and bigquery, with
 * how to load each table so that an empty field becomes NULL.
 */
#ifndef HOPLITE_CONVERT_SCHEMA_H
#define HOPLITE_CONVERT_SCHEMA_H

#include <stddef.h>
#include <stdio.h>

/* Whether dialect is one schema_write() knows. */
int schema_known(const char *dialect);
/* The DDL of every table.  0, or -1 (unknown dialect, write error). */
int schema_write(FILE *, const char *dialect);

#endif
