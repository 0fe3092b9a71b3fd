/* opt: bounded number parsing. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/opt.h"

int
opt_num(const char *s, long long min, long long max, long long *out, char *err,
    size_t errlen)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, errlen, "must be a number from %lld to %lld", min, max);
	return -1;
}

int
opt_range(const char *s, long long min, long long max, long long *lo,
    long long *hi, char *err, size_t errlen)
{
	const char *dash;
	char first[32];

	if (s != NULL && (dash = strchr(s, '-')) != NULL && dash != s) {
		size_t n = (size_t)(dash - s);

		if (n >= sizeof(first))
			goto bad;
		memcpy(first, s, n);
		first[n] = '\0';
		if (opt_num(first, min, max, lo, err, errlen) == -1 ||
		    opt_num(dash + 1, min, max, hi, err, errlen) == -1 || *lo > *hi)
			goto bad;
		return 0;
	}
	if (opt_num(s, min, max, lo, err, errlen) == -1)
		goto bad;
	*hi = *lo;
	return 0;
bad:
	snprintf(err, errlen, "must be a number or a range A-B within %lld-%lld",
	    min, max);
	return -1;
}
