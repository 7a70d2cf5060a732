/* gg20.h - GG20 threshold ECDSA (ePrint 2020/540): offline presigning and a
 * one-round online phase, with identifiable abort.
 *
 * Presigning (protocol id 6, 5 rounds): rounds 1-4 as GG18 (commitment,
 * range proofs, MtA/MtAwc with proofs, delta_i and Gamma_i); round 4 also
 * carries T_i = sigma_i G + l_i H with a proof of knowledge. Round 5 (p2p):
 * Rbar_i = k_i R with a proof that k_i is the plaintext of c_i (range proof
 * with discrete log, "PDL with slack"), and S_i = sigma_i R with a proof of
 * consistency with T_i. Checks: sum Rbar_j == G and sum S_j == Y.
 * The result is a presignature: (R, k_i, sigma_i) and every Rbar_j, S_j.
 *
 * Online (protocol id 7, 1 round): s_i = m k_i + r sigma_i; every s_j is
 * checked as s_j R == m Rbar_j + r S_j, which names a wrong share.
 *
 * Presignatures are SINGLE USE (like the FROST nonce / musig secnonce): the
 * object starts with a magic value; gg20_sign_new and gg20_partial_sign
 * copy the secrets out and wipe the whole object before anything can fail,
 * so a second use gives MPC_ERR_NONCE_USED. The only serialized form is
 * gg20_presig_serialize (below), meant for the participant's durable pool:
 * the service must durably mark a presignature consumed BEFORE it calls
 * gg20_sign_new with it, and must delete its stored bytes afterwards; a
 * crash can then waste a presignature but never reuse one.
 *
 * Identifiable abort: Pi_enc / MtA proofs, decommitments, the T_i / S_i /
 * Rbar_i proofs and the online share check name the cheater. If the sum
 * checks of round 5 fail while every proof passed, a 6th round reveals the
 * presignature's ephemeral values and names the party whose delta_i or
 * sigma_i (or reveal) is wrong (gg20_ident.h); round 4 carries the digests
 * of every MtA answer for it.
 */
#ifndef MPC_ENGINE_GG20_H
#define MPC_ENGINE_GG20_H

#include "engine/ecdsa.h"
#include "engine/gg18.h"

#define GG20_PRESIG_VERSION 1

/* Presigning rounds: 5, and a 6th (the reveal) only after a failed sum
 * check. Services numbering an online session's rounds after an inline
 * presign start them after this. */
#define GG20_PRESIGN_ROUNDS 6

typedef struct gg20_presig gg20_presig; /* opaque, heap allocated */

/* Presigning party (cfg->msg32 is ignored). */
MPC_WUR mpc_err_code gg20_presign_new(const mpc_engine_ctx *ctx, mpc_party **out,
                                      const gg_sign_config *cfg);

/* Move the presignature out of a DONE presign party (once).
 * Returns: MPC_OK, MPC_ERR_STATE. Out: *out (free with gg20_presig_free). */
MPC_WUR mpc_err_code gg20_presign_output(mpc_party *p, gg20_presig **out);

/* Wipe and free (NULL allowed). */
void gg20_presig_free(gg20_presig *ps);

/* Returns: 1 if ps is unused (magic intact). */
int gg20_presig_valid(const gg20_presig *ps);

/* Public part of an unused presignature, for the pool's bookkeeping: its
 * nonce point R and group key Y (33-byte compressed each) and the signer
 * ids (ascending, at most GG_MAX_PARTIES, written to ids; count in *nids).
 * Returns: MPC_OK, or MPC_ERR_NONCE_USED when ps was used or wiped. */
MPC_WUR mpc_err_code gg20_presig_public(const mpc_engine_ctx *ctx, const gg20_presig *ps,
                                        unsigned char R33[33], unsigned char Y33[33], uint16_t *ids,
                                        size_t *nids);

/* Durable-pool encoding, SECRET (encrypt at rest; see the header comment):
 * u32 magic | u8 version | u16 self | u16 m | m x id | Y | R | k_i | sigma_i |
 * m x (Rbar_j | S_j). Returns: MPC_OK, MPC_ERR_NONCE_USED, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg20_presig_serialize(const mpc_engine_ctx *ctx, const gg20_presig *ps,
                                           unsigned char **out, size_t *len);
/* Returns: MPC_OK, MPC_ERR_MALFORMED, MPC_ERR_VERSION, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg20_presig_parse(const mpc_engine_ctx *ctx, gg20_presig **out,
                                       const unsigned char *in, size_t len);

/* Online signing party for msg32 (session is the online session id). The
 * presignature is consumed (wiped) by this call on every path.
 * Returns: MPC_OK, MPC_ERR_NONCE_USED, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg20_sign_new(const mpc_engine_ctx *ctx, mpc_party **out,
                                   const unsigned char session[32], gg20_presig *ps,
                                   const unsigned char msg32[32]);
MPC_WUR mpc_err_code gg20_signature(const mpc_party *p, gg_signature *out);

/* Plain function: consumes ps (wiped) and returns s_i = m k_i + r sigma_i.
 * Returns: MPC_OK, MPC_ERR_NONCE_USED. */
MPC_WUR mpc_err_code gg20_partial_sign(gg20_presig *ps, const unsigned char msg32[32],
                                       mpc_scalar *s_i);

#endif
