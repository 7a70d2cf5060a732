/* point.c - group elements over libsecp256k1's public-key API, with the
 * identity tracked explicitly. */
#include "engine/point.h"

#include <stdlib.h>
#include <string.h>

void mpc_point_set_identity(mpc_point *p) {
    MPC_ARG_CHECK(p != NULL);
    memset(p, 0, sizeof *p);
    p->infinity = 1;
}

int mpc_point_is_identity(const mpc_point *p) { return p->infinity != 0; }

void mpc_point_mul_base(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_scalar *k) {
    MPC_ARG_CHECK(r != NULL && k != NULL);
    memset(r, 0, sizeof *r);
    /* Fails exactly when k == 0 (k is always reduced). */
    r->infinity = !secp256k1_ec_pubkey_create(mpc_engine_secp(ctx), &r->pk, k->b);
}

void mpc_point_mul(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *p,
                   const mpc_scalar *k) {
    MPC_ARG_CHECK(r != NULL && p != NULL && k != NULL);
    if (p->infinity || mpc_scalar_is_zero(k)) {
        mpc_point_set_identity(r);
        return;
    }
    mpc_point t = *p;
    /* Cannot fail: k is non-zero and reduced, the group has prime order. */
    t.infinity = !secp256k1_ec_pubkey_tweak_mul(mpc_engine_secp(ctx), &t.pk, k->b);
    *r = t;
}

void mpc_point_add(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *a,
                   const mpc_point *b) {
    MPC_ARG_CHECK(r != NULL && a != NULL && b != NULL);
    if (a->infinity) {
        *r = *b;
        return;
    }
    if (b->infinity) {
        *r = *a;
        return;
    }
    const secp256k1_pubkey *ins[2] = {&a->pk, &b->pk};
    mpc_point t;
    memset(&t, 0, sizeof t);
    /* combine fails exactly when the sum is the point at infinity. */
    t.infinity = !secp256k1_ec_pubkey_combine(mpc_engine_secp(ctx), &t.pk, ins, 2);
    *r = t;
}

int mpc_point_sum(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *pts, size_t len) {
    MPC_ARG_CHECK(r != NULL && (pts != NULL || len == 0));
    const secp256k1_pubkey *stack_ins[16];
    const secp256k1_pubkey **ins = stack_ins;
    if (len > 16) {
        ins = malloc(len * sizeof *ins);
        if (ins == NULL) return 0;
    }
    size_t m = 0;
    for (size_t i = 0; i < len; i++)
        if (!pts[i].infinity) ins[m++] = &pts[i].pk;
    mpc_point t;
    memset(&t, 0, sizeof t);
    t.infinity = (m == 0) || !secp256k1_ec_pubkey_combine(mpc_engine_secp(ctx), &t.pk, ins, m);
    if (ins != stack_ins) free(ins);
    *r = t;
    return 1;
}

void mpc_point_neg(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *a) {
    MPC_ARG_CHECK(r != NULL && a != NULL);
    *r = *a;
    if (!r->infinity) MPC_IGNORE(secp256k1_ec_pubkey_negate(mpc_engine_secp(ctx), &r->pk));
}

int mpc_point_parse(const mpc_engine_ctx *ctx, mpc_point *r, const unsigned char in[33]) {
    MPC_ARG_CHECK(r != NULL && in != NULL);
    mpc_point_set_identity(r);
    if (in[0] != 0x02 && in[0] != 0x03) return 0;
    if (!secp256k1_ec_pubkey_parse(mpc_engine_secp(ctx), &r->pk, in, 33)) {
        mpc_point_set_identity(r);
        return 0;
    }
    r->infinity = 0;
    return 1;
}

int mpc_point_serialize(const mpc_engine_ctx *ctx, unsigned char out[33], const mpc_point *p) {
    MPC_ARG_CHECK(out != NULL && p != NULL);
    size_t len = 33;
    if (p->infinity) {
        memset(out, 0, 33);
        return 0;
    }
    return secp256k1_ec_pubkey_serialize(mpc_engine_secp(ctx), out, &len, &p->pk,
                                         SECP256K1_EC_COMPRESSED);
}

int mpc_point_eq(const mpc_engine_ctx *ctx, const mpc_point *a, const mpc_point *b) {
    if (a->infinity || b->infinity) return a->infinity && b->infinity;
    return secp256k1_ec_pubkey_cmp(mpc_engine_secp(ctx), &a->pk, &b->pk) == 0;
}

int mpc_point_has_odd_y(const mpc_engine_ctx *ctx, const mpc_point *p) {
    unsigned char enc[33];
    MPC_ARG_CHECK(!p->infinity);
    MPC_IGNORE(mpc_point_serialize(ctx, enc, p));
    return enc[0] == 0x03;
}
