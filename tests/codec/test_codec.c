/*
 * tests/codec/test_codec.c - unit tests of lib/codec: round trips of every
 * record, the single-object header, malformed input (bad magic, unknown
 * fingerprint, truncation at every length, trailing bytes, oversized
 * records and fields), field validation on encode and decode, Parsing
 * Canonical Form vectors, the RoundMessage header/digest, and a random
 * byte-flip loop that must never crash (run under ASan/UBSan in Debug).
 *
 * The random seed is printed; set MPC_TEST_SEED to replay a run, and
 * MPC_FUZZ_ITERATIONS to change how many mutations per record are tried.
 */
#include "samples.h"

#include <avro.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

#define CHECK_RC(expr, want)                                                   \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ != (want)) {                                                   \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s (%s)\n", __FILE__, \
                    __LINE__, #expr, mpc_codec_status_name(rc_),              \
                    mpc_codec_status_name(want), mpc_codec_last_error()->message); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* ---- Helpers ---------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{ /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}

static char *to_json(mpc_record_type type, const void *rec)
{
    char *json = NULL;
    CHECK_RC(mpc_codec_record_to_json(type, rec, &json), MPC_CODEC_OK);
    return json;
}

/* Encode a record of `type` assembled with raw Avro-C calls (bypassing the
 * codec's encode-side validation), to test what decode does with it. `edit`
 * changes the generic value decoded from the sample. */
static void encode_edited(mpc_record_type type, void (*edit)(avro_value_t *rec),
                          uint8_t **out, size_t *out_len)
{
    const char *json;
    uint64_t fp;
    CHECK(mpc_codec_schema_info(type, &json, NULL, &fp));
    avro_schema_t schema;
    CHECK(avro_schema_from_json_length(json, strlen(json), &schema) == 0);
    avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
    avro_value_t val;
    CHECK(avro_generic_value_new(iface, &val) == 0);
    uint8_t *buf;
    size_t len;
    sample_encode(type, &buf, &len);
    avro_reader_t r = avro_reader_memory((const char *)buf + 10, (int64_t)(len - 10));
    CHECK(avro_value_read(r, &val) == 0);
    avro_reader_free(r);
    free(buf);
    edit(&val);
    size_t size;
    CHECK(avro_value_sizeof(&val, &size) == 0);
    *out = malloc(size + 10);
    (*out)[0] = 0xC3;
    (*out)[1] = 0x01;
    for (int i = 0; i < 8; i++)
        (*out)[2 + i] = (uint8_t)(fp >> (8 * i));
    avro_writer_t w = avro_writer_memory((const char *)*out + 10, (int64_t)size);
    CHECK(avro_value_write(w, &val) == 0);
    avro_writer_free(w);
    *out_len = size + 10;
    avro_value_decref(&val);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
}

/* Decode bytes of `type` and return the status, freeing whatever was decoded. */
static int decode_status(mpc_record_type type, const uint8_t *buf, size_t len,
                         mpc_codec_error *err)
{
    any_record rec;
    int rc = decode_record(type, buf, len, &rec, err);
    free_record(type, &rec);
    return rc;
}

/* ---- Round trips -------------------------------------------------------------- */

static void test_round_trips(void)
{
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
        mpc_record_type type = (mpc_record_type)t;
        uint8_t *buf;
        size_t len;
        sample_encode(type, &buf, &len);

        /* Header: magic and the fingerprint of this record's schema. */
        uint64_t fp = 0, got = 0;
        CHECK(mpc_codec_schema_info(type, NULL, NULL, &fp));
        CHECK(len > 10 && buf[0] == 0xC3 && buf[1] == 0x01);
        for (int i = 0; i < 8; i++)
            got |= (uint64_t)buf[2 + i] << (8 * i);
        CHECK(got == fp);
        CHECK(mpc_codec_peek_schema(buf, len, NULL) == type);

        /* Decode gives back the same record (compared through JSON). */
        any_record rec;
        mpc_codec_error err;
        CHECK_RC(decode_record(type, buf, len, &rec, &err), MPC_CODEC_OK);
        char *a = to_json(type, sample_record(type)), *b = to_json(type, &rec);
        CHECK(a && b && strcmp(a, b) == 0);

        /* Re-encoding the decoded record gives the same bytes. */
        uint8_t *buf2;
        size_t len2;
        CHECK_RC(encode_record(type, &rec, &buf2, &len2), MPC_CODEC_OK);
        CHECK(len2 == len && memcmp(buf, buf2, len) == 0);

        /* The run-time-typed API agrees. */
        mpc_any_record anyrec;
        mpc_record_type anytype;
        uint8_t *buf3;
        size_t len3;
        CHECK_RC(mpc_codec_decode(buf, len, &anytype, &anyrec, &err), MPC_CODEC_OK);
        CHECK(anytype == type);
        CHECK_RC(mpc_codec_encode(anytype, &anyrec, &buf3, &len3), MPC_CODEC_OK);
        CHECK(len3 == len && memcmp(buf, buf3, len) == 0);
        mpc_codec_free(anytype, &anyrec);
        free(buf3);
        CHECK_RC(mpc_codec_decode(buf, len - 1, &anytype, &anyrec, &err), MPC_CODEC_ERR_TRUNCATED);
        CHECK(anytype == MPC_RECORD_UNKNOWN);

        /* decode_to_json agrees. */
        char *c = NULL;
        mpc_record_type found = MPC_RECORD_UNKNOWN;
        CHECK_RC(mpc_codec_decode_to_json(buf, len, &found, &c, &err), MPC_CODEC_OK);
        CHECK(found == type && c && a && strcmp(a, c) == 0);

        /* Asking for another record type is refused. */
        mpc_record_type other = t == MPC_RECORD_COUNT - 1 ? MPC_RECORD_KEYGEN_REQUEST
                                                           : (mpc_record_type)(t + 1);
        CHECK_RC(decode_status(other, buf, len, &err), MPC_CODEC_ERR_WRONG_SCHEMA);

        free(a);
        free(b);
        free(c);
        free(buf2);
        free_record(type, &rec);
        /* Freeing twice is harmless: free zeroes the struct. */
        free_record(type, &rec);
        free(buf);
    }

    /* Field spot checks. */
    uint8_t *buf;
    size_t len;
    mpc_sign_request s;
    sample_encode(MPC_RECORD_SIGN_REQUEST, &buf, &len);
    CHECK_RC(mpc_codec_decode_sign_request(buf, len, &s, NULL), MPC_CODEC_OK);
    CHECK(s.items_len == 3 && strcmp(s.items[1].request_id, "w-2") == 0);
    CHECK(s.items[1].message.len == 11 && memcmp(s.items[1].message.data, "hello world", 11) == 0);
    CHECK(s.items[0].derivation_path == NULL);
    CHECK(strcmp(s.items[2].derivation_path, "m/44/0/0/1") == 0);
    CHECK(s.auth && s.auth->signature.len == 32 && s.auth->timestamp == 1700000000450);
    CHECK(s.submitted_at == 1700000000456);
    mpc_codec_free_sign_request(&s);
    free(buf);

    mpc_result r;
    sample_encode(MPC_RECORD_RESULT, &buf, &len);
    CHECK_RC(mpc_codec_decode_result(buf, len, &r, NULL), MPC_CODEC_OK);
    CHECK(r.has_recovery_id && r.recovery_id == 1 && r.signature_der.data == NULL);
    CHECK(r.error_code == NULL && r.public_key.len == 33 && r.public_key.data[0] == 2);
    mpc_codec_free_result(&r);
    free(buf);

    /* A failed keygen result: mostly nulls, empty participants. */
    mpc_result failed = {.request_id = "kg-9", .kind = "keygen", .status = "failed",
                         .error_code = "not_enough_participants",
                         .error_message = "only 1 healthy participant", .completed_at = 5};
    CHECK_RC(mpc_codec_encode_result(&failed, &buf, &len), MPC_CODEC_OK);
    CHECK_RC(mpc_codec_decode_result(buf, len, &r, NULL), MPC_CODEC_OK);
    CHECK(!r.has_recovery_id && !r.public_key.data && !r.key_id && r.participants_len == 0);
    CHECK(strcmp(r.error_code, "not_enough_participants") == 0);
    mpc_codec_free_result(&r);
    free(buf);

    /* Empty but present nullable bytes stay present; empty payload is fine. */
    mpc_dead_letter dl = *(const mpc_dead_letter *)sample_record(MPC_RECORD_DEAD_LETTER);
    static uint8_t none[1];
    dl.original_key = (mpc_bytes){none, 0};
    dl.original_value = (mpc_bytes){NULL, 0};
    mpc_dead_letter dl2;
    CHECK_RC(mpc_codec_encode_dead_letter(&dl, &buf, &len), MPC_CODEC_OK);
    CHECK_RC(mpc_codec_decode_dead_letter(buf, len, &dl2, NULL), MPC_CODEC_OK);
    CHECK(dl2.original_key.data != NULL && dl2.original_key.len == 0);
    CHECK(dl2.original_value.len == 0);
    mpc_codec_free_dead_letter(&dl2);
    free(buf);
}

/* ---- Malformed input ------------------------------------------------------------ */

static void test_malformed(void)
{
    mpc_codec_error err;
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
        mpc_record_type type = (mpc_record_type)t;
        uint8_t *buf;
        size_t len;
        sample_encode(type, &buf, &len);
        uint8_t *copy = malloc(len + 100);

        /* Bad magic, either byte. */
        for (int i = 0; i < 2; i++) {
            memcpy(copy, buf, len);
            copy[i] ^= 0x40;
            CHECK_RC(decode_status(type, copy, len, &err), MPC_CODEC_ERR_BAD_MAGIC);
            CHECK(err.code == MPC_CODEC_ERR_BAD_MAGIC && err.message[0]);
            CHECK(mpc_codec_peek_schema(copy, len, NULL) == MPC_RECORD_UNKNOWN);
        }
        /* Unknown fingerprint, any byte of it. */
        for (int i = 2; i < 10; i++) {
            memcpy(copy, buf, len);
            copy[i] ^= 0x01;
            CHECK_RC(decode_status(type, copy, len, &err), MPC_CODEC_ERR_UNKNOWN_SCHEMA);
            CHECK(mpc_codec_peek_schema(copy, len, &err) == MPC_RECORD_UNKNOWN &&
                  err.code == MPC_CODEC_ERR_UNKNOWN_SCHEMA);
        }
        /* Truncated at every length: always TRUNCATED (a decoder reading a
         * prefix follows the same path as on the whole record). */
        for (size_t n = 0; n < len; n++) {
            uint8_t *prefix = malloc(n ? n : 1); /* exact size: ASan sees overreads */
            memcpy(prefix, buf, n);
            CHECK_RC(decode_status(type, n ? prefix : NULL, n, &err), MPC_CODEC_ERR_TRUNCATED);
            free(prefix);
        }
        /* Trailing bytes. */
        memcpy(copy, buf, len);
        memset(copy + len, 0, 100);
        CHECK_RC(decode_status(type, copy, len + 1, &err), MPC_CODEC_ERR_TRAILING);
        CHECK_RC(decode_status(type, copy, len + 100, &err), MPC_CODEC_ERR_TRAILING);
        free(copy);
        free(buf);
    }

    /* A record larger than MPC_CODEC_MAX_RECORD_BYTES is refused unread. */
    size_t big = MPC_CODEC_MAX_RECORD_BYTES + 1;
    uint8_t *huge = calloc(1, big);
    uint8_t *sample;
    size_t slen;
    sample_encode(MPC_RECORD_SIGN_REQUEST, &sample, &slen);
    memcpy(huge, sample, 10);
    CHECK_RC(decode_status(MPC_RECORD_SIGN_REQUEST, huge, big, &err), MPC_CODEC_ERR_TOO_LARGE);
    free(huge);

    /* Hand-made bodies: a string claiming 2^62 bytes, a negative length, a
     * union branch that does not exist, an over-long varint. */
    uint8_t body[64];
    memcpy(body, sample, 10);
    static const uint8_t huge_len[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40};
    memcpy(body + 10, huge_len, sizeof huge_len);
    CHECK_RC(decode_status(MPC_RECORD_SIGN_REQUEST, body, 10 + sizeof huge_len, &err),
             MPC_CODEC_ERR_TRUNCATED);
    body[10] = 0x01; /* zig-zag -1 */
    CHECK_RC(decode_status(MPC_RECORD_SIGN_REQUEST, body, 11, &err), MPC_CODEC_ERR_MALFORMED);
    body[10] = 0x02; /* request_id "a" */
    body[11] = 'a';
    body[12] = 0x04; /* batch_id: union branch 2 of 2 */
    CHECK_RC(decode_status(MPC_RECORD_SIGN_REQUEST, body, 13, &err), MPC_CODEC_ERR_MALFORMED);
    memset(body + 10, 0xff, 11);
    CHECK_RC(decode_status(MPC_RECORD_SIGN_REQUEST, body, 21, &err), MPC_CODEC_ERR_MALFORMED);
    free(sample);

    /* Garbage and NULL with length 0. */
    CHECK(mpc_codec_peek_schema(NULL, 0, &err) == MPC_RECORD_UNKNOWN &&
          err.code == MPC_CODEC_ERR_TRUNCATED);
}

/* ---- Decode-side validation of records other libraries could write ------------ */

static void edit_protocol(avro_value_t *rec)
{
    avro_value_t f;
    CHECK(avro_value_get_by_name(rec, "protocol", &f, NULL) == 0);
    CHECK(avro_value_set_string(&f, "ecdsa") == 0);
}

static void edit_batch_1001(avro_value_t *rec)
{
    static uint8_t hash[32];
    avro_value_t items, item, field, branch;
    CHECK(avro_value_get_by_name(rec, "items", &items, NULL) == 0);
    for (int i = 0; i < 1001 - 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "x-%d", i);
        CHECK(avro_value_append(&items, &item, NULL) == 0);
        CHECK(avro_value_get_by_name(&item, "request_id", &field, NULL) == 0);
        CHECK(avro_value_set_string(&field, id) == 0);
        CHECK(avro_value_get_by_name(&item, "message", &field, NULL) == 0);
        CHECK(avro_value_set_bytes(&field, hash, sizeof hash) == 0);
        CHECK(avro_value_get_by_name(&item, "message_type", &field, NULL) == 0);
        CHECK(avro_value_set_string(&field, "hash") == 0);
        CHECK(avro_value_get_by_name(&item, "derivation_path", &field, NULL) == 0);
        CHECK(avro_value_set_branch(&field, 0, &branch) == 0);
        CHECK(avro_value_set_null(&branch) == 0);
    }
}

/* Give items[index].message `len` zero bytes. */
static void set_item_message(avro_value_t *rec, size_t index, size_t len)
{
    static uint8_t zeros[MPC_CODEC_MAX_SIGN_MESSAGE + 1];
    avro_value_t items, item, field;
    CHECK(avro_value_get_by_name(rec, "items", &items, NULL) == 0);
    CHECK(avro_value_get_by_index(&items, index, &item, NULL) == 0);
    CHECK(avro_value_get_by_name(&item, "message", &field, NULL) == 0);
    CHECK(avro_value_set_bytes(&field, zeros, len) == 0);
}

static void edit_message_4097(avro_value_t *rec)
{
    set_item_message(rec, 1, MPC_CODEC_MAX_SIGN_MESSAGE + 1);
}

static void edit_hash_31(avro_value_t *rec)
{
    set_item_message(rec, 0, 31);
}

static void edit_bad_utf8(avro_value_t *rec)
{
    avro_value_t f;
    CHECK(avro_value_get_by_name(rec, "reason", &f, NULL) == 0);
    CHECK(avro_value_set_string(&f, "bad \xc3\x28 byte") == 0);
}

static void edit_payload_too_big(avro_value_t *rec)
{
    avro_value_t f;
    size_t n = MPC_CODEC_MAX_PAYLOAD + 1;
    uint8_t *p = calloc(1, n);
    CHECK(avro_value_get_by_name(rec, "payload", &f, NULL) == 0);
    CHECK(avro_value_set_bytes(&f, p, n) == 0);
    free(p);
}

static void test_decode_validation(void)
{
    static const struct {
        mpc_record_type type;
        void (*edit)(avro_value_t *);
        int want;
        const char *field;
    } cases[] = {
        {MPC_RECORD_KEYGEN_REQUEST, edit_protocol, MPC_CODEC_ERR_INVALID, "protocol"},
        {MPC_RECORD_ROUND_MESSAGE, edit_protocol, MPC_CODEC_ERR_INVALID, "protocol"},
        {MPC_RECORD_SIGN_REQUEST, edit_batch_1001, MPC_CODEC_ERR_TOO_LARGE, "items"},
        {MPC_RECORD_SIGN_REQUEST, edit_message_4097, MPC_CODEC_ERR_TOO_LARGE, "items[1].message"},
        {MPC_RECORD_SIGN_REQUEST, edit_hash_31, MPC_CODEC_ERR_INVALID, "items[0].message"},
        {MPC_RECORD_DEAD_LETTER, edit_bad_utf8, MPC_CODEC_ERR_MALFORMED, "reason"},
        {MPC_RECORD_ROUND_MESSAGE, edit_payload_too_big, MPC_CODEC_ERR_TOO_LARGE, "payload"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *buf;
        size_t len;
        mpc_codec_error err;
        encode_edited(cases[i].type, cases[i].edit, &buf, &len);
        CHECK_RC(decode_status(cases[i].type, buf, len, &err), cases[i].want);
        if (strcmp(err.field, cases[i].field) != 0) {
            fprintf(stderr, "case %zu: field '%s', expected '%s' (%s)\n", i, err.field,
                    cases[i].field, err.message);
            failures++;
        }
        free(buf);
    }
}

/* ---- Encode-side validation ---------------------------------------------------- */

#define EXPECT_ENCODE(name, rec, want, fieldname)                              \
    do {                                                                       \
        uint8_t *out_ = NULL;                                                  \
        size_t len_ = 0;                                                       \
        CHECK_RC(mpc_codec_encode_##name(&(rec), &out_, &len_), want);         \
        CHECK(out_ == NULL || (want) == MPC_CODEC_OK);                         \
        if ((want) != MPC_CODEC_OK &&                                          \
            strcmp(mpc_codec_last_error()->field, fieldname) != 0) {           \
            fprintf(stderr, "%s:%d: field '%s', expected '%s'\n", __FILE__,    \
                    __LINE__, mpc_codec_last_error()->field, fieldname);       \
            failures++;                                                        \
        }                                                                      \
        free(out_);                                                            \
    } while (0)

/* Copy *base into var, apply one change, and expect EXPECT_ENCODE's result. */
#define MUTATE(name, var, base, change, want, fieldname)                       \
    do {                                                                       \
        var = *(base);                                                         \
        change;                                                                \
        EXPECT_ENCODE(name, var, want, fieldname);                             \
    } while (0)

static void test_encode_validation(void)
{
    const mpc_keygen_request *kg0 = sample_record(MPC_RECORD_KEYGEN_REQUEST);
    mpc_keygen_request kg;
    MUTATE(keygen_request, kg, kg0, kg.threshold = 4, MPC_CODEC_ERR_INVALID, "threshold");
    MUTATE(keygen_request, kg, kg0, kg.protocol = "FROST", MPC_CODEC_ERR_INVALID, "protocol");
    MUTATE(keygen_request, kg, kg0, kg.participants_len = 2, MPC_CODEC_ERR_INVALID, "participants");
    kg = *kg0;
    int32_t dup[] = {1, 2, 1};
    kg.participants = dup;
    EXPECT_ENCODE(keygen_request, kg, MPC_CODEC_ERR_INVALID, "participants");
    MUTATE(keygen_request, kg, kg0, kg.request_id = "has space", MPC_CODEC_ERR_INVALID, "request_id");
    MUTATE(keygen_request, kg, kg0, kg.request_id = NULL, MPC_CODEC_ERR_INVALID, "request_id");
    kg = *kg0;
    char long_id[MPC_CODEC_MAX_ID_LEN + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    kg.client_id = long_id;
    EXPECT_ENCODE(keygen_request, kg, MPC_CODEC_ERR_TOO_LARGE, "client_id");
    kg = *kg0;
    kg.participants_len = 0; /* coordinator picks */
    EXPECT_ENCODE(keygen_request, kg, MPC_CODEC_OK, "");
    kg = *kg0;
    mpc_kv kv[] = {{"a", "1"}, {"a", "2"}};
    kg.metadata = kv;
    kg.metadata_len = 2;
    EXPECT_ENCODE(keygen_request, kg, MPC_CODEC_ERR_INVALID, "metadata[1]");

    const mpc_sign_request *sr0 = sample_record(MPC_RECORD_SIGN_REQUEST);
    mpc_sign_request sr = *sr0;
    mpc_sign_item items[3];
    memcpy(items, sr0->items, sizeof items);
    sr.items = items;
    sr.batch_id = NULL;
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "batch_id");
    sr = *sr0;
    sr.items = items;
    items[2].request_id = "w-1";
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "items");
    memcpy(items, sr0->items, sizeof items);
    items[1].derivation_path = "m/44'/0";
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "items[1].derivation_path");
    items[1].derivation_path = "m/2147483648";
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "items[1].derivation_path");
    items[1].derivation_path = "m/01";
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "items[1].derivation_path");
    items[1].derivation_path = "m";
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_OK, "");
    /* child paths are found (and refused by the services): items[2] is m/44/0/0/1 */
    CHECK(mpc_codec_sign_request_child_item(&sr) == 2);
    items[1].derivation_path = "m/0";
    CHECK(mpc_codec_sign_request_child_item(&sr) == 1);
    items[1].derivation_path = "m";
    items[2].derivation_path = NULL;
    CHECK(mpc_codec_sign_request_child_item(&sr) == -1);
    memcpy(items, sr0->items, sizeof items);
    items[0].message.len = 31;
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "items[0].message");
    memcpy(items, sr0->items, sizeof items);
    items[1].message_type = "typed_data";
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "items[1].message_type");
    memcpy(items, sr0->items, sizeof items);
    sr.callback_url = "ftp://x";
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "callback_url");
    sr = *sr0;
    mpc_auth auth = *sr0->auth;
    auth.signature.len = 31;
    sr.auth = &auth;
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_INVALID, "auth.signature");
    MUTATE(sign_request, sr, sr0, sr.items_len = 0, MPC_CODEC_ERR_INVALID, "items");

    /* The largest batch passes; one more item does not. */
    size_t n = MPC_CODEC_MAX_BATCH_ITEMS + 1;
    mpc_sign_item *many = calloc(n, sizeof *many);
    char (*ids)[16] = calloc(n, 16);
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], 16, "r-%zu", i);
        many[i] = sr0->items[0];
        many[i].request_id = ids[i];
    }
    sr = *sr0;
    sr.items = many;
    sr.items_len = n - 1;
    uint8_t *out;
    size_t out_len;
    CHECK_RC(mpc_codec_encode_sign_request(&sr, &out, &out_len), MPC_CODEC_OK);
    mpc_sign_request back;
    CHECK_RC(mpc_codec_decode_sign_request(out, out_len, &back, NULL), MPC_CODEC_OK);
    CHECK(back.items_len == n - 1 && strcmp(back.items[999].request_id, "r-999") == 0);
    mpc_codec_free_sign_request(&back);
    free(out);
    sr.items_len = n;
    EXPECT_ENCODE(sign_request, sr, MPC_CODEC_ERR_TOO_LARGE, "items");
    free(many);
    free(ids);

    const mpc_round_message *rm0 = sample_record(MPC_RECORD_ROUND_MESSAGE);
    mpc_round_message rm;
    MUTATE(round_message, rm, rm0, rm.to = 0, MPC_CODEC_ERR_INVALID, "encrypted");
    MUTATE(round_message, rm, rm0, rm.kind = "gossip", MPC_CODEC_ERR_INVALID, "kind");
    MUTATE(round_message, rm, rm0, rm.signature.len = 0, MPC_CODEC_ERR_INVALID, "signature");
    MUTATE(round_message, rm, rm0, rm.from = 256, MPC_CODEC_ERR_INVALID, "from");
    MUTATE(round_message, rm, rm0, rm.payload.data = NULL, MPC_CODEC_ERR_INVALID, "payload");

    const mpc_result *r0 = sample_record(MPC_RECORD_RESULT);
    mpc_result r;
    MUTATE(result, r, r0, r.signature.data = NULL, MPC_CODEC_ERR_INVALID, "signature");
    MUTATE(result, r, r0, r.status = "failed", MPC_CODEC_ERR_INVALID, "error_code");
    MUTATE(result, r, r0, r.recovery_id = 4, MPC_CODEC_ERR_INVALID, "recovery_id");
    r.has_recovery_id = false; /* value ignored when null */
    EXPECT_ENCODE(result, r, MPC_CODEC_OK, "");

    const mpc_node_heartbeat *hb0 = sample_record(MPC_RECORD_NODE_HEARTBEAT);
    mpc_node_heartbeat hb;
    MUTATE(node_heartbeat, hb, hb0, hb.load = 101, MPC_CODEC_ERR_INVALID, "load");
    hb = *hb0;
    char *caps[] = {"frost", "Bad Cap"};
    hb.capabilities = caps;
    EXPECT_ENCODE(node_heartbeat, hb, MPC_CODEC_ERR_INVALID, "capabilities[1]");

    const mpc_dead_letter *dl0 = sample_record(MPC_RECORD_DEAD_LETTER);
    mpc_dead_letter dl;
    MUTATE(dead_letter, dl, dl0, dl.reason = "bad \xc3\x28 byte", MPC_CODEC_ERR_INVALID, "reason");
    MUTATE(dead_letter, dl, dl0, dl.original_offset = -1, MPC_CODEC_ERR_INVALID, "original_offset");

    /* The validate functions report the same, through err. */
    mpc_codec_error err;
    dl.original_offset = 0;
    CHECK_RC(mpc_codec_validate_dead_letter(&dl, &err), MPC_CODEC_OK);
    CHECK(err.code == MPC_CODEC_OK);
    rm = *rm0;
    rm.round = -1;
    CHECK_RC(mpc_codec_validate_round_message(&rm, &err), MPC_CODEC_ERR_INVALID);
    CHECK(strcmp(err.field, "round") == 0 && strstr(err.message, "round") != NULL);
}

/* ---- Canonical form ----------------------------------------------------------- */

static void test_canonical(void)
{
    static const struct {
        const char *schema, *canonical;
    } vectors[] = {
        {"\"int\"", "\"int\""},
        {"{\"type\": \"int\"}", "\"int\""},
        {"{\"type\": \"long\", \"logicalType\": \"timestamp-millis\"}", "\"long\""},
        {" [ \"null\" , {\"type\":\"string\"} ] ", "[\"null\",\"string\"]"},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"namespace\":\"a.b\",\"size\":\"016\"}",
         "{\"name\":\"a.b.F\",\"type\":\"fixed\",\"size\":16}"},
        {"{\"symbols\":[\"A\",\"B\"],\"type\":\"enum\",\"name\":\"x.E\",\"doc\":\"d\"}",
         "{\"name\":\"x.E\",\"type\":\"enum\",\"symbols\":[\"A\",\"B\"]}"},
        {"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"aliases\":[\"Q\"],"
         "\"fields\":[{\"doc\":\"x\",\"type\":{\"type\":\"record\",\"name\":\"S\",\"fields\":[]},"
         "\"name\":\"s\",\"default\":{}},{\"name\":\"t\",\"type\":\"S\"},"
         "{\"name\":\"u\",\"type\":{\"type\":\"array\",\"items\":\"other.T\"}},"
         "{\"name\":\"v\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"bytes\"}}}]}",
         "{\"name\":\"n.R\",\"type\":\"record\",\"fields\":[{\"name\":\"s\",\"type\":"
         "{\"name\":\"n.S\",\"type\":\"record\",\"fields\":[]}},{\"name\":\"t\",\"type\":"
         "\"n.S\"},{\"name\":\"u\",\"type\":{\"type\":\"array\",\"items\":\"other.T\"}},"
         "{\"name\":\"v\",\"type\":{\"type\":\"map\",\"values\":\"bytes\"}}]}"},
        {"{\"type\":\"record\",\"name\":\"\\u0052\",\"fields\":[]}",
         "{\"name\":\"R\",\"type\":\"record\",\"fields\":[]}"},
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char *c = NULL;
        mpc_codec_error err;
        CHECK_RC(mpc_codec_canonical_form(vectors[i].schema, strlen(vectors[i].schema), &c, &err),
                 MPC_CODEC_OK);
        if (c && strcmp(c, vectors[i].canonical) != 0) {
            fprintf(stderr, "canonical vector %zu:\n  got  %s\n  want %s\n", i, c,
                    vectors[i].canonical);
            failures++;
        }
        free(c);
    }
    char *c = NULL;
    mpc_codec_error err;
    CHECK_RC(mpc_codec_canonical_form("{\"type\":", 8, &c, &err), MPC_CODEC_ERR_SCHEMA);
    CHECK_RC(mpc_codec_canonical_form("{\"name\":\"x\"}", 12, &c, &err), MPC_CODEC_ERR_SCHEMA);
    CHECK_RC(mpc_codec_canonical_form("{\"type\":\"record\",\"name\":\"R\"}", 29, &c, &err),
             MPC_CODEC_ERR_SCHEMA);

    /* CRC-64-AVRO: the empty input gives the algorithm's empty value; the
     * fingerprint of "int" as computed by the Java and Python implementations. */
    CHECK(mpc_codec_fingerprint64(NULL, 0) == UINT64_C(0xc15d213aa4d7a795));
    CHECK(mpc_codec_fingerprint64((const uint8_t *)"\"int\"", 5) ==
          UINT64_C(0x7275d51a3f395c8f));

    /* Our schemas: canonical starts with the full name, fingerprints differ. */
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
        const char *canonical;
        uint64_t fp;
        CHECK(mpc_codec_schema_info((mpc_record_type)t, NULL, &canonical, &fp));
        CHECK(strstr(canonical, "{\"name\":\"mpc.v1.") == canonical);
        CHECK(strstr(canonical, "logicalType") == NULL && strstr(canonical, "doc") == NULL);
        CHECK(mpc_codec_fingerprint64((const uint8_t *)canonical, strlen(canonical)) == fp);
        CHECK((int)mpc_codec_record_type_from_name(mpc_codec_record_name((mpc_record_type)t)) == t);
    }
    CHECK(mpc_codec_record_type_from_name("SignRequest") == MPC_RECORD_SIGN_REQUEST);
    CHECK(mpc_codec_record_type_from_name("nope") == MPC_RECORD_UNKNOWN);
    CHECK(!mpc_codec_schema_info(MPC_RECORD_UNKNOWN, NULL, NULL, NULL));
}

/* ---- RoundMessage header and digest -------------------------------------------- */

static void test_round_header(void)
{
    mpc_round_message m = {.session_id = "s", .protocol = "frost", .round = 1, .from = 2,
                           .to = 0, .seq = -1, .kind = "protocol", .encrypted = false,
                           .sent_at = 64};
    uint8_t *h;
    size_t hlen;
    CHECK_RC(mpc_codec_round_message_header(&m, &h, &hlen), MPC_CODEC_OK);
    static const char domain[] = "mpc.v1.RoundMessage.header";
    uint8_t want[64];
    size_t n = 0;
    want[n++] = (uint8_t)(2 * (sizeof domain - 1));
    memcpy(want + n, domain, sizeof domain - 1);
    n += sizeof domain - 1;
    static const uint8_t rest[] = {2, 's', 10, 'f', 'r', 'o', 's', 't', 2, 4, 0, 1,
                                   16, 'p', 'r', 'o', 't', 'o', 'c', 'o', 'l', 0, 0x80, 0x01};
    memcpy(want + n, rest, sizeof rest);
    n += sizeof rest;
    CHECK(hlen == n && memcmp(h, want, n) == 0);
    free(h);

    const mpc_round_message *s = sample_record(MPC_RECORD_ROUND_MESSAGE);
    uint8_t d1[32], d2[32];
    CHECK_RC(mpc_codec_round_message_digest(s, d1), MPC_CODEC_OK);
    mpc_round_message t = *s;
    CHECK_RC(mpc_codec_round_message_digest(&t, d2), MPC_CODEC_OK);
    CHECK(memcmp(d1, d2, 32) == 0);
    t.seq++;
    CHECK_RC(mpc_codec_round_message_digest(&t, d2), MPC_CODEC_OK);
    CHECK(memcmp(d1, d2, 32) != 0);
    t = *s;
    t.payload.len--;
    CHECK_RC(mpc_codec_round_message_digest(&t, d2), MPC_CODEC_OK);
    CHECK(memcmp(d1, d2, 32) != 0);
    t = *s;
    t.signature.len = 1; /* the signature is not covered */
    CHECK_RC(mpc_codec_round_message_digest(&t, d2), MPC_CODEC_OK);
    CHECK(memcmp(d1, d2, 32) == 0);
}

/* ---- Auth digest ----------------------------------------------------------------- */

static void test_auth_digest(void)
{
    const mpc_sign_request *s0 = sample_record(MPC_RECORD_SIGN_REQUEST);
    mpc_sign_request s = *s0;
    uint8_t *with, *without;
    size_t wlen, wolen;
    uint8_t d1[32], d2[32], d3[32];
    mpc_codec_error err;
    CHECK_RC(mpc_codec_encode_sign_request(&s, &with, &wlen), MPC_CODEC_OK);
    s.auth = NULL;
    CHECK_RC(mpc_codec_encode_sign_request(&s, &without, &wolen), MPC_CODEC_OK);
    CHECK(without[wolen - 1] == 0x00 && memcmp(with, without, wolen - 1) == 0);
    CHECK_RC(mpc_codec_auth_digest(with, wlen, d1, &err), MPC_CODEC_OK);
    CHECK_RC(mpc_codec_auth_digest(without, wolen, d2, &err), MPC_CODEC_OK);
    CHECK(memcmp(d1, d2, 32) == 0);
    /* Any change outside auth changes the digest. */
    s = *s0;
    s.key_id = "key-abd";
    free(without);
    CHECK_RC(mpc_codec_encode_sign_request(&s, &without, &wolen), MPC_CODEC_OK);
    CHECK_RC(mpc_codec_auth_digest(without, wolen, d3, &err), MPC_CODEC_OK);
    CHECK(memcmp(d1, d3, 32) != 0);
    /* Framing errors and records without auth. */
    CHECK_RC(mpc_codec_auth_digest(with, wlen - 1, d3, &err), MPC_CODEC_ERR_TRUNCATED);
    free(with);
    free(without);
    uint8_t *hb;
    size_t hblen;
    sample_encode(MPC_RECORD_NODE_HEARTBEAT, &hb, &hblen);
    CHECK_RC(mpc_codec_auth_digest(hb, hblen, d3, &err), MPC_CODEC_ERR_WRONG_SCHEMA);
    free(hb);
    sample_encode(MPC_RECORD_KEYGEN_REQUEST, &hb, &hblen);
    CHECK_RC(mpc_codec_auth_digest(hb, hblen, d3, &err), MPC_CODEC_OK);
    free(hb);
}

/* ---- Illegal arguments -------------------------------------------------------- */

static int illegal_calls;
static void count_illegal(const char *message, void *data)
{
    (void)message;
    (*(int *)data)++;
}

static void test_illegal(void)
{
    mpc_codec_set_illegal_callback(count_illegal, &illegal_calls);
    uint8_t *out;
    size_t len;
    mpc_sign_request s;
    CHECK_RC(mpc_codec_encode_sign_request(NULL, &out, &len), MPC_CODEC_ERR_ARG);
    CHECK_RC(mpc_codec_decode_sign_request(NULL, 5, &s, NULL), MPC_CODEC_ERR_ARG);
    CHECK_RC(mpc_codec_decode_sign_request((const uint8_t *)"x", 1, NULL, NULL),
             MPC_CODEC_ERR_ARG);
    CHECK(illegal_calls == 3);
    mpc_codec_set_illegal_callback(NULL, NULL);
    mpc_codec_free_sign_request(NULL); /* allowed */
}

/* ---- Random mutations ---------------------------------------------------------- */

static void test_fuzz(long iterations)
{
    long accepted = 0, rejected = 0;
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
        mpc_record_type type = (mpc_record_type)t;
        uint8_t *buf;
        size_t len;
        sample_encode(type, &buf, &len);
        for (long it = 0; it < iterations; it++) {
            size_t n = len;
            uint8_t *m = malloc(len);
            memcpy(m, buf, len);
            int flips = 1 + (int)(rnd() % 4);
            for (int f = 0; f < flips; f++) {
                /* Mostly the body, sometimes the header. */
                size_t pos = (rnd() % 8) ? 10 + rnd() % (len - 10) : rnd() % len;
                m[pos] = (rnd() & 1) ? (uint8_t)(m[pos] ^ (1u << (rnd() % 8))) : (uint8_t)rnd();
            }
            if (rnd() % 8 == 0)
                n = rnd() % (len + 1); /* and truncate */
            any_record rec;
            mpc_codec_error err;
            int rc = decode_record(type, n ? m : NULL, n, &rec, &err);
            if (rc == MPC_CODEC_OK) {
                /* Whatever decodes must be valid and encode again. */
                uint8_t *again;
                size_t alen;
                CHECK_RC(encode_record(type, &rec, &again, &alen), MPC_CODEC_OK);
                free(again);
                accepted++;
            } else {
                CHECK((int)err.code == rc && err.message[0] != '\0');
                rejected++;
            }
            free_record(type, &rec);
            char *json = NULL;
            if (mpc_codec_decode_to_json(n ? m : NULL, n, NULL, &json, NULL) == MPC_CODEC_OK)
                free(json);
            free(m);
        }
        free(buf);
    }
    /* Pure noise behind a valid header. */
    for (long it = 0; it < iterations; it++) {
        uint8_t m[64];
        uint8_t *hdr;
        size_t hlen;
        mpc_record_type type = (mpc_record_type)(1 + rnd() % (MPC_RECORD_COUNT - 1));
        sample_encode(type, &hdr, &hlen);
        memcpy(m, hdr, 10);
        free(hdr);
        size_t n = 10 + rnd() % 54;
        for (size_t i = 10; i < n; i++)
            m[i] = (uint8_t)rnd();
        any_record rec;
        if (decode_record(type, m, n, &rec, NULL) == MPC_CODEC_OK)
            accepted++;
        free_record(type, &rec);
    }
    printf("fuzz: %ld mutations accepted, %ld rejected\n", accepted, rejected);
}

/* ---- Threads: services encode and decode from several threads at once ---------- */

static void *thread_work(void *arg)
{
    long *bad = arg;
    for (int i = 0; i < 200; i++) {
        for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
            uint8_t *buf;
            size_t len;
            any_record rec;
            if (encode_record((mpc_record_type)t, sample_record((mpc_record_type)t), &buf,
                              &len) != MPC_CODEC_OK) {
                (*bad)++;
                continue;
            }
            if (decode_record((mpc_record_type)t, buf, len, &rec, NULL) != MPC_CODEC_OK)
                (*bad)++;
            free_record((mpc_record_type)t, &rec);
            if (decode_record((mpc_record_type)t, buf, len - 1, &rec, NULL) == MPC_CODEC_OK)
                (*bad)++;
            free(buf);
        }
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[4];
    long bad[4] = {0};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, thread_work, &bad[i]) == 0);
    for (int i = 0; i < 4; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        CHECK(bad[i] == 0);
    }
}

int main(void)
{
    const char *seed_env = getenv("MPC_TEST_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)time(NULL);
    printf("random seed: %" PRIu64 " (replay with MPC_TEST_SEED=%" PRIu64 ")\n", seed, seed);
    rng_state = seed * 2 + 1;
    const char *iter_env = getenv("MPC_FUZZ_ITERATIONS");
    long iterations = iter_env ? atol(iter_env) : 10000;

    mpc_codec_error err;
    CHECK_RC(mpc_codec_init(&err), MPC_CODEC_OK);
    test_round_trips();
    test_malformed();
    test_decode_validation();
    test_encode_validation();
    test_canonical();
    test_round_header();
    test_auth_digest();
    test_illegal();
    test_threads();
    test_fuzz(iterations);
    if (failures) {
        fprintf(stderr, "%d check(s) failed (seed %" PRIu64 ")\n", failures, seed);
        return 1;
    }
    printf("all codec checks passed\n");
    return 0;
}
