/* hoplite trace: Paris traceroute to many destinations at once. */
#include "config.h"

#include <sys/socket.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/addr.h"
#include "util/arena.h"
#include "cli/cmd.h"
#include "cli/run.h"
#include "util/log.h"
#include "util/opt.h"
#include "output/out.h"
#include "measure/trace.h"

#define DEFAULT_PPS		500
#define DEFAULT_CONCURRENCY	64

enum { OUT_JSON, OUT_TEXT };
enum { OPT_SPORT = 256, OPT_DPORT };

struct tracecmd {
	struct trace_conf conf;
	int output;
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
	    "  -w, --window N       at most N TTLs open beyond the last answered or\n"
	    "                       settled one, and not more than -g (8)\n"
	    "  -s, --size BYTES     probe size including the IP header (44 IPv4, 64 IPv6;\n"
	    "                       TCP 40, 60)\n"
	    "  -t, --tos N          IPv4 TOS / IPv6 traffic class (0)\n"
	    "  -p, --pps N          packets per second, all traces together (%d)\n"
	    "  -c, --concurrency N  at most N traces in flight at once; running traces\n"
	    "                       get probes before new ones start (%d)\n"
	    "  -4, -6               resolve names to IPv4 / IPv6 addresses only\n"
	    "  -o, --output FMT     json (default when stdout is not a terminal) or text\n"
	    "  -U, --user NAME      user to switch to after opening sockets (nobody)\n"
	    "  -v, --verbose        report counters on stderr at the end (forged:\n"
	    "                       replies naming a probe but failing its proof;\n"
	    "                       late: past their adaptive wait)\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Exit status: 0 every destination traced, 1 some could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1), hoplite-json(5).\n",
	    DEFAULT_PPS, DEFAULT_CONCURRENCY);
}

/* Runs inside engine callbacks: run only queues the job. */
static void
trace_done(struct trace *t, void *arg)
{
	run_job_done(arg);
}

static void *
trace_job_start(struct run_job *j, struct engine *eng, void *arg)
{
	struct tracecmd *tc = arg;
	struct trace_conf c = tc->conf;
	struct trace *t;

	c.flowid = j->flowid;
	if ((t = trace_new(eng, &c, &j->dst, trace_done, j)) == NULL)
		return NULL;
	j->m = t;
	trace_start(t);
	return t;
}

static void
trace_job_halt(void *m)
{
	trace_halt(m);
}

static int
trace_job_finish(struct run_job *j, void *arg)
{
	struct tracecmd *tc = arg;
	const struct trace_result *res = trace_result(j->m);
	int rc, failed = 0;

	if (tc->output == OUT_TEXT)
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
		failed = 1;
	}
	if (res->stop_reason == TRACE_STOP_ERROR) {
		char a[ADDR_STRLEN];

		log_warnx("%s: %s", addr_ntop(&res->flow.dst, a, sizeof(a)),
		    strerror(res->stop_data));
		failed = 1;
	}
	trace_free(j->m);
	return failed ? -1 : 0;
}

int
cmd_trace(int argc, char **argv)
{
	struct tracecmd tc;
	struct trace_conf *c = &tc.conf;
	struct run_conf rc;
	struct run_client client = {
		trace_job_start, trace_job_halt, trace_job_finish, &tc
	};
	char err[256];
	long long flo = 0, fhi = 0;
	uint32_t sport_base;
	int ch;

	memset(&tc, 0, sizeof(tc));
	memset(&rc, 0, sizeof(rc));
	tc.output = isatty(STDOUT_FILENO) ? OUT_TEXT : OUT_JSON;
	rc.pps = DEFAULT_PPS;
	rc.concurrency = DEFAULT_CONCURRENCY;
	rc.family = AF_UNSPEC;
	rc.user = "nobody";
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
			rc.pps = (unsigned)cmd_num_option("-p", optarg, 1, 100000);
			break;
		case 'c':
			rc.concurrency = (size_t)cmd_num_option("-c", optarg, 1, 65536);
			break;
		case '4':
			rc.family = AF_INET;
			break;
		case '6':
			rc.family = AF_INET6;
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				tc.output = OUT_JSON;
			else if (strcmp(optarg, "text") == 0)
				tc.output = OUT_TEXT;
			else
				cmd_bad_option("-o", optarg, "must be json or text");
			break;
		case 'U':
			rc.user = optarg;
			break;
		case 'v':
			rc.verbose++;
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
	log_init("hoplite", rc.verbose, 0);
	/* Both families' limits hold, so a bad value fails before any probe. */
	if (trace_conf_finish(c, AF_INET, err, sizeof(err)) == -1 ||
	    trace_conf_finish(c, AF_INET6, err, sizeof(err)) == -1) {
		fprintf(stderr, "hoplite: %s\n", err);
		return 2;
	}

	sport_base = c->sport ? c->sport : c->method->default_sport;
	rc.port_lo = (uint16_t)((sport_base + flo) & 0xffff);
	rc.port_hi = (uint16_t)(sport_base + fhi > 65535 ? 65535 :
	    sport_base + fhi);
	rc.copies = (uint32_t)(fhi - flo + 1);
	rc.flow_lo = (uint32_t)flo;
	/* A trace has at most this many TTLs open, each with its attempts
	 * (all of them with -A), for the capture ring's size. */
	rc.inflight = (unsigned)(c->window < c->gaplimit ? c->window :
	    c->gaplimit) * (c->all_attempts ? c->attempts : 1u);
	rc.wait_ms = c->wait_ms;
	return run_main(&rc, &client, argc, argv);
}
