/*
 * sched_cache: the per-client cache of sched.  One entry per client
 * address and measurement kind, in a hash table: a measurement running
 * (requests for the same client wait on it) or a recent result, kept as
 * its JSON line compressed with zlib, so that --cache-max results cost
 * about a kilobyte each rather than a JSON tree each.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "daemon/sched_int.h"
#include "daemon/uuidset.h"

double
sched_mono_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (now.tv_nsec - t0->tv_nsec) / 1e9;
}

struct centry **
sched_cache_slot(struct sched *s, const struct addr_ip *ip,
    enum meas_kind kind)
{
	struct centry **pp = &s->cache[addr_hash(ip) & (CACHE_BUCKETS - 1)];

	while (*pp != NULL && !(addr_eq(&(*pp)->ip, ip) && (*pp)->kind == kind))
		pp = &(*pp)->hnext;
	return pp;
}

/* Memory only: a request still waiting at exit stays in the journal. */
void
sched_waiters_free(struct sched *s, struct centry *ce)
{
	struct waiter *w;

	while ((w = STAILQ_FIRST(&ce->waiters)) != NULL) {
		STAILQ_REMOVE_HEAD(&ce->waiters, entry);
		free(w->r.uuid);
		free(w);
	}
	ce->nwaiters = 0;
}

/* Out of the hash table only. */
void
sched_cache_unlink(struct sched *s, struct centry *ce)
{
	struct centry **pp = sched_cache_slot(s, &ce->ip, ce->kind);

	if (*pp == ce)
		*pp = ce->hnext;
}

void
sched_cache_remove(struct sched *s, struct centry *ce)
{
	sched_cache_unlink(s, ce);
	if (ce->state == CE_DONE) {
		TAILQ_REMOVE(&s->done, ce, done_entry);
		s->ndone--;
	}
	sched_waiters_free(s, ce);
	free(ce->z);
	free(ce->orig.uuid);
	free(ce);
}

/* The entry takes the request. */
struct centry *
sched_cache_add(struct sched *s, const struct addr_ip *ip, struct req *r)
{
	struct centry *ce;
	struct centry **pp = sched_cache_slot(s, ip, r->kind);

	if ((ce = calloc(1, sizeof(*ce))) == NULL)
		return NULL;
	ce->orig = *r;
	ce->ip = *ip;
	ce->kind = r->kind;
	ce->state = CE_RUNNING;
	STAILQ_INIT(&ce->waiters);
	*pp = ce;
	return ce;
}

int
sched_cache_fresh(const struct sched *s, const struct centry *ce)
{
	return sched_mono_since(&ce->done_at) < (double)s->conf.cache_window_s;
}

void
sched_cache_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;
	struct centry *ce;

	while ((ce = TAILQ_FIRST(&s->done)) != NULL &&
	    !sched_cache_fresh(s, ce))
		sched_cache_remove(s, ce);
	uuidset_sweep(s->uuids);
}

/* The result line into the entry, compressed; 0 or -1.  The best level:
 * once per measurement, a millisecond at most for the largest tracelb,
 * and a fifth smaller than the fastest level on MDA's repetitive probes. */
int
sched_cache_store(struct centry *ce, const char *text)
{
	size_t len = strlen(text);
	uLongf zlen = compressBound((uLong)len);
	unsigned char *z, *fit;

	if (len > UINT32_MAX || (z = malloc(zlen)) == NULL)
		return -1;
	if (compress2(z, &zlen, (const Bytef *)text, (uLong)len,
	    Z_BEST_COMPRESSION) != Z_OK) {
		free(z);
		return -1;
	}
	if ((fit = realloc(z, zlen)) != NULL)
		z = fit;
	ce->z = z;
	ce->zlen = (uint32_t)zlen;
	ce->textlen = (uint32_t)len;
	return 0;
}

/* The entry's result line (malloc'd, NUL-terminated), or NULL. */
char *
sched_cache_text(const struct centry *ce)
{
	uLongf len = ce->textlen;
	char *t;

	if ((t = malloc((size_t)ce->textlen + 1)) == NULL)
		return NULL;
	if (uncompress((Bytef *)t, &len, ce->z, ce->zlen) != Z_OK ||
	    len != ce->textlen) {
		free(t);
		return NULL;
	}
	t[len] = '\0';
	return t;
}
