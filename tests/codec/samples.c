/*
 * tests/codec/samples.c - the fixed sample records (see samples.h) and
 * type-dispatching helpers over the typed codec API.
 */
#include "samples.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t msg_hash[32], msg_hash2[32], auth_sig[32], payload[300], round_sig[64],
    pubkey[33], result_sig[64];
static uint8_t raw_msg[] = "hello world";
static uint8_t dlq_key[] = {'k', '-', '1'};
static uint8_t dlq_value[] = {0xde, 0xad, 0xbe, 0xef};

static int32_t keygen_participants[] = {1, 2, 3};
static mpc_kv keygen_metadata[] = {
    {"owner", "treasury"},
    {"note", "\xc3\xbc" "n" "\xc3\xaf" "code \xe2\x9c\x93"}, /* "ünïcode ✓" */
};
static mpc_keygen_request keygen = {
    .request_id = "kg-0001",
    .protocol = "frost",
    .curve = "secp256k1",
    .threshold = 2,
    .total_nodes = 3,
    .chain_type = "bitcoin",
    .participants = keygen_participants,
    .participants_len = 3,
    .metadata = keygen_metadata,
    .metadata_len = 2,
    .client_id = "ops",
    .submitted_at = 1700000000123,
    .auth = NULL,
};

static mpc_auth sign_auth = {
    .key_id = "exchange-1",
    .timestamp = 1700000000450,
    .nonce = "nonce-0123456789",
    .signature = {auth_sig, sizeof auth_sig},
};
static mpc_sign_item sign_items[] = {
    {"w-1", {msg_hash, sizeof msg_hash}, "hash", NULL},
    {"w-2", {raw_msg, sizeof raw_msg - 1}, "raw", "m/0/17"},
    {"w-3", {msg_hash2, sizeof msg_hash2}, "hash", "m/44/0/0/1"},
};
static mpc_sign_request sign = {
    .request_id = "batch-42",
    .batch_id = "batch-42",
    .key_id = "key-abc",
    .items = sign_items,
    .items_len = 3,
    .callback_url = "https://exchange.example/cb",
    .client_id = "exchange-1",
    .submitted_at = 1700000000456,
    .auth = &sign_auth,
};

static mpc_round_message round_msg = {
    .session_id = "sess-7",
    .protocol = "frost-bip340",
    .round = 2,
    .from = 1,
    .to = 3,
    .seq = 12345678901,
    .kind = "protocol",
    .payload = {payload, sizeof payload},
    .encrypted = true,
    .signature = {round_sig, sizeof round_sig},
    .sent_at = 1700000000789,
};

static int32_t result_participants[] = {1, 3};
static mpc_result result = {
    .request_id = "w-2",
    .batch_id = "batch-42",
    .kind = "sign",
    .status = "succeeded",
    .key_id = "key-abc",
    .public_key = {pubkey, sizeof pubkey},
    .address = "bc1pexample",
    .signature = {result_sig, sizeof result_sig},
    .has_recovery_id = true,
    .recovery_id = 1,
    .session_id = "sess-7",
    .participants = result_participants,
    .participants_len = 2,
    .completed_at = 1700000001000,
};

static char *capabilities[] = {"frost", "frost-bip340"};
static mpc_node_heartbeat heartbeat = {
    .node_id = 2,
    .service = "participant",
    .instance = "host-a:4242",
    .status = "ready",
    .capabilities = capabilities,
    .capabilities_len = 2,
    .load = 17,
    .active_sessions = 3,
    .version = "0.1.0",
    .sent_at = 1700000002000,
};

static mpc_dead_letter dead_letter = {
    .original_topic = "mpc.sign.requests",
    .original_partition = 5,
    .original_offset = 987654321012,
    .original_key = {dlq_key, sizeof dlq_key},
    .original_value = {dlq_value, sizeof dlq_value},
    .reason_code = "bad_magic",
    .reason = "not Avro single-object encoding",
    .rejected_by = "coordinator/host-b:1",
    .rejected_at = 1700000003000,
};

/* Byte patterns the Python test recomputes: see test_cross_library.py. */
static void fill_patterns(void)
{
    for (int i = 0; i < 32; i++) {
        msg_hash[i] = (uint8_t)i;
        msg_hash2[i] = (uint8_t)(0xff - i);
        auth_sig[i] = 0xa5;
        pubkey[i + 1] = (uint8_t)(i + 1);
    }
    pubkey[0] = 0x02;
    for (int i = 0; i < 300; i++)
        payload[i] = (uint8_t)(i * 7);
    for (int i = 0; i < 64; i++) {
        round_sig[i] = (uint8_t)i;
        result_sig[i] = (uint8_t)(0x80 + i);
    }
}

const void *sample_record(mpc_record_type type)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fill_patterns);
    switch (type) {
    case MPC_RECORD_KEYGEN_REQUEST: return &keygen;
    case MPC_RECORD_SIGN_REQUEST: return &sign;
    case MPC_RECORD_ROUND_MESSAGE: return &round_msg;
    case MPC_RECORD_RESULT: return &result;
    case MPC_RECORD_NODE_HEARTBEAT: return &heartbeat;
    case MPC_RECORD_DEAD_LETTER: return &dead_letter;
    default: return NULL;
    }
}

int encode_record(mpc_record_type type, const void *rec, uint8_t **out, size_t *out_len)
{
    switch (type) {
    case MPC_RECORD_KEYGEN_REQUEST: return mpc_codec_encode_keygen_request(rec, out, out_len);
    case MPC_RECORD_SIGN_REQUEST: return mpc_codec_encode_sign_request(rec, out, out_len);
    case MPC_RECORD_ROUND_MESSAGE: return mpc_codec_encode_round_message(rec, out, out_len);
    case MPC_RECORD_RESULT: return mpc_codec_encode_result(rec, out, out_len);
    case MPC_RECORD_NODE_HEARTBEAT: return mpc_codec_encode_node_heartbeat(rec, out, out_len);
    case MPC_RECORD_DEAD_LETTER: return mpc_codec_encode_dead_letter(rec, out, out_len);
    default: return MPC_CODEC_ERR_ARG;
    }
}

int decode_record(mpc_record_type type, const uint8_t *buf, size_t len, void *out,
                  mpc_codec_error *err)
{
    switch (type) {
    case MPC_RECORD_KEYGEN_REQUEST: return mpc_codec_decode_keygen_request(buf, len, out, err);
    case MPC_RECORD_SIGN_REQUEST: return mpc_codec_decode_sign_request(buf, len, out, err);
    case MPC_RECORD_ROUND_MESSAGE: return mpc_codec_decode_round_message(buf, len, out, err);
    case MPC_RECORD_RESULT: return mpc_codec_decode_result(buf, len, out, err);
    case MPC_RECORD_NODE_HEARTBEAT: return mpc_codec_decode_node_heartbeat(buf, len, out, err);
    case MPC_RECORD_DEAD_LETTER: return mpc_codec_decode_dead_letter(buf, len, out, err);
    default: return MPC_CODEC_ERR_ARG;
    }
}

void free_record(mpc_record_type type, void *rec)
{
    switch (type) {
    case MPC_RECORD_KEYGEN_REQUEST: mpc_codec_free_keygen_request(rec); break;
    case MPC_RECORD_SIGN_REQUEST: mpc_codec_free_sign_request(rec); break;
    case MPC_RECORD_ROUND_MESSAGE: mpc_codec_free_round_message(rec); break;
    case MPC_RECORD_RESULT: mpc_codec_free_result(rec); break;
    case MPC_RECORD_NODE_HEARTBEAT: mpc_codec_free_node_heartbeat(rec); break;
    case MPC_RECORD_DEAD_LETTER: mpc_codec_free_dead_letter(rec); break;
    default: break;
    }
}

void sample_encode(mpc_record_type type, uint8_t **out, size_t *out_len)
{
    int rc = encode_record(type, sample_record(type), out, out_len);
    if (rc != MPC_CODEC_OK) {
        fprintf(stderr, "encoding the sample %s failed: %s\n", mpc_codec_record_name(type),
                mpc_codec_last_error()->message);
        abort();
    }
}
