/* reply.c - the response envelope of every /api/v1 answer (seed §3.2.2):
 *
 *   {"success": true,  "data": {...},                      "meta": {...}}
 *   {"success": false, "error": {"code": "...", "message": "..."}, "meta": {...}}
 *
 * meta = {"request_id": the id of this HTTP call (also in the X-Request-Id
 * header), "timestamp": ISO-8601 UTC}. Error codes are stable (docs/api.md);
 * messages are for people and may change.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "api.h"

void api_iso_time(int64_t ms, char *out, size_t len) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, len, "%s.%03dZ", base, (int)(ms % 1000));
}

static int finish(api_call *c, svc_http_response *resp, int status, json_t *body) {
    char ts[40];
    api_iso_time(mpc_api_now_ms(), ts, sizeof ts);
    json_t *meta = json_pack("{s:s,s:s}", "request_id", c->call_id, "timestamp", ts);
    if (body == NULL || meta == NULL || json_object_set_new(body, "meta", meta) != 0) {
        json_decref(body);
        return -1;
    }
    resp->status = status;
    resp->body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (resp->body == NULL || svc_http_response_header(resp, "X-Request-Id", c->call_id) != 0) return -1;
    if (status >= 500) svc_counter_add(c->st->m_server_errors, 1);
    else if (status >= 400) svc_counter_add(c->st->m_client_errors, 1);
    return 0;
}

int api_reply_data(api_call *c, svc_http_response *resp, int status, json_t *data) {
    if (data == NULL) return -1;
    return finish(c, resp, status, json_pack("{s:b,s:o}", "success", 1, "data", data));
}

int api_reply_err(api_call *c, svc_http_response *resp, const api_error *e) {
    return finish(c, resp, e->status,
                  json_pack("{s:b,s:{s:s,s:s}}", "success", 0, "error", "code", e->code, "message", e->message));
}

int api_fail(api_error *e, int status, const char *code, const char *fmt, ...) {
    e->status = status;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

int api_reply_error(api_call *c, svc_http_response *resp, int status, const char *code, const char *fmt, ...) {
    api_error e = {.status = status, .code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    return api_reply_err(c, resp, &e);
}

int api_reply_db_down(api_call *c, svc_http_response *resp) {
    return api_reply_error(c, resp, 503, "UNAVAILABLE", "the database is unavailable; retry later");
}
