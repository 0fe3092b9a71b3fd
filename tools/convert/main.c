/*
 * hoplite-convert: traceroute collections (hoplite, M-Lab, scamper JSON,
 * RIPE Atlas) into datasets for topology research.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "util/arena.h"
#include "fmt.h"
#include "in.h"
#include "util/log.h"
#include "merge.h"
#include "par.h"
#include "pfx2as.h"
#include "rd.h"
#include "rec.h"
#include "report.h"
#include "schema.h"
#include "sj.h"

#define MAX_OUTS 16
#define EXIT_USAGE 2

struct conv {
	struct fmt_ctx outs[MAX_OUTS];
	int nouts;
	unsigned aggs;	/* AGG_* tables the outputs need */
	struct agg *agg;
	struct rec rec;
	struct rec_opts opts;
	const char *schema, *pfx2as;
	const char *ddl;	/* --schema sqlite|duckdb|bigquery */
	size_t maxline;
	double progress;	/* seconds between progress lines (no tty) */
	int strict, verbose, quiet, merge;
	int jobs;		/* -j: worker threads */
	int worker;		/* this is a -j worker's copy */
	const struct par_in *cur; /* a worker's input */
	/* -j, the run's: the state the last chunk of a file left, and the
	 * records of the file's chunks so far */
	struct rd_carry carry;
	uint64_t file_recs;
};

/* A -j worker: the run's settings, its own record, rows and tables. */
struct conv_w {
	struct conv c;
	struct conv *run;
	struct rd *rd;
	struct rd_carry exit;	/* the state its chunk left */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hoplite-convert [-f format [-o path]]... [--dsts path] "
	    "[--ndjson-schema path]\n"
	    "           [--pfx2as file] [--anonymize netblock] [--strict] "
	    "[--max-line bytes]\n"
	    "           [--progress seconds] [-j jobs] [-qv] file ...\n"
	    "       hoplite-convert --schema sqlite|duckdb|bigquery\n"
	    "       hoplite-convert merge [-f format [-o path]]... "
	    "[--dsts path] table ...\n"
	    "       hoplite-convert --version | --help\n"
	    "formats: %s\n", fmt_names());
}

/* Every record: the per-record outputs, then the aggregates. */
static int
conv_rec(struct conv *c, int rc, const char *err, const char *file,
    uint64_t line)
{
	struct rec *r = &c->rec;

	if (rc == -1)
		return report_problem(r->too_large ? REPORT_TOO_LARGE :
		    REPORT_BAD_TRACE, file, line, "%s", err);
	if (r->bad_hops > 0 && report_problem(REPORT_BAD_HOP, file, line,
	    "%zu skipped; %s", r->bad_hops, r->bad_hop_why) == -1)
		return -1;
	if (r->bad_nodes > 0 && report_problem(REPORT_BAD_NODE, file, line,
	    "%zu skipped; %s", r->bad_nodes, r->bad_node_why) == -1)
		return -1;
	for (int i = 0; i < c->nouts; i++)
		if (c->outs[i].ops->record != NULL &&
		    c->outs[i].ops->record(&c->outs[i], r) == -1)
			return -1;
	if (c->agg != NULL && agg_add_rec(c->agg, r) == -1) {
		log_warnx("out of memory building the aggregates");
		return -1;
	}
	/* a chunk after a file's first may have to be read again: it
	 * keeps its rows until its turn */
	if (c->worker && c->cur->chunk <= 1) {
		size_t kept = 0;

		for (int i = 0; i < c->nouts; i++)
			kept += c->outs[i].out.mlen;
		return par_check(kept);
	}
	return 0;
}

static int
conv_emit(void *ctx, const sj_t *t, const struct rd_meta *meta,
    const char *file, uint64_t line)
{
	struct conv *c = ctx;
	char err[128];
	int rc = rec_parse(&c->rec, t, meta, &c->opts, err, sizeof(err));

	return conv_rec(c, rc, err, file, line);
}

static int
conv_warts(void *ctx, int type, const void *obj, const struct rd_meta *meta,
    const char *file, uint64_t recno)
{
	struct conv *c = ctx;
	char err[128];
	int rc = rec_warts(&c->rec, type, obj, meta, &c->opts, err,
	    sizeof(err));

	return conv_rec(c, rc, err, file, recno);
}

static int
add_out(struct conv *c, const char *name)
{
	const struct fmt_ops *ops = fmt_find(name);

	if (ops == NULL) {
		log_warnx("unknown format \"%s\" (formats: %s)", name,
		    fmt_names());
		return -1;
	}
	if (c->nouts == MAX_OUTS) {
		log_warnx("at most %d outputs", MAX_OUTS);
		return -1;
	}
	memset(&c->outs[c->nouts], 0, sizeof(c->outs[0]));
	c->outs[c->nouts].ops = ops;
	c->aggs |= ops->agg;
	c->nouts++;
	return 0;
}

/* -o goes with the -f before it (or, before any -f, with the first). */
static int
set_path(struct conv *c, const char *path, int pending)
{
	int i = c->nouts > 0 ? c->nouts - 1 : 0;

	if (c->nouts == 0 && pending) {
		log_warnx("-o given twice before any -f");
		return -1;
	}
	if (c->nouts > 0 && c->outs[i].path != NULL) {
		log_warnx("-o given twice for -f %s", c->outs[i].ops->name);
		return -1;
	}
	if (c->nouts > 0)
		c->outs[i].path = path;
	return 0;
}

static int
parse_size(const char *s, size_t *v)
{
	char *end;
	unsigned long long u;

	errno = 0;
	u = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || u < 1024 ||
	    u > (1ULL << 34)) {
		log_warnx("--max-line: a number of bytes from 1024 to %llu",
		    1ULL << 34);
		return -1;
	}
	*v = (size_t)u;
	return 0;
}

static int
parse_seconds(const char *s, double *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(d >= 0) ||
	    d > 86400) {
		log_warnx("--progress: seconds from 0 to 86400");
		return -1;
	}
	*v = d;
	return 0;
}

static int
parse_jobs(const char *s, int *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 1 || n > 256) {
		log_warnx("-j: a number of threads from 1 to 256");
		return -1;
	}
	*v = (int)n;
	return 0;
}

static int
parse_args(struct conv *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "dsts", required_argument, NULL, 'D' },
		{ "schema", required_argument, NULL, 'S' },
		{ "ndjson-schema", required_argument, NULL, 'N' },
		{ "pfx2as", required_argument, NULL, 'P' },
		{ "anonymize", required_argument, NULL, 'A' },
		{ "strict", no_argument, NULL, 's' },
		{ "max-line", required_argument, NULL, 'M' },
		{ "progress", required_argument, NULL, 'p' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *early_o = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:o:j:qvVh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'f':
			if (add_out(c, optarg) == -1)
				return -1;
			if (early_o != NULL && c->nouts == 1) {
				c->outs[0].path = early_o;
				early_o = NULL;
			}
			break;
		case 'o':
			if (set_path(c, optarg, early_o != NULL) == -1)
				return -1;
			if (c->nouts == 0)
				early_o = optarg;
			break;
		case 'D':
			if (add_out(c, "dsts") == -1)
				return -1;
			c->outs[c->nouts - 1].path = optarg;
			break;
		case 'S':
			/* a dialect; anything else is the old spelling of
			 * --ndjson-schema PATH */
			if (schema_known(optarg))
				c->ddl = optarg;
			else
				c->schema = optarg;
			break;
		case 'N':
			c->schema = optarg;
			break;
		case 'P':
			c->pfx2as = optarg;
			break;
		case 'A':
			if (strcmp(optarg, "netblock") == 0)
				c->opts.anonymize = 1;
			else if (strcmp(optarg, "none") == 0)
				c->opts.anonymize = 0;
			else {
				log_warnx("--anonymize: netblock or none");
				return -1;
			}
			break;
		case 's':
			c->strict = 1;
			break;
		case 'M':
			if (parse_size(optarg, &c->maxline) == -1)
				return -1;
			break;
		case 'p':
			if (parse_seconds(optarg, &c->progress) == -1)
				return -1;
			break;
		case 'j':
			if (parse_jobs(optarg, &c->jobs) == -1)
				return -1;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'v':
			c->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("hoplite-convert %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			return -1;
		}
	}
	if (early_o != NULL) {
		log_warnx("-o without -f");
		return -1;
	}
	return 0;
}

/* Formats that fit the command, and at most one of them on stdout. */
static int
check_outs(struct conv *c, int ninputs)
{
	int on_stdout = 0;

	if (c->ddl != NULL) {
		if (c->nouts > 0 || ninputs > 0 || c->schema != NULL) {
			log_warnx("--schema %s takes no format, input or "
			    "other schema", c->ddl);
			return -1;
		}
		return 0;
	}
	if (c->nouts == 0 && c->schema == NULL) {
		log_warnx("no output format (-f)");
		return -1;
	}
	if (ninputs == 0 && c->nouts > 0) {
		log_warnx("no input (a file, a directory or - for stdin)");
		return -1;
	}
	for (int i = 0; i < c->nouts; i++) {
		const struct fmt_ops *ops = c->outs[i].ops;

		if (c->merge && ops->agg == 0) {
			log_warnx("merge writes aggregate formats only, not %s",
			    ops->name);
			return -1;
		}
		if (ops->own_files && c->outs[i].path == NULL) {
			log_warnx("-f %s needs -o PATH (it writes "
			    "PATH.nodes and PATH.links)", ops->name);
			return -1;
		}
		if (!ops->own_files && (c->outs[i].path == NULL ||
		    strcmp(c->outs[i].path, "-") == 0) && on_stdout++) {
			log_warnx("only one output can go to stdout");
			return -1;
		}
	}
	if (c->merge && c->pfx2as != NULL) {
		log_warnx("merge takes no --pfx2as; the tables have their AS");
		return -1;
	}
	if ((c->aggs & AGG_ASLINKS) && !c->merge && c->pfx2as == NULL) {
		log_warnx("-f aslinks needs --pfx2as");
		return -1;
	}
	return 0;
}

static int
open_outs(struct conv *c)
{
	for (int i = 0; i < c->nouts; i++) {
		struct fmt_ctx *f = &c->outs[i];

		if (f->ops->own_files)
			continue;
		if (out_open(&f->out, f->path) == -1) {
			log_warn("%s", f->path);
			return -1;
		}
		if (f->ops->begin != NULL && f->ops->begin(f) == -1)
			return -1;
	}
	return 0;
}

/* Aggregates, then every output closed; -1 when one could not be
 * written. */
static int
close_outs(struct conv *c, int finish)
{
	int rc = 0;

	for (int i = 0; i < c->nouts; i++) {
		struct fmt_ctx *f = &c->outs[i];
		const char *name = f->path ? f->path : "stdout";

		if (finish && f->ops->end != NULL && f->ops->end(f, c->agg) ==
		    -1) {
			log_warn("%s", name);
			rc = -1;
		}
		if (!f->ops->own_files && out_close(&f->out) == -1) {
			log_warn("%s", name);
			rc = -1;
		}
	}
	return rc;
}

static void
conv_w_free(void *arg)
{
	struct conv_w *w = arg;

	if (w == NULL)
		return;
	for (int i = 0; i < w->c.nouts; i++)
		if (w->c.outs[i].ops->record != NULL)
			out_close(&w->c.outs[i].out);
	rec_free(&w->c.rec);
	agg_free(w->c.agg);
	rd_free(w->rd);
	rd_carry_free(&w->exit);
	free(w);
}

static void *
conv_w_new(void *ctx)
{
	struct conv *run = ctx;
	struct conv_w *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->c = *run;
	w->run = run;
	w->c.worker = 1;
	rec_init(&w->c.rec);
	w->c.agg = NULL;
	for (int i = 0; i < w->c.nouts; i++) {
		memset(&w->c.outs[i].out, 0, sizeof(w->c.outs[i].out));
		if (w->c.outs[i].ops->record != NULL &&
		    out_open_mem(&w->c.outs[i].out) == -1)
			goto fail;
	}
	if ((run->aggs != 0 && (w->c.agg = agg_new(run->aggs)) == NULL) ||
	    (w->rd = rd_new(conv_emit, &w->c, run->maxline)) == NULL)
		goto fail;
	rd_set_warts(w->rd, conv_warts);
	return w;
fail:
	conv_w_free(w);
	return NULL;
}

/* A chunk of a file, from the state rd is in. */
static int
conv_w_chunk(struct conv_w *w, const struct par_in *in)
{
	struct in_range rg = { in->off, in->len, in->chunk == 1, in->last };
	int rc;

	rc = in_run_range(in->path, &rg, &rd_in_ops, w->rd, w->c.maxline);
	rd_carry_free(&w->exit);
	if (rd_save(w->rd, &w->exit) == -1) {
		log_warnx("out of memory");
		return -1;
	}
	/* a document still open: its first line counted from the next
	 * chunk's first (modulo 2^64), as the next chunk numbers its lines */
	w->exit.docline -= report_stats.lines;
	return rc;
}

static int
conv_w_input(void *arg, const struct par_in *in)
{
	struct conv_w *w = arg;

	w->c.cur = in;
	/* the input with the turn writes as it reads */
	if (in->chunk <= 1 && par_check(0) == -1)
		return -1;
	if (in->chunk == 0)
		return in_run(in->path, &rd_in_ops, w->rd, w->c.maxline);
	rd_chunk_begin(w->rd, in->chunk == 1);
	return conv_w_chunk(w, in);
}

static void conv_w_drop(void *);

static int
conv_w_turn(void *arg)
{
	struct conv_w *w = arg;
	int redo = w->c.cur->chunk > 1 &&
	    !rd_chunk_valid(w->rd, &w->run->carry);

	if (redo)
		conv_w_drop(w);
	for (int i = 0; i < w->c.nouts; i++)
		if (w->c.outs[i].ops->record != NULL)
			out_forward(&w->c.outs[i].out, &w->run->outs[i].out);
	return redo;
}

/* The chunk again, from the state the chunk before left. */
static int
conv_w_redo(void *arg, const struct par_in *in)
{
	struct conv_w *w = arg;

	if (rd_restore(w->rd, &w->run->carry) == -1) {
		log_warnx("out of memory");
		return -1;
	}
	rd_chunk_begin(w->rd, -1);
	return conv_w_chunk(w, in);
}

static int
conv_w_done(void *arg)
{
	struct conv_w *w = arg;
	const struct par_in *in = w->c.cur;
	int rc = 0;

	for (int i = 0; i < w->c.nouts; i++) {
		struct out *o = &w->c.outs[i].out;

		if (w->c.outs[i].ops->record == NULL)
			continue;
		out_flush(o);
		o->fwd = NULL;
		o->mlen = 0;
		if (o->err != 0)
			rc = -1;
	}
	if (w->c.agg != NULL) {
		if (agg_merge_agg(w->run->agg, w->c.agg) == -1) {
			log_warnx("out of memory building the aggregates");
			rc = -1;
		}
		agg_free(w->c.agg);
		if ((w->c.agg = agg_new(w->run->aggs)) == NULL)
			rc = -1;
	}
	if (in->chunk > 0) {
		/* the next chunk reads on from here */
		w->run->file_recs += w->exit.records;
		rd_carry_free(&w->run->carry);
		w->run->carry = w->exit;
		memset(&w->exit, 0, sizeof(w->exit));
		if (in->last) {
			if (rd_file_done(w->rd, in->path, in->fsize,
			    w->run->file_recs) == -1)
				rc = -1;
			w->run->file_recs = 0;
			rd_carry_free(&w->run->carry);
		}
	}
	return rc;
}

static void
conv_w_drop(void *arg)
{
	struct conv_w *w = arg;

	for (int i = 0; i < w->c.nouts; i++) {
		w->c.outs[i].out.len = w->c.outs[i].out.mlen = 0;
		w->c.outs[i].out.fwd = NULL;
	}
	agg_free(w->c.agg);
	w->c.agg = w->run->aggs != 0 ? agg_new(w->run->aggs) : NULL;
}

static const struct par_ops conv_par = {
	.drop = conv_w_drop,
	.worker_new = conv_w_new,
	.worker_free = conv_w_free,
	.input = conv_w_input,
	.turn = conv_w_turn,
	.redo = conv_w_redo,
	.thread_exit = arena_release,	/* the thread's jansson chunks */
	.done = conv_w_done,
};

static int
run(struct conv *c, int argc, char **argv)
{
	struct rd *rd = NULL;
	struct merge *m = NULL;
	char err[160];
	int stopped = 0, rc = 0;

	if (c->aggs != 0 && (c->agg = agg_new(c->aggs)) == NULL)
		return -1;
	if (c->merge) {
		if ((m = merge_new(c->agg)) == NULL)
			return -1;
	} else if (c->jobs > 1 &&
	    (rc = par_run(c->jobs, argv, argc, &conv_par, c)) != 1) {
		/* -j: rows and problems in the order of one thread */
		stopped = rc == -1;
		rc = 0;
		argc = 0;
	} else if ((rd = rd_new(conv_emit, c, c->maxline)) != NULL)
		rd_set_warts(rd, conv_warts);
	if (!c->merge && argc > 0 && rd == NULL)
		return -1;
	for (int i = 0; i < argc && !stopped; i++)
		stopped = in_run(argv[i], c->merge ? &merge_in_ops :
		    &rd_in_ops, c->merge ? (void *)m : (void *)rd,
		    c->maxline) == -1;
	if (m != NULL && !stopped && merge_check(m, c->aggs, err,
	    sizeof(err)) == -1) {
		log_warnx("merge: %s", err);
		rc = -1;
		stopped = 1;
	}
	if (close_outs(c, !stopped) == -1)
		rc = -1;
	rd_free(rd);
	merge_free(m);
	return rc;
}

/* What the inputs hold as stored, for the percentage; 0: unknown. */
static uint64_t
inputs_size(int argc, char **argv)
{
	uint64_t total = 0, n;

	for (int i = 0; i < argc; i++) {
		if (in_size(argv[i], &n) == -1)
			return 0;
		total += n;
	}
	return total;
}

/* This program's peak resident memory (Linux), or -1. */
static long
peak_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	struct conv c;
	int status;

	memset(&c, 0, sizeof(c));
	c.maxline = 256u << 20;
	c.progress = 30;
	c.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	log_init("hoplite-convert", 0, 0);
	if (argc > 1 && strcmp(argv[1], "merge") == 0) {
		c.merge = 1;
		argc--;
		argv++;
	}
	if (parse_args(&c, argc, argv) == -1 ||
	    check_outs(&c, argc - optind) == -1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	/* --strict stops at the first problem: one thread finds it first */
	if (c.strict || c.jobs < 1)
		c.jobs = 1;
	if (c.ddl != NULL) {
		if (schema_write(stdout, c.ddl) == -1 || fflush(stdout) == EOF) {
			log_warn("stdout");
			return EXIT_USAGE;
		}
		return 0;
	}
	report_init(c.strict, c.verbose, c.quiet ? REPORT_PROGRESS_OFF :
	    isatty(STDERR_FILENO) ? REPORT_PROGRESS_TTY : REPORT_PROGRESS_LINES,
	    c.progress);
	if (!c.quiet && !c.merge)
		report_stats.in_total = inputs_size(argc, argv);
	arena_install();
	sj_init();
	rec_init(&c.rec);

	if (c.schema != NULL && fmt_ndjson_schema(c.schema) == -1) {
		log_warn("%s", c.schema);
		return EXIT_USAGE;
	}
	if (c.pfx2as != NULL &&
	    (c.opts.pfx = pfx2as_load(c.pfx2as)) == NULL) {
		report_summary();
		log_warnx("%s: cannot use this --pfx2as file", c.pfx2as);
		return EXIT_USAGE;
	}
	report_stats.in_done = 0;	/* the inputs', not --pfx2as's */
	if (open_outs(&c) == -1 || run(&c, argc, argv) == -1)
		status = EXIT_USAGE;
	else
		status = report_status();
	if (!c.quiet || status != 0)
		report_summary();
	if (c.verbose)
		log_warnx("%llu files, %llu members, %llu traces, %llu bytes, "
		    "peak memory %ld kB",
		    (unsigned long long)report_stats.files,
		    (unsigned long long)report_stats.entries,
		    (unsigned long long)report_stats.records,
		    (unsigned long long)report_stats.bytes, peak_kb());
	rec_free(&c.rec);
	agg_free(c.agg);
	pfx2as_free((struct pfx2as *)c.opts.pfx);
	arena_release();
	return status;
}
