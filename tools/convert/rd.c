/* rd: input kind detection and the M-Lab 4-line state machine. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "mem.h"
#include "rd.h"
#include "report.h"
#include "warts.h"

/*
 * jansson takes 10 to 20 times a trace's text to hold it, and up to 80
 * times for hostile text such as [{},{},...]: a parse may take at most
 * RD_PARSE_FACTOR times maxdoc (and at least RD_PARSE_MIN bytes), then
 * fails as too-large instead of growing.
 */
#define RD_PARSE_FACTOR 2
#define RD_PARSE_MIN	((size_t)16 << 20)

/* Where an M-Lab file is: the line expected next. */
enum rd_state {
	RD_FREE,   /* not inside an M-Lab file */
	RD_CSTART, /* metadata seen */
	RD_TRACE,  /* cycle-start seen */
	RD_CSTOP,  /* trace seen */
	RD_DONE	   /* all four lines seen */
};

struct rd {
	rd_emit_fn emit;
	rd_warts_fn warts;
	struct sj_doc sj;	/* the last line's value */
	void *ctx;
	size_t maxdoc, maxparse;
	uint64_t file_records; /* traces handed over from this input */
	int refused;	       /* the last parse hit maxparse */
	enum rd_state st;
	int first;   /* no line with content yet in this file */
	char *uuid, *cached_uuid, *hostname, *list;
	int cached;
	int64_t cycle;
	/* a chunk of a file (-j): whether a record took the hostname, list
	 * or cycle of a cycle-start before the chunk */
	int cycle_seen, inherited;
	/* document mode: the whole file, parsed at its end */
	int doc, docover;
	char *docbuf;
	size_t doclen, doccap;
	uint64_t docline;
};

static const char *const rd_unsupported[] = {
	"ping", "tbit", "sting", "sniff", "dealias", "neighbourdisc", "host",
	"http", "udpprobe", "owamp", "tracelb-multi", NULL
};

struct rd *
rd_new(rd_emit_fn emit, void *ctx, size_t maxdoc)
{
	struct rd *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->emit = emit;
	r->ctx = ctx;
	r->maxdoc = maxdoc;
	r->maxparse = maxdoc > SIZE_MAX / RD_PARSE_FACTOR ? SIZE_MAX - 1 :
	    maxdoc * RD_PARSE_FACTOR;
	if (r->maxparse < RD_PARSE_MIN)
		r->maxparse = RD_PARSE_MIN;
	r->first = 1;
	r->cycle = -1;
	sj_doc_init(&r->sj, r->maxparse);
	return r;
}

void
rd_set_warts(struct rd *r, rd_warts_fn fn)
{
	r->warts = fn;
}

static void
rd_setstr(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? strdup(s) : NULL;
}

void
rd_free(struct rd *r)
{
	if (r == NULL)
		return;
	free(r->uuid);
	free(r->cached_uuid);
	free(r->hostname);
	free(r->list);
	free(r->docbuf);
	sj_doc_free(&r->sj);
	free(r);
}

static const char *
rd_str(const sj_t *o, const char *key)
{
	const char *s = sj_string(sj_get(o, key));

	return s != NULL ? s : "";
}

/* A line that is not what an M-Lab file expects still takes its place. */
static void
rd_skip_expected(struct rd *r)
{
	if (r->st == RD_CSTART || r->st == RD_TRACE || r->st == RD_CSTOP)
		r->st++;
}

static void
rd_forget_file(struct rd *r)
{
	rd_setstr(&r->uuid, NULL);
	rd_setstr(&r->cached_uuid, NULL);
	r->cached = 0;
}

static int
rd_metadata(struct rd *r, const sj_t *m, const char *file, uint64_t line)
{
	const char *uuid = sj_string(sj_get(m, "UUID"));
	int rc = 0;

	rd_forget_file(r);
	if (!sj_is_object(m) || uuid == NULL || *uuid == '\0')
		rc = report_problem(REPORT_BAD_METADATA, file, line,
		    "no UUID in the metadata");
	else
		rd_setstr(&r->uuid, uuid);
	if (sj_is_object(m)) {
		r->cached = sj_is_true(sj_get(m, "CachedResult"));
		rd_setstr(&r->cached_uuid, rd_str(m, "CachedUUID"));
	}
	return rc;
}

static int
rd_emit(struct rd *r, const sj_t *trace, int with_file, const char *file,
    uint64_t line, const char *source)
{
	struct rd_meta m;

	m.source = source;
	m.uuid = with_file && r->uuid != NULL ? r->uuid : "";
	m.cached = with_file ? r->cached : 0;
	m.cached_uuid = with_file && r->cached_uuid ? r->cached_uuid : "";
	m.hostname = r->hostname != NULL ? r->hostname : "";
	m.list = r->list != NULL ? r->list : "";
	m.cycle = r->cycle;
	if (!r->cycle_seen)
		r->inherited = 1;
	report_stats.records++;
	r->file_records++;
	return r->emit(r->ctx, trace, &m, file, line);
}

/* What a cycle-start says about the traces that follow it. */
static void
rd_cycle_ids(struct rd *r, const sj_t *cs)
{
	const sj_t *id = sj_get(cs, "id");

	r->cycle_seen = 1;
	rd_setstr(&r->hostname, rd_str(cs, "hostname"));
	rd_setstr(&r->list, rd_str(cs, "list_name"));
	r->cycle = sj_is_integer(id) && sj_integer(id) >= 0 ?
	    (int64_t)sj_integer(id) : -1;
}

/* {"Metadata":..,"CycleStart":..,"Trace":..,"CycleStop":..} */
static int
rd_oneobj(struct rd *r, const sj_t *o, const char *file, uint64_t line)
{
	const sj_t *t = sj_get(o, "Trace");
	const char *type;

	if (t == NULL)
		t = sj_get(o, "Tracelb");
	if (rd_metadata(r, sj_get(o, "Metadata"), file, line) == -1)
		return -1;
	rd_cycle_ids(r, sj_get(o, "CycleStart"));
	if (!sj_is_object(sj_get(o, "CycleStart")) ||
	    !sj_is_object(sj_get(o, "CycleStop"))) {
		if (report_problem(REPORT_MLAB_STRUCTURE, file, line,
		    "no CycleStart or CycleStop object") == -1)
			return -1;
	}
	type = rd_str(t, "type");
	if (strcmp(type, "trace") != 0 && strcmp(type, "tracelb") != 0)
		return report_problem(REPORT_MLAB_STRUCTURE, file, line,
		    "no Trace object");
	return rd_emit(r, t, 1, file, line, "mlab");
}

static int
rd_trace(struct rd *r, const sj_t *o, const char *file, uint64_t line)
{
	const char *why = NULL;
	int with_file = 1;

	switch (r->st) {
	case RD_FREE:
		break;
	case RD_CSTART:
		why = "trace without cycle-start";
		break;
	case RD_TRACE:
		break;
	case RD_CSTOP:
		why = "a second trace in one M-Lab file";
		with_file = 0;
		break;
	case RD_DONE:
		break;
	}
	if (r->st == RD_CSTART || r->st == RD_TRACE)
		r->st = RD_CSTOP;
	if (why != NULL &&
	    report_problem(REPORT_MLAB_STRUCTURE, file, line, "%s", why) == -1)
		return -1;
	return rd_emit(r, o, with_file, file, line,
	    r->st == RD_FREE ? "scamper" : "mlab");
}

static int
rd_cycle(struct rd *r, int start, const sj_t *o, const char *file,
    uint64_t line)
{
	if (start) {
		rd_cycle_ids(r, o);
		if (r->st == RD_CSTART) {
			r->st = RD_TRACE;
			return 0;
		}
		if (r->st == RD_FREE || r->st == RD_DONE) {
			/* raw scamper output: a cycle of any length */
			r->st = RD_FREE;
			rd_forget_file(r);
			return 0;
		}
		return report_problem(REPORT_MLAB_STRUCTURE, file, line,
		    "unexpected cycle-start");
	}
	if (r->st == RD_CSTOP || r->st == RD_FREE) {
		r->st = r->st == RD_CSTOP ? RD_DONE : RD_FREE;
		return 0;
	}
	rd_skip_expected(r);
	return report_problem(REPORT_MLAB_STRUCTURE, file, line,
	    "unexpected cycle-stop");
}

static int rd_object(struct rd *, const sj_t *, const char *, uint64_t);

/* A JSON array of objects (RIPE Atlas's API): each element in turn. */
static int
rd_array(struct rd *r, const sj_t *a, const char *file, uint64_t line)
{
	const sj_t *e;
	size_t i;

	sj_array_foreach(a, i, e)
		if (sj_is_array(e) ? report_problem(REPORT_NOT_OBJECT, file,
		    line, "an array in an array") == -1 :
		    rd_object(r, e, file, line) == -1)
			return -1;
	return 0;
}

static int
rd_object(struct rd *r, const sj_t *o, const char *file, uint64_t line)
{
	const sj_t *jt;
	const char *t;

	if (r->st == RD_DONE) {
		/* the M-Lab file is over: what follows stands alone */
		r->st = RD_FREE;
		rd_forget_file(r);
	}
	if (sj_is_array(o) && sj_is_object(sj_at(o, 0)))
		return rd_array(r, o, file, line);
	if (!sj_is_object(o)) {
		rd_skip_expected(r);
		return report_problem(REPORT_NOT_OBJECT, file, line,
		    "a JSON value that is not an object");
	}
	if ((jt = sj_get(o, "type")) == NULL) {
		if (sj_get(o, "Metadata") != NULL)
			return rd_oneobj(r, o, file, line);
		if (sj_get(o, "UUID") != NULL) {
			if (r->st != RD_FREE && r->st != RD_DONE &&
			    report_problem(REPORT_MLAB_STRUCTURE, file, line,
			    "metadata before the previous file ended") == -1)
				return -1;
			r->st = RD_CSTART;
			return rd_metadata(r, o, file, line);
		}
		rd_skip_expected(r);
		return report_problem(REPORT_UNKNOWN_TYPE, file, line,
		    "an object without \"type\"");
	}
	if ((t = sj_string(jt)) == NULL) {
		rd_skip_expected(r);
		return report_problem(REPORT_UNKNOWN_TYPE, file, line,
		    "\"type\" is not a string");
	}
	if (strcmp(t, "trace") == 0 || strcmp(t, "tracelb") == 0)
		return rd_trace(r, o, file, line);
	if (strcmp(t, "cycle-start") == 0 || strcmp(t, "cycle-stop") == 0)
		return rd_cycle(r, strcmp(t, "cycle-start") == 0, o, file,
		    line);
	if (strcmp(t, "cycle-def") == 0)
		return 0;
	if (strcmp(t, "traceroute") == 0)
		return rd_emit(r, o, 0, file, line, "atlas");
	rd_skip_expected(r);
	for (int i = 0; rd_unsupported[i] != NULL; i++)
		if (strcmp(t, rd_unsupported[i]) == 0)
			return report_problem(REPORT_UNSUPPORTED, file, line,
			    "scamper \"%s\" object", t);
	return report_problem(REPORT_UNKNOWN_TYPE, file, line,
	    "unknown type \"%.40s\"", t);
}

static int
rd_begin(void *ctx, const char *name)
{
	struct rd *r = ctx;

	r->st = RD_FREE;
	r->first = 1;
	r->doc = 0;
	r->docover = 0;
	r->doclen = 0;
	rd_forget_file(r);
	rd_setstr(&r->hostname, NULL);
	rd_setstr(&r->list, NULL);
	r->cycle = -1;
	r->cycle_seen = 1;
	r->inherited = 0;
	return 0;
}

/* Blank in a line (strchr() would take the NUL byte for one). */
static int
rd_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f';
}

static int
rd_docappend(struct rd *r, const char *p, size_t n)
{
	if (r->docover || r->doclen + n + 1 > r->maxdoc) {
		r->docover = 1;
		return 0;
	}
	if (mem_grow(&r->docbuf, &r->doccap, r->doclen + n + 1, 1) == -1) {
		r->docover = 1;
		return 0;
	}
	memcpy(r->docbuf + r->doclen, p, n);
	r->docbuf[r->doclen + n] = '\n';
	r->doclen += n + 1;
	return 0;
}

/*
 * Whether a line ends where pretty-printed JSON breaks lines (after an
 * opening bracket, a comma or a colon), rather than cut anywhere.
 */
static int
rd_opens(const char *p, size_t n)
{
	while (n > 0 && rd_space(p[n - 1]))
		n--;
	return n > 0 && strchr("{[,:", p[n - 1]) != NULL;
}

/* json_loadb() within the memory a parse may take. */
static json_t *
rd_load(struct rd *r, const char *p, size_t n, size_t flags,
    json_error_t *err)
{
	json_t *o;

	arena_cap(r->maxparse);
	o = json_loadb(p, n, flags, err);
	r->refused = o == NULL && arena_refused();
	arena_cap(SIZE_MAX);
	return o;
}

/* A parse that failed: too large, binary data or a JSON error. */
static int
rd_bad_json(struct rd *r, const char *p, const json_error_t *err,
    const char *file, uint64_t line)
{
	if (r->refused || json_error_code(err) == json_error_out_of_memory)
		return report_problem(REPORT_TOO_LARGE, file, line,
		    "a JSON value that needs more than %zu bytes to parse",
		    r->maxparse);
	if (*p == '\0')
		return report_problem(REPORT_INVALID_JSON, file, line,
		    "binary data (NUL bytes), not JSON text");
	return report_problem(REPORT_INVALID_JSON, file, line,
	    "column %d: %s", err->column, err->text);
}

static int
rd_line(void *ctx, const char *file, uint64_t line, const char *p, size_t n)
{
	struct rd *r = ctx;
	json_error_t err;
	const sj_t *o;
	size_t i;

	if (r->doc)
		return rd_docappend(r, p, n);
	for (i = 0; i < n && rd_space(p[i]); i++)
		;
	if (i == n) {
		if (r->st == RD_FREE)
			return 0;
		return report_problem(REPORT_MLAB_STRUCTURE, file, line,
		    "blank line in or after an M-Lab file");
	}
	o = sj_parse(&r->sj, p, n, &err, &r->refused);
	if (o == NULL) {
		if (r->first && rd_opens(p, n) && !r->refused &&
		    json_error_code(&err) == json_error_premature_end_of_input) {
			/* Pretty-printed JSON: read the file whole. */
			r->doc = 1;
			r->docline = line;
			return rd_docappend(r, p, n);
		}
		r->first = 0;
		rd_skip_expected(r);
		return rd_bad_json(r, p + i, &err, file, line);
	}
	r->first = 0;
	return rd_object(r, o, file, line);
}

/* Document mode: one or more JSON values spread over lines. */
static int
rd_doc(struct rd *r, const char *file)
{
	size_t off = 0;
	uint64_t line = r->docline;

	if (r->docover)
		return report_problem(REPORT_LINE_TOO_LONG, file, r->docline,
		    "a multi-line JSON document longer than %zu bytes",
		    r->maxdoc);
	for (;;) {
		json_error_t err;
		const sj_t *root;
		json_t *o;
		int rc;

		while (off < r->doclen &&
		    (rd_space(r->docbuf[off]) ||
		    r->docbuf[off] == '\n')) {
			if (r->docbuf[off] == '\n')
				line++;
			off++;
		}
		if (off == r->doclen)
			return 0;
		arena_begin();
		o = rd_load(r, r->docbuf + off, r->doclen - off,
		    JSON_DISABLE_EOF_CHECK, &err);
		if (o == NULL) {
			const char *nl;

			arena_end();
			if (rd_bad_json(r, r->docbuf + off, &err, file,
			    line + (uint64_t)(err.line > 0 ? err.line - 1 : 0)) ==
			    -1)
				return -1;
			/* a JSON-lines file whose first line is cut: go on
			 * from the next line */
			nl = memchr(r->docbuf + off, '\n', r->doclen - off);
			if (nl == NULL)
				return 0;
			off = (size_t)(nl - r->docbuf) + 1;
			line++;
			continue;
		}
		/* the tree holds what the rest needs: jansson's value goes */
		root = sj_from_jansson(&r->sj, o);
		json_decref(o);
		arena_end();
		if (root == NULL)
			rc = report_problem(REPORT_TOO_LARGE, file, line,
			    "a JSON value that needs more than %zu bytes to "
			    "parse", r->maxparse);
		else
			rc = rd_object(r, root, file, line);
		if (rc == -1)
			return -1;
		for (size_t k = 0; k < (size_t)err.position; k++)
			if (r->docbuf[off + k] == '\n')
				line++;
		off += err.position;
	}
}

static int
rd_end(void *ctx, const char *file, uint64_t lines, int truncated)
{
	struct rd *r = ctx;
	int rc = 0;

	if (r->doc && !truncated)
		rc = rd_doc(r, file);
	if (rc == 0 && !truncated && r->st != RD_FREE && r->st != RD_DONE)
		rc = report_problem(REPORT_MLAB_STRUCTURE, file, lines,
		    "the M-Lab file ends early (%s missing)",
		    r->st == RD_CSTART ? "cycle-start, trace, cycle-stop" :
		    r->st == RD_TRACE ? "trace, cycle-stop" : "cycle-stop");
	r->st = RD_FREE;
	r->doc = 0;
	r->doclen = 0;
	return rc;
}

/* Every input that gave no trace is said so: an empty or foreign file
 * must not pass for a file of zero traces. */
static int
rd_file_end(void *ctx, const char *file, uint64_t members, uint64_t bytes)
{
	struct rd *r = ctx;
	uint64_t n = r->file_records;

	r->file_records = 0;
	if (n > 0)
		return 0;
	if (bytes == 0)
		return report_problem(REPORT_NO_TRACE, file, 0,
		    "no trace (no data%s)", members > 1 ? " in its members" :
		    "");
	if (members > 1)
		return report_problem(REPORT_NO_TRACE, file, 0,
		    "no trace in %llu members, %llu bytes",
		    (unsigned long long)members, (unsigned long long)bytes);
	return report_problem(REPORT_NO_TRACE, file, 0,
	    "no trace in %llu bytes", (unsigned long long)bytes);
}

/* One warts trace: its list and cycle come with it. */
static int
rd_warts_emit(void *ctx, int type, const void *obj, const char *file,
    uint64_t recno)
{
	struct rd *r = ctx;
	struct rd_meta m;

	warts_meta(type, obj, &m);
	report_stats.records++;
	r->file_records++;
	return r->warts(r->ctx, type, obj, &m, file, recno);
}

static int
rd_warts(void *ctx, const char *name, struct in_stream *s)
{
	struct rd *r = ctx;

	if (r->warts == NULL)
		return report_problem(REPORT_UNSUPPORTED, name, 0,
		    "a warts file, where only JSON is read");
	return warts_run(s, name, r->maxdoc, rd_warts_emit, r);
}

/* --- chunks of a file read by several -j workers ------------------------ */

int
rd_save(const struct rd *r, struct rd_carry *c)
{
	memset(c, 0, sizeof(*c));
	c->st = (int)r->st;
	c->first = r->first;
	c->cached = r->cached;
	c->cycle = r->cycle;
	c->doc = r->doc;
	c->docover = r->docover;
	c->docline = r->docline;
	c->records = r->file_records;
	if ((r->uuid && (c->uuid = strdup(r->uuid)) == NULL) ||
	    (r->cached_uuid && (c->cached_uuid = strdup(r->cached_uuid)) ==
	    NULL) || (r->hostname && (c->hostname = strdup(r->hostname)) ==
	    NULL) || (r->list && (c->list = strdup(r->list)) == NULL))
		goto fail;
	if (r->doclen > 0) {
		if ((c->docbuf = malloc(r->doclen)) == NULL)
			goto fail;
		memcpy(c->docbuf, r->docbuf, r->doclen);
		c->doclen = r->doclen;
	}
	return 0;
fail:
	rd_carry_free(c);
	return -1;
}

int
rd_restore(struct rd *r, const struct rd_carry *c)
{
	r->st = (enum rd_state)c->st;
	r->first = c->first;
	r->cached = c->cached;
	r->cycle = c->cycle;
	r->doc = c->doc;
	r->docover = c->docover;
	r->docline = c->docline;
	r->file_records = c->records;
	rd_setstr(&r->uuid, c->uuid);
	rd_setstr(&r->cached_uuid, c->cached_uuid);
	rd_setstr(&r->hostname, c->hostname);
	rd_setstr(&r->list, c->list);
	r->doclen = 0;
	if (c->doclen > 0) {
		if (mem_grow(&r->docbuf, &r->doccap, c->doclen, 1) == -1)
			return -1;
		memcpy(r->docbuf, c->docbuf, c->doclen);
		r->doclen = c->doclen;
	}
	r->cycle_seen = 1;
	r->inherited = 0;
	return 0;
}

void
rd_carry_free(struct rd_carry *c)
{
	free(c->uuid);
	free(c->cached_uuid);
	free(c->hostname);
	free(c->list);
	free(c->docbuf);
	memset(c, 0, sizeof(*c));
}

void
rd_chunk_begin(struct rd *r, int first)
{
	r->file_records = 0;
	if (first == -1)	/* restored: reads on from there */
		return;
	rd_begin(r, NULL);
	if (first)
		return;
	r->first = 0;
	r->cycle_seen = 0;
	r->inherited = 0;
}

int
rd_chunk_valid(const struct rd *r, const struct rd_carry *before)
{
	if (r->inherited || before->doc)
		return 0;
	return before->st == RD_DONE || (before->st == RD_FREE &&
	    before->uuid == NULL && before->cached_uuid == NULL &&
	    !before->cached);
}

int
rd_file_done(struct rd *r, const char *file, uint64_t bytes,
    uint64_t records)
{
	r->file_records = records;
	return rd_file_end(r, file, 1, bytes);
}

const struct in_ops rd_in_ops = {
	.begin = rd_begin,
	.line = rd_line,
	.warts = rd_warts,
	.end = rd_end,
	.file_end = rd_file_end,
};
