/* journal: accepted requests on disk until their file lands. */
#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/journal.h"
#include "util/log.h"

#define LIVE_BUCKETS	4096

struct live {
	struct live *hnext;
	TAILQ_ENTRY(live) entry;	/* oldest first */
	uint64_t id;
	size_t len;
	char line[];			/* with its '\n' */
};
TAILQ_HEAD(liveq, live);

struct journal {
	char *path, *tmp, *dir;
	int fd;
	struct event *sync_ev;
	int dirty;
	uint64_t next_id;
	struct live *hash[LIVE_BUCKETS];
	struct liveq live;
	size_t live_bytes;
	struct journal_rec *found;
	size_t nfound;
	struct journal_stats st;
};

static uint32_t
fnv1a(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 16777619u;
	}
	return h;
}

/* --- parsing (pure) ------------------------------------------------------- */

static int
parse_u64(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s < end && *s != ' ')
		return -1;
	*p = s < end ? s + 1 : s;
	*out = v;
	return 0;
}

/* The next space-free word into buf. */
static int
parse_word(const char **p, const char *end, char *buf, size_t buflen)
{
	const char *s = *p, *e = s;

	while (e < end && *e != ' ')
		e++;
	if (e == s || e >= end || (size_t)(e - s) >= buflen)
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	*p = e + 1;
	return 0;
}

/* "<kind>:<method|->", or an old line's "<method|->" (kind ""). */
static int
parse_kind_method(const char *word, struct journal_rec *rec)
{
	const char *colon = strchr(word, ':'), *method = word;

	if (colon != NULL) {
		if (colon == word ||
		    (size_t)(colon - word) >= sizeof(rec->kind))
			return -1;
		memcpy(rec->kind, word, (size_t)(colon - word));
		rec->kind[colon - word] = '\0';
		method = colon + 1;
	}
	if (*method == '\0' || strlen(method) >= sizeof(rec->method))
		return -1;
	if (strcmp(method, "-") != 0)
		strcpy(rec->method, method);
	return 0;
}

int
journal_parse(const char *line, size_t len, struct journal_rec *rec)
{
	const char *p, *end = line + len;
	char word[64];
	uint64_t v, crc;
	char kind;

	memset(rec, 0, sizeof(*rec));
	if (len < 12 || len > JOURNAL_LINE_MAX || line[8] != ' ')
		return -1;
	crc = 0;
	for (int i = 0; i < 8; i++) {
		char c = line[i];

		if (c >= '0' && c <= '9')
			crc = crc << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			crc = crc << 4 | (uint64_t)(c - 'a' + 10);
		else
			return -1;
	}
	if (crc != fnv1a(line + 9, len - 9))
		return -1;
	p = line + 9;
	kind = *p;
	if ((kind != 'A' && kind != 'D') || p + 1 >= end || p[1] != ' ')
		return -1;
	p += 2;
	if (parse_u64(&p, end, UINT64_MAX, &rec->id) == -1 || rec->id == 0)
		return -1;
	if (kind == 'D')
		return p == end ? 'D' : -1;
	if (parse_u64(&p, end, (uint64_t)INT64_MAX, &v) == -1)
		return -1;
	rec->when = (time_t)v;
	if (parse_word(&p, end, word, sizeof(word)) == -1 ||
	    addr_pton(word, &rec->client) == -1)
		return -1;
	if (parse_u64(&p, end, 65535, &v) == -1)
		return -1;
	rec->client_port = (uint16_t)v;
	if (parse_u64(&p, end, 65535, &v) == -1)
		return -1;
	rec->server_port = (uint16_t)v;
	if (parse_word(&p, end, word, sizeof(word)) == -1 ||
	    parse_kind_method(word, rec) == -1)
		return -1;
	/* The UUID is the rest of the line (it may hold spaces). */
	if (mlab_uuid_problem(p, (size_t)(end - p)) != NULL)
		return -1;
	memcpy(rec->uuid, p, (size_t)(end - p));
	rec->uuid[end - p] = '\0';
	return 'A';
}

/* "<crc> <body>\n" into buf; its length, 0 when it does not fit. */
static size_t
format_line(char *buf, size_t buflen, const char *body)
{
	size_t blen = strlen(body);
	int n;

	if (blen + 10 > buflen)
		return 0;
	n = snprintf(buf, buflen, "%08" PRIx32 " %s\n", fnv1a(body, blen), body);
	return n > 0 && (size_t)n < buflen ? (size_t)n : 0;
}

/* --- the live set ------------------------------------------------------- */

static struct live **
live_slot(struct journal *j, uint64_t id)
{
	struct live **pp = &j->hash[id & (LIVE_BUCKETS - 1)];

	while (*pp != NULL && (*pp)->id != id)
		pp = &(*pp)->hnext;
	return pp;
}

static int
live_add(struct journal *j, uint64_t id, const char *line, size_t len)
{
	struct live **pp = live_slot(j, id), *l;

	if (*pp != NULL)
		return 0;	/* a repeated A line: the first stands */
	if ((l = malloc(sizeof(*l) + len)) == NULL)
		return -1;
	l->hnext = NULL;
	l->id = id;
	l->len = len;
	memcpy(l->line, line, len);
	*pp = l;
	TAILQ_INSERT_TAIL(&j->live, l, entry);
	j->live_bytes += len;
	j->st.live++;
	return 0;
}

static int
live_remove(struct journal *j, uint64_t id)
{
	struct live **pp = live_slot(j, id), *l = *pp;

	if (l == NULL)
		return -1;
	*pp = l->hnext;
	TAILQ_REMOVE(&j->live, l, entry);
	j->live_bytes -= l->len;
	j->st.live--;
	free(l);
	return 0;
}

/* --- the file ------------------------------------------------------------ */

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
sync_now(struct journal *j)
{
	if (!j->dirty || j->fd == -1)
		return;
	j->dirty = 0;
	if (fdatasync(j->fd) == -1) {
		log_warn("journal %s: fdatasync", j->path);
		j->st.errors++;
	}
}

static void
sync_cb(evutil_socket_t fd, short what, void *arg)
{
	sync_now(arg);
}

static void
mark_dirty(struct journal *j)
{
	struct timeval tv = { 0, JOURNAL_SYNC_MS * 1000 };

	if (j->sync_ev == NULL) {
		j->dirty = 1;
		sync_now(j);
		return;
	}
	if (!j->dirty)
		evtimer_add(j->sync_ev, &tv);
	j->dirty = 1;
}

static int
fsync_dir(const char *dir)
{
	int fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	if (r == -1 && (errno == EINVAL || errno == ENOTSUP))
		r = 0;
	close(fd);
	return r;
}

/*
 * The live requests alone, to a temporary file that replaces the journal
 * (fsync'd, then the directory): a crash leaves the old or the new one.
 */
static int
rewrite(struct journal *j)
{
	struct live *l;
	int fd, nfd = -1;

	if ((fd = open(j->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	TAILQ_FOREACH(l, &j->live, entry)
		if (write_all(fd, l->line, l->len) == -1)
			goto fail;
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(j->tmp, j->path) == -1)
		goto fail;
	if (fsync_dir(j->dir) == -1)
		log_warn("journal: fsync %s", j->dir);
	nfd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	/* The old descriptor names the replaced file: never write there. */
	if (j->fd != -1)
		close(j->fd);
	if ((j->fd = nfd) == -1)
		goto fail;
	j->dirty = 0;
	j->st.bytes = j->live_bytes;
	j->st.rewrites++;
	return 0;
fail:
	log_warn("journal: rewriting %s", j->path);
	j->st.errors++;
	if (fd != -1)
		close(fd);
	unlink(j->tmp);
	return -1;
}

static void
append(struct journal *j, const char *line, size_t len)
{
	if (j->fd == -1 || write_all(j->fd, line, len) == -1) {
		if (j->st.errors++ == 0 || j->fd != -1)
			log_warn("journal %s: write", j->path);
		return;
	}
	j->st.bytes += len;
	mark_dirty(j);
}

uint64_t
journal_add(struct journal *j, struct journal_rec *rec)
{
	char body[JOURNAL_LINE_MAX], line[JOURNAL_LINE_MAX + 16], ip[64];
	size_t len;
	int n;

	addr_ntop(&rec->client, ip, sizeof(ip));
	rec->id = j->next_id;
	n = snprintf(body, sizeof(body), "A %" PRIu64 " %lld %s %u %u %s:%s %s",
	    rec->id, (long long)rec->when, ip, rec->client_port,
	    rec->server_port, rec->kind[0] != '\0' ? rec->kind : "paris",
	    rec->method[0] != '\0' ? rec->method : "-", rec->uuid);
	if (n < 0 || (size_t)n >= sizeof(body) ||
	    (len = format_line(line, sizeof(line), body)) == 0 ||
	    live_add(j, rec->id, line, len) == -1) {
		j->st.errors++;
		return 0;
	}
	j->next_id++;
	append(j, line, len);
	j->st.appended++;
	return rec->id;
}

void
journal_done(struct journal *j, uint64_t id)
{
	char body[64], line[96];
	size_t len;

	if (j == NULL || id == 0 || live_remove(j, id) == -1)
		return;
	j->st.done++;
	if (j->st.live == 0 && j->st.bytes >= 4096) {
		/* Nothing live: empty the file (cheaper than a rewrite). */
		if (ftruncate(j->fd, 0) == 0) {
			j->st.bytes = 0;
			mark_dirty(j);
			return;
		}
		log_warn("journal %s: ftruncate", j->path);
		j->st.errors++;
	}
	snprintf(body, sizeof(body), "D %" PRIu64, id);
	if ((len = format_line(line, sizeof(line), body)) == 0)
		return;
	append(j, line, len);
	if (j->st.bytes > JOURNAL_SLACK + 2 * (uint64_t)j->live_bytes)
		rewrite(j);
}

void
journal_sync(struct journal *j)
{
	if (j != NULL)
		sync_now(j);
}

const struct journal_stats *
journal_stats(const struct journal *j)
{
	return &j->st;
}

const struct journal_rec *
journal_found(const struct journal *j, size_t *n)
{
	*n = j->nfound;
	return j->found;
}

void
journal_found_free(struct journal *j)
{
	free(j->found);
	j->found = NULL;
	j->nfound = 0;
}

/* Every line of the old journal: A lines join the live set, D lines leave
 * it; what does not parse is counted (a torn last line, a bad block). */
static int
load(struct journal *j, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t max_id = 0;
	struct journal_rec rec;
	struct live *l;
	size_t i = 0;

	while ((n = getline(&line, &cap, f)) != -1) {
		int kind = -1;

		if (n > 0 && line[n - 1] == '\n')
			kind = journal_parse(line, (size_t)n - 1, &rec);
		if (kind == -1) {
			j->st.bad_lines++;
			continue;
		}
		if (rec.id > max_id)
			max_id = rec.id;
		if (kind == 'D')
			live_remove(j, rec.id);
		else if (live_add(j, rec.id, line, (size_t)n) == -1)
			goto fail;
	}
	free(line);
	line = NULL;
	if (ferror(f))
		goto fail;
	j->next_id = max_id + 1;
	if (j->st.live > 0 &&
	    (j->found = calloc(j->st.live, sizeof(*j->found))) == NULL)
		goto fail;
	TAILQ_FOREACH(l, &j->live, entry)
		journal_parse(l->line, l->len - 1, &j->found[i++]);
	j->nfound = i;
	return 0;
fail:
	free(line);
	return -1;
}

struct journal *
journal_open(struct event_base *base, const char *path, char *err,
    size_t errlen)
{
	struct journal *j;
	FILE *f;
	char *slash;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto nomem;
	j->fd = -1;
	j->next_id = 1;
	TAILQ_INIT(&j->live);
	if ((j->path = strdup(path)) == NULL ||
	    asprintf(&j->tmp, "%s.tmp", path) == -1 ||
	    (j->dir = strdup(path)) == NULL) {
		j->tmp = NULL;
		goto nomem;
	}
	if ((slash = strrchr(j->dir, '/')) == NULL)
		strcpy(j->dir, ".");
	else if (slash == j->dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (base != NULL &&
	    (j->sync_ev = evtimer_new(base, sync_cb, j)) == NULL)
		goto nomem;
	if ((f = fopen(path, "re")) != NULL) {
		int rc = load(j, f);

		fclose(f);
		if (rc == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	/* Start from the live requests alone (also drops a torn tail, which
	 * appends would otherwise extend). */
	if (rewrite(j) == -1) {
		snprintf(err, errlen, "%s: cannot write it: %s", path,
		    strerror(errno));
		goto fail;
	}
	j->st.rewrites = 0;
	return j;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	journal_close(j);
	return NULL;
}

void
journal_close(struct journal *j)
{
	struct live *l;

	if (j == NULL)
		return;
	if (j->fd != -1) {
		if (j->st.live == 0 && j->st.bytes > 0 && ftruncate(j->fd, 0) == 0)
			j->dirty = 1;
		sync_now(j);
		close(j->fd);
	}
	while ((l = TAILQ_FIRST(&j->live)) != NULL) {
		TAILQ_REMOVE(&j->live, l, entry);
		free(l);
	}
	if (j->sync_ev != NULL)
		event_free(j->sync_ev);
	free(j->found);
	free(j->path);
	free(j->tmp);
	free(j->dir);
	free(j);
}
