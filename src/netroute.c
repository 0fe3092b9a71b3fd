/* netroute: source address selection with libdnet. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_DUMBNET_H
#include <dumbnet.h>
#else
#include <dnet.h>
#endif

#include "netroute.h"

struct netroute {
	intf_t *intf;
};

struct netroute *
netroute_open(void)
{
	struct netroute *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->intf = intf_open()) == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

int
netroute_source(struct netroute *n, int family, const void *dst, void *src)
{
	struct addr d;
	struct intf_entry e;

	memset(&d, 0, sizeof(d));
	if (family == AF_INET) {
		d.addr_type = ADDR_TYPE_IP;
		d.addr_bits = IP_ADDR_BITS;
		memcpy(&d.addr_data8, dst, 4);
	} else if (family == AF_INET6) {
		d.addr_type = ADDR_TYPE_IP6;
		d.addr_bits = IP6_ADDR_BITS;
		memcpy(&d.addr_data8, dst, 16);
	} else
		return -1;
	/* No room for aliases: libdnet then reports the address the kernel
	 * chose as the source in intf_addr (with room, it would give the
	 * interface's primary address and list the rest as aliases). */
	memset(&e, 0, sizeof(e));
	e.intf_len = sizeof(e);
	if (intf_get_dst(n->intf, &e, &d) == -1)
		return -1;
	if (family == AF_INET && e.intf_addr.addr_type == ADDR_TYPE_IP)
		memcpy(src, &e.intf_addr.addr_data8, 4);
	else if (family == AF_INET6 && e.intf_addr.addr_type == ADDR_TYPE_IP6)
		memcpy(src, &e.intf_addr.addr_data8, 16);
	else
		return -1;
	return 0;
}

void
netroute_close(struct netroute *n)
{
	if (n == NULL)
		return;
	intf_close(n->intf);
	free(n);
}
