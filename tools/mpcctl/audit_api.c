/* audit_api.c - `mpcctl audit --api` (see audit_api.h).
 *
 * verify is one call; query pages through GET /api/v1/audit/events (at most
 * 1000 rows a call) with after_seq = next_after_seq while has_more, until
 * the --limit asked for (default 1000, as with the database) is reached.
 * Error answers become "HTTP <status> <CODE>: <message>" in err.
 */
#include "audit_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define API_PAGE_MAX 1000

/* Calls GET path?query; returns the envelope's data (a new reference) on a
 * 200 success, else NULL with err. */
static json_t *get_data(const mpcctl_client *c, const char *path, const mpc_api_query_pair *q, size_t nq, char *err,
                        size_t errlen) {
    int status = 0;
    json_t *env = mpcctl_call(c, "GET", path, q, nq, NULL, &status);
    if (env == NULL) {
        snprintf(err, errlen, "no usable answer from mpc-api");
        return NULL;
    }
    json_t *data = json_object_get(env, "data");
    if (status == 200 && json_is_true(json_object_get(env, "success")) && json_is_object(data)) {
        json_incref(data);
        json_decref(env);
        return data;
    }
    json_t *e = json_object_get(env, "error");
    const char *code = json_string_value(json_object_get(e, "code")), *msg = json_string_value(json_object_get(e, "message"));
    snprintf(err, errlen, "HTTP %d %s: %s", status, code ? code : "ERROR", msg ? msg : "(no message)");
    json_decref(env);
    return NULL;
}

static int api_verify(void *ctx, const audit_verify_options *o, audit_verify_report *rep, char *err, size_t errlen) {
    const mpcctl_client *c = ctx;
    char seq[24], hash[2 * AUDIT_HASH_LEN + 1];
    mpc_api_query_pair q[2];
    size_t nq = 0;
    if (o->anchor_seq > 0) {
        snprintf(seq, sizeof seq, "%" PRId64, o->anchor_seq);
        audit_hex(o->anchor_hash, AUDIT_HASH_LEN, hash);
        q[nq++] = (mpc_api_query_pair){"anchor_seq", seq};
        q[nq++] = (mpc_api_query_pair){"anchor_hash", hash};
    }
    memset(rep, 0, sizeof *rep);
    json_t *d = get_data(c, "/api/v1/audit/verify", q, nq, err, errlen);
    if (d == NULL) return -1;
    json_t *ok = json_object_get(d, "ok"), *head = json_object_get(d, "head_hash"), *msg = json_object_get(d, "message");
    int rc = 0;
    if (!json_is_boolean(ok) || !json_is_integer(json_object_get(d, "rows")) ||
        !json_is_integer(json_object_get(d, "head_seq"))) {
        snprintf(err, errlen, "mpc-api answered verify without ok, rows and head_seq");
        rc = -1;
    } else {
        rep->ok = json_is_true(ok);
        rep->rows = json_integer_value(json_object_get(d, "rows"));
        rep->head_seq = json_integer_value(json_object_get(d, "head_seq"));
        rep->bad_seq = json_integer_value(json_object_get(d, "bad_seq")); /* 0 when null */
        snprintf(rep->message, sizeof rep->message, "%s", json_is_string(msg) ? json_string_value(msg) : "");
        if (rep->ok && (!json_is_string(head) || audit_unhex(json_string_value(head), rep->head, AUDIT_HASH_LEN) != 0)) {
            snprintf(err, errlen, "mpc-api answered verify with a malformed head_hash");
            rc = -1;
        }
    }
    json_decref(d);
    return rc;
}

static long api_query(void *ctx, const audit_query_filter *f, int (*emit)(json_t *row, void *ectx), void *ectx,
                      char *err, size_t errlen) {
    const mpcctl_client *c = ctx;
    long remaining = f->limit > 0 ? f->limit : 1000, emitted = 0;
    int64_t after = f->after_seq > 0 ? f->after_seq : 0;
    const char *names[] = {"key_id", "request_id", "session_id", "node_id", "event_type", "since", "until"};
    const char *values[] = {f->key_id, f->request_id, f->session_id, f->node_id, f->event_type, f->since, f->until};
    while (remaining > 0) {
        mpc_api_query_pair q[9];
        size_t nq = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (values[i]) q[nq++] = (mpc_api_query_pair){names[i], values[i]};
        char after_s[24], limit_s[24];
        snprintf(after_s, sizeof after_s, "%" PRId64, after);
        snprintf(limit_s, sizeof limit_s, "%ld", remaining < API_PAGE_MAX ? remaining : API_PAGE_MAX);
        q[nq++] = (mpc_api_query_pair){"after_seq", after_s};
        q[nq++] = (mpc_api_query_pair){"limit", limit_s};
        json_t *d = get_data(c, "/api/v1/audit/events", q, nq, err, errlen);
        if (d == NULL) return -1;
        json_t *events = json_object_get(d, "events"), *next = json_object_get(d, "next_after_seq");
        if (!json_is_array(events)) {
            snprintf(err, errlen, "mpc-api answered the query without events");
            json_decref(d);
            return -1;
        }
        size_t i;
        json_t *row;
        json_array_foreach(events, i, row) {
            emitted++;
            remaining--;
            if (emit(row, ectx) != 0) {
                json_decref(d);
                return emitted;
            }
        }
        int more = json_is_true(json_object_get(d, "has_more")) && json_is_integer(next) && json_array_size(events) > 0;
        if (more) after = json_integer_value(next);
        json_decref(d);
        if (!more) break;
    }
    return emitted;
}

mpcctl_audit_api mpcctl_audit_api_rest(const mpcctl_client *c) {
    return (mpcctl_audit_api){.have_key = c->key_id != NULL && c->secret != NULL,
                              .ctx = (void *)c,
                              .verify = api_verify,
                              .query = api_query};
}
