/*
 * netio: raw sockets, capture (libpcap on "any"), source address
 * selection (netroute: the kernel, confirmed by libdnet).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <pcap/pcap.h>
#include <pcap/sll.h>

#include "probe/netio.h"
#include "probe/netroute.h"

#define NETIO_SNAPLEN	1024	/* headers, a quote and its extensions */
/*
 * Capture buffer: room for every reply that can be in flight (and the
 * probe seen leaving), about 256 bytes each in the ring with its headers,
 * at least 64 bytes per probe per second, within these bounds.  Every
 * byte of the ring is resident: not more than the replies need.
 */
#define NETIO_BUF_PER_PPS	64
#define NETIO_BUF_PER_PROBE	(2 * 256)
#define NETIO_BUF_MIN	(256 * 1024)
#define NETIO_BUF_MAX	(16 * 1024 * 1024)
#define NETIO_BATCH	256	/* packets per wakeup, so one flood cannot starve timers */
#define NETIO_SNDBUF	(1024 * 1024)	/* bursts of probes without ENOBUFS */

#define NETIO_ANY_RST	" or (ip and tcp and tcp[13] & 4 != 0)" \
			" or (ip6 and ip6[6] == 6 and ip6[53] & 4 != 0)"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif

struct netio {
	int raw4, raw6;		/* -1 when not open */
	pcap_t *pcap;
	int dlt;
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
	return netio_open_ring(families, pps, 0, err, errlen);
}

struct netio *
netio_open_ring(int families, unsigned pps, size_t inflight, char *err,
    size_t errlen)
{
	struct netio *n;
	char lerr[128], perr[PCAP_ERRBUF_SIZE];
	int both = (families & (NETIO_V4 | NETIO_V6)) == (NETIO_V4 | NETIO_V6);
	size_t bufsize;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->raw4 = n->raw6 = -1;
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
	if ((n->pcap = pcap_create("any", perr)) == NULL) {
		snprintf(err, errlen, "capture: %s", perr);
		goto fail;
	}
	pcap_set_snaplen(n->pcap, NETIO_SNAPLEN);
	pcap_set_promisc(n->pcap, 0);
	pcap_set_immediate_mode(n->pcap, 1);
	bufsize = (size_t)pps * NETIO_BUF_PER_PPS;
	if (inflight > 0 && inflight < NETIO_BUF_MAX / NETIO_BUF_PER_PROBE &&
	    inflight * NETIO_BUF_PER_PROBE > bufsize)
		bufsize = inflight * NETIO_BUF_PER_PROBE;
	else if (inflight >= NETIO_BUF_MAX / NETIO_BUF_PER_PROBE)
		bufsize = NETIO_BUF_MAX;
	if (bufsize < NETIO_BUF_MIN)
		bufsize = NETIO_BUF_MIN;
	if (bufsize > NETIO_BUF_MAX)
		bufsize = NETIO_BUF_MAX;
	pcap_set_buffer_size(n->pcap, (int)bufsize);
	pcap_set_tstamp_precision(n->pcap, PCAP_TSTAMP_PRECISION_MICRO);
	if (pcap_activate(n->pcap) < 0) {
		snprintf(err, errlen, "capture: %s", pcap_geterr(n->pcap));
		goto fail;
	}
	n->dlt = pcap_datalink(n->pcap);
	if (n->dlt != DLT_LINUX_SLL && n->dlt != DLT_LINUX_SLL2) {
		snprintf(err, errlen, "capture: unexpected link type %d", n->dlt);
		goto fail;
	}
	if (pcap_setnonblock(n->pcap, 1, perr) == -1) {
		snprintf(err, errlen, "capture: %s", perr);
		goto fail;
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
	char filter[512], ports[256];
	size_t off = 0;

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
	if (pcap_compile(n->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == -1 ||
	    pcap_setfilter(n->pcap, &prog) == -1) {
		snprintf(err, errlen, "capture filter: %s", pcap_geterr(n->pcap));
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
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
netio_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct netio *n = (struct netio *)arg;
	size_t hl, caplen = h->caplen;
	uint16_t proto, pkttype;

	if (n->dlt == DLT_LINUX_SLL) {
		hl = SLL_HDR_LEN;
		if (caplen < hl)
			return;
		pkttype = (uint16_t)(bytes[0] << 8 | bytes[1]);
		proto = (uint16_t)(bytes[14] << 8 | bytes[15]);
	} else {
		hl = 20;
		if (caplen < hl)
			return;
		proto = (uint16_t)(bytes[0] << 8 | bytes[1]);
		pkttype = bytes[10];
	}
	if (proto != 0x0800 && proto != 0x86dd)
		return;
	engine_input(n->eng, bytes + hl, caplen - hl, &h->ts,
	    pkttype == LINUX_SLL_OUTGOING);
}

static void
netio_readable(evutil_socket_t fd, short what, void *arg)
{
	struct netio *n = arg;

	pcap_dispatch(n->pcap, NETIO_BATCH, netio_packet, (u_char *)n);
}

int
netio_attach(struct netio *n, struct event_base *base, struct engine *eng)
{
	int fd = pcap_get_selectable_fd(n->pcap);

	if (fd == -1)
		return -1;
	n->eng = eng;
	n->ev = event_new(base, fd, EV_READ | EV_PERSIST, netio_readable, n);
	if (n->ev == NULL || event_add(n->ev, NULL) == -1)
		return -1;
	return 0;
}

uint64_t
netio_capture_drops(struct netio *n)
{
	struct pcap_stat st;

	if (n->pcap == NULL || pcap_stats(n->pcap, &st) == -1)
		return 0;
	return st.ps_drop;
}

void
netio_close(struct netio *n)
{
	if (n == NULL)
		return;
	if (n->ev != NULL)
		event_free(n->ev);
	if (n->pcap != NULL)
		pcap_close(n->pcap);
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

	if (n == NULL || n->pcap == NULL ||
	    (fd = pcap_get_selectable_fd(n->pcap)) == -1 || pipe(p) == -1) {
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
