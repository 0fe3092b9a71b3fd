/*
 * pfx2as: longest-prefix match over a sorted array.  Prefixes are sorted
 * by (start, length); each knows its parent (the longest prefix holding
 * it).  For an address, the last prefix starting at or before it is found
 * by binary search, and every prefix holding the address is that one or
 * one of its ancestors, so the parent chain gives the longest match.
 * (Moved here from hoplite-convert so that hoplite -A uses it too.)
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/pfx2as.h"

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
	char **as;		/* the AS strings, once each */
	size_t nas;
	uint32_t *ht;		/* index + 1 into as; 0 = empty */
	size_t htcap;		/* a power of two */
};

static int
grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp, *n;
	size_t c = *cap ? *cap : 64;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if ((n = realloc(*p, c * size)) == NULL)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

/* The one copy of an AS string. */
static const char *
pfx_intern(struct pfx2as *p, const char *s)
{
	size_t i;

	if ((p->nas + 1) * 2 > p->htcap) {
		size_t cap = p->htcap ? p->htcap * 2 : 1024;
		uint32_t *ht = calloc(cap, sizeof(*ht));

		if (ht == NULL)
			return NULL;
		for (size_t k = 0; k < p->nas; k++) {
			for (i = hash_str(p->as[k]) & (cap - 1); ht[i] != 0;
			    i = (i + 1) & (cap - 1))
				;
			ht[i] = (uint32_t)k + 1;
		}
		free(p->ht);
		p->ht = ht;
		p->htcap = cap;
	}
	for (i = hash_str(s) & (p->htcap - 1); p->ht[i] != 0;
	    i = (i + 1) & (p->htcap - 1))
		if (strcmp(p->as[p->ht[i] - 1], s) == 0)
			return p->as[p->ht[i] - 1];
	if ((p->nas & (p->nas - 1)) == 0) {	/* 0, 1, 2, 4, ...: grow */
		char **n = realloc(p->as, (p->nas ? p->nas * 2 : 1) *
		    sizeof(*n));

		if (n == NULL)
			return NULL;
		p->as = n;
	}
	if ((p->as[p->nas] = strdup(s)) == NULL)
		return NULL;
	p->ht[i] = (uint32_t)++p->nas;
	return p->as[p->nas - 1];
}

static int
pfx_add(struct pfxtab *t, const uint8_t *b, unsigned len, const char *as)
{
	struct pfx *x;

	if (grow(&t->v, &t->cap, t->n + 1, sizeof(*t->v)) == -1)
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

int
pfx2as_add_line(struct pfx2as *px, const char *p, size_t n, const char **why)
{
	char buf[512], *f[3], *save = NULL, *end;
	uint8_t b[16];
	unsigned long len;
	const char *as;
	int v6;

	*why = NULL;
	if (n >= sizeof(buf)) {
		*why = "line too long";
		return -1;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (buf[0] == '#' || strspn(buf, " \t\r") == n)
		return 0;
	f[0] = strtok_r(buf, " \t\r", &save);
	f[1] = strtok_r(NULL, " \t\r", &save);
	f[2] = strtok_r(NULL, " \t\r", &save);
	if (f[0] == NULL || f[1] == NULL || f[2] == NULL ||
	    strtok_r(NULL, " \t\r", &save) != NULL) {
		*why = "not prefix<TAB>length<TAB>AS";
		return -1;
	}
	v6 = strchr(f[0], ':') != NULL;
	len = strtoul(f[1], &end, 10);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, f[0], b) != 1 ||
	    *end != '\0' || end == f[1] || len > (v6 ? 128u : 32u) ||
	    strlen(f[2]) > PFX_MAXAS) {
		*why = "bad prefix, length or AS";
		return -1;
	}
	if ((as = pfx_intern(px, f[2])) == NULL ||
	    pfx_add(v6 ? &px->t6 : &px->t4, b, (unsigned)len, as) == -1)
		return -2;
	return 0;
}

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
pfx2as_new(void)
{
	struct pfx2as *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->t4.bytes = 4;
	p->t6.bytes = 16;
	return p;
}

int
pfx2as_finish(struct pfx2as *p)
{
	if (pfx_index(&p->t4) == -1 || pfx_index(&p->t6) == -1)
		return -1;
	return 0;
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
	free(p->ht);
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
