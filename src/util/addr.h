/* addr: one IPv4 or IPv6 address, as probes and replies carry them. */
#ifndef HOPLITE_ADDR_H
#define HOPLITE_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/*
 * libdnet exports addr_cmp, addr_pton and addr_ntop with other meanings; a
 * definition in our binary would silently replace them inside libdnet.  The
 * link-level names are therefore prefixed.
 */
#define addr_len	hoplite_addr_len
#define addr_cmp	hoplite_addr_cmp
#define addr_eq		hoplite_addr_eq
#define addr_pton	hoplite_addr_pton
#define addr_ntop	hoplite_addr_ntop
#define addr_from_v4	hoplite_addr_from_v4
#define addr_from_v6	hoplite_addr_from_v6
#define addr_hash	hoplite_addr_hash
#define addr_unmap	hoplite_addr_unmap

struct addr_ip {
	uint8_t family; /* AF_INET or AF_INET6; 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	} u;
};

/* Bytes of the address proper: 4 or 16 (0 when unset). */
size_t addr_len(const struct addr_ip *);
/* Total order: family first, then bytes. */
int addr_cmp(const struct addr_ip *, const struct addr_ip *);
int addr_eq(const struct addr_ip *, const struct addr_ip *);
/* Parse a numeric IPv4 or IPv6 address; 0 on success, -1 otherwise. */
int addr_pton(const char *, struct addr_ip *);
/* Always NUL-terminates; returns buf. */
const char *addr_ntop(const struct addr_ip *, char *buf, size_t len);
void addr_from_v4(struct addr_ip *, const void *bytes4);
void addr_from_v6(struct addr_ip *, const void *bytes16);
/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 address. */
void addr_unmap(struct addr_ip *);
/* 32-bit hash of the address bytes (for hash tables; not keyed). */
uint32_t addr_hash(const struct addr_ip *);

#endif
