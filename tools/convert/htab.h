/*
 * htab: open-addressing hash index.  The table stores (hash, index) pairs;
 * the keys live in the caller's own arrays, compared through a callback.
 * Pure code.
 */
#ifndef HOPLITE_CONVERT_HTAB_H
#define HOPLITE_CONVERT_HTAB_H

#include <stddef.h>
#include <stdint.h>

#define HTAB_NONE UINT32_MAX

struct htab {
	uint64_t *slots; /* hash << 32 | (index + 1); 0 = empty */
	size_t cap;	 /* a power of two, or 0 */
	size_t n;
};

/* Whether the caller's entry `idx` has key `key`. */
typedef int (*htab_eq_fn)(const void *ctx, uint32_t idx, const void *key);

void htab_init(struct htab *);
void htab_free(struct htab *);
/* Forget every entry, keep the memory. */
void htab_clear(struct htab *);
/* The index of the entry equal to key, or HTAB_NONE. */
uint32_t htab_find(const struct htab *, uint32_t hash, const void *key,
    htab_eq_fn, const void *ctx);
/* Add an index that is known to be absent; 0, or -1 (out of memory). */
int htab_add(struct htab *, uint32_t hash, uint32_t idx);
/* A well-mixed 32-bit hash of a byte string. */
uint32_t htab_hash(const void *, size_t);

#endif
