/* hoplite watch: the same Paris traces every interval, mtr-style figures. */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
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

enum { OUT_JSON, OUT_TEXT };
enum {
	OPT_SPORT = 256, OPT_GAP, OPT_SIZE, OPT_PPS, OPT_USER, OPT_INTERVAL,
	OPT_PTR,
};

struct watchcmd {
	struct watch_conf conf;
	int output;
	int report;		/* a table at the end only */
	int redraw;		/* the table in place on a terminal */
	int names;
	unsigned drawn;		/* lines of the last table on the screen */
	struct names *n;
	struct run_job *job;
	struct addr_ip src;	/* the traces' source */
};

static const struct option longopts[] = {
	{ "cycles", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "report", no_argument, NULL, 'r' },
	{ "method", required_argument, NULL, 'P' },
	{ "flowid", required_argument, NULL, 'F' },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "port", required_argument, NULL, 'p' },
	{ "dport", required_argument, NULL, 'p' },
	{ "first-ttl", required_argument, NULL, 'f' },
	{ "max-ttl", required_argument, NULL, 'm' },
	{ "gap-limit", required_argument, NULL, OPT_GAP },
	{ "wait", required_argument, NULL, 'w' },
	{ "window", required_argument, NULL, 'N' },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "tos", required_argument, NULL, 't' },
	{ "pps", required_argument, NULL, OPT_PPS },
	{ "output", required_argument, NULL, 'o' },
	{ "source", required_argument, NULL, 's' },
	{ "interface", required_argument, NULL, 'i' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "numeric", no_argument, NULL, 'n' },
	{ "ptr", no_argument, NULL, OPT_PTR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplite watch [options] DEST\n"
	    "Trace DEST again and again with a fixed set of Paris flows; loss and RTT\n"
	    "per hop and per branch (one row per TTL and address), like mtr.\n"
	    "\n"
	    "  -c, --cycles N       stop after N cycles (0: until interrupted; 10 with -r)\n"
	    "      --interval SECONDS  from one cycle's start to the next, fractions\n"
	    "                       allowed (1)\n"
	    "  -r, --report         one table at the end (mtr -r; text unless -o json)\n"
	    "  -F, --flowid A-B     the Paris flows, at most 64 (%s)\n"
	    "  -I, -U, -T           ICMP (default), UDP or TCP SYN Paris probes\n"
	    "  -P, --method M       icmp-paris, udp-paris, tcp-paris, tcp-ack-paris\n"
	    "  -p, --port N         destination port (udp 33435, tcp 80)\n"
	    "      --sport N        source port (ICMP: echo id) of flow 0 (33000)\n"
	    "  -f, --first-ttl N    first TTL to probe (1)\n"
	    "  -m, --max-ttl N      last TTL to probe (30)\n"
	    "  -w, --wait SECONDS   wait for each probe's answer, fractions allowed (2)\n"
	    "      --gap-limit N    a cycle's trace stops after N silent TTLs (5)\n"
	    "  -N, --window N       TTLs in flight beyond the last settled one (8)\n"
	    "  -s, --source ADDR    source address (an address of this host)\n"
	    "  -i, --interface IF   send through interface IF\n"
	    "      --size BYTES     probe size including the IP header\n"
	    "  -t, --tos N          IPv4 TOS / IPv6 traffic class (0)\n"
	    "  -n, --numeric        no hop names (the table looks them up by default)\n"
	    "      --ptr            hop names in JSON too\n"
	    "      --pps N          packets per second (%d)\n"
	    "  -4, -6               resolve the name to IPv4 / IPv6 only\n"
	    "  -o, --output FMT     text (default on a terminal) or json: one object\n"
	    "                       per cycle\n"
	    "      --user NAME      user to switch to after opening sockets (nobody)\n"
	    "  -v, --verbose        report counters on stderr at the end\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this help\n"
	    "\n"
	    "Exit status: 0 watched, 1 the destination could not be, 2 usage error.\n"
	    "Needs root or CAP_NET_RAW.  See hoplite(1).\n",
	    DEFAULT_FLOWS, DEFAULT_PPS);
}

static const char *
name_of(const struct addr_ip *a, void *arg)
{
	struct watchcmd *wc = arg;
	const char *name;

	if (names_get(wc->n, a, &name) == NAMES_FOUND)
		return name;
	return NULL;
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
	x.arg = wc;
	x.dst_name = wc->job->name;
	if (wc->n != NULL && (json ? wc->names == 2 : wc->names != 0))
		x.name = name_of;
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
	if (wc->output == OUT_JSON)
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
	if (wc->output == OUT_TEXT && write_table(wc, w, 0) == -1)
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
	const char *name;

	if (wc->output != OUT_TEXT || !wc->names ||
	    watch_rows(j->m, &rows, &nrows) == -1)
		return 0;
	for (size_t i = 0; i < nrows; i++) {
		names_want(n, &rows[i].addr);
		if (names_get(n, &rows[i].addr, &name) == NAMES_PENDING)
			pending++;
	}
	return pending;
}


int
cmd_watch(int argc, char **argv)
{
	struct watchcmd wc;
	struct trace_conf *c = &wc.conf.trace;
	struct run_conf rc;
	struct run_client client = {
		watch_job_start, watch_job_halt, watch_job_finish,
		watch_job_names, NULL, NULL, &wc
	};
	char err[256];
	long long flo, fhi;
	uint32_t sport_base;
	int ch, numeric = 0, ptr = 0, cycles_set = 0, output_set = 0;

	cmd_set_name("watch");
	memset(&wc, 0, sizeof(wc));
	memset(&rc, 0, sizeof(rc));
	wc.output = isatty(STDOUT_FILENO) ? OUT_TEXT : OUT_JSON;
	wc.conf.interval_ms = DEFAULT_INTERVAL_MS;
	opt_range(DEFAULT_FLOWS, 0, 65535, &flo, &fhi, err, sizeof(err));
	rc.pps = DEFAULT_PPS;
	rc.concurrency = 1;
	rc.family = AF_UNSPEC;
	rc.user = "nobody";
	c->method = &pkt_icmp_paris;

	opterr = 0;
	while ((ch = getopt_long(argc, argv,
	    ":c:rP:F:f:m:w:N:t:46o:s:i:p:nIUTevVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			wc.conf.cycles = (unsigned)cmd_num_option("-c", optarg,
			    0, 1000000);
			cycles_set = 1;
			break;
		case OPT_INTERVAL:
			wc.conf.interval_ms = cmd_seconds_option("--interval",
			    optarg, 10, 3600000);
			break;
		case 'r':
			wc.report = 1;
			break;
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
			if (fhi - flo + 1 > WATCH_MAX_FLOWS)
				cmd_bad_option("-F", optarg, "at most 64 flows");
			break;
		case OPT_SPORT:
			c->sport = (uint16_t)cmd_num_option("--sport", optarg, 1, 65535);
			break;
		case 'p':
			c->dport = (uint16_t)cmd_num_option("-p", optarg, 1, 65535);
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
		case '4':
			rc.family = AF_INET;
			break;
		case '6':
			rc.family = AF_INET6;
			break;
		case 'o':
			output_set = 1;
			if (strcmp(optarg, "json") == 0)
				wc.output = OUT_JSON;
			else if (strcmp(optarg, "text") == 0)
				wc.output = OUT_TEXT;
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
		case 'n':
			numeric = 1;
			break;
		case OPT_PTR:
			ptr = 1;
			break;
		case 'e':
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
	if (argc != 1)
		cmd_usage_error(argc == 0 ? "no destination given" :
		    "watches exactly one destination");
	if (numeric && ptr)
		cmd_usage_error("-n and --ptr contradict each other");
	if (c->dport != 0 && (c->method->proto == IPPROTO_ICMP ||
	    c->method->proto == IPPROTO_ICMPV6))
		cmd_usage_error("-p: ICMP probes have no port (use -U or -T)");
	log_init("hoplite", rc.verbose, 0);
	if (trace_conf_finish(c, AF_INET, err, sizeof(err)) == -1 ||
	    trace_conf_finish(c, AF_INET6, err, sizeof(err)) == -1)
		cmd_usage_error("%s", err);
	/* A report is a table (mtr -r), and without a count it would never
	 * end: mtr's 10. */
	if (wc.report && !output_set)
		wc.output = OUT_TEXT;
	if (wc.report && !cycles_set)
		wc.conf.cycles = 10;
	wc.conf.flow_lo = (uint32_t)flo;
	wc.conf.nflows = (unsigned)(fhi - flo + 1);
	wc.redraw = wc.output == OUT_TEXT && !wc.report &&
	    isatty(STDOUT_FILENO);
	wc.names = numeric ? 0 : ptr ? 2 : 1;
	rc.names = wc.output == OUT_TEXT ? wc.names != 0 : wc.names == 2;

	sport_base = c->sport ? c->sport : c->method->default_sport;
	rc.nports = 1;
	rc.ports[0].lo = (uint16_t)((sport_base + flo) & 0xffff);
	rc.ports[0].hi = (uint16_t)(sport_base + fhi > 65535 ? 65535 :
	    sport_base + fhi);
	rc.copies = 1;
	return run_main(&rc, &client, argc, argv);
}
