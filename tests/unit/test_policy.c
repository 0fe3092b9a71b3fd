/* test_policy: refused destination ranges, --allow, netblock anonymization. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "util/addr.h"
#include "daemon/policy.h"
#include "t.h"

struct vcase {
	const char *addr;
	enum policy_verdict want;
};

#define OK	POLICY_OK
#define UNSPEC	POLICY_UNSPECIFIED
#define LOOP	POLICY_LOOPBACK
#define LL	POLICY_LINKLOCAL
#define MC	POLICY_MULTICAST
#define BCAST	POLICY_BROADCAST
#define DOC	POLICY_DOCUMENTATION
#define RES	POLICY_RESERVED
#define PRIV	POLICY_PRIVATE
#define CGNAT	POLICY_CGNAT
#define ULA	POLICY_ULA

/* Every range: just below, first, last, just above. */
static const struct vcase defaults[] = {
	{ "0.0.0.0", UNSPEC }, { "0.255.255.255", UNSPEC }, { "1.0.0.0", OK },
	{ "9.255.255.255", OK }, { "10.0.0.0", PRIV },
	{ "10.255.255.255", PRIV }, { "11.0.0.0", OK },
	{ "100.63.255.255", OK }, { "100.64.0.0", CGNAT },
	{ "100.127.255.255", CGNAT }, { "100.128.0.0", OK },
	{ "126.255.255.255", OK }, { "127.0.0.0", LOOP },
	{ "127.0.0.1", LOOP }, { "127.255.255.255", LOOP },
	{ "128.0.0.0", OK },
	{ "169.253.255.255", OK }, { "169.254.0.0", LL },
	{ "169.254.255.255", LL }, { "169.255.0.0", OK },
	{ "172.15.255.255", OK }, { "172.16.0.0", PRIV },
	{ "172.31.255.255", PRIV }, { "172.32.0.0", OK },
	{ "191.255.255.255", OK }, { "192.0.0.0", RES },
	{ "192.0.0.255", RES }, { "192.0.1.0", OK }, { "192.0.1.255", OK },
	{ "192.0.2.0", DOC }, { "192.0.2.255", DOC }, { "192.0.3.0", OK },
	{ "192.88.98.255", OK }, { "192.88.99.0", RES },
	{ "192.88.99.255", RES }, { "192.88.100.0", OK },
	{ "192.167.255.255", OK }, { "192.168.0.0", PRIV },
	{ "192.168.255.255", PRIV }, { "192.169.0.0", OK },
	{ "198.17.255.255", OK }, { "198.18.0.0", RES },
	{ "198.19.255.255", RES }, { "198.20.0.0", OK },
	{ "198.51.99.255", OK }, { "198.51.100.0", DOC },
	{ "198.51.100.255", DOC }, { "198.51.101.0", OK },
	{ "203.0.112.255", OK }, { "203.0.113.0", DOC },
	{ "203.0.113.255", DOC }, { "203.0.114.0", OK },
	{ "223.255.255.255", OK }, { "224.0.0.0", MC },
	{ "239.255.255.255", MC }, { "240.0.0.0", RES },
	{ "255.255.255.254", RES }, { "255.255.255.255", BCAST },
	{ "8.8.8.8", OK }, { "91.189.88.142", OK },

	/* IPv6: everything outside 2000::/3 is reserved... */
	{ "::", UNSPEC }, { "::1", LOOP }, { "::2", RES },
	{ "::1.2.3.4", RES },			/* v4-compatible */
	{ "::fffe:ffff:ffff", RES }, { "::ffff:0:0", RES },
	{ "::ffff:8.8.8.8", RES }, { "::ffff:255.255.255.255", RES },
	{ "64:ff9b::", RES }, { "64:ff9b::8.8.8.8", RES },
	{ "64:ff9b:1::", RES }, { "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", RES },
	{ "100::", RES }, { "100::ffff:ffff:ffff:ffff", RES },
	{ "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "2000::", OK },
	{ "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "3fff::", DOC }, { "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", DOC },
	{ "3fff:1000::", OK },
	{ "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "4000::", RES }, { "8000::", RES },
	/* ... and the specials inside it. */
	{ "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "2001::", RES }, { "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "2001:1::", OK },
	{ "2001:1:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "2001:2::", RES }, { "2001:2:0:ffff:ffff:ffff:ffff:ffff", RES },
	{ "2001:2:1::", OK },
	{ "2001:f:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "2001:10::", RES }, { "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "2001:20::", RES }, { "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "2001:30::", OK },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "2001:db8::", DOC },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", DOC },
	{ "2001:db9::", OK },
	{ "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "2002::", RES }, { "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "2003::", OK }, { "2607:f8b0:4004:c07::6a", OK },
	{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "fc00::", ULA }, { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ULA },
	{ "fe00::", RES },
	{ "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "fe80::", LL }, { "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", LL },
	{ "fec0::", RES },			/* deprecated site-local */
	{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", RES },
	{ "ff00::", MC }, { "ff02::1", MC },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", MC },
};

static const char *const allows[] = {
	"198.18.0.0/15", "2001:db8::/32", "127.0.0.1", "::1", "10.1.2.0/23",
	"fc00::/8",
};

static const struct vcase allowed[] = {
	{ "198.17.255.255", OK }, { "198.18.0.0", OK },
	{ "198.19.255.255", OK }, { "198.20.0.0", OK },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "2001:db8::", OK }, { "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "2001:db9::", OK },
	{ "127.0.0.0", LOOP }, { "127.0.0.1", OK }, { "127.0.0.2", LOOP },
	{ "::", UNSPEC }, { "::1", OK }, { "::2", RES },
	{ "10.1.1.255", PRIV }, { "10.1.2.0", OK }, { "10.1.3.255", OK },
	{ "10.1.4.0", PRIV },
	{ "fc00::", OK }, { "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", OK },
	{ "fd00::", ULA },
	/* An IPv6 allow entry never covers an IPv4 address, nor back. */
	{ "::ffff:198.18.0.1", RES },
	{ "8.8.8.8", OK }, { "10.0.0.1", PRIV },
};

static const char *const bad_cidrs[] = {
	"", "/", "/24", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
	"10.0.0.0/+8", "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ",
	"10.0.0.0/0008", "10.0.0.0/1a", "10.0.0.0/8/8", "10.0.0.0//8",
	"2001:db8::/129", "2001:db8::/1000", "foo", "1.2.3", "1.2.3.4.5",
	"10.0.0.1/24", "10.0.0.0/6", "2001:db8::1/32", "2001:db8::/28",
	"0.0.0.1/0", "::1/127",
	"0000000000000000000000000000000000000000000000000000000001.2.3.4/32",
};

static void
check_table(const struct policy *p, const struct vcase *c, size_t n,
    const char *what)
{
	for (size_t i = 0; i < n; i++) {
		struct addr_ip a;
		enum policy_verdict v;

		T_EQ_INT(addr_pton(c[i].addr, &a), 0);
		v = policy_check(p, &a);
		t_checks++;
		if (v != c[i].want) {
			t_failed++;
			fprintf(stderr, "%s: %s: %s, want %s\n", what,
			    c[i].addr, policy_reason(v),
			    policy_reason(c[i].want));
		}
	}
}

static void
test_reasons(void)
{
	T_EQ_STR(policy_reason(POLICY_OK), "ok");
	T_EQ_STR(policy_reason(POLICY_LOOPBACK), "loopback");
	T_EQ_STR(policy_reason(POLICY_LINKLOCAL), "link_local");
	T_EQ_STR(policy_reason(POLICY_PRIVATE), "private");
	T_EQ_STR(policy_reason(POLICY_CGNAT), "cgnat");
	T_EQ_STR(policy_reason(POLICY_ULA), "ula");
	T_EQ_STR(policy_reason(POLICY_NVERDICTS), "unknown");
	for (int v = 0; v < POLICY_NVERDICTS; v++) {
		const char *r = policy_reason((enum policy_verdict)v);

		T_CHECK(r != NULL && *r != '\0' && strcmp(r, "unknown") != 0);
		/* snake_case: usable as a metrics label value as is. */
		T_CHECK(strspn(r, "abcdefghijklmnopqrstuvwxyz_") == strlen(r));
	}
}

static void
test_unset(void)
{
	struct addr_ip a;

	memset(&a, 0, sizeof(a));
	T_EQ_INT(policy_check(NULL, &a), POLICY_UNSPECIFIED);
}

static void
test_allow(void)
{
	struct policy *p = policy_new();
	char err[128];
	size_t i;

	T_CHECK(p != NULL);
	for (i = 0; i < sizeof(allows) / sizeof(allows[0]); i++)
		T_EQ_INT(policy_allow(p, allows[i], err, sizeof(err)), 0);
	check_table(p, allowed, sizeof(allowed) / sizeof(allowed[0]), "allow");
	policy_free(p);

	/* The whole space, the trivial /0. */
	p = policy_new();
	T_EQ_INT(policy_allow(p, "0.0.0.0/0", err, sizeof(err)), 0);
	{
		struct addr_ip a;

		addr_pton("127.0.0.1", &a);
		T_EQ_INT(policy_check(p, &a), POLICY_OK);
		addr_pton("255.255.255.255", &a);
		T_EQ_INT(policy_check(p, &a), POLICY_OK);
		addr_pton("::1", &a);
		T_EQ_INT(policy_check(p, &a), POLICY_LOOPBACK);
	}
	policy_free(p);
}

static void
test_bad_cidrs(void)
{
	struct policy *p = policy_new();
	char err[128], big[300];
	struct addr_ip a;

	for (size_t i = 0; i < sizeof(bad_cidrs) / sizeof(bad_cidrs[0]); i++) {
		err[0] = '\0';
		t_checks++;
		if (policy_allow(p, bad_cidrs[i], err, sizeof(err)) != -1) {
			t_failed++;
			fprintf(stderr, "accepted bad CIDR \"%s\"\n",
			    bad_cidrs[i]);
		}
		T_CHECK(err[0] != '\0');
	}
	T_EQ_INT(policy_allow(p, NULL, err, sizeof(err)), -1);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	T_EQ_INT(policy_allow(p, big, err, sizeof(err)), -1);
	/* Messages name the input and, for host bits, the network. */
	T_EQ_INT(policy_allow(p, "10.0.0.1/24", err, sizeof(err)), -1);
	T_EQ_STR(err, "10.0.0.1/24: host bits set (did you mean 10.0.0.0/24?)");
	T_EQ_INT(policy_allow(p, "2001:db8::1/32", err, sizeof(err)), -1);
	T_EQ_STR(err,
	    "2001:db8::1/32: host bits set (did you mean 2001:db8::/32?)");
	T_EQ_INT(policy_allow(p, "10.0.0.0/33", err, sizeof(err)), -1);
	T_EQ_STR(err, "10.0.0.0/33: prefix length must be 0-32");
	/* No message buffer is fine. */
	T_EQ_INT(policy_allow(p, "junk", NULL, 0), -1);
	T_EQ_INT(policy_allow(p, "junk", err, 1), -1);
	T_EQ_STR(err, "");
	/* Nothing was added by the failures. */
	addr_pton("10.0.0.1", &a);
	T_EQ_INT(policy_check(p, &a), POLICY_PRIVATE);
	addr_pton("10.0.0.0", &a);
	T_EQ_INT(policy_check(p, &a), POLICY_PRIVATE);
	policy_free(p);
}

static void
test_allow_bound(void)
{
	struct policy *p = policy_new();
	char cidr[64], err[128];
	struct addr_ip a;
	int i;

	T_EQ_INT(POLICY_MAX_ALLOW, 256);
	for (i = 0; i < POLICY_MAX_ALLOW; i++) {
		snprintf(cidr, sizeof(cidr), "10.%d.0.0/16", i);
		T_EQ_INT(policy_allow(p, cidr, err, sizeof(err)), 0);
	}
	/* Repeats take no slot. */
	T_EQ_INT(policy_allow(p, "10.7.0.0/16", err, sizeof(err)), 0);
	T_EQ_INT(policy_allow(p, "192.168.0.0/16", err, sizeof(err)), -1);
	T_CHECK(strstr(err, "too many") != NULL);
	addr_pton("10.255.1.2", &a);
	T_EQ_INT(policy_check(p, &a), POLICY_OK);
	addr_pton("192.168.1.1", &a);
	T_EQ_INT(policy_check(p, &a), POLICY_PRIVATE);
	policy_free(p);
}

struct acase {
	const char *a, *client, *want;
};

static const struct acase anon[] = {
	{ "203.0.113.77", "203.0.113.77", "203.0.113.0" },
	{ "203.0.113.5", "203.0.113.77", "203.0.113.0" },
	{ "203.0.113.255", "203.0.113.77", "203.0.113.0" },
	{ "203.0.112.255", "203.0.113.77", "203.0.112.255" },
	{ "203.0.114.0", "203.0.113.77", "203.0.114.0" },
	{ "198.51.100.1", "203.0.113.77", "198.51.100.1" },
	{ "2001:db8:1:2::77", "2001:db8:1:2::77", "2001:db8:1::" },
	{ "2001:db8:1::", "2001:db8:1:2::77", "2001:db8:1::" },
	{ "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "2001:db8:1:2::77",
	    "2001:db8:1::" },
	{ "2001:db8:0:ffff:ffff:ffff:ffff:ffff", "2001:db8:1:2::77",
	    "2001:db8:0:ffff:ffff:ffff:ffff:ffff" },
	{ "2001:db8:2::", "2001:db8:1:2::77", "2001:db8:2::" },
	/* Families never mix. */
	{ "203.0.113.5", "::ffff:203.0.113.77", "203.0.113.5" },
	{ "::ffff:203.0.113.5", "203.0.113.77", "::ffff:203.0.113.5" },
};

static void
test_anonymize(void)
{
	for (size_t i = 0; i < sizeof(anon) / sizeof(anon[0]); i++) {
		struct addr_ip a, c;
		char buf[ADDR_STRLEN];

		T_EQ_INT(addr_pton(anon[i].a, &a), 0);
		T_EQ_INT(addr_pton(anon[i].client, &c), 0);
		policy_anonymize(&a, &c);
		T_EQ_STR(addr_ntop(&a, buf, sizeof(buf)), anon[i].want);
	}
	/* The client itself, in place: the usual way to anonymize dst. */
	{
		struct addr_ip c, c0;
		char buf[ADDR_STRLEN];

		addr_pton("192.0.2.200", &c);
		policy_anonymize(&c, &c);
		T_EQ_STR(addr_ntop(&c, buf, sizeof(buf)), "192.0.2.0");
		addr_pton("2001:db8:aaaa:bbbb::1", &c);
		c0 = c;
		policy_anonymize(&c, &c0);
		/* The hop in the client's /48 is compared with the original
		 * client, before the client is anonymized. */
		T_EQ_STR(addr_ntop(&c, buf, sizeof(buf)), "2001:db8:aaaa::");
		policy_anonymize(&c, &c);
		T_EQ_STR(addr_ntop(&c, buf, sizeof(buf)), "2001:db8:aaaa::");
	}
	/* An unset address is left alone. */
	{
		struct addr_ip a, c;

		memset(&a, 0, sizeof(a));
		memset(&c, 0, sizeof(c));
		policy_anonymize(&a, &c);
		T_EQ_INT(a.family, 0);
	}
}

int
main(void)
{
	check_table(NULL, defaults, sizeof(defaults) / sizeof(defaults[0]),
	    "default (NULL policy)");
	{
		struct policy *p = policy_new();

		check_table(p, defaults, sizeof(defaults) / sizeof(defaults[0]),
		    "default");
		policy_free(p);
	}
	test_reasons();
	test_unset();
	test_allow();
	test_bad_cidrs();
	test_allow_bound();
	test_anonymize();
	return T_DONE();
}
