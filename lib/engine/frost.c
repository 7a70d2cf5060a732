/* frost.c - RFC 9591 FROST signing rounds, share verification, aggregation
 * and verification for secp256k1, in the RFC 9591 and BIP-340 variants.
 *
 * The signing package holds every value derived from the commitment list:
 * computing it once per party keeps round 2 and aggregation at t variable-
 * base multiplications each (rho_i * E_i), plus one c*lambda_i*Y_i per share
 * checked. */
#include "engine/frost.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "engine/hash.h"
#include "engine/shamir.h"

/* Secret nonce layout. */
#define SN_MAGIC 0x46524e31u /* "FRN1" */
#define SN_OFF_VARIANT 4
#define SN_OFF_ID 5
#define SN_OFF_D 7
#define SN_OFF_E 39
#define SN_OFF_DENC 71
#define SN_OFF_EENC 104
#define SN_END 137

struct frost_signing_pkg {
    frost_variant variant;
    size_t count;
    frost_commitment *list;
    mpc_scalar *rho;    /* binding factors */
    mpc_scalar *lambda; /* Lagrange coefficients */
    mpc_point *rho_e;   /* rho_i * E_i */
    mpc_point R;        /* group commitment (even y for BIP-340) */
    mpc_point Y;        /* group key (even y for BIP-340) */
    int key_neg;        /* BIP-340: Y had odd y, shares are negated */
    int nonce_neg;      /* BIP-340: R had odd y, nonces are negated */
    mpc_scalar c;       /* challenge */
};

const char *frost_context_string(frost_variant v) {
    return v == FROST_VARIANT_BIP340 ? FROST_CONTEXT_BIP340 : FROST_CONTEXT_RFC9591;
}

static void id_scalar_bytes(unsigned char out[32], uint16_t id) {
    mpc_scalar s;
    mpc_scalar_set_u32(&s, id);
    mpc_scalar_serialize(out, &s);
}

/* nonce_generate(secret) = H3(random_bytes(32) || SerializeScalar(secret)) */
static int nonce_generate(const mpc_rng *rng, mpc_scalar *k, const mpc_scalar *secret,
                          const char *suite) {
    unsigned char in[64];
    if (!mpc_rng_fill(rng, in, 32)) return 0;
    mpc_scalar_serialize(in + 32, secret);
    mpc_bytes part = {in, 64};
    frost_hash_scalar(k, suite, "nonce", &part, 1);
    OPENSSL_cleanse(in, sizeof in);
    return 1;
}

mpc_err_code frost_commit(const mpc_engine_ctx *ctx, const mpc_rng *rng, frost_secnonce *secnonce,
                          frost_commitment *out, const frost_keypkg *kp, frost_variant v) {
    mpc_scalar d, e;
    MPC_ARG_CHECK(secnonce != NULL && out != NULL && kp != NULL);
    if (rng == NULL) rng = mpc_engine_rng(ctx);
    const char *suite = frost_context_string(v);
    memset(secnonce, 0, sizeof *secnonce);
    if (!nonce_generate(rng, &d, &kp->secret, suite) || !nonce_generate(rng, &e, &kp->secret, suite)) {
        mpc_scalar_clear(&d);
        return MPC_ERR_RNG;
    }
    out->id = kp->id;
    mpc_point_mul_base(ctx, &out->hiding, &d);
    mpc_point_mul_base(ctx, &out->binding, &e);
    unsigned char *p = secnonce->data;
    int ok = mpc_point_serialize(ctx, p + SN_OFF_DENC, &out->hiding) &
             mpc_point_serialize(ctx, p + SN_OFF_EENC, &out->binding);
    if (!ok) { /* a nonce hashed to 0: probability ~2^-256 */
        mpc_scalar_clear(&d);
        mpc_scalar_clear(&e);
        OPENSSL_cleanse(secnonce, sizeof *secnonce);
        return MPC_ERR_INTERNAL;
    }
    p[0] = (unsigned char)(SN_MAGIC >> 24);
    p[1] = (unsigned char)(SN_MAGIC >> 16);
    p[2] = (unsigned char)(SN_MAGIC >> 8);
    p[3] = (unsigned char)SN_MAGIC;
    p[SN_OFF_VARIANT] = (unsigned char)v;
    p[SN_OFF_ID] = (unsigned char)(kp->id >> 8);
    p[SN_OFF_ID + 1] = (unsigned char)kp->id;
    mpc_scalar_serialize(p + SN_OFF_D, &d);
    mpc_scalar_serialize(p + SN_OFF_E, &e);
    mpc_scalar_clear(&d);
    mpc_scalar_clear(&e);
    return MPC_OK;
}

int frost_commitment_serialize(const mpc_engine_ctx *ctx, unsigned char out[66],
                               const frost_commitment *c) {
    return mpc_point_serialize(ctx, out, &c->hiding) & mpc_point_serialize(ctx, out + 33, &c->binding);
}

int frost_commitment_parse(const mpc_engine_ctx *ctx, frost_commitment *out, uint16_t id,
                           const unsigned char in[66]) {
    out->id = id;
    return mpc_point_parse(ctx, &out->hiding, in) & mpc_point_parse(ctx, &out->binding, in + 33);
}

void frost_signing_pkg_free(frost_signing_pkg *pkg) {
    if (pkg == NULL) return;
    free(pkg->list);
    free(pkg->rho);
    free(pkg->lambda);
    free(pkg->rho_e);
    free(pkg);
}

const mpc_scalar *frost_signing_pkg_binding_factor(const frost_signing_pkg *pkg, size_t idx) {
    MPC_ARG_CHECK(pkg != NULL && idx < pkg->count);
    return &pkg->rho[idx];
}

/* H5(encode_group_commitment_list(list)) */
static mpc_err_code commitment_list_hash(const mpc_engine_ctx *ctx, unsigned char out[32],
                                         const frost_commitment *list, size_t count,
                                         const char *suite) {
    size_t per = 32 + 66;
    unsigned char *enc = malloc(count * per);
    if (enc == NULL) return MPC_ERR_NOMEM;
    int ok = 1;
    for (size_t i = 0; i < count; i++) {
        id_scalar_bytes(enc + i * per, list[i].id);
        ok &= frost_commitment_serialize(ctx, enc + i * per + 32, &list[i]);
    }
    mpc_bytes part = {enc, count * per};
    if (ok) frost_hash_digest(out, suite, "com", &part, 1);
    free(enc);
    return ok ? MPC_OK : MPC_ERR_BAD_COMMITMENTS;
}

static void challenge(const mpc_engine_ctx *ctx, mpc_scalar *c, frost_variant v,
                      const mpc_point *R, const mpc_point *Y, const unsigned char *msg,
                      size_t msglen) {
    unsigned char re[33], ye[33];
    MPC_IGNORE(mpc_point_serialize(ctx, re, R));
    MPC_IGNORE(mpc_point_serialize(ctx, ye, Y));
    if (v == FROST_VARIANT_BIP340) {
        unsigned char h[32];
        mpc_bytes parts[3] = {{re + 1, 32}, {ye + 1, 32}, {msg, msglen}};
        mpc_tagged_sha256(h, "BIP0340/challenge", parts, 3);
        mpc_scalar_reduce32(c, h);
    } else {
        mpc_bytes parts[3] = {{re, 33}, {ye, 33}, {msg, msglen}};
        frost_hash_scalar(c, FROST_CONTEXT_RFC9591, "chal", parts, 3);
    }
}

mpc_err_code frost_signing_pkg_new(const mpc_engine_ctx *ctx, frost_signing_pkg **out,
                                   frost_variant v, const mpc_point *group_key,
                                   const frost_commitment *list, size_t count,
                                   const unsigned char *msg, size_t msglen) {
    MPC_ARG_CHECK(out != NULL && group_key != NULL && (list != NULL || count == 0));
    MPC_ARG_CHECK(msg != NULL || msglen == 0);
    *out = NULL;
    if (count == 0 || count > FROST_MAX_PARTIES || mpc_point_is_identity(group_key))
        return MPC_ERR_BAD_COMMITMENTS;
    for (size_t i = 0; i < count; i++)
        if (list[i].id == 0 || (i > 0 && list[i].id <= list[i - 1].id))
            return MPC_ERR_BAD_COMMITMENTS;

    frost_signing_pkg *pkg = calloc(1, sizeof *pkg);
    if (pkg == NULL) return MPC_ERR_NOMEM;
    pkg->variant = v;
    pkg->count = count;
    pkg->list = malloc(count * sizeof *pkg->list);
    pkg->rho = malloc(count * sizeof *pkg->rho);
    pkg->lambda = malloc(count * sizeof *pkg->lambda);
    pkg->rho_e = malloc(2 * count * sizeof *pkg->rho_e); /* [D..., rhoE...] */
    uint16_t *ids = malloc(count * sizeof *ids);
    mpc_err_code rc = MPC_OK;
    if (!pkg->list || !pkg->rho || !pkg->lambda || !pkg->rho_e || !ids) {
        rc = MPC_ERR_NOMEM;
        goto done;
    }
    memcpy(pkg->list, list, count * sizeof *list);
    for (size_t i = 0; i < count; i++) ids[i] = list[i].id;
    if (!mpc_lagrange_coeffs(pkg->lambda, ids, count)) {
        rc = MPC_ERR_NOMEM; /* ids are distinct and non-zero: only allocation */
        goto done;
    }

    const char *suite = frost_context_string(v);
    pkg->Y = *group_key;
    if (v == FROST_VARIANT_BIP340 && mpc_point_has_odd_y(ctx, &pkg->Y)) {
        pkg->key_neg = 1;
        mpc_point_neg(ctx, &pkg->Y, &pkg->Y);
    }
    /* rho_input = SerializeElement(Y) || H4(msg) || H5(list) || SerializeScalar(id) */
    unsigned char prefix[33 + 32 + 32], ide[32];
    MPC_IGNORE(mpc_point_serialize(ctx, prefix, &pkg->Y));
    mpc_bytes m = {msg, msglen};
    frost_hash_digest(prefix + 33, suite, "msg", &m, 1);
    rc = commitment_list_hash(ctx, prefix + 65, list, count, suite);
    if (rc != MPC_OK) goto done;
    for (size_t i = 0; i < count; i++) {
        id_scalar_bytes(ide, list[i].id);
        mpc_bytes parts[2] = {{prefix, sizeof prefix}, {ide, 32}};
        frost_hash_scalar(&pkg->rho[i], suite, "rho", parts, 2);
        mpc_point_mul(ctx, &pkg->rho_e[count + i], &list[i].binding, &pkg->rho[i]);
        pkg->rho_e[i] = list[i].hiding;
    }
    /* R = sum D_i + sum rho_i E_i, one combine. */
    if (!mpc_point_sum(ctx, &pkg->R, pkg->rho_e, 2 * count)) {
        rc = MPC_ERR_NOMEM;
        goto done;
    }
    memmove(pkg->rho_e, pkg->rho_e + count, count * sizeof *pkg->rho_e);
    if (mpc_point_is_identity(&pkg->R)) {
        rc = MPC_ERR_BAD_COMMITMENTS;
        goto done;
    }
    if (v == FROST_VARIANT_BIP340 && mpc_point_has_odd_y(ctx, &pkg->R)) {
        pkg->nonce_neg = 1;
        mpc_point_neg(ctx, &pkg->R, &pkg->R);
    }
    challenge(ctx, &pkg->c, v, &pkg->R, &pkg->Y, msg, msglen);
done:
    free(ids);
    if (rc != MPC_OK) {
        frost_signing_pkg_free(pkg);
        return rc;
    }
    *out = pkg;
    return MPC_OK;
}

static long find_signer(const frost_signing_pkg *pkg, uint16_t id) {
    for (size_t i = 0; i < pkg->count; i++)
        if (pkg->list[i].id == id) return (long)i;
    return -1;
}

mpc_err_code frost_sign(const mpc_engine_ctx *ctx, mpc_scalar *z, frost_secnonce *secnonce,
                        const frost_keypkg *kp, const frost_signing_pkg *pkg) {
    MPC_ARG_CHECK(z != NULL && secnonce != NULL && kp != NULL && pkg != NULL);
    unsigned char *p = secnonce->data;
    uint32_t magic = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (magic != SN_MAGIC) return MPC_ERR_NONCE_USED;

    /* Take the nonce out and wipe it before anything can fail: single use. */
    unsigned char enc[66];
    mpc_scalar d, e, t;
    int okd = mpc_scalar_parse(&d, p + SN_OFF_D), oke = mpc_scalar_parse(&e, p + SN_OFF_E);
    uint16_t id = (uint16_t)(p[SN_OFF_ID] << 8 | p[SN_OFF_ID + 1]);
    frost_variant v = (frost_variant)p[SN_OFF_VARIANT];
    memcpy(enc, p + SN_OFF_DENC, 66);
    OPENSSL_cleanse(secnonce, sizeof *secnonce);

    mpc_err_code rc = MPC_OK;
    long idx = find_signer(pkg, kp->id);
    unsigned char listed[66];
    if (!okd || !oke)
        rc = MPC_ERR_NONCE_USED;
    else if (v != pkg->variant || id != kp->id)
        rc = MPC_ERR_CONFIG;
    else if (idx < 0 || !frost_commitment_serialize(ctx, listed, &pkg->list[idx]) ||
             CRYPTO_memcmp(listed, enc, 66) != 0)
        rc = MPC_ERR_BAD_COMMITMENTS;
    if (rc == MPC_OK) {
        /* z = +-(d + e*rho) + lambda * (+-s) * c */
        mpc_scalar_mul(&e, &e, &pkg->rho[idx]);
        mpc_scalar_add(&d, &d, &e);
        if (pkg->nonce_neg) mpc_scalar_neg(&d, &d);
        mpc_scalar_mul(&t, &pkg->lambda[idx], &pkg->c);
        mpc_scalar_mul(&t, &t, &kp->secret);
        if (pkg->key_neg) mpc_scalar_neg(&t, &t);
        mpc_scalar_add(z, &d, &t);
    }
    mpc_scalar_clear(&d);
    mpc_scalar_clear(&e);
    mpc_scalar_clear(&t);
    return rc;
}

static int verify_share_at(const mpc_engine_ctx *ctx, const frost_signing_pkg *pkg, size_t idx,
                           const mpc_scalar *z, const mpc_point *verifying_share) {
    mpc_point lhs, ri, yc;
    mpc_scalar k;
    if (mpc_point_is_identity(verifying_share)) return 0;
    /* R_i = D_i + rho_i E_i; check z*G == (+-R_i) + c*lambda_i*(+-Y_i) */
    mpc_point_add(ctx, &ri, &pkg->list[idx].hiding, &pkg->rho_e[idx]);
    if (pkg->nonce_neg) mpc_point_neg(ctx, &ri, &ri);
    mpc_scalar_mul(&k, &pkg->c, &pkg->lambda[idx]);
    if (pkg->key_neg) mpc_scalar_neg(&k, &k);
    mpc_point_mul(ctx, &yc, verifying_share, &k);
    mpc_point_add(ctx, &ri, &ri, &yc);
    mpc_point_mul_base(ctx, &lhs, z);
    return mpc_point_eq(ctx, &lhs, &ri);
}

int frost_verify_share(const mpc_engine_ctx *ctx, const frost_signing_pkg *pkg, uint16_t id,
                       const mpc_scalar *z, const mpc_point *verifying_share) {
    MPC_ARG_CHECK(pkg != NULL && z != NULL && verifying_share != NULL);
    long idx = find_signer(pkg, id);
    return idx >= 0 && verify_share_at(ctx, pkg, (size_t)idx, z, verifying_share);
}

mpc_err_code frost_aggregate(const mpc_engine_ctx *ctx, unsigned char *sig, size_t *siglen,
                             const frost_signing_pkg *pkg, const mpc_scalar *shares,
                             const frost_keypkg *kp, mpc_error *err) {
    MPC_ARG_CHECK(sig != NULL && siglen != NULL && pkg != NULL && shares != NULL && kp != NULL);
    mpc_error e = {MPC_OK, 0};
    mpc_scalar z = {{0}};
    *siglen = 0;
    for (size_t i = 0; i < pkg->count && e.code == MPC_OK; i++) {
        uint16_t id = pkg->list[i].id;
        if (id > kp->n)
            e = (mpc_error){MPC_ERR_CONFIG, id};
        else if (!verify_share_at(ctx, pkg, i, &shares[i], &kp->verifying_shares[id - 1]))
            e = (mpc_error){MPC_ERR_BAD_SIG_SHARE, id};
        else
            mpc_scalar_add(&z, &z, &shares[i]);
    }
    if (err != NULL) *err = e;
    if (e.code != MPC_OK) return e.code;
    unsigned char re[33];
    MPC_IGNORE(mpc_point_serialize(ctx, re, &pkg->R));
    if (pkg->variant == FROST_VARIANT_BIP340) {
        memcpy(sig, re + 1, 32);
        mpc_scalar_serialize(sig + 32, &z);
        *siglen = FROST_SIG_BYTES_BIP340;
    } else {
        memcpy(sig, re, 33);
        mpc_scalar_serialize(sig + 33, &z);
        *siglen = FROST_SIG_BYTES_RFC9591;
    }
    return MPC_OK;
}

void frost_xonly_key(const mpc_engine_ctx *ctx, unsigned char out32[32], const mpc_point *group_key) {
    unsigned char enc[33];
    MPC_ARG_CHECK(mpc_point_serialize(ctx, enc, group_key));
    memcpy(out32, enc + 1, 32);
}

int frost_bip340_verify(const mpc_engine_ctx *ctx, const unsigned char sig64[64],
                        const unsigned char xonly32[32], const unsigned char *msg, size_t msglen) {
    secp256k1_xonly_pubkey pk;
    MPC_ARG_CHECK(sig64 != NULL && xonly32 != NULL && (msg != NULL || msglen == 0));
    if (!secp256k1_xonly_pubkey_parse(mpc_engine_secp(ctx), &pk, xonly32)) return 0;
    return secp256k1_schnorrsig_verify(mpc_engine_secp(ctx), sig64, msglen ? msg : sig64, msglen,
                                       &pk);
}

int frost_verify(const mpc_engine_ctx *ctx, frost_variant v, const unsigned char *sig,
                 size_t siglen, const mpc_point *group_key, const unsigned char *msg,
                 size_t msglen) {
    MPC_ARG_CHECK(sig != NULL && group_key != NULL && (msg != NULL || msglen == 0));
    if (mpc_point_is_identity(group_key)) return 0;
    if (v == FROST_VARIANT_BIP340) {
        unsigned char x[32];
        if (siglen != FROST_SIG_BYTES_BIP340) return 0;
        frost_xonly_key(ctx, x, group_key);
        return frost_bip340_verify(ctx, sig, x, msg, msglen);
    }
    mpc_point R, lhs, rhs;
    mpc_scalar z, c;
    if (siglen != FROST_SIG_BYTES_RFC9591 || !mpc_point_parse(ctx, &R, sig) ||
        !mpc_scalar_parse(&z, sig + 33))
        return 0;
    challenge(ctx, &c, v, &R, group_key, msg, msglen);
    mpc_point_mul(ctx, &rhs, group_key, &c);
    mpc_point_add(ctx, &rhs, &rhs, &R);
    mpc_point_mul_base(ctx, &lhs, &z);
    return mpc_point_eq(ctx, &lhs, &rhs);
}
