/* frost_keys.c - FROST key package encoding and the test-only trusted dealer. */
#include "engine/frost_keys.h"

#include <string.h>

#include <openssl/crypto.h>

#include "engine/shamir.h"
#include "engine/wire.h"

size_t frost_keypkg_size(const frost_keypkg *kp) { return 7 + 33 + 33 * (size_t)kp->n + 32; }

int frost_keypkg_serialize(const mpc_engine_ctx *ctx, unsigned char *out, size_t outlen,
                           const frost_keypkg *kp) {
    MPC_ARG_CHECK(out != NULL && kp != NULL && kp->n >= 1 && kp->n <= FROST_MAX_PARTIES);
    if (outlen < frost_keypkg_size(kp)) return 0;
    unsigned char *p = out;
    *p++ = FROST_KEYPKG_VERSION;
    uint16_t hdr[3] = {kp->id, kp->t, kp->n};
    for (int i = 0; i < 3; i++) {
        *p++ = (unsigned char)(hdr[i] >> 8);
        *p++ = (unsigned char)hdr[i];
    }
    if (!mpc_point_serialize(ctx, p, &kp->group_key)) return 0;
    p += 33;
    for (unsigned j = 0; j < kp->n; j++, p += 33)
        if (!mpc_point_serialize(ctx, p, &kp->verifying_shares[j])) return 0;
    mpc_scalar_serialize(p, &kp->secret);
    return 1;
}

mpc_err_code frost_keypkg_parse(const mpc_engine_ctx *ctx, frost_keypkg *out,
                                const unsigned char *in, size_t len) {
    mpc_reader r;
    uint8_t ver;
    mpc_point chk;
    MPC_ARG_CHECK(out != NULL && (in != NULL || len == 0));
    memset(out, 0, sizeof *out);
    mpc_reader_init(&r, in, len);
    if (!mpc_read_u8(&r, &ver)) return MPC_ERR_MALFORMED;
    if (ver != FROST_KEYPKG_VERSION) return MPC_ERR_VERSION;
    MPC_IGNORE(mpc_read_u16(&r, &out->id));
    MPC_IGNORE(mpc_read_u16(&r, &out->t));
    MPC_IGNORE(mpc_read_u16(&r, &out->n));
    if (r.err || out->n < 1 || out->n > FROST_MAX_PARTIES || out->t < 1 || out->t > out->n ||
        out->id < 1 || out->id > out->n)
        return MPC_ERR_MALFORMED;
    const unsigned char *q = mpc_read_ptr(&r, 33);
    int ok = q != NULL && mpc_point_parse(ctx, &out->group_key, q);
    for (unsigned j = 0; j < out->n && ok; j++) {
        q = mpc_read_ptr(&r, 33);
        ok = q != NULL && mpc_point_parse(ctx, &out->verifying_shares[j], q);
    }
    q = mpc_read_ptr(&r, 32);
    ok = ok && q != NULL && mpc_scalar_parse(&out->secret, q) && mpc_reader_done(&r);
    if (ok) {
        mpc_point_mul_base(ctx, &chk, &out->secret);
        ok = mpc_point_eq(ctx, &chk, &out->verifying_shares[out->id - 1]);
    }
    if (!ok) {
        frost_keypkg_clear(out);
        return MPC_ERR_MALFORMED;
    }
    return MPC_OK;
}

void frost_keypkg_clear(frost_keypkg *kp) {
    if (kp != NULL) OPENSSL_cleanse(kp, sizeof *kp);
}

int frost_keygen_dealer(const mpc_engine_ctx *ctx, frost_keypkg *out, const mpc_scalar *secret,
                        uint16_t t, uint16_t n) {
    mpc_scalar s, shares[FROST_MAX_PARTIES];
    mpc_point Y, vs[FROST_MAX_PARTIES];
    MPC_ARG_CHECK(out != NULL);
    if (t < 1 || t > n || n > FROST_MAX_PARTIES) return 0;
    if (secret != NULL) {
        s = *secret;
    } else if (!mpc_scalar_random(mpc_engine_rng(ctx), &s)) {
        return 0;
    }
    if (!mpc_shamir_split(ctx, shares, NULL, &s, t, n)) return 0;
    mpc_point_mul_base(ctx, &Y, &s);
    for (unsigned j = 0; j < n; j++) mpc_point_mul_base(ctx, &vs[j], &shares[j]);
    for (unsigned j = 0; j < n; j++) {
        memset(&out[j], 0, sizeof out[j]);
        out[j].id = (uint16_t)(j + 1);
        out[j].t = t;
        out[j].n = n;
        out[j].secret = shares[j];
        out[j].group_key = Y;
        memcpy(out[j].verifying_shares, vs, n * sizeof vs[0]);
    }
    mpc_scalar_clear(&s);
    OPENSSL_cleanse(shares, sizeof shares);
    return 1;
}
