/* hoplite watch: the same Paris traces every interval, mtr-style figures. */
#include "config.h"

#include <sys/time.h>
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
#include "util/opt.h"
#include "output/out.h"
#include "measure/watch.h"

#define DEFAULT_PPS		500
#define DEFAULT_INTERVAL_MS	1000
#define DEFAULT_FLOWS		"0-3"

enum { OPT_INTERVAL = 256 };

struct watchcmd {
	struct watch_conf conf;
	struct cmd_common opt;
	long long flo, fhi;	/* -F */
	int cycles_set;		/* -c was given */
	int report;		/* a table at the end only */
	int redraw;		/* the table in place on a terminal */
	int names;
	unsigned drawn;		/* lines of the last table on the screen */
	struct names *n;
	struct run_job *job;
	struct addr_ip src;	/* the traces' source */
};

/* Every option, in --help order. */
static const struct cmd_opt opts[] = {
	{ CMD_OWN, 'c', "cycles", required_argument,
	    "  -c, --cycles N       stop after N cycles (0: until interrupted; 10 with -r)\n" },
	{ CMD_OWN, OPT_INTERVAL, "interval", required_argument,
	    "      --interval SECONDS  from one cycle's start to the next, fractions\n"
	    "                       allowed (1)\n" },
	{ CMD_OWN, 'r', "report", no_argument,
	    "  -r, --report         one table at the end (mtr -r; text unless -o json)\n" },
	{ CMD_OWN, 'F', "flowid", required_argument,
	    "  -F, --flowid A-B     the Paris flows, at most 64 (" DEFAULT_FLOWS ")\n" },
	{ .kind = CMD_ICMP },
	{ .kind = CMD_UDP },
	{ .kind = CMD_TCP },
	{ .kind = CMD_METHOD },
	{ .kind = CMD_DPORT },
	{ .kind = CMD_SPORT, .help =
	    "      --sport N        source port (ICMP: echo id) of flow 0 (33000)\n" },
	{ .kind = CMD_FIRST_TTL },
	{ .kind = CMD_MAX_TTL },
	{ .kind = CMD_WAIT },
	{ .kind = CMD_GAPLIMIT, .help =
	    "      --gap-limit N    a cycle's trace stops after N silent TTLs (5)\n" },
	{ .kind = CMD_WINDOW, .help =
	    "  -N, --window N       TTLs in flight beyond the last settled one (8)\n" },
	{ .kind = CMD_SOURCE },
	{ .kind = CMD_IFACE },
	{ .kind = CMD_SIZE },
	{ .kind = CMD_TOS },
	{ .kind = CMD_NUMERIC, .help =
	    "  -n, --numeric        no hop names (the table looks them up by default)\n" },
	{ .kind = CMD_PTR, .help =
	    "      --ptr            hop names in JSON too\n" },
	{ .kind = CMD_MPLS },	/* accepted, not in --help */
	{ .kind = CMD_PPS, .help =
	    "      --pps N          packets per second (" CMD_STR(DEFAULT_PPS) ")\n" },
	{ .kind = CMD_INET, .help =
	    "  -4, -6               resolve the name to IPv4 / IPv6 only\n" },
	{ .kind = CMD_INET6 },
	{ .kind = CMD_OUTPUT, .help =
	    "  -o, --output FMT     text (default on a terminal) or json: one object\n"
	    "                       per cycle\n" },
	{ .kind = CMD_USER },
	{ .kind = CMD_VERBOSE, .help =
	    "  -v, --verbose        report counters on stderr at the end\n" },
	{ .kind = CMD_VERSION },
	{ .kind = CMD_HELP },
};

static void watch_opt(int, const char *, void *);

static const struct cmd_spec spec = {
	.name = "watch",
	.head = "usage: hoplite watch [options] DEST\n"
	    "Trace DEST again and again with a fixed set of Paris flows; loss and RTT\n"
	    "per hop and per branch (one row per TTL and address), like mtr.\n"
	    "\n",
	.foot = "\n"
	    "Exit status: 0 watched, 1 the destination could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1).\n",
	.opts = opts,
	.nopts = sizeof(opts) / sizeof(opts[0]),
	.own = watch_opt,
	.pps = DEFAULT_PPS,
	.concurrency = 1,
	.noutputs = 2,
};

static void
watch_opt(int id, const char *arg, void *cmd)
{
	struct watchcmd *wc = cmd;
	char err[256];

	switch (id) {
	case 'c':
		wc->conf.cycles = (unsigned)cmd_num_option("-c", arg, 0,
		    1000000);
		wc->cycles_set = 1;
		break;
	case OPT_INTERVAL:
		wc->conf.interval_ms = cmd_seconds_option("--interval", arg,
		    10, 3600000);
		break;
	case 'r':
		wc->report = 1;
		break;
	case 'F':
		if (opt_range(arg, 0, 65535, &wc->flo, &wc->fhi, err,
		    sizeof(err)) == -1)
			cmd_bad_option("-F", arg, err);
		if (wc->fhi - wc->flo + 1 > WATCH_MAX_FLOWS)
			cmd_bad_option("-F", arg, "at most 64 flows");
		break;
	}
}

static int
write_table(struct watchcmd *wc, struct watch *w, int json)
{
	const struct watch_row *rows;
	size_t n;
	struct out_watch_info wi;
	struct out_extra x;
	struct timeval now;
	const struct watch_conf *c = watch_conf(w);
	int rc;

	if (watch_rows(w, &rows, &n) == -1)
		return -1;
	gettimeofday(&now, NULL);
	memset(&wi, 0, sizeof(wi));
	wi.src = &wc->src;
	wi.dst = &wc->job->dst;
	wi.method = c->trace.method->name;
	wi.flow_lo = c->flow_lo;
	wi.cycle = watch_cycles(w);
	wi.time = &now;
	memset(&x, 0, sizeof(x));
	x.arg = wc->n;
	x.dst_name = wc->job->name;
	if (wc->n != NULL && (json ? wc->names == 2 : wc->names != 0))
		x.name = run_name_of;
	for (size_t i = 0; i < n && wc->n != NULL && x.name != NULL; i++)
		names_want(wc->n, &rows[i].addr);
	if (json) {
		arena_begin();
		rc = out_watch_json_line(stdout, &wi, rows, n, &x);
		arena_end();
		return rc;
	}
	if (wc->redraw && wc->drawn > 0)	/* back to the table's top */
		printf("\033[%uA\033[J", wc->drawn);
	rc = out_watch_text(stdout, &wi, rows, n, &x);
	wc->drawn = (unsigned)n + 2;
	return rc;
}

static void
on_cycle(struct watch *w, unsigned cycle,
    const struct trace_result *const *traces, void *arg)
{
	struct watchcmd *wc = arg;

	if (traces[0] != NULL)
		wc->src = traces[0]->flow.src;
	if (wc->opt.output == CMD_OUT_JSON)
		write_table(wc, w, 1);
	else if (wc->redraw)
		write_table(wc, w, 0);
}

static void
on_done(struct watch *w, void *arg)
{
	struct watchcmd *wc = arg;

	run_job_done(wc->job);
}

static void *
watch_job_start(struct run_job *j, struct engine *eng, void *arg)
{
	struct watchcmd *wc = arg;
	struct watch *w;

	wc->job = j;
	wc->n = run_names(j->run);
	if ((w = watch_new(eng, run_base(j->run), &wc->conf, &j->dst,
	    on_cycle, on_done, wc)) == NULL)
		return NULL;
	j->m = w;
	watch_start(w);
	return w;
}

static void
watch_job_halt(void *m)
{
	watch_halt(m);
}

static int
watch_job_finish(struct run_job *j, void *arg)
{
	struct watchcmd *wc = arg;
	struct watch *w = j->m;
	int failed = 0;

	/* The final table (JSON has had one per cycle). */
	if (wc->opt.output == CMD_OUT_TEXT && write_table(wc, w, 0) == -1)
		failed = 1;
	if (fflush(stdout) == EOF)
		failed = 1;
	if (failed)
		log_warn("writing the output");
	if (watch_cycles(w) == 0) {
		log_warnx("no cycle completed");
		failed = 1;
	}
	watch_free(w);
	return failed ? -1 : 0;
}

/* The final table waits for its names (bounded by their timeout). */
static unsigned
watch_job_names(struct run_job *j, struct names *n, void *arg)
{
	struct watchcmd *wc = arg;
	const struct watch_row *rows;
	size_t nrows;
	unsigned pending = 0;

	if (wc->opt.output != CMD_OUT_TEXT || !wc->names ||
	    watch_rows(j->m, &rows, &nrows) == -1)
		return 0;
	for (size_t i = 0; i < nrows; i++)
		pending += run_want_name(n, &rows[i].addr);
	return pending;
}


int
cmd_watch(int argc, char **argv)
{
	struct watchcmd wc;
	struct run_conf *rc = &wc.opt.run;
	struct run_client client = {
		watch_job_start, watch_job_halt, watch_job_finish,
		watch_job_names, NULL, NULL, &wc
	};
	char err[256];
	int n;

	memset(&wc, 0, sizeof(wc));
	wc.opt.probe = &wc.conf.trace;
	wc.conf.interval_ms = DEFAULT_INTERVAL_MS;
	opt_range(DEFAULT_FLOWS, 0, 65535, &wc.flo, &wc.fhi, err, sizeof(err));
	if ((n = cmd_parse(&spec, &wc.opt, &wc, argc, argv)) == 0)
		return 0;
	argc -= n;
	argv += n;
	if (argc != 1)
		cmd_usage_error(argc == 0 ? "no destination given" :
		    "watches exactly one destination");
	cmd_trace_finish(&wc.opt, wc.flo, wc.fhi);
	/* A report is a table (mtr -r), and without a count it would never
	 * end: mtr's 10. */
	if (wc.report && !wc.opt.output_set)
		wc.opt.output = CMD_OUT_TEXT;
	if (wc.report && !wc.cycles_set)
		wc.conf.cycles = 10;
	wc.conf.flow_lo = (uint32_t)wc.flo;
	wc.conf.nflows = (unsigned)(wc.fhi - wc.flo + 1);
	wc.redraw = wc.opt.output == CMD_OUT_TEXT && !wc.report &&
	    isatty(STDOUT_FILENO);
	wc.names = wc.opt.numeric ? 0 : wc.opt.ptr ? 2 : 1;
	rc->names = wc.opt.output == CMD_OUT_TEXT ? wc.names != 0 :
	    wc.names == 2;
	rc->copies = 1;
	return run_main(rc, &client, argc, argv);
}
