/*
 * secure/envelope.h - protection of round messages on mpc.rounds
 * (docs/pipeline.md, "Round messages"; docs/security.md).
 *
 * seal (sender):
 *   - to != 0: the payload is encrypted to the recipient:
 *       ikm  = x coordinate of ECDH(sender identity, recipient identity)
 *       key  = HKDF-SHA256(ikm, salt = session_id,
 *                          info = "mpc.v1.p2p" || be32(from) || be32(to)
 *                                 || be32(round) || be64(seq))
 *       payload = iv(12, random) || AES-256-GCM(key, iv, plaintext,
 *                 aad = mpc_codec_round_message_header(msg)) || tag(16)
 *       encrypted = true
 *   - to == 0 (broadcast): the payload travels in clear, encrypted = false.
 *   - signature = BIP-340(sender identity, mpc_codec_round_message_digest(msg))
 *     over the header and the payload as on the wire.
 *
 * open (receiver), checks in this order, each with its own status:
 *   MPC_SECURE_ERR_MALFORMED       fields break the codec's rules, signature
 *                                  is not 64 bytes, encrypted != (to != 0)
 *   MPC_SECURE_ERR_UNKNOWN_SENDER  `from` is not in the roster
 *   MPC_SECURE_ERR_BAD_SIGNATURE   the signature does not verify
 *   MPC_SECURE_ERR_NOT_FOR_ME      validly signed, point-to-point to another node
 *   MPC_SECURE_ERR_DECRYPT         validly signed, for me, but the GCM tag (or
 *                                  the payload length) is wrong
 * Only the last two come from a message the sender provably signed; only
 * MPC_SECURE_ERR_DECRYPT (and the filter's equivocation, secure/replay.h)
 * blames the sender. Forgeries (malformed, unknown sender, bad signature)
 * are dropped, counted and logged, never blamed on the claimed sender.
 *
 * Conventions: see secure/secure.h.
 */
#ifndef MPC_SECURE_ENVELOPE_H
#define MPC_SECURE_ENVELOPE_H

#include <stddef.h>

#include "codec/avro_codec.h"
#include "engine/ctx.h"
#include "secure/identity.h"
#include "secure/roster.h"
#include "secure/secure.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that sealing adds to a point-to-point payload (IV and tag). */
#define MPC_ENVELOPE_OVERHEAD 28
/* Largest plaintext seal accepts (the codec's payload limit minus overhead). */
#define MPC_ENVELOPE_MAX_PLAINTEXT (MPC_CODEC_MAX_PAYLOAD - MPC_ENVELOPE_OVERHEAD)

/* A node's view for sealing and opening: who I am and whom I trust. It
 * borrows ctx, me and roster, which must outlive it; it is used from one
 * thread at a time (the engine context is not synchronised). */
typedef struct mpc_envelope_ctx mpc_envelope_ctx;

/* Returns: MPC_SECURE_OK; MPC_SECURE_ERR_KEY_MISMATCH if my_id is not in the
 *          roster or its pinned public key is not me's (a misconfigured
 *          node); MPC_SECURE_ERR_NOMEM.
 * Out: out: the context (free with mpc_envelope_ctx_free), NULL on failure.
 * In:  ctx, me, roster: borrowed; my_id: this node's id, 0..255.
 */
MPC_WUR int mpc_envelope_ctx_new(mpc_envelope_ctx **out, const mpc_engine_ctx *ctx,
                                 const mpc_identity *me, const mpc_roster *roster, int my_id,
                                 mpc_secure_error *err);

/* Free a context (NULL allowed); the borrowed objects are untouched. */
void mpc_envelope_ctx_free(mpc_envelope_ctx *e);

/* Seal a message for the wire.
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_UNKNOWN_RECIPIENT (to not in the
 *          roster); MPC_SECURE_ERR_LIMIT (plaintext longer than
 *          MPC_ENVELOPE_MAX_PLAINTEXT); MPC_SECURE_ERR_MALFORMED (a header
 *          field breaks the codec's rules, message in err); _RNG; _CRYPTO;
 *          _NOMEM.
 * Out: out: a new message owning all its members (heap): header fields copied
 *      from in, encrypted and payload as above, a 64-byte signature. Release
 *      it with mpc_envelope_message_free(). Zeroed on failure.
 * In:  in: session_id, protocol, round, to, seq, kind, sent_at and the
 *      plaintext payload (not modified, not kept). in->from must be my_id
 *      (programming error otherwise); in->encrypted and in->signature are
 *      ignored.
 */
MPC_WUR int mpc_envelope_seal(const mpc_envelope_ctx *e, mpc_round_message *out,
                              const mpc_round_message *in, mpc_secure_error *err);

/* Authenticate (and, when addressed to me, decrypt) a received message.
 * Returns: MPC_SECURE_OK or one of the statuses listed at the top of this
 *          file; _NOMEM, _CRYPTO for local failures.
 * Out: plaintext: on success a malloc'ed copy of the plaintext payload
 *      (release with mpc_secure_free_secret(*plaintext, *len); it may hold
 *      secret shares). Non-NULL even when *len is 0. NULL on failure.
 *      len: its length.
 * In:  msg: a decoded round message (not modified).
 */
MPC_WUR int mpc_envelope_open(const mpc_envelope_ctx *e, unsigned char **plaintext, size_t *len,
                              const mpc_round_message *msg, mpc_secure_error *err);

/* Free every member of a message made by mpc_envelope_seal (or decoded by
 * the codec) and zero it. msg may be NULL. */
void mpc_envelope_message_free(mpc_round_message *msg);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_ENVELOPE_H */
