/* offsets.h - which Kafka offset may be committed when records finish out of
 * order.
 *
 * A coordinator starts a session per request record and finishes sessions
 * in whatever order they end. Committing offset N+1 says every record up to
 * N is done, so per partition the committable offset is the lowest record
 * still in flight (or one past the last finished record when none is).
 * Records must be begun in increasing offset order per partition (Kafka
 * delivers them so); beginning an offset at or below one already tracked
 * means the partition was re-assigned and restarts its tracking.
 * Pure: no I/O. Not thread-safe.
 */
#ifndef MPC_PIPELINE_OFFSETS_H
#define MPC_PIPELINE_OFFSETS_H

#include <stdint.h>

typedef struct pl_offsets pl_offsets;

pl_offsets *pl_offsets_new(void) __attribute__((warn_unused_result));
void pl_offsets_free(pl_offsets *o);

/* Registers a record as in flight. Returns 0, or -1 when out of memory. */
int pl_offsets_begin(pl_offsets *o, const char *topic, int32_t partition, int64_t offset)
    __attribute__((warn_unused_result));

/* Marks a record finished. Returns the offset now committable for its
 * partition if it advanced, else -1 (an earlier record is still in flight,
 * or the record was not tracked). */
int64_t pl_offsets_finish(pl_offsets *o, const char *topic, int32_t partition, int64_t offset);

/* Un-registers the most recent record of a partition when it is offset
 * (the record will be delivered again, e.g. after a retry). */
void pl_offsets_cancel(pl_offsets *o, const char *topic, int32_t partition, int64_t offset);

/* Forgets a partition (revoked). */
void pl_offsets_forget(pl_offsets *o, const char *topic, int32_t partition);

/* Records in flight over all partitions. */
long pl_offsets_in_flight(const pl_offsets *o);

#endif
