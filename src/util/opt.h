/* opt: bounded parsing of numbers given on the command line or in the environment. */
#ifndef HOPLITE_OPT_H
#define HOPLITE_OPT_H

#include <stddef.h>

/*
 * Parse a whole decimal integer in [min, max].  0 on success; -1 with a
 * message such as "must be a number from 1 to 255" in err.
 */
int opt_num(const char *s, long long min, long long max, long long *out,
    char *err, size_t errlen);
/* "A" or "A-B" with min <= A <= B <= max. */
int opt_range(const char *s, long long min, long long max, long long *lo,
    long long *hi, char *err, size_t errlen);

#endif
