/* zk_range.c - MtA range proofs (see zk_range.h). */
#include "engine/zk_range.h"

#include <stdlib.h>
#include <string.h>

#include "engine/bn_util.h"
#include "engine/comb_cache.h"
#include "engine/gg_common.h"
#include "engine/transcript.h"

/* n^k */
static BIGNUM *npow(int k, BN_CTX *bc) {
    BIGNUM *n = bn_curve_order(), *r = BN_new();
    int ok = n && r && BN_set_word(r, (BN_ULONG)k) && BN_exp(r, n, r, bc);
    BN_free(n);
    if (!ok) {
        BN_free(r);
        return NULL;
    }
    return r;
}

/* r = s^a t^b mod N~ (secret 0 <= a < 2^abits, 0 <= b < 2^bbits) over the
 * verifier's parameters, with the context's fixed-base tables of s and t:
 * the same few tables serve every proof to that verifier. */
static int rp_commit(const mpc_engine_ctx *ctx, BIGNUM *r, const gg_paillier_pub *v,
                     const BIGNUM *a, int abits, const BIGNUM *b, int bbits, BN_CTX *bc) {
    mpc_comb_cache *cc = mpc_engine_combs(ctx);
    BIGNUM *u = bn_secret_new();
    int ok = u && mpc_comb_cache_exp(cc, r, v->s, v->N, a, abits, bc) &&
             mpc_comb_cache_exp(cc, u, v->t, v->N, b, bbits, bc) && BN_mod_mul(r, r, u, v->N, bc);
    BN_clear_free(u);
    return ok;
}

/* 0 < a < bound (a public) */
static int in_range(const BIGNUM *a, const BIGNUM *bound) {
    return !BN_is_negative(a) && !BN_is_zero(a) && BN_cmp(a, bound) < 0;
}

/* s^a t^b == c d^e mod N~ over the verifier's own parameters (its CRT) */
static int rp_check(const gg_paillier_priv *v, const BIGNUM *a, const BIGNUM *b, const BIGNUM *c,
                    const BIGNUM *d, const BIGNUM *e, BN_CTX *bc) {
    BIGNUM *l = BN_new(), *r = BN_new();
    int ok = l && r && gg_rp_pow_own(v, l, a, b, bc) && BN_mod_exp(r, d, e, v->pub.N, bc) &&
             BN_mod_mul(r, r, c, v->pub.N, bc) && BN_cmp(l, r) == 0;
    BN_free(l), BN_free(r);
    return ok;
}

/* (1 + N)^x mod N^2 = 1 + x N */
static int gamma_pow(BIGNUM *r, const gg_paillier_pub *pk, const BIGNUM *x, BN_CTX *bc) {
    return BN_mod_mul(r, x, pk->N, pk->N2, bc) && BN_add_word(r, 1) && BN_nnmod(r, r, pk->N2, bc);
}

static void tr_point(const mpc_engine_ctx *ctx, mpc_transcript *t, const char *label,
                     const mpc_point *p) {
    unsigned char b[33] = {0};
    if (p != NULL && !mpc_point_is_identity(p)) MPC_IGNORE(mpc_point_serialize(ctx, b, p));
    mpc_transcript_append(t, label, b, p != NULL ? 33 : 0);
}

static int challenge(BIGNUM *e, mpc_transcript *t) {
    mpc_scalar c;
    mpc_transcript_challenge(t, &c);
    return bn_from_scalar(e, &c);
}

static void tr_params(mpc_transcript *t, const char *dom, const unsigned char context[32],
                      const gg_paillier_pub *pk, const gg_paillier_pub *ver) {
    mpc_transcript_init(t, dom);
    mpc_transcript_append(t, "context", context, 32);
    bn_transcript(t, "N", pk->N);
    bn_transcript(t, "Nt", ver->N);
    bn_transcript(t, "s", ver->s);
    bn_transcript(t, "t", ver->t);
}

/* ---- Pi_enc (+ optional discrete log) ---- */

enum { E_Z, E_U, E_W, E_S, E_S1, E_S2, E_N };

mpc_err_code gg_zk_enc_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *own,
                             const gg_paillier_pub *ver, const unsigned char context[32],
                             const BIGNUM *c, const BIGNUM *m, const BIGNUM *r,
                             const mpc_point *B, const mpc_point *X, unsigned char **out,
                             size_t *len) {
    MPC_ARG_CHECK(ctx && own && ver && context && c && m && r && out && len && (B == NULL) == (X == NULL));
    const gg_paillier_pub *pk = &own->pub;
    const mpc_rng *rng = mpc_engine_rng(ctx);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *v[E_N] = {0}, *n3 = npow(3, bc), *n1 = npow(1, bc), *bnd = BN_new(), *e = BN_new();
    BIGNUM *alpha = bn_secret_new(), *beta = bn_secret_new(), *gam = bn_secret_new(),
           *rho = bn_secret_new(), *tmp = bn_secret_new();
    mpc_point Y;
    mpc_scalar as;
    mpc_transcript t;
    mpc_writer w;
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    mpc_writer_init(&w);
    for (int i = 0; i < E_N; i++)
        if ((v[i] = BN_new()) == NULL) goto out;
    if (!bc || !n3 || !n1 || !bnd || !e || !alpha || !beta || !gam || !rho || !tmp) goto out;
    rc = MPC_ERR_RNG;
    if (!bn_rand_below(rng, alpha, n3, bc) || !bn_rand_unit(rng, beta, pk->N, bc) ||
        !BN_mul(bnd, n3, ver->N, bc) || !bn_rand_below(rng, gam, bnd, bc) ||
        !BN_mul(bnd, n1, ver->N, bc) || !bn_rand_below(rng, rho, bnd, bc))
        goto out;
    rc = MPC_ERR_NOMEM;
    int nb = BN_num_bits(n1), n3b = BN_num_bits(n3), vb = BN_num_bits(ver->N);
    if (!rp_commit(ctx, v[E_Z], ver, m, nb, rho, nb + vb, bc) || !gamma_pow(v[E_U], pk, alpha, bc) ||
        !gg_paillier_nth_power(own, tmp, beta, bc) || !BN_mod_mul(v[E_U], v[E_U], tmp, pk->N2, bc) ||
        !rp_commit(ctx, v[E_W], ver, alpha, n3b, gam, n3b + vb, bc))
        goto out;
    tr_params(&t, "GG-zk-enc-v1", context, pk, ver);
    bn_transcript(&t, "c", c);
    tr_point(ctx, &t, "B", B);
    tr_point(ctx, &t, "X", X);
    bn_transcript(&t, "z", v[E_Z]);
    bn_transcript(&t, "u", v[E_U]);
    bn_transcript(&t, "w", v[E_W]);
    if (B != NULL) {
        if (!bn_to_scalar(&as, alpha, bc)) {
            mpc_transcript_free(&t);
            goto out;
        }
        gg_point_mul_secret(ctx, &Y, B, &as);
        mpc_scalar_clear(&as);
        tr_point(ctx, &t, "Y", &Y);
    }
    if (!challenge(e, &t)) goto out;
    if (!gg_paillier_pow_n(own, v[E_S], r, e, bc) || !BN_mod_mul(v[E_S], v[E_S], beta, pk->N, bc) ||
        !BN_mul(tmp, e, m, bc) || !BN_add(v[E_S1], tmp, alpha) || !BN_mul(tmp, e, rho, bc) ||
        !BN_add(v[E_S2], tmp, gam))
        goto out;
    for (int i = 0; i < E_N; i++) bn_write(&w, v[i]);
    if (B != NULL) gg_write_point(ctx, &w, &Y);
    *out = mpc_writer_take(&w, len);
    rc = *out ? MPC_OK : MPC_ERR_NOMEM;
out:
    mpc_writer_free(&w);
    for (int i = 0; i < E_N; i++) BN_clear_free(v[i]);
    bn_clear_free_all(alpha, beta, gam, rho, tmp, NULL);
    BN_free(n3), BN_free(n1), BN_free(bnd), BN_free(e);
    BN_CTX_free(bc);
    return rc;
}

int gg_zk_enc_verify(const mpc_engine_ctx *ctx, const gg_paillier_pub *pk,
                     const gg_paillier_priv *verifier, const unsigned char context[32], const BIGNUM *c,
                     const mpc_point *B, const mpc_point *X, const unsigned char *proof,
                     size_t len) {
    MPC_ARG_CHECK(ctx && pk && verifier && context && c && (B == NULL) == (X == NULL));
    const gg_paillier_pub *ver = &verifier->pub;
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *v[E_N] = {0}, *n3 = npow(3, bc), *e = BN_new(), *l = BN_new(), *r = BN_new();
    mpc_point Y;
    mpc_reader rd;
    mpc_transcript t;
    int ok = 0;
    if (!bc || !n3 || !e || !l || !r) goto out;
    mpc_reader_init(&rd, proof, len);
    for (int i = 0; i < E_N; i++)
        if ((v[i] = BN_new()) == NULL || !bn_read(&rd, v[i], 600) || BN_is_negative(v[i])) goto out;
    if (B != NULL && !gg_read_point(ctx, &rd, &Y)) goto out;
    if (!mpc_reader_done(&rd)) goto out;
    /* c, u in Z*_{N^2} and s_ in Z*_N (prover's N: one inversion for the
     * three); z, w in Z*_N~ (the verifier's own: by its factors) */
    const BIGNUM *units[] = {c, v[E_U], v[E_S]};
    if (!in_range(c, pk->N2) || !in_range(v[E_U], pk->N2) || !in_range(v[E_S], pk->N) ||
        !bn_all_units(units, 3, pk->N, bc) ||
        !gg_paillier_is_unit_own(verifier, v[E_Z], ver->N, bc) ||
        !gg_paillier_is_unit_own(verifier, v[E_W], ver->N, bc) || BN_cmp(v[E_S1], n3) > 0)
        goto out;
    tr_params(&t, "GG-zk-enc-v1", context, pk, ver);
    bn_transcript(&t, "c", c);
    tr_point(ctx, &t, "B", B);
    tr_point(ctx, &t, "X", X);
    bn_transcript(&t, "z", v[E_Z]);
    bn_transcript(&t, "u", v[E_U]);
    bn_transcript(&t, "w", v[E_W]);
    if (B != NULL) tr_point(ctx, &t, "Y", &Y);
    if (!challenge(e, &t)) goto out;
    /* (1+N)^s1 s_^N == u c^e mod N^2 */
    if (!gamma_pow(l, pk, v[E_S1], bc) || !BN_mod_exp(r, v[E_S], pk->N, pk->N2, bc) ||
        !BN_mod_mul(l, l, r, pk->N2, bc) || !BN_mod_exp(r, c, e, pk->N2, bc) ||
        !BN_mod_mul(r, r, v[E_U], pk->N2, bc) || BN_cmp(l, r) != 0)
        goto out;
    if (!rp_check(verifier, v[E_S1], v[E_S2], v[E_W], v[E_Z], e, bc)) goto out;
    if (B != NULL) {
        mpc_scalar s1, es;
        mpc_point lhs, rhs;
        if (!bn_to_scalar(&s1, v[E_S1], bc) || !bn_to_scalar(&es, e, bc)) goto out;
        mpc_point_mul(ctx, &lhs, B, &s1);
        mpc_point_mul(ctx, &rhs, X, &es);
        mpc_point_add(ctx, &rhs, &rhs, &Y);
        if (!mpc_point_eq(ctx, &lhs, &rhs)) goto out;
    }
    ok = 1;
out:
    for (int i = 0; i < E_N; i++) BN_free(v[i]);
    BN_free(n3), BN_free(e), BN_free(l), BN_free(r);
    BN_CTX_free(bc);
    return ok;
}

/* ---- Bob's MtA / MtAwc proof ---- */

enum { A_Z, A_ZP, A_T, A_V, A_W, A_S, A_S1, A_S2, A_T1, A_T2, A_N };

static void aff_transcript(const mpc_engine_ctx *ctx, mpc_transcript *t,
                           const unsigned char context[32], const gg_paillier_pub *pk,
                           const BIGNUM *c1, const BIGNUM *c2, const mpc_point *X,
                           BIGNUM *const *v, const mpc_point *U) {
    static const char *labels[] = {"z", "z'", "T", "v", "w"};
    tr_params(t, "GG-zk-aff-v1", context, pk, pk);
    bn_transcript(t, "c1", c1);
    bn_transcript(t, "c2", c2);
    tr_point(ctx, t, "X", X);
    for (int i = 0; i <= A_W; i++) bn_transcript(t, labels[i], v[i]);
    tr_point(ctx, t, "U", U);
}

mpc_err_code gg_zk_aff_prove(const mpc_engine_ctx *ctx, const gg_paillier_pub *pk,
                             const unsigned char context[32], const BIGNUM *c1, const BIGNUM *c2,
                             const BIGNUM *x, const BIGNUM *y, const BIGNUM *r, const mpc_point *X,
                             unsigned char **out, size_t *len) {
    MPC_ARG_CHECK(ctx && pk && context && c1 && c2 && x && y && r && out && len);
    const mpc_rng *rng = mpc_engine_rng(ctx);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *v[A_N] = {0}, *n1 = npow(1, bc), *n3 = npow(3, bc), *n7 = npow(7, bc),
           *bnd = BN_new(), *e = BN_new();
    BIGNUM *alpha = bn_secret_new(), *rho = bn_secret_new(), *rhop = bn_secret_new(),
           *sigma = bn_secret_new(), *beta = bn_secret_new(), *gam = bn_secret_new(),
           *tau = bn_secret_new(), *tmp = bn_secret_new();
    mpc_point U;
    mpc_scalar as;
    mpc_transcript t;
    mpc_writer w;
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    mpc_writer_init(&w);
    for (int i = 0; i < A_N; i++)
        if ((v[i] = bn_secret_new()) == NULL) goto out;
    if (!bc || !n1 || !n3 || !n7 || !bnd || !e || !alpha || !rho || !rhop || !sigma || !beta ||
        !gam || !tau || !tmp)
        goto out;
    rc = MPC_ERR_RNG;
    if (!bn_rand_below(rng, alpha, n3, bc) || !BN_mul(bnd, n1, pk->N, bc) ||
        !bn_rand_below(rng, rho, bnd, bc) || !bn_rand_below(rng, sigma, bnd, bc) ||
        !BN_mul(bnd, n3, pk->N, bc) || !bn_rand_below(rng, rhop, bnd, bc) ||
        !bn_rand_below(rng, tau, bnd, bc) || !bn_rand_unit(rng, beta, pk->N, bc) ||
        !bn_rand_below(rng, gam, n7, bc))
        goto out;
    rc = MPC_ERR_NOMEM;
    int nb = BN_num_bits(n1), n3b = BN_num_bits(n3), n5b = 5 * BN_num_bits(n1), /* y < n^5 (mta.c) */
        n7b = BN_num_bits(n7), pb = BN_num_bits(pk->N);
    if (!rp_commit(ctx, v[A_Z], pk, x, nb, rho, nb + pb, bc) ||
        !rp_commit(ctx, v[A_ZP], pk, alpha, n3b, rhop, n3b + pb, bc) ||
        !rp_commit(ctx, v[A_T], pk, y, n5b, sigma, nb + pb, bc) ||
        !rp_commit(ctx, v[A_W], pk, gam, n7b, tau, n3b + pb, bc) ||
        /* v = c1^alpha (1+N)^gamma beta^N */
        !bn_exp_secret(v[A_V], c1, alpha, pk->N2, bc) || !gamma_pow(tmp, pk, gam, bc) ||
        !BN_mod_mul(v[A_V], v[A_V], tmp, pk->N2, bc) ||
        !bn_exp_secret(tmp, beta, pk->N, pk->N2, bc) ||
        !BN_mod_mul(v[A_V], v[A_V], tmp, pk->N2, bc))
        goto out;
    if (X != NULL) {
        if (!bn_to_scalar(&as, alpha, bc)) goto out;
        mpc_point_mul_base(ctx, &U, &as);
        mpc_scalar_clear(&as);
    }
    aff_transcript(ctx, &t, context, pk, c1, c2, X, v, X != NULL ? &U : NULL);
    if (!challenge(e, &t)) goto out;
    if (!bn_exp_secret(v[A_S], r, e, pk->N, bc) || !BN_mod_mul(v[A_S], v[A_S], beta, pk->N, bc) ||
        !BN_mul(tmp, e, x, bc) || !BN_add(v[A_S1], tmp, alpha) || !BN_mul(tmp, e, rho, bc) ||
        !BN_add(v[A_S2], tmp, rhop) || !BN_mul(tmp, e, y, bc) || !BN_add(v[A_T1], tmp, gam) ||
        !BN_mul(tmp, e, sigma, bc) || !BN_add(v[A_T2], tmp, tau))
        goto out;
    for (int i = 0; i < A_N; i++) bn_write(&w, v[i]);
    if (X != NULL) gg_write_point(ctx, &w, &U);
    *out = mpc_writer_take(&w, len);
    rc = *out ? MPC_OK : MPC_ERR_NOMEM;
out:
    mpc_writer_free(&w);
    for (int i = 0; i < A_N; i++) BN_clear_free(v[i]);
    bn_clear_free_all(alpha, rho, rhop, sigma, beta, gam, tau, tmp, NULL);
    BN_free(n1), BN_free(n3), BN_free(n7), BN_free(bnd), BN_free(e);
    BN_CTX_free(bc);
    return rc;
}

int gg_zk_aff_verify(const mpc_engine_ctx *ctx, const gg_paillier_priv *alice,
                     const unsigned char context[32], const BIGNUM *c1, const BIGNUM *c2,
                     const mpc_point *X, const unsigned char *proof, size_t len) {
    MPC_ARG_CHECK(ctx && alice && context && c1 && c2);
    const gg_paillier_pub *pk = &alice->pub;
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *v[A_N] = {0}, *n3 = npow(3, bc), *n7 = npow(7, bc), *e = BN_new(), *l = BN_new(),
           *r = BN_new();
    mpc_point U;
    mpc_reader rd;
    mpc_transcript t;
    int ok = 0;
    if (!bc || !n3 || !n7 || !e || !l || !r) goto out;
    mpc_reader_init(&rd, proof, len);
    for (int i = 0; i < A_N; i++)
        if ((v[i] = BN_new()) == NULL || !bn_read(&rd, v[i], 600) || BN_is_negative(v[i])) goto out;
    if (X != NULL && !gg_read_point(ctx, &rd, &U)) goto out;
    if (!mpc_reader_done(&rd)) goto out;
    /* every group element a unit of Alice's own modulus (by her factors) */
    const BIGNUM *ct[] = {c1, c2, v[A_V]}, *el[] = {v[A_Z], v[A_ZP], v[A_T], v[A_W], v[A_S]};
    for (size_t i = 0; i < sizeof ct / sizeof *ct; i++)
        if (!gg_paillier_is_unit_own(alice, ct[i], pk->N2, bc)) goto out;
    for (size_t i = 0; i < sizeof el / sizeof *el; i++)
        if (!gg_paillier_is_unit_own(alice, el[i], pk->N, bc)) goto out;
    if (BN_cmp(v[A_S1], n3) > 0 || BN_cmp(v[A_T1], n7) > 0) goto out;
    aff_transcript(ctx, &t, context, pk, c1, c2, X, v, X != NULL ? &U : NULL);
    if (!challenge(e, &t)) goto out;
    if (!rp_check(alice, v[A_S1], v[A_S2], v[A_ZP], v[A_Z], e, bc) ||
        !rp_check(alice, v[A_T1], v[A_T2], v[A_W], v[A_T], e, bc))
        goto out;
    /* c1^s1 s_^N (1+N)^t1 == c2^e v mod N^2 (Alice's CRT) */
    if (!gg_paillier_pow(pk, alice, l, c1, v[A_S1], 0, bc) ||
        !gg_paillier_pow(pk, alice, r, v[A_S], pk->N, 0, bc) || !BN_mod_mul(l, l, r, pk->N2, bc) ||
        !gamma_pow(r, pk, v[A_T1], bc) || !BN_mod_mul(l, l, r, pk->N2, bc) ||
        !gg_paillier_pow(pk, alice, r, c2, e, 0, bc) || !BN_mod_mul(r, r, v[A_V], pk->N2, bc) ||
        BN_cmp(l, r) != 0)
        goto out;
    if (X != NULL) {
        mpc_scalar s1, es;
        mpc_point lhs, rhs;
        if (!bn_to_scalar(&s1, v[A_S1], bc) || !bn_to_scalar(&es, e, bc)) goto out;
        mpc_point_mul_base(ctx, &lhs, &s1);
        mpc_point_mul(ctx, &rhs, X, &es);
        mpc_point_add(ctx, &rhs, &rhs, &U);
        if (!mpc_point_eq(ctx, &lhs, &rhs)) goto out;
    }
    ok = 1;
out:
    for (int i = 0; i < A_N; i++) BN_free(v[i]);
    BN_free(n3), BN_free(n7), BN_free(e), BN_free(l), BN_free(r);
    BN_CTX_free(bc);
    return ok;
}

