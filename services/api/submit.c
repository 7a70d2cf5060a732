/* submit.c - the write path (docs/pipeline.md, step "accept"):
 *
 *   POST /api/v1/keys        -> KeygenRequest on mpc.keygen.requests
 *   POST /api/v1/sign        -> SignRequest of one item on mpc.sign.requests
 *   POST /api/v1/sign/batch  -> SignRequest of 1..1000 items
 *
 * Each submission is checked field by field (fields.c codes, then the
 * codec's own validate function, so the API accepts exactly what Kafka
 * consumers accept), then claimed in PostgreSQL and only then produced:
 *
 *   1. payload_hash = SHA-256 of the canonical JSON of the request (sorted
 *      keys, compact; batch_id excluded, so a retried batch matches)
 *   2. Redis idem:<request_id> holds the hash of a known id: a different
 *      hash is refused (409) without touching PostgreSQL (fast path only;
 *      PostgreSQL decides)
 *   3. one INSERT ... ON CONFLICT DO NOTHING for all rows, in a transaction:
 *      every row new    -> commit, produce, wait for the ack, 202
 *      every row known with the same hash -> 200 with the stored status,
 *                          nothing produced (no second signature)
 *      anything else    -> 409 IDEMPOTENCY_CONFLICT
 *   4. Kafka does not ack -> rows set failed/KAFKA_UNAVAILABLE, 503. A retry
 *      of the same submission flips exactly those rows back to accepted
 *      (one UPDATE, so only one retry wins) and produces again.
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "record_auth.h"
#include "pipeline/request_hash.h"
#include "codec/avro_codec.h"
#include "svc/log.h"

#define IDEM_TTL_S 86400

typedef struct {
    const char *request_id;
    char id_buf[32];
    uint8_t *msg;
    size_t msg_len;
    const char *message_type;
    const char *derivation_path;
    char hash[2 * SHA256_DIGEST_LENGTH + 1];
} sign_item;

static void generate_id(const char *prefix, char *out, size_t len) {
    uint8_t rnd[12];
    char hex[25];
    if (mpc_api_random(rnd, sizeof rnd) != 0) abort(); /* no randomness: nothing is safe */
    mpc_api_hex(rnd, sizeof rnd, hex);
    snprintf(out, len, "%s%s", prefix, hex);
}

static int request_id_field(json_t *obj, const char *prefix, const char **out, char *buf, size_t buflen, api_error *e) {
    if (api_field_string(obj, "request_id", 0, out, e) != 0) return -1;
    if (*out == NULL) {
        generate_id(prefix, buf, buflen);
        *out = buf;
    } else if (!api_valid_id(*out)) {
        return api_fail(e, 400, "INVALID_FIELD", "request_id must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    return 0;
}

/* message, message_type, derivation_path and request_id of one item. */
static int parse_item(json_t *obj, const char *where, sign_item *it, api_error *e) {
    const char *hex;
    if (request_id_field(obj, "req_", &it->request_id, it->id_buf, sizeof it->id_buf, e) != 0 ||
        api_field_string(obj, "message", 1, &hex, e) != 0 ||
        api_field_string(obj, "message_type", 1, &it->message_type, e) != 0 ||
        api_field_string(obj, "derivation_path", 0, &it->derivation_path, e) != 0)
        return -1;
    int hash = strcmp(it->message_type, "hash") == 0;
    if (!hash && strcmp(it->message_type, "raw") != 0)
        return api_fail(e, 400, "INVALID_FIELD", "%smessage_type must be \"hash\" or \"raw\"", where);
    int rc = mpc_api_unhex(hex, &it->msg, &it->msg_len);
    if (rc == -2) return api_fail(e, 500, "INTERNAL", "out of memory");
    if (rc != 0) return api_fail(e, 400, "INVALID_HEX", "%smessage must be an even number of hex digits", where);
    if (hash && it->msg_len != MPC_CODEC_HASH_MESSAGE_LEN)
        return api_fail(e, 400, "INVALID_MESSAGE_LENGTH", "%smessage of type hash must be exactly 32 bytes (64 hex digits), got %zu",
                        where, it->msg_len);
    if (!hash && (it->msg_len == 0 || it->msg_len > MPC_CODEC_MAX_SIGN_MESSAGE))
        return api_fail(e, 400, "INVALID_MESSAGE_LENGTH", "%smessage of type raw must be 1-%u bytes, got %zu", where,
                        MPC_CODEC_MAX_SIGN_MESSAGE, it->msg_len);
    return 0;
}

static void free_items(sign_item *items, size_t n) {
    for (size_t i = 0; items && i < n; i++) free(items[i].msg);
    free(items);
}

/* Turns a codec validation failure into a 400. */
static int codec_fail(int rc, const mpc_codec_error *ce, api_error *e) {
    if (rc == MPC_CODEC_ERR_NOMEM) return api_fail(e, 500, "INTERNAL", "out of memory");
    return api_fail(e, 400, "INVALID_FIELD", "%s%s%s", ce->field, ce->field[0] ? ": " : "", ce->message);
}

/* ---- claim rows in PostgreSQL ---------------------------------------------- */

enum { CLAIM_NEW = 1, CLAIM_REPLAY = 0 };

typedef struct {
    const char *kind, *batch_id, *key_id, *callback_url;
    json_t *rows; /* [{"request_id", "payload_hash"}] */
} claim;

/* Fast path: a known id with a different hash is a conflict. Best effort. */
static int redis_conflict(api_call *c, json_t *rows, api_error *e) {
    redisContext *rc = api_conn_redis(c->conn);
    if (rc == NULL) return 0;
    size_t i, n = json_array_size(rows);
    json_t *row;
    json_array_foreach(rows, i, row)
        redisAppendCommand(rc, "GET idem:%s", json_string_value(json_object_get(row, "request_id")));
    int conflict = -1;
    for (i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(rc, (void **)&r) != REDIS_OK) {
            api_conn_redis_broken(c->conn);
            return 0;
        }
        const char *want = json_string_value(json_object_get(json_array_get(rows, i), "payload_hash"));
        if (conflict < 0 && r->type == REDIS_REPLY_STRING && strcmp(r->str, want) != 0) conflict = (int)i;
        freeReplyObject(r);
    }
    if (conflict < 0) return 0;
    return api_fail(e, 409, "IDEMPOTENCY_CONFLICT", "request_id '%s' was already used for a different request",
                    json_string_value(json_object_get(json_array_get(rows, (size_t)conflict), "request_id")));
}

static void redis_remember(api_call *c, json_t *rows) {
    redisContext *rc = api_conn_redis(c->conn);
    if (rc == NULL) return;
    size_t i, n = json_array_size(rows);
    json_t *row;
    json_array_foreach(rows, i, row)
        redisAppendCommand(rc, "SET idem:%s %s EX %d", json_string_value(json_object_get(row, "request_id")),
                           json_string_value(json_object_get(row, "payload_hash")), IDEM_TTL_S);
    for (i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(rc, (void **)&r) != REDIS_OK) {
            api_conn_redis_broken(c->conn);
            return;
        }
        freeReplyObject(r);
    }
}

static int exec_simple(PGconn *pg, const char *sql) {
    PGresult *r = api_pg_exec(pg, sql, 0, NULL, PGRES_COMMAND_OK);
    PQclear(r);
    return r ? 0 : -1;
}

/* Rows already stored, as {request_id: {payload_hash, status, error_code, batch_id}}. */
static json_t *stored_rows(PGconn *pg, const char *rows_text) {
    const char *p[] = {rows_text};
    PGresult *r = api_pg_exec(pg,
                              "SELECT request_id, encode(payload_hash, 'hex') AS payload_hash, status, error_code, "
                              "batch_id FROM requests WHERE request_id IN "
                              "(SELECT e->>'request_id' FROM jsonb_array_elements($1::jsonb) AS e)",
                              1, p, PGRES_TUPLES_OK);
    if (r == NULL) return NULL;
    json_t *out = json_object();
    for (int i = 0; out && i < PQntuples(r); i++) json_object_set_new(out, PQgetvalue(r, i, 0), api_pg_row_object(r, i));
    PQclear(r);
    return out;
}

/* Step 3 and the Kafka retry of step 4. On CLAIM_REPLAY *stored is set; on
 * CLAIM_NEW after a retry, *stored holds the rows (for their batch_id). */
static int claim_rows(api_call *c, const claim *cl, json_t **stored, api_error *e) {
    *stored = NULL;
    if (redis_conflict(c, cl->rows, e) != 0) return -1;
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_fail(e, 503, "UNAVAILABLE", "the database is unavailable; retry later");
    char *rows_text = json_dumps(cl->rows, JSON_COMPACT);
    if (rows_text == NULL) return api_fail(e, 500, "INTERNAL", "out of memory");
    size_t n = json_array_size(cl->rows);
    int result = -1;
    if (exec_simple(pg, "BEGIN") != 0) goto db_down;
    const char *p[] = {rows_text, cl->kind, cl->batch_id, c->client.key_id, cl->key_id, cl->callback_url};
    PGresult *r = api_pg_exec(pg,
                              "INSERT INTO requests (request_id, kind, batch_id, client_id, key_id, payload_hash, "
                              "callback_url) SELECT e->>'request_id', $2, $3, $4, $5, decode(e->>'payload_hash', 'hex'), "
                              "$6 FROM jsonb_array_elements($1::jsonb) AS e "
                              "ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
                              6, p, PGRES_TUPLES_OK);
    if (r == NULL) {
        exec_simple(pg, "ROLLBACK");
        goto db_down;
    }
    size_t inserted = (size_t)PQntuples(r);
    PQclear(r);
    if (inserted == n) {
        if (exec_simple(pg, "COMMIT") != 0) goto db_down;
        redis_remember(c, cl->rows);
        result = CLAIM_NEW;
        goto out;
    }
    if (exec_simple(pg, "ROLLBACK") != 0) goto db_down;

    json_t *known = stored_rows(pg, rows_text);
    if (known == NULL) goto db_down;
    size_t i, failed_kafka = 0;
    json_t *row;
    json_array_foreach(cl->rows, i, row) {
        const char *id = json_string_value(json_object_get(row, "request_id"));
        json_t *s = json_object_get(known, id);
        if (s == NULL) {
            json_decref(known);
            api_fail(e, 409, "IDEMPOTENCY_CONFLICT",
                     "some request ids of this batch were already used (e.g. not '%s'); resubmit the same batch or use new ids", id);
            goto out;
        }
        if (strcmp(json_string_value(json_object_get(s, "payload_hash")),
                   json_string_value(json_object_get(row, "payload_hash"))) != 0) {
            json_decref(known);
            api_fail(e, 409, "IDEMPOTENCY_CONFLICT", "request_id '%s' was already used for a different request", id);
            goto out;
        }
        const char *code = json_string_value(json_object_get(s, "error_code"));
        if (code && strcmp(code, "KAFKA_UNAVAILABLE") == 0) failed_kafka++;
    }
    *stored = known;
    result = CLAIM_REPLAY;
    if (failed_kafka == n) { /* the first attempt never reached Kafka: try again, once */
        const char *q[] = {rows_text};
        r = api_pg_exec(pg,
                        "UPDATE requests SET status = 'accepted', error_code = NULL, error_message = NULL, "
                        "updated_at = NOW() WHERE request_id IN (SELECT e->>'request_id' FROM "
                        "jsonb_array_elements($1::jsonb) AS e) AND status = 'failed' AND "
                        "error_code = 'KAFKA_UNAVAILABLE' RETURNING request_id",
                        1, q, PGRES_TUPLES_OK);
        if (r && (size_t)PQntuples(r) == n) result = CLAIM_NEW;
        PQclear(r);
    }
    goto out;
db_down:
    api_fail(e, 503, "UNAVAILABLE", "the database is unavailable; retry later");
out:
    free(rows_text);
    return result;
}

/* Produces the record; on failure marks the rows failed and sets e (503). */
static int produce(api_call *c, const char *topic, const char *kafka_key, const uint8_t *buf, size_t len, json_t *rows,
                   api_error *e) {
    char err[256];
    if (svc_kafka_produce_sync(c->st->kafka, topic, kafka_key, strlen(kafka_key), buf, len, c->st->produce_timeout_ms,
                               err, sizeof err) == 0)
        return 0;
    svc_log(SVC_LOG_ERROR, "api: request not acknowledged by Kafka", "{s:s,s:s}", "topic", topic, "error", err);
    PGconn *pg = api_conn_pg(c->conn);
    char *rows_text = json_dumps(rows, JSON_COMPACT);
    if (pg && rows_text) {
        const char *p[] = {rows_text, err};
        PGresult *r = api_pg_exec(pg,
                                  "UPDATE requests SET status = 'failed', error_code = 'KAFKA_UNAVAILABLE', "
                                  "error_message = $2, updated_at = NOW(), completed_at = NOW() WHERE request_id IN "
                                  "(SELECT e->>'request_id' FROM jsonb_array_elements($1::jsonb) AS e) AND status = 'accepted'",
                                  2, p, PGRES_COMMAND_OK);
        PQclear(r);
    }
    free(rows_text);
    return api_fail(e, 503, "KAFKA_UNAVAILABLE", "the request could not be handed to Kafka; retry with the same request_id");
}

static const char *stored_field(json_t *stored, const char *id, const char *field, const char *dflt) {
    const char *v = json_string_value(json_object_get(json_object_get(stored, id), field));
    return v ? v : dflt;
}

/* ---- sign ---------------------------------------------------------------- */

/* Checks the key: allowed for the client, exists. */
static int check_key(api_call *c, const char *key_id, api_error *e) {
    if (!api_valid_id(key_id)) return api_fail(e, 400, "INVALID_FIELD", "key_id must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    if (!api_client_allows_key(&c->client, key_id))
        return api_fail(e, 403, "FORBIDDEN", "this API key may not use key '%s'", key_id);
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_fail(e, 503, "UNAVAILABLE", "the database is unavailable; retry later");
    const char *p[] = {key_id};
    PGresult *r = api_pg_exec(pg, "SELECT chain_type FROM keys WHERE key_id = $1 AND deletion_date IS NULL", 1, p,
                              PGRES_TUPLES_OK);
    if (r == NULL) return api_fail(e, 503, "UNAVAILABLE", "the database is unavailable; retry later");
    int found = PQntuples(r) == 1;
    int chain_ok = found && api_client_allows_chain(&c->client, PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!found) return api_fail(e, 404, "KEY_NOT_FOUND", "no key '%s'", key_id);
    if (!chain_ok) return api_fail(e, 403, "FORBIDDEN", "this API key may not sign for the chain of key '%s'", key_id);
    return 0;
}

static int item_hash(api_call *c, const char *key_id, const char *callback_url, sign_item *it) {
    return pl_sign_item_hash(key_id, it->msg, it->msg_len, it->message_type, it->derivation_path, callback_url,
                             c->client.key_id, it->hash);
}

static const char *const single_fields[] = {"key_id", "message", "message_type", "request_id", "callback_url",
                                            "derivation_path", NULL};
static const char *const batch_fields[] = {"key_id", "items", "callback_url", "batch_id", NULL};
static const char *const item_fields[] = {"request_id", "message", "message_type", "derivation_path", NULL};

/* Shared by /sign and /sign/batch once the items are parsed. */
static int submit_sign(api_call *c, svc_http_response *resp, const char *key_id, const char *callback_url,
                       const char *batch_id, sign_item *items, size_t n, int is_batch, api_error *e) {
    mpc_sign_item *recs = calloc(n, sizeof *recs);
    json_t *rows = json_array(), *stored = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = -1;
    if (recs == NULL || rows == NULL) goto oom;
    for (size_t i = 0; i < n; i++) {
        recs[i] = (mpc_sign_item){.request_id = (char *)items[i].request_id,
                                  .message = {items[i].msg, items[i].msg_len},
                                  .message_type = (char *)items[i].message_type,
                                  .derivation_path = (char *)items[i].derivation_path};
        if (item_hash(c, key_id, callback_url, &items[i]) != 0 ||
            json_array_append_new(rows, json_pack("{s:s,s:s}", "request_id", items[i].request_id, "payload_hash",
                                                  items[i].hash)) != 0)
            goto oom;
    }
    mpc_sign_request req = {.request_id = (char *)(is_batch ? batch_id : items[0].request_id),
                            .batch_id = (char *)(is_batch ? batch_id : NULL),
                            .key_id = (char *)key_id,
                            .items = recs,
                            .items_len = n,
                            .callback_url = (char *)callback_url,
                            .client_id = c->client.key_id,
                            .submitted_at = mpc_api_now_ms()};
    mpc_codec_error ce;
    int vrc = mpc_codec_validate_sign_request(&req, &ce);
    if (vrc != MPC_CODEC_OK) {
        codec_fail(vrc, &ce, e);
        goto out;
    }
    long child = mpc_codec_sign_request_child_item(&req);
    if (child >= 0) {
        /* A well-formed child path is refused rather than signed with the
         * root key (the coordinator refuses it too, for records sent
         * straight to Kafka). */
        api_fail(e, 400, "DERIVATION_NOT_SUPPORTED",
                 "derivation_path '%s': child-key derivation is not supported yet; omit it or use \"m\"",
                 recs[child].derivation_path);
        goto out;
    }
    if (check_key(c, key_id, e) != 0) goto out;

    claim cl = {"sign", is_batch ? batch_id : NULL, key_id, callback_url, rows};
    int claimed = claim_rows(c, &cl, &stored, e);
    if (claimed < 0) goto out;
    if (claimed == CLAIM_NEW) {
        if (stored && is_batch) { /* retry after a Kafka failure: keep the first batch id */
            const char *first = stored_field(stored, items[0].request_id, "batch_id", NULL);
            if (first) req.request_id = req.batch_id = (char *)(batch_id = first);
        }
        /* Signed with the client's own secret, as an outside producer would:
         * the coordinator checks every record the same way. */
        if (mpc_record_encode_signed(MPC_RECORD_SIGN_REQUEST, &req, &req.auth, "mpc.sign.requests",
                                     c->client.key_id, c->client.secret, &buf, &len) != 0) {
            api_fail(e, 500, "INTERNAL", "cannot encode the request");
            goto out;
        }
        if (produce(c, "mpc.sign.requests", req.request_id, buf, len, rows, e) != 0) goto out;
        svc_counter_add(c->st->m_accepted, n);
    } else {
        svc_counter_add(c->st->m_replayed, n);
        const char *first = stored_field(stored, items[0].request_id, "batch_id", NULL);
        if (is_batch && first) batch_id = first;
    }

    json_t *data;
    if (!is_batch) {
        data = json_pack("{s:s,s:s,s:n,s:s,s:b}", "request_id", items[0].request_id, "key_id", key_id, "batch_id",
                         "status",
                         claimed == CLAIM_NEW ? "accepted" : stored_field(stored, items[0].request_id, "status", "accepted"),
                         "replayed",
                         claimed == CLAIM_REPLAY);
    } else {
        json_t *ids = json_array(), *its = json_array();
        for (size_t i = 0; ids && its && i < n; i++) {
            json_array_append_new(ids, json_string(items[i].request_id));
            json_array_append_new(its, json_pack("{s:s,s:s}", "request_id", items[i].request_id, "status",
                                                 claimed == CLAIM_REPLAY
                                                     ? stored_field(stored, items[i].request_id, "status", "accepted")
                                                     : "accepted"));
        }
        data = json_pack("{s:s,s:s,s:o,s:o,s:b}", "batch_id", batch_id, "key_id", key_id, "request_ids", ids, "items",
                         its, "replayed", claimed == CLAIM_REPLAY);
    }
    rc = api_reply_data(c, resp, claimed == CLAIM_NEW ? 202 : 200, data);
    goto out;
oom:
    api_fail(e, 500, "INTERNAL", "out of memory");
out:
    free(buf);
    free(recs);
    json_decref(rows);
    json_decref(stored);
    return rc;
}

int api_h_sign(api_call *c, svc_http_response *resp) {
    api_error e;
    const char *key_id, *callback_url;
    sign_item *it = calloc(1, sizeof *it);
    json_t *body = api_parse_body(c->http, &e);
    int rc = -1;
    if (it == NULL) return -1;
    if (body == NULL || api_fields_known(body, single_fields, "", &e) != 0 ||
        api_field_string(body, "key_id", 1, &key_id, &e) != 0 ||
        api_field_string(body, "callback_url", 0, &callback_url, &e) != 0 || parse_item(body, "", it, &e) != 0)
        goto fail;
    rc = submit_sign(c, resp, key_id, callback_url, NULL, it, 1, 0, &e);
    if (rc == 0) goto out;
fail:
    rc = api_reply_err(c, resp, &e);
out:
    free_items(it, 1);
    json_decref(body);
    return rc;
}

int api_h_sign_batch(api_call *c, svc_http_response *resp) {
    api_error e;
    const char *key_id, *callback_url, *batch_id;
    char batch_buf[32];
    sign_item *items = NULL;
    size_t n = 0;
    json_t *body = api_parse_body(c->http, &e), *arr;
    int rc;
    if (body == NULL || api_fields_known(body, batch_fields, "", &e) != 0 ||
        api_field_string(body, "key_id", 1, &key_id, &e) != 0 ||
        api_field_string(body, "callback_url", 0, &callback_url, &e) != 0 ||
        api_field_string(body, "batch_id", 0, &batch_id, &e) != 0)
        goto fail;
    if (batch_id == NULL) {
        generate_id("batch_", batch_buf, sizeof batch_buf);
        batch_id = batch_buf;
    } else if (!api_valid_id(batch_id)) {
        api_fail(&e, 400, "INVALID_FIELD", "batch_id must be 1-128 characters of A-Z a-z 0-9 . _ : -");
        goto fail;
    }
    arr = json_object_get(body, "items");
    if (arr == NULL) {
        api_fail(&e, 400, "MISSING_FIELD", "field 'items' is required");
        goto fail;
    }
    if (!json_is_array(arr)) {
        api_fail(&e, 400, "INVALID_TYPE", "field 'items' must be an array");
        goto fail;
    }
    n = json_array_size(arr);
    if (n == 0) {
        api_fail(&e, 400, "INVALID_FIELD", "items must not be empty");
        goto fail;
    }
    if (n > MPC_CODEC_MAX_BATCH_ITEMS) {
        api_fail(&e, 400, "BATCH_TOO_LARGE", "a batch holds at most %u items, got %zu", MPC_CODEC_MAX_BATCH_ITEMS, n);
        goto fail;
    }
    items = calloc(n, sizeof *items);
    if (items == NULL) goto oom;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        char where[32];
        snprintf(where, sizeof where, "items[%zu].", i);
        if (!json_is_object(o)) {
            api_fail(&e, 400, "INVALID_TYPE", "items[%zu] must be an object", i);
            goto fail;
        }
        snprintf(where, sizeof where, "items[%zu]", i);
        if (api_fields_known(o, item_fields, where, &e) != 0) goto fail;
        snprintf(where, sizeof where, "items[%zu].", i);
        if (parse_item(o, where, &items[i], &e) != 0) {
            if (strstr(e.message, "field '") == e.message) { /* name the item in field errors */
                char m[sizeof e.message];
                int k = snprintf(m, sizeof m, "items[%zu]: ", i);
                memcpy(m + k, e.message, sizeof m - (size_t)k - 1);
                m[sizeof m - 1] = '\0';
                memcpy(e.message, m, sizeof m);
            }
            goto fail;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(items[j].request_id, items[i].request_id) == 0) {
                api_fail(&e, 400, "INVALID_FIELD", "items[%zu].request_id repeats items[%zu]", i, j);
                goto fail;
            }
    }
    rc = submit_sign(c, resp, key_id, callback_url, batch_id, items, n, 1, &e);
    if (rc == 0) goto out;
fail:
    rc = api_reply_err(c, resp, &e);
    goto out;
oom:
    rc = -1;
out:
    free_items(items, n);
    json_decref(body);
    return rc;
}

/* ---- keygen -------------------------------------------------------------- */

static const char *const keygen_fields[] = {"protocol", "curve", "threshold", "total_nodes", "chain_type",
                                            "participants", "metadata", "request_id", NULL};

/* key_id = "key_" + hex(SHA-256("mpc.v1.key_id" || request_id))[0:24] (docs/pipeline.md). */
static void derive_key_id(const char *request_id, char out[32]) {
    char in[13 + 129];
    uint8_t d[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    int n = snprintf(in, sizeof in, "mpc.v1.key_id%s", request_id); /* ids are at most 128 characters */
    SHA256((const uint8_t *)in, (size_t)n, d);
    mpc_api_hex(d, sizeof d, hex);
    snprintf(out, 32, "key_%.24s", hex);
}

static int valid_protocol(const char *p) {
    static const char *const known[] = {"frost", "frost-bip340", "gg18", "gg20"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(p, known[i]) == 0) return 1;
    return 0;
}

/* participants and metadata into the record (arrays owned by the caller). */
static int keygen_lists(json_t *body, mpc_keygen_request *k, api_error *e) {
    json_t *parts = json_object_get(body, "participants"), *meta = json_object_get(body, "metadata");
    if (parts && !json_is_null(parts)) {
        if (!json_is_array(parts)) return api_fail(e, 400, "INVALID_TYPE", "field 'participants' must be an array of node ids");
        k->participants_len = json_array_size(parts);
        k->participants = calloc(k->participants_len ? k->participants_len : 1, sizeof *k->participants);
        if (k->participants == NULL) return api_fail(e, 500, "INTERNAL", "out of memory");
        size_t i;
        json_t *v;
        json_array_foreach(parts, i, v) {
            if (!json_is_integer(v)) return api_fail(e, 400, "INVALID_TYPE", "participants[%zu] must be an integer", i);
            json_int_t id = json_integer_value(v);
            if (id < 1 || id > MPC_CODEC_MAX_PARTIES)
                return api_fail(e, 400, "INVALID_FIELD", "participants[%zu] must be a node id 1-255", i);
            k->participants[i] = (int32_t)id;
        }
    }
    if (meta && !json_is_null(meta)) {
        if (!json_is_object(meta)) return api_fail(e, 400, "INVALID_TYPE", "field 'metadata' must be an object of strings");
        k->metadata_len = json_object_size(meta);
        k->metadata = calloc(k->metadata_len ? k->metadata_len : 1, sizeof *k->metadata);
        if (k->metadata == NULL) return api_fail(e, 500, "INTERNAL", "out of memory");
        const char *name;
        json_t *v;
        size_t i = 0;
        json_object_foreach(meta, name, v) {
            if (!json_is_string(v)) return api_fail(e, 400, "INVALID_TYPE", "metadata.%.64s must be a string", name);
            k->metadata[i++] = (mpc_kv){(char *)name, (char *)json_string_value(v)};
        }
    }
    return 0;
}

int api_h_keygen(api_call *c, svc_http_response *resp) {
    api_error e;
    mpc_keygen_request k = {0};
    const char *request_id;
    char id_buf[32], key_id[32];
    long long t = 0, n = 0;
    json_t *body = api_parse_body(c->http, &e), *rows = NULL, *stored = NULL;
    uint8_t *buf = NULL;
    size_t len;
    int rc;
    if (body == NULL || api_fields_known(body, keygen_fields, "", &e) != 0 ||
        api_field_string(body, "protocol", 1, (const char **)&k.protocol, &e) != 0 ||
        api_field_string(body, "curve", 1, (const char **)&k.curve, &e) != 0 ||
        api_field_int(body, "threshold", 1, &t, NULL, &e) != 0 ||
        api_field_int(body, "total_nodes", 1, &n, NULL, &e) != 0 ||
        api_field_string(body, "chain_type", 1, (const char **)&k.chain_type, &e) != 0 ||
        request_id_field(body, "req_", &request_id, id_buf, sizeof id_buf, &e) != 0 || keygen_lists(body, &k, &e) != 0)
        goto fail;
    if (!valid_protocol(k.protocol)) {
        api_fail(&e, 400, "UNSUPPORTED_PROTOCOL", "protocol must be one of frost, frost-bip340, gg18, gg20");
        goto fail;
    }
    if (strcmp(k.curve, "secp256k1") != 0) {
        api_fail(&e, 400, "UNSUPPORTED_CURVE", "curve must be secp256k1");
        goto fail;
    }
    if (n < 1 || n > MPC_CODEC_MAX_PARTIES || t < 1 || t > n) {
        api_fail(&e, 400, "INVALID_FIELD", "need 1 <= threshold <= total_nodes <= %d", MPC_CODEC_MAX_PARTIES);
        goto fail;
    }
    k.threshold = (int32_t)t;
    k.total_nodes = (int32_t)n;
    k.request_id = (char *)request_id;
    k.client_id = c->client.key_id;
    k.submitted_at = mpc_api_now_ms();
    mpc_codec_error ce;
    int vrc = mpc_codec_validate_keygen_request(&k, &ce);
    if (vrc != MPC_CODEC_OK) {
        codec_fail(vrc, &ce, &e);
        goto fail;
    }
    if (!api_client_allows_chain(&c->client, k.chain_type)) {
        api_fail(&e, 403, "FORBIDDEN", "this API key may not create keys for chain '%s'", k.chain_type);
        goto fail;
    }
    derive_key_id(request_id, key_id);

    char hash[2 * SHA256_DIGEST_LENGTH + 1];
    json_t *parts = json_object_get(body, "participants"), *meta = json_object_get(body, "metadata");
    if (pl_keygen_hash(k.protocol, k.curve, (long)t, (long)n, k.chain_type, parts, meta, c->client.key_id, hash) != 0 ||
        (rows = json_pack("[{s:s,s:s}]", "request_id", request_id, "payload_hash", hash)) == NULL) {
        rc = -1;
        goto out;
    }
    claim cl = {"keygen", NULL, key_id, NULL, rows};
    int claimed = claim_rows(c, &cl, &stored, &e);
    if (claimed < 0) goto fail;
    if (claimed == CLAIM_NEW) {
        if (mpc_record_encode_signed(MPC_RECORD_KEYGEN_REQUEST, &k, &k.auth, "mpc.keygen.requests", c->client.key_id,
                                     c->client.secret, &buf, &len) != 0) {
            api_fail(&e, 500, "INTERNAL", "cannot encode the request");
            goto fail;
        }
        if (produce(c, "mpc.keygen.requests", request_id, buf, len, rows, &e) != 0) goto fail;
        svc_counter_add(c->st->m_accepted, 1);
    } else {
        svc_counter_add(c->st->m_replayed, 1);
    }
    rc = api_reply_data(c, resp, claimed == CLAIM_NEW ? 202 : 200,
                        json_pack("{s:s,s:s,s:s,s:b}", "request_id", request_id, "key_id", key_id, "status",
                                  claimed == CLAIM_NEW ? "accepted" : stored_field(stored, request_id, "status", "accepted"),
                                  "replayed",
                                  claimed == CLAIM_REPLAY));
    goto out;
fail:
    rc = api_reply_err(c, resp, &e);
out:
    free(buf);
    free(k.participants);
    free(k.metadata);
    json_decref(rows);
    json_decref(stored);
    json_decref(body);
    return rc;
}
