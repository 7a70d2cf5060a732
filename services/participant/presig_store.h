/* presig_store.h - the participant's durable GG20 presignatures.
 *
 * A presignature is this node's secret half of a GG20 nonce (k_i, sigma_i
 * and the public R, Rbar_j, S_j): used twice, it leaks the key. The store
 * keeps each one sealed in a vault (secure/vault.h, purpose "presig"),
 * named by the presignature id the coordinator assigned, together with the
 * key id it belongs to:
 *
 *   u8 version = 1 | u8 len | key_id | gg20_presig_serialize() bytes
 *
 * Single use across crashes, in this order:
 *   1. ps_store_consume writes the ledger marker "presig:<id>" (fdatasync'ed:
 *      the presignature is consumed durably BEFORE anything uses it);
 *   2. it takes the sealed bytes out of the vault (read, then unlink and
 *      fsync: deleted before the caller signs);
 *   3. the caller signs (gg20_sign_new wipes the in-memory copy).
 * A crash after 1 and before 2 leaves bytes whose id the ledger already
 * holds: ps_store_open deletes those, and consume refuses a consumed id
 * even if its bytes came back (a restored backup). A crash after 2 wastes
 * the presignature; nothing can bring it back for a second use.
 *
 * Orphans (a presign session that failed after this node stored its
 * presignatures; a claimed one this node never got to use) are found by
 * the sweep (presig_sweep.h) through ps_store_aged and deleted with
 * ps_store_discard, which writes the same ledger marker first: a discarded
 * presignature is consumed, never used, even if its bytes came back.
 *
 * Presignature ids are the coordinator's: "<presign session id>.<item>"
 * (sql/V004__presign.sql); the sweep relies on that form.
 *
 * Metrics: mpc_presig_store_ready (gauge), mpc_presig_stored_total,
 * mpc_presig_consumed_total, mpc_presig_refused_total{reason=...}.
 * Thread-safe: the participant's worker threads use one store at once (the
 * vault and the ledger arbitrate between them as between processes; a
 * mutex guards the count of presignatures held), and the sweep with them;
 * ps_store_aged alone must be called from one thread at a time.
 */
#ifndef MPC_PARTICIPANT_PRESIG_STORE_H
#define MPC_PARTICIPANT_PRESIG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/gg20.h"
#include "secure/ledger.h"
#include "svc/metrics.h"

#define PS_PURPOSE "presig"
#define PS_ID_MAX 120 /* "presig:" + id fits a ledger id */

typedef struct ps_store ps_store;

typedef enum {
    PS_OK = 0,
    PS_USED,     /* the ledger says it was consumed: never again */
    PS_MISSING,  /* this node holds no such presignature */
    PS_MISMATCH, /* it belongs to another key or signer set (it is burnt) */
    PS_STORAGE   /* the disk failed; do not use it */
} ps_status;

/* Opens the store (ledger borrowed; it must outlive the store) and deletes
 * the bytes of presignatures the ledger already marks consumed. Returns
 * NULL with a one-line reason in err. */
ps_store *ps_store_open(const char *dir, const char *master_key_file, int node_id, mpc_ledger *ledger,
                        svc_metrics *metrics, char *err, size_t errlen) __attribute__((warn_unused_result));
void ps_store_close(ps_store *s);

/* Seals an unused presignature of key_id under id (write-once).
 * Returns PS_OK, PS_USED (the id is already consumed or stored), or
 * PS_STORAGE (why says more). */
ps_status ps_store_put(ps_store *s, const mpc_engine_ctx *ctx, const char *id, const char *key_id,
                       const gg20_presig *ps, char *why, size_t whylen);

/* Consumes presignature id for key_id and signer set signers[0..n)
 * (ascending), in the order of the header comment.
 * Returns PS_OK with *out (free with gg20_presig_free after use), or the
 * reason it must not be used (why says more). */
ps_status ps_store_consume(ps_store *s, const mpc_engine_ctx *ctx, const char *id, const char *key_id,
                           const uint16_t *signers, size_t n, gg20_presig **out, char *why, size_t whylen);

/* The ids of the presignatures held (at most max, in ascending order)
 * that this store has known for at least min_age_ms at now_ms (a monotonic
 * clock, milliseconds). An item's age counts from the first call that
 * listed it (items stored before this process started, or by another
 * process of the node, included), so it is never older than the item
 * really is. One thread at a time (the store remembers what it listed).
 * Returns 0 with *ids (free with mpc_vault_names_free(*ids, *n)), or -1
 * (the directory cannot be listed; why says more). */
int ps_store_aged(ps_store *s, int64_t now_ms, int64_t min_age_ms, size_t max, char ***ids, size_t *n, char *why,
                  size_t whylen) __attribute__((warn_unused_result));

/* Deletes presignature id without using it: the ledger marker
 * "presig:<id>" first (durable), then the sealed bytes (unlinked, the
 * directory fsync'ed). For orphans only: the caller must know that nobody
 * will ask for it (a session that does fails with PRESIG_USED).
 * Returns PS_OK (deleted); PS_USED (the ledger already marks it: being
 * consumed right now, or left by a crash, which the next ps_store_open
 * cleans up: left alone); PS_MISSING (its bytes were already gone; the
 * marker is written); PS_STORAGE (why says more). */
ps_status ps_store_discard(ps_store *s, const char *id, char *why, size_t whylen);

/* Returns: presignatures held now. */
size_t ps_store_ready(ps_store *s);

/* Returns: a static name for a status ("used", "missing", ...). */
const char *ps_status_name(ps_status st);

#endif
