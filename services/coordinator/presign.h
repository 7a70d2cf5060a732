/* presign.h - the coordinator's GG18/GG20 (threshold ECDSA) logic, kept out
 * of main.c behind a few hooks:
 *
 *   - timeouts: GG sessions get session.gg_timeout_ms (Paillier proofs take
 *     seconds where FROST takes milliseconds);
 *   - co_gg_prepare, before a GG signing session is announced: the key's
 *     chain (digest of raw messages) and, for gg20, one pooled presignature
 *     per item, claimed atomically in PostgreSQL for the session's signer
 *     set; when the pool cannot cover the batch, none is claimed and the
 *     signers presign inline (the request never fails for an empty pool);
 *   - co_gg_result: r || s, DER and recovery id in a result object;
 *   - the presignature pool: every presign.check_interval_ms, for each
 *     Active gg20 key, the pool of the signer set the coordinator would
 *     pick now (the first t live participants) is counted, leaving out
 *     nodes that an abort of one of this coordinator's sessions named as
 *     culprit less than presign.blame_cooldown_ms ago (co_presign_failed:
 *     a presign session with a cheater fails every time); below
 *     presign.low_water it is refilled, presign.batch presignatures per
 *     presign session, at most presign.concurrency sessions at once, until
 *     presign.pool_size are ready. Presign sessions are tracked here (their
 *     round messages come through co_presign_on_round) and their outcome
 *     recorded in signing_sessions (kind 'presign') and presignatures: a
 *     session's presignatures are added only while its row is running
 *     (co_presign_complete; the participants' orphan sweep relies on it),
 *     and every minute presign sessions left running for 2 x
 *     session.gg_timeout_ms (a stopped coordinator) are closed ABANDONED.
 *
 * Metrics: mpc_presign_pool_ready (sum over the pools checked last),
 * mpc_presign_pool_size, mpc_presign_pool_low_water, mpc_presign_batch,
 * mpc_presign_concurrency (configuration), mpc_presign_sessions_running,
 * mpc_presign_sessions_total{result}, mpc_presign_generated_total,
 * mpc_presign_claimed_total, mpc_presign_inline_total,
 * mpc_presign_blamed_total (culprits put in cooldown),
 * mpc_presign_nodes_cooling (nodes left out of refills now).
 * Main-loop thread only.
 */
#ifndef MPC_COORDINATOR_PRESIGN_H
#define MPC_COORDINATOR_PRESIGN_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "pipeline/session.h"
#include "pipeline/tracker.h"
#include "rounds/rounds.h"
#include "svc/service.h"

/* The coordinator's GG settings, spliced into its settings table. */
#define CO_PRESIGN_SETTINGS                                                                                          \
    {"session.gg_timeout_ms", SVC_CFG_INT, "MPC_SESSION_GG_TIMEOUT_MS", "60000", 1000, 3600000, 0,                   \
     "Timeout of GG18/GG20 keygen, signing and presign sessions (Paillier proofs take seconds)"},                    \
        {"presign.pool_size", SVC_CFG_INT, "MPC_PRESIGN_POOL_SIZE", "20", 0, 100000, 0,                              \
         "GG20 presignatures kept ready per key and signer set (0: no pool, every signature presigns inline)"},      \
        {"presign.low_water", SVC_CFG_INT, "MPC_PRESIGN_LOW_WATER", "5", 0, 100000, 0,                               \
         "A pool with fewer ready presignatures than this is refilled up to presign.pool_size"},                     \
        {"presign.batch", SVC_CFG_INT, "MPC_PRESIGN_BATCH", "10", 1, 1000, 0,                                        \
         "Presignatures made by one presign session"},                                                              \
        {"presign.concurrency", SVC_CFG_INT, "MPC_PRESIGN_CONCURRENCY", "1", 0, 64, 0,                               \
         "Presign sessions this coordinator runs at once (0: no background refill)"},                               \
        {"presign.check_interval_ms", SVC_CFG_INT, "MPC_PRESIGN_CHECK_INTERVAL_MS", "1000", 100, 600000, 0,          \
         "How often pool levels are checked"},                                                                       \
        {"presign.blame_cooldown_ms", SVC_CFG_INT, "MPC_PRESIGN_BLAME_COOLDOWN_MS", "300000", 0, 86400000, 0,        \
         "A node an abort names as culprit is left out of pool-refill signer sets this long (0: never left out)"},

typedef struct co_presign co_presign;

/* ctx and rounds are borrowed (the coordinator's). Returns NULL when out of
 * memory. */
co_presign *co_presign_new(svc_service *svc, const mpc_engine_ctx *ctx, rounds_node *rounds, const char *instance)
    __attribute__((warn_unused_result));
/* Forgets running presign sessions (their presignatures are simply never
 * recorded) and frees (NULL ok). */
void co_presign_free(co_presign *p);

/* Returns: the timeout for a session of protocol (dflt unless GG). */
int64_t co_gg_timeout(const co_presign *p, const char *protocol, int64_t dflt);

/* Prepares a GG signing session before it is announced (see above); other
 * sessions are left alone. Any presignature ids already in desc (from an
 * earlier attempt) are dropped first. Counts and logs nothing about inline
 * presigning: a session prepared for a record that is then redelivered
 * (the heavy-session queue is full) is prepared again, and must not count
 * twice; see co_gg_announced. Returns 0, or -1 on a database error. */
int co_gg_prepare(co_presign *p, PGconn *db, pl_session *desc, const char *chain_type)
    __attribute__((warn_unused_result));

/* A session desc (as co_gg_prepare left it) was announced: a gg20 signing
 * session without pooled presignatures is counted in
 * mpc_presign_inline_total and logged ("presigning inline"), once per
 * announced session; other sessions are left alone. */
void co_gg_announced(co_presign *p, const pl_session *desc);

/* Overwrites result's "signature" with r || s (hex) and sets
 * "signature_der", "recovery_id", "r", "s" from a 65-byte GG output
 * (r || s || recovery id). Returns 0, or -1 when sig is not one. */
int co_gg_result(const mpc_engine_ctx *ctx, json_t *result, const unsigned char *sig, size_t len);

/* A session of this coordinator (signing, keygen or presign) ended failed
 * (t is its tracker): when an abort named a culprit (PROTOCOL_ABORT with a
 * node), that node is left out of refill signer sets until now_ms +
 * presign.blame_cooldown_ms (logged, counted). A timeout's silent node is
 * not blamed: a node that is down has no heartbeat and is left out anyway. */
void co_presign_failed(co_presign *p, const pl_tracker *t, int64_t now_ms);

/* A round message (already authenticated) of a session main.c does not
 * own. Returns 1 if it belonged to a presign session. */
int co_presign_on_round(co_presign *p, const rounds_in *in);

/* Deadlines and outcomes of presign sessions; pool checks and refills. */
void co_presign_tick(co_presign *p, svc_service *svc, int64_t now_ms);

#endif
