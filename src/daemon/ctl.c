/* ctl: hoplited's control socket, the server (ctl_parse.c parses a
 * request, ctl_client.c is the client side). */
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

/* A connection with no request this long is closed (it holds one of
 * CTL_CONN_MAX); blank lines do not count as requests, so a keep-alive
 * cannot hold a slot. */
#define CTL_IDLE_SEC		10
/* With every slot taken, the oldest connection idle at least this long is
 * closed for a new client; younger ones may still have a request in the
 * socket that the loop has not read yet. */
#define CTL_EVICT_MS		1000
/* Replies a client has not read for this long: the client is gone. */
#define CTL_WRITE_SEC		60
/* After accept() fails (EMFILE...), pause accepting this long. */
#define CTL_ACCEPT_PAUSE_MS	1000

/*
 * Server
 */

struct ctl_conn {
	struct ctl_server *srv;
	struct bufferevent *bev;
	int discarding;		/* inside an oversize line */
	int closing;		/* no more requests; free once flushed */
	struct timespec last;	/* accept or last request (monotonic) */
	struct event *idle_ev;
	TAILQ_ENTRY(ctl_conn) entry;	/* by last request, oldest first */
};

struct ctl_server {
	struct event_base *base;
	char *path;
	dev_t dev;		/* the socket file we made, to remove only it */
	ino_t ino;
	struct evconnlistener *lev;
	struct event *resume_ev;	/* re-enables accepting after errors */
	struct event *reap_ev;		/* frees closing connections */
	struct event *full_ev;		/* while full: look again later */
	struct event *wait_ev;		/* while full: a client is waiting */
	ctl_handler handler;
	void *arg;
	TAILQ_HEAD(, ctl_conn) conns;
	size_t nconns;
	int paused;			/* not accepting: every slot taken */
	int full_logged;
	struct ctl_stats stats;
};

static long long
since_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000LL +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A slot is free again: take the clients waiting in the backlog. */
static void
resume_accepting(struct ctl_server *srv)
{
	if (!srv->paused || srv->lev == NULL || srv->nconns >= CTL_CONN_MAX)
		return;
	srv->paused = 0;
	srv->full_logged = 0;
	evtimer_del(srv->full_ev);
	if (srv->wait_ev != NULL)
		event_del(srv->wait_ev);
	evconnlistener_enable(srv->lev);
}

static void
conn_free(struct ctl_conn *conn)
{
	struct ctl_server *srv = conn->srv;

	TAILQ_REMOVE(&srv->conns, conn, entry);
	srv->nconns--;
	bufferevent_free(conn->bev);
	if (conn->idle_ev != NULL)
		event_free(conn->idle_ev);
	free(conn);
	resume_accepting(srv);
}

/* The idle clock restarts on a request (not on a blank line). */
static void
conn_touch(struct ctl_conn *conn)
{
	struct ctl_server *srv = conn->srv;
	struct timeval tv = { CTL_IDLE_SEC, 0 };

	clock_gettime(CLOCK_MONOTONIC, &conn->last);
	TAILQ_REMOVE(&srv->conns, conn, entry);
	TAILQ_INSERT_TAIL(&srv->conns, conn, entry);
	evtimer_add(conn->idle_ev, &tv);
}

static void
conn_idle(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *conn = arg;

	log_debug("control: no request for %d s; closing the connection",
	    CTL_IDLE_SEC);
	conn->srv->stats.idle_closed++;
	conn_free(conn);
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
	conn_touch(conn);
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

/*
 * Every slot taken: stop accepting, so that new clients wait in the
 * listen backlog instead of being refused.  When one is waiting (the
 * listening socket is readable), close the connection idle longest once
 * it has been idle CTL_EVICT_MS; none is closed while nobody waits.
 */
static void
waiting_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *srv = arg;
	struct ctl_conn *conn, *victim = NULL;
	struct timeval tv = { 0, CTL_EVICT_MS * 1000 };
	long long idle;

	if (!srv->paused)
		return;
	/* Ordered by last request: the first one not busy sending replies
	 * is the one idle longest. */
	TAILQ_FOREACH(conn, &srv->conns, entry) {
		if (conn->closing || evbuffer_get_length(
		    bufferevent_get_output(conn->bev)) > 0)
			continue;
		victim = conn;
		break;
	}
	if (victim != NULL && (idle = since_ms(&victim->last)) <
	    CTL_EVICT_MS) {
		tv.tv_usec = (suseconds_t)(CTL_EVICT_MS - idle) * 1000;
		victim = NULL;
	}
	if (victim == NULL) {
		/* Look again later (the wait event is re-armed then). */
		evtimer_add(srv->full_ev, &tv);
		return;
	}
	log_debug("control: all %d slots taken and a client waits; closing "
	    "the connection idle longest", CTL_CONN_MAX);
	srv->stats.evicted++;
	conn_free(victim);	/* resumes accepting */
}

static void
full_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *srv = arg;

	if (srv->paused && srv->wait_ev != NULL)
		event_add(srv->wait_ev, NULL);
}

static void
pause_accepting(struct ctl_server *srv)
{
	if (srv->paused || srv->lev == NULL)
		return;
	if (!srv->full_logged)
		log_info("control: %d connections open; new clients wait",
		    CTL_CONN_MAX);
	srv->full_logged = 1;
	srv->paused = 1;
	evconnlistener_disable(srv->lev);
	if (srv->wait_ev == NULL)
		srv->wait_ev = event_new(srv->base,
		    evconnlistener_get_fd(srv->lev), EV_READ, waiting_cb, srv);
	if (srv->wait_ev != NULL)
		event_add(srv->wait_ev, NULL);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct ctl_server *srv = arg;
	struct ctl_conn *conn;
	struct timeval wtv = { CTL_WRITE_SEC, 0 };

	if (srv->nconns >= CTL_CONN_MAX) {
		/* Cannot happen while paused; kept as a bound. */
		srv->stats.dropped++;
		refuse(fd, "too many connections");
		return;
	}
	if ((conn = calloc(1, sizeof(*conn))) == NULL) {
		close(fd);
		return;
	}
	if ((conn->bev = bufferevent_socket_new(srv->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (conn->idle_ev = evtimer_new(srv->base, conn_idle, conn)) == NULL) {
		if (conn->bev != NULL)
			bufferevent_free(conn->bev);
		else
			close(fd);
		free(conn);
		return;
	}
	conn->srv = srv;
	TAILQ_INSERT_TAIL(&srv->conns, conn, entry);
	srv->nconns++;
	srv->stats.connections++;
	conn_touch(conn);
	bufferevent_setcb(conn->bev, conn_read, conn_write, conn_event, conn);
	/* No read timeout: the idle timer, which blank lines do not reset. */
	bufferevent_set_timeouts(conn->bev, NULL, &wtv);
	if (bufferevent_enable(conn->bev, EV_READ | EV_WRITE) == -1) {
		conn_free(conn);
		return;
	}
	if (srv->nconns >= CTL_CONN_MAX)
		pause_accepting(srv);
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

	if (srv->lev != NULL && !srv->paused)
		evconnlistener_enable(srv->lev);
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_server *srv = arg;
	struct ctl_conn *conn, *next;

	for (conn = TAILQ_FIRST(&srv->conns); conn != NULL; conn = next) {
		next = TAILQ_NEXT(conn, entry);
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
	    (srv->reap_ev = event_new(base, -1, 0, reap_cb, srv)) == NULL ||
	    (srv->full_ev = evtimer_new(base, full_cb, srv)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	srv->base = base;
	srv->handler = handler;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);

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
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, CTL_BACKLOG,
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
		if (srv->full_ev != NULL)
			event_free(srv->full_ev);
		free(srv->path);
		free(srv);
	}
	return NULL;
}

void
ctl_server_stop(struct ctl_server *srv)
{
	struct ctl_conn *conn;

	/* The wait event watches the listening socket: gone first. */
	if (srv->wait_ev != NULL) {
		event_free(srv->wait_ev);
		srv->wait_ev = NULL;
	}
	if (srv->lev != NULL) {
		/* Closing the socket refuses new clients at once. */
		evconnlistener_free(srv->lev);
		srv->lev = NULL;
	}
	evtimer_del(srv->resume_ev);
	evtimer_del(srv->full_ev);
	srv->paused = 0;
	TAILQ_FOREACH(conn, &srv->conns, entry) {
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
	if (srv->wait_ev != NULL)
		event_free(srv->wait_ev);
	srv->wait_ev = NULL;
	if (srv->lev != NULL)
		evconnlistener_free(srv->lev);
	srv->lev = NULL;
	while ((conn = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_free(conn);
	event_free(srv->resume_ev);
	event_free(srv->reap_ev);
	event_free(srv->full_ev);
	/* Only our own socket: a newer daemon may have replaced it. */
	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev &&
	    st.st_ino == srv->ino && unlink(srv->path) == -1)
		log_debug("control: unlink %s: %s", srv->path,
		    strerror(errno));
	free(srv->path);
	free(srv);
}
