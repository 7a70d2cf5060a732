/* test_workers.c - the participant's worker pool (services/participant/
 * workers.h): jobs run in parallel on every worker, each comes back once
 * through the completion queue with a wake-up, heavy jobs leave a worker
 * free for light ones, and stopping lets running jobs finish and returns
 * the jobs nobody took with ran = 0. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "svc/metrics.h"
#include "workers.h"

typedef struct {
    wk_job base; /* first */
    int id;
    int hold; /* 1: wait at the gate until it opens */
    int result;
} job;

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, holding; /* under gate_lock */
static atomic_int wakes;

static void run(wk_job *base) {
    job *j = (job *)base;
    if (j->hold) {
        pthread_mutex_lock(&gate_lock);
        holding++;
        pthread_cond_broadcast(&gate_cond);
        while (!gate_open) pthread_cond_wait(&gate_cond, &gate_lock);
        pthread_mutex_unlock(&gate_lock);
    }
    j->result = j->id * 10;
}

static void wake(void *arg) {
    (void)arg;
    atomic_fetch_add(&wakes, 1);
}

static void set_gate(int open) {
    pthread_mutex_lock(&gate_lock);
    gate_open = open;
    if (!open) holding = 0;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

static int held(void) {
    pthread_mutex_lock(&gate_lock);
    int n = holding;
    pthread_mutex_unlock(&gate_lock);
    return n;
}

/* Waits up to 10 s until n jobs wait at the gate. */
static int wait_holding(int n) {
    for (int i = 0; i < 1000 && held() < n; i++) usleep(10 * 1000);
    return held() >= n;
}

static void *open_gate_later(void *arg) {
    (void)arg;
    usleep(100 * 1000);
    set_gate(1);
    return NULL;
}

/* Collects n finished jobs into out (10 s at most); returns how many. */
static int collect(wk_pool *p, job **out, int n) {
    int got = 0;
    for (int tries = 0; got < n && tries < 1000; tries++) {
        wk_job *j;
        while (got < n && (j = wk_done(p)) != NULL) out[got++] = (job *)j;
        if (got < n) usleep(10 * 1000);
    }
    return got;
}

static int has_line(svc_metrics *m, const char *line) {
    char *text = svc_metrics_render(m);
    int found = text != NULL && strstr(text, line) != NULL;
    free(text);
    return found;
}

int main(void) {
    char err[256];
    svc_metrics *m = svc_metrics_new();
    CHECK(m != NULL);
    CHECK(wk_pool_start(0, wake, NULL, m, err, sizeof err) == NULL);
    CHECK(wk_pool_start(WK_MAX_THREADS + 1, wake, NULL, m, err, sizeof err) == NULL);

    /* Two workers: two held jobs run at once, a third waits for a worker. */
    wk_pool *p = wk_pool_start(2, wake, NULL, m, err, sizeof err);
    CHECK(p != NULL);
    if (p == NULL) return CHECK_DONE();
    job jobs[8];
    for (int i = 0; i < 3; i++) jobs[i] = (job){.base = {.run = run}, .id = i, .hold = 1};
    for (int i = 0; i < 3; i++) wk_submit(p, &jobs[i].base);
    CHECK(wait_holding(2));
    usleep(50 * 1000);
    CHECK(held() == 2); /* no third worker */
    CHECK(wk_done(p) == NULL);
    CHECK(has_line(m, "\nmpc_participant_worker_threads 2\n"));
    CHECK(has_line(m, "\nmpc_participant_worker_busy 2\n"));
    CHECK(has_line(m, "\nmpc_participant_worker_queued 1\n"));
    set_gate(1);
    job *done[8];
    CHECK(collect(p, done, 3) == 3);
    int seen = 0;
    for (int i = 0; i < 3; i++) {
        CHECK(done[i]->base.ran == 1 && done[i]->result == done[i]->id * 10);
        seen |= 1 << done[i]->id;
    }
    CHECK(seen == 7);
    CHECK(atomic_load(&wakes) == 3);
    CHECK(wk_done(p) == NULL);
    CHECK(has_line(m, "\nmpc_participant_worker_jobs_total{kind=\"light\"} 3\n"));
    CHECK(has_line(m, "\nmpc_participant_worker_busy 0\n"));

    /* Heavy jobs: with two workers only one runs at a time, and a light job
     * submitted behind them still runs at once on the other worker. */
    set_gate(0);
    job heavy[2], light = {.base = {.run = run}, .id = 9};
    for (int i = 0; i < 2; i++) heavy[i] = (job){.base = {.run = run, .heavy = 1}, .id = 7 + i, .hold = 1};
    wk_submit(p, &heavy[0].base);
    wk_submit(p, &heavy[1].base);
    CHECK(wait_holding(1));
    usleep(50 * 1000);
    CHECK(held() == 1); /* the second heavy job waits although a worker is idle */
    wk_submit(p, &light.base);
    CHECK(collect(p, done, 1) == 1);
    CHECK(done[0] == &light && light.result == 90);
    CHECK(held() == 1);
    set_gate(1);
    CHECK(collect(p, done, 2) == 2);
    CHECK(heavy[0].result == 70 && heavy[1].result == 80);
    CHECK(has_line(m, "\nmpc_participant_worker_jobs_total{kind=\"heavy\"} 2\n"));

    /* Stop while both workers hold a job and two more are queued: the held
     * ones finish (the gate opens during the stop), the queued ones come
     * back unrun, and so does a job submitted after the stop. */
    set_gate(0);
    for (int i = 3; i < 7; i++) jobs[i] = (job){.base = {.run = run}, .id = i, .hold = 1};
    for (int i = 3; i < 7; i++) wk_submit(p, &jobs[i].base);
    CHECK(wait_holding(2));
    pthread_t opener;
    CHECK(pthread_create(&opener, NULL, open_gate_later, NULL) == 0);
    wk_pool_stop(p);
    CHECK(pthread_join(opener, NULL) == 0);
    jobs[7] = (job){.base = {.run = run}, .id = 7};
    wk_submit(p, &jobs[7].base);
    CHECK(collect(p, done, 5) == 5);
    int ran = 0, unrun = 0;
    for (int i = 0; i < 5; i++) {
        if (done[i]->base.ran) {
            ran++;
            CHECK(done[i]->result == done[i]->id * 10);
        } else {
            unrun++;
            CHECK(done[i]->result == 0);
        }
    }
    CHECK(ran == 2 && unrun == 3);
    CHECK(wk_done(p) == NULL);
    CHECK(has_line(m, "\nmpc_participant_worker_queued 0\n"));
    wk_pool_stop(p); /* idempotent */
    wk_pool_free(p);
    wk_pool_free(NULL);
    svc_metrics_free(m);
    return CHECK_DONE();
}
