/* api.h - what the modules of the API service share.
 *
 * Modules (one concern each):
 *   main.c        service definition, settings, start/stop, --create-api-key
 *   pool.c        per-thread PostgreSQL/Redis connections for HTTP handlers
 *   reply.c       the response envelope and error replies
 *   fields.c      typed access to JSON request fields with stable errors
 *   router.c      /api/v1 routing table, authentication, dispatch
 *   auth.c        HMAC request authentication, nonces, rate limits
 *   submit.c      POST /keys, /sign, /sign/batch: validate, idempotency, produce
 *   keys.c, requests.c, sessions.c, nodes.c, verify.c   the other resources
 *   audit_api.c   GET /audit/events and /audit/verify (services/auditor's
 *                 audit_read.h, library mpc_audit)
 *   webhooks.c    results -> webhook_deliveries, and the delivery thread
 *   apikey.c      `mpc-api --create-api-key`
 * sigv1.c, client_secret.c and httpc.c form the mpc_apiclient library that
 * mpcctl links too.
 *
 * Threading: handlers run on libmicrohttpd's worker threads; each call takes
 * its own connections from the pool (never the service shell's, which
 * belong to the main loop). The webhook thread has its own as well.
 */
#ifndef MPC_API_API_H
#define MPC_API_API_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "client_secret.h"
#include "svc/service.h"

/* ---- shared state ------------------------------------------------------- */

typedef struct api_pool api_pool;
typedef struct api_conn api_conn;

typedef struct {
    long initial_ms, max_ms, window_s, max_attempts, timeout_ms;
} api_webhook_settings;

typedef struct api_state {
    svc_service *svc;
    svc_kafka *kafka;
    api_pool *pool;
    uint8_t secret_key[MPC_API_SECRET_KEY_LEN];
    int have_secret_key;
    int produce_timeout_ms;
    int64_t auth_window_ms;
    api_webhook_settings webhook;
    pthread_t webhook_thread;
    int webhook_running;
    _Atomic int stopping;
    _Atomic int in_flight; /* HTTP calls inside the dispatcher */
    _Atomic int started;   /* on_start completed */
    svc_metric *m_accepted, *m_replayed, *m_client_errors, *m_server_errors, *m_auth_failures;
    svc_metric *m_latency;
    svc_metric *m_wh_enqueued, *m_wh_delivered, *m_wh_failed, *m_wh_dead;
} api_state;

/* The process's one state (static storage, so valid for any thread at any
 * time; fields are set by on_start before `started` becomes 1). */
api_state *api_state_get(void);

/* ---- connection pool (pool.c) -------------------------------------------- */

api_pool *api_pool_new(const char *pg_dsn, int pg_timeout_s, const char *redis_url, int redis_timeout_ms)
    __attribute__((warn_unused_result));
void api_pool_free(api_pool *p);
/* Takes a connection pair (creating one if none is free). NULL: out of memory. */
api_conn *api_pool_acquire(api_pool *p);
void api_pool_release(api_pool *p, api_conn *c);
/* The live PostgreSQL connection, (re)connecting if needed; NULL when down. */
PGconn *api_conn_pg(api_conn *c);
/* The live Redis context, (re)connecting if needed; NULL when down. */
redisContext *api_conn_redis(api_conn *c);
/* Call after a NULL reply (I/O error): the next api_conn_redis reconnects. */
void api_conn_redis_broken(api_conn *c);

/* ---- one API call -------------------------------------------------------- */

typedef struct {
    char key_id[129];
    char secret[MPC_API_SECRET_HEX_LEN + 1];
    json_t *allowed_keys;   /* NULL: all; else array of strings (owned) */
    json_t *allowed_chains; /* NULL: all; else array of strings (owned) */
    long rate_limit, rate_window_s;
} api_client;

/* An error to answer with: HTTP status, stable code, one-line message. */
typedef struct {
    int status;
    const char *code;
    char message[300];
} api_error;

typedef struct {
    api_state *st;
    const svc_http_request *http;
    api_conn *conn;
    api_client client;
    const char *params[2];   /* path parameters, in order */
    char call_id[40];        /* meta.request_id */
} api_call;

typedef int (*api_handler)(api_call *c, svc_http_response *resp);

/* ---- replies (reply.c) --------------------------------------------------- */

/* Fills resp with {"success": true, "data": data, "meta"}; steals data.
 * Returns 0, or -1 when out of memory (the shell then answers 500). */
int api_reply_data(api_call *c, svc_http_response *resp, int status, json_t *data);
/* Fills resp with {"success": false, "error": {code, message}, "meta"}. */
int api_reply_error(api_call *c, svc_http_response *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int api_reply_err(api_call *c, svc_http_response *resp, const api_error *e);
/* Sets e and returns -1 (so callers can `return api_fail(...)`). */
int api_fail(api_error *e, int status, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Shorthands for dependencies that are away. */
int api_reply_db_down(api_call *c, svc_http_response *resp);
/* ISO-8601 UTC with milliseconds of a ms timestamp into out (>= 32 bytes). */
void api_iso_time(int64_t ms, char *out, size_t len);

/* ---- JSON fields (fields.c) ---------------------------------------------- */

/* Parses the request body as a JSON object (INVALID_JSON / INVALID_TYPE). */
json_t *api_parse_body(const svc_http_request *req, api_error *e);
/* Fails with UNKNOWN_FIELD when obj has a member not in `allowed` (NULL-terminated). */
int api_fields_known(json_t *obj, const char *const *allowed, const char *where, api_error *e);
/* String member; absent (or null when !required) gives *out = NULL. */
int api_field_string(json_t *obj, const char *name, int required, const char **out, api_error *e);
/* Integer member (JSON integer only). */
int api_field_int(json_t *obj, const char *name, int required, long long *out, int *present, api_error *e);
/* A valid API identifier: 1..128 of [A-Za-z0-9._:-]. */
int api_valid_id(const char *s);

/* ---- PostgreSQL helpers (pool.c) ----------------------------------------- */

/* Runs a parameterised statement (text parameters, text results).
 * Returns the result when its status is `want`, else logs, clears and
 * returns NULL. */
PGresult *api_pg_exec(PGconn *pg, const char *sql, int nparams, const char *const *params, ExecStatusType want);
/* Column value as a JSON value: NULL -> null; json/jsonb columns parsed;
 * int4 as integer; everything else as string. */
json_t *api_pg_value(PGresult *r, int row, int col);
/* A JSON object of every column of one row (column names as keys). */
json_t *api_pg_row_object(PGresult *r, int row);

/* SQL fragment rendering a timestamptz column as ISO-8601 UTC text. */
#define API_ISO(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* ---- authentication (auth.c) --------------------------------------------- */

/* Authenticates the call (headers, HMAC, nonce, rate limit) and fills
 * c->client. Returns 0, or -1 with e set. */
int api_authenticate(api_call *c, svc_http_response *resp, api_error *e);
void api_client_clear(api_client *cl);
/* 1 when the client may use key_id / chain_type (allow lists). */
int api_client_allows_key(const api_client *cl, const char *key_id);
int api_client_allows_chain(const api_client *cl, const char *chain_type);
/* Loads and opens a client's secret (used by webhooks as well).
 * Returns 1 found, 0 unknown/disabled, -1 database error / undecryptable. */
int api_client_load(api_state *st, PGconn *pg, const char *key_id, api_client *out);

/* ---- handlers ------------------------------------------------------------ */

int api_route_dispatch(void *svc, const svc_http_request *req, svc_http_response *resp);

int api_h_keygen(api_call *c, svc_http_response *resp);
int api_h_sign(api_call *c, svc_http_response *resp);
int api_h_sign_batch(api_call *c, svc_http_response *resp);
int api_h_keys_list(api_call *c, svc_http_response *resp);
int api_h_key_get(api_call *c, svc_http_response *resp);
int api_h_request_get(api_call *c, svc_http_response *resp);
int api_h_session_get(api_call *c, svc_http_response *resp);
int api_h_session_cancel(api_call *c, svc_http_response *resp);
int api_h_nodes_list(api_call *c, svc_http_response *resp);
int api_h_node_health(api_call *c, svc_http_response *resp);
int api_h_verify(api_call *c, svc_http_response *resp);
/* Audit trail (audit_api.c): query rows, verify the chain. Refused (403) to
 * API keys with allowed_keys or allowed_chains. */
int api_h_audit_events(api_call *c, svc_http_response *resp);
int api_h_audit_verify(api_call *c, svc_http_response *resp);

/* ---- webhooks (webhooks.c) ------------------------------------------------ */

/* A record from mpc.results: enqueue its webhook if the request asked for one. */
svc_msg_outcome api_webhooks_on_result(api_state *st, PGconn *pg, const rd_kafka_message_t *msg);
int api_webhooks_start(api_state *st);
void api_webhooks_stop(api_state *st);

/* ---- `mpc-api --create-api-key` (apikey.c) -------------------------------- */

int api_create_key_main(int argc, char **argv);

#endif
