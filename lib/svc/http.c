/* http.c - libmicrohttpd routing shell; see http.h for the contract. */
#include "svc/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc/log.h"

struct svc_http_server {
    struct MHD_Daemon *daemon;
    svc_http_route *routes;
    size_t nroutes;
    size_t max_body;
};

/* Per-connection upload state, kept in MHD's con_cls between callbacks. */
typedef struct {
    char *body;
    size_t len, cap;
    int too_large;
} upload;

static const char internal_error_body[] =
    "{\"success\":false,\"error\":{\"code\":\"INTERNAL\",\"message\":\"internal error\"}}";

static const svc_http_route *match_route(const svc_http_server *s, const char *method,
                                         const char *path, int *method_mismatch) {
    *method_mismatch = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        const svc_http_route *r = &s->routes[i];
        size_t plen = strlen(r->path);
        int prefix = plen > 0 && r->path[plen - 1] == '/';
        int path_ok = prefix ? strncmp(path, r->path, plen) == 0 && path[plen] != '\0'
                             : strcmp(path, r->path) == 0;
        if (!path_ok) continue;
        if (r->method == NULL || strcmp(r->method, method) == 0) return r;
        *method_mismatch = 1;
    }
    return NULL;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, svc_http_response *resp) {
    struct MHD_Response *r =
        resp->body ? MHD_create_response_from_buffer(strlen(resp->body), resp->body, MHD_RESPMEM_MUST_FREE)
                   : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(resp->body);
        free(resp->extra_headers);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->content_type ? resp->content_type : "application/json");
    if (resp->extra_headers) {
        for (char *line = resp->extra_headers, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            char *colon = strchr(line, ':');
            if (!nl || !colon) break;
            *nl = '\0';
            *colon = '\0';
            MHD_add_response_header(r, line, colon + 2);
        }
        free(resp->extra_headers);
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_simple(struct MHD_Connection *conn, int status, const char *code,
                                   const char *message) {
    char buf[256];
    snprintf(buf, sizeof buf, "{\"success\":false,\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
             code, message);
    svc_http_response resp = {.status = status, .body = strdup(buf)};
    if (resp.body == NULL) return MHD_NO;
    return send_response(conn, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
    svc_http_server *s = cls;
    upload *up = *con_cls;
    if (up == NULL) {
        up = calloc(1, sizeof *up);
        if (up == NULL) return MHD_NO;
        *con_cls = up;
        return MHD_YES;
    }
    if (*data_size > 0) {
        if (!up->too_large && up->len + *data_size <= s->max_body) {
            if (up->len + *data_size + 1 > up->cap) {
                size_t cap = (up->len + *data_size + 1) * 2;
                if (cap > s->max_body + 1) cap = s->max_body + 1;
                char *p = realloc(up->body, cap);
                if (p == NULL) return MHD_NO;
                up->body = p;
                up->cap = cap;
            }
            memcpy(up->body + up->len, data, *data_size);
            up->len += *data_size;
        } else {
            up->too_large = 1;
        }
        *data_size = 0;
        return MHD_YES;
    }
    if (up->too_large) return send_simple(conn, 413, "PAYLOAD_TOO_LARGE", "request body too large");

    int method_mismatch;
    const svc_http_route *route = match_route(s, method, url, &method_mismatch);
    if (route == NULL) {
        if (method_mismatch) return send_simple(conn, 405, "METHOD_NOT_ALLOWED", "method not allowed");
        return send_simple(conn, 404, "NOT_FOUND", "no such endpoint");
    }

    char ip[INET6_ADDRSTRLEN] = "";
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip, sizeof ip);

    svc_http_request req = {.method = method,
                            .path = url,
                            .body = up->body ? up->body : "",
                            .body_len = up->len,
                            .remote_ip = ip,
                            .connection = conn};
    if (up->body) up->body[up->len] = '\0';
    svc_http_response resp = {.status = 200};
    if (route->handler(route->ctx, &req, &resp) != 0) {
        free(resp.body);
        free(resp.extra_headers);
        resp = (svc_http_response){.status = 500, .body = strdup(internal_error_body)};
        if (resp.body == NULL) return MHD_NO;
    }
    (void)version;
    return send_response(conn, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)conn;
    (void)toe;
    upload *up = *con_cls;
    if (up) {
        free(up->body);
        free(up);
        *con_cls = NULL;
    }
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    svc_log(SVC_LOG_WARN, "http server", "{s:s}", "detail", msg);
}

svc_http_server *svc_http_start(const char *bind_addr, int port, const svc_http_route *routes,
                                size_t nroutes, size_t max_body, char *err, size_t errlen) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "http.bind '%s' is not an IPv4 address", bind_addr);
        return NULL;
    }
    svc_http_server *s = calloc(1, sizeof *s);
    if (s == NULL || (s->routes = calloc(nroutes ? nroutes : 1, sizeof *routes)) == NULL) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(s->routes, routes, nroutes * sizeof *routes);
    s->nroutes = nroutes;
    s->max_body = max_body;
    s->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, 4u,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_END);
    if (s->daemon == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%d (port in use? set http.port)", bind_addr, port);
        free(s->routes);
        free(s);
        return NULL;
    }
    return s;
}

void svc_http_stop(svc_http_server *s) {
    if (s == NULL) return;
    MHD_stop_daemon(s->daemon);
    free(s->routes);
    free(s);
}

int svc_http_port(const svc_http_server *s) {
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : -1;
}

const char *svc_http_header(const svc_http_request *req, const char *name) {
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *svc_http_query(const svc_http_request *req, const char *name) {
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, name);
}

int svc_http_response_header(svc_http_response *resp, const char *name, const char *value) {
    size_t old = resp->extra_headers ? strlen(resp->extra_headers) : 0;
    size_t add = strlen(name) + strlen(value) + 3;
    char *p = realloc(resp->extra_headers, old + add + 1);
    if (p == NULL) return -1;
    snprintf(p + old, add + 1, "%s: %s\n", name, value);
    resp->extra_headers = p;
    return 0;
}
