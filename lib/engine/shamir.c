/* shamir.c - polynomial evaluation, Feldman commitments/verification,
 * Lagrange coefficients, and the test-only trusted dealer. */
#include "engine/shamir.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void mpc_poly_eval(mpc_scalar *out, const mpc_scalar *coeffs, size_t t, uint16_t x) {
    mpc_scalar acc = {{0}}, xs;
    MPC_ARG_CHECK(out != NULL && coeffs != NULL && t >= 1);
    mpc_scalar_set_u32(&xs, x);
    for (size_t k = t; k-- > 0;) { /* Horner */
        mpc_scalar_mul(&acc, &acc, &xs);
        mpc_scalar_add(&acc, &acc, &coeffs[k]);
    }
    *out = acc;
    mpc_scalar_clear(&acc);
}

void mpc_feldman_commit(const mpc_engine_ctx *ctx, mpc_point *out, const mpc_scalar *coeffs,
                        size_t t) {
    for (size_t k = 0; k < t; k++) mpc_point_mul_base(ctx, &out[k], &coeffs[k]);
}

int mpc_feldman_eval(const mpc_engine_ctx *ctx, mpc_point *out, const mpc_point *commitments,
                     size_t t, uint16_t x) {
    MPC_ARG_CHECK(out != NULL && commitments != NULL && t >= 1);
    mpc_point *terms = malloc(t * sizeof *terms);
    if (terms == NULL) return 0;
    mpc_scalar xk, xs;
    mpc_scalar_set_u32(&xs, x);
    mpc_scalar_set_u32(&xk, 1);
    terms[0] = commitments[0];
    for (size_t k = 1; k < t; k++) {
        mpc_scalar_mul(&xk, &xk, &xs);
        mpc_point_mul(ctx, &terms[k], &commitments[k], &xk);
    }
    int ok = mpc_point_sum(ctx, out, terms, t);
    free(terms);
    return ok;
}

int mpc_feldman_verify(const mpc_engine_ctx *ctx, const mpc_scalar *share, uint16_t x,
                       const mpc_point *commitments, size_t t) {
    mpc_point lhs, rhs;
    if (!mpc_feldman_eval(ctx, &rhs, commitments, t, x)) return 0;
    mpc_point_mul_base(ctx, &lhs, share);
    return mpc_point_eq(ctx, &lhs, &rhs);
}

int mpc_lagrange_coeffs(mpc_scalar *out, const uint16_t *ids, size_t len) {
    MPC_ARG_CHECK(out != NULL && ids != NULL);
    mpc_scalar *den = calloc(len ? len : 1, sizeof *den);
    if (den == NULL) return 0;
    int ok = 1;
    for (size_t i = 0; i < len && ok; i++) {
        mpc_scalar xi, xj, d;
        if (ids[i] == 0) ok = 0;
        mpc_scalar_set_u32(&xi, ids[i]);
        mpc_scalar_set_u32(&out[i], 1);
        mpc_scalar_set_u32(&den[i], 1);
        for (size_t j = 0; j < len; j++) {
            if (j == i) continue;
            mpc_scalar_set_u32(&xj, ids[j]);
            mpc_scalar_sub(&d, &xj, &xi);
            mpc_scalar_mul(&out[i], &out[i], &xj);
            mpc_scalar_mul(&den[i], &den[i], &d);
        }
    }
    /* A repeated identifier makes some denominator 0: inv_batch rejects it. */
    ok = ok && mpc_scalar_inv_batch(den, den, len);
    for (size_t i = 0; i < len && ok; i++) mpc_scalar_mul(&out[i], &out[i], &den[i]);
    free(den);
    return ok;
}

int mpc_shamir_split(const mpc_engine_ctx *ctx, mpc_scalar *shares, mpc_scalar *coeffs_out,
                     const mpc_scalar *secret, size_t t, size_t n) {
    MPC_ARG_CHECK(shares != NULL && secret != NULL);
    if (t < 1 || t > n || n > 255) return 0;
    mpc_scalar coeffs[255];
    coeffs[0] = *secret;
    int ok = 1;
    for (size_t k = 1; k < t && ok; k++) ok = mpc_scalar_random(mpc_engine_rng(ctx), &coeffs[k]);
    for (size_t i = 0; i < n && ok; i++) mpc_poly_eval(&shares[i], coeffs, t, (uint16_t)(i + 1));
    if (ok && coeffs_out != NULL) memcpy(coeffs_out, coeffs, t * sizeof coeffs[0]);
    OPENSSL_cleanse(coeffs, sizeof coeffs);
    return ok;
}
