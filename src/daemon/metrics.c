/*
 * metrics: counters, gauges and histograms in the Prometheus text
 * exposition format (version 0.0.4), served at /metrics by libevent's
 * HTTP server.
 *
 * Memory is bounded: a family holds at most METRICS_MAX_SERIES series; once
 * the named ones are used up, new label values are counted under "other",
 * so a flood of distinct values (reasons taken from input) cannot grow it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "util/errbuf.h"
#include "daemon/metrics.h"

#define METRICS_MAX_BUCKETS	64
#define METRICS_LABEL_MAX	128	/* bytes of a label value kept */
#define METRICS_OTHER		"other"

struct series {
	char *label;		/* NULL when the family has no label */
	double value;		/* counter, gauge */
	double sum;		/* histogram */
	uint64_t count;
	uint64_t *buckets;	/* per bucket, not cumulative */
};

struct metric {
	struct metric *next;
	char *name, *help, *label_name;
	enum metric_type type;
	double *bounds;
	size_t nbounds;
	struct series series[METRICS_MAX_SERIES];
	size_t nseries;
};

struct metrics {
	struct metric *head, **tail;
	struct evhttp *http;
	int port;
	void (*before_render)(void *);
	void *arg;
};

struct metrics *
metrics_new(void)
{
	struct metrics *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->tail = &m->head;
	m->port = -1;
	return m;
}

static void
metric_free(struct metric *f)
{
	for (size_t i = 0; i < f->nseries; i++) {
		free(f->series[i].label);
		free(f->series[i].buckets);
	}
	free(f->name);
	free(f->help);
	free(f->label_name);
	free(f->bounds);
	free(f);
}

void
metrics_free(struct metrics *m)
{
	struct metric *f, *next;

	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	for (f = m->head; f != NULL; f = next) {
		next = f->next;
		metric_free(f);
	}
	free(m);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for names; labels without ':'. */
static int
name_ok(const char *s, int colon)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (colon && c == ':') ||
		    (i > 0 && c >= '0' && c <= '9'))
			continue;
		return 0;
	}
	return 1;
}

static struct series *
series_init(struct metric *f, const char *label)
{
	struct series *s = &f->series[f->nseries];

	memset(s, 0, sizeof(*s));
	if (label != NULL && (s->label = strdup(label)) == NULL)
		return NULL;
	if (f->type == METRIC_HISTOGRAM &&
	    (s->buckets = calloc(f->nbounds + 1, sizeof(uint64_t))) == NULL) {
		free(s->label);
		return NULL;
	}
	f->nseries++;
	return s;
}

struct metric *
metrics_register(struct metrics *m, const char *name, const char *help,
    enum metric_type type, const char *label_name, const double *buckets,
    size_t nbuckets)
{
	struct metric *f;

	if (m == NULL || !name_ok(name, 1) || help == NULL)
		return NULL;
	for (f = m->head; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	if (type != METRIC_COUNTER && type != METRIC_GAUGE &&
	    type != METRIC_HISTOGRAM)
		return NULL;
	/* Reserved label names: "__*", and "le" on histograms. */
	if (label_name != NULL && (!name_ok(label_name, 0) ||
	    strncmp(label_name, "__", 2) == 0 ||
	    (type == METRIC_HISTOGRAM && strcmp(label_name, "le") == 0)))
		return NULL;
	if (type == METRIC_HISTOGRAM) {
		if (nbuckets > METRICS_MAX_BUCKETS ||
		    (nbuckets > 0 && buckets == NULL))
			return NULL;
		for (size_t i = 0; i < nbuckets; i++)
			if (!isfinite(buckets[i]) ||
			    (i > 0 && !(buckets[i] > buckets[i - 1])))
				return NULL;
	} else
		nbuckets = 0;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->type = type;
	if ((f->name = strdup(name)) == NULL ||
	    (f->help = strdup(help)) == NULL ||
	    (label_name != NULL &&
	    (f->label_name = strdup(label_name)) == NULL))
		goto fail;
	if (nbuckets > 0) {
		if ((f->bounds = calloc(nbuckets, sizeof(double))) == NULL)
			goto fail;
		memcpy(f->bounds, buckets, nbuckets * sizeof(double));
		f->nbounds = nbuckets;
	}
	/* An unlabelled family has its one series from the start, so it is
	 * exported as 0 before anything happens. */
	if (label_name == NULL && series_init(f, NULL) == NULL)
		goto fail;
	*m->tail = f;
	m->tail = &f->next;
	return f;
fail:
	metric_free(f);
	return NULL;
}

/*
 * A label value as stored: at most METRICS_LABEL_MAX bytes, cut at a
 * character boundary, with bytes that are not UTF-8 replaced by '?' (the
 * format is UTF-8).
 */
static void
label_clean(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, n, i;

	while (*s != '\0') {
		if (*s < 0x80)
			n = 1;
		else if (*s >= 0xc2 && *s <= 0xdf)
			n = 2;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4;
		else
			n = 0;
		for (i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				break;
		if (n == 0 || i < n)
			n = 0;
		if (o + (n ? n : 1) >= outlen)
			break;
		if (n == 0) {
			out[o++] = '?';
			s++;
			continue;
		}
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
}

static struct series *
series_get(struct metric *f, const char *label_value)
{
	char buf[METRICS_LABEL_MAX + 1];
	struct series *other = NULL;
	size_t i;

	if (f->label_name == NULL)
		return f->nseries > 0 ? &f->series[0] : NULL;
	label_clean(label_value != NULL ? label_value : "", buf, sizeof(buf));
	for (i = 0; i < f->nseries; i++) {
		if (strcmp(f->series[i].label, buf) == 0)
			return &f->series[i];
		if (strcmp(f->series[i].label, METRICS_OTHER) == 0)
			other = &f->series[i];
	}
	/* Keep the last slot for "other". */
	if (f->nseries < METRICS_MAX_SERIES - 1 ||
	    (f->nseries < METRICS_MAX_SERIES &&
	    (other != NULL || strcmp(buf, METRICS_OTHER) == 0)))
		return series_init(f, buf);
	if (other != NULL)
		return other;
	if (f->nseries < METRICS_MAX_SERIES)
		return series_init(f, METRICS_OTHER);
	return NULL;
}

void
metric_add(struct metric *f, const char *label_value, double v)
{
	struct series *s;

	if (f == NULL || f->type == METRIC_HISTOGRAM || isnan(v))
		return;
	/* A counter only goes up. */
	if (f->type == METRIC_COUNTER && v < 0)
		return;
	if ((s = series_get(f, label_value)) != NULL)
		s->value += v;
}

void
metric_set(struct metric *f, const char *label_value, double v)
{
	struct series *s;

	if (f == NULL || f->type == METRIC_HISTOGRAM)
		return;
	if ((s = series_get(f, label_value)) != NULL)
		s->value = v;
}

void
metric_observe(struct metric *f, const char *label_value, double v)
{
	struct series *s;
	size_t i;

	if (f == NULL || f->type != METRIC_HISTOGRAM || isnan(v))
		return;
	if ((s = series_get(f, label_value)) == NULL)
		return;
	/* Buckets are upper bounds, inclusive: v <= le. */
	for (i = 0; i < f->nbounds; i++)
		if (v <= f->bounds[i])
			break;
	s->buckets[i]++;
	s->sum += v;
	s->count++;
}

/*
 * Numbers as Prometheus clients write them: integers in full without an
 * exponent ("3", "1000000"), other values in the fewest digits that read
 * back the same (at most 17, "0.1" rather than "0.10000000000000001"),
 * and "+Inf", "-Inf", "NaN".
 */
static void
fmt_value(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		snprintf(buf, len, "0");	/* and -0 */
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {	/* 2^53 */
		snprintf(buf, len, "%.0f", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Label values: backslash, double quote and newline escaped. */
static void
put_label_value(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '"')
			fputs("\\\"", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			fputc(*s, fp);
	}
}

/* HELP text: backslash and newline escaped. */
static void
put_help(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", fp);
		else if (*s == '\n')
			fputs("\\n", fp);
		else
			fputc(*s, fp);
	}
}

/* name[suffix]{label="value"[,le="bound"]} value */
static void
put_sample(FILE *fp, const struct metric *f, const char *suffix,
    const struct series *s, const char *le, const char *value)
{
	fprintf(fp, "%s%s", f->name, suffix);
	if (s->label != NULL || le != NULL) {
		fputc('{', fp);
		if (s->label != NULL) {
			fprintf(fp, "%s=\"", f->label_name);
			put_label_value(fp, s->label);
			fputc('"', fp);
		}
		if (le != NULL)
			fprintf(fp, "%sle=\"%s\"", s->label != NULL ? "," : "",
			    le);
		fputc('}', fp);
	}
	fprintf(fp, " %s\n", value);
}

static void
render_family(FILE *fp, const struct metric *f)
{
	static const char *const tname[] = {
		[METRIC_COUNTER] = "counter",
		[METRIC_GAUGE] = "gauge",
		[METRIC_HISTOGRAM] = "histogram",
	};
	char v[64], le[64];

	fprintf(fp, "# HELP %s ", f->name);
	put_help(fp, f->help);
	fprintf(fp, "\n# TYPE %s %s\n", f->name, tname[f->type]);
	for (size_t i = 0; i < f->nseries; i++) {
		const struct series *s = &f->series[i];
		uint64_t cum = 0;

		if (f->type != METRIC_HISTOGRAM) {
			fmt_value(v, sizeof(v), s->value);
			put_sample(fp, f, "", s, NULL, v);
			continue;
		}
		for (size_t b = 0; b <= f->nbounds; b++) {
			cum += s->buckets[b];
			if (b < f->nbounds)
				fmt_value(le, sizeof(le), f->bounds[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			snprintf(v, sizeof(v), "%llu", (unsigned long long)cum);
			put_sample(fp, f, "_bucket", s, le, v);
		}
		fmt_value(v, sizeof(v), s->sum);
		put_sample(fp, f, "_sum", s, NULL, v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)s->count);
		put_sample(fp, f, "_count", s, NULL, v);
	}
}

char *
metrics_render(const struct metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if (m == NULL || (fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	for (const struct metric *f = m->head; f != NULL; f = f->next)
		render_family(fp, f);
	if (ferror(fp)) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * A reply with a text/plain body (none for HEAD: libevent 2.1 would send
 * it, so the length is announced and the body left out here).
 */
static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, const char *text)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *body = NULL;
	char len[32];

	evhttp_add_header(out, "Content-Type", ctype);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", strlen(text));
		evhttp_add_header(out, "Content-Length", len);
	} else if ((body = evbuffer_new()) == NULL ||
	    evbuffer_add(body, text, strlen(text)) == -1) {
		if (body != NULL)
			evbuffer_free(body);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_send_reply(req, code, reason, body);
	if (body != NULL)
		evbuffer_free(body);
}

static void
http_cb(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char *text;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		reply(req, HTTP_NOTFOUND, "Not Found", "text/plain",
		    "Not Found\n");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		reply(req, 405, "Method Not Allowed", "text/plain",
		    "Method Not Allowed\n");
		return;
	}
	if (m->before_render != NULL)
		m->before_render(m->arg);
	if ((text = metrics_render(m)) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	reply(req, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8",
	    text);
	free(text);
}

/*
 * "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" into a socket address.  The port
 * is 0-65535 (0: the kernel picks one; see metrics_port()).  ":PORT" is
 * every address, IPv6 and IPv4 on one dual-stack socket.
 */
static int
parse_addrport(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
    int *any)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *p;
	size_t hlen;
	long port = 0;

	memset(ss, 0, sizeof(*ss));
	*any = 0;
	if (s == NULL)
		return -1;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		hlen = (size_t)(end - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - s);
		if (hlen >= sizeof(host) || memchr(s, ':', hlen) != NULL)
			return -1;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	p = colon + 1;
	if (*p == '\0' || strlen(p) > 5)
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		return -1;

	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
	} else if (host[0] == '\0') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*sin6);
		*any = 1;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*sin);
	}
	return 0;
}

static int
listen_on(struct sockaddr_storage *ss, socklen_t sslen, int any)
{
	int fd, one = 1, zero = 0, saved;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 && any && (errno == EAFNOSUPPORT ||
	    errno == EPROTONOSUPPORT)) {
		/* No IPv6 here: every IPv4 address, then. */
		struct sockaddr_in6 sin6;
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		memcpy(&sin6, ss, sizeof(sin6));
		memset(ss, 0, sizeof(*ss));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = sin6.sin6_port;
		sslen = sizeof(*sin);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	}
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	/* ":PORT" serves IPv4 too; "[ADDR6]:PORT" only that address. */
	if (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, any ? &zero : &one, sizeof(int)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)ss, sslen) == -1 ||
	    listen(fd, 64) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
metrics_serve(struct metrics *m, struct event_base *base,
    const char *addrport, void (*before_render)(void *), void *arg,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int fd = -1, any;

	if (m == NULL || base == NULL) {
		errbuf_set(err, errlen, "metrics: not initialized");
		return -1;
	}
	if (m->http != NULL) {
		errbuf_set(err, errlen, "metrics: already serving");
		return -1;
	}
	if (parse_addrport(addrport, &ss, &sslen, &any) == -1) {
		errbuf_set(err, errlen, "metrics: bad address \"%.64s\" (want "
		    "IPV4:PORT, [IPV6]:PORT or :PORT)",
		    addrport != NULL ? addrport : "");
		return -1;
	}
	if ((fd = listen_on(&ss, sslen, any)) == -1) {
		errbuf_set(err, errlen, "metrics: listen on %.64s: %s", addrport,
		    strerror(errno));
		return -1;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		errbuf_set(err, errlen, "metrics: getsockname: %s",
		    strerror(errno));
		goto fail;
	}
	m->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	if ((m->http = evhttp_new(base)) == NULL) {
		errbuf_set(err, errlen, "metrics: evhttp_new failed");
		goto fail;
	}
	/* Scrapers are small and quick; anything else is cut short. */
	evhttp_set_timeout(m->http, 10);
	evhttp_set_max_headers_size(m->http, 8192);
	evhttp_set_max_body_size(m->http, 4096);
	/* Every method reaches http_cb, which answers 405 itself. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, http_cb, m);
	if (evhttp_accept_socket_with_handle(m->http, fd) == NULL) {
		errbuf_set(err, errlen, "metrics: cannot accept on %.64s",
		    addrport);
		goto fail;
	}
	m->before_render = before_render;
	m->arg = arg;
	return 0;
fail:
	if (m->http != NULL) {
		evhttp_free(m->http);
		m->http = NULL;
	}
	close(fd);
	m->port = -1;
	return -1;
}

int
metrics_port(const struct metrics *m)
{
	return m != NULL ? m->port : -1;
}
