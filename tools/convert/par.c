/* par: worker threads that read the inputs and take turns to write. */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fts.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "par.h"
#include "report.h"

struct par_in {
	char *path;
	int err;		/* an unreadable directory entry: its errno */
};

struct par {
	const struct par_ops *ops;
	void *ctx;
	struct par_in *in;
	size_t nin, cap, next, turn;
	size_t window;
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* The worker thread's own: which input it reads, and whether it has the
 * turn. */
struct par_self {
	struct par *p;
	void *w;
	size_t i;
	int has_turn;
	int dropped;	/* the run stopped before its turn */
};

static _Thread_local struct par_self *self;
/* PAR_MEM, or HOPLITE_CONVERT_PAR_MEM (bytes) for the tests */
static size_t par_mem = PAR_MEM;

static int
par_add(struct par *p, const char *path, int err)
{
	if (mem_grow(&p->in, &p->cap, p->nin + 1, sizeof(*p->in)) == -1 ||
	    (p->in[p->nin].path = strdup(path)) == NULL)
		return -1;
	p->in[p->nin].err = err;
	p->nin++;
	return 0;
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

	if (strcmp(path, "-") == 0 || stat(path, &st) == -1 ||
	    !S_ISDIR(st.st_mode))
		return par_add(p, path, 0);
	if ((fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW,
	    par_namecmp)) == NULL)
		return par_add(p, path, errno);
	while (rc == 0 && (e = fts_read(fts)) != NULL) {
		switch (e->fts_info) {
		case FTS_F:
			rc = par_add(p, e->fts_path, 0);
			break;
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			rc = par_add(p, e->fts_path, e->fts_errno ?
			    e->fts_errno : EIO);
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
	report_capture(NULL);
	p->ops->turn(s->w);
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
	struct report_sink sink = { NULL, 0, 0 };
	struct report_stats zero;

	memset(&zero, 0, sizeof(zero));
	self = s;
	for (;;) {
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
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);

		report_stats = zero;
		report_capture(&sink);
		s->has_turn = s->dropped = 0;
		par_check(0);
		if (p->in[s->i].err != 0)
			stop = report_unreadable(p->in[s->i].path, "%s",
			    strerror(p->in[s->i].err)) == -1;
		else
			stop = p->ops->input(s->w, p->in[s->i].path) == -1;
		par_take_turn(s);
		report_capture(NULL);
		if (s->dropped) {
			for (size_t k = 0; k < sink.n; k++)
				free(sink.ev[k].text);
			sink.n = 0;
			p->ops->drop(s->w);
			report_stats = zero;
		} else {
			report_replay(&sink);
			if (p->ops->done(s->w) == -1)
				stop = 1;
		}

		pthread_mutex_lock(&p->mu);
		report_add_stats(&report_stats);
		if (stop)
			p->stop = 1;
		__atomic_store_n(&p->turn, p->turn + 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	report_capture(NULL);
	free(sink.ev);
	self = NULL;
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
	if ((s = calloc((size_t)n, sizeof(*s))) == NULL ||
	    (th = calloc((size_t)n, sizeof(*th))) == NULL)
		goto done;
	for (started = 0; started < n; started++) {
		s[started].p = &p;
		if ((s[started].w = ops->worker_new(ctx)) == NULL ||
		    pthread_create(&th[started], NULL, par_worker,
		    &s[started]) != 0) {
			if (s[started].w != NULL)
				ops->worker_free(s[started].w);
			pthread_mutex_lock(&p.mu);
			p.stop = 1;
			pthread_cond_broadcast(&p.cv);
			pthread_mutex_unlock(&p.mu);
			break;
		}
	}
	/* the progress line comes from the worker with the turn */
	for (int i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		ops->worker_free(s[i].w);
	}
	rc = p.stop || started < n ? -1 : 0;
done:
	for (size_t i = 0; i < p.nin; i++)
		free(p.in[i].path);
	free(p.in);
	free(s);
	free(th);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
	return rc;
}
