/*
 * sched_names: hop names (--ptr) for sched's files.  A measurement that
 * ended asks for the names of its hops or nodes and its file waits until
 * they are back or given up on (util/names.c bounds each lookup).
 *
 * Never looked up: the client's own address, and when anonymizing any
 * address in its netblock.  The platform's files add no identifying data
 * of the client; a router's name on the path is not the client's.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <event2/event.h>

#include "util/names.h"
#include "daemon/policy.h"
#include "output/out.h"
#include "daemon/sched_int.h"

/* Whether a file toward `client` may look up and show a's name. */
static int
may_name(const struct sched *s, const struct addr_ip *client,
    const struct addr_ip *a)
{
	struct addr_ip za, zc;

	if (addr_eq(a, client))
		return 0;
	if (!s->conf.anonymize)
		return 1;
	/* In the netblock: zeroed to the same address as the client. */
	za = *a;
	zc = *client;
	policy_anonymize(&za, client);
	policy_anonymize(&zc, client);
	return !addr_eq(&za, &zc);
}

struct names_walk {
	const struct job *j;
	int want;			/* ask for the names, not only count */
	unsigned pending;
};

static void
names_walk_one(const struct addr_ip *a, void *arg)
{
	struct names_walk *w = arg;
	struct names *n = w->j->s->conf.names;
	const char *name;

	if (!may_name(w->j->s, &w->j->client, a))
		return;
	if (w->want)
		names_want(n, a);
	if (names_get(n, a, &name) == NAMES_PENDING)
		w->pending++;
}

unsigned
sched_job_names(const struct job *j, int want)
{
	struct names_walk w = { j, want, 0 };

	if (j->s->conf.names == NULL)
		return 0;
	meas_addrs(j->m, names_walk_one, &w);
	return w.pending;
}

static const char *
name_of(const struct addr_ip *a, void *arg)
{
	const struct job *j = arg;
	const char *name;

	if (!may_name(j->s, &j->client, a) ||
	    names_get(j->s->conf.names, a, &name) != NAMES_FOUND)
		return NULL;
	return name;
}

void
sched_names_extra(const struct job *j, struct out_extra *x)
{
	memset(x, 0, sizeof(*x));
	if (j->s->conf.names == NULL)
		return;
	x->name = name_of;
	x->arg = (void *)(uintptr_t)j;
}

void
sched_names_update(struct sched *s)
{
	/* Files are written from reap(), not inside the resolver's call. */
	if (s->nnaming > 0)
		event_active(s->reap_ev, EV_TIMEOUT, 0);
}
