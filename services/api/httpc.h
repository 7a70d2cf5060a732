/* httpc.h - a minimal blocking HTTP/1.1 client for the webhook sender and
 * mpcctl (libcurl is not a dependency of this project).
 *
 * Scope: one request per connection ("Connection: close"), http:// and
 * https:// URLs (TLS through OpenSSL, certificate and host name verified
 * against the system's default CA paths), host names, IPv4 and bracketed
 * IPv6 literals. The response body is read up to MPC_HTTPC_MAX_BODY bytes;
 * Content-Length, chunked and read-until-close bodies are understood. No
 * redirects, proxies, cookies or keep-alive.
 *
 * Thread-safe: no shared state besides OpenSSL's own.
 */
#ifndef MPC_API_HTTPC_H
#define MPC_API_HTTPC_H

#include <stddef.h>

#define MPC_HTTPC_MAX_BODY (16u * 1024u * 1024u)

typedef struct {
    const char *name;
    const char *value;
} mpc_httpc_header;

typedef struct {
    int status;     /* HTTP status code */
    char *body;     /* malloc'd, NUL-terminated (may contain NULs before body_len) */
    size_t body_len;
} mpc_httpc_response;

/* Sends `method url` with the headers and body (body may be NULL when
 * body_len is 0; Content-Length is always sent for POST/PUT) and waits at most
 * about timeout_ms in total. On success fills *resp (free with
 * mpc_httpc_response_free) and returns 0, whatever the HTTP status; returns
 * -1 with a one-line reason in err when no HTTP answer was received. */
int mpc_httpc_request(const char *method, const char *url, const mpc_httpc_header *headers, size_t nheaders,
                      const void *body, size_t body_len, int timeout_ms, mpc_httpc_response *resp, char *err,
                      size_t errlen) __attribute__((warn_unused_result));

void mpc_httpc_response_free(mpc_httpc_response *resp);

#endif
