/* workers.h - a small pool of worker threads for the participant's engine
 * work, with a completion queue that the main loop drains.
 *
 * The main loop submits jobs; an idle worker takes the oldest one, runs
 * it, and puts it on the completion queue, then calls the wake callback
 * (the participant's: svc_service_wake) so the main loop drains the queue
 * at once instead of at its next poll timeout. Jobs are intrusive: the
 * caller embeds a wk_job as the first member of its own job struct, so
 * submitting never allocates and never fails.
 *
 * Two kinds of job: heavy ones (seconds of Paillier arithmetic) and light
 * ones (a millisecond). Light jobs are taken first, and with two or more
 * workers at most nthreads - 1 heavy jobs run at once, so one worker is
 * always free for light work within a job's time: a FROST or pooled GG20
 * signature never waits behind a GG keygen or a presign batch, however
 * many of those are queued.
 *
 * Ownership: between wk_submit and the wk_done that returns it, a job and
 * everything it points to belong to the pool and the worker running it; the
 * main loop must not touch them. What a job does is its own business: the
 * pool knows nothing of sessions (main.c keeps one job per session in
 * flight, so a session's inputs run one at a time, in order).
 *
 * Threads: wk_submit, wk_done, wk_pool_stop and wk_pool_free belong to one
 * thread (the main loop). Workers block every signal, so SIGTERM/SIGINT
 * reach the main loop.
 *
 * Metrics (prefix mpc_participant_worker_): threads (gauge: pool size),
 * busy (gauge: workers running a job), queued (gauge: jobs waiting for a
 * worker), jobs_total{kind="light"|"heavy"} (counter), job_seconds and
 * wait_seconds{kind=...} (histograms: run time; from submit to a worker
 * taking it).
 */
#ifndef MPC_PARTICIPANT_WORKERS_H
#define MPC_PARTICIPANT_WORKERS_H

#include <stddef.h>

#include "svc/metrics.h"

#define WK_MAX_THREADS 16

typedef struct wk_job wk_job;

struct wk_job {
    /* Set by the submitter: called on a worker thread with the job. */
    void (*run)(wk_job *job);
    /* Set by the submitter: 1 for a heavy job (see above). */
    int heavy;
    /* Set by the pool: 1 when run was called, 0 when the pool stopped
     * before any worker took the job. */
    int ran;
    /* The pool's. */
    wk_job *next;
    double submitted;
};

typedef struct wk_pool wk_pool;

/* Starts nthreads (1..WK_MAX_THREADS) workers. wake(wake_arg) is called by
 * a worker after each job it put on the completion queue; it must be
 * thread-safe. metrics may be NULL. Returns NULL with a one-line reason in
 * err. */
wk_pool *wk_pool_start(int nthreads, void (*wake)(void *wake_arg), void *wake_arg, svc_metrics *metrics, char *err,
                       size_t errlen) __attribute__((warn_unused_result));

/* Queues job (its run member set). After wk_pool_stop, the job comes back
 * from wk_done at once with ran = 0. */
void wk_submit(wk_pool *p, wk_job *job);

/* Returns: the oldest finished job (ownership back to the caller), or NULL
 * when none is waiting. */
wk_job *wk_done(wk_pool *p);

/* Stops the workers: each finishes the job it is running, none takes
 * another; joins them. Jobs still queued move to the completion queue with
 * ran = 0, so wk_done returns every job ever submitted. Idempotent. */
void wk_pool_stop(wk_pool *p);

/* Stops the pool if needed and frees it (NULL ok). Drain wk_done first:
 * jobs still on the completion queue are not freed (the pool does not own
 * their memory). */
void wk_pool_free(wk_pool *p);

#endif
