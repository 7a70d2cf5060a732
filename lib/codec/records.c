/*
 * codec/records.c - the record tables: for every Avro record, which C struct
 * member holds each field, its Avro shape, and its limits (the allowed
 * strings of enum-like fields, lengths, counts, ranges), plus the rules that
 * span several fields. Everything else (encode, decode, validate, free,
 * JSON) is generic code in mapping.c driven by these tables, and the
 * registry checks each table against its .avsc at start-up.
 *
 * Also the typed public functions mpc_codec_{encode,decode,free,validate}_*,
 * which are one-line wrappers around the generic code.
 */
#include "codec_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Allowed values of enum-like strings --------------------------------- */

static const char *const protocols[] = {"frost", "frost-bip340", "gg18", "gg20", NULL};
static const char *const curves[] = {"secp256k1", NULL};
static const char *const message_types[] = {"hash", "raw", NULL};
static const char *const round_kinds[] = {
    "session_start", "protocol", "output", "abort", "complaint", NULL};
static const char *const result_kinds[] = {"keygen", "sign", NULL};
static const char *const result_statuses[] = {"succeeded", "failed", "cancelled", NULL};
static const char *const services[] = {"api", "coordinator", "participant", "auditor", NULL};
static const char *const node_statuses[] = {
    "starting", "ready", "degraded", "draining", "stopping", NULL};

/* Largest timestamp accepted: 9999-12-31T23:59:59.999Z. */
#define MAX_TIME_MS INT64_C(253402300799999)

/* ---- Table entry builders --------------------------------------------------- */

#define OFF(T, m) offsetof(T, m)
#define STR(T, m, mn, mx, c) \
    {.name = #m, .type = FT_STRING, .off = OFF(T, m), .min = mn, .max = mx, .cs = c}
#define OPT_STR(T, m, mn, mx, c)                                               \
    {.name = #m, .type = FT_STRING, .flags = FL_NULLABLE, .off = OFF(T, m),    \
     .min = mn, .max = mx, .cs = c}
#define ID(T, m) STR(T, m, 1, MPC_CODEC_MAX_ID_LEN, CS_PRINTABLE)
#define OPT_ID(T, m) OPT_STR(T, m, 1, MPC_CODEC_MAX_ID_LEN, CS_PRINTABLE)
#define ENUM(T, m, set)                                                        \
    {.name = #m, .type = FT_STRING, .off = OFF(T, m), .min = 1,                \
     .max = MPC_CODEC_MAX_TOKEN_LEN, .cs = CS_TOKEN, .allowed = set}
#define INT(T, m, mn, mx) \
    {.name = #m, .type = FT_INT, .off = OFF(T, m), .min = mn, .max = mx}
#define OPT_INT(T, m, has, mn, mx)                                             \
    {.name = #m, .type = FT_INT, .flags = FL_NULLABLE, .off = OFF(T, m),       \
     .aux_off = OFF(T, has), .min = mn, .max = mx}
#define LONG(T, m, mn, mx) \
    {.name = #m, .type = FT_LONG, .off = OFF(T, m), .min = mn, .max = mx}
#define TIME(T, m) LONG(T, m, 0, MAX_TIME_MS)
#define BOOL(T, m) {.name = #m, .type = FT_BOOL, .off = OFF(T, m)}
#define BYTES(T, m, mn, mx) \
    {.name = #m, .type = FT_BYTES, .off = OFF(T, m), .min = mn, .max = mx}
#define OPT_BYTES(T, m, mn, mx)                                                \
    {.name = #m, .type = FT_BYTES, .flags = FL_NULLABLE, .off = OFF(T, m),     \
     .min = mn, .max = mx}
#define INT_ARRAY(T, m, maxn, emin, emax)                                      \
    {.name = #m, .type = FT_INT_ARRAY, .off = OFF(T, m),                       \
     .aux_off = OFF(T, m##_len), .min = 0, .max = maxn, .elem_min = emin,      \
     .elem_max = emax}
#define STR_ARRAY(T, m, maxn, c, emax)                                         \
    {.name = #m, .type = FT_STRING_ARRAY, .off = OFF(T, m),                    \
     .aux_off = OFF(T, m##_len), .min = 0, .max = maxn, .cs = c,               \
     .elem_min = 1, .elem_max = emax}
#define STR_MAP(T, m, maxn, kmax, vmax)                                        \
    {.name = #m, .type = FT_STRING_MAP, .off = OFF(T, m),                      \
     .aux_off = OFF(T, m##_len), .min = 0, .max = maxn, .cs = CS_PRINTABLE,    \
     .elem_min = 1, .elem_max = kmax, .val_max = vmax}
#define REC_ARRAY(T, m, d, mn, mx)                                             \
    {.name = #m, .type = FT_RECORD_ARRAY, .off = OFF(T, m),                    \
     .aux_off = OFF(T, m##_len), .sub = &d, .min = mn, .max = mx}
#define OPT_REC(T, m, d) \
    {.name = #m, .type = FT_RECORD, .flags = FL_NULLABLE, .off = OFF(T, m), .sub = &d}
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Rules across fields ---------------------------------------------------- */

/* Fails if the node ids are not distinct. */
static int distinct_ids(const int32_t *ids, size_t n, const char *name,
                        mpc_codec_error *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (ids[i] == ids[j])
                return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, name,
                                      "node id %" PRId32 " appears twice", ids[i]);
    return MPC_CODEC_OK;
}

static int keygen_check(const void *rec, const char *path, mpc_codec_error *err)
{
    const mpc_keygen_request *r = rec;
    (void)path;
    if (r->threshold > r->total_nodes)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "threshold",
                              "threshold %" PRId32 " exceeds total_nodes %" PRId32,
                              r->threshold, r->total_nodes);
    if (r->participants_len != 0 && r->participants_len != (size_t)r->total_nodes)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "participants",
                              "participants lists %zu nodes, total_nodes is %" PRId32
                              " (leave it empty to let the coordinator pick)",
                              r->participants_len, r->total_nodes);
    return distinct_ids(r->participants, r->participants_len, "participants", err);
}

/* "m" followed by any number of "/<index>", index < 2^31 (non-hardened: a
 * threshold key has no private key to derive hardened children with). */
long mpc_codec_sign_request_child_item(const mpc_sign_request *rec)
{
    for (size_t i = 0; i < rec->items_len; i++)
        if (rec->items[i].derivation_path != NULL &&
            strcmp(rec->items[i].derivation_path, "m") != 0)
            return (long)i;
    return -1;
}

static int derivation_path_ok(const char *p, const char **why)
{
    *why = "must look like m/0/17";
    if (*p++ != 'm')
        return 0;
    int depth = 0;
    while (*p) {
        if (*p++ != '/')
            return 0;
        if (*p < '0' || *p > '9')
            return 0;
        if (*p == '0' && p[1] >= '0' && p[1] <= '9')
            return 0; /* no leading zeros: one spelling per path */
        uint64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (uint64_t)(*p++ - '0');
            if (v >= (UINT64_C(1) << 31)) {
                *why = "index must be below 2^31 (hardened derivation is not "
                       "possible with a threshold key)";
                return 0;
            }
        }
        if (*p == '\'' || *p == 'h' || *p == 'H') {
            *why = "hardened derivation is not possible with a threshold key";
            return 0;
        }
        if (++depth > 255) {
            *why = "deeper than 255 levels";
            return 0;
        }
    }
    return 1;
}

static int sign_item_check(const void *rec, const char *path, mpc_codec_error *err)
{
    const mpc_sign_item *it = rec;
    char field[96];
    mpc_codec_join_path(field, sizeof field, path, "message");
    if (strcmp(it->message_type, "hash") == 0 &&
        it->message.len != MPC_CODEC_HASH_MESSAGE_LEN)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "a message of type hash must be %d bytes, not %zu",
                              MPC_CODEC_HASH_MESSAGE_LEN, it->message.len);
    if (strcmp(it->message_type, "raw") == 0 && it->message.len == 0)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "a raw message must not be empty");
    const char *why;
    if (it->derivation_path && !derivation_path_ok(it->derivation_path, &why)) {
        mpc_codec_join_path(field, sizeof field, path, "derivation_path");
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "derivation path '%s' %s", it->derivation_path, why);
    }
    return MPC_CODEC_OK;
}

static int cmp_item_ids(const void *a, const void *b)
{
    const mpc_sign_item *const *x = a, *const *y = b;
    return strcmp((*x)->request_id, (*y)->request_id);
}

static int sign_check(const void *rec, const char *path, mpc_codec_error *err)
{
    const mpc_sign_request *r = rec;
    (void)path;
    if (!r->batch_id && r->items_len != 1)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "batch_id",
                              "a request of %zu items needs a batch_id", r->items_len);
    if (r->callback_url && strncmp(r->callback_url, "https://", 8) != 0 &&
        strncmp(r->callback_url, "http://", 7) != 0)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "callback_url",
                              "callback_url must start with https:// or http://");
    /* Distinct item request ids: sort pointers, compare neighbours. */
    const mpc_sign_item **sorted = malloc(r->items_len * sizeof *sorted + 1);
    if (!sorted)
        return mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    for (size_t i = 0; i < r->items_len; i++)
        sorted[i] = &r->items[i];
    qsort(sorted, r->items_len, sizeof *sorted, cmp_item_ids);
    int rc = MPC_CODEC_OK;
    for (size_t i = 1; i < r->items_len && rc == MPC_CODEC_OK; i++)
        if (strcmp(sorted[i - 1]->request_id, sorted[i]->request_id) == 0)
            rc = mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "items",
                                "request_id '%s' appears in two items",
                                sorted[i]->request_id);
    free(sorted);
    return rc;
}

static int round_check(const void *rec, const char *path, mpc_codec_error *err)
{
    const mpc_round_message *m = rec;
    (void)path;
    if (m->encrypted && m->to == 0)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "encrypted",
                              "a broadcast (to = 0) cannot be encrypted to a recipient");
    return MPC_CODEC_OK;
}

static int result_check(const void *rec, const char *path, mpc_codec_error *err)
{
    const mpc_result *r = rec;
    (void)path;
    if (strcmp(r->status, "succeeded") == 0) {
        if (strcmp(r->kind, "keygen") == 0 && (!r->key_id || !r->public_key.data))
            return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "public_key",
                                  "a succeeded keygen needs key_id and public_key");
        if (strcmp(r->kind, "sign") == 0 && !r->signature.data)
            return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "signature",
                                  "a succeeded sign needs a signature");
    } else if (strcmp(r->status, "failed") == 0 && !r->error_code) {
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, "error_code",
                              "a failed result needs an error_code");
    }
    return distinct_ids(r->participants, r->participants_len, "participants", err);
}

/* ---- The tables --------------------------------------------------------------- */

static const field_desc auth_fields[] = {
    ID(mpc_auth, key_id),
    TIME(mpc_auth, timestamp),
    STR(mpc_auth, nonce, MPC_CODEC_MIN_NONCE_LEN, MPC_CODEC_MAX_ID_LEN, CS_PRINTABLE),
    BYTES(mpc_auth, signature, MPC_CODEC_AUTH_SIGNATURE_LEN, MPC_CODEC_AUTH_SIGNATURE_LEN),
};
static const record_desc auth_desc = {
    "Auth", MPC_RECORD_UNKNOWN, sizeof(mpc_auth), auth_fields, NFIELDS(auth_fields), NULL};

static const field_desc keygen_fields[] = {
    ID(mpc_keygen_request, request_id),
    ENUM(mpc_keygen_request, protocol, protocols),
    ENUM(mpc_keygen_request, curve, curves),
    INT(mpc_keygen_request, threshold, 1, MPC_CODEC_MAX_PARTIES),
    INT(mpc_keygen_request, total_nodes, 1, MPC_CODEC_MAX_PARTIES),
    STR(mpc_keygen_request, chain_type, 1, 32, CS_TOKEN),
    INT_ARRAY(mpc_keygen_request, participants, MPC_CODEC_MAX_PARTIES, 1, MPC_CODEC_MAX_PARTIES),
    STR_MAP(mpc_keygen_request, metadata, MPC_CODEC_MAX_METADATA_ENTRIES,
            MPC_CODEC_MAX_METADATA_KEY, MPC_CODEC_MAX_METADATA_VALUE),
    ID(mpc_keygen_request, client_id),
    TIME(mpc_keygen_request, submitted_at),
    OPT_REC(mpc_keygen_request, auth, auth_desc),
};
static const record_desc keygen_desc = {
    "KeygenRequest", MPC_RECORD_KEYGEN_REQUEST, sizeof(mpc_keygen_request),
    keygen_fields, NFIELDS(keygen_fields), keygen_check};

static const field_desc sign_item_fields[] = {
    ID(mpc_sign_item, request_id),
    BYTES(mpc_sign_item, message, 1, MPC_CODEC_MAX_SIGN_MESSAGE),
    ENUM(mpc_sign_item, message_type, message_types),
    OPT_STR(mpc_sign_item, derivation_path, 1, MPC_CODEC_MAX_PATH_LEN, CS_PRINTABLE),
};
static const record_desc sign_item_desc = {
    "SignItem", MPC_RECORD_UNKNOWN, sizeof(mpc_sign_item), sign_item_fields,
    NFIELDS(sign_item_fields), sign_item_check};

static const field_desc sign_fields[] = {
    ID(mpc_sign_request, request_id),
    OPT_ID(mpc_sign_request, batch_id),
    ID(mpc_sign_request, key_id),
    REC_ARRAY(mpc_sign_request, items, sign_item_desc, 1, MPC_CODEC_MAX_BATCH_ITEMS),
    OPT_STR(mpc_sign_request, callback_url, 1, MPC_CODEC_MAX_URL_LEN, CS_PRINTABLE),
    ID(mpc_sign_request, client_id),
    TIME(mpc_sign_request, submitted_at),
    OPT_REC(mpc_sign_request, auth, auth_desc),
};
static const record_desc sign_desc = {
    "SignRequest", MPC_RECORD_SIGN_REQUEST, sizeof(mpc_sign_request),
    sign_fields, NFIELDS(sign_fields), sign_check};

static const field_desc round_fields[] = {
    ID(mpc_round_message, session_id),
    ENUM(mpc_round_message, protocol, protocols),
    INT(mpc_round_message, round, 0, INT32_MAX),
    INT(mpc_round_message, from, 0, MPC_CODEC_MAX_PARTIES),
    INT(mpc_round_message, to, 0, MPC_CODEC_MAX_PARTIES),
    LONG(mpc_round_message, seq, 0, INT64_MAX),
    ENUM(mpc_round_message, kind, round_kinds),
    BYTES(mpc_round_message, payload, 0, MPC_CODEC_MAX_PAYLOAD),
    BOOL(mpc_round_message, encrypted),
    BYTES(mpc_round_message, signature, 1, MPC_CODEC_MAX_SIGNATURE),
    TIME(mpc_round_message, sent_at),
};
static const record_desc round_desc = {
    "RoundMessage", MPC_RECORD_ROUND_MESSAGE, sizeof(mpc_round_message),
    round_fields, NFIELDS(round_fields), round_check};

static const field_desc result_fields[] = {
    ID(mpc_result, request_id),
    OPT_ID(mpc_result, batch_id),
    ENUM(mpc_result, kind, result_kinds),
    ENUM(mpc_result, status, result_statuses),
    OPT_STR(mpc_result, error_code, 1, MPC_CODEC_MAX_TOKEN_LEN, CS_CODE),
    OPT_STR(mpc_result, error_message, 0, MPC_CODEC_MAX_TEXT, CS_UTF8),
    OPT_ID(mpc_result, key_id),
    OPT_BYTES(mpc_result, public_key, 1, MPC_CODEC_MAX_PUBLIC_KEY),
    OPT_STR(mpc_result, address, 1, MPC_CODEC_MAX_NAME_LEN, CS_PRINTABLE),
    OPT_BYTES(mpc_result, signature, 1, MPC_CODEC_MAX_SIGNATURE),
    OPT_BYTES(mpc_result, signature_der, 1, MPC_CODEC_MAX_SIGNATURE),
    OPT_INT(mpc_result, recovery_id, has_recovery_id, 0, 3),
    OPT_ID(mpc_result, session_id),
    INT_ARRAY(mpc_result, participants, MPC_CODEC_MAX_PARTIES, 1, MPC_CODEC_MAX_PARTIES),
    TIME(mpc_result, completed_at),
};
static const record_desc result_desc = {
    "Result", MPC_RECORD_RESULT, sizeof(mpc_result), result_fields,
    NFIELDS(result_fields), result_check};

static const field_desc heartbeat_fields[] = {
    INT(mpc_node_heartbeat, node_id, 0, MPC_CODEC_MAX_PARTIES),
    ENUM(mpc_node_heartbeat, service, services),
    ID(mpc_node_heartbeat, instance),
    ENUM(mpc_node_heartbeat, status, node_statuses),
    STR_ARRAY(mpc_node_heartbeat, capabilities, MPC_CODEC_MAX_CAPABILITIES, CS_TOKEN,
              MPC_CODEC_MAX_TOKEN_LEN),
    INT(mpc_node_heartbeat, load, 0, 100),
    INT(mpc_node_heartbeat, active_sessions, 0, INT32_MAX),
    STR(mpc_node_heartbeat, version, 1, MPC_CODEC_MAX_TOKEN_LEN, CS_PRINTABLE),
    TIME(mpc_node_heartbeat, sent_at),
};
static const record_desc heartbeat_desc = {
    "NodeHeartbeat", MPC_RECORD_NODE_HEARTBEAT, sizeof(mpc_node_heartbeat),
    heartbeat_fields, NFIELDS(heartbeat_fields), NULL};

static const field_desc dead_letter_fields[] = {
    STR(mpc_dead_letter, original_topic, 1, MPC_CODEC_MAX_NAME_LEN, CS_PRINTABLE),
    INT(mpc_dead_letter, original_partition, 0, INT32_MAX),
    LONG(mpc_dead_letter, original_offset, 0, INT64_MAX),
    OPT_BYTES(mpc_dead_letter, original_key, 0, MPC_CODEC_MAX_DLQ_VALUE),
    BYTES(mpc_dead_letter, original_value, 0, MPC_CODEC_MAX_DLQ_VALUE),
    STR(mpc_dead_letter, reason_code, 1, MPC_CODEC_MAX_TOKEN_LEN, CS_TOKEN),
    STR(mpc_dead_letter, reason, 0, MPC_CODEC_MAX_TEXT, CS_UTF8),
    STR(mpc_dead_letter, rejected_by, 1, MPC_CODEC_MAX_NAME_LEN, CS_PRINTABLE),
    TIME(mpc_dead_letter, rejected_at),
};
static const record_desc dead_letter_desc = {
    "DeadLetter", MPC_RECORD_DEAD_LETTER, sizeof(mpc_dead_letter),
    dead_letter_fields, NFIELDS(dead_letter_fields), NULL};

static const record_desc *const all_descs[MPC_RECORD_COUNT] = {
    [MPC_RECORD_KEYGEN_REQUEST] = &keygen_desc,
    [MPC_RECORD_SIGN_REQUEST] = &sign_desc,
    [MPC_RECORD_ROUND_MESSAGE] = &round_desc,
    [MPC_RECORD_RESULT] = &result_desc,
    [MPC_RECORD_NODE_HEARTBEAT] = &heartbeat_desc,
    [MPC_RECORD_DEAD_LETTER] = &dead_letter_desc,
};

const record_desc *mpc_codec_desc(mpc_record_type type)
{
    if ((int)type <= MPC_RECORD_UNKNOWN || type >= MPC_RECORD_COUNT)
        return NULL;
    return all_descs[type];
}

/* ---- Typed public functions ------------------------------------------------- */

#define MPC_CODEC_DEFINE(name, T, TYPE)                                        \
    int mpc_codec_encode_##name(const T *rec, uint8_t **out, size_t *out_len)  \
    {                                                                          \
        return mpc_codec_encode_any(TYPE, rec, out, out_len);                  \
    }                                                                          \
    int mpc_codec_decode_##name(const uint8_t *buf, size_t len, T *out,        \
                                mpc_codec_error *err)                          \
    {                                                                          \
        return mpc_codec_decode_any(TYPE, buf, len, out, err);                 \
    }                                                                          \
    void mpc_codec_free_##name(T *rec)                                         \
    {                                                                          \
        if (rec)                                                               \
            mpc_codec_free_desc(all_descs[TYPE], rec);                         \
    }                                                                          \
    int mpc_codec_validate_##name(const T *rec, mpc_codec_error *err)          \
    {                                                                          \
        MPC_ARG_CHECK(rec != NULL);                                            \
        mpc_codec_clear_error(err);                                            \
        return mpc_codec_validate_desc(all_descs[TYPE], rec, "", err);         \
    }

MPC_CODEC_DEFINE(keygen_request, mpc_keygen_request, MPC_RECORD_KEYGEN_REQUEST)
MPC_CODEC_DEFINE(sign_request, mpc_sign_request, MPC_RECORD_SIGN_REQUEST)
MPC_CODEC_DEFINE(round_message, mpc_round_message, MPC_RECORD_ROUND_MESSAGE)
MPC_CODEC_DEFINE(result, mpc_result, MPC_RECORD_RESULT)
MPC_CODEC_DEFINE(node_heartbeat, mpc_node_heartbeat, MPC_RECORD_NODE_HEARTBEAT)
MPC_CODEC_DEFINE(dead_letter, mpc_dead_letter, MPC_RECORD_DEAD_LETTER)
