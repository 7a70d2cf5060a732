/* rounds.h - a node's endpoint on mpc.rounds: authenticated, encrypted,
 * replay-filtered round messages over Kafka.
 *
 * Sending seals a message (signature by this node's identity key; payload
 * encrypted to the recipient when point-to-point; lib/secure/envelope.h),
 * encodes it (Avro, lib/codec) and produces it keyed by session id, so a
 * session's messages stay ordered in one partition.
 *
 * Receiving decodes, checks the signature against the pinned roster,
 * decrypts what is addressed to this node and runs the replay/equivocation
 * filter. The outcome says what to do with the record:
 *   ROUNDS_ACCEPT  process it (a fresh, authentic message for this node)
 *   ROUNDS_IGNORE  nothing to do: my own message, a point-to-point message
 *                  for another node, or a redelivered duplicate
 *   ROUNDS_REJECT  not acceptable: undecodable, unknown or forged sender,
 *                  bad signature, equivocation, undecryptable. `reason_code`
 *                  says which; `blame` is the sender's node id when the
 *                  failure is provably its fault (it signed it), else -1.
 * Every rejection is logged once and counted in
 * mpc_rounds_rejected_total{reason=...}.
 *
 * Not thread-safe: one endpoint per thread (the service's main loop).
 */
#ifndef MPC_ROUNDS_ROUNDS_H
#define MPC_ROUNDS_ROUNDS_H

#include <stddef.h>
#include <stdint.h>

#include "codec/avro_codec.h"
#include "engine/ctx.h"
#include "svc/kafka.h"
#include "svc/metrics.h"

#define ROUNDS_TOPIC "mpc.rounds"

typedef struct rounds_node rounds_node;

typedef enum { ROUNDS_ACCEPT = 0, ROUNDS_IGNORE = 1, ROUNDS_REJECT = 2 } rounds_outcome;

/* A received message. `msg` owns its members; `plain` is the (decrypted)
 * payload, wiped on free. */
typedef struct {
    mpc_round_message msg;
    unsigned char *plain;
    size_t plain_len;
} rounds_in;

/* Loads the identity key and roster and checks they agree for node_id.
 * ctx must outlive the endpoint. Returns NULL with a one-line reason. */
rounds_node *rounds_node_new(const mpc_engine_ctx *ctx, const char *identity_file, const char *roster_file,
                             int node_id, svc_metrics *metrics, char *err, size_t errlen)
    __attribute__((warn_unused_result));
void rounds_node_free(rounds_node *n);

int rounds_node_id(const rounds_node *n);
/* 1 if the roster knows node id as a participant. */
int rounds_is_participant(const rounds_node *n, int id);

/* Seals and produces one message. Returns 0 when queued, -1 with err. */
int rounds_send(rounds_node *n, svc_kafka *k, const char *session_id, const char *protocol, int round, int to,
                const char *kind, const unsigned char *payload, size_t len, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Classifies one record from mpc.rounds (see above). On ROUNDS_ACCEPT `out`
 * is filled (free with rounds_in_free); otherwise it is left zeroed.
 * reason_code/blame are set on ROUNDS_REJECT. now_ms: wall clock. */
rounds_outcome rounds_receive(rounds_node *n, const void *bytes, size_t len, int64_t now_ms, rounds_in *out,
                              const char **reason_code, int *blame);
void rounds_in_free(rounds_in *in);

/* Forgets a finished session's replay state. */
void rounds_release(rounds_node *n, const char *session_id);

#endif
