/*
 * sj: the converter's JSON input.  A parsed value is a flat tree of
 * nodes (a container is followed by its members, an object's as key,
 * value pairs), read with jansson-like accessors that take NULL and any
 * kind: a lookup in something that is not an object gives NULL, a number
 * from something that is not one gives 0, and so on.
 *
 * simdjson (sj_simd.cc, the one C++ file) parses; what it refuses, and
 * what jansson would treat otherwise (a value that is not an array or
 * object, "\u0000" in a string, an integer beyond 64 bits, a long line),
 * goes to jansson instead, so every record and every error report is
 * jansson's.  A key given twice: the last one counts, as in jansson.
 */
#ifndef HOPLITE_CONVERT_SJ_H
#define HOPLITE_CONVERT_SJ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

enum sj_kind {
	SJ_NULL, SJ_FALSE, SJ_TRUE, SJ_INT, SJ_REAL, SJ_STRING, SJ_ARRAY,
	SJ_OBJECT
};

typedef struct sj_node {
	uint8_t kind;
	uint8_t ref;	/* a string: u.s points into the parser's buffer */
	uint32_t n;	/* members of a container, bytes of a string */
	uint32_t skip;	/* nodes in this value, itself included */
	union {
		int64_t i;
		double d;
		const char *s;	/* NUL-terminated */
		size_t off;	/* while parsing: the string's offset */
	} u;
} sj_t;

/* The nodes and strings of the last value parsed; reused. */
struct sj_doc {
	sj_t *nodes;
	size_t n, cap;
	char *str;
	size_t slen, scap;
	size_t max;	  /* bytes the nodes and strings may take */
	void *simd;	  /* the simdjson parser (sj_simd.cc) */
};

void sj_doc_init(struct sj_doc *, size_t max);
void sj_doc_free(struct sj_doc *);

/*
 * Parse p[0..n) (one JSON value, nothing after it).  The root, or NULL:
 * *err says why as jansson says it, *too_large when it was the memory
 * cap (jansson's, or the tree's).  The tree lives until the next parse.
 */
const sj_t *sj_parse(struct sj_doc *, const char *p, size_t n,
    json_error_t *err, int *too_large);
/* A value jansson parsed (document mode), as a tree; NULL: too large. */
const sj_t *sj_from_jansson(struct sj_doc *, const json_t *);

/* sj_simd.cc: simdjson's parse into d; the root, or NULL when simdjson
 * refuses it or jansson would take it otherwise. */
const sj_t *sj_simd_parse(struct sj_doc *d, const char *p, size_t n);
void sj_simd_free(struct sj_doc *d);
/* Before threads: what simdjson and jansson set up on first use. */
void sj_simd_init(void);
void sj_init(void);
/* Lines longer than this go to jansson (simdjson's buffers grow with
 * the longest line it parsed: about 15 times its length). */
#define SJ_SIMD_MAX ((size_t)1 << 20)

/* Node storage for sj_simd.cc: -1 when past d->max. */
/* Room for need nodes; -1 out of memory. */
int sj_grow(struct sj_doc *, size_t need);
int sj_push_str(struct sj_doc *, uint8_t kind, const char *s, size_t len);
void sj_finish(struct sj_doc *);

/* Inline: a parse pushes one node per value and key. */
static inline int
sj_push(struct sj_doc *d, uint8_t kind, sj_t **out)
{
	sj_t *v;

	if ((d->n + 1) * sizeof(*v) + d->slen > d->max ||
	    (d->n == d->cap && sj_grow(d, d->n + 1) == -1))
		return -1;
	v = &d->nodes[d->n++];
	v->kind = kind;
	v->ref = 0;
	v->n = 0;
	v->skip = 1;
	v->u.i = 0;
	*out = v;
	return 0;
}

/* A string node whose text stays where it is (NUL-terminated). */
static inline int
sj_push_ref(struct sj_doc *d, const char *s, size_t len)
{
	sj_t *v;

	if (len > UINT32_MAX || sj_push(d, SJ_STRING, &v) == -1)
		return -1;
	v->n = (uint32_t)len;
	v->u.s = s;
	v->ref = 1;
	return 0;
}

static inline int sj_is_object(const sj_t *v) { return v != NULL && v->kind == SJ_OBJECT; }
static inline int sj_is_array(const sj_t *v) { return v != NULL && v->kind == SJ_ARRAY; }
static inline int sj_is_string(const sj_t *v) { return v != NULL && v->kind == SJ_STRING; }
static inline int sj_is_integer(const sj_t *v) { return v != NULL && v->kind == SJ_INT; }
static inline int sj_is_true(const sj_t *v) { return v != NULL && v->kind == SJ_TRUE; }
static inline int
sj_is_number(const sj_t *v)
{
	return v != NULL && (v->kind == SJ_INT || v->kind == SJ_REAL);
}
static inline int64_t sj_integer(const sj_t *v) { return sj_is_integer(v) ? v->u.i : 0; }
static inline double
sj_number(const sj_t *v)
{
	return !sj_is_number(v) ? 0.0 : v->kind == SJ_INT ? (double)v->u.i :
	    v->u.d;
}
static inline const char *sj_string(const sj_t *v) { return sj_is_string(v) ? v->u.s : NULL; }

/* A member of an object (the last of that name), or NULL.  Inline: the
 * keys are constants, so their length and comparison fold. */
static inline const sj_t *
sj_get(const sj_t *o, const char *key)
{
	const sj_t *k, *found = NULL, *end;
	size_t len;

	if (!sj_is_object(o))
		return NULL;
	len = strlen(key);
	end = o + o->skip;
	for (k = o + 1; k < end; k = k + 1 + k[1].skip)
		if (k->n == len && k->u.s[0] == key[0] &&
		    memcmp(k->u.s, key, len) == 0)
			found = k + 1;
	return found;
}
/* Elements of an array: the first, the next; NULL at the end. */
static inline const sj_t *
sj_first(const sj_t *a)
{
	return sj_is_array(a) && a->n > 0 ? a + 1 : NULL;
}
static inline const sj_t *
sj_next(const sj_t *a, const sj_t *e)
{
	e += e->skip;
	return e < a + a->skip ? e : NULL;
}
/* The i-th element, or NULL. */
const sj_t *sj_at(const sj_t *a, size_t i);

#define sj_array_foreach(a, i, e) \
	for ((i) = 0, (e) = sj_first(a); (e) != NULL; \
	    (i)++, (e) = sj_next((a), (e)))

#endif
