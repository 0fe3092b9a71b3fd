/*
 * rd: recognises what each JSON line is and hands over trace objects.
 * Kinds of input, told apart by their content:
 *   - M-Lab / hoplited files: a metadata line ({"UUID":...}), cycle-start,
 *     one trace or tracelb object, cycle-stop; several such files may be
 *     concatenated into one;
 *   - the one-object variant {"Metadata":..,"CycleStart":..,"Trace":..,
 *     "CycleStop":..};
 *   - raw scamper JSON: cycle-start, any number of trace/tracelb objects,
 *     cycle-stop;
 *   - hoplite trace output: bare trace objects, one per line;
 *   - RIPE Atlas traceroute results ("type":"traceroute"), one per line
 *     or in a JSON array as the API returns them;
 *   - any of these pretty-printed over several lines, when a file's first
 *     line is not a complete JSON value (the file is then read whole);
 *   - scamper's binary warts files (warts.c), where the caller reads them
 *     (rd_set_warts()).
 */
#ifndef HOPLITE_CONVERT_RD_H
#define HOPLITE_CONVERT_RD_H

#include <stddef.h>
#include <stdint.h>

#include "sj.h"

#include "in.h"

struct rd_meta {
	const char *uuid;	 /* the M-Lab UUID, "" when none */
	int cached;		 /* CachedResult */
	const char *cached_uuid; /* "" when none */
	const char *hostname;	 /* from cycle-start, "" when none */
	const char *source;	 /* "mlab", "scamper", "atlas" or "warts" */
	const char *list;	 /* scamper's list name, "" when none */
	int64_t cycle;		 /* scamper's cycle id, -1 when none */
};

/* A trace or tracelb object found at file:line.  -1 stops the run. */
typedef int (*rd_emit_fn)(void *ctx, const sj_t *trace,
    const struct rd_meta *, const char *file, uint64_t line);

struct rd;

/* A warts trace or tracelb (see warts.h); recno: its record number. */
typedef int (*rd_warts_fn)(void *ctx, int type, const void *obj,
    const struct rd_meta *, const char *file, uint64_t recno);

/* maxdoc bounds a file read whole (the pretty-printed case) and a warts
 * record. */
struct rd *rd_new(rd_emit_fn, void *ctx, size_t maxdoc);
/* Read warts files too, handing their records to fn (with rd_new's ctx). */
void rd_set_warts(struct rd *, rd_warts_fn fn);
void rd_free(struct rd *);

/*
 * -j reads a large file in chunks, each starting at an M-Lab metadata
 * line, in parallel: each chunk starts as if the file before it ended a
 * complete M-Lab file; when its turn comes, the state the chunk before
 * left (saved) says whether that held, and the chunk is read again from
 * that state when it did not.
 */
struct rd_carry {
	int st, first, cached, doc, docover;
	int64_t cycle;
	char *uuid, *cached_uuid, *hostname, *list, *docbuf;
	size_t doclen;
	uint64_t docline, records;
};
int rd_save(const struct rd *, struct rd_carry *);
int rd_restore(struct rd *, const struct rd_carry *);
void rd_carry_free(struct rd_carry *);
/* A chunk starts: the file's first (1), a later one (0), or a later one
 * read again after rd_restore() (-1). */
void rd_chunk_begin(struct rd *, int first);
/* Whether the chunk just read is what reading on from before gives. */
int rd_chunk_valid(const struct rd *, const struct rd_carry *before);
/* The file's last chunk is done: no-trace, with the file's records. */
int rd_file_done(struct rd *, const char *file, uint64_t bytes,
    uint64_t records);

/* in_run() callbacks; their ctx is the struct rd. */
extern const struct in_ops rd_in_ops;

#endif
