/* test_dkg_vectors.c - ZF FROST secp256k1 DKG vectors: commitments, proof of
 * knowledge (our challenge with an empty context matches ZF's), secret
 * shares, final signing/verifying shares and group key; then the DKG state
 * machine round-trips its output through the key package encoding. */
#include <string.h>

#include "engine/frost_dkg.h"
#include "engine/frost_keys.h"
#include "engine/shamir.h"
#include "test_support.h"

static void vectors(const mpc_engine_ctx *ctx, const char *dir) {
    json_t *v = load_json(dir, "zf-frost-secp256k1-dkg.json");
    json_t *in = json_object_get(v, "inputs");
    json_t *cfg = json_object_get(v, "config");
    size_t n = (size_t)json_integer_value(json_object_get(cfg, "MAX_PARTICIPANTS"));
    size_t t = (size_t)json_integer_value(json_object_get(cfg, "MIN_PARTICIPANTS"));
    CHECK(n == 3 && t == 2);
    unsigned char b[128];
    mpc_scalar coeffs[3][2];
    mpc_point comm[3][2];
    char key[8];

    for (size_t i = 1; i <= n; i++) {
        snprintf(key, sizeof key, "%zu", i);
        json_t *p = json_object_get(in, key);
        CHECK(mpc_scalar_parse(&coeffs[i - 1][0], (hex_decode(b, 32, json_str(p, "signing_key")), b)));
        CHECK(mpc_scalar_parse(&coeffs[i - 1][1], (hex_decode(b, 32, json_str(p, "coefficient")), b)));
        mpc_feldman_commit(ctx, comm[i - 1], coeffs[i - 1], t);
        json_t *vc = json_object_get(p, "vss_commitments");
        CHECK(json_array_size(vc) == t);
        for (size_t k = 0; k < t; k++) {
            unsigned char enc[33];
            CHECK(hex_decode(b, 33, json_string_value(json_array_get(vc, k))) == 33);
            CHECK(mpc_point_serialize(ctx, enc, &comm[i - 1][k]) && memcmp(enc, b, 33) == 0);
        }
        /* Proof of knowledge: valid as given; invalid for another sender,
         * another context, a changed mu, or the wrong commitment count. */
        mpc_pok pok;
        CHECK(hex_decode(b, 65, json_str(p, "proof_of_knowledge")) == 65);
        CHECK(mpc_pok_parse(ctx, &pok, b));
        CHECK(frost_dkg_check_round1(ctx, (uint16_t)i, comm[i - 1], t, (uint16_t)t, &pok, NULL, 0) ==
              MPC_OK);
        CHECK(frost_dkg_check_round1(ctx, (uint16_t)(i % 3 + 1), comm[i - 1], t, (uint16_t)t, &pok,
                                     NULL, 0) == MPC_ERR_BAD_PROOF);
        unsigned char ctx32[32] = {1};
        CHECK(frost_dkg_check_round1(ctx, (uint16_t)i, comm[i - 1], t, (uint16_t)t, &pok, ctx32,
                                     32) == MPC_ERR_BAD_PROOF);
        CHECK(frost_dkg_check_round1(ctx, (uint16_t)i, comm[i - 1], t - 1, (uint16_t)t, &pok, NULL,
                                     0) == MPC_ERR_COMMITMENT_COUNT);
        b[64] ^= 1;
        CHECK(mpc_pok_parse(ctx, &pok, b));
        CHECK(frost_dkg_check_round1(ctx, (uint16_t)i, comm[i - 1], t, (uint16_t)t, &pok, NULL, 0) ==
              MPC_ERR_BAD_PROOF);
    }
    /* signing_shares of party i, keyed by j, hold f_j(i): the share i
     * received from j. Each verifies against j's commitments. */
    for (size_t i = 1; i <= n; i++) {
        snprintf(key, sizeof key, "%zu", i);
        json_t *ss = json_object_get(json_object_get(in, key), "signing_shares");
        for (size_t j = 1; j <= n; j++) {
            if (j == i) continue;
            snprintf(key, sizeof key, "%zu", j);
            mpc_scalar f, want, one;
            mpc_poly_eval(&f, coeffs[j - 1], t, (uint16_t)i);
            CHECK(mpc_scalar_parse(&want, (hex_decode(b, 32, json_str(ss, key)), b)));
            CHECK(mpc_scalar_eq(&f, &want));
            CHECK(mpc_feldman_verify(ctx, &f, (uint16_t)i, comm[j - 1], t));
            mpc_scalar_set_u32(&one, 1);
            mpc_scalar_add(&f, &f, &one);
            CHECK(!mpc_feldman_verify(ctx, &f, (uint16_t)i, comm[j - 1], t));
        }
    }
    /* Final shares, verifying shares and group key. */
    mpc_point gc[2], Y;
    for (size_t k = 0; k < t; k++) {
        mpc_point col[3] = {comm[0][k], comm[1][k], comm[2][k]};
        CHECK(mpc_point_sum(ctx, &gc[k], col, 3));
    }
    CHECK(mpc_point_parse(ctx, &Y, (hex_decode(b, 33, json_str(in, "verifying_key")), b)));
    CHECK(mpc_point_eq(ctx, &Y, &gc[0]));
    for (size_t j = 1; j <= n; j++) {
        snprintf(key, sizeof key, "%zu", j);
        json_t *p = json_object_get(in, key);
        mpc_scalar s = {{0}}, f, want;
        for (size_t i = 1; i <= n; i++) {
            mpc_poly_eval(&f, coeffs[i - 1], t, (uint16_t)j);
            mpc_scalar_add(&s, &s, &f);
        }
        CHECK(mpc_scalar_parse(&want, (hex_decode(b, 32, json_str(p, "signing_share")), b)));
        CHECK(mpc_scalar_eq(&s, &want));
        mpc_point vs, vw;
        CHECK(mpc_feldman_eval(ctx, &vs, gc, t, (uint16_t)j));
        CHECK(mpc_point_parse(ctx, &vw, (hex_decode(b, 33, json_str(p, "verifying_share")), b)));
        CHECK(mpc_point_eq(ctx, &vs, &vw));
    }
    json_decref(v);
    printf("ZF FROST secp256k1 DKG vectors: ok\n");
}

/* A 2-of-3 DKG through the state machines; key packages survive encoding. */
static void keypkg_roundtrip(const mpc_engine_ctx *ctx) {
    mpc_party *p[3];
    mpc_error errs[3];
    static frost_keypkg kp[3], back;
    for (uint16_t i = 0; i < 3; i++) {
        frost_dkg_config c = {.session = {7}, .self = (uint16_t)(i + 1), .t = 2, .n = 3};
        CHECK(frost_dkg_new(ctx, &p[i], &c) == MPC_OK);
    }
    net_run(p, 3, NULL, NULL, errs);
    for (int i = 0; i < 3; i++) {
        CHECK(errs[i].code == MPC_OK);
        CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_DONE);
        CHECK(frost_dkg_output(p[i], &kp[i]) == MPC_OK);
        CHECK(mpc_point_eq(ctx, &kp[i].group_key, &kp[0].group_key));
        unsigned char enc[7 + 33 + 3 * 33 + 32];
        CHECK(frost_keypkg_size(&kp[i]) == sizeof enc);
        CHECK(frost_keypkg_serialize(ctx, enc, sizeof enc, &kp[i]));
        CHECK(frost_keypkg_parse(ctx, &back, enc, sizeof enc) == MPC_OK);
        CHECK(back.id == kp[i].id && mpc_scalar_eq(&back.secret, &kp[i].secret));
        CHECK(frost_keypkg_parse(ctx, &back, enc, sizeof enc - 1) == MPC_ERR_MALFORMED);
        enc[sizeof enc - 1] ^= 1; /* secret no longer matches the verifying share */
        CHECK(frost_keypkg_parse(ctx, &back, enc, sizeof enc) == MPC_ERR_MALFORMED);
        mpc_party_free(p[i]);
    }
    /* Any 2 shares interpolate to the group secret. */
    uint16_t ids[2] = {1, 3};
    mpc_scalar lam[2], s, a;
    mpc_point Y;
    CHECK(mpc_lagrange_coeffs(lam, ids, 2));
    mpc_scalar_mul(&s, &lam[0], &kp[0].secret);
    mpc_scalar_mul(&a, &lam[1], &kp[2].secret);
    mpc_scalar_add(&s, &s, &a);
    mpc_point_mul_base(ctx, &Y, &s);
    CHECK(mpc_point_eq(ctx, &Y, &kp[0].group_key));
    printf("DKG state machine + key package encoding: ok\n");
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, test_seed("test_dkg_vectors"));
    vectors(ctx, argv[1]);
    keypkg_roundtrip(ctx);
    mpc_engine_ctx_free(ctx);
    return 0;
}
