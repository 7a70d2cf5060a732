/* test_paillier_fresh.c - generates one fresh Paillier key (two 1024-bit
 * safe primes from the injected rng) and checks it: safe primes, Blum,
 * reproducible from the same seed, encryption round trip. */
#include "engine/bn_util.h"
#include "engine/paillier.h"
#include "test_support.h"

int main(void) {
    uint64_t seed = test_seed("test_paillier_fresh");
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    BN_CTX *bc = BN_CTX_new();
    gg_paillier_priv *k;
    CHECK(gg_paillier_generate(ctx, &k) == MPC_OK);
    CHECK(BN_num_bits(k->pub.N) == 2048);
    const BIGNUM *ps[2] = {k->p, k->q};
    BIGNUM *h = BN_new(), *m = BN_new(), *r = BN_new(), *c = BN_new();
    for (int i = 0; i < 2; i++) {
        CHECK(BN_num_bits(ps[i]) == 1024 && BN_mod_word(ps[i], 4) == 3);
        CHECK(bn_miller_rabin(mpc_engine_rng(ctx), ps[i], 30, bc) == 1);
        CHECK(BN_rshift1(h, ps[i]) && bn_miller_rabin(mpc_engine_rng(ctx), h, 30, bc) == 1);
    }
    CHECK(bn_rand_below(mpc_engine_rng(ctx), m, k->pub.N, bc));
    CHECK(bn_rand_unit(mpc_engine_rng(ctx), r, k->pub.N, bc));
    CHECK(gg_paillier_encrypt(&k->pub, k, c, m, r, bc) && gg_paillier_decrypt(k, h, c, bc));
    CHECK(BN_cmp(h, m) == 0);
    /* same seed, same primes */
    mpc_test_rng trng2;
    mpc_engine_ctx *ctx2 = test_ctx(&trng2, seed);
    BIGNUM *p2 = BN_new();
    CHECK(gg_safe_prime(mpc_engine_rng(ctx2), p2, 1024) && BN_cmp(p2, k->p) == 0);
    BN_free(p2), BN_free(h), BN_free(m), BN_free(r), BN_free(c);
    gg_paillier_free(k);
    BN_CTX_free(bc);
    mpc_engine_ctx_free(ctx);
    mpc_engine_ctx_free(ctx2);
    printf("test_paillier_fresh: ok\n");
    return 0;
}
