/* mem: growing arrays. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "mem.h"

int
mem_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp, *np;
	size_t ncap = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / size)
			return -1;
		ncap *= 2;
	}
	if ((np = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}
