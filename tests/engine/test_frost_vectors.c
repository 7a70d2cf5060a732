/* test_frost_vectors.c - RFC 9591 Appendix E.5 vectors for
 * FROST(secp256k1, SHA-256), run through the public signing API with the
 * vector's nonce randomness injected through an mpc_rng. Also checks the
 * ZF FROST "secp256k1-tr" vectors against the BIP-340 variant (see
 * docs/engine.md for which parts of those conventions match). */
#include <string.h>

#include "engine/frost.h"
#include "engine/shamir.h"
#include "test_support.h"

/* An rng that replays fixed bytes: the vector's nonce randomness. */
typedef struct replay_rng {
    unsigned char buf[64];
    size_t pos;
} replay_rng;

static int replay_fill(void *ctx, unsigned char *out, size_t len) {
    replay_rng *r = ctx;
    if (len > sizeof r->buf - r->pos) return 0;
    memcpy(out, r->buf + r->pos, len);
    r->pos += len;
    return 1;
}

static void check_hex(const char *what, const unsigned char *got, size_t len, const char *want_hex) {
    unsigned char want[128];
    size_t wl = hex_decode(want, sizeof want, want_hex);
    if (wl != len || memcmp(got, want, len) != 0) {
        fprintf(stderr, "mismatch in %s\n  want %s\n  got  ", what, want_hex);
        for (size_t i = 0; i < len; i++) fprintf(stderr, "%02x", got[i]);
        fprintf(stderr, "\n");
        exit(1);
    }
}

static void run_vectors(const mpc_engine_ctx *ctx, json_t *v, frost_variant variant,
                        const char *gk_field) {
    json_t *in = json_object_get(v, "inputs");
    json_t *cfg = json_object_get(v, "config");
    uint16_t n = (uint16_t)atoi(json_str(cfg, "MAX_PARTICIPANTS"));
    uint16_t t = (uint16_t)atoi(json_str(cfg, "MIN_PARTICIPANTS"));
    unsigned char b[256];
    mpc_scalar gsk, a1, s;
    mpc_point Y, chk;

    /* Group key and the dealer's polynomial reproduce every share. */
    CHECK(hex_decode(b, 32, json_str(in, "group_secret_key")) == 32 && mpc_scalar_parse(&gsk, b));
    CHECK(hex_decode(b, 33, json_str(in, gk_field)) == 33 && mpc_point_parse(ctx, &Y, b));
    mpc_point_mul_base(ctx, &chk, &gsk);
    CHECK(mpc_point_eq(ctx, &chk, &Y));
    json_t *coeffs = json_object_get(in, "share_polynomial_coefficients");
    CHECK(json_array_size(coeffs) == (size_t)(t - 1) && t == 2);
    CHECK(mpc_scalar_parse(&a1, (hex_decode(b, 32, json_string_value(json_array_get(coeffs, 0))), b)));
    mpc_scalar poly[2] = {gsk, a1};

    static frost_keypkg kp[3];
    json_t *shares = json_object_get(in, "participant_shares");
    CHECK(json_array_size(shares) == n && n == 3);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(shares, i);
        uint16_t id = (uint16_t)json_integer_value(json_object_get(e, "identifier"));
        CHECK(id == i + 1);
        CHECK(hex_decode(b, 32, json_str(e, "participant_share")) == 32 && mpc_scalar_parse(&s, b));
        mpc_scalar f;
        mpc_poly_eval(&f, poly, t, id);
        CHECK(mpc_scalar_eq(&f, &s));
        memset(&kp[i], 0, sizeof kp[i]);
        kp[i].id = id;
        kp[i].t = t;
        kp[i].n = n;
        kp[i].secret = s;
        kp[i].group_key = Y;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) mpc_point_mul_base(ctx, &kp[i].verifying_shares[j], &kp[j].secret);

    unsigned char msg[256];
    size_t msglen = hex_decode(msg, sizeof msg, json_str(in, "message"));

    /* Round 1 with injected randomness. */
    json_t *r1 = json_object_get(json_object_get(v, "round_one_outputs"), "outputs");
    size_t ns = json_array_size(r1);
    frost_secnonce nonces[3];
    frost_commitment list[3];
    for (size_t k = 0; k < ns; k++) {
        json_t *e = json_array_get(r1, k);
        uint16_t id = (uint16_t)json_integer_value(json_object_get(e, "identifier"));
        replay_rng rr = {.pos = 0};
        hex_decode(rr.buf, 32, json_str(e, "hiding_nonce_randomness"));
        hex_decode(rr.buf + 32, 32, json_str(e, "binding_nonce_randomness"));
        mpc_rng rng = {replay_fill, &rr};
        CHECK(frost_commit(ctx, &rng, &nonces[k], &list[k], &kp[id - 1], variant) == MPC_OK);
        CHECK(rr.pos == 64);
        mpc_point_serialize(ctx, b, &list[k].hiding) ? (void)0 : exit(1);
        check_hex("hiding_nonce_commitment", b, 33, json_str(e, "hiding_nonce_commitment"));
        mpc_point_serialize(ctx, b, &list[k].binding) ? (void)0 : exit(1);
        check_hex("binding_nonce_commitment", b, 33, json_str(e, "binding_nonce_commitment"));
    }
    frost_signing_pkg *pkg = NULL;
    CHECK(frost_signing_pkg_new(ctx, &pkg, variant, &Y, list, ns, msg, msglen) == MPC_OK);
    for (size_t k = 0; k < ns; k++) {
        mpc_scalar_serialize(b, frost_signing_pkg_binding_factor(pkg, k));
        check_hex("binding_factor", b, 32, json_str(json_array_get(r1, k), "binding_factor"));
    }

    /* Round 2 and aggregation. */
    json_t *r2 = json_object_get(json_object_get(v, "round_two_outputs"), "outputs");
    CHECK(json_array_size(r2) == ns);
    mpc_scalar z[3];
    for (size_t k = 0; k < ns; k++) {
        json_t *e = json_array_get(r2, k);
        uint16_t id = (uint16_t)json_integer_value(json_object_get(e, "identifier"));
        CHECK(id == list[k].id);
        CHECK(frost_sign(ctx, &z[k], &nonces[k], &kp[id - 1], pkg) == MPC_OK);
        mpc_scalar_serialize(b, &z[k]);
        check_hex("sig_share", b, 32, json_str(e, "sig_share"));
        CHECK(frost_verify_share(ctx, pkg, id, &z[k], &kp[0].verifying_shares[id - 1]));
        /* Nonce is single-use. */
        mpc_scalar z2;
        CHECK(frost_sign(ctx, &z2, &nonces[k], &kp[id - 1], pkg) == MPC_ERR_NONCE_USED);
    }
    unsigned char sig[FROST_SIG_MAX_BYTES];
    size_t siglen;
    mpc_error err;
    CHECK(frost_aggregate(ctx, sig, &siglen, pkg, z, &kp[0], &err) == MPC_OK);
    check_hex("sig", sig, siglen, json_str(json_object_get(v, "final_output"), "sig"));
    CHECK(frost_verify(ctx, variant, sig, siglen, &Y, msg, msglen));
    msg[0] ^= 1;
    CHECK(!frost_verify(ctx, variant, sig, siglen, &Y, msg, msglen));
    msg[0] ^= 1;
    sig[siglen - 1] ^= 1;
    CHECK(!frost_verify(ctx, variant, sig, siglen, &Y, msg, msglen));
    frost_signing_pkg_free(pkg);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, 1);

    json_t *rfc = load_json(argv[1], "frost-secp256k1-sha256.json");
    run_vectors(ctx, rfc, FROST_VARIANT_RFC9591, "group_public_key");
    json_decref(rfc);
    printf("RFC 9591 FROST(secp256k1, SHA-256) vectors: ok\n");

    json_t *tr = load_json(argv[1], "zf-frost-secp256k1-tr.json");
    run_vectors(ctx, tr, FROST_VARIANT_BIP340, "verifying_key_key");
    json_decref(tr);
    printf("ZF FROST(secp256k1, SHA-256, TR) vectors: ok\n");

    mpc_engine_ctx_free(ctx);
    return 0;
}
