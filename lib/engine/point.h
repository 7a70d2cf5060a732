/* point.h - secp256k1 group elements.
 *
 * A point wraps a secp256k1_pubkey plus an explicit identity flag, since
 * libsecp256k1 cannot represent the point at infinity. The encoding is the
 * 33-byte compressed SEC1 form (RFC 9591 SerializeElement); the identity has
 * no encoding: serializing it fails and parsing never yields it.
 *
 * Only mpc_point_mul_base is constant time in its scalar; mpc_point_mul uses
 * libsecp256k1's variable-time multiplication and must only be given public
 * scalars (binding factors, challenges, Lagrange coefficients, identifiers).
 */
#ifndef MPC_ENGINE_POINT_H
#define MPC_ENGINE_POINT_H

#include <secp256k1.h>

#include "engine/ctx.h"
#include "engine/errors.h"
#include "engine/scalar.h"

#define MPC_POINT_BYTES 33

typedef struct mpc_point {
    secp256k1_pubkey pk; /* valid only when !infinity */
    int infinity;
} mpc_point;

/* Out: p = identity. */
void mpc_point_set_identity(mpc_point *p);

/* Returns: 1 if p is the identity. */
int mpc_point_is_identity(const mpc_point *p);

/* Out: r = k*G (constant time in k; identity when k == 0). */
void mpc_point_mul_base(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_scalar *k);

/* Out: r = k*p. VARIABLE TIME in k: k must be public. */
void mpc_point_mul(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *p,
                   const mpc_scalar *k);

/* Out: r = a + b. r may alias a or b. */
void mpc_point_add(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *a,
                   const mpc_point *b);

/* Out: r = sum of pts[0..len) (identity for len == 0).
 * Returns: 1 on success, 0 on allocation failure. */
MPC_WUR int mpc_point_sum(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *pts,
                          size_t len);

/* Out: r = -a. */
void mpc_point_neg(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *a);

/* Parse a 33-byte compressed point (RFC 9591 DeserializeElement).
 * Returns: 1 if valid, 0 otherwise (r is then the identity). */
MPC_WUR int mpc_point_parse(const mpc_engine_ctx *ctx, mpc_point *r,
                            const unsigned char in[MPC_POINT_BYTES]);

/* Returns: 1 on success, 0 if p is the identity (out zeroed). */
MPC_WUR int mpc_point_serialize(const mpc_engine_ctx *ctx, unsigned char out[MPC_POINT_BYTES],
                                const mpc_point *p);

/* Returns: 1 if a == b (identity equals only identity). */
int mpc_point_eq(const mpc_engine_ctx *ctx, const mpc_point *a, const mpc_point *b);

/* Returns: 1 if p (not the identity) has an odd y coordinate. */
int mpc_point_has_odd_y(const mpc_engine_ctx *ctx, const mpc_point *p);

#endif
