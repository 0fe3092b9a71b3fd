/* log: messages to stderr (or syslog), never stdout. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "util/log.h"

static const char *log_progname = "hoplite";
static int log_verbosity;
static int log_to_syslog;

void
log_init(const char *progname, int verbosity, int use_syslog)
{
	if (progname != NULL && *progname != '\0')
		log_progname = progname;
	log_verbosity = verbosity;
	log_to_syslog = use_syslog;
	if (log_to_syslog)
		openlog(log_progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* One whole message; with_errno appends ": strerror(saved errno)". */
static void
vlog(int pri, int with_errno, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	if (fmt != NULL)
		vsnprintf(msg, sizeof(msg), fmt, ap);
	else
		msg[0] = '\0';

	if (log_to_syslog) {
		if (with_errno && msg[0] != '\0')
			syslog(pri, "%s: %s", msg, strerror(saved));
		else if (with_errno)
			syslog(pri, "%s", strerror(saved));
		else
			syslog(pri, "%s", msg);
	} else {
		/* One fprintf, so concurrent writers do not interleave
		 * within a line. */
		if (with_errno && msg[0] != '\0')
			fprintf(stderr, "%s: %s: %s\n", log_progname, msg,
			    strerror(saved));
		else if (with_errno)
			fprintf(stderr, "%s: %s\n", log_progname,
			    strerror(saved));
		else
			fprintf(stderr, "%s: %s\n", log_progname, msg);
		fflush(stderr);
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
