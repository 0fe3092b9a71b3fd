/* ctl_parse: one control request line (pure). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "daemon/ctl.h"
#include "daemon/mlab.h"
#include "util/jsonl.h"

/* Requests are flat; anything nested deeper than this is junk. */
#define CTL_DEPTH_MAX		8

/*
 * Parsing
 */

static int
fail(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

/* An optional port: absent or null is 0. */
static int
opt_port(json_t *root, const char *key, uint16_t *port, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(root, key);
	json_int_t n;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    n > 65535) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: not a port number (0-65535)",
			    key);
		return -1;
	}
	*port = (uint16_t)n;
	return 0;
}

static void
unknown_method(char *err, size_t errlen)
{
	size_t off;

	if (errlen == 0)
		return;
	off = (size_t)snprintf(err, errlen, "method: unknown (");
	for (size_t i = 0; pkt_methods[i] != NULL && off < errlen; i++)
		off += (size_t)snprintf(err + off, errlen - off, "%s%s",
		    i > 0 ? ", " : "", pkt_methods[i]->name);
	if (off < errlen)
		snprintf(err + off, errlen - off, ")");
}

int
ctl_parse(const char *line, size_t len, struct ctl_request *req, char *err,
    size_t errlen)
{
	json_t *root = NULL, *v;
	const char *why;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	if (len > CTL_LINE_MAX) {
		fail(err, errlen, "line too long");
		goto done;
	}
	if ((root = jsonl_object(line, len, CTL_DEPTH_MAX, err, errlen)) == NULL)
		goto done;

	/* The uuid first, so that later errors can name the request. */
	if ((v = json_object_get(root, "uuid")) == NULL) {
		fail(err, errlen, "missing uuid");
		goto done;
	}
	if (!json_is_string(v)) {
		fail(err, errlen, "uuid: not a string");
		goto done;
	}
	if ((why = mlab_uuid_problem(json_string_value(v),
	    json_string_length(v))) != NULL) {
		fail(err, errlen, why);
		goto done;
	}
	memcpy(req->uuid, json_string_value(v), json_string_length(v) + 1);

	if ((v = json_object_get(root, "ip")) == NULL) {
		fail(err, errlen, "missing ip");
		goto done;
	}
	if (!json_is_string(v)) {
		fail(err, errlen, "ip: not a string");
		goto done;
	}
	if (json_string_length(v) > 63 ||
	    addr_pton(json_string_value(v), &req->ip) == -1) {
		fail(err, errlen, "ip: not an IP address");
		goto done;
	}
	addr_unmap(&req->ip);

	if (opt_port(root, "sport", &req->sport, err, errlen) == -1 ||
	    opt_port(root, "dport", &req->dport, err, errlen) == -1)
		goto done;

	if ((v = json_object_get(root, "method")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v)) {
			fail(err, errlen, "method: not a string");
			goto done;
		}
		if ((req->method = pkt_method_find(json_string_value(v))) ==
		    NULL) {
			unknown_method(err, errlen);
			goto done;
		}
	}
	rc = 0;
done:
	json_decref(root);
	if (rc == -1) {
		/* Keep only the uuid, for the error reply. */
		memset(&req->ip, 0, sizeof(req->ip));
		req->sport = req->dport = 0;
		req->method = NULL;
	}
	return rc;
}
