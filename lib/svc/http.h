/* http.h - a small routed HTTP server on libmicrohttpd.
 *
 * A service hands svc_http_start() a table of routes; each request is matched
 * by method and path (exact, or prefix for routes ending in '/') and its full
 * body is collected (up to max_body bytes; larger bodies get 413 without
 * calling the handler) before the handler runs on one of MHD's worker
 * threads. Handlers must be thread-safe.
 *
 * Ownership: a handler fills svc_http_response; `body` must be malloc'd and
 * becomes the server's (freed after sending). Headers set with
 * svc_http_response_header() are copied.
 */
#ifndef MPC_SVC_HTTP_H
#define MPC_SVC_HTTP_H

#include <stddef.h>

typedef struct svc_http_server svc_http_server;
typedef struct svc_http_request svc_http_request;

struct svc_http_request {
    const char *method;     /* "GET", "POST", ... */
    const char *path;       /* URL path without query string */
    const char *body;       /* NUL-terminated copy of the body ("" if none) */
    size_t body_len;
    const char *remote_ip;  /* textual client address */
    void *connection;       /* opaque; use the accessors below */
};

typedef struct {
    int status;                /* HTTP status code */
    char *body;                /* malloc'd; NULL for an empty body */
    const char *content_type;  /* static string; default application/json */
    char *extra_headers;       /* internal: "Name: value\n" pairs; use the setter */
} svc_http_response;

/* Returns 0 when the response is filled in, -1 on an internal failure (the
 * server then answers 500 with a generic JSON error). */
typedef int (*svc_http_handler)(void *ctx, const svc_http_request *req, svc_http_response *resp);

typedef struct {
    const char *method;  /* NULL matches any method */
    const char *path;    /* exact path, or a prefix when it ends with '/' */
    svc_http_handler handler;
    void *ctx;
} svc_http_route;

/* Starts listening on bind_addr:port (IPv4 dotted quad). `routes` is copied.
 * Returns the server or NULL with a one-line reason in err. */
svc_http_server *svc_http_start(const char *bind_addr, int port, const svc_http_route *routes,
                                size_t nroutes, size_t max_body, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Stops accepting, waits for in-flight handlers, frees the server. NULL ok. */
void svc_http_stop(svc_http_server *server);

/* The port actually bound (useful when port 0 was asked for). */
int svc_http_port(const svc_http_server *server);

/* Request header or query argument value, or NULL when absent. The returned
 * string is owned by the server and valid during the handler call. */
const char *svc_http_header(const svc_http_request *req, const char *name);
const char *svc_http_query(const svc_http_request *req, const char *name);

/* Adds a response header (copied). Returns 0, or -1 when out of memory. */
int svc_http_response_header(svc_http_response *resp, const char *name, const char *value);

#endif
