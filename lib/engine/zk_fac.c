/* zk_fac.c - Pi_fac, no-small-factor proof (CGGMP21 Figure 28), with
 * l = 256, eps = 512 and sqrt(N0) bounded by 2^1024 (N0 has 2048 bits),
 * against the verifier's ring-Pedersen parameters (N^, s, t):
 *
 *   alpha, beta in +-2^(l+eps) sqrt(N0); mu, nu in +-2^l N^;
 *   sigma in +-2^l N0 N^; r in +-2^(l+eps) N0 N^; x, y in +-2^(l+eps) N^
 *   P = s^p t^mu, Q = s^q t^nu, A = s^alpha t^x, B = s^beta t^y,
 *   T = Q^alpha t^r, R = s^N0 t^sigma                         (mod N^)
 *   e = H(context, N0, N^, s, t, P, Q, A, B, T, sigma) in [0, n)
 *   z1 = alpha + e p, z2 = beta + e q, w1 = x + e mu, w2 = y + e nu,
 *   v = r + e (sigma - nu p)
 *   verify: |z1|, |z2| <= 2^(l+eps) sqrt(N0), s^z1 t^w1 = A P^e,
 *           s^z2 t^w2 = B Q^e, Q^z1 t^v = T R^e.
 * Encoding: P | Q | A | B | T | sigma | z1 | z2 | w1 | w2 | v.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/bn_util.h"
#include "engine/transcript.h"
#include "engine/zk_paillier.h"

#define FAC_L 256
#define FAC_EPS 512
#define FAC_SQRT_BITS (GG_PAILLIER_BITS / 2)

enum { P_, Q_, A_, B_, T_, SIGMA_, Z1, Z2, W1, W2, V_, NPUB };

static int fac_challenge(BIGNUM *e, const unsigned char context[32], const BIGNUM *N0,
                         const gg_paillier_pub *ver, BIGNUM *const *v, BN_CTX *bc) {
    static const char *labels[] = {"P", "Q", "A", "B", "T", "sigma"};
    mpc_transcript t;
    mpc_scalar c;
    mpc_transcript_init(&t, "GG-zk-fac-v1");
    mpc_transcript_append(&t, "context", context, 32);
    bn_transcript(&t, "N0", N0);
    bn_transcript(&t, "Nhat", ver->N);
    bn_transcript(&t, "s", ver->s);
    bn_transcript(&t, "t", ver->t);
    for (int i = 0; i <= SIGMA_; i++) bn_transcript(&t, labels[i], v[i]);
    mpc_transcript_challenge(&t, &c);
    return bn_from_scalar(e, &c);
}

/* r = s^a t^b mod N^ with secret signed a, b bounded by ba, bb. */
static int rp_commit(BIGNUM *r, const gg_paillier_pub *ver, const BIGNUM *a, const BIGNUM *ba,
                     const BIGNUM *b, const BIGNUM *bb, BN_CTX *bc) {
    BIGNUM *u = bn_secret_new();
    int ok = u && bn_exp_signed_secret(r, ver->s, a, ba, ver->N, bc) &&
             bn_exp_signed_secret(u, ver->t, b, bb, ver->N, bc) &&
             BN_mod_mul(r, r, u, ver->N, bc);
    BN_clear_free(u);
    return ok;
}

mpc_err_code gg_zk_fac_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *k,
                             const gg_paillier_pub *ver, const unsigned char context[32],
                             unsigned char **out, size_t *len) {
    MPC_ARG_CHECK(ctx != NULL && k != NULL && ver != NULL && context != NULL && out != NULL);
    const mpc_rng *rng = mpc_engine_rng(ctx);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *v[NPUB] = {0};
    BIGNUM *alpha = bn_secret_new(), *beta = bn_secret_new(), *mu = bn_secret_new(),
           *nu = bn_secret_new(), *rr = bn_secret_new(), *x = bn_secret_new(),
           *y = bn_secret_new(), *tmp = bn_secret_new(), *e = BN_new();
    BIGNUM *bAB = BN_new(), *bMU = BN_new(), *bSIG = BN_new(), *bR = BN_new(), *bXY = BN_new(),
           *bP = BN_new();
    mpc_writer wr;
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    mpc_writer_init(&wr);
    for (int i = 0; i < NPUB; i++)
        if ((v[i] = BN_new()) == NULL) goto out;
    if (!bc || !alpha || !beta || !mu || !nu || !rr || !x || !y || !tmp || !e || !bAB || !bMU ||
        !bSIG || !bR || !bXY || !bP)
        goto out;
    /* bounds */
    if (!bn_pow2(bAB, FAC_L + FAC_EPS + FAC_SQRT_BITS) || !bn_pow2(bMU, FAC_L) ||
        !BN_mul(bMU, bMU, ver->N, bc) || !BN_mul(bSIG, bMU, k->pub.N, bc) ||
        !bn_pow2(bXY, FAC_L + FAC_EPS) || !BN_mul(bXY, bXY, ver->N, bc) ||
        !BN_mul(bR, bXY, k->pub.N, bc) || !BN_copy(bP, k->pub.N))
        goto out;
    rc = MPC_ERR_RNG;
    if (!bn_rand_pm(rng, alpha, bAB, bc) || !bn_rand_pm(rng, beta, bAB, bc) ||
        !bn_rand_pm(rng, mu, bMU, bc) || !bn_rand_pm(rng, nu, bMU, bc) ||
        !bn_rand_pm(rng, v[SIGMA_], bSIG, bc) || !bn_rand_pm(rng, rr, bR, bc) ||
        !bn_rand_pm(rng, x, bXY, bc) || !bn_rand_pm(rng, y, bXY, bc))
        goto out;
    rc = MPC_ERR_NOMEM;
    if (!rp_commit(v[P_], ver, k->p, bP, mu, bMU, bc) ||
        !rp_commit(v[Q_], ver, k->q, bP, nu, bMU, bc) ||
        !rp_commit(v[A_], ver, alpha, bAB, x, bXY, bc) ||
        !rp_commit(v[B_], ver, beta, bAB, y, bXY, bc) ||
        !bn_exp_signed_secret(v[T_], v[Q_], alpha, bAB, ver->N, bc) ||
        !bn_exp_signed_secret(tmp, ver->t, rr, bR, ver->N, bc) ||
        !BN_mod_mul(v[T_], v[T_], tmp, ver->N, bc))
        goto out;
    if (!fac_challenge(e, context, k->pub.N, ver, v, bc)) goto out;
    /* responses (plain integers) */
    if (!BN_mul(tmp, e, k->p, bc) || !BN_add(v[Z1], alpha, tmp) || !BN_mul(tmp, e, k->q, bc) ||
        !BN_add(v[Z2], beta, tmp) || !BN_mul(tmp, e, mu, bc) || !BN_add(v[W1], x, tmp) ||
        !BN_mul(tmp, e, nu, bc) || !BN_add(v[W2], y, tmp) ||
        /* v = r + e (sigma - nu p) */
        !BN_mul(tmp, nu, k->p, bc) || !BN_sub(tmp, v[SIGMA_], tmp) || !BN_mul(tmp, tmp, e, bc) ||
        !BN_add(v[V_], rr, tmp))
        goto out;
    for (int i = 0; i < NPUB; i++) bn_write(&wr, v[i]);
    *out = mpc_writer_take(&wr, len);
    rc = *out != NULL ? MPC_OK : MPC_ERR_NOMEM;
out:
    mpc_writer_free(&wr);
    for (int i = 0; i < NPUB; i++) BN_clear_free(v[i]);
    bn_clear_free_all(alpha, beta, mu, nu, rr, x, y, tmp, NULL);
    BN_free(e), BN_free(bAB), BN_free(bMU), BN_free(bSIG), BN_free(bR), BN_free(bXY);
    BN_free(bP);
    BN_CTX_free(bc);
    return rc;
}

/* lhs = a^x b^y mod m, rhs = c d^e mod m: returns lhs == rhs. */
static int check_eq(const BIGNUM *a, const BIGNUM *x, const BIGNUM *b, const BIGNUM *y,
                    const BIGNUM *c, const BIGNUM *d, const BIGNUM *e, const BIGNUM *m,
                    BN_CTX *bc) {
    BIGNUM *l = BN_new(), *r = BN_new(), *u = BN_new();
    int ok = l && r && u && bn_exp_public(l, a, x, m, bc) && bn_exp_public(u, b, y, m, bc) &&
             BN_mod_mul(l, l, u, m, bc) && bn_exp_public(r, d, e, m, bc) &&
             BN_mod_mul(r, r, c, m, bc) && BN_cmp(l, r) == 0;
    BN_free(l), BN_free(r), BN_free(u);
    return ok;
}

int gg_zk_fac_verify(const BIGNUM *N0, const gg_paillier_pub *ver,
                     const unsigned char context[32], const unsigned char *proof, size_t len) {
    MPC_ARG_CHECK(N0 != NULL && ver != NULL && context != NULL && (proof != NULL || len == 0));
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *v[NPUB] = {0}, *e = BN_new(), *bound = BN_new(), *R = BN_new();
    mpc_reader r;
    int ok = 0;
    if (!bc || !e || !bound || !R) goto out;
    if (BN_num_bits(N0) != GG_PAILLIER_BITS || !BN_is_odd(N0)) goto out;
    mpc_reader_init(&r, proof, len);
    for (int i = 0; i < NPUB; i++)
        if ((v[i] = BN_new()) == NULL || !bn_read(&r, v[i], 1024)) goto out;
    if (!mpc_reader_done(&r)) goto out;
    for (int i = P_; i <= T_; i++)
        if (!bn_is_unit(v[i], ver->N, bc)) goto out;
    if (!bn_pow2(bound, FAC_L + FAC_EPS + FAC_SQRT_BITS) || !bn_abs_le(v[Z1], bound) ||
        !bn_abs_le(v[Z2], bound))
        goto out;
    if (!fac_challenge(e, context, N0, ver, v, bc)) goto out;
    /* R = s^N0 t^sigma */
    {
        BIGNUM *u = BN_new();
        int k = u && bn_exp_public(R, ver->s, N0, ver->N, bc) &&
                bn_exp_public(u, ver->t, v[SIGMA_], ver->N, bc) &&
                BN_mod_mul(R, R, u, ver->N, bc);
        BN_free(u);
        if (!k) goto out;
    }
    ok = check_eq(ver->s, v[Z1], ver->t, v[W1], v[A_], v[P_], e, ver->N, bc) &&
         check_eq(ver->s, v[Z2], ver->t, v[W2], v[B_], v[Q_], e, ver->N, bc) &&
         check_eq(v[Q_], v[Z1], ver->t, v[V_], v[T_], R, e, ver->N, bc);
out:
    for (int i = 0; i < NPUB; i++) BN_free(v[i]);
    BN_free(e), BN_free(bound), BN_free(R);
    BN_CTX_free(bc);
    return ok;
}
