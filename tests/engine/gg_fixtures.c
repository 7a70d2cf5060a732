/* gg_fixtures.c - see gg_fixtures.h. */
#include "gg_fixtures.h"

#include <stdio.h>
#include <string.h>

#include "engine/bn_util.h"
#include "test_support.h"

void gg_fixture_primes(const char *dir, int i, BIGNUM *p, BIGNUM *q) {
    char path[1024], hp[600], hq[600];
    snprintf(path, sizeof path, "%s/safe_primes_1024.hex", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    for (int k = 0; k <= i; k++) CHECK(fscanf(f, "%599s %599s", hp, hq) == 2);
    fclose(f);
    CHECK(BN_hex2bn(&p, hp) > 0 && BN_hex2bn(&q, hq) > 0);
}

gg_paillier_priv *gg_fixture_key(const mpc_engine_ctx *ctx, const char *dir, int i) {
    BIGNUM *p = BN_new(), *q = BN_new();
    gg_paillier_priv *k = NULL;
    gg_fixture_primes(dir, i, p, q);
    CHECK(gg_paillier_from_primes(ctx, &k, p, q) == MPC_OK);
    BN_clear_free(p);
    BN_clear_free(q);
    return k;
}

void gg_test_prime(const mpc_rng *rng, BIGNUM *p, int bits, unsigned residue) {
    BN_CTX *bc = BN_CTX_new();
    CHECK(bn_rand_bits(rng, p, bits));
    CHECK(BN_sub_word(p, BN_mod_word(p, 4)) && BN_add_word(p, residue));
    for (;;) {
        int small = 0;
        for (BN_ULONG d = 3; d < 2000 && !small; d += 2) small = BN_mod_word(p, d) == 0;
        if (!small && bn_miller_rabin(rng, p, 20, bc) == 1) break;
        CHECK(BN_add_word(p, 4));
    }
    BN_CTX_free(bc);
}

static gg_paillier_priv *bad_key(const mpc_engine_ctx *ctx, int pbits, int qbits, unsigned res) {
    BIGNUM *p = BN_new(), *q = BN_new();
    gg_paillier_priv *k = NULL;
    gg_test_prime(mpc_engine_rng(ctx), p, pbits, res);
    gg_test_prime(mpc_engine_rng(ctx), q, qbits, res);
    CHECK(gg_paillier_from_primes(ctx, &k, p, q) == MPC_OK);
    BN_clear_free(p);
    BN_clear_free(q);
    return k;
}

gg_paillier_priv *gg_bad_key_non_blum(const mpc_engine_ctx *ctx) {
    return bad_key(ctx, 1024, 1024, 1);
}

gg_paillier_priv *gg_bad_key_small_factor(const mpc_engine_ctx *ctx) {
    return bad_key(ctx, 256, 1792, 3);
}

void gg_fixture_dealer(const mpc_engine_ctx *ctx, const char *dir, gg_keypkg *kp, uint16_t t,
                       uint16_t n) {
    gg_paillier_priv *keys[GG_FIXTURE_PAIRS];
    CHECK(n <= GG_FIXTURE_PAIRS);
    for (int i = 0; i < n; i++) keys[i] = gg_fixture_key(ctx, dir, i);
    CHECK(gg_keypkg_dealer(ctx, kp, t, n, keys) == MPC_OK);
}
