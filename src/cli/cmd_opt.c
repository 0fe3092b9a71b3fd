/* Option-value errors shared by the hoplite subcommands. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd.h"
#include "util/opt.h"

void
cmd_bad_option(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "hoplite: %s '%s': %s\n", opt, arg, why);
	exit(2);
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
