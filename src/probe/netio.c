/*
 * netio: raw sockets, capture (a packet socket on every interface, its
 * filter compiled by libpcap), source address selection (netroute: the
 * kernel, confirmed by libdnet).
 *
 * The capture is a plain AF_PACKET socket read with recvmmsg, not
 * libpcap's capture: libpcap on Linux always maps a ring, and setting one
 * up waits for an RCU grace period in the kernel (synchronize_net: 6-15
 * ms, most of a short run's cost), as does binding a socket that is
 * already receiving.  Created with no protocol and then bound, the socket
 * never waits; and its buffer, unlike a ring, is memory only while
 * replies are queued in it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <pcap/pcap.h>

#include "probe/netio.h"
#include "probe/netroute.h"

#define NETIO_SNAPLEN	1024	/* headers, a quote and its extensions */
/*
 * Capture buffer: room for every reply that can be in flight (and the
 * probe seen leaving), counted at 256 bytes each, at least 64 bytes per
 * probe per second, within these bounds.  The kernel charges a queued
 * packet its whole buffer (about 1 KB for a small one), so the socket's
 * buffer is NETIO_BUF_TRUESIZE times that.
 */
#define NETIO_BUF_PER_PPS	64
#define NETIO_BUF_PER_PROBE	(2 * 256)
#define NETIO_BUF_MIN	(256 * 1024)
#define NETIO_BUF_MAX	(16 * 1024 * 1024)
#define NETIO_BUF_TRUESIZE	4
#define NETIO_BATCH	256	/* packets per wakeup, so one flood cannot starve timers */
#define NETIO_VLEN	32	/* packets per recvmmsg */
#define NETIO_SNDBUF	(1024 * 1024)	/* bursts of probes without ENOBUFS */

#define NETIO_ANY_RST	" or (ip and tcp and tcp[13] & 4 != 0)" \
			" or (ip6 and ip6[6] == 6 and ip6[53] & 4 != 0)"

/* One recvmmsg's buffers. */
struct netio_rx {
	struct mmsghdr msg[NETIO_VLEN];
	struct iovec iov[NETIO_VLEN];
	struct sockaddr_ll from[NETIO_VLEN];
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(struct timeval))];
	} ctl[NETIO_VLEN];
	uint8_t data[NETIO_VLEN][NETIO_SNAPLEN];
};

struct netio {
	int raw4, raw6;		/* -1 when not open */
	int cap;		/* the capture's packet socket; -1 not open */
	uint64_t drops;		/* the kernel's drop counts, summed (reading
				   them resets them) */
	struct netio_rx *rx;
	struct netroute *route;
	struct event *ev;
	struct engine *eng;
};

/*
 * A raw socket that takes whole IP packets.  Opened here rather than by
 * libnet, which grows SO_SNDBUF 128 bytes at a time (thousands of system
 * calls per socket); libnet still builds the probes.  IPPROTO_RAW implies
 * the header is ours, for IPv4 and IPv6 alike.
 */
static int
raw_open(int family, char *err, size_t errlen)
{
	int fd, one = 1, sz = NETIO_SNDBUF;

	if ((fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (family == AF_INET &&
	    setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1) {
		snprintf(err, errlen, "IP_HDRINCL: %s", strerror(errno));
		close(fd);
		return -1;
	}
	/* Best effort: the default still works, with ENOBUFS sooner. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return fd;
}

struct netio *
netio_open(int families, unsigned pps, char *err, size_t errlen)
{
	return netio_open_sized(families, pps, 0, err, errlen);
}

/*
 * The capture: a packet socket for every protocol on every interface,
 * SOCK_DGRAM (packets from their IP header on), with the kernel's receive
 * timestamps.  Created with protocol 0 it receives nothing, so neither
 * its options nor its bind wait on the kernel (see the top).
 */
static int
cap_open(size_t bufsize, char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	int fd, one = 1, sz;

	if ((fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "capture: %s", strerror(errno));
		return -1;
	}
	sz = bufsize > NETIO_BUF_MAX ? NETIO_BUF_MAX : (int)bufsize;
	sz *= NETIO_BUF_TRUESIZE;
	/* Past rmem_max as root; otherwise as much as the system allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one)) == -1) {
		snprintf(err, errlen, "capture: SO_TIMESTAMP: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = 0;	/* every interface */
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		snprintf(err, errlen, "capture: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The SOL_SOCKET control message of that type into out (len bytes). */
static void
cmsg_copy(struct msghdr *m, int type, void *out, size_t len)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL;
	    c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == type)
			memcpy(out, CMSG_DATA(c), len);
}

/*
 * Receive timestamps hang on a kernel switch that the first socket asking
 * for them turns on, later, from a work item; until then packets are
 * stamped when read, and a probe and its reply read together show an RTT
 * of 0.  (libpcap's ring stamped them when they came.)  So having asked,
 * wait until a datagram to ourselves over the loopback comes back stamped
 * before we read it: about 0.2 ms, at most NETIO_TSTAMP_TRIES x
 * NETIO_TSTAMP_PAUSE_US (no loopback: no wait).
 */
#define NETIO_TSTAMP_TRIES	100
#define NETIO_TSTAMP_PAUSE_US	200

static void
tstamp_wait_on(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) ==
	    -1 || bind(fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) == -1)
		goto out;
	for (int i = 0; i < NETIO_TSTAMP_TRIES; i++) {
		union {
			struct cmsghdr align;
			char b[CMSG_SPACE(sizeof(struct timespec))];
		} ctl;
		struct timespec sent, ts = { 0, 0 };
		struct iovec iov;
		struct msghdr m;
		char byte = 0;

		if (i > 0)
			usleep(NETIO_TSTAMP_PAUSE_US);
		if (sendto(fd, &byte, 1, 0, (struct sockaddr *)&a,
		    sizeof(a)) != 1)
			break;
		clock_gettime(CLOCK_REALTIME, &sent);
		memset(&m, 0, sizeof(m));
		iov.iov_base = &byte;
		iov.iov_len = 1;
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof(ctl.b);
		if (recvmsg(fd, &m, MSG_DONTWAIT) != 1)
			continue;	/* not looped back yet */
		cmsg_copy(&m, SCM_TIMESTAMPNS, &ts, sizeof(ts));
		if (ts.tv_sec < sent.tv_sec || (ts.tv_sec == sent.tv_sec &&
		    ts.tv_nsec < sent.tv_nsec))
			break;	/* stamped when it came: the switch is on */
	}
out:
	close(fd);
}

struct netio *
netio_open_sized(int families, unsigned pps, size_t inflight, char *err,
    size_t errlen)
{
	struct netio *n;
	char lerr[128];
	int both = (families & (NETIO_V4 | NETIO_V6)) == (NETIO_V4 | NETIO_V6);
	size_t bufsize;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->raw4 = n->raw6 = n->cap = -1;
	if (families & NETIO_V4) {
		n->raw4 = raw_open(AF_INET, lerr, sizeof(lerr));
		if (n->raw4 == -1 && !both) {
			snprintf(err, errlen, "IPv4 raw socket: %s", lerr);
			goto fail;
		}
	}
	if (families & NETIO_V6) {
		n->raw6 = raw_open(AF_INET6, lerr, sizeof(lerr));
		if (n->raw6 == -1 && (!both || n->raw4 == -1)) {
			snprintf(err, errlen, "IPv6 raw socket: %s", lerr);
			goto fail;
		}
	}
	bufsize = (size_t)pps * NETIO_BUF_PER_PPS;
	if (inflight > 0 && inflight < NETIO_BUF_MAX / NETIO_BUF_PER_PROBE &&
	    inflight * NETIO_BUF_PER_PROBE > bufsize)
		bufsize = inflight * NETIO_BUF_PER_PROBE;
	else if (inflight >= NETIO_BUF_MAX / NETIO_BUF_PER_PROBE)
		bufsize = NETIO_BUF_MAX;
	if (bufsize < NETIO_BUF_MIN)
		bufsize = NETIO_BUF_MIN;
	if ((n->cap = cap_open(bufsize, err, errlen)) == -1)
		goto fail;
	tstamp_wait_on();
	if ((n->rx = calloc(1, sizeof(*n->rx))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < NETIO_VLEN; i++) {
		struct msghdr *m = &n->rx->msg[i].msg_hdr;

		n->rx->iov[i].iov_base = n->rx->data[i];
		n->rx->iov[i].iov_len = NETIO_SNAPLEN;
		m->msg_iov = &n->rx->iov[i];
		m->msg_iovlen = 1;
		m->msg_name = &n->rx->from[i];
		m->msg_namelen = sizeof(n->rx->from[i]);
		m->msg_control = n->rx->ctl[i].b;
		m->msg_controllen = sizeof(n->rx->ctl[i].b);
	}
	if ((n->route = netroute_open()) == NULL) {
		snprintf(err, errlen, "interfaces: %s", strerror(errno));
		goto fail;
	}
	return n;
fail:
	netio_close(n);
	return NULL;
}

int
netio_families(const struct netio *n)
{
	return (n->raw4 != -1 ? NETIO_V4 : 0) | (n->raw6 != -1 ? NETIO_V6 : 0);
}

int
netio_set_device(struct netio *n, const char *ifname, char *err,
    size_t errlen)
{
	int raw[2] = { n->raw4, n->raw6 };

	/* The kernel then routes every probe out of that interface. */
	for (int i = 0; i < 2; i++) {
		if (raw[i] == -1)
			continue;
		if (setsockopt(raw[i], SOL_SOCKET,
		    SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) == -1) {
			snprintf(err, errlen, "interface %s: %s", ifname,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
netio_set_ports(struct netio *n, uint16_t lo, uint16_t hi, int any_rst,
    char *err, size_t errlen)
{
	struct netio_ports r = { lo, hi };

	return netio_set_port_ranges(n, &r, 1, any_rst, err, errlen);
}

int
netio_set_port_ranges(struct netio *n, const struct netio_ports *r,
    size_t nr, int any_rst, char *err, size_t errlen)
{
	struct bpf_program prog;
	struct sock_fprog fp;
	pcap_t *dead;
	char filter[512], ports[256];
	size_t off = 0;
	int rc;

	if (nr < 1 || nr > NETIO_MAX_RANGES) {
		snprintf(err, errlen, "capture filter: %zu port ranges", nr);
		return -1;
	}
	for (size_t i = 0; i < nr; i++)
		off += (size_t)snprintf(ports + off, sizeof(ports) - off,
		    "%s(src portrange %u-%u or dst portrange %u-%u)",
		    i > 0 ? " or " : "", (unsigned)r[i].lo, (unsigned)r[i].hi,
		    (unsigned)r[i].lo, (unsigned)r[i].hi);
	/* ICMP carries the answers; TCP and UDP only within our ports, so a
	 * busy server's own traffic never reaches user space.  Probes on
	 * other ports (a test's own flow) are answered by TCP resets, which
	 * any_rst lets in (IPv6: TCP right after the fixed header).  One
	 * range keeps the filter the trace always had. */
	if (nr == 1)
		snprintf(filter, sizeof(filter),
		    "icmp or icmp6 or ((udp or tcp) and "
		    "(src portrange %u-%u or dst portrange %u-%u))%s",
		    (unsigned)r[0].lo, (unsigned)r[0].hi, (unsigned)r[0].lo,
		    (unsigned)r[0].hi, any_rst ? NETIO_ANY_RST : "");
	else
		snprintf(filter, sizeof(filter),
		    "icmp or icmp6 or ((udp or tcp) and (%s))%s", ports,
		    any_rst ? NETIO_ANY_RST : "");
	/* Compiled for raw IP (what a SOCK_DGRAM packet socket's filter
	 * sees: v4 and v6 told apart by the version), returning at most
	 * the snap length, which the kernel then keeps of each packet. */
	if ((dead = pcap_open_dead(DLT_RAW, NETIO_SNAPLEN)) == NULL) {
		snprintf(err, errlen, "capture filter: out of memory");
		return -1;
	}
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	pcap_close(dead);
	fp.len = (unsigned short)prog.bf_len;
	fp.filter = (struct sock_filter *)prog.bf_insns;
	rc = setsockopt(n->cap, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
	if (rc == -1)
		snprintf(err, errlen, "capture filter: %s", strerror(errno));
	pcap_freecode(&prog);
	return rc;
}

static int
netio_send(void *ctx, int family, const uint8_t *pkt, size_t len)
{
	struct netio *n = ctx;
	struct sockaddr_storage ss;
	socklen_t sl;
	ssize_t r;
	int fd;

	/* The destination is the packet's own: sendto only routes it. */
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET && n->raw4 != -1 && len >= 20) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, pkt + 16, 4);
		sl = sizeof(*sin);
		fd = n->raw4;
	} else if (family == AF_INET6 && n->raw6 != -1 && len >= 40) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, pkt + 24, 16);
		sl = sizeof(*sin6);
		fd = n->raw6;
	} else {
		/* No socket for that family (or a packet too short to be
		 * one of its packets). */
		errno = EAFNOSUPPORT;
		return -1;
	}
	r = sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sl);
	if (r < 0 || (size_t)r != len) {
		if (r >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

static int
netio_source(void *ctx, const struct addr_ip *dst, struct addr_ip *src)
{
	struct netio *n = ctx;

	memset(src, 0, sizeof(*src));
	if (netroute_source(n->route, dst->family, dst->u.b, src->u.b) == -1)
		return -1;
	src->family = dst->family;
	return 0;
}

void
netio_ops(struct netio *n, struct engine_io *io)
{
	io->send = netio_send;
	io->source = netio_source;
	io->ctx = n;
}

static void
netio_readable(evutil_socket_t fd, short what, void *arg)
{
	struct netio *n = arg;
	struct netio_rx *rx = n->rx;
	int got = 0, k;

	while (got < NETIO_BATCH) {
		for (int i = 0; i < NETIO_VLEN; i++) {
			rx->msg[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
			rx->msg[i].msg_hdr.msg_controllen = sizeof(rx->ctl[i].b);
		}
		k = recvmmsg(fd, rx->msg, NETIO_VLEN, MSG_DONTWAIT, NULL);
		if (k <= 0)
			return;	/* EAGAIN: all read; an error: the next wakeup */
		for (int i = 0; i < k; i++) {
			uint16_t proto = ntohs(rx->from[i].sll_protocol);
			struct timeval ts = { 0, 0 };

			if (proto != ETH_P_IP && proto != ETH_P_IPV6)
				continue;
			cmsg_copy(&rx->msg[i].msg_hdr, SCM_TIMESTAMP, &ts,
			    sizeof(ts));
			if (ts.tv_sec == 0)
				gettimeofday(&ts, NULL);
			engine_input(n->eng, rx->data[i], rx->msg[i].msg_len,
			    &ts, rx->from[i].sll_pkttype == PACKET_OUTGOING);
		}
		got += k;
		if (k < NETIO_VLEN)
			return;
	}
}

int
netio_attach(struct netio *n, struct event_base *base, struct engine *eng)
{
	if (n->cap == -1)
		return -1;
	n->eng = eng;
	n->ev = event_new(base, n->cap, EV_READ | EV_PERSIST, netio_readable,
	    n);
	if (n->ev == NULL || event_add(n->ev, NULL) == -1)
		return -1;
	return 0;
}

uint64_t
netio_capture_drops(struct netio *n)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (n->cap != -1 && getsockopt(n->cap, SOL_PACKET, PACKET_STATISTICS,
	    &st, &len) == 0)
		n->drops += st.tp_drops;
	return n->drops;
}

void
netio_close(struct netio *n)
{
	if (n == NULL)
		return;
	if (n->ev != NULL)
		event_free(n->ev);
	if (n->cap != -1)
		close(n->cap);
	free(n->rx);
	if (n->raw4 != -1)
		close(n->raw4);
	if (n->raw6 != -1)
		close(n->raw6);
	netroute_close(n->route);
	free(n);
}

/*
 * Releasing an AF_PACKET socket waits for the kernel (RCU grace periods:
 * 10-30 ms), which a short run would spend just to exit.  A child keeps a
 * reference to the capture and drops it once this process is gone (the
 * pipe closes), so the wait is its own.  It holds nothing else: a pipeline
 * reading our output sees its end at once.
 */
void
netio_close_at_exit(struct netio *n)
{
	int p[2], fd;

	if (n == NULL || (fd = n->cap) == -1 || pipe(p) == -1) {
		netio_close(n);
		return;
	}
	/* If fork fails, the release below is simply ours. */
	if (fork() == 0) {
		int lo = fd < p[0] ? fd : p[0], hi = fd < p[0] ? p[0] : fd;
		char c;

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (lo > 0)
			close_range(0, (unsigned)lo - 1, 0);
		if (hi > lo + 1)
			close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
		close_range((unsigned)hi + 1, ~0U, 0);
		while (read(p[0], &c, 1) == -1 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	netio_close(n);		/* not the last reference when the child runs */
	close(p[1]);		/* the child may go */
}
