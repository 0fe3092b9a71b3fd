/*
 * The options the hoplite commands share, once: letters, long names,
 * parsing and the usual --help lines; and the parser that runs a command's
 * table of options through getopt_long.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "probe/pkt.h"
#include "util/log.h"

#define MAX_OPTS	48	/* options in a command's table */

/* An option as getopt_long and --help see it. */
struct view {
	int letter;		/* 0: a long name alone */
	const char *name;	/* long name, or NULL */
	const char *alias;	/* a second long name, or NULL */
	int has_arg;
	const char *help;	/* its --help lines, or NULL */
};

/* The shared options, with the --help line most commands use. */
static const struct view kinds[] = {
	[CMD_METHOD] = { 'P', "method", NULL, required_argument,
	    "  -P, --method M       icmp-paris, udp-paris, tcp-paris, tcp-ack-paris\n" },
	[CMD_ICMP] = { 'I', NULL, NULL, no_argument,
	    "  -I, -U, -T           ICMP (default), UDP or TCP SYN Paris probes\n" },
	[CMD_UDP] = { 'U', NULL, NULL, no_argument, NULL },
	[CMD_TCP] = { 'T', NULL, NULL, no_argument, NULL },
	[CMD_SPORT] = { 0, "sport", NULL, required_argument, NULL },
	[CMD_DPORT] = { 'p', "port", "dport", required_argument,
	    "  -p, --port N         destination port (udp 33435, tcp 80)\n" },
	[CMD_ATTEMPTS] = { 'q', "attempts", NULL, required_argument, NULL },
	[CMD_FIRST_TTL] = { 'f', "first-ttl", NULL, required_argument,
	    "  -f, --first-ttl N    first TTL to probe (1)\n" },
	[CMD_MAX_TTL] = { 'm', "max-ttl", NULL, required_argument,
	    "  -m, --max-ttl N      last TTL to probe (30)\n" },
	[CMD_GAPLIMIT] = { 0, "gap-limit", NULL, required_argument, NULL },
	[CMD_WAIT] = { 'w', "wait", NULL, required_argument,
	    "  -w, --wait SECONDS   wait for each probe's answer, fractions allowed (2)\n" },
	[CMD_WINDOW] = { 'N', "window", NULL, required_argument, NULL },
	[CMD_SIZE] = { 0, "size", NULL, required_argument,
	    "      --size BYTES     probe size including the IP header\n" },
	[CMD_TOS] = { 't', "tos", NULL, required_argument,
	    "  -t, --tos N          IPv4 TOS / IPv6 traffic class (0)\n" },
	[CMD_PPS] = { 0, "pps", NULL, required_argument, NULL },
	[CMD_CONCURRENCY] = { 'c', "concurrency", NULL, required_argument, NULL },
	[CMD_INET] = { '4', NULL, NULL, no_argument,
	    "  -4, -6               resolve names to IPv4 / IPv6 addresses only\n" },
	[CMD_INET6] = { '6', NULL, NULL, no_argument, NULL },
	[CMD_SOURCE] = { 's', "source", NULL, required_argument,
	    "  -s, --source ADDR    source address (an address of this host)\n" },
	[CMD_IFACE] = { 'i', "interface", NULL, required_argument,
	    "  -i, --interface IF   send through interface IF\n" },
	[CMD_USER] = { 0, "user", NULL, required_argument,
	    "      --user NAME      user to switch to after opening sockets (nobody)\n" },
	[CMD_TARGETS] = { 0, "targets", NULL, required_argument,
	    "      --targets FILE   destinations from FILE, one per line ('-': stdin)\n" },
	[CMD_OUTPUT] = { 'o', "output", NULL, required_argument, NULL },
	[CMD_NUMERIC] = { 'n', "numeric", NULL, no_argument, NULL },
	[CMD_PTR] = { 0, "ptr", NULL, no_argument, NULL },
	[CMD_MPLS] = { 'e', NULL, NULL, no_argument, NULL },
	[CMD_VERBOSE] = { 'v', "verbose", NULL, no_argument, NULL },
	[CMD_VERSION] = { 'V', "version", NULL, no_argument,
	    "  -V, --version        print the version\n" },
	[CMD_HELP] = { 'h', "help", NULL, no_argument,
	    "  -h, --help           this help\n" },
};

static const char *const outputs[] = { "json", "text", "dot" };

static struct view
view(const struct cmd_opt *e)
{
	struct view v = { 0, e->name, NULL, e->has_arg, e->help };

	if (e->kind == CMD_OWN) {
		v.letter = e->id < 256 ? e->id : 0;
		return v;
	}
	v = kinds[e->kind];
	if (e->help != NULL)
		v.help = e->help;
	return v;
}

static void
usage(const struct cmd_spec *spec)
{
	fputs(spec->head, stdout);
	for (size_t i = 0; i < spec->nopts; i++) {
		struct view v = view(&spec->opts[i]);

		if (v.help != NULL)
			fputs(v.help, stdout);
	}
	fputs(spec->foot, stdout);
}

/*
 * getopt_long's tables: a long name answers with its letter, so that both
 * spellings are one option, or with 256 + its place in the spec.
 */
static void
build(const struct cmd_spec *spec, char *letters, struct option *lo)
{
	size_t nl = 0, nlo = 0;

	letters[nl++] = ':';	/* a missing value is ':', not '?' */
	for (size_t i = 0; i < spec->nopts; i++) {
		struct view v = view(&spec->opts[i]);
		int val = v.letter != 0 ? v.letter : 256 + (int)i;

		if (v.letter != 0) {
			letters[nl++] = (char)v.letter;
			if (v.has_arg == required_argument)
				letters[nl++] = ':';
		}
		if (v.name != NULL)
			lo[nlo++] = (struct option){ v.name, v.has_arg, NULL, val };
		if (v.alias != NULL)
			lo[nlo++] = (struct option){ v.alias, v.has_arg, NULL,
			    val };
	}
	letters[nl] = '\0';
	lo[nlo] = (struct option){ NULL, 0, NULL, 0 };
}

/* The spec's option getopt_long answered with ch (not '?' or ':'). */
static const struct cmd_opt *
find(const struct cmd_spec *spec, int ch)
{
	if (ch >= 256)
		return &spec->opts[ch - 256];
	for (size_t i = 0; i < spec->nopts; i++)
		if (view(&spec->opts[i]).letter == ch)
			return &spec->opts[i];
	fatalx("%s: getopt answered an option not in the table", spec->name);
}

static void
output(const struct cmd_spec *spec, struct cmd_common *o, const char *arg)
{
	o->output_set = 1;
	for (int i = 0; i < spec->noutputs; i++)
		if (strcmp(arg, outputs[i]) == 0) {
			o->output = i;
			return;
		}
	cmd_bad_option("-o", arg, spec->noutputs == 3 ?
	    "must be json, text or dot" : "must be json or text");
}

/* A shared option; 1 when the command ends here (--help, --version). */
static int
common(const struct cmd_spec *spec, struct cmd_common *o, enum cmd_kind k,
    const char *arg)
{
	struct trace_conf *p = o->probe;
	struct run_conf *rc = &o->run;

	switch (k) {
	case CMD_OWN:
		break;
	case CMD_METHOD:
		p->method = cmd_method_option("-P", arg);
		break;
	case CMD_ICMP:
		p->method = &pkt_icmp_paris;
		break;
	case CMD_UDP:
		p->method = &pkt_udp_paris;
		break;
	case CMD_TCP:
		p->method = &pkt_tcp_paris;
		break;
	case CMD_SPORT:
		p->sport = (uint16_t)cmd_num_option("--sport", arg, 1, 65535);
		break;
	case CMD_DPORT:
		p->dport = (uint16_t)cmd_num_option("-p", arg, 1, 65535);
		break;
	case CMD_ATTEMPTS:
		p->attempts = (uint8_t)cmd_num_option("-q", arg, 1, 10);
		break;
	case CMD_FIRST_TTL:
		p->first_ttl = (uint8_t)cmd_num_option("-f", arg, 1, 255);
		break;
	case CMD_MAX_TTL:
		p->max_ttl = (uint8_t)cmd_num_option("-m", arg, 1, 255);
		break;
	case CMD_GAPLIMIT:
		p->gaplimit = (uint8_t)cmd_num_option("--gap-limit", arg, 1,
		    255);
		break;
	case CMD_WAIT:
		p->wait_ms = cmd_seconds_option("-w", arg, 1, 60000);
		break;
	case CMD_WINDOW:
		p->window = (uint8_t)cmd_num_option("-N", arg, 1, 255);
		break;
	case CMD_SIZE:
		p->size = (uint16_t)cmd_num_option("--size", arg, 1, 1500);
		break;
	case CMD_TOS:
		p->tos = (uint8_t)cmd_num_option("-t", arg, 0, 255);
		break;
	case CMD_PPS:
		rc->pps = (unsigned)cmd_num_option("--pps", arg, 1, 100000);
		break;
	case CMD_CONCURRENCY:
		rc->concurrency = (size_t)cmd_num_option("-c", arg, 1, 65536);
		break;
	case CMD_INET:
		rc->family = AF_INET;
		break;
	case CMD_INET6:
		rc->family = AF_INET6;
		break;
	case CMD_SOURCE:
		rc->source = arg;
		break;
	case CMD_IFACE:
		rc->iface = arg;
		break;
	case CMD_USER:
		rc->user = arg;
		break;
	case CMD_TARGETS:
		rc->targets = arg;
		break;
	case CMD_OUTPUT:
		output(spec, o, arg);
		break;
	case CMD_NUMERIC:
		o->numeric = 1;
		break;
	case CMD_PTR:
		o->ptr = 1;
		break;
	case CMD_MPLS:		/* MPLS stacks are always there */
		break;
	case CMD_VERBOSE:
		rc->verbose++;
		break;
	case CMD_VERSION:
		printf("hoplite %s\n", PACKAGE_VERSION);
		return 1;
	case CMD_HELP:
		usage(spec);
		return 1;
	}
	return 0;
}

int
cmd_parse(const struct cmd_spec *spec, struct cmd_common *o, void *cmd,
    int argc, char **argv)
{
	char letters[2 * MAX_OPTS + 2];
	struct option lo[2 * MAX_OPTS + 1];
	int ch;

	if (spec->nopts > MAX_OPTS)
		fatalx("%s: more than %d options", spec->name, MAX_OPTS);
	cmd_set_name(spec->name);
	o->run.pps = spec->pps;
	o->run.concurrency = spec->concurrency;
	o->run.family = AF_UNSPEC;
	o->run.user = "nobody";
	o->run.progress = spec->progress;
	o->output = isatty(STDOUT_FILENO) ? CMD_OUT_TEXT : CMD_OUT_JSON;
	if (o->probe != NULL)
		o->probe->method = &pkt_icmp_paris;
	build(spec, letters, lo);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, letters, lo, NULL)) != -1) {
		const struct cmd_opt *e;

		if (ch == '?' || ch == ':')
			cmd_getopt_error(ch, argv);
		e = find(spec, ch);
		if (e->kind == CMD_OWN)
			spec->own(e->id, optarg, cmd);
		else if (common(spec, o, e->kind, optarg) == 1)
			return 0;
	}
	return optind;
}

void
cmd_trace_finish(struct cmd_common *o, long long flo, long long fhi)
{
	struct trace_conf *c = o->probe;
	struct run_conf *rc = &o->run;
	char err[256];
	uint32_t sport_base;

	if (o->numeric && o->ptr)
		cmd_usage_error("-n and --ptr contradict each other");
	if (c->dport != 0 && (c->method->proto == IPPROTO_ICMP ||
	    c->method->proto == IPPROTO_ICMPV6))
		cmd_usage_error("-p: ICMP probes have no port (use -U or -T)");
	log_init("hoplite", rc->verbose, 0);
	/* Both families' limits hold, so a bad value fails before any probe. */
	if (trace_conf_finish(c, AF_INET, err, sizeof(err)) == -1 ||
	    trace_conf_finish(c, AF_INET6, err, sizeof(err)) == -1)
		cmd_usage_error("%s", err);

	/* The capture admits the flows' source ports: flow F uses base + F. */
	sport_base = c->sport ? c->sport : c->method->default_sport;
	rc->nports = 1;
	rc->ports[0].lo = (uint16_t)((sport_base + flo) & 0xffff);
	rc->ports[0].hi = (uint16_t)(sport_base + fhi > 65535 ? 65535 :
	    sport_base + fhi);
}
