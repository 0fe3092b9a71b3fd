/*
 * fuzz_pkt: libFuzzer harness for pkt_parse.  Each input is parsed as an
 * incoming and as an outgoing packet; whatever parses must be consistent.
 * tests/fuzz/replay.c runs the same function over the corpus without
 * libFuzzer.
 */
#include <sys/socket.h>
#include <stdint.h>
#include <stdlib.h>

#include "probe/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const uint8_t *data, size_t len, int outgoing)
{
	struct pkt_reply r;

	if (pkt_parse(data, len, outgoing, &r) != 0) {
		if (r.kind != PKT_KIND_NONE)
			abort();
		return;
	}
	if (r.kind == PKT_KIND_NONE || (outgoing && r.kind != PKT_KIND_PROBE) ||
	    (!outgoing && r.kind == PKT_KIND_PROBE))
		abort();
	if (r.src.family != r.dst.family || r.key.dst.family != r.dst.family ||
	    (r.src.family != AF_INET && r.src.family != AF_INET6))
		abort();
	if (r.next > PKT_MAX_EXT || (r.next > 0 && r.kind != PKT_KIND_ICMP_ERR))
		abort();
	for (size_t i = 0; i < r.next; i++)
		if (r.ext[i].nmpls > PKT_MAX_MPLS || r.ext[i].dl + 4u > len)
			abort();
	if (r.has_quote != (r.kind == PKT_KIND_ICMP_ERR))
		abort();
	if (r.check.has_seq32 && (r.check.seq32 & 0xffff) != r.key.tag)
		abort();
	/* MAC bytes: at most a MAC's worth, never from a TCP segment, and
	 * only those the packet holds. */
	if (r.check.mac_len > PKT_MAC_LEN ||
	    (r.kind == PKT_KIND_TCP && r.check.mac_len != 0) ||
	    r.check.mac_len > len)
		abort();
	if ((r.icmp_class == PKT_IC_NONE) !=
	    (r.kind == PKT_KIND_TCP || r.kind == PKT_KIND_PROBE))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	check(data, len, 0);
	check(data, len, 1);
	return 0;
}
