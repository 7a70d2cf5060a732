/* mta.c - MtA / MtAwc (see mta.h). */
#include "engine/mta.h"

#include <stdlib.h>

#include <openssl/crypto.h>

#include "engine/bn_util.h"
#include "engine/gg_common.h"
#include "engine/zk_range.h"

mpc_err_code gg_mta_encrypt(const mpc_engine_ctx *ctx, const gg_paillier_priv *own,
                            const mpc_scalar *a, BIGNUM *c, BIGNUM *r) {
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *m = bn_secret_new();
    mpc_err_code rc = MPC_ERR_NOMEM;
    if (bc && m && bn_from_scalar(m, a)) {
        rc = bn_rand_unit(mpc_engine_rng(ctx), r, own->pub.N, bc) ? MPC_OK : MPC_ERR_RNG;
        if (rc == MPC_OK && !gg_paillier_encrypt(&own->pub, own, c, m, r, bc)) rc = MPC_ERR_NOMEM;
    }
    BN_clear_free(m);
    BN_CTX_free(bc);
    return rc;
}

mpc_err_code gg_mta_respond(const mpc_engine_ctx *ctx, const gg_paillier_pub *alice,
                            const unsigned char context[32], const BIGNUM *cA,
                            const mpc_scalar *b, int wc, mpc_scalar *beta, unsigned char **out,
                            size_t *len) {
    MPC_ARG_CHECK(ctx && alice && context && cA && b && beta && out && len);
    const mpc_rng *rng = mpc_engine_rng(ctx);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *x = bn_secret_new(), *y = bn_secret_new(), *r = bn_secret_new(), *cB = BN_new(),
           *t = bn_secret_new(), *n5 = bn_curve_order(), *five = BN_new();
    unsigned char *proof = NULL;
    size_t prooflen = 0;
    mpc_point B;
    mpc_writer w;
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    if (!bc || !x || !y || !r || !cB || !t || !n5 || !five || !BN_set_word(five, 5) ||
        !BN_exp(n5, n5, five, bc) || !bn_from_scalar(x, b))
        goto out;
    rc = MPC_ERR_RNG;
    if (!bn_rand_below(rng, y, n5, bc) || !bn_rand_unit(rng, r, alice->N, bc)) goto out;
    rc = MPC_ERR_NOMEM;
    /* c_B = c_A^b * (1 + y N) r^N */
    if (!gg_paillier_mul(alice, cB, cA, x, bc) || !gg_paillier_encrypt(alice, NULL, t, y, r, bc) ||
        !gg_paillier_add(alice, cB, cB, t, bc))
        goto out;
    if (wc) mpc_point_mul_base(ctx, &B, b);
    rc = gg_zk_aff_prove(ctx, alice, context, cA, cB, x, y, r, wc ? &B : NULL, &proof, &prooflen);
    if (rc != MPC_OK) goto out;
    /* beta = -y mod n */
    if (!bn_to_scalar(beta, y, bc)) {
        rc = MPC_ERR_NOMEM;
        goto out;
    }
    mpc_scalar_neg(beta, beta);
    mpc_writer_init(&w);
    bn_write(&w, cB);
    gg_write_blob(&w, proof, prooflen);
    *out = mpc_writer_take(&w, len);
    rc = *out ? MPC_OK : MPC_ERR_NOMEM;
out:
    free(proof);
    bn_clear_free_all(x, y, r, t, NULL);
    BN_free(cB), BN_free(n5), BN_free(five);
    BN_CTX_free(bc);
    return rc;
}

mpc_err_code gg_mta_finish(const mpc_engine_ctx *ctx, const gg_paillier_priv *alice,
                           const unsigned char context[32], const BIGNUM *cA, const mpc_point *B,
                           const unsigned char *msg, size_t len, mpc_scalar *alpha) {
    MPC_ARG_CHECK(ctx && alice && context && cA && alpha);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *cB = BN_new(), *m = bn_secret_new();
    mpc_reader r;
    size_t prooflen;
    const unsigned char *proof;
    mpc_err_code rc = MPC_ERR_NOMEM;
    if (!bc || !cB || !m) goto out;
    rc = MPC_ERR_MALFORMED;
    mpc_reader_init(&r, msg, len);
    if (!bn_read(&r, cB, 600) || (proof = gg_read_blob(&r, &prooflen)) == NULL ||
        !mpc_reader_done(&r))
        goto out;
    rc = MPC_ERR_BAD_PROOF;
    if (!gg_zk_aff_verify(ctx, alice, context, cA, cB, B, proof, prooflen)) goto out;
    rc = MPC_ERR_NOMEM;
    if (!gg_paillier_decrypt(alice, m, cB, bc) || !bn_to_scalar(alpha, m, bc)) goto out;
    rc = MPC_OK;
out:
    BN_free(cB);
    BN_clear_free(m);
    BN_CTX_free(bc);
    return rc;
}

int gg_mta_answer_ciphertext(const unsigned char *msg, size_t len, BIGNUM *cB) {
    mpc_reader r;
    mpc_reader_init(&r, msg, len);
    return bn_read(&r, cB, 600);
}
