/* session.h - what a protocol session is about, as the coordinator tells the
 * participants in its `session_start` round message (JSON, docs/pipeline.md),
 * and the `output` payloads participants send back.
 *
 * Decoding validates everything a participant relies on: ids and sizes in
 * range, participants distinct and enough of them, messages well formed.
 * Pure: no I/O. Ownership: pl_session_decode fills a struct that owns its
 * members; release with pl_session_clear.
 *
 * Kinds: "keygen" (no items), "sign" (items carry the messages) and
 * "presign" (GG20 presignatures for a pool: each item's request_id is the
 * presignature id the coordinator assigned, and it carries no message).
 * GG20 sign items may name the pooled presignature they consume
 * (presig_id); without one the signers presign inline and sign at once.
 * chain_type (optional, GG only) selects the digest of `raw` messages.
 */
#ifndef MPC_PIPELINE_SESSION_H
#define MPC_PIPELINE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define PL_MAX_ID_LEN 128
#define PL_MAX_PARTIES 255
#define PL_MAX_ITEMS 1000
#define PL_MAX_RAW_MESSAGE 4096
#define PL_MAX_CHAIN_LEN 63

typedef enum { PL_KIND_SIGN = 0, PL_KIND_KEYGEN = 1, PL_KIND_PRESIGN = 2 } pl_session_kind;

typedef struct {
    char request_id[PL_MAX_ID_LEN + 1];
    unsigned char *message; /* owned */
    size_t message_len;
    int is_hash;            /* message_type "hash" (exactly 32 bytes) vs "raw" */
    char presig_id[PL_MAX_ID_LEN + 1]; /* gg20 sign: pooled presignature to use ("" = inline) */
} pl_item;

typedef struct {
    char session_id[PL_MAX_ID_LEN + 1];
    pl_session_kind kind;
    char protocol[16];      /* "frost" | "frost-bip340" | "gg18" | "gg20" */
    char key_id[PL_MAX_ID_LEN + 1]; /* the key signed with / being created */
    char chain_type[PL_MAX_CHAIN_LEN + 1]; /* "" or the key's chain (digest of raw GG messages) */
    uint16_t threshold, total_nodes;
    uint16_t participants[PL_MAX_PARTIES]; /* ascending */
    size_t nparticipants;
    uint32_t attempt;
    pl_item *items;         /* sign only; owned */
    size_t nitems;
} pl_session;

/* Returns 1 if s is a valid identifier: [A-Za-z0-9_.:-]{1,128}. */
int pl_valid_id(const char *s);

/* Encodes s as JSON. Returns a malloc'd string, or NULL when s is invalid or
 * memory ran out (err says which). */
char *pl_session_encode(const pl_session *s, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Decodes and validates. Returns 0, or -1 with a one-line reason in err
 * (the struct is then cleared). */
int pl_session_decode(const char *json, size_t len, pl_session *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

void pl_session_clear(pl_session *s);

/* The engine's 32-byte session id of item `index` of a session (or of the
 * whole session when index < 0):
 * SHA-256("mpc.v1.engine-session" || session_id || be32(index)).
 * Aborts if SHA-256 is unavailable (never with the default provider). */
void pl_engine_session_id(unsigned char out[32], const char *session_id, long index);

/* 1 if id is one of s's participants. */
int pl_session_has(const pl_session *s, uint16_t id);

/* Output of a signing session: one signature per item, in item order.
 * Encoding: u32 count | count x (u8 len | len bytes), len <= 80. */
unsigned char *pl_sigs_encode(const unsigned char *const *sigs, const size_t *lens, size_t count,
                              size_t *outlen) __attribute__((warn_unused_result));
/* Fills sigs[i]/lens[i] with pointers into in. Returns 0, or -1 when the
 * encoding is malformed or does not hold exactly `count` signatures. */
int pl_sigs_decode(const unsigned char *in, size_t len, size_t count, const unsigned char **sigs,
                   size_t *lens) __attribute__((warn_unused_result));

#endif
