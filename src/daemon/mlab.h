/*
 * mlab: trace files as M-Lab's pipeline reads them
 * (<root>/YYYY/MM/DD/YYYYMMDDTHHMMSSZ_<UUID>.jsonl, exactly 4 lines:
 * metadata, cycle-start, the trace object, cycle-stop).
 */
#ifndef HOPLITE_MLAB_H
#define HOPLITE_MLAB_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/time.h>
#include <jansson.h>

struct mlab_file {
	const char *uuid;		/* the test's UUID (non-empty, no '/') */
	const char *version;		/* TracerouteCallerVersion */
	int cached;			/* CachedResult */
	const char *cached_uuid;	/* CachedUUID, "" when not cached */
	const char *hostname;		/* cycle-start/stop hostname */
	time_t start_time, stop_time;	/* cycle-start/stop times (unix s) */
	time_t name_time;		/* the UTC time in the path and name */
	const json_t *trace;		/* the trace (or tracelb) object, or */
	const char *trace_text;		/* when trace is NULL: that object as
					   one compact JSON line (no '\n') */
	mode_t mode;			/* file mode (0: MLAB_FILE_MODE); directories
					   made get it plus x where it has r */
	int nosync;			/* skip the fsyncs (still atomic by rename):
					   for cached copies, whose original is on
					   disk, so a burst of copies does not stall
					   the caller's event loop */
};

#define MLAB_FILE_MODE	0640

/* Longest UUID that can name a file: the name adds 23 bytes and the
 * temporary name about 35 more, within NAME_MAX (255). */
#define MLAB_UUID_MAX	192
#define MLAB_UUID_MAX_STR "192"

/* Whether a UUID can name a file: non-empty, at most MLAB_UUID_MAX bytes,
 * valid UTF-8, no '/', no control characters (C0, DEL), not "." or "..". */
int mlab_uuid_ok(const char *uuid);
/* The same for len bytes (which may hold a NUL): NULL when usable, else why
 * not ("uuid: contains '/'", ...). */
const char *mlab_uuid_problem(const char *uuid, size_t len);

/*
 * Write the file under root atomically: directories created as needed,
 * content written to a temporary name in the same directory, fsync'd,
 * linked into place, directory fsync'd.  A failure leaves no partial
 * .jsonl behind.  Returns 0, or -1 with errno set and a message in err
 * naming the failing step and path; the full path goes in path (if not
 * NULL) as soon as it is known, so failures can be logged with it.
 * Files get f->mode (0640 by default) and new directories that mode with
 * x added where it has r (0750), whatever the umask, owned by the calling
 * user and group.  An existing file of the same name is never replaced:
 * -1 with errno EEXIST.
 */
int mlab_write(const char *root, const struct mlab_file *, char *path,
    size_t pathlen, char *err, size_t errlen);

/* The path mlab_write would write (for a request journaled before a
 * crash: is its file there?).  0, or -1 with errno. */
int mlab_path(const char *root, const char *uuid, time_t name_time,
    char *path, size_t pathlen);

/*
 * The 4 lines as one string (malloc'd, each line ending in '\n'), as
 * mlab_write writes them.  NULL, with errno EINVAL when the trace is not an
 * object whose "type" is "trace" or "tracelb" (trace_text: does not start
 * with that key and value, or holds a newline) or a string is not UTF-8, or
 * ENOMEM.  NULL strings in the mlab_file are written as "".
 */
char *mlab_render(const struct mlab_file *);

#endif
