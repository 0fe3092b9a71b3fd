// sj_simd: simdjson's DOM parser behind sj.h.  Only this file is C++.
// The DOM parser (not On-Demand) because it validates the whole line:
// On-Demand checks only what it reads, so lines jansson rejects would
// pass.  Its tape is walked once into sj's flat tree.
#include "config.h"

#include <cstring>
#include <string.h>
#include <new>

#include <simdjson.h>

extern "C" {
#include "sj.h"
}

using namespace simdjson;

namespace {

// A node.  Unchecked: the caller made room for every node the tape can
// give, within d->max (so sj_push() could not fail either).
template <bool Checked>
inline int
push(struct sj_doc *d, uint8_t kind, sj_t **out)
{
	sj_t *v;

	if (Checked)
		return sj_push(d, kind, out);
	v = &d->nodes[d->n++];
	v->kind = kind;
	v->ref = 0;
	v->n = 0;
	v->skip = 1;
	v->u.i = 0;
	*out = v;
	return 0;
}

template <bool Checked>
inline int
push_ref(struct sj_doc *d, const char *s, uint32_t len)
{
	sj_t *v;

	if (Checked)
		return sj_push_ref(d, s, len);
	push<false>(d, SJ_STRING, &v);
	v->n = len;
	v->u.s = s;
	v->ref = 1;
	return 0;
}

// The parsed document's tape (simdjson's doc/tape.md): the values in
// order, keys included, as sj's nodes are, so one pass over it makes
// the tree.  Each word: its kind in the top byte; '{' and '[' hold
// their member count in bits 32-55, '"' the offset of a 32-bit length
// and the NUL-terminated text in the string buffer, 'l' and 'd' their
// number in the next word.
//
// -1: a kind jansson treats otherwise (or the tree is full): the caller
// goes to jansson.
// strings are used in place: simdjson's DOM keeps them NUL-terminated
// until the next parse.  nul: the line has a "\u0000" escape somewhere,
// so each string must be checked for a NUL.
template <bool Checked>
int
walk(struct sj_doc *d, const dom::document &doc, bool nul)
{
	const uint64_t *tape = doc.tape.get();
	const uint8_t *sbuf = doc.string_buf.get();
	// the containers open, by node (the parser's depth limit is
	// DEFAULT_MAX_DEPTH)
	size_t open[DEFAULT_MAX_DEPTH + 1], depth = 0;
	sj_t *n;

	for (size_t i = 1;; i++) {
		uint64_t t = tape[i];
		uint64_t v = t & internal::JSON_VALUE_MASK;

		switch (char(t >> 56)) {
		case '{':
		case '[':
			if (depth == DEFAULT_MAX_DEPTH || push<Checked>(d, char(t >>
			    56) == '{' ? SJ_OBJECT : SJ_ARRAY, &n) == -1)
				return -1;
			n->n = uint32_t(v >> 32) & internal::JSON_COUNT_MASK;
			if (n->n == internal::JSON_COUNT_MASK)
				return -1;	// saturated: not counted
			open[depth++] = d->n - 1;
			continue;
		case '}':
		case ']':
			d->nodes[open[depth - 1]].skip =
			    uint32_t(d->n - open[depth - 1]);
			if (--depth == 0)
				return 0;
			continue;
		case '"': {
			uint32_t len;
			const char *str = reinterpret_cast<const char *>(sbuf +
			    v + sizeof(len));

			std::memcpy(&len, sbuf + v, sizeof(len));
			// jansson refuses "\u0000" in a string
			if ((nul && std::memchr(str, 0, len) != nullptr) ||
			    push_ref<Checked>(d, str, len) == -1)
				return -1;
			break;
		}
		case 'l':
			if (push<Checked>(d, SJ_INT, &n) == -1)
				return -1;
			n->u.i = int64_t(tape[++i]);
			break;
		case 'd':
			if (push<Checked>(d, SJ_REAL, &n) == -1)
				return -1;
			std::memcpy(&n->u.d, &tape[++i], sizeof(n->u.d));
			break;
		case 't':
			if (push<Checked>(d, SJ_TRUE, &n) == -1)
				return -1;
			break;
		case 'f':
			if (push<Checked>(d, SJ_FALSE, &n) == -1)
				return -1;
			break;
		case 'n':
			if (push<Checked>(d, SJ_NULL, &n) == -1)
				return -1;
			break;
		default:	// 'u': beyond jansson's integers: its error
			return -1;
		}
		if (depth == 0)
			return -1;	// a scalar root: the caller refuses it
	}
}

// Whether p[0..n) holds "\u0000": memmem's answer, found faster by
// looking only at the backslashes (few in a traceroute).
bool
has_nul_escape(const char *p, size_t n)
{
	const char *q = p, *end = p + n;

	while ((q = static_cast<const char *>(std::memchr(q, '\\',
	    size_t(end - q)))) != nullptr) {
		if (end - q >= 6 && std::memcmp(q + 1, "u0000", 5) == 0)
			return true;
		q++;
	}
	return false;
}

} // namespace

extern "C" const sj_t *
sj_simd_parse(struct sj_doc *d, const char *p, size_t n)
{
	dom::parser *parser = static_cast<dom::parser *>(d->simd);
	dom::element root;
	size_t tape;
	int rc;

	if (parser == nullptr) {
		parser = new (std::nothrow) dom::parser(SJ_SIMD_MAX);
		if (parser == nullptr)
			return nullptr;
		d->simd = parser;
	}
	try {
		if (parser->parse(p, n).get(root) != SUCCESS)
			return nullptr;
		// jansson takes only an array or an object here
		if (root.type() != dom::element_type::OBJECT &&
		    root.type() != dom::element_type::ARRAY)
			return nullptr;
		d->n = d->slen = 0;
		// fewer nodes than tape words (the root's word holds their
		// number): room for them all spares the checks per node
		tape = parser->doc.tape[0] & internal::JSON_VALUE_MASK;
		if (tape * sizeof(sj_t) <= d->max && (tape <= d->cap ||
		    sj_grow(d, tape) == 0))
			rc = walk<false>(d, parser->doc, has_nul_escape(p, n));
		else
			rc = walk<true>(d, parser->doc, has_nul_escape(p, n));
		if (rc == -1)
			return nullptr;
	} catch (...) {
		return nullptr;
	}
	sj_finish(d);
	return d->nodes;
}

extern "C" void
sj_simd_init(void)
{
	// simdjson picks its kernel for this CPU once, on first use
	(void)simdjson::get_active_implementation()->name();
}

extern "C" void
sj_simd_free(struct sj_doc *d)
{
	delete static_cast<dom::parser *>(d->simd);
	d->simd = nullptr;
}
