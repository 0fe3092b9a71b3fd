/*
 * policy: which destinations hoplited may trace, and netblock anonymization.
 * Pure code: no I/O, no logging.
 */
#ifndef HOPLITE_POLICY_H
#define HOPLITE_POLICY_H

#include <stddef.h>

#include "util/addr.h"

enum policy_verdict {
	POLICY_OK = 0,
	POLICY_UNSPECIFIED,	/* 0.0.0.0/8, :: */
	POLICY_LOOPBACK,	/* 127/8, ::1 */
	POLICY_LINKLOCAL,	/* 169.254/16, fe80::/10 */
	POLICY_MULTICAST,	/* 224/4, ff00::/8 */
	POLICY_BROADCAST,	/* 255.255.255.255 */
	POLICY_DOCUMENTATION,	/* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
	POLICY_RESERVED,	/* 240/4, 192.0.0/24, 198.18/15 (benchmarking), 100::/64,
				   v4-mapped/compatible, 2001::/23 specials, 64:ff9b::/96 ... */
	POLICY_PRIVATE,		/* 10/8, 172.16/12, 192.168/16 */
	POLICY_CGNAT,		/* 100.64/10 */
	POLICY_ULA,		/* fc00::/7 */
	POLICY_NVERDICTS
};

struct policy;

struct policy *policy_new(void);
void policy_free(struct policy *);
/* Permit a CIDR ("198.18.0.0/15", "2001:db8::/32", or a bare address)
 * even if it falls in a refused range.  0, or -1 with a message.
 * Host bits below the prefix length must be zero ("10.0.0.1/8" is refused,
 * naming the network meant); a bare address is a /32 or /128; at most
 * POLICY_MAX_ALLOW distinct entries (repeats take no slot). */
#define POLICY_MAX_ALLOW	256
int policy_allow(struct policy *, const char *cidr, char *err, size_t errlen);
/* The verdict of the longest refused prefix containing the address, or
 * POLICY_OK (also when an allowed CIDR contains it).  The policy may be
 * NULL (no allowed CIDRs); an unset address is POLICY_UNSPECIFIED.
 * Everything but POLICY_OK is a refusal. */
enum policy_verdict policy_check(const struct policy *, const struct addr_ip *);
/* Short snake_case reason for metrics labels and error replies
 * ("ok", "loopback", "private", ...). */
const char *policy_reason(enum policy_verdict);

/*
 * --anonymize netblock: if `a` lies in the same /24 (IPv4) or /48 (IPv6)
 * as `client`, zero the host part below that prefix, as M-Lab does.
 * Addresses of different families are left alone; `a` may be `client`.
 */
void policy_anonymize(struct addr_ip *a, const struct addr_ip *client);

#endif
