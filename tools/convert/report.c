/* report: problem counts, summary, exit status and the progress line. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "mem.h"
#include "report.h"

#define REPORT_KEEP 5 /* places kept per reason for the summary */

struct reason {
	const char *name;
	int loud;	/* printed as it happens, even without -v */
	uint64_t count;
	char *where[REPORT_KEEP];
};

static struct reason reasons[REPORT_NREASONS] = {
	[REPORT_READ_ERROR] = { .name = "read-error" },
	[REPORT_LINE_TOO_LONG] = { .name = "line-too-long" },
	[REPORT_TOO_LARGE] = { .name = "too-large" },
	[REPORT_INVALID_JSON] = { .name = "invalid-json" },
	[REPORT_BAD_WARTS] = { .name = "bad-warts" },
	[REPORT_NOT_OBJECT] = { .name = "not-object" },
	[REPORT_UNKNOWN_TYPE] = { .name = "unknown-type" },
	[REPORT_UNSUPPORTED] = { .name = "unsupported-type" },
	[REPORT_BAD_METADATA] = { .name = "bad-metadata" },
	[REPORT_MLAB_STRUCTURE] = { .name = "mlab-structure" },
	[REPORT_BAD_TRACE] = { .name = "bad-trace" },
	[REPORT_BAD_HOP] = { .name = "bad-hop" },
	[REPORT_BAD_NODE] = { .name = "bad-node" },
	[REPORT_BAD_PFX2AS] = { .name = "bad-pfx2as" },
	[REPORT_BAD_CSV] = { .name = "bad-csv" },
	[REPORT_NO_TRACE] = { .name = "no-trace", .loud = 1 },
};

_Thread_local struct report_stats report_stats;
static struct report_stats *run_stats;	/* report_init()'s thread's */
static _Thread_local struct report_sink *sink;
static _Thread_local uint64_t line_base;	/* report_lines_from() */
static _Thread_local int line_unknown;

static int strict, verbose, drawn, unreadable;
static enum report_progress progress;
static double interval;
static struct timespec t0, tlast;

void
report_init(int s, int v, enum report_progress p, double iv)
{
	strict = s;
	verbose = v;
	run_stats = &report_stats;
	progress = p;
	interval = p == REPORT_PROGRESS_TTY ? 0.25 : iv;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tlast = t0;
	/* a terminal sees the line from the first block on, however short
	 * the run */
	if (p == REPORT_PROGRESS_TTY)
		tlast.tv_sec -= 1;
}

const char *
report_reason_name(enum report_reason r)
{
	return reasons[r].name;
}

static void
report_clear(void)
{
	if (drawn) {
		fputs("\r\033[K", stderr);
		drawn = 0;
	}
}

/* One problem, its place and message in w (taken). */
static int
report_count_one(enum report_reason r, char *w, const char *msg)
{
	struct reason *rs = &reasons[r];

	if (verbose || strict || rs->loud) {
		report_clear();
		log_warnx("%s: %s", w ? w : msg, rs->name);
	}
	if (rs->count < REPORT_KEEP)
		rs->where[rs->count] = w;
	else
		free(w);
	rs->count++;
	return strict ? -1 : 0;
}

static int
report_keep(int r, char *text, const char *file, uint64_t line)
{
	char *f = NULL;

	if (text == NULL || (file != NULL && (f = strdup(file)) == NULL) ||
	    mem_grow(&sink->ev, &sink->cap, sink->n + 1,
	    sizeof(*sink->ev)) == -1) {
		free(text);
		free(f);
		return 0;
	}
	sink->ev[sink->n].reason = r;
	sink->ev[sink->n].text = text;
	sink->ev[sink->n].file = f;
	sink->ev[sink->n].line = line;
	sink->n++;
	return 0;
}

void
report_lines_from(uint64_t base, int known)
{
	line_base = base;
	line_unknown = !known;
}

int
report_problem(enum report_reason r, const char *file, uint64_t line,
    const char *fmt, ...)
{
	char msg[512], *w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0 && sink != NULL && line_unknown)
		return report_keep((int)r, strdup(msg), file, line);
	if (line > 0) {
		if (asprintf(&w, "%s:%llu: %s", file,
		    (unsigned long long)(line_base + line), msg) == -1)
			w = NULL;
	} else if (asprintf(&w, "%s: %s", file, msg) == -1)
		w = NULL;
	if (sink != NULL)
		return report_keep((int)r, w != NULL ? w : strdup(msg), NULL,
		    0);
	return report_count_one(r, w, msg);
}

static int
report_unreadable_one(const char *text)
{
	report_clear();
	log_warnx("%s", text);
	unreadable = 1;
	return strict ? -1 : 0;
}

int
report_unreadable(const char *file, const char *fmt, ...)
{
	char msg[512], *w;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&w, "%s: %s", file, msg) == -1)
		w = NULL;
	if (sink != NULL)
		return report_keep(-1, w, NULL, 0);
	rc = report_unreadable_one(w != NULL ? w : msg);
	free(w);
	return rc;
}

void
report_capture(struct report_sink *s)
{
	sink = s;
}

void
report_replay(struct report_sink *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->ev[i].file != NULL) {
			/* numbered now that its chunk's first line is known */
			char *w;

			if (asprintf(&w, "%s:%llu: %s", s->ev[i].file,
			    (unsigned long long)(line_base + s->ev[i].line),
			    s->ev[i].text) != -1) {
				free(s->ev[i].text);
				s->ev[i].text = w;
			}
			free(s->ev[i].file);
			s->ev[i].file = NULL;
		}
		if (s->ev[i].reason == -1) {
			report_unreadable_one(s->ev[i].text);
			free(s->ev[i].text);
		} else
			report_count_one((enum report_reason)s->ev[i].reason,
			    s->ev[i].text, s->ev[i].text);
	}
	s->n = 0;
}

void
report_add_stats(const struct report_stats *w)
{
	run_stats->files += w->files;
	run_stats->entries += w->entries;
	run_stats->records += w->records;
	run_stats->lines += w->lines;
	run_stats->bytes += w->bytes;
	run_stats->in_done += w->in_done;
}

static double
since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* " 42% of 1.2 GB, ETA 3m20s" from the stored (compressed) bytes. */
static void
report_eta(const struct report_stats *st, char *buf, size_t len, double el)
{
	uint64_t done = st->in_done, total = st->in_total;
	double left;

	buf[0] = '\0';
	if (total == 0)
		return;
	if (done > total)
		done = total;
	if (done == 0 || el <= 0) {
		snprintf(buf, len, ", 0%% of %.1f MB", (double)total / 1e6);
		return;
	}
	left = el * (double)(total - done) / (double)done;
	snprintf(buf, len, ", %.0f%% of %.1f MB, ETA %dm%02ds",
	    floor(100.0 * (double)done / (double)total), (double)total / 1e6,
	    (int)(left / 60), (int)left % 60);
}

void
report_tick(void)
{
	struct timespec now;
	char eta[96];
	double el;

	struct report_stats st;

	/* the run's counters, and a -j worker's whose input has the turn */
	if (progress == REPORT_PROGRESS_OFF || run_stats == NULL ||
	    (&report_stats != run_stats && sink != NULL))
		return;
	st = *run_stats;
	if (&report_stats != run_stats) {
		st.entries += report_stats.entries;
		st.records += report_stats.records;
		st.bytes += report_stats.bytes;
		st.in_done += report_stats.in_done;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&tlast, &now) < interval)
		return;
	tlast = now;
	el = since(&t0, &now);
	report_eta(&st, eta, sizeof(eta), el);
	fprintf(stderr, "%s%llu files, %llu traces, %.1f MB, %.1f MB/s%s%s",
	    progress == REPORT_PROGRESS_TTY ? "\r\033[K" : "hoplite-convert: ",
	    (unsigned long long)st.entries, (unsigned long long)st.records,
	    (double)st.bytes / 1e6,
	    el > 0 ? (double)st.bytes / 1e6 / el : 0.0, eta,
	    progress == REPORT_PROGRESS_TTY ? "" : "\n");
	drawn = progress == REPORT_PROGRESS_TTY;
}

void
report_summary(void)
{
	uint64_t total = 0;

	report_clear();
	for (int r = 0; r < REPORT_NREASONS; r++)
		total += reasons[r].count;
	if (total == 0)
		return;
	log_warnx("%llu problems; skipped input, per reason:",
	    (unsigned long long)total);
	for (int r = 0; r < REPORT_NREASONS; r++) {
		struct reason *rs = &reasons[r];

		if (rs->count == 0)
			continue;
		fprintf(stderr, "  %-16s %llu\n", rs->name,
		    (unsigned long long)rs->count);
		for (uint64_t i = 0; i < rs->count && i < REPORT_KEEP; i++)
			if (rs->where[i] != NULL) {
				fprintf(stderr, "    %s\n", rs->where[i]);
				free(rs->where[i]);
				rs->where[i] = NULL;
			}
		if (rs->count > REPORT_KEEP)
			fprintf(stderr, "    ... and %llu more\n",
			    (unsigned long long)(rs->count - REPORT_KEEP));
	}
}

uint64_t
report_count(enum report_reason r)
{
	return reasons[r].count;
}

int
report_status(void)
{
	if (unreadable)
		return 2;
	for (int r = 0; r < REPORT_NREASONS; r++)
		if (reasons[r].count > 0)
			return 1;
	return 0;
}
