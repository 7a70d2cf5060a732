/* test_paillier.c - Paillier on the fixture keys: fixture primes are safe
 * primes, encryption/decryption (CRT and plain paths agree), homomorphic
 * add and multiply, signed plaintexts, the owner's N-th powers and unit
 * tests, serialization, the parameter pool. */
#include <string.h>

#include "engine/bn_util.h"
#include "engine/paillier.h"
#include "gg_fixtures.h"
#include "test_support.h"

static void check_safe_prime(const mpc_rng *rng, const BIGNUM *p, BN_CTX *bc) {
    BIGNUM *q = BN_new();
    CHECK(q != NULL && BN_rshift1(q, p));
    CHECK(BN_num_bits(p) == 1024 && BN_is_bit_set(p, 1022));
    CHECK(bn_miller_rabin(rng, p, 20, bc) == 1);
    CHECK(bn_miller_rabin(rng, q, 20, bc) == 1);
    CHECK(BN_mod_word(p, 4) == 3);
    BN_free(q);
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    uint64_t seed = test_seed("test_paillier");
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    const mpc_rng *rng = mpc_engine_rng(ctx);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *p = BN_new(), *q = BN_new(), *m = BN_new(), *m2 = BN_new(), *r = BN_new(),
           *c = BN_new(), *c2 = BN_new(), *d = BN_new(), *k = BN_new(), *bound = BN_new();

    /* Every fixture pair: two distinct safe primes, N = 2048 bits. */
    for (int i = 0; i < GG_FIXTURE_PAIRS; i++) {
        gg_fixture_primes(argv[2], i, p, q);
        check_safe_prime(rng, p, bc);
        check_safe_prime(rng, q, bc);
        CHECK(BN_cmp(p, q) != 0);
    }
    /* Composite detection sanity. */
    CHECK(BN_set_word(m, 561) && bn_miller_rabin(rng, m, 10, bc) == 0);
    CHECK(BN_set_word(m, 65537) && bn_miller_rabin(rng, m, 10, bc) == 1);

    gg_paillier_priv *key = gg_fixture_key(ctx, argv[2], 0);
    CHECK(BN_num_bits(key->pub.N) == 2048);
    for (int it = 0; it < 20; it++) {
        CHECK(bn_rand_below(rng, m, key->pub.N, bc) && bn_rand_unit(rng, r, key->pub.N, bc));
        CHECK(gg_paillier_encrypt(&key->pub, NULL, c, m, r, bc));
        CHECK(gg_paillier_encrypt(&key->pub, key, c2, m, r, bc));
        CHECK(BN_cmp(c, c2) == 0);
        CHECK(gg_paillier_decrypt(key, d, c, bc) && BN_cmp(d, m) == 0);
        /* homomorphic: Dec(c^k * Enc(m2)) = k m + m2 mod N */
        CHECK(bn_rand_below(rng, k, key->pub.N, bc) && bn_rand_below(rng, m2, key->pub.N, bc));
        CHECK(gg_paillier_encrypt(&key->pub, NULL, c2, m2, r, bc));
        CHECK(gg_paillier_mul(&key->pub, c, c, k, bc) && gg_paillier_add(&key->pub, c, c, c2, bc));
        CHECK(gg_paillier_decrypt(key, d, c, bc));
        CHECK(BN_mod_mul(m, m, k, key->pub.N, bc) && BN_mod_add(m, m, m2, key->pub.N, bc));
        CHECK(BN_cmp(d, m) == 0);
    }
    /* negative plaintext wraps to N - |m| */
    CHECK(BN_set_word(m, 5) && (BN_set_negative(m, 1), 1));
    CHECK(gg_paillier_encrypt(&key->pub, NULL, c, m, r, bc) && gg_paillier_decrypt(key, d, c, bc));
    CHECK(BN_add(d, d, BN_value_one()) && BN_add_word(d, 4) && BN_cmp(d, key->pub.N) == 0);
    /* non-units are rejected */
    CHECK(!gg_paillier_decrypt(key, d, key->pub.N, bc));
    BN_zero(c);
    CHECK(!gg_paillier_decrypt(key, d, c, bc));
    /* the owner's N-th power (CRT, half-size exponents) equals x^N mod N^2,
     * for x in Z*_N, x >= N and x sharing a factor with N */
    for (int it = 0; it < 5; it++) {
        CHECK(bn_rand_below(rng, m, key->pub.N2, bc));
        if (it == 1) CHECK(BN_copy(m, key->p) != NULL && BN_mul_word(m, 7));
        CHECK(gg_paillier_nth_power(key, c, m, bc));
        CHECK(BN_mod_exp(c2, m, key->pub.N, key->pub.N2, bc) && BN_cmp(c, c2) == 0);
    }
    /* units by the owner's factors, and one inversion for many */
    CHECK(bn_rand_unit(rng, r, key->pub.N, bc) && gg_paillier_is_unit_own(key, r, key->pub.N, bc));
    CHECK(!gg_paillier_is_unit_own(key, key->pub.N, key->pub.N2, bc)); /* shares N */
    CHECK(!gg_paillier_is_unit_own(key, r, BN_value_one(), bc));        /* not below the bound */
    BN_zero(m);
    CHECK(!gg_paillier_is_unit_own(key, m, key->pub.N, bc));
    CHECK(BN_copy(m, key->q) != NULL && BN_mul_word(m, 3));
    CHECK(!gg_paillier_is_unit_own(key, m, key->pub.N, bc));
    {
        const BIGNUM *all[] = {r, c, key->pub.t}, *one_bad[] = {r, m, key->pub.t};
        CHECK(gg_paillier_encrypt(&key->pub, NULL, c, k, r, bc));
        CHECK(bn_all_units(all, 3, key->pub.N, bc));
        CHECK(!bn_all_units(one_bad, 3, key->pub.N, bc));
        CHECK(!bn_all_units(one_bad + 1, 1, key->pub.N, bc));
    }
    /* ring-Pedersen: s = t^lambda */
    CHECK(BN_mod_exp(d, key->pub.t, key->lambda, key->pub.N, bc) && BN_cmp(d, key->pub.s) == 0);

    /* serialization round trip and rejection of garbage */
    unsigned char *buf;
    size_t len;
    gg_paillier_priv *key2;
    CHECK(gg_paillier_serialize(key, &buf, &len) == MPC_OK);
    CHECK(gg_paillier_parse(&key2, buf, len) == MPC_OK);
    CHECK(BN_cmp(key2->pub.N, key->pub.N) == 0 && BN_cmp(key2->pub.s, key->pub.s) == 0);
    gg_paillier_free(key2);
    CHECK(gg_paillier_parse(&key2, buf, len - 1) == MPC_ERR_MALFORMED && key2 == NULL);
    buf[0] = 2;
    CHECK(gg_paillier_parse(&key2, buf, len) == MPC_ERR_MALFORMED && key2 == NULL);
    free(buf);

    /* bad primes */
    CHECK(gg_paillier_from_primes(ctx, &key2, p, p) == MPC_ERR_CONFIG && key2 == NULL);
    CHECK(BN_set_word(m, 1000003));
    CHECK(gg_paillier_from_primes(ctx, &key2, p, m) == MPC_ERR_CONFIG);

    /* pool: FIFO, ownership */
    gg_paillier_pool pool;
    gg_pool_init(&pool);
    CHECK(gg_pool_count(&pool) == 0 && gg_pool_take(&pool) == NULL);
    for (int i = 0; i < 3; i++) CHECK(gg_pool_add(&pool, gg_fixture_key(ctx, argv[2], i)));
    CHECK(gg_pool_count(&pool) == 3);
    gg_paillier_priv *t0 = gg_pool_take(&pool);
    CHECK(BN_cmp(t0->pub.N, key->pub.N) == 0 && gg_pool_count(&pool) == 2);
    gg_paillier_free(t0);
    gg_pool_clear(&pool);
    CHECK(gg_pool_count(&pool) == 0);

    (void)bound;
    gg_paillier_free(key);
    BN_free(p), BN_free(q), BN_free(m), BN_free(m2), BN_free(r), BN_free(c), BN_free(c2);
    BN_free(d), BN_free(k), BN_free(bound);
    BN_CTX_free(bc);
    mpc_engine_ctx_free(ctx);
    printf("test_paillier: ok\n");
    return 0;
}
