/* test_mlab: the 4-line files M-Lab's pipeline reads, written atomically. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/mlab.h"
#include "output/out.h"
#include "t.h"

#define UUID1	"ndt-plh7v_1566691298_00000000000ABCDE"
#define UUID2	"ndt-plh7v_1566691298_00000000000ABCDF"
/* 2021-12-08 21:46:03 UTC */
#define T0	1638999963

static const char line1[] =
    "{\"UUID\":\"" UUID1 "\",\"TracerouteCallerVersion\":\"hoplite-0.1.0\","
    "\"CachedResult\":false,\"CachedUUID\":\"\"}\n";
static const char line1_cached[] =
    "{\"UUID\":\"" UUID2 "\",\"TracerouteCallerVersion\":\"hoplite-0.1.0\","
    "\"CachedResult\":true,\"CachedUUID\":\"" UUID1 "\"}\n";
static const char line2[] =
    "{\"type\":\"cycle-start\",\"list_name\":\"default\",\"id\":0,"
    "\"hostname\":\"mlab1-abc01\",\"start_time\":1638999963}\n";
/* Keys in insertion order, reals at 10 significant digits. */
static const char line3[] =
    "{\"type\":\"trace\",\"version\":\"0.1\",\"method\":\"icmp-echo-paris\","
    "\"src\":\"192.0.2.10\",\"dst\":\"198.51.100.23\",\"hops\":[{\"addr\":"
    "\"192.0.2.1\",\"probe_ttl\":1,\"rtt\":0.07,\"tx\":{\"sec\":1638999963,"
    "\"usec\":788025}},{\"addr\":\"198.51.100.23\",\"probe_ttl\":2,"
    "\"rtt\":12.345}]}\n";
static const char line4[] =
    "{\"type\":\"cycle-stop\",\"list_name\":\"default\",\"id\":0,"
    "\"hostname\":\"mlab1-abc01\",\"stop_time\":1638999984}\n";

static char top[PATH_MAX];	/* this run's scratch directory */
static const char *checker;	/* mlab_check.py, if found */
static const char *python = "python3";

static json_t *
make_trace(void)
{
	json_t *t;
	json_error_t e;

	/* Parsed rather than built so the key order is the text's. */
	t = json_loads(line3, 0, &e);
	T_CHECK(t != NULL);
	return t;
}

static void
init_file(struct mlab_file *f, const json_t *trace)
{
	memset(f, 0, sizeof(*f));
	f->uuid = UUID1;
	f->version = "hoplite-0.1.0";
	f->cached = 0;
	f->cached_uuid = "";
	f->hostname = "mlab1-abc01";
	f->start_time = T0;
	f->stop_time = T0 + 21;
	f->name_time = T0;
	f->trace = trace;
}

/* snprintf into a path buffer; a test path never needs truncating. */
static void
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "test path too long\n");
		exit(99);
	}
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (fp == NULL)
		return NULL;
	do {
		char *nb;

		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* Every entry under dir, recursively: files counted, names checked. */
struct census {
	int files, jsonl, tmp, dirs;
};

static void
walk(const char *dir, struct census *c)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[PATH_MAX];
		struct stat st;
		size_t n;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		pathf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode)) {
			c->dirs++;
			walk(p, c);
			continue;
		}
		c->files++;
		n = strlen(de->d_name);
		if (n > 6 && strcmp(de->d_name + n - 6, ".jsonl") == 0 &&
		    de->d_name[0] != '.')
			c->jsonl++;
		if (strstr(de->d_name, ".tmp.") != NULL)
			c->tmp++;
	}
	closedir(d);
}

static struct census
census_of(const char *dir)
{
	struct census c = { 0, 0, 0, 0 };

	walk(dir, &c);
	return c;
}

/* rm -r, for a scratch directory. */
static void
rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char p[PATH_MAX];

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			pathf(p, sizeof(p), "%s/%s", path, de->d_name);
			rm_rf(p);
		}
		closedir(d);
	}
	rmdir(path);
}

static void
scratch(char *buf, size_t len, const char *name)
{
	pathf(buf, len, "%s/%s", top, name);
	rm_rf(buf);
}

/* Run the M-Lab rules checker on a file, when it and python3 are here. */
static void
mlab_check(const char *path)
{
	char cmd[PATH_MAX * 3 + 64];
	int st;

	if (checker == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "'%s' '%s' --name -q '%s'", python,
	    checker, path);
	st = system(cmd);
	T_CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_uuid_ok(void)
{
	char big[MLAB_UUID_MAX + 2];

	T_CHECK(mlab_uuid_ok(UUID1));
	T_CHECK(mlab_uuid_ok("x"));
	T_CHECK(mlab_uuid_ok("..."));
	T_CHECK(mlab_uuid_ok(".hidden"));
	T_CHECK(mlab_uuid_ok("with space"));
	T_CHECK(mlab_uuid_ok("caf\xc3\xa9"));		/* U+00E9 */
	T_CHECK(mlab_uuid_ok("\xf0\x9f\x98\x80"));	/* U+1F600 */
	T_CHECK(!mlab_uuid_ok(NULL));
	T_CHECK(!mlab_uuid_ok(""));
	T_CHECK(!mlab_uuid_ok("."));
	T_CHECK(!mlab_uuid_ok(".."));
	T_CHECK(!mlab_uuid_ok("a/b"));
	T_CHECK(!mlab_uuid_ok("/"));
	T_CHECK(!mlab_uuid_ok("a\nb"));
	T_CHECK(!mlab_uuid_ok("a\tb"));
	T_CHECK(!mlab_uuid_ok("a\x7f"));
	T_CHECK(!mlab_uuid_ok("\xff"));			/* not UTF-8 */
	T_CHECK(!mlab_uuid_ok("\xc3"));			/* truncated */
	T_CHECK(!mlab_uuid_ok("\xc0\xaf"));		/* overlong '/' */
	T_CHECK(!mlab_uuid_ok("\xed\xa0\x80"));		/* surrogate */
	T_CHECK(!mlab_uuid_ok("\xf4\x90\x80\x80"));	/* > U+10FFFF */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_CHECK(!mlab_uuid_ok(big));
	big[MLAB_UUID_MAX] = '\0';
	T_CHECK(mlab_uuid_ok(big));
}

static void
test_render(void)
{
	struct mlab_file f;
	json_t *trace = make_trace();
	char want[4096], *got;

	init_file(&f, trace);
	snprintf(want, sizeof(want), "%s%s%s%s", line1, line2, line3, line4);
	got = mlab_render(&f);
	T_EQ_STR(got, want);
	free(got);

	f.uuid = UUID2;
	f.cached = 1;
	f.cached_uuid = UUID1;
	snprintf(want, sizeof(want), "%s%s%s%s", line1_cached, line2, line3,
	    line4);
	got = mlab_render(&f);
	T_EQ_STR(got, want);
	free(got);

	/* NULL strings are written as "". */
	init_file(&f, trace);
	f.version = NULL;
	f.cached_uuid = NULL;
	f.hostname = NULL;
	got = mlab_render(&f);
	T_CHECK(got != NULL && strstr(got, "\"TracerouteCallerVersion\":\"\","
	    "\"CachedResult\":false,\"CachedUUID\":\"\"}\n") != NULL);
	T_CHECK(got != NULL && strstr(got, "\"hostname\":\"\",") != NULL);
	free(got);

	/* Strings are escaped by jansson, not pasted. */
	init_file(&f, trace);
	f.hostname = "a\"b\\c";
	got = mlab_render(&f);
	T_CHECK(got != NULL &&
	    strstr(got, "\"hostname\":\"a\\\"b\\\\c\"") != NULL);
	free(got);

	/* Not a trace: EINVAL. */
	init_file(&f, NULL);
	errno = 0;
	T_CHECK(mlab_render(&f) == NULL);
	T_EQ_INT(errno, EINVAL);
	{
		json_t *bad = json_pack("{s:s}", "type", "ping");
		json_t *arr = json_array();

		init_file(&f, bad);
		errno = 0;
		T_CHECK(mlab_render(&f) == NULL);
		T_EQ_INT(errno, EINVAL);
		init_file(&f, arr);
		T_CHECK(mlab_render(&f) == NULL);
		json_decref(bad);
		json_decref(arr);
	}
	/* Not UTF-8: EINVAL. */
	init_file(&f, trace);
	f.hostname = "\xff";
	errno = 0;
	T_CHECK(mlab_render(&f) == NULL);
	T_EQ_INT(errno, EINVAL);
	json_decref(trace);
}

/* Line 3 of M-Lab's own file round-trips byte for byte. */
static void
test_shared_data(void)
{
	const char *srcdir = getenv("top_srcdir");
	char path[PATH_MAX], *data, *l3, *l3end, *got, *nl;
	struct mlab_file f;
	json_error_t e;
	json_t *trace;

	snprintf(path, sizeof(path),
	    "%s/../shared/data/mlab-scamper2/valid-simple.jsonl",
	    srcdir != NULL ? srcdir : ".");
	if ((data = slurp(path, NULL)) == NULL) {
		fprintf(stderr, "skip: %s not found\n", path);
		return;
	}
	l3 = data;
	for (int i = 0; i < 2 && l3 != NULL; i++)
		if ((l3 = strchr(l3, '\n')) != NULL)
			l3++;
	T_CHECK(l3 != NULL);
	if (l3 == NULL)
		goto done;
	l3end = strchr(l3, '\n');
	T_CHECK(l3end != NULL);
	if (l3end == NULL)
		goto done;
	trace = json_loadb(l3, (size_t)(l3end - l3), 0, &e);
	T_CHECK(trace != NULL);
	init_file(&f, trace);
	got = mlab_render(&f);
	T_CHECK(got != NULL);
	if (got != NULL) {
		/* Third line of ours == third line of theirs. */
		char *g3 = strchr(strchr(got, '\n') + 1, '\n') + 1;

		nl = strchr(g3, '\n');
		T_EQ_INT(nl - g3, l3end - l3);
		T_CHECK(nl - g3 == l3end - l3 &&
		    memcmp(g3, l3, (size_t)(l3end - l3)) == 0);
	}
	free(got);
	json_decref(trace);
done:
	free(data);
}

static void
test_write(void)
{
	struct mlab_file f;
	json_t *trace = make_trace();
	char root[PATH_MAX], path[PATH_MAX], want_path[PATH_MAX], err[512];
	char want[4096], *got;
	struct census c;
	struct stat st;
	size_t len;
	mode_t old;

	/* A root that does not exist yet, several levels down, with a
	 * trailing slash, under a umask that would hide the files. */
	scratch(root, sizeof(root), "out");
	strncat(root, "/a/b/", sizeof(root) - strlen(root) - 1);
	old = umask(077);
	init_file(&f, trace);
	T_EQ_INT(mlab_write(root, &f, path, sizeof(path), err, sizeof(err)),
	    0);
	umask(old);
	pathf(want_path, sizeof(want_path),
	    "%s/out/a/b/2021/12/08/20211208T214603Z_" UUID1 ".jsonl", top);
	T_EQ_STR(path, want_path);
	snprintf(want, sizeof(want), "%s%s%s%s", line1, line2, line3, line4);
	got = slurp(path, &len);
	T_EQ_STR(got, want);
	T_EQ_INT(len, strlen(want));
	free(got);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0640);
	T_EQ_INT(st.st_uid, geteuid());
	pathf(want_path, sizeof(want_path), "%s/out/a/b/2021/12/08", top);
	T_EQ_INT(stat(want_path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0750);
	pathf(want_path, sizeof(want_path), "%s/out/a", top);
	T_EQ_INT(stat(want_path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0750);
	/* mlab_path names the same file. */
	T_EQ_INT(mlab_path(root, UUID1, T0, want_path, sizeof(want_path)), 0);
	T_EQ_STR(want_path, path);
	mlab_check(path);

	/* The cached copy for a second test to the same client. */
	f.uuid = UUID2;
	f.cached = 1;
	f.cached_uuid = UUID1;
	f.name_time = T0 + 5;
	T_EQ_INT(mlab_write(root, &f, path, sizeof(path), err, sizeof(err)),
	    0);
	pathf(want_path, sizeof(want_path),
	    "%s/out/a/b/2021/12/08/20211208T214608Z_" UUID2 ".jsonl", top);
	T_EQ_STR(path, want_path);
	snprintf(want, sizeof(want), "%s%s%s%s", line1_cached, line2, line3,
	    line4);
	got = slurp(path, NULL);
	T_EQ_STR(got, want);
	free(got);
	mlab_check(path);

	/* The same name again never replaces the file (a reused UUID in
	 * the same second): EEXIST, the file as it was, nothing else. */
	f.cached_uuid = "another";
	errno = 0;
	T_EQ_INT(mlab_write(root, &f, NULL, 0, err, sizeof(err)), -1);
	T_EQ_INT(errno, EEXIST);
	T_CHECK(strstr(err, "exists, not replaced") != NULL);
	got = slurp(path, NULL);
	T_EQ_STR(got, want);
	free(got);
	pathf(want_path, sizeof(want_path), "%s/out", top);
	c = census_of(want_path);
	T_EQ_INT(c.files, 2);
	T_EQ_INT(c.jsonl, 2);
	T_EQ_INT(c.tmp, 0);

	/* A mode of the caller's: 0644 files, 0755 directories. */
	f.uuid = UUID1;
	f.cached = 0;
	f.cached_uuid = "";
	f.mode = 0644;
	f.name_time = T0 + 86400;
	T_EQ_INT(mlab_write(root, &f, path, sizeof(path), err, sizeof(err)),
	    0);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0644);
	pathf(want_path, sizeof(want_path), "%s/out/a/b/2021/12/09", top);
	T_EQ_INT(stat(want_path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0755);
	f.mode = 0;

	/* The epoch, and a root of "/"-only trailing slashes elsewhere. */
	init_file(&f, trace);
	f.name_time = 0;
	scratch(root, sizeof(root), "epoch");
	strncat(root, "///", sizeof(root) - strlen(root) - 1);
	T_EQ_INT(mlab_write(root, &f, path, sizeof(path), err, sizeof(err)),
	    0);
	pathf(want_path, sizeof(want_path),
	    "%s/epoch/1970/01/01/19700101T000000Z_" UUID1 ".jsonl", top);
	T_EQ_STR(path, want_path);
	/* name_time names the file; start_time stays in line 2. */
	got = slurp(path, NULL);
	T_CHECK(got != NULL &&
	    strstr(got, "\"start_time\":1638999963}") != NULL);
	free(got);
	json_decref(trace);
	scratch(root, sizeof(root), "out");
	scratch(root, sizeof(root), "epoch");
}

/* Writers racing to create the same new directories all succeed. */
static void
test_race(void)
{
	char root[PATH_MAX];
	pid_t pids[8];
	struct census c;
	json_t *trace = make_trace();
	int i, st, ok = 0;

	scratch(root, sizeof(root), "race");
	for (i = 0; i < 8; i++) {
		if ((pids[i] = fork()) == 0) {
			struct mlab_file f;
			char uuid[64], err[512];

			init_file(&f, trace);
			snprintf(uuid, sizeof(uuid), "race_%d", i);
			f.uuid = uuid;
			if (mlab_write(root, &f, NULL, 0, err, sizeof(err)) == -1) {
				fprintf(stderr, "%s\n", err);
				_exit(1);
			}
			_exit(0);
		}
		T_CHECK(pids[i] > 0);
	}
	for (i = 0; i < 8; i++)
		if (pids[i] > 0 && waitpid(pids[i], &st, 0) == pids[i] &&
		    WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	T_EQ_INT(ok, 8);
	c = census_of(root);
	T_EQ_INT(c.jsonl, 8);
	T_EQ_INT(c.tmp, 0);
	T_EQ_INT(c.dirs, 3);
	rm_rf(root);
	json_decref(trace);
}

static void
expect_fail(const char *root, const struct mlab_file *f, int want_errno,
    const char *want_in_err, const char *scan)
{
	char path[PATH_MAX], err[512];
	struct census c;

	err[0] = '\0';
	errno = 0;
	T_EQ_INT(mlab_write(root, f, path, sizeof(path), err, sizeof(err)),
	    -1);
	T_EQ_INT(errno, want_errno);
	T_CHECK(err[0] != '\0');
	if (want_in_err != NULL && strstr(err, want_in_err) == NULL) {
		t_failed++;
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err,
		    want_in_err);
	}
	c = census_of(scan);
	T_EQ_INT(c.jsonl, 0);
	T_EQ_INT(c.tmp, 0);
}

static void
test_failures(void)
{
	struct mlab_file f;
	json_t *trace = make_trace();
	char root[PATH_MAX], p[PATH_MAX], path[4], err[512];
	FILE *fp;

	init_file(&f, trace);

	/* The root is a regular file. */
	scratch(root, sizeof(root), "isfile");
	fp = fopen(root, "w");
	T_CHECK(fp != NULL);
	if (fp != NULL)
		fclose(fp);
	expect_fail(root, &f, ENOTDIR, root, top);
	/* A file where a day directory should be. */
	scratch(root, sizeof(root), "dayfile");
	pathf(p, sizeof(p), "%s/2021/12", root);
	T_EQ_INT(mkdir(root, 0755), 0);
	pathf(p, sizeof(p), "%s/2021", root);
	T_EQ_INT(mkdir(p, 0755), 0);
	pathf(p, sizeof(p), "%s/2021/12", root);
	fp = fopen(p, "w");
	T_CHECK(fp != NULL);
	if (fp != NULL)
		fclose(fp);
	expect_fail(root, &f, ENOTDIR, "2021/12", root);

	/* Read-only directories (root ignores modes: skip then). */
	if (geteuid() != 0) {
		scratch(root, sizeof(root), "ro");
		T_EQ_INT(mkdir(root, 0555), 0);
		expect_fail(root, &f, EACCES, "mkdir", root);
		/* The day directory exists but cannot be written. */
		scratch(root, sizeof(root), "roday");
		T_EQ_INT(mkdir(root, 0755), 0);
		pathf(p, sizeof(p), "%s/2021", root);
		T_EQ_INT(mkdir(p, 0755), 0);
		pathf(p, sizeof(p), "%s/2021/12", root);
		T_EQ_INT(mkdir(p, 0755), 0);
		pathf(p, sizeof(p), "%s/2021/12/08", root);
		T_EQ_INT(mkdir(p, 0555), 0);
		expect_fail(root, &f, EACCES, "open", root);
	} else
		fprintf(stderr, "skip: read-only directory checks as root\n");

	/* Invalid UUIDs write nothing, not even directories. */
	{
		static const char *const bad[] = { "", ".", "..", "a/b",
			"../x", "a\nb", "\xff" };

		scratch(root, sizeof(root), "baduuid");
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			f.uuid = bad[i];
			expect_fail(root, &f, EINVAL, "UUID", top);
			T_CHECK(access(root, F_OK) == -1);
		}
		f.uuid = NULL;
		expect_fail(root, &f, EINVAL, "UUID", top);
		f.uuid = UUID1;
	}
	/* A bad trace or string. */
	scratch(root, sizeof(root), "badtrace");
	f.trace = NULL;
	expect_fail(root, &f, EINVAL, NULL, top);
	f.trace = trace;
	f.version = "\xfe";
	expect_fail(root, &f, EINVAL, NULL, top);
	T_CHECK(access(root, F_OK) == -1);
	f.version = "v";
	/* A time beyond four-digit years. */
	f.name_time = (time_t)253402300800;	/* 10000-01-01 */
	expect_fail(root, &f, EINVAL, "time", top);
	f.name_time = T0;
	/* Bad roots. */
	expect_fail("", &f, EINVAL, NULL, top);
	expect_fail(NULL, &f, EINVAL, NULL, top);
	/* The path does not fit the caller's buffer. */
	T_EQ_INT(mlab_write(root, &f, path, sizeof(path), err, sizeof(err)),
	    -1);
	T_EQ_INT(errno, ENAMETOOLONG);
	T_CHECK(access(root, F_OK) == -1);
	/* No error buffer is fine. */
	T_EQ_INT(mlab_write("", &f, NULL, 0, NULL, 0), -1);
	json_decref(trace);
}

int
main(void)
{
	const char *srcdir = getenv("top_srcdir");
	const char *tmpdir = getenv("TMPDIR");
	static char chk[PATH_MAX];
	char cmd[PATH_MAX + 64];

	snprintf(top, sizeof(top), "%s/test_mlab.XXXXXX",
	    tmpdir != NULL ? tmpdir : "/tmp");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(chk, sizeof(chk), "%s/tests/unit/mlab_check.py",
	    srcdir != NULL ? srcdir : ".");
	if (getenv("PYTHON3") != NULL && *getenv("PYTHON3") != '\0')
		python = getenv("PYTHON3");
	snprintf(cmd, sizeof(cmd), "'%s' -c 'import json' >/dev/null 2>&1",
	    python);
	if (access(chk, R_OK) == 0 && system(cmd) == 0)
		checker = chk;
	else
		fprintf(stderr, "skip: mlab_check.py or python3 not found\n");

	test_uuid_ok();
	test_render();
	test_shared_data();
	test_write();
	test_race();
	test_failures();
	rm_rf(top);
	return T_DONE();
}
