/*
 * netroute: the source address toward a destination.
 *
 * The kernel chooses the source (connecting a UDP socket sends nothing and
 * makes it pick one, as libdnet's intf_get_dst does internally); libdnet
 * then confirms that the address belongs to an interface that is up.
 * libdnet's lookup enumerates every interface (reading /proc/net/dev and
 * /proc/net/if_inet6, a dozen ioctls), which cost more CPU than the probes
 * of a trace, so its answer is kept per source address for
 * NETROUTE_CONFIRM_S seconds: a thousand destinations behind one source
 * address cost one enumeration, and a long-running daemon still notices an
 * interface going down.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_DUMBNET_H
#include <dumbnet.h>
#else
#include <dnet.h>
#endif

#include "probe/netroute.h"

#define NETROUTE_CONFIRM_S	30	/* how long libdnet's answer stands */
#define NETROUTE_KNOWN		16	/* source addresses remembered */
#define NETROUTE_PORT		33434	/* any port: connect() sends nothing */

struct netroute_known {
	int family;			/* 0: free */
	uint8_t src[16];
	time_t confirmed;		/* CLOCK_MONOTONIC seconds */
};

struct netroute {
	intf_t *intf;
	int fd4, fd6;			/* UDP sockets the kernel picks sources on */
	struct netroute_known known[NETROUTE_KNOWN];
	unsigned next;			/* the slot a new address takes */
};

struct netroute *
netroute_open(void)
{
	struct netroute *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->fd4 = n->fd6 = -1;
	if ((n->intf = intf_open()) == NULL) {
		free(n);
		return NULL;
	}
	/* Opened now, before privileges go; a family the host lacks leaves -1
	 * and its destinations fail in netroute_source. */
	n->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	n->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return n;
}

/* The kernel's source address toward dst: 0, or -1 (no route). */
static int
kernel_source(struct netroute *n, int family, const void *dst, void *src)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		fd = n->fd4;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(NETROUTE_PORT);
		memcpy(&s4->sin_addr, dst, 4);
		len = sizeof(*s4);
	} else {
		fd = n->fd6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(NETROUTE_PORT);
		memcpy(&s6->sin6_addr, dst, 16);
		len = sizeof(*s6);
	}
	if (fd == -1) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1)
		return -1;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    ss.ss_family != family)
		return -1;
	if (family == AF_INET)
		memcpy(src, &s4->sin_addr, 4);
	else
		memcpy(src, &s6->sin6_addr, 16);
	return 0;
}

/* libdnet: is src an address of an interface that is up?  1, 0 or -1. */
static int
dnet_confirm(struct netroute *n, int family, const void *src)
{
	struct addr a;
	struct intf_entry e;

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		a.addr_type = ADDR_TYPE_IP;
		a.addr_bits = IP_ADDR_BITS;
		memcpy(&a.addr_data8, src, 4);
	} else {
		a.addr_type = ADDR_TYPE_IP6;
		a.addr_bits = IP6_ADDR_BITS;
		memcpy(&a.addr_data8, src, 16);
	}
	memset(&e, 0, sizeof(e));
	e.intf_len = sizeof(e);
	if (intf_get_src(n->intf, &e, &a) == -1)
		return errno == ESRCH || errno == ENXIO || errno == 0 ? 0 : -1;
	return (e.intf_flags & INTF_FLAG_UP) != 0;
}

int
netroute_source(struct netroute *n, int family, const void *dst, void *src)
{
	struct netroute_known *k = NULL;
	struct timespec ts;
	size_t alen = family == AF_INET ? 4 : 16;
	int r;

	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (kernel_source(n, family, dst, src) == -1)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (unsigned i = 0; i < NETROUTE_KNOWN && k == NULL; i++)
		if (n->known[i].family == family &&
		    memcmp(n->known[i].src, src, alen) == 0)
			k = &n->known[i];
	if (k != NULL && ts.tv_sec - k->confirmed < NETROUTE_CONFIRM_S)
		return 0;
	/* Unknown, or known too long ago: ask libdnet (again). */
	if ((r = dnet_confirm(n, family, src)) != 1) {
		if (r == 0)
			errno = EADDRNOTAVAIL;
		return -1;
	}
	if (k == NULL) {
		k = &n->known[n->next];
		n->next = (n->next + 1) % NETROUTE_KNOWN;
		k->family = family;
		memset(k->src, 0, sizeof(k->src));
		memcpy(k->src, src, alen);
	}
	k->confirmed = ts.tv_sec;
	return 0;
}

void
netroute_close(struct netroute *n)
{
	if (n == NULL)
		return;
	if (n->fd4 != -1)
		close(n->fd4);
	if (n->fd6 != -1)
		close(n->fd6);
	intf_close(n->intf);
	free(n);
}
