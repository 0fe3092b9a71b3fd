/*
 * hoplited_conf: hoplited's settings: long options, each also a HOPLITED_*
 * environment variable, checked before anything is opened; and the
 * start-up line that lists them all.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/addr.h"
#include "util/log.h"
#include "util/opt.h"
#include "daemon/hoplited.h"
#include "daemon/mlab.h"
#include "daemon/policy.h"

#define MAX_ARGS	512

enum {
	O_EVENTSOCKET = 256, O_CONTROL, O_OUTPUT, O_LOCAL_IP, O_ALLOW,
	O_CACHE_WINDOW, O_CACHE_MAX, O_MAX_INFLIGHT, O_QUEUE, O_PPS,
	O_DEADLINE, O_METHOD, O_TEST_FLOW, O_FLOWID, O_ATTEMPTS, O_WAIT,
	O_GAP_LIMIT, O_MAX_TTL, O_ANONYMIZE, O_METRICS, O_USER, O_HOSTNAME,
	O_OPEN_TIMEOUT, O_GRACE, O_REPLAY_WINDOW, O_FILE_MODE, O_GROUP,
	O_SECCOMP, O_JOURNAL, O_VERBOSE, O_VERSION, O_HELP, O_MODE,
	O_MDA_METHOD, O_CONFIDENCE, O_PROBE_GAP, O_PTR, O_NAMES_TIMEOUT,
};

static const struct option longopts[] = {
	{ "eventsocket", required_argument, NULL, O_EVENTSOCKET },
	{ "control", required_argument, NULL, O_CONTROL },
	{ "output", required_argument, NULL, O_OUTPUT },
	{ "local-ip", required_argument, NULL, O_LOCAL_IP },
	{ "allow", required_argument, NULL, O_ALLOW },
	{ "cache-window", required_argument, NULL, O_CACHE_WINDOW },
	{ "cache-max", required_argument, NULL, O_CACHE_MAX },
	{ "max-inflight", required_argument, NULL, O_MAX_INFLIGHT },
	{ "queue", required_argument, NULL, O_QUEUE },
	{ "pps", required_argument, NULL, O_PPS },
	{ "deadline", required_argument, NULL, O_DEADLINE },
	{ "mode", required_argument, NULL, O_MODE },
	{ "method", required_argument, NULL, O_METHOD },
	{ "mda-method", required_argument, NULL, O_MDA_METHOD },
	{ "confidence", required_argument, NULL, O_CONFIDENCE },
	{ "probe-gap", required_argument, NULL, O_PROBE_GAP },
	{ "test-flow", no_argument, NULL, O_TEST_FLOW },
	{ "flowid", required_argument, NULL, O_FLOWID },
	{ "attempts", required_argument, NULL, O_ATTEMPTS },
	{ "wait", required_argument, NULL, O_WAIT },
	{ "gap-limit", required_argument, NULL, O_GAP_LIMIT },
	{ "max-ttl", required_argument, NULL, O_MAX_TTL },
	{ "anonymize", required_argument, NULL, O_ANONYMIZE },
	{ "ptr", no_argument, NULL, O_PTR },
	{ "names-timeout", required_argument, NULL, O_NAMES_TIMEOUT },
	{ "metrics", required_argument, NULL, O_METRICS },
	{ "user", required_argument, NULL, O_USER },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "open-timeout", required_argument, NULL, O_OPEN_TIMEOUT },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "replay-window", required_argument, NULL, O_REPLAY_WINDOW },
	{ "file-mode", required_argument, NULL, O_FILE_MODE },
	{ "group", required_argument, NULL, O_GROUP },
	{ "seccomp", required_argument, NULL, O_SECCOMP },
	{ "journal", required_argument, NULL, O_JOURNAL },
	{ "verbose", no_argument, NULL, O_VERBOSE },
	{ "version", no_argument, NULL, O_VERSION },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Options that may be given several times (the environment separates
 * values with commas or spaces). */
static int
repeatable(int val)
{
	return val == O_LOCAL_IP || val == O_ALLOW;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplited --output DIR [--eventsocket PATH] [--control PATH] [options]\n"
	    "Measures the path to each test's client and writes it beside the test's UUID.\n"
	    "\n"
	    "Triggers (at least one):\n"
	    "  --eventsocket PATH   tcp-info's event socket (reconnects forever)\n"
	    "  --control PATH       control socket: one JSON request per line\n"
	    "Output:\n"
	    "  --output DIR         root of DIR/YYYY/MM/DD/<time>_<UUID>.jsonl (created)\n"
	    "  --hostname NAME      host name in the files (this host's)\n"
	    "  --file-mode MODE     mode of the files, octal (0640)\n"
	    "  --group NAME         group of the files: one the uploader is in\n"
	    "                       (the --user's own group)\n"
	    "  --journal PATH       pending requests, for crashes (DIR/" JOURNAL_NAME ")\n"
	    "  --replay-window S    at start, trace journaled requests younger\n"
	    "                       than S seconds; count older ones expired (300)\n"
	    "  --anonymize MODE     none (default) or netblock (zero the client's /24, /48)\n"
	    "  --ptr                hop names (reverse DNS) in the files, as scamper -O ptr;\n"
	    "                       never the client's own (off)\n"
	    "  --names-timeout S    a file waits for its names at most S seconds (2)\n"
	    "Policy and bounds:\n"
	    "  --allow CIDR         trace this range although reserved/private (repeatable)\n"
	    "  --local-ip ADDR      also a local address, e.g. a load balancer's (repeatable)\n"
	    "  --cache-window S     one trace per client IP per S seconds (600; 0 = off)\n"
	    "  --cache-max N        results kept for the cache (10000)\n"
	    "  --max-inflight N     traces at once (64)\n"
	    "  --queue N            requests waiting for a slot (1024)\n"
	    "  --pps N              probes per second, all traces together (1000)\n"
	    "  --deadline S         halt a measurement running longer than S seconds\n"
	    "                       (MDA 600, Paris 60)\n"
	    "  --open-timeout S     forget a tcp-info Open with no Close after S s (3600)\n"
	    "  --grace S            on SIGTERM, let traces finish for S seconds (5)\n"
	    "Tracing:\n"
	    "  --mode MODE          mda (default: every load-balanced path, a tracelb,\n"
	    "                       M-Lab's scamper1) or paris (one flow, a trace, scamper2)\n"
	    "  --mda-method M       icmp-echo (default), udp-dport, udp-sport, tcp-sport,\n"
	    "                       tcp-ack-sport\n"
	    "  --confidence N       MDA stopping rule: 95 (default) or 99\n"
	    "  --probe-gap MS       MDA: spacing of one measurement's probes per router\n"
	    "                       (a hop with k routers: MS/k); hops overlap (150)\n"
	    "  --method M           Paris: icmp-paris (default), udp-paris, tcp-paris,\n"
	    "                       tcp-ack-paris\n"
	    "  --test-flow          trace the test's own flow: tcp-ack-paris, the test's ports\n"
	    "                       (a Paris trace in either mode)\n"
	    "  --flowid N           Paris flow id (0)\n"
	    "  --attempts N  --wait MS  --gap-limit N  --max-ttl N   as in hoplite(1);\n"
	    "                       MDA: 3, 5000, 3, 30; Paris: 2, 2000, 5, 30\n"
	    "Operation:\n"
	    "  --metrics ADDR:PORT  Prometheus metrics at /metrics\n"
	    "  --user NAME          user to run as after opening sockets (nobody;\n"
	    "                       a dedicated user is better, see hoplited(8))\n"
	    "  --seccomp MODE       kill (default), log or off: the system-call filter\n"
	    "  -v, --verbose        more logging (repeatable)\n"
	    "  -V, --version, -h, --help\n"
	    "\n"
	    "Every option can also be set in the environment: --output as HOPLITED_OUTPUT,\n"
	    "--max-inflight as HOPLITED_MAX_INFLIGHT, and so on (flags: 1/true/yes).\n"
	    "Command-line options override the environment.  See hoplited(8).\n");
}

/* A bad setting: one logged line (so the journal has it at "err"), exit 2. */
static void
bad(const char *opt, const char *arg, const char *why)
{
	log_warnx("--%s '%s': %s", opt, arg, why);
	exit(2);
}

/* The environment variable of a long option: max-inflight ->
 * HOPLITED_MAX_INFLIGHT. */
static void
env_name(const char *opt, char *var, size_t len)
{
	size_t i;

	snprintf(var, len, "HOPLITED_%s", opt);
	for (i = 0; var[i] != '\0'; i++)
		var[i] = var[i] == '-' ? '_' : (char)toupper((unsigned char)var[i]);
}

/* A HOPLITED_ variable that is no setting is most likely a typo, whose
 * setting would silently not apply: say so. */
void
hoplited_env_check(void)
{
	extern char **environ;

	for (char **e = environ; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		int known = 0;

		if (strncmp(*e, "HOPLITED_", 9) != 0 || eq == NULL)
			continue;
		for (const struct option *o = longopts; o->name != NULL; o++) {
			char var[64];

			if (o->val == O_VERSION || o->val == O_HELP)
				continue;
			env_name(o->name, var, sizeof(var));
			if (strlen(var) == (size_t)(eq - *e) &&
			    strncmp(var, *e, (size_t)(eq - *e)) == 0)
				known = 1;
		}
		if (!known)
			log_warning("%.*s is not a hoplited setting; ignored "
			    "(see hoplited --help)", (int)(eq - *e), *e);
	}
}

static long long
num(const char *opt, const char *arg, long long min, long long max)
{
	char err[128];
	long long v;

	if (opt_num(arg, min, max, &v, err, sizeof(err)) == -1)
		bad(opt, arg, err);
	return v;
}

/* HOPLITED_MAX_INFLIGHT=8 -> "--max-inflight=8", before argv's own. */
static int
env_args(char **out, int max)
{
	int n = 0;

	for (const struct option *o = longopts; o->name != NULL; o++) {
		char var[64], *val, *copy, *tok, *save = NULL;

		if (o->val == O_VERSION || o->val == O_HELP)
			continue;
		env_name(o->name, var, sizeof(var));
		if ((val = getenv(var)) == NULL || *val == '\0')
			continue;
		if (o->has_arg == no_argument) {
			if (strcmp(val, "1") == 0 || strcasecmp(val, "true") == 0 ||
			    strcasecmp(val, "yes") == 0) {
				if (n >= max)
					fatalx("too many settings in the environment");
				if (asprintf(&out[n++], "--%s", o->name) == -1)
					fatalx("out of memory");
			} else if (strcmp(val, "0") != 0 && strcasecmp(val, "false") != 0 &&
			    strcasecmp(val, "no") != 0) {
				log_warnx("%s '%s': must be 1/true/yes or "
				    "0/false/no", var, val);
				exit(2);
			}
			continue;
		}
		if ((copy = strdup(val)) == NULL)
			fatalx("out of memory");
		for (tok = strtok_r(copy, repeatable(o->val) ? ", \t" : "", &save);
		    tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
			if (n >= max)
				fatalx("too many settings in the environment");
			if (asprintf(&out[n++], "--%s=%s", o->name, tok) == -1)
				fatalx("out of memory");
			if (!repeatable(o->val))
				break;
		}
		free(copy);
	}
	return n;
}

static void conf_finish(struct daemon *);

void
hoplited_parse_args(struct daemon *d, int argc, char **argv)
{
	static char *args[MAX_ARGS];
	char err[256];
	int n = 0, ch;

	args[n++] = argv[0];
	n += env_args(args + n, MAX_ARGS - argc - 1);
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;

	optind = 1;
	while ((ch = getopt_long(n, args, "vVh", longopts, NULL)) != -1) {
		const char *name = NULL;

		for (const struct option *o = longopts; o->name != NULL; o++)
			if (o->val == ch)
				name = o->name;
		switch (ch) {
		case O_EVENTSOCKET:
			d->eventsocket = optarg;
			break;
		case O_CONTROL:
			d->control = optarg;
			break;
		case O_OUTPUT:
			d->sc.output = optarg;
			break;
		case O_LOCAL_IP:
			if (d->nlocals >= sizeof(d->locals) / sizeof(d->locals[0]))
				bad(name, optarg, "too many");
			d->locals[d->nlocals++] = optarg;
			break;
		case O_ALLOW:
			if (d->nallows >= sizeof(d->allows) / sizeof(d->allows[0]))
				bad(name, optarg, "too many");
			d->allows[d->nallows++] = optarg;
			break;
		case O_CACHE_WINDOW:
			d->sc.cache_window_s = (unsigned)num(name, optarg, 0, 86400);
			break;
		case O_CACHE_MAX:
			d->sc.cache_max = (size_t)num(name, optarg, 1, 1000000);
			break;
		case O_MAX_INFLIGHT:
			d->sc.max_inflight = (size_t)num(name, optarg, 1, 4096);
			break;
		case O_QUEUE:
			d->sc.queue_max = (size_t)num(name, optarg, 0, 1000000);
			break;
		case O_PPS:
			d->pps = (unsigned)num(name, optarg, 1, 100000);
			break;
		case O_DEADLINE:
			d->sc.deadline_s = (unsigned)num(name, optarg, 1, 3600);
			break;
		case O_MODE:
			if (meas_kind_find(optarg, &d->sc.mode) == -1)
				bad(name, optarg, "must be mda or paris");
			break;
		case O_METHOD:
			if ((d->sc.trace.method = pkt_method_find(optarg)) == NULL)
				bad(name, optarg, "unknown method (icmp-paris, "
				    "udp-paris, tcp-paris, tcp-ack-paris)");
			break;
		case O_MDA_METHOD: {
			enum mda_method mm;

			/* The daemon traces both families: the IPv6 flow
			 * label alone cannot trace an IPv4 client. */
			if (mda_method_find(optarg, &mm) == -1)
				bad(name, optarg, "unknown method (icmp-echo, "
				    "udp-dport, udp-sport, tcp-sport, "
				    "tcp-ack-sport)");
			if (mm == MDA_FLOWLABEL)
				bad(name, optarg, "IPv6 only, and the daemon "
				    "traces IPv4 clients too");
			d->sc.mda.method = mm;
			break;
		}
		case O_CONFIDENCE:
			if (strcmp(optarg, "95") != 0 && strcmp(optarg, "99") != 0)
				bad(name, optarg, "must be 95 or 99");
			d->sc.mda.confidence = (uint8_t)atoi(optarg);
			break;
		case O_PROBE_GAP:
			d->sc.mda.probe_gap_ms = (unsigned)num(name, optarg, 0,
			    2000);
			break;
		case O_TEST_FLOW:
			d->sc.test_flow = 1;
			break;
		case O_FLOWID:
			d->sc.trace.flowid = (uint32_t)num(name, optarg, 0, 65535);
			break;
		case O_ATTEMPTS:
			d->attempts = (uint8_t)num(name, optarg, 1, 10);
			break;
		case O_WAIT:
			d->wait_ms = (unsigned)num(name, optarg, 1, 60000);
			break;
		case O_GAP_LIMIT:
			d->gaplimit = (uint8_t)num(name, optarg, 1, 255);
			break;
		case O_MAX_TTL:
			d->max_ttl = (uint8_t)num(name, optarg, 1, 255);
			break;
		case O_ANONYMIZE:
			if (strcmp(optarg, "none") == 0)
				d->sc.anonymize = 0;
			else if (strcmp(optarg, "netblock") == 0)
				d->sc.anonymize = 1;
			else
				bad(name, optarg, "must be none or netblock");
			break;
		case O_PTR:
			d->ptr = 1;
			break;
		case O_NAMES_TIMEOUT:
			d->sc.names_wait_ms = 1000 * (unsigned)num(name, optarg,
			    1, 60);
			break;
		case O_METRICS:
			d->metrics_addr = optarg;
			break;
		case O_USER:
			d->user = optarg;
			break;
		case O_HOSTNAME:
			d->sc.hostname = optarg;
			break;
		case O_OPEN_TIMEOUT:
			d->open_timeout = (unsigned)num(name, optarg, 1, 7 * 86400);
			break;
		case O_GRACE:
			d->grace = (unsigned)num(name, optarg, 0, 600);
			break;
		case O_REPLAY_WINDOW:
			d->sc.replay_window_s = (unsigned)num(name, optarg, 0,
			    7 * 86400);
			break;
		case O_FILE_MODE: {
			char *end;
			unsigned long m;

			errno = 0;
			m = strtoul(optarg, &end, 8);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    m > 0777 || (m & 0600) != 0600 || (m & 0022) != 0)
				bad(name, optarg, "must be octal, at most 0777, "
				    "owner rw, not group or world writable "
				    "(e.g. 0640)");
			d->sc.file_mode = (unsigned)m;
			break;
		}
		case O_GROUP:
			if (getgrnam(optarg) == NULL)
				bad(name, optarg, "no such group");
			d->group = optarg;
			break;
		case O_JOURNAL:
			d->journal_path = optarg;
			break;
		case O_SECCOMP:
			if (sandbox_mode_parse(optarg, &d->sandbox) == -1)
				bad(name, optarg, "must be kill, log or off");
			break;
		case 'v':
		case O_VERBOSE:
			d->verbose++;
			break;
		case 'V':
		case O_VERSION:
			printf("hoplited %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < n) {
		log_warnx("unexpected argument '%s'", args[optind]);
		exit(2);
	}
	if (d->sc.output == NULL) {
		log_warnx("--output DIR (or HOPLITED_OUTPUT) is required");
		exit(2);
	}
	if (d->eventsocket == NULL && d->control == NULL) {
		log_warnx("give --eventsocket PATH, --control PATH, or both");
		exit(2);
	}
	/* Values checked now, before anything is created or bound. */
	if ((d->policy = policy_new()) == NULL)
		fatalx("out of memory");
	for (size_t i = 0; i < d->nallows; i++)
		if (policy_allow(d->policy, d->allows[i], err, sizeof(err)) == -1) {
			/* The message already names the value. */
			log_warnx("--allow %s", err);
			exit(2);
		}
	for (size_t i = 0; i < d->nlocals; i++) {
		struct addr_ip a;

		if (addr_pton(d->locals[i], &a) == -1)
			bad("local-ip", d->locals[i], "not an IP address");
	}
	if (d->metrics_addr != NULL) {
		const char *colon = strrchr(d->metrics_addr, ':');
		long long port;

		if (colon == NULL || opt_num(colon + 1, 0, 65535, &port, err,
		    sizeof(err)) == -1)
			bad("metrics", d->metrics_addr, "must be ADDR:PORT, "
			    "[ADDR6]:PORT or :PORT");
	}
	conf_finish(d);
}

/*
 * Settings given apply to both kinds; the rest are each kind's defaults
 * (MDA's as M-Lab's traceroute-caller runs scamper: tracelb -P icmp-echo
 * -q 3 -W 15, gap limit 3, wait 5 s, 3000 probes at most).
 */
static void
conf_finish(struct daemon *d)
{
	struct trace_conf *t = &d->sc.trace;
	struct mda_conf *m = &d->sc.mda, fin;
	char err[256];

	if (d->attempts != 0)
		t->attempts = m->attempts = d->attempts;
	if (d->wait_ms != 0)
		t->wait_ms = m->wait_ms = d->wait_ms;
	if (d->gaplimit != 0)
		t->gaplimit = m->gaplimit = d->gaplimit;
	if (d->max_ttl != 0)
		t->max_ttl = m->max_ttl = d->max_ttl;
	/* MDA sends tens to hundreds of probes 150 ms apart, and a silent
	 * tail waits: a minute would halt measurements that end well (the
	 * black-holed lab destination takes 55-60 s).  M-Lab gave scamper
	 * 30 minutes. */
	if (d->sc.deadline_s == 0)
		d->sc.deadline_s = d->sc.mode == MEAS_MDA ? 600 : 60;
	if (m->attempts == 0)
		m->attempts = 3;
	if (m->gaplimit == 0)
		m->gaplimit = 3;
	if (m->wait_ms == 0)
		m->wait_ms = 5000;
	if (m->probec_max == 0)
		m->probec_max = 3000;
	if (trace_conf_finish(t, AF_INET, err, sizeof(err)) == -1 ||
	    trace_conf_finish(t, AF_INET6, err, sizeof(err)) == -1)
		goto bad;
	/* MDA's defaults hang on the family (probe size): each measurement
	 * finishes its own copy; here the values are only checked. */
	fin = *m;
	if (mda_conf_finish(&fin, AF_INET, err, sizeof(err)) == -1)
		goto bad;
	fin = *m;
	if (mda_conf_finish(&fin, AF_INET6, err, sizeof(err)) == -1)
		goto bad;
	return;
bad:
	log_warnx("%s", err);
	exit(2);
}

/* Appends " key=value" to a line being built; a pair that does not fit
 * is left out whole. */
static void
kv(char *line, size_t len, const char *key, const char *fmt, ...)
{
	char val[2048];
	size_t used = strlen(line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (used + 1 + strlen(key) + 1 + strlen(val) < len)
		snprintf(line + used, len - used, " %s=%s", key, val);
}

static void
kv_list(char *line, size_t len, const char *key, char **v, size_t n)
{
	char buf[2048] = "";

	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, sizeof(buf) - used, "%s%s",
		    i > 0 ? "," : "", v[i]);
	}
	kv(line, len, key, "%s", n > 0 ? buf : "-");
}

/* One line with every effective setting, defaults included, so a log
 * shows what the daemon ran with whatever set it (flags, environment). */
void
hoplited_log_settings(const struct daemon *d)
{
	const struct sched_conf *sc = &d->sc;
	char line[3072];

	snprintf(line, sizeof(line), "hoplited %s starting:", PACKAGE_VERSION);
	kv(line, sizeof(line), "output", "%s", sc->output);
	kv(line, sizeof(line), "eventsocket", "%s",
	    d->eventsocket ? d->eventsocket : "-");
	kv(line, sizeof(line), "control", "%s", d->control ? d->control : "-");
	kv(line, sizeof(line), "metrics", "%s",
	    d->metrics_addr ? d->metrics_addr : "-");
	kv(line, sizeof(line), "hostname", "%s", sc->hostname);
	kv(line, sizeof(line), "anonymize", "%s",
	    sc->anonymize ? "netblock" : "none");
	kv(line, sizeof(line), "ptr", "%s", d->ptr ? "yes" : "no");
	if (d->ptr)
		kv(line, sizeof(line), "names-timeout", "%us",
		    sc->names_wait_ms / 1000);
	kv(line, sizeof(line), "mode", "%s", meas_kind_name(sc->mode));
	if (sc->mode == MEAS_MDA) {
		kv(line, sizeof(line), "mda-method", "%s",
		    mda_method_name(sc->mda.method));
		kv(line, sizeof(line), "confidence", "%u",
		    sc->mda.confidence != 0 ? (unsigned)sc->mda.confidence : 95);
		kv(line, sizeof(line), "probe-gap", "%ums", sc->mda.probe_gap_ms);
		kv(line, sizeof(line), "attempts", "%u",
		    (unsigned)sc->mda.attempts);
		kv(line, sizeof(line), "wait", "%ums", sc->mda.wait_ms);
		kv(line, sizeof(line), "gap-limit", "%u",
		    (unsigned)sc->mda.gaplimit);
		kv(line, sizeof(line), "max-ttl", "%u",
		    sc->mda.max_ttl != 0 ? (unsigned)sc->mda.max_ttl : 30);
		kv(line, sizeof(line), "probec-max", "%u", sc->mda.probec_max);
	}
	/* Paris settings: the mode's, or --test-flow's traces in mode mda. */
	kv(line, sizeof(line), "method", "%s", sc->trace.method->name);
	kv(line, sizeof(line), "test-flow", "%s", sc->test_flow ? "yes" : "no");
	kv(line, sizeof(line), "flowid", "%u", (unsigned)sc->trace.flowid);
	if (sc->mode == MEAS_PARIS) {
		kv(line, sizeof(line), "attempts", "%u",
		    (unsigned)sc->trace.attempts);
		kv(line, sizeof(line), "wait", "%ums", sc->trace.wait_ms);
		kv(line, sizeof(line), "gap-limit", "%u",
		    (unsigned)sc->trace.gaplimit);
		kv(line, sizeof(line), "max-ttl", "%u",
		    (unsigned)sc->trace.max_ttl);
	} else if (sc->test_flow)
		kv(line, sizeof(line), "test-flow-trace",
		    "attempts:%u,wait:%ums,gap-limit:%u,max-ttl:%u",
		    (unsigned)sc->trace.attempts, sc->trace.wait_ms,
		    (unsigned)sc->trace.gaplimit, (unsigned)sc->trace.max_ttl);
	kv(line, sizeof(line), "pps", "%u", d->pps);
	kv(line, sizeof(line), "max-inflight", "%zu", sc->max_inflight);
	kv(line, sizeof(line), "queue", "%zu", sc->queue_max);
	kv(line, sizeof(line), "cache-window", "%us", sc->cache_window_s);
	kv(line, sizeof(line), "cache-max", "%zu", sc->cache_max);
	kv(line, sizeof(line), "deadline", "%us", sc->deadline_s);
	kv(line, sizeof(line), "open-timeout", "%us", d->open_timeout);
	kv(line, sizeof(line), "grace", "%us", d->grace);
	kv(line, sizeof(line), "replay-window", "%us", sc->replay_window_s);
	kv(line, sizeof(line), "journal", "%s",
	    d->journal_path ? d->journal_path : "(in the output root)");
	kv(line, sizeof(line), "file-mode", "%04o", sc->file_mode);
	kv(line, sizeof(line), "group", "%s",
	    d->group ? d->group : "(the user's own)");
	kv(line, sizeof(line), "seccomp", "%s",
	    d->sandbox == SANDBOX_KILL ? "kill" :
	    d->sandbox == SANDBOX_LOG ? "log" : "off");
	kv_list(line, sizeof(line), "allow", (char **)d->allows, d->nallows);
	kv_list(line, sizeof(line), "local-ip", (char **)d->locals, d->nlocals);
	/* --user applies only when started as root. */
	if (geteuid() == 0)
		kv(line, sizeof(line), "user", "%s", d->user);
	else
		kv(line, sizeof(line), "user", "(started as uid %lu)",
		    (unsigned long)geteuid());
	kv(line, sizeof(line), "verbose", "%d", d->verbose);
	log_notice("%s", line);
}
