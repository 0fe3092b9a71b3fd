/* arena: a bump allocator behind json_set_alloc_funcs(). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "util/arena.h"

#define ARENA_CHUNK	(1u << 20)
#define ARENA_MAXCHUNKS	64

struct chunk {
	char *base;
	size_t size, used;
};

/* Per thread: hoplite-convert's -j workers each parse with jansson. */
static _Thread_local struct chunk chunks[ARENA_MAXCHUNKS];
static _Thread_local int nchunks, cur, active;
/* arena_cap(): bytes still allowed, SIZE_MAX for no cap */
static _Thread_local size_t left = SIZE_MAX;
static _Thread_local int refused;

static int
arena_owns(const void *p)
{
	const char *c = p;

	for (int i = 0; i < nchunks; i++)
		if (c >= chunks[i].base && c < chunks[i].base + chunks[i].size)
			return 1;
	return 0;
}

static void *
arena_alloc(size_t n)
{
	if (n > SIZE_MAX - 15)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	/* frees are not credited: what jansson frees while it parses (an
	 * array outgrown) still counted, the cap bounds more than is live */
	if (left != SIZE_MAX) {
		if (n > left) {
			refused = 1;
			return NULL;
		}
		left -= n;
	}
	if (!active || n > ARENA_CHUNK / 4)
		return malloc(n);
	while (cur < nchunks && chunks[cur].used + n > chunks[cur].size)
		cur++;
	if (cur == nchunks) {
		if (nchunks == ARENA_MAXCHUNKS ||
		    (chunks[nchunks].base = malloc(ARENA_CHUNK)) == NULL)
			return malloc(n);
		chunks[nchunks].size = ARENA_CHUNK;
		chunks[nchunks].used = 0;
		nchunks++;
	}
	chunks[cur].used += n;
	return chunks[cur].base + chunks[cur].used - n;
}

static void
arena_free(void *p)
{
	if (p != NULL && !arena_owns(p))
		free(p);
}

void
arena_install(void)
{
	json_set_alloc_funcs(arena_alloc, arena_free);
}

void
arena_begin(void)
{
	active = 1;
}

void
arena_end(void)
{
	for (int i = 0; i < nchunks; i++)
		chunks[i].used = 0;
	cur = 0;
	active = 0;
}

void
arena_cap(size_t max)
{
	left = max;
	refused = 0;
}

int
arena_refused(void)
{
	return refused;
}

void
arena_release(void)
{
	arena_end();
	for (int i = 0; i < nchunks; i++)
		free(chunks[i].base);
	nchunks = 0;
}
