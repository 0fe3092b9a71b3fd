/* in: files, directories, archives and stdin, as lines (libarchive). */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "in.h"
#include "mem.h"
#include "report.h"

#define IN_BLOCK (1024 * 1024)
/* libarchive's ARCHIVE_ERRNO_FILE_FORMAT (not in its public header). */
#define IN_EFORMAT EILSEQ

/* A line that spans blocks is assembled here. */
struct lines {
	const struct in_ops *ops;
	void *ctx;
	const char *name;
	size_t maxline;
	char *buf;
	size_t len, cap;
	uint64_t lineno;
	int skipping; /* inside a line that is too long */
	uint64_t in_base; /* stored bytes of the files done before */
};

static int
lines_deliver(struct lines *l, const char *p, size_t n)
{
	l->lineno++;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return l->ops->line(l->ctx, l->name, l->lineno, p, n);
}

static int
lines_append(struct lines *l, const char *p, size_t n)
{
	if (l->skipping)
		return 0;
	if (l->len + n > l->maxline) {
		l->skipping = 1;
		l->len = 0;
		return 0;
	}
	if (mem_grow(&l->buf, &l->cap, l->len + n, 1) == -1) {
		l->skipping = 1;
		l->len = 0;
		return 0;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	return 0;
}

/* The end of a line was found: hand it over, or count it as too long. */
static int
lines_eol(struct lines *l, const char *p, size_t n)
{
	size_t len;

	if (l->len == 0 && !l->skipping) {
		if (n <= l->maxline)
			return lines_deliver(l, p, n);
		l->skipping = 1;
	} else
		lines_append(l, p, n);
	if (l->skipping) {
		l->skipping = 0;
		l->len = 0;
		l->lineno++;
		return report_problem(REPORT_LINE_TOO_LONG, l->name, l->lineno,
		    "longer than %zu bytes", l->maxline);
	}
	len = l->len;
	l->len = 0;
	return lines_deliver(l, l->buf, len);
}

static int
lines_block(struct lines *l, const char *p, size_t n)
{
	const char *end = p + n, *nl;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return lines_append(l, p, (size_t)(end - p));
		if (lines_eol(l, p, (size_t)(nl - p)) == -1)
			return -1;
		p = nl + 1;
	}
	return 0;
}

struct in_stream {
	struct archive *a;
	struct lines *l;
	const char *p;	/* the rest of the current block */
	size_t n;
	int eof, truncated, stop;
};

/* The next block of a member: 1, 0 at its end, -1 on a read error. */
static int
in_block(struct in_stream *s)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	if (s->eof || s->truncated)
		return s->eof ? 0 : -1;
	r = archive_read_data_block(s->a, &buf, &size, &off);
	if (r == ARCHIVE_EOF) {
		s->eof = 1;
		return 0;
	}
	if (r < ARCHIVE_WARN) {
		s->truncated = 1;
		return -1;
	}
	report_stats.bytes += size;
	report_stats.in_done = s->l->in_base +
	    (uint64_t)archive_filter_bytes(s->a, -1);
	report_tick();
	s->p = buf;
	s->n = size;
	return 1;
}

ssize_t
in_stream_read(struct in_stream *s, void *buf, size_t len)
{
	size_t got = 0;
	int r;

	if (s->stop)
		return -1;
	while (got < len) {
		if (s->n == 0) {
			if ((r = in_block(s)) == 0)
				break;
			if (r == -1) {
				if (report_problem(REPORT_READ_ERROR, s->l->name,
				    0, "%s", archive_error_string(s->a)) == -1)
					s->stop = 1;
				return -1;
			}
			continue;
		}
		size_t k = len - got < s->n ? len - got : s->n;

		memcpy((char *)buf + got, s->p, k);
		s->p += k;
		s->n -= k;
		got += k;
	}
	return (ssize_t)got;
}

int
in_stream_stopped(const struct in_stream *s)
{
	return s->stop;
}

/* One file or archive member, to its end or to the first read error. */
static int
in_entry(struct archive *a, struct lines *l)
{
	struct in_stream s;
	int r, first = 1;

	memset(&s, 0, sizeof(s));
	s.a = a;
	s.l = l;
	l->len = 0;
	l->lineno = 0;
	l->skipping = 0;
	report_stats.entries++;
	if (l->ops->begin != NULL && l->ops->begin(l->ctx, l->name) == -1)
		return -1;
	for (;;) {
		if ((r = in_block(&s)) == 0)
			break;
		if (r == -1) {
			if (report_problem(REPORT_READ_ERROR, l->name,
			    l->lineno + 1, "%s%s", archive_error_string(a),
			    l->len > 0 || l->skipping ?
			    "; the partial line is dropped" : "") == -1)
				return -1;
			break;
		}
		if (first && l->ops->warts != NULL && s.n >= 2 &&
		    (uint8_t)s.p[0] == IN_WARTS_MAGIC0 &&
		    (uint8_t)s.p[1] == IN_WARTS_MAGIC1) {
			if (l->ops->warts(l->ctx, l->name, &s) == -1 || s.stop)
				return -1;
			break;
		}
		first = 0;
		if (lines_block(l, s.p, s.n) == -1)
			return -1;
		s.n = 0;
	}
	if (!s.truncated && (l->len > 0 || l->skipping) &&
	    lines_eol(l, "", 0) == -1)
		return -1;
	l->len = 0;
	if (l->ops->end != NULL &&
	    l->ops->end(l->ctx, l->name, l->lineno, s.truncated) == -1)
		return -1;
	return 0;
}

/*
 * A failure outside a member's data: no format for no bytes is an empty
 * file; a system error (no such file, permission) an unreadable input;
 * anything else corrupt or truncated data.
 */
static int
in_error(struct archive *a, const char *shown, int members)
{
	int e = archive_errno(a);

	if (members == 0 && e == IN_EFORMAT && archive_filter_bytes(a, 0) == 0)
		return 0;
	if (e > 0 && e != IN_EFORMAT)
		return report_unreadable(shown, "%s", archive_error_string(a));
	return report_problem(REPORT_READ_ERROR, shown, 0, "%s%s",
	    members > 0 ? "after the members read: " : "",
	    archive_error_string(a));
}

/*
 * Read one file through libarchive: as any archive format or, with
 * text, as plain (or compressed) text only.  *members: archive members
 * (or 1 for text); *empty_archive: an archive format that had no member.
 */
static int
in_read(const char *path, const char *shown, struct lines *l, int text,
    uint64_t *members, int *empty_archive)
{
	struct archive *a;
	struct archive_entry *ent;
	char *name = NULL;
	int r, n = 0, rc = 0;

	*members = 0;
	*empty_archive = 0;
	if ((a = archive_read_new()) == NULL)
		return report_unreadable(shown, "out of memory");
	/* Not format_all: its mtree reader takes some JSON lines for a
	 * file list. */
	archive_read_support_filter_all(a);
	if (!text) {
		archive_read_support_format_tar(a);
		archive_read_support_format_cpio(a);
	}
	archive_read_support_format_raw(a);
	if (strcmp(path, "-") == 0)
		r = archive_read_open_fd(a, STDIN_FILENO, IN_BLOCK);
	else
		r = archive_read_open_filename(a, path, IN_BLOCK);
	if (r != ARCHIVE_OK) {
		rc = in_error(a, shown, 0);
		goto done;
	}
	for (;;) {
		r = archive_read_next_header(a, &ent);
		if (r == ARCHIVE_EOF) {
			*empty_archive = n == 0 &&
			    archive_format(a) != ARCHIVE_FORMAT_RAW;
			break;
		}
		if (r < ARCHIVE_WARN) {
			rc = in_error(a, shown, n);
			break;
		}
		n++;
		if (archive_entry_filetype(ent) != AE_IFREG &&
		    archive_format(a) != ARCHIVE_FORMAT_RAW)
			continue;
		free(name);
		if (archive_format(a) == ARCHIVE_FORMAT_RAW)
			name = strdup(shown);
		else if (asprintf(&name, "%s:%s", shown,
		    archive_entry_pathname(ent) ? archive_entry_pathname(ent) :
		    "?") == -1)
			name = NULL;
		if (name == NULL) {
			rc = report_unreadable(shown, "out of memory");
			break;
		}
		l->name = name;
		if ((rc = in_entry(a, l)) == -1)
			break;
	}
done:
	*members = (uint64_t)n;
	report_stats.in_done = l->in_base + (uint64_t)archive_filter_bytes(a, -1);
	free(name);
	archive_read_free(a);
	return rc;
}

/*
 * A plain, compressed or archive file; "-" is stdin.  libarchive takes
 * anything that starts with a zero block (a damaged file, a gzip of
 * zeros, NULs) for an empty tar archive: a file read as an archive
 * without a member is read again as text, so nothing in it is lost.
 */
static int
in_file(const char *path, struct lines *l)
{
	const char *shown = strcmp(path, "-") == 0 ? "(stdin)" : path;
	uint64_t members, bytes = report_stats.bytes;
	int rc, empty_archive;

	report_stats.files++;
	rc = in_read(path, shown, l, 0, &members, &empty_archive);
	if (rc == 0 && empty_archive) {
		if (strcmp(path, "-") == 0)
			rc = report_problem(REPORT_READ_ERROR, shown, 0,
			    "no member in what libarchive reads as an "
			    "archive (zero blocks?), and stdin cannot be "
			    "read again as text");
		else
			rc = in_read(path, shown, l, 1, &members,
			    &empty_archive);
	}
	l->in_base = report_stats.in_done;
	if (rc == 0 && l->ops->file_end != NULL)
		rc = l->ops->file_end(l->ctx, shown, members,
		    report_stats.bytes - bytes);
	return rc;
}

static int
in_namecmp(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

static int
in_dir(const char *path, struct lines *l)
{
	char *argv[] = { (char *)path, NULL };
	FTS *fts;
	FTSENT *e;
	int rc = 0;

	if ((fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW,
	    in_namecmp)) == NULL)
		return report_unreadable(path, "%s", strerror(errno));
	while (rc == 0 && (e = fts_read(fts)) != NULL) {
		switch (e->fts_info) {
		case FTS_F:
			rc = in_file(e->fts_path, l);
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			rc = report_unreadable(e->fts_path, "%s",
			    strerror(e->fts_errno));
			break;
		default:
			break;
		}
	}
	fts_close(fts);
	return rc;
}

int
in_run_mem(const void *p, size_t n, const char *name,
    const struct in_ops *ops, void *ctx, size_t maxline)
{
	struct archive *a;
	struct archive_entry *ent;
	struct lines l;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	l.ops = ops;
	l.ctx = ctx;
	l.maxline = maxline;
	l.name = name;
	if ((a = archive_read_new()) == NULL)
		return -1;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_memory(a, p, n) == ARCHIVE_OK &&
	    archive_read_next_header(a, &ent) == ARCHIVE_OK)
		rc = in_entry(a, &l);
	archive_read_free(a);
	free(l.buf);
	return rc;
}

int
in_run_range(const char *path, const struct in_range *rg,
    const struct in_ops *ops, void *ctx, size_t maxline)
{
	struct lines l;
	char *buf = NULL;
	uint64_t off = rg->off, end = rg->off + rg->len;
	int fd, rc = 0, truncated = 0;

	memset(&l, 0, sizeof(l));
	l.ops = ops;
	l.ctx = ctx;
	l.maxline = maxline;
	l.name = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return report_unreadable(path, "%s", strerror(errno));
	if ((buf = malloc(IN_BLOCK)) == NULL) {
		close(fd);
		return report_unreadable(path, "out of memory");
	}
	if (rg->first) {
		report_stats.files++;
		report_stats.entries++;
		if (ops->begin != NULL && ops->begin(ctx, path) == -1)
			rc = -1;
	}
	while (rc == 0 && off < end) {
		size_t want = end - off < IN_BLOCK ? (size_t)(end - off) : IN_BLOCK;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			truncated = 1;
			rc = report_problem(REPORT_READ_ERROR, path,
			    l.lineno + 1, "%s", n == 0 ? "the file shrank" :
			    strerror(errno));
			break;
		}
		off += (uint64_t)n;
		report_stats.bytes += (uint64_t)n;
		report_stats.in_done += (uint64_t)n;
		rc = lines_block(&l, buf, (size_t)n);
		report_tick();
	}
	if (rc == 0 && rg->last) {
		if (!truncated && (l.len > 0 || l.skipping))
			rc = lines_eol(&l, "", 0);
		if (rc == 0 && ops->end != NULL)
			rc = ops->end(ctx, path, l.lineno, truncated);
	}
	report_stats.lines += l.lineno;
	free(l.buf);
	free(buf);
	close(fd);
	return rc;
}

int
in_size(const char *path, uint64_t *size)
{
	char *argv[] = { (char *)path, NULL };
	struct stat st;
	FTS *fts;
	FTSENT *e;

	*size = 0;
	if (strcmp(path, "-") == 0 || stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if ((fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW,
	    NULL)) == NULL)
		return -1;
	while ((e = fts_read(fts)) != NULL)
		if (e->fts_info == FTS_F)
			*size += (uint64_t)e->fts_statp->st_size;
	fts_close(fts);
	return 0;
}

int
in_run(const char *path, const struct in_ops *ops, void *ctx,
    size_t maxline)
{
	struct lines l;
	struct stat st;
	int rc;

	memset(&l, 0, sizeof(l));
	l.in_base = report_stats.in_done;
	l.ops = ops;
	l.ctx = ctx;
	l.maxline = maxline;
	if (strcmp(path, "-") == 0)
		rc = in_file(path, &l);
	else if (stat(path, &st) == -1)
		rc = report_unreadable(path, "%s", strerror(errno));
	else if (S_ISDIR(st.st_mode))
		rc = in_dir(path, &l);
	else
		rc = in_file(path, &l);
	free(l.buf);
	return rc;
}
