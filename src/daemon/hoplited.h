/*
 * hoplited.h: the daemon's settings and handles, shared by its main
 * (hoplited.c: start-up, glue, signals) and its option parsing
 * (hoplited_conf.c: flags, HOPLITED_* variables, the start-up line).
 * Internal to the hoplited program.
 */
#ifndef HOPLITE_HOPLITED_H
#define HOPLITE_HOPLITED_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/journal.h"
#include "daemon/sandbox.h"
#include "daemon/sched.h"

struct ctl_server;
struct metric;
struct names;
struct netio;
struct tcpinfo_client;
struct trigger;

struct daemon {
	struct event_base *base;
	struct sched_conf sc;
	const char *eventsocket, *control, *metrics_addr, *user, *group;
	const char *journal_path;
	enum sandbox_mode sandbox;
	struct journal *journal;
	char *locals[128], *allows[256];
	size_t nlocals, nallows;
	unsigned pps, open_timeout, grace;
	int verbose;
	int ptr;			/* --ptr: hop names */
	/* given on the command line or in the environment: they apply to
	 * both kinds, else each kind has its own default */
	uint8_t attempts, gaplimit, max_ttl;
	unsigned wait_ms;

	struct netio *nio;
	struct engine *eng;
	struct policy *policy;
	struct metrics *metrics;
	struct sched *sched;
	struct trigger *trigger;
	struct tcpinfo_client *tcpinfo;
	struct ctl_server *ctl;
	struct names *names;
	struct metric *m_engine, *m_evsock, *m_evsock_up, *m_ctl, *m_capdrops,
	    *m_engmem;
	int stopping;
};

/* Name every HOPLITED_ variable that is no setting (a warning each). */
void hoplited_env_check(void);
/* Settings from the environment, then argv; a bad one exits 2 with one
 * logged line.  Fills d->sc (finished and checked) and d->policy. */
void hoplited_parse_args(struct daemon *, int argc, char **argv);
/* One line with every effective setting. */
void hoplited_log_settings(const struct daemon *);

#endif
