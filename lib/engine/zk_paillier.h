/* zk_paillier.h - the proofs that close the known attacks on a party's
 * Paillier modulus and ring-Pedersen parameters (CGGMP21, ePrint 2021/060):
 *
 *   Pi_mod  (zk_mod.c)  N is a Paillier-Blum modulus: N odd composite, and for
 *                       80 hash-derived y_i a fourth root x_i of
 *                       (-1)^a_i w^b_i y_i and an N-th root z_i of y_i.
 *   Pi_fac  (zk_fac.c)  no small factor: N = p q with |p|, |q| <=
 *                       2^(l+eps) sqrt(N), proven against the VERIFIER's
 *                       ring-Pedersen parameters (l = 256, eps = 512); a
 *                       factor below 2^256 cannot pass (BitForge,
 *                       CVE-2023-33241).
 *   Pi_prm  (zk_prm.c)  ring-Pedersen s lies in <t>: 80 parallel binary
 *                       challenges (TSSHOCK broke a deployment that ran one).
 *
 * All proofs are non-interactive: every challenge comes from an
 * mpc_transcript over the caller's 32-byte context (bind it to the session
 * id, the prover and verifier ids and the protocol step) and a length-prefixed
 * encoding of every statement value and first message. Repetition counts are
 * compile-time constants; nothing turns a proof off.
 *
 * Provers return MPC_OK or MPC_ERR_RNG / MPC_ERR_NOMEM; a prover given a bad
 * key (tests do that) still returns a proof, which then does not verify.
 * Verifiers return 1 only for a valid, canonically encoded proof.
 */
#ifndef MPC_ENGINE_ZK_PAILLIER_H
#define MPC_ENGINE_ZK_PAILLIER_H

#include <stddef.h>

#include <openssl/bn.h>

#include "engine/ctx.h"
#include "engine/paillier.h"

#define GG_ZK_MOD_REPS 80
#define GG_ZK_PRM_REPS 80

/* Pi_mod for k's modulus. Out: *out (malloc'd), *len. */
MPC_WUR mpc_err_code gg_zk_mod_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *k,
                                     const unsigned char context[32], unsigned char **out,
                                     size_t *len);
MPC_WUR int gg_zk_mod_verify(const BIGNUM *N, const unsigned char context[32],
                             const unsigned char *proof, size_t len);

/* Pi_prm for k's (N, s, t). */
MPC_WUR mpc_err_code gg_zk_prm_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *k,
                                     const unsigned char context[32], unsigned char **out,
                                     size_t *len);
/* Also checks N has GG_PAILLIER_BITS bits and s, t are units other than 1
 * and N - 1. */
MPC_WUR int gg_zk_prm_verify(const gg_paillier_pub *pub, const unsigned char context[32],
                             const unsigned char *proof, size_t len);

/* Pi_fac for k's modulus towards a verifier with ring-Pedersen params `ver`. */
MPC_WUR mpc_err_code gg_zk_fac_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *k,
                                     const gg_paillier_pub *ver, const unsigned char context[32],
                                     unsigned char **out, size_t *len);
MPC_WUR int gg_zk_fac_verify(const BIGNUM *N0, const gg_paillier_pub *ver,
                             const unsigned char context[32], const unsigned char *proof,
                             size_t len);

#endif
