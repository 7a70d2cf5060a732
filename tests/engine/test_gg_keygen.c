/* test_gg_keygen.c - the GG keygen party: honest 2-of-3 and 3-of-4 runs
 * (consistent group key and shares, key package encoding), and cheaters
 * named by everybody else: non-Blum modulus (Pi_mod), small factor
 * (Pi_fac), bad ring-Pedersen parameters (Pi_prm), wrong commitment count,
 * a wrong share. */
#include <string.h>

#include "engine/bn_util.h"
#include "engine/gg_keygen.h"
#include "engine/shamir.h"
#include "gg_fixtures.h"
#include "test_support.h"

static const char *FIX;

enum cheat { HONEST, NON_BLUM, SMALL_FACTOR, BAD_PRM, COUNT, BAD_SHARE };

typedef struct tamper {
    enum cheat cheat;
    uint16_t cheater;
} tamper;

static int hook(void *ud, uint16_t from, uint16_t to, uint8_t round, unsigned char **bytes,
                size_t *len) {
    tamper *t = ud;
    mpc_msg_header h;
    const unsigned char *pl;
    (void)to;
    if (from != t->cheater) return 1;
    CHECK(mpc_msg_decode(&h, &pl, *bytes, *len) == MPC_OK);
    unsigned char *np = malloc(h.payload_len + 1);
    memcpy(np, pl, h.payload_len);
    size_t nl = h.payload_len;
    if (t->cheat == COUNT && round == 1) {
        /* drop the last commitment, announce t - 1 */
        uint16_t c = (uint16_t)((np[0] << 8 | np[1]) - 1);
        np[0] = (unsigned char)(c >> 8), np[1] = (unsigned char)c;
        memmove(np + 2 + 33 * c, np + 2 + 33 * (c + 1), nl - 2 - 33 * (c + 1));
        nl -= 33;
    } else if (t->cheat == BAD_SHARE && round == 2) {
        np[31] ^= 1;
    } else {
        free(np);
        return 1;
    }
    unsigned char *out;
    size_t outlen;
    reencode(*bytes, *len, np, nl, &out, &outlen);
    free(np);
    *bytes = out;
    *len = outlen;
    return 1;
}

/* Runs a keygen; returns the number of parties that failed naming culprit. */
static void run(mpc_engine_ctx *ctx, uint16_t t, uint16_t n, enum cheat cheat, uint16_t cheater,
                gg_keypkg *out) {
    mpc_party *p[8];
    mpc_error errs[8];
    tamper tp = {cheat, cheater};
    gg_keygen_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memset(cfg.session, 0x42 + cheat, 32);
    cfg.t = t, cfg.n = n;
    BN_CTX *bc = BN_CTX_new();
    for (uint16_t i = 0; i < n; i++) {
        cfg.self = (uint16_t)(i + 1);
        if (cfg.self == cheater && cheat == NON_BLUM) cfg.paillier = gg_bad_key_non_blum(ctx);
        else if (cfg.self == cheater && cheat == SMALL_FACTOR)
            cfg.paillier = gg_bad_key_small_factor(ctx);
        else cfg.paillier = gg_fixture_key(ctx, FIX, i);
        if (cfg.self == cheater && cheat == BAD_PRM)
            CHECK(bn_rand_unit(mpc_engine_rng(ctx), cfg.paillier->pub.s, cfg.paillier->pub.N, bc));
        CHECK(gg_keygen_new(ctx, &p[i], &cfg) == MPC_OK);
    }
    net_run(p, n, hook, &tp, errs);
    for (uint16_t i = 0; i < n; i++) {
        if (cheat == HONEST) {
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_DONE);
            CHECK(gg_keygen_output(p[i], &out[i]) == MPC_OK);
            CHECK(gg_keygen_output(p[i], &out[i + 1 < n ? i + 1 : 0]) == MPC_ERR_STATE);
        } else if (i + 1 != cheater) {
            mpc_error e = mpc_party_error(p[i]);
            mpc_err_code want = cheat == COUNT       ? MPC_ERR_COMMITMENT_COUNT
                                : cheat == BAD_SHARE ? MPC_ERR_BAD_SHARE
                                                     : MPC_ERR_BAD_PROOF;
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_FAILED);
            CHECK(e.code == want && e.culprit == cheater);
        }
        mpc_party_free(p[i]);
    }
    BN_CTX_free(bc);
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    FIX = argv[2];
    uint64_t seed = test_seed("test_gg_keygen");
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    gg_keypkg kp[8];
    uint16_t tn[2][2] = {{2, 3}, {3, 4}};
    for (int c = 0; c < 2; c++) {
        uint16_t t = tn[c][0], n = tn[c][1];
        run(ctx, t, n, HONEST, 0, kp);
        /* all agree on Y, X_j; any t shares interpolate to Y */
        mpc_scalar lam[8], acc, term;
        uint16_t ids[8];
        for (uint16_t i = 0; i < t; i++) ids[i] = (uint16_t)(n - i);
        CHECK(mpc_lagrange_coeffs(lam, ids, t));
        mpc_scalar_set_u32(&acc, 0);
        for (uint16_t i = 0; i < t; i++) {
            mpc_scalar_mul(&term, &lam[i], &kp[ids[i] - 1].secret);
            mpc_scalar_add(&acc, &acc, &term);
        }
        mpc_point Y;
        mpc_point_mul_base(ctx, &Y, &acc);
        for (uint16_t i = 0; i < n; i++) {
            CHECK(mpc_point_eq(ctx, &kp[i].group_key, &Y));
            for (uint16_t j = 0; j < n; j++) {
                CHECK(mpc_point_eq(ctx, &kp[i].verifying_shares[j], &kp[0].verifying_shares[j]));
                CHECK(BN_cmp(kp[i].paillier[j].N, kp[0].paillier[j].N) == 0);
            }
        }
        /* encoding round trip */
        unsigned char *buf;
        size_t len;
        gg_keypkg back;
        CHECK(gg_keypkg_serialize(ctx, &kp[1], &buf, &len) == MPC_OK);
        CHECK(gg_keypkg_parse(ctx, &back, buf, len) == MPC_OK);
        CHECK(back.id == 2 && back.t == t && mpc_scalar_eq(&back.secret, &kp[1].secret));
        CHECK(mpc_point_eq(ctx, &back.group_key, &Y));
        gg_keypkg_clear(&back);
        CHECK(gg_keypkg_parse(ctx, &back, buf, len - 1) == MPC_ERR_MALFORMED);
        buf[len - 40] ^= 1; /* inside the own Paillier key */
        CHECK(gg_keypkg_parse(ctx, &back, buf, len) != MPC_OK);
        free(buf);
        for (uint16_t i = 0; i < n; i++) gg_keypkg_clear(&kp[i]);
        printf("honest %u-of-%u: ok\n", t, n);
    }
    run(ctx, 2, 3, NON_BLUM, 2, kp);
    printf("non-Blum modulus: caught\n");
    run(ctx, 2, 3, SMALL_FACTOR, 3, kp);
    printf("small factor: caught\n");
    run(ctx, 2, 3, BAD_PRM, 1, kp);
    printf("bad ring-Pedersen: caught\n");
    run(ctx, 2, 3, COUNT, 2, kp);
    printf("commitment count: caught\n");
    run(ctx, 2, 3, BAD_SHARE, 1, kp);
    printf("bad share: caught\n");
    mpc_engine_ctx_free(ctx);
    printf("test_gg_keygen: ok\n");
    return 0;
}
