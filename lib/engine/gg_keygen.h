/* gg_keygen.h - GG18/GG20 key generation as an mpc_party (protocol id 4).
 *
 * Round 1 (broadcast): Feldman commitments (exactly t) to a random
 *   polynomial, a Schnorr proof of knowledge of its constant term, the
 *   party's Paillier modulus N and ring-Pedersen (s, t), Pi_mod for N and
 *   Pi_prm for (N, s, t).
 * Round 2 (point-to-point, SECRET: the transport encrypts it): the Shamir
 *   share f_i(j) and Pi_fac for N_i against the recipient's ring-Pedersen
 *   parameters.
 * Every check names the sender: COMMITMENT_COUNT, BAD_PROOF (PoK, Pi_mod,
 * Pi_prm, Pi_fac, N of the wrong size or reused), BAD_SHARE, MALFORMED.
 * Every proof context binds the session id, t, n, the prover and (Pi_fac)
 * the verifier. No option skips a proof.
 */
#ifndef MPC_ENGINE_GG_KEYGEN_H
#define MPC_ENGINE_GG_KEYGEN_H

#include "engine/gg_common.h"
#include "engine/party.h"

typedef struct gg_keygen_config {
    unsigned char session[32];
    uint16_t self, t, n; /* parties are 1..n */
    /* This party's Paillier key, normally taken from a gg_paillier_pool;
     * ownership passes to the party on every path. NULL: generated fresh
     * inside gg_keygen_new (seconds). */
    gg_paillier_priv *paillier;
} gg_keygen_config;

/* Create a keygen party and queue its round-1 message.
 * Returns: MPC_OK, MPC_ERR_CONFIG, MPC_ERR_RNG, MPC_ERR_NOMEM. Out: *out. */
MPC_WUR mpc_err_code gg_keygen_new(const mpc_engine_ctx *ctx, mpc_party **out,
                                   const gg_keygen_config *cfg);

/* Move the finished key package out of a DONE keygen party (once).
 * Returns: MPC_OK, or MPC_ERR_STATE if the party is not a finished keygen. */
MPC_WUR mpc_err_code gg_keygen_output(mpc_party *p, gg_keypkg *out);

#endif
