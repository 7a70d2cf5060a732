/* zk_range.h - range proofs for MtA / MtAwc (GG18 Appendix A.1-A.3, with
 * the ring-Pedersen parameters of the VERIFIER, which Pi_prm and Pi_mod
 * established at keygen). n is the secp256k1 group order.
 *
 * gg_zk_enc: the prover knows m in [0, n), r with c = Enc_N(m; r) under its
 *   own Paillier key N. Proves m in [0, n^3] (GG18 A.1). With a base point B
 *   and X = m B it also proves the discrete log (GG20's consistency proof
 *   for R_i = k_i R, "PDL with slack", CGGMP21 Pi_log*).
 *     alpha < n^3, beta in Z*_N, gamma < n^3 N~, rho < n N~
 *     z = s^m t^rho, u = (1+N)^alpha beta^N, w = s^alpha t^gamma, [Y = alpha B]
 *     e = H(context, N, N~, s, t, c, [B, X], z, u, w, [Y]) in [0, n)
 *     s_ = r^e beta mod N, s1 = e m + alpha, s2 = e rho + gamma
 *     verify: 0 <= s1 <= n^3, (1+N)^s1 s_^N = u c^e mod N^2,
 *             s^s1 t^s2 = w z^e mod N~, [s1 B = Y + e X]
 *
 * gg_zk_aff: Bob's MtA proof (GG18 A.2; with X = x G, A.3 "MtAwc"): for
 *   Alice's c1 (under her N) and c2 = c1^x (1+N)^y r^N, x in [0, n),
 *   y in [0, n^5):
 *     alpha < n^3, rho < n N~, rho' < n^3 N~, sigma < n N~, beta in Z*_N,
 *     gamma < n^7, tau < n^3 N~
 *     z = s^x t^rho, z' = s^alpha t^rho', T = s^y t^sigma,
 *     v = c1^alpha (1+N)^gamma beta^N, w = s^gamma t^tau, [U = alpha G]
 *     e = H(context, ..., all of the above)
 *     s_ = r^e beta, s1 = e x + alpha, s2 = e rho + rho', t1 = e y + gamma,
 *     t2 = e sigma + tau
 *     verify: s1 <= n^3, t1 <= n^7, s^s1 t^s2 = z^e z', s^t1 t^t2 = T^e w,
 *             c1^s1 s_^N (1+N)^t1 = c2^e v mod N^2, [s1 G = U + e X]
 * Here N = N~ (Alice's modulus), the verifier is Alice, who uses her CRT.
 */
#ifndef MPC_ENGINE_ZK_RANGE_H
#define MPC_ENGINE_ZK_RANGE_H

#include <stddef.h>

#include <openssl/bn.h>

#include "engine/ctx.h"
#include "engine/paillier.h"
#include "engine/point.h"

/* Prove. own: the prover's key (c is under own->pub; CRT used);
 * ver: verifier's ring-Pedersen parameters; m >= 0 (an honest m is < n).
 * B, X: both NULL, or X = (m mod n) B.
 * Returns: MPC_OK, MPC_ERR_RNG, MPC_ERR_NOMEM. Out: *out, *len (malloc'd). */
MPC_WUR mpc_err_code gg_zk_enc_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *own,
                                     const gg_paillier_pub *ver, const unsigned char context[32],
                                     const BIGNUM *c, const BIGNUM *m, const BIGNUM *r,
                                     const mpc_point *B, const mpc_point *X,
                                     unsigned char **out, size_t *len);
/* Verify. prover: the prover's Paillier public key; verifier: the
 * verifier's own key (its ring-Pedersen equations are checked through its
 * CRT). Returns: 1 if valid. */
MPC_WUR int gg_zk_enc_verify(const mpc_engine_ctx *ctx, const gg_paillier_pub *prover,
                             const gg_paillier_priv *verifier, const unsigned char context[32],
                             const BIGNUM *c, const mpc_point *B, const mpc_point *X,
                             const unsigned char *proof, size_t len);

/* Bob's proof. alice: Alice's public key (both the encryption key and the
 * ring-Pedersen parameters). X: NULL (MtA) or x G (MtAwc). */
MPC_WUR mpc_err_code gg_zk_aff_prove(const mpc_engine_ctx *ctx, const gg_paillier_pub *alice,
                                     const unsigned char context[32], const BIGNUM *c1,
                                     const BIGNUM *c2, const BIGNUM *x, const BIGNUM *y,
                                     const BIGNUM *r, const mpc_point *X, unsigned char **out,
                                     size_t *len);
/* Verified by Alice with her own key (CRT). */
MPC_WUR int gg_zk_aff_verify(const mpc_engine_ctx *ctx, const gg_paillier_priv *alice,
                             const unsigned char context[32], const BIGNUM *c1, const BIGNUM *c2,
                             const mpc_point *X, const unsigned char *proof, size_t len);

#endif
