/*
 * secure/ledger.h - a node's durable usage ledger: an append-only file of
 * "consumed" markers (presignature ids, nonce ids, ...), so that a restarted
 * participant refuses to use any of them a second time.
 *
 * File format (text, one record per line):
 *   mpc.v1.ledger\n                       header
 *   <id> <check>\n                        one per consumed id; check = first
 *                                         8 hex digits of SHA-256(id)
 * mpc_ledger_consume() appends the record and fdatasync()s the file before it
 * returns MPC_SECURE_OK: an id reported consumed is consumed across crashes.
 * A torn last line (a crash during the append, before success was returned)
 * is cut off when next seen; any other malformed line makes the ledger refuse
 * to open (MPC_SECURE_ERR_FORMAT): better to stop than to forget a marker.
 *
 * Several processes (worker processes of one node) may share a ledger: every
 * operation takes a flock and first reads what others appended. Several
 * threads may share one mpc_ledger: a mutex serialises its operations.
 *
 * Memory grows with the number of ids (kept in a hash set); compaction is
 * left to a future format version.
 *
 * Conventions: see secure/secure.h.
 */
#ifndef MPC_SECURE_LEDGER_H
#define MPC_SECURE_LEDGER_H

#include <stddef.h>

#include "secure/secure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MPC_LEDGER_ID_MAX 128

typedef struct mpc_ledger mpc_ledger;

/* Returns: 1 if id matches [A-Za-z0-9_.:-]{1,128}, else 0 (id may be NULL). */
int mpc_ledger_id_valid(const char *id);

/* Open (creating it 0600, and fsync'ing its directory) a ledger file and
 * read its records.
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_PERMISSIONS (writable by group or
 *          others); MPC_SECURE_ERR_FORMAT (bad header or a corrupt record,
 *          the message gives the line); _IO; _NOMEM.
 * Out: out: the ledger (close with mpc_ledger_close), NULL on failure.
 * In:  path: the ledger file (its directory must exist).
 */
MPC_WUR int mpc_ledger_open(mpc_ledger **out, const char *path, mpc_secure_error *err);

/* Close a ledger (NULL allowed). Everything consumed is already durable. */
void mpc_ledger_close(mpc_ledger *ledger);

/* Mark id consumed, durably.
 * Returns: MPC_SECURE_OK (it was not consumed before; the record is on disk);
 *          MPC_SECURE_ERR_CONSUMED (it was: do not use it);
 *          MPC_SECURE_ERR_INVALID_ID; _FORMAT (another writer left a corrupt
 *          record); _IO (the record may or may not have reached the disk:
 *          do not use the id); _NOMEM.
 */
MPC_WUR int mpc_ledger_consume(mpc_ledger *ledger, const char *id, mpc_secure_error *err);

/* Whether id has been consumed (including by other processes).
 * Returns: MPC_SECURE_OK (not consumed); MPC_SECURE_ERR_CONSUMED;
 *          MPC_SECURE_ERR_INVALID_ID; _FORMAT; _IO; _NOMEM.
 */
MPC_WUR int mpc_ledger_check(mpc_ledger *ledger, const char *id, mpc_secure_error *err);

/* Returns: the number of consumed ids known to this handle. */
size_t mpc_ledger_count(mpc_ledger *ledger);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_LEDGER_H */
