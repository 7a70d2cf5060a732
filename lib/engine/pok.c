/* pok.c - Schnorr proofs of knowledge for the DKG's constant coefficient. */
#include "engine/pok.h"

#include "engine/hash.h"

/* c = H_dkg(SerializeScalar(id) || SerializeElement(A) || SerializeElement(R) || context) */
static int pok_challenge(const mpc_engine_ctx *ctx, mpc_scalar *c, uint16_t id,
                         const mpc_point *public, const mpc_point *R, const char *context_string,
                         const unsigned char *context, size_t ctxlen) {
    unsigned char ide[32], ae[33], re[33];
    mpc_scalar ids;
    mpc_scalar_set_u32(&ids, id);
    mpc_scalar_serialize(ide, &ids);
    if (!mpc_point_serialize(ctx, ae, public) || !mpc_point_serialize(ctx, re, R)) return 0;
    mpc_bytes parts[4] = {{ide, 32}, {ae, 33}, {re, 33}, {context, ctxlen}};
    frost_hash_scalar(c, context_string, "dkg", parts, 4);
    return 1;
}

int mpc_pok_prove(const mpc_engine_ctx *ctx, mpc_pok *out, uint16_t id, const mpc_scalar *secret,
                  const mpc_point *public, const char *context_string,
                  const unsigned char *context, size_t ctxlen) {
    mpc_scalar k, c;
    MPC_ARG_CHECK(out != NULL && secret != NULL && public != NULL && context_string != NULL);
    MPC_ARG_CHECK(context != NULL || ctxlen == 0);
    do {
        if (!mpc_scalar_random(mpc_engine_rng(ctx), &k)) return 0;
    } while (mpc_scalar_is_zero(&k));
    mpc_point_mul_base(ctx, &out->R, &k);
    if (!pok_challenge(ctx, &c, id, public, &out->R, context_string, context, ctxlen)) {
        mpc_scalar_clear(&k);
        return 0;
    }
    mpc_scalar_mul(&out->mu, secret, &c);
    mpc_scalar_add(&out->mu, &out->mu, &k);
    mpc_scalar_clear(&k);
    return 1;
}

int mpc_pok_verify(const mpc_engine_ctx *ctx, const mpc_pok *proof, uint16_t id,
                   const mpc_point *public, const char *context_string,
                   const unsigned char *context, size_t ctxlen) {
    mpc_scalar c;
    mpc_point lhs, t;
    MPC_ARG_CHECK(proof != NULL && public != NULL && context_string != NULL);
    if (mpc_point_is_identity(public) || mpc_point_is_identity(&proof->R)) return 0;
    if (!pok_challenge(ctx, &c, id, public, &proof->R, context_string, context, ctxlen)) return 0;
    mpc_scalar_neg(&c, &c);
    mpc_point_mul(ctx, &t, public, &c);
    mpc_point_mul_base(ctx, &lhs, &proof->mu);
    mpc_point_add(ctx, &lhs, &lhs, &t);
    return mpc_point_eq(ctx, &lhs, &proof->R);
}

int mpc_pok_serialize(const mpc_engine_ctx *ctx, unsigned char out[MPC_POK_BYTES],
                      const mpc_pok *proof) {
    if (!mpc_point_serialize(ctx, out, &proof->R)) return 0;
    mpc_scalar_serialize(out + 33, &proof->mu);
    return 1;
}

int mpc_pok_parse(const mpc_engine_ctx *ctx, mpc_pok *out, const unsigned char in[MPC_POK_BYTES]) {
    int ok = mpc_point_parse(ctx, &out->R, in);
    ok &= mpc_scalar_parse(&out->mu, in + 33);
    return ok;
}
