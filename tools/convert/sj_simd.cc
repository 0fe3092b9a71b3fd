// sj_simd: simdjson's DOM parser behind sj.h.  Only this file is C++.
// The DOM parser (not On-Demand) because it validates the whole line:
// On-Demand checks only what it reads, so lines jansson rejects would
// pass.  The DOM is walked once into sj's flat tree.
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

// -1: a kind jansson treats otherwise (or the tree is full): the caller
// goes to jansson.
// strings are used in place: simdjson's DOM keeps them NUL-terminated
// until the next parse.  nul: the line has a "\u0000" escape somewhere,
// so each string must be checked for a NUL.
int
walk(struct sj_doc *d, dom::element e, bool nul)
{
	size_t at = d->n;
	sj_t *n;

	switch (e.type()) {
	case dom::element_type::OBJECT:
		if (sj_push(d, SJ_OBJECT, &n) == -1)
			return -1;
		for (dom::key_value_pair kv : dom::object(e)) {
			if ((nul && std::memchr(kv.key.data(), 0,
			    kv.key.size()) != nullptr) ||
			    sj_push_ref(d, kv.key.data(), kv.key.size()) == -1 ||
			    walk(d, kv.value, nul) == -1)
				return -1;
			d->nodes[at].n++;
		}
		break;
	case dom::element_type::ARRAY:
		if (sj_push(d, SJ_ARRAY, &n) == -1)
			return -1;
		for (dom::element c : dom::array(e)) {
			if (walk(d, c, nul) == -1)
				return -1;
			d->nodes[at].n++;
		}
		break;
	case dom::element_type::STRING: {
		std::string_view s = std::string_view(e);

		// jansson refuses "\u0000" in a string
		if (nul && std::memchr(s.data(), 0, s.size()) != nullptr)
			return -1;
		return sj_push_ref(d, s.data(), s.size());
	}
	case dom::element_type::INT64:
		if (sj_push(d, SJ_INT, &n) == -1)
			return -1;
		n->u.i = int64_t(e);
		return 0;
	case dom::element_type::UINT64:
		return -1;	// beyond jansson's integers: its error
	case dom::element_type::DOUBLE:
		if (sj_push(d, SJ_REAL, &n) == -1)
			return -1;
		n->u.d = double(e);
		return 0;
	case dom::element_type::BOOL:
		return sj_push(d, bool(e) ? SJ_TRUE : SJ_FALSE, &n);
	case dom::element_type::NULL_VALUE:
		return sj_push(d, SJ_NULL, &n);
	}
	d->nodes[at].skip = uint32_t(d->n - at);
	return 0;
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
		if (walk(d, root, has_nul_escape(p, n)) == -1)
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
