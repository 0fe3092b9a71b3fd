/*
 * netroute: the source address this host uses toward a destination (the
 * kernel's choice, its interface confirmed by libdnet).  Kept in its own
 * file because libdnet's headers and libnet's cannot share a translation
 * unit (both define icmp and addr names).
 */
#ifndef HOPLITE_NETROUTE_H
#define HOPLITE_NETROUTE_H

struct netroute;

struct netroute *netroute_open(void);
/* dst and src are 4 or 16 address bytes by family (AF_INET/AF_INET6). 0 or -1. */
int netroute_source(struct netroute *, int family, const void *dst, void *src);
void netroute_close(struct netroute *);

#endif
