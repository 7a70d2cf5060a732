/* ecdsa.h - ECDSA output of GG18/GG20: low-S normalization, recovery id,
 * DER encoding and verification with libsecp256k1.
 */
#ifndef MPC_ENGINE_ECDSA_H
#define MPC_ENGINE_ECDSA_H

#include <stddef.h>

#include "engine/ctx.h"
#include "engine/point.h"
#include "engine/scalar.h"

typedef struct gg_signature {
    unsigned char r[32], s[32]; /* big-endian, s <= n/2 (low-S) */
    int recid;                  /* 0..3: bit 0 = R.y odd, bit 1 = R.x >= n (Ethereum v = 27 + recid) */
    unsigned char der[72];
    size_t derlen;
} gg_signature;

/* Build the final signature from the nonce point R = k^-1 G and s (any of
 * s, -s), normalize to low-S, set the recovery id, encode DER and verify
 * against Y and msg32 (hash as given).
 * Returns: MPC_OK, or MPC_ERR_BAD_SIGNATURE (zero r/s or not verifying). */
MPC_WUR mpc_err_code gg_ecdsa_finalize(const mpc_engine_ctx *ctx, gg_signature *out,
                                       const mpc_point *R, const mpc_scalar *s,
                                       const mpc_point *Y, const unsigned char msg32[32]);

/* Returns: 1 if (r, s) verifies for Y and msg32 (libsecp256k1; high-S is
 * normalized first). */
MPC_WUR int gg_ecdsa_verify(const mpc_engine_ctx *ctx, const unsigned char r[32],
                            const unsigned char s[32], const mpc_point *Y,
                            const unsigned char msg32[32]);

/* Out: r = R.x mod n. Returns: 1 if R.x >= n (the overflow bit of recid). */
int gg_ecdsa_r(const mpc_engine_ctx *ctx, mpc_scalar *r, const mpc_point *R);

#endif
