/* sj: the tree, its accessors and the jansson side. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "mem.h"
#include "sj.h"

void
sj_init(void)
{
	/* jansson seeds its hash tables on first use, racily: once here */
	json_object_seed(0);
	sj_simd_init();
}

void
sj_doc_init(struct sj_doc *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
}

void
sj_doc_free(struct sj_doc *d)
{
	sj_simd_free(d);
	free(d->nodes);
	free(d->str);
	memset(d, 0, sizeof(*d));
}

int
sj_grow(struct sj_doc *d, size_t need)
{
	return mem_grow(&d->nodes, &d->cap, need, sizeof(*d->nodes));
}

/* A string node (or an object's key) whose text is copied. */
int
sj_push_str(struct sj_doc *d, uint8_t kind, const char *s, size_t len)
{
	sj_t *v;

	if (len > UINT32_MAX || d->slen + len + 1 + d->n * sizeof(*v) >
	    d->max || (d->slen + len + 1 > d->scap &&
	    mem_grow(&d->str, &d->scap, d->slen + len + 1, 1) == -1) ||
	    sj_push(d, kind, &v) == -1)
		return -1;
	memcpy(d->str + d->slen, s, len);
	d->str[d->slen + len] = '\0';
	v->n = (uint32_t)len;
	v->u.off = d->slen;
	d->slen += len + 1;
	return 0;
}

/* The strings' offsets become pointers, now that the buffer is final. */
void
sj_finish(struct sj_doc *d)
{
	if (d->slen == 0)
		return;
	for (size_t i = 0; i < d->n; i++)
		if (d->nodes[i].kind == SJ_STRING && !d->nodes[i].ref)
			d->nodes[i].u.s = d->str + d->nodes[i].u.off;
}

static int
sj_conv(struct sj_doc *d, const json_t *j)
{
	size_t at = d->n, i;
	const char *key;
	const json_t *v;
	sj_t *n;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		if (sj_push(d, SJ_OBJECT, &n) == -1)
			return -1;
		json_object_foreach((json_t *)j, key, v) {
			if (sj_push_str(d, SJ_STRING, key, strlen(key)) == -1 ||
			    sj_conv(d, v) == -1)
				return -1;
			d->nodes[at].n++;
		}
		break;
	case JSON_ARRAY:
		if (sj_push(d, SJ_ARRAY, &n) == -1)
			return -1;
		json_array_foreach(j, i, v) {
			if (sj_conv(d, v) == -1)
				return -1;
			d->nodes[at].n++;
		}
		break;
	case JSON_STRING:
		return sj_push_str(d, SJ_STRING, json_string_value(j),
		    json_string_length(j));
	case JSON_INTEGER:
		if (sj_push(d, SJ_INT, &n) == -1)
			return -1;
		n->u.i = (int64_t)json_integer_value(j);
		return 0;
	case JSON_REAL:
		if (sj_push(d, SJ_REAL, &n) == -1)
			return -1;
		n->u.d = json_real_value(j);
		return 0;
	case JSON_TRUE:
		return sj_push(d, SJ_TRUE, &n);
	case JSON_FALSE:
		return sj_push(d, SJ_FALSE, &n);
	default:
		return sj_push(d, SJ_NULL, &n);
	}
	d->nodes[at].skip = (uint32_t)(d->n - at);
	return 0;
}

const sj_t *
sj_from_jansson(struct sj_doc *d, const json_t *j)
{
	d->n = d->slen = 0;
	if (sj_conv(d, j) == -1)
		return NULL;
	sj_finish(d);
	return d->nodes;
}

const sj_t *
sj_parse(struct sj_doc *d, const char *p, size_t n, json_error_t *err,
    int *too_large)
{
	const sj_t *root;
	json_t *j;

	*too_large = 0;
	if (n <= SJ_SIMD_MAX && (root = sj_simd_parse(d, p, n)) != NULL)
		return root;
	/* jansson, within the memory a parse may take */
	arena_begin();
	arena_cap(d->max);
	j = json_loadb(p, n, 0, err);
	*too_large = j == NULL && (arena_refused() ||
	    json_error_code(err) == json_error_out_of_memory);
	arena_cap(SIZE_MAX);
	root = j != NULL ? sj_from_jansson(d, j) : NULL;
	if (j != NULL && root == NULL)
		*too_large = 1;
	json_decref(j);
	arena_end();
	return root;
}

const sj_t *
sj_at(const sj_t *a, size_t i)
{
	const sj_t *e;
	size_t k;

	sj_array_foreach(a, k, e)
		if (k == i)
			return e;
	return NULL;
}
