/* gg20_ident.h - GG20 presigning: naming the cheater when the round-5 sum
 * checks fail although every proof passed (the paper's type-5 and type-7
 * failures), by revealing the presignature's ephemeral values.
 *
 * sum Rbar_j != G means delta != k gamma: some party broadcast a wrong
 * delta_i, or answered the k-gamma MtA as Bob with some b other than its
 * gamma_i (the MtA proof does not bind b to Gamma_i). sum S_j != Y means
 * sum sigma_i != k x: some sigma_i is wrong; T_i commits to it, so the
 * round-4 and round-5 proofs still pass.
 *
 * What the protocol adds (gg_sign.c):
 *  - round 4 (broadcast) carries, for every MtA answer c_B a party sent as
 *    Bob, gg20_answer_digest(c_B). Alice compares it with the c_B she got in
 *    round 3; a mismatch names Bob (he told her one thing, everybody else
 *    another: MPC_ERR_EQUIVOCATION).
 *  - round 6 (broadcast), only after a failed sum check: every party reveals
 *    k_i, gamma_i and, for every answer it received as Alice, the plaintext
 *    as an integer (alpha_ij of the k-gamma MtA, mu_ij of the k-w MtAwc) and
 *    the Paillier randomness rho of that c_B (gg20_reveal_write).
 *
 * Why revealing is safe: the presignature is discarded. alpha_ij and mu_ij
 * are masked by Bob's beta' < n^5, which appears nowhere else except in the
 * exponent (as part of S_j), so mu_ij = k_i w_j + beta' says nothing about
 * w_j; nothing of the MtAwc is revealed by Bob. rho opens a c_B whose
 * plaintext and randomness Bob proved he knows, so Alice's modulus is never
 * used as an N-th-root oracle on values of someone else's choosing.
 *
 * gg20_blame: every party runs the same checks on the same broadcast data:
 *  1. every reveal parses; gamma_i G == Gamma_i; k_i R == Rbar_i (Rbar_i is
 *     bound to c_i by its round-5 proof); each revealed (alpha, rho) and
 *     (mu, rho) re-encrypts under the revealer's key to a c_B whose digest
 *     matches the one Bob broadcast. A failure names the revealer
 *     (MPC_ERR_BAD_DECOMMITMENT).
 *  2. then, with k = sum k_i, gamma = sum gamma_i, delta = sum delta_i:
 *       delta_i   == k gamma_i + sum_j alpha_ij - sum_j alpha_ji      (mod n)
 *       delta S_i == gamma (k W_i + (sum_j mu_ij - sum_j mu_ji) G)
 *     (Bob i's share of the pair (j, i) is k_j gamma_i - alpha_ji, resp.
 *     k_j w_i - mu_ji; R = delta^-1 gamma G.) A failure names i
 *     (MPC_ERR_BAD_SIG_SHARE).
 * All checks passing implies sum Rbar_j == G and sum S_j == Y, so after a
 * failed sum check somebody is always named; step 1 runs for every party
 * before step 2 so that a lie in a reveal cannot get an honest party blamed.
 */
#ifndef MPC_ENGINE_GG20_IDENT_H
#define MPC_ENGINE_GG20_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>

#include "engine/errors.h"
#include "engine/gg_common.h"

enum { GG20_ANSWER_GAMMA = 0, GG20_ANSWER_W = 1 };

/* out32 = transcript("GG20-answer-v1"; session, bob, alice, kind, c_B padded
 * to the byte length of Alice's N^2). Returns: 1, or 0 if c_B is not in
 * [0, N^2). */
MPC_WUR int gg20_answer_digest(unsigned char out32[32], const unsigned char session[32],
                               uint16_t bob, uint16_t alice, int kind,
                               const gg_paillier_pub *alice_pub, const BIGNUM *cB);

/* Write this party's reveal: k | gamma | for every index j != me, in order:
 * alpha_mej | rho | mu_mej | rho (numbers as bn_write), decrypting
 * answers[j][GG20_ANSWER_GAMMA / _W] (the c_B received from j) with own.
 * Returns: MPC_OK, MPC_ERR_NOMEM (also when an answer does not decrypt). */
MPC_WUR mpc_err_code gg20_reveal_write(mpc_writer *w, const gg_paillier_priv *own,
                                       const mpc_scalar *k, const mpc_scalar *gamma,
                                       BIGNUM *const (*answers)[2], size_t ns, size_t me);

/* Everything gg20_blame looks at; arrays have ns entries, by index. */
typedef struct gg20_blame_view {
    const unsigned char *session;         /* 32 bytes */
    const gg_keypkg *kp;                  /* Paillier keys by id - 1 */
    size_t ns;
    const uint16_t *ids;                  /* ascending */
    const mpc_point *Gamma, *Rbar, *S, *W; /* W_i = lambda_i X_i */
    const mpc_scalar *delta;              /* each party's broadcast delta_i */
    const mpc_point *R;
    const unsigned char (*digest)[2][32]; /* [bob * ns + alice][kind] */
    const unsigned char *const *reveal;   /* round-6 payloads (own included) */
    const size_t *reveal_len;
} gg20_blame_view;

/* Run the checks above. Returns the error of the first failing check with
 * err->culprit its party id; MPC_ERR_BAD_SIG_SHARE with culprit 0 if every
 * check passes (impossible after a failed sum check); MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg20_blame(const mpc_engine_ctx *ctx, const gg20_blame_view *v,
                                mpc_error *err);

#endif
