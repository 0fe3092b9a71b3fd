/*
 * metrics: counters, gauges and histograms in the Prometheus text format,
 * served at /metrics by libevent's HTTP server.
 */
#ifndef HOPLITE_METRICS_H
#define HOPLITE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct metrics;
struct metric;

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/*
 * Series per family, "other" included: once the named ones are used up,
 * further label values are counted under label value "other".
 */
#define METRICS_MAX_SERIES	64

struct metrics *metrics_new(void);
void metrics_free(struct metrics *);

/*
 * Register a family (name, help, type).  Histograms take `buckets` upper
 * bounds (ascending, +Inf implicit).  Label name may be NULL (no label).
 * NULL on error.  Registering the same name twice returns the first.
 * Families render in registration order; an unlabelled one renders as 0
 * from the start.  Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* (not "__*", not "le" on a histogram); at most 64
 * finite, strictly ascending buckets.
 */
struct metric *metrics_register(struct metrics *, const char *name,
    const char *help, enum metric_type, const char *label_name,
    const double *buckets, size_t nbuckets);

/* Add to a counter (or gauge) series; label_value NULL when no label.
 * Series are created on first use.  A NULL metric is ignored (so a failed
 * registration needs no checks at every use), as are a negative add to a
 * counter, NaN adds and observations, and calls of the wrong kind (observe
 * on a counter, add/set on a histogram).  Label values are kept to 128
 * bytes, with bytes that are not UTF-8 replaced by '?'. */
void metric_add(struct metric *, const char *label_value, double v);
void metric_set(struct metric *, const char *label_value, double v);
void metric_observe(struct metric *, const char *label_value, double v);

/* The whole registry in the text exposition format (malloc'd). */
char *metrics_render(const struct metrics *);

/*
 * Serve GET /metrics on "ADDR:PORT" ("127.0.0.1:9990", "[::1]:9990",
 * ":9990" for all addresses).  Bind happens here (call before dropping
 * privileges).  `before_render` (may be NULL) runs before each scrape so
 * gauges can be refreshed.  Other paths get 404.  0, or -1 with a message.
 * Addresses are numeric (no DNS); port 0 lets the kernel pick one (tests),
 * see metrics_port().  GET and HEAD of /metrics get 200 with
 * "text/plain; version=0.0.4; charset=utf-8", other methods 405.  Served
 * once per registry; metrics_free() closes the socket.
 */
int metrics_serve(struct metrics *, struct event_base *, const char *addrport,
    void (*before_render)(void *), void *arg, char *err, size_t errlen);
/* The port metrics_serve() bound, or -1 when not serving. */
int metrics_port(const struct metrics *);

#endif
