/*
 * names: reverse DNS (PTR) names for addresses, asynchronously, with
 * libevent's evdns on the caller's event loop.  Nothing waits on it: a
 * caller asks for names (names_want), keeps measuring, and later takes
 * what is back (names_get); a name not back in time is simply absent.
 *
 * Bounded in every way: each lookup ends within `timeout_ms` of being
 * asked for (queued time included), at most `max_inflight` questions are
 * out at once, and at most `cache_max` addresses are remembered (then the
 * answered ones are forgotten, pending ones kept).  The resolvers are the
 * system's (/etc/resolv.conf); with none configured every lookup fails at
 * once, no default server is tried.
 *
 * Reusable by any program with a libevent loop: it looks up exactly the
 * addresses it is given (a daemon leaves out its clients' own addresses
 * by not asking for them).
 */
#ifndef HOPLITE_NAMES_H
#define HOPLITE_NAMES_H

#include "util/addr.h"

struct event_base;
struct names;

struct names_conf {
	unsigned timeout_ms;	/* a lookup's whole life; 0 = 2000 */
	unsigned max_inflight;	/* questions out at once; 0 = 16 */
	unsigned cache_max;	/* addresses remembered; 0 = 4096 */
	const char *nameserver;	/* "ADDR" or "ADDR:PORT" ("[V6]:PORT") to ask
				   instead of /etc/resolv.conf's; NULL */
};

enum names_state {
	NAMES_NONE = 0,		/* not asked, no name, failed or timed out */
	NAMES_PENDING,		/* being looked up */
	NAMES_FOUND,		/* *name is set */
};

/* Runs (from the event loop) each time a lookup ends, found or not. */
typedef void (*names_update_cb)(void *arg);

/* NULL with a message in err (the resolver configuration is unusable). */
struct names *names_new(struct event_base *, const struct names_conf *,
    names_update_cb, void *arg, char *err, size_t errlen);
/* Drops pending lookups without calling back.  NULL is fine. */
void names_free(struct names *);
/* Look a's name up unless it is known or under way. */
void names_want(struct names *, const struct addr_ip *a);
/* What is known of a's name; the string lives until names_free or the
 * next names_want (which may forget answered entries). */
enum names_state names_get(struct names *, const struct addr_ip *a,
    const char **name);
/* Lookups asked for and not yet ended. */
unsigned names_pending(const struct names *);

#endif
