/*
 * pfx2as: hoplite-convert's loader for the prefix-to-AS table
 * (util/pfx2as.c): the file through the converter's readers (so gzip and
 * archives work), bad lines counted as bad-pfx2as.
 */
#include "config.h"

#include <stdlib.h>

#include "in.h"
#include "pfx2as.h"
#include "report.h"

struct load {
	struct pfx2as *p;
	int opened;
};

static int
pfx_line(void *ctx, const char *file, uint64_t line, const char *s, size_t n)
{
	struct load *ld = ctx;
	const char *why;

	switch (pfx2as_add_line(ld->p, s, n, &why)) {
	case 0:
		return 0;
	case -1:
		return report_problem(REPORT_BAD_PFX2AS, file, line, why);
	default:
		return report_unreadable(file, "out of memory");
	}
}

static int
pfx_begin(void *ctx, const char *name)
{
	((struct load *)ctx)->opened = 1;
	return 0;
}

static const struct in_ops pfx_ops = {
	.begin = pfx_begin,
	.line = pfx_line,
};

struct pfx2as *
pfx2as_load(const char *path)
{
	struct load ld = { pfx2as_new(), 0 };

	if (ld.p == NULL)
		return NULL;
	if (in_run(path, &pfx_ops, &ld, 4096) == -1 || !ld.opened ||
	    pfx2as_finish(ld.p) == -1) {
		pfx2as_free(ld.p);
		return NULL;
	}
	return ld.p;
}
