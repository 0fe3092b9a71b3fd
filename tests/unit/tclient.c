/* tclient: the engine tests' client on simnet (tclient.h). */
#include <sys/socket.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tclient.h"

double
tv_diff(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (b->tv_usec - a->tv_usec) / 1e6;
}

void
env_init(struct env *e, unsigned pps, unsigned burst)
{
	memset(e, 0, sizeof(*e));
	e->eng = simnet_engine(pps, burst, &e->base, &e->sn);
}

void
env_free(struct env *e)
{
	simnet_engine_free(e->eng, e->sn, e->base);
}

/* --- a minimal client ----------------------------------------------------- */

static void
client_record(struct tclient *c, int kind, const struct engine_sent *s,
    const struct pkt_reply *r, int err)
{
	struct env *e = c->env;

	if (c->nev < MAX_EVENTS) {
		struct tev *v = &c->ev[c->nev++];

		memset(v, 0, sizeof(*v));
		v->kind = kind;
		v->s = *s;
		if (r != NULL)
			v->r = *r;
		v->err = err;
		v->n = e->nev++;
		gettimeofday(&v->at, NULL);
	}
	if (e->pending > 0 && --e->pending == 0)
		simnet_stop(e->sn);
	if (c->free_in_cb) {
		/* The documented way out: cancel, then free, from a callback. */
		engine_cancel(e->eng, &c->c);
		*c->freed = 1;
		free(c);
	}
}

static int
tc_next(void *owner, struct engine_probe_req *req)
{
	struct tclient *c = owner;

	if (c->to_send == 0)
		return 0;
	c->to_send--;
	req->method = c->m;
	req->flow = &c->flow;
	req->ttl = (uint8_t)c->next_ttl++;
	req->attempt = 1;
	req->wait_ms = c->wait_ms;
	req->late_ms = c->late_ms;
	req->cookie = 1000 + req->ttl;
	return 1;
}

static void
tc_reply(void *owner, const struct engine_sent *s, const struct pkt_reply *r,
    const struct timeval *rx)
{
	struct tclient *c = owner;

	c->nreply++;
	if (c->rounds > 0) {
		c->rounds--;
		c->to_send = 1;
		engine_wake(c->env->eng, &c->c);
	}
	client_record(c, CB_REPLY, s, r, 0);
}

static void
tc_late(void *owner, const struct engine_sent *s)
{
	struct tclient *c = owner;

	c->nlate++;
	client_record(c, CB_LATE, s, NULL, 0);
}

static void
tc_timeout(void *owner, const struct engine_sent *s)
{
	struct tclient *c = owner;

	c->ntimeout++;
	client_record(c, CB_TIMEOUT, s, NULL, 0);
}

static void
tc_error(void *owner, const struct engine_sent *s, int err)
{
	struct tclient *c = owner;

	c->nerror++;
	client_record(c, CB_ERROR, s, NULL, err);
}

const struct engine_client_ops tc_ops = {
	tc_next, tc_reply, tc_timeout, tc_error, NULL,
	offsetof(struct tclient, c),
};
const struct engine_client_ops tc_late_ops = {
	tc_next, tc_reply, tc_timeout, tc_error, tc_late,
	offsetof(struct tclient, c),
};

struct tclient *
client_new_size(struct env *e, const struct pkt_method *m, const char *dst,
    uint32_t flowid, unsigned nprobes, unsigned wait_ms, uint16_t size)
{
	struct tclient *c;
	struct pkt_flow_params fp;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		abort();
	c->env = e;
	c->m = m;
	c->to_send = nprobes;
	c->next_ttl = 1;
	c->wait_ms = wait_ms;
	memset(&fp, 0, sizeof(fp));
	fp.size = size;
	if (addr_pton(dst, &fp.dst) == -1 ||
	    engine_source(e->eng, &fp.dst, &fp.src) == -1 ||
	    m->flow(&fp, flowid, &c->flow) == -1)
		abort();
	engine_client_init(&c->c, &tc_ops, c);
	return c;
}

struct tclient *
client_new(struct env *e, const struct pkt_method *m, const char *dst,
    uint32_t flowid, unsigned nprobes, unsigned wait_ms)
{
	return client_new_size(e, m, dst, flowid, nprobes, wait_ms, 0);
}

void
client_free(struct env *e, struct tclient *c)
{
	engine_cancel(e->eng, &c->c);
	free(c);
}

/* Build a reply to probe p and feed it to the engine now. */
void
feed(struct env *e, const struct simnet_probe *p, enum simnet_kind kind,
    const struct addr_ip *from, unsigned flags)
{
	struct simnet_reply_spec rs;
	uint8_t buf[2048];
	struct timeval now;
	int len;

	memset(&rs, 0, sizeof(rs));
	rs.kind = kind;
	rs.flags = flags;
	rs.code = 1;		/* UNREACH: host unreachable */
	rs.mpls_label = 16004;
	if (kind == SIMNET_DEST)
		rs.code = 0;
	if (from != NULL)
		rs.from = *from;
	len = simnet_reply_build(p, &rs, buf, sizeof(buf));
	if (len <= 0) {
		fprintf(stderr, "feed: simnet_reply_build failed\n");
		abort();
	}
	gettimeofday(&now, NULL);
	engine_input(e->eng, buf, (size_t)len, &now, 0);
}

/* The i-th probe simnet saw from flow f. */
const struct simnet_probe *
probe_of(struct env *e, const struct pkt_flow *f, unsigned ttl)
{
	for (size_t i = 0; i < simnet_nprobes(e->sn); i++) {
		const struct simnet_probe *p = simnet_probe(e->sn, i);

		if (p->h.sport == f->sport && addr_eq(&p->h.dst, &f->dst) &&
		    p->ttl == ttl)
			return p;
	}
	return NULL;
}
