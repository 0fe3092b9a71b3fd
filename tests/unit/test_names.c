/*
 * test_names: util/names against a DNS server of the test's own on
 * 127.0.0.1 (no root): names found, the cache, at most max_inflight
 * questions out at once, the deadline of sent and of queued lookups, the
 * cache bound, freeing with lookups pending.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "t.h"
#include "simnet.h"
#include "util/names.h"

enum { SRV_ANSWER, SRV_HOLD, SRV_SILENT };

struct held {
	uint8_t msg[512];
	size_t len;
	struct sockaddr_in peer;
};

struct srv {
	int fd, mode;
	struct event *ev;
	unsigned questions;
	struct held held[64];
	unsigned nheld, max_held;
};

static struct event_base *base;
static unsigned updates;

/* The reply to a PTR query for N.0.18.198.in-addr.arpa: host-N.test. */
static size_t
reply(const uint8_t *q, size_t len, uint8_t *out)
{
	size_t off = 12, qend;
	char first[64];
	uint8_t rdata[80];
	size_t rlen = 0;
	int n;

	if (len < 13 || q[12] == 0 || q[12] > 63 || (size_t)13 + q[12] > len)
		return 0;
	memcpy(first, q + 13, q[12]);
	first[q[12]] = '\0';
	while (off < len && q[off] != 0)
		off += 1 + q[off];
	qend = off + 5;		/* the root label, type, class */
	if (qend > len)
		return 0;
	memcpy(out, q, qend);
	out[2] = 0x81;
	out[3] = 0x80;
	out[6] = 0;
	out[7] = 1;		/* one answer */
	out[8] = out[9] = out[10] = out[11] = 0;
	n = snprintf((char *)rdata + 1, sizeof(rdata) - 1, "host-%s", first);
	rdata[0] = (uint8_t)n;
	rlen = (size_t)n + 1;
	memcpy(rdata + rlen, "\4test\0", 6);
	rlen += 6;
	memcpy(out + qend, "\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x3c", 10);
	out[qend + 10] = 0;
	out[qend + 11] = (uint8_t)rlen;
	memcpy(out + qend + 12, rdata, rlen);
	return qend + 12 + rlen;
}

static void
answer_one(struct srv *s, const uint8_t *msg, size_t len,
    const struct sockaddr_in *peer)
{
	uint8_t out[700];
	size_t n = reply(msg, len, out);

	if (n > 0)
		sendto(s->fd, out, n, 0, (const struct sockaddr *)peer,
		    sizeof(*peer));
}

static void
on_query(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	uint8_t msg[512];
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	ssize_t n;

	while ((n = recvfrom(fd, msg, sizeof(msg), MSG_DONTWAIT,
	    (struct sockaddr *)&peer, &pl)) > 0) {
		s->questions++;
		if (s->mode == SRV_ANSWER)
			answer_one(s, msg, (size_t)n, &peer);
		else if (s->mode == SRV_HOLD && s->nheld < 64) {
			struct held *h = &s->held[s->nheld++];

			memcpy(h->msg, msg, (size_t)n);
			h->len = (size_t)n;
			h->peer = peer;
			if (s->nheld > s->max_held)
				s->max_held = s->nheld;
		}
		pl = sizeof(peer);
	}
}

static void
release(struct srv *s)
{
	for (unsigned i = 0; i < s->nheld; i++)
		answer_one(s, s->held[i].msg, s->held[i].len, &s->held[i].peer);
	s->nheld = 0;
}

static void
srv_start(struct srv *s, int mode, char *where, size_t len)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(s->fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    getsockname(s->fd, (struct sockaddr *)&a, &al) == -1) {
		perror("test_names: server socket");
		exit(99);
	}
	snprintf(where, len, "127.0.0.1:%u", ntohs(a.sin_port));
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_query, s);
	event_add(s->ev, NULL);
}

static void
srv_stop(struct srv *s)
{
	event_free(s->ev);
	close(s->fd);
}

static void
on_update(void *arg)
{
	updates++;
}

static void
addr_n(struct addr_ip *a, unsigned n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "198.18.0.%u", n);
	addr_pton(buf, a);
}

/* Run the loop until nothing is pending, at most ms. */
static void
settle(struct names *n, unsigned ms)
{
	long long end = simnet_now_ms() + ms;
	struct event *tick = simnet_ticker(base);

	while (names_pending(n) > 0 && simnet_now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
}

static struct names *
mk(const char *ns, unsigned timeout, unsigned inflight, unsigned cache)
{
	struct names_conf c;
	struct names *n;
	char err[128];

	memset(&c, 0, sizeof(c));
	c.timeout_ms = timeout;
	c.max_inflight = inflight;
	c.cache_max = cache;
	c.nameserver = ns;
	if ((n = names_new(base, &c, on_update, NULL, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "names_new: %s\n", err);
		exit(99);
	}
	return n;
}

static void
test_found_and_cached(void)
{
	struct srv s;
	char ns[64], want[32];
	struct names *n;
	struct addr_ip a;
	const char *name;

	srv_start(&s, SRV_ANSWER, ns, sizeof(ns));
	n = mk(ns, 2000, 0, 0);
	for (unsigned i = 1; i <= 5; i++) {
		addr_n(&a, i);
		names_want(n, &a);
		T_EQ_INT(names_get(n, &a, &name), NAMES_PENDING);
	}
	updates = 0;
	settle(n, 3000);
	T_EQ_INT(names_pending(n), 0);
	T_EQ_INT(updates >= 1, 1);
	for (unsigned i = 1; i <= 5; i++) {
		addr_n(&a, i);
		snprintf(want, sizeof(want), "host-%u.test", i);
		T_EQ_INT(names_get(n, &a, &name), NAMES_FOUND);
		T_EQ_STR(name, want);
	}
	T_EQ_INT(s.questions, 5);
	/* Cached: asking again asks nobody. */
	for (unsigned i = 1; i <= 5; i++) {
		addr_n(&a, i);
		names_want(n, &a);
	}
	T_EQ_INT(names_pending(n), 0);
	simnet_loop_for(base, 50);
	T_EQ_INT(s.questions, 5);
	names_free(n);
	srv_stop(&s);
}

static void
test_inflight_bound(void)
{
	struct srv s;
	char ns[64];
	struct names *n;
	struct addr_ip a;
	const char *name;

	srv_start(&s, SRV_HOLD, ns, sizeof(ns));
	n = mk(ns, 5000, 2, 0);
	for (unsigned i = 1; i <= 6; i++) {
		addr_n(&a, i);
		names_want(n, &a);
	}
	simnet_loop_for(base, 200);
	T_EQ_INT(s.max_held, 2);	/* two out, four queued */
	T_EQ_INT(names_pending(n), 6);
	for (int round = 0; round < 10 && names_pending(n) > 0; round++) {
		release(&s);
		simnet_loop_for(base, 50);
	}
	T_EQ_INT(names_pending(n), 0);
	T_EQ_INT(s.max_held, 2);
	T_EQ_INT(s.questions, 6);
	for (unsigned i = 1; i <= 6; i++) {
		addr_n(&a, i);
		T_EQ_INT(names_get(n, &a, &name), NAMES_FOUND);
	}
	names_free(n);
	srv_stop(&s);
}

static void
test_deadlines(void)
{
	struct srv s;
	char ns[64];
	struct names *n;
	struct addr_ip a;
	const char *name;

	/* A server that never answers: every lookup ends, without a name. */
	srv_start(&s, SRV_SILENT, ns, sizeof(ns));
	n = mk(ns, 200, 0, 0);
	for (unsigned i = 1; i <= 3; i++) {
		addr_n(&a, i);
		names_want(n, &a);
	}
	updates = 0;
	settle(n, 3000);
	T_EQ_INT(names_pending(n), 0);
	T_EQ_INT(updates >= 1, 1);
	T_EQ_INT(s.questions, 3);
	for (unsigned i = 1; i <= 3; i++) {
		addr_n(&a, i);
		T_EQ_INT(names_get(n, &a, &name), NAMES_NONE);
	}
	names_free(n);
	srv_stop(&s);

	/* Queued lookups keep their deadline: one question out, the two
	 * behind it expire unsent. */
	srv_start(&s, SRV_SILENT, ns, sizeof(ns));
	n = mk(ns, 200, 1, 0);
	for (unsigned i = 1; i <= 3; i++) {
		addr_n(&a, i);
		names_want(n, &a);
	}
	settle(n, 3000);
	T_EQ_INT(names_pending(n), 0);
	T_EQ_INT(s.questions, 1);
	names_free(n);
	srv_stop(&s);
}

static void
test_cache_bound_and_free(void)
{
	struct srv s;
	char ns[64];
	struct names *n;
	struct addr_ip a;
	const char *name;

	srv_start(&s, SRV_ANSWER, ns, sizeof(ns));
	n = mk(ns, 2000, 0, 4);
	for (unsigned i = 1; i <= 4; i++) {
		addr_n(&a, i);
		names_want(n, &a);
	}
	settle(n, 3000);
	addr_n(&a, 1);
	T_EQ_INT(names_get(n, &a, &name), NAMES_FOUND);
	addr_n(&a, 5);		/* full: the answered ones are forgotten */
	names_want(n, &a);
	T_EQ_INT(names_get(n, &a, &name), NAMES_PENDING);
	addr_n(&a, 1);
	T_EQ_INT(names_get(n, &a, &name), NAMES_NONE);
	settle(n, 3000);
	addr_n(&a, 5);
	T_EQ_INT(names_get(n, &a, &name), NAMES_FOUND);
	T_EQ_STR(name, "host-5.test");
	names_free(n);
	srv_stop(&s);

	/* Freed with questions out: no callback, no leak (valgrind). */
	srv_start(&s, SRV_HOLD, ns, sizeof(ns));
	n = mk(ns, 2000, 2, 0);
	for (unsigned i = 1; i <= 4; i++) {
		addr_n(&a, i);
		names_want(n, &a);
	}
	simnet_loop_for(base, 100);
	updates = 0;
	names_free(n);
	release(&s);
	simnet_loop_for(base, 50);
	T_EQ_INT(updates, 0);
	srv_stop(&s);
}

int
main(void)
{
	base = simnet_base_new();
	simnet_count_libevent_warnings();
	test_found_and_cached();
	test_inflight_bound();
	test_deadlines();
	test_cache_bound_and_free();
	T_EQ_INT(simnet_libevent_warnings(), 0);
	event_base_free(base);
	return T_DONE();
}
