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

struct metrics *metrics_new(void);
void metrics_free(struct metrics *);

/*
 * Register a family (name, help, type).  Histograms take `buckets` upper
 * bounds (ascending, +Inf implicit).  Label name may be NULL (no label).
 * NULL on error.  Registering the same name twice returns the first.
 */
struct metric *metrics_register(struct metrics *, const char *name,
    const char *help, enum metric_type, const char *label_name,
    const double *buckets, size_t nbuckets);

/* Add to a counter (or gauge) series; label_value NULL when no label.
 * Series are created on first use. */
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
 */
int metrics_serve(struct metrics *, struct event_base *, const char *addrport,
    void (*before_render)(void *), void *arg, char *err, size_t errlen);

#endif
