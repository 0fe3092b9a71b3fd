/* ctl: hoplited's control socket (server, request parser, client). */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "daemon/ctl.h"
#include "util/jsonl.h"
#include "daemon/mlab.h"
#include "util/log.h"

/* Requests are flat; anything nested deeper than this is junk. */
#define CTL_DEPTH_MAX		8
/* A connection silent this long is closed (it holds one of CTL_CONN_MAX). */
#define CTL_IDLE_SEC		600
/* Replies a client has not read for this long: the client is gone. */
#define CTL_WRITE_SEC		60
/* After accept() fails (EMFILE...), pause accepting this long. */
#define CTL_ACCEPT_PAUSE_MS	1000

/*
 * Parsing
 */

static int
fail(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

/* An optional port: absent or null is 0. */
static int
opt_port(json_t *root, const char *key, uint16_t *port, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(root, key);
	json_int_t n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    n > 65535) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: not a port number (0-65535)",
			    key);
		return -1;
	}
	*port = (uint16_t)n;
	return 0;
}

static void
unknown_method(char *err, size_t errlen)
{
	size_t off;

	if (errlen == 0)
		return;
	off = (size_t)snprintf(err, errlen, "method: unknown (");
	for (size_t i = 0; pkt_methods[i] != NULL && off < errlen; i++)
		off += (size_t)snprintf(err + off, errlen - off, "%s%s",
		    i > 0 ? ", " : "", pkt_methods[i]->name);
	if (off < errlen)
		snprintf(err + off, errlen - off, ")");
}

int
ctl_parse(const char *line, size_t len, struct ctl_request *req, char *err,
    size_t errlen)
{
	json_t *root = NULL, *v;
	const char *why;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	if (len > CTL_LINE_MAX) {
		fail(err, errlen, "line too long");
		goto done;
	}
	if ((root = jsonl_object(line, len, CTL_DEPTH_MAX, err, errlen)) == NULL)
		goto done;

	/* The uuid first, so that later errors can name the request. */
	if ((v = json_object_get(root, "uuid")) == NULL) {
		fail(err, errlen, "missing uuid");
		goto done;
	}
	if (!json_is_string(v)) {
		fail(err, errlen, "uuid: not a string");
		goto done;
	}
	if ((why = mlab_uuid_problem(json_string_value(v),
	    json_string_length(v))) != NULL) {
		fail(err, errlen, why);
		goto done;
	}
	memcpy(req->uuid, json_string_value(v), json_string_length(v) + 1);

	if ((v = json_object_get(root, "ip")) == NULL) {
		fail(err, errlen, "missing ip");
		goto done;
	}
	if (!json_is_string(v)) {
		fail(err, errlen, "ip: not a string");
		goto done;
	}
	if (json_string_length(v) > 63 ||
	    addr_pton(json_string_value(v), &req->ip) == -1) {
		fail(err, errlen, "ip: not an IP address");
		goto done;
	}
	addr_unmap(&req->ip);

	if (opt_port(root, "sport", &req->sport, err, errlen) == -1 ||
	    opt_port(root, "dport", &req->dport, err, errlen) == -1)
		goto done;

	if ((v = json_object_get(root, "method")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v)) {
			fail(err, errlen, "method: not a string");
			goto done;
		}
		if ((req->method = pkt_method_find(json_string_value(v))) ==
		    NULL) {
			unknown_method(err, errlen);
			goto done;
		}
	}
	rc = 0;
done:
	json_decref(root);
	if (rc == -1) {
		/* Keep only the uuid, for the error reply. */
		memset(&req->ip, 0, sizeof(req->ip));
		req->sport = req->dport = 0;
		req->method = NULL;
	}
	return rc;
}

/*
 * Server
 */

struct ctl_conn {
	struct ctl_server *srv;
	struct bufferevent *bev;
	int discarding;		/* inside an oversize line */
	int closing;		/* no more requests; free once flushed */
	LIST_ENTRY(ctl_conn) entry;
};

struct ctl_server {
	struct event_base *base;
	char *path;
	dev_t dev;		/* the socket file we made, to remove only it */
	ino_t ino;
	struct evconnlistener *lev;
	struct event *resume_ev;	/* re-enables accepting after errors */
	struct event *reap_ev;		/* frees closing connections */
	ctl_handler handler;
	void *arg;
	LIST_HEAD(, ctl_conn) conns;
	size_t nconns;
	int full_logged;
	struct ctl_stats stats;
};

static void
conn_free(struct ctl_conn *conn)
{
	LIST_REMOVE(conn, entry);
	conn->srv->nconns--;
	bufferevent_free(conn->bev);
	free(conn);
}

/* Queue one reply line; -1 when that overflowed the connection (freed). */
static int
reply(struct ctl_conn *conn, const char *uuid, const char *key,
    const char *value)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	json_t *obj;
	char *s = NULL;

	obj = json_pack("{s:s,s:s}", "uuid", uuid, key, value);
	if (obj == NULL)	/* not UTF-8 (from a handler) */
		obj = json_pack("{s:s,s:s}", "uuid", "", "error",
		    "internal error");
	if (obj != NULL)
		s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (s == NULL || evbuffer_add(out, s, strlen(s)) == -1 ||
	    evbuffer_add(out, "\n", 1) == -1) {
		free(s);
		log_warnx("control: out of memory for a reply");
		conn->srv->stats.dropped++;
		conn_free(conn);
		return -1;
	}
	free(s);
	if (evbuffer_get_length(out) > CTL_OUTBUF_MAX) {
		log_warnx("control: client does not read its replies; "
		    "closing the connection");
		conn->srv->stats.dropped++;
		conn_free(conn);
		return -1;
	}
	return 0;
}

static int
blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* One request line: exactly one reply (none for blank lines). */
static int
handle_line(struct ctl_conn *conn, const char *line, size_t len)
{
	struct ctl_server *srv = conn->srv;
	struct ctl_request req;
	const char *status = NULL, *error = NULL;
	char err[160];

	if (blank(line, len))
		return 0;
	srv->stats.requests++;
	if (ctl_parse(line, len, &req, err, sizeof(err)) == -1) {
		srv->stats.errors++;
		log_debug("control: bad request: %s", err);
		return reply(conn, req.uuid, "error", err);
	}
	if (srv->handler(&req, &status, &error, srv->arg) == 0 &&
	    status != NULL) {
		srv->stats.accepted++;
		return reply(conn, req.uuid, "status", status);
	}
	srv->stats.errors++;
	return reply(conn, req.uuid, "error", error != NULL ? error :
	    "refused");
}

static int
oversize(struct ctl_conn *conn)
{
	conn->srv->stats.requests++;
	conn->srv->stats.oversize++;
	conn->srv->stats.errors++;
	return reply(conn, "", "error", "line too long");
}

/*
 * Every complete line in the input, in order.  A line over CTL_LINE_MAX
 * gets one "line too long" reply and is skipped through its newline, even
 * when that arrives later.  At EOF a last line without '\n' counts too.
 * -1 when the connection was freed.
 */
static int
read_lines(struct ctl_conn *conn, int at_eof)
{
	struct evbuffer *in = bufferevent_get_input(conn->bev);
	struct evbuffer_ptr eol;
	size_t eol_len, n;
	char *line;
	int rc;

	for (;;) {
		if (conn->closing) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return 0;
		}
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (conn->discarding) {
			if (eol.pos == -1) {
				evbuffer_drain(in, evbuffer_get_length(in));
				return 0;
			}
			evbuffer_drain(in, (size_t)eol.pos + eol_len);
			conn->discarding = 0;
			continue;
		}
		if (eol.pos == -1) {
			n = evbuffer_get_length(in);
			if (n > CTL_LINE_MAX) {
				evbuffer_drain(in, n);
				conn->discarding = 1;
				return oversize(conn);
			}
			if (!at_eof || n == 0)
				return 0;
			if ((line = malloc(n)) == NULL)
				return 0;
			evbuffer_remove(in, line, n);
			rc = handle_line(conn, line, n);
			free(line);
			return rc;
		}
		if ((size_t)eol.pos > CTL_LINE_MAX) {
			evbuffer_drain(in, (size_t)eol.pos + eol_len);
			if (oversize(conn) == -1)
				return -1;
			continue;
		}
		if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL)
			return 0;
		rc = handle_line(conn, line, n);
		free(line);
		if (rc == -1)
			return -1;
	}
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	read_lines(arg, 0);
}

/* Output flushed: a closing connection is done. */
static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *conn = arg;

	if (conn->closing)
		conn_free(conn);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn *conn = arg;

	if (what & BEV_EVENT_EOF) {
		/* The client may half-close after its request; answer it. */
		if (read_lines(conn, 1) == -1)
			return;
		conn->closing = 1;
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free(conn);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (what & BEV_EVENT_WRITING) {
			log_warnx("control: client does not read its replies; "
			    "closing the connection");
			conn->srv->stats.dropped++;
		}
		conn_free(conn);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		conn_free(conn);
}

/* Best effort: one error line to a connection we will not serve. */
static void
refuse(int fd, const char *why)
{
	json_t *obj = json_pack("{s:s,s:s}", "uuid", "", "error", why);
	char *s = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

	if (s != NULL) {
		struct iovec iov[2] = { { s, strlen(s) }, { "\n", 1 } };
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

		(void)sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	free(s);
	json_decref(obj);
	close(fd);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct ctl_server *srv = arg;
	struct ctl_conn *conn;
	struct timeval rtv = { CTL_IDLE_SEC, 0 }, wtv = { CTL_WRITE_SEC, 0 };

	if (srv->nconns >= CTL_CONN_MAX) {
		srv->stats.dropped++;
		if (!srv->full_logged)
			log_warnx("control: %d connections open; refusing "
			    "more", CTL_CONN_MAX);
		srv->full_logged = 1;
		refuse(fd, "too many connections");
		return;
	}
	srv->full_logged = 0;
	if ((conn = calloc(1, sizeof(*conn))) == NULL) {
		close(fd);
		return;
	}
	if ((conn->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(conn);
		close(fd);
		return;
	}
	conn->srv = srv;
	LIST_INSERT_HEAD(&srv->conns, conn, entry);
	srv->nconns++;
	srv->stats.connections++;
	bufferevent_setcb(conn->bev, conn_read, conn_write, conn_event, conn);
	bufferevent_set_timeouts(conn->bev, &rtv, &wtv);
	if (bufferevent_enable(conn->bev, EV_READ | EV_WRITE) == -1)
		conn_free(conn);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct ctl_server *srv = arg;
	struct timeval tv = { 0, CTL_ACCEPT_PAUSE_MS * 1000 };

	log_warn("control: accept");
	/* EMFILE and friends repeat at once: pause instead of spinning. */
	evconnlistener_disable(lev);
	evtimer_add(srv->resume_ev, &tv);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *srv = arg;

	if (srv->lev != NULL)
		evconnlistener_enable(srv->lev);
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *srv = arg;
	struct ctl_conn *conn, *next;

	for (conn = LIST_FIRST(&srv->conns); conn != NULL; conn = next) {
		next = LIST_NEXT(conn, entry);
		if (conn->closing &&
		    evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
			conn_free(conn);
	}
}

/*
 * A socket file left by a previous run is removed; one that a live
 * process still accepts on is not (two daemons would fight over it).
 */
static int
remove_stale(const char *path, const struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		snprintf(err, errlen, "%s: in use by a running process", path);
		return -1;
	}
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "unlink %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct ctl_server *
ctl_server_open(struct event_base *base, const char *path, ctl_handler handler,
    void *arg, char *err, size_t errlen)
{
	struct ctl_server *srv = NULL;
	struct sockaddr_un sun;
	struct stat st;
	mode_t omask;
	int fd = -1, bound = 0, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a socket", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((srv = calloc(1, sizeof(*srv))) == NULL ||
	    (srv->path = strdup(path)) == NULL ||
	    (srv->resume_ev = evtimer_new(base, resume_cb, srv)) == NULL ||
	    (srv->reap_ev = event_new(base, -1, 0, reap_cb, srv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	srv->base = base;
	srv->handler = handler;
	srv->arg = arg;
	LIST_INIT(&srv->conns);

	if (remove_stale(path, &sun, err, errlen) == -1)
		goto fail;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* Born 0660: no window in which others may connect. */
	omask = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(omask);
	if (rc == -1) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	bound = 1;
	if (chmod(path, 0660) == -1 || lstat(path, &st) == -1) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if ((srv->lev = evconnlistener_new(base, accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, CTL_CONN_MAX,
	    fd)) == NULL) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	fd = -1;
	evconnlistener_set_error_cb(srv->lev, accept_error_cb);
	return srv;
fail:
	if (fd != -1)
		close(fd);
	if (bound)
		unlink(path);
	if (srv != NULL) {
		if (srv->resume_ev != NULL)
			event_free(srv->resume_ev);
		if (srv->reap_ev != NULL)
			event_free(srv->reap_ev);
		free(srv->path);
		free(srv);
	}
	return NULL;
}

void
ctl_server_stop(struct ctl_server *srv)
{
	struct ctl_conn *conn;

	if (srv->lev != NULL) {
		/* Closing the socket refuses new clients at once. */
		evconnlistener_free(srv->lev);
		srv->lev = NULL;
	}
	evtimer_del(srv->resume_ev);
	LIST_FOREACH(conn, &srv->conns, entry) {
		conn->closing = 1;
		bufferevent_disable(conn->bev, EV_READ);
	}
	/* Freed from the loop: stop may run inside a handler. */
	event_active(srv->reap_ev, 0, 0);
}

const struct ctl_stats *
ctl_server_stats(const struct ctl_server *srv)
{
	return &srv->stats;
}

void
ctl_server_free(struct ctl_server *srv)
{
	struct ctl_conn *conn;
	struct stat st;

	if (srv == NULL)
		return;
	while ((conn = LIST_FIRST(&srv->conns)) != NULL)
		conn_free(conn);
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	event_free(srv->resume_ev);
	event_free(srv->reap_ev);
	/* Only our own socket: a newer daemon may have replaced it. */
	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev &&
	    st.st_ino == srv->ino && unlink(srv->path) == -1)
		log_debug("control: unlink %s: %s", srv->path,
		    strerror(errno));
	free(srv->path);
	free(srv);
}

/*
 * Client
 */

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out, -1. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int rc;

	for (;;) {
		int ms = -1;

		if (deadline >= 0) {
			long long left = deadline - mono_ms();

			if (left <= 0)
				return 0;
			ms = left > 1000000 ? 1000000 : (int)left;
		}
		rc = poll(&pfd, 1, ms);
		if (rc == -1 && errno == EINTR)
			continue;
		return rc > 0 ? 1 : rc;
	}
}

int
ctl_submit(const char *path, const char *request_line, char *reply_buf,
    size_t replylen, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	long long deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : -1;
	size_t len = strlen(request_line), off = 0, got = 0;
	int fd = -1, rc = -1, w = 0;

	if (replylen == 0) {
		snprintf(err, errlen, "no room for a reply");
		return -1;
	}
	reply_buf[0] = '\0';
	if (memchr(request_line, '\n', len) != NULL || len > CTL_LINE_MAX) {
		snprintf(err, errlen, "request: %s", len > CTL_LINE_MAX ?
		    "line too long" : "contains a newline");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a socket", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	/* AF_UNIX connects at once; EAGAIN (backlog full) is retried. */
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			goto done;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EINPROGRESS) {
			int soerr = 0;
			socklen_t sl = sizeof(soerr);

			if ((w = wait_fd(fd, POLLOUT, deadline)) <= 0)
				goto timeout;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == 0 && soerr == 0)
				break;
			errno = soerr;
		} else if (errno == EAGAIN || errno == EINTR) {
			close(fd);
			fd = -1;
			if (deadline >= 0 && mono_ms() >= deadline)
				goto timeout;
			poll(NULL, 0, 10);
			continue;
		}
		snprintf(err, errlen, "connect %s: %s", path, strerror(errno));
		goto done;
	}

	while (off < len + 1) {
		const char *p = off < len ? request_line + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((w = wait_fd(fd, POLLOUT, deadline)) <= 0)
				goto timeout;
			continue;
		}
		if (k == -1) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			goto done;
		}
		off += (size_t)k;
	}

	/* One line back; bytes after its newline are not ours to read. */
	for (;;) {
		char *nl;
		ssize_t k;

		if (got == replylen - 1) {
			snprintf(err, errlen, "reply longer than %zu bytes",
			    replylen - 1);
			goto done;
		}
		k = recv(fd, reply_buf + got, replylen - 1 - got, 0);
		if (k == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((w = wait_fd(fd, POLLIN, deadline)) <= 0)
				goto timeout;
			continue;
		}
		if (k == -1) {
			snprintf(err, errlen, "recv: %s", strerror(errno));
			goto done;
		}
		if (k == 0) {
			snprintf(err, errlen, "connection closed before a "
			    "reply");
			goto done;
		}
		reply_buf[got + (size_t)k] = '\0';
		if ((nl = memchr(reply_buf + got, '\n', (size_t)k)) != NULL) {
			*nl = '\0';
			rc = 0;
			goto done;
		}
		got += (size_t)k;
	}
timeout:
	if (w == -1)
		snprintf(err, errlen, "poll: %s", strerror(errno));
	else
		snprintf(err, errlen, "no reply within %d ms", timeout_ms);
done:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		reply_buf[0] = '\0';
	return rc;
}
