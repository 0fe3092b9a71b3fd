/*
 * warts: scamper's binary files (CAIDA Ark's traces), read with CAIDA's
 * libscamperfile.  This side frames the records itself (8-byte header:
 * magic 0x1205, type, length) and feeds them to the library one by one,
 * so a record the library refuses, a cut file or bytes that are no
 * record cost that record (or those bytes) only: the records around
 * them still come out.
 */
#ifndef HOPLITE_CONVERT_WARTS_H
#define HOPLITE_CONVERT_WARTS_H

#include <stddef.h>
#include <stdint.h>

#include "in.h"
#include "rd.h"

/* One trace or tracelb object (scamper_trace_t, scamper_tracelb_t) and
 * its ordinal among the file's records.  -1 stops the run. */
typedef int (*warts_emit_fn)(void *ctx, int type, const void *obj,
    const char *file, uint64_t recno);

/* Read one warts stream; records larger than maxrec are skipped.  0, or
 * -1 when the run must stop. */
int warts_run(struct in_stream *, const char *name, size_t maxrec,
    warts_emit_fn, void *ctx);

/* Its metadata: source "warts", and the list, cycle and monitor an object names. */
void warts_meta(int type, const void *obj, struct rd_meta *);

#endif
