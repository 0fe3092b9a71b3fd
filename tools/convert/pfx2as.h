/*
 * pfx2as: origin AS by longest-prefix match (util/pfx2as.h), loaded from
 * a RouteViews pfx2as file (CAIDA's format: "prefix<TAB>length<TAB>AS" per
 * line, gzip or plain, IPv4 and IPv6 prefixes mixed).
 */
#ifndef HOPLITE_CONVERT_PFX2AS_H
#define HOPLITE_CONVERT_PFX2AS_H

#include "util/pfx2as.h"

/*
 * Load a file (read through in_run, so compressed files work).  Bad lines
 * are counted as bad-pfx2as.  NULL when the file cannot be read at all or
 * the run must stop.
 */
struct pfx2as *pfx2as_load(const char *path);

#endif
