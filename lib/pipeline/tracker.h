/* tracker.h - the coordinator's view of one protocol session.
 *
 * The coordinator does not run the protocol; it watches it. The tracker is
 * told what it sees on mpc.rounds (after the transport authenticated the
 * sender) and decides when the session is over:
 *   - signing: the first `output` whose every signature verifies under the
 *     key's group public key wins (each signer aggregates for itself); an
 *     output that does not verify is a lie, and its sender is recorded as
 *     culprit but the session goes on waiting for an honest one;
 *     GG18/GG20 outputs are r || s || recovery id per item, checked as
 *     lib/pipeline/ecdsa_sig.h says (low-S, verifies, recovers the key);
 *   - keygen: every participant must report the same group public key;
 *   - presign (GG20 pool): every participant must report the same R point
 *     of every presignature (33 bytes each, in item order);
 *   - an `abort` from a participant ends the session with its culprit;
 *   - the deadline passes: the participants that fell behind (sent fewer
 *     rounds than the furthest one) are reported as silent.
 * Pure: no I/O; time is passed in. Ownership: the tracker copies what it is
 * given; returned pointers stay valid until pl_tracker_free.
 */
#ifndef MPC_PIPELINE_TRACKER_H
#define MPC_PIPELINE_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "pipeline/session.h"

typedef enum { PL_TRACK_RUNNING = 0, PL_TRACK_SUCCEEDED, PL_TRACK_FAILED } pl_track_state;

typedef struct pl_tracker pl_tracker;

/* desc: the session as announced (copied). group_key33: the key's
 * compressed public key for signing and presign sessions, NULL for keygen.
 * Returns NULL on invalid input or no memory. */
pl_tracker *pl_tracker_new(const mpc_engine_ctx *ctx, const pl_session *desc, const unsigned char *group_key33,
                           int64_t now_ms, int64_t timeout_ms) __attribute__((warn_unused_result));
void pl_tracker_free(pl_tracker *t);

const pl_session *pl_tracker_session(const pl_tracker *t);

/* A protocol message of `round` from participant `from` was seen. */
void pl_tracker_saw_round(pl_tracker *t, uint16_t from, uint8_t round);

/* An output from `from`. Returns 1 if accepted (and possibly decisive), 0 if
 * ignored (not a participant, session over, duplicate), -1 if it is invalid
 * (its sender is recorded as culprit). */
int pl_tracker_output(pl_tracker *t, uint16_t from, const unsigned char *payload, size_t len);

/* An abort from participant `from` naming `culprit` (0 = nobody). `code` is
 * copied (<= 63 characters kept). Ends the session as failed. */
void pl_tracker_abort(pl_tracker *t, uint16_t from, const char *code, uint16_t culprit);

/* Ends the session as failed with code CANCELLED (an operator asked). */
void pl_tracker_cancel(pl_tracker *t);

/* Checks the deadline. Returns the state after the check. */
pl_track_state pl_tracker_tick(pl_tracker *t, int64_t now_ms);
pl_track_state pl_tracker_state(const pl_tracker *t);

/* After SUCCEEDED (signing): item i's signature. */
const unsigned char *pl_tracker_signature(const pl_tracker *t, size_t item, size_t *len);
/* After SUCCEEDED (keygen): the agreed 33-byte group public key. */
const unsigned char *pl_tracker_group_key(const pl_tracker *t);
/* After SUCCEEDED (presign): 33 x nitems bytes, the agreed R of each item. */
const unsigned char *pl_tracker_presig_points(const pl_tracker *t);
/* The participant whose output decided the session (0 for keygen). */
uint16_t pl_tracker_decider(const pl_tracker *t);

/* After FAILED: a stable error code (PARTICIPANT_TIMEOUT, PROTOCOL_ABORT,
 * ...), the culprit (0 if none is known) and a one-line message. */
const char *pl_tracker_error_code(const pl_tracker *t);
uint16_t pl_tracker_culprit(const pl_tracker *t);
const char *pl_tracker_error_message(const pl_tracker *t);

/* The participants that fell behind, into out (capacity PL_MAX_PARTIES).
 * Returns their count. Meaningful after a timeout. */
size_t pl_tracker_silent(const pl_tracker *t, uint16_t *out);

#endif
