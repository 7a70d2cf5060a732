/* requests.c - GET /api/v1/requests/{request_id}: the status of a keygen or
 * sign request, its timestamps, its result (requests.result, written by the
 * coordinator; docs/pipeline.md) or its error, and its webhook delivery.
 * A client sees only the requests it submitted (requests.client_id).
 */
#include "api.h"

int api_h_request_get(api_call *c, svc_http_response *resp) {
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    const char *p[] = {c->params[0], c->client.key_id};
    PGresult *r = api_pg_exec(
        pg,
        "SELECT r.request_id, r.kind, r.batch_id, r.key_id, r.status, r.session_id, r.result, r.error_code, "
        "r.error_message, r.callback_url, " API_ISO("r.created_at") ", " API_ISO("r.updated_at") ", " API_ISO(
            "r.completed_at") ", w.state, w.attempts, w.last_status, " API_ISO("w.next_attempt_at") ", " API_ISO("w.delivered_at") " "
        "FROM requests r LEFT JOIN webhook_deliveries w ON w.request_id = r.request_id "
        "WHERE r.request_id = $1 AND r.client_id = $2",
        2, p, PGRES_TUPLES_OK);
    if (r == NULL) return api_reply_db_down(c, resp);
    if (PQntuples(r) == 0) {
        PQclear(r);
        return api_reply_error(c, resp, 404, "REQUEST_NOT_FOUND", "no request '%s'", c->params[0]);
    }
    enum { ID, KIND, BATCH, KEY, STATUS, SESSION, RESULT, ERR_CODE, ERR_MSG, CALLBACK, CREATED, UPDATED, COMPLETED,
           W_STATE, W_ATTEMPTS, W_LAST, W_NEXT, W_DONE };
    json_t *error = PQgetisnull(r, 0, ERR_CODE)
                        ? json_null()
                        : json_pack("{s:o,s:o}", "code", api_pg_value(r, 0, ERR_CODE), "message", api_pg_value(r, 0, ERR_MSG));
    json_t *webhook;
    if (!PQgetisnull(r, 0, W_STATE))
        webhook = json_pack("{s:o,s:o,s:o,s:o,s:o}", "state", api_pg_value(r, 0, W_STATE), "attempts",
                            api_pg_value(r, 0, W_ATTEMPTS), "last_status", api_pg_value(r, 0, W_LAST),
                            "next_attempt_at", api_pg_value(r, 0, W_NEXT), "delivered_at", api_pg_value(r, 0, W_DONE));
    else if (!PQgetisnull(r, 0, CALLBACK))
        webhook = json_pack("{s:s,s:i,s:n,s:n,s:n}", "state", "pending", "attempts", 0, "last_status", "next_attempt_at",
                            "delivered_at");
    else
        webhook = json_null();
    json_t *data = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "request_id", api_pg_value(r, 0, ID),
                             "kind", api_pg_value(r, 0, KIND), "batch_id", api_pg_value(r, 0, BATCH), "key_id",
                             api_pg_value(r, 0, KEY), "status", api_pg_value(r, 0, STATUS), "session_id",
                             api_pg_value(r, 0, SESSION), "result", api_pg_value(r, 0, RESULT), "error", error,
                             "callback_url", api_pg_value(r, 0, CALLBACK), "created_at", api_pg_value(r, 0, CREATED),
                             "updated_at", api_pg_value(r, 0, UPDATED), "completed_at", api_pg_value(r, 0, COMPLETED),
                             "webhook", webhook);
    PQclear(r);
    return api_reply_data(c, resp, 200, data);
}
