/*
 * siphash: SipHash-2-4, written from the paper's description
 * (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012).
 */
#include <stddef.h>
#include <stdint.h>

#include "probe/siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* Little-endian load, independent of host byte order and alignment. */
static uint64_t
load64_le(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 |
	    (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	    (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

uint64_t
siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t whole = len & ~(size_t)7;
	uint64_t v0 = key->k0 ^ 0x736f6d6570736575ULL;	/* "somepseu" */
	uint64_t v1 = key->k1 ^ 0x646f72616e646f6dULL;	/* "dorandom" */
	uint64_t v2 = key->k0 ^ 0x6c7967656e657261ULL;	/* "lygenera" */
	uint64_t v3 = key->k1 ^ 0x7465646279746573ULL;	/* "tedbytes" */
	uint64_t m, b;
	size_t left;

	/* Index, not pointer, arithmetic: data may be NULL when len is 0. */
	for (size_t i = 0; i < whole; i += 8) {
		m = load64_le(p + i);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}

	/* Last block: the remaining 0..7 bytes, length mod 256 on top. */
	b = (uint64_t)(len & 0xff) << 56;
	left = len & 7;
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)p[whole + i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;

	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}
