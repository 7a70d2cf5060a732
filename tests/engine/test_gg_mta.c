/* test_gg_mta.c - MtA and MtAwc with range proofs: alpha + beta = a b;
 * Alice's range proof rejects an out-of-range plaintext (n^4); the
 * discrete-log variant rejects a wrong X; Bob's proofs reject a tampered
 * ciphertext, a wrong B (MtAwc) and a wrong context. */
#include <string.h>

#include "engine/bn_util.h"
#include "engine/gg_common.h"
#include "engine/mta.h"
#include "engine/zk_range.h"
#include "gg_fixtures.h"
#include "test_support.h"

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    uint64_t seed = test_seed("test_gg_mta");
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    const mpc_rng *rng = mpc_engine_rng(ctx);
    gg_paillier_priv *alice = gg_fixture_key(ctx, argv[2], 0), *bob = gg_fixture_key(ctx, argv[2], 1);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *cA = BN_new(), *r = BN_new(), *m = BN_new(), *big = bn_curve_order(), *k = BN_new();
    unsigned char c1[32], c2[32], *pf, *msg;
    size_t len, mlen;
    memset(c1, 7, 32);
    memset(c2, 8, 32);
    mpc_scalar a, b, alpha, beta, ab, sum;
    mpc_point B, X, G1;

    for (int it = 0; it < 3; it++) {
        CHECK(mpc_scalar_random(rng, &a) && mpc_scalar_random(rng, &b));
        CHECK(gg_mta_encrypt(ctx, alice, &a, cA, r) == MPC_OK);
        CHECK(bn_from_scalar(m, &a));
        /* Alice's range proof towards Bob */
        CHECK(gg_zk_enc_prove(ctx, alice, &bob->pub, c1, cA, m, r, NULL, NULL, &pf, &len) == MPC_OK);
        CHECK(gg_zk_enc_verify(ctx, &alice->pub, bob, c1, cA, NULL, NULL, pf, len));
        CHECK(!gg_zk_enc_verify(ctx, &alice->pub, bob, c2, cA, NULL, NULL, pf, len));
        CHECK(!gg_zk_enc_verify(ctx, &alice->pub, alice, c1, cA, NULL, NULL, pf, len));
        free(pf);
        /* with the discrete log: X = a B */
        mpc_scalar_set_u32(&ab, 1);
        mpc_point_mul_base(ctx, &G1, &ab);
        CHECK(mpc_scalar_random(rng, &sum));
        mpc_point_mul_base(ctx, &B, &sum);
        gg_point_mul_secret(ctx, &X, &B, &a);
        CHECK(gg_zk_enc_prove(ctx, alice, &bob->pub, c1, cA, m, r, &B, &X, &pf, &len) == MPC_OK);
        CHECK(gg_zk_enc_verify(ctx, &alice->pub, bob, c1, cA, &B, &X, pf, len));
        CHECK(!gg_zk_enc_verify(ctx, &alice->pub, bob, c1, cA, &B, &G1, pf, len));
        free(pf);
        for (int wc = 0; wc < 2; wc++) {
            CHECK(gg_mta_respond(ctx, &alice->pub, c1, cA, &b, wc, &beta, &msg, &mlen) == MPC_OK);
            mpc_point_mul_base(ctx, &B, &b);
            CHECK(gg_mta_finish(ctx, alice, c1, cA, wc ? &B : NULL, msg, mlen, &alpha) == MPC_OK);
            mpc_scalar_mul(&ab, &a, &b);
            mpc_scalar_add(&sum, &alpha, &beta);
            CHECK(mpc_scalar_eq(&ab, &sum));
            CHECK(gg_mta_finish(ctx, alice, c2, cA, wc ? &B : NULL, msg, mlen, &alpha) ==
                  MPC_ERR_BAD_PROOF);
            if (wc) CHECK(gg_mta_finish(ctx, alice, c1, cA, &G1, msg, mlen, &alpha) == MPC_ERR_BAD_PROOF);
            msg[10] ^= 1; /* inside c_B */
            CHECK(gg_mta_finish(ctx, alice, c1, cA, wc ? &B : NULL, msg, mlen, &alpha) != MPC_OK);
            CHECK(gg_mta_finish(ctx, alice, c1, cA, wc ? &B : NULL, msg, mlen - 1, &alpha) ==
                  MPC_ERR_MALFORMED);
            free(msg);
        }
    }
    /* out-of-range MtA input: Alice encrypts n^4 and proves honestly */
    CHECK(BN_set_word(k, 4) && BN_exp(m, big, k, bc));
    CHECK(bn_rand_unit(rng, r, alice->pub.N, bc) && gg_paillier_encrypt(&alice->pub, alice, cA, m, r, bc));
    CHECK(gg_zk_enc_prove(ctx, alice, &bob->pub, c1, cA, m, r, NULL, NULL, &pf, &len) == MPC_OK);
    CHECK(!gg_zk_enc_verify(ctx, &alice->pub, bob, c1, cA, NULL, NULL, pf, len));
    free(pf);
    printf("out-of-range input: rejected\n");

    BN_free(cA), BN_free(r), BN_free(m), BN_free(big), BN_free(k);
    BN_CTX_free(bc);
    gg_paillier_free(alice), gg_paillier_free(bob);
    mpc_engine_ctx_free(ctx);
    printf("test_gg_mta: ok\n");
    return 0;
}
