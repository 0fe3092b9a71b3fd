/*
 * pfx2as: origin AS by longest-prefix match, from a RouteViews pfx2as file
 * (CAIDA's format: "prefix<TAB>length<TAB>AS" per line, gzip or plain,
 * IPv4 and IPv6 prefixes mixed).  The AS is kept as text, so multi-origin
 * ("123_456") and AS-set ("123,456") entries stay as they are.
 */
#ifndef HOPLITE_CONVERT_PFX2AS_H
#define HOPLITE_CONVERT_PFX2AS_H

#include "util/addr.h"

struct pfx2as;

/*
 * Load a file (read through in_run, so compressed files work).  Bad lines
 * are counted as bad-pfx2as.  NULL when the file cannot be read at all or
 * the run must stop.
 */
struct pfx2as *pfx2as_load(const char *path);
void pfx2as_free(struct pfx2as *);
/* The origin AS of the longest prefix holding a, or NULL.  Equal AS
 * strings are the same pointer. */
const char *pfx2as_lookup(const struct pfx2as *, const struct addr_ip *a);
size_t pfx2as_count(const struct pfx2as *);

#endif
