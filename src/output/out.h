/* out: trace results as scamper-compatible JSON (jansson) or readable text. */
#ifndef HOPLITE_OUT_H
#define HOPLITE_OUT_H

#include <stdio.h>
#include <jansson.h>

#include "measure/trace.h"

/*
 * A scamper `trace` object with scamper's field names (see hoplite-json(5)),
 * plus hoplite's own ("flowid", "hoplite_version"...).  NULL on allocation failure.
 */
json_t *out_trace_json(const struct trace_result *);
/*
 * Flags for dumping such objects: compact, keys in insertion order, and
 * reals with 10 significant digits so an RTT prints as 0.123 rather than
 * 0.12300000000000001 (RTTs are whole microseconds below 2^32, so 10
 * digits are exact).
 */
#define OUT_JSON_FLAGS	(JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))
/* One compact JSON line followed by '\n'.  0 or -1. */
int out_trace_json_line(FILE *, const struct trace_result *);
/* A traceroute-like table with every RTT.  0 or -1. */
int out_trace_text(FILE *, const struct trace_result *);

#endif
