/* metrics.h - an in-process metrics registry rendered as Prometheus text.
 *
 * Counters and gauges are lock-free; histograms take a short mutex. Every
 * histogram also keeps the most recent observations (a ring of
 * SVC_METRICS_WINDOW values) from which it reports p50/p95/p99 as a separate
 * gauge family "<name>_recent{quantile=...}", so an operator without a
 * Prometheus server still reads latency percentiles from /metrics.
 *
 * Ownership: the registry owns every metric it returns; metric pointers stay
 * valid until svc_metrics_free. Registering the same name+labels twice
 * returns the same metric.
 */
#ifndef MPC_SVC_METRICS_H
#define MPC_SVC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define SVC_METRICS_WINDOW 2048

typedef struct svc_metrics svc_metrics;
typedef struct svc_metric svc_metric;

/* Returns a new empty registry, or NULL when out of memory. */
svc_metrics *svc_metrics_new(void) __attribute__((warn_unused_result));
void svc_metrics_free(svc_metrics *m);

/* Registers (or finds) a metric. `name` must be a valid Prometheus metric
 * name; `labels` is NULL or a pre-formatted label list without braces, e.g.
 * "topic=\"mpc.rounds\"". Returns NULL only when out of memory; all update
 * functions accept NULL and do nothing, so a failed registration never
 * crashes a service. */
svc_metric *svc_metrics_counter(svc_metrics *m, const char *name, const char *help, const char *labels);
svc_metric *svc_metrics_gauge(svc_metrics *m, const char *name, const char *help, const char *labels);
/* `bounds` are the histogram's upper bucket bounds, ascending, copied. */
svc_metric *svc_metrics_histogram(svc_metrics *m, const char *name, const char *help,
                                  const char *labels, const double *bounds, size_t nbounds);

/* Default latency buckets in seconds, from 0.5 ms to 30 s. */
extern const double svc_metrics_latency_bounds[];
extern const size_t svc_metrics_latency_nbounds;

void svc_counter_add(svc_metric *c, uint64_t n);
void svc_gauge_set(svc_metric *g, double v);
void svc_gauge_add(svc_metric *g, double delta);
void svc_histogram_observe(svc_metric *h, double v);

/* Renders every metric in Prometheus text exposition format 0.0.4.
 * Returns a malloc'd NUL-terminated string the caller frees, or NULL when
 * out of memory. */
char *svc_metrics_render(svc_metrics *m) __attribute__((warn_unused_result));

#endif
