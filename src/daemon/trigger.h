/*
 * trigger: tcp-info events to trace requests.  Remembers UUID -> flow from
 * each Open (bounded, aged), and on Close asks the scheduler to trace the
 * remote end: whichever of the two addresses is not local (interface
 * addresses plus configured ones such as a load balancer's).
 */
#ifndef HOPLITE_TRIGGER_H
#define HOPLITE_TRIGGER_H

#include <stddef.h>

#include "daemon/metrics.h"
#include "daemon/sched.h"
#include "daemon/tcpinfo.h"

struct event_base;
struct trigger;

struct trigger *trigger_new(struct event_base *, struct sched *,
    struct metrics *, unsigned open_ttl_s, size_t max_open);
/* An extra local address (--local-ip).  0, or -1 with a message. */
int trigger_add_local(struct trigger *, const char *addr, char *err,
    size_t errlen);
/* The tcpinfo callback. */
void trigger_event(const struct tcpinfo_event *, void *trigger);
void trigger_free(struct trigger *);

#endif
