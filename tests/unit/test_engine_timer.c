/*
 * test_engine_timer: the engine's deadlines, on simnet: a timeout at its
 * wait with the probe's identity and tx timestamp, late_ms, and the order
 * in which deadlines fire when waits are mixed (the heap that replaced the
 * sorted list), ties in the order the probes left, and probes answered
 * out of the middle of the heap.
 */
#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

#include "probe/engine.h"
#include "probe/pkt.h"
#include "simnet.h"
#include "t.h"
#include "tclient.h"

/* --- timeouts and tx timestamps ------------------------------------------- */

static void
test_timeout(int capture)
{
	struct env e;
	struct tclient *c;
	const struct simnet_probe *p;
	double waited;

	env_init(&e, 1000, 0);
	simnet_set_auto(e.sn, 0);
	simnet_set_capture(e.sn, capture);
	c = client_new(&e, &pkt_icmp_paris, "2001:db8::10", 3, 1, 120);
	e.pending = 1;
	engine_wake(e.eng, &c->c);
	T_EQ_INT(simnet_run(e.sn, 5000), 0);
	T_EQ_INT(c->ntimeout, 1);
	T_EQ_INT(c->nev, 1);
	p = simnet_probe(e.sn, 0);
	T_CHECK(p != NULL);
	if (p == NULL || c->nev != 1)
		goto done;
	T_EQ_INT(c->ev[0].s.cookie, 1001);
	T_EQ_INT(c->ev[0].s.ttl, 1);
	T_EQ_INT(c->ev[0].s.attempt, 1);
	T_EQ_INT(c->ev[0].s.size, p->len);
	T_EQ_INT(c->ev[0].s.ident.tag, p->tag);
	T_EQ_INT(c->ev[0].s.tx_pcap, capture);
	if (capture) {
		T_EQ_INT(engine_sent_tx(&c->ev[0].s).tv_sec, p->tx.tv_sec);
		T_EQ_INT(engine_sent_tx(&c->ev[0].s).tv_usec, p->tx.tv_usec);
	}
	T_EQ_INT(engine_stats(e.eng)->tx_seen, capture ? 1 : 0);
	waited = tv_diff(&p->tx, &c->ev[0].at);
	T_CHECK(waited >= 0.120 - 0.005);
	T_CHECK(waited < 0.120 + 0.5);
done:
	client_free(&e, c);
	env_free(&e);
}

/*
 * late_ms: on_late runs once the probe has been out that long, and the
 * probe stays in flight: a reply then still reaches the client (marked
 * late), and without one the timeout follows at wait_ms.  A client that
 * did not opt in never hears of late_ms.
 */
static void
test_late(void)
{
	struct env e;
	struct tclient *c, *d;
	const struct simnet_probe *p;

	env_init(&e, 1000, 0);
	simnet_set_auto(e.sn, 0);
	c = client_new(&e, &pkt_udp_paris, "192.0.2.10", 0, 2, 300);
	c->late_ms = 20;
	engine_client_init(&c->c, &tc_late_ops, c);
	d = client_new(&e, &pkt_udp_paris, "192.0.2.11", 0, 1, 150);
	d->late_ms = 20;
	e.pending = 2;		/* c's two lates */
	engine_wake(e.eng, &c->c);
	engine_wake(e.eng, &d->c);
	T_EQ_INT(simnet_run(e.sn, 5000), 0);
	T_EQ_INT(c->nlate, 2);
	T_EQ_INT(c->ntimeout, 0);
	T_EQ_INT(d->nlate + d->ntimeout, 0);
	/* Both of c's probes are late and still in flight: answer one. */
	p = probe_of(&e, &c->flow, 1);
	T_CHECK(p != NULL);
	if (p != NULL)
		feed(&e, p, SIMNET_TIMXCEED, NULL, 0);
	T_EQ_INT(c->nreply, 1);
	T_EQ_INT(c->nev >= 3 ? c->ev[2].kind : 0, CB_REPLY);
	T_EQ_INT(c->nev >= 3 ? c->ev[2].s.late : 0, 1);
	e.pending = 2;		/* c's other probe and d's time out */
	T_EQ_INT(simnet_run(e.sn, 5000), 0);
	T_EQ_INT(c->ntimeout, 1);
	T_EQ_INT(c->nev >= 4 ? c->ev[3].s.late : 0, 1);
	T_EQ_INT(d->ntimeout, 1);
	T_EQ_INT(d->nlate, 0);
	T_EQ_INT(engine_stats(e.eng)->late, 2);
	T_EQ_INT(engine_stats(e.eng)->timeouts, 2);
	client_free(&e, c);
	client_free(&e, d);
	env_free(&e);
}

/*
 * Many probes with mixed waits, sent in an order unlike their deadlines:
 * each times out no earlier than its wait, in the order of their
 * deadlines (when it left plus its wait); the ones answered out of the
 * middle of the heap never time out.
 */
static void
test_deadline_order(void)
{
	enum { N = 40, BASE = 100, STEP = 8 };
	static const unsigned mult[] = { 7, 2, 9, 2, 5, 0, 7, 3 };
	struct env e;
	struct tclient *c[N];
	char dst[32];
	unsigned answered = 0, prev_wait = 0, order_ok = 1, late_ok = 1;
	struct timeval tx[N];
	int fired[N], nfired = 0;

	env_init(&e, 1000, 0);
	simnet_set_auto(e.sn, 0);
	for (int i = 0; i < N; i++) {
		snprintf(dst, sizeof(dst), "192.0.2.%d", 10 + i);
		c[i] = client_new(&e, &pkt_udp_paris, dst, 0, 1,
		    BASE + STEP * mult[i % 8]);
		engine_wake(e.eng, &c[i]->c);
	}
	/* Every probe out (1 ms apart at 1000 pps), none due yet: the run
	 * ends at its limit. */
	e.pending = 0;
	T_EQ_INT(simnet_run(e.sn, 60), -1);
	T_EQ_INT(simnet_nprobes(e.sn), N);
	T_EQ_INT(engine_stats(e.eng)->timeouts, 0);
	/* Answer every fifth: out of the middle of the heap. */
	for (int i = 0; i < N; i += 5) {
		const struct simnet_probe *p = probe_of(&e, &c[i]->flow, 1);

		T_CHECK(p != NULL);
		if (p != NULL) {
			feed(&e, p, SIMNET_TIMXCEED, NULL, 0);
			answered++;
		}
	}
	e.pending = N - answered;
	T_EQ_INT(simnet_run(e.sn, 5000), 0);
	for (int i = 0; i < N; i++) {
		const struct simnet_probe *p = probe_of(&e, &c[i]->flow, 1);

		tx[i] = p != NULL ? p->tx : (struct timeval){ 0, 0 };
		if (i % 5 == 0) {
			T_EQ_INT(c[i]->nreply, 1);
			T_EQ_INT(c[i]->ntimeout, 0);
			continue;
		}
		T_EQ_INT(c[i]->ntimeout, 1);
		if (c[i]->nev > 0 && p != NULL &&
		    tv_diff(&p->tx, &c[i]->ev[0].at) < c[i]->wait_ms / 1e3 -
		    0.002)
			late_ok = 0;
	}
	T_CHECK(late_ok);
	/* The order they fired in. */
	for (unsigned n = 0; n < e.nev; n++)
		for (int i = 0; i < N; i++)
			if (i % 5 != 0 && c[i]->nev > 0 && c[i]->ev[0].n == n)
				fired[nfired++] = i;
	T_EQ_INT(nfired, N - answered);
	/* by deadline: when the probe left plus its wait.  The engine reads
	 * its clock a little after simnet's tx (more on a loaded machine), so
	 * deadlines within 2 ms may swap; a heap out of order misplaces
	 * them by the waits' 8 ms steps and the 40 ms of sending. */
	for (int k = 1; k < nfired; k++) {
		const struct tclient *a = c[fired[k - 1]], *b = c[fired[k]];
		double da = tv_diff(&tx[0], &tx[fired[k - 1]]) +
		    a->wait_ms / 1e3;
		double db = tv_diff(&tx[0], &tx[fired[k]]) + b->wait_ms / 1e3;

		if (db < da - 0.002)
			order_ok = 0;
		prev_wait = b->wait_ms;
	}
	T_CHECK(order_ok);
	T_CHECK(prev_wait == BASE + STEP * 9);	/* the longest wait, last */
	T_EQ_INT(engine_stats(e.eng)->timeouts, N - answered);
	for (int i = 0; i < N; i++)
		client_free(&e, c[i]);
	env_free(&e);
}

int
main(void)
{
	simnet_count_libevent_warnings();
	test_timeout(1);
	test_timeout(0);
	test_late();
	test_deadline_order();
	T_EQ_INT(simnet_libevent_warnings(), 0);
	return T_DONE();
}
