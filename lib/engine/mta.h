/* mta.h - Multiplicative-to-Additive share conversion (GG18 Section 3) with
 * range proofs on both sides. Alice holds a, publishes c_A = Enc_A(a) with
 * gg_zk_enc proofs (one per verifier); Bob holds b and answers with
 *   c_B = c_A^b * Enc_A(beta'; r),  beta' < n^5,  beta = -beta' mod n
 * plus gg_zk_aff (MtA) or its "wc" variant bound to B = b G (MtAwc);
 * Alice checks the proof and gets alpha = Dec(c_B) mod n, so that
 * alpha + beta = a b (mod n). The "fast" MtA without Bob's proof is what
 * Alpha-Rays broke; there is no such variant here.
 */
#ifndef MPC_ENGINE_MTA_H
#define MPC_ENGINE_MTA_H

#include <stddef.h>

#include <openssl/bn.h>

#include "engine/ctx.h"
#include "engine/paillier.h"
#include "engine/point.h"
#include "engine/scalar.h"

/* Alice: c = Enc_own(a; r) with fresh r (CRT). Out: c, r (caller's BIGNUMs).
 * Returns: MPC_OK, MPC_ERR_RNG, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg_mta_encrypt(const mpc_engine_ctx *ctx, const gg_paillier_priv *own,
                                    const mpc_scalar *a, BIGNUM *c, BIGNUM *r);

/* Bob: answer c_A (already checked with gg_zk_enc_verify). wc: prove
 * against B = b G. Out: *beta (secret), *out = c_B | proof (malloc'd).
 * Returns: MPC_OK, MPC_ERR_RNG, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg_mta_respond(const mpc_engine_ctx *ctx, const gg_paillier_pub *alice,
                                    const unsigned char context[32], const BIGNUM *cA,
                                    const mpc_scalar *b, int wc, mpc_scalar *beta,
                                    unsigned char **out, size_t *len);

/* Alice: check Bob's answer (B = Bob's b G for MtAwc, NULL for MtA) and
 * decrypt. Returns: MPC_OK, MPC_ERR_MALFORMED, MPC_ERR_BAD_PROOF,
 * MPC_ERR_NOMEM. Out: *alpha. */
MPC_WUR mpc_err_code gg_mta_finish(const mpc_engine_ctx *ctx, const gg_paillier_priv *alice,
                                   const unsigned char context[32], const BIGNUM *cA,
                                   const mpc_point *B, const unsigned char *msg, size_t len,
                                   mpc_scalar *alpha);

/* The c_B of an answer message (as made by gg_mta_respond), unchecked.
 * Returns: 1, 0 if msg does not start with a number. Out: cB. */
MPC_WUR int gg_mta_answer_ciphertext(const unsigned char *msg, size_t len, BIGNUM *cB);

#endif
