/* shamir.h - Shamir secret sharing over Z_n with Feldman verifiable
 * commitments and Lagrange interpolation at zero.
 *
 * Party identifiers are the non-zero evaluation points 1..65535. Polynomial
 * f(x) = a_0 + a_1 x + ... + a_{t-1} x^{t-1} has t coefficients; its Feldman
 * commitments are C_k = a_k * G. mpc_shamir_split (a trusted dealer) exists
 * for tests and benchmarks only: production keys come from the DKG.
 */
#ifndef MPC_ENGINE_SHAMIR_H
#define MPC_ENGINE_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "engine/point.h"
#include "engine/scalar.h"

/* Out: out = f(x) for f with coefficients coeffs[0..t) (constant time). */
void mpc_poly_eval(mpc_scalar *out, const mpc_scalar *coeffs, size_t t, uint16_t x);

/* Out: out[k] = coeffs[k] * G for k < t. */
void mpc_feldman_commit(const mpc_engine_ctx *ctx, mpc_point *out, const mpc_scalar *coeffs,
                        size_t t);

/* Out: out = sum_k x^k * commitments[k] = f(x) * G.
 * Returns: 1 on success, 0 on allocation failure. */
MPC_WUR int mpc_feldman_eval(const mpc_engine_ctx *ctx, mpc_point *out,
                             const mpc_point *commitments, size_t t, uint16_t x);

/* Returns: 1 if share * G == f(x) * G according to commitments[0..t), else 0. */
MPC_WUR int mpc_feldman_verify(const mpc_engine_ctx *ctx, const mpc_scalar *share, uint16_t x,
                               const mpc_point *commitments, size_t t);

/* Lagrange coefficients at 0 for the identifier set ids[0..len):
 * out[i] = prod_{j != i} ids[j] / (ids[j] - ids[i]). One inversion in total.
 * Returns: 1 on success, 0 if an identifier is 0, repeated, or on allocation
 * failure. */
MPC_WUR int mpc_lagrange_coeffs(mpc_scalar *out, const uint16_t *ids, size_t len);

/* TEST HELPER (trusted dealer): shares[i] = f(i + 1) for i < n, with
 * f(0) = secret and t - 1 random coefficients drawn from ctx's rng; if
 * coeffs_out is not NULL it receives all t coefficients.
 * Returns: 1 on success, 0 if the rng failed or 1 <= t <= n <= 255 fails. */
MPC_WUR int mpc_shamir_split(const mpc_engine_ctx *ctx, mpc_scalar *shares,
                             mpc_scalar *coeffs_out, const mpc_scalar *secret, size_t t, size_t n);

#endif
