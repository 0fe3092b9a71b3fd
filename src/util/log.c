/* log: messages to stderr (or syslog), never stdout. */
#include <sys/stat.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

enum { STYLE_PLAIN, STYLE_STAMP, STYLE_JOURNAL };

static const char *log_progname = "hoplite";
static int log_verbosity;
static int log_to_syslog;
static int log_style = STYLE_PLAIN;

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

/* systemd sets JOURNAL_STREAM to the device and inode of the stream it
 * connected; stderr may since have been redirected elsewhere. */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_daemon(void)
{
	log_style = stderr_is_journal() ? STYLE_JOURNAL : STYLE_STAMP;
}

static const char *
level_word(int pri)
{
	switch (pri) {
	case LOG_CRIT:
		return "fatal";
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/* "2026-12-01T14:02:29.123Z": UTC, milliseconds. */
static void
timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char s[32];

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03uZ", s, (unsigned)(ts.tv_nsec / 1000000) % 1000);
}

/* One whole message; with_errno appends ": strerror(saved errno)". */
static void
vlog(int pri, int with_errno, const char *fmt, va_list ap)
{
	char msg[4096], text[4200], stamp[40];
	int saved = errno;

	if (fmt != NULL)
		vsnprintf(msg, sizeof(msg), fmt, ap);
	else
		msg[0] = '\0';
	if (with_errno && msg[0] != '\0')
		snprintf(text, sizeof(text), "%s: %s", msg, strerror(saved));
	else if (with_errno)
		snprintf(text, sizeof(text), "%s", strerror(saved));
	else
		snprintf(text, sizeof(text), "%s", msg);

	if (log_to_syslog) {
		syslog(pri, "%s", text);
		errno = saved;
		return;
	}
	/* One fprintf, so concurrent writers do not interleave within a
	 * line. */
	switch (log_style) {
	case STYLE_JOURNAL:
		/* The journal adds the time and strips the "<N>". */
		fprintf(stderr, "<%d>%s: %s\n", pri, level_word(pri), text);
		break;
	case STYLE_STAMP:
		timestamp(stamp, sizeof(stamp));
		fprintf(stderr, "%s %s[%ld] %s: %s\n", stamp, log_progname,
		    (long)getpid(), level_word(pri), text);
		break;
	default:
		fprintf(stderr, "%s: %s\n", log_progname, text);
		break;
	}
	fflush(stderr);
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
log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_NOTICE, 0, fmt, ap);
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
