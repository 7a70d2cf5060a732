/* store.c - PostgreSQL and Redis operations of the coordinator; see store.h. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"

/* Runs a parameterised statement. Returns the result (PQclear it) when its
 * status is the expected one, else logs and returns NULL. */
static PGresult *run(PGconn *db, const char *sql, int n, const char *const *params, ExecStatusType want) {
    if (db == NULL) return NULL;
    PGresult *r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
    if (r && PQresultStatus(r) == want) return r;
    const char *msg = PQerrorMessage(db);
    svc_log(SVC_LOG_ERROR, "database statement failed", "{s:s,s:s#}", "statement", sql, "error", msg,
            (int)strcspn(msg, "\n"));
    PQclear(r);
    return NULL;
}

static int run_command(PGconn *db, const char *sql, int n, const char *const *params) {
    PGresult *r = run(db, sql, n, params, PGRES_COMMAND_OK);
    PQclear(r);
    return r ? 0 : -1;
}

static int hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int co_key_load(PGconn *db, const char *key_id, co_key *out) {
    const char *p[] = {key_id};
    PGresult *r = run(db,
                      "SELECT protocol, status, chain_type, coalesce(public_key, ''), threshold, total_nodes,"
                      " participants::text FROM keys WHERE key_id = $1 AND deletion_date IS NULL",
                      1, p, PGRES_TUPLES_OK);
    if (r == NULL) return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->key_id, sizeof out->key_id, "%s", key_id);
    snprintf(out->protocol, sizeof out->protocol, "%s", PQgetvalue(r, 0, 0));
    snprintf(out->status, sizeof out->status, "%s", PQgetvalue(r, 0, 1));
    snprintf(out->chain_type, sizeof out->chain_type, "%s", PQgetvalue(r, 0, 2));
    const char *pk = PQgetvalue(r, 0, 3);
    if (strlen(pk) == 66) {
        out->has_public_key = 1;
        for (int i = 0; i < 33; i++) {
            int hi = hexval(pk[2 * i]), lo = hexval(pk[2 * i + 1]);
            if (hi < 0 || lo < 0) out->has_public_key = 0;
            out->public_key[i] = (unsigned char)(hi << 4 | lo);
        }
    }
    out->threshold = atoi(PQgetvalue(r, 0, 4));
    out->total_nodes = atoi(PQgetvalue(r, 0, 5));
    json_t *parts = json_loads(PQgetvalue(r, 0, 6), 0, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(parts, i, v) {
        if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 255 && i < 255)
            out->participants[out->nparticipants++] = (uint16_t)json_integer_value(v);
    }
    json_decref(parts);
    PQclear(r);
    return 1;
}

int co_key_insert_generating(PGconn *db, const co_key *k, const char *request_id) {
    char t[16], n[16];
    snprintf(t, sizeof t, "%d", k->threshold);
    snprintf(n, sizeof n, "%d", k->total_nodes);
    json_t *parts = json_array();
    for (size_t i = 0; i < k->nparticipants; i++) json_array_append_new(parts, json_integer(k->participants[i]));
    char *pj = json_dumps(parts, JSON_COMPACT);
    json_decref(parts);
    const char *p[] = {k->key_id, k->protocol, t, n, pj ? pj : "[]", k->chain_type, request_id};
    int rc = run_command(db,
                         "INSERT INTO keys (key_id, algorithm, protocol, curve, threshold, total_nodes,"
                         " participants, chain_type, status, request_id)"
                         " VALUES ($1, CASE WHEN $2 LIKE 'gg%' THEN 'ecdsa' ELSE 'schnorr' END, $2, 'secp256k1',"
                         " $3::int, $4::int, $5::jsonb, $6, 'Generating', $7)"
                         " ON CONFLICT (key_id) DO UPDATE SET status = 'Generating', updated_at = now()"
                         " WHERE keys.status = 'Failed'",
                         7, p);
    free(pj);
    return rc;
}

int co_key_activate(PGconn *db, const char *key_id, const char *public_key_hex, const char *address) {
    const char *p[] = {key_id, public_key_hex, address};
    return run_command(db,
                       "UPDATE keys SET public_key = $2, address = $3, status = 'Active', updated_at = now()"
                       " WHERE key_id = $1 AND status = 'Generating'",
                       3, p);
}

int co_key_fail(PGconn *db, const char *key_id) {
    const char *p[] = {key_id};
    return run_command(db, "UPDATE keys SET status = 'Failed', updated_at = now() WHERE key_id = $1 AND status = 'Generating'",
                       1, p);
}

/* Runs sql with the JSON text of doc as $1 (plus extra params), returning
 * the first column of every row as a JSON array of strings in *out (if out). */
static int run_json(PGconn *db, const char *sql, json_t *doc, const char *extra, json_t **out) {
    char *text = json_dumps(doc, JSON_COMPACT);
    if (text == NULL) return -1;
    const char *p[] = {text, extra};
    PGresult *r = run(db, sql, extra ? 2 : 1, p, out ? PGRES_TUPLES_OK : PGRES_COMMAND_OK);
    free(text);
    if (r == NULL) return -1;
    if (out) {
        *out = json_array();
        for (int i = 0; i < PQntuples(r); i++) json_array_append_new(*out, json_string(PQgetvalue(r, i, 0)));
    }
    PQclear(r);
    return 0;
}

/* Columns of a request as co_requests_admit returns them. */
#define REQUEST_COLUMNS                                                                                     \
    "request_id, status, encode(payload_hash, 'hex'), coalesce(result::text, 'null'), coalesce(error_code, ''), " \
    "coalesce(error_message, ''), coalesce(session_id, '')"

int co_requests_admit(PGconn *db, json_t *rows, json_t **out) {
    char *text = json_dumps(rows, JSON_COMPACT);
    if (text == NULL) return -1;
    const char *p[] = {text};
    /* One statement: the rows the INSERT created come back through
     * RETURNING, the ones that existed from the statement's snapshot. */
    PGresult *r = run(db,
                      "WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(request_id text, kind text,"
                      " batch_id text, client_id text, key_id text, payload_hash text, callback_url text)),"
                      " ins AS (INSERT INTO requests (request_id, kind, batch_id, client_id, key_id, payload_hash,"
                      " callback_url) SELECT request_id, kind, batch_id, client_id, key_id,"
                      " decode(payload_hash, 'hex'), callback_url FROM x ON CONFLICT (request_id) DO NOTHING"
                      " RETURNING " REQUEST_COLUMNS ")"
                      " SELECT * FROM ins UNION ALL SELECT " REQUEST_COLUMNS " FROM requests"
                      " WHERE request_id IN (SELECT request_id FROM x)",
                      1, p, PGRES_TUPLES_OK);
    free(text);
    if (r == NULL) return -1;
    *out = json_object();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *result = json_loads(PQgetvalue(r, i, 3), JSON_DECODE_ANY, NULL);
        json_object_set_new(*out, PQgetvalue(r, i, 0),
                            json_pack("{s:s,s:s,s:o,s:s,s:s,s:s}", "status", PQgetvalue(r, i, 1), "payload_hash",
                                      PQgetvalue(r, i, 2), "result", result ? result : json_null(), "error_code",
                                      PQgetvalue(r, i, 4), "error_message", PQgetvalue(r, i, 5), "session_id",
                                      PQgetvalue(r, i, 6)));
    }
    PQclear(r);
    return 0;
}

static const char finish_columns[] =
    " FROM jsonb_to_recordset($1::jsonb) AS x(request_id text, status text, result jsonb, error_code text,"
    " error_message text) WHERE r.request_id = x.request_id";

int co_session_conclude(PGconn *db, const char *session_id, const char *status, const char *error_code,
                        const char *error_message, int culprit, int64_t duration_ms, json_t *rows,
                        json_t **finished) {
    char sql[1200];
    snprintf(sql, sizeof sql,
             "WITH s AS (UPDATE signing_sessions SET status = $3, error_code = $4, error_message = $5,"
             " culprit_node = $6::int, duration_ms = $7::int, completed_at = now() WHERE session_id = $2)"
             " UPDATE requests r SET status = x.status, result = x.result, error_code = x.error_code,"
             " error_message = x.error_message, updated_at = now(), completed_at = now()%s"
             " AND r.session_id = $2 AND r.status = 'running' RETURNING r.request_id",
             finish_columns);
    char c[16], d[32];
    snprintf(c, sizeof c, "%d", culprit);
    snprintf(d, sizeof d, "%lld", (long long)duration_ms);
    char *text = json_dumps(rows, JSON_COMPACT);
    if (text == NULL) return -1;
    const char *p[] = {text, session_id, status, error_code, error_message, culprit ? c : NULL, d};
    PGresult *r = run(db, sql, 7, p, PGRES_TUPLES_OK);
    free(text);
    if (r == NULL) return -1;
    *finished = json_array();
    for (int i = 0; i < PQntuples(r); i++) json_array_append_new(*finished, json_string(PQgetvalue(r, i, 0)));
    PQclear(r);
    return 0;
}

int co_requests_reject(PGconn *db, json_t *rows, json_t **finished) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "UPDATE requests r SET status = x.status, result = x.result, error_code = x.error_code,"
             " error_message = x.error_message, updated_at = now(), completed_at = now()%s"
             " AND r.status = 'accepted' RETURNING r.request_id",
             finish_columns);
    return run_json(db, sql, rows, NULL, finished);
}

int co_session_start(PGconn *db, const char *session_id, const char *kind, const char *key_id,
                     const char *protocol, int threshold, int total_nodes, json_t *participants, int attempt,
                     json_t *request_ids, const char *coordinator) {
    char t[16], n[16], a[16];
    snprintf(t, sizeof t, "%d", threshold);
    snprintf(n, sizeof n, "%d", total_nodes);
    snprintf(a, sizeof a, "%d", attempt);
    char *pj = json_dumps(participants, JSON_COMPACT), *rj = json_dumps(request_ids, JSON_COMPACT);
    const char *p[] = {session_id, kind, key_id, protocol, t, n, pj ? pj : "[]", a, rj ? rj : "[]", coordinator};
    int rc = run_command(db,
                         /* A session of these requests still running belonged to a
                          * coordinator that stopped before it ended: close it. */
                         "WITH orphan AS (UPDATE signing_sessions SET status = 'failed', error_code = 'ABANDONED',"
                         " error_message = 'its coordinator stopped; the requests were taken over',"
                         " completed_at = now() WHERE status = 'running' AND session_id IN (SELECT session_id"
                         " FROM requests WHERE request_id IN (SELECT jsonb_array_elements_text($9::jsonb))"
                         " AND session_id IS NOT NULL)),"
                         " s AS (INSERT INTO signing_sessions (session_id, kind, key_id, protocol, status,"
                         " threshold, total_nodes, participating_nodes, total_rounds, attempt, request_ids,"
                         " coordinator) VALUES ($1, $2, $3, $4, 'running', $5::int, $6::int, $7::jsonb, 2, $8::int,"
                         " $9::jsonb, $10) RETURNING session_id)"
                         " UPDATE requests SET status = 'running', session_id = (SELECT session_id FROM s),"
                         " updated_at = now() WHERE request_id IN (SELECT jsonb_array_elements_text($9::jsonb))"
                         " AND status IN ('accepted', 'running')",
                         10, p);
    free(pj);
    free(rj);
    return rc;
}

int co_session_finish(PGconn *db, const char *session_id, const char *status, const char *error_code,
                      const char *error_message, int culprit, int64_t duration_ms) {
    char c[16], d[32];
    snprintf(c, sizeof c, "%d", culprit);
    snprintf(d, sizeof d, "%lld", (long long)duration_ms);
    const char *p[] = {session_id, status, error_code, error_message, culprit ? c : NULL, d};
    return run_command(db,
                       "UPDATE signing_sessions SET status = $2, error_code = $3, error_message = $4,"
                       " culprit_node = $5, duration_ms = $6::int, completed_at = now() WHERE session_id = $1",
                       6, p);
}

int co_sessions_cancel_requested(PGconn *db, json_t *session_ids, json_t **out) {
    return run_json(db,
                    "SELECT session_id FROM signing_sessions WHERE status = 'cancel_requested'"
                    " AND session_id IN (SELECT jsonb_array_elements_text($1::jsonb))",
                    session_ids, NULL, out);
}

int co_health_set(redisContext *r, int node_id, const char *json, int ttl_ms) {
    if (r == NULL) return -1;
    redisReply *rep = redisCommand(r, "SET node:health:%d %s PX %d", node_id, json, ttl_ms);
    int ok = rep && rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    return ok ? 0 : -1;
}

int co_health_get(redisContext *r, const uint16_t *ids, size_t n, int *healthy) {
    if (r == NULL || n == 0) return n == 0 ? 0 : -1;
    const char **argv = malloc((n + 1) * sizeof *argv);
    char(*keys)[32] = malloc(n * sizeof *keys);
    if (argv == NULL || keys == NULL) {
        free(argv);
        free(keys);
        return -1;
    }
    argv[0] = "MGET";
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], sizeof keys[i], "node:health:%u", ids[i]);
        argv[i + 1] = keys[i];
    }
    redisReply *rep = redisCommandArgv(r, (int)n + 1, argv, NULL);
    int rc = -1;
    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
        for (size_t i = 0; i < n; i++) healthy[i] = rep->element[i]->type == REDIS_REPLY_STRING;
        rc = 0;
    }
    freeReplyObject(rep);
    free(argv);
    free(keys);
    return rc;
}

int co_node_seen(PGconn *db, int node_id, const char *capabilities_json) {
    char id[16];
    snprintf(id, sizeof id, "%d", node_id);
    const char *p[] = {id, capabilities_json};
    return run_command(db,
                       "INSERT INTO nodes (node_id, node_type, status, capabilities, last_heartbeat)"
                       " VALUES ($1, 'participant', 'active', $2::jsonb, now())"
                       " ON CONFLICT (node_id) DO UPDATE SET last_heartbeat = now(), status = 'active',"
                       " capabilities = excluded.capabilities",
                       2, p);
}

int co_gg20_keys(PGconn *db, int limit, json_t **out) {
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {lim};
    PGresult *r = run(db,
                      "SELECT coalesce(json_agg(json_build_object('key_id', key_id, 'threshold', threshold,"
                      " 'total_nodes', total_nodes, 'participants', participants, 'public_key', public_key))"
                      ", '[]')::text FROM (SELECT * FROM keys WHERE protocol = 'gg20' AND status = 'Active'"
                      " AND public_key IS NOT NULL ORDER BY created_at DESC LIMIT $1::int) k",
                      1, p, PGRES_TUPLES_OK);
    if (r == NULL) return -1;
    *out = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    return *out ? 0 : -1;
}

long co_presig_ready(PGconn *db, const char *key_id, const char *signers) {
    const char *p[] = {key_id, signers};
    PGresult *r = run(db, "SELECT count(*) FROM presignatures WHERE key_id = $1 AND signers = $2 AND status = 'ready'",
                      2, p, PGRES_TUPLES_OK);
    if (r == NULL) return -1;
    long n = PQntuples(r) == 1 ? atol(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return n;
}

int co_presign_complete(PGconn *db, const char *session_id, int64_t duration_ms, json_t *rows) {
    char d[32];
    snprintf(d, sizeof d, "%lld", (long long)duration_ms);
    char *text = json_dumps(rows, JSON_COMPACT);
    if (text == NULL) return -1;
    const char *p[] = {text, session_id, d};
    /* The INSERT reads the UPDATE's RETURNING: no row, no presignatures. */
    PGresult *r = run(db,
                      "WITH s AS (UPDATE signing_sessions SET status = 'completed', duration_ms = $3::int,"
                      " completed_at = now() WHERE session_id = $2 AND status = 'running' RETURNING session_id),"
                      " ins AS (INSERT INTO presignatures (presig_id, key_id, signers, r_point, presign_session)"
                      " SELECT x.presig_id, x.key_id, x.signers, x.r_point, x.presign_session"
                      " FROM jsonb_to_recordset($1::jsonb) AS x(presig_id text, key_id text, signers text,"
                      " r_point text, presign_session text) WHERE EXISTS (SELECT 1 FROM s)"
                      " ON CONFLICT (presig_id) DO NOTHING)"
                      " SELECT count(*) FROM s",
                      3, p, PGRES_TUPLES_OK);
    free(text);
    if (r == NULL) return -1;
    int rc = PQntuples(r) == 1 && atol(PQgetvalue(r, 0, 0)) == 1 ? 1 : 0;
    PQclear(r);
    return rc;
}

long co_presign_abandon(PGconn *db, int64_t older_than_ms) {
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)older_than_ms);
    const char *p[] = {ms};
    PGresult *r = run(db,
                      "UPDATE signing_sessions SET status = 'failed', error_code = 'ABANDONED',"
                      " error_message = 'still running long after its timeout: its coordinator stopped',"
                      " completed_at = now() WHERE kind = 'presign' AND status = 'running'"
                      " AND created_at < now() - $1::bigint * interval '1 millisecond'",
                      1, p, PGRES_COMMAND_OK);
    if (r == NULL) return -1;
    long n = atol(PQcmdTuples(r));
    PQclear(r);
    return n;
}

int co_presig_claim(PGconn *db, const char *key_id, const char *signers, size_t n, const char *session_id,
                    json_t **ids) {
    char count[24];
    snprintf(count, sizeof count, "%zu", n);
    const char *p[] = {key_id, signers, count, session_id};
    PGresult *r = run(db,
                      "WITH c AS (SELECT presig_id FROM presignatures WHERE key_id = $1 AND signers = $2"
                      " AND status = 'ready' ORDER BY created_at, presig_id LIMIT $3::int FOR UPDATE SKIP LOCKED),"
                      " enough AS (SELECT count(*) = $3::int AS ok FROM c)"
                      " UPDATE presignatures p SET status = 'claimed', claimed_session = $4, claimed_at = now()"
                      " FROM c, enough WHERE p.presig_id = c.presig_id AND enough.ok RETURNING p.presig_id",
                      4, p, PGRES_TUPLES_OK);
    if (r == NULL) return -1;
    *ids = json_array();
    for (int i = 0; i < PQntuples(r); i++) json_array_append_new(*ids, json_string(PQgetvalue(r, i, 0)));
    PQclear(r);
    return 0;
}
