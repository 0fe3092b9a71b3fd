/* addr: one IPv4 or IPv6 address. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <string.h>

#include "util/addr.h"

size_t
addr_len(const struct addr_ip *a)
{
	switch (a->family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

int
addr_cmp(const struct addr_ip *a, const struct addr_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->u.b, b->u.b, addr_len(a));
}

int
addr_eq(const struct addr_ip *a, const struct addr_ip *b)
{
	return addr_cmp(a, b) == 0;
}

int
addr_pton(const char *s, struct addr_ip *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

const char *
addr_ntop(const struct addr_ip *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (a->family == 0 || inet_ntop(a->family, a->u.b, buf, len) == NULL) {
		strncpy(buf, "?", len - 1);
		buf[len - 1] = '\0';
	}
	return buf;
}

void
addr_from_v4(struct addr_ip *a, const void *bytes4)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->u.b, bytes4, 4);
}

void
addr_from_v6(struct addr_ip *a, const void *bytes16)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	memcpy(a->u.b, bytes16, 16);
}

uint32_t
addr_hash(const struct addr_ip *a)
{
	/* FNV-1a: the table key is (address, ports, keyed tag), so an
	 * unkeyed hash here is enough. */
	uint32_t h = 2166136261u ^ a->family;
	size_t n = addr_len(a);

	for (size_t i = 0; i < n; i++) {
		h ^= a->u.b[i];
		h *= 16777619u;
	}
	return h;
}

void
addr_unmap(struct addr_ip *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	uint8_t v4[4];

	if (a->family != AF_INET6 || memcmp(a->u.b, mapped, sizeof(mapped)) != 0)
		return;
	memcpy(v4, a->u.b + 12, 4);
	addr_from_v4(a, v4);
}
