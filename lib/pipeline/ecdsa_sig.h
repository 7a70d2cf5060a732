/* ecdsa_sig.h - the ECDSA side of a GG18/GG20 signing session, shared by
 * the participants (what exactly they sign) and the coordinator (how their
 * output is checked before anything is published).
 *
 * Digest of an item: message_type "hash" signs the 32-byte message as given;
 * "raw" is hashed by the key's chain (session chain_type): SHA-256 for the
 * bitcoin family, Keccak-256 for EVM chains (lib/chain).
 *
 * A signer's output carries, per item, PL_ECDSA_SIG_BYTES bytes:
 * r (32) || s (32, low-S) || recovery id (1, 0..3). It is accepted only if
 * s <= n/2, (r, s) verifies under the group key with libsecp256k1, and
 * public-key recovery with the recovery id yields exactly the group key.
 * Pure: no I/O.
 */
#ifndef MPC_PIPELINE_ECDSA_SIG_H
#define MPC_PIPELINE_ECDSA_SIG_H

#include <stddef.h>

#include "engine/ctx.h"
#include "engine/point.h"
#include "pipeline/session.h"

#define PL_ECDSA_SIG_BYTES 65
#define PL_ECDSA_DER_MAX 72

/* Returns: 1 for "gg18" and "gg20", else 0. */
int pl_is_ecdsa(const char *protocol);

/* Out: out32, the digest item `it` of session d is signed over.
 * Returns: 0, or -1 when a raw message has no known chain to hash it by. */
int pl_item_digest(const pl_session *d, const pl_item *it, unsigned char out32[32])
    __attribute__((warn_unused_result));

/* Returns: 1 if sig[0..len) is a valid output signature (see above) of
 * digest32 under Y, else 0. */
int pl_ecdsa_check(const mpc_engine_ctx *ctx, const mpc_point *Y, const unsigned char digest32[32],
                   const unsigned char *sig, size_t len) __attribute__((warn_unused_result));

/* DER encoding of a compact r || s signature.
 * Returns: 1, or 0 when r or s is out of range. Out: der, *derlen. */
int pl_ecdsa_der(const mpc_engine_ctx *ctx, const unsigned char rs[64], unsigned char der[PL_ECDSA_DER_MAX],
                 size_t *derlen) __attribute__((warn_unused_result));

#endif
