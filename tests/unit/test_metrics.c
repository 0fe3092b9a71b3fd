/* test_metrics: the Prometheus text format, the series bound, a scrape. */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/metrics.h"
#include "t.h"

static const double tbuckets[] = { 0.5, 1, 2.5 };

static const char want_small[] =
    "# HELP traces_performed_total Traces completed.\n"
    "# TYPE traces_performed_total counter\n"
    "traces_performed_total 3\n"
    "# HELP traces_skipped_total Traces not started, by reason.\n"
    "# TYPE traces_skipped_total counter\n"
    "traces_skipped_total{reason=\"refused\"} 2\n"
    "traces_skipped_total{reason=\"queue_full\"} 2\n"
    "# HELP traces_in_progress Traces running now.\n"
    "# TYPE traces_in_progress gauge\n"
    "traces_in_progress 1.25\n"
    "# HELP trace_time_seconds Time from first probe to result.\n"
    "# TYPE trace_time_seconds histogram\n"
    "trace_time_seconds_bucket{outcome=\"success\",le=\"0.5\"} 2\n"
    "trace_time_seconds_bucket{outcome=\"success\",le=\"1\"} 3\n"
    "trace_time_seconds_bucket{outcome=\"success\",le=\"2.5\"} 4\n"
    "trace_time_seconds_bucket{outcome=\"success\",le=\"+Inf\"} 5\n"
    "trace_time_seconds_sum{outcome=\"success\"} 7.1\n"
    "trace_time_seconds_count{outcome=\"success\"} 5\n"
    "trace_time_seconds_bucket{outcome=\"error\",le=\"0.5\"} 0\n"
    "trace_time_seconds_bucket{outcome=\"error\",le=\"1\"} 0\n"
    "trace_time_seconds_bucket{outcome=\"error\",le=\"2.5\"} 1\n"
    "trace_time_seconds_bucket{outcome=\"error\",le=\"+Inf\"} 1\n"
    "trace_time_seconds_sum{outcome=\"error\"} 1.0000001\n"
    "trace_time_seconds_count{outcome=\"error\"} 1\n"
    "# HELP queue_wait_seconds Time in the queue.\n"
    "# TYPE queue_wait_seconds histogram\n"
    "queue_wait_seconds_bucket{le=\"0.1\"} 0\n"
    "queue_wait_seconds_bucket{le=\"+Inf\"} 0\n"
    "queue_wait_seconds_sum 0\n"
    "queue_wait_seconds_count 0\n"
    "# HELP refusals_total Refused destinations.\n"
    "# TYPE refusals_total counter\n";

/* The registry above; returns the gauge for the scrape test. */
static struct metric *
small_registry(struct metrics *m)
{
	struct metric *c1, *c2, *g, *h, *q;
	static const double qb[] = { 0.1 };

	c1 = metrics_register(m, "traces_performed_total", "Traces completed.",
	    METRIC_COUNTER, NULL, NULL, 0);
	c2 = metrics_register(m, "traces_skipped_total",
	    "Traces not started, by reason.", METRIC_COUNTER, "reason", NULL,
	    0);
	g = metrics_register(m, "traces_in_progress", "Traces running now.",
	    METRIC_GAUGE, NULL, NULL, 0);
	h = metrics_register(m, "trace_time_seconds",
	    "Time from first probe to result.", METRIC_HISTOGRAM, "outcome",
	    tbuckets, 3);
	q = metrics_register(m, "queue_wait_seconds", "Time in the queue.",
	    METRIC_HISTOGRAM, NULL, qb, 1);
	/* Labelled, never used: HELP and TYPE only. */
	T_CHECK(metrics_register(m, "refusals_total", "Refused destinations.",
	    METRIC_COUNTER, "reason", NULL, 0) != NULL);
	T_CHECK(c1 != NULL && c2 != NULL && g != NULL && h != NULL &&
	    q != NULL);

	metric_add(c1, NULL, 1);
	metric_add(c1, NULL, 2);
	metric_add(c1, NULL, -5);		/* a counter never goes down */
	metric_add(c1, NULL, NAN);
	metric_add(c2, "refused", 1);
	metric_add(c2, "queue_full", 2);
	metric_add(c2, "refused", 1);
	metric_set(g, NULL, 2);
	metric_add(g, NULL, -1);		/* a gauge does */
	metric_add(g, NULL, 0.25);
	/* Bounds are inclusive: each edge lands in its own bucket. */
	metric_observe(h, "success", 0.5);
	metric_observe(h, "success", 1);
	metric_observe(h, "success", 2.5);
	metric_observe(h, "success", 3);
	metric_observe(h, "success", 0.1);
	metric_observe(h, "error", 1.0000001);
	metric_observe(h, "error", NAN);	/* dropped */
	/* Wrong kinds are ignored. */
	metric_observe(c1, NULL, 1);
	metric_add(h, "success", 1);
	metric_set(h, "success", 1);
	/* A NULL metric is ignored. */
	metric_add(NULL, NULL, 1);
	metric_set(NULL, "x", 1);
	metric_observe(NULL, "x", 1);
	return g;
}

static void
test_render(void)
{
	struct metrics *m = metrics_new();
	char *text;

	T_CHECK(m != NULL);
	small_registry(m);
	text = metrics_render(m);
	T_EQ_STR(text, want_small);
	free(text);
	/* Registering again returns the first family, output unchanged. */
	T_CHECK(metrics_register(m, "traces_performed_total", "Other help.",
	    METRIC_COUNTER, NULL, NULL, 0) ==
	    metrics_register(m, "traces_performed_total", "x", METRIC_COUNTER,
	    NULL, NULL, 0));
	text = metrics_render(m);
	T_EQ_STR(text, want_small);
	free(text);
	metrics_free(m);

	/* An empty registry renders as nothing. */
	m = metrics_new();
	text = metrics_render(m);
	T_EQ_STR(text, "");
	free(text);
	metrics_free(m);
	metrics_free(NULL);
	T_CHECK(metrics_render(NULL) == NULL);
}

struct vcase {
	double v;
	const char *want;
};

static void
test_values(void)
{
	static const struct vcase vc[] = {
		{ 0, "0" }, { -0.0, "0" }, { 1, "1" }, { -1, "-1" },
		{ 3, "3" }, { 1e6, "1000000" },
		{ 123456789012, "123456789012" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e17, "1e+17" }, { 1.5e16, "1.5e+16" },
		{ 0.1, "0.1" }, { 0.25, "0.25" }, { -2.5, "-2.5" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 1e-7, "1e-07" }, { 1e300, "1e+300" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 5e-324, "5e-324" }, { 123.456, "123.456" },
		{ INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { NAN, "NaN" },
	};
	char want[256], *text;

	for (size_t i = 0; i < sizeof(vc) / sizeof(vc[0]); i++) {
		struct metrics *m = metrics_new();
		struct metric *g = metrics_register(m, "g", "h", METRIC_GAUGE,
		    NULL, NULL, 0);

		metric_set(g, NULL, vc[i].v);
		snprintf(want, sizeof(want),
		    "# HELP g h\n# TYPE g gauge\ng %s\n", vc[i].want);
		text = metrics_render(m);
		T_EQ_STR(text, want);
		free(text);
		metrics_free(m);
	}
}

static void
test_escaping(void)
{
	struct metrics *m = metrics_new();
	struct metric *c;
	char *text, lng[300], want[1024];

	c = metrics_register(m, "esc_total",
	    "Back\\slash and\nnewline \"kept\".", METRIC_COUNTER, "v", NULL, 0);
	metric_add(c, "a\\b\"c\nd", 1);
	metric_add(c, "caf\xc3\xa9", 1);	/* UTF-8 kept */
	metric_add(c, "bad\xff\xc3", 1);	/* not UTF-8 */
	metric_add(c, NULL, 1);			/* an empty value */
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	metric_add(c, lng, 1);
	lng[200] = 'y';				/* same first 128 bytes */
	metric_add(c, lng, 1);
	snprintf(want, sizeof(want),
	    "# HELP esc_total Back\\\\slash and\\nnewline \"kept\".\n"
	    "# TYPE esc_total counter\n"
	    "esc_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"
	    "esc_total{v=\"caf\xc3\xa9\"} 1\n"
	    "esc_total{v=\"bad??\"} 1\n"
	    "esc_total{v=\"\"} 1\n"
	    "esc_total{v=\"%.128s\"} 2\n", lng);
	text = metrics_render(m);
	T_EQ_STR(text, want);
	free(text);
	metrics_free(m);

	/* A multi-byte character is not cut in half at the limit. */
	m = metrics_new();
	c = metrics_register(m, "cut_total", "h", METRIC_COUNTER, "v", NULL, 0);
	memset(lng, 'x', 127);
	memcpy(lng + 127, "\xc3\xa9", 3);
	metric_add(c, lng, 1);
	text = metrics_render(m);
	snprintf(want, sizeof(want),
	    "# HELP cut_total h\n# TYPE cut_total counter\n"
	    "cut_total{v=\"%.127s\"} 1\n", lng);
	T_EQ_STR(text, want);
	free(text);
	metrics_free(m);
}

static int
count_lines(const char *s, const char *prefix)
{
	int n = 0;

	for (const char *p = s; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

static void
test_bound(void)
{
	struct metrics *m = metrics_new();
	struct metric *c, *h, *e;
	char label[32], *text;
	static const double b[] = { 1 };

	c = metrics_register(m, "flood_total", "h", METRIC_COUNTER, "reason",
	    NULL, 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(label, sizeof(label), "r%d", i);
		metric_add(c, label, 1);
	}
	metric_add(c, "r0", 1);		/* a named series still counts */
	text = metrics_render(m);
	T_EQ_INT(count_lines(text, "flood_total{"), METRICS_MAX_SERIES);
	T_CHECK(strstr(text, "flood_total{reason=\"r0\"} 2\n") != NULL);
	T_CHECK(strstr(text, "flood_total{reason=\"r62\"} 1\n") != NULL);
	T_CHECK(strstr(text, "flood_total{reason=\"r63\"}") == NULL);
	T_CHECK(strstr(text, "flood_total{reason=\"other\"} 937\n") != NULL);
	free(text);

	/* Histograms fold the same way. */
	h = metrics_register(m, "flood_seconds", "h", METRIC_HISTOGRAM, "x", b,
	    1);
	for (int i = 0; i < 200; i++) {
		snprintf(label, sizeof(label), "x%d", i);
		metric_observe(h, label, 2);
	}
	text = metrics_render(m);
	T_EQ_INT(count_lines(text, "flood_seconds_count{"), METRICS_MAX_SERIES);
	T_CHECK(strstr(text, "flood_seconds_count{x=\"other\"} 137\n") != NULL);
	free(text);

	/* "other" used by name early shares the fold-in series, and the
	 * last slot then goes to a named value. */
	e = metrics_register(m, "early_total", "h", METRIC_COUNTER, "r", NULL,
	    0);
	metric_add(e, "other", 1);
	for (int i = 0; i < 100; i++) {
		snprintf(label, sizeof(label), "e%d", i);
		metric_add(e, label, 1);
	}
	text = metrics_render(m);
	T_EQ_INT(count_lines(text, "early_total{"), METRICS_MAX_SERIES);
	T_CHECK(strstr(text, "early_total{r=\"e62\"} 1\n") != NULL);
	T_CHECK(strstr(text, "early_total{r=\"other\"} 38\n") != NULL);
	free(text);
	metrics_free(m);
}

static void
test_register_errors(void)
{
	struct metrics *m = metrics_new();
	double many[65];
	static const double desc[] = { 1, 0.5 }, dup[] = { 1, 1 },
	    nan_b[] = { NAN }, inf_b[] = { 1, INFINITY };

	for (int i = 0; i < 65; i++)
		many[i] = i;
	T_CHECK(metrics_register(m, "", "h", METRIC_COUNTER, NULL, NULL, 0) ==
	    NULL);
	T_CHECK(metrics_register(m, NULL, "h", METRIC_COUNTER, NULL, NULL, 0) ==
	    NULL);
	T_CHECK(metrics_register(m, "1abc", "h", METRIC_COUNTER, NULL, NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "a-b", "h", METRIC_COUNTER, NULL, NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "a b", "h", METRIC_COUNTER, NULL, NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "ok", NULL, METRIC_COUNTER, NULL, NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", (enum metric_type)7, NULL, NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_COUNTER, "__x", NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_COUNTER, "a:b", NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_COUNTER, "", NULL,
	    0) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_HISTOGRAM, "le",
	    tbuckets, 3) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_HISTOGRAM, NULL, desc,
	    2) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_HISTOGRAM, NULL, dup,
	    2) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_HISTOGRAM, NULL, nan_b,
	    1) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_HISTOGRAM, NULL, inf_b,
	    2) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_HISTOGRAM, NULL, NULL,
	    2) == NULL);
	T_CHECK(metrics_register(m, "ok", "h", METRIC_HISTOGRAM, NULL, many,
	    65) == NULL);
	T_CHECK(metrics_register(NULL, "ok", "h", METRIC_COUNTER, NULL, NULL,
	    0) == NULL);
	/* Nothing was registered by the failures. */
	{
		char *text = metrics_render(m);

		T_EQ_STR(text, "");
		free(text);
	}
	/* What is allowed: colons in names, "le" on a counter, 64 buckets,
	 * a histogram with only +Inf. */
	T_CHECK(metrics_register(m, "ns:sub_total", "h", METRIC_COUNTER, "le",
	    NULL, 0) != NULL);
	T_CHECK(metrics_register(m, "many_seconds", "h", METRIC_HISTOGRAM, NULL,
	    many, 64) != NULL);
	T_CHECK(metrics_register(m, "inf_only", "h", METRIC_HISTOGRAM, "_x",
	    NULL, 0) != NULL);
	metrics_free(m);
}

/* --- the HTTP endpoint ------------------------------------------------ */

struct resp {
	char buf[65536];
	size_t len;
	int complete;		/* the server closed the connection */
};

/*
 * Send `request` to the server over TCP and read until it closes, driving
 * the server's event loop between non-blocking client steps.
 */
static int
fetch(struct event_base *base, int family, int port, const char *request,
    struct resp *r)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	size_t sent = 0, len = strlen(request);
	struct timespec t0, now;
	int fd;

	memset(r, 0, sizeof(*r));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_loopback;
		sslen = sizeof(*sin6);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sslen) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		event_base_loop(base, EVLOOP_NONBLOCK);
		if (sent < len) {
			n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n == -1 && errno != EAGAIN &&
			    errno != ENOTCONN)
				break;
		}
		n = recv(fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len, 0);
		if (n > 0) {
			r->len += (size_t)n;
			if (r->len == sizeof(r->buf) - 1)
				break;
			continue;
		}
		if (n == 0) {
			r->complete = 1;
			break;
		}
		if (errno != EAGAIN && errno != ENOTCONN && errno != EINTR)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 5)
			break;
		poll(&pfd, 1, 1);
	}
	r->buf[r->len] = '\0';
	close(fd);
	return r->complete ? 0 : -1;
}

static const char *
body_of(const struct resp *r)
{
	const char *p = strstr(r->buf, "\r\n\r\n");

	return p != NULL ? p + 4 : NULL;
}

static int renders;

static void
before(void *arg)
{
	renders++;
	metric_set(arg, NULL, renders);
}

static void
test_serve(void)
{
	struct event_base *base = event_base_new();
	struct metrics *m = metrics_new();
	struct metric *g;
	struct resp *r = malloc(sizeof(*r));
	char err[256], *text;
	int port;

	g = small_registry(m);
	T_EQ_INT(metrics_port(m), -1);
	T_EQ_INT(metrics_serve(m, base, "127.0.0.1:0", before, g, err,
	    sizeof(err)), 0);
	port = metrics_port(m);
	T_CHECK(port > 0 && port < 65536);

	/* GET: 200, the format's content type, the registry as body, with
	 * the hook run first (it sets the gauge to the scrape count). */
	T_EQ_INT(fetch(base, AF_INET, port,
	    "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", r),
	    0);
	T_CHECK(strncmp(r->buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	T_CHECK(strstr(r->buf, "\r\nContent-Type: text/plain; version=0.0.4; "
	    "charset=utf-8\r\n") != NULL);
	T_EQ_INT(renders, 1);
	text = metrics_render(m);
	T_EQ_STR(body_of(r), text);
	T_CHECK(strstr(text, "\ntraces_in_progress 1\n") != NULL);
	free(text);

	/* HTTP/1.0, and a query string. */
	T_EQ_INT(fetch(base, AF_INET, port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n",
	    r), 0);
	T_CHECK(strncmp(r->buf, "HTTP/1.0 200 OK\r\n", 17) == 0 ||
	    strncmp(r->buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	T_CHECK(body_of(r) != NULL &&
	    strstr(body_of(r), "\ntraces_in_progress 2\n") != NULL);
	T_CHECK(body_of(r) != NULL &&
	    strncmp(body_of(r), want_small, 80) == 0);

	/* HEAD: the headers alone. */
	T_EQ_INT(fetch(base, AF_INET, port,
	    "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    r), 0);
	T_CHECK(strncmp(r->buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
	T_CHECK(body_of(r) != NULL && *body_of(r) == '\0');
	text = metrics_render(m);
	{
		char cl[64];

		snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n",
		    strlen(text));
		T_CHECK(strstr(r->buf, cl) != NULL);
	}
	free(text);

	/* Other paths: 404.  Other methods: 405 with Allow. */
	T_EQ_INT(fetch(base, AF_INET, port,
	    "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", r), 0);
	T_CHECK(strncmp(r->buf, "HTTP/1.1 404 ", 13) == 0);
	T_EQ_STR(body_of(r), "Not Found\n");
	T_EQ_INT(fetch(base, AF_INET, port,
	    "GET /metricsx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    r), 0);
	T_CHECK(strncmp(r->buf, "HTTP/1.1 404 ", 13) == 0);
	T_EQ_INT(fetch(base, AF_INET, port,
	    "GET /metrics/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    r), 0);
	T_CHECK(strncmp(r->buf, "HTTP/1.1 404 ", 13) == 0);
	T_EQ_INT(fetch(base, AF_INET, port,
	    "POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Content-Length: 2\r\n\r\nhi", r), 0);
	T_CHECK(strncmp(r->buf, "HTTP/1.1 405 ", 13) == 0);
	T_CHECK(strstr(r->buf, "\r\nAllow: GET, HEAD\r\n") != NULL);
	T_EQ_INT(fetch(base, AF_INET, port,
	    "DELETE /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    r), 0);
	T_CHECK(strncmp(r->buf, "HTTP/1.1 405 ", 13) == 0);
	T_EQ_INT(renders, 3);		/* only the GETs and the HEAD */

	/* Serving twice, or a port already taken. */
	T_EQ_INT(metrics_serve(m, base, "127.0.0.1:0", NULL, NULL, err,
	    sizeof(err)), -1);
	T_CHECK(strstr(err, "already") != NULL);
	{
		struct metrics *m2 = metrics_new();
		char ap[64];

		snprintf(ap, sizeof(ap), "127.0.0.1:%d", port);
		T_EQ_INT(metrics_serve(m2, base, ap, NULL, NULL, err,
		    sizeof(err)), -1);
		T_CHECK(strstr(err, "Address already in use") != NULL);
		T_EQ_INT(metrics_port(m2), -1);
		metrics_free(m2);
	}
	metrics_free(m);
	/* The socket is gone with the registry. */
	T_EQ_INT(fetch(base, AF_INET, port, "GET /metrics HTTP/1.0\r\n\r\n",
	    r), -1);

	/* IPv6, and ":PORT" for IPv4 and IPv6 at once (when the host has
	 * IPv6 loopback). */
	m = metrics_new();
	small_registry(m);
	if (metrics_serve(m, base, "[::1]:0", NULL, NULL, err,
	    sizeof(err)) == 0) {
		port = metrics_port(m);
		T_EQ_INT(fetch(base, AF_INET6, port,
		    "GET /metrics HTTP/1.0\r\n\r\n", r), 0);
		T_CHECK(strstr(r->buf, " 200 OK\r\n") != NULL);
		T_CHECK(body_of(r) != NULL &&
		    strcmp(body_of(r), want_small) == 0);
		/* [::1] is IPv6 only. */
		T_EQ_INT(fetch(base, AF_INET, port,
		    "GET /metrics HTTP/1.0\r\n\r\n", r), -1);
		metrics_free(m);
		m = metrics_new();
		small_registry(m);
		T_EQ_INT(metrics_serve(m, base, ":0", NULL, NULL, err,
		    sizeof(err)), 0);
		port = metrics_port(m);
		T_EQ_INT(fetch(base, AF_INET6, port,
		    "GET /metrics HTTP/1.0\r\n\r\n", r), 0);
		T_CHECK(strstr(r->buf, " 200 OK\r\n") != NULL);
		T_EQ_INT(fetch(base, AF_INET, port,
		    "GET /metrics HTTP/1.0\r\n\r\n", r), 0);
		T_CHECK(strstr(r->buf, " 200 OK\r\n") != NULL);
	} else
		fprintf(stderr, "skip: no IPv6 loopback (%s)\n", err);
	metrics_free(m);
	free(r);
	event_base_free(base);
}

static void
test_bad_addrs(void)
{
	static const char *const bad[] = {
		"", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1:80x",
		"127.0.0.1:000080", "localhost:9990", "::1:9990", "[::1]",
		"[::1]9990", "[::1]:", "[]:80", "[127.0.0.1]:80",
		"[::1:80", "1.2.3:80", "1.2.3.4.5:80", " 127.0.0.1:80",
		"127.0.0.1:80 ", "[fe80::1%lo]:80",
	};
	struct event_base *base = event_base_new();
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct metrics *m = metrics_new();

		err[0] = '\0';
		t_checks++;
		if (metrics_serve(m, base, bad[i], NULL, NULL, err,
		    sizeof(err)) != -1) {
			t_failed++;
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
		}
		T_CHECK(strstr(err, "bad address") != NULL);
		metrics_free(m);
	}
	{
		struct metrics *m = metrics_new();

		T_EQ_INT(metrics_serve(m, base, NULL, NULL, NULL, err,
		    sizeof(err)), -1);
		T_EQ_INT(metrics_serve(m, NULL, "127.0.0.1:0", NULL, NULL,
		    NULL, 0), -1);
		T_EQ_INT(metrics_serve(NULL, base, "127.0.0.1:0", NULL, NULL,
		    err, sizeof(err)), -1);
		metrics_free(m);
	}
	event_base_free(base);
}

int
main(void)
{
	test_render();
	test_values();
	test_escaping();
	test_bound();
	test_register_errors();
	test_bad_addrs();
	test_serve();
	return T_DONE();
}
