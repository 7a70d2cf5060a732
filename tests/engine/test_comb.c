/* test_comb.c - fixed-base exponentiation (comb.h) against OpenSSL's
 * BN_mod_exp for every exponent bound the range proofs use and the edge
 * exponents (0, 1, all ones, exactly at and one bit over the bound), and
 * the table cache (comb_cache.h): hits, eviction of the least recently
 * used table, no room when every table is in use, too-long exponents, and
 * threads exponentiating through one cache at once. */
#include <pthread.h>
#include <string.h>

#include <openssl/bn.h>

#include "engine/bn_util.h"
#include "engine/comb.h"
#include "engine/comb_cache.h"
#include "test_support.h"

static void check_exp(const mpc_comb *c, const BIGNUM *g, const BIGNUM *m, const BIGNUM *e,
                      BN_CTX *bc) {
    BIGNUM *want = BN_new(), *got = BN_new();
    CHECK(want != NULL && got != NULL);
    CHECK(mpc_comb_exp(c, got, e, bc));
    CHECK(BN_mod_exp(want, g, e, m, bc));
    CHECK(BN_cmp(want, got) == 0);
    BN_free(want);
    BN_free(got);
}

typedef struct worker {
    mpc_comb_cache *cc;
    const BIGNUM *m, *const *bases;
    uint64_t seed;
    int failures;
} worker;

static void *work(void *arg) {
    worker *w = arg;
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *e = BN_new(), *got = BN_new(), *want = BN_new();
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, w->seed);
    for (int i = 0; i < 40; i++) {
        const BIGNUM *g = w->bases[i % 3];
        int bits = 256 + 256 * (i % 2);
        if (!bn_rand_bits(mpc_engine_rng(ctx), e, bits) ||
            !mpc_comb_cache_exp(w->cc, got, g, w->m, e, bits, bc) ||
            !BN_mod_exp(want, g, e, w->m, bc) || BN_cmp(want, got) != 0)
            w->failures++;
    }
    mpc_engine_ctx_free(ctx);
    BN_free(e), BN_free(got), BN_free(want);
    BN_CTX_free(bc);
    return NULL;
}

int main(int argc, char **argv) {
    (void)argc, (void)argv;
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, test_seed("test_comb"));
    const mpc_rng *rng = mpc_engine_rng(ctx);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *m = BN_new(), *g = BN_new(), *e = BN_new(), *r = BN_new(), *want = BN_new();
    CHECK(bc && m && g && e && r && want);
    CHECK(bn_rand_bits(rng, m, 2048) && bn_rand_below(rng, g, m, bc));

    /* the bounds of zk_range.c: n, n^3, n^5, n^7, n N~, n^3 N~ */
    const int bounds[] = {256, 768, 1280, 1792, 2304, 2816, 1, 7, 33};
    for (size_t b = 0; b < sizeof bounds / sizeof *bounds; b++) {
        int bits = bounds[b];
        mpc_comb *c = mpc_comb_new(g, m, bits, bc);
        CHECK(c != NULL && mpc_comb_bits(c) == bits);
        BN_zero(e);
        check_exp(c, g, m, e, bc);
        CHECK(BN_one(e));
        check_exp(c, g, m, e, bc);
        CHECK(bn_pow2(e, bits) && BN_sub_word(e, 1)); /* all ones */
        check_exp(c, g, m, e, bc);
        for (int i = 0; i < 8; i++) {
            CHECK(bn_pow2(r, bits) && bn_rand_below(rng, e, r, bc));
            check_exp(c, g, m, e, bc);
        }
        /* one bit too long, and negative: refused, r untouched */
        CHECK(bn_pow2(e, bits));
        CHECK(BN_set_word(r, 42) && !mpc_comb_exp(c, r, e, bc) && BN_is_word(r, 42));
        CHECK(BN_one(e));
        BN_set_negative(e, 1);
        CHECK(!mpc_comb_exp(c, r, e, bc));
        mpc_comb_free(c);
    }
    /* a base that is not reduced, and base 0 */
    CHECK(BN_add(r, g, m));
    mpc_comb *c = mpc_comb_new(r, m, 300, bc);
    CHECK(c != NULL && bn_rand_bits(rng, e, 300));
    check_exp(c, g, m, e, bc);
    mpc_comb_free(c);
    BN_zero(r);
    CHECK((c = mpc_comb_new(r, m, 64, bc)) != NULL && BN_set_word(e, 5));
    CHECK(mpc_comb_exp(c, want, e, bc) && BN_is_zero(want));
    mpc_comb_free(c);
    /* even modulus refused */
    CHECK(BN_copy(r, m) && BN_add_word(r, 1) && mpc_comb_new(g, r, 64, bc) == NULL);

    /* the cache: two slots */
    mpc_comb_cache *cc = mpc_comb_cache_new(2);
    BIGNUM *g2 = BN_new(), *g3 = BN_new();
    CHECK(cc && g2 && g3 && bn_rand_below(rng, g2, m, bc) && bn_rand_below(rng, g3, m, bc));
    const BIGNUM *bases[] = {g, g2, g3};
    CHECK(bn_rand_bits(rng, e, 256));
    for (int i = 0; i < 3; i++) {
        CHECK(mpc_comb_cache_exp(cc, r, bases[i % 2], m, e, 256, bc));
        CHECK(BN_mod_exp(want, bases[i % 2], e, m, bc) && BN_cmp(r, want) == 0);
    }
    CHECK(mpc_comb_cache_count(cc) == 2);
    /* same base, another bound: another table; g2 was used last, so g's goes */
    CHECK(mpc_comb_cache_exp(cc, r, g2, m, e, 512, bc) && mpc_comb_cache_count(cc) == 2);
    CHECK(BN_mod_exp(want, g2, e, m, bc) && BN_cmp(r, want) == 0);
    /* an exponent longer than its bound falls back to plain exponentiation */
    CHECK(bn_rand_bits(rng, e, 700));
    CHECK(mpc_comb_cache_exp(cc, r, g3, m, e, 256, bc) && mpc_comb_cache_count(cc) == 2);
    CHECK(BN_mod_exp(want, g3, e, m, bc) && BN_cmp(r, want) == 0);
    BN_set_negative(e, 1);
    CHECK(!mpc_comb_cache_exp(cc, r, g3, m, e, 256, bc));
    mpc_comb_cache_free(cc);

    /* a cache that keeps nothing still computes */
    cc = mpc_comb_cache_new(0);
    CHECK(cc != NULL && bn_rand_bits(rng, e, 256) && mpc_comb_cache_exp(cc, r, g, m, e, 256, bc));
    CHECK(BN_mod_exp(want, g, e, m, bc) && BN_cmp(r, want) == 0 && mpc_comb_cache_count(cc) == 0);
    mpc_comb_cache_free(cc);

    /* four threads, three bases, two bounds, one cache of four slots: tables
     * are built, shared and evicted while others use them */
    cc = mpc_comb_cache_new(4);
    CHECK(cc != NULL);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.cc = cc, .m = m, .bases = bases, .seed = 1000 + (uint64_t)i};
        CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        CHECK(w[i].failures == 0);
    }
    CHECK(mpc_comb_cache_count(cc) == 4);
    mpc_comb_cache_free(cc);

    /* the engine context owns a cache */
    CHECK(mpc_engine_combs(ctx) != NULL);

    BN_free(g2), BN_free(g3);
    BN_free(m), BN_free(g), BN_free(e), BN_free(r), BN_free(want);
    BN_CTX_free(bc);
    mpc_engine_ctx_free(ctx);
    printf("test_comb: ok\n");
    return 0;
}
