/*
 * codec/registry.c - the registry of known schemas and the pre-scan of
 * untrusted bodies.
 *
 * Registry: built once (pthread_once) from the .avsc files embedded at build
 * time. For each record type it parses the schema twice, with jansson (to
 * compute the Parsing Canonical Form and the CRC-64-AVRO fingerprint that
 * the single-object header carries) and with Avro-C (to encode and decode),
 * and checks that the record's C table matches the schema. Any failure is
 * kept and returned by every later call as MPC_CODEC_ERR_SCHEMA.
 *
 * Pre-scan: Avro-C 1.11 trusts the lengths it reads (a string length of
 * 2^60 makes it try to allocate 2^60 bytes) and cannot tell how many bytes it
 * consumed. So before Avro-C sees a body, mpc_codec_prescan() walks it
 * against the schema, checking that every length fits in the remaining
 * input, every union index exists, every varint is well formed, and that the
 * body ends exactly where the record does.
 */
#include "codec_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static codec_schema registry[MPC_RECORD_COUNT];
static mpc_codec_error registry_error;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static const mpc_codec_embedded *find_embedded(const char *name)
{
    char file[64];
    snprintf(file, sizeof file, "%s.avsc", name);
    for (size_t i = 0; i < mpc_codec_embedded_schema_count; i++)
        if (strcmp(mpc_codec_embedded_schemas[i].file, file) == 0)
            return &mpc_codec_embedded_schemas[i];
    return NULL;
}

static int load_one(mpc_record_type type, mpc_codec_error *err)
{
    static const char *const fullnames[MPC_RECORD_COUNT] = {
        [MPC_RECORD_KEYGEN_REQUEST] = "mpc.v1.KeygenRequest",
        [MPC_RECORD_SIGN_REQUEST] = "mpc.v1.SignRequest",
        [MPC_RECORD_ROUND_MESSAGE] = "mpc.v1.RoundMessage",
        [MPC_RECORD_RESULT] = "mpc.v1.Result",
        [MPC_RECORD_NODE_HEARTBEAT] = "mpc.v1.NodeHeartbeat",
        [MPC_RECORD_DEAD_LETTER] = "mpc.v1.DeadLetter",
    };
    const record_desc *d = mpc_codec_desc(type);
    codec_schema *e = &registry[type];
    e->type = type;
    e->fullname = fullnames[type];

    const mpc_codec_embedded *file = find_embedded(d->name);
    if (!file)
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, d->name,
                              "no schemas/%s.avsc was embedded", d->name);
    if (!(e->json = strndup((const char *)file->text, file->len)))
        return mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");

    json_error_t jerr;
    json_t *root = json_loadb(e->json, file->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, file->file,
                              "%s: line %d: %s", file->file, jerr.line, jerr.text);
    int rc = mpc_codec_canonical_json(root, &e->canonical, err);
    json_decref(root);
    if (rc != MPC_CODEC_OK)
        return rc;
    char expect[96];
    snprintf(expect, sizeof expect, "{\"name\":\"%s\",\"type\":\"record\"", e->fullname);
    if (strncmp(e->canonical, expect, strlen(expect)) != 0)
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, file->file,
                              "%s must define the record %s", file->file, e->fullname);
    e->fingerprint = mpc_codec_fingerprint64((const uint8_t *)e->canonical,
                                             strlen(e->canonical));

    if (avro_schema_from_json_length(e->json, file->len, &e->schema))
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, file->file,
                              "Avro-C rejects %s: %s", file->file, avro_strerror());
    if (!(e->iface = avro_generic_class_from_schema(e->schema)))
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, file->file,
                              "Avro-C generic class for %s: %s", file->file,
                              avro_strerror());
    char msg[200];
    if (mpc_codec_desc_matches_schema(d, e->schema, msg, sizeof msg))
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, file->file,
                              "%s does not match the C struct: %s", file->file, msg);
    for (int t = MPC_RECORD_UNKNOWN + 1; t < (int)type; t++)
        if (registry[t].fingerprint == e->fingerprint)
            return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, file->file,
                                  "%s has the fingerprint of %s", file->file,
                                  registry[t].fullname);
    return MPC_CODEC_OK;
}

static void build_registry(void)
{
    mpc_codec_error *err = &registry_error;
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++)
        if (load_one((mpc_record_type)t, err) != MPC_CODEC_OK)
            return;
    /* Every embedded file must belong to a record with a C table. */
    for (size_t i = 0; i < mpc_codec_embedded_schema_count; i++) {
        int known = 0;
        for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
            char file[64];
            snprintf(file, sizeof file, "%s.avsc", mpc_codec_desc((mpc_record_type)t)->name);
            known |= strcmp(file, mpc_codec_embedded_schemas[i].file) == 0;
        }
        if (!known) {
            mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, mpc_codec_embedded_schemas[i].file,
                           "schemas/%s has no C struct in lib/codec/records.c",
                           mpc_codec_embedded_schemas[i].file);
            return;
        }
    }
    registry_error.code = MPC_CODEC_OK;
}

static int ensure_registry(mpc_codec_error *err)
{
    pthread_once(&registry_once, build_registry);
    if (registry_error.code != MPC_CODEC_OK)
        return mpc_codec_fail(err, registry_error.code, registry_error.field, "%s",
                              registry_error.message);
    return MPC_CODEC_OK;
}

int mpc_codec_registry_get(mpc_record_type type, const codec_schema **out,
                           mpc_codec_error *err)
{
    int rc = ensure_registry(err);
    if (rc != MPC_CODEC_OK)
        return rc;
    if (!mpc_codec_desc(type))
        return mpc_codec_fail(err, MPC_CODEC_ERR_ARG, "", "no record type %d", (int)type);
    *out = &registry[type];
    return MPC_CODEC_OK;
}

const codec_schema *mpc_codec_registry_find(uint64_t fp)
{
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++)
        if (registry[t].fingerprint == fp)
            return &registry[t];
    return NULL;
}

int mpc_codec_init(mpc_codec_error *err)
{
    mpc_codec_clear_error(err);
    return ensure_registry(err);
}

/* ---- Pre-scan ------------------------------------------------------------------ */

typedef struct scan {
    const uint8_t *p, *end;
    mpc_codec_error *err;
} scan;

/* Deepest nesting of schemas followed (ours nest three deep). */
#define MAX_SCAN_DEPTH 32

static int scan_truncated(scan *s)
{
    return mpc_codec_fail(s->err, MPC_CODEC_ERR_TRUNCATED, "",
                          "the record ends before its body does");
}

/* A zig-zag varint of at most 10 bytes whose value fits 64 bits. */
static int scan_long(scan *s, int64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (s->p == s->end)
            return scan_truncated(s);
        uint8_t b = *s->p++;
        if (i == 9 && b > 1)
            return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "",
                                  "varint does not fit 64 bits");
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return MPC_CODEC_OK;
        }
    }
    return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "", "varint longer than 10 bytes");
}

static int scan_skip(scan *s, int64_t n)
{
    if (n < 0)
        return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "", "negative length %lld",
                              (long long)n);
    if ((uint64_t)n > (uint64_t)(s->end - s->p))
        return scan_truncated(s);
    s->p += n;
    return MPC_CODEC_OK;
}

static int scan_value(scan *s, avro_schema_t schema, int depth);

/* Array or map blocks: count, [byte size if count < 0], items... until 0. */
static int scan_blocks(scan *s, avro_schema_t items, int is_map, int depth)
{
    for (;;) {
        int64_t count;
        int rc = scan_long(s, &count);
        if (rc != MPC_CODEC_OK)
            return rc;
        if (count == 0)
            return MPC_CODEC_OK;
        if (count < 0) {
            int64_t bytes;
            if (count == INT64_MIN)
                return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "", "bad block count");
            count = -count;
            if ((rc = scan_long(s, &bytes)) != MPC_CODEC_OK)
                return rc;
            if (bytes < 0)
                return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "",
                                      "negative block size");
        }
        /* Every item of our schemas takes at least one byte. */
        if ((uint64_t)count > (uint64_t)(s->end - s->p))
            return mpc_codec_fail(s->err, MPC_CODEC_ERR_TRUNCATED, "",
                                  "a block of %lld items, but only %zu bytes left",
                                  (long long)count, (size_t)(s->end - s->p));
        for (int64_t i = 0; i < count; i++) {
            if (is_map) {
                int64_t klen;
                if ((rc = scan_long(s, &klen)) != MPC_CODEC_OK ||
                    (rc = scan_skip(s, klen)) != MPC_CODEC_OK)
                    return rc;
            }
            if ((rc = scan_value(s, items, depth + 1)) != MPC_CODEC_OK)
                return rc;
        }
    }
}

static int scan_value(scan *s, avro_schema_t schema, int depth)
{
    int64_t n;
    int rc;
    if (depth > MAX_SCAN_DEPTH)
        return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "", "nested too deep");
    switch (avro_typeof(schema)) {
    case AVRO_NULL:
        return MPC_CODEC_OK;
    case AVRO_BOOLEAN:
        if (s->p == s->end)
            return scan_truncated(s);
        if (*s->p > 1)
            return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "",
                                  "boolean byte %u is neither 0 nor 1", *s->p);
        s->p++;
        return MPC_CODEC_OK;
    case AVRO_INT32:
        if ((rc = scan_long(s, &n)) != MPC_CODEC_OK)
            return rc;
        if (n < INT32_MIN || n > INT32_MAX)
            return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "",
                                  "int out of 32-bit range");
        return MPC_CODEC_OK;
    case AVRO_INT64:
        return scan_long(s, &n);
    case AVRO_FLOAT:
        return scan_skip(s, 4);
    case AVRO_DOUBLE:
        return scan_skip(s, 8);
    case AVRO_STRING:
    case AVRO_BYTES:
        if ((rc = scan_long(s, &n)) != MPC_CODEC_OK)
            return rc;
        return scan_skip(s, n);
    case AVRO_FIXED:
        return scan_skip(s, avro_schema_fixed_size(schema));
    case AVRO_ENUM:
        if ((rc = scan_long(s, &n)) != MPC_CODEC_OK)
            return rc;
        if (n < 0 || n >= avro_schema_enum_number_of_symbols(schema))
            return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "",
                                  "enum index %lld out of range", (long long)n);
        return MPC_CODEC_OK;
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(schema); i++) {
            avro_schema_t f = avro_schema_record_field_get_by_index(schema, (int)i);
            if ((rc = scan_value(s, f, depth + 1)) != MPC_CODEC_OK)
                return rc;
        }
        return MPC_CODEC_OK;
    case AVRO_UNION:
        if ((rc = scan_long(s, &n)) != MPC_CODEC_OK)
            return rc;
        if (n < 0 || (uint64_t)n >= avro_schema_union_size(schema))
            return mpc_codec_fail(s->err, MPC_CODEC_ERR_MALFORMED, "",
                                  "union branch %lld does not exist", (long long)n);
        return scan_value(s, avro_schema_union_branch(schema, (int)n), depth + 1);
    case AVRO_ARRAY:
        return scan_blocks(s, avro_schema_array_items(schema), 0, depth);
    case AVRO_MAP:
        return scan_blocks(s, avro_schema_map_values(schema), 1, depth);
    case AVRO_LINK:
        return scan_value(s, avro_schema_link_target(schema), depth + 1);
    default:
        return mpc_codec_fail(s->err, MPC_CODEC_ERR_SCHEMA, "", "unsupported schema type");
    }
}

int mpc_codec_prescan_fields(avro_schema_t record, size_t nfields,
                             const uint8_t *body, size_t len, size_t *consumed,
                             mpc_codec_error *err)
{
    static const uint8_t none[1];
    scan s = {body ? body : none, (body ? body : none) + len, err};
    for (size_t i = 0; i < nfields; i++) {
        avro_schema_t f = avro_schema_record_field_get_by_index(record, (int)i);
        int rc = scan_value(&s, f, 1);
        if (rc != MPC_CODEC_OK)
            return rc;
    }
    *consumed = (size_t)(s.p - (body ? body : none));
    return MPC_CODEC_OK;
}

int mpc_codec_prescan(avro_schema_t schema, const uint8_t *body, size_t len,
                      mpc_codec_error *err)
{
    static const uint8_t none[1];
    scan s = {body ? body : none, (body ? body : none) + len, err};
    int rc = scan_value(&s, schema, 0);
    if (rc != MPC_CODEC_OK)
        return rc;
    if (s.p != s.end)
        return mpc_codec_fail(err, MPC_CODEC_ERR_TRAILING, "",
                              "%zu bytes after the end of the record",
                              (size_t)(s.end - s.p));
    return MPC_CODEC_OK;
}
