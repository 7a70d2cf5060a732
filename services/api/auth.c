/* auth.c - authentication of /api/v1 calls (docs/api.md, "Authentication").
 *
 * Order of the checks, each with its own stable code:
 *   1. the four headers are present            AUTH_MISSING (401)
 *   2. timestamp is ms within the window        AUTH_STALE_TIMESTAMP (401)
 *   3. nonce is 8-128 printable ASCII           AUTH_INVALID (401)
 *   4. the key exists and is active             AUTH_UNKNOWN_KEY (401)
 *   5. the HMAC matches (CRYPTO_memcmp)         AUTH_BAD_SIGNATURE (401)
 *   6. the nonce was not used before            AUTH_NONCE_REPLAYED (401)
 *      (Redis SET nonce:<key>:<nonce> NX EX; only after the HMAC checked, so
 *      nobody can burn another client's nonces)
 *   7. the client's rate limit                  RATE_LIMITED (429 + Retry-After)
 *      (fixed window: INCR rl:<key>:<window index>, EXPIRE on first use)
 * Redis unreachable at 6 or 7 answers 503 UNAVAILABLE: without it replays
 * could not be refused. Secrets and signatures never reach the logs.
 */
#include <ctype.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "svc/log.h"

#define NONCE_TTL_S 600 /* longer than twice the largest window a client can use */

typedef struct {
    mpc_api_query_pair *pairs;
    size_t n, cap;
    int oom;
} query_list;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    query_list *q = cls;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        mpc_api_query_pair *p = realloc(q->pairs, cap * sizeof *p);
        if (p == NULL) {
            q->oom = 1;
            return MHD_NO;
        }
        q->pairs = p;
        q->cap = cap;
    }
    q->pairs[q->n++] = (mpc_api_query_pair){key, value};
    return MHD_YES;
}

/* path + "?" + canonical query (when there is one). Malloc'd. */
static char *signed_path(const svc_http_request *req) {
    query_list q = {0};
    MHD_get_connection_values(req->connection, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    if (q.oom) {
        free(q.pairs);
        return NULL;
    }
    char *cq = mpc_api_canonical_query(q.pairs, q.n);
    free(q.pairs);
    if (cq == NULL) return NULL;
    size_t len = strlen(req->path) + strlen(cq) + 2;
    char *out = malloc(len);
    if (out) snprintf(out, len, "%s%s%s", req->path, cq[0] ? "?" : "", cq);
    free(cq);
    return out;
}

void api_client_clear(api_client *cl) {
    json_decref(cl->allowed_keys);
    json_decref(cl->allowed_chains);
    OPENSSL_cleanse(cl->secret, sizeof cl->secret);
    memset(cl, 0, sizeof *cl);
}

static int in_list(json_t *list, const char *value) {
    if (list == NULL) return 1;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (json_is_string(v) && strcmp(json_string_value(v), value) == 0) return 1;
    return 0;
}

int api_client_allows_key(const api_client *cl, const char *key_id) {
    return in_list(cl->allowed_keys, key_id);
}

int api_client_allows_chain(const api_client *cl, const char *chain_type) {
    return in_list(cl->allowed_chains, chain_type);
}

int api_client_load(api_state *st, PGconn *pg, const char *key_id, api_client *out) {
    memset(out, 0, sizeof *out);
    const char *params[] = {key_id};
    PGresult *r = PQexecParams(pg,
                               "SELECT secret_scheme, secret, allowed_keys::text, allowed_chains::text, rate_limit, "
                               "rate_window_s FROM api_clients WHERE key_id = $1 AND status = 'active'",
                               1, NULL, params, NULL, NULL, 1 /* binary results */);
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        svc_log(SVC_LOG_ERROR, "api: client lookup failed", "{s:s}", "error",
                r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
        PQclear(r);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    int rc = 1;
    snprintf(out->key_id, sizeof out->key_id, "%s", key_id);
    char scheme[32];
    snprintf(scheme, sizeof scheme, "%.*s", PQgetlength(r, 0, 0), PQgetvalue(r, 0, 0));
    if (mpc_client_secret_open(st->have_secret_key ? st->secret_key : NULL, key_id, scheme,
                               (const uint8_t *)PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1), out->secret) != 0) {
        svc_log(SVC_LOG_ERROR, "api: cannot open the client's stored secret (wrong api.secret_key?)", "{s:s,s:s}",
                "key_id", key_id, "scheme", scheme);
        rc = -1;
    }
    for (int col = 2; col <= 3 && rc == 1; col++) {
        if (PQgetisnull(r, 0, col)) continue;
        /* binary text results carry the text as is */
        json_t *list = json_loadb(PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col), 0, NULL);
        if (!json_is_array(list)) {
            json_decref(list);
            continue;
        }
        if (col == 2) out->allowed_keys = list;
        else out->allowed_chains = list;
    }
    /* int4 in binary: network byte order */
    const unsigned char *rl = (const unsigned char *)PQgetvalue(r, 0, 4), *rw = (const unsigned char *)PQgetvalue(r, 0, 5);
    out->rate_limit = (long)((uint32_t)rl[0] << 24 | (uint32_t)rl[1] << 16 | (uint32_t)rl[2] << 8 | rl[3]);
    out->rate_window_s = (long)((uint32_t)rw[0] << 24 | (uint32_t)rw[1] << 16 | (uint32_t)rw[2] << 8 | rw[3]);
    PQclear(r);
    if (rc != 1) api_client_clear(out);
    return rc;
}

static int valid_nonce(const char *n) {
    size_t len = strlen(n);
    if (len < 8 || len > 128) return 0;
    for (size_t i = 0; i < len; i++)
        if (n[i] < 0x21 || n[i] > 0x7e) return 0;
    return 1;
}

static int parse_ms(const char *s, int64_t *out) {
    if (s[0] == '\0' || strlen(s) > 15 || strspn(s, "0123456789") != strlen(s)) return -1;
    *out = strtoll(s, NULL, 10);
    return 0;
}

/* Step 6 and 7: Redis. Returns 0, or -1 with e set. */
static int check_nonce_and_rate(api_call *c, svc_http_response *resp, const char *nonce, api_error *e) {
    redisContext *rc = api_conn_redis(c->conn);
    if (rc == NULL) return api_fail(e, 503, "UNAVAILABLE", "replay protection is unavailable (Redis); retry later");
    redisReply *r = redisCommand(rc, "SET nonce:%s:%s 1 NX EX %d", c->client.key_id, nonce, NONCE_TTL_S);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        if (r == NULL) api_conn_redis_broken(c->conn);
        freeReplyObject(r);
        return api_fail(e, 503, "UNAVAILABLE", "replay protection is unavailable (Redis); retry later");
    }
    int fresh = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!fresh) return api_fail(e, 401, "AUTH_NONCE_REPLAYED", "this nonce was already used with this key");

    int64_t now_s = mpc_api_now_ms() / 1000;
    long window = c->client.rate_window_s > 0 ? c->client.rate_window_s : 1;
    long long idx = now_s / window;
    r = redisCommand(rc, "INCR rl:%s:%lld", c->client.key_id, idx);
    if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
        if (r == NULL) api_conn_redis_broken(c->conn);
        freeReplyObject(r);
        return api_fail(e, 503, "UNAVAILABLE", "rate limiting is unavailable (Redis); retry later");
    }
    long long count = r->integer;
    freeReplyObject(r);
    if (count == 1) {
        r = redisCommand(rc, "EXPIRE rl:%s:%lld %ld", c->client.key_id, idx, window + 1);
        if (r == NULL) api_conn_redis_broken(c->conn);
        freeReplyObject(r);
    }
    if (count > c->client.rate_limit) {
        char retry[24];
        snprintf(retry, sizeof retry, "%lld", (long long)((idx + 1) * window - now_s));
        if (svc_http_response_header(resp, "Retry-After", retry) != 0) return api_fail(e, 500, "INTERNAL", "out of memory");
        return api_fail(e, 429, "RATE_LIMITED", "rate limit of %ld requests per %ld s exceeded", c->client.rate_limit,
                        window);
    }
    return 0;
}

int api_authenticate(api_call *c, svc_http_response *resp, api_error *e) {
    const svc_http_request *req = c->http;
    const char *key = svc_http_header(req, "X-MPC-Key"), *ts = svc_http_header(req, "X-MPC-Timestamp"),
               *nonce = svc_http_header(req, "X-MPC-Nonce"), *sig = svc_http_header(req, "X-MPC-Signature");
    if (!key || !ts || !nonce || !sig)
        return api_fail(e, 401, "AUTH_MISSING",
                        "X-MPC-Key, X-MPC-Timestamp, X-MPC-Nonce and X-MPC-Signature headers are required");
    int64_t ts_ms, now = mpc_api_now_ms();
    if (parse_ms(ts, &ts_ms) != 0) return api_fail(e, 401, "AUTH_STALE_TIMESTAMP", "X-MPC-Timestamp must be milliseconds since the Unix epoch");
    if (ts_ms < now - c->st->auth_window_ms || ts_ms > now + c->st->auth_window_ms)
        return api_fail(e, 401, "AUTH_STALE_TIMESTAMP", "X-MPC-Timestamp is more than %lld s away from the server's clock",
                        (long long)(c->st->auth_window_ms / 1000));
    if (!valid_nonce(nonce)) return api_fail(e, 401, "AUTH_INVALID", "X-MPC-Nonce must be 8-128 printable ASCII characters");
    if (!api_valid_id(key)) return api_fail(e, 401, "AUTH_UNKNOWN_KEY", "unknown or disabled API key");

    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_fail(e, 503, "UNAVAILABLE", "the database is unavailable; retry later");
    int found = api_client_load(c->st, pg, key, &c->client);
    if (found < 0) return api_fail(e, 503, "UNAVAILABLE", "cannot check the API key now; retry later");
    if (found == 0) return api_fail(e, 401, "AUTH_UNKNOWN_KEY", "unknown or disabled API key");

    char *path = signed_path(req);
    char expect[MPC_API_SIG_HEX_LEN + 1], given[MPC_API_SIG_HEX_LEN + 1] = {0};
    if (path == NULL) return api_fail(e, 500, "INTERNAL", "out of memory");
    int rc = mpc_api_sign(c->client.secret, req->method, path, ts_ms, nonce, req->body, req->body_len, expect);
    free(path);
    if (rc != 0) return api_fail(e, 500, "INTERNAL", "cannot compute the signature");
    size_t glen = strlen(sig);
    for (size_t i = 0; i < MPC_API_SIG_HEX_LEN && i < glen; i++) given[i] = (char)tolower((unsigned char)sig[i]);
    int match = glen == MPC_API_SIG_HEX_LEN && CRYPTO_memcmp(expect, given, MPC_API_SIG_HEX_LEN) == 0;
    OPENSSL_cleanse(expect, sizeof expect);
    if (!match) return api_fail(e, 401, "AUTH_BAD_SIGNATURE", "X-MPC-Signature does not match the request");
    return check_nonce_and_rate(c, resp, nonce, e);
}
