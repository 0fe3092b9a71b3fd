/*
 * out: buffered output to a file or stdout, with the few encoders the
 * formats need (integers, RTTs, CSV fields, XML and DOT strings).  A write
 * error is remembered and reported by out_close().
 */
#ifndef HOPLITE_CONVERT_OUT_H
#define HOPLITE_CONVERT_OUT_H

#include <stddef.h>
#include <stdint.h>

#define OUT_BUFSZ (256 * 1024)

struct out {
	int fd;		  /* OUT_MEM: into mem, or on to fwd when set */
	const char *path; /* for messages; "-" for stdout */
	char *buf;
	size_t len;
	int err; /* errno of the first failed write, or 0 */
	/* -j: a worker's rows wait in mem until its input's turn */
	struct out *fwd;
	char *mem;
	size_t mlen, mcap;
};

#define OUT_MEM (-2)

/* path NULL or "-": stdout.  0, or -1 with errno set. */
int out_open(struct out *, const char *path);
/* Flush and close; 0, or -1 with errno set (the first error seen). */
int out_close(struct out *);
void out_flush(struct out *);
/* Rows kept in memory (OUT_MEM).  0, or -1 (out of memory). */
int out_open_mem(struct out *);
/* What o kept goes to to, and from now on all it writes. */
void out_forward(struct out *o, struct out *to);
void out_write(struct out *, const void *, size_t);
void out_str(struct out *, const char *);
void out_u64(struct out *, uint64_t);
void out_i64(struct out *, int64_t);
/* Microseconds as milliseconds with three decimals ("135.640"). */
void out_ms(struct out *, int64_t usec);
/* A comma, then v unless it is negative (an empty CSV field). */
void out_col(struct out *, int64_t v);
/* A comma, then microseconds as out_ms() unless negative. */
void out_col_ms(struct out *, int64_t usec);
/* A CSV field: quoted (RFC 4180) only when it holds , " CR or LF. */
void out_csv(struct out *, const char *);
/* XML character data or attribute value, escaped. */
void out_xml(struct out *, const char *);
/* A DOT double-quoted string, quotes included. */
void out_dotq(struct out *, const char *);

static inline void
out_char(struct out *o, char c)
{
	if (o->len == OUT_BUFSZ)
		out_flush(o);
	o->buf[o->len++] = c;
}

#endif
