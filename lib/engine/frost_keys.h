/* frost_keys.h - a party's FROST key package: its signing share, every
 * party's verifying share and the group public key, with a versioned binary
 * encoding for storage. Produced by the DKG (frost_dkg.h), consumed by
 * signing (frost.h). Identifiers are 1..n.
 *
 * Encoding (big-endian), version 1:
 *   u8 version=1 | u16 id | u16 t | u16 n | group key (33) |
 *   n x verifying share (33) | signing share (32)
 * The encoding contains the secret share: the caller encrypts it at rest.
 */
#ifndef MPC_ENGINE_FROST_KEYS_H
#define MPC_ENGINE_FROST_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "engine/point.h"
#include "engine/scalar.h"

#define FROST_MAX_PARTIES 255
#define FROST_KEYPKG_VERSION 1

typedef struct frost_keypkg {
    uint16_t id, t, n;
    mpc_scalar secret;                             /* signing share s_id */
    mpc_point group_key;                           /* Y = s * G */
    mpc_point verifying_shares[FROST_MAX_PARTIES]; /* [j-1] = s_j * G */
} frost_keypkg;

/* Returns: the encoded size of kp (7 + 33 + 33 n + 32). */
size_t frost_keypkg_size(const frost_keypkg *kp);

/* Encode kp into out[0..frost_keypkg_size(kp)).
 * Returns: 1 on success, 0 if a point is the identity or outlen too small. */
MPC_WUR int frost_keypkg_serialize(const mpc_engine_ctx *ctx, unsigned char *out, size_t outlen,
                                   const frost_keypkg *kp);

/* Decode and validate (ranges, points, exact length, secret*G equals the own
 * verifying share). Returns: MPC_OK or MPC_ERR_MALFORMED / MPC_ERR_VERSION. */
MPC_WUR mpc_err_code frost_keypkg_parse(const mpc_engine_ctx *ctx, frost_keypkg *out,
                                        const unsigned char *in, size_t len);

/* Wipe the secret share. */
void frost_keypkg_clear(frost_keypkg *kp);

/* TEST HELPER (trusted dealer): out[0..n) receive the key packages of parties
 * 1..n sharing `secret` (random when NULL) with threshold t.
 * Returns: 1 on success, 0 if the rng failed or the parameters are invalid. */
MPC_WUR int frost_keygen_dealer(const mpc_engine_ctx *ctx, frost_keypkg *out,
                                const mpc_scalar *secret, uint16_t t, uint16_t n);

#endif
