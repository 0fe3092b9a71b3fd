/* Option errors and values shared by the hoplite subcommands. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "probe/pkt.h"
#include "util/opt.h"

static const char *cmd_name = "";

/* Letters that mean something else in traceroute(8), or did in hoplite. */
static const struct {
	int letter;
	const char *why;
} moved[] = {
	{ 'W', "the wait is -w SECONDS (fractions allowed)" },
	{ 'g', "traceroute's gateway is not supported; the gap limit is "
	    "--gap-limit N" },
	{ 'S', "the source port is --sport N" },
	{ 'z', "the pacing is --pps N, all destinations together" },
	{ 'x', "checksums are always right (Paris keeps them per flow)" },
	{ 'r', "routing tables are always used" },
};

void
cmd_set_name(const char *name)
{
	cmd_name = name;
}

static void
hint(void)
{
	fprintf(stderr, "Try 'hoplite help%s%s' for the options.\n",
	    *cmd_name != '\0' ? " " : "", cmd_name);
}

void
cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hoplite%s%s: ", *cmd_name != '\0' ? " " : "",
	    cmd_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	hint();
	exit(2);
}

void
cmd_bad_option(const char *opt, const char *arg, const char *why)
{
	cmd_usage_error("%s '%s': %s", opt, arg, why);
}

void
cmd_getopt_error(int ch, char **argv)
{
	const char *word = argv[optind - 1];

	if (optopt == 0 || (word != NULL && word[0] == '-' && word[1] == '-'))
		cmd_usage_error(ch == ':' ? "%s needs a value" :
		    "unknown option %s", word != NULL ? word : "?");
	if (ch == ':')
		cmd_usage_error("-%c needs a value", optopt);
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]) &&
	    strcmp(cmd_name, "submit") != 0; i++)
		if (moved[i].letter == optopt)
			cmd_usage_error("unknown option -%c: %s", optopt,
			    moved[i].why);
	cmd_usage_error("unknown option -%c", optopt);
}

long long
cmd_num_option(const char *opt, const char *arg, long long min, long long max)
{
	char err[128];
	long long v;

	if (opt_num(arg, min, max, &v, err, sizeof(err)) == -1)
		cmd_bad_option(opt, arg, err);
	return v;
}

unsigned
cmd_seconds_option(const char *opt, const char *arg, unsigned min_ms,
    unsigned max_ms)
{
	char why[96], *end;
	double s;

	/* No libm (it would cost the command 400 kB of memory): NaN fails
	 * both comparisons, infinities the range. */
	s = strtod(arg, &end);
	if (end == arg || *end != '\0' || !(s * 1000 >= min_ms - 0.5) ||
	    !(s * 1000 <= max_ms + 0.5)) {
		snprintf(why, sizeof(why), "must be seconds from %u.%03u to %u",
		    min_ms / 1000, min_ms % 1000, max_ms / 1000);
		cmd_bad_option(opt, arg, why);
	}
	return (unsigned)(s * 1000 + 0.5);
}

const struct pkt_method *
cmd_method_option(const char *opt, const char *arg)
{
	const struct pkt_method *m;

	if ((m = pkt_method_find(arg)) != NULL)
		return m;
	/* traceroute's words and protocol numbers */
	if (strcmp(arg, "icmp") == 0 || strcmp(arg, "1") == 0 ||
	    strcmp(arg, "58") == 0)
		return &pkt_icmp_paris;
	if (strcmp(arg, "udp") == 0 || strcmp(arg, "17") == 0)
		return &pkt_udp_paris;
	if (strcmp(arg, "tcp") == 0 || strcmp(arg, "6") == 0)
		return &pkt_tcp_paris;
	cmd_bad_option(opt, arg, "unknown method (icmp-paris, udp-paris, "
	    "tcp-paris, tcp-ack-paris; icmp, udp, tcp; 1, 17, 6)");
}
