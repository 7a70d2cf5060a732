/* paillier_pool.c - background pool of Paillier keys; see paillier_pool.h. */
#include "paillier_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc/clock.h"
#include "svc/log.h"

struct pp_pool {
    mpc_vault *vault;
    mpc_rng os, thread_rng;      /* thread_rng fails once stopping is set */
    long target, pause_ms;
    pthread_t thread;
    int has_thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_int stopping;
    svc_metric *ready, *target_g, *generated, *consumed, *misses, *gen_seconds;
};

static const double gen_bounds[] = {0.25, 0.5, 1, 2, 4, 8, 16, 32, 64};

static int stoppable_fill(void *ctx, unsigned char *out, size_t len) {
    pp_pool *p = ctx;
    return atomic_load(&p->stopping) ? 0 : mpc_rng_fill(&p->os, out, len);
}

int pp_store_key(mpc_vault *v, const mpc_rng *rng, const gg_paillier_priv *k, char *err, size_t errlen) {
    unsigned char r[8];
    if (!mpc_rng_fill(rng, r, sizeof r)) {
        snprintf(err, errlen, "randomness source failed");
        return -1;
    }
    char name[64];
    snprintf(name, sizeof name, PP_PREFIX "%013lld-%02x%02x%02x%02x%02x%02x%02x%02x", (long long)svc_wall_ms(), r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    unsigned char *buf = NULL;
    size_t len = 0;
    if (gg_paillier_serialize(k, &buf, &len) != MPC_OK) {
        snprintf(err, errlen, "cannot encode a Paillier key");
        return -1;
    }
    mpc_secure_error e;
    int rc = mpc_vault_put(v, name, buf, len, &e);
    mpc_secure_free_secret(buf, len);
    if (rc != MPC_SECURE_OK) {
        snprintf(err, errlen, "cannot store a Paillier key: %.200s", e.message);
        return -1;
    }
    return 0;
}

/* Counts the stored keys and publishes the gauge. Returns the count, or -1. */
static long recount(pp_pool *p) {
    char **names = NULL;
    size_t n = 0;
    mpc_secure_error e;
    if (mpc_vault_list(p->vault, PP_PREFIX, &names, &n, &e) != MPC_SECURE_OK) {
        svc_log(SVC_LOG_ERROR, "cannot list the Paillier pool", "{s:s}", "error", e.message);
        return -1;
    }
    mpc_vault_names_free(names, n);
    svc_gauge_set(p->ready, (double)n);
    return (long)n;
}

/* Sleeps up to ms or until woken / stopping. Called with the lock held. */
static void wait_ms(pp_pool *p, long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (!atomic_load(&p->stopping)) pthread_cond_timedwait(&p->wake, &p->lock, &ts);
}

static void *refill_main(void *arg) {
    pp_pool *p = arg;
    /* Linux nice values are per thread: generation only gets CPU that
     * signing leaves idle. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
        svc_log(SVC_LOG_WARN, "Paillier pool: cannot lower the refill thread's priority", NULL);
    mpc_engine_ctx *ctx = mpc_engine_ctx_new(&p->thread_rng);
    if (ctx == NULL) {
        svc_log(SVC_LOG_ERROR, "Paillier pool: cannot create an engine context; no background refill", NULL);
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    while (!atomic_load(&p->stopping)) {
        pthread_mutex_unlock(&p->lock);
        long n = recount(p);
        int generate = n >= 0 && n < p->target;
        if (generate) {
            int64_t t0 = svc_wall_ms();
            gg_paillier_priv *k = NULL;
            mpc_err_code rc = gg_paillier_generate(ctx, &k);
            char err[256];
            if (rc == MPC_OK && pp_store_key(p->vault, &p->thread_rng, k, err, sizeof err) == 0) {
                svc_counter_add(p->generated, 1);
                svc_histogram_observe(p->gen_seconds, (double)(svc_wall_ms() - t0) / 1000.0);
                recount(p);
            } else if (!atomic_load(&p->stopping)) {
                svc_log(SVC_LOG_ERROR, "Paillier pool: generation failed", "{s:s}", "error",
                        rc == MPC_OK ? err : mpc_err_str(rc));
            }
            gg_paillier_free(k);
        }
        pthread_mutex_lock(&p->lock);
        if (!generate) wait_ms(p, 1000);
        else if (p->pause_ms > 0) wait_ms(p, p->pause_ms);
    }
    pthread_mutex_unlock(&p->lock);
    mpc_engine_ctx_free(ctx);
    return NULL;
}

pp_pool *pp_pool_start(const pp_config *cfg, svc_metrics *m, char *err, size_t errlen) {
    pp_pool *p = calloc(1, sizeof *p);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->os = mpc_rng_os();
    p->thread_rng = (mpc_rng){.fill = stoppable_fill, .ctx = p};
    p->target = cfg->target;
    p->pause_ms = cfg->pause_ms;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    mpc_secure_error e;
    if (mpc_vault_open(&p->vault, cfg->dir, cfg->master_key_file, cfg->node_id, PP_PURPOSE, &p->os, &e) !=
        MPC_SECURE_OK) {
        snprintf(err, errlen, "cannot open the Paillier pool %.200s: %.200s", cfg->dir, e.message);
        pp_pool_stop(p);
        return NULL;
    }
    p->ready = svc_metrics_gauge(m, "mpc_paillier_pool_ready", "Pre-generated Paillier keys ready for keygen", NULL);
    p->target_g = svc_metrics_gauge(m, "mpc_paillier_pool_target", "Paillier keys the pool keeps ready", NULL);
    p->generated = svc_metrics_counter(m, "mpc_paillier_generated_total", "Paillier keys generated by the pool", NULL);
    p->consumed = svc_metrics_counter(m, "mpc_paillier_consumed_total", "Pooled Paillier keys used by keygens", NULL);
    p->misses = svc_metrics_counter(m, "mpc_paillier_pool_misses_total",
                                    "Keygens that found the pool empty and generated inline", NULL);
    p->gen_seconds = svc_metrics_histogram(m, "mpc_paillier_generation_seconds",
                                           "Time to generate one Paillier key (two safe primes)", NULL, gen_bounds,
                                           sizeof gen_bounds / sizeof gen_bounds[0]);
    svc_gauge_set(p->target_g, (double)cfg->target);
    if (recount(p) < 0) {
        snprintf(err, errlen, "cannot read the Paillier pool %.200s", cfg->dir);
        pp_pool_stop(p);
        return NULL;
    }
    if (cfg->refill && cfg->target > 0) {
        if (pthread_create(&p->thread, NULL, refill_main, p) != 0) {
            snprintf(err, errlen, "cannot start the Paillier pool thread");
            pp_pool_stop(p);
            return NULL;
        }
        p->has_thread = 1;
    }
    return p;
}

void pp_pool_stop(pp_pool *p) {
    if (p == NULL) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stopping, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->has_thread) pthread_join(p->thread, NULL);
    mpc_vault_close(p->vault);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

gg_paillier_priv *pp_pool_take(pp_pool *p) {
    char **names = NULL;
    size_t n = 0;
    mpc_secure_error e;
    gg_paillier_priv *k = NULL;
    if (mpc_vault_list(p->vault, PP_PREFIX, &names, &n, &e) != MPC_SECURE_OK)
        svc_log(SVC_LOG_ERROR, "cannot list the Paillier pool", "{s:s}", "error", e.message);
    for (size_t i = 0; k == NULL && i < n; i++) {
        unsigned char *buf = NULL;
        size_t len = 0;
        int rc = mpc_vault_take(p->vault, names[i], &buf, &len, &e);
        if (rc == MPC_SECURE_ERR_NOT_FOUND) continue; /* another worker took it */
        if (rc != MPC_SECURE_OK) {
            svc_log(SVC_LOG_ERROR, "unusable Paillier pool item skipped", "{s:s,s:s}", "item", names[i], "error",
                    e.message);
            continue;
        }
        if (gg_paillier_parse(&k, buf, len) != MPC_OK) {
            svc_log(SVC_LOG_ERROR, "Paillier pool item does not parse; dropped", "{s:s}", "item", names[i]);
            k = NULL;
        }
        mpc_secure_free_secret(buf, len);
    }
    mpc_vault_names_free(names, n);
    svc_counter_add(k ? p->consumed : p->misses, 1);
    recount(p);
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->wake); /* refill */
    pthread_mutex_unlock(&p->lock);
    return k;
}

size_t pp_pool_ready(pp_pool *p) {
    long n = recount(p);
    return n < 0 ? 0 : (size_t)n;
}
