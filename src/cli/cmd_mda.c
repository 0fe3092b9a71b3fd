/* hoplite mda: multipath detection (MDA-Lite / MDA) to many destinations. */
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
#include "util/names.h"
#include "output/out.h"
#include "measure/mda.h"

#define DEFAULT_PPS		500
#define DEFAULT_CONCURRENCY	64

enum { OUT_JSON, OUT_TEXT, OUT_DOT };
enum {
	OPT_SPORT = 256, OPT_FULL, OPT_PROBE_GAP, OPT_FLOWLABEL_FIXED,
	OPT_GAP, OPT_SIZE, OPT_PPS, OPT_USER, OPT_TARGETS,
};

struct mdacmd {
	struct mda_conf conf;
	int output;
	unsigned ndot;		/* subgraphs written; the digraph is open */
	struct names *names;	/* text: hop names (the run's), unless -n */
};

static const struct option longopts[] = {
	{ "method", required_argument, NULL, 'P' },
	{ "confidence", required_argument, NULL, 'C' },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, 'p' },
	{ "attempts", required_argument, NULL, 'q' },
	{ "first-ttl", required_argument, NULL, 'f' },
	{ "max-ttl", required_argument, NULL, 'm' },
	{ "gap-limit", required_argument, NULL, OPT_GAP },
	{ "wait", required_argument, NULL, 'w' },
	{ "probe-gap", required_argument, NULL, OPT_PROBE_GAP },
	{ "window", required_argument, NULL, 'N' },
	{ "probec-max", required_argument, NULL, 'Q' },
	{ "flowlabel-fixed", no_argument, NULL, OPT_FLOWLABEL_FIXED },
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
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplite mda [options] DEST...\n"
	    "       hoplite mda [options] --targets FILE|-\n"
	    "Multipath detection: every load-balanced path to every DEST at once.\n"
	    "\n"
	    "  -I, -U, -T           -P icmp-echo, udp-dport (default) or tcp-sport\n"
	    "  -P, --method M       icmp-echo, udp-dport (default), udp-sport, tcp-sport,\n"
	    "                       tcp-ack-sport, flowlabel (IPv6: the flow label alone)\n"
	    "  -C, --confidence N   95 (default) or 99 percent\n"
	    "      --full           full MDA at every vertex, not MDA-Lite\n"
	    "      --sport N        source port (ICMP: echo id); base of the *-sport flows\n"
	    "  -p, --port N         destination port; base of the udp-dport flows (33435)\n"
	    "  -q, --attempts N     tries per flow and TTL (2)\n"
	    "  -f, --first-ttl N    first TTL to probe (1)\n"
	    "  -m, --max-ttl N      last TTL to probe (30)\n"
	    "      --gap-limit N    end a branch after N consecutive silent TTLs (3)\n"
	    "  -w, --wait SECONDS   wait for each probe's answer, fractions allowed (5)\n"
	    "      --probe-gap MS   least time between two probes of one destination\n"
	    "                       at one TTL, i.e. toward one router (0)\n"
	    "  -N, --window N       probes in flight per destination (16)\n"
	    "  -Q, --probec-max N   probe budget per destination (3000)\n"
	    "      --flowlabel-fixed  IPv6: keep the flow label 0 for every flow\n"
	    "  -s, --source ADDR    source address (an address of this host)\n"
	    "  -i, --interface IF   send through interface IF\n"
	    "      --size BYTES     probe size including the IP header\n"
	    "  -t, --tos N          IPv4 TOS / IPv6 traffic class (0)\n"
	    "  -n, --numeric        no names in the text table (looked up by default)\n"
	    "  -e                   MPLS (accepted for traceroute habits)\n"
	    "      --pps N          packets per second, all destinations together (%d)\n"
	    "  -c, --concurrency N  destinations in flight at once (%d)\n"
	    "      --targets FILE   destinations from FILE, one per line ('-': stdin)\n"
	    "  -4, -6               resolve names to IPv4 / IPv6 addresses only\n"
	    "  -o, --output FMT     json (scamper tracelb; default when stdout is not a\n"
	    "                       terminal), text, or dot (Graphviz)\n"
	    "      --user NAME      user to switch to after opening sockets (nobody)\n"
	    "  -v, --verbose        report counters on stderr at the end (forged:\n"
	    "                       replies naming a probe but failing its proof)\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Exit status: 0 every destination measured, 1 some could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1), hoplite-json(5).\n",
	    DEFAULT_PPS, DEFAULT_CONCURRENCY);
}

static const char *
name_of(const struct addr_ip *a, void *arg)
{
	struct mdacmd *mc = arg;
	const char *name;

	if (names_get(mc->names, a, &name) == NAMES_FOUND)
		return name;
	return NULL;
}

/* The table waits for its vertices' names (each bounded in time). */
static unsigned
mda_job_names(struct run_job *j, struct names *n, void *arg)
{
	const struct mda_result *r = mda_result(j->m);
	unsigned pending = 0;
	const char *name;

	for (size_t i = 0; i < r->nvertices; i++) {
		names_want(n, &r->vertices[i].addr);
		if (names_get(n, &r->vertices[i].addr, &name) == NAMES_PENDING)
			pending++;
	}
	return pending;
}

/* Runs inside engine callbacks: run only queues the job. */
static void
mda_done(struct mda *m, void *arg)
{
	run_job_done(arg);
}

static void *
mda_job_start(struct run_job *j, struct engine *eng, void *arg)
{
	struct mdacmd *mc = arg;
	struct mda *m;

	mc->names = run_names(j->run);
	if ((m = mda_new(eng, &mc->conf, &j->dst, mda_done, j)) == NULL)
		return NULL;
	j->m = m;
	mda_start(m);
	return m;
}

static void
mda_job_halt(void *m)
{
	mda_halt(m);
}

static int
mda_job_finish(struct run_job *j, void *arg)
{
	struct mdacmd *mc = arg;
	const struct mda_result *res = mda_result(j->m);
	int rc = 0, failed = 0;

	switch (mc->output) {
	case OUT_TEXT: {
		struct out_extra x;

		memset(&x, 0, sizeof(x));
		x.arg = mc;
		x.dst_name = j->name;
		if (mc->names != NULL)
			x.name = name_of;
		rc = out_tracelb_text_x(stdout, res, &x);
		break;
	}
	case OUT_DOT:
		if (mc->ndot == 0 && fputs("digraph hoplite {\n"
		    "  node [shape=box];\n", stdout) == EOF)
			rc = -1;
		if (rc == 0)
			rc = out_tracelb_dot(stdout, res, mc->ndot);
		mc->ndot++;
		break;
	default:
		/* Built in the arena: it lives only until it is written. */
		arena_begin();
		rc = out_tracelb_json_line(stdout, res);
		arena_end();
	}
	if (rc == -1 || fflush(stdout) == EOF) {
		log_warn("writing the output");
		failed = 1;
	}
	if (res->stop_reason == MDA_STOP_ERROR) {
		char a[ADDR_STRLEN];

		log_warnx("%s: %s", addr_ntop(&j->dst, a, sizeof(a)),
		    strerror(res->stop_data));
		failed = 1;
	}
	mda_free(j->m);
	return failed ? -1 : 0;
}

/* The conf as it will be for `family`, checked; -1 with a message. */
static int
check_conf(const struct mda_conf *c, int family, struct mda_conf *out)
{
	char err[256];

	*out = *c;
	if (mda_conf_finish(out, family, err, sizeof(err)) == -1)
		cmd_usage_error("%s", err);
	return 0;
}

int
cmd_mda(int argc, char **argv)
{
	struct mdacmd mc;
	struct mda_conf *c = &mc.conf, fin;
	struct run_conf rc;
	struct run_client client = {
		mda_job_start, mda_job_halt, mda_job_finish, mda_job_names, NULL,
		NULL, &mc
	};
	uint16_t lo[2], hi[2];
	int ch, status, numeric = 0;

	cmd_set_name("mda");
	memset(&mc, 0, sizeof(mc));
	memset(&rc, 0, sizeof(rc));
	mc.output = isatty(STDOUT_FILENO) ? OUT_TEXT : OUT_JSON;
	rc.pps = DEFAULT_PPS;
	rc.concurrency = DEFAULT_CONCURRENCY;
	rc.family = AF_UNSPEC;
	rc.user = "nobody";
	rc.progress = 1;
	c->method = MDA_UDP_DPORT;

	opterr = 0;
	while ((ch = getopt_long(argc, argv,
	    ":P:C:q:f:m:w:N:Q:t:c:46o:s:i:p:nIUTevVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'P':
			if (mda_method_find(optarg, &c->method) == -1)
				cmd_bad_option("-P", optarg, "unknown method "
				    "(icmp-echo, udp-dport, udp-sport, tcp-sport, "
				    "tcp-ack-sport, flowlabel)");
			break;
		case 'I':
			c->method = MDA_ICMP_ECHO;
			break;
		case 'U':
			c->method = MDA_UDP_DPORT;
			break;
		case 'T':
			c->method = MDA_TCP_SPORT;
			break;
		case 'C':
			c->confidence = (uint8_t)cmd_num_option("-C", optarg,
			    95, 99);
			if (c->confidence != 95 && c->confidence != 99)
				cmd_bad_option("-C", optarg, "must be 95 or 99");
			break;
		case OPT_FULL:
			c->rule = MDA_RULE_FULL;
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
		case OPT_PROBE_GAP:
			c->probe_gap_ms = (unsigned)cmd_num_option("--probe-gap",
			    optarg, 0, 60000);
			break;
		case 'N':
			c->window = (uint8_t)cmd_num_option("-N", optarg, 1, 255);
			break;
		case 'Q':
			c->probec_max = (unsigned)cmd_num_option("-Q", optarg, 1,
			    65535);
			break;
		case OPT_FLOWLABEL_FIXED:
			c->flowlabel_fixed = 1;
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
				mc.output = OUT_JSON;
			else if (strcmp(optarg, "text") == 0)
				mc.output = OUT_TEXT;
			else if (strcmp(optarg, "dot") == 0)
				mc.output = OUT_DOT;
			else
				cmd_bad_option("-o", optarg,
				    "must be json, text or dot");
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
		case 'e':	/* MPLS is in the JSON */
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
	log_init("hoplite", rc.verbose, 0);
	/* The flow label is IPv6's alone: names resolve to IPv6 then. */
	if (c->method == MDA_FLOWLABEL) {
		if (rc.family == AF_INET)
			cmd_usage_error("-P flowlabel is IPv6 only");
		rc.family = AF_INET6;
	}
	/* Every family that may be used holds, so a bad value fails before
	 * any probe. */
	if ((rc.family != AF_INET6 && check_conf(c, AF_INET, &fin) == -1) ||
	    (rc.family != AF_INET && check_conf(c, AF_INET6, &fin) == -1))
		return 2;

	/* The capture admits TCP and UDP within the measurement's ports. */
	rc.nports = mda_port_ranges(&fin, lo, hi);
	for (size_t i = 0; i < rc.nports; i++) {
		rc.ports[i].lo = lo[i];
		rc.ports[i].hi = hi[i];
	}
	rc.copies = 1;
	/* For the capture ring: a measurement's window, and its wait. */
	rc.inflight = fin.window;
	rc.wait_ms = fin.wait_ms;
	rc.names = mc.output == OUT_TEXT && !numeric;

	status = run_main(&rc, &client, argc, argv);
	if (mc.ndot > 0 && (fputs("}\n", stdout) == EOF ||
	    fflush(stdout) == EOF)) {
		log_warn("writing the output");
		status = 1;
	}
	return status;
}
