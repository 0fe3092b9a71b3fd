/*
 * mlab: trace files as M-Lab's pipeline reads them.
 *
 * <root>/YYYY/MM/DD/YYYYMMDDTHHMMSSZ_<UUID>.jsonl holds exactly four lines,
 * each ending in '\n' (PROTOCOLS.md section 2).  Files appear atomically:
 * a temporary name in the target directory, written in full, fsync'd,
 * renamed into place, and the directory fsync'd, so a reader (or a crash)
 * never sees a partial .jsonl.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util/errbuf.h"
#include "daemon/mlab.h"
#include "output/out.h"

/* A directory lets in whoever may read its files. */
static mode_t
dir_mode(mode_t file_mode)
{
	mode_t m = file_mode & 0777;

	return m | 0700 | (m & 0044) >> 2;
}

/* Distinguishes temporary names of concurrent writes in one process. */
static unsigned long tmp_counter;

/* Length of the UTF-8 sequence starting at s (0 if invalid). */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

const char *
mlab_uuid_problem(const char *uuid, size_t len)
{
	const unsigned char *s = (const unsigned char *)uuid;
	size_t i, n;

	if (uuid == NULL || len == 0)
		return "uuid: empty";
	if (len > MLAB_UUID_MAX)
		return "uuid: longer than " MLAB_UUID_MAX_STR " bytes";
	if ((len == 1 && uuid[0] == '.') || (len == 2 && uuid[0] == '.' &&
	    uuid[1] == '.'))
		return "uuid: not usable as a file name";
	for (i = 0; i < len; i += n) {
		if (s[i] == '/')
			return "uuid: contains '/'";
		if (s[i] < 0x20 || s[i] == 0x7f)
			return "uuid: contains a control character";
		if ((n = utf8_seq(s + i)) == 0 || i + n > len)
			return "uuid: not UTF-8";
	}
	return NULL;
}

int
mlab_uuid_ok(const char *uuid)
{
	return uuid != NULL && mlab_uuid_problem(uuid, strlen(uuid)) == NULL;
}

/* One compact JSON line with its '\n' appended to *buf. */
static int
append_line(char **buf, size_t *len, const json_t *j, size_t flags)
{
	char *s, *nb;
	size_t n;

	if (j == NULL || (s = json_dumps(j, flags)) == NULL)
		return -1;
	n = strlen(s);
	if ((nb = realloc(*buf, *len + n + 2)) == NULL) {
		free(s);
		return -1;
	}
	memcpy(nb + *len, s, n);
	nb[*len + n] = '\n';
	nb[*len + n + 1] = '\0';
	*buf = nb;
	*len += n + 1;
	free(s);
	return 0;
}

static json_t *
cycle_line(const char *type, const char *hostname, const char *time_key,
    time_t t)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	/* Insertion order is output order (OUT_JSON_FLAGS). */
	if (json_object_set_new(o, "type", json_string(type)) == -1 ||
	    json_object_set_new(o, "list_name", json_string("default")) == -1 ||
	    json_object_set_new(o, "id", json_integer(0)) == -1 ||
	    json_object_set_new(o, "hostname",
	    json_string(hostname != NULL ? hostname : "")) == -1 ||
	    json_object_set_new(o, time_key,
	    json_integer((json_int_t)t)) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
meta_line(const struct mlab_file *f)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(o, "UUID",
	    json_string(f->uuid != NULL ? f->uuid : "")) == -1 ||
	    json_object_set_new(o, "TracerouteCallerVersion",
	    json_string(f->version != NULL ? f->version : "")) == -1 ||
	    json_object_set_new(o, "CachedResult",
	    json_boolean(f->cached)) == -1 ||
	    json_object_set_new(o, "CachedUUID",
	    json_string(f->cached_uuid != NULL ? f->cached_uuid : "")) == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Whether every string we put in the file is UTF-8 jansson accepts. */
static int
strings_ok(const struct mlab_file *f)
{
	const char *s[] = { f->uuid, f->version, f->cached_uuid, f->hostname };

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		json_t *j;

		if (s[i] == NULL)
			continue;
		if ((j = json_string(s[i])) == NULL)
			return 0;
		json_decref(j);
	}
	return 1;
}

static int
trace_ok(const json_t *trace)
{
	const char *type;

	if (!json_is_object(trace))
		return 0;
	type = json_string_value(json_object_get(trace, "type"));
	return type != NULL &&
	    (strcmp(type, "trace") == 0 || strcmp(type, "tracelb") == 0);
}

/* Text made by our own writers from such an object (sched's cache): the
 * type comes first there, and one line is one object. */
static int
trace_text_ok(const char *t)
{
	static const char trace[] = "{\"type\":\"trace\",";
	static const char tracelb[] = "{\"type\":\"tracelb\",";

	return t != NULL && (strncmp(t, trace, sizeof(trace) - 1) == 0 ||
	    strncmp(t, tracelb, sizeof(tracelb) - 1) == 0) &&
	    strchr(t, '\n') == NULL;
}

static int
append_text(char **buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	char *nb;

	if ((nb = realloc(*buf, *len + n + 2)) == NULL)
		return -1;
	memcpy(nb + *len, s, n);
	nb[*len + n] = '\n';
	nb[*len + n + 1] = '\0';
	*buf = nb;
	*len += n + 1;
	return 0;
}

char *
mlab_render(const struct mlab_file *f)
{
	json_t *meta = NULL, *start = NULL, *stop = NULL;
	char *buf = NULL;
	size_t len = 0;
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;

	if (f == NULL || !(f->trace != NULL ? trace_ok(f->trace) :
	    trace_text_ok(f->trace_text)) || !strings_ok(f)) {
		errno = EINVAL;
		return NULL;
	}
	meta = meta_line(f);
	start = cycle_line("cycle-start", f->hostname, "start_time",
	    f->start_time);
	stop = cycle_line("cycle-stop", f->hostname, "stop_time", f->stop_time);
	if (append_line(&buf, &len, meta, flags) == -1 ||
	    append_line(&buf, &len, start, flags) == -1 ||
	    (f->trace != NULL ? append_line(&buf, &len, f->trace,
	    OUT_JSON_FLAGS) : append_text(&buf, &len, f->trace_text)) == -1 ||
	    append_line(&buf, &len, stop, flags) == -1) {
		free(buf);
		buf = NULL;
		errno = ENOMEM;
	}
	json_decref(meta);
	json_decref(start);
	json_decref(stop);
	return buf;
}

/*
 * mkdir -p: create dir and any missing parents.  An EEXIST (another
 * writer won the race, or it was there) is fine if it is a directory.
 * On failure, the path that failed is left in `failed`.
 */
static int
mkdir_p(const char *dir, mode_t mode, char *failed, size_t failedlen)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t len = strlen(dir);
	char *p;

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(buf, dir, len + 1);
	/* Every prefix ending before a '/', then the whole path. */
	for (p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, mode) == 0) {
				/* Exactly the mode whatever the umask: the
				 * pipeline's reader may be another user. */
				(void)chmod(buf, mode);
			} else if (errno == EEXIST) {
				if (stat(buf, &st) == -1)
					goto fail_at;
				if (!S_ISDIR(st.st_mode)) {
					errno = ENOTDIR;
					goto fail_at;
				}
			} else
				goto fail_at;
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	return 0;
fail_at:
	snprintf(failed, failedlen, "%s", buf);
	return -1;
fail:
	snprintf(failed, failedlen, "%s", dir);
	return -1;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_retry(int fd)
{
	int r;

	while ((r = fsync(fd)) == -1 && errno == EINTR)
		;
	return r;
}

/* fsync a directory so the rename is durable.  Filesystems that cannot
 * fsync a directory (EINVAL, ENOTSUP) are not an error. */
static int
fsync_dir(const char *dir)
{
	int fd, r, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync_retry(fd);
	saved = errno;
	close(fd);
	if (r == -1 && (saved == EINVAL || saved == ENOTSUP))
		r = 0;
	errno = saved;
	return r;
}

/* The directory, the name and the full path of a file; 0, or -1 with
 * errno (EINVAL, ENAMETOOLONG) and a message. */
static int
file_names(const char *root, const char *uuid, time_t name_time,
    char *dir, char *name, char *final, char *err, size_t errlen)
{
	size_t rootlen;
	struct tm tm;
	int n;

	if (root == NULL || *root == '\0') {
		errno = EINVAL;
		errbuf_set(err, errlen, "no output directory or file");
		return -1;
	}
	if (!mlab_uuid_ok(uuid)) {
		errno = EINVAL;
		errbuf_set(err, errlen, "invalid UUID for a file name");
		return -1;
	}
	/* Four-digit years only: the name's format has no room for more. */
	if (gmtime_r(&name_time, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > 9999) {
		errno = EINVAL;
		errbuf_set(err, errlen, "%s: time out of range", uuid);
		return -1;
	}
	/* No doubled '/' in the names we log: drop the root's trailing
	 * slashes ("/" becomes "", so the directory is "/YYYY/MM/DD"). */
	rootlen = strlen(root);
	while (rootlen > 0 && root[rootlen - 1] == '/')
		rootlen--;
	if (rootlen > INT_MAX)
		goto toolong;
	n = snprintf(dir, PATH_MAX, "%.*s/%04d/%02d/%02d", (int)rootlen,
	    root, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (n < 0 || n >= PATH_MAX)
		goto toolong;
	n = snprintf(name, NAME_MAX + 1, "%04d%02d%02dT%02d%02d%02dZ_%s.jsonl",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, uuid);
	if (n < 0 || n >= NAME_MAX + 1)
		goto toolong;
	n = snprintf(final, PATH_MAX, "%s/%s", dir, name);
	if (n < 0 || n >= PATH_MAX)
		goto toolong;
	return 0;
toolong:
	errno = ENAMETOOLONG;
	errbuf_set(err, errlen, "%s: path too long under %s", uuid, root);
	return -1;
}

int
mlab_path(const char *root, const char *uuid, time_t name_time, char *path,
    size_t pathlen)
{
	char dir[PATH_MAX], name[NAME_MAX + 1], final[PATH_MAX];

	if (file_names(root, uuid, name_time, dir, name, final, NULL, 0) == -1)
		return -1;
	if (strlen(final) >= pathlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, final, strlen(final) + 1);
	return 0;
}

int
mlab_write(const char *root, const struct mlab_file *f, char *path,
    size_t pathlen, char *err, size_t errlen)
{
	char dir[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX], failed[PATH_MAX];
	char name[NAME_MAX + 1];
	const char *step = NULL, *stepath = NULL;
	char *content = NULL;
	mode_t mode;
	int fd = -1, tmp_made = 0, linked = 0, saved, tries, n;

	if (path != NULL && pathlen > 0)
		path[0] = '\0';
	if (f == NULL) {
		errno = EINVAL;
		errbuf_set(err, errlen, "no output directory or file");
		return -1;
	}
	if (file_names(root, f->uuid, f->name_time, dir, name, final, err,
	    errlen) == -1)
		return -1;
	if (path != NULL && pathlen > 0) {
		if (strlen(final) >= pathlen) {
			errno = ENAMETOOLONG;
			errbuf_set(err, errlen, "%s: path too long under %s",
			    f->uuid, root);
			return -1;
		}
		memcpy(path, final, strlen(final) + 1);
	}
	mode = f->mode != 0 ? f->mode & 0777 : MLAB_FILE_MODE;

	if ((content = mlab_render(f)) == NULL) {
		saved = errno;
		errbuf_set(err, errlen, "%s: %s", final,
		    saved == EINVAL ? "not a trace object, or a string is "
		    "not UTF-8" : strerror(saved));
		errno = saved;
		return -1;
	}

	/* Open the temporary file; create the directories only when the
	 * open says they are missing (the common case needs no mkdir). */
	for (tries = 0;; tries++) {
		n = snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%ld.%lu", dir, name,
		    (long)getpid(), ++tmp_counter);
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			step = "open";
			stepath = tmp;
			goto fail;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd != -1)
			break;
		if (errno == ENOENT && tries == 0) {
			if (mkdir_p(dir, dir_mode(mode), failed,
			    sizeof(failed)) == -1) {
				step = "mkdir";
				stepath = failed;
				goto fail;
			}
			continue;
		}
		if (errno == EEXIST && tries < 8)
			continue;
		step = "open";
		stepath = tmp;
		goto fail;
	}
	tmp_made = 1;
	stepath = tmp;
	/* Exactly the mode whatever the umask. */
	if (fchmod(fd, mode) == -1) {
		step = "fchmod";
		goto fail;
	}
	if (write_all(fd, content, strlen(content)) == -1) {
		step = "write";
		goto fail;
	}
	if (!f->nosync && fsync_retry(fd) == -1) {
		step = "fsync";
		goto fail;
	}
	if (close(fd) == -1 && errno != EINTR) {
		fd = -1;
		step = "close";
		goto fail;
	}
	fd = -1;
	/* link, not rename: an existing file (a reused UUID in the same
	 * second) is never replaced (EEXIST). */
	if (link(tmp, final) == -1) {
		step = errno == EEXIST ? "exists, not replaced:" : "link";
		stepath = final;
		goto fail;
	}
	linked = 1;
	if (unlink(tmp) == -1) {
		step = "unlink";
		goto fail;
	}
	tmp_made = 0;
	if (!f->nosync && fsync_dir(dir) == -1) {
		step = "fsync directory";
		stepath = dir;
		goto fail;
	}
	free(content);
	return 0;

fail:
	saved = errno;
	errbuf_set(err, errlen, "%s %s: %s", step, stepath, strerror(saved));
	if (fd != -1)
		close(fd);
	if (tmp_made)
		unlink(tmp);
	/* -1 means no file: a link that cannot be made durable is
	 * undone rather than left half-committed. */
	if (linked)
		unlink(final);
	free(content);
	errno = saved;
	return -1;
}
