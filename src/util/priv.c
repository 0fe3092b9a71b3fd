/*
 * priv: give up root and every capability once privileged handles are open
 * (Linux).  Capabilities are read and cleared with the raw capget/capset
 * system calls, so there is no libcap dependency.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* setresuid, getresuid */
#endif
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/priv.h"

#define PRIV_DEFAULT_USER	"nobody"

struct priv_caps {
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
};

static void
priv_err(char *err, size_t errlen, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
priv_err(char *err, size_t errlen, int with_errno, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (with_errno && n < errlen)
		snprintf(err + n, errlen - n, ": %s", strerror(saved));
	errno = saved;
}

static int
caps_get(struct priv_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->hdr.version = _LINUX_CAPABILITY_VERSION_3;
	c->hdr.pid = 0;
	return (int)syscall(SYS_capget, &c->hdr, c->data);
}

static int
caps_have(const struct priv_caps *c, unsigned cap)
{
	return (c->data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

int
priv_can_raw(void)
{
	struct priv_caps c;

	/*
	 * The effective set is what the kernel checks, also for root (a
	 * container may run root without CAP_NET_RAW).  Without capget,
	 * fall back to the uid.
	 */
	if (caps_get(&c) == -1)
		return geteuid() == 0;
	return caps_have(&c, CAP_NET_RAW);
}

/* Empty the bounding set; only possible while holding CAP_SETPCAP. */
static int
drop_bounding(char *err, size_t errlen)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			priv_err(err, errlen, 1,
			    "cannot drop capability %d from bounding set", cap);
			return -1;
		}
	}
	return 0;
}

static int
become_user(const char *user, const char *group, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0)
			priv_err(err, errlen, 1, "getpwnam %s", user);
		else
			priv_err(err, errlen, 0, "unknown user %s", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	endpwent();
	if (group != NULL) {
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			if (errno != 0)
				priv_err(err, errlen, 1, "getgrnam %s", group);
			else
				priv_err(err, errlen, 0, "unknown group %s",
				    group);
			return -1;
		}
		gid = gr->gr_gid;
		endgrent();
	}
	if (uid == 0) {
		priv_err(err, errlen, 0, "user %s has uid 0", user);
		return -1;
	}

	if (setgroups(1, &gid) == -1) {
		priv_err(err, errlen, 1, "setgroups");
		return -1;
	}
	if (setresgid(gid, gid, gid) == -1) {
		priv_err(err, errlen, 1, "setresgid %lu", (unsigned long)gid);
		return -1;
	}
	if (setresuid(uid, uid, uid) == -1) {
		priv_err(err, errlen, 1, "setresuid %lu", (unsigned long)uid);
		return -1;
	}

	/* Verify: root is gone for good, and the ids are what we asked. */
	if (setuid(0) != -1) {
		priv_err(err, errlen, 0, "could regain root after dropping it");
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1) {
		priv_err(err, errlen, 1, "getresuid");
		return -1;
	}
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid) {
		priv_err(err, errlen, 0, "uid/gid not changed to %lu/%lu",
		    (unsigned long)uid, (unsigned long)gid);
		return -1;
	}
	return 0;
}

static int
clear_caps(char *err, size_t errlen)
{
	struct priv_caps c;

	memset(&c, 0, sizeof(c));
	c.hdr.version = _LINUX_CAPABILITY_VERSION_3;
	c.hdr.pid = 0;
	if (syscall(SYS_capset, &c.hdr, c.data) == -1) {
		priv_err(err, errlen, 1, "capset");
		return -1;
	}
	/* Emptying permitted already empties ambient; this also covers
	 * kernels that would not.  EINVAL: no ambient set (< 4.3). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		priv_err(err, errlen, 1, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		priv_err(err, errlen, 1, "prctl PR_SET_NO_NEW_PRIVS");
		return -1;
	}

	if (caps_get(&c) == -1) {
		priv_err(err, errlen, 1, "capget");
		return -1;
	}
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (c.data[i].effective != 0 || c.data[i].permitted != 0 ||
		    c.data[i].inheritable != 0) {
			priv_err(err, errlen, 0, "capabilities still set");
			return -1;
		}
	}
	return 0;
}

int
priv_drop(const char *user, char *err, size_t errlen)
{
	return priv_drop_group(user, NULL, err, errlen);
}

int
priv_drop_group(const char *user, const char *group, char *err,
    size_t errlen)
{
	struct priv_caps c;

	if (user == NULL || *user == '\0')
		user = PRIV_DEFAULT_USER;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	/* The bounding set can only shrink while CAP_SETPCAP is held,
	 * that is before the uid changes. */
	if (caps_get(&c) == 0 && caps_have(&c, CAP_SETPCAP) &&
	    drop_bounding(err, errlen) == -1)
		return -1;

	if (geteuid() == 0 && become_user(user, group, err, errlen) == -1)
		return -1;
	if (geteuid() != 0 && group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL || gr->gr_gid != getegid()) {
			priv_err(err, errlen, 0, "group %s: only root can "
			    "change to it", group);
			return -1;
		}
	}

	return clear_caps(err, errlen);
}
