/*
 * secure/identity.h - a node's long-term secp256k1 identity key.
 *
 * Every node (coordinator instances as node 0, participants 1..255) holds one
 * identity key. Its compressed public key is pinned in the roster
 * (secure/roster.h); the key signs every round message (BIP-340 Schnorr over
 * a 32-byte digest) and, through ECDH, protects point-to-point payloads
 * (secure/envelope.h).
 *
 * Key file: 64 lowercase hex digits and a newline, mode 0600, created with
 * O_EXCL (never overwritten). Loading refuses a file accessible by group or
 * others. The secret never leaves the opaque mpc_identity, which is wiped
 * (OPENSSL_cleanse) when freed.
 *
 * Conventions: see secure/secure.h. Functions taking an mpc_engine_ctx use its
 * secp256k1 context and its randomness source (lib/engine/ctx.h); the engine
 * context is not synchronised, so use one per thread.
 */
#ifndef MPC_SECURE_IDENTITY_H
#define MPC_SECURE_IDENTITY_H

#include "engine/ctx.h"
#include "secure/secure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MPC_IDENTITY_PUBKEY_LEN 33 /* compressed SEC1 point */
#define MPC_IDENTITY_SIG_LEN 64    /* BIP-340 signature */

/* Opaque secret key. Never copy it; free it with mpc_identity_free(). */
typedef struct mpc_identity mpc_identity;

/* Generate a fresh identity key.
 * Returns: MPC_SECURE_OK, MPC_SECURE_ERR_RNG, MPC_SECURE_ERR_NOMEM,
 *          MPC_SECURE_ERR_CRYPTO.
 * Args: ctx: engine context (secp256k1 context and rng).
 * Out:  out: the new key (caller frees with mpc_identity_free); NULL on failure.
 *       err: details (may be NULL).
 */
MPC_WUR int mpc_identity_generate(const mpc_engine_ctx *ctx, mpc_identity **out,
                                  mpc_secure_error *err);

/* Build an identity from a 32-byte secret (tests, import).
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_FORMAT if the secret is zero or not
 *          below the group order; MPC_SECURE_ERR_NOMEM.
 * Out: out: the key, or NULL on failure.
 * In:  secret: 32 bytes, big-endian scalar (not kept; the caller wipes it).
 */
MPC_WUR int mpc_identity_from_secret(const mpc_engine_ctx *ctx, mpc_identity **out,
                                     const unsigned char secret[32], mpc_secure_error *err);

/* Load a key file.
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_NOT_FOUND; MPC_SECURE_ERR_IO;
 *          MPC_SECURE_ERR_PERMISSIONS (group/others may access the file);
 *          MPC_SECURE_ERR_FORMAT (not 64 hex digits, or not a valid scalar);
 *          MPC_SECURE_ERR_NOMEM.
 * Out: out: the key, or NULL on failure.
 * In:  path: the key file.
 */
MPC_WUR int mpc_identity_load(const mpc_engine_ctx *ctx, mpc_identity **out, const char *path,
                              mpc_secure_error *err);

/* Write a key file: mode 0600, atomically, never replacing an existing file.
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_EXISTS (path exists; it is left
 *          alone); MPC_SECURE_ERR_IO; MPC_SECURE_ERR_RNG.
 * In: id: the key; path: where to write it (its directory must exist).
 */
MPC_WUR int mpc_identity_save(const mpc_identity *id, const char *path, mpc_secure_error *err);

/* Wipe and free a key. id may be NULL. */
void mpc_identity_free(mpc_identity *id);

/* Out: pub: the 33-byte compressed public key of id. */
void mpc_identity_public_key(const mpc_identity *id, unsigned char pub[MPC_IDENTITY_PUBKEY_LEN]);

/* BIP-340 sign a 32-byte digest (secp256k1_schnorrsig_sign32 with 32 bytes of
 * fresh auxiliary randomness from the context's rng).
 * Returns: MPC_SECURE_OK, MPC_SECURE_ERR_RNG, MPC_SECURE_ERR_CRYPTO.
 * Out: sig: 64 bytes.
 * In:  id: the signer; digest: 32 bytes.
 */
MPC_WUR int mpc_identity_sign(const mpc_engine_ctx *ctx, unsigned char sig[MPC_IDENTITY_SIG_LEN],
                              const mpc_identity *id, const unsigned char digest[32]);

/* Verify a BIP-340 signature against a compressed public key (the x-only key
 * is its x coordinate).
 * Returns: 1 if valid; 0 if the signature does not verify or pub is not a
 *          valid compressed point.
 * In: pub: 33 bytes; sig: 64 bytes; digest: 32 bytes.
 */
MPC_WUR int mpc_identity_verify(const mpc_engine_ctx *ctx,
                                const unsigned char pub[MPC_IDENTITY_PUBKEY_LEN],
                                const unsigned char sig[MPC_IDENTITY_SIG_LEN],
                                const unsigned char digest[32]);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_IDENTITY_H */
