/* The hoplite command's subcommands, and what their parsers share. */
#ifndef HOPLITE_CMD_H
#define HOPLITE_CMD_H

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

#endif
