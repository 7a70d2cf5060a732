/* keys.c - GET /api/v1/keys and GET /api/v1/keys/{key_id}.
 *
 * Only public data is stored (sql/V001): public key (hex, compressed SEC1),
 * address, threshold, participants, status. A client with an allowed_keys
 * list sees only those keys; any other key is answered as not found.
 * List query: limit (1-500, default 50), offset (>= 0), status, chain_type,
 * protocol; newest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define KEY_COLUMNS                                                                                             \
    "key_id, public_key, address, algorithm, protocol, curve, threshold, total_nodes, participants, chain_type, " \
    "chain_code, status, request_id, " API_ISO("created_at") " AS created_at, " API_ISO("updated_at") " AS updated_at"

/* A non-negative integer query argument within [min, max]. */
static int query_int(api_call *c, const char *name, long dflt, long min, long max, long *out, api_error *e) {
    const char *v = svc_http_query(c->http, name);
    *out = dflt;
    if (v == NULL) return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (v[0] == '\0' || *end != '\0' || n < min || n > max)
        return api_fail(e, 400, "INVALID_QUERY", "query argument '%s' must be an integer %ld-%ld", name, min, max);
    *out = n;
    return 0;
}

static char *allowed_keys_text(const api_client *cl) {
    return cl->allowed_keys ? json_dumps(cl->allowed_keys, JSON_COMPACT) : NULL;
}

int api_h_keys_list(api_call *c, svc_http_response *resp) {
    api_error e;
    long limit, offset;
    if (query_int(c, "limit", 50, 1, 500, &limit, &e) != 0 || query_int(c, "offset", 0, 0, 1000000000L, &offset, &e) != 0)
        return api_reply_err(c, resp, &e);
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    char lim[24], off[24];
    snprintf(lim, sizeof lim, "%ld", limit);
    snprintf(off, sizeof off, "%ld", offset);
    char *allowed = allowed_keys_text(&c->client);
    if (c->client.allowed_keys && allowed == NULL) return -1;
    const char *p[] = {allowed, svc_http_query(c->http, "status"), svc_http_query(c->http, "chain_type"),
                       svc_http_query(c->http, "protocol"), lim, off};
    PGresult *r = api_pg_exec(pg,
                              "SELECT " KEY_COLUMNS " FROM keys WHERE deletion_date IS NULL "
                              "AND ($1::jsonb IS NULL OR $1::jsonb ? key_id) AND ($2::text IS NULL OR status = $2) "
                              "AND ($3::text IS NULL OR chain_type = $3) AND ($4::text IS NULL OR protocol = $4) "
                              "ORDER BY created_at DESC, key_id LIMIT $5::int OFFSET $6::int",
                              6, p, PGRES_TUPLES_OK);
    free(allowed);
    if (r == NULL) return api_reply_db_down(c, resp);
    json_t *keys = json_array();
    for (int i = 0; keys && i < PQntuples(r); i++) json_array_append_new(keys, api_pg_row_object(r, i));
    PQclear(r);
    return api_reply_data(c, resp, 200, json_pack("{s:o,s:i,s:i}", "keys", keys, "limit", (int)limit, "offset", (int)offset));
}

int api_h_key_get(api_call *c, svc_http_response *resp) {
    const char *key_id = c->params[0];
    if (!api_client_allows_key(&c->client, key_id))
        return api_reply_error(c, resp, 404, "KEY_NOT_FOUND", "no key '%s'", key_id);
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    const char *p[] = {key_id};
    PGresult *r = api_pg_exec(pg, "SELECT " KEY_COLUMNS " FROM keys WHERE key_id = $1 AND deletion_date IS NULL", 1, p,
                              PGRES_TUPLES_OK);
    if (r == NULL) return api_reply_db_down(c, resp);
    if (PQntuples(r) == 0) {
        PQclear(r);
        return api_reply_error(c, resp, 404, "KEY_NOT_FOUND", "no key '%s'", key_id);
    }
    json_t *key = api_pg_row_object(r, 0);
    PQclear(r);
    return api_reply_data(c, resp, 200, key);
}
