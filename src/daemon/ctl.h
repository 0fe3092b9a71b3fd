/*
 * ctl: hoplited's control socket, for platforms without tcp-info.
 *
 * A Unix stream socket taking one JSON request per line:
 *   {"uuid":"...","ip":"...", "sport":N, "dport":N, "method":"..."}
 * (sport: the client's port, dport: the server's port, both optional;
 * method optional), each answered by one JSON line:
 *   {"uuid":"...","status":"queued"|"joined"|"cached"}   accepted
 *   {"uuid":"...","error":"what was wrong"}               refused
 * A bad request gets an error reply and the connection stays usable.
 */
#ifndef HOPLITE_CTL_H
#define HOPLITE_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "probe/pkt.h"

#define CTL_UUID_MAX	192	/* MLAB_UUID_MAX: the UUID names a file */
#define CTL_LINE_MAX	4096
#define CTL_CONN_MAX	64		/* connections at once; more wait in the backlog */
#define CTL_BACKLOG	1024		/* clients waiting for a slot (listen backlog) */
#define CTL_OUTBUF_MAX	(64 * 1024)	/* unread replies before a client is dropped */

struct ctl_request {
	char uuid[CTL_UUID_MAX + 1];
	struct addr_ip ip;
	uint16_t sport, dport;		/* 0 when not given */
	const struct pkt_method *method; /* NULL when not given */
};

/* Parse one request line (without '\n'); 0, or -1 with a message for the
 * error reply.  The uuid is validated like a file name component.  Pure. */
/*
 * Details: unknown keys are ignored; sport, dport and method may be absent
 * or null; an ip written v4-mapped (::ffff:a.b.c.d) is stored as IPv4.  On
 * failure req->uuid still holds the request's uuid when that was valid
 * ("" otherwise), so the error reply can name it; other fields are zeroed.
 */
int ctl_parse(const char *line, size_t len, struct ctl_request *, char *err,
    size_t errlen);

/*
 * The handler decides; it returns 0 and sets *status ("queued", "joined",
 * "cached") or -1 and sets *error (a static or caller-owned string).
 */
typedef int (*ctl_handler)(const struct ctl_request *, const char **status,
    const char **error, void *arg);

struct ctl_stats {
	uint64_t connections;
	uint64_t requests;
	uint64_t accepted;
	uint64_t errors;		/* error replies (bad requests and refusals) */
	uint64_t oversize;
	uint64_t dropped;		/* connections closed for not reading
					 * their replies */
	uint64_t idle_closed;		/* closed after CTL_IDLE_SEC without a request */
	uint64_t evicted;		/* closed, idle, to make room for a new client */
};

struct event_base;
struct ctl_server;

/* Bind and listen (call before dropping privileges): removes a stale
 * socket file, mode 0660.  NULL with a message in err. */
/* (A socket file some live process still accepts on is not removed: that
 * is an error.  ctl_server_free removes the file if it is still ours.) */
struct ctl_server *ctl_server_open(struct event_base *, const char *path,
    ctl_handler, void *arg, char *err, size_t errlen);
/* Stop accepting; existing connections finish their current line. */
/* (The listening socket is closed at once, so new clients are refused;
 * queued replies are still flushed, then each connection closes.  Safe to
 * call from the handler; the handler must not call ctl_server_free.) */
void ctl_server_stop(struct ctl_server *);
const struct ctl_stats *ctl_server_stats(const struct ctl_server *);
void ctl_server_free(struct ctl_server *);

/*
 * Client side, for `hoplite submit`: connect to path, send one request
 * line, read one reply line into reply (NUL-terminated, without '\n').
 * 0, or -1 with a message in err.  timeout_ms bounds the whole exchange.
 * (timeout_ms <= 0: no deadline.  request_line must not contain '\n'.)
 */
int ctl_submit(const char *path, const char *request_line, char *reply,
    size_t replylen, int timeout_ms, char *err, size_t errlen);

#endif
