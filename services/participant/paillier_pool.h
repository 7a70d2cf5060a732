/* paillier_pool.h - the participant's pool of pre-generated Paillier keys,
 * so that a GG keygen never waits for safe primes.
 *
 * Items live in a vault (secure/vault.h, purpose "paillier"): each key is
 * sealed with AES-256-GCM under a key derived from the node's master key,
 * written atomically, and named "pp-<13-digit ms>-<16 hex>" so that name
 * order is age order. A restart keeps the pool.
 *
 * A background thread keeps `target` keys ready: while fewer are stored it
 * generates one (gg_paillier_generate: two 1024-bit safe primes, about a
 * second of CPU, sometimes several) and stores it, pausing `pause_ms`
 * between generations. The thread runs at the lowest priority (nice 19), so
 * it only takes CPU that signing leaves idle. Stopping interrupts a
 * generation in progress (its randomness source starts failing).
 *
 * pp_pool_take hands out the oldest key and removes it durably first
 * (mpc_vault_take): each key is used by at most one keygen, even across
 * crashes and several worker processes.
 *
 * Metrics: mpc_paillier_pool_ready, mpc_paillier_pool_target (gauges),
 * mpc_paillier_generated_total, mpc_paillier_consumed_total,
 * mpc_paillier_pool_misses_total (a keygen found the pool empty and
 * generated inline), mpc_paillier_generation_seconds (histogram).
 */
#ifndef MPC_PARTICIPANT_PAILLIER_POOL_H
#define MPC_PARTICIPANT_PAILLIER_POOL_H

#include <stddef.h>

#include "engine/ctx.h"
#include "engine/paillier.h"
#include "secure/vault.h"
#include "svc/metrics.h"

#define PP_PURPOSE "paillier"
#define PP_PREFIX "pp-"

typedef struct pp_pool pp_pool;

typedef struct {
    const char *dir;             /* the pool's vault directory */
    const char *master_key_file; /* the node's master key */
    int node_id;
    long target;                 /* keys to keep ready (0: no pool) */
    int refill;                  /* 1: generate in the background */
    long pause_ms;               /* pause between two generations */
} pp_config;

/* Opens the pool and, when cfg->refill and cfg->target > 0, starts the
 * background thread. Returns NULL with a one-line reason in err. */
pp_pool *pp_pool_start(const pp_config *cfg, svc_metrics *metrics, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Stops the thread (interrupting a generation) and frees the pool (NULL ok). */
void pp_pool_stop(pp_pool *p);

/* Takes the oldest ready key (removed durably before it is returned).
 * Returns: the key (free with gg_paillier_free), or NULL when the pool is
 * empty or unreadable (logged); the caller then generates one inline. */
gg_paillier_priv *pp_pool_take(pp_pool *p) __attribute__((warn_unused_result));

/* Returns: the number of keys ready now. */
size_t pp_pool_ready(pp_pool *p);

/* Seals k into vault v under a fresh name. rng draws the name's random
 * part. Returns 0, or -1 with a one-line reason in err. */
int pp_store_key(mpc_vault *v, const mpc_rng *rng, const gg_paillier_priv *k, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
