/* metrics.c - Prometheus registry; see metrics.h for the contract. */
#include "svc/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } metric_kind;

struct svc_metric {
    metric_kind kind;
    char *name, *help, *labels;
    _Atomic uint64_t count;       /* counter value; histogram observation count */
    _Atomic double value;         /* gauge value */
    /* histogram only, guarded by lock */
    pthread_mutex_t lock;
    double *bounds;
    uint64_t *buckets;
    size_t nbounds;
    double sum;
    double *window;
    size_t window_used, window_next;
    struct svc_metric *next;
};

struct svc_metrics {
    pthread_mutex_t lock;
    svc_metric *head, *tail;
};

const double svc_metrics_latency_bounds[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                             0.1,    0.2,   0.5,   1,     2,    5,    10, 30};
const size_t svc_metrics_latency_nbounds =
    sizeof svc_metrics_latency_bounds / sizeof svc_metrics_latency_bounds[0];

svc_metrics *svc_metrics_new(void) {
    svc_metrics *m = calloc(1, sizeof *m);
    if (m) pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void metric_free(svc_metric *x) {
    free(x->name);
    free(x->help);
    free(x->labels);
    free(x->bounds);
    free(x->buckets);
    free(x->window);
    if (x->kind == KIND_HISTOGRAM) pthread_mutex_destroy(&x->lock);
    free(x);
}

void svc_metrics_free(svc_metrics *m) {
    if (m == NULL) return;
    for (svc_metric *x = m->head, *next; x; x = next) {
        next = x->next;
        metric_free(x);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static int same_labels(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static svc_metric *metric_register(svc_metrics *m, metric_kind kind, const char *name,
                                   const char *help, const char *labels, const double *bounds,
                                   size_t nbounds) {
    if (m == NULL) return NULL;
    pthread_mutex_lock(&m->lock);
    svc_metric *x;
    for (x = m->head; x; x = x->next)
        if (x->kind == kind && strcmp(x->name, name) == 0 && same_labels(x->labels, labels)) goto out;
    x = calloc(1, sizeof *x);
    if (x == NULL) goto out;
    x->kind = kind;
    x->name = strdup(name);
    x->help = strdup(help ? help : "");
    x->labels = labels ? strdup(labels) : NULL;
    int ok = x->name && x->help && (labels == NULL || x->labels);
    if (ok && kind == KIND_HISTOGRAM) {
        pthread_mutex_init(&x->lock, NULL);
        x->nbounds = nbounds;
        x->bounds = malloc(nbounds * sizeof *x->bounds);
        x->buckets = calloc(nbounds + 1, sizeof *x->buckets);
        x->window = malloc(SVC_METRICS_WINDOW * sizeof *x->window);
        ok = x->bounds && x->buckets && x->window;
        if (ok) memcpy(x->bounds, bounds, nbounds * sizeof *bounds);
    }
    if (!ok) {
        metric_free(x);
        x = NULL;
        goto out;
    }
    /* Keep each family (same name) contiguous, as the text format requires. */
    svc_metric *after = NULL;
    for (svc_metric *y = m->head; y; y = y->next)
        if (strcmp(y->name, name) == 0) after = y;
    if (after) {
        x->next = after->next;
        after->next = x;
        if (m->tail == after) m->tail = x;
    } else {
        if (m->tail) m->tail->next = x;
        else m->head = x;
        m->tail = x;
    }
out:
    pthread_mutex_unlock(&m->lock);
    return x;
}

svc_metric *svc_metrics_counter(svc_metrics *m, const char *name, const char *help, const char *labels) {
    return metric_register(m, KIND_COUNTER, name, help, labels, NULL, 0);
}

svc_metric *svc_metrics_gauge(svc_metrics *m, const char *name, const char *help, const char *labels) {
    return metric_register(m, KIND_GAUGE, name, help, labels, NULL, 0);
}

svc_metric *svc_metrics_histogram(svc_metrics *m, const char *name, const char *help,
                                  const char *labels, const double *bounds, size_t nbounds) {
    return metric_register(m, KIND_HISTOGRAM, name, help, labels, bounds, nbounds);
}

void svc_counter_add(svc_metric *c, uint64_t n) {
    if (c) atomic_fetch_add(&c->count, n);
}

void svc_gauge_set(svc_metric *g, double v) {
    if (g) atomic_store(&g->value, v);
}

void svc_gauge_add(svc_metric *g, double delta) {
    if (g == NULL) return;
    double old = atomic_load(&g->value);
    while (!atomic_compare_exchange_weak(&g->value, &old, old + delta)) {
    }
}

void svc_histogram_observe(svc_metric *h, double v) {
    if (h == NULL) return;
    pthread_mutex_lock(&h->lock);
    size_t i = 0;
    while (i < h->nbounds && v > h->bounds[i]) i++;
    h->buckets[i]++;
    h->sum += v;
    h->window[h->window_next] = v;
    h->window_next = (h->window_next + 1) % SVC_METRICS_WINDOW;
    if (h->window_used < SVC_METRICS_WINDOW) h->window_used++;
    atomic_fetch_add(&h->count, 1);
    pthread_mutex_unlock(&h->lock);
}

/* A growable output buffer; on allocation failure it records the error and
 * ignores further appends. */
typedef struct {
    char *data;
    size_t len, cap;
    int failed;
} text_buf;

static void buf_printf(text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(text_buf *b, const char *fmt, ...) {
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *p = realloc(b->data, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Writes "{labels,extra}" or "{extra}" or "" as fits. */
static void write_labels(text_buf *b, const char *labels, const char *extra) {
    if (!labels && !extra) return;
    buf_printf(b, "{%s%s%s}", labels ? labels : "", labels && extra ? "," : "", extra ? extra : "");
}

static void render_histogram(text_buf *b, svc_metric *h, const svc_metric *prev) {
    pthread_mutex_lock(&h->lock);
    if (!prev || strcmp(prev->name, h->name) != 0)
        buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", h->name, h->help, h->name);
    uint64_t cumulative = 0;
    char le[64];
    for (size_t i = 0; i <= h->nbounds; i++) {
        cumulative += h->buckets[i];
        if (i < h->nbounds) snprintf(le, sizeof le, "le=\"%g\"", h->bounds[i]);
        else snprintf(le, sizeof le, "le=\"+Inf\"");
        buf_printf(b, "%s_bucket", h->name);
        write_labels(b, h->labels, le);
        buf_printf(b, " %llu\n", (unsigned long long)cumulative);
    }
    buf_printf(b, "%s_sum", h->name);
    write_labels(b, h->labels, NULL);
    buf_printf(b, " %.9g\n%s_count", h->sum, h->name);
    write_labels(b, h->labels, NULL);
    buf_printf(b, " %llu\n", (unsigned long long)cumulative);

    size_t n = h->window_used;
    double *sorted = n ? malloc(n * sizeof *sorted) : NULL;
    if (sorted) memcpy(sorted, h->window, n * sizeof *sorted);
    pthread_mutex_unlock(&h->lock);
    if (sorted == NULL) return;
    qsort(sorted, n, sizeof *sorted, cmp_double);
    static const double qs[] = {0.5, 0.95, 0.99};
    buf_printf(b, "# HELP %s_recent %s (quantiles of the last %d observations)\n# TYPE %s_recent gauge\n",
               h->name, h->help, SVC_METRICS_WINDOW, h->name);
    for (size_t i = 0; i < 3; i++) {
        size_t idx = (size_t)(qs[i] * (double)(n - 1) + 0.5);
        snprintf(le, sizeof le, "quantile=\"%g\"", qs[i]);
        buf_printf(b, "%s_recent", h->name);
        write_labels(b, h->labels, le);
        buf_printf(b, " %.9g\n", sorted[idx]);
    }
    free(sorted);
}

char *svc_metrics_render(svc_metrics *m) {
    text_buf b = {0};
    buf_printf(&b, "%s", "");
    pthread_mutex_lock(&m->lock);
    const svc_metric *prev = NULL;
    for (svc_metric *x = m->head; x; prev = x, x = x->next) {
        if (x->kind == KIND_HISTOGRAM) {
            render_histogram(&b, x, prev);
            continue;
        }
        const char *type = x->kind == KIND_COUNTER ? "counter" : "gauge";
        if (!prev || prev->kind != x->kind || strcmp(prev->name, x->name) != 0)
            buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", x->name, x->help, x->name, type);
        buf_printf(&b, "%s", x->name);
        write_labels(&b, x->labels, NULL);
        if (x->kind == KIND_COUNTER)
            buf_printf(&b, " %llu\n", (unsigned long long)atomic_load(&x->count));
        else
            buf_printf(&b, " %.9g\n", atomic_load(&x->value));
    }
    pthread_mutex_unlock(&m->lock);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}
