/* audit_api.c - GET /api/v1/audit/events and GET /api/v1/audit/verify: the
 * hash-chained audit trail (docs/audit.md) over REST, for compliance teams.
 *
 * Both are answered by the code behind `mpcctl audit` (audit_query_run and
 * audit_verify in services/auditor/audit_read.h, library mpc_audit), so the
 * API, the CLI and the auditor agree on what a row is and what "intact"
 * means. This file only turns query arguments into an audit_query_filter or
 * audit_verify_options and the results into the API's envelope.
 *
 * Query arguments are checked strictly (INVALID_QUERY, 400): an unknown or
 * repeated argument is refused rather than ignored, because a misspelt
 * filter would silently widen what a compliance query returns. Timestamps
 * are RFC 3339 and checked here, so PostgreSQL never sees a value it could
 * refuse (which would look like a database failure).
 *
 * Access: the trail spans every key and every client, and most rows (round
 * messages, heartbeats, dead letters) carry no key id, so it cannot be cut
 * down to an allow list. API keys restricted by allowed_keys or
 * allowed_chains get FORBIDDEN (403); every unrestricted key may read.
 *
 * verify walks the whole table; one verify runs at a time per process (a
 * second gets AUDIT_VERIFY_BUSY, 503 + Retry-After), so verifies cannot
 * occupy every HTTP worker.
 */
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "audit_read.h"
#include "svc/log.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define FILTER_MAX 255 /* the id columns are VARCHAR(255) */
#define TIME_MAX 40    /* longer than any RFC 3339 date-time we accept */

/* ---- query arguments ------------------------------------------------------ */

typedef struct {
    const char *const *names; /* NULL-terminated: the arguments this endpoint knows */
    const char **values;      /* values[i] for names[i]; NULL when absent */
    api_error *e;
    int failed;
} arg_reader;

static enum MHD_Result read_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    arg_reader *r = cls;
    for (size_t i = 0; r->names[i]; i++) {
        if (strcmp(r->names[i], key) != 0) continue;
        if (r->values[i]) {
            r->failed = api_fail(r->e, 400, "INVALID_QUERY", "query argument '%s' is given more than once", key);
            return MHD_NO;
        }
        r->values[i] = value ? value : "";
        return MHD_YES;
    }
    r->failed = api_fail(r->e, 400, "INVALID_QUERY", "unknown query argument '%.64s'", key);
    return MHD_NO;
}

/* Fills values[] (as many as names) from the URL. Returns 0, or -1 with e
 * set when an argument is unknown or repeated. */
static int read_args(api_call *c, const char *const *names, const char **values, api_error *e) {
    arg_reader r = {names, values, e, 0};
    for (size_t i = 0; names[i]; i++) values[i] = NULL;
    MHD_get_connection_values(c->http->connection, MHD_GET_ARGUMENT_KIND, read_arg, &r);
    return r.failed ? -1 : 0;
}

/* A filter value: 1-255 printable ASCII characters (ids in the trail come
 * from Kafka records, so they are not held to the API's id alphabet). */
static int check_filter(const char *name, const char *v, api_error *e) {
    size_t n = strlen(v);
    int ok = n >= 1 && n <= FILTER_MAX;
    for (size_t i = 0; ok && i < n; i++) ok = v[i] >= 0x21 && v[i] <= 0x7e;
    if (!ok) return api_fail(e, 400, "INVALID_QUERY", "query argument '%s' must be 1-%d printable ASCII characters", name, FILTER_MAX);
    return 0;
}

/* A decimal integer in [min, max], digits only. */
static int check_int(const char *name, const char *v, int64_t min, int64_t max, int64_t *out, api_error *e) {
    size_t n = strlen(v);
    char *end;
    errno = 0;
    long long x = n >= 1 && n <= 19 && strspn(v, "0123456789") == n ? strtoll(v, &end, 10) : -1;
    if (errno != 0 || x < min || x > max)
        return api_fail(e, 400, "INVALID_QUERY", "query argument '%s' must be an integer %" PRId64 "-%" PRId64, name, min,
                        max);
    *out = x;
    return 0;
}

/* n decimal digits at s as a number, or -1. */
static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* 1 when s is an RFC 3339 date-time that PostgreSQL reads as timestamptz:
 * YYYY-MM-DDTHH:MM:SS[.1-9 digits](Z | +HH:MM | -HH:MM), T and Z in either
 * case, real calendar dates, year 0001-9999, no leap second (:60), offsets
 * within +-15:59 (PostgreSQL's limit; real ones are -12:00..+14:00). */
static int valid_rfc3339(const char *s) {
    size_t len = strlen(s);
    if (len < 20 || len > TIME_MAX) return 0;
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') return 0;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2), mi = digits(s + 14, 2),
        sec = digits(s + 17, 2);
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        sec < 0 || sec > 59)
        return 0;
    const char *p = s + 19;
    if (*p == '.') {
        size_t frac = strspn(++p, "0123456789");
        if (frac < 1 || frac > 9) return 0;
        p += frac;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') return 1;
    if ((*p != '+' && *p != '-') || strlen(p) != 6 || p[3] != ':') return 0;
    int oh = digits(p + 1, 2), om = digits(p + 4, 2);
    return oh >= 0 && oh <= 15 && om >= 0 && om <= 59;
}

static int check_time(const char *name, const char *v, api_error *e) {
    if (valid_rfc3339(v)) return 0;
    return api_fail(e, 400, "INVALID_QUERY",
                    "query argument '%s' must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z", name);
}

/* The trail is not cut to allow lists (see the top of this file). */
static int check_access(api_call *c, api_error *e) {
    if (c->client.allowed_keys || c->client.allowed_chains)
        return api_fail(e, 403, "FORBIDDEN",
                        "the audit trail spans every key; this API key is restricted to some keys or chains");
    return 0;
}

/* The database answered with an error: the reason goes to the log, not to
 * the client. */
static int reply_unreadable(api_call *c, svc_http_response *resp, const char *what, const char *err) {
    svc_log(SVC_LOG_ERROR, what, "{s:s,s:s}", "error", err, "call", c->call_id);
    return api_reply_error(c, resp, 503, "UNAVAILABLE", "cannot read the audit trail now; retry later");
}

/* ---- GET /api/v1/audit/events --------------------------------------------- */

enum { Q_KEY, Q_REQUEST, Q_SESSION, Q_NODE, Q_EVENT, Q_SINCE, Q_UNTIL, Q_AFTER, Q_LIMIT, Q_COUNT };
static const char *const query_names[Q_COUNT + 1] = {"key_id", "request_id", "session_id", "node_id", "event_type",
                                                     "since",  "until",      "after_seq",  "limit",   NULL};

typedef struct {
    json_t *events;
    size_t limit;
    int has_more;
    int oom;
} page;

/* audit_query_run's emit: keeps up to limit rows; one more means has_more. */
static int add_event(json_t *row, void *ctx) {
    page *p = ctx;
    if (json_array_size(p->events) == p->limit) {
        p->has_more = 1;
        return 1;
    }
    if (json_array_append(p->events, row) != 0) {
        p->oom = 1;
        return 1;
    }
    return 0;
}

/* Fills f from the query (its strings point into the request). */
static int parse_events_query(api_call *c, audit_query_filter *f, api_error *e) {
    const char *v[Q_COUNT];
    if (read_args(c, query_names, v, e) != 0) return -1;
    memset(f, 0, sizeof *f);
    const char **ids[] = {&f->key_id, &f->request_id, &f->session_id, &f->node_id, &f->event_type};
    for (int i = Q_KEY; i <= Q_EVENT; i++) {
        if (v[i] == NULL) continue;
        if (check_filter(query_names[i], v[i], e) != 0) return -1;
        *ids[i] = v[i];
    }
    if ((v[Q_SINCE] && check_time("since", v[Q_SINCE], e) != 0) || (v[Q_UNTIL] && check_time("until", v[Q_UNTIL], e) != 0))
        return -1;
    f->since = v[Q_SINCE];
    f->until = v[Q_UNTIL];
    int64_t after = 0, limit = PAGE_DEFAULT;
    if (v[Q_AFTER] && check_int("after_seq", v[Q_AFTER], 0, INT64_MAX, &after, e) != 0) return -1;
    if (v[Q_LIMIT] && check_int("limit", v[Q_LIMIT], 1, PAGE_MAX, &limit, e) != 0) return -1;
    f->after_seq = after;
    f->limit = (long)limit;
    return 0;
}

int api_h_audit_events(api_call *c, svc_http_response *resp) {
    api_error e;
    audit_query_filter f;
    if (check_access(c, &e) != 0 || parse_events_query(c, &f, &e) != 0) return api_reply_err(c, resp, &e);
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);

    page p = {.events = json_array(), .limit = (size_t)f.limit};
    if (p.events == NULL) return -1;
    f.limit++; /* one row more than asked tells whether another page exists */
    char err[512];
    long n = audit_query_run(pg, &f, add_event, &p, err, sizeof err);
    if (n < 0 || p.oom) {
        json_decref(p.events);
        return p.oom ? -1 : reply_unreadable(c, resp, "api: audit query failed", err);
    }
    size_t count = json_array_size(p.events);
    json_t *next = count ? json_integer(json_integer_value(json_object_get(json_array_get(p.events, count - 1), "seq")))
                         : json_null();
    return api_reply_data(c, resp, 200,
                          json_pack("{s:o,s:I,s:I,s:b,s:o}", "events", p.events, "count", (json_int_t)count, "limit",
                                    (json_int_t)p.limit, "has_more", p.has_more, "next_after_seq", next));
}

/* ---- GET /api/v1/audit/verify --------------------------------------------- */

static pthread_mutex_t verify_running = PTHREAD_MUTEX_INITIALIZER;

static const char *const verify_names[] = {"anchor_seq", "anchor_hash", NULL};

static int parse_verify_query(api_call *c, audit_verify_options *o, api_error *e) {
    const char *v[2];
    memset(o, 0, sizeof *o);
    if (read_args(c, verify_names, v, e) != 0) return -1;
    if (!v[0] && !v[1]) return 0;
    if (!v[0] || !v[1])
        return api_fail(e, 400, "INVALID_QUERY", "anchor_seq and anchor_hash go together (a head from an earlier verify)");
    if (check_int("anchor_seq", v[0], 1, INT64_MAX, &o->anchor_seq, e) != 0) return -1;
    if (audit_unhex(v[1], o->anchor_hash, AUDIT_HASH_LEN) != 0)
        return api_fail(e, 400, "INVALID_QUERY", "query argument 'anchor_hash' must be %d hex digits", 2 * AUDIT_HASH_LEN);
    return 0;
}

static json_t *report_json(const audit_verify_report *rep) {
    char head[2 * AUDIT_HASH_LEN + 1];
    audit_hex(rep->head, AUDIT_HASH_LEN, head);
    return json_pack("{s:b,s:I,s:I,s:o,s:o,s:o}", "ok", rep->ok, "rows", (json_int_t)rep->rows, "head_seq",
                     (json_int_t)rep->head_seq, "head_hash", rep->ok ? json_string(head) : json_null(), "bad_seq",
                     !rep->ok && rep->bad_seq > 0 ? json_integer(rep->bad_seq) : json_null(), "message",
                     rep->ok ? json_null() : json_string(rep->message));
}

int api_h_audit_verify(api_call *c, svc_http_response *resp) {
    api_error e;
    audit_verify_options o;
    if (check_access(c, &e) != 0 || parse_verify_query(c, &o, &e) != 0) return api_reply_err(c, resp, &e);
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    if (pthread_mutex_trylock(&verify_running) != 0) {
        if (svc_http_response_header(resp, "Retry-After", "5") != 0) return -1;
        return api_reply_error(c, resp, 503, "AUDIT_VERIFY_BUSY", "another audit verify is running; retry later");
    }
    audit_verify_report rep;
    char err[512];
    int rc = audit_verify(pg, &o, &rep, err, sizeof err);
    pthread_mutex_unlock(&verify_running);
    if (rc != 0) return reply_unreadable(c, resp, "api: audit verify could not read the trail", err);
    return api_reply_data(c, resp, 200, report_json(&rep));
}
