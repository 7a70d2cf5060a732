/* party.h - the generic I/O-free party state machine and the message
 * envelope shared by every protocol of the engine (FROST DKG and signing
 * now, GG18/GG20 later).
 *
 * A party is created by a protocol constructor (frost_dkg_new,
 * frost_session_new, ...) with its configuration and secrets. The caller
 * then loops:
 *   - mpc_party_pop() outgoing messages and deliver them: recipient 0 means
 *     broadcast to every other participant, otherwise point-to-point;
 *   - mpc_party_handle() each incoming message with the sender identity the
 *     transport authenticated;
 * until mpc_party_status() is MPC_PARTY_DONE (take the protocol's output) or
 * MPC_PARTY_FAILED (mpc_party_error() names the culprit).
 * No I/O, no clocks, no globals; randomness only via the engine context.
 *
 * Envelope (wire version 1, big-endian, 44-byte header):
 *   off len field
 *   0   1   version        = 1
 *   1   1   protocol id    (mpc_protocol_id)
 *   2   1   round          1..rounds of the protocol
 *   3   1   flags          bit 0: broadcast; other bits must be 0
 *   4   2   sender id      1..65535
 *   6   2   recipient id   0 for broadcast, else the addressee
 *   8   32  session id     chosen by the coordinator, same for all parties
 *   40  4   payload length L <= MPC_MAX_PAYLOAD
 *   44  L   payload        protocol- and round-specific
 * The message is exactly 44 + L bytes: truncated, oversized or trailing bytes
 * are MPC_ERR_MALFORMED. Point-to-point payloads may hold secrets (DKG shares):
 * the transport must encrypt them; the engine does not.
 *
 * Message handling policy. Each (round, sender) slot accepts one message.
 * Rejections leave the party unchanged (mpc_err_is_rejection): a sender that
 * is not a participant, a foreign session, a sender field that differs from
 * the authenticated sender, a misaddressed message, an out-of-range round,
 * an unknown version/protocol, an identical duplicate (at-least-once
 * transports redeliver), or any message after the party finished. Fatal
 * errors fail the session with a culprit: malformed bytes from a participant,
 * a different message for an already-filled slot (equivocation), and every
 * protocol-level verification failure. Messages for a later round are
 * buffered until the party gets there.
 */
#ifndef MPC_ENGINE_PARTY_H
#define MPC_ENGINE_PARTY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "engine/errors.h"

#define MPC_WIRE_VERSION 1
#define MPC_HEADER_BYTES 44
#define MPC_MAX_PAYLOAD (1u << 20)
#define MPC_MAX_ROUNDS 12 /* GG18 signing has 9 */
#define MPC_BROADCAST 0 /* recipient id of a broadcast */
#define MPC_FLAG_BROADCAST 0x01

typedef enum mpc_protocol_id {
    MPC_PROTO_FROST_DKG = 1,
    MPC_PROTO_FROST_SIGN = 2,        /* RFC 9591 signatures */
    MPC_PROTO_FROST_SIGN_BIP340 = 3, /* BIP-340 signatures */
    MPC_PROTO_GG_KEYGEN = 4,         /* GG18/GG20 key generation */
    MPC_PROTO_GG18_SIGN = 5,         /* GG18 signing */
    MPC_PROTO_GG20_PRESIGN = 6,      /* GG20 offline presigning */
    MPC_PROTO_GG20_SIGN = 7,         /* GG20 one-round online signing */
} mpc_protocol_id;

typedef struct mpc_msg_header {
    uint8_t version, protocol, round, flags;
    uint16_t sender, recipient;
    unsigned char session[32];
    uint32_t payload_len;
} mpc_msg_header;

/* Encode header h (payload_len is taken from len) and payload.
 * Returns: MPC_OK, MPC_ERR_MALFORMED if len > MPC_MAX_PAYLOAD, MPC_ERR_NOMEM.
 * Out: *out (malloc'd, caller frees), *outlen. */
MPC_WUR mpc_err_code mpc_msg_encode(unsigned char **out, size_t *outlen, const mpc_msg_header *h,
                                    const unsigned char *payload, size_t len);

/* Decode and structurally validate an envelope.
 * Returns: MPC_OK; MPC_ERR_MALFORMED (short, length mismatch, oversized,
 * bad flags, broadcast with recipient != 0, sender 0); MPC_ERR_VERSION.
 * Out: h, *payload points into in (not copied). */
MPC_WUR mpc_err_code mpc_msg_decode(mpc_msg_header *h, const unsigned char **payload,
                                    const unsigned char *in, size_t len);

/* An outgoing message: the encoded envelope and where it goes. */
typedef struct mpc_outmsg {
    unsigned char *bytes; /* owned by the caller after mpc_party_pop */
    size_t len;
    uint16_t recipient; /* MPC_BROADCAST or a participant id */
    uint8_t round;
} mpc_outmsg;

/* Wipe and free an outgoing message's bytes (they may hold secrets). */
void mpc_outmsg_free(mpc_outmsg *m);

typedef enum mpc_party_status {
    MPC_PARTY_RUNNING = 0,
    MPC_PARTY_DONE,
    MPC_PARTY_FAILED
} mpc_party_status;

typedef struct mpc_party mpc_party;

/* Feed one incoming message.
 * Returns: MPC_OK if accepted (it may have advanced the protocol, check
 * mpc_party_pop and mpc_party_status); a rejection code (party unchanged);
 * or the fatal error that failed the party.
 * Out: err (may be NULL): code and culprit. In: bytes[0..len), from: the
 * sender id authenticated by the transport. */
MPC_WUR mpc_err_code mpc_party_handle(mpc_party *p, const unsigned char *bytes, size_t len,
                                      uint16_t from, mpc_error *err);

/* Take the next outgoing message.
 * Returns: 1 and fills out (ownership of out->bytes passes to the caller), or
 * 0 when none is queued. */
MPC_WUR int mpc_party_pop(mpc_party *p, mpc_outmsg *out);

mpc_party_status mpc_party_status_get(const mpc_party *p);

/* Returns: the fatal error (code MPC_OK unless status is FAILED). */
mpc_error mpc_party_error(const mpc_party *p);

/* Returns: this party's id / the current round (1-based; rounds+1 when done). */
uint16_t mpc_party_self(const mpc_party *p);
uint8_t mpc_party_round(const mpc_party *p);

/* Destroy a party, wiping its secrets (NULL allowed). */
void mpc_party_free(mpc_party *p);

/* ---- Protocol implementer interface (used by frost_dkg.c, frost_session.c,
 * and later GG18/GG20). Not needed by users of the parties. ---- */

typedef struct mpc_protocol {
    uint8_t protocol;                     /* mpc_protocol_id */
    uint8_t rounds;                       /* 1..MPC_MAX_ROUNDS */
    uint8_t broadcast[MPC_MAX_ROUNDS];    /* per round: 1 broadcast, 0 p2p */
    /* Called after creation and after each accepted message. Processes every
     * round whose messages are all present (mpc_party_round_ready), queues
     * outgoing messages and calls mpc_party_next_round / mpc_party_finish.
     * Returns MPC_OK or a fatal error with err->culprit set. */
    mpc_err_code (*advance)(mpc_party *p, mpc_error *err);
    void (*destroy)(void *state); /* wipe and free protocol state */
} mpc_protocol;

/* Create the generic part. ids[0..nids) are the participants (distinct,
 * non-zero; self among them); copied. Takes ownership of state (destroyed via
 * proto->destroy on every path, including failure).
 * Returns: the party, or NULL on invalid ids or allocation failure. */
MPC_WUR mpc_party *mpc_party_create(const mpc_engine_ctx *ctx, const mpc_protocol *proto,
                                    const unsigned char session[32], uint16_t self,
                                    const uint16_t *ids, size_t nids, void *state);

/* Run proto->advance once (constructors call this after queuing round 1).
 * Returns: the party's status afterwards. */
mpc_party_status mpc_party_start(mpc_party *p);

void *mpc_party_state(const mpc_party *p);
const mpc_protocol *mpc_party_protocol(const mpc_party *p);
const mpc_engine_ctx *mpc_party_ctx(const mpc_party *p);
size_t mpc_party_count(const mpc_party *p);
/* Returns: participant id at index i (ids are kept in ascending order). */
uint16_t mpc_party_id_at(const mpc_party *p, size_t i);
/* Returns: index of id among the participants, or -1. */
long mpc_party_index(const mpc_party *p, uint16_t id);

/* Returns: 1 if every other participant's message for round is present. */
int mpc_party_round_ready(const mpc_party *p, uint8_t round);

/* Returns: payload received from participant index i in round (NULL if
 * none, or i is self), and its length in *len. */
const unsigned char *mpc_party_payload(const mpc_party *p, uint8_t round, size_t i, size_t *len);

/* A protocol's handler for one peer's payload of a round: parses and checks
 * it into the protocol state. Returns MPC_OK or the error to blame on sender. */
typedef mpc_err_code (*mpc_payload_fn)(mpc_party *p, void *state, uint16_t sender,
                                       const unsigned char *payload, size_t len);

/* Hand every other participant's payload of a complete round to take, in
 * ascending id order, stopping at the first failure.
 * Returns: MPC_OK, or the failure, with err = {code, the sender whose
 * payload failed}. */
MPC_WUR mpc_err_code mpc_party_take_round(mpc_party *p, uint8_t round, mpc_payload_fn take,
                                          void *state, mpc_error *err);

/* Queue a message for round (recipient MPC_BROADCAST or a participant id).
 * Returns: MPC_OK or MPC_ERR_NOMEM / MPC_ERR_MALFORMED (oversized). */
MPC_WUR mpc_err_code mpc_party_send(mpc_party *p, uint8_t round, uint16_t recipient,
                                    const unsigned char *payload, size_t len);

/* Move to the next round / mark the protocol finished. */
void mpc_party_next_round(mpc_party *p);
void mpc_party_finish(mpc_party *p);

#endif
