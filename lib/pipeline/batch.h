/* batch.h - runs one engine party per batch item in lockstep, so a batch of
 * N signatures is one session whose every round is one transport message.
 *
 * All parties of a batch run the same protocol with the same participants;
 * after each bundle they have all received the same round, so their outgoing
 * messages line up: the k-th message of every party has the same round and
 * recipient. pl_batch_pop() gathers those into one bundle; pl_batch_handle()
 * splits an incoming bundle and feeds item i's message to party i.
 *
 * Bundle encoding (big-endian): u32 count | count x (u32 len | len bytes),
 * count == the batch size, each element an engine envelope (party.h).
 * A bundle with the wrong count, a truncated or oversized element, or
 * trailing bytes is rejected as malformed and blamed on its sender.
 *
 * Pure: no I/O, no clocks. Ownership: the batch owns its parties.
 */
#ifndef MPC_PIPELINE_BATCH_H
#define MPC_PIPELINE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/party.h"

#define PL_BATCH_MAX_ITEMS 1000

typedef struct pl_batch pl_batch;

/* One outgoing bundle. bytes are malloc'd and owned by the caller after
 * pl_batch_pop (they may contain secrets before encryption: wipe and free
 * with pl_bundle_free). */
typedef struct {
    unsigned char *bytes;
    size_t len;
    uint16_t recipient; /* MPC_BROADCAST or a participant id */
    uint8_t round;
} pl_bundle;

/* Takes ownership of parties[0..n) (and frees them on failure).
 * Returns NULL when n is 0 or > PL_BATCH_MAX_ITEMS or out of memory. */
pl_batch *pl_batch_new(mpc_party **parties, size_t n) __attribute__((warn_unused_result));
void pl_batch_free(pl_batch *b);

size_t pl_batch_size(const pl_batch *b);
mpc_party *pl_batch_party(const pl_batch *b, size_t i);

/* Feeds a bundle received from `from` (authenticated by the transport).
 * Returns MPC_OK when every element was accepted; a rejection code (see
 * mpc_err_is_rejection) when the bundle was a duplicate or not for us (no
 * party changed); otherwise the fatal error, with err->culprit set. */
mpc_err_code pl_batch_handle(pl_batch *b, const unsigned char *bundle, size_t len, uint16_t from,
                             mpc_error *err) __attribute__((warn_unused_result));

/* Takes the next outgoing bundle. Returns 1 and fills out, 0 when nothing is
 * queued, -1 when the parties' queues disagree (an engine bug) or memory
 * ran out. */
int pl_batch_pop(pl_batch *b, pl_bundle *out) __attribute__((warn_unused_result));

/* MPC_PARTY_DONE when every party is done, MPC_PARTY_FAILED when any failed
 * (pl_batch_error gives the first failure), else MPC_PARTY_RUNNING. */
mpc_party_status pl_batch_status(const pl_batch *b);
mpc_error pl_batch_error(const pl_batch *b);

void pl_bundle_free(pl_bundle *bundle);

#endif
