/* hash: FNV-1a over a string, for the tables keyed by names and UUIDs. */
#ifndef HOPLITE_HASH_H
#define HOPLITE_HASH_H

#include <stdint.h>

static inline uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

#endif
