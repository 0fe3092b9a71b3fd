/* out: buffered output and field encoders. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "out.h"

int
out_open(struct out *o, const char *path)
{
	memset(o, 0, sizeof(*o));
	if ((o->buf = malloc(OUT_BUFSZ)) == NULL)
		return -1;
	if (path == NULL || strcmp(path, "-") == 0) {
		o->fd = STDOUT_FILENO;
		o->path = "-";
		return 0;
	}
	o->path = path;
	o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (o->fd == -1) {
		free(o->buf);
		o->buf = NULL;
		return -1;
	}
	return 0;
}

int
out_open_mem(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->fd = OUT_MEM;
	o->path = "(memory)";
	return (o->buf = malloc(OUT_BUFSZ)) == NULL ? -1 : 0;
}

void
out_forward(struct out *o, struct out *to)
{
	out_flush(o);
	if (o->mlen > 0)
		out_write(to, o->mem, o->mlen);
	o->mlen = 0;
	o->fwd = to;
}

/* p[0..n) to the file; a failure is kept in o->err. */
static void
out_fd_write(struct out *o, const char *p, size_t n)
{
	size_t off = 0;

	while (off < n && o->err == 0) {
		ssize_t k = write(o->fd, p + off, n - off);

		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0)
			o->err = k == 0 ? EIO : errno;
		else
			off += (size_t)k;
	}
}

void
out_flush(struct out *o)
{
	if (o->fd == OUT_MEM) {
		if (o->fwd != NULL)
			out_write(o->fwd, o->buf, o->len);
		else if (o->len > 0 && mem_grow(&o->mem, &o->mcap,
		    o->mlen + o->len, 1) == 0) {
			memcpy(o->mem + o->mlen, o->buf, o->len);
			o->mlen += o->len;
		} else if (o->len > 0)
			o->err = ENOMEM;
		o->len = 0;
		return;
	}
	out_fd_write(o, o->buf, o->len);
	o->len = 0;
}

int
out_close(struct out *o)
{
	int err;

	if (o->buf == NULL)
		return 0;
	out_flush(o);
	if (o->fd >= 0 && o->fd != STDOUT_FILENO && close(o->fd) == -1 &&
	    o->err == 0)
		o->err = errno;
	free(o->mem);
	o->mem = NULL;
	free(o->buf);
	o->buf = NULL;
	err = o->err;
	errno = err;
	return err ? -1 : 0;
}

void
out_write(struct out *o, const void *p, size_t n)
{
	const char *c = p;

	/* a buffer's worth or more (a -j worker's rows): written as it is,
	 * not copied first, a buffer's worth a call (one write of megabytes
	 * cost the kernel several times more per byte: perf, -j 2 -f hops) */
	if (n >= OUT_BUFSZ && o->fd >= 0) {
		out_flush(o);
		for (size_t off = 0; off < n; off += OUT_BUFSZ)
			out_fd_write(o, c + off, n - off < OUT_BUFSZ ?
			    n - off : OUT_BUFSZ);
		return;
	}
	while (n > 0) {
		size_t k = OUT_BUFSZ - o->len;

		if (k == 0) {
			out_flush(o);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(o->buf + o->len, c, k);
		o->len += k;
		c += k;
		n -= k;
	}
}

void
out_str(struct out *o, const char *s)
{
	out_write(o, s, strlen(s));
}

void
out_u64(struct out *o, uint64_t v)
{
	char b[24];
	int i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	out_write(o, b + i, sizeof(b) - (size_t)i);
}

void
out_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		out_char(o, '-');
		out_u64(o, (uint64_t)0 - (uint64_t)v);
	} else
		out_u64(o, (uint64_t)v);
}

void
out_ms(struct out *o, int64_t usec)
{
	uint64_t u;

	if (usec < 0) {
		out_char(o, '-');
		u = (uint64_t)0 - (uint64_t)usec;
	} else
		u = (uint64_t)usec;
	out_u64(o, u / 1000);
	out_char(o, '.');
	out_char(o, (char)('0' + u / 100 % 10));
	out_char(o, (char)('0' + u / 10 % 10));
	out_char(o, (char)('0' + u % 10));
}

void
out_col(struct out *o, int64_t v)
{
	out_char(o, ',');
	if (v >= 0)
		out_i64(o, v);
}

void
out_col_ms(struct out *o, int64_t usec)
{
	out_char(o, ',');
	if (usec >= 0)
		out_ms(o, usec);
}

void
out_csv(struct out *o, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		out_str(o, s);
		return;
	}
	out_char(o, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			out_char(o, '"');
		out_char(o, *s);
	}
	out_char(o, '"');
}

void
out_xml(struct out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			out_str(o, "&lt;");
			break;
		case '>':
			out_str(o, "&gt;");
			break;
		case '&':
			out_str(o, "&amp;");
			break;
		case '"':
			out_str(o, "&quot;");
			break;
		default:
			/* XML 1.0 forbids most control characters. */
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				out_char(o, *s);
		}
	}
}

void
out_dotq(struct out *o, const char *s)
{
	out_char(o, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			out_char(o, '\\');
		if ((unsigned char)*s >= 0x20)
			out_char(o, *s);
	}
	out_char(o, '"');
}
