/* log: messages to stderr (or syslog), never stdout. */
#ifndef HOPLITE_LOG_H
#define HOPLITE_LOG_H

#include <stdarg.h>

/* verbosity: 0 = warnings, 1 = info, 2 = debug. */
void log_init(const char *progname, int verbosity, int use_syslog);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));  /* appends strerror(errno) */
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));  /* strerror, exit 1 */
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn)); /* exit 1 */

#endif
