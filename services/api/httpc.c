/* httpc.c - minimal HTTP/1.1 client over a socket (optionally TLS); see
 * httpc.h for the scope. A request is: parse the URL, connect with a
 * deadline, write the request, read until the response is complete (by
 * Content-Length, by the last chunk, or by the peer closing), then parse.
 */
#include "httpc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} conn;

typedef struct {
    int tls;
    char host[256];
    char port[8];
    const char *target; /* path and query, "/" when the URL has none */
} url_parts;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_url(const char *url, url_parts *u, char *err, size_t errlen) {
    const char *p;
    if (strncmp(url, "http://", 7) == 0) {
        u->tls = 0;
        p = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        u->tls = 1;
        p = url + 8;
    } else {
        snprintf(err, errlen, "URL must start with http:// or https://");
        return -1;
    }
    size_t auth_len = strcspn(p, "/?#");
    u->target = p[auth_len] == '/' || p[auth_len] == '?' ? p + auth_len : "/";
    const char *host = p, *host_end, *port = NULL;
    if (*p == '[') { /* IPv6 literal */
        host = p + 1;
        host_end = memchr(host, ']', auth_len);
        if (host_end == NULL) {
            snprintf(err, errlen, "URL has an unterminated IPv6 address");
            return -1;
        }
        if (host_end + 1 < p + auth_len && host_end[1] == ':') port = host_end + 2;
    } else {
        host_end = memchr(p, ':', auth_len);
        if (host_end) port = host_end + 1;
        else host_end = p + auth_len;
    }
    if (memchr(p, '@', auth_len)) {
        snprintf(err, errlen, "URLs with user information are not supported");
        return -1;
    }
    size_t hlen = (size_t)(host_end - host), plen = port ? (size_t)(p + auth_len - port) : 0;
    if (hlen == 0 || hlen >= sizeof u->host || (port && (plen == 0 || plen >= sizeof u->port))) {
        snprintf(err, errlen, "URL has an invalid host or port");
        return -1;
    }
    memcpy(u->host, host, hlen);
    u->host[hlen] = '\0';
    if (port) {
        memcpy(u->port, port, plen);
        u->port[plen] = '\0';
        if (strspn(u->port, "0123456789") != plen) {
            snprintf(err, errlen, "URL has an invalid port");
            return -1;
        }
    } else {
        snprintf(u->port, sizeof u->port, "%s", u->tls ? "443" : "80");
    }
    return 0;
}

static int connect_tcp(const url_parts *u, long long deadline, char *err, size_t errlen) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", u->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    snprintf(err, errlen, "cannot connect to %s:%s", u->host, u->port);
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) goto fail;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) goto fail;
            long long left = deadline - now_ms();
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (left <= 0 || poll(&pfd, 1, (int)left) != 1) {
                snprintf(err, errlen, "connect to %s:%s timed out", u->host, u->port);
                goto fail;
            }
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
                snprintf(err, errlen, "cannot connect to %s:%s: %s", u->host, u->port, strerror(soerr));
                goto fail;
            }
        }
        if (fcntl(fd, F_SETFL, flags) < 0) goto fail;
        continue;
    fail:
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* Sets the socket's per-call timeout to what is left of the deadline. */
static int arm_timeout(int fd, long long deadline) {
    long long left = deadline - now_ms();
    if (left <= 0) return -1;
    struct timeval tv = {(time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000)};
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
        return -1;
    return 0;
}

static int start_tls(conn *c, const url_parts *u, char *err, size_t errlen) {
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL || SSL_CTX_set_default_verify_paths(c->ctx) != 1 ||
        SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1) {
        snprintf(err, errlen, "TLS setup failed");
        return -1;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_set1_host(c->ssl, u->host) != 1 ||
        SSL_set_tlsext_host_name(c->ssl, u->host) != 1) {
        snprintf(err, errlen, "TLS setup failed");
        return -1;
    }
    if (SSL_connect(c->ssl) != 1) {
        long vr = SSL_get_verify_result(c->ssl);
        snprintf(err, errlen, "TLS handshake with %s failed: %s", u->host,
                 vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "protocol error");
        return -1;
    }
    return 0;
}

static void conn_close(conn *c) {
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0) close(c->fd);
}

static int conn_write_all(conn *c, const char *buf, size_t len, long long deadline) {
    while (len > 0) {
        if (arm_timeout(c->fd, deadline) != 0) return -1;
        ssize_t n = c->ssl ? SSL_write(c->ssl, buf, (int)(len > 1 << 30 ? 1 << 30 : len))
                           : send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0) {
            if (!c->ssl && n < 0 && errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Returns bytes read, 0 at end of stream, -1 on error or timeout. */
static ssize_t conn_read(conn *c, char *buf, size_t len, long long deadline) {
    for (;;) {
        if (arm_timeout(c->fd, deadline) != 0) return -1;
        if (c->ssl) {
            int n = SSL_read(c->ssl, buf, (int)len);
            if (n > 0) return n;
            int e = SSL_get_error(c->ssl, n);
            return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
        }
        ssize_t n = recv(c->fd, buf, len, 0);
        if (n < 0 && errno == EINTR) continue;
        return n;
    }
}

/* Decodes a chunked body in place. Returns 1 complete (len set), 0 need
 * more, -1 malformed. */
static int dechunk(const char *in, size_t in_len, char *out, size_t *out_len) {
    size_t pos = 0, w = 0;
    for (;;) {
        const char *eol = memchr(in + pos, '\n', in_len - pos);
        if (eol == NULL) return 0;
        char *end;
        unsigned long size = strtoul(in + pos, &end, 16);
        if (end == in + pos) return -1;
        pos = (size_t)(eol - in) + 1;
        if (size == 0) {
            *out_len = w;
            return 1; /* trailers are ignored */
        }
        if (size > MPC_HTTPC_MAX_BODY || in_len - pos < size + 2) return in_len - pos < size + 2 ? 0 : -1;
        memmove(out + w, in + pos, size);
        w += size;
        pos += size + 2; /* CRLF after the data */
    }
}

/* Tries to parse a complete response from buf. Returns 1 done, 0 need more
 * (or read to close), -1 malformed. at_eof: the peer closed. */
static int parse_response(char *buf, size_t len, int at_eof, mpc_httpc_response *resp) {
    char *hdr_end = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            hdr_end = buf + i;
            break;
        }
    if (hdr_end == NULL) return at_eof ? -1 : 0;
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %3d", &status) != 1 || status < 100 || status > 999) return -1;
    long long content_length = -1;
    int chunked = 0;
    for (char *line = memchr(buf, '\n', (size_t)(hdr_end - buf)); line && line < hdr_end;
         line = memchr(line, '\n', (size_t)(hdr_end - line))) {
        line++;
        if (strncasecmp(line, "Content-Length:", 15) == 0) content_length = strtoll(line + 15, NULL, 10);
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
            const char *v = line + 18;
            while (*v == ' ') v++;
            chunked = strncasecmp(v, "chunked", 7) == 0;
        }
    }
    const char *body = hdr_end + 4;
    size_t avail = len - (size_t)(body - buf), blen;
    char *out = malloc(avail + 1);
    if (out == NULL) return -1;
    if (chunked) {
        int r = dechunk(body, avail, out, &blen);
        if (r != 1) {
            free(out);
            return r == 0 && at_eof ? -1 : r;
        }
    } else if (content_length >= 0) {
        if ((size_t)content_length > avail) {
            free(out);
            return at_eof ? -1 : 0;
        }
        blen = (size_t)content_length;
        memcpy(out, body, blen);
    } else if (status == 204 || status == 304 || status / 100 == 1) {
        blen = 0;
    } else {
        if (!at_eof) {
            free(out);
            return 0;
        }
        blen = avail;
        memcpy(out, body, blen);
    }
    out[blen] = '\0';
    resp->status = status;
    resp->body = out;
    resp->body_len = blen;
    return 1;
}

int mpc_httpc_request(const char *method, const char *url, const mpc_httpc_header *headers, size_t nheaders,
                      const void *body, size_t body_len, int timeout_ms, mpc_httpc_response *resp, char *err,
                      size_t errlen) {
    memset(resp, 0, sizeof *resp);
    url_parts u;
    if (parse_url(url, &u, err, errlen) != 0) return -1;
    long long deadline = now_ms() + timeout_ms;
    conn c = {.fd = connect_tcp(&u, deadline, err, errlen)};
    if (c.fd < 0) return -1;
    int rc = -1;
    char *req = NULL, *buf = NULL;
    if (u.tls && start_tls(&c, &u, err, errlen) != 0) goto out;

    size_t hlen = strlen(method) + strlen(u.target) + strlen(u.host) + 160;
    for (size_t i = 0; i < nheaders; i++) hlen += strlen(headers[i].name) + strlen(headers[i].value) + 4;
    req = malloc(hlen);
    if (req == NULL) goto oom;
    int is_v6 = strchr(u.host, ':') != NULL;
    size_t off = (size_t)snprintf(req, hlen, "%s %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\nConnection: close\r\n", method,
                                  u.target, is_v6 ? "[" : "", u.host, is_v6 ? "]" : "",
                                  strcmp(u.port, u.tls ? "443" : "80") ? ":" : "",
                                  strcmp(u.port, u.tls ? "443" : "80") ? u.port : "");
    for (size_t i = 0; i < nheaders; i++)
        off += (size_t)snprintf(req + off, hlen - off, "%s: %s\r\n", headers[i].name, headers[i].value);
    if (body_len > 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
        off += (size_t)snprintf(req + off, hlen - off, "Content-Length: %zu\r\n", body_len);
    off += (size_t)snprintf(req + off, hlen - off, "\r\n");
    if (conn_write_all(&c, req, off, deadline) != 0 || (body_len && conn_write_all(&c, body, body_len, deadline) != 0)) {
        snprintf(err, errlen, "sending the request to %s failed or timed out", u.host);
        goto out;
    }

    size_t cap = 16384, len = 0;
    buf = malloc(cap);
    if (buf == NULL) goto oom;
    for (;;) {
        if (len + 4096 > cap) {
            if (cap >= MPC_HTTPC_MAX_BODY + 65536) {
                snprintf(err, errlen, "response from %s is too large", u.host);
                goto out;
            }
            char *p = realloc(buf, cap * 2);
            if (p == NULL) goto oom;
            buf = p;
            cap *= 2;
        }
        ssize_t n = conn_read(&c, buf + len, cap - len - 1, deadline);
        if (n < 0) {
            snprintf(err, errlen, "reading the response from %s failed or timed out", u.host);
            goto out;
        }
        len += (size_t)n;
        int r = parse_response(buf, len, n == 0, resp);
        if (r == 1) break;
        if (r < 0) {
            snprintf(err, errlen, "malformed HTTP response from %s", u.host);
            goto out;
        }
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    free(req);
    free(buf);
    conn_close(&c);
    return rc;
}

void mpc_httpc_response_free(mpc_httpc_response *resp) {
    if (resp == NULL) return;
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}
