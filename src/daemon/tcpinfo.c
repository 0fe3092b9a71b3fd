/* tcpinfo: the consumer side of M-Lab's tcp-info event socket. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "util/log.h"
#include "util/jsonl.h"
#include "daemon/mlab.h"
#include "daemon/tcpinfo.h"

/* Real events nest two objects deep; anything far deeper is junk. */
#define TCPINFO_DEPTH_MAX	8

#define TCPINFO_BACKOFF_MIN_MS	1000
#define TCPINFO_BACKOFF_MAX_MS	60000
/* A connection that lived this long was a good one: back off from scratch. */
#define TCPINFO_GOOD_CONN_MS	10000

/*
 * Parsing
 */

static int
fail(char *err, size_t errlen, const char *reason)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", reason);
	return -1;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm).
 * The fraction has 1 to 9 digits (nanoseconds; truncated to microseconds).
 * A leap second (:60) is folded into the next second.
 */
static int
parse_rfc3339(const char *s, size_t len, struct timeval *tv)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	const char *p = s, *end = s + len;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, dim;
	long usec = 0;
	long long t;

	if (len < 20 || digits(&p, 4, &y) || *p++ != '-' ||
	    digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d) ||
	    (*p != 'T' && *p != 't') || (p++, digits(&p, 2, &h)) ||
	    *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		return -1;
	if (p < end && *p == '.') {
		int n = 0;
		long scale = 100000;

		for (p++; p < end && *p >= '0' && *p <= '9'; p++, n++) {
			if (n < 6) {
				usec += (*p - '0') * scale;
				scale /= 10;
			}
		}
		if (n < 1 || n > 9)
			return -1;
	}
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		sign = *p++ == '+' ? 1 : -1;
		if (end - p != 5 || digits(&p, 2, &oh) || *p++ != ':' ||
		    digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (p != end)
		return -1;
	if (mo < 1 || mo > 12)
		return -1;
	dim = mdays[mo - 1] + (mo == 2 && leap(y));
	if (d < 1 || d > dim || h > 23 || mi > 59 || sec > 60)
		return -1;
	t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec;
	t -= sign * (oh * 3600LL + om * 60LL);
	if ((time_t)t != t)
		return -1;
	tv->tv_sec = (time_t)t;
	tv->tv_usec = usec;
	return 0;
}

/* v4-mapped addresses are the IPv4 address they carry. */
static int
parse_ip(json_t *v, struct addr_ip *a)
{
	if (!json_is_string(v) || json_string_length(v) > 63 ||
	    addr_pton(json_string_value(v), a) == -1)
		return -1;
	addr_unmap(a);
	return 0;
}

static int
parse_port(json_t *v, uint16_t *port)
{
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < 0 || n > 65535)
		return -1;
	*port = (uint16_t)n;
	return 0;
}

static int
parse_id(json_t *id, struct tcpinfo_event *ev, char *err, size_t errlen)
{
	json_t *v;

	if (!json_is_object(id))
		return fail(err, errlen, "id");
	if (parse_port(json_object_get(id, "SPort"), &ev->sport) == -1 ||
	    parse_port(json_object_get(id, "DPort"), &ev->dport) == -1)
		return fail(err, errlen, "id");
	if ((v = json_object_get(id, "Cookie")) != NULL) {
		if (!json_is_integer(v))
			return fail(err, errlen, "id");
		ev->cookie = (int64_t)json_integer_value(v);
	}
	if (parse_ip(json_object_get(id, "SrcIP"), &ev->src) == -1 ||
	    parse_ip(json_object_get(id, "DstIP"), &ev->dst) == -1)
		return fail(err, errlen, "address");
	ev->has_id = 1;
	return 0;
}

int
tcpinfo_parse(const char *line, size_t len, struct tcpinfo_event *ev,
    char *err, size_t errlen)
{
	json_t *root = NULL, *v;
	json_int_t type;
	int rc = -1;

	memset(ev, 0, sizeof(*ev));
	if (len > TCPINFO_LINE_MAX ||
	    (root = jsonl_object(line, len, TCPINFO_DEPTH_MAX, err, errlen)) == NULL) {
		fail(err, errlen, "json");
		goto done;
	}

	v = json_object_get(root, "Event");
	if (!json_is_integer(v) || (type = json_integer_value(v)) < INT_MIN ||
	    type > INT_MAX) {
		fail(err, errlen, "type");
		goto done;
	}
	ev->type = (int)type;

	v = json_object_get(root, "UUID");
	if (!json_is_string(v) ||
	    mlab_uuid_problem(json_string_value(v), json_string_length(v)) != NULL) {
		fail(err, errlen, "uuid");
		goto done;
	}
	memcpy(ev->uuid, json_string_value(v), json_string_length(v) + 1);

	/* The producer always sends one; without it the time is unknown (0). */
	if ((v = json_object_get(root, "Timestamp")) != NULL &&
	    (!json_is_string(v) || parse_rfc3339(json_string_value(v),
	    json_string_length(v), &ev->ts) == -1)) {
		fail(err, errlen, "timestamp");
		goto done;
	}

	/* An object on Open, null on Close; optional for other types. */
	v = json_object_get(root, "ID");
	if (v == NULL || json_is_null(v)) {
		if (ev->type == TCPINFO_OPEN) {
			fail(err, errlen, "id");
			goto done;
		}
	} else if (parse_id(v, ev, err, errlen) == -1) {
		goto done;
	}
	rc = 0;
done:
	json_decref(root);
	if (rc == -1) {
		/* Leave nothing half-filled behind. */
		memset(ev, 0, sizeof(*ev));
	}
	return rc;
}

/*
 * Client
 */

struct tcpinfo_client {
	struct event_base *base;
	char *path;
	tcpinfo_cb cb;
	void *arg;
	struct bufferevent *bev;	/* NULL while disconnected */
	struct event *retry_ev;
	unsigned backoff_min_ms, backoff_max_ms, backoff_ms;
	struct timespec conn_start;	/* CLOCK_MONOTONIC */
	uint64_t conn_lines;		/* lines read on this connection */
	int discarding;			/* inside an oversize line */
	int failing;			/* last attempt failed (quiet logging) */
	struct tcpinfo_stats stats;
};

static void client_connect(struct tcpinfo_client *);

static long long
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000LL +
	    (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void
schedule_retry(struct tcpinfo_client *c)
{
	struct timeval tv;

	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_add(c->retry_ev, &tv);
	if (c->backoff_ms > c->backoff_max_ms / 2)
		c->backoff_ms = c->backoff_max_ms;
	else
		c->backoff_ms *= 2;
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	client_connect(arg);
}

static void
handle_line(struct tcpinfo_client *c, const char *line, size_t len)
{
	struct tcpinfo_event ev;
	char err[32];

	c->stats.lines++;
	c->conn_lines++;
	if (len == 0)
		return;
	if (tcpinfo_parse(line, len, &ev, err, sizeof(err)) == -1) {
		c->stats.bad_json++;
		log_debug("event socket: skipped a line (%s)", err);
		return;
	}
	c->stats.events++;
	c->cb(&ev, c->arg);
}

/*
 * Complete lines go to the parser at once; a line longer than
 * TCPINFO_LINE_MAX is counted once and dropped through its newline, even
 * when that newline arrives in a later read.
 */
static void
read_lines(struct tcpinfo_client *c, struct evbuffer *in)
{
	struct evbuffer_ptr eol;
	size_t eol_len, n;
	char *line;

	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (c->discarding) {
			if (eol.pos == -1) {
				evbuffer_drain(in, evbuffer_get_length(in));
				return;
			}
			evbuffer_drain(in, (size_t)eol.pos + eol_len);
			c->discarding = 0;
			continue;
		}
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) > TCPINFO_LINE_MAX) {
				c->stats.lines++;
				c->stats.oversize++;
				c->discarding = 1;
				evbuffer_drain(in, evbuffer_get_length(in));
			}
			return;
		}
		if ((size_t)eol.pos > TCPINFO_LINE_MAX) {
			c->stats.lines++;
			c->stats.oversize++;
			evbuffer_drain(in, (size_t)eol.pos + eol_len);
			continue;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL)
			return;
		handle_line(c, line, n);
		free(line);
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	read_lines(arg, bufferevent_get_input(bev));
}

static void
disconnect(struct tcpinfo_client *c)
{
	if (elapsed_ms(&c->conn_start) > TCPINFO_GOOD_CONN_MS ||
	    c->conn_lines > 0)
		c->backoff_ms = c->backoff_min_ms;
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->discarding = 0;
	c->stats.connected = 0;
	c->stats.disconnects++;
	schedule_retry(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct tcpinfo_client *c = arg;

	if (what & BEV_EVENT_EOF) {
		/* Complete lines still buffered; a partial last line is lost. */
		read_lines(c, bufferevent_get_input(bev));
		log_warnx("event socket %s: closed by the producer; "
		    "reconnecting", c->path);
	} else if (what & BEV_EVENT_ERROR) {
		log_warn("event socket %s: read error; reconnecting", c->path);
	} else {
		return;
	}
	disconnect(c);
}

static void
client_connect(struct tcpinfo_client *c)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	/* AF_UNIX connects at once or fails (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		goto fail;
	if ((c->bev = bufferevent_socket_new(c->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	fd = -1;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	/* We never write: tcp-info sends, consumers only read. */
	bufferevent_disable(c->bev, EV_WRITE);
	if (bufferevent_enable(c->bev, EV_READ) == -1) {
		bufferevent_free(c->bev);
		c->bev = NULL;
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &c->conn_start);
	c->conn_lines = 0;
	c->discarding = 0;
	c->failing = 0;
	c->stats.connects++;
	c->stats.connected = 1;
	log_info("event socket %s: connected", c->path);
	return;
fail:
	/* Say it once per outage, not once per retry. */
	if (!c->failing)
		log_warn("event socket %s: cannot connect; retrying with "
		    "backoff", c->path);
	else
		log_debug("event socket %s: cannot connect: %s", c->path,
		    strerror(errno));
	c->failing = 1;
	if (fd != -1)
		close(fd);
	c->stats.connect_failures++;
	schedule_retry(c);
}

struct tcpinfo_client *
tcpinfo_client_new(struct event_base *base, const char *path, tcpinfo_cb cb,
    void *arg)
{
	struct tcpinfo_client *c;
	struct sockaddr_un sun;
	struct timeval now = { 0, 0 };

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->cb = cb;
	c->arg = arg;
	c->backoff_min_ms = c->backoff_ms = TCPINFO_BACKOFF_MIN_MS;
	c->backoff_max_ms = TCPINFO_BACKOFF_MAX_MS;
	if ((c->path = strdup(path)) == NULL ||
	    (c->retry_ev = evtimer_new(base, retry_cb, c)) == NULL) {
		tcpinfo_client_free(c);
		return NULL;
	}
	/* First attempt on the next loop turn, after any set_backoff. */
	evtimer_add(c->retry_ev, &now);
	return c;
}

void
tcpinfo_client_set_backoff(struct tcpinfo_client *c, unsigned min_ms,
    unsigned max_ms)
{
	if (min_ms == 0)
		min_ms = 1;
	if (max_ms < min_ms)
		max_ms = min_ms;
	c->backoff_min_ms = c->backoff_ms = min_ms;
	c->backoff_max_ms = max_ms;
}

const struct tcpinfo_stats *
tcpinfo_client_stats(const struct tcpinfo_client *c)
{
	return &c->stats;
}

void
tcpinfo_client_free(struct tcpinfo_client *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->retry_ev != NULL)
		event_free(c->retry_ev);
	free(c->path);
	free(c);
}
