/* jsonl: bounded loading of one JSON line. */
#include <stdio.h>

#include "util/jsonl.h"

/* Deeper nesting than max (outside strings); the text need not be valid. */
static int
too_deep(const char *s, size_t len, int max)
{
	int depth = 0, in_str = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return 1;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

json_t *
jsonl_object(const char *line, size_t len, int maxdepth, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	if (too_deep(line, len, maxdepth)) {
		snprintf(err, errlen, "invalid JSON: nested too deep");
		return NULL;
	}
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL) {
		if (json_error_code(&jerr) == json_error_duplicate_key) {
			snprintf(err, errlen, "invalid JSON: duplicate key");
			return NULL;
		}
		/* jansson quotes the input near the error: keep the message
		 * printable ASCII, it may go back to the peer. */
		for (char *p = jerr.text; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		snprintf(err, errlen, "invalid JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(err, errlen, "not a JSON object");
		return NULL;
	}
	return root;
}
