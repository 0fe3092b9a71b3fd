/*
 * policy: which destinations hoplited may trace, and netblock anonymization.
 *
 * The refused ranges follow the IANA IPv4 and IPv6 special-purpose address
 * registries.  A destination gets the verdict of the longest refused prefix
 * that contains it, so a specific range (255.255.255.255 inside 240/4,
 * fe80::/10 inside 8000::/1) gives its own reason.  An --allow entry that
 * contains the destination overrides any refusal.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errbuf.h"
#include "daemon/policy.h"

struct prefix {
	uint8_t family;
	uint8_t len;		/* prefix length in bits */
	uint8_t b[16];		/* network bytes, host bits zero */
};

struct range {
	uint8_t family;
	uint8_t len;
	uint8_t b[16];
	enum policy_verdict verdict;
};

struct policy {
	struct prefix allow[POLICY_MAX_ALLOW];
	size_t nallow;
};

#define V4(a, b, c, d)	{ a, b, c, d }
#define V6(...)		{ __VA_ARGS__ }

static const struct range ranges[] = {
	/* IPv4 (RFC 6890 and successors). */
	{ AF_INET, 8, V4(0, 0, 0, 0), POLICY_UNSPECIFIED }, /* this network */
	{ AF_INET, 8, V4(10, 0, 0, 0), POLICY_PRIVATE },
	{ AF_INET, 10, V4(100, 64, 0, 0), POLICY_CGNAT },
	{ AF_INET, 8, V4(127, 0, 0, 0), POLICY_LOOPBACK },
	{ AF_INET, 16, V4(169, 254, 0, 0), POLICY_LINKLOCAL },
	{ AF_INET, 12, V4(172, 16, 0, 0), POLICY_PRIVATE },
	{ AF_INET, 24, V4(192, 0, 0, 0), POLICY_RESERVED }, /* IETF protocol */
	{ AF_INET, 24, V4(192, 0, 2, 0), POLICY_DOCUMENTATION },
	{ AF_INET, 24, V4(192, 88, 99, 0), POLICY_RESERVED }, /* 6to4 relay */
	{ AF_INET, 16, V4(192, 168, 0, 0), POLICY_PRIVATE },
	{ AF_INET, 15, V4(198, 18, 0, 0), POLICY_RESERVED }, /* benchmarking */
	{ AF_INET, 24, V4(198, 51, 100, 0), POLICY_DOCUMENTATION },
	{ AF_INET, 24, V4(203, 0, 113, 0), POLICY_DOCUMENTATION },
	{ AF_INET, 4, V4(224, 0, 0, 0), POLICY_MULTICAST },
	{ AF_INET, 4, V4(240, 0, 0, 0), POLICY_RESERVED },
	{ AF_INET, 32, V4(255, 255, 255, 255), POLICY_BROADCAST },

	/* IPv6: only 2000::/3 is global unicast; the rest is reserved. */
	{ AF_INET6, 3, V6(0x00), POLICY_RESERVED },
	{ AF_INET6, 2, V6(0x40), POLICY_RESERVED },
	{ AF_INET6, 1, V6(0x80), POLICY_RESERVED },
	{ AF_INET6, 128, V6(0), POLICY_UNSPECIFIED },
	{ AF_INET6, 128, V6([15] = 1), POLICY_LOOPBACK },
	/* IPv4-mapped: a v6 socket's view of a v4 peer; judged as reserved
	 * rather than by the embedded address (trace the v4 address). */
	{ AF_INET6, 96, V6([10] = 0xff, 0xff), POLICY_RESERVED },
	/* NAT64 well-known and local-use prefixes. */
	{ AF_INET6, 96, V6(0x00, 0x64, 0xff, 0x9b), POLICY_RESERVED },
	{ AF_INET6, 48, V6(0x00, 0x64, 0xff, 0x9b, 0x00, 0x01),
	    POLICY_RESERVED },
	/* Discard-only. */
	{ AF_INET6, 64, V6(0x01, 0x00), POLICY_RESERVED },
	/* Teredo, benchmarking, ORCHID, ORCHIDv2 (in 2001::/23). */
	{ AF_INET6, 32, V6(0x20, 0x01, 0x00, 0x00), POLICY_RESERVED },
	{ AF_INET6, 48, V6(0x20, 0x01, 0x00, 0x02, 0x00, 0x00),
	    POLICY_RESERVED },
	{ AF_INET6, 28, V6(0x20, 0x01, 0x00, 0x10), POLICY_RESERVED },
	{ AF_INET6, 28, V6(0x20, 0x01, 0x00, 0x20), POLICY_RESERVED },
	{ AF_INET6, 32, V6(0x20, 0x01, 0x0d, 0xb8), POLICY_DOCUMENTATION },
	{ AF_INET6, 16, V6(0x20, 0x02), POLICY_RESERVED }, /* 6to4 */
	/* Documentation, RFC 9637. */
	{ AF_INET6, 20, V6(0x3f, 0xff, 0x00), POLICY_DOCUMENTATION },
	{ AF_INET6, 7, V6(0xfc), POLICY_ULA },
	{ AF_INET6, 10, V6(0xfe, 0x80), POLICY_LINKLOCAL },
	{ AF_INET6, 8, V6(0xff), POLICY_MULTICAST },
};

static const char *const reasons[POLICY_NVERDICTS] = {
	[POLICY_OK] = "ok",
	[POLICY_UNSPECIFIED] = "unspecified",
	[POLICY_LOOPBACK] = "loopback",
	[POLICY_LINKLOCAL] = "link_local",
	[POLICY_MULTICAST] = "multicast",
	[POLICY_BROADCAST] = "broadcast",
	[POLICY_DOCUMENTATION] = "documentation",
	[POLICY_RESERVED] = "reserved",
	[POLICY_PRIVATE] = "private",
	[POLICY_CGNAT] = "cgnat",
	[POLICY_ULA] = "ula",
};

/* Whether the first `len` bits of a and b agree. */
static int
prefix_match(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Zero the bits of b from bit `len` on (b holds `n` bytes). */
static void
mask_from(uint8_t *b, size_t n, unsigned len)
{
	size_t i = len / 8;

	if (i >= n)
		return;
	if (len % 8 != 0) {
		b[i] &= (uint8_t)(0xff << (8 - len % 8));
		i++;
	}
	memset(b + i, 0, n - i);
}

struct policy *
policy_new(void)
{
	return calloc(1, sizeof(struct policy));
}

void
policy_free(struct policy *p)
{
	free(p);
}

/*
 * Host bits below the prefix length must be zero: "198.18.1.0/15" is
 * rejected rather than silently widened, since it is more likely a typo
 * than a wish.  A bare address is a /32 or /128.
 */
int
policy_allow(struct policy *p, const char *cidr, char *err, size_t errlen)
{
	char buf[ADDR_STRLEN + 1];
	const char *slash, *s;
	struct prefix pf;
	struct addr_ip a;
	size_t alen, maxlen, i;
	unsigned len;
	uint8_t masked[16];

	if (cidr == NULL || *cidr == '\0') {
		errbuf_set(err, errlen, "empty CIDR");
		return -1;
	}
	slash = strchr(cidr, '/');
	alen = slash != NULL ? (size_t)(slash - cidr) : strlen(cidr);
	if (alen == 0 || alen >= sizeof(buf)) {
		errbuf_set(err, errlen, "%.64s: not an address or CIDR", cidr);
		return -1;
	}
	memcpy(buf, cidr, alen);
	buf[alen] = '\0';
	if (addr_pton(buf, &a) == -1) {
		errbuf_set(err, errlen, "%.64s: not an IPv4 or IPv6 address", cidr);
		return -1;
	}
	maxlen = a.family == AF_INET ? 32 : 128;
	len = (unsigned)maxlen;
	if (slash != NULL) {
		s = slash + 1;
		len = 0;
		/* Decimal digits only (no sign, no spaces), at most 3. */
		for (i = 0; s[i] != '\0'; i++) {
			if (s[i] < '0' || s[i] > '9' || i >= 3) {
				errbuf_set(err, errlen,
				    "%.64s: prefix length must be 0-%zu", cidr,
				    maxlen);
				return -1;
			}
			len = len * 10 + (unsigned)(s[i] - '0');
		}
		if (i == 0 || len > maxlen) {
			errbuf_set(err, errlen,
			    "%.64s: prefix length must be 0-%zu", cidr, maxlen);
			return -1;
		}
	}
	memcpy(masked, a.u.b, addr_len(&a));
	mask_from(masked, addr_len(&a), len);
	if (memcmp(masked, a.u.b, addr_len(&a)) != 0) {
		struct addr_ip net = a;
		char nbuf[ADDR_STRLEN];

		memcpy(net.u.b, masked, addr_len(&a));
		errbuf_set(err, errlen,
		    "%.64s: host bits set (did you mean %s/%u?)", cidr,
		    addr_ntop(&net, nbuf, sizeof(nbuf)), len);
		return -1;
	}

	memset(&pf, 0, sizeof(pf));
	pf.family = a.family;
	pf.len = (uint8_t)len;
	memcpy(pf.b, a.u.b, addr_len(&a));
	/* A repeated entry takes no slot. */
	for (i = 0; i < p->nallow; i++)
		if (memcmp(&p->allow[i], &pf, sizeof(pf)) == 0)
			return 0;
	if (p->nallow >= POLICY_MAX_ALLOW) {
		errbuf_set(err, errlen,
		    "%.64s: too many allowed ranges (at most %d)", cidr,
		    POLICY_MAX_ALLOW);
		return -1;
	}
	p->allow[p->nallow++] = pf;
	return 0;
}

enum policy_verdict
policy_check(const struct policy *p, const struct addr_ip *a)
{
	enum policy_verdict v = POLICY_OK;
	int best = -1;
	size_t i;

	if (a->family != AF_INET && a->family != AF_INET6)
		return POLICY_UNSPECIFIED;
	for (i = 0; p != NULL && i < p->nallow; i++) {
		const struct prefix *pf = &p->allow[i];

		if (pf->family == a->family &&
		    prefix_match(pf->b, a->u.b, pf->len))
			return POLICY_OK;
	}
	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		const struct range *r = &ranges[i];

		if (r->family == a->family && (int)r->len > best &&
		    prefix_match(r->b, a->u.b, r->len)) {
			best = r->len;
			v = r->verdict;
		}
	}
	return v;
}

const char *
policy_reason(enum policy_verdict v)
{
	if ((unsigned)v >= POLICY_NVERDICTS)
		return "unknown";
	return reasons[v];
}

void
policy_anonymize(struct addr_ip *a, const struct addr_ip *client)
{
	unsigned len;
	uint8_t net[16];

	if (a->family != client->family)
		return;
	if (a->family == AF_INET)
		len = 24;
	else if (a->family == AF_INET6)
		len = 48;
	else
		return;
	/* Copy first: `a` may be `client` itself. */
	memcpy(net, client->u.b, addr_len(client));
	if (!prefix_match(net, a->u.b, len))
		return;
	mask_from(a->u.b, addr_len(a), len);
}
