/* uuidset: UUIDs pending or recently written (hoplited's duplicate check). */
#include <sys/queue.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hash.h"
#include "daemon/uuidset.h"

#define BUCKETS	4096

struct entry {
	struct entry *hnext;
	TAILQ_ENTRY(entry) entry;	/* released ones, oldest first */
	int pending;
	struct timespec done_at;	/* monotonic */
	char uuid[];
};

struct uuidset {
	struct entry *hash[BUCKETS];
	TAILQ_HEAD(, entry) written;
	size_t nwritten, max_written;
	unsigned window_s;
};

static struct entry **
slot(const struct uuidset *u, const char *uuid)
{
	struct entry *const *pp = &u->hash[hash_str(uuid) & (BUCKETS - 1)];

	while (*pp != NULL && strcmp((*pp)->uuid, uuid) != 0)
		pp = &(*pp)->hnext;
	return (struct entry **)pp;
}

static void
forget(struct uuidset *u, struct entry *e)
{
	struct entry **pp = slot(u, e->uuid);

	*pp = e->hnext;
	if (!e->pending) {
		TAILQ_REMOVE(&u->written, e, entry);
		u->nwritten--;
	}
	free(e);
}

struct uuidset *
uuidset_new(unsigned window_s, size_t max_written)
{
	struct uuidset *u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	TAILQ_INIT(&u->written);
	u->window_s = window_s;
	u->max_written = max_written;
	return u;
}

int
uuidset_has(const struct uuidset *u, const char *uuid)
{
	return *slot(u, uuid) != NULL;
}

int
uuidset_hold(struct uuidset *u, const char *uuid)
{
	struct entry **pp = slot(u, uuid), *e;
	size_t len = strlen(uuid);

	if (*pp != NULL || (e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return -1;
	memcpy(e->uuid, uuid, len + 1);
	e->pending = 1;
	*pp = e;
	return 0;
}

void
uuidset_release(struct uuidset *u, const char *uuid)
{
	struct entry *e = *slot(u, uuid);

	if (e == NULL || !e->pending)
		return;
	e->pending = 0;
	clock_gettime(CLOCK_MONOTONIC, &e->done_at);
	TAILQ_INSERT_TAIL(&u->written, e, entry);
	u->nwritten++;
	if (u->window_s == 0)
		forget(u, e);
	else
		while (u->nwritten > u->max_written)
			forget(u, TAILQ_FIRST(&u->written));
}

void
uuidset_sweep(struct uuidset *u)
{
	struct timespec now;
	struct entry *e;

	clock_gettime(CLOCK_MONOTONIC, &now);
	while ((e = TAILQ_FIRST(&u->written)) != NULL &&
	    now.tv_sec - e->done_at.tv_sec >= (time_t)u->window_s)
		forget(u, e);
}

void
uuidset_free(struct uuidset *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		while (u->hash[i] != NULL)
			forget(u, u->hash[i]);
	free(u);
}
