/*
 * pfx2as: origin AS by longest-prefix match over a RouteViews pfx2as table
 * (CAIDA's format: "prefix<TAB>length<TAB>AS" per line, IPv4 and IPv6
 * prefixes mixed).  The AS is kept as text, so multi-origin ("123_456")
 * and AS-set ("123,456") entries stay as they are.  Pure code: the caller
 * reads the file (hoplite-convert through its readers, hoplite -A
 * through zlib) and feeds it line by line.
 */
#ifndef HOPLITE_PFX2AS_H
#define HOPLITE_PFX2AS_H

#include <stddef.h>

#include "util/addr.h"

struct pfx2as;

struct pfx2as *pfx2as_new(void);
void pfx2as_free(struct pfx2as *);
/*
 * One line (without its newline).  0 when taken or skipped (blank, '#');
 * -1 for a bad line, with *why saying what is wrong (the table is
 * unchanged); -2 when out of memory.
 */
int pfx2as_add_line(struct pfx2as *, const char *line, size_t n,
    const char **why);
/* After the last line: sort and index.  0, or -1 (out of memory). */
int pfx2as_finish(struct pfx2as *);
/* The origin AS of the longest prefix holding a, or NULL.  Equal AS
 * strings are the same pointer. */
const char *pfx2as_lookup(const struct pfx2as *, const struct addr_ip *a);
size_t pfx2as_count(const struct pfx2as *);

#endif
