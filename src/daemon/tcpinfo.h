/*
 * tcpinfo: the consumer side of M-Lab's tcp-info event socket.
 *
 * An AF_UNIX stream the producer listens on; we connect and only read.
 * One compact JSON object per line (see ../shared/PROTOCOLS.md section 1).
 * The read path never blocks on tracing: events are parsed and handed to a
 * callback at once; junk is counted and skipped; if the socket is absent or
 * closes, the client reconnects with backoff, forever.
 */
#ifndef HOPLITE_TCPINFO_H
#define HOPLITE_TCPINFO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "util/addr.h"

#define TCPINFO_UUID_MAX	192	/* MLAB_UUID_MAX: the UUID names a file */
#define TCPINFO_LINE_MAX	4096	/* real lines are ~250 bytes */

enum tcpinfo_type { TCPINFO_OPEN = 0, TCPINFO_CLOSE = 1 };

struct tcpinfo_event {
	int type;			/* enum tcpinfo_type; other values are ignored by callers */
	char uuid[TCPINFO_UUID_MAX + 1];
	struct timeval ts;		/* Timestamp (RFC 3339, UTC) */
	int has_id;			/* ID present (Open) */
	struct addr_ip src, dst;	/* SrcIP, DstIP (v4-mapped printed dotted) */
	uint16_t sport, dport;
	int64_t cookie;
};

/*
 * Parse one line (without its '\n').  0 on success; -1 with a short
 * reason ("json", "type", "uuid", "timestamp", "id", "address") in err for
 * anything malformed.  Unknown keys are ignored.  An event type other than
 * 0/1 parses (callers ignore it).  Pure.
 *
 * Details: "json" also covers lines over TCPINFO_LINE_MAX, nesting deeper
 * than 8 and duplicate keys.  The UUID must be usable as a file name
 * component (1..TCPINFO_UUID_MAX bytes, no '/', no control characters, not
 * "." or "..").  A missing Timestamp leaves ts at 0.  ID is required on
 * Open, may be null or absent otherwise; when present it needs integer
 * ports 0..65535 and both addresses; Cookie is optional (0).  Addresses
 * written v4-mapped (::ffff:a.b.c.d) are stored as IPv4.  On failure the
 * event is zeroed.
 */
int tcpinfo_parse(const char *line, size_t len, struct tcpinfo_event *,
    char *err, size_t errlen);

struct tcpinfo_stats {
	uint64_t lines;			/* lines read */
	uint64_t events;		/* parsed events delivered */
	uint64_t bad_json;		/* unparsable or wrong types */
	uint64_t oversize;		/* lines longer than TCPINFO_LINE_MAX */
	uint64_t connects;		/* successful connections */
	uint64_t connect_failures;
	uint64_t disconnects;
	int connected;			/* 1 while connected */
};

struct event_base;
struct tcpinfo_client;
typedef void (*tcpinfo_cb)(const struct tcpinfo_event *, void *arg);

/*
 * Connects at once (and again after failures: backoff 1 s doubling to
 * 60 s, forever).  The first attempt runs on the next turn of the loop; a
 * connection that fails, closes or errs is retried after the backoff, which
 * restarts from its minimum after a connection that lived over 10 s or
 * delivered lines.  NULL on allocation failure, or (errno ENAMETOOLONG)
 * when path does not fit a sockaddr_un.  The callback runs inside the read
 * path, once per parsed event and at once: it must not block and must not
 * free the client.  The event it gets is valid only during the call.
 */
struct tcpinfo_client *tcpinfo_client_new(struct event_base *, const char *path,
    tcpinfo_cb cb, void *arg);
/* Backoff bounds in milliseconds (default 1000 and 60000), e.g. for tests. */
void tcpinfo_client_set_backoff(struct tcpinfo_client *, unsigned min_ms,
    unsigned max_ms);
const struct tcpinfo_stats *tcpinfo_client_stats(const struct tcpinfo_client *);
void tcpinfo_client_free(struct tcpinfo_client *);

#endif
