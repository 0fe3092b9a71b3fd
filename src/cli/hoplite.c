/* hoplite: Paris traceroute for operators. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "util/log.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
} cmds[] = {
	{ "trace", cmd_trace },
	{ "mda", cmd_mda },
	{ "watch", cmd_watch },
	{ "submit", cmd_submit },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplite trace [options] DEST...\n"
	    "       hoplite mda [options] DEST...\n"
	    "       hoplite watch [options] DEST\n"
	    "       hoplite submit [options] IP\n"
	    "       hoplite help [COMMAND]\n"
	    "       hoplite --version | --help\n"
	    "\n"
	    "Commands:\n"
	    "  trace   Paris traceroute to every DEST at once\n"
	    "  mda     every load-balanced path to every DEST\n"
	    "  watch   trace DEST again and again: loss and RTT per hop and branch\n"
	    "  submit  ask a running hoplited to trace IP\n"
	    "  help    this list, or a command's options (hoplite help trace)\n"
	    "\n"
	    "See hoplite(1) and hoplite-json(5).\n");
}

static int
find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
main(int argc, char **argv)
{
	int i;

	log_init("hoplite", 0, 0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if ((i = find(argv[1])) != -1)
		return cmds[i].run(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0) {
		char *hargv[] = { argv[2], "--help", NULL };

		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		if ((i = find(argv[2])) == -1) {
			fprintf(stderr, "hoplite help: unknown command '%s'\n"
			    "Try 'hoplite help' for the commands.\n", argv[2]);
			return 2;
		}
		return cmds[i].run(2, hargv);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("hoplite %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "hoplite: unknown command '%s'\n"
	    "Try 'hoplite help' for the commands.\n", argv[1]);
	return 2;
}
