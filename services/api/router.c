/* router.c - the /api/v1 routing table and the steps every call goes
 * through: give it an id, take connections from the pool, authenticate,
 * match method and path (a "{}" segment is a parameter: a valid API id),
 * run the handler, give the connections back, count and time it.
 *
 * The service shell routes every path under /api/v1/ here, so unknown paths
 * and wrong methods under /api/v1 still answer in the API's envelope.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "svc/log.h"

typedef struct {
    const char *method;
    const char *pattern;
    api_handler handler;
} api_route;

static const api_route routes[] = {
    {"POST", "/api/v1/keys", api_h_keygen},
    {"GET", "/api/v1/keys", api_h_keys_list},
    {"GET", "/api/v1/keys/{}", api_h_key_get},
    {"POST", "/api/v1/sign", api_h_sign},
    {"POST", "/api/v1/sign/batch", api_h_sign_batch},
    {"GET", "/api/v1/requests/{}", api_h_request_get},
    {"POST", "/api/v1/verify", api_h_verify},
    {"GET", "/api/v1/sessions/{}", api_h_session_get},
    {"POST", "/api/v1/sessions/{}/cancel", api_h_session_cancel},
    {"GET", "/api/v1/nodes", api_h_nodes_list},
    {"GET", "/api/v1/nodes/{}/health", api_h_node_health},
    {"GET", "/api/v1/audit/events", api_h_audit_events},
    {"GET", "/api/v1/audit/verify", api_h_audit_verify},
};
#define NROUTES (sizeof routes / sizeof routes[0])

#define MAX_SEGMENTS 8

/* Splits "/a/b/c" into NUL-terminated segments in buf. Returns the count,
 * or -1 when the path is too long, too deep or not absolute. */
static int split_path(const char *path, char *buf, size_t buflen, char **segs) {
    size_t n = strlen(path);
    if (path[0] != '/' || n + 1 > buflen) return -1;
    memcpy(buf, path + 1, n);
    int count = 0;
    for (char *s = buf;; s++) {
        if (count == MAX_SEGMENTS) return -1;
        segs[count++] = s;
        s += strcspn(s, "/");
        if (*s == '\0') break;
        *s = '\0';
    }
    return count;
}

/* 1 when the segments match pattern ("{}" matches any non-empty segment). */
static int match(const char *pattern, char **segs, int nsegs, const char **params) {
    const char *p = pattern + 1;
    int np = 0;
    for (int i = 0; i < nsegs; i++) {
        if (*p == '\0') return 0;
        size_t plen = strcspn(p, "/");
        if (plen == 2 && strncmp(p, "{}", 2) == 0) {
            if (segs[i][0] == '\0' || np == 2) return 0;
            params[np++] = segs[i];
        } else if (strlen(segs[i]) != plen || strncmp(p, segs[i], plen) != 0) {
            return 0;
        }
        p += plen;
        if (*p == '/') p++;
        else if (i + 1 < nsegs) return 0;
    }
    return *p == '\0';
}

static const api_route *find_route(const char *path, const char *method, const char **params, int *wrong_method,
                                   char *buf, size_t buflen) {
    *wrong_method = 0;
    char *segs[MAX_SEGMENTS];
    int nsegs = split_path(path, buf, buflen, segs);
    if (nsegs < 0) return NULL;
    for (size_t i = 0; i < NROUTES; i++) {
        const char *found[2] = {NULL, NULL};
        if (!match(routes[i].pattern, segs, nsegs, found)) continue;
        if (strcmp(routes[i].method, method) != 0) {
            *wrong_method = 1;
            continue;
        }
        params[0] = found[0];
        params[1] = found[1];
        return &routes[i];
    }
    return NULL;
}

static double mono_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dispatch(api_state *st, const svc_http_request *req, svc_http_response *resp);

/* Counts the call in st->in_flight so shutdown can wait for it, and turns
 * calls away before start-up finished or once shutdown began. */
int api_route_dispatch(void *svc, const svc_http_request *req, svc_http_response *resp) {
    (void)svc;
    api_state *st = api_state_get();
    st->in_flight++;
    int rc;
    if (!st->started || st->stopping) {
        resp->status = 503;
        resp->body = strdup("{\"success\":false,\"error\":{\"code\":\"UNAVAILABLE\",\"message\":\"starting or stopping\"}}");
        rc = resp->body ? 0 : -1;
    } else {
        rc = dispatch(st, req, resp);
    }
    st->in_flight--;
    return rc;
}

static int dispatch(api_state *st, const svc_http_request *req, svc_http_response *resp) {
    double t0 = mono_seconds();
    api_call c = {.st = st, .http = req};
    uint8_t rnd[8];
    char hex[17];
    if (mpc_api_random(rnd, sizeof rnd) != 0) return -1;
    mpc_api_hex(rnd, sizeof rnd, hex);
    snprintf(c.call_id, sizeof c.call_id, "call_%s", hex);

    char buf[1024];
    int wrong_method;
    const api_route *r = find_route(req->path, req->method, c.params, &wrong_method, buf, sizeof buf);
    if (r == NULL) {
        if (wrong_method) return api_reply_error(&c, resp, 405, "METHOD_NOT_ALLOWED", "%s is not allowed on %s", req->method, req->path);
        return api_reply_error(&c, resp, 404, "NOT_FOUND", "no such endpoint");
    }
    for (int i = 0; i < 2; i++)
        if (c.params[i] && !api_valid_id(c.params[i]))
            return api_reply_error(&c, resp, 400, "INVALID_ID",
                                   "path parameter must be 1-128 characters of A-Z a-z 0-9 . _ : -");

    c.conn = api_pool_acquire(st->pool);
    if (c.conn == NULL) return -1;
    api_error e;
    int rc;
    if (api_authenticate(&c, resp, &e) != 0) {
        svc_counter_add(st->m_auth_failures, 1);
        rc = api_reply_err(&c, resp, &e);
    } else {
        rc = r->handler(&c, resp);
    }
    api_pool_release(st->pool, c.conn);
    api_client_clear(&c.client);
    svc_histogram_observe(st->m_latency, mono_seconds() - t0);
    if (rc != 0) svc_log(SVC_LOG_ERROR, "api: handler failed", "{s:s,s:s,s:s}", "method", req->method, "path",
                         r->pattern, "call", c.call_id);
    return rc;
}
