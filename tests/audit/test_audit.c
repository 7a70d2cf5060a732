/* tests/audit/test_audit.c - unit tests of the audit library (mpc_audit):
 *
 *   - canonical JSON, canonical row and row hashes against vectors from the
 *     independent Python implementation (tests/audit/audit_ref.py)
 *   - PostgreSQL-style jsonb text re-canonicalises to the same bytes
 *   - every record type maps to the documented columns; opaque bytes (round
 *     payloads, dead-lettered values) never reach the details
 *   - garbage, truncated and bit-flipped records become "undecodable"
 *     events, never a crash (run under ASan/UBSan in Debug)
 *
 * The random part prints its seed; rerun with AUDIT_TEST_SEED=<n>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_chain.h"
#include "audit_event.h"
#include "samples.h"

static int failures;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static int streq(const char *a, const char *b) {
    return a && b && strcmp(a, b) == 0;
}

/* Vectors printed by `python3 tests/audit/audit_ref.py`. */
static const char details1[] = "{\"A\":{},\"a\":\"x\\n\\u0001\xc3\xa9\\\"\\\\/\",\"b\":1,\"c\":[true,false,null,-5]}";
static const char canonical1_hex[] =
    "000000106d70632e61756469742e726f772e763100000001310000001b323032362d30312d30325430333a30343a30352e3132333435"
    "365a0000000e7369676e5f726571756573746564000000036f7073000000057265712d31000000076b65795f616263ffffffffffffff"
    "ff000000047369676e000000097265717565737465640000003e7b2241223a7b7d2c2261223a22785c6e5c7530303031c3a95c225c"
    "5c2f222c2262223a312c2263223a5b747275652c66616c73652c6e756c6c2c2d355d7dffffffffffffffff000000116d70632e7369"
    "676e2e72657175657374730000000133000000023432000000200000000000000000000000000000000000000000000000000000000"
    "000000000";
static const char hash1_hex[] = "3082a3102cbeff71733605292c206f43c6c66577a982ee77e1b378795518cc15";
static const char hash2_hex[] = "25b886fc51055ef768b3b6acd02528090ca09e25a56a7dec1e81de59d2884cf6";

static void test_chain_vectors(void) {
    json_t *d = json_pack("{s:i,s:s,s:[b,b,n,i],s:{}}", "b", 1, "a", "x\n\x01\xc3\xa9\"\\/", "c", 1, 0, -5, "A");
    char *canon = audit_json_canonical(d);
    CHECK(streq(canon, details1));
    json_decref(d);

    /* PostgreSQL prints jsonb with spaces and its own key order. */
    char *again = audit_json_recanonical(
        "{\"A\": {}, \"a\": \"x\\n\\u0001\\u00e9\\\"\\\\\\/\", \"b\": 1, \"c\": [true, false, null, -5]}");
    CHECK(streq(again, details1));
    free(again);
    CHECK(audit_json_recanonical("{not json") == NULL);

    audit_row r1 = {.seq = 1,
                    .event_type = "sign_requested",
                    .client_id = "ops",
                    .request_id = "req-1",
                    .key_id = "key_abc",
                    .operation = "sign",
                    .result = "requested",
                    .details = canon,
                    .source_topic = "mpc.sign.requests",
                    .source_partition = 3,
                    .source_offset = 42};
    CHECK(audit_format_time(1767323045123456LL, r1.recorded_at) == 0);
    CHECK(streq(r1.recorded_at, "2026-01-02T03:04:05.123456Z"));
    uint8_t *bytes;
    size_t n;
    CHECK(audit_row_canonical(&r1, &bytes, &n) == 0);
    char *hex = malloc(2 * n + 1);
    audit_hex(bytes, n, hex);
    CHECK(streq(hex, canonical1_hex));
    free(hex);
    free(bytes);

    uint8_t h1[AUDIT_HASH_LEN], h2[AUDIT_HASH_LEN];
    char h[2 * AUDIT_HASH_LEN + 1];
    CHECK(audit_row_hash(&r1, h1) == 0);
    audit_hex(h1, sizeof h1, h);
    CHECK(streq(h, hash1_hex));

    /* Row 2: NULL vs empty string must differ, prev_hash chains. */
    audit_row r2 = r1;
    r2.seq = 2, r2.event_type = "round_message", r2.client_id = NULL, r2.request_id = NULL, r2.key_id = NULL;
    r2.session_id = "sess-1", r2.node_id = "2", r2.operation = "protocol", r2.result = "sent", r2.details = "{}";
    r2.source_topic = "mpc.rounds", r2.source_partition = 0, r2.source_offset = 0;
    r2.ip_address = "", r2.user_agent = "ua";
    memcpy(r2.prev_hash, h1, sizeof h1);
    CHECK(audit_row_hash(&r2, h2) == 0);
    audit_hex(h2, sizeof h2, h);
    CHECK(streq(h, hash2_hex));
    r2.ip_address = NULL;
    CHECK(audit_row_hash(&r2, h2) == 0);
    audit_hex(h2, sizeof h2, h);
    CHECK(!streq(h, hash2_hex));
    free(canon);

    char t[AUDIT_TIME_LEN];
    CHECK(audit_format_time(0, t) == 0 && streq(t, "1970-01-01T00:00:00.000000Z"));
    CHECK(audit_format_time(-1, t) == 0 && streq(t, "1969-12-31T23:59:59.999999Z"));
    uint8_t raw[2];
    CHECK(audit_unhex("0aFf", raw, 2) == 0 && raw[0] == 0x0a && raw[1] == 0xff);
    CHECK(audit_unhex("0g00", raw, 2) != 0 && audit_unhex("00", raw, 2) != 0);
    char kid[29];
    CHECK(audit_derive_key_id("kg-0001", kid) == 0 && streq(kid, "key_ca5c67fc7bd5940019446e36"));
}

/* Maps value as if consumed from topic; returns the event (caller frees). */
static audit_event map(const char *topic, const uint8_t *v, size_t len) {
    audit_source src = {.topic = topic, .partition = 1, .offset = 7, .key = "k-1", .key_len = 3,
                        .timestamp_ms = 1700000000000};
    audit_event ev;
    if (audit_event_from_record(&src, v, len, &ev) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return ev;
}

static const char *detail_str(const audit_event *ev, const char *path1, const char *path2) {
    json_t *x = json_object_get(ev->details, path1);
    if (path2) x = json_object_get(x, path2);
    return json_string_value(x);
}

static void test_mapping(void) {
    uint8_t *buf;
    size_t len;
    audit_event ev;

    sample_encode(MPC_RECORD_KEYGEN_REQUEST, &buf, &len);
    ev = map("mpc.keygen.requests", buf, len);
    CHECK(streq(ev.event_type, "keygen_requested") && streq(ev.operation, "keygen") && streq(ev.result, "requested"));
    CHECK(streq(ev.request_id, "kg-0001") && streq(ev.client_id, "ops"));
    CHECK(streq(ev.key_id, "key_ca5c67fc7bd5940019446e36"));
    CHECK(streq(detail_str(&ev, "schema", NULL), "mpc.v1.KeygenRequest"));
    CHECK(streq(detail_str(&ev, "kafka", "key"), "k-1"));
    CHECK(json_object_get(ev.details, "unexpected_topic") == NULL);
    audit_event_free(&ev);
    /* The same record on another topic is still audited, and flagged. */
    ev = map("mpc.results", buf, len);
    CHECK(streq(ev.event_type, "keygen_requested") && json_is_true(json_object_get(ev.details, "unexpected_topic")));
    audit_event_free(&ev);
    free(buf);

    sample_encode(MPC_RECORD_SIGN_REQUEST, &buf, &len);
    ev = map("mpc.sign.requests", buf, len);
    CHECK(streq(ev.event_type, "sign_requested") && streq(ev.request_id, "batch-42") && streq(ev.key_id, "key-abc"));
    CHECK(json_array_size(json_object_get(json_object_get(ev.details, "record"), "items")) == 3);
    audit_event_free(&ev);
    free(buf);

    /* Round message: the payload is replaced by its length and hash. */
    const mpc_round_message *rm = sample_record(MPC_RECORD_ROUND_MESSAGE);
    sample_encode(MPC_RECORD_ROUND_MESSAGE, &buf, &len);
    ev = map("mpc.rounds", buf, len);
    CHECK(streq(ev.event_type, "round_message") && streq(ev.operation, "protocol"));
    CHECK(streq(ev.session_id, "sess-7") && streq(ev.node_id, "1"));
    json_t *rec = json_object_get(ev.details, "record");
    CHECK(json_object_get(rec, "payload") == NULL);
    CHECK(json_integer_value(json_object_get(rec, "payload_len")) == (json_int_t)rm->payload.len);
    uint8_t ph[AUDIT_HASH_LEN];
    char phex[2 * AUDIT_HASH_LEN + 1];
    CHECK(audit_sha256(rm->payload.data, rm->payload.len, ph) == 0);
    audit_hex(ph, sizeof ph, phex);
    CHECK(streq(json_string_value(json_object_get(rec, "payload_sha256")), phex));
    char *text = audit_json_canonical(ev.details), *payload_hex = malloc(2 * rm->payload.len + 1);
    audit_hex(rm->payload.data, rm->payload.len < 16 ? rm->payload.len : 16, payload_hex);
    CHECK(text && strstr(text, payload_hex) == NULL); /* not even a prefix of the bytes */
    free(text);
    free(payload_hex);
    audit_event_free(&ev);
    free(buf);

    /* A plaintext session_start: its description (ids, participants) is kept. */
    mpc_round_message start = *rm;
    static const char desc[] = "{\"session_id\":\"sess-7\",\"kind\":\"sign\",\"key_id\":\"key-abc\",\"participants\":[1,3]}";
    start.kind = "session_start", start.to = 0, start.encrypted = false;
    start.payload.data = (uint8_t *)desc, start.payload.len = sizeof desc - 1;
    CHECK(mpc_codec_encode_round_message(&start, &buf, &len) == MPC_CODEC_OK);
    ev = map("mpc.rounds", buf, len);
    CHECK(streq(ev.operation, "session_start") && streq(ev.key_id, "key-abc"));
    CHECK(json_array_size(json_object_get(json_object_get(json_object_get(ev.details, "record"), "payload_json"),
                                          "participants")) == 2);
    audit_event_free(&ev);
    free(buf);

    sample_encode(MPC_RECORD_RESULT, &buf, &len);
    ev = map("mpc.results", buf, len);
    CHECK(streq(ev.event_type, "result_succeeded") && streq(ev.operation, "sign") && streq(ev.result, "succeeded"));
    CHECK(streq(ev.request_id, "w-2") && streq(ev.key_id, "key-abc") && streq(ev.session_id, "sess-7"));
    audit_event_free(&ev);
    free(buf);

    sample_encode(MPC_RECORD_NODE_HEARTBEAT, &buf, &len);
    ev = map("mpc.nodes", buf, len);
    CHECK(streq(ev.event_type, "node_heartbeat") && streq(ev.result, "ready") && streq(ev.node_id, "2"));
    CHECK(streq(ev.hb_sender, "participant/2/host-a:4242") && streq(ev.hb_status, "ready"));
    CHECK(ev.hb_sent_at == 1700000002000);
    audit_event_free(&ev);
    free(buf);

    /* Dead letter around a sign request: its ids reach the columns, its
     * bytes do not reach the details. */
    uint8_t *inner;
    size_t inner_len;
    sample_encode(MPC_RECORD_SIGN_REQUEST, &inner, &inner_len);
    mpc_dead_letter dl = *(const mpc_dead_letter *)sample_record(MPC_RECORD_DEAD_LETTER);
    dl.original_value.data = inner, dl.original_value.len = inner_len, dl.reason_code = "unknown_key";
    CHECK(mpc_codec_encode_dead_letter(&dl, &buf, &len) == MPC_CODEC_OK);
    ev = map("mpc.dlq", buf, len);
    CHECK(streq(ev.event_type, "dead_letter") && streq(ev.operation, "reject") && streq(ev.result, "unknown_key"));
    CHECK(streq(ev.request_id, "batch-42") && streq(ev.key_id, "key-abc"));
    CHECK(json_object_get(json_object_get(ev.details, "record"), "original_value") == NULL);
    CHECK(json_integer_value(json_object_get(json_object_get(ev.details, "record"), "original_value_len")) ==
          (json_int_t)inner_len);
    CHECK(streq(detail_str(&ev, "original", "event_type"), "sign_requested"));
    audit_event_free(&ev);
    free(buf);
    free(inner);

    /* The sample dead letter holds garbage: the inner event is undecodable. */
    sample_encode(MPC_RECORD_DEAD_LETTER, &buf, &len);
    ev = map("mpc.dlq", buf, len);
    CHECK(streq(ev.event_type, "dead_letter") && streq(detail_str(&ev, "original", "event_type"), "undecodable"));
    audit_event_free(&ev);
    free(buf);

    static const uint8_t garbage[] = "not avro at all";
    ev = map("mpc.sign.requests", garbage, sizeof garbage - 1);
    CHECK(streq(ev.event_type, "undecodable") && streq(ev.operation, "decode") && streq(ev.result, "bad_magic"));
    CHECK(json_integer_value(json_object_get(ev.details, "value_len")) == (json_int_t)(sizeof garbage - 1));
    CHECK(streq(detail_str(&ev, "error", "code"), "bad_magic"));
    audit_event_free(&ev);

    ev = map("mpc.rounds", NULL, 0);
    CHECK(streq(ev.event_type, "undecodable"));
    audit_event_free(&ev);

    /* A binary Kafka key is hashed, not copied. */
    audit_source src = {.topic = "mpc.nodes", .key = "\x01\x02", .key_len = 2, .timestamp_ms = -1};
    CHECK(audit_event_from_record(&src, garbage, 4, &ev) == 0);
    json_t *k = json_object_get(ev.details, "kafka");
    CHECK(json_object_get(k, "key") == NULL && json_integer_value(json_object_get(k, "key_len")) == 2);
    CHECK(json_object_get(k, "timestamp_ms") == NULL);
    audit_event_free(&ev);
}

/* Random flips and truncations of every sample: always an event, and a
 * details object that renders as canonical JSON. */
static void test_fuzz(unsigned seed) {
    srand(seed);
    for (int t = MPC_RECORD_KEYGEN_REQUEST; t < MPC_RECORD_COUNT; t++) {
        uint8_t *buf;
        size_t len;
        sample_encode((mpc_record_type)t, &buf, &len);
        for (int i = 0; i < 400; i++) {
            uint8_t *m = malloc(len);
            memcpy(m, buf, len);
            size_t n = len;
            int flips = 1 + rand() % 4;
            for (int f = 0; f < flips; f++) m[(size_t)rand() % len] ^= (uint8_t)(1u << (rand() % 8));
            if (rand() % 4 == 0) n = (size_t)rand() % len;
            audit_event ev = map("mpc.rounds", m, n);
            CHECK(ev.event_type && ev.operation && ev.result && json_is_object(ev.details));
            char *text = audit_json_canonical(ev.details);
            CHECK(text != NULL);
            free(text);
            audit_event_free(&ev);
            free(m);
        }
        free(buf);
    }
}

int main(void) {
    const char *s = getenv("AUDIT_TEST_SEED");
    unsigned seed = s ? (unsigned)strtoul(s, NULL, 10) : (unsigned)time(NULL);
    printf("test_audit: seed %u\n", seed);
    test_chain_vectors();
    test_mapping();
    test_fuzz(seed);
    if (failures) {
        fprintf(stderr, "test_audit: %d check(s) failed (seed %u)\n", failures, seed);
        return 1;
    }
    printf("test_audit: ok\n");
    return 0;
}
