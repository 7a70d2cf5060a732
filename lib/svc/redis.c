/* redis.c - lazily (re)connecting hiredis wrapper; see redis.h. */
#include "svc/redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct svc_redis {
    char host[256];
    int port;
    int db;
    char password[256];
    int timeout_ms;
    redisContext *ctx;
};

svc_redis *svc_redis_new(const char *url, int timeout_ms, char *err, size_t errlen) {
    const char *p;
    if (strncmp(url, "redis://", 8) == 0) {
        p = url + 8;
    } else if (strncmp(url, "rediss://", 9) == 0) {
        snprintf(err, errlen, "redis.url: rediss:// (TLS) is not supported by this build; use redis://");
        return NULL;
    } else {
        snprintf(err, errlen, "redis.url must start with redis:// (got something else)");
        return NULL;
    }
    svc_redis *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->port = 6379;
    r->timeout_ms = timeout_ms;
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t n = (size_t)(at - pw);
        if (n >= sizeof r->password) goto bad;
        memcpy(r->password, pw, n);
        p = at + 1;
    }
    size_t hostlen = strcspn(p, ":/");
    if (hostlen == 0 || hostlen >= sizeof r->host) goto bad;
    memcpy(r->host, p, hostlen);
    p += hostlen;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535) goto bad;
        r->port = (int)port;
        p = end;
    }
    if (*p == '/') {
        char *end;
        long db = strtol(p + 1, &end, 10);
        if (p[1] != '\0' && (end == p + 1 || *end != '\0' || db < 0 || db > 15)) goto bad;
        r->db = (int)db;
        p = end;
    }
    if (*p != '\0') goto bad;
    return r;
bad:
    snprintf(err, errlen, "redis.url is malformed: expected redis://[:password@]host[:port][/db]");
    svc_redis_free(r);
    return NULL;
}

void svc_redis_free(svc_redis *r) {
    if (r == NULL) return;
    if (r->ctx) redisFree(r->ctx);
    memset(r->password, 0, sizeof r->password);
    free(r);
}

void svc_redis_reset(svc_redis *r) {
    if (r->ctx) redisFree(r->ctx);
    r->ctx = NULL;
}

redisContext *svc_redis_ctx(svc_redis *r) {
    return r->ctx;
}

/* Runs one command on the fresh connection; returns the status it implies. */
static svc_dep_status expect_ok(svc_redis *r, redisReply *reply, const char *what, char *err, size_t errlen) {
    if (reply == NULL) {
        snprintf(err, errlen, "redis %s: %s", what, r->ctx->errstr);
        return SVC_DEP_UNAVAILABLE;
    }
    svc_dep_status st = SVC_DEP_OK;
    if (reply->type == REDIS_REPLY_ERROR) {
        int auth = strstr(reply->str, "WRONGPASS") || strstr(reply->str, "NOAUTH") ||
                   strstr(reply->str, "invalid password") || strstr(reply->str, "DB index");
        snprintf(err, errlen, "redis %s refused: %.120s (%s)", what, reply->str,
                 auth ? "fix the password or db in redis.url / MPC_REDIS_URL" : "check the Redis server");
        st = auth ? SVC_DEP_MISCONFIGURED : SVC_DEP_UNAVAILABLE;
    }
    freeReplyObject(reply);
    return st;
}

svc_dep_status svc_redis_probe(svc_redis *r, char *err, size_t errlen) {
    if (r->ctx && r->ctx->err) svc_redis_reset(r);
    if (r->ctx == NULL) {
        struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
        r->ctx = redisConnectWithTimeout(r->host, r->port, tv);
        if (r->ctx == NULL || r->ctx->err) {
            snprintf(err, errlen, "redis: cannot connect to %s:%d: %s (is Redis running? check redis.url / MPC_REDIS_URL)",
                     r->host, r->port, r->ctx ? r->ctx->errstr : "out of memory");
            svc_redis_reset(r);
            return SVC_DEP_UNAVAILABLE;
        }
        redisSetTimeout(r->ctx, tv);
        svc_dep_status st = SVC_DEP_OK;
        if (r->password[0]) st = expect_ok(r, redisCommand(r->ctx, "AUTH %s", r->password), "AUTH", err, errlen);
        if (st == SVC_DEP_OK && r->db) st = expect_ok(r, redisCommand(r->ctx, "SELECT %d", r->db), "SELECT", err, errlen);
        if (st != SVC_DEP_OK) {
            svc_redis_reset(r);
            return st;
        }
    }
    svc_dep_status st = expect_ok(r, redisCommand(r->ctx, "PING"), "PING", err, errlen);
    if (st != SVC_DEP_OK) svc_redis_reset(r);
    return st;
}
