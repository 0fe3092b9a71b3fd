/*
 * asmap: the prefix-to-AS table behind -A, read from a RouteViews pfx2as
 * file (gzip or plain, through zlib).  Opened before privileges are
 * dropped, read after.
 */
#ifndef HOPLITE_ASMAP_H
#define HOPLITE_ASMAP_H

#include <stddef.h>

#include "util/pfx2as.h"

struct asmap;

/* --pfx2as, else $HOPLITE_PFX2AS, else the installed default. */
const char *asmap_path(const char *given);
/* NULL with a message in err. */
struct asmap *asmap_open(const char *path, char *err, size_t errlen);
/*
 * Read the whole file into a table.  Bad lines are skipped and counted;
 * NULL with a message when the file cannot be read or has no prefix.
 */
struct pfx2as *asmap_read(struct asmap *, unsigned long *bad, char *err,
    size_t errlen);
void asmap_close(struct asmap *);

#endif
