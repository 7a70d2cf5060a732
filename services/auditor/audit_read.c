/* audit_read.c - verify the chain, query rows. See audit_read.h.
 *
 * Both read the columns through the same SELECT list, which renders every
 * value exactly as the canonical row needs it: recorded_at as UTC text with
 * microseconds, details as jsonb text (re-canonicalised here), hashes as
 * hex.
 */
#include "audit_read.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_store.h"

#define SELECT_COLUMNS                                                                                   \
    "SELECT seq, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "       \
    "event_type, client_id, request_id, key_id, session_id, node_id, operation, result, details::text, " \
    "ip_address, user_agent, source_topic, source_partition, source_offset, encode(prev_hash, 'hex'), "  \
    "encode(hash, 'hex') FROM audit_log "

enum { C_SEQ, C_AT, C_EVENT, C_CLIENT, C_REQUEST, C_KEY, C_SESSION, C_NODE, C_OP, C_RESULT, C_DETAILS, C_IP, C_UA,
       C_TOPIC, C_PART, C_OFFSET, C_PREV, C_HASH, C_COUNT };

#define PAGE_ROWS "5000"

static const char *val(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Fills an audit_row from a result row; details must be freed by the
 * caller. Returns 0, or -1 when a stored value cannot be part of a valid
 * row (the caller reports the row as altered). */
static int row_from_result(const PGresult *r, int i, audit_row *row, char **details, uint8_t hash[AUDIT_HASH_LEN]) {
    memset(row, 0, sizeof *row);
    *details = NULL;
    row->seq = strtoll(PQgetvalue(r, i, C_SEQ), NULL, 10);
    snprintf(row->recorded_at, sizeof row->recorded_at, "%s", PQgetvalue(r, i, C_AT));
    row->event_type = val(r, i, C_EVENT);
    row->client_id = val(r, i, C_CLIENT);
    row->request_id = val(r, i, C_REQUEST);
    row->key_id = val(r, i, C_KEY);
    row->session_id = val(r, i, C_SESSION);
    row->node_id = val(r, i, C_NODE);
    row->operation = val(r, i, C_OP);
    row->result = val(r, i, C_RESULT);
    row->ip_address = val(r, i, C_IP);
    row->user_agent = val(r, i, C_UA);
    row->source_topic = val(r, i, C_TOPIC);
    row->source_partition = (int32_t)strtol(PQgetvalue(r, i, C_PART), NULL, 10);
    row->source_offset = strtoll(PQgetvalue(r, i, C_OFFSET), NULL, 10);
    if (audit_unhex(PQgetvalue(r, i, C_PREV), row->prev_hash, AUDIT_HASH_LEN) != 0 ||
        audit_unhex(PQgetvalue(r, i, C_HASH), hash, AUDIT_HASH_LEN) != 0)
        return -1;
    *details = audit_json_recanonical(PQgetvalue(r, i, C_DETAILS));
    row->details = *details;
    return *details ? 0 : -1;
}

static int exec_cmd(PGconn *c, const char *sql, char *err, size_t errlen) {
    PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) audit_pg_error(c, sql, err, errlen);
    PQclear(r);
    return ok ? 0 : -1;
}

/* The append-only triggers must exist and be enabled. Returns 1 when they
 * are, 0 with rep filled when not, -1 on a query error. */
static int check_triggers(PGconn *c, audit_verify_report *rep, char *err, size_t errlen) {
    static const char sql[] =
        "SELECT t.name, coalesce(g.tgenabled::text, 'missing') FROM (VALUES ('audit_log_no_update_delete'), "
        "('audit_log_no_truncate')) AS t(name) LEFT JOIN pg_trigger g ON g.tgname = t.name "
        "AND g.tgrelid = 'audit_log'::regclass ORDER BY t.name";
    PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        audit_pg_error(c, "reading audit_log triggers", err, errlen);
        PQclear(r);
        return -1;
    }
    int good = 1;
    for (int i = 0; i < PQntuples(r) && good; i++) {
        const char *state = PQgetvalue(r, i, 1);
        if (strcmp(state, "O") != 0 && strcmp(state, "A") != 0) {
            snprintf(rep->message, sizeof rep->message, "append-only trigger %s is %s", PQgetvalue(r, i, 0),
                     strcmp(state, "missing") == 0 ? "missing" : "disabled");
            good = 0;
        }
    }
    PQclear(r);
    return good;
}

/* Checks one row against the previous one. Returns 1 when good, 0 with rep
 * filled when not, -1 when out of memory. */
static int check_row(const PGresult *r, int i, int64_t expect_seq, const uint8_t prev[AUDIT_HASH_LEN],
                     const audit_verify_options *o, audit_verify_report *rep, uint8_t stored[AUDIT_HASH_LEN]) {
    audit_row row;
    char *details;
    int parsed = row_from_result(r, i, &row, &details, stored) == 0;
    int64_t seq = row.seq;
    int good = 0;
    uint8_t again[AUDIT_HASH_LEN];
    rep->bad_seq = seq;
    if (seq != expect_seq) {
        if (expect_seq == 1)
            snprintf(rep->message, sizeof rep->message, "missing row(s) before seq %" PRId64, seq);
        else
            snprintf(rep->message, sizeof rep->message, "missing row(s) between seq %" PRId64 " and %" PRId64,
                     expect_seq - 1, seq);
    } else if (!parsed) {
        snprintf(rep->message, sizeof rep->message, "row seq=%" PRId64 " altered (unreadable value)", seq);
    } else if (memcmp(row.prev_hash, prev, AUDIT_HASH_LEN) != 0) {
        snprintf(rep->message, sizeof rep->message, "prev_hash of seq %" PRId64 " does not match the hash of seq %" PRId64,
                 seq, seq - 1);
    } else if (audit_row_hash(&row, again) != 0) {
        good = -1;
    } else if (memcmp(again, stored, AUDIT_HASH_LEN) != 0) {
        snprintf(rep->message, sizeof rep->message, "row seq=%" PRId64 " altered (hash mismatch)", seq);
    } else if (o && o->anchor_seq == seq && memcmp(o->anchor_hash, stored, AUDIT_HASH_LEN) != 0) {
        snprintf(rep->message, sizeof rep->message, "row seq=%" PRId64 " does not match the anchor hash", seq);
    } else {
        good = 1;
        rep->bad_seq = 0;
    }
    free(details);
    return good;
}

int audit_verify(PGconn *c, const audit_verify_options *o, audit_verify_report *rep, char *err, size_t errlen) {
    memset(rep, 0, sizeof *rep);
    if (exec_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen) != 0) return -1;
    int rc = -1, t = check_triggers(c, rep, err, errlen);
    if (t < 0) goto out;
    if (t == 0) {
        rc = 0;
        goto out;
    }
    uint8_t prev[AUDIT_HASH_LEN] = {0};
    int64_t expect = 1;
    for (;;) {
        char after[24];
        snprintf(after, sizeof after, "%" PRId64, expect - 1);
        const char *vals[] = {after, PAGE_ROWS};
        PGresult *r = PQexecParams(c, SELECT_COLUMNS "WHERE seq > $1 ORDER BY seq LIMIT $2", 2, NULL, vals, NULL,
                                   NULL, 0);
        if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != C_COUNT) {
            audit_pg_error(c, "reading audit_log", err, errlen);
            PQclear(r);
            goto out;
        }
        int n = PQntuples(r);
        for (int i = 0; i < n; i++) {
            uint8_t stored[AUDIT_HASH_LEN];
            int good = check_row(r, i, expect, prev, o, rep, stored);
            if (good <= 0) {
                PQclear(r);
                if (good < 0) snprintf(err, errlen, "out of memory");
                rc = good < 0 ? -1 : 0;
                goto out;
            }
            memcpy(prev, stored, AUDIT_HASH_LEN);
            rep->rows++;
            rep->head_seq = expect;
            expect++;
        }
        PQclear(r);
        if (n == 0) break;
    }
    memcpy(rep->head, prev, AUDIT_HASH_LEN);
    if (o && o->anchor_seq > rep->head_seq) {
        rep->bad_seq = o->anchor_seq;
        snprintf(rep->message, sizeof rep->message, "anchored row seq=%" PRId64 " is missing (chain ends at %" PRId64 ")",
                 o->anchor_seq, rep->head_seq);
    } else {
        rep->ok = 1;
    }
    rc = 0;
out:
    if (PQtransactionStatus(c) != PQTRANS_IDLE) {
        char ignored[64];
        (void)exec_cmd(c, "ROLLBACK", ignored, sizeof ignored);
    }
    return rc;
}

/* ---- query --------------------------------------------------------------- */

static json_t *str_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

static json_t *row_json(const PGresult *r, int i) {
    json_error_t e;
    json_t *details = json_loads(PQgetvalue(r, i, C_DETAILS), JSON_DECODE_ANY, &e);
    json_t *o = json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:I,s:I,s:s,s:s}", "seq",
                          (json_int_t)strtoll(PQgetvalue(r, i, C_SEQ), NULL, 10), "recorded_at",
                          PQgetvalue(r, i, C_AT), "event_type", str_or_null(val(r, i, C_EVENT)), "client_id",
                          str_or_null(val(r, i, C_CLIENT)), "request_id", str_or_null(val(r, i, C_REQUEST)),
                          "key_id", str_or_null(val(r, i, C_KEY)), "session_id", str_or_null(val(r, i, C_SESSION)),
                          "node_id", str_or_null(val(r, i, C_NODE)), "operation", str_or_null(val(r, i, C_OP)),
                          "result", str_or_null(val(r, i, C_RESULT)), "details", details ? details : json_null(),
                          "ip_address", str_or_null(val(r, i, C_IP)), "user_agent", str_or_null(val(r, i, C_UA)),
                          "source_topic", PQgetvalue(r, i, C_TOPIC), "source_partition",
                          (json_int_t)strtoll(PQgetvalue(r, i, C_PART), NULL, 10), "source_offset",
                          (json_int_t)strtoll(PQgetvalue(r, i, C_OFFSET), NULL, 10), "prev_hash",
                          PQgetvalue(r, i, C_PREV), "hash", PQgetvalue(r, i, C_HASH));
    return o;
}

long audit_query_run(PGconn *c, const audit_query_filter *f, int (*emit)(json_t *row, void *ctx), void *ctx,
                     char *err, size_t errlen) {
    char sql[2048], after[24], limit[24];
    const char *vals[10];
    int n = 0;
    size_t len = (size_t)snprintf(sql, sizeof sql, "%sWHERE seq > $1", SELECT_COLUMNS);
    snprintf(after, sizeof after, "%" PRId64, f->after_seq > 0 ? f->after_seq : 0);
    vals[n++] = after;
    /* Each filter adds one parameter; `cond` names it as $%1$d. */
#define FILTER(value, cond)                                                            \
    if (value) {                                                                       \
        vals[n++] = value;                                                             \
        len += (size_t)snprintf(sql + len, sizeof sql - len, cond, n);                 \
    }
    FILTER(f->key_id, " AND key_id = $%d")
    FILTER(f->request_id,
           " AND (request_id = $%1$d OR (event_type = 'sign_requested' AND details->'record'->'items' @> "
           "jsonb_build_array(jsonb_build_object('request_id', $%1$d::text))))")
    FILTER(f->session_id, " AND session_id = $%d")
    FILTER(f->node_id, " AND node_id = $%d")
    FILTER(f->event_type, " AND event_type = $%d")
    FILTER(f->since, " AND recorded_at >= $%d::timestamptz")
    FILTER(f->until, " AND recorded_at < $%d::timestamptz")
#undef FILTER
    snprintf(limit, sizeof limit, "%ld", f->limit > 0 ? f->limit : 1000);
    vals[n++] = limit;
    snprintf(sql + len, sizeof sql - len, " ORDER BY seq LIMIT $%d", n);
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK || PQnfields(r) != C_COUNT) {
        audit_pg_error(c, "querying audit_log", err, errlen);
        PQclear(r);
        return -1;
    }
    long emitted = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = row_json(r, i);
        if (o == NULL) {
            snprintf(err, errlen, "out of memory");
            PQclear(r);
            return -1;
        }
        int stop = emit(o, ctx);
        json_decref(o);
        emitted++;
        if (stop) break;
    }
    PQclear(r);
    return emitted;
}
