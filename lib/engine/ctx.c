/* ctx.c - engine context: owns the secp256k1 context, the rng and the
 * cache of fixed-base tables. */
#include "engine/ctx.h"

#include <stdlib.h>

#include <openssl/crypto.h>

#include "engine/comb_cache.h"

struct mpc_engine_ctx {
    secp256k1_context *secp;
    mpc_rng rng;
    mpc_comb_cache *combs; /* internally locked: the only state that changes */
};

mpc_engine_ctx *mpc_engine_ctx_new(const mpc_rng *rng) {
    unsigned char seed[32];
    MPC_ARG_CHECK(rng != NULL && rng->fill != NULL);
    mpc_engine_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->rng = *rng;
    c->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    c->combs = mpc_comb_cache_new(MPC_COMB_CACHE_ENTRIES);
    if (c->secp == NULL || c->combs == NULL || !mpc_rng_fill(rng, seed, sizeof seed) ||
        !secp256k1_context_randomize(c->secp, seed)) {
        OPENSSL_cleanse(seed, sizeof seed);
        mpc_engine_ctx_free(c);
        return NULL;
    }
    OPENSSL_cleanse(seed, sizeof seed);
    return c;
}

void mpc_engine_ctx_free(mpc_engine_ctx *ctx) {
    if (ctx == NULL) return;
    if (ctx->secp != NULL) secp256k1_context_destroy(ctx->secp);
    mpc_comb_cache_free(ctx->combs);
    free(ctx);
}

const secp256k1_context *mpc_engine_secp(const mpc_engine_ctx *ctx) {
    MPC_ARG_CHECK(ctx != NULL);
    return ctx->secp;
}

const mpc_rng *mpc_engine_rng(const mpc_engine_ctx *ctx) {
    MPC_ARG_CHECK(ctx != NULL);
    return &ctx->rng;
}

int mpc_engine_random(const mpc_engine_ctx *ctx, unsigned char *out, size_t len) {
    MPC_ARG_CHECK(ctx != NULL);
    return mpc_rng_fill(&ctx->rng, out, len);
}

mpc_comb_cache *mpc_engine_combs(const mpc_engine_ctx *ctx) {
    MPC_ARG_CHECK(ctx != NULL);
    return ctx->combs;
}
