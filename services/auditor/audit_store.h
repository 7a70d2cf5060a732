/* audit_store.h - writing audit rows and Kafka positions to PostgreSQL.
 *
 * The auditor collects consumed records in an audit_batch and commits the
 * batch in ONE transaction:
 *
 *   BEGIN
 *   pg_advisory_xact_lock(AUDIT_LOCK_KEY)      -- one chain writer at a time
 *   head  = last row's (seq, hash)             -- or (0, 32 zero bytes)
 *   known = audit_offsets                       -- next_offset per partition
 *   drop entries whose offset < known next_offset, and repeats in the batch
 *   INSERT the rows, seq = head+1.., each hash chained to the one before
 *   UPSERT audit_offsets.next_offset = max(old, highest offset kept + 1)
 *   COMMIT
 *
 * Because the filter reads the committed positions under the lock, a batch
 * can be retried after any failure (even one where COMMIT's outcome is
 * unknown) and a record re-delivered after a crash or rebalance is dropped:
 * neither gaps nor duplicates. The lock is transaction-scoped, so several
 * auditor processes (one consumer group) can share the partitions and the
 * chain stays linear and gap-free.
 *
 * Pointer arguments are never NULL unless said otherwise. PGconn calls are
 * for the thread that owns the connection.
 */
#ifndef MPC_AUDIT_STORE_H
#define MPC_AUDIT_STORE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "audit_event.h"

/* Key of the transaction-scoped advisory lock serialising chain writers
 * ("mpc-audt" as a big-endian int64). */
#define AUDIT_LOCK_KEY "7885911994085500020"

typedef struct audit_pending {
    char *topic;
    int32_t partition;
    int64_t offset;
    audit_event ev;  /* ev.event_type NULL: accounted for without a row */
    char *details;   /* canonical JSON of ev.details when a row */
} audit_pending;

typedef struct audit_batch {
    audit_pending *v;
    size_t n, cap;
    size_t bytes; /* approximate memory held, for flush decisions */
} audit_batch;

typedef struct audit_commit_stats {
    size_t rows;       /* rows inserted */
    size_t accounted;  /* entries covered by the offsets without a row */
    size_t duplicates; /* entries dropped as already audited */
    int64_t head_seq;  /* seq of the chain head after the commit */
} audit_commit_stats;

/* Appends a record. `ev` is moved into the batch (and zeroed) when not
 * NULL; NULL (or an event without event_type) means the record is accounted
 * for by the offsets but gets no row (sampled-out heartbeats).
 * Returns 0, or -1 when out of memory (ev is then left to the caller). */
int audit_batch_add(audit_batch *b, const char *topic, int32_t partition, int64_t offset, audit_event *ev)
    __attribute__((warn_unused_result));

/* Frees every entry; the batch stays usable. */
void audit_batch_clear(audit_batch *b);
void audit_batch_free(audit_batch *b);

/* Commits the batch as described above. On success returns 0, fills st and
 * clears the batch; on failure returns -1 with a one-line reason in err,
 * rolls back and keeps the batch for a retry. */
int audit_batch_commit(PGconn *c, audit_batch *b, audit_commit_stats *st, char *err, size_t errlen)
    __attribute__((warn_unused_result));

typedef struct audit_offset {
    char *topic;
    int32_t partition;
    int64_t next_offset;
} audit_offset;

/* Reads every row of audit_offsets. Returns 0 with a malloc'ed array (free
 * with audit_offsets_free), or -1 with err. */
int audit_offsets_load(PGconn *c, audit_offset **out, size_t *n, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void audit_offsets_free(audit_offset *v, size_t n);

/* Copies the first line of libpq's error for c into err. */
void audit_pg_error(PGconn *c, const char *what, char *err, size_t errlen);

#endif
