/* hoplite trace: Paris traceroute to many destinations at once. */
#include "config.h"

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

enum { OPT_NAMES_TIMEOUT = 256, OPT_PFX2AS };

/* Hop-by-hop printing of a single trace on a terminal. */
struct live {
	struct run_job *job;	/* the trace, while it runs */
	unsigned settled;	/* TTLs up to this one are final */
	unsigned printed;	/* and up to this one on the screen */
	int head;		/* the header is out */
};

struct tracecmd {
	struct trace_conf conf;
	struct cmd_common opt;
	long long flo, fhi;	/* -F */
	int as_lookups;		/* -A */
	const char *pfx2as;	/* --pfx2as */
	int names_text, names_json;
	int live_ok;		/* text on a terminal */
	struct live live;
	struct names *names;	/* the run's, once it runs */
	struct asmap *asmap;	/* -A: the file, until read */
	struct pfx2as *pfx;	/* -A: the table */
};

/* Every option, in --help order. */
static const struct cmd_opt opts[] = {
	{ .kind = CMD_ICMP },
	{ .kind = CMD_UDP },
	{ .kind = CMD_TCP },
	{ .kind = CMD_METHOD },
	{ .kind = CMD_DPORT },
	{ .kind = CMD_SPORT, .help =
	    "      --sport N        source port (ICMP: echo id) of flow 0; flow F uses N+F (33000)\n" },
	{ CMD_OWN, 'F', "flowid", required_argument,
	    "  -F, --flowid N|A-B   Paris flow id, or a range: one trace per flow (0)\n" },
	{ .kind = CMD_ATTEMPTS, .help =
	    "  -q, --attempts N     tries per TTL until one is answered (2)\n" },
	{ CMD_OWN, 'Q', "all-attempts", no_argument,
	    "  -Q, --all-attempts   send every attempt even after an answer (as scamper -Q)\n" },
	{ .kind = CMD_FIRST_TTL },
	{ .kind = CMD_MAX_TTL },
	{ .kind = CMD_WAIT },
	{ .kind = CMD_GAPLIMIT, .help =
	    "      --gap-limit N    stop after N consecutive silent TTLs (5)\n" },
	{ .kind = CMD_WINDOW, .help =
	    "  -N, --window N       at most N TTLs open beyond the last answered or\n"
	    "                       settled one, and not more than --gap-limit (8)\n" },
	{ .kind = CMD_SOURCE },
	{ .kind = CMD_IFACE },
	{ .kind = CMD_SIZE, .help =
	    "      --size BYTES     probe size including the IP header (44 IPv4, 64 IPv6;\n"
	    "                       TCP 40, 60)\n" },
	{ .kind = CMD_TOS },
	{ .kind = CMD_NUMERIC, .help =
	    "  -n, --numeric        no hop names (text output looks them up by default)\n" },
	{ .kind = CMD_PTR, .help =
	    "      --ptr            hop names in JSON too (\"name\", as scamper -O ptr)\n" },
	{ CMD_OWN, OPT_NAMES_TIMEOUT, "names-timeout", required_argument,
	    "      --names-timeout SECONDS  give up on a name after this long (2)\n" },
	{ .kind = CMD_MPLS, .help =
	    "  -e                   MPLS label stacks (always shown; for traceroute habits)\n" },
	{ CMD_OWN, 'A', "as-path-lookups", no_argument,
	    "  -A                   origin AS per hop in text output, from a pfx2as file\n" },
	{ CMD_OWN, OPT_PFX2AS, "pfx2as", required_argument,
	    "      --pfx2as FILE    RouteViews pfx2as file, gzip or plain (implies -A);\n"
	    "                       default $HOPLITE_PFX2AS, else\n"
	    "                       " HOPLITE_PFX2AS "\n" },
	{ .kind = CMD_PPS, .help =
	    "      --pps N          packets per second, all traces together ("
	    CMD_STR(DEFAULT_PPS) ")\n" },
	{ .kind = CMD_CONCURRENCY, .help =
	    "  -c, --concurrency N  at most N traces in flight at once; running traces\n"
	    "                       get probes before new ones start ("
	    CMD_STR(DEFAULT_CONCURRENCY) ")\n" },
	{ .kind = CMD_TARGETS },
	{ .kind = CMD_INET },
	{ .kind = CMD_INET6 },
	{ .kind = CMD_OUTPUT, .help =
	    "  -o, --output FMT     json (default when stdout is not a terminal) or text\n" },
	{ .kind = CMD_USER },
	{ .kind = CMD_VERBOSE, .help =
	    "  -v, --verbose        report counters on stderr at the end (forged:\n"
	    "                       replies naming a probe but failing its proof;\n"
	    "                       late: past their adaptive wait)\n" },
	{ .kind = CMD_VERSION },
	{ .kind = CMD_HELP },
};

static void trace_opt(int, const char *, void *);

static const struct cmd_spec spec = {
	.name = "trace",
	.head = "usage: hoplite trace [options] DEST...\n"
	    "       hoplite trace [options] --targets FILE|-\n"
	    "Paris traceroute to every DEST (address or name) at once.\n"
	    "\n",
	.foot = "\n"
	    "Exit status: 0 every destination traced, 1 some could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1), hoplite-json(5).\n",
	.opts = opts,
	.nopts = sizeof(opts) / sizeof(opts[0]),
	.own = trace_opt,
	.pps = DEFAULT_PPS,
	.concurrency = DEFAULT_CONCURRENCY,
	.progress = 1,
	.noutputs = 2,
};

static void
trace_opt(int id, const char *arg, void *cmd)
{
	struct tracecmd *tc = cmd;
	char err[256];

	switch (id) {
	case 'F':
		if (opt_range(arg, 0, 65535, &tc->flo, &tc->fhi, err,
		    sizeof(err)) == -1)
			cmd_bad_option("-F", arg, err);
		break;
	case 'Q':
		tc->conf.all_attempts = 1;
		break;
	case OPT_NAMES_TIMEOUT:
		tc->opt.run.names_timeout_ms = cmd_seconds_option(
		    "--names-timeout", arg, 1, 60000);
		break;
	case 'A':
		tc->as_lookups = 1;
		break;
	case OPT_PFX2AS:
		tc->as_lookups = 1;
		tc->pfx2as = arg;
		break;
	}
}

/* --- names and live output ------------------------------------------- */

static const char *
name_of(const struct addr_ip *a, void *arg)
{
	struct tracecmd *tc = arg;

	return run_name_of(a, tc->names);
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

	for (size_t i = 0; i < r->nhops; i++) {
		const struct trace_hop *h = &r->hops[i];

		if (h->probe_ttl >= from && h->probe_ttl <= to)
			pending += run_want_name(tc->names, &h->addr);
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

	if (!(tc->opt.output == CMD_OUT_TEXT ? tc->names_text : tc->names_json))
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

/* The one live trace: its arg is the command. */
static void
live_done(struct trace *t, void *arg)
{
	struct tracecmd *tc = arg;

	run_job_done(tc->live.job);
}

static const struct trace_cbs trace_cbs = { trace_done, NULL };
static const struct trace_cbs live_cbs = { live_done, live_settled };

static void *
trace_job_start(struct run_job *j, struct engine *eng, void *arg)
{
	struct tracecmd *tc = arg;
	struct trace_conf c = tc->conf;
	struct trace *t;

	tc->names = run_names(j->run);
	c.flowid = j->flowid;
	/* One trace on a terminal: each hop as it settles, as traceroute. */
	if (tc->live_ok && run_njobs(j->run) == 1) {
		tc->live.job = j;
		t = trace_new(eng, &c, &j->dst, &live_cbs, tc);
		if (t == NULL)
			tc->live.job = NULL;
	} else
		t = trace_new(eng, &c, &j->dst, &trace_cbs, j);
	if (t == NULL)
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
	struct out_extra x;
	int rc, failed = 0;

	extra_for(tc, j, tc->opt.output == CMD_OUT_TEXT, &x);
	if (tc->live.job == j) {
		live_flush(tc);
		rc = out_trace_text_tail(stdout, res, tc->live.printed + 1, &x);
		tc->live.job = NULL;
	} else if (tc->opt.output == CMD_OUT_TEXT)
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
	struct run_conf *rc = &tc.opt.run;
	struct run_client client = {
		trace_job_start, trace_job_halt, trace_job_finish,
		trace_job_names, trace_names_update, trace_ready, &tc
	};
	char err[256];
	int n, status;

	memset(&tc, 0, sizeof(tc));
	tc.opt.probe = c;
	if ((n = cmd_parse(&spec, &tc.opt, &tc, argc, argv)) == 0)
		return 0;
	argc -= n;
	argv += n;
	if (argc == 0 && rc->targets == NULL)
		cmd_usage_error("no destination given");
	cmd_trace_finish(&tc.opt, tc.flo, tc.fhi);

	tc.names_text = !tc.opt.numeric;
	tc.names_json = tc.opt.ptr;
	rc->names = tc.opt.output == CMD_OUT_TEXT ? tc.names_text :
	    tc.names_json;
	tc.live_ok = tc.opt.output == CMD_OUT_TEXT && isatty(STDOUT_FILENO);
	rc->copies = (uint32_t)(tc.fhi - tc.flo + 1);
	rc->flow_lo = (uint32_t)tc.flo;
	/* A trace has at most this many TTLs open, each with its attempts
	 * (all of them with -Q), for the capture buffer's size. */
	rc->inflight = (unsigned)(c->window < c->gaplimit ? c->window :
	    c->gaplimit) * (c->all_attempts ? c->attempts : 1u);
	rc->wait_ms = c->wait_ms;
	/* Opened now (it may be root's), read once privileges are gone. */
	if (tc.as_lookups && (tc.asmap = asmap_open(asmap_path(tc.pfx2as),
	    err, sizeof(err))) == NULL)
		cmd_usage_error("-A: %s (give one with --pfx2as FILE)", err);
	status = run_main(rc, &client, argc, argv);
	asmap_close(tc.asmap);
	pfx2as_free(tc.pfx);
	return status;
}
