/* comb_cache.h - a bounded, thread-safe memo of comb tables (comb.h), so a
 * fixed base such as a peer's ring-Pedersen s or t is tabulated once per
 * process instead of once per proof. Internal to the engine; the engine
 * context owns one (mpc_engine_combs).
 *
 * Tables are found by SHA-256 over (exponent bound, modulus, base). Results
 * never depend on the cache: a miss builds the table, and when every slot
 * is in use the table is built, used and freed. Eviction takes the least
 * recently used table that no thread is using (a reference count, under the
 * cache's mutex, keeps a table alive while a thread exponentiates with it;
 * the exponentiation itself runs outside the lock).
 */
#ifndef MPC_ENGINE_COMB_CACHE_H
#define MPC_ENGINE_COMB_CACHE_H

#include <stddef.h>

#include <openssl/bn.h>

#include "engine/ctx.h"
#include "engine/errors.h"

/* Tables kept by an engine context: about 40 KiB each for a 2048-bit
 * modulus, six per peer key (see zk_range.c), so 256 cover 42 peer keys in
 * about 10 MiB. */
#define MPC_COMB_CACHE_ENTRIES 256

typedef struct mpc_comb_cache mpc_comb_cache;

/* Returns: an empty cache of at most capacity tables (0: never keeps one),
 * or NULL on allocation failure. */
MPC_WUR mpc_comb_cache *mpc_comb_cache_new(size_t capacity);

/* Free the cache and its tables (NULL allowed). No thread may be using it. */
void mpc_comb_cache_free(mpc_comb_cache *cc);

/* Out: r = base^e mod m, constant-time in e (secret, 0 <= e < 2^bits), with
 * the table of (base, m, bits), built on first use. An e longer than bits
 * (only a cheater's own inputs) falls back to BN_mod_exp_mont_consttime.
 * m odd; base and m public. Returns: 1 on success, 0 on allocation failure
 * or bad arguments. */
MPC_WUR int mpc_comb_cache_exp(mpc_comb_cache *cc, BIGNUM *r, const BIGNUM *base, const BIGNUM *m,
                               const BIGNUM *e, int bits, BN_CTX *bc);

/* Returns: how many tables the cache holds (tests). */
size_t mpc_comb_cache_count(mpc_comb_cache *cc);

/* Returns: the engine context's cache (defined in ctx.c). */
mpc_comb_cache *mpc_engine_combs(const mpc_engine_ctx *ctx);

#endif
