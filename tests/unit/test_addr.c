/* test_addr: parsing, printing, ordering and hashing of addresses. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <string.h>

#include "util/addr.h"
#include "t.h"

/* Parse s, print it back, and expect `want` (the canonical form). */
static void
roundtrip(const char *s, int family, const char *want)
{
	struct addr_ip a, b;
	char buf[ADDR_STRLEN];

	T_EQ_INT(addr_pton(s, &a), 0);
	T_EQ_INT(a.family, family);
	T_EQ_INT(addr_len(&a), family == AF_INET ? 4 : 16);
	T_EQ_STR(addr_ntop(&a, buf, sizeof(buf)), want);
	/* The printed form parses back to the same address. */
	T_EQ_INT(addr_pton(buf, &b), 0);
	T_CHECK(addr_eq(&a, &b));
	T_EQ_INT(addr_cmp(&a, &b), 0);
	T_EQ_INT(addr_hash(&a), addr_hash(&b));
}

int
main(void)
{
	static const char *const bad[] = {
		"", " ", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
		" 1.2.3.4", "1.2.3.-1", "0x01.2.3.4", "01.2.3.4x", "a.b.c.d",
		"::1::", "1:2:3:4:5:6:7:8:9", "gggg::1", "2001:db8::/32",
		"fe80::1%eth0", "12345::", "1.2.3.4/24", "localhost",
		":::", "2001:db8:::1",
	};
	struct addr_ip a, b, c, d, z;
	char buf[ADDR_STRLEN], small[4];
	uint8_t v4[4] = { 192, 0, 2, 1 };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	/* Round trips, including non-canonical spellings of IPv6. */
	roundtrip("192.0.2.1", AF_INET, "192.0.2.1");
	roundtrip("0.0.0.0", AF_INET, "0.0.0.0");
	roundtrip("255.255.255.255", AF_INET, "255.255.255.255");
	roundtrip("2001:db8::1", AF_INET6, "2001:db8::1");
	roundtrip("2001:0DB8:0000:0000:0000:0000:0000:0001", AF_INET6,
	    "2001:db8::1");
	roundtrip("::", AF_INET6, "::");
	roundtrip("::1", AF_INET6, "::1");
	roundtrip("::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1");
	roundtrip("2001:668:0:3:ffff:0:d178:83bd", AF_INET6,
	    "2001:668:0:3:ffff:0:d178:83bd");
	roundtrip("fe80::1:2:3:4", AF_INET6, "fe80::1:2:3:4");

	/* Bytes land in network order. */
	T_EQ_INT(addr_pton("192.0.2.1", &a), 0);
	T_EQ_MEM(a.u.b, v4, 4);
	T_EQ_INT(addr_pton("2001:db8::1", &a), 0);
	T_EQ_MEM(a.u.b, v6, 16);

	/* Invalid strings are rejected, leaving an unset address. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0xaa, sizeof(a));
		if (addr_pton(bad[i], &a) != -1)
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
		T_EQ_INT(addr_pton(bad[i], &a), -1);
		T_EQ_INT(a.family, 0);
	}

	/* from_v4/from_v6 agree with pton. */
	addr_from_v4(&a, v4);
	T_EQ_INT(addr_pton("192.0.2.1", &b), 0);
	T_CHECK(addr_eq(&a, &b));
	T_EQ_INT(addr_hash(&a), addr_hash(&b));
	addr_from_v6(&a, v6);
	T_EQ_INT(addr_pton("2001:db8::1", &b), 0);
	T_CHECK(addr_eq(&a, &b));
	T_EQ_INT(addr_hash(&a), addr_hash(&b));

	/* Equal bytes in different families are different addresses:
	 * 0.0.0.0 and :: are both all zero. */
	T_EQ_INT(addr_pton("0.0.0.0", &a), 0);
	T_EQ_INT(addr_pton("::", &b), 0);
	T_CHECK(!addr_eq(&a, &b));
	T_CHECK(addr_cmp(&a, &b) != 0);

	/* Order: family first (AF_INET < AF_INET6), then bytes as
	 * unsigned, most significant first. */
	T_EQ_INT(addr_pton("10.0.0.2", &a), 0);
	T_EQ_INT(addr_pton("10.0.0.10", &b), 0);
	T_EQ_INT(addr_pton("255.0.0.0", &c), 0);
	T_EQ_INT(addr_pton("::1", &d), 0);
	T_CHECK(addr_cmp(&a, &b) < 0);
	T_CHECK(addr_cmp(&b, &a) > 0);
	T_CHECK(addr_cmp(&b, &c) < 0);
	T_CHECK(addr_cmp(&c, &d) < 0);	/* any v4 before any v6 */
	T_CHECK(addr_cmp(&d, &a) > 0);
	T_CHECK(!addr_eq(&a, &b));
	T_EQ_INT(addr_pton("2001:db8::2", &a), 0);
	T_EQ_INT(addr_pton("2001:db8::10", &b), 0);
	T_EQ_INT(addr_pton("fe80::", &c), 0);
	T_CHECK(addr_cmp(&a, &b) < 0);
	T_CHECK(addr_cmp(&b, &c) < 0);
	T_CHECK(addr_cmp(&c, &a) > 0);

	/* Unset addresses: length 0, printed as "?", equal to each other. */
	memset(&z, 0, sizeof(z));
	T_EQ_INT(addr_len(&z), 0);
	T_EQ_STR(addr_ntop(&z, buf, sizeof(buf)), "?");
	T_CHECK(addr_eq(&z, &z));
	T_CHECK(addr_cmp(&z, &a) < 0);

	/* ntop always terminates, even when the buffer is too small. */
	T_EQ_INT(addr_pton("192.0.2.1", &a), 0);
	memset(small, 'x', sizeof(small));
	addr_ntop(&a, small, sizeof(small));
	T_CHECK(memchr(small, '\0', sizeof(small)) != NULL);

	/* Hashes of different addresses usually differ. */
	T_EQ_INT(addr_pton("192.0.2.1", &a), 0);
	T_EQ_INT(addr_pton("192.0.2.2", &b), 0);
	T_CHECK(addr_hash(&a) != addr_hash(&b));

	return T_DONE();
}
