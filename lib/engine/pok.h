/* pok.h - Schnorr proof of knowledge of a discrete logarithm, as used by the
 * FROST DKG (RFC 9591 Appendix C; the challenge matches ZF FROST's `dkg`):
 *
 *   prove:  k random, R = k*G, c = H_dkg(id || A || R || context),
 *           mu = k + a*c, proof = (R, mu)                  for A = a*G
 *   verify: R == mu*G - c*A
 *
 * where H_dkg is hash_to_field with DST = context_string || "dkg", id is the
 * 32-byte scalar encoding of the prover's identifier, A and R are 33-byte
 * compressed points. `context` is appended verbatim (all earlier fields are
 * fixed-length, so this stays unambiguous); pass an empty context to match
 * ZF FROST, or a session-bound digest to stop cross-session replay.
 */
#ifndef MPC_ENGINE_POK_H
#define MPC_ENGINE_POK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "engine/point.h"
#include "engine/scalar.h"

#define MPC_POK_BYTES 65 /* R (33) || mu (32) */

typedef struct mpc_pok {
    mpc_point R;
    mpc_scalar mu;
} mpc_pok;

/* Prove knowledge of secret for public = secret*G.
 * Returns: 1 on success, 0 if the rng failed.
 * Out: out. In: id (prover), secret, public, context_string (ciphersuite
 * context, e.g. FROST_CONTEXT_RFC9591), context[0..ctxlen). */
MPC_WUR int mpc_pok_prove(const mpc_engine_ctx *ctx, mpc_pok *out, uint16_t id,
                          const mpc_scalar *secret, const mpc_point *public,
                          const char *context_string, const unsigned char *context,
                          size_t ctxlen);

/* Returns: 1 if proof is valid for (id, public, context), else 0. */
MPC_WUR int mpc_pok_verify(const mpc_engine_ctx *ctx, const mpc_pok *proof, uint16_t id,
                           const mpc_point *public, const char *context_string,
                           const unsigned char *context, size_t ctxlen);

/* Returns: 1 on success, 0 if R is the identity. Out: out[0..65). */
MPC_WUR int mpc_pok_serialize(const mpc_engine_ctx *ctx, unsigned char out[MPC_POK_BYTES],
                              const mpc_pok *proof);

/* Returns: 1 if in encodes a valid point and a canonical scalar, else 0. */
MPC_WUR int mpc_pok_parse(const mpc_engine_ctx *ctx, mpc_pok *out,
                          const unsigned char in[MPC_POK_BYTES]);

#endif
