/* sessions.c - GET /api/v1/sessions/{id} and POST /api/v1/sessions/{id}/cancel.
 *
 * Cancel only asks: it sets signing_sessions.status = 'cancel_requested' when
 * the session is not finished; the coordinator notices on its tick and
 * aborts (docs/pipeline.md; the API holds no node identity, so it does not
 * speak on mpc.rounds). A session on a key the client may not use is
 * answered as not found.
 */
#include "api.h"

#define SESSION_COLUMNS                                                                                           \
    "session_id, key_id, kind, protocol, status, threshold, total_nodes, participating_nodes, current_round, "    \
    "total_rounds, attempt, request_ids, signature, message_hash, coordinator, " API_ISO("created_at")            \
    " AS created_at, " API_ISO("completed_at") " AS completed_at, duration_ms, error_code, error_message, culprit_node"

/* Statuses after which nothing can be cancelled. */
#define TERMINAL_STATUSES "('succeeded', 'completed', 'failed', 'cancelled', 'aborted', 'timed_out')"

static int visible(api_call *c, PGresult *r, int key_col) {
    return PQgetisnull(r, 0, key_col) || api_client_allows_key(&c->client, PQgetvalue(r, 0, key_col));
}

int api_h_session_get(api_call *c, svc_http_response *resp) {
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    const char *p[] = {c->params[0]};
    PGresult *r = api_pg_exec(pg, "SELECT " SESSION_COLUMNS " FROM signing_sessions WHERE session_id = $1", 1, p,
                              PGRES_TUPLES_OK);
    if (r == NULL) return api_reply_db_down(c, resp);
    if (PQntuples(r) == 0 || !visible(c, r, 1)) {
        PQclear(r);
        return api_reply_error(c, resp, 404, "SESSION_NOT_FOUND", "no session '%s'", c->params[0]);
    }
    json_t *s = api_pg_row_object(r, 0);
    PQclear(r);
    return api_reply_data(c, resp, 200, s);
}

int api_h_session_cancel(api_call *c, svc_http_response *resp) {
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    const char *p[] = {c->params[0]};
    PGresult *r = api_pg_exec(pg,
                              "SELECT status, key_id, status IN " TERMINAL_STATUSES
                              " FROM signing_sessions WHERE session_id = $1",
                              1, p, PGRES_TUPLES_OK);
    if (r == NULL) return api_reply_db_down(c, resp);
    if (PQntuples(r) == 0 || !visible(c, r, 1)) {
        PQclear(r);
        return api_reply_error(c, resp, 404, "SESSION_NOT_FOUND", "no session '%s'", c->params[0]);
    }
    int terminal = PQgetvalue(r, 0, 2)[0] == 't';
    PQclear(r);
    if (!terminal) {
        r = api_pg_exec(pg,
                        "UPDATE signing_sessions SET status = 'cancel_requested' WHERE session_id = $1 "
                        "AND status NOT IN " TERMINAL_STATUSES " RETURNING session_id",
                        1, p, PGRES_TUPLES_OK);
        if (r == NULL) return api_reply_db_down(c, resp);
        terminal = PQntuples(r) == 0; /* it finished in between */
        PQclear(r);
    }
    if (terminal)
        return api_reply_error(c, resp, 409, "SESSION_TERMINAL", "session '%s' has already finished", c->params[0]);
    return api_reply_data(c, resp, 202, json_pack("{s:s,s:s}", "session_id", c->params[0], "status", "cancel_requested"));
}
