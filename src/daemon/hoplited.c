/*
 * hoplited: a measurement of the path to each test's client (MDA, every
 * load-balanced path, by default; or one Paris trace), written beside the
 * test's UUID.  Triggered by tcp-info's event socket or a control socket.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/ctl.h"
#include "probe/engine.h"
#include "daemon/journal.h"
#include "util/log.h"
#include "util/names.h"
#include "daemon/metrics.h"
#include "probe/netio.h"
#include "util/opt.h"
#include "daemon/policy.h"
#include "util/priv.h"
#include "daemon/sandbox.h"
#include "daemon/sched.h"
#include "daemon/tcpinfo.h"
#include "daemon/trigger.h"
#include "daemon/hoplited.h"

/* --- glue --------------------------------------------------------------- */

static int
on_control(const struct ctl_request *req, const char **status,
    const char **error, void *arg)
{
	struct daemon *d = arg;
	struct sched_request r;
	enum sched_outcome o;
	const char *why;

	memset(&r, 0, sizeof(r));
	r.uuid = req->uuid;
	r.client = req->ip;
	r.client_port = req->sport;
	r.server_port = req->dport;
	r.method = req->method;
	r.source = "control";
	o = sched_submit(d->sched, &r, &why);
	if (o == SCHED_REFUSED || o == SCHED_DROPPED) {
		*error = why;
		return -1;
	}
	*status = sched_outcome_name(o);
	return 0;
}

static void
before_scrape(void *arg)
{
	struct daemon *d = arg;
	const struct engine_stats *st = engine_stats(d->eng);

	sched_update_metrics(d->sched);
	metric_set(d->m_engine, "probes_sent", (double)st->probes_sent);
	metric_set(d->m_engine, "send_errors", (double)st->send_errors);
	metric_set(d->m_engine, "replies_matched", (double)st->replies_matched);
	metric_set(d->m_engine, "replies_unmatched", (double)st->replies_unmatched);
	metric_set(d->m_engine, "replies_forged", (double)st->replies_forged);
	metric_set(d->m_engine, "timeouts", (double)st->timeouts);
	metric_set(d->m_engine, "packets_ignored", (double)st->packets_ignored);
	metric_set(d->m_capdrops, NULL, (double)netio_capture_drops(d->nio));
	metric_set(d->m_engmem, NULL, (double)st->mem_bytes);
	if (d->tcpinfo != NULL) {
		const struct tcpinfo_stats *ts = tcpinfo_client_stats(d->tcpinfo);

		metric_set(d->m_evsock_up, NULL, ts->connected);
		metric_set(d->m_evsock, "lines", (double)ts->lines);
		metric_set(d->m_evsock, "events", (double)ts->events);
		metric_set(d->m_evsock, "bad_json", (double)ts->bad_json);
		metric_set(d->m_evsock, "oversize", (double)ts->oversize);
		metric_set(d->m_evsock, "connects", (double)ts->connects);
		metric_set(d->m_evsock, "connect_failures",
		    (double)ts->connect_failures);
		metric_set(d->m_evsock, "disconnects", (double)ts->disconnects);
	}
	if (d->ctl != NULL) {
		const struct ctl_stats *cs = ctl_server_stats(d->ctl);

		metric_set(d->m_ctl, "idle_closed", (double)cs->idle_closed);
		metric_set(d->m_ctl, "evicted", (double)cs->evicted);
		metric_set(d->m_ctl, "connections", (double)cs->connections);
		metric_set(d->m_ctl, "requests", (double)cs->requests);
		metric_set(d->m_ctl, "accepted", (double)cs->accepted);
		metric_set(d->m_ctl, "errors", (double)cs->errors);
		metric_set(d->m_ctl, "oversize", (double)cs->oversize);
		metric_set(d->m_ctl, "dropped", (double)cs->dropped);
	}
}

static void
on_names(void *arg)
{
	struct daemon *d = arg;

	if (d->sched != NULL)
		sched_names_update(d->sched);
}

/*
 * --ptr: the resolver of /etc/resolv.conf, read now (before the sandbox).
 * Without a usable one the daemon runs on without names: measurements
 * matter more than names, and the line says why.
 */
static void
open_names(struct daemon *d)
{
	struct names_conf nc;
	char err[256];

	if (!d->ptr)
		return;
	memset(&nc, 0, sizeof(nc));
	nc.timeout_ms = d->sc.names_wait_ms;
	if ((d->names = names_new(d->base, &nc, on_names, d, err,
	    sizeof(err))) == NULL)
		log_warnx("--ptr: no hop names: %s", err);
	d->sc.names = d->names;
}

static void
drained(void *arg)
{
	struct daemon *d = arg;

	event_base_loopbreak(d->base);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	if (d->stopping)
		return;
	d->stopping = 1;
	log_info("signal %d: stopping intake, finishing traces (grace %u s)",
	    (int)sig, d->grace);
	if (d->ctl != NULL)
		ctl_server_stop(d->ctl);
	if (d->tcpinfo != NULL) {
		tcpinfo_client_free(d->tcpinfo);
		d->tcpinfo = NULL;
	}
	sched_shutdown(d->sched, d->grace, drained, d);
}

/*
 * The capture admits TCP and UDP within the ports of the probes: the
 * Paris trace's one flow (the mode's, or the traces of --test-flow and
 * of requests journaled in mode paris) and, in mode mda, every flow an
 * MDA measurement may vary (mda_port_ranges).  With --test-flow, every
 * TCP reset: the test's ports are anyone's.
 */
static int
set_capture_ports(const struct daemon *d, char *err, size_t errlen)
{
	struct netio_ports r[NETIO_MAX_RANGES];
	struct mda_conf fin = d->sc.mda;
	uint16_t lo[2], hi[2];
	uint32_t sport;
	size_t n = 0;

	sport = d->sc.trace.sport ? d->sc.trace.sport :
	    d->sc.trace.method->default_sport;
	sport += d->sc.trace.flowid;
	if (d->sc.mode == MEAS_MDA) {
		unsigned nr;

		if (mda_conf_finish(&fin, AF_INET, err, errlen) == -1)
			return -1;
		nr = mda_port_ranges(&fin, lo, hi);
		for (unsigned i = 0; i < nr; i++) {
			r[n].lo = lo[i];
			r[n++].hi = hi[i];
		}
	}
	/* The Paris flow's port, where a range is left for it: with two
	 * MDA ranges (UDP and TCP methods) a Paris trace's destination
	 * answers only if its port falls inside them; its ICMP answers
	 * always pass. */
	if (n < NETIO_MAX_RANGES) {
		r[n].lo = (uint16_t)sport;
		r[n++].hi = (uint16_t)sport;
	}
	return netio_set_port_ranges(d->nio, r, n, d->sc.test_flow, err,
	    errlen);
}

/* The output root, created before dropping privileges and owned by the run user. */
static void
make_output_root(const char *root, const char *user, const char *group)
{
	char path[4096];
	struct passwd *pw;
	struct group *gr;
	size_t len = strlen(root);

	if (len == 0 || len >= sizeof(path))
		fatalx("--output: bad path");
	memcpy(path, root, len + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			fatal("creating %s", path);
		*p = '/';
	}
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		fatal("creating %s", path);
	if (geteuid() == 0 && (pw = getpwnam(user)) != NULL &&
	    chown(path, pw->pw_uid, group != NULL && (gr = getgrnam(group)) !=
	    NULL ? gr->gr_gid : pw->pw_gid) == -1)
		fatal("chown %s", path);
}

/* The requests accepted before a crash, kept beside the files. */
static struct journal *
open_journal(struct event_base *base, const char *root, const char *given)
{
	char path[4096], err[512];
	struct journal *j;
	int n = given != NULL ? snprintf(path, sizeof(path), "%s", given) :
	    snprintf(path, sizeof(path), "%s/%s", root, JOURNAL_NAME);

	if (n < 0 || (size_t)n >= sizeof(path))
		fatalx("--journal: path too long");
	if ((j = journal_open(base, path, err, sizeof(err))) == NULL)
		fatalx("journal: %s", err);
	return j;
}

/*
 * HOPLITED_SECCOMP_SELFTEST=1: right after the filter is installed, try
 * one call it forbids, a raw socket (harmless without it: no capability
 * is left to grant one), so a test or an operator can see the filter kill.
 */
static void
sandbox_selftest(void)
{
	const char *v = getenv("HOPLITED_SECCOMP_SELFTEST");
	int fd;

	if (v == NULL || strcmp(v, "1") != 0)
		return;
	log_info("HOPLITED_SECCOMP_SELFTEST: opening a raw socket, which the "
	    "filter forbids");
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) != -1)
		close(fd);
	log_info("HOPLITED_SECCOMP_SELFTEST: still running (socket: %s)",
	    fd == -1 ? strerror(errno) : "made");
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct engine_conf ec;
	struct engine_io io;
	struct event *ev_int, *ev_term, *ev_hup;
	char err[512], host[256];

	memset(&d, 0, sizeof(d));
	d.user = "nobody";
	d.pps = 1000;
	d.open_timeout = 3600;
	d.grace = 5;
	d.sc.replay_window_s = 300;
	d.sc.file_mode = MLAB_FILE_MODE;
	d.sc.trace.method = &pkt_icmp_paris;
	d.sc.mode = MEAS_MDA;
	d.sc.mda.method = MDA_ICMP_ECHO;
	d.sc.mda.probe_gap_ms = 150;
	d.sc.cache_window_s = 600;
	d.sc.cache_max = 10000;
	d.sc.max_inflight = 64;
	d.sc.queue_max = 1024;
	d.sc.max_waiters = 256;
	d.sc.names_wait_ms = 2000;
	d.sc.version = "hoplite-" PACKAGE_VERSION;
	log_init("hoplited", 0, 0);
	log_daemon();
	/* First, so a misspelt variable is named even when the settings
	 * then fail (a misspelt HOPLITED_OUTPUT: "--output is required"). */
	hoplited_env_check();
	hoplited_parse_args(&d, argc, argv);
	log_init("hoplited", d.verbose + 1, 0);
	if (d.sc.hostname == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			fatal("gethostname");
		host[sizeof(host) - 1] = '\0';
		d.sc.hostname = host;
	}
	hoplited_log_settings(&d);
	signal(SIGPIPE, SIG_IGN);

	/* Everything privileged first: raw sockets, capture, listening
	 * sockets, the output root.  Then give up root and capabilities. */
	if (!priv_can_raw())
		fatalx("raw sockets need root or CAP_NET_RAW");
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((d.nio = netio_open(NETIO_V4 | NETIO_V6, d.pps, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((d.metrics = metrics_new()) == NULL)
		fatalx("out of memory");
	if (d.control != NULL &&
	    (d.ctl = ctl_server_open(d.base, d.control, on_control, &d, err,
	    sizeof(err))) == NULL)
		fatalx("--control %s: %s", d.control, err);
	if (d.metrics_addr != NULL &&
	    metrics_serve(d.metrics, d.base, d.metrics_addr, before_scrape, &d,
	    err, sizeof(err)) == -1)
		fatalx("--metrics %s: %s", d.metrics_addr, err);
	make_output_root(d.sc.output, d.user, d.group);
	if (priv_drop_group(d.user, d.group, err, sizeof(err)) == -1)
		fatalx("dropping privileges: %s", err);
	d.journal = d.sc.journal = open_journal(d.base, d.sc.output,
	    d.journal_path);

	if (set_capture_ports(&d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	memset(&ec, 0, sizeof(ec));
	ec.pps = d.pps;
	netio_ops(d.nio, &io);
	if ((d.eng = engine_new(d.base, &ec, &io)) == NULL ||
	    netio_attach(d.nio, d.base, d.eng) == -1)
		fatalx("cannot start the probe engine");
	open_names(&d);
	if ((d.sched = sched_new(d.base, d.eng, d.policy, d.metrics, &d.sc)) == NULL)
		fatalx("out of memory");
	d.m_engine = metrics_register(d.metrics, "hoplite_engine_total",
	    "Probe engine counters: probes sent, replies matched, unmatched...",
	    METRIC_COUNTER, "counter", NULL, 0);
	d.m_engmem = metrics_register(d.metrics, "hoplite_engine_memory_bytes",
	    "Bytes the probe engine holds for probes in flight (its most).",
	    METRIC_GAUGE, NULL, NULL, 0);
	d.m_capdrops = metrics_register(d.metrics, "hoplite_capture_drops_total",
	    "Packets the kernel dropped from the capture buffer.", METRIC_COUNTER,
	    NULL, NULL, 0);
	d.m_evsock_up = metrics_register(d.metrics, "hoplite_eventsocket_connected",
	    "1 while connected to tcp-info's event socket.", METRIC_GAUGE, NULL,
	    NULL, 0);
	d.m_evsock = metrics_register(d.metrics, "hoplite_eventsocket_total",
	    "Event socket counters: lines, events, junk, connections.",
	    METRIC_COUNTER, "counter", NULL, 0);
	d.m_ctl = metrics_register(d.metrics, "hoplite_control_total",
	    "Control socket counters: connections, requests, replies, dropped.",
	    METRIC_COUNTER, "counter", NULL, 0);
	if (d.eventsocket != NULL) {
		if ((d.trigger = trigger_new(d.base, d.sched, d.metrics,
		    d.open_timeout, 100000)) == NULL)
			fatalx("out of memory");
		for (size_t i = 0; i < d.nlocals; i++)
			if (trigger_add_local(d.trigger, d.locals[i], err,
			    sizeof(err)) == -1)
				fatalx("--local-ip %s: %s", d.locals[i], err);
		if ((d.tcpinfo = tcpinfo_client_new(d.base, d.eventsocket,
		    trigger_event, d.trigger)) == NULL)
			fatal("--eventsocket %s", d.eventsocket);
	}
	ev_int = evsignal_new(d.base, SIGINT, on_signal, &d);
	ev_term = evsignal_new(d.base, SIGTERM, on_signal, &d);
	ev_hup = evsignal_new(d.base, SIGHUP, on_signal, &d);
	if (ev_int == NULL || ev_term == NULL || ev_hup == NULL)
		fatalx("cannot set up signals");
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_hup, NULL);
	sched_replay(d.sched);
	/* Everything is open: from here on only the loop's system calls. */
	if (sandbox_enter(d.sandbox, err, sizeof(err)) == -1)
		fatalx("seccomp: %s", err);
	sandbox_selftest();
	log_info("running: output %s%s%s%s%s", d.sc.output,
	    d.eventsocket ? ", event socket " : "", d.eventsocket ? d.eventsocket : "",
	    d.control ? ", control " : "", d.control ? d.control : "");

	event_base_dispatch(d.base);

	log_info("stopped");
	event_free(ev_int);
	event_free(ev_term);
	event_free(ev_hup);
	tcpinfo_client_free(d.tcpinfo);
	trigger_free(d.trigger);
	ctl_server_free(d.ctl);
	sched_free(d.sched);
	names_free(d.names);
	journal_close(d.journal);
	engine_free(d.eng);
	netio_close(d.nio);
	policy_free(d.policy);
	metrics_free(d.metrics);
	event_base_free(d.base);
	return 0;
}
