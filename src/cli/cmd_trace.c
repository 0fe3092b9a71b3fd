/* hoplite trace: Paris traceroute to many destinations at once. */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/addr.h"
#include "util/arena.h"
#include "cli/asmap.h"
#include "cli/cmd.h"
#include "cli/run.h"
#include "util/log.h"
#include "util/names.h"
#include "util/opt.h"
#include "util/pfx2as.h"
#include "output/out.h"
#include "measure/trace.h"

#define DEFAULT_PPS		500
#define DEFAULT_CONCURRENCY	64

enum { OUT_JSON, OUT_TEXT };
enum {
	OPT_SPORT = 256, OPT_GAP, OPT_SIZE, OPT_PPS, OPT_USER,
	OPT_TARGETS, OPT_PTR, OPT_NAMES_TIMEOUT, OPT_PFX2AS,
};

/* Hop-by-hop printing of a single trace on a terminal. */
struct live {
	struct run_job *job;	/* the trace, while it runs */
	unsigned settled;	/* TTLs up to this one are final */
	unsigned printed;	/* and up to this one on the screen */
	int head;		/* the header is out */
};

struct tracecmd {
	struct trace_conf conf;
	int output;
	int names_text, names_json;
	int live_ok;		/* text on a terminal */
	struct live live;
	struct names *names;	/* the run's, once it runs */
	struct asmap *asmap;	/* -A: the file, until read */
	struct pfx2as *pfx;	/* -A: the table */
};

static const struct option longopts[] = {
	{ "method", required_argument, NULL, 'P' },
	{ "flowid", required_argument, NULL, 'F' },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, 'p' },
	{ "attempts", required_argument, NULL, 'q' },
	{ "all-attempts", no_argument, NULL, 'Q' },
	{ "first-ttl", required_argument, NULL, 'f' },
	{ "max-ttl", required_argument, NULL, 'm' },
	{ "gap-limit", required_argument, NULL, OPT_GAP },
	{ "wait", required_argument, NULL, 'w' },
	{ "window", required_argument, NULL, 'N' },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "tos", required_argument, NULL, 't' },
	{ "pps", required_argument, NULL, OPT_PPS },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "source", required_argument, NULL, 's' },
	{ "interface", required_argument, NULL, 'i' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "targets", required_argument, NULL, OPT_TARGETS },
	{ "numeric", no_argument, NULL, 'n' },
	{ "ptr", no_argument, NULL, OPT_PTR },
	{ "names-timeout", required_argument, NULL, OPT_NAMES_TIMEOUT },
	{ "as-path-lookups", no_argument, NULL, 'A' },
	{ "pfx2as", required_argument, NULL, OPT_PFX2AS },
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
	    "       hoplite trace [options] --targets FILE|-\n"
	    "Paris traceroute to every DEST (address or name) at once.\n"
	    "\n"
	    "  -I, -U, -T           ICMP (default), UDP or TCP SYN Paris probes\n"
	    "  -P, --method M       icmp-paris, udp-paris, tcp-paris, tcp-ack-paris\n"
	    "  -p, --port N         destination port (udp 33435, tcp 80)\n"
	    "      --sport N        source port (ICMP: echo id) of flow 0; flow F uses N+F (33000)\n"
	    "  -F, --flowid N|A-B   Paris flow id, or a range: one trace per flow (0)\n"
	    "  -q, --attempts N     tries per TTL until one is answered (2)\n"
	    "  -Q, --all-attempts   send every attempt even after an answer (as scamper -Q)\n"
	    "  -f, --first-ttl N    first TTL to probe (1)\n"
	    "  -m, --max-ttl N      last TTL to probe (30)\n"
	    "  -w, --wait SECONDS   wait for each probe's answer, fractions allowed (2)\n"
	    "      --gap-limit N    stop after N consecutive silent TTLs (5)\n"
	    "  -N, --window N       at most N TTLs open beyond the last answered or\n"
	    "                       settled one, and not more than --gap-limit (8)\n"
	    "  -s, --source ADDR    source address (an address of this host)\n"
	    "  -i, --interface IF   send through interface IF\n"
	    "      --size BYTES     probe size including the IP header (44 IPv4, 64 IPv6;\n"
	    "                       TCP 40, 60)\n"
	    "  -t, --tos N          IPv4 TOS / IPv6 traffic class (0)\n"
	    "  -n, --numeric        no hop names (text output looks them up by default)\n"
	    "      --ptr            hop names in JSON too (\"name\", as scamper -O ptr)\n"
	    "      --names-timeout SECONDS  give up on a name after this long (2)\n"
	    "  -e                   MPLS label stacks (always shown; for traceroute habits)\n"
	    "  -A                   origin AS per hop in text output, from a pfx2as file\n"
	    "      --pfx2as FILE    RouteViews pfx2as file, gzip or plain (implies -A);\n"
	    "                       default $HOPLITE_PFX2AS, else\n"
	    "                       %s\n"
	    "      --pps N          packets per second, all traces together (%d)\n"
	    "  -c, --concurrency N  at most N traces in flight at once; running traces\n"
	    "                       get probes before new ones start (%d)\n"
	    "      --targets FILE   destinations from FILE, one per line ('-': stdin)\n"
	    "  -4, -6               resolve names to IPv4 / IPv6 addresses only\n"
	    "  -o, --output FMT     json (default when stdout is not a terminal) or text\n"
	    "      --user NAME      user to switch to after opening sockets (nobody)\n"
	    "  -v, --verbose        report counters on stderr at the end (forged:\n"
	    "                       replies naming a probe but failing its proof;\n"
	    "                       late: past their adaptive wait)\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Exit status: 0 every destination traced, 1 some could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1), hoplite-json(5).\n",
	    HOPLITE_PFX2AS, DEFAULT_PPS, DEFAULT_CONCURRENCY);
}


/* --- names and live output ------------------------------------------- */

static const char *
name_of(const struct addr_ip *a, void *arg)
{
	struct tracecmd *tc = arg;
	const char *name;

	if (names_get(tc->names, a, &name) == NAMES_FOUND)
		return name;
	return NULL;
}

static const char *
asn_of(const struct addr_ip *a, void *arg)
{
	struct tracecmd *tc = arg;

	return pfx2as_lookup(tc->pfx, a);
}

static void
extra_for(struct tracecmd *tc, const struct run_job *j, int text,
    struct out_extra *x)
{
	memset(x, 0, sizeof(*x));
	x->arg = tc;
	x->dst_name = j->name;
	if (tc->names != NULL && (text ? tc->names_text : tc->names_json))
		x->name = name_of;
	if (tc->pfx != NULL && text)
		x->asn = asn_of;
}

/* Privileges are gone: read the pfx2as file opened before. */
static void
trace_ready(void *arg)
{
	struct tracecmd *tc = arg;
	unsigned long bad;
	char err[300];

	if (tc->asmap == NULL)
		return;
	if ((tc->pfx = asmap_read(tc->asmap, &bad, err, sizeof(err))) == NULL)
		cmd_usage_error("-A: %s", err);
	if (bad > 0)
		log_warnx("-A: %lu bad lines in the pfx2as file skipped", bad);
	asmap_close(tc->asmap);
	tc->asmap = NULL;
}

/* Ask for the names of hops at TTLs from..to; how many are pending. */
static unsigned
want_names(struct tracecmd *tc, const struct trace_result *r, unsigned from,
    unsigned to)
{
	unsigned pending = 0;
	const char *name;

	for (size_t i = 0; i < r->nhops; i++) {
		const struct trace_hop *h = &r->hops[i];

		if (h->probe_ttl < from || h->probe_ttl > to)
			continue;
		names_want(tc->names, &h->addr);
		if (names_get(tc->names, &h->addr, &name) == NAMES_PENDING)
			pending++;
	}
	return pending;
}

/* Print the settled TTLs whose names are back (or given up on). */
static void
live_flush(struct tracecmd *tc)
{
	struct live *lv = &tc->live;
	const struct trace_result *r;
	struct out_extra x;

	if (lv->job == NULL)
		return;
	r = trace_result(lv->job->m);
	extra_for(tc, lv->job, 1, &x);
	if (!lv->head) {
		out_trace_text_head(stdout, r, &x);
		lv->head = 1;
		if (lv->printed == 0)
			lv->printed = r->conf.first_ttl - 1;
	}
	while (lv->printed < lv->settled) {
		unsigned ttl = lv->printed + 1;

		if (x.name != NULL && want_names(tc, r, ttl, ttl) > 0)
			break;
		out_trace_text_ttl(stdout, r, ttl, &x);
		lv->printed = ttl;
	}
	fflush(stdout);
}

static void
live_settled(struct trace *t, unsigned ttl, void *arg)
{
	struct tracecmd *tc = arg;

	tc->live.settled = ttl;
	if (tc->names != NULL && tc->names_text)
		want_names(tc, trace_result(t), ttl, ttl);
	live_flush(tc);
}

static void
trace_names_update(void *arg)
{
	live_flush(arg);
}

static unsigned
trace_job_names(struct run_job *j, struct names *n, void *arg)
{
	struct tracecmd *tc = arg;

	if (!(tc->output == OUT_TEXT ? tc->names_text : tc->names_json))
		return 0;
	return want_names(tc, trace_result(j->m), 0, 255);
}

/* --- the run's client -------------------------------------------------- */

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

	tc->names = run_names(j->run);
	c.flowid = j->flowid;
	if ((t = trace_new(eng, &c, &j->dst, trace_done, j)) == NULL)
		return NULL;
	j->m = t;
	/* One trace on a terminal: each hop as it settles, as traceroute. */
	if (tc->live_ok && run_njobs(j->run) == 1) {
		tc->live.job = j;
		trace_set_settled_cb(t, live_settled, tc);
	}
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
	struct out_extra x;
	int rc, failed = 0;

	extra_for(tc, j, tc->output == OUT_TEXT, &x);
	if (tc->live.job == j) {
		live_flush(tc);
		rc = out_trace_text_tail(stdout, res, tc->live.printed + 1, &x);
		tc->live.job = NULL;
	} else if (tc->output == OUT_TEXT)
		rc = out_trace_text_x(stdout, res, &x);
	else {
		/* A trace's JSON lives only until it is written: build it in
		 * the arena instead of a malloc and a free per value. */
		arena_begin();
		rc = out_trace_json_line_x(stdout, res, &x);
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
		trace_job_start, trace_job_halt, trace_job_finish,
		trace_job_names, trace_names_update, trace_ready, &tc
	};
	char err[256];
	long long flo = 0, fhi = 0;
	uint32_t sport_base;
	int ch, numeric = 0, ptr = 0, as_lookups = 0, status;
	const char *pfx2as = NULL;

	cmd_set_name("trace");
	memset(&tc, 0, sizeof(tc));
	memset(&rc, 0, sizeof(rc));
	tc.output = isatty(STDOUT_FILENO) ? OUT_TEXT : OUT_JSON;
	rc.pps = DEFAULT_PPS;
	rc.concurrency = DEFAULT_CONCURRENCY;
	rc.family = AF_UNSPEC;
	rc.user = "nobody";
	rc.progress = 1;
	c->method = &pkt_icmp_paris;

	opterr = 0;
	while ((ch = getopt_long(argc, argv,
	    ":P:F:q:f:m:w:N:t:c:46o:s:i:p:nAIQUTevVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			c->method = cmd_method_option("-P", optarg);
			break;
		case 'I':
			c->method = &pkt_icmp_paris;
			break;
		case 'U':
			c->method = &pkt_udp_paris;
			break;
		case 'T':
			c->method = &pkt_tcp_paris;
			break;
		case 'F':
			if (opt_range(optarg, 0, 65535, &flo, &fhi, err,
			    sizeof(err)) == -1)
				cmd_bad_option("-F", optarg, err);
			break;
		case OPT_SPORT:
			c->sport = (uint16_t)cmd_num_option("--sport", optarg, 1, 65535);
			break;
		case 'p':
			c->dport = (uint16_t)cmd_num_option("-p", optarg, 1, 65535);
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
		case OPT_GAP:
			c->gaplimit = (uint8_t)cmd_num_option("--gap-limit",
			    optarg, 1, 255);
			break;
		case 'w':
			c->wait_ms = cmd_seconds_option("-w", optarg, 1, 60000);
			break;
		case 'N':
			c->window = (uint8_t)cmd_num_option("-N", optarg, 1, 255);
			break;
		case OPT_SIZE:
			c->size = (uint16_t)cmd_num_option("--size", optarg, 1, 1500);
			break;
		case 't':
			c->tos = (uint8_t)cmd_num_option("-t", optarg, 0, 255);
			break;
		case OPT_PPS:
			rc.pps = (unsigned)cmd_num_option("--pps", optarg, 1, 100000);
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
		case 's':
			rc.source = optarg;
			break;
		case 'i':
			rc.iface = optarg;
			break;
		case OPT_USER:
			rc.user = optarg;
			break;
		case OPT_TARGETS:
			rc.targets = optarg;
			break;
		case 'n':
			numeric = 1;
			break;
		case OPT_PTR:
			ptr = 1;
			break;
		case OPT_NAMES_TIMEOUT:
			rc.names_timeout_ms = cmd_seconds_option(
			    "--names-timeout", optarg, 1, 60000);
			break;
		case 'e':	/* MPLS stacks are always shown */
			break;
		case 'A':
			as_lookups = 1;
			break;
		case OPT_PFX2AS:
			as_lookups = 1;
			pfx2as = optarg;
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
			cmd_getopt_error(ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 && rc.targets == NULL)
		cmd_usage_error("no destination given");
	if (numeric && ptr)
		cmd_usage_error("-n and --ptr contradict each other");
	if (c->dport != 0 && (c->method->proto == IPPROTO_ICMP ||
	    c->method->proto == IPPROTO_ICMPV6))
		cmd_usage_error("-p: ICMP probes have no port (use -U or -T)");
	log_init("hoplite", rc.verbose, 0);
	/* Both families' limits hold, so a bad value fails before any probe. */
	if (trace_conf_finish(c, AF_INET, err, sizeof(err)) == -1 ||
	    trace_conf_finish(c, AF_INET6, err, sizeof(err)) == -1)
		cmd_usage_error("%s", err);

	tc.names_text = !numeric;
	tc.names_json = ptr;
	rc.names = tc.output == OUT_TEXT ? tc.names_text : tc.names_json;
	tc.live_ok = tc.output == OUT_TEXT && isatty(STDOUT_FILENO);
	sport_base = c->sport ? c->sport : c->method->default_sport;
	rc.nports = 1;
	rc.ports[0].lo = (uint16_t)((sport_base + flo) & 0xffff);
	rc.ports[0].hi = (uint16_t)(sport_base + fhi > 65535 ? 65535 :
	    sport_base + fhi);
	rc.copies = (uint32_t)(fhi - flo + 1);
	rc.flow_lo = (uint32_t)flo;
	/* A trace has at most this many TTLs open, each with its attempts
	 * (all of them with -Q), for the capture ring's size. */
	rc.inflight = (unsigned)(c->window < c->gaplimit ? c->window :
	    c->gaplimit) * (c->all_attempts ? c->attempts : 1u);
	rc.wait_ms = c->wait_ms;
	/* Opened now (it may be root's), read once privileges are gone. */
	if (as_lookups && (tc.asmap = asmap_open(asmap_path(pfx2as), err,
	    sizeof(err))) == NULL)
		cmd_usage_error("-A: %s (give one with --pfx2as FILE)", err);
	status = run_main(&rc, &client, argc, argv);
	asmap_close(tc.asmap);
	pfx2as_free(tc.pfx);
	return status;
}
