/*
 * dest: the destinations of a run (arguments and --targets), how a name
 * becomes the address to trace, and the source a run uses (-s, -i).
 */
#ifndef HOPLITE_DEST_H
#define HOPLITE_DEST_H

#include <stddef.h>
#include <stdio.h>

#include "util/addr.h"

struct dest_list {
	char **v;		/* as the user wrote them; owned */
	size_t n, cap;
};

/* Copy argv in.  0 or -1 (out of memory). */
int dest_add_argv(struct dest_list *, int argc, char **argv);
/*
 * Read one destination per line (blank lines and '#' comments skipped,
 * the first word of a line taken) until EOF.  0, or -1 with a message in
 * err (a read error or an overlong line); lines read before stay.
 */
int dest_read(struct dest_list *, FILE *, const char *path, char *err,
    size_t errlen);
void dest_free(struct dest_list *);

/*
 * The address to trace for `name`: itself when it is one, else the first
 * address getaddrinfo gives (the system's preference, RFC 6724) of
 * `family` (AF_UNSPEC: either) among the families in `open` (NETIO_V4,
 * NETIO_V6).  -1 with a message in err.
 */
int dest_resolve(const char *name, int family, int open,
    struct addr_ip *, char *err, size_t errlen);

/* The source addresses -s and -i choose, per family. */
struct dest_source {
	struct addr_ip v4, v6;	/* family 0: the kernel's choice */
	int only;		/* -i: a family with no address has none */
};

/*
 * Check -s (an address of this host) and -i (an interface) and pick the
 * source per family; *family narrows to -s's.  -1 with a message.
 */
int dest_source_setup(struct dest_source *, const char *source,
    const char *iface, int *family, char *err, size_t errlen);

#endif
