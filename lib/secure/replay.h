/*
 * secure/replay.h - replay, duplicate and equivocation filter for round
 * messages.
 *
 * mpc.rounds has one partition per session, so every reader sees one order
 * and Kafka acts as a consistent broadcast channel: the first valid message
 * for a slot counts. Per session the filter remembers, for every accepted
 * message, its sender's (from, seq) and its slot (from, round, to, kind),
 * with the message digest (mpc_codec_round_message_digest):
 *   - the same digest again (a Kafka redelivery, a replay by an attacker)
 *     is MPC_SECURE_ERR_DUPLICATE: drop it quietly;
 *   - a different digest for a (from, seq) or a slot already seen is
 *     MPC_SECURE_ERR_EQUIVOCATION: the sender signed two conflicting
 *     messages, which is proof against it; blame `from`.
 * Feed it only messages whose signature mpc_envelope_open() verified
 * (including those it reported as MPC_SECURE_ERR_NOT_FOR_ME or
 * MPC_SECURE_ERR_DECRYPT): otherwise a forger could get an honest node blamed.
 *
 * Memory is bounded: at most max_sessions sessions (the least recently used
 * one is forgotten to admit a new one), at most max_messages per session
 * (more is MPC_SECURE_ERR_LIMIT), and sessions idle for idle_ms are dropped
 * by mpc_replay_filter_expire(). Release a finished session explicitly with
 * mpc_replay_filter_release(). The filter keeps no clock: callers pass now_ms.
 *
 * Conventions: see secure/secure.h. Not synchronised: one thread at a time.
 */
#ifndef MPC_SECURE_REPLAY_H
#define MPC_SECURE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "codec/avro_codec.h"
#include "secure/secure.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mpc_replay_filter mpc_replay_filter;

/* Returns: a new filter, or NULL if out of memory.
 * In: max_sessions >= 1; max_messages >= 1 (per session); idle_ms > 0. */
MPC_WUR mpc_replay_filter *mpc_replay_filter_new(size_t max_sessions, size_t max_messages,
                                                 int64_t idle_ms);

/* Free a filter and everything it remembers (NULL allowed). */
void mpc_replay_filter_free(mpc_replay_filter *f);

/* Record a message, or say why it must not be processed.
 * Returns: MPC_SECURE_OK (first of its kind: process it);
 *          MPC_SECURE_ERR_DUPLICATE (identical to one accepted: drop);
 *          MPC_SECURE_ERR_EQUIVOCATION (conflicts with one accepted from the
 *          same sender: blame msg->from; err says which slot);
 *          MPC_SECURE_ERR_LIMIT (the session holds max_messages already);
 *          MPC_SECURE_ERR_MALFORMED (kind longer than 31 bytes);
 *          MPC_SECURE_ERR_NOMEM.
 * In: msg: a message whose signature has been verified; session_id, protocol
 *     and kind non-NULL. now_ms: the caller's clock, for idle expiry.
 */
MPC_WUR int mpc_replay_filter_check(mpc_replay_filter *f, const mpc_round_message *msg,
                                    int64_t now_ms, mpc_secure_error *err);

/* Forget a session (finished or aborted). Unknown ids are ignored. */
void mpc_replay_filter_release(mpc_replay_filter *f, const char *session_id);

/* Forget sessions with no message for more than idle_ms before now_ms.
 * Returns: how many were forgotten. */
size_t mpc_replay_filter_expire(mpc_replay_filter *f, int64_t now_ms);

/* Returns: the number of sessions remembered. */
size_t mpc_replay_filter_sessions(const mpc_replay_filter *f);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_REPLAY_H */
