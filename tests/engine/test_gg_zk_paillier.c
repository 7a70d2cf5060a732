/* test_gg_zk_paillier.c - Pi_mod, Pi_prm, Pi_fac: honest proofs verify;
 * wrong context, tampered bytes, a non-Blum modulus, a modulus with a
 * 256-bit factor and bad ring-Pedersen parameters are all rejected. */
#include <string.h>

#include "engine/bn_util.h"
#include "engine/zk_paillier.h"
#include "gg_fixtures.h"
#include "test_support.h"

static void check_all(const mpc_engine_ctx *ctx, const gg_paillier_priv *k,
                      const gg_paillier_priv *ver, int expect_mod, int expect_prm,
                      int expect_fac) {
    unsigned char c1[32], c2[32], *pf;
    size_t len;
    memset(c1, 1, 32);
    memset(c2, 2, 32);
    CHECK(gg_zk_mod_prove(ctx, k, c1, &pf, &len) == MPC_OK);
    CHECK(gg_zk_mod_verify(k->pub.N, c1, pf, len) == expect_mod);
    if (expect_mod) {
        CHECK(!gg_zk_mod_verify(k->pub.N, c2, pf, len));
        CHECK(!gg_zk_mod_verify(ver->pub.N, c1, pf, len));
        CHECK(!gg_zk_mod_verify(k->pub.N, c1, pf, len - 1));
        pf[len / 2] ^= 1;
        CHECK(!gg_zk_mod_verify(k->pub.N, c1, pf, len));
    }
    free(pf);
    CHECK(gg_zk_prm_prove(ctx, k, c1, &pf, &len) == MPC_OK);
    CHECK(gg_zk_prm_verify(&k->pub, c1, pf, len) == expect_prm);
    if (expect_prm) {
        CHECK(!gg_zk_prm_verify(&k->pub, c2, pf, len));
        pf[len - 3] ^= 1;
        CHECK(!gg_zk_prm_verify(&k->pub, c1, pf, len));
    }
    free(pf);
    CHECK(gg_zk_fac_prove(ctx, k, &ver->pub, c1, &pf, &len) == MPC_OK);
    CHECK(gg_zk_fac_verify(k->pub.N, &ver->pub, c1, pf, len) == expect_fac);
    if (expect_fac) {
        CHECK(!gg_zk_fac_verify(k->pub.N, &ver->pub, c2, pf, len));
        CHECK(!gg_zk_fac_verify(k->pub.N, &k->pub, c1, pf, len));
        pf[len - 1] ^= 1;
        CHECK(!gg_zk_fac_verify(k->pub.N, &ver->pub, c1, pf, len));
    }
    free(pf);
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    uint64_t seed = test_seed("test_gg_zk_paillier");
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    gg_paillier_priv *k0 = gg_fixture_key(ctx, argv[2], 0);
    gg_paillier_priv *k1 = gg_fixture_key(ctx, argv[2], 1);
    check_all(ctx, k0, k1, 1, 1, 1);
    printf("honest: ok\n");

    gg_paillier_priv *nb = gg_bad_key_non_blum(ctx);
    check_all(ctx, nb, k1, 0, 1, 1); /* Pi_mod catches it */
    printf("non-Blum: rejected\n");
    gg_paillier_priv *sf = gg_bad_key_small_factor(ctx);
    CHECK(BN_num_bits(sf->pub.N) == 2048);
    check_all(ctx, sf, k1, 1, 1, 0); /* Blum, but Pi_fac catches the factor */
    printf("small factor: rejected\n");

    /* bad ring-Pedersen: s not in <t> (prover does not know lambda) */
    BN_CTX *bc = BN_CTX_new();
    gg_paillier_priv *bp = gg_fixture_key(ctx, argv[2], 2);
    CHECK(bn_rand_unit(mpc_engine_rng(ctx), bp->pub.s, bp->pub.N, bc));
    check_all(ctx, bp, k1, 1, 0, 1);
    /* degenerate parameters are rejected outright */
    unsigned char c1[32], *pf;
    size_t len;
    memset(c1, 1, 32);
    CHECK(BN_one(bp->pub.t) && BN_one(bp->pub.s));
    BN_zero(bp->lambda);
    CHECK(gg_zk_prm_prove(ctx, bp, c1, &pf, &len) == MPC_OK);
    CHECK(!gg_zk_prm_verify(&bp->pub, c1, pf, len));
    free(pf);
    printf("bad ring-Pedersen: rejected\n");

    gg_paillier_free(k0), gg_paillier_free(k1), gg_paillier_free(nb), gg_paillier_free(sf);
    gg_paillier_free(bp);
    BN_CTX_free(bc);
    mpc_engine_ctx_free(ctx);
    printf("test_gg_zk_paillier: ok\n");
    return 0;
}
