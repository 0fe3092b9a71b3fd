/* mem: growing arrays.  Pure code. */
#ifndef HOPLITE_CONVERT_MEM_H
#define HOPLITE_CONVERT_MEM_H

#include <stddef.h>

/*
 * Make room in *pp (an array of *cap elements of size bytes) for at least
 * need elements, doubling from 64.  0, or -1 (out of memory; *pp is kept).
 */
int mem_grow(void *pp, size_t *cap, size_t need, size_t size);

#endif
