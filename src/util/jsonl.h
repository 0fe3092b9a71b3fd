/* jsonl: one line of JSON from a peer (event socket, control socket), loaded with bounds. */
#ifndef HOPLITE_JSONL_H
#define HOPLITE_JSONL_H

#include <stddef.h>
#include <jansson.h>

/*
 * Load `line` as a JSON object: nesting deeper than maxdepth is refused
 * before jansson sees it, duplicate keys are refused.  NULL with a
 * printable message in err ("invalid JSON: ...", "not a JSON object").
 */
json_t *jsonl_object(const char *line, size_t len, int maxdepth, char *err,
    size_t errlen);

#endif
