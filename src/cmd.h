/* The hoplite command's subcommands. */
#ifndef HOPLITE_CMD_H
#define HOPLITE_CMD_H

int cmd_trace(int argc, char **argv);
int cmd_submit(int argc, char **argv);

#endif
