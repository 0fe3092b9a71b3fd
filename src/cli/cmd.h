/* The hoplite command's subcommands. */
#ifndef HOPLITE_CMD_H
#define HOPLITE_CMD_H

int cmd_trace(int argc, char **argv);
int cmd_mda(int argc, char **argv);
int cmd_submit(int argc, char **argv);

/* Option errors: "hoplite: OPT 'ARG': WHY" on stderr, exit status 2. */
void cmd_bad_option(const char *opt, const char *arg, const char *why)
    __attribute__((noreturn));
/* A whole number in [min, max], or cmd_bad_option. */
long long cmd_num_option(const char *opt, const char *arg, long long min,
    long long max);

#endif
