/* The hoplite command's subcommands, and what their parsers share. */
#ifndef HOPLITE_CMD_H
#define HOPLITE_CMD_H

#include <stddef.h>

#include "cli/run.h"
#include "measure/trace.h"

int cmd_trace(int argc, char **argv);
int cmd_mda(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_submit(int argc, char **argv);

/* The subcommand whose options are parsed ("trace"), for messages. */
void cmd_set_name(const char *);
/*
 * A usage error: "hoplite CMD: WHY" and one hint line on stderr, exit
 * status 2.
 */
void cmd_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* "hoplite CMD: OPT 'ARG': WHY" and the hint line; exit status 2. */
void cmd_bad_option(const char *opt, const char *arg, const char *why)
    __attribute__((noreturn));
/*
 * getopt_long's '?' or ':' (run it with opterr = 0 and a leading ':' in
 * the letters): the unknown or incomplete option, with a word where a
 * letter means something else here than in traceroute(8) or used to.
 */
void cmd_getopt_error(int ch, char **argv) __attribute__((noreturn));
/* A whole number in [min, max], or cmd_bad_option. */
long long cmd_num_option(const char *opt, const char *arg, long long min,
    long long max);
/* A Paris trace method: hoplite's names, traceroute's words (icmp, udp,
 * tcp) and protocol numbers; or cmd_bad_option. */
struct pkt_method;
const struct pkt_method *cmd_method_option(const char *opt, const char *arg);
/* SECONDS, fractions allowed, as milliseconds in [min_ms, max_ms]. */
unsigned cmd_seconds_option(const char *opt, const char *arg,
    unsigned min_ms, unsigned max_ms);


/*
 * The options the commands share: each one's letter, long names, parsing
 * and usual --help line live once, in cmd_parse.c.  A command lists all its
 * options in --help order as a table of struct cmd_opt; cmd_parse() builds
 * getopt_long's letters and long options from it, sets the shared ones in
 * a struct cmd_common and hands the command's own to its callback.
 */
enum cmd_kind {
	CMD_OWN,		/* the command's: its callback parses it */
	CMD_METHOD,		/* -P: a Paris method (cmd_method_option) */
	CMD_ICMP, CMD_UDP, CMD_TCP,	/* -I, -U, -T: Paris ICMP, UDP, TCP */
	CMD_SPORT, CMD_DPORT, CMD_ATTEMPTS, CMD_FIRST_TTL, CMD_MAX_TTL,
	CMD_GAPLIMIT, CMD_WAIT, CMD_WINDOW, CMD_SIZE, CMD_TOS,
	CMD_PPS, CMD_CONCURRENCY, CMD_INET, CMD_INET6, CMD_SOURCE, CMD_IFACE,
	CMD_USER, CMD_TARGETS, CMD_OUTPUT, CMD_NUMERIC, CMD_PTR,
	CMD_MPLS,		/* -e: accepted for traceroute habits */
	CMD_VERBOSE, CMD_VERSION, CMD_HELP,
};

/* One option of a command. */
struct cmd_opt {
	enum cmd_kind kind;
	/* CMD_OWN only: the id its callback gets (its letter, or from 256
	 * for a long name alone), its long name or NULL, and whether it
	 * takes a value (no_argument or required_argument). */
	int id;
	const char *name;
	int has_arg;
	/* Its lines in --help; NULL: the shared option's usual line, if it
	 * has one (-U, -T and -6 have none: -I's and -4's speak for them). */
	const char *help;
};

/* -o's values (CMD_OUT_DOT for a command with three outputs). */
enum { CMD_OUT_JSON, CMD_OUT_TEXT, CMD_OUT_DOT };

struct cmd_spec {
	const char *name;		/* "trace", for messages */
	const char *head, *foot;	/* --help around the options' lines */
	const struct cmd_opt *opts;
	size_t nopts;
	/* A CMD_OWN option, its value (or NULL) and cmd_parse's `cmd`;
	 * a bad value is a usage error (cmd_bad_option). */
	void (*own)(int id, const char *arg, void *cmd);
	/* The run's defaults. */
	unsigned pps;
	size_t concurrency;
	int progress;
	int noutputs;			/* -o: json and text (2), or dot too (3) */
};

/* What the shared options set, on the spec's defaults. */
struct cmd_common {
	/* Set by the command (NULL without probe options): where -P, -I, -U,
	 * -T, --sport, -p, -q, -f, -m, --gap-limit, -w, -N, --size and -t
	 * go.  Its method starts as Paris ICMP. */
	struct trace_conf *probe;
	struct run_conf run;	/* --pps, -c, -4, -6, -s, -i, --user,
				   --targets, -v */
	int output;		/* -o: CMD_OUT_*; text on a terminal, else json */
	int output_set;		/* -o was given */
	int numeric;		/* -n */
	int ptr;		/* --ptr */
};

#define CMD_STR(x)	CMD_STR_(x)	/* a number's macro, in --help text */
#define CMD_STR_(x)	#x

/*
 * Parse argv by spec: the shared options into *o, the command's own
 * through spec->own(id, optarg, cmd).  Usage errors exit with status 2.
 * Returns how many words of argv were the command's name and options (the
 * destinations follow), or 0 when --help or --version was printed (the
 * command ends, status 0).
 */
int cmd_parse(const struct cmd_spec *, struct cmd_common *o, void *cmd,
    int argc, char **argv);
/*
 * For a command of Paris traces (trace, watch), once the destinations are
 * checked: -n against --ptr, -p against ICMP, the log, the trace_conf's
 * defaults and limits under both families (usage errors exit), and the
 * ports the capture admits for flows flo..fhi.
 */
void cmd_trace_finish(struct cmd_common *o, long long flo, long long fhi);

#endif
