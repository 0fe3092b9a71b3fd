/*
 * spoof: the off-path forger of tests/lab/test_spoof.py.
 *
 * Sends ICMP and ICMPv6 time-exceeded messages that a router at a fake
 * address would send about a tracer's probe toward a destination: the right
 * addresses, protocol, ports or echo id and probe length, every 16-bit tag
 * in turn (`passes` times), and random values where the tracer keeps what an
 * off-path sender cannot know (IPv4 IP ID, the high half of the TCP sequence
 * number, the payload MAC).  Half the passes quote the probe whole, half
 * quote 8 transport bytes (RFC 792), the strongest IPv4 forgery.
 *
 * Frames leave through one interface by a packet socket, in batches
 * (sendmmsg), to a given next-hop MAC, so nothing is routed by this host.
 * Every address must lie in 198.18.0.0/15 or 2001:db8::/32 (the lab's).
 *
 * usage: spoof -i ifname -m nexthop-mac -M method -n passes
 *              [-4 tracer,dest,fake] [-6 tracer,dest,fake]
 *              [-s sport] [-d dport]
 * Prints "sent N in S s" and exits 0; 1 on errors, 2 on usage.
 */
#define _GNU_SOURCE	/* sendmmsg */
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH		256
#define FRAME_MAX	256
#define MAX_PASSES	64
#define MAX_WAITS	10000	/* per batch, 100 us each */

enum kind { K_ICMP, K_UDP, K_TCP, K_TCPACK };

struct fam {
	int on, v6;
	uint8_t tracer[16], dest[16], fake[16];
	uint16_t size;		/* the probe's length, IP header in */
};

static uint64_t rng;

static uint32_t
rnd(void)
{
	/* xorshift64*: fast, and no forger could do better than chance. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int
in_lab(const uint8_t *a, int v6)
{
	if (v6)
		return a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d &&
		    a[3] == 0xb8;
	return a[0] == 198 && (a[1] & 0xfe) == 18;
}

static int
parse_fam(char *arg, int v6, struct fam *f)
{
	char *parts[3], *save = NULL;
	int af = v6 ? AF_INET6 : AF_INET;

	for (int i = 0; i < 3; i++) {
		parts[i] = strtok_r(i == 0 ? arg : NULL, ",", &save);
		if (parts[i] == NULL)
			return -1;
	}
	if (inet_pton(af, parts[0], f->tracer) != 1 ||
	    inet_pton(af, parts[1], f->dest) != 1 ||
	    inet_pton(af, parts[2], f->fake) != 1)
		return -1;
	if (!in_lab(f->tracer, v6) || !in_lab(f->dest, v6) ||
	    !in_lab(f->fake, v6))
		return -1;
	f->on = 1;
	f->v6 = v6;
	return 0;
}

/* The quoted probe's transport bytes; qlen of them. */
static void
transport(uint8_t *t, size_t qlen, size_t l4len, enum kind k, int v6,
    uint16_t sport, uint16_t dport, uint16_t tag)
{
	memset(t, 0, qlen);
	switch (k) {
	case K_ICMP:
		t[0] = v6 ? 128 : 8;
		put16(t + 2, (uint16_t)rnd());
		put16(t + 4, sport);
		put16(t + 6, tag);
		break;
	case K_UDP:
		put16(t, sport);
		put16(t + 2, dport);
		put16(t + 4, (uint16_t)l4len);
		put16(t + 6, tag);
		break;
	case K_TCP:
	case K_TCPACK:
		put16(t, sport);
		put16(t + 2, dport);
		put32(t + 4, rnd() << 16 | tag);
		if (qlen >= 20) {
			if (k == K_TCPACK)
				memcpy(t + 8, t + 4, 4);
			t[12] = 5 << 4;
			t[13] = k == K_TCPACK ? 0x10 : 0x02;
			put16(t + 14, 65535);
			put16(t + 16, (uint16_t)rnd());
		}
		break;
	}
	/* Whatever follows the headers (compensation word, MAC): random. */
	for (size_t i = k == K_TCP || k == K_TCPACK ? 20 : 8; i < qlen; i++)
		t[i] = (uint8_t)rnd();
}

/* One forged time-exceeded into buf; its length. */
static size_t
forge(uint8_t *buf, const struct fam *f, enum kind k, uint16_t sport,
    uint16_t dport, uint16_t tag, int short_quote)
{
	size_t ohl = f->v6 ? 40 : 20, qhl = ohl;
	size_t l4len = f->size - qhl;
	size_t qlen = short_quote ? 8 : l4len;
	size_t mlen = 8 + qhl + qlen, len = ohl + mlen;
	uint8_t *icmp = buf + ohl, *q = icmp + 8;
	uint8_t proto = k == K_ICMP ? (f->v6 ? 58 : 1) : k == K_UDP ? 17 : 6;
	uint32_t s;

	memset(buf, 0, len);
	/* The quoted probe: its header as the silent router saw it. */
	if (f->v6) {
		put32(q, 6u << 28 | (rnd() & 0xfffff));
		put16(q + 4, (uint16_t)l4len);
		q[6] = proto;
		q[7] = 1;
		memcpy(q + 8, f->tracer, 16);
		memcpy(q + 24, f->dest, 16);
	} else {
		q[0] = 0x45;
		put16(q + 2, f->size);
		put16(q + 4, (uint16_t)rnd());
		q[8] = 1;
		q[9] = proto;
		memcpy(q + 12, f->tracer, 4);
		memcpy(q + 16, f->dest, 4);
		put16(q + 10, fold(sum16(q, 20, 0)));
	}
	transport(q + qhl, qlen, l4len, k, f->v6, sport, dport, tag);
	icmp[0] = f->v6 ? 3 : 11;
	/* The outer header, from the fake router to the tracer. */
	if (f->v6) {
		put32(buf, 6u << 28);
		put16(buf + 4, (uint16_t)mlen);
		buf[6] = 58;
		buf[7] = 64;
		memcpy(buf + 8, f->fake, 16);
		memcpy(buf + 24, f->tracer, 16);
		s = sum16(buf + 8, 32, 0) + 58 + (uint32_t)mlen;
	} else {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)len);
		put16(buf + 4, (uint16_t)rnd());
		buf[8] = 64;
		buf[9] = 1;
		memcpy(buf + 12, f->fake, 4);
		memcpy(buf + 16, f->tracer, 4);
		put16(buf + 10, fold(sum16(buf, 20, 0)));
		s = 0;
	}
	put16(icmp + 2, fold(sum16(icmp, mlen, s)));
	return len;
}

static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
	        &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

/* Send n messages; a full queue is waited out, a bounded number of times. */
static int
flush(int fd, struct mmsghdr *msgs, size_t n, unsigned long long *sent)
{
	unsigned waits = 0;

	for (size_t off = 0; off < n;) {
		int r = sendmmsg(fd, msgs + off, (unsigned)(n - off), 0);

		if (r == -1 && (errno == ENOBUFS || errno == EAGAIN ||
		        errno == EINTR) && waits++ < MAX_WAITS) {
			usleep(100);
			continue;
		}
		if (r == -1) {
			perror("spoof: sendmmsg");
			return -1;
		}
		off += (size_t)r;
		*sent += (unsigned long long)r;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: spoof -i ifname -m nexthop-mac -M method "
	    "-n passes [-4 tracer,dest,fake] [-6 tracer,dest,fake] "
	    "[-s sport] [-d dport]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FRAME_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll to[2];
	struct fam fams[2];
	const char *ifname = NULL, *method = NULL;
	uint8_t mac[6];
	int have_mac = 0, passes = 0, fd = -1, rc = 1, c;
	unsigned sport = 33000, dport = 0;
	unsigned long long sent = 0;
	enum kind k;
	size_t n = 0;
	struct timespec t0, t1;

	memset(fams, 0, sizeof(fams));
	while ((c = getopt(argc, argv, "i:m:M:n:4:6:s:d:")) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			if (parse_mac(optarg, mac) == -1)
				usage();
			have_mac = 1;
			break;
		case 'M':
			method = optarg;
			break;
		case 'n':
			passes = atoi(optarg);
			break;
		case '4':
		case '6':
			if (parse_fam(optarg, c == '6',
			        &fams[c == '6']) == -1) {
				fprintf(stderr, "spoof: -%c: three lab "
				    "addresses, tracer,dest,fake\n", c);
				return 2;
			}
			break;
		case 's':
			sport = (unsigned)atoi(optarg);
			break;
		case 'd':
			dport = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (ifname == NULL || !have_mac || method == NULL || passes < 1 ||
	    passes > MAX_PASSES || sport > 65535 || dport > 65535 ||
	    (!fams[0].on && !fams[1].on))
		usage();
	if (strcmp(method, "icmp-paris") == 0)
		k = K_ICMP;
	else if (strcmp(method, "udp-paris") == 0)
		k = K_UDP;
	else if (strcmp(method, "tcp-paris") == 0)
		k = K_TCP;
	else if (strcmp(method, "tcp-ack-paris") == 0)
		k = K_TCPACK;
	else
		usage();
	if (dport == 0)
		dport = k == K_UDP ? 33435 : k == K_ICMP ? 0 : 80;
	/* hoplite's default probe lengths */
	fams[0].size = k == K_TCP || k == K_TCPACK ? 40 : 44;
	fams[1].size = (uint16_t)(fams[0].size + 20);

	if ((fd = socket(AF_PACKET, SOCK_DGRAM, 0)) == -1) {
		perror("spoof: packet socket");
		goto done;
	}
	for (int v6 = 0; v6 < 2; v6++) {
		memset(&to[v6], 0, sizeof(to[v6]));
		to[v6].sll_family = AF_PACKET;
		to[v6].sll_protocol = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
		to[v6].sll_ifindex = (int)if_nametoindex(ifname);
		to[v6].sll_halen = 6;
		memcpy(to[v6].sll_addr, mac, 6);
		if (to[v6].sll_ifindex == 0) {
			fprintf(stderr, "spoof: no interface %s\n", ifname);
			goto done;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rng = (uint64_t)t0.tv_nsec << 20 ^ (uint64_t)getpid() ^
	    0x9e3779b97f4a7c15ULL;

	memset(msgs, 0, sizeof(msgs));
	for (int p = 0; p < passes; p++) {
		for (uint32_t tag = 0; tag <= 0xffff; tag++) {
			for (int v6 = 0; v6 < 2; v6++) {
				if (!fams[v6].on)
					continue;
				iov[n].iov_base = frames[n];
				iov[n].iov_len = forge(frames[n], &fams[v6], k,
				    (uint16_t)sport, (uint16_t)dport,
				    (uint16_t)tag, (p + v6) % 2 == 0);
				msgs[n].msg_hdr.msg_iov = &iov[n];
				msgs[n].msg_hdr.msg_iovlen = 1;
				msgs[n].msg_hdr.msg_name = &to[v6];
				msgs[n].msg_hdr.msg_namelen = sizeof(to[v6]);
				if (++n < BATCH)
					continue;
				if (flush(fd, msgs, n, &sent) == -1)
					goto done;
				n = 0;
			}
		}
	}
	if (n > 0 && flush(fd, msgs, n, &sent) == -1)
		goto done;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("sent %llu in %.3f s\n", sent,
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	return rc;
}
