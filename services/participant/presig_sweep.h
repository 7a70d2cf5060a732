/* presig_sweep.h - deletes this node's orphaned GG20 presignatures.
 *
 * A participant stores its half of every presignature of a presign session
 * as soon as its own part is done (presig_store.h); the coordinator adds
 * the ids to its pool (PostgreSQL `presignatures`) only once every signer
 * reported the same R. When the session fails after this node stored (a
 * signer cheats or disagrees, times out, crashes; the coordinator stops),
 * or a claimed presignature's signing session ends before this node used
 * it, the sealed bytes are never asked for again: orphans. The sweep finds
 * and deletes them.
 *
 * Every presign.sweep_interval_ms (0: never) the main loop calls psw_tick:
 *   1. the presignatures this node has held for at least
 *      presign.sweep_min_age_ms (ps_store_aged; at most PSW_MAX_PER_SWEEP)
 *      are looked up in the coordinator's tables, in one read-only query;
 *   2. an id is an orphan, and deleted (ps_store_discard: ledger marker
 *      first, then the bytes), exactly when the coordinator can no longer
 *      hand it to this node:
 *        - no `presignatures` row, and its presign session (the id's
 *          "<session>." prefix) is completed or failed, or has no row: the
 *          coordinator adds a session's presignatures only in the statement
 *          that moves its row from running to completed
 *          (co_presign_complete), so once the row is not running nothing
 *          can be added any more;
 *        - a `ready` row whose signer set does not hold this node;
 *        - a `claimed` row whose claiming signing session is completed or
 *          failed (claimed rows are never made ready again);
 *      everything else stays: a ready row of this node, a claimed row
 *      whose session runs (or has no row yet: claims precede the session
 *      row), a presign session still running. A presign session left
 *      running by a stopped coordinator is closed as ABANDONED by the
 *      coordinators (after 2 x session.gg_timeout_ms), so its orphans go
 *      too.
 * The age is only a margin: the rule above is what keeps live entries.
 * Deleting an orphan is safe in the other direction as well: its ledger
 * marker is written first, so the presignature is consumed, never used.
 * Without PostgreSQL (not connected, an error) nothing is deleted.
 *
 * Log line "orphaned presignatures swept" (count, ids); metrics
 * mpc_presig_swept_total, mpc_presig_sweep_checked_total (ids looked up).
 * Main-loop thread only (it uses the service's PostgreSQL connection).
 */
#ifndef MPC_PARTICIPANT_PRESIG_SWEEP_H
#define MPC_PARTICIPANT_PRESIG_SWEEP_H

#include <libpq-fe.h>
#include <stdint.h>

#include "presig_store.h"
#include "svc/config.h"
#include "svc/metrics.h"

#define PSW_MAX_PER_SWEEP 500 /* ids looked up by one sweep */

/* The sweep's settings, spliced into the participant's settings table. */
#define PSW_SETTINGS                                                                                                 \
    {"presign.sweep_interval_ms", SVC_CFG_INT, "MPC_PRESIG_SWEEP_INTERVAL_MS", "60000", 0, 86400000, 0,              \
     "How often this node deletes its orphaned presignatures (those the coordinator can no longer hand out; 0: "     \
     "never)"},                                                                                                      \
        {"presign.sweep_min_age_ms", SVC_CFG_INT, "MPC_PRESIG_SWEEP_MIN_AGE_MS", "600000", 0, 604800000, 0,          \
         "A presignature is looked at by the sweep only after this node has held it this long"},

typedef struct psw_sweeper psw_sweeper;

/* store is borrowed (it must outlive the sweeper); self is this node's id.
 * Returns NULL when out of memory. */
psw_sweeper *psw_new(const svc_config *config, svc_metrics *metrics, ps_store *store, int self)
    __attribute__((warn_unused_result));
void psw_free(psw_sweeper *w);

/* Sweeps when one is due (see above). db: the service's connection, NULL
 * when not connected (the sweep waits for the next interval). now_ms: a
 * monotonic clock in milliseconds. */
void psw_tick(psw_sweeper *w, PGconn *db, int64_t now_ms);

#endif
