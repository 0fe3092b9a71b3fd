/*
 * pfx2as: longest-prefix match over a sorted array.  Prefixes are sorted
 * by (start, length); each knows its parent (the longest prefix holding
 * it).  For an address, the last prefix starting at or before it is found
 * by binary search, and every prefix holding the address is that one or
 * one of its ancestors, so the parent chain gives the longest match.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"
#include "in.h"
#include "mem.h"
#include "pfx2as.h"
#include "report.h"

#define PFX_NOPARENT UINT32_MAX
#define PFX_MAXAS 256

struct pfx {
	uint8_t b[16];
	uint8_t len;
	uint32_t parent;
	const char *as;
};

struct pfxtab {
	struct pfx *v;
	size_t n, cap;
	size_t bytes; /* 4 or 16 */
};

struct pfx2as {
	struct pfxtab t4, t6;
	char **as;
	size_t nas, capas;
	struct htab as_ht;
	int opened;
};

static int
pfx_as_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct pfx2as *p = ctx;

	return strcmp(p->as[idx], key) == 0;
}

/* The one copy of an AS string. */
static const char *
pfx_intern(struct pfx2as *p, const char *s)
{
	uint32_t h = htab_hash(s, strlen(s)), i;

	if ((i = htab_find(&p->as_ht, h, s, pfx_as_eq, p)) != HTAB_NONE)
		return p->as[i];
	if (mem_grow(&p->as, &p->capas, p->nas + 1, sizeof(*p->as)) == -1)
		return NULL;
	if ((p->as[p->nas] = strdup(s)) == NULL ||
	    htab_add(&p->as_ht, h, (uint32_t)p->nas) == -1)
		return NULL;
	return p->as[p->nas++];
}

static int
pfx_add(struct pfxtab *t, const uint8_t *b, unsigned len, const char *as)
{
	struct pfx *x;

	if (mem_grow(&t->v, &t->cap, t->n + 1, sizeof(*t->v)) == -1)
		return -1;
	x = &t->v[t->n++];
	memset(x, 0, sizeof(*x));
	/* keep the prefix bits only */
	for (unsigned i = 0; i < t->bytes; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		x->b[i] = bits >= 8 ? b[i] :
		    (uint8_t)(b[i] & (0xff00 >> bits));
	}
	x->len = (uint8_t)len;
	x->as = as;
	return 0;
}

static int
pfx_line(void *ctx, const char *file, uint64_t line, const char *p, size_t n)
{
	struct pfx2as *px = ctx;
	char buf[512], *f[3], *save = NULL, *end;
	uint8_t b[16];
	unsigned long len;
	const char *as;
	int v6;

	if (n >= sizeof(buf))
		return report_problem(REPORT_BAD_PFX2AS, file, line,
		    "line too long");
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (buf[0] == '#' || strspn(buf, " \t") == n)
		return 0;
	f[0] = strtok_r(buf, " \t", &save);
	f[1] = strtok_r(NULL, " \t", &save);
	f[2] = strtok_r(NULL, " \t", &save);
	if (f[0] == NULL || f[1] == NULL || f[2] == NULL ||
	    strtok_r(NULL, " \t", &save) != NULL)
		return report_problem(REPORT_BAD_PFX2AS, file, line,
		    "not prefix<TAB>length<TAB>AS");
	v6 = strchr(f[0], ':') != NULL;
	len = strtoul(f[1], &end, 10);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, f[0], b) != 1 ||
	    *end != '\0' || end == f[1] || len > (v6 ? 128u : 32u) ||
	    strlen(f[2]) > PFX_MAXAS)
		return report_problem(REPORT_BAD_PFX2AS, file, line,
		    "bad prefix, length or AS");
	if ((as = pfx_intern(px, f[2])) == NULL ||
	    pfx_add(v6 ? &px->t6 : &px->t4, b, (unsigned)len, as) == -1)
		return report_unreadable(file, "out of memory");
	return 0;
}

static int
pfx_begin(void *ctx, const char *name)
{
	((struct pfx2as *)ctx)->opened = 1;
	return 0;
}

static const struct in_ops pfx_ops = {
	.begin = pfx_begin,
	.line = pfx_line,
};

static size_t pfx_cmp_bytes;

static int
pfx_cmp(const void *a, const void *b)
{
	const struct pfx *x = a, *y = b;
	int c = memcmp(x->b, y->b, pfx_cmp_bytes);

	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/* Whether prefix p holds address a. */
static int
pfx_holds(const struct pfx *p, const uint8_t *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->b, a, full) != 0)
		return 0;
	return rest == 0 ||
	    (a[full] & (0xff00 >> rest)) == p->b[full];
}

/* Sort, drop repeated prefixes (the first one wins), link parents. */
static int
pfx_index(struct pfxtab *t)
{
	uint32_t *stack;
	size_t n = 0, depth = 0;

	pfx_cmp_bytes = t->bytes;
	if (t->n > 1)	/* v may still be NULL */
		qsort(t->v, t->n, sizeof(*t->v), pfx_cmp);
	for (size_t i = 0; i < t->n; i++)
		if (n == 0 || pfx_cmp(&t->v[i], &t->v[n - 1]) != 0)
			t->v[n++] = t->v[i];
	t->n = n;
	if ((stack = calloc(t->bytes * 8 + 2, sizeof(*stack))) == NULL)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		while (depth > 0 && !pfx_holds(&t->v[stack[depth - 1]],
		    t->v[i].b))
			depth--;
		t->v[i].parent = depth > 0 ? stack[depth - 1] : PFX_NOPARENT;
		stack[depth++] = (uint32_t)i;
	}
	free(stack);
	return 0;
}

struct pfx2as *
pfx2as_load(const char *path)
{
	struct pfx2as *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->t4.bytes = 4;
	p->t6.bytes = 16;
	htab_init(&p->as_ht);
	if (in_run(path, &pfx_ops, p, 4096) == -1 || !p->opened ||
	    pfx_index(&p->t4) == -1 || pfx_index(&p->t6) == -1) {
		pfx2as_free(p);
		return NULL;
	}
	return p;
}

void
pfx2as_free(struct pfx2as *p)
{
	if (p == NULL)
		return;
	free(p->t4.v);
	free(p->t6.v);
	for (size_t i = 0; i < p->nas; i++)
		free(p->as[i]);
	free(p->as);
	htab_free(&p->as_ht);
	free(p);
}

size_t
pfx2as_count(const struct pfx2as *p)
{
	return p->t4.n + p->t6.n;
}

const char *
pfx2as_lookup(const struct pfx2as *p, const struct addr_ip *a)
{
	const struct pfxtab *t;
	size_t lo = 0, hi;
	uint32_t i;

	if (a->family == AF_INET)
		t = &p->t4;
	else if (a->family == AF_INET6)
		t = &p->t6;
	else
		return NULL;
	/* the last prefix whose start is <= a */
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(t->v[mid].b, a->u.b, t->bytes) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	for (i = (uint32_t)(lo - 1); i != PFX_NOPARENT; i = t->v[i].parent)
		if (pfx_holds(&t->v[i], a->u.b))
			return t->v[i].as;
	return NULL;
}
