/* frost_session.h - FROST signing as an mpc_party state machine, for a
 * peer-to-peer deployment where every signer also aggregates.
 *
 *   creation  round 1: nonces generated, commitment D||E broadcast (66 bytes)
 *   round 1 complete: signing package built once, own share z_i computed
 *             (the secret nonce is consumed) and broadcast (32 bytes)
 *   round 2 complete: every share verified (culprit named), signature
 *             aggregated and verified -> DONE.
 * Protocol id MPC_PROTO_FROST_SIGN (RFC 9591) or MPC_PROTO_FROST_SIGN_BIP340.
 *
 * Nonce safety: the secret nonce lives only inside the party (never
 * serialised, never persisted) and is wiped when the share is computed, so a
 * party signs at most once per nonce; a second, different round-1 message from
 * a peer is equivocation, not a reason to sign again. After a crash the round-1
 * state is gone: the service must record that this session's round 1 was
 * consumed and start a new session (new nonces) instead of resuming.
 */
#ifndef MPC_ENGINE_FROST_SESSION_H
#define MPC_ENGINE_FROST_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "engine/frost.h"
#include "engine/party.h"

typedef struct frost_session_config {
    unsigned char session[32];  /* unique per signature */
    frost_variant variant;
    const frost_keypkg *key;    /* this signer's key package (copied) */
    const uint16_t *signers;    /* signer ids incl. key->id, t <= count <= n */
    size_t nsigners;
    const unsigned char *msg;   /* message to sign (copied) */
    size_t msglen;
} frost_session_config;

/* Create a signing party; round 1 is queued immediately.
 * Returns: MPC_OK; MPC_ERR_CONFIG (too few signers, unknown or repeated ids,
 * self not a signer); MPC_ERR_RNG; MPC_ERR_NOMEM.
 * Out: *out (free with mpc_party_free). */
MPC_WUR mpc_err_code frost_session_new(const mpc_engine_ctx *ctx, mpc_party **out,
                                       const frost_session_config *cfg);

/* Copy the signature of a finished signing party into sig (FROST_SIG_MAX_BYTES).
 * Returns: MPC_OK, or MPC_ERR_STATE if the party is not DONE or not a
 * signing party. */
MPC_WUR mpc_err_code frost_session_signature(const mpc_party *p, unsigned char *sig,
                                             size_t *siglen);

#endif
