/*
 * test_tcpinfo: the event-socket line parser against PROTOCOLS.md section 1
 * and junk, then the client against a stand-in tcp-info listener in this
 * process: split writes, oversize lines, junk, the producer going away and
 * coming back, and a path that does not exist at start.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "simnet.h"
#include "daemon/tcpinfo.h"
#include "t.h"

#define OPEN_LINE							\
	"{\"Event\":0,\"Timestamp\":\"2024-05-01T12:00:10.5Z\","	\
	"\"UUID\":\"host_1714564800_000000000000ABCD\",\"ID\":"		\
	"{\"SPort\":443,\"DPort\":53412,\"SrcIP\":\"192.0.2.10\","	\
	"\"DstIP\":\"198.51.100.23\",\"Interface\":0,\"Cookie\":703710}}"
#define CLOSE_LINE							\
	"{\"Event\":1,\"Timestamp\":\"2024-05-01T12:00:20.123456789Z\","	\
	"\"UUID\":\"host_1714564800_000000000000ABCD\",\"ID\":null}"

/* 2024-05-01T12:00:10Z */
#define T_OPEN	1714564810

static int
parse(const char *line, struct tcpinfo_event *ev, char *err, size_t errlen)
{
	err[0] = '\0';
	return tcpinfo_parse(line, strlen(line), ev, err, errlen);
}

static void
expect_addr(const struct addr_ip *a, const char *want)
{
	char buf[ADDR_STRLEN];

	T_EQ_STR(addr_ntop(a, buf, sizeof(buf)), want);
}

/* Parses, with the given timestamp; returns seconds (or -1 when refused). */
static long long
ts_of(const char *ts, long *usec)
{
	char line[512], err[32];
	struct tcpinfo_event ev;

	snprintf(line, sizeof(line),
	    "{\"Event\":1,\"UUID\":\"u\",\"Timestamp\":\"%s\"}", ts);
	if (parse(line, &ev, err, sizeof(err)) == -1) {
		T_EQ_STR(err, "timestamp");
		return -1;
	}
	if (usec != NULL)
		*usec = (long)ev.ts.tv_usec;
	return (long long)ev.ts.tv_sec;
}

static void
test_parse_good(void)
{
	struct tcpinfo_event ev;
	char err[32], line[TCPINFO_LINE_MAX + 64];
	long usec = -1;

	T_EQ_INT(parse(OPEN_LINE, &ev, err, sizeof(err)), 0);
	T_EQ_INT(ev.type, TCPINFO_OPEN);
	T_EQ_STR(ev.uuid, "host_1714564800_000000000000ABCD");
	T_EQ_INT(ev.ts.tv_sec, T_OPEN);
	T_EQ_INT(ev.ts.tv_usec, 500000);
	T_EQ_INT(ev.has_id, 1);
	T_EQ_INT(ev.sport, 443);
	T_EQ_INT(ev.dport, 53412);
	expect_addr(&ev.src, "192.0.2.10");
	expect_addr(&ev.dst, "198.51.100.23");
	T_EQ_INT(ev.src.family, AF_INET);
	T_EQ_INT(ev.cookie, 703710);

	T_EQ_INT(parse(CLOSE_LINE, &ev, err, sizeof(err)), 0);
	T_EQ_INT(ev.type, TCPINFO_CLOSE);
	T_EQ_STR(ev.uuid, "host_1714564800_000000000000ABCD");
	T_EQ_INT(ev.has_id, 0);
	T_EQ_INT(ev.ts.tv_sec, T_OPEN + 10);
	T_EQ_INT(ev.ts.tv_usec, 123456);
	T_EQ_INT(ev.src.family, 0);

	/* Close without ID at all, and without Timestamp (time 0). */
	T_EQ_INT(parse("{\"Event\":1,\"UUID\":\"x\"}", &ev, err, sizeof(err)), 0);
	T_EQ_INT(ev.type, TCPINFO_CLOSE);
	T_EQ_INT(ev.ts.tv_sec, 0);
	T_EQ_INT(ev.ts.tv_usec, 0);

	/* v4-mapped addresses become IPv4; IPv6 stays IPv6. */
	T_EQ_INT(parse("{\"Event\":0,\"UUID\":\"m\",\"ID\":{\"SPort\":1,"
	    "\"DPort\":65535,\"SrcIP\":\"::ffff:192.0.2.10\","
	    "\"DstIP\":\"::FFFF:c633:6417\",\"Cookie\":-1}}", &ev, err,
	    sizeof(err)), 0);
	T_EQ_INT(ev.src.family, AF_INET);
	T_EQ_INT(ev.dst.family, AF_INET);
	expect_addr(&ev.src, "192.0.2.10");
	expect_addr(&ev.dst, "198.51.100.23");
	T_EQ_INT(ev.sport, 1);
	T_EQ_INT(ev.dport, 65535);
	T_EQ_INT(ev.cookie, -1);
	T_EQ_INT(ev.ts.tv_sec, 0);

	T_EQ_INT(parse("{\"Event\":0,\"UUID\":\"v6\",\"Timestamp\":"
	    "\"2024-05-01T12:00:10Z\",\"ID\":{\"SPort\":0,\"DPort\":0,"
	    "\"SrcIP\":\"2001:db8::10\",\"DstIP\":\"2001:DB8:0:0::23\","
	    "\"Cookie\":9223372036854775807}}", &ev, err, sizeof(err)), 0);
	T_EQ_INT(ev.src.family, AF_INET6);
	expect_addr(&ev.src, "2001:db8::10");
	expect_addr(&ev.dst, "2001:db8::23");
	T_CHECK(ev.cookie == INT64_MAX);
	T_EQ_INT(ev.ts.tv_sec, T_OPEN);

	T_EQ_INT(parse("{\"Event\":0,\"UUID\":\"c\",\"ID\":{\"SPort\":1,"
	    "\"DPort\":2,\"SrcIP\":\"192.0.2.1\",\"DstIP\":\"192.0.2.2\","
	    "\"Cookie\":-9223372036854775808}}", &ev, err, sizeof(err)), 0);
	T_CHECK(ev.cookie == INT64_MIN);
	/* Cookie is optional. */
	T_EQ_INT(parse("{\"Event\":0,\"UUID\":\"c\",\"ID\":{\"SPort\":1,"
	    "\"DPort\":2,\"SrcIP\":\"192.0.2.1\",\"DstIP\":\"192.0.2.2\"}}",
	    &ev, err, sizeof(err)), 0);
	T_EQ_INT(ev.cookie, 0);

	/* Unknown keys (nested too), key order, whitespace, other types. */
	T_EQ_INT(parse(" { \"Extra\" : {\"a\":[1,{\"b\":null}]}, \"UUID\" : "
	    "\"k\", \"ID\": null, \"Event\" : 7 , \"More\":\"\\u00e9\"}\r",
	    &ev, err, sizeof(err)), 0);
	T_EQ_INT(ev.type, 7);
	T_EQ_STR(ev.uuid, "k");
	/* Nesting up to 8 deep is fine; brackets in strings do not count. */
	T_EQ_INT(parse("{\"Event\":1,\"UUID\":\"[[[{{{\","
	    "\"x\":[[[[[[[\"]]]]]]]]]]]]\\\"[[[\"]]]]]]]}", &ev, err,
	    sizeof(err)), 0);
	T_EQ_STR(ev.uuid, "[[[{{{");
	/* An ID on a Close is parsed. */
	T_EQ_INT(parse("{\"Event\":1,\"UUID\":\"k\",\"ID\":{\"SPort\":1,"
	    "\"DPort\":2,\"SrcIP\":\"192.0.2.1\",\"DstIP\":\"192.0.2.2\"}}",
	    &ev, err, sizeof(err)), 0);
	T_EQ_INT(ev.has_id, 1);

	/* A UUID of exactly the maximum length. */
	snprintf(line, sizeof(line), "{\"Event\":1,\"UUID\":\"%0*d\"}",
	    TCPINFO_UUID_MAX, 0);
	T_EQ_INT(parse(line, &ev, err, sizeof(err)), 0);
	T_EQ_INT(strlen(ev.uuid), TCPINFO_UUID_MAX);
	/* A line of exactly TCPINFO_LINE_MAX bytes. */
	memset(line, ' ', TCPINFO_LINE_MAX);
	memcpy(line, CLOSE_LINE, strlen(CLOSE_LINE));
	T_EQ_INT(tcpinfo_parse(line, TCPINFO_LINE_MAX, &ev, err, sizeof(err)),
	    0);
	T_EQ_INT(tcpinfo_parse(line, TCPINFO_LINE_MAX + 1, &ev, err,
	    sizeof(err)), -1);
	T_EQ_STR(err, "json");

	/* Timestamps: fractions, offsets, leap days, leap seconds. */
	T_EQ_INT(ts_of("2024-05-01T12:00:10Z", &usec), T_OPEN);
	T_EQ_INT(usec, 0);
	T_EQ_INT(ts_of("2024-05-01t12:00:10.000001z", &usec), T_OPEN);
	T_EQ_INT(usec, 1);
	T_EQ_INT(ts_of("2024-05-01T12:00:10.999999999Z", &usec), T_OPEN);
	T_EQ_INT(usec, 999999);
	T_EQ_INT(ts_of("2024-05-01T14:00:10+02:00", NULL), T_OPEN);
	T_EQ_INT(ts_of("2024-05-01T06:30:10.25-05:30", &usec), T_OPEN);
	T_EQ_INT(usec, 250000);
	T_EQ_INT(ts_of("2024-05-01T12:00:10-00:00", NULL), T_OPEN);
	T_EQ_INT(ts_of("1970-01-01T00:00:00Z", NULL), 0);
	T_EQ_INT(ts_of("2000-03-01T00:00:00Z", NULL), 951868800);
	T_EQ_INT(ts_of("2024-02-29T00:00:00Z", NULL), 1709164800);
	T_EQ_INT(ts_of("2016-12-31T23:59:60Z", NULL), 1483228800);
	T_EQ_INT(ts_of("1969-12-31T23:59:58Z", NULL), -2);
}

/* An Open whose ID object holds x; ADDRS: two good addresses. */
#define ID(x) "{\"Event\":0,\"UUID\":\"a\",\"ID\":{" x "}}"
#define ADDRS "\"SrcIP\":\"192.0.2.1\",\"DstIP\":\"192.0.2.2\""
#define DST "\"DstIP\":\"192.0.2.2\""
#define PORTS "\"SPort\":1,\"DPort\":2"

struct bad {
	const char *line;
	const char *reason;
};

static void
test_parse_bad(void)
{
	static const struct bad bad[] = {
		{ "", "json" },
		{ "not json", "json" },
		{ "{", "json" },
		{ "null", "json" },
		{ "[]", "json" },
		{ "\"Event\"", "json" },
		{ "0", "json" },
		{ "{\"Event\":0}{\"Event\":1}", "json" },
		{ "{\"Event\":1,\"Event\":1,\"UUID\":\"a\"}", "json" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"x\":[[[[[[[[[[1]]]]]]]]]]}", "json" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"x\":{\"y\":{\"z\":{\"a\":{\"b\":"
		    "{\"c\":{\"d\":{\"e\":{\"f\":1}}}}}}}}}", "json" },
		{ "{\"Event\":1,\"UUID\":\"a\\u0000b\"}", "json" },
		{ "{\"Event\":1,\"UUID\":\"\xff\xfe\"}", "json" },
		{ "{\"Event\":1,\"UUID\":\"a\",}", "json" },
		{ "{'Event':1}", "json" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"ID\":"
		    "{\"Cookie\":99999999999999999999}}", "json" },
		{ "{\"Event\":1e999,\"UUID\":\"a\"}", "json" },
		{ "{\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":\"0\",\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":0.0,\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":true,\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":null,\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":[0],\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":99999999999,\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":-99999999999,\"UUID\":\"a\"}", "type" },
		{ "{\"Event\":1}", "uuid" },
		{ "{\"Event\":1,\"UUID\":null}", "uuid" },
		{ "{\"Event\":1,\"UUID\":5}", "uuid" },
		{ "{\"Event\":1,\"UUID\":\"\"}", "uuid" },
		{ "{\"Event\":1,\"UUID\":[\"a\"]}", "uuid" },
		{ "{\"Event\":1,\"UUID\":\"a/b\"}", "uuid" },
		{ "{\"Event\":1,\"UUID\":\"..\"}", "uuid" },
		{ "{\"Event\":1,\"UUID\":\".\"}", "uuid" },
		{ "{\"Event\":1,\"UUID\":\"a\\nb\"}", "uuid" },
		{ "{\"Event\":1,\"UUID\":\"a\\u007f\"}", "uuid" },
		{ "{\"Event\":1,\"uuid\":\"a\"}", "uuid" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"Timestamp\":5}", "timestamp" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"Timestamp\":null}", "timestamp" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"Timestamp\":\"\"}", "timestamp" },
		{ "{\"Event\":0,\"UUID\":\"a\"}", "id" },
		{ "{\"Event\":0,\"UUID\":\"a\",\"ID\":null}", "id" },
		{ "{\"Event\":0,\"UUID\":\"a\",\"ID\":[]}", "id" },
		{ "{\"Event\":0,\"UUID\":\"a\",\"ID\":\"x\"}", "id" },
		{ ID(""), "id" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"ID\":{}}", "id" },
		{ "{\"Event\":1,\"UUID\":\"a\",\"ID\":5}", "id" },
		{ ID("\"SPort\":\"443\",\"DPort\":1," ADDRS), "id" },
		{ ID("\"SPort\":65536,\"DPort\":1," ADDRS), "id" },
		{ ID("\"SPort\":-1,\"DPort\":1," ADDRS), "id" },
		{ ID("\"SPort\":443.0,\"DPort\":1," ADDRS), "id" },
		{ ID("\"SPort\":1,\"DPort\":9223372036854775807," ADDRS), "id" },
		{ ID("\"SPort\":1," ADDRS), "id" },
		{ ID("\"SPort\":1,\"DPort\":null," ADDRS), "id" },
		{ ID(PORTS "," ADDRS ",\"Cookie\":\"1\""), "id" },
		{ ID(PORTS "," ADDRS ",\"Cookie\":1e3"), "id" },
		{ ID(PORTS "," ADDRS ",\"Cookie\":null"), "id" },
		{ ID(PORTS ",\"DstIP\":\"192.0.2.2\""), "address" },
		{ ID(PORTS ",\"SrcIP\":\"192.0.2.1\""), "address" },
		{ ID(PORTS "," DST ",\"SrcIP\":\"example.com\""), "address" },
		{ ID(PORTS "," DST ",\"SrcIP\":\"192.0.2.1/24\""), "address" },
		{ ID(PORTS "," DST ",\"SrcIP\":\"fe80::1%eth0\""), "address" },
		{ ID(PORTS "," DST ",\"SrcIP\":3221225986"), "address" },
		{ ID(PORTS "," DST ",\"SrcIP\":\"\""), "address" },
		{ ID(PORTS "," DST ",\"SrcIP\":\" 192.0.2.1\""), "address" },
		{ ID(PORTS "," DST ",\"SrcIP\":\"00000000000000000000000000000"
		    "0000000000000000000000000000000000000000192.0.2.1\""),
		    "address" },
	};
	static const char *const bad_ts[] = {
		"2024-05-01", "2024-05-01T12:00:10", "2024-05-01 12:00:10Z",
		"2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
		"2024-05-00T00:00:00Z", "2024-04-31T00:00:00Z",
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z",
		"2024-05-01T12:00:61Z", "2024-05-01T12:00:10.Z",
		"2024-05-01T12:00:10.1234567890Z", "2024-05-01T12:00:10+2:00",
		"2024-05-01T12:00:10+02:00x", "2024-05-01T12:00:10+24:00",
		"2024-05-01T12:00:10+02:60", "2024-05-01T12:00:10+0200",
		"2024-05-01T12:00:10ZZ", "2024-05-01T12:00:10 Z",
		"x024-05-01T12:00:10Z", "2024-5-01T12:00:10Z",
		"2024-05-01T12:00:1aZ", "+2024-05-01T12:00:10Z",
		"2024-05-01T12:00:10.5.5Z", "2024-05-01T12:00:10,5Z",
		"2024-05-01T12:00:10.-5Z",
	};
	struct tcpinfo_event ev;
	char err[32], small[3], line[TCPINFO_UUID_MAX + 64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].line, &ev, err, sizeof(err));

		T_EQ_INT(rc, -1);
		T_EQ_STR(err, bad[i].reason);
		if (rc != -1 || strcmp(err, bad[i].reason) != 0)
			fprintf(stderr, "  line: %s\n", bad[i].line);
		/* Nothing half-filled is left behind. */
		T_EQ_INT(ev.uuid[0], 0);
		T_EQ_INT(ev.has_id, 0);
	}
	for (size_t i = 0; i < sizeof(bad_ts) / sizeof(bad_ts[0]); i++) {
		if (ts_of(bad_ts[i], NULL) != -1)
			fprintf(stderr, "  timestamp accepted: %s\n", bad_ts[i]);
		T_EQ_INT(ts_of(bad_ts[i], NULL), -1);
	}

	/* UUID one byte over the maximum. */
	snprintf(line, sizeof(line), "{\"Event\":1,\"UUID\":\"%0*d\"}",
	    TCPINFO_UUID_MAX + 1, 0);
	T_EQ_INT(parse(line, &ev, err, sizeof(err)), -1);
	T_EQ_STR(err, "uuid");

	/* A NUL byte inside the line; a tiny or empty err buffer. */
	T_EQ_INT(tcpinfo_parse("{\"Event\":1,\0\"UUID\":\"a\"}", 23, &ev, err,
	    sizeof(err)), -1);
	T_EQ_STR(err, "json");
	T_EQ_INT(parse("{\"Event\":1}", &ev, small, sizeof(small)), -1);
	T_EQ_STR(small, "uu");
	T_EQ_INT(tcpinfo_parse("x", 1, &ev, NULL, 0), -1);
	/* Not NUL-terminated: only len bytes are read. */
	T_EQ_INT(tcpinfo_parse(CLOSE_LINE "garbage", strlen(CLOSE_LINE), &ev,
	    err, sizeof(err)), 0);
}

/*
 * The client against a listener in this process.
 */

#define MAXEV 64

struct rec {
	struct tcpinfo_event ev[MAXEV];
	int n;
};

static void
record(const struct tcpinfo_event *ev, void *arg)
{
	struct rec *r = arg;

	if (r->n < MAXEV)
		r->ev[r->n] = *ev;
	r->n++;
}

/* Runs the loop until *p reaches want (or ms passes); returns *p >= want. */
static int
run_until(struct event_base *base, const volatile uint64_t *p, uint64_t want,
    int ms)
{
	long long end = simnet_now_ms() + ms;

	while (*p < want && simnet_now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	return *p >= want;
}

static int
listen_at(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 8) == -1) {
		perror("listen_at");
		exit(1);
	}
	return fd;
}

static void
put(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("write");
			exit(1);
		}
		s += n;
		len -= (size_t)n;
	}
}

static void
puts_(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* The client reads and never writes: nothing is waiting on our side. */
static void
expect_silent_client(int fd)
{
	char c;

	T_EQ_INT(recv(fd, &c, 1, MSG_DONTWAIT), -1);
	T_CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
test_client(void)
{
	char dir[] = "/tmp/hoplite-test-tcpinfo-XXXXXX", path[256];
	struct event_base *base;
	struct event *tk;
	struct tcpinfo_client *c;
	const struct tcpinfo_stats *st;
	struct rec *r;
	char *big;
	int lfd, fd;
	uint64_t fails;

	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/tcpinfo.sock", dir);
	r = calloc(1, sizeof(*r));
	base = event_base_new();
	/* The loop wakes up regularly so run_until can watch the clock. */
	tk = simnet_ticker(base);

	/* A path too long for sockaddr_un. */
	{
		char longpath[200];

		memset(longpath, 'x', sizeof(longpath) - 1);
		longpath[sizeof(longpath) - 1] = '\0';
		errno = 0;
		T_CHECK(tcpinfo_client_new(base, longpath, record, r) == NULL);
		T_EQ_INT(errno, ENAMETOOLONG);
	}

	/* The socket does not exist yet: the client keeps trying. */
	c = tcpinfo_client_new(base, path, record, r);
	T_CHECK(c != NULL);
	tcpinfo_client_set_backoff(c, 10, 40);
	st = tcpinfo_client_stats(c);
	T_CHECK(run_until(base, &st->connect_failures, 3, 2000));
	T_EQ_INT(st->connected, 0);
	T_EQ_INT(st->connects, 0);

	/* The producer appears; the client connects within the backoff. */
	lfd = listen_at(path);
	T_CHECK(run_until(base, &st->connects, 1, 2000));
	T_EQ_INT(st->connected, 1);
	fd = accept(lfd, NULL, NULL);
	T_CHECK(fd >= 0);

	/* One Open, then a Close split mid-line across writes. */
	puts_(fd, OPEN_LINE "\n");
	T_CHECK(run_until(base, &st->events, 1, 2000));
	T_EQ_INT(r->n, 1);
	T_EQ_INT(r->ev[0].type, TCPINFO_OPEN);
	T_EQ_INT(r->ev[0].sport, 443);
	expect_addr(&r->ev[0].dst, "198.51.100.23");
	put(fd, CLOSE_LINE, 20);
	simnet_loop_for(base, 30);
	T_EQ_INT(r->n, 1);
	put(fd, &CLOSE_LINE[20], strlen(CLOSE_LINE) - 20);
	simnet_loop_for(base, 30);
	T_EQ_INT(r->n, 1);
	puts_(fd, "\n");
	T_CHECK(run_until(base, &st->events, 2, 2000));
	T_EQ_INT(r->ev[1].type, TCPINFO_CLOSE);
	T_EQ_STR(r->ev[1].uuid, "host_1714564800_000000000000ABCD");

	/* A 10 KB line without a newline, its tail in a later write, then
	 * good lines: one oversize, and the tail is not taken for a line. */
	big = malloc(10 * 1024);
	memset(big, 'a', 10 * 1024);
	big[0] = '{';
	put(fd, big, 10 * 1024);
	T_CHECK(run_until(base, &st->oversize, 1, 2000));
	put(fd, big, 10 * 1024);
	simnet_loop_for(base, 30);
	T_EQ_INT(st->oversize, 1);
	puts_(fd, "still the same line\n" OPEN_LINE "\n" CLOSE_LINE "\n");
	T_CHECK(run_until(base, &st->events, 4, 2000));
	T_EQ_INT(st->oversize, 1);
	T_EQ_INT(st->bad_json, 0);
	T_EQ_INT(r->ev[2].type, TCPINFO_OPEN);
	T_EQ_INT(r->ev[3].type, TCPINFO_CLOSE);

	/* An oversize line with its newline in the same write, and lines
	 * of exactly the maximum and one more. */
	big[5000] = '\n';
	put(fd, big, 5001);
	memset(big, ' ', TCPINFO_LINE_MAX + 1);
	memcpy(big, CLOSE_LINE, strlen(CLOSE_LINE));
	big[TCPINFO_LINE_MAX] = '\n';
	put(fd, big, TCPINFO_LINE_MAX + 1);
	big[TCPINFO_LINE_MAX] = ' ';
	big[TCPINFO_LINE_MAX + 1] = '\n';
	put(fd, big, TCPINFO_LINE_MAX + 2);
	puts_(fd, OPEN_LINE "\n");
	T_CHECK(run_until(base, &st->events, 6, 2000));
	T_EQ_INT(st->oversize, 3);
	T_EQ_INT(r->ev[4].type, TCPINFO_CLOSE);
	T_EQ_INT(r->ev[5].type, TCPINFO_OPEN);

	/* Junk is counted and skipped; good lines around it still count,
	 * all in one write and in order. */
	puts_(fd, "not json\n{}\n[1]\n\n{\"Event\":0,\"UUID\":\"a\"}\n"
	    "{\"Event\":1,\"UUID\":\"junk-neighbour\"}\n\x01\xff\xfe\n"
	    "{\"Event\":1,\"UUID\":\"last\"}\n");
	T_CHECK(run_until(base, &st->events, 8, 2000));
	T_EQ_INT(st->bad_json, 5);
	T_EQ_STR(r->ev[6].uuid, "junk-neighbour");
	T_EQ_STR(r->ev[7].uuid, "last");
	expect_silent_client(fd);

	/* The producer goes away (with a partial line pending) ... */
	puts_(fd, "{\"Event\":1,\"UUID\":\"partial\"");
	close(fd);
	close(lfd);
	unlink(path);
	T_CHECK(run_until(base, &st->disconnects, 1, 2000));
	T_EQ_INT(st->connected, 0);
	T_EQ_INT(st->events, 8);
	fails = st->connect_failures;
	T_CHECK(run_until(base, &st->connect_failures, fails + 2, 2000));

	/* ... and comes back: the client reconnects and reads again. */
	lfd = listen_at(path);
	T_CHECK(run_until(base, &st->connects, 2, 2000));
	fd = accept(lfd, NULL, NULL);
	T_CHECK(fd >= 0);
	puts_(fd, CLOSE_LINE "\n");
	T_CHECK(run_until(base, &st->events, 9, 2000));
	T_EQ_INT(st->connected, 1);
	T_EQ_INT(r->n, 9);

	/* A connection closed at once (nothing read) is retried too. */
	close(fd);
	T_CHECK(run_until(base, &st->disconnects, 2, 2000));
	T_CHECK(run_until(base, &st->connects, 3, 2000));
	fd = accept(lfd, NULL, NULL);
	close(fd);
	T_CHECK(run_until(base, &st->disconnects, 3, 2000));
	T_CHECK(run_until(base, &st->connects, 4, 2000));
	fd = accept(lfd, NULL, NULL);
	puts_(fd, OPEN_LINE "\n");
	T_CHECK(run_until(base, &st->events, 10, 2000));
	T_EQ_INT(st->lines, 19);

	/* Freed while connected, with a line half read. */
	puts_(fd, "{\"Event\":1,");
	simnet_loop_for(base, 20);
	tcpinfo_client_free(c);
	close(fd);
	close(lfd);
	unlink(path);

	/* Freed while waiting to retry. */
	c = tcpinfo_client_new(base, path, record, r);
	st = tcpinfo_client_stats(c);
	T_CHECK(run_until(base, &st->connect_failures, 1, 2000));
	tcpinfo_client_free(c);
	/* Freed before its first attempt. */
	c = tcpinfo_client_new(base, path, record, r);
	tcpinfo_client_free(c);

	rmdir(dir);
	free(big);
	free(r);
	event_free(tk);
	event_base_free(base);
}

int
main(void)
{
	test_parse_good();
	test_parse_bad();
	test_client();
	return T_DONE();
}
