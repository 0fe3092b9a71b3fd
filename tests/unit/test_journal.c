/* test_journal: the journal of accepted requests (no event loop: every
 * append is synced at once). */
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/journal.h"
#include "t.h"

static char dir[PATH_MAX], path[PATH_MAX + 32];

static void
rec_init(struct journal_rec *r, const char *uuid, const char *ip, long when)
{
	memset(r, 0, sizeof(*r));
	T_EQ_INT(addr_pton(ip, &r->client), 0);
	r->when = when;
	r->client_port = 40000;
	r->server_port = 443;
	snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
}

static long
file_size(void)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void
append_raw(const char *s)
{
	FILE *f = fopen(path, "a");

	T_CHECK(f != NULL);
	if (f != NULL) {
		fputs(s, f);
		fclose(f);
	}
}

/* "<crc> body" as journal.c writes it (FNV-1a of the body). */
static int
parse_body(const char *body, struct journal_rec *r)
{
	char line[600];
	uint32_t h = 2166136261u;

	for (const char *p = body; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	snprintf(line, sizeof(line), "%08x %s", (unsigned)h, body);
	return journal_parse(line, strlen(line), r);
}

static void
test_parse(void)
{
	struct journal_rec r;
	/* Built by journal_add in test_roundtrip; here the rules. */
	T_EQ_INT(journal_parse("", 0, &r), -1);
	T_EQ_INT(journal_parse("00000000 D 1", 12, &r), -1);	/* bad crc */
	T_EQ_INT(journal_parse("zzzzzzzz D 1", 12, &r), -1);
	/* The measurement kind, and lines of versions without it. */
	T_EQ_INT(parse_body("A 1 5 198.18.0.1 0 0 mda:- u1", &r), 'A');
	T_EQ_STR(r.kind, "mda");
	T_EQ_STR(r.method, "");
	T_EQ_INT(parse_body("A 1 5 198.18.0.1 0 0 paris:udp-paris u1", &r),
	    'A');
	T_EQ_STR(r.kind, "paris");
	T_EQ_STR(r.method, "udp-paris");
	T_EQ_INT(parse_body("A 1 5 198.18.0.1 0 0 udp-paris u1", &r), 'A');
	T_EQ_STR(r.kind, "");
	T_EQ_STR(r.method, "udp-paris");
	T_EQ_INT(parse_body("A 1 5 198.18.0.1 0 0 - u1", &r), 'A');
	T_EQ_STR(r.kind, "");
	T_EQ_STR(r.method, "");
	T_EQ_INT(parse_body("A 1 5 198.18.0.1 0 0 :- u1", &r), -1);
	T_EQ_INT(parse_body("A 1 5 198.18.0.1 0 0 mda: u1", &r), -1);
	T_EQ_INT(parse_body("A 1 5 198.18.0.1 0 0 toolongkind:- u1", &r), -1);
}

static void
test_roundtrip(void)
{
	struct journal *j;
	struct journal_rec r;
	const struct journal_rec *found;
	char err[256];
	uint64_t id1, id2, id3;
	size_t n;

	unlink(path);
	j = journal_open(NULL, path, err, sizeof(err));
	T_CHECK(j != NULL);
	if (j == NULL)
		return;
	journal_found(j, &n);
	T_EQ_INT(n, 0);
	rec_init(&r, "u-1", "198.18.0.1", 1700000000);
	id1 = journal_add(j, &r);
	rec_init(&r, "u 2 with spaces", "2001:db8::2", 1700000001);
	snprintf(r.method, sizeof(r.method), "udp-paris");
	id2 = journal_add(j, &r);
	rec_init(&r, "u-3", "198.18.0.3", 1700000002);
	snprintf(r.kind, sizeof(r.kind), "mda");
	id3 = journal_add(j, &r);
	T_CHECK(id1 != 0 && id2 == id1 + 1 && id3 == id2 + 1);
	journal_done(j, id1);
	journal_done(j, id1);		/* twice: nothing */
	T_EQ_INT(journal_stats(j)->live, 2);
	/* As after kill -9: no close. */
	journal_sync(j);

	{
		struct journal *k = journal_open(NULL, path, err, sizeof(err));

		T_CHECK(k != NULL);
		if (k == NULL)
			goto out;
		found = journal_found(k, &n);
		T_EQ_INT(n, 2);
		if (n == 2) {
			char ip[64];

			T_EQ_INT(found[0].id, id2);
			T_EQ_STR(found[0].uuid, "u 2 with spaces");
			T_EQ_STR(found[0].method, "udp-paris");
			T_EQ_INT(found[0].when, 1700000001);
			T_EQ_INT(found[0].client_port, 40000);
			T_EQ_INT(found[0].server_port, 443);
			addr_ntop(&found[0].client, ip, sizeof(ip));
			T_EQ_STR(ip, "2001:db8::2");
			T_EQ_STR(found[0].kind, "paris");
			T_EQ_STR(found[1].uuid, "u-3");
			T_EQ_STR(found[1].method, "");
			T_EQ_STR(found[1].kind, "mda");
		}
		T_EQ_INT(journal_stats(k)->bad_lines, 0);
		/* New ids continue after the old ones. */
		rec_init(&r, "u-4", "198.18.0.4", 1700000003);
		T_CHECK(journal_add(k, &r) > id3);
		journal_found_free(k);
		journal_close(k);
	}
out:
	journal_close(j);
}

/* A torn last line (a crash in mid-write) and a corrupt one: counted,
 * skipped, the rest read; appends after it start on a fresh line. */
static void
test_torn(void)
{
	struct journal *j;
	struct journal_rec r;
	char err[256];
	size_t n;
	uint64_t id;

	unlink(path);
	j = journal_open(NULL, path, err, sizeof(err));
	T_CHECK(j != NULL);
	if (j == NULL)
		return;
	rec_init(&r, "t-1", "198.18.0.1", 1700000000);
	journal_add(j, &r);
	journal_close(j);
	append_raw("12345678 A 7 1700000000 198.18.0.9 1 2 - forged\n");
	append_raw("deadbeef A 99 17000");
	j = journal_open(NULL, path, err, sizeof(err));
	T_CHECK(j != NULL);
	if (j == NULL)
		return;
	journal_found(j, &n);
	T_EQ_INT(n, 1);
	T_EQ_INT(journal_stats(j)->bad_lines, 2);
	rec_init(&r, "t-2", "198.18.0.2", 1700000001);
	id = journal_add(j, &r);
	T_CHECK(id != 0);
	journal_close(j);
	j = journal_open(NULL, path, err, sizeof(err));
	T_CHECK(j != NULL);
	if (j == NULL)
		return;
	journal_found(j, &n);
	T_EQ_INT(n, 2);
	T_EQ_INT(journal_stats(j)->bad_lines, 0);
	journal_close(j);
}

/* Size stays bounded through many requests with a few pending; empty
 * once nothing is pending at close. */
static void
test_bounded(void)
{
	struct journal *j;
	struct journal_rec r;
	char err[256], uuid[64];
	uint64_t ids[16] = { 0 };
	long max = 0;
	size_t n;

	unlink(path);
	j = journal_open(NULL, path, err, sizeof(err));
	T_CHECK(j != NULL);
	if (j == NULL)
		return;
	for (int i = 0; i < 20000; i++) {
		snprintf(uuid, sizeof(uuid), "b-%d", i);
		rec_init(&r, uuid, "198.18.0.1", 1700000000 + i);
		if (ids[i % 16] != 0)
			journal_done(j, ids[i % 16]);
		ids[i % 16] = journal_add(j, &r);
		if (file_size() > max)
			max = file_size();
	}
	T_EQ_INT(journal_stats(j)->live, 16);
	T_CHECK(journal_stats(j)->rewrites > 0);
	/* 16 live lines of ~60 bytes: within slack + twice that + a line. */
	T_CHECK(max <= JOURNAL_SLACK + 2 * 16 * 80 + 128);
	fprintf(stderr, "bounded: 20000 requests, 16 pending, largest journal "
	    "%ld bytes, %llu rewrites\n", max,
	    (unsigned long long)journal_stats(j)->rewrites);
	journal_close(j);
	j = journal_open(NULL, path, err, sizeof(err));
	journal_found(j, &n);
	T_EQ_INT(n, 16);
	for (int i = 0; i < 16; i++)
		journal_done(j, journal_found(j, &n)[i].id);
	journal_close(j);
	T_EQ_INT(file_size(), 0);
}

int
main(void)
{
	const char *tmpdir = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_journal.XXXXXX",
	    tmpdir != NULL ? tmpdir : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, JOURNAL_NAME);
	test_parse();
	test_roundtrip();
	test_torn();
	test_bounded();
	unlink(path);
	rmdir(dir);
	return T_DONE();
}
