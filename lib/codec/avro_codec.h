/*
 * codec/avro_codec.h - the Avro message layer: every record that travels over
 * Kafka (requests, protocol round envelopes, results, heartbeats, dead
 * letters) as a typed C struct, encoded in Avro single-object encoding.
 *
 * Wire format (Avro specification, "Single object encoding"):
 *
 *     C3 01 | 8-byte little-endian CRC-64-AVRO fingerprint | Avro binary body
 *
 * The fingerprint is taken over the Parsing Canonical Form of the record's
 * schema (schemas/<Record>.avsc, namespace mpc.v1, embedded in this library at
 * build time), so any Avro library can read and write these records
 * (docs/messages.md describes them for outside producers).
 *
 * Conventions used by every function below (as in libsecp256k1's headers):
 *  - Pointer arguments are never NULL unless the documentation says so.
 *    Passing NULL where it is not allowed is a programming error: it is
 *    reported to the illegal-argument callback (which aborts by default, see
 *    mpc_codec_set_illegal_callback) and, if that returns, the function
 *    returns MPC_CODEC_ERR_ARG.
 *  - Bad *data* (malformed bytes, a field outside its limits) is an ordinary
 *    return value: a mpc_codec_status other than MPC_CODEC_OK, with details in
 *    the optional mpc_codec_error and in mpc_codec_last_error().
 *  - Argument order: inputs, then outputs, then the optional error.
 *
 * Ownership:
 *  - Structs passed to an encode function belong to the caller; the codec
 *    only reads them during the call and keeps nothing.
 *  - Structs filled by a decode function own every string, byte buffer and
 *    array they point to (heap memory). Release them with the matching
 *    mpc_codec_free_<record>(), which frees the members (not the struct
 *    itself) and zeroes the struct. On failure a decode function leaves the
 *    struct zeroed, so calling the free function on it is harmless.
 *  - Buffers returned through uint8_t **out or char **out are malloc'ed; the
 *    caller releases them with free().
 *
 * Field conventions in the structs:
 *  - char * strings are NUL-terminated UTF-8. A nullable string field is
 *    Avro null when the pointer is NULL.
 *  - mpc_bytes holds binary data. A nullable bytes field is Avro null when
 *    .data is NULL (a present but empty value has a non-NULL .data and
 *    .len 0; decoding always produces a non-NULL .data for present values).
 *    A non-nullable bytes field may have .data NULL only when .len is 0.
 *  - Arrays are a pointer plus a <name>_len count.
 *  - Timestamps are int64_t milliseconds since the Unix epoch (Avro
 *    timestamp-millis).
 *
 * Thread safety: all functions may be called concurrently from any thread.
 * The schema registry is built once, on first use or by mpc_codec_init().
 */
#ifndef MPC_CODEC_AVRO_CODEC_H
#define MPC_CODEC_AVRO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MPC_CODEC_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define MPC_CODEC_WARN_UNUSED
#endif

/* ---- Framing ------------------------------------------------------------ */

#define MPC_CODEC_MAGIC_0 0xC3
#define MPC_CODEC_MAGIC_1 0x01
/* Magic (2 bytes) + fingerprint (8 bytes). */
#define MPC_CODEC_HEADER_LEN 10

/* ---- Limits (checked on encode and on decode) ---------------------------- */

/* Largest whole encoded record, header included. */
#define MPC_CODEC_MAX_RECORD_BYTES (8u * 1024u * 1024u)
/* request_id, batch_id, key_id, session_id, client_id, instance, auth key_id. */
#define MPC_CODEC_MAX_ID_LEN 128
/* Items in one SignRequest. */
#define MPC_CODEC_MAX_BATCH_ITEMS 1000
/* SignItem.message when message_type is "raw"; "hash" is exactly 32 bytes. */
#define MPC_CODEC_MAX_SIGN_MESSAGE 4096
#define MPC_CODEC_HASH_MESSAGE_LEN 32
/* RoundMessage.payload. */
#define MPC_CODEC_MAX_PAYLOAD (1024u * 1024u)
/* DeadLetter.original_value and original_key. */
#define MPC_CODEC_MAX_DLQ_VALUE (MPC_CODEC_MAX_RECORD_BYTES - 64u * 1024u)
/* Node ids are 1..MPC_CODEC_MAX_PARTIES; also the bound on total_nodes. */
#define MPC_CODEC_MAX_PARTIES 255
/* Signatures (RoundMessage.signature, Result.signature/_der). */
#define MPC_CODEC_MAX_SIGNATURE 128
/* Result.public_key. */
#define MPC_CODEC_MAX_PUBLIC_KEY 128
/* Free-text fields: error_message, DeadLetter.reason. */
#define MPC_CODEC_MAX_TEXT 1024
/* Short tokens: chain_type, error_code, reason_code, capabilities, version. */
#define MPC_CODEC_MAX_TOKEN_LEN 64
/* Result.address, DeadLetter.original_topic / rejected_by. */
#define MPC_CODEC_MAX_NAME_LEN 256
/* SignItem.derivation_path ("m/0/17", non-hardened, depth <= 255). */
#define MPC_CODEC_MAX_PATH_LEN 256
/* SignRequest.callback_url. */
#define MPC_CODEC_MAX_URL_LEN 2048
/* KeygenRequest.metadata: entries, key length, value length. */
#define MPC_CODEC_MAX_METADATA_ENTRIES 64
#define MPC_CODEC_MAX_METADATA_KEY 64
#define MPC_CODEC_MAX_METADATA_VALUE 1024
/* NodeHeartbeat.capabilities entries. */
#define MPC_CODEC_MAX_CAPABILITIES 64
/* Auth: HMAC-SHA256 signature length; nonce length bounds. */
#define MPC_CODEC_AUTH_SIGNATURE_LEN 32
#define MPC_CODEC_MIN_NONCE_LEN 8

/* ---- Record types and status codes -------------------------------------- */

typedef enum mpc_record_type {
    MPC_RECORD_UNKNOWN = 0,
    MPC_RECORD_KEYGEN_REQUEST,
    MPC_RECORD_SIGN_REQUEST,
    MPC_RECORD_ROUND_MESSAGE,
    MPC_RECORD_RESULT,
    MPC_RECORD_NODE_HEARTBEAT,
    MPC_RECORD_DEAD_LETTER,
    MPC_RECORD_COUNT /* number of values above, not a record */
} mpc_record_type;

typedef enum mpc_codec_status {
    MPC_CODEC_OK = 0,
    MPC_CODEC_ERR_ARG,            /* programming error: NULL or bad argument */
    MPC_CODEC_ERR_NOMEM,          /* allocation failed */
    MPC_CODEC_ERR_SCHEMA,         /* the embedded schemas failed to load */
    MPC_CODEC_ERR_BAD_MAGIC,      /* does not start with C3 01 */
    MPC_CODEC_ERR_TRUNCATED,      /* input ends before the record does */
    MPC_CODEC_ERR_UNKNOWN_SCHEMA, /* fingerprint of no schema we know */
    MPC_CODEC_ERR_WRONG_SCHEMA,   /* a known record, but not the one asked for */
    MPC_CODEC_ERR_TRAILING,       /* bytes left after the record */
    MPC_CODEC_ERR_MALFORMED,      /* body is not a valid Avro encoding */
    MPC_CODEC_ERR_INVALID,        /* decodes, but a field breaks its rules */
    MPC_CODEC_ERR_TOO_LARGE,      /* a size limit above is exceeded */
    MPC_CODEC_ERR_AVRO            /* Avro-C failed unexpectedly */
} mpc_codec_status;

/* Details of a failure. `field` names the offending field when there is one
 * (e.g. "items[3].message"), else is empty. `message` is one line of text. */
typedef struct mpc_codec_error {
    mpc_codec_status code;
    char field[96];
    char message[256];
} mpc_codec_error;

/* ---- Record structs ------------------------------------------------------ */

typedef struct mpc_bytes {
    uint8_t *data;
    size_t len;
} mpc_bytes;

typedef struct mpc_kv {
    char *key;
    char *value;
} mpc_kv;

/* Auth: HMAC-SHA256 signature made by an outside producer with its API key. */
typedef struct mpc_auth {
    char *key_id;        /* API key id */
    int64_t timestamp;   /* ms since epoch */
    char *nonce;         /* 8..128 printable ASCII, single use */
    mpc_bytes signature; /* exactly 32 bytes */
} mpc_auth;

/* mpc.v1.KeygenRequest (topic mpc.keygen.requests). */
typedef struct mpc_keygen_request {
    char *request_id;
    char *protocol;       /* "frost" | "frost-bip340" | "gg18" | "gg20" */
    char *curve;          /* "secp256k1" */
    int32_t threshold;    /* 1..total_nodes */
    int32_t total_nodes;  /* 1..MPC_CODEC_MAX_PARTIES */
    char *chain_type;     /* [a-z0-9_-]{1,32}, e.g. "bitcoin" */
    int32_t *participants; /* empty = coordinator picks; else total_nodes distinct ids */
    size_t participants_len;
    mpc_kv *metadata;
    size_t metadata_len;
    char *client_id;
    int64_t submitted_at;
    mpc_auth *auth;       /* nullable: NULL = null */
} mpc_keygen_request;

typedef struct mpc_sign_item {
    char *request_id;
    mpc_bytes message;    /* 32 bytes for "hash", 1..4096 for "raw" */
    char *message_type;   /* "hash" | "raw" */
    char *derivation_path; /* nullable; "m" or "m/<i>/<j>..." non-hardened */
} mpc_sign_item;

/* mpc.v1.SignRequest (topic mpc.sign.requests). A single sign is a batch of
 * one item with batch_id NULL; batch_id NULL requires exactly one item. */
typedef struct mpc_sign_request {
    char *request_id;
    char *batch_id;       /* nullable */
    char *key_id;
    mpc_sign_item *items; /* 1..MPC_CODEC_MAX_BATCH_ITEMS, distinct request ids */
    size_t items_len;
    char *callback_url;   /* nullable; http:// or https:// */
    char *client_id;
    int64_t submitted_at;
    mpc_auth *auth;       /* nullable */
} mpc_sign_request;

/* mpc.v1.RoundMessage (topic mpc.rounds): the protocol envelope. */
typedef struct mpc_round_message {
    char *session_id;
    char *protocol;       /* as in KeygenRequest */
    int32_t round;        /* >= 0 */
    int32_t from;         /* 0 = coordinator, else 1..MPC_CODEC_MAX_PARTIES */
    int32_t to;           /* 0 = broadcast, else 1..MPC_CODEC_MAX_PARTIES */
    int64_t seq;          /* >= 0 */
    char *kind;           /* "session_start" | "protocol" | "output" | "abort" | "complaint" */
    mpc_bytes payload;    /* <= MPC_CODEC_MAX_PAYLOAD */
    bool encrypted;       /* true requires to != 0 */
    mpc_bytes signature;  /* 1..MPC_CODEC_MAX_SIGNATURE bytes */
    int64_t sent_at;
} mpc_round_message;

/* mpc.v1.Result (topic mpc.results). */
typedef struct mpc_result {
    char *request_id;
    char *batch_id;        /* nullable */
    char *kind;            /* "keygen" | "sign" */
    char *status;          /* "succeeded" | "failed" | "cancelled" */
    char *error_code;      /* nullable; required when failed; [A-Za-z0-9_.-] */
    char *error_message;   /* nullable */
    char *key_id;          /* nullable; required for a succeeded keygen */
    mpc_bytes public_key;  /* nullable; required for a succeeded keygen */
    char *address;         /* nullable */
    mpc_bytes signature;   /* nullable; required for a succeeded sign */
    mpc_bytes signature_der; /* nullable */
    bool has_recovery_id;  /* false = null */
    int32_t recovery_id;   /* 0..3 when present */
    char *session_id;      /* nullable */
    int32_t *participants; /* distinct node ids */
    size_t participants_len;
    int64_t completed_at;
} mpc_result;

/* mpc.v1.NodeHeartbeat (topic mpc.nodes). */
typedef struct mpc_node_heartbeat {
    int32_t node_id;       /* 0..MPC_CODEC_MAX_PARTIES (0 = no party identity) */
    char *service;         /* "api" | "coordinator" | "participant" | "auditor" */
    char *instance;
    char *status;          /* "starting" | "ready" | "degraded" | "draining" | "stopping" */
    char **capabilities;   /* <= MPC_CODEC_MAX_CAPABILITIES tokens */
    size_t capabilities_len;
    int32_t load;          /* 0..100 */
    int32_t active_sessions; /* >= 0 */
    char *version;
    int64_t sent_at;
} mpc_node_heartbeat;

/* mpc.v1.DeadLetter (topic mpc.dlq). */
typedef struct mpc_dead_letter {
    char *original_topic;
    int32_t original_partition; /* >= 0 */
    int64_t original_offset;    /* >= 0 */
    mpc_bytes original_key;     /* nullable */
    mpc_bytes original_value;
    char *reason_code;          /* [a-z0-9_.-]{1,64}; mpc_codec_status_name() fits */
    char *reason;
    char *rejected_by;
    int64_t rejected_at;
} mpc_dead_letter;

/* ---- Library set-up and errors ------------------------------------------- */

/* Build the schema registry now (it is otherwise built on first use), so that
 * a service fails at start-up rather than on its first record.
 * Returns: MPC_CODEC_OK, or MPC_CODEC_ERR_SCHEMA (embedded schemas do not
 *          parse or do not match the C structs; a bug in the build).
 * Out:     err: details on failure (may be NULL).
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_init(mpc_codec_error *err);

/* Replace the handler of programming errors (NULL arguments). The default
 * prints the message to stderr and calls abort(). Not thread-safe: set it at
 * start-up, before other threads use the codec.
 * In: fn: handler, or NULL to restore the default.
 *     data: passed to fn unchanged (may be NULL).
 */
void mpc_codec_set_illegal_callback(void (*fn)(const char *message, void *data),
                                    void *data);

/* The last failure of any codec function on the calling thread.
 * Returns: pointer to thread-local storage, valid until the next codec call on
 *          this thread; code is MPC_CODEC_OK if nothing failed yet.
 */
const mpc_codec_error *mpc_codec_last_error(void);

/* Stable lowercase name of a status, usable as a DeadLetter reason_code
 * (e.g. "bad_magic", "unknown_schema", "malformed", "invalid").
 * Returns: a static string ("unknown_status" for values out of range).
 */
const char *mpc_codec_status_name(int status);

/* ---- Schemas ------------------------------------------------------------ */

/* Returns: the record's full Avro name, e.g. "mpc.v1.SignRequest", or NULL
 *          for MPC_RECORD_UNKNOWN and values out of range. */
const char *mpc_codec_record_name(mpc_record_type type);

/* Returns: the record type whose full name (or short name, e.g.
 *          "SignRequest") is `name`, or MPC_RECORD_UNKNOWN. */
mpc_record_type mpc_codec_record_type_from_name(const char *name);

/* The embedded schema, its Parsing Canonical Form and fingerprint.
 * Returns: 1 on success; 0 if type is not a record or the registry failed.
 * In:  type: a record type.
 * Out: schema_json, canonical: static strings, valid for the life of the
 *      process (either may be NULL if not wanted).
 *      fingerprint: CRC-64-AVRO of the canonical form (may be NULL); the wire
 *      carries it in little-endian byte order.
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_schema_info(mpc_record_type type,
                                                const char **schema_json,
                                                const char **canonical,
                                                uint64_t *fingerprint);

/* Parsing Canonical Form of any Avro schema (Avro specification: rules
 * PRIMITIVES, FULLNAMES, STRIP, ORDER, STRINGS, INTEGERS, WHITESPACE).
 * Returns: MPC_CODEC_OK, MPC_CODEC_ERR_SCHEMA (not JSON or not a schema),
 *          MPC_CODEC_ERR_NOMEM.
 * In:  schema_json: the schema text, schema_len bytes (need not be
 *      NUL-terminated).
 * Out: canonical: malloc'ed NUL-terminated string; free() it.
 *      err: details on failure (may be NULL).
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_canonical_form(const char *schema_json,
                                                   size_t schema_len,
                                                   char **canonical,
                                                   mpc_codec_error *err);

/* CRC-64-AVRO (Rabin) fingerprint of `len` bytes, as the Avro specification
 * defines it (data may be NULL when len is 0). */
uint64_t mpc_codec_fingerprint64(const uint8_t *data, size_t len);

/* Which record a buffer holds, judged from its header only.
 * Returns: the record type, or MPC_RECORD_UNKNOWN if the buffer is shorter
 *          than the header, has the wrong magic or an unknown fingerprint.
 * In:  buf: len bytes (may be NULL when len is 0).
 * Out: err: why it is unknown (may be NULL).
 */
mpc_record_type mpc_codec_peek_schema(const uint8_t *buf, size_t len,
                                      mpc_codec_error *err);

/* ---- Encode / decode / free, one set per record ------------------------- */
/*
 * mpc_codec_encode_<record>(rec, out, out_len)
 *   Checks every field against its rules, then writes the record in
 *   single-object encoding.
 *   Returns: MPC_CODEC_OK; MPC_CODEC_ERR_INVALID / _TOO_LARGE (a field breaks
 *            its rules; details in mpc_codec_last_error()); _NOMEM; _AVRO;
 *            _SCHEMA; _ARG.
 *   In:  rec: the record (not modified, not kept).
 *   Out: out: malloc'ed buffer with the encoded record (free() it);
 *        out_len: its length. Both untouched on failure.
 *
 * mpc_codec_decode_<record>(buf, len, out, err)
 *   Checks the header, that the fingerprint is this record's, decodes the
 *   body (which must use exactly `len` bytes) and checks every field.
 *   Returns: MPC_CODEC_OK; _BAD_MAGIC; _TRUNCATED; _UNKNOWN_SCHEMA;
 *            _WRONG_SCHEMA; _TRAILING; _MALFORMED; _INVALID; _TOO_LARGE;
 *            _NOMEM; _AVRO; _SCHEMA; _ARG.
 *   In:  buf: len bytes (may be NULL when len is 0).
 *   Out: out: the record; owns its members; release with
 *        mpc_codec_free_<record>(). Zeroed on failure.
 *        err: details on failure (may be NULL).
 *
 * mpc_codec_free_<record>(rec)
 *   Frees every member of a decoded record and zeroes it. rec may be NULL.
 *   Only for records filled by a decode function.
 *
 * mpc_codec_validate_<record>(rec, err)
 *   The field checks of encode, without encoding.
 *   Returns: MPC_CODEC_OK, MPC_CODEC_ERR_INVALID, MPC_CODEC_ERR_TOO_LARGE.
 */
#define MPC_CODEC_DECLARE(name, type)                                          \
    MPC_CODEC_WARN_UNUSED int mpc_codec_encode_##name(                         \
        const type *rec, uint8_t **out, size_t *out_len);                      \
    MPC_CODEC_WARN_UNUSED int mpc_codec_decode_##name(                         \
        const uint8_t *buf, size_t len, type *out, mpc_codec_error *err);      \
    void mpc_codec_free_##name(type *rec);                                     \
    MPC_CODEC_WARN_UNUSED int mpc_codec_validate_##name(const type *rec,       \
                                                        mpc_codec_error *err);

MPC_CODEC_DECLARE(keygen_request, mpc_keygen_request)
MPC_CODEC_DECLARE(sign_request, mpc_sign_request)
MPC_CODEC_DECLARE(round_message, mpc_round_message)
MPC_CODEC_DECLARE(result, mpc_result)
MPC_CODEC_DECLARE(node_heartbeat, mpc_node_heartbeat)
MPC_CODEC_DECLARE(dead_letter, mpc_dead_letter)

#undef MPC_CODEC_DECLARE

/* Child keys are not implemented yet: a SignRequest item whose
 * derivation_path is set and is not "m" must be refused, never signed with
 * the root key (docs/pipeline.md, DERIVATION_NOT_SUPPORTED).
 * Returns: the index of the first such item, or -1 if there is none. */
long mpc_codec_sign_request_child_item(const mpc_sign_request *rec);

/* ---- Any record (consumers of several topics, e.g. the auditor) --------- */

/* Storage for a record of any type; which member is live is told by the
 * mpc_record_type that comes with it. */
typedef union mpc_any_record {
    mpc_keygen_request keygen_request;
    mpc_sign_request sign_request;
    mpc_round_message round_message;
    mpc_result result;
    mpc_node_heartbeat node_heartbeat;
    mpc_dead_letter dead_letter;
} mpc_any_record;

/* Encode a record whose type is given at run time.
 * Returns: as mpc_codec_encode_<record>; MPC_CODEC_ERR_ARG for a type that
 *          is not a record.
 * In:  type: the record type; rec: pointer to the matching struct.
 * Out: out, out_len: as mpc_codec_encode_<record>.
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_encode(mpc_record_type type, const void *rec,
                                           uint8_t **out, size_t *out_len);

/* Decode whichever known record buf holds.
 * Returns: as mpc_codec_decode_<record> (never _WRONG_SCHEMA).
 * In:  buf: len bytes (may be NULL when len is 0).
 * Out: type: the record type found (MPC_RECORD_UNKNOWN on failure).
 *      out: the record, in the member named by *type; release it with
 *      mpc_codec_free(*type, out). Zeroed on failure.
 *      err: details on failure (may be NULL).
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_decode(const uint8_t *buf, size_t len,
                                           mpc_record_type *type,
                                           mpc_any_record *out,
                                           mpc_codec_error *err);

/* Free a record filled by mpc_codec_decode (or a typed decode) and zero it.
 * rec may be NULL; nothing happens for a type that is not a record. */
void mpc_codec_free(mpc_record_type type, mpc_any_record *rec);

/* ---- JSON views (logging, auditing, the codec tool) --------------------- */

/* A record as a JSON object: fields under their Avro names, bytes as
 * lowercase hex strings, nulls as null, timestamps as integer milliseconds.
 * Returns: MPC_CODEC_OK, MPC_CODEC_ERR_NOMEM, MPC_CODEC_ERR_ARG.
 * In:  type: the record type; rec: a pointer to the matching struct.
 * Out: json: malloc'ed compact JSON text; free() it.
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_record_to_json(mpc_record_type type,
                                                   const void *rec,
                                                   char **json);

/* Decode any known record and render it as JSON (see above).
 * Returns: as mpc_codec_decode_<record>.
 * In:  buf: len bytes.
 * Out: type: the record type found (may be NULL).
 *      json: malloc'ed JSON text; free() it.
 *      err: details on failure (may be NULL).
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_decode_to_json(const uint8_t *buf,
                                                   size_t len,
                                                   mpc_record_type *type,
                                                   char **json,
                                                   mpc_codec_error *err);

/* ---- RoundMessage authentication helpers -------------------------------- */

/* The header bytes of a round message, used as AES-256-GCM associated data
 * for an encrypted payload and as the first part of what the sender signs:
 * the Avro binary encoding of the sequence
 *   string "mpc.v1.RoundMessage.header", session_id, protocol, int round,
 *   int from, int to, long seq, string kind, boolean encrypted, long sent_at.
 * Returns: MPC_CODEC_OK, MPC_CODEC_ERR_NOMEM, MPC_CODEC_ERR_ARG.
 * In:  msg: the message (payload and signature are not used; session_id,
 *      protocol and kind must not be NULL).
 * Out: out: malloc'ed bytes (free() them); out_len: their length.
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_round_message_header(
    const mpc_round_message *msg, uint8_t **out, size_t *out_len);

/* What the sender signs: SHA-256(header || Avro bytes encoding of payload),
 * header as from mpc_codec_round_message_header(). The signature field is
 * not covered.
 * Returns: MPC_CODEC_OK, MPC_CODEC_ERR_NOMEM, MPC_CODEC_ERR_ARG.
 * In:  msg: the message, with its payload as it goes on the wire
 *      (ciphertext when encrypted).
 * Out: digest: 32 bytes.
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_round_message_digest(
    const mpc_round_message *msg, uint8_t digest[32]);

/* ---- Auth of records from outside producers ------------------------------ */

/* The digest that the Auth signature of a KeygenRequest or SignRequest
 * covers: SHA-256 of the record's single-object encoding (header included)
 * with auth set to null. Because auth is the record's last field and null
 * encodes as the single byte 0x00, this is SHA-256(the received bytes up to
 * where the auth field starts || 0x00): a verifier computes it from the
 * bytes as received, and a producer from its encoding with auth = null; both
 * get the same value whatever Avro library wrote the record.
 * Returns: MPC_CODEC_OK; the framing errors of decode (_BAD_MAGIC,
 *          _TRUNCATED, _UNKNOWN_SCHEMA, _TRAILING, _MALFORMED, _TOO_LARGE);
 *          MPC_CODEC_ERR_WRONG_SCHEMA for a record without an auth field.
 *          Field rules are not checked (decode does that).
 * In:  buf: the encoded record, len bytes.
 * Out: digest: 32 bytes.
 *      err: details on failure (may be NULL).
 */
MPC_CODEC_WARN_UNUSED int mpc_codec_auth_digest(const uint8_t *buf, size_t len,
                                                uint8_t digest[32],
                                                mpc_codec_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MPC_CODEC_AVRO_CODEC_H */
