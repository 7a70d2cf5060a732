/* ctx.h - the engine context: one randomized secp256k1 context, the
 * injected randomness source, and a cache of fixed-base exponentiation
 * tables (comb_cache.h). Every engine operation takes one; there is no
 * global state. After mpc_engine_ctx_new the engine only reads the context
 * (the secp256k1 context is randomized once, at creation), except for the
 * table cache, which locks itself and never changes a result. So threads may
 * share one context if its rng may be called from several threads at once:
 * mpc_rng_os() may (getrandom(2), no state); a test rng with state may not
 * (use one context per thread, or lock around it). The participant's worker
 * threads share one context with mpc_rng_os().
 */
#ifndef MPC_ENGINE_CTX_H
#define MPC_ENGINE_CTX_H

#include <secp256k1.h>

#include "engine/errors.h"
#include "engine/rng.h"

typedef struct mpc_engine_ctx mpc_engine_ctx;

/* Create a context.
 * Returns: the context, or NULL if allocation or the rng failed.
 * In: rng: randomness source, copied (its ctx pointer must outlive the
 *          engine context). 32 bytes are drawn to randomize secp256k1
 *          against side channels. */
MPC_WUR mpc_engine_ctx *mpc_engine_ctx_new(const mpc_rng *rng);

/* Destroy a context (NULL is allowed). */
void mpc_engine_ctx_free(mpc_engine_ctx *ctx);

/* Returns: the secp256k1 context owned by ctx (valid until ctx is freed). */
const secp256k1_context *mpc_engine_secp(const mpc_engine_ctx *ctx);

/* Returns: the randomness source of ctx. */
const mpc_rng *mpc_engine_rng(const mpc_engine_ctx *ctx);

/* Returns: 1 on success, 0 if the rng failed. Out: out[0..len). */
MPC_WUR int mpc_engine_random(const mpc_engine_ctx *ctx, unsigned char *out, size_t len);

#endif
