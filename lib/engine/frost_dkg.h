/* frost_dkg.h - two-round Pedersen distributed key generation with proofs of
 * knowledge, as used with FROST (RFC 9591 Appendix C, ZF FROST's `dkg`).
 *
 * Participants are 1..n, threshold t (1 <= t <= n <= 255).
 *   Round 1 (broadcast): party i draws f_i of degree t-1, sends its Feldman
 *     commitments C_i0..C_i(t-1) and a proof of knowledge of a_i0 (pok.h),
 *     bound to the session by the context frost_dkg_context().
 *   Round 2 (point-to-point, after all round-1 messages): f_i(j) to party j.
 *     The payload is the bare secret share: the transport encrypts it.
 *   Each party checks every commitment count, proof and share against the
 *   sender's commitments; the first failure (in id order) aborts with the
 *   sender as culprit. Output: frost_keypkg (own share s_i = sum_j f_j(i),
 *   all verifying shares, group key Y = sum_j C_j0).
 * Round 1 relies on a consistent broadcast channel (every party sees the same
 * round-1 message of each sender), e.g. a single Kafka topic partition.
 *
 * Payloads: round 1: u16 count | count x C (33) | PoK (65); round 2: share (32).
 */
#ifndef MPC_ENGINE_FROST_DKG_H
#define MPC_ENGINE_FROST_DKG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "engine/frost_keys.h"
#include "engine/party.h"
#include "engine/pok.h"

typedef struct frost_dkg_config {
    unsigned char session[32]; /* unique per key generation */
    uint16_t self;             /* 1..n */
    uint16_t t, n;
} frost_dkg_config;

/* Create a DKG party; its round-1 broadcast is queued immediately.
 * Returns: MPC_OK; MPC_ERR_CONFIG (bad t, n or self); MPC_ERR_RNG;
 * MPC_ERR_NOMEM. Out: *out (free with mpc_party_free). */
MPC_WUR mpc_err_code frost_dkg_new(const mpc_engine_ctx *ctx, mpc_party **out,
                                   const frost_dkg_config *cfg);

/* Copy the result of a finished DKG party.
 * Returns: MPC_OK, or MPC_ERR_STATE if the party is not DONE or not a DKG. */
MPC_WUR mpc_err_code frost_dkg_output(const mpc_party *p, frost_keypkg *out);

/* The proof-of-knowledge context of a session:
 * out32 = transcript("FROST-secp256k1-DKG-v1"; session, t, n). */
void frost_dkg_context(unsigned char out32[32], const unsigned char session[32], uint16_t t,
                       uint16_t n);

/* Check a round-1 package of `sender`: exactly t commitments, and a valid
 * proof for C_0 under context[0..ctxlen) (empty context = ZF FROST vectors).
 * Returns: MPC_OK, MPC_ERR_COMMITMENT_COUNT or MPC_ERR_BAD_PROOF. */
MPC_WUR mpc_err_code frost_dkg_check_round1(const mpc_engine_ctx *ctx, uint16_t sender,
                                            const mpc_point *commitments, size_t count,
                                            uint16_t t, const mpc_pok *pok,
                                            const unsigned char *context, size_t ctxlen);

#endif
