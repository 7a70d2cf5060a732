/* test_metrics.c - unit tests for lib/svc/metrics: Prometheus text format,
 * families kept together, histogram buckets and recent quantiles. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "svc/metrics.h"

int main(void) {
    svc_metrics *m = svc_metrics_new();
    svc_metric *a = svc_metrics_counter(m, "t_requests_total", "Requests", "route=\"a\"");
    svc_metric *g = svc_metrics_gauge(m, "t_sessions", "Active sessions", NULL);
    svc_metric *b = svc_metrics_counter(m, "t_requests_total", "Requests", "route=\"b\"");
    CHECK(svc_metrics_counter(m, "t_requests_total", "Requests", "route=\"a\"") == a);
    static const double bounds[] = {0.01, 0.1, 1};
    svc_metric *h = svc_metrics_histogram(m, "t_latency_seconds", "Latency", NULL, bounds, 3);
    svc_counter_add(a, 3);
    svc_counter_add(b, 1);
    svc_gauge_set(g, 2);
    svc_gauge_add(g, 0.5);
    for (int i = 1; i <= 100; i++) svc_histogram_observe(h, i / 100.0); /* 0.01 .. 1.00 */
    svc_histogram_observe(h, 5);
    svc_counter_add(NULL, 1); /* a failed registration must not crash updates */

    char *text = svc_metrics_render(m);
    CHECK(text != NULL);
    CHECK(strstr(text, "# TYPE t_requests_total counter\nt_requests_total{route=\"a\"} 3\n"
                       "t_requests_total{route=\"b\"} 1\n") != NULL);
    const char *first = strstr(text, "# TYPE t_requests_total");
    CHECK(first && strstr(first + 1, "# TYPE t_requests_total") == NULL);
    CHECK(strstr(text, "t_sessions 2.5\n") != NULL);
    CHECK(strstr(text, "t_latency_seconds_bucket{le=\"0.01\"} 1\n") != NULL);
    CHECK(strstr(text, "t_latency_seconds_bucket{le=\"0.1\"} 10\n") != NULL);
    CHECK(strstr(text, "t_latency_seconds_bucket{le=\"1\"} 100\n") != NULL);
    CHECK(strstr(text, "t_latency_seconds_bucket{le=\"+Inf\"} 101\n") != NULL);
    CHECK(strstr(text, "t_latency_seconds_count 101\n") != NULL);
    CHECK(strstr(text, "t_latency_seconds_recent{quantile=\"0.5\"} 0.51\n") != NULL);
    CHECK(strstr(text, "t_latency_seconds_recent{quantile=\"0.99\"} 1\n") != NULL);
    free(text);
    svc_metrics_free(m);
    return CHECK_DONE();
}
