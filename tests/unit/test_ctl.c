/*
 * test_ctl: control requests parsed good and bad, then a real control
 * server on a temporary path, driven by this process's event loop, with a
 * stub handler: replies, errors that leave the connection usable,
 * pipelining, oversize lines, connection and output bounds, stop and free,
 * and ctl_submit round trips from a child process.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/ctl.h"
#include "simnet.h"
#include "t.h"

static const char *const methods_msg =
    "method: unknown (icmp-paris, udp-paris, tcp-paris, tcp-ack-paris)";

static int
parse(const char *line, struct ctl_request *req, char *err, size_t errlen)
{
	err[0] = '\0';
	return ctl_parse(line, strlen(line), req, err, errlen);
}

static void
test_parse(void)
{
	static const struct {
		const char *line, *uuid, *err;
	} bad[] = {
		{ "", "", "invalid JSON: unexpected token near end of file" },
		{ "{", "", "invalid JSON: string or '}' expected near end of file" },
		{ "hello", "", "invalid JSON: invalid token near 'hello'" },
		{ "[]", "", "not a JSON object" },
		{ "\"uuid\"", "", "not a JSON object" },
		{ "42", "", "not a JSON object" },
		{ "null", "", "not a JSON object" },
		{ "{\"uuid\":\"a\",\"uuid\":\"b\",\"ip\":\"192.0.2.1\"}", "",
		    "invalid JSON: duplicate key" },
		{ "{\"uuid\":\"a\",\"x\":[[[[[[[[[1]]]]]]]]]}", "",
		    "invalid JSON: nested too deep" },
		{ "{\"uuid\":\"a\\u0000\",\"ip\":\"192.0.2.1\"}", "",
		    "invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL "
		    "near '\"a\\u0000\"'" },
		{ "{\"ip\":\"192.0.2.1\"}", "", "missing uuid" },
		{ "{}", "", "missing uuid" },
		{ "{\"UUID\":\"a\",\"ip\":\"192.0.2.1\"}", "", "missing uuid" },
		{ "{\"uuid\":5,\"ip\":\"192.0.2.1\"}", "", "uuid: not a string" },
		{ "{\"uuid\":null,\"ip\":\"192.0.2.1\"}", "", "uuid: not a string" },
		{ "{\"uuid\":\"\",\"ip\":\"192.0.2.1\"}", "", "uuid: empty" },
		{ "{\"uuid\":\"a/b\",\"ip\":\"192.0.2.1\"}", "", "uuid: contains '/'" },
		{ "{\"uuid\":\"/\",\"ip\":\"192.0.2.1\"}", "", "uuid: contains '/'" },
		{ "{\"uuid\":\".\",\"ip\":\"192.0.2.1\"}", "",
		    "uuid: not usable as a file name" },
		{ "{\"uuid\":\"..\",\"ip\":\"192.0.2.1\"}", "",
		    "uuid: not usable as a file name" },
		{ "{\"uuid\":\"a\\tb\",\"ip\":\"192.0.2.1\"}", "",
		    "uuid: contains a control character" },
		{ "{\"uuid\":\"a\\u007f\",\"ip\":\"192.0.2.1\"}", "",
		    "uuid: contains a control character" },
		{ "{\"uuid\":\"u\"}", "u", "missing ip" },
		{ "{\"uuid\":\"u\",\"ip\":null}", "u", "ip: not a string" },
		{ "{\"uuid\":\"u\",\"ip\":3221225985}", "u", "ip: not a string" },
		{ "{\"uuid\":\"u\",\"ip\":\"\"}", "u", "ip: not an IP address" },
		{ "{\"uuid\":\"u\",\"ip\":\"example.com\"}", "u", "ip: not an IP address" },
		{ "{\"uuid\":\"u\",\"ip\":\"localhost\"}", "u", "ip: not an IP address" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1/24\"}", "u", "ip: not an IP address" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.256\"}", "u", "ip: not an IP address" },
		{ "{\"uuid\":\"u\",\"ip\":\" 192.0.2.1\"}", "u", "ip: not an IP address" },
		{ "{\"uuid\":\"u\",\"ip\":\"fe80::1%eth0\"}", "u", "ip: not an IP address" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"sport\":\"80\"}", "u",
		    "sport: not a port number (0-65535)" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"sport\":-1}", "u",
		    "sport: not a port number (0-65535)" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"dport\":65536}", "u",
		    "dport: not a port number (0-65535)" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"dport\":80.0}", "u",
		    "dport: not a port number (0-65535)" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"dport\":true}", "u",
		    "dport: not a port number (0-65535)" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"dport\":99999999999999999999}", "",
		    "invalid JSON: too big integer near '99999999999999999999'" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"method\":5}", "u",
		    "method: not a string" },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"method\":\"icmp\"}", "u",
		    methods_msg },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"method\":\"\"}", "u",
		    methods_msg },
		{ "{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"method\":\"ICMP-PARIS\"}",
		    "u", methods_msg },
	};
	struct ctl_request req;
	char err[160], small[8], line[CTL_LINE_MAX + 64];
	char uuid[CTL_UUID_MAX + 2];

	/* The full form. */
	T_EQ_INT(parse("{\"uuid\":\"host_1714564800_000000000000ABCD\","
	    "\"ip\":\"198.51.100.23\",\"sport\":53412,\"dport\":443,"
	    "\"method\":\"tcp-ack-paris\"}", &req, err, sizeof(err)), 0);
	T_EQ_STR(req.uuid, "host_1714564800_000000000000ABCD");
	T_EQ_INT(req.ip.family, AF_INET);
	T_EQ_INT(req.ip.u.b[0], 198);
	T_EQ_INT(req.ip.u.b[3], 23);
	T_EQ_INT(req.sport, 53412);
	T_EQ_INT(req.dport, 443);
	T_CHECK(req.method == pkt_method_find("tcp-ack-paris"));
	T_EQ_STR(err, "");

	/* The minimal form; optional fields null; unknown keys ignored. */
	T_EQ_INT(parse("{\"ip\":\"2001:db8::23\",\"uuid\":\"x\"}", &req, err,
	    sizeof(err)), 0);
	T_EQ_INT(req.ip.family, AF_INET6);
	T_EQ_INT(req.sport, 0);
	T_EQ_INT(req.dport, 0);
	T_CHECK(req.method == NULL);
	T_EQ_INT(parse(" {\"uuid\":\"x\",\"ip\":\"::ffff:192.0.2.7\","
	    "\"sport\":null,\"dport\":null,\"method\":null,\"extra\":"
	    "{\"a\":[1,2]},\"n\":1.5} \r", &req, err, sizeof(err)), 0);
	T_EQ_INT(req.ip.family, AF_INET);
	T_EQ_INT(req.ip.u.b[3], 7);
	T_CHECK(req.method == NULL);
	for (size_t i = 0; pkt_methods[i] != NULL; i++) {
		snprintf(line, sizeof(line), "{\"uuid\":\"m\",\"ip\":\"192.0.2.1\","
		    "\"method\":\"%s\",\"sport\":0,\"dport\":65535}",
		    pkt_methods[i]->name);
		T_EQ_INT(parse(line, &req, err, sizeof(err)), 0);
		T_CHECK(req.method == pkt_methods[i]);
		T_EQ_INT(req.dport, 65535);
	}
	/* UTF-8 and dots are fine in a file name. */
	T_EQ_INT(parse("{\"uuid\":\".hidden...\\u00e9\",\"ip\":\"192.0.2.1\"}",
	    &req, err, sizeof(err)), 0);
	T_EQ_STR(req.uuid, ".hidden...\xc3\xa9");

	/* uuid of exactly the maximum length, and one more. */
	memset(uuid, 'u', sizeof(uuid));
	uuid[CTL_UUID_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"uuid\":\"%s\",\"ip\":\"192.0.2.1\"}",
	    uuid);
	T_EQ_INT(parse(line, &req, err, sizeof(err)), 0);
	T_EQ_INT(strlen(req.uuid), CTL_UUID_MAX);
	uuid[CTL_UUID_MAX] = 'u';
	uuid[CTL_UUID_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "{\"uuid\":\"%s\",\"ip\":\"192.0.2.1\"}",
	    uuid);
	T_EQ_INT(parse(line, &req, err, sizeof(err)), -1);
	T_EQ_STR(err, "uuid: longer than 192 bytes");
	T_EQ_STR(req.uuid, "");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].line, &req, err, sizeof(err));

		T_EQ_INT(rc, -1);
		T_EQ_STR(err, bad[i].err);
		T_EQ_STR(req.uuid, bad[i].uuid);
		T_EQ_INT(req.ip.family, 0);
		T_CHECK(req.method == NULL);
		if (rc != -1 || strcmp(err, bad[i].err) != 0)
			fprintf(stderr, "  line: %s\n", bad[i].line);
	}

	/* Length bound: exactly CTL_LINE_MAX parses, one more does not. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "{\"uuid\":\"a\",\"ip\":\"192.0.2.1\"}", 29);
	T_EQ_INT(ctl_parse(line, CTL_LINE_MAX, &req, err, sizeof(err)), 0);
	T_EQ_INT(ctl_parse(line, CTL_LINE_MAX + 1, &req, err, sizeof(err)), -1);
	T_EQ_STR(err, "line too long");
	/* Only len bytes are read; tiny error buffers truncate. */
	T_EQ_INT(ctl_parse(line, 29, &req, err, sizeof(err)), 0);
	T_EQ_INT(parse("{\"uuid\":\"u\",\"ip\":\"192.0.2.1\",\"method\":\"x\"}",
	    &req, small, sizeof(small)), -1);
	T_EQ_STR(small, "method:");
	T_EQ_INT(ctl_parse("[", 1, &req, NULL, 0), -1);
	T_EQ_INT(parse("{\"uuid\":\"a\",\"ip\":\"1.2.3.4\",\"sport\":1,"
	    "\"x\":\"\xff\"}", &req, err, sizeof(err)), -1);
	T_EQ_STR(err, "invalid JSON: unable to decode byte 0xff near '\"'");
	T_EQ_INT(parse("{\"uuid\":\"\x01\xff\"}", &req, err, sizeof(err)),
	    -1);
	T_EQ_STR(err, "invalid JSON: control character 0x1 near '\"'");
}

/*
 * The server, driven by this process's loop.
 */

struct stub {
	int calls;
	struct ctl_request last;
	struct ctl_server *srv;
	int stop_in_handler;
};

/* Refuses 192.0.2.99 (like a policy would); everything else is queued. */
static int
handler(const struct ctl_request *req, const char **status,
    const char **error, void *arg)
{
	struct stub *s = arg;

	s->calls++;
	s->last = *req;
	if (s->stop_in_handler)
		ctl_server_stop(s->srv);
	if (req->ip.family == AF_INET && req->ip.u.b[3] == 99) {
		*error = "destination refused by policy";
		return -1;
	}
	if (req->ip.family == AF_INET && req->ip.u.b[3] == 98) {
		*error = "not utf-8: \xff";
		return -1;
	}
	if (req->ip.family == AF_INET && req->ip.u.b[3] == 97)
		return -1;	/* no message: "refused" */
	*status = req->sport == 1 ? "cached" : "queued";
	return 0;
}

static struct event_base *base;

static int
connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
put(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("send");
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

/*
 * Run the loop until `lines` reply lines arrived on fd (or 2 s); returns
 * them joined by '\n' (static buffer).  *eof is set when the server closed.
 */
static const char *
replies(int fd, int lines, int *eof)
{
	static char buf[65536];
	size_t got = 0;
	int seen = 0;
	long long end = simnet_now_ms() + 2000;

	if (eof != NULL)
		*eof = 0;
	buf[0] = '\0';
	while (seen < lines && simnet_now_ms() < end) {
		ssize_t n = -1;

		event_base_loop(base, EVLOOP_ONCE);
		/* One byte at a time: never read past the lines wanted. */
		while (seen < lines && got < sizeof(buf) - 1 &&
		    (n = recv(fd, buf + got, 1, MSG_DONTWAIT)) > 0) {
			if (buf[got] == '\n')
				seen++;
			got++;
		}
		if (n == 0) {
			if (eof != NULL)
				*eof = 1;
			break;
		}
	}
	if (got > 0 && buf[got - 1] == '\n')
		got--;
	buf[got] = '\0';
	return buf;
}

/* Whether the server closed fd (within ms), after any pending data. */
static int
closed_by_server(int fd, int ms)
{
	long long end = simnet_now_ms() + ms;
	char c;

	while (simnet_now_ms() < end) {
		ssize_t n;

		event_base_loop(base, EVLOOP_ONCE);
		while ((n = recv(fd, &c, 1, MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (n == -1 && errno != EAGAIN))
			return 1;
	}
	return 0;
}

#define GOOD(u) "{\"uuid\":\"" u "\",\"ip\":\"192.0.2.1\"}"

static void
test_conversation(const char *path, struct stub *stub,
    struct ctl_server *srv)
{
	const struct ctl_stats *st = ctl_server_stats(srv);
	char *big;
	int fd, eof;

	fd = connect_to(path);
	T_CHECK(fd >= 0);

	puts_(fd, "{\"uuid\":\"u1\",\"ip\":\"198.51.100.23\",\"sport\":53412,"
	    "\"dport\":443,\"method\":\"udp-paris\"}\n");
	T_EQ_STR(replies(fd, 1, NULL), "{\"uuid\":\"u1\",\"status\":\"queued\"}");
	T_EQ_INT(stub->calls, 1);
	T_EQ_STR(stub->last.uuid, "u1");
	T_EQ_INT(stub->last.sport, 53412);
	T_EQ_INT(stub->last.dport, 443);
	T_CHECK(stub->last.method == pkt_method_find("udp-paris"));

	/* Errors, each followed by a good request on the same connection. */
	puts_(fd, "this is not json\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"\",\"error\":\"invalid JSON: invalid token near "
	    "'this'\"}");
	puts_(fd, "[1,2]\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"\",\"error\":\"not a JSON object\"}");
	puts_(fd, "{\"ip\":\"192.0.2.1\"}\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"\",\"error\":\"missing uuid\"}");
	puts_(fd, "{\"uuid\":\"u2\"}\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"u2\",\"error\":\"missing ip\"}");
	puts_(fd, "{\"uuid\":\"u3\",\"ip\":\"www.example.com\"}\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"u3\",\"error\":\"ip: not an IP address\"}");
	puts_(fd, "{\"uuid\":\"u4\",\"ip\":\"192.0.2.1\",\"method\":\"mda\"}\n");
	T_EQ_STR(replies(fd, 1, NULL), "{\"uuid\":\"u4\",\"error\":\"method: "
	    "unknown (icmp-paris, udp-paris, tcp-paris, tcp-ack-paris)\"}");
	puts_(fd, "{\"uuid\":\"u5\",\"ip\":\"192.0.2.99\"}\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"u5\",\"error\":\"destination refused by policy\"}");
	puts_(fd, "{\"uuid\":\"u6\",\"ip\":\"192.0.2.97\"}\n");
	T_EQ_STR(replies(fd, 1, NULL), "{\"uuid\":\"u6\",\"error\":\"refused\"}");
	puts_(fd, "{\"uuid\":\"u7\",\"ip\":\"192.0.2.98\"}\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"\",\"error\":\"internal error\"}");
	/* A uuid that needs escaping in the reply. */
	puts_(fd, "{\"uuid\":\"q\\\"\\\\\\u00e9\",\"ip\":\"192.0.2.1\"}\n");
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"q\\\"\\\\\xc3\xa9\",\"status\":\"queued\"}");
	puts_(fd, GOOD("u8") "\n");
	T_EQ_STR(replies(fd, 1, NULL), "{\"uuid\":\"u8\",\"status\":\"queued\"}");

	/* Pipelined in one write (CRLF and blank lines too): in order. */
	puts_(fd, GOOD("p1") "\n" "{\"uuid\":\"p2\",\"ip\":\"x\"}\r\n\n  \r\n"
	    "{\"uuid\":\"p3\",\"ip\":\"2001:db8::1\",\"sport\":1}\n" GOOD("p4")
	    "\n");
	T_EQ_STR(replies(fd, 4, NULL),
	    "{\"uuid\":\"p1\",\"status\":\"queued\"}\n"
	    "{\"uuid\":\"p2\",\"error\":\"ip: not an IP address\"}\n"
	    "{\"uuid\":\"p3\",\"status\":\"cached\"}\n"
	    "{\"uuid\":\"p4\",\"status\":\"queued\"}");

	/* A request split across writes. */
	puts_(fd, "{\"uuid\":\"s1\",");
	simnet_loop_for(base, 20);
	puts_(fd, "\"ip\":\"192.0.2.1\"}\n");
	T_EQ_STR(replies(fd, 1, NULL), "{\"uuid\":\"s1\",\"status\":\"queued\"}");

	/* Oversize, newline in the same write: one error, then served. */
	big = malloc(3 * CTL_LINE_MAX);
	memset(big, 'x', 3 * CTL_LINE_MAX);
	big[CTL_LINE_MAX + 1] = '\n';
	put(fd, big, CTL_LINE_MAX + 2);
	puts_(fd, GOOD("o1") "\n");
	T_EQ_STR(replies(fd, 2, NULL),
	    "{\"uuid\":\"\",\"error\":\"line too long\"}\n"
	    "{\"uuid\":\"o1\",\"status\":\"queued\"}");
	/* Oversize without a newline: the error comes at once; the rest
	 * of that line, arriving later, is skipped. */
	big[CTL_LINE_MAX + 1] = 'x';
	put(fd, big, 2 * CTL_LINE_MAX);
	T_EQ_STR(replies(fd, 1, NULL),
	    "{\"uuid\":\"\",\"error\":\"line too long\"}");
	put(fd, big, 2 * CTL_LINE_MAX);
	simnet_loop_for(base, 20);
	puts_(fd, "still the long line\n" GOOD("o2") "\n");
	T_EQ_STR(replies(fd, 1, NULL), "{\"uuid\":\"o2\",\"status\":\"queued\"}");
	/* Exactly CTL_LINE_MAX bytes is not too long. */
	memset(big, ' ', CTL_LINE_MAX);
	memcpy(big, GOOD("o3"), strlen(GOOD("o3")));
	big[CTL_LINE_MAX] = '\n';
	put(fd, big, CTL_LINE_MAX + 1);
	T_EQ_STR(replies(fd, 1, NULL), "{\"uuid\":\"o3\",\"status\":\"queued\"}");
	T_EQ_INT(st->oversize, 2);
	free(big);

	/* Half-close after a last request without '\n': answered, closed. */
	puts_(fd, GOOD("h1"));
	shutdown(fd, SHUT_WR);
	T_EQ_STR(replies(fd, 2, &eof), "{\"uuid\":\"h1\",\"status\":\"queued\"}");
	T_EQ_INT(eof, 1);
	close(fd);

	T_EQ_INT(st->connections, 1);
	/* u1, 9 errors/refusals, q, u8; p1-p4; s1; 2 oversize, o1-o3; h1 */
	T_EQ_INT(st->requests, 1 + 9 + 2 + 4 + 1 + 5 + 1);
	T_EQ_INT(st->accepted, 1 + 2 + 3 + 1 + 3 + 1);
	T_EQ_INT(st->errors, 9 + 1 + 2);
	T_EQ_INT(st->dropped, 0);
}

static void
test_many(const char *path, struct ctl_server *srv)
{
	const struct ctl_stats *st = ctl_server_stats(srv);
	int fds[CTL_CONN_MAX], extra, eof;
	uint64_t conns0 = st->connections;

	for (int i = 0; i < CTL_CONN_MAX; i++) {
		fds[i] = connect_to(path);
		T_CHECK(fds[i] >= 0);
	}
	simnet_loop_for(base, 50);
	T_EQ_INT(st->connections, conns0 + CTL_CONN_MAX);
	/* One too many waits in the backlog, is not refused: the oldest
	 * idle connection (fds[0]) is closed for it once idle long enough. */
	extra = connect_to(path);
	T_CHECK(extra >= 0);
	puts_(extra, GOOD("extra") "\n");
	T_CHECK(closed_by_server(fds[0], 3000));
	close(fds[0]);
	T_EQ_STR(replies(extra, 1, &eof),
	    "{\"uuid\":\"extra\",\"status\":\"queued\"}");
	T_EQ_INT(eof, 0);
	T_EQ_INT(st->evicted, 1);
	T_EQ_INT(st->dropped, 0);
	/* Every one of the others is served, interleaved. */
	for (int i = 1; i < CTL_CONN_MAX; i++) {
		char line[128];

		snprintf(line, sizeof(line), "{\"uuid\":\"c%d\",\"ip\":"
		    "\"192.0.2.1\"}\n", i);
		puts_(fds[i], line);
	}
	for (int i = CTL_CONN_MAX - 1; i >= 1; i--) {
		char want[128];

		snprintf(want, sizeof(want),
		    "{\"uuid\":\"c%d\",\"status\":\"queued\"}", i);
		T_EQ_STR(replies(fds[i], 1, NULL), want);
	}
	/* A closed connection frees its slot at once. */
	close(fds[1]);
	simnet_loop_for(base, 50);
	fds[1] = connect_to(path);
	puts_(fds[1], GOOD("again") "\n");
	T_EQ_STR(replies(fds[1], 1, &eof),
	    "{\"uuid\":\"again\",\"status\":\"queued\"}");
	T_EQ_INT(eof, 0);
	T_EQ_INT(st->evicted, 1);
	close(extra);
	for (int i = 1; i < CTL_CONN_MAX; i++)
		close(fds[i]);
	simnet_loop_for(base, 50);
}

/* Quick connect, request, close cycles, many more than the slots: all
 * are read, none refused (closed connections free their slot). */
static void
test_cycles(const char *path, struct ctl_server *srv)
{
	const struct ctl_stats *st = ctl_server_stats(srv);
	uint64_t req0 = st->requests, drop0 = st->dropped;

	for (int i = 0; i < 300; i++) {
		int fd = connect_to(path);

		T_CHECK(fd >= 0);
		puts_(fd, GOOD("cy") "\n");
		close(fd);
		if (i % 50 == 49)
			simnet_loop_for(base, 1);
	}
	for (int i = 0; i < 100 && st->requests < req0 + 300; i++)
		simnet_loop_for(base, 20);
	T_EQ_INT(st->requests, req0 + 300);
	T_EQ_INT(st->dropped, drop0);
}

/* A client that sends and never reads is dropped; others are not hurt. */
static void
test_no_reader(const char *path, struct ctl_server *srv)
{
	const struct ctl_stats *st = ctl_server_stats(srv);
	uint64_t dropped0 = st->dropped;
	char uuid[CTL_UUID_MAX + 1], line[CTL_UUID_MAX + 64];
	size_t len;
	int fd, ok, fl;
	long long end = simnet_now_ms() + 10000;

	memset(uuid, 'r', CTL_UUID_MAX);
	uuid[CTL_UUID_MAX] = '\0';
	len = (size_t)snprintf(line, sizeof(line),
	    "{\"uuid\":\"%s\",\"ip\":\"192.0.2.1\"}\n", uuid);
	fd = connect_to(path);
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (st->dropped == dropped0 && simnet_now_ms() < end) {
		for (int i = 0; i < 64; i++)
			if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
				break;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	T_EQ_INT(st->dropped, dropped0 + 1);
	T_CHECK(closed_by_server(fd, 2000));
	close(fd);

	fd = connect_to(path);
	puts_(fd, GOOD("after") "\n");
	T_EQ_STR(replies(fd, 1, &ok), "{\"uuid\":\"after\",\"status\":\"queued\"}");
	close(fd);
}

/*
 * ctl_submit runs in a child (it blocks); the parent drives the server.
 * The child writes "rc\treply-or-error" to a pipe.
 */
struct child {
	pid_t pid;
	int rfd;
};

static struct child
submit_in_child(const char *path, const char *req, int timeout_ms)
{
	struct child ch;
	int p[2];

	if (pipe(p) == -1 || (ch.pid = fork()) == -1) {
		perror("fork");
		exit(1);
	}
	if (ch.pid == 0) {
		char reply[512], err[256], out[1024];
		int rc, n;

		close(p[0]);
		rc = ctl_submit(path, req, reply, sizeof(reply), timeout_ms,
		    err, sizeof(err));
		n = snprintf(out, sizeof(out), "%d\t%s", rc, rc == 0 ? reply :
		    err);
		if (write(p[1], out, (size_t)n) != n)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	ch.rfd = p[0];
	return ch;
}

/* Drive the loop until the child is done; its "rc\ttext" (static). */
static const char *
child_result(struct child ch)
{
	static char buf[1024];
	size_t got = 0;
	int status;
	long long end = simnet_now_ms() + 5000;

	while (waitpid(ch.pid, &status, WNOHANG) == 0) {
		if (simnet_now_ms() > end) {
			kill(ch.pid, SIGKILL);
			waitpid(ch.pid, &status, 0);
			break;
		}
		event_base_loop(base, EVLOOP_ONCE);
	}
	for (;;) {
		ssize_t n = read(ch.rfd, buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(ch.rfd);
	return buf;
}

static void
test_submit(const char *dir, const char *path, struct stub *stub)
{
	char reply[256], err[256], other[100];
	struct child ch;
	const char *r;
	int lfd, fd;
	struct sockaddr_un sun;
	long long t0;

	T_EQ_STR(child_result(submit_in_child(path, GOOD("sub1"), 2000)),
	    "0\t{\"uuid\":\"sub1\",\"status\":\"queued\"}");
	T_EQ_STR(stub->last.uuid, "sub1");
	T_EQ_STR(child_result(submit_in_child(path,
	    "{\"uuid\":\"sub2\",\"ip\":\"nope\"}", 2000)),
	    "0\t{\"uuid\":\"sub2\",\"error\":\"ip: not an IP address\"}");
	/* No deadline at all works too. */
	T_EQ_STR(child_result(submit_in_child(path, GOOD("sub3"), 0)),
	    "0\t{\"uuid\":\"sub3\",\"status\":\"queued\"}");

	/* Nobody there. */
	snprintf(other, sizeof(other), "%s/nothing.sock", dir);
	T_EQ_INT(ctl_submit(other, GOOD("x"), reply, sizeof(reply), 1000, err,
	    sizeof(err)), -1);
	T_CHECK(strstr(err, "No such file or directory") != NULL);
	T_CHECK(strstr(err, other) != NULL);
	T_EQ_STR(reply, "");
	T_EQ_INT(ctl_submit(path, "a\nb", reply, sizeof(reply), 1000, err,
	    sizeof(err)), -1);
	T_EQ_STR(err, "request: contains a newline");

	/* A listener that never answers: the deadline holds. */
	snprintf(other, sizeof(other), "%s/mute.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", other);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	T_EQ_INT(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	T_EQ_INT(listen(lfd, 4), 0);
	t0 = simnet_now_ms();
	T_EQ_INT(ctl_submit(other, GOOD("x"), reply, sizeof(reply), 200, err,
	    sizeof(err)), -1);
	T_CHECK(simnet_now_ms() - t0 >= 190 && simnet_now_ms() - t0 < 1000);
	T_EQ_STR(err, "no reply within 200 ms");
	/* That connection still waits in the backlog: take it away. */
	fd = accept(lfd, NULL, NULL);
	close(fd);

	/* Closed without a reply; a reply longer than the buffer. */
	ch = submit_in_child(other, GOOD("x"), 2000);
	fd = accept(lfd, NULL, NULL);
	{
		char c = 0;

		while (c != '\n' && read(fd, &c, 1) == 1)
			;
	}
	close(fd);
	T_EQ_STR(child_result(ch), "-1\tconnection closed before a reply");
	ch = submit_in_child(other, GOOD("x"), 2000);
	fd = accept(lfd, NULL, NULL);
	{
		char longreply[600];

		memset(longreply, 'z', sizeof(longreply));
		put(fd, longreply, sizeof(longreply));
	}
	r = child_result(ch);
	T_EQ_STR(r, "-1\treply longer than 511 bytes");
	close(fd);
	/* The reply in pieces, with more after its newline. */
	ch = submit_in_child(other, GOOD("x"), 2000);
	fd = accept(lfd, NULL, NULL);
	puts_(fd, "{\"uuid\":");
	usleep(20000);
	puts_(fd, "\"x\",\"status\":\"queued\"}\n{\"next\":1}\n");
	T_EQ_STR(child_result(ch), "0\t{\"uuid\":\"x\",\"status\":\"queued\"}");
	close(fd);
	close(lfd);
	unlink(other);
}

static void
test_open_errors(const char *dir, const char *path, struct stub *stub)
{
	char err[256], p[300], sp[100];
	struct ctl_server *srv;
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	snprintf(p, sizeof(p), "%s/no/such/dir.sock", dir);
	T_CHECK(ctl_server_open(base, p, handler, stub, err, sizeof(err)) ==
	    NULL);
	T_CHECK(strstr(err, "No such file or directory") != NULL);

	memset(p, 'a', 200);
	p[0] = '/';
	p[200] = '\0';
	T_CHECK(ctl_server_open(base, p, handler, stub, err, sizeof(err)) ==
	    NULL);
	T_CHECK(strstr(err, "path too long") != NULL);

	/* A regular file is never removed. */
	snprintf(p, sizeof(p), "%s/regular", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	T_CHECK(ctl_server_open(base, p, handler, stub, err, sizeof(err)) ==
	    NULL);
	T_CHECK(strstr(err, "exists and is not a socket") != NULL);
	T_EQ_INT(stat(p, &st), 0);
	unlink(p);

	/* A stale socket (nobody listening) is replaced. */
	snprintf(sp, sizeof(sp), "%s/stale.sock", dir);
	snprintf(p, sizeof(p), "%s", sp);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sp);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	T_EQ_INT(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	srv = ctl_server_open(base, p, handler, stub, err, sizeof(err));
	T_CHECK(srv != NULL);
	/* ... but a live one is not taken over. */
	T_CHECK(ctl_server_open(base, p, handler, stub, err, sizeof(err)) ==
	    NULL);
	T_CHECK(strstr(err, "in use") != NULL);
	T_EQ_INT(lstat(p, &st), 0);
	T_CHECK(S_ISSOCK(st.st_mode));
	/* Free leaves alone a file that is no longer ours. */
	unlink(p);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ctl_server_free(srv);
	T_EQ_INT(lstat(p, &st), 0);
	T_CHECK(S_ISREG(st.st_mode));
	unlink(p);
	(void)path;
}

static void
test_stop(const char *path, struct stub *stub)
{
	char err[256];
	struct ctl_server *srv;
	struct stat st;
	int a, b, eof;

	/* Stop: new clients are refused; open ones get their replies, then
	 * are closed. */
	srv = ctl_server_open(base, path, handler, stub, err, sizeof(err));
	T_CHECK(srv != NULL);
	stub->srv = srv;
	a = connect_to(path);
	b = connect_to(path);
	puts_(a, GOOD("before-stop") "\n");
	T_EQ_STR(replies(a, 1, NULL),
	    "{\"uuid\":\"before-stop\",\"status\":\"queued\"}");
	ctl_server_stop(srv);
	T_CHECK(connect_to(path) == -1);
	T_CHECK(closed_by_server(a, 1000));
	T_CHECK(closed_by_server(b, 1000));
	close(a);
	close(b);
	T_EQ_INT(lstat(path, &st), 0);
	ctl_server_free(srv);
	T_EQ_INT(lstat(path, &st), -1);

	/* Stop from inside the handler: that request is still answered. */
	srv = ctl_server_open(base, path, handler, stub, err, sizeof(err));
	stub->srv = srv;
	stub->stop_in_handler = 1;
	a = connect_to(path);
	puts_(a, GOOD("last") "\n" GOOD("never") "\n");
	T_EQ_STR(replies(a, 2, &eof),
	    "{\"uuid\":\"last\",\"status\":\"queued\"}");
	T_EQ_INT(eof, 1);
	T_EQ_STR(stub->last.uuid, "last");
	stub->stop_in_handler = 0;
	close(a);
	/* Free with connections still open. */
	ctl_server_free(srv);
	srv = ctl_server_open(base, path, handler, stub, err, sizeof(err));
	a = connect_to(path);
	puts_(a, "{\"uuid\":");
	simnet_loop_for(base, 20);
	ctl_server_free(srv);
	T_CHECK(closed_by_server(a, 1000));
	close(a);
}

int
main(void)
{
	char dir[] = "/tmp/hoplite-test-ctl-XXXXXX", path[256], err[256];
	struct stub stub;
	struct ctl_server *srv;
	struct event *tk;
	struct stat st;

	signal(SIGPIPE, SIG_IGN);
	test_parse();

	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	base = event_base_new();
	tk = simnet_ticker(base);
	memset(&stub, 0, sizeof(stub));

	test_open_errors(dir, path, &stub);

	srv = ctl_server_open(base, path, handler, &stub, err, sizeof(err));
	T_CHECK(srv != NULL);
	if (srv == NULL) {
		fprintf(stderr, "ctl_server_open: %s\n", err);
		return 1;
	}
	stub.srv = srv;
	T_EQ_INT(lstat(path, &st), 0);
	T_CHECK(S_ISSOCK(st.st_mode));
	T_EQ_INT(st.st_mode & 07777, 0660);

	test_conversation(path, &stub, srv);
	test_many(path, srv);
	test_cycles(path, srv);
	test_no_reader(path, srv);
	test_submit(dir, path, &stub);
	ctl_server_free(srv);
	T_EQ_INT(lstat(path, &st), -1);

	test_stop(path, &stub);

	event_free(tk);
	event_base_free(base);
	rmdir(dir);
	return T_DONE();
}
