/* scalar.h - integers modulo the secp256k1 group order n.
 *
 * A scalar is its 32-byte big-endian encoding, always fully reduced (< n),
 * and unlike a libsecp256k1 secret key it may be 0. Arithmetic goes through
 * libsecp256k1's public secret-key functions (tweak_add, tweak_mul, negate);
 * the zero cases those functions reject are handled with constant-time
 * selects, so no operation branches on secret data. Inversion is a fixed
 * exponentiation to n-2. Wipe secret scalars with mpc_scalar_clear.
 */
#ifndef MPC_ENGINE_SCALAR_H
#define MPC_ENGINE_SCALAR_H

#include <stddef.h>
#include <stdint.h>

#include "engine/errors.h"
#include "engine/rng.h"

typedef struct mpc_scalar {
    unsigned char b[32]; /* big-endian, < n */
} mpc_scalar;

/* Out: r = v. */
void mpc_scalar_set_u32(mpc_scalar *r, uint32_t v);

/* Strict parse (RFC 9591 DeserializeScalar).
 * Returns: 1 if in32 encodes a value < n (0 allowed), else 0 (r set to 0). */
MPC_WUR int mpc_scalar_parse(mpc_scalar *r, const unsigned char in32[32]);

/* Out: out32 = big-endian encoding of a. */
void mpc_scalar_serialize(unsigned char out32[32], const mpc_scalar *a);

/* Out: r = (32-byte big-endian in32) mod n. */
void mpc_scalar_reduce32(mpc_scalar *r, const unsigned char in32[32]);

/* Out: r = (48-byte big-endian in48) mod n (RFC 9380 hash_to_field, L=48). */
void mpc_scalar_reduce48(mpc_scalar *r, const unsigned char in48[48]);

/* Out: r = a + b, a - b, a * b, -a (mod n). r may alias a or b. */
void mpc_scalar_add(mpc_scalar *r, const mpc_scalar *a, const mpc_scalar *b);
void mpc_scalar_sub(mpc_scalar *r, const mpc_scalar *a, const mpc_scalar *b);
void mpc_scalar_mul(mpc_scalar *r, const mpc_scalar *a, const mpc_scalar *b);
void mpc_scalar_neg(mpc_scalar *r, const mpc_scalar *a);

/* Out: r = a^-1 mod n (constant time; 0^-1 is defined as 0). */
void mpc_scalar_inv(mpc_scalar *r, const mpc_scalar *a);

/* Out: r[i] = a[i]^-1 for i < len with one inversion (Montgomery's trick).
 * All a[i] must be non-zero (public values, e.g. identifier differences).
 * Returns: 1 on success, 0 if some a[i] is zero or allocation failed. */
MPC_WUR int mpc_scalar_inv_batch(mpc_scalar *r, const mpc_scalar *a, size_t len);

/* Returns: 1 if a == 0 / a == b, else 0 (constant time). */
int mpc_scalar_is_zero(const mpc_scalar *a);
int mpc_scalar_eq(const mpc_scalar *a, const mpc_scalar *b);

/* If flag (0 or 1) is 1, r = a; constant time. */
void mpc_scalar_cmov(mpc_scalar *r, const mpc_scalar *a, int flag);

/* Out: r = a scalar drawn uniformly from [0, n) by rejection sampling.
 * Returns: 1 on success, 0 if the rng failed. */
MPC_WUR int mpc_scalar_random(const mpc_rng *rng, mpc_scalar *r);

/* Wipe a secret scalar (sets it to 0 in a way the compiler keeps). */
void mpc_scalar_clear(mpc_scalar *a);

#endif
