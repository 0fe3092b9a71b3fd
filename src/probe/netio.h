/*
 * netio: the real send/receive layer.  Raw sockets send probes
 * (IPv4 and IPv6, header included), a packet socket on every interface
 * (its filter compiled by libpcap) sees replies and our own probes leaving
 * (for timestamps), libdnet picks the source address for a destination.
 * Open it before dropping privileges.
 */
#ifndef HOPLITE_NETIO_H
#define HOPLITE_NETIO_H

#include <stddef.h>
#include <stdint.h>

#include "probe/engine.h"

struct netio;

#define NETIO_V4 0x1
#define NETIO_V6 0x2

/*
 * Open raw sockets for the families in `families` and the capture.  A
 * family whose socket cannot be opened is left out only if `families`
 * allowed both; the capture must open, its buffer sized for `pps` probes
 * per second.  NULL with a message in err.
 */
struct netio *netio_open(int families, unsigned pps, char *err,
    size_t errlen);
/* The same with the capture buffer sized also for `inflight` replies at
 * once. */
struct netio *netio_open_sized(int families, unsigned pps, size_t inflight,
    char *err, size_t errlen);
/* Send every probe out of interface `ifname` (SO_BINDTODEVICE); call it
 * before dropping privileges.  0, or -1 with a message. */
int netio_set_device(struct netio *, const char *ifname, char *err,
    size_t errlen);
/* Capture only TCP/UDP within the probes' port range (plus all ICMP, and
 * with any_rst every TCP reset). */
int netio_set_ports(struct netio *, uint16_t lo, uint16_t hi, int any_rst,
    char *err, size_t errlen);
/* Several port ranges (MDA: the constant port and the varied one). */
#define NETIO_MAX_RANGES 2
struct netio_ports {
	uint16_t lo, hi;
};
int netio_set_port_ranges(struct netio *, const struct netio_ports *,
    size_t n, int any_rst, char *err, size_t errlen);
/* Families actually open. */
int netio_families(const struct netio *);
/* The I/O operations for engine_new. */
void netio_ops(struct netio *, struct engine_io *);
/* Start feeding captured packets into the engine from the event loop. */
int netio_attach(struct netio *, struct event_base *, struct engine *);
/* Packets the kernel dropped from the capture buffer. */
uint64_t netio_capture_drops(struct netio *);
void netio_close(struct netio *);
/* The same, for a process about to exit: a short-lived child takes the
 * kernel's slow release of the capture socket off the exit path. */
void netio_close_at_exit(struct netio *);

#endif
