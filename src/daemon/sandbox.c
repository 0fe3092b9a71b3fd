/* sandbox: hoplited's seccomp allow-list (libseccomp). */
#include "config.h"

#include <sys/socket.h>
#include <linux/netlink.h>
#include <errno.h>
#include <string.h>

#include <seccomp.h>

#include "daemon/sandbox.h"
#include "util/errbuf.h"

/* Sanitizer builds (gcc says so one way, clang another). */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

/*
 * What the daemon's loop calls, by where it comes from.  Found by reading
 * the code and libraries, and checked by running every daemon lab test
 * with the filter in kill mode: the kernel log then holds no seccomp
 * event but the self-test's.
 */
static const char *const allowed[] = {
	/* memory (malloc, jansson, libevent buffers) */
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
	/* the loop: libevent (epoll, its signal socketpair) */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll", "select",
	"pselect6", "rt_sigreturn", "rt_sigprocmask", "rt_sigaction",
	"restart_syscall", "clock_gettime", "clock_getres", "gettimeofday",
	"time", "nanosleep", "clock_nanosleep",
	/* sockets: control and metrics clients, tcp-info reconnects, syslog,
	 * probes (raw sockets), capture (recvmmsg on a packet socket, its
	 * drop counts), getifaddrs (netlink), source
	 * address lookups (connect on a UDP socket) */
	"accept", "accept4", "connect", "bind", "getsockname", "getpeername",
	"getsockopt", "setsockopt", "shutdown", "read", "readv", "recvfrom",
	"recvmsg", "recvmmsg", "write", "writev", "sendto", "sendmsg",
	"sendmmsg", "close", "fcntl", "ioctl", "pipe2", "eventfd2",
	/* files: trace files, directories, the journal */
	"openat", "open", "creat", "lseek", "fstat", "newfstatat", "stat",
	"lstat", "statx", "access", "faccessat", "faccessat2", "fsync",
	"fdatasync", "ftruncate", "fchmod", "chmod", "fchmodat", "mkdir",
	"mkdirat", "link", "linkat", "unlink", "unlinkat", "rename",
	"renameat", "renameat2", "getdents64", "umask", "dup", "dup2", "dup3",
	/* process */
	"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"getrandom", "uname", "exit", "exit_group", "tgkill", "futex",
	"sched_yield", "prlimit64", "getrlimit",
	/* glibc's qsort sizes its buffer by sysconf(_SC_PHYS_PAGES): the
	 * tracelb writer sorts an MDA measurement's probes */
	"sysinfo",
#ifdef SANDBOX_ASAN
	/* AddressSanitizer's runtime and LeakSanitizer at exit (checked with
	 * every daemon lab test on an -fsanitize=address,undefined build). */
	"clone", "clone3", "wait4", "ptrace", "prctl", "sigaltstack",
	"sched_getaffinity", "readlink", "readlinkat", "set_robust_list",
	"rseq", "kill", "getppid", "waitid", "sched_getparam",
	"sched_setparam", "capget", "getpgid", "getsid", "arch_prctl",
	"getdents",
#endif
};

int
sandbox_mode_parse(const char *s, enum sandbox_mode *m)
{
	if (strcmp(s, "kill") == 0)
		*m = SANDBOX_KILL;
	else if (strcmp(s, "log") == 0)
		*m = SANDBOX_LOG;
	else if (strcmp(s, "off") == 0)
		*m = SANDBOX_OFF;
	else
		return -1;
	return 0;
}

int
sandbox_enter(enum sandbox_mode mode, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int rc = -1, r;

	if (mode == SANDBOX_OFF)
		return 0;
	if ((ctx = seccomp_init(mode == SANDBOX_LOG ? SCMP_ACT_LOG :
	    SCMP_ACT_KILL_PROCESS)) == NULL) {
		errbuf_set(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		/* Names this architecture lacks (open on arm64...) are fine. */
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0) {
			errbuf_set(err, errlen, "seccomp_rule_add %s: %s",
			    allowed[i], strerror(-r));
			goto done;
		}
	}
	/* New sockets: stream and datagram ones (clients, syslog, source
	 * lookups) and route netlink (getifaddrs); no raw or packet socket
	 * after start-up. */
	{
		static const int families[] = { AF_UNIX, AF_INET, AF_INET6 };
		static const int types[] = { SOCK_STREAM, SOCK_DGRAM };

		for (size_t i = 0; i < 3; i++)
			for (size_t k = 0; k < 2; k++)
				if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
				    SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ,
				    (scmp_datum_t)families[i]),
				    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
				    (scmp_datum_t)types[k]))) < 0)
					goto rule_failed;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket),
		    2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_NETLINK),
		    SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)NETLINK_ROUTE))) < 0)
			goto rule_failed;
	}
	if ((r = seccomp_load(ctx)) < 0) {
		errbuf_set(err, errlen, "seccomp_load: %s", strerror(-r));
		goto done;
	}
	rc = 0;
	goto done;
rule_failed:
	errbuf_set(err, errlen, "seccomp_rule_add socket: %s", strerror(-r));
done:
	seccomp_release(ctx);
	return rc;
}
