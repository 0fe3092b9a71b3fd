/* par: worker threads that read the inputs and take turns to write. */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "par.h"
#include "report.h"

/*
 * An input in hand, in slot (its index % nslot): the inputs in hand are
 * at most nslot consecutive ones, so no two share a slot.
 */
struct par_slot {
	void *w;
	int parked;	/* read; the thread that passes the turn to it
			 * writes it */
	int stop;	/* its input() said -1 */
	struct report_sink sink; /* its problems until its turn */
	struct report_stats stats;
};

struct par {
	const struct par_ops *ops;
	void *ctx;
	struct par_in *in;
	size_t nin, cap, next, turn;
	size_t window;
	struct par_slot *slot;
	size_t nslot;
	int stop;
	uint64_t flines;	/* lines of the file's chunks before the turn's */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* The worker thread's own: which input it has, and whether it has the
 * turn. */
struct par_self {
	struct par *p;
	struct par_slot *sl;
	size_t i;
	int has_turn;
	int dropped;	/* the run stopped before its turn */
	int redo;	/* turn() said: read it again */
};

static void
par_discard(struct report_sink *sink)
{
	for (size_t k = 0; k < sink->n; k++) {
		free(sink->ev[k].text);
		free(sink->ev[k].file);
	}
	sink->n = 0;
}

static _Thread_local struct par_self *self;
/* PAR_MEM, or HOPLITE_CONVERT_PAR_MEM (bytes) for the tests */
static size_t par_mem = PAR_MEM;
static uint64_t par_split = PAR_SPLIT;

static struct par_in *
par_add(struct par *p, const char *path, int err)
{
	struct par_in *in;

	if (mem_grow(&p->in, &p->cap, p->nin + 1, sizeof(*p->in)) == -1)
		return NULL;
	in = &p->in[p->nin];
	memset(in, 0, sizeof(*in));
	if ((in->path = strdup(path)) == NULL)
		return NULL;
	in->err = err;
	p->nin++;
	return in;
}

#define PAR_MLAB "{\"UUID\""
#define PAR_LOOK (64 << 10)	/* read at a time looking for a chunk's start */

/* A chunk of path from start to stop. */
static int
par_chunk(struct par *p, const char *path, int *chunk, uint64_t start,
    uint64_t stop, uint64_t size)
{
	struct par_in *in;

	if ((in = par_add(p, path, 0)) == NULL)
		return -1;
	in->chunk = ++*chunk;
	in->off = start;
	in->len = stop - start;
	in->fsize = size;
	return 0;
}

/*
 * The offset of the first metadata line at or after `from` (a line start
 * after a newline at from - 1 or later), or size when there is none.  -1:
 * a read error.
 */
static int64_t
par_next_meta(int fd, char *buf, uint64_t from, uint64_t size)
{
	const size_t ml = sizeof(PAR_MLAB) - 1;
	char head[sizeof(PAR_MLAB)];
	uint64_t pos = from - 1;
	ssize_t n = 0;

	while (pos < size && (n = pread(fd, buf, PAR_LOOK, (off_t)pos)) > 0) {
		const char *q = buf, *end = buf + n;

		while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
			uint64_t at = pos + (uint64_t)(q - buf) + 1;

			q++;
			if (at >= size)
				continue;
			/* the line's start from the buffer, or read when it
			 * runs past the buffer's end */
			if ((size_t)(end - q) >= ml ? memcmp(q, PAR_MLAB, ml) == 0 :
			    pread(fd, head, ml, (off_t)at) == (ssize_t)ml &&
			    memcmp(head, PAR_MLAB, ml) == 0)
				return (int64_t)at;
		}
		pos += (uint64_t)n;
	}
	return n == -1 ? -1 : (int64_t)size;
}

/*
 * A large plain file of M-Lab files: chunks of about par_split bytes,
 * each from a metadata line on, found by looking past every par_split
 * bytes (the file is not read through first: the chunks count their own
 * lines, and a chunk's first line number is known at its turn).  0 (also
 * when it is not such a file: then it stays whole), -1 out of memory.
 */
static int
par_split_file(struct par *p, const char *path, uint64_t size)
{
	const size_t ml = sizeof(PAR_MLAB) - 1;
	char head[sizeof(PAR_MLAB)], *buf = NULL;
	uint64_t start = 0;
	int64_t at;
	int fd, chunk = 0, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return par_add(p, path, 0) != NULL ? 0 : -1;
	if (pread(fd, head, ml, 0) != (ssize_t)ml ||
	    memcmp(head, PAR_MLAB, ml) != 0 || (buf = malloc(PAR_LOOK)) ==
	    NULL) {
		close(fd);
		free(buf);
		return par_add(p, path, 0) != NULL ? 0 : -1;
	}
	while (start + par_split < size &&
	    (at = par_next_meta(fd, buf, start + par_split, size)) > 0 &&
	    (uint64_t)at < size) {
		/* a chunk ends before this metadata line */
		if (par_chunk(p, path, &chunk, start, (uint64_t)at, size) == -1)
			goto done;
		start = (uint64_t)at;
	}
	if (chunk == 0)
		rc = par_add(p, path, 0) != NULL ? 0 : -1;
	else if ((rc = par_chunk(p, path, &chunk, start, size, size)) == 0)
		p->in[p->nin - 1].last = 1;
done:
	free(buf);
	close(fd);
	return rc;
}

/* A regular file: whole, or in chunks when large. */
static int
par_file(struct par *p, const char *path, uint64_t size)
{
	if (size >= 2 * par_split)
		return par_split_file(p, path, size);
	return par_add(p, path, 0) != NULL ? 0 : -1;
}

static int
par_namecmp(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* A directory's files, as in_run() walks them; anything else as is. */
static int
par_expand(struct par *p, const char *path)
{
	char *argv[] = { (char *)path, NULL };
	struct stat st;
	FTS *fts;
	FTSENT *e;
	int rc = 0;

	if (strcmp(path, "-") == 0 || stat(path, &st) == -1)
		return par_add(p, path, 0) != NULL ? 0 : -1;
	if (S_ISREG(st.st_mode))
		return par_file(p, path, (uint64_t)st.st_size);
	if (!S_ISDIR(st.st_mode))
		return par_add(p, path, 0) != NULL ? 0 : -1;
	if ((fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW,
	    par_namecmp)) == NULL)
		return par_add(p, path, errno) != NULL ? 0 : -1;
	while (rc == 0 && (e = fts_read(fts)) != NULL) {
		switch (e->fts_info) {
		case FTS_F:
			rc = par_file(p, e->fts_path,
			    (uint64_t)e->fts_statp->st_size);
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			rc = par_add(p, e->fts_path, e->fts_errno ?
			    e->fts_errno : EIO) != NULL ? 0 : -1;
			break;
		default:
			break;
		}
	}
	fts_close(fts);
	return rc;
}

/* Wait for the turn of the current input, then take it. */
static void
par_take_turn(struct par_self *s)
{
	struct par *p = s->p;

	if (s->has_turn)
		return;
	pthread_mutex_lock(&p->mu);
	while (p->turn != s->i)
		pthread_cond_wait(&p->cv, &p->mu);
	s->dropped = p->stop;
	pthread_mutex_unlock(&p->mu);
	s->has_turn = 1;
	if (s->dropped)
		return;
	/* a chunk's line numbers count on from the chunks before it */
	report_lines_from(p->in[s->i].chunk > 1 ? p->flines : 0, 1);
	/* what it kept goes out first, before anything it reports next */
	report_capture(NULL);
	s->redo = p->ops->turn(s->sl->w) == 1;
	if (s->redo)
		par_discard(&s->sl->sink);
	else
		report_replay(&s->sl->sink);
}

/*
 * The input s has was read and has the turn: read again if it must be,
 * its tables into the run's (or dropped), and the turn passes on.
 */
static void
par_finish(struct par_self *s, int stop)
{
	struct par *p = s->p;
	struct report_stats zero;

	memset(&zero, 0, sizeof(zero));
	par_take_turn(s);
	report_capture(NULL);
	if (s->redo && !s->dropped) {
		/* what was kept was read from the wrong state */
		report_stats = zero;
		stop = p->ops->redo(s->sl->w, &p->in[s->i]) == -1;
	}
	if (s->dropped) {
		par_discard(&s->sl->sink);
		p->ops->drop(s->sl->w);
		report_stats = zero;
	} else if (p->ops->done(s->sl->w) == -1)
		stop = 1;
	if (p->in[s->i].chunk == 1)
		p->flines = report_stats.lines;
	else if (p->in[s->i].chunk > 1)
		p->flines += report_stats.lines;

	pthread_mutex_lock(&p->mu);
	report_add_stats(&report_stats);
	if (stop)
		p->stop = 1;
	__atomic_store_n(&p->turn, p->turn + 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int
par_check(size_t bytes)
{
	/* the input with the turn writes at once; another waits for its
	 * turn once it holds too much */
	if (self != NULL && !self->has_turn && (bytes > par_mem ||
	    __atomic_load_n(&self->p->turn, __ATOMIC_ACQUIRE) == self->i))
		par_take_turn(self);
	return self != NULL && self->dropped ? -1 : 0;
}

static void *
par_worker(void *arg)
{
	struct par_self *s = arg;
	struct par *p = s->p;
	struct report_stats zero;

	memset(&zero, 0, sizeof(zero));
	self = s;
	for (;;) {
		struct par_slot *sl;
		int stop;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next < p->nin &&
		    p->next >= p->turn + p->window)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop || p->next >= p->nin) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		s->i = p->next++;
		s->sl = &p->slot[s->i % p->nslot];
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);

		report_stats = zero;
		report_capture(&s->sl->sink);
		/* a later chunk's first line is known at its turn */
		report_lines_from(0, p->in[s->i].chunk <= 1);
		s->has_turn = s->dropped = s->redo = 0;
		if (p->in[s->i].err != 0)
			stop = report_unreadable(p->in[s->i].path, "%s",
			    strerror(p->in[s->i].err)) == -1;
		else
			stop = p->ops->input(s->sl->w, &p->in[s->i]) == -1;
		report_capture(NULL);

		/*
		 * Not its turn yet: it waits with what it read, and this
		 * thread reads on (waiting here would idle it until the
		 * inputs before are done).
		 */
		pthread_mutex_lock(&p->mu);
		if (!s->has_turn && p->turn != s->i) {
			s->sl->stats = report_stats;
			s->sl->stop = stop;
			s->sl->parked = 1;
			pthread_mutex_unlock(&p->mu);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		/* this one, then those parked after it */
		for (;;) {
			par_finish(s, stop);
			pthread_mutex_lock(&p->mu);
			sl = &p->slot[p->turn % p->nslot];
			if (p->turn >= p->nin || !sl->parked) {
				pthread_mutex_unlock(&p->mu);
				break;
			}
			sl->parked = 0;
			s->i = p->turn;
			s->sl = sl;
			s->has_turn = s->dropped = s->redo = 0;
			stop = sl->stop;
			report_stats = sl->stats;
			pthread_mutex_unlock(&p->mu);
		}
	}
	report_capture(NULL);
	self = NULL;
	if (p->ops->thread_exit != NULL)
		p->ops->thread_exit();
	return NULL;
}

int
par_run(int n, char **paths, int npaths, const struct par_ops *ops,
    void *ctx)
{
	struct par p;
	struct par_self *s = NULL;
	pthread_t *th = NULL;
	int started = 0, rc = -1;

	memset(&p, 0, sizeof(p));
	if (getenv("HOPLITE_CONVERT_PAR_MEM") != NULL)
		par_mem = strtoull(getenv("HOPLITE_CONVERT_PAR_MEM"), NULL, 10);
	if (getenv("HOPLITE_CONVERT_PAR_SPLIT") != NULL)
		par_split = strtoull(getenv("HOPLITE_CONVERT_PAR_SPLIT"), NULL,
		    10);
	p.ops = ops;
	p.ctx = ctx;
	p.window = 2 * (size_t)n;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	for (int i = 0; i < npaths; i++)
		if (par_expand(&p, paths[i]) == -1)
			goto done;
	if (p.nin < 2) {
		rc = 1;		/* nothing to share: the caller reads it */
		goto done;
	}
	if ((size_t)n > p.nin)
		n = (int)p.nin;
	p.nslot = p.window < p.nin ? p.window : p.nin;
	if ((s = calloc((size_t)n, sizeof(*s))) == NULL ||
	    (th = calloc((size_t)n, sizeof(*th))) == NULL ||
	    (p.slot = calloc(p.nslot, sizeof(*p.slot))) == NULL)
		goto done;
	for (int i = 0; i < n; i++)
		s[i].p = &p;
	/* every worker made from the run's state before any thread runs */
	for (size_t i = 0; i < p.nslot; i++)
		if ((p.slot[i].w = ops->worker_new(ctx)) == NULL)
			goto done;
	for (started = 0; started < n; started++)
		if (pthread_create(&th[started], NULL, par_worker,
		    &s[started]) != 0) {
			pthread_mutex_lock(&p.mu);
			p.stop = 1;
			pthread_cond_broadcast(&p.cv);
			pthread_mutex_unlock(&p.mu);
			break;
		}
	/* the progress line comes from the worker with the turn */
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	rc = p.stop || started < n ? -1 : 0;
done:
	for (size_t i = 0; p.slot != NULL && i < p.nslot; i++) {
		/* read, but the run stopped before its turn */
		if (p.slot[i].parked)
			ops->drop(p.slot[i].w);
		par_discard(&p.slot[i].sink);
		free(p.slot[i].sink.ev);
		if (p.slot[i].w != NULL)
			ops->worker_free(p.slot[i].w);
	}
	free(p.slot);
	for (size_t i = 0; i < p.nin; i++)
		free(p.in[i].path);
	free(p.in);
	free(s);
	free(th);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	return rc;
}
