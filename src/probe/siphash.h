/* siphash: SipHash-2-4 (Aumasson & Bernstein), the keyed hash behind probe tags. */
#ifndef HOPLITE_SIPHASH_H
#define HOPLITE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *, const void *data, size_t len);

#endif
