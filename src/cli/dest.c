/* dest: destinations from the command line and files; sources. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/dest.h"
#include "probe/netio.h"

#define DEST_LINE_MAX	1024

static int
dest_push(struct dest_list *d, const char *s, size_t len)
{
	char *c;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		char **v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	if ((c = strndup(s, len)) == NULL)
		return -1;
	d->v[d->n++] = c;
	return 0;
}

int
dest_add_argv(struct dest_list *d, int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (dest_push(d, argv[i], strlen(argv[i])) == -1)
			return -1;
	return 0;
}

int
dest_read(struct dest_list *d, FILE *f, const char *path, char *err,
    size_t errlen)
{
	char line[DEST_LINE_MAX + 2];
	unsigned long lineno = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *e;
		size_t len = strlen(line);

		lineno++;
		if (len > DEST_LINE_MAX && line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%lu: line longer than %d bytes",
			    path, lineno, DEST_LINE_MAX);
			return -1;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		for (e = p; *e != '\0' && !isspace((unsigned char)*e) &&
		    *e != '#'; e++)
			;
		if (dest_push(d, p, (size_t)(e - p)) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void
dest_free(struct dest_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

int
dest_resolve(const char *name, int family, int open, struct addr_ip *a,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int rc, seen = 0;

	if (addr_pton(name, a) == 0) {
		if (family != AF_UNSPEC && a->family != family) {
			snprintf(err, errlen, "%s: not an IPv%c address", name,
			    family == AF_INET ? '4' : '6');
			return -1;
		}
		if (!(open & (a->family == AF_INET ? NETIO_V4 : NETIO_V6))) {
			snprintf(err, errlen, "%s: no raw socket for IPv%c",
			    name, a->family == AF_INET ? '4' : '6');
			return -1;
		}
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", name, gai_strerror(rc));
		return -1;
	}
	/* getaddrinfo's order is the system's preference (gai.conf). */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			seen = 1;
			if (!(open & NETIO_V4))
				continue;
			addr_from_v4(a,
			    &((struct sockaddr_in *)ai->ai_addr)->sin_addr);
			break;
		}
		if (ai->ai_family == AF_INET6) {
			seen = 1;
			if (!(open & NETIO_V6))
				continue;
			addr_from_v6(a,
			    &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
			break;
		}
	}
	freeaddrinfo(res);
	if (ai == NULL) {
		snprintf(err, errlen, seen ? "%s: no raw socket for its "
		    "addresses' family" : "%s: no IPv4 or IPv6 address", name);
		return -1;
	}
	return 0;
}

/* Whether a is an address of this host: a socket can bind to it. */
static int
is_local(const struct addr_ip *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc;

	memset(&ss, 0, sizeof(ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr = a->u.v4;
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = a->u.v6;
		len = sizeof(*s6);
	}
	if ((fd = socket(a->family, SOCK_DGRAM, 0)) == -1)
		return 0;
	rc = bind(fd, (struct sockaddr *)&ss, len);
	close(fd);
	return rc == 0;
}

static int
iface_sources(struct dest_source *s, const char *iface, char *err,
    size_t errlen)
{
	struct ifaddrs *ifa, *i;
	int v6_global = 0;

	if (if_nametoindex(iface) == 0) {
		snprintf(err, errlen, "-i '%s': no such interface", iface);
		return -1;
	}
	if (getifaddrs(&ifa) == -1) {
		snprintf(err, errlen, "-i '%s': %s", iface, strerror(errno));
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, iface) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET && s->v4.family == 0)
			addr_from_v4(&s->v4,
			    &((struct sockaddr_in *)i->ifa_addr)->sin_addr);
		if (i->ifa_addr->sa_family == AF_INET6 && !v6_global) {
			const struct in6_addr *a6 =
			    &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			/* A global address beats a link-local one. */
			if (s->v6.family == 0 || !IN6_IS_ADDR_LINKLOCAL(a6)) {
				addr_from_v6(&s->v6, a6);
				v6_global = !IN6_IS_ADDR_LINKLOCAL(a6);
			}
		}
	}
	freeifaddrs(ifa);
	s->only = 1;
	return 0;
}

int
dest_source_setup(struct dest_source *s, const char *source,
    const char *iface, int *family, char *err, size_t errlen)
{
	struct addr_ip a;

	memset(s, 0, sizeof(*s));
	if (iface != NULL && iface_sources(s, iface, err, errlen) == -1)
		return -1;
	if (source == NULL)
		return 0;
	if (addr_pton(source, &a) == -1) {
		snprintf(err, errlen, "-s '%s': not an IP address (the probe "
		    "size is --size)", source);
		return -1;
	}
	if (*family != AF_UNSPEC && *family != a.family) {
		snprintf(err, errlen, "-s '%s': not an IPv%c address", source,
		    *family == AF_INET ? '4' : '6');
		return -1;
	}
	if (!is_local(&a)) {
		snprintf(err, errlen, "-s '%s': not an address of this host",
		    source);
		return -1;
	}
	*family = a.family;
	if (a.family == AF_INET)
		s->v4 = a;
	else
		s->v6 = a;
	return 0;
}
