/* gg.h - the participant's GG18/GG20 (threshold ECDSA) sessions.
 *
 * main.c stays protocol-agnostic: for a session whose protocol is gg18 or
 * gg20 it asks this module for the parties (gg_run_start), feeds bundles
 * through it (gg_run_handle) and asks it for the output (gg_run_output).
 *
 *   keygen  (gg18, gg20)  protocol 4 among nodes 1..n; this node's Paillier
 *                         key comes from the background pool
 *                         (paillier_pool.h) when one is ready. The key
 *                         package is stored encrypted in the share store
 *                         like a FROST share; output: the 33-byte group key.
 *   sign    gg18          protocol 5 per item over the item's digest
 *                         (lib/pipeline/ecdsa_sig.h); output: per item
 *                         r || s || recovery id.
 *   sign    gg20, every item naming a pooled presignature: each is consumed
 *                         from the presignature store (presig_store.h:
 *                         ledger marker first, bytes deleted, then used)
 *                         and protocol 7 runs (one round).
 *   sign    gg20, no presignature ids: the signers presign inline
 *                         (protocol 6) and, as soon as their presignatures
 *                         exist, sign with them (protocol 7) in the same
 *                         session; these presignatures never touch the disk.
 *                         Online bundles that arrive before this node
 *                         finished presigning are held back and replayed.
 *   presign gg20          protocol 6 per item; each presignature is stored
 *                         under the item's id (the pool id the coordinator
 *                         assigned); output: the R of every item (33 bytes
 *                         each), which all signers must agree on.
 *
 * Abort codes a GG session can end with (besides the engine's): STORAGE,
 * CANNOT_START, PRESIG_USED (the ledger refuses a presignature: it was
 * used before), PRESIG_UNAVAILABLE (this node does not hold it).
 *
 * Threads: the participant's worker threads (step.h) call gg_run_start,
 * gg_run_handle and gg_run_output for different sessions at once. A gg_node
 * is not written after gg_node_new, and what it holds is thread-safe (the
 * engine context is read-only; the Paillier pool has its own lock; the
 * presignature store, the share store and the ledger are thread-safe). A
 * gg_run belongs to its session, whose steps never overlap.
 */
#ifndef MPC_PARTICIPANT_GG_H
#define MPC_PARTICIPANT_GG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "pipeline/batch.h"
#include "pipeline/session.h"
#include "presig_store.h"
#include "secure/ledger.h"
#include "secure/share_store.h"
#include "svc/config.h"
#include "svc/metrics.h"

/* The participant's GG settings, spliced into its settings table. */
#define GG_PARTICIPANT_SETTINGS                                                                                     \
    {"session.gg_timeout_ms", SVC_CFG_INT, "MPC_SESSION_GG_TIMEOUT_MS", "60000", 1000, 3600000, 0,                   \
     "Forget a GG18/GG20 session that has not finished after this long (Paillier proofs take seconds)"},             \
        {"paillier.pool_dir", SVC_CFG_STRING, "MPC_PAILLIER_POOL_DIR", "", 0, 0, 0,                                      \
     "Directory of the pre-generated Paillier keys (empty: 'paillier' next to node.share_dir)"},                     \
        {"paillier.pool_size", SVC_CFG_INT, "MPC_PAILLIER_POOL_SIZE", "4", 0, 1000, 0,                               \
         "Paillier keys kept ready so that GG keygens never wait for safe primes"},                                  \
        {"paillier.refill", SVC_CFG_BOOL, "MPC_PAILLIER_REFILL", "true", 0, 0, 0,                                    \
         "Generate Paillier keys in a background thread up to paillier.pool_size"},                                  \
        {"paillier.refill_pause_ms", SVC_CFG_INT, "MPC_PAILLIER_REFILL_PAUSE_MS", "0", 0, 3600000, 0,                \
         "Pause between two background generations (bounds their CPU share)"},                                       \
        {"presign.dir", SVC_CFG_STRING, "MPC_PRESIG_DIR", "", 0, 0, 0,                                               \
         "Directory of this node's GG20 presignatures (empty: 'presig' next to node.share_dir)"},

typedef struct gg_node gg_node;
typedef struct gg_run gg_run;

typedef struct {
    const svc_config *config;
    svc_metrics *metrics;
    const mpc_engine_ctx *ctx; /* the participant's engine context (shared by its threads, read-only) */
    mpc_share_store *shares;
    mpc_ledger *ledger;        /* the node's nonce ledger (presignature markers go there too) */
    int self;
} gg_node_deps;

/* Opens the Paillier pool (and starts its thread) and the presignature
 * store. Everything in deps is borrowed and must outlive the node.
 * Returns NULL with a one-line reason in err. */
gg_node *gg_node_new(const gg_node_deps *deps, char *err, size_t errlen) __attribute__((warn_unused_result));
void gg_node_free(gg_node *g);

/* Returns: the node's presignature store (for the sweep, presig_sweep.h). */
ps_store *gg_node_presigs(gg_node *g);

/* Returns: session.gg_timeout_ms, how long a GG session may take. */
int64_t gg_node_timeout_ms(const gg_node *g);

/* Returns: 1 if protocol is run by this module (gg18, gg20). */
int gg_handles(const char *protocol);

/* Creates the parties of a new GG session d (see the table above).
 * Returns the batch and *run (free with gg_run_free after the batch), or
 * NULL with an abort code (static string) and a reason. */
pl_batch *gg_run_start(gg_node *g, const pl_session *d, gg_run **run, const char **code, char *why, size_t whylen)
    __attribute__((warn_unused_result));

/* Feeds a bundle from `from`, as pl_batch_handle, and moves an inline GG20
 * session on from presigning to signing (*batch may be replaced). */
mpc_err_code gg_run_handle(gg_node *g, gg_run *r, const pl_session *d, pl_batch **batch, const unsigned char *bundle,
                           size_t len, uint16_t from, mpc_error *err) __attribute__((warn_unused_result));

/* After the batch is DONE: stores what must be stored and returns the
 * `output` payload (malloc'ed, public data), or NULL with an abort code and
 * a reason. */
unsigned char *gg_run_output(gg_node *g, gg_run *r, const pl_session *d, pl_batch *b, size_t *len, const char **code,
                             char *why, size_t whylen) __attribute__((warn_unused_result));

/* Returns: what to add to an engine round to get the transport's round
 * number. Inline GG20 sessions number their online round after the five
 * presigning rounds (6), so that its messages fill other slots of the
 * transport's equivocation filter than presigning round 1 did. */
int gg_run_round_base(const gg_run *r);

/* Wipes and frees a run (NULL ok). Free its batch first. */
void gg_run_free(gg_run *r);

#endif
