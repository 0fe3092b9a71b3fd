/* htab: open-addressing hash index (linear probing, grown at 70% full). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "htab.h"

void
htab_init(struct htab *h)
{
	memset(h, 0, sizeof(*h));
}

void
htab_free(struct htab *h)
{
	free(h->slots);
	htab_init(h);
}

void
htab_clear(struct htab *h)
{
	if (h->slots != NULL)
		memset(h->slots, 0, h->cap * sizeof(*h->slots));
	h->n = 0;
}

uint32_t
htab_find(const struct htab *h, uint32_t hash, const void *key,
    htab_eq_fn eq, const void *ctx)
{
	size_t mask, i;
	uint64_t s;

	if (h->cap == 0)
		return HTAB_NONE;
	mask = h->cap - 1;
	for (i = hash & mask; (s = h->slots[i]) != 0; i = (i + 1) & mask) {
		if ((uint32_t)(s >> 32) == hash &&
		    eq(ctx, (uint32_t)s - 1, key))
			return (uint32_t)s - 1;
	}
	return HTAB_NONE;
}

static void
htab_put(uint64_t *slots, size_t cap, uint64_t s)
{
	size_t mask = cap - 1, i;

	for (i = (s >> 32) & mask; slots[i] != 0; i = (i + 1) & mask)
		;
	slots[i] = s;
}

int
htab_add(struct htab *h, uint32_t hash, uint32_t idx)
{
	if ((h->n + 1) * 10 > h->cap * 7) {
		size_t ncap = h->cap ? h->cap * 2 : 64;
		uint64_t *ns = calloc(ncap, sizeof(*ns));

		if (ns == NULL)
			return -1;
		for (size_t i = 0; i < h->cap; i++)
			if (h->slots[i] != 0)
				htab_put(ns, ncap, h->slots[i]);
		free(h->slots);
		h->slots = ns;
		h->cap = ncap;
	}
	htab_put(h->slots, h->cap, (uint64_t)hash << 32 | ((uint64_t)idx + 1));
	h->n++;
	return 0;
}

uint32_t
htab_hash(const void *p, size_t len)
{
	/* FNV-1a over the bytes, then a murmur3 finalizer so that the low
	 * bits used for the slot are well mixed. */
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}
