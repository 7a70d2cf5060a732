/* ecdsa.c - low-S, recovery id, DER and verification (see ecdsa.h). */
#include "engine/ecdsa.h"

#include <string.h>

static const unsigned char HALF_N[32] = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};
static const unsigned char CURVE_N[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

int gg_ecdsa_r(const mpc_engine_ctx *ctx, mpc_scalar *r, const mpc_point *R) {
    unsigned char b[33];
    if (!mpc_point_serialize(ctx, b, R)) {
        mpc_scalar_set_u32(r, 0);
        return 0;
    }
    mpc_scalar_reduce32(r, b + 1);
    return memcmp(b + 1, CURVE_N, 32) >= 0;
}

int gg_ecdsa_verify(const mpc_engine_ctx *ctx, const unsigned char r[32], const unsigned char s[32],
                    const mpc_point *Y, const unsigned char msg32[32]) {
    const secp256k1_context *sc = mpc_engine_secp(ctx);
    secp256k1_ecdsa_signature sig;
    unsigned char c[64];
    if (mpc_point_is_identity(Y)) return 0;
    memcpy(c, r, 32);
    memcpy(c + 32, s, 32);
    if (!secp256k1_ecdsa_signature_parse_compact(sc, &sig, c)) return 0;
    secp256k1_ecdsa_signature_normalize(sc, &sig, &sig);
    return secp256k1_ecdsa_verify(sc, &sig, msg32, &Y->pk);
}

mpc_err_code gg_ecdsa_finalize(const mpc_engine_ctx *ctx, gg_signature *out, const mpc_point *R,
                               const mpc_scalar *s, const mpc_point *Y,
                               const unsigned char msg32[32]) {
    MPC_ARG_CHECK(ctx && out && R && s && Y && msg32);
    mpc_scalar r, sn = *s;
    memset(out, 0, sizeof *out);
    if (mpc_point_is_identity(R)) return MPC_ERR_BAD_SIGNATURE;
    int overflow = gg_ecdsa_r(ctx, &r, R);
    int odd = mpc_point_has_odd_y(ctx, R);
    unsigned char sb[32];
    mpc_scalar_serialize(sb, &sn);
    if (memcmp(sb, HALF_N, 32) > 0) {
        mpc_scalar_neg(&sn, &sn);
        odd ^= 1; /* s -> n - s is the signature of -k, i.e. of -R */
    }
    if (mpc_scalar_is_zero(&r) || mpc_scalar_is_zero(&sn)) return MPC_ERR_BAD_SIGNATURE;
    mpc_scalar_serialize(out->r, &r);
    mpc_scalar_serialize(out->s, &sn);
    out->recid = odd | (overflow << 1);
    const secp256k1_context *sc = mpc_engine_secp(ctx);
    secp256k1_ecdsa_signature sig;
    unsigned char c[64];
    memcpy(c, out->r, 32);
    memcpy(c + 32, out->s, 32);
    out->derlen = sizeof out->der;
    if (!secp256k1_ecdsa_signature_parse_compact(sc, &sig, c) ||
        !secp256k1_ecdsa_signature_serialize_der(sc, out->der, &out->derlen, &sig) ||
        !secp256k1_ecdsa_verify(sc, &sig, msg32, &Y->pk)) {
        memset(out, 0, sizeof *out);
        return MPC_ERR_BAD_SIGNATURE;
    }
    return MPC_OK;
}
