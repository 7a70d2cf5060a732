/* gg18.h - GG18 threshold ECDSA signing (ePrint 2019/114, Section 4.3) as an
 * mpc_party (protocol id 5), 9 rounds:
 *   1 bcast  commitment to Gamma_i = gamma_i G, c_i = Enc_i(k_i)
 *   2 p2p    Alice's range proof for c_i (verifier's ring-Pedersen params)
 *   3 p2p    MtA(k_j, gamma_i) and MtAwc(k_j, w_i) answers with Bob's proofs
 *   4 bcast  delta_i, decommitment of Gamma_i, proof of knowledge of gamma_i
 *   5 bcast  commitment to V_i = s_i R + l_i G, A_i = rho_i G      (phase 5A)
 *   6 bcast  V_i, A_i, proofs of knowledge of (s_i, l_i) and rho_i (5B)
 *   7 bcast  commitment to U_i = rho_i V, T_i = l_i A              (5C)
 *   8 bcast  U_i, T_i; everybody checks sum U == sum T             (5D)
 *   9 bcast  s_i and l_i; s_i R + l_i G == V_i names a bad share   (5E)
 * The signature is low-S with its recovery id and verified before output.
 * Revealing l_i in round 9 (after the 5D check) is our addition: it makes a
 * wrong s_i attributable; l_i G is already public as V_i - s_i R then.
 * w_i = lambda_i x_i for the signer set; the key package is borrowed and
 * must outlive the party.
 */
#ifndef MPC_ENGINE_GG18_H
#define MPC_ENGINE_GG18_H

#include "engine/ecdsa.h"
#include "engine/gg_common.h"
#include "engine/party.h"

typedef struct gg_sign_config {
    unsigned char session[32];
    const gg_keypkg *kp;     /* borrowed */
    const uint16_t *signers; /* >= t distinct ids, self among them */
    size_t nsigners;
    unsigned char msg32[32]; /* the 32-byte digest to sign (GG18 only) */
} gg_sign_config;

/* Returns: MPC_OK, MPC_ERR_CONFIG, MPC_ERR_RNG, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg18_sign_new(const mpc_engine_ctx *ctx, mpc_party **out,
                                   const gg_sign_config *cfg);

/* Returns: MPC_OK with the signature of a DONE party, else MPC_ERR_STATE. */
MPC_WUR mpc_err_code gg18_signature(const mpc_party *p, gg_signature *out);

#endif
