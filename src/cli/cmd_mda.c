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

enum { OPT_FULL = 256, OPT_PROBE_GAP, OPT_FLOWLABEL_FIXED };

struct mdacmd {
	struct mda_conf conf;
	struct cmd_common opt;
	struct trace_conf probe;	/* the options shared with trace */
	unsigned ndot;		/* subgraphs written; the digraph is open */
	struct names *names;	/* text: hop names (the run's), unless -n */
};

/* Every option, in --help order. */
static const struct cmd_opt opts[] = {
	{ CMD_OWN, 'I', NULL, no_argument,
	    "  -I, -U, -T           -P icmp-echo, udp-dport (default) or tcp-sport\n" },
	{ CMD_OWN, 'U', NULL, no_argument, NULL },
	{ CMD_OWN, 'T', NULL, no_argument, NULL },
	{ CMD_OWN, 'P', "method", required_argument,
	    "  -P, --method M       icmp-echo, udp-dport (default), udp-sport, tcp-sport,\n"
	    "                       tcp-ack-sport, flowlabel (IPv6: the flow label alone)\n" },
	{ CMD_OWN, 'C', "confidence", required_argument,
	    "  -C, --confidence N   95 (default) or 99 percent\n" },
	{ CMD_OWN, OPT_FULL, "full", no_argument,
	    "      --full           full MDA at every vertex, not MDA-Lite\n" },
	{ .kind = CMD_SPORT, .help =
	    "      --sport N        source port (ICMP: echo id); base of the *-sport flows\n" },
	{ .kind = CMD_DPORT, .help =
	    "  -p, --port N         destination port; base of the udp-dport flows (33435)\n" },
	{ .kind = CMD_ATTEMPTS, .help =
	    "  -q, --attempts N     tries per flow and TTL (2)\n" },
	{ .kind = CMD_FIRST_TTL },
	{ .kind = CMD_MAX_TTL },
	{ .kind = CMD_GAPLIMIT, .help =
	    "      --gap-limit N    end a branch after N consecutive silent TTLs (3)\n" },
	{ .kind = CMD_WAIT, .help =
	    "  -w, --wait SECONDS   wait for each probe's answer, fractions allowed (5)\n" },
	{ CMD_OWN, OPT_PROBE_GAP, "probe-gap", required_argument,
	    "      --probe-gap MS   spacing of one destination's probes per router\n"
	    "                       (a hop with k routers: MS/k); hops overlap (0)\n" },
	{ .kind = CMD_WINDOW, .help =
	    "  -N, --window N       probes in flight per destination (16)\n" },
	{ CMD_OWN, 'Q', "probec-max", required_argument,
	    "  -Q, --probec-max N   probe budget per destination (3000)\n" },
	{ CMD_OWN, OPT_FLOWLABEL_FIXED, "flowlabel-fixed", no_argument,
	    "      --flowlabel-fixed  IPv6: keep the flow label 0 for every flow\n" },
	{ .kind = CMD_SOURCE },
	{ .kind = CMD_IFACE },
	{ .kind = CMD_SIZE },
	{ .kind = CMD_TOS },
	{ .kind = CMD_NUMERIC, .help =
	    "  -n, --numeric        no names in the text table (looked up by default)\n" },
	{ .kind = CMD_PTR, .help =
	    "      --ptr            node names in JSON too (\"name\", as scamper -O ptr)\n" },
	{ .kind = CMD_MPLS, .help =
	    "  -e                   MPLS (accepted for traceroute habits)\n" },
	{ .kind = CMD_PPS, .help =
	    "      --pps N          packets per second, all destinations together ("
	    CMD_STR(DEFAULT_PPS) ")\n" },
	{ .kind = CMD_CONCURRENCY, .help =
	    "  -c, --concurrency N  destinations in flight at once ("
	    CMD_STR(DEFAULT_CONCURRENCY) ")\n" },
	{ .kind = CMD_TARGETS },
	{ .kind = CMD_INET },
	{ .kind = CMD_INET6 },
	{ .kind = CMD_OUTPUT, .help =
	    "  -o, --output FMT     json (scamper tracelb; default when stdout is not a\n"
	    "                       terminal), text, or dot (Graphviz)\n" },
	{ .kind = CMD_USER },
	{ .kind = CMD_VERBOSE, .help =
	    "  -v, --verbose        report counters on stderr at the end (forged:\n"
	    "                       replies naming a probe but failing its proof)\n" },
	{ .kind = CMD_VERSION },
	{ .kind = CMD_HELP },
};

static void mda_opt(int, const char *, void *);

static const struct cmd_spec spec = {
	.name = "mda",
	.head = "usage: hoplite mda [options] DEST...\n"
	    "       hoplite mda [options] --targets FILE|-\n"
	    "Multipath detection: every load-balanced path to every DEST at once.\n"
	    "\n",
	.foot = "\n"
	    "Exit status: 0 every destination measured, 1 some could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1), hoplite-json(5).\n",
	.opts = opts,
	.nopts = sizeof(opts) / sizeof(opts[0]),
	.own = mda_opt,
	.pps = DEFAULT_PPS,
	.concurrency = DEFAULT_CONCURRENCY,
	.progress = 1,
	.noutputs = 3,
};

static void
mda_opt(int id, const char *arg, void *cmd)
{
	struct mda_conf *c = &((struct mdacmd *)cmd)->conf;

	switch (id) {
	case 'P':
		if (mda_method_find(arg, &c->method) == -1)
			cmd_bad_option("-P", arg, "unknown method "
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
		c->confidence = (uint8_t)cmd_num_option("-C", arg, 95, 99);
		if (c->confidence != 95 && c->confidence != 99)
			cmd_bad_option("-C", arg, "must be 95 or 99");
		break;
	case OPT_FULL:
		c->rule = MDA_RULE_FULL;
		break;
	case OPT_PROBE_GAP:
		c->probe_gap_ms = (unsigned)cmd_num_option("--probe-gap", arg,
		    0, 60000);
		break;
	case 'Q':
		c->probec_max = (unsigned)cmd_num_option("-Q", arg, 1, 65535);
		break;
	case OPT_FLOWLABEL_FIXED:
		c->flowlabel_fixed = 1;
		break;
	}
}

/* The table waits for its vertices' names (each bounded in time). */
static unsigned
mda_job_names(struct run_job *j, struct names *n, void *arg)
{
	const struct mda_result *r = mda_result(j->m);
	unsigned pending = 0;

	for (size_t i = 0; i < r->nvertices; i++)
		pending += run_want_name(n, &r->vertices[i].addr);
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

	switch (mc->opt.output) {
	case CMD_OUT_TEXT: {
		struct out_extra x;

		memset(&x, 0, sizeof(x));
		x.arg = mc->names;
		x.dst_name = j->name;
		if (mc->names != NULL)
			x.name = run_name_of;
		rc = out_tracelb_text_x(stdout, res, &x);
		break;
	}
	case CMD_OUT_DOT:
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
		if (mc->opt.ptr && mc->names != NULL) {
			struct out_extra x;
			json_t *o;

			memset(&x, 0, sizeof(x));
			x.arg = mc->names;
			x.name = run_name_of;
			o = out_tracelb_json_x(res, &x);
			rc = o != NULL ? out_json_write_line(stdout, o) : -1;
			json_decref(o);
		} else
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
	const struct trace_conf *p = &mc.probe;
	struct run_conf *rc = &mc.opt.run;
	struct run_client client = {
		mda_job_start, mda_job_halt, mda_job_finish, mda_job_names, NULL,
		NULL, &mc
	};
	uint16_t lo[2], hi[2];
	int n, status;

	memset(&mc, 0, sizeof(mc));
	mc.opt.probe = &mc.probe;
	c->method = MDA_UDP_DPORT;
	if ((n = cmd_parse(&spec, &mc.opt, &mc, argc, argv)) == 0)
		return 0;
	argc -= n;
	argv += n;
	if (argc == 0 && rc->targets == NULL)
		cmd_usage_error("no destination given");
	log_init("hoplite", rc->verbose, 0);
	/* The probe options trace has too (0: the MDA default). */
	c->sport = p->sport;
	c->dport = p->dport;
	c->size = p->size;
	c->tos = p->tos;
	c->first_ttl = p->first_ttl;
	c->max_ttl = p->max_ttl;
	c->attempts = p->attempts;
	c->gaplimit = p->gaplimit;
	c->window = p->window;
	c->wait_ms = p->wait_ms;
	/* The flow label is IPv6's alone: names resolve to IPv6 then. */
	if (c->method == MDA_FLOWLABEL) {
		if (rc->family == AF_INET)
			cmd_usage_error("-P flowlabel is IPv6 only");
		rc->family = AF_INET6;
	}
	/* Every family that may be used holds, so a bad value fails before
	 * any probe. */
	if ((rc->family != AF_INET6 && check_conf(c, AF_INET, &fin) == -1) ||
	    (rc->family != AF_INET && check_conf(c, AF_INET6, &fin) == -1))
		return 2;

	/* The capture admits TCP and UDP within the measurement's ports. */
	rc->nports = mda_port_ranges(&fin, lo, hi);
	for (size_t i = 0; i < rc->nports; i++) {
		rc->ports[i].lo = lo[i];
		rc->ports[i].hi = hi[i];
	}
	rc->copies = 1;
	/* For the capture buffer: a measurement's window, and its wait. */
	rc->inflight = fin.window;
	rc->wait_ms = fin.wait_ms;
	rc->names = (mc.opt.output == CMD_OUT_TEXT && !mc.opt.numeric) ||
	    (mc.opt.output == CMD_OUT_JSON && mc.opt.ptr);

	status = run_main(rc, &client, argc, argv);
	if (mc.ndot > 0 && (fputs("}\n", stdout) == EOF ||
	    fflush(stdout) == EOF)) {
		log_warn("writing the output");
		status = 1;
	}
	return status;
}
