/*
 * sandbox: hoplited's seccomp filter.  Installed once start-up is over
 * (sockets open, output root made, privileges dropped, journal open), it
 * allows only the system calls the event loop makes: libevent (epoll),
 * the capture (recvmmsg), raw sockets (send), jansson, syslog, the file
 * writes (open, write, fsync, link, rename, unlink, mkdir, chmod), the
 * journal (fdatasync, ftruncate), netlink for getifaddrs, and the
 * connect() trick that picks source addresses.  Anything else kills the
 * process (SIGSYS).
 */
#ifndef HOPLITE_SANDBOX_H
#define HOPLITE_SANDBOX_H

#include <stddef.h>

enum sandbox_mode {
	SANDBOX_KILL,		/* default: a forbidden call kills the process */
	SANDBOX_LOG,		/* allow it, the kernel logs it (finding gaps) */
	SANDBOX_OFF,
};

/* Parse "kill", "log" or "off"; -1 when it is none of them. */
int sandbox_mode_parse(const char *, enum sandbox_mode *);
/* Install the filter (PR_SET_NO_NEW_PRIVS must be set: priv_drop does).
 * 0, or -1 with a message in err. */
int sandbox_enter(enum sandbox_mode, char *err, size_t errlen);

#endif
