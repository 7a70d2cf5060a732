/* webhooks.c - result notifications over HTTP (docs/api.md, "Webhooks").
 *
 * Enqueue (main loop, from mpc.results): a Result whose request row has a
 * callback_url becomes one webhook_deliveries row (request id is the primary
 * key, so a re-published result is not delivered twice). The payload is
 * built from the Result record itself.
 *
 * Deliver (one thread per API process): claim due rows with
 * FOR UPDATE SKIP LOCKED and a lease (several API processes share the
 * table), POST each one signed with the client's secret:
 *   X-MPC-Timestamp: <ms>
 *   X-MPC-Signature: hex(HMAC-SHA256(secret, "<ms>." body))
 * A 2xx answer is 'delivered'. Otherwise the next attempt waits
 * initial * 2^(attempts-1), capped at max, until the retry window since the
 * first enqueue (or the attempt limit, when set) is used up: then 'dead'.
 * All of it is configurable (api.webhook_*), so tests can run it fast.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "codec/avro_codec.h"
#include "httpc.h"
#include "svc/log.h"

#define CLAIM_BATCH 16

/* ---- enqueue ------------------------------------------------------------- */

static json_t *hex_or_null(const mpc_bytes *b) {
    if (b->data == NULL) return json_null();
    char *hex = malloc(2 * b->len + 1);
    if (hex == NULL) return NULL;
    mpc_api_hex(b->data, b->len, hex);
    json_t *s = json_string(hex);
    free(hex);
    return s;
}

static json_t *result_payload(const mpc_result *res) {
    char completed[40];
    api_iso_time(res->completed_at, completed, sizeof completed);
    json_t *parts = json_array();
    for (size_t i = 0; parts && i < res->participants_len; i++) json_array_append_new(parts, json_integer(res->participants[i]));
    json_t *error = res->error_code ? json_pack("{s:s,s:s?}", "code", res->error_code, "message", res->error_message)
                                    : json_null();
    json_t *result = json_pack("{s:s?,s:o,s:s?,s:o,s:o,s:o,s:s?,s:o}", "key_id", res->key_id, "public_key",
                               hex_or_null(&res->public_key), "address", res->address, "signature",
                               hex_or_null(&res->signature), "signature_der", hex_or_null(&res->signature_der),
                               "recovery_id", res->has_recovery_id ? json_integer(res->recovery_id) : json_null(),
                               "session_id", res->session_id, "participants", parts);
    return json_pack("{s:s,s:s,s:s?,s:s,s:s,s:o,s:o,s:s}", "event", "request.completed", "request_id",
                     res->request_id, "batch_id", res->batch_id, "kind", res->kind, "status", res->status, "error",
                     error, "result", result, "completed_at", completed);
}

svc_msg_outcome api_webhooks_on_result(api_state *st, PGconn *pg, const rd_kafka_message_t *msg) {
    (void)st;
    mpc_result res;
    mpc_codec_error ce;
    if (mpc_codec_decode_result(msg->payload, msg->len, &res, &ce) != MPC_CODEC_OK) {
        svc_log(SVC_LOG_WARN, "api: undecodable record on mpc.results skipped", "{s:s,s:i,s:I}", "reason", ce.message,
                "partition", (int)msg->partition, "offset", (json_int_t)msg->offset);
        return SVC_MSG_DONE;
    }
    svc_msg_outcome out = SVC_MSG_RETRY;
    char *payload = NULL;
    if (pg == NULL) goto done;
    const char *p[] = {res.request_id};
    PGresult *r = api_pg_exec(pg, "SELECT callback_url, client_id FROM requests WHERE request_id = $1", 1, p,
                              PGRES_TUPLES_OK);
    if (r == NULL) goto done;
    if (PQntuples(r) == 0 || PQgetisnull(r, 0, 0)) { /* no callback asked for */
        PQclear(r);
        out = SVC_MSG_DONE;
        goto done;
    }
    json_t *pj = result_payload(&res);
    payload = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
    json_decref(pj);
    if (payload == NULL) {
        PQclear(r);
        goto done;
    }
    const char *q[] = {res.request_id, PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 0), payload};
    PGresult *ins = api_pg_exec(pg,
                                "INSERT INTO webhook_deliveries (request_id, client_id, url, payload) "
                                "VALUES ($1, $2, $3, $4::jsonb) ON CONFLICT (request_id) DO NOTHING",
                                4, q, PGRES_COMMAND_OK);
    PQclear(r);
    if (ins) {
        if (strcmp(PQcmdTuples(ins), "1") == 0) svc_counter_add(st->m_wh_enqueued, 1);
        out = SVC_MSG_DONE;
    }
    PQclear(ins);
done:
    free(payload);
    mpc_codec_free_result(&res);
    return out;
}

/* ---- deliver ------------------------------------------------------------- */

typedef struct {
    const char *request_id, *client_id, *url, *payload;
    long attempts; /* before this one */
    long long age_ms;
} delivery;

static long backoff_ms(const api_webhook_settings *w, long attempts) {
    long ms = w->initial_ms;
    for (long i = 1; i < attempts && ms < w->max_ms; i++) ms *= 2;
    return ms < w->max_ms ? ms : w->max_ms;
}

/* Records the outcome of one attempt. status: HTTP status or 0. */
static void record(api_state *st, PGconn *pg, const delivery *d, int status, const char *error) {
    const api_webhook_settings *w = &st->webhook;
    long attempts = d->attempts + 1;
    int ok = status >= 200 && status < 300;
    int dead = !ok && ((w->max_attempts > 0 && attempts >= w->max_attempts) ||
                       d->age_ms + backoff_ms(w, attempts) > w->window_s * 1000LL);
    char st_txt[16], wait[24];
    snprintf(st_txt, sizeof st_txt, "%d", status);
    snprintf(wait, sizeof wait, "%ld", ok || dead ? 0 : backoff_ms(w, attempts));
    const char *p[] = {d->request_id, ok ? "delivered" : dead ? "dead" : "delivering", status ? st_txt : NULL,
                       ok ? NULL : error, wait};
    PGresult *r = api_pg_exec(pg,
                              "UPDATE webhook_deliveries SET state = $2::text, attempts = attempts + 1, "
                              "last_status = $3::int, last_error = $4, updated_at = NOW(), "
                              "next_attempt_at = NOW() + make_interval(secs => $5::double precision / 1000), "
                              "delivered_at = CASE WHEN $2::text = 'delivered' THEN NOW() END WHERE request_id = $1",
                              5, p, PGRES_COMMAND_OK);
    PQclear(r);
    svc_counter_add(ok ? st->m_wh_delivered : dead ? st->m_wh_dead : st->m_wh_failed, 1);
    if (!ok)
        svc_log(dead ? SVC_LOG_WARN : SVC_LOG_INFO, dead ? "api: webhook given up" : "api: webhook attempt failed",
                "{s:s,s:i,s:i,s:s}", "request_id", d->request_id, "attempt", (int)attempts, "status", status, "error",
                error ? error : "");
}

static void deliver_one(api_state *st, PGconn *pg, const delivery *d) {
    api_client cl;
    int found = d->client_id ? api_client_load(st, pg, d->client_id, &cl) : 0;
    if (found < 0) return; /* database trouble: the lease expires and it is retried */
    if (found == 0) {
        delivery last = *d;
        last.attempts = st->webhook.max_attempts > 0 ? st->webhook.max_attempts : 1L << 20;
        last.age_ms = st->webhook.window_s * 1000LL;
        record(st, pg, &last, 0, "no active API client to sign the webhook with");
        return;
    }
    json_t *pj = json_loads(d->payload, 0, NULL);
    char *body = pj ? json_dumps(pj, JSON_COMPACT) : NULL;
    json_decref(pj);
    if (body == NULL) {
        api_client_clear(&cl);
        return;
    }
    int64_t now = mpc_api_now_ms();
    char ts[24], sig[MPC_API_SIG_HEX_LEN + 1], attempt[24];
    snprintf(ts, sizeof ts, "%lld", (long long)now);
    snprintf(attempt, sizeof attempt, "%ld", d->attempts + 1);
    int signed_ok = mpc_api_sign_webhook(cl.secret, now, body, strlen(body), sig) == 0;
    api_client_clear(&cl);
    if (!signed_ok) {
        free(body);
        return;
    }
    mpc_httpc_header h[] = {{"Content-Type", "application/json"}, {"User-Agent", "mpc-api-webhook/1"},
                            {"X-MPC-Timestamp", ts},               {"X-MPC-Signature", sig},
                            {"X-MPC-Request-Id", d->request_id},   {"X-MPC-Delivery-Attempt", attempt}};
    mpc_httpc_response resp;
    char err[256] = "";
    int status = 0;
    if (mpc_httpc_request("POST", d->url, h, sizeof h / sizeof h[0], body, strlen(body), (int)st->webhook.timeout_ms,
                          &resp, err, sizeof err) == 0) {
        status = resp.status;
        snprintf(err, sizeof err, "HTTP %d", status);
        mpc_httpc_response_free(&resp);
    }
    free(body);
    record(st, pg, d, status, err);
}

/* Claims and delivers due rows once. Returns how many were handled. */
static int deliver_due(api_state *st, PGconn *pg) {
    char lease[24], limit[8];
    snprintf(lease, sizeof lease, "%ld", st->webhook.timeout_ms / 1000 + 30);
    snprintf(limit, sizeof limit, "%d", CLAIM_BATCH);
    const char *p[] = {lease, limit};
    PGresult *r = api_pg_exec(pg,
                              "UPDATE webhook_deliveries SET next_attempt_at = NOW() + make_interval(secs => $1::int) "
                              "WHERE request_id IN (SELECT request_id FROM webhook_deliveries WHERE state = 'delivering' "
                              "AND next_attempt_at <= NOW() ORDER BY next_attempt_at LIMIT $2::int FOR UPDATE SKIP LOCKED) "
                              "RETURNING request_id, client_id, url, payload::text, attempts, "
                              "(EXTRACT(EPOCH FROM (NOW() - created_at)) * 1000)::bigint",
                              2, p, PGRES_TUPLES_OK);
    if (r == NULL) return 0;
    int n = PQntuples(r);
    for (int i = 0; i < n && !st->stopping; i++) {
        delivery d = {PQgetvalue(r, i, 0), PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                      PQgetvalue(r, i, 3), strtol(PQgetvalue(r, i, 4), NULL, 10), strtoll(PQgetvalue(r, i, 5), NULL, 10)};
        deliver_one(st, pg, &d);
    }
    PQclear(r);
    return n;
}

static void *webhook_thread(void *arg) {
    api_state *st = arg;
    while (!st->stopping) {
        int handled = 0;
        api_conn *conn = api_pool_acquire(st->pool);
        if (conn) {
            PGconn *pg = api_conn_pg(conn);
            if (pg) handled = deliver_due(st, pg);
            api_pool_release(st->pool, conn);
        }
        if (handled == 0)
            for (int i = 0; i < 4 && !st->stopping; i++) nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    return NULL;
}

int api_webhooks_start(api_state *st) {
    if (pthread_create(&st->webhook_thread, NULL, webhook_thread, st) != 0) return -1;
    st->webhook_running = 1;
    return 0;
}

void api_webhooks_stop(api_state *st) {
    st->stopping = 1;
    if (st->webhook_running) pthread_join(st->webhook_thread, NULL);
    st->webhook_running = 0;
}
