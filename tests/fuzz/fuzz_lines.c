/*
 * fuzz_lines: libFuzzer harness for the two line parsers that read other
 * processes' input, tcpinfo_parse (the tcp-info event socket) and
 * ctl_parse (the control socket).  Each input goes to both; whatever
 * parses must be consistent.  tests/fuzz/replay.c runs the same function
 * over tests/fuzz/corpus_lines without libFuzzer.
 */
#include <sys/socket.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl.h"
#include "daemon/tcpinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What both parsers promise about a uuid they accept. */
static void
check_uuid(const char *uuid, size_t max)
{
	size_t n = strnlen(uuid, max + 1);

	if (n == 0 || n > max || memchr(uuid, '/', n) != NULL ||
	    strcmp(uuid, ".") == 0 || strcmp(uuid, "..") == 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uuid[i] < 0x20 || uuid[i] == 0x7f)
			abort();
}

static void
check_addr(const struct addr_ip *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	if (a->family != AF_INET && a->family != AF_INET6)
		abort();
	/* v4-mapped input is stored as IPv4. */
	if (a->family == AF_INET6 && memcmp(a->u.b, mapped, 12) == 0)
		abort();
}

static void
fuzz_tcpinfo(const char *line, size_t len)
{
	struct tcpinfo_event ev, zero;
	char err[32];

	memset(&zero, 0, sizeof(zero));
	memset(err, 0, sizeof(err));
	if (tcpinfo_parse(line, len, &ev, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || memcmp(&ev, &zero, sizeof(ev)) != 0)
			abort();
		return;
	}
	if (len > TCPINFO_LINE_MAX)
		abort();
	check_uuid(ev.uuid, TCPINFO_UUID_MAX);
	if (ev.type == TCPINFO_OPEN && !ev.has_id)
		abort();
	if (ev.has_id) {
		check_addr(&ev.src);
		check_addr(&ev.dst);
	} else if (ev.src.family != 0 || ev.dst.family != 0 ||
	    ev.sport != 0 || ev.dport != 0 || ev.cookie != 0) {
		abort();
	}
	if (ev.ts.tv_usec < 0 || ev.ts.tv_usec > 999999)
		abort();
}

static void
fuzz_ctl(const char *line, size_t len)
{
	struct ctl_request req;
	char err[160];
	int found = 0;

	memset(err, 0, sizeof(err));
	if (ctl_parse(line, len, &req, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || req.ip.family != 0 ||
		    req.method != NULL || req.sport != 0 || req.dport != 0)
			abort();
		if (req.uuid[0] != '\0')
			check_uuid(req.uuid, CTL_UUID_MAX);
		/* Error messages go into JSON replies: printable ASCII. */
		for (size_t i = 0; err[i] != '\0'; i++)
			if ((unsigned char)err[i] < 0x20 ||
			    (unsigned char)err[i] > 0x7e)
				abort();
		return;
	}
	if (len > CTL_LINE_MAX)
		abort();
	check_uuid(req.uuid, CTL_UUID_MAX);
	check_addr(&req.ip);
	if (req.method != NULL) {
		for (size_t i = 0; pkt_methods[i] != NULL; i++)
			found |= pkt_methods[i] == req.method;
		if (!found)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	fuzz_tcpinfo((const char *)data, len);
	fuzz_ctl((const char *)data, len);
	return 0;
}
