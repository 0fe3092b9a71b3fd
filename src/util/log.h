/* log: messages to stderr (or syslog), never stdout. */
#ifndef HOPLITE_LOG_H
#define HOPLITE_LOG_H

#include <stdarg.h>

/* verbosity: 0 = warnings and notices, 1 = info, 2 = debug. */
void log_init(const char *progname, int verbosity, int use_syslog);
/*
 * Daemon style for stderr: each line starts with a UTC timestamp, the
 * program's name and pid and a level word; when stderr is the systemd
 * journal (JOURNAL_STREAM), a syslog priority prefix ("<3>") instead of the
 * timestamp, so the journal records the level.  The commands keep plain
 * "prog: message" lines.
 */
void log_daemon(void);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));  /* error; appends strerror(errno) */
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));  /* error */
void log_warning(const char *, ...) __attribute__((format(printf, 1, 2))); /* warning */
void log_notice(const char *, ...) __attribute__((format(printf, 1, 2))); /* notice, at every verbosity */
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));  /* strerror, exit 1 */
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn)); /* exit 1 */

#endif
