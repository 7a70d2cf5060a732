/* hash.h - SHA-256 based hashing: multi-part SHA-256, BIP-340 tagged hashes,
 * RFC 9380 expand_message_xmd / hash_to_field, and the RFC 9591 FROST hash
 * functions H1..H5 (plus the DKG challenge hash) for a given context string.
 *
 * Inputs are passed as arrays of (pointer, length) parts that are hashed as
 * their plain concatenation; callers that need unambiguous encodings of
 * variable-length fields use transcript.h instead.
 */
#ifndef MPC_ENGINE_HASH_H
#define MPC_ENGINE_HASH_H

#include <stddef.h>

#include "engine/errors.h"
#include "engine/scalar.h"

typedef struct mpc_bytes {
    const unsigned char *p;
    size_t len;
} mpc_bytes;

/* Out: out32 = SHA-256(parts[0] || ... || parts[nparts-1]). */
void mpc_sha256(unsigned char out32[32], const mpc_bytes *parts, size_t nparts);

/* Out: out32 = SHA-256(SHA-256(tag) || SHA-256(tag) || parts...) (BIP-340). */
void mpc_tagged_sha256(unsigned char out32[32], const char *tag, const mpc_bytes *parts,
                       size_t nparts);

/* RFC 9380 expand_message_xmd with SHA-256.
 * Returns: 1 on success, 0 if outlen > 8160, outlen == 0 or dstlen > 255.
 * Out: out[0..outlen). In: msg parts, dst[0..dstlen). */
MPC_WUR int mpc_expand_message_xmd(unsigned char *out, size_t outlen, const mpc_bytes *parts,
                                   size_t nparts, const unsigned char *dst, size_t dstlen);

/* RFC 9380 hash_to_field for secp256k1's scalar field, count 1, L = 48:
 * out = OS2IP(expand_message_xmd(msg, dst, 48)) mod n. dstlen <= 255. */
void mpc_hash_to_scalar(mpc_scalar *out, const mpc_bytes *parts, size_t nparts,
                        const unsigned char *dst, size_t dstlen);

/* FROST hash-to-scalar functions of RFC 9591 Section 6.5:
 *   tag "rho" = H1, "chal" = H2, "nonce" = H3, "dkg" = the DKG challenge.
 * Out: out = hash_to_field(msg, DST = context_string || tag). */
void frost_hash_scalar(mpc_scalar *out, const char *context_string, const char *tag,
                       const mpc_bytes *parts, size_t nparts);

/* FROST digest functions: tag "msg" = H4, "com" = H5.
 * Out: out32 = SHA-256(context_string || tag || msg). */
void frost_hash_digest(unsigned char out32[32], const char *context_string, const char *tag,
                       const mpc_bytes *parts, size_t nparts);

#endif
