/* hoplite: Paris traceroute for operators. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplite trace [options] DEST...\n"
	    "       hoplite mda [options] DEST...\n"
	    "       hoplite submit [options] IP\n"
	    "       hoplite --version | --help\n"
	    "\n"
	    "Commands:\n"
	    "  trace   Paris traceroute to every DEST at once (see hoplite trace --help)\n"
	    "  mda     every load-balanced path to every DEST (see hoplite mda --help)\n"
	    "  submit  ask a running hoplited to trace IP (see hoplite submit --help)\n"
	    "\n"
	    "See hoplite(1) and hoplite-json(5).\n");
}

int
main(int argc, char **argv)
{
	log_init("hoplite", 0, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "trace") == 0)
		return cmd_trace(argc - 1, argv + 1);
	if (strcmp(argv[1], "mda") == 0)
		return cmd_mda(argc - 1, argv + 1);
	if (strcmp(argv[1], "submit") == 0)
		return cmd_submit(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("hoplite %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "hoplite: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
