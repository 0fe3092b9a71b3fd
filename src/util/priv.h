/* priv: give up root and every capability once privileged handles are open. */
#ifndef HOPLITE_PRIV_H
#define HOPLITE_PRIV_H

#include <stddef.h>

/*
 * Whether this process can open raw sockets at all (root, or CAP_NET_RAW in
 * its effective set).  Used to give a clear message before trying.
 */
int priv_can_raw(void);

/*
 * Drop privileges for good.  As root: setgroups(1, gid), setresgid,
 * setresuid to `user` (default "nobody"), then verify root cannot be
 * regained.  In every case: clear all capability sets (permitted,
 * effective, inheritable, ambient, bounding where allowed) and set
 * PR_SET_NO_NEW_PRIVS.  Returns 0, or -1 with a message in err.
 */
int priv_drop(const char *user, char *err, size_t errlen);
/* The same with `group` (NULL: the user's) as the only group, so that
 * files made afterwards belong to it. */
int priv_drop_group(const char *user, const char *group, char *err,
    size_t errlen);

#endif
