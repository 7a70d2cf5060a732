/* rng.h - injectable source of randomness.
 *
 * Every random byte the engine uses comes through an mpc_rng: a fill callback
 * plus an opaque pointer. Production code uses mpc_rng_os() (getrandom(2)),
 * tests use the deterministic mpc_test_rng (SHA-256 in counter mode over a
 * 32-byte seed) so whole protocol runs can be replayed from a printed seed.
 */
#ifndef MPC_ENGINE_RNG_H
#define MPC_ENGINE_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "engine/errors.h"

/* Fill out[0..len) with random bytes. Returns 1 on success, 0 on failure. */
typedef int (*mpc_rng_fill_fn)(void *ctx, unsigned char *out, size_t len);

typedef struct mpc_rng {
    mpc_rng_fill_fn fill;
    void *ctx;
} mpc_rng;

/* Returns: an rng reading the OS CSPRNG through getrandom(2). */
mpc_rng mpc_rng_os(void);

/* Returns: 1 if len random bytes were written to out, 0 if the source failed.
 * Args: rng: a source with a non-NULL fill. Out: out. */
MPC_WUR int mpc_rng_fill(const mpc_rng *rng, unsigned char *out, size_t len);

/* Deterministic test generator: block k = SHA-256(seed || be64(k)).
 * NOT for production keys. */
typedef struct mpc_test_rng {
    unsigned char seed[32];
    uint64_t counter;
    unsigned char buf[32];
    size_t used; /* bytes of buf already handed out (32 = empty) */
} mpc_test_rng;

/* Initialise a test rng from a 64-bit seed (expanded to 32 bytes). */
void mpc_test_rng_init(mpc_test_rng *t, uint64_t seed);

/* Returns: an mpc_rng drawing from t (t must outlive the returned value). */
mpc_rng mpc_test_rng_source(mpc_test_rng *t);

#endif
