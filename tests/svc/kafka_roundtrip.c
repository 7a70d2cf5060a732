/* kafka_roundtrip.c - integration test: every record type, encoded by our
 * Avro codec, goes through the real broker (produced by svc_kafka's
 * idempotent producer, consumed by its manual-commit consumer) and decodes
 * back to the same values. Needs MPC_KAFKA_BROKERS (./dev test sets it).
 * A second consumer in the same group after the commit must see none of
 * these records again: committed offsets really are committed. Last,
 * svc_kafka_wake from another thread ends a long consume wait, and a wake
 * given while nobody waits ends the next wait. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "codec/avro_codec.h"
#include "svc/kafka.h"
#include "svc/log.h"

static const char *const topics[] = {"mpc.keygen.requests", "mpc.sign.requests", "mpc.rounds",
                                     "mpc.results", "mpc.nodes", "mpc.dlq"};
#define NTOPICS 6

static char run_id[64];

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static svc_kafka *open_client(const char *brokers, const char *group) {
    char err[512];
    svc_kafka_options o = {.brokers = brokers, .client_id = "roundtrip-test", .group_id = group,
                           .security_protocol = "plaintext", .ssl_ca_location = "", .linger_ms = 1,
                           .topics = topics, .ntopics = NTOPICS};
    svc_kafka *k = svc_kafka_new(&o, err, sizeof err);
    if (k == NULL) fprintf(stderr, "svc_kafka_new: %s\n", err);
    return k;
}

/* Produces an encoded record keyed by this run's id; frees buf. */
static void produce_encoded(svc_kafka *k, const char *topic, int rc, uint8_t *buf, size_t len) {
    char err[256];
    CHECK(rc == MPC_CODEC_OK);
    if (rc != MPC_CODEC_OK) {
        fprintf(stderr, "encode for %s: %s (%s)\n", topic, mpc_codec_last_error()->message,
                mpc_codec_last_error()->field);
        return;
    }
    CHECK(svc_kafka_produce(k, topic, run_id, strlen(run_id), buf, len, err, sizeof err) == 0);
    free(buf);
}

static int is_ours(const rd_kafka_message_t *m) {
    return m->key_len == strlen(run_id) && memcmp(m->key, run_id, m->key_len) == 0;
}

/* Decodes one of our records and checks it against what was sent. Returns
 * the index of its topic, or -1. */
static int check_record(const rd_kafka_message_t *m, const uint8_t *msg32) {
    const char *topic = rd_kafka_topic_name(m->rkt);
    const uint8_t *p = m->payload;
    mpc_codec_error e;
    int idx = -1;
    for (int i = 0; i < NTOPICS; i++)
        if (strcmp(topic, topics[i]) == 0) idx = i;
    switch (idx) {
    case 0: {
        mpc_keygen_request r;
        CHECK(mpc_codec_decode_keygen_request(p, m->len, &r, &e) == MPC_CODEC_OK);
        CHECK(r.request_id && strcmp(r.request_id, run_id) == 0 && r.threshold == 2 && r.total_nodes == 3);
        CHECK(r.participants_len == 3 && r.participants[2] == 3);
        mpc_codec_free_keygen_request(&r);
        break;
    }
    case 1: {
        mpc_sign_request r;
        CHECK(mpc_codec_decode_sign_request(p, m->len, &r, &e) == MPC_CODEC_OK);
        CHECK(r.items_len == 2 && r.items[1].message.len == 32 && memcmp(r.items[1].message.data, msg32, 32) == 0);
        CHECK(r.batch_id && strcmp(r.batch_id, run_id) == 0);
        mpc_codec_free_sign_request(&r);
        break;
    }
    case 2: {
        mpc_round_message r;
        CHECK(mpc_codec_decode_round_message(p, m->len, &r, &e) == MPC_CODEC_OK);
        CHECK(r.round == 1 && r.from == 2 && r.to == 0 && r.seq == 42 && r.payload.len == 32);
        mpc_codec_free_round_message(&r);
        break;
    }
    case 3: {
        mpc_result r;
        CHECK(mpc_codec_decode_result(p, m->len, &r, &e) == MPC_CODEC_OK);
        CHECK(r.signature.len == 64 && r.signature.data[2] == 3 && r.participants_len == 2);
        mpc_codec_free_result(&r);
        break;
    }
    case 4: {
        mpc_node_heartbeat r;
        CHECK(mpc_codec_decode_node_heartbeat(p, m->len, &r, &e) == MPC_CODEC_OK);
        CHECK(r.node_id == 3 && r.capabilities_len == 1 && strcmp(r.capabilities[0], "frost") == 0);
        mpc_codec_free_node_heartbeat(&r);
        break;
    }
    case 5: {
        mpc_dead_letter r;
        CHECK(mpc_codec_decode_dead_letter(p, m->len, &r, &e) == MPC_CODEC_OK);
        CHECK(r.original_offset == 77 && r.original_value.len == 3);
        mpc_codec_free_dead_letter(&r);
        break;
    }
    }
    return idx;
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *wake_later(void *arg) {
    usleep(300 * 1000);
    svc_kafka_wake(arg);
    return NULL;
}

/* Seconds until a consume with a 20 s timeout returns NULL (records that
 * other tests write meanwhile are skipped). */
static double wait_for_null(svc_kafka *k) {
    double t0 = mono_s();
    rd_kafka_message_t *m;
    while ((m = svc_kafka_consume(k, 20000)) != NULL) rd_kafka_message_destroy(m);
    return mono_s() - t0;
}

int main(void) {
    const char *brokers = getenv("MPC_KAFKA_BROKERS");
    if (brokers == NULL) {
        fprintf(stderr, "MPC_KAFKA_BROKERS is not set: run through ./dev test\n");
        return 1;
    }
    svc_log_init("kafka-roundtrip-test", SVC_LOG_WARN);
    snprintf(run_id, sizeof run_id, "rt-%d-%lld", (int)getpid(), (long long)now_ms());
    char group[96], err[512];
    snprintf(group, sizeof group, "group-%s", run_id);

    svc_kafka *k = open_client(brokers, group);
    CHECK(k != NULL);
    if (k == NULL) return CHECK_DONE();
    CHECK(svc_kafka_probe(k, 10000, err, sizeof err) == 0);

    uint8_t msg32[32], sig[64] = {1, 2, 3}, *buf = NULL;
    size_t len = 0;
    for (int i = 0; i < 32; i++) msg32[i] = (uint8_t)(i * 7);
    int32_t parts[] = {1, 2, 3};
    int64_t now = now_ms();

    mpc_keygen_request kg = {.request_id = run_id, .protocol = "frost", .curve = "secp256k1", .threshold = 2,
                             .total_nodes = 3, .chain_type = "bitcoin", .participants = parts,
                             .participants_len = 3, .client_id = "exchange-1", .submitted_at = now};
    int rc = mpc_codec_encode_keygen_request(&kg, &buf, &len);
    produce_encoded(k, topics[0], rc, buf, len);

    mpc_sign_item items[2] = {{.request_id = "item-a", .message = {(uint8_t *)"abc", 3}, .message_type = "raw"},
                              {.request_id = "item-b", .message = {msg32, 32}, .message_type = "hash"}};
    mpc_sign_request sr = {.request_id = run_id, .batch_id = run_id, .key_id = "key-1", .items = items,
                           .items_len = 2, .client_id = "exchange-1", .submitted_at = now};
    rc = mpc_codec_encode_sign_request(&sr, &buf, &len);
    produce_encoded(k, topics[1], rc, buf, len);

    mpc_round_message rm = {.session_id = run_id, .protocol = "frost", .round = 1, .from = 2, .to = 0, .seq = 42,
                            .kind = "protocol", .payload = {msg32, 32}, .signature = {sig, 64}, .sent_at = now};
    rc = mpc_codec_encode_round_message(&rm, &buf, &len);
    produce_encoded(k, topics[2], rc, buf, len);

    mpc_result res = {.request_id = run_id, .kind = "sign", .status = "succeeded", .signature = {sig, 64},
                      .participants = parts, .participants_len = 2, .completed_at = now};
    rc = mpc_codec_encode_result(&res, &buf, &len);
    produce_encoded(k, topics[3], rc, buf, len);

    char *caps[] = {"frost"};
    mpc_node_heartbeat hb = {.node_id = 3, .service = "participant", .instance = "p3", .status = "ready",
                             .capabilities = caps, .capabilities_len = 1, .version = "0.1.0", .sent_at = now};
    rc = mpc_codec_encode_node_heartbeat(&hb, &buf, &len);
    produce_encoded(k, topics[4], rc, buf, len);

    mpc_dead_letter dl = {.original_topic = "mpc.sign.requests", .original_partition = 1, .original_offset = 77,
                          .original_value = {(uint8_t *)"bad", 3}, .reason_code = "bad_magic",
                          .reason = "not an Avro single-object record", .rejected_by = "coordinator",
                          .rejected_at = now};
    rc = mpc_codec_encode_dead_letter(&dl, &buf, &len);
    produce_encoded(k, topics[5], rc, buf, len);

    int seen[NTOPICS] = {0}, nseen = 0;
    time_t deadline = time(NULL) + 60;
    while (nseen < NTOPICS && time(NULL) < deadline) {
        svc_kafka_poll(k);
        rd_kafka_message_t *m = svc_kafka_consume(k, 200);
        if (m == NULL) continue;
        if (is_ours(m)) {
            int idx = check_record(m, msg32);
            if (idx >= 0 && !seen[idx]) {
                seen[idx] = 1;
                nseen++;
            }
        }
        svc_kafka_done(k, m);
        rd_kafka_message_destroy(m);
    }
    for (int i = 0; i < NTOPICS; i++) {
        if (!seen[i]) fprintf(stderr, "no record came back from %s\n", topics[i]);
        CHECK(seen[i]);
    }
    CHECK(svc_kafka_commit(k, 1) == 0);
    CHECK(svc_kafka_close(k, 10000) == 0);

    /* Same group again: everything up to our records was committed. */
    k = open_client(brokers, group);
    CHECK(k != NULL);
    int again = 0;
    deadline = time(NULL) + 8;
    while (k && time(NULL) < deadline) {
        rd_kafka_message_t *m = svc_kafka_consume(k, 200);
        if (m == NULL) continue;
        again += is_ours(m);
        rd_kafka_message_destroy(m);
    }
    CHECK(again == 0);

    /* svc_kafka_wake: from another thread during a wait, and before one. */
    if (k) {
        pthread_t th;
        CHECK(pthread_create(&th, NULL, wake_later, k) == 0);
        double during = wait_for_null(k);
        CHECK(pthread_join(th, NULL) == 0);
        CHECK(during < 10.0);
        svc_kafka_wake(k);
        double before = wait_for_null(k);
        CHECK(before < 10.0);
        printf("wake: a 20 s wait ended after %.3f s (woken at 0.3 s); after an earlier wake %.3f s\n", during,
               before);
    }
    svc_kafka_close(k, 1000);
    return CHECK_DONE();
}
