/* hoplite trace: Paris traceroute to many destinations at once. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/addr.h"
#include "util/arena.h"
#include "cli/cmd.h"
#include "probe/engine.h"
#include "util/log.h"
#include "probe/netio.h"
#include "util/opt.h"
#include "output/out.h"
#include "util/priv.h"
#include "measure/trace.h"

#define DEFAULT_PPS		500
#define DEFAULT_CONCURRENCY	64

enum { OUT_JSON, OUT_TEXT };
enum { OPT_SPORT = 256, OPT_DPORT };

struct run;

struct job {
	struct run *run;
	struct addr_ip dst;
	uint32_t flowid;
	struct trace *trace;
	struct job *next_done;
};

struct run {
	struct event_base *base;
	struct engine *eng;
	struct trace_conf conf;
	struct job *jobs;
	size_t njobs, next_job, running, finished;
	size_t concurrency;
	struct job *done_head, **done_tail;
	struct event *reap_ev;
	int output;
	int failed;
	int halting;
};

static const struct option longopts[] = {
	{ "method", required_argument, NULL, 'P' },
	{ "flowid", required_argument, NULL, 'F' },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "attempts", required_argument, NULL, 'q' },
	{ "first-ttl", required_argument, NULL, 'f' },
	{ "max-ttl", required_argument, NULL, 'm' },
	{ "gap-limit", required_argument, NULL, 'g' },
	{ "wait", required_argument, NULL, 'W' },
	{ "window", required_argument, NULL, 'w' },
	{ "all-attempts", no_argument, NULL, 'Q' },
	{ "size", required_argument, NULL, 's' },
	{ "tos", required_argument, NULL, 't' },
	{ "pps", required_argument, NULL, 'p' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "user", required_argument, NULL, 'U' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplite trace [options] DEST...\n"
	    "Paris traceroute to every DEST (address or name) at once.\n"
	    "\n"
	    "  -P, --method M       icmp-paris (default), udp-paris, tcp-paris, tcp-ack-paris\n"
	    "  -F, --flowid N|A-B   Paris flow id, or a range: one trace per flow (0)\n"
	    "      --sport N        source port (ICMP: echo id) of flow 0; flow F uses N+F (33000)\n"
	    "      --dport N        destination port (udp 33435, tcp 80)\n"
	    "  -q, --attempts N     tries per TTL until one is answered (2)\n"
	    "  -Q, --all-attempts   send every attempt even after an answer\n"
	    "  -f, --first-ttl N    first TTL to probe (1)\n"
	    "  -m, --max-ttl N      last TTL to probe (30)\n"
	    "  -g, --gap-limit N    stop after N consecutive silent TTLs (5)\n"
	    "  -W, --wait MS        wait for each probe's answer, milliseconds (2000)\n"
	    "  -w, --window N       TTLs in flight beyond the last settled one (8)\n"
	    "  -s, --size BYTES     probe size including the IP header (44 IPv4, 64 IPv6;\n"
	    "                       TCP 40, 60)\n"
	    "  -t, --tos N          IPv4 TOS / IPv6 traffic class (0)\n"
	    "  -p, --pps N          packets per second, all traces together (%d)\n"
	    "  -c, --concurrency N  traces in flight at once (%d)\n"
	    "  -4, -6               resolve names to IPv4 / IPv6 addresses only\n"
	    "  -o, --output FMT     json (default when stdout is not a terminal) or text\n"
	    "  -U, --user NAME      user to switch to after opening sockets (nobody)\n"
	    "  -v, --verbose        report counters on stderr at the end (forged:\n"
	    "                       replies naming a probe but failing its proof)\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Exit status: 0 every destination traced, 1 some could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1), hoplite-json(5).\n",
	    DEFAULT_PPS, DEFAULT_CONCURRENCY);
}

static void run_start_more(struct run *);

/* Runs inside engine callbacks: only queue the job; reaping frees it. */
static void
trace_done(struct trace *t, void *arg)
{
	struct job *j = arg;
	struct run *r = j->run;

	j->next_done = NULL;
	*r->done_tail = j;
	r->done_tail = &j->next_done;
	event_active(r->reap_ev, EV_TIMEOUT, 0);
}

static void
print_trace(struct run *r, const struct trace_result *res)
{
	int rc;

	if (r->output == OUT_TEXT)
		rc = out_trace_text(stdout, res);
	else {
		/* A trace's JSON lives only until it is written: build it in
		 * the arena instead of a malloc and a free per value. */
		arena_begin();
		rc = out_trace_json_line(stdout, res);
		arena_end();
	}
	if (rc == -1 || fflush(stdout) == EOF) {
		log_warn("writing the output");
		r->failed = 1;
	}
	if (res->stop_reason == TRACE_STOP_ERROR) {
		char a[ADDR_STRLEN];

		log_warnx("%s: %s", addr_ntop(&res->flow.dst, a, sizeof(a)),
		    strerror(res->stop_data));
		r->failed = 1;
	}
}

static void
reap(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	struct job *j;

	while ((j = r->done_head) != NULL) {
		r->done_head = j->next_done;
		if (r->done_head == NULL)
			r->done_tail = &r->done_head;
		print_trace(r, trace_result(j->trace));
		trace_free(j->trace);
		j->trace = NULL;
		r->running--;
		r->finished++;
	}
	run_start_more(r);
	if (r->finished == r->njobs)
		event_base_loopbreak(r->base);
}

static void
run_start_more(struct run *r)
{
	while (!r->halting && r->running < r->concurrency && r->next_job < r->njobs) {
		struct job *j = &r->jobs[r->next_job++];
		struct trace_conf c = r->conf;

		c.flowid = j->flowid;
		j->trace = trace_new(r->eng, &c, &j->dst, trace_done, j);
		if (j->trace == NULL)
			fatalx("out of memory");
		r->running++;
		trace_start(j->trace);
	}
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct run *r = arg;

	/* Stop everything in flight; each trace reports what it measured. */
	r->halting = 1;
	r->finished += r->njobs - r->next_job;
	r->next_job = r->njobs;
	for (size_t i = 0; i < r->njobs; i++)
		if (r->jobs[i].trace != NULL)
			trace_halt(r->jobs[i].trace);
}

/*
 * The raw sockets worth opening: each costs thousands of setsockopt calls
 * in libnet (it grows SO_SNDBUF step by step), so skip a family no
 * destination can use.  Names could be either, unless -4/-6 says.
 */
static int
families_needed(int argc, char **argv, int family)
{
	int f = 0;

	if (family == AF_INET)
		return NETIO_V4;
	if (family == AF_INET6)
		return NETIO_V6;
	for (int i = 0; i < argc; i++) {
		struct addr_ip a;

		if (addr_pton(argv[i], &a) == -1)
			return NETIO_V4 | NETIO_V6;
		f |= a.family == AF_INET ? NETIO_V4 : NETIO_V6;
	}
	return f;
}

/* Resolve one destination; -1 with a message printed. */
static int
resolve(const char *name, int family, struct addr_ip *a)
{
	struct addrinfo hints, *res, *ai;
	int rc;

	if (addr_pton(name, a) == 0) {
		if (family != AF_UNSPEC && a->family != family) {
			log_warnx("%s: not an IPv%c address", name,
			    family == AF_INET ? '4' : '6');
			return -1;
		}
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		log_warnx("%s: %s", name, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			addr_from_v4(a, &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
			break;
		}
		if (ai->ai_family == AF_INET6) {
			addr_from_v6(a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
			break;
		}
	}
	freeaddrinfo(res);
	if (ai == NULL) {
		log_warnx("%s: no IPv4 or IPv6 address", name);
		return -1;
	}
	return 0;
}

int
cmd_trace(int argc, char **argv)
{
	struct run r;
	struct trace_conf *c = &r.conf;
	struct engine_conf ec;
	struct engine_io io;
	struct netio *nio;
	struct event *sigint_ev, *sigterm_ev;
	const char *user = "nobody";
	char err[256];
	long long flo = 0, fhi = 0;
	unsigned pps = DEFAULT_PPS;
	int ch, family = AF_UNSPEC, verbose = 0, ndst;
	uint32_t sport_base;

	memset(&r, 0, sizeof(r));
	r.output = isatty(STDOUT_FILENO) ? OUT_TEXT : OUT_JSON;
	r.concurrency = DEFAULT_CONCURRENCY;
	r.done_tail = &r.done_head;
	c->method = &pkt_icmp_paris;

	while ((ch = getopt_long(argc, argv, "P:F:q:Qf:m:g:W:w:s:t:p:c:46o:U:vVh",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			if ((c->method = pkt_method_find(optarg)) == NULL)
				cmd_bad_option("-P", optarg, "unknown method (icmp-paris, "
				    "udp-paris, tcp-paris, tcp-ack-paris)");
			break;
		case 'F':
			if (opt_range(optarg, 0, 65535, &flo, &fhi, err,
			    sizeof(err)) == -1)
				cmd_bad_option("-F", optarg, err);
			break;
		case OPT_SPORT:
			c->sport = (uint16_t)cmd_num_option("--sport", optarg, 1, 65535);
			break;
		case OPT_DPORT:
			c->dport = (uint16_t)cmd_num_option("--dport", optarg, 1, 65535);
			break;
		case 'q':
			c->attempts = (uint8_t)cmd_num_option("-q", optarg, 1, 10);
			break;
		case 'Q':
			c->all_attempts = 1;
			break;
		case 'f':
			c->first_ttl = (uint8_t)cmd_num_option("-f", optarg, 1, 255);
			break;
		case 'm':
			c->max_ttl = (uint8_t)cmd_num_option("-m", optarg, 1, 255);
			break;
		case 'g':
			c->gaplimit = (uint8_t)cmd_num_option("-g", optarg, 1, 255);
			break;
		case 'W':
			c->wait_ms = (unsigned)cmd_num_option("-W", optarg, 1, 60000);
			break;
		case 'w':
			c->window = (uint8_t)cmd_num_option("-w", optarg, 1, 255);
			break;
		case 's':
			c->size = (uint16_t)cmd_num_option("-s", optarg, 1, 1500);
			break;
		case 't':
			c->tos = (uint8_t)cmd_num_option("-t", optarg, 0, 255);
			break;
		case 'p':
			pps = (unsigned)cmd_num_option("-p", optarg, 1, 100000);
			break;
		case 'c':
			r.concurrency = (size_t)cmd_num_option("-c", optarg, 1, 65536);
			break;
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				r.output = OUT_JSON;
			else if (strcmp(optarg, "text") == 0)
				r.output = OUT_TEXT;
			else
				cmd_bad_option("-o", optarg, "must be json or text");
			break;
		case 'U':
			user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("hoplite %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		fprintf(stderr, "hoplite: no destination given\n");
		usage(stderr);
		return 2;
	}
	log_init("hoplite", verbose, 0);
	/* Both families' limits hold, so a bad value fails before any probe. */
	if (trace_conf_finish(c, AF_INET, err, sizeof(err)) == -1 ||
	    trace_conf_finish(c, AF_INET6, err, sizeof(err)) == -1) {
		fprintf(stderr, "hoplite: %s\n", err);
		return 2;
	}

	/* Privileged handles first, then give up root for good. */
	if (!priv_can_raw())
		fatalx("raw sockets need root or CAP_NET_RAW (e.g. setcap "
		    "cap_net_raw+ep, or AmbientCapabilities=CAP_NET_RAW)");
	if ((nio = netio_open(families_needed(argc, argv, family), pps, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (priv_drop(user, err, sizeof(err)) == -1)
		fatalx("dropping privileges: %s", err);

	sport_base = c->sport ? c->sport : c->method->default_sport;
	if (netio_set_ports(nio, (uint16_t)((sport_base + flo) & 0xffff),
	    (uint16_t)(sport_base + fhi > 65535 ? 65535 : sport_base + fhi), 0,
	    err, sizeof(err)) == -1)
		fatalx("%s", err);

	if ((r.jobs = calloc((size_t)argc * (size_t)(fhi - flo + 1),
	    sizeof(*r.jobs))) == NULL)
		fatalx("out of memory");
	for (ndst = 0; ndst < argc; ndst++) {
		struct addr_ip a;

		if (resolve(argv[ndst], family, &a) == -1) {
			r.failed = 1;
			continue;
		}
		if (!(netio_families(nio) & (a.family == AF_INET ? NETIO_V4 : NETIO_V6))) {
			log_warnx("%s: no raw socket for IPv%c", argv[ndst],
			    a.family == AF_INET ? '4' : '6');
			r.failed = 1;
			continue;
		}
		for (long long f = flo; f <= fhi; f++) {
			struct job *j = &r.jobs[r.njobs++];

			j->run = &r;
			j->dst = a;
			j->flowid = (uint32_t)f;
		}
	}
	if (r.njobs == 0) {
		netio_close(nio);
		free(r.jobs);
		return 1;
	}

	if ((r.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	memset(&ec, 0, sizeof(ec));
	ec.pps = pps;
	netio_ops(nio, &io);
	if ((r.eng = engine_new(r.base, &ec, &io)) == NULL)
		fatalx("cannot start the probe engine");
	if (netio_attach(nio, r.base, r.eng) == -1)
		fatalx("cannot watch the capture");
	if ((r.reap_ev = event_new(r.base, -1, 0, reap, &r)) == NULL ||
	    (sigint_ev = evsignal_new(r.base, SIGINT, on_signal, &r)) == NULL ||
	    (sigterm_ev = evsignal_new(r.base, SIGTERM, on_signal, &r)) == NULL)
		fatalx("cannot set up the event loop");
	evsignal_add(sigint_ev, NULL);
	evsignal_add(sigterm_ev, NULL);

	arena_install();
	run_start_more(&r);
	event_base_dispatch(r.base);

	if (verbose) {
		const struct engine_stats *st = engine_stats(r.eng);

		log_info("probes sent %llu, send errors %llu, tx seen %llu, "
		    "replies matched %llu, unmatched %llu, forged %llu, "
		    "timeouts %llu, ignored %llu, capture drops %llu",
		    (unsigned long long)st->probes_sent,
		    (unsigned long long)st->send_errors,
		    (unsigned long long)st->tx_seen,
		    (unsigned long long)st->replies_matched,
		    (unsigned long long)st->replies_unmatched,
		    (unsigned long long)st->replies_forged,
		    (unsigned long long)st->timeouts,
		    (unsigned long long)st->packets_ignored,
		    (unsigned long long)netio_capture_drops(nio));
	}
	event_free(sigint_ev);
	event_free(sigterm_ev);
	event_free(r.reap_ev);
	engine_free(r.eng);
	netio_close(nio);
	event_base_free(r.base);
	arena_release();
	free(r.jobs);
	return r.failed ? 1 : 0;
}
