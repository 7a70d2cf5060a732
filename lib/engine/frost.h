/* frost.h - FROST threshold Schnorr signing (RFC 9591) for secp256k1.
 *
 * Two variants share one code path:
 *   FROST_VARIANT_RFC9591  ciphersuite FROST(secp256k1, SHA-256), context
 *                          "FROST-secp256k1-SHA256-v1"; signature is
 *                          SerializeElement(R) (33) || SerializeScalar(z) (32).
 *   FROST_VARIANT_BIP340   Taproot/BIP-340: the group key is used as the x-only
 *                          key with even y (shares negated when Y has odd y),
 *                          the group commitment R is forced to even y (nonces
 *                          negated consistently), the challenge is the BIP-340
 *                          tagged hash "BIP0340/challenge"(R.x || Y.x || msg),
 *                          and the 64-byte signature R.x || z verifies with
 *                          secp256k1_schnorrsig_verify. Nonce and binding
 *                          hashes use context "FROST-secp256k1-SHA256-TR-v1".
 *                          No BIP-341 tweak is applied (see docs/engine.md).
 *
 * Flow (coordinator form; frost_session.h wraps it as a state machine):
 *   round 1  each signer: frost_commit -> secret nonce (kept) + commitment
 *   round 2  each signer: frost_signing_pkg_new over all commitments, then
 *            frost_sign -> signature share (consumes the secret nonce)
 *   aggregate: frost_aggregate verifies every share (naming the culprit)
 *            and outputs the signature; frost_verify checks one.
 *
 * Secret nonces are opaque, single-use and never serialisable: frost_sign
 * wipes the nonce before computing, and signing with a wiped/used/copied-
 * after-use nonce fails with MPC_ERR_NONCE_USED. Never copy a frost_secnonce
 * and never persist it: after a crash round-1 state is simply gone and the
 * signer must start a new round 1.
 */
#ifndef MPC_ENGINE_FROST_H
#define MPC_ENGINE_FROST_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "engine/errors.h"
#include "engine/frost_keys.h"
#include "engine/point.h"
#include "engine/scalar.h"

#define FROST_CONTEXT_RFC9591 "FROST-secp256k1-SHA256-v1"
#define FROST_CONTEXT_BIP340 "FROST-secp256k1-SHA256-TR-v1"

typedef enum frost_variant { FROST_VARIANT_RFC9591 = 0, FROST_VARIANT_BIP340 = 1 } frost_variant;

#define FROST_SIG_BYTES_RFC9591 65
#define FROST_SIG_BYTES_BIP340 64
#define FROST_SIG_MAX_BYTES 65
#define FROST_COMMITMENT_BYTES 66 /* hiding (33) || binding (33) */

/* Returns: the context string of a variant. */
const char *frost_context_string(frost_variant v);

/* A signer's public round-1 output. */
typedef struct frost_commitment {
    uint16_t id;
    mpc_point hiding;  /* D = d*G */
    mpc_point binding; /* E = e*G */
} frost_commitment;

/* Opaque secret nonce pair; see the header comment for the rules. */
typedef struct frost_secnonce {
    unsigned char data[140];
} frost_secnonce;

/* Round 1: draw 2 x 32 bytes of randomness and derive
 * d = H3(rand_d || SerializeScalar(secret)), e = H3(rand_e || ...).
 * Returns: MPC_OK, or MPC_ERR_RNG.
 * Out: secnonce, out (id = kp->id). In: rng: source of the nonce randomness
 * (NULL = the context's rng); kp: signer's key package; v: variant. */
MPC_WUR mpc_err_code frost_commit(const mpc_engine_ctx *ctx, const mpc_rng *rng,
                                  frost_secnonce *secnonce, frost_commitment *out,
                                  const frost_keypkg *kp, frost_variant v);

/* Encode D || E (66 bytes). Returns: 1, or 0 if a point is the identity. */
MPC_WUR int frost_commitment_serialize(const mpc_engine_ctx *ctx,
                                       unsigned char out[FROST_COMMITMENT_BYTES],
                                       const frost_commitment *c);
/* Decode D || E for signer id. Returns: 1 if both points are valid. */
MPC_WUR int frost_commitment_parse(const mpc_engine_ctx *ctx, frost_commitment *out, uint16_t id,
                                   const unsigned char in[FROST_COMMITMENT_BYTES]);

/* Everything round 2 derives from the commitment list and message, computed
 * once and shared by signing, share verification and aggregation. */
typedef struct frost_signing_pkg frost_signing_pkg;

/* Build the signing package: binding factors (H1 over H4(msg), H5(list)),
 * group commitment, challenge, Lagrange coefficients.
 * Returns: MPC_OK; MPC_ERR_BAD_COMMITMENTS if list is empty, not strictly
 * sorted by id, has id 0 or the group commitment is the identity;
 * MPC_ERR_NOMEM.
 * Out: *out (free with frost_signing_pkg_free). In: group_key, list[0..count)
 * (copied), msg[0..msglen). */
MPC_WUR mpc_err_code frost_signing_pkg_new(const mpc_engine_ctx *ctx, frost_signing_pkg **out,
                                           frost_variant v, const mpc_point *group_key,
                                           const frost_commitment *list, size_t count,
                                           const unsigned char *msg, size_t msglen);
void frost_signing_pkg_free(frost_signing_pkg *pkg);

/* Returns: the binding factor of signer number idx in the list (tests). */
const mpc_scalar *frost_signing_pkg_binding_factor(const frost_signing_pkg *pkg, size_t idx);

/* Round 2: z = d + e*rho + lambda*s*c (with BIP-340 negations).
 * Returns: MPC_OK; MPC_ERR_NONCE_USED if secnonce is not a fresh nonce;
 * MPC_ERR_BAD_COMMITMENTS if the package lacks this signer or lists other
 * commitments for it than the nonce's (the nonce is consumed in that case too);
 * MPC_ERR_CONFIG on variant mismatch.
 * Out: z. In/Out: secnonce (wiped on every path past the freshness check). */
MPC_WUR mpc_err_code frost_sign(const mpc_engine_ctx *ctx, mpc_scalar *z,
                                frost_secnonce *secnonce, const frost_keypkg *kp,
                                const frost_signing_pkg *pkg);

/* Returns: 1 if z is the valid share of signer id (listed in pkg) with
 * verifying share Y_id, else 0. */
MPC_WUR int frost_verify_share(const mpc_engine_ctx *ctx, const frost_signing_pkg *pkg,
                               uint16_t id, const mpc_scalar *z, const mpc_point *verifying_share);

/* Verify every share, then aggregate.
 * Returns: MPC_OK; MPC_ERR_BAD_SIG_SHARE with err->culprit = the first signer
 * (by id) whose share is invalid; MPC_ERR_CONFIG if a signer id is outside
 * the key package.
 * Out: sig[0..*siglen) (65 bytes RFC 9591, 64 bytes BIP-340; sig must hold
 * FROST_SIG_MAX_BYTES), err. In: shares[i] belongs to the i-th signer of pkg;
 * kp: any key package of the group (only public parts are used). */
MPC_WUR mpc_err_code frost_aggregate(const mpc_engine_ctx *ctx, unsigned char *sig,
                                     size_t *siglen, const frost_signing_pkg *pkg,
                                     const mpc_scalar *shares, const frost_keypkg *kp,
                                     mpc_error *err);

/* Verify a group signature (RFC 9591: z*G == R + c*Y; BIP-340: through
 * secp256k1_schnorrsig_verify under the x-only group key).
 * Returns: 1 if valid, 0 otherwise (including wrong length). */
MPC_WUR int frost_verify(const mpc_engine_ctx *ctx, frost_variant v, const unsigned char *sig,
                         size_t siglen, const mpc_point *group_key, const unsigned char *msg,
                         size_t msglen);

/* Out: out32 = x coordinate of the group key (the BIP-340 x-only key). */
void frost_xonly_key(const mpc_engine_ctx *ctx, unsigned char out32[32],
                     const mpc_point *group_key);

/* BIP-340 verification of sig64 over msg under a 32-byte x-only key.
 * Returns: 1 if valid, 0 otherwise (including an invalid key). */
MPC_WUR int frost_bip340_verify(const mpc_engine_ctx *ctx, const unsigned char sig64[64],
                                const unsigned char xonly32[32], const unsigned char *msg,
                                size_t msglen);

#endif
