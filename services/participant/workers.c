/* workers.c - the participant's worker threads; see workers.h.
 *
 * One mutex guards the queues, the count of running heavy jobs and the stop
 * flag; workers sleep on a condition variable while there is nothing they
 * may take (no light job, and no heavy job or no heavy slot). The wake
 * callback is called without the mutex held.
 */
#include "workers.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/clock.h"

typedef struct {
    wk_job *head, *tail;
} wk_queue;

struct wk_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;         /* signalled when a job is queued, a heavy one ends, or the pool stops */
    wk_queue todo[2], done;      /* under lock; todo[heavy] */
    int heavy_running, heavy_max; /* under lock / constant */
    int stopping;                /* under lock */
    pthread_t threads[WK_MAX_THREADS];
    int nthreads; /* started (joined by wk_pool_stop) */
    void (*wake)(void *);
    void *wake_arg;
    svc_metric *busy, *queued, *jobs[2], *job_seconds[2], *wait_seconds[2];
};

static void push(wk_queue *q, wk_job *j) {
    j->next = NULL;
    if (q->tail) q->tail->next = j;
    else q->head = j;
    q->tail = j;
}

static wk_job *pop(wk_queue *q) {
    wk_job *j = q->head;
    if (j == NULL) return NULL;
    q->head = j->next;
    if (q->head == NULL) q->tail = NULL;
    j->next = NULL;
    return j;
}

/* The next job a worker may take (light first; heavy while a slot is
 * free), or NULL. Called with the lock held. */
static wk_job *take(wk_pool *p) {
    if (p->todo[0].head) return pop(&p->todo[0]);
    if (p->todo[1].head == NULL || p->heavy_running >= p->heavy_max) return NULL;
    p->heavy_running++;
    return pop(&p->todo[1]);
}

static void *worker_main(void *arg) {
    wk_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        wk_job *j = NULL;
        while (!p->stopping && (j = take(p)) == NULL) pthread_cond_wait(&p->work, &p->lock);
        if (j == NULL) break; /* stopping */
        pthread_mutex_unlock(&p->lock);

        int kind = j->heavy != 0;
        double t0 = svc_mono_seconds();
        svc_gauge_add(p->queued, -1);
        svc_gauge_add(p->busy, 1);
        svc_histogram_observe(p->wait_seconds[kind], t0 - j->submitted);
        j->ran = 1;
        j->run(j);
        svc_histogram_observe(p->job_seconds[kind], svc_mono_seconds() - t0);
        svc_gauge_add(p->busy, -1);
        svc_counter_add(p->jobs[kind], 1);

        pthread_mutex_lock(&p->lock);
        push(&p->done, j);
        if (kind) {
            p->heavy_running--;
            pthread_cond_signal(&p->work); /* a heavy job may wait for this slot */
        }
        pthread_mutex_unlock(&p->lock);
        p->wake(p->wake_arg);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

wk_pool *wk_pool_start(int nthreads, void (*wake)(void *), void *wake_arg, svc_metrics *m, char *err,
                       size_t errlen) {
    if (nthreads < 1 || nthreads > WK_MAX_THREADS || wake == NULL) {
        snprintf(err, errlen, "worker threads must be 1..%d", WK_MAX_THREADS);
        return NULL;
    }
    wk_pool *p = calloc(1, sizeof *p);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        snprintf(err, errlen, "cannot create the worker pool's mutex");
        return NULL;
    }
    if (pthread_cond_init(&p->work, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        snprintf(err, errlen, "cannot create the worker pool's condition variable");
        return NULL;
    }
    p->wake = wake;
    p->wake_arg = wake_arg;
    p->heavy_max = nthreads > 1 ? nthreads - 1 : 1;
    svc_gauge_set(svc_metrics_gauge(m, "mpc_participant_worker_threads", "Worker threads for engine computations",
                                    NULL),
                  nthreads);
    p->busy = svc_metrics_gauge(m, "mpc_participant_worker_busy", "Worker threads running a job now", NULL);
    p->queued = svc_metrics_gauge(m, "mpc_participant_worker_queued", "Jobs waiting for a worker thread", NULL);
    for (int k = 0; k < 2; k++) {
        const char *label = k ? "kind=\"heavy\"" : "kind=\"light\"";
        p->jobs[k] = svc_metrics_counter(m, "mpc_participant_worker_jobs_total", "Jobs run by the worker threads",
                                         label);
        p->job_seconds[k] = svc_metrics_histogram(m, "mpc_participant_worker_job_seconds",
                                                  "Run time of one job (a session step) on a worker", label,
                                                  svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
        p->wait_seconds[k] = svc_metrics_histogram(m, "mpc_participant_worker_wait_seconds",
                                                   "Time a job waited for a worker it may use", label,
                                                   svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
    }
    /* Workers inherit this mask: signals stay with the main loop. */
    sigset_t all, old;
    sigfillset(&all);
    int rc = pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 0; rc == 0 && i < nthreads; i++) {
        rc = pthread_create(&p->threads[i], NULL, worker_main, p);
        if (rc == 0) p->nthreads++;
    }
    int mask_rc = pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0 || mask_rc != 0) {
        snprintf(err, errlen, "cannot start worker thread %d of %d: %s", p->nthreads + 1, nthreads,
                 strerror(rc != 0 ? rc : mask_rc));
        wk_pool_free(p);
        return NULL;
    }
    return p;
}

void wk_submit(wk_pool *p, wk_job *job) {
    job->ran = 0;
    job->submitted = svc_mono_seconds();
    pthread_mutex_lock(&p->lock);
    push(p->stopping ? &p->done : &p->todo[job->heavy != 0], job);
    if (!p->stopping) {
        svc_gauge_add(p->queued, 1);
        pthread_cond_broadcast(&p->work); /* at most WK_MAX_THREADS sleepers; one that may take it does */
    }
    pthread_mutex_unlock(&p->lock);
}

wk_job *wk_done(wk_pool *p) {
    pthread_mutex_lock(&p->lock);
    wk_job *j = pop(&p->done);
    pthread_mutex_unlock(&p->lock);
    return j;
}

void wk_pool_stop(wk_pool *p) {
    pthread_mutex_lock(&p->lock);
    int joined = p->stopping;
    p->stopping = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    if (joined) return;
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    /* No worker is left: what nobody took comes back unrun. */
    pthread_mutex_lock(&p->lock);
    for (int k = 0; k < 2; k++)
        for (wk_job *j; (j = pop(&p->todo[k])) != NULL;) {
            svc_gauge_add(p->queued, -1);
            push(&p->done, j);
        }
    pthread_mutex_unlock(&p->lock);
}

void wk_pool_free(wk_pool *p) {
    if (p == NULL) return;
    wk_pool_stop(p);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
