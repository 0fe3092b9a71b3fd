/*
 * in: the bytes of every input as lines.  A path is a file (plain or
 * compressed with anything libarchive knows, gzip included), an archive
 * (tar, .tgz, ...: each regular member is read in place), a directory
 * (walked recursively in name order) or "-" for stdin.  A file or member
 * that starts with the warts magic (scamper's binary format) is handed
 * over as a byte stream instead, where the caller reads binary input.
 */
#ifndef HOPLITE_CONVERT_IN_H
#define HOPLITE_CONVERT_IN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IN_WARTS_MAGIC0 0x12
#define IN_WARTS_MAGIC1 0x05

/* A file or member's bytes, after decompression. */
struct in_stream;

struct in_ops {
	/* A file or archive member starts; name is for messages. */
	int (*begin)(void *ctx, const char *name);
	/*
	 * One line, without its LF (or CRLF); lineno counts from 1.  The
	 * bytes are valid only during the call.  Return -1 to stop the run.
	 */
	int (*line)(void *ctx, const char *name, uint64_t lineno,
	    const char *p, size_t len);
	/*
	 * Optional: a member that starts with the warts magic, read with
	 * in_stream_read() instead of as lines.  -1 stops the run.
	 */
	int (*warts)(void *ctx, const char *name, struct in_stream *);
	/* It ends: lines read; truncated when a read error cut it short. */
	int (*end)(void *ctx, const char *name, uint64_t lines, int truncated);
	/*
	 * A file (plain, compressed or archive) was read to its end:
	 * members read (1 for a plain file) and bytes after decompression.
	 */
	int (*file_end)(void *ctx, const char *file, uint64_t members,
	    uint64_t bytes);
};

/*
 * Read one path.  A line longer than maxline is skipped and counted.
 * Returns 0, or -1 when the run must stop (--strict, or a callback).
 */
int in_run(const char *path, const struct in_ops *, void *ctx,
    size_t maxline);

/* Bytes in memory as one file (plain or compressed; the fuzz harness). */
int in_run_mem(const void *p, size_t n, const char *name,
    const struct in_ops *, void *ctx, size_t maxline);

/*
 * -j: bytes off .. off + len of a plain file; first: begin() and the
 * file's counts, last: end().  A chunk starts and ends at a line's start;
 * its lines are numbered from 1 (report_lines_from() says where the chunk
 * starts) and counted into report_stats.lines.  file_end() is the
 * caller's.
 */
struct in_range {
	uint64_t off, len;
	int first, last;
};
int in_run_range(const char *path, const struct in_range *,
    const struct in_ops *, void *ctx, size_t maxline);

/*
 * Up to len bytes into buf: fewer only at the end of the member.  -1 on
 * a read error (reported here), or when the run must stop.
 */
ssize_t in_stream_read(struct in_stream *, void *buf, size_t len);
/* The run must stop (--strict, or a callback said so). */
int in_stream_stopped(const struct in_stream *);

/*
 * The bytes path holds as stored (a directory: its files), for the
 * progress line's percentage.  -1 when unknown (stdin).
 */
int in_size(const char *path, uint64_t *size);

#endif
