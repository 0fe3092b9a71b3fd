/*
 * report: what went wrong, counted per reason with the first places it
 * happened, the exit status that follows, and the progress line.
 */
#ifndef HOPLITE_CONVERT_REPORT_H
#define HOPLITE_CONVERT_REPORT_H

#include <stdint.h>

enum report_reason {
	REPORT_READ_ERROR,	/* truncated or corrupt compressed data/member */
	REPORT_LINE_TOO_LONG,
	REPORT_TOO_LARGE,	/* a value or record beyond what memory allows */
	REPORT_INVALID_JSON,
	REPORT_BAD_WARTS,	/* warts bytes that are no readable record */
	REPORT_NOT_OBJECT,
	REPORT_UNKNOWN_TYPE,	/* no "type", or one scamper does not write */
	REPORT_UNSUPPORTED,	/* a scamper object that is no traceroute */
	REPORT_BAD_METADATA,	/* M-Lab metadata line without a usable UUID */
	REPORT_MLAB_STRUCTURE,	/* M-Lab lines missing, extra or out of order */
	REPORT_BAD_TRACE,	/* a trace object skipped whole */
	REPORT_BAD_HOP,		/* a hop, probe or reply skipped */
	REPORT_BAD_NODE,	/* a tracelb node whose links are unusable */
	REPORT_BAD_PFX2AS,	/* a line of --pfx2as skipped */
	REPORT_BAD_CSV,		/* merge: a row or file skipped */
	REPORT_NO_TRACE,	/* an input that gave no trace at all */
	REPORT_NREASONS
};

/* Counters for the progress line and the summary. */
struct report_stats {
	uint64_t files, entries, records, lines, bytes;
	/* input bytes as stored (compressed), read and in all; total 0:
	 * unknown (stdin) */
	uint64_t in_done, in_total;
};

/* Per thread: a -j worker counts its input, then report_add_stats(). */
extern _Thread_local struct report_stats report_stats;

/* -j: the problems a worker found, kept until its input's turn.  A
 * problem found while the line number it has is relative (a chunk whose
 * first line is not known yet: report_lines_from()) keeps its file and
 * line apart, and is written out with them at its turn. */
struct report_ev {
	int reason;	/* enum report_reason; -1: unreadable */
	char *text;
	char *file;	/* NULL, or text lacks "file:line: " */
	uint64_t line;
};
struct report_sink {
	struct report_ev *ev;
	size_t n, cap;
};

enum report_progress {
	REPORT_PROGRESS_OFF,
	REPORT_PROGRESS_TTY,	/* one line redrawn in place */
	REPORT_PROGRESS_LINES	/* a line every interval seconds (logs) */
};

/*
 * strict: the first problem stops the run.  verbose: print every problem
 * as it happens.  progress: how the progress line is written on stderr.
 */
void report_init(int strict, int verbose, enum report_progress,
    double interval);
const char *report_reason_name(enum report_reason);
/*
 * Count one problem at file:line (line 0: none).  Returns -1 when the run
 * must stop (--strict), 0 otherwise.
 */
int report_problem(enum report_reason, const char *file, uint64_t line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An input that cannot be read at all (exit status 2). */
int report_unreadable(const char *file, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* This thread's problems go into sink (NULL: reported at once). */
void report_capture(struct report_sink *);
/*
 * This thread's line numbers from now on count from `base` lines before
 * (a chunk of a file): report_problem() adds it.  known = 0: not known
 * yet; problems are kept with their relative line until
 * report_lines_from(base, 1) is called, and report_replay() then numbers
 * them.
 */
void report_lines_from(uint64_t base, int known);
/* Report what sink kept, in order, and empty it. */
void report_replay(struct report_sink *);
/* A worker's counters into the run's (report_init()'s thread's). */
void report_add_stats(const struct report_stats *);
/* Redraw the progress line if it is due (the run's counters). */
void report_tick(void);
/* Clear the progress line and print the summary of problems. */
void report_summary(void);
uint64_t report_count(enum report_reason);
/* 0: all parsed, 1: something was skipped, 2: something was unreadable. */
int report_status(void);

#endif
