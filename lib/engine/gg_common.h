/* gg_common.h - pieces shared by GG18/GG20 keygen and signing: the key
 * package, Fiat-Shamir context derivation, constant-time multiplication of
 * arbitrary points by secret scalars, the NUMS generator H, and blob
 * framing inside message payloads.
 */
#ifndef MPC_ENGINE_GG_COMMON_H
#define MPC_ENGINE_GG_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "engine/paillier.h"
#include "engine/point.h"
#include "engine/scalar.h"
#include "engine/wire.h"

#define GG_MAX_PARTIES 255
#define GG_KEYPKG_VERSION 1
#define GG_CONTEXT_STRING "GG-secp256k1-v1"

/* A party's GG key: its Shamir share x_i of the ECDSA key, every party's
 * public share X_j = x_j G, and every party's Paillier / ring-Pedersen
 * public parameters plus its own Paillier secret key. */
typedef struct gg_keypkg {
    uint16_t id, t, n;
    mpc_scalar secret;            /* x_id (secret) */
    mpc_point group_key;          /* Y */
    mpc_point *verifying_shares;  /* [j-1] = X_j, n entries */
    gg_paillier_pub *paillier;    /* [j-1] = party j's (N, s, t), n entries */
    gg_paillier_priv *own;        /* this party's Paillier key (secret) */
} gg_keypkg;

/* Wipe and free everything a key package owns (safe on a zeroed one). */
void gg_keypkg_clear(gg_keypkg *kp);

/* Encoding (version 1): u8 version | u16 id | u16 t | u16 n | Y (33) |
 * n x X_j (33) | n x (N_j | s_j | t_j) | x_id (32) | u32 len | own Paillier
 * key (gg_paillier_serialize). SECRET: the service encrypts it at rest.
 * Returns: MPC_OK or MPC_ERR_NOMEM. Out: *out (malloc'd), *len. */
MPC_WUR mpc_err_code gg_keypkg_serialize(const mpc_engine_ctx *ctx, const gg_keypkg *kp,
                                         unsigned char **out, size_t *len);
/* Parse and check (ranges, points, x_id*G == X_id, own key matches entry
 * id). Returns: MPC_OK, MPC_ERR_MALFORMED, MPC_ERR_VERSION, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg_keypkg_parse(const mpc_engine_ctx *ctx, gg_keypkg *out,
                                     const unsigned char *in, size_t len);

/* TEST / BENCH HELPER (trusted dealer): n key packages for a random key;
 * keys[0..n) are the parties' Paillier keys (ownership passes to out[i].own,
 * on every path). No proofs are run: production keys come from gg_keygen. */
MPC_WUR mpc_err_code gg_keypkg_dealer(const mpc_engine_ctx *ctx, gg_keypkg *out, uint16_t t,
                                      uint16_t n, gg_paillier_priv **keys);

/* out32 = transcript("GG-context-v1"; label, session, a, b, extra) - the
 * 32-byte Fiat-Shamir context of one proof: a = prover, b = verifier (0 for
 * broadcast proofs), extra = protocol-specific bytes (may be empty). */
void gg_context(unsigned char out32[32], const char *label, const unsigned char session[32],
                uint16_t a, uint16_t b, const unsigned char *extra, size_t extralen);

/* Out: r = k * P in constant time (k secret; via secp256k1_ecdh's
 * constant-time ladder). P must not be the identity; k == 0 gives the
 * identity. */
void gg_point_mul_secret(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *P,
                         const mpc_scalar *k);

/* Out: H, a generator with unknown discrete log (try-and-increment on
 * SHA-256("GG-secp256k1-v1 H" || counter)). */
void gg_point_h(const mpc_engine_ctx *ctx, mpc_point *H);

/* Blob framing: u32 length | bytes. */
void gg_write_blob(mpc_writer *w, const unsigned char *p, size_t len);
/* Returns: pointer into the reader (NULL on failure) and *len. */
const unsigned char *gg_read_blob(mpc_reader *r, size_t *len);

/* Write / read a point (33 bytes; identity rejected). */
void gg_write_point(const mpc_engine_ctx *ctx, mpc_writer *w, const mpc_point *p);
MPC_WUR int gg_read_point(const mpc_engine_ctx *ctx, mpc_reader *r, mpc_point *p);
void gg_write_scalar(mpc_writer *w, const mpc_scalar *s);
MPC_WUR int gg_read_scalar(mpc_reader *r, mpc_scalar *s);

#endif
