/*
 * trigger: tcp-info Open/Close events to trace requests.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "util/hash.h"
#include "util/log.h"
#include "daemon/trigger.h"

#define OPEN_BUCKETS	8192
#define MAX_LOCAL	256
#define LOCAL_REFRESH_S	30
#define SWEEP_S		60

struct open_flow {
	struct open_flow *hnext;
	TAILQ_ENTRY(open_flow) age_entry;	/* oldest first */
	char *uuid;
	struct addr_ip src, dst;
	uint16_t sport, dport;
	time_t seen;				/* monotonic seconds */
};
TAILQ_HEAD(open_flowq, open_flow);

struct trigger {
	struct sched *sched;
	struct open_flow *open[OPEN_BUCKETS];
	struct open_flowq age;
	size_t nopen, max_open;
	unsigned open_ttl;
	struct addr_ip local[MAX_LOCAL];	/* configured, then interfaces */
	size_t nconfigured, nlocal;
	time_t local_read;
	struct event *sweep_ev;
	struct metric *m_events, *m_open;
};

static time_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static struct open_flow **
open_slot(struct trigger *t, const char *uuid)
{
	struct open_flow **pp = &t->open[hash_str(uuid) & (OPEN_BUCKETS - 1)];

	while (*pp != NULL && strcmp((*pp)->uuid, uuid) != 0)
		pp = &(*pp)->hnext;
	return pp;
}

static void
open_remove(struct trigger *t, struct open_flow *f)
{
	struct open_flow **pp = open_slot(t, f->uuid);

	if (*pp == f)
		*pp = f->hnext;
	TAILQ_REMOVE(&t->age, f, age_entry);
	t->nopen--;
	/* Kept current: a gauge refreshed by the sweep read 0 for a minute
	 * with 100,000 flows open. */
	metric_set(t->m_open, NULL, (double)t->nopen);
	free(f->uuid);
	free(f);
}

static void
sweep(evutil_socket_t fd, short what, void *arg)
{
	struct trigger *t = arg;
	struct open_flow *f;
	time_t limit = now_mono() - (time_t)t->open_ttl;

	/* Opens whose Close never came. */
	while ((f = TAILQ_FIRST(&t->age)) != NULL && f->seen < limit) {
		metric_add(t->m_events, "open_expired", 1);
		open_remove(t, f);
	}
}

static void
read_interfaces(struct trigger *t)
{
	struct ifaddrs *ifa, *i;

	t->nlocal = t->nconfigured;
	t->local_read = now_mono();
	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL && t->nlocal < MAX_LOCAL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			addr_from_v4(&t->local[t->nlocal++],
			    &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			addr_from_v6(&t->local[t->nlocal++],
			    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
}

static int
is_local(const struct trigger *t, const struct addr_ip *a)
{
	for (size_t i = 0; i < t->nlocal; i++)
		if (addr_eq(&t->local[i], a))
			return 1;
	return 0;
}

struct trigger *
trigger_new(struct event_base *base, struct sched *sched, struct metrics *m,
    unsigned open_ttl_s, size_t max_open)
{
	struct trigger *t;
	struct timeval tv = { SWEEP_S, 0 };

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->sched = sched;
	t->open_ttl = open_ttl_s;
	t->max_open = max_open;
	TAILQ_INIT(&t->age);
	if ((t->sweep_ev = event_new(base, -1, EV_PERSIST, sweep, t)) == NULL) {
		free(t);
		return NULL;
	}
	event_add(t->sweep_ev, &tv);
	t->m_events = metrics_register(m, "hoplite_eventsocket_events_total",
	    "tcp-info events by what became of them.", METRIC_COUNTER, "result",
	    NULL, 0);
	t->m_open = metrics_register(m, "hoplite_eventsocket_open_flows",
	    "Connections opened and not yet closed.", METRIC_GAUGE, NULL, NULL, 0);
	read_interfaces(t);
	return t;
}

int
trigger_add_local(struct trigger *t, const char *s, char *err, size_t errlen)
{
	struct addr_ip a;

	if (addr_pton(s, &a) == -1) {
		snprintf(err, errlen, "not an IP address");
		return -1;
	}
	if (t->nconfigured >= MAX_LOCAL / 2) {
		snprintf(err, errlen, "too many local addresses (at most %d)",
		    MAX_LOCAL / 2);
		return -1;
	}
	/* Configured addresses stay at the front; interfaces are re-read. */
	t->local[t->nconfigured++] = a;
	read_interfaces(t);
	return 0;
}

static void
on_open(struct trigger *t, const struct tcpinfo_event *ev)
{
	struct open_flow **pp = open_slot(t, ev->uuid), *f;

	if (!ev->has_id) {
		metric_add(t->m_events, "open_without_id", 1);
		return;
	}
	if (*pp != NULL)
		open_remove(t, *pp);	/* a repeated Open replaces the first */
	if (t->nopen >= t->max_open) {
		metric_add(t->m_events, "open_evicted", 1);
		open_remove(t, TAILQ_FIRST(&t->age));
		pp = open_slot(t, ev->uuid);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->uuid = strdup(ev->uuid)) == NULL) {
		free(f);
		metric_add(t->m_events, "no_memory", 1);
		return;
	}
	f->src = ev->src;
	f->dst = ev->dst;
	f->sport = ev->sport;
	f->dport = ev->dport;
	f->seen = now_mono();
	*pp = f;
	TAILQ_INSERT_TAIL(&t->age, f, age_entry);
	t->nopen++;
	metric_set(t->m_open, NULL, (double)t->nopen);
	metric_add(t->m_events, "open", 1);
}

static void
on_close(struct trigger *t, const struct tcpinfo_event *ev)
{
	struct open_flow *f = *open_slot(t, ev->uuid);
	struct sched_request r;
	int src_local, dst_local;
	const char *why;

	if (f == NULL) {
		metric_add(t->m_events, "close_unknown", 1);
		return;
	}
	src_local = is_local(t, &f->src);
	dst_local = is_local(t, &f->dst);
	if (src_local == dst_local && now_mono() - t->local_read >= 1) {
		/* Maybe an address appeared since the last look. */
		read_interfaces(t);
		src_local = is_local(t, &f->src);
		dst_local = is_local(t, &f->dst);
	}
	if (src_local == dst_local) {
		metric_add(t->m_events, src_local ? "both_local" : "neither_local", 1);
		open_remove(t, f);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.uuid = f->uuid;
	r.source = "eventsocket";
	if (src_local) {
		r.client = f->dst;
		r.client_port = f->dport;
		r.server_port = f->sport;
	} else {
		r.client = f->src;
		r.client_port = f->sport;
		r.server_port = f->dport;
	}
	metric_add(t->m_events, "close", 1);
	sched_submit(t->sched, &r, &why);
	open_remove(t, f);
}

void
trigger_event(const struct tcpinfo_event *ev, void *arg)
{
	struct trigger *t = arg;

	if (now_mono() - t->local_read >= LOCAL_REFRESH_S)
		read_interfaces(t);
	switch (ev->type) {
	case TCPINFO_OPEN:
		on_open(t, ev);
		break;
	case TCPINFO_CLOSE:
		on_close(t, ev);
		break;
	default:
		metric_add(t->m_events, "other", 1);
		break;
	}
}

void
trigger_free(struct trigger *t)
{
	if (t == NULL)
		return;
	while (!TAILQ_EMPTY(&t->age))
		open_remove(t, TAILQ_FIRST(&t->age));
	event_free(t->sweep_ev);
	free(t);
}
