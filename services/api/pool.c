/* pool.c - PostgreSQL/Redis connections for the API's HTTP worker threads,
 * and small libpq helpers.
 *
 * svc_pg and svc_redis are single-thread objects, so each HTTP call takes a
 * pair from a mutex-guarded free list and gives it back when it is done. The
 * list grows on demand; its size settles at the number of threads that use
 * it at once (libmicrohttpd's pool of 4 plus the webhook thread).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "svc/log.h"

struct api_conn {
    svc_pg *pg;
    svc_redis *redis;
    api_conn *next;
};

struct api_pool {
    pthread_mutex_t lock;
    api_conn *free_list;
    char *pg_dsn, *redis_url;
    int pg_timeout_s, redis_timeout_ms;
};

api_pool *api_pool_new(const char *pg_dsn, int pg_timeout_s, const char *redis_url, int redis_timeout_ms) {
    api_pool *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    p->pg_dsn = strdup(pg_dsn);
    p->redis_url = strdup(redis_url);
    if (p->pg_dsn == NULL || p->redis_url == NULL) {
        free(p->pg_dsn);
        free(p->redis_url);
        free(p);
        return NULL;
    }
    p->pg_timeout_s = pg_timeout_s;
    p->redis_timeout_ms = redis_timeout_ms;
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

static void conn_free(api_conn *c) {
    svc_pg_free(c->pg);
    svc_redis_free(c->redis);
    free(c);
}

void api_pool_free(api_pool *p) {
    if (p == NULL) return;
    for (api_conn *c = p->free_list, *n; c; c = n) {
        n = c->next;
        conn_free(c);
    }
    memset(p->pg_dsn, 0, strlen(p->pg_dsn)); /* may hold passwords */
    memset(p->redis_url, 0, strlen(p->redis_url));
    free(p->pg_dsn);
    free(p->redis_url);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

api_conn *api_pool_acquire(api_pool *p) {
    pthread_mutex_lock(&p->lock);
    api_conn *c = p->free_list;
    if (c) p->free_list = c->next;
    pthread_mutex_unlock(&p->lock);
    if (c) return c;
    c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    char err[256];
    c->pg = svc_pg_new(p->pg_dsn, p->pg_timeout_s);
    c->redis = svc_redis_new(p->redis_url, p->redis_timeout_ms, err, sizeof err);
    if (c->pg == NULL || c->redis == NULL) {
        conn_free(c);
        return NULL;
    }
    return c;
}

void api_pool_release(api_pool *p, api_conn *c) {
    if (c == NULL) return;
    pthread_mutex_lock(&p->lock);
    c->next = p->free_list;
    p->free_list = c;
    pthread_mutex_unlock(&p->lock);
}

PGconn *api_conn_pg(api_conn *c) {
    PGconn *pg = svc_pg_conn(c->pg);
    if (pg && PQstatus(pg) == CONNECTION_OK) return pg;
    char err[512];
    if (svc_pg_probe(c->pg, err, sizeof err) != SVC_DEP_OK) {
        svc_log(SVC_LOG_WARN, "api: postgres unavailable", "{s:s}", "error", err);
        return NULL;
    }
    return svc_pg_conn(c->pg);
}

redisContext *api_conn_redis(api_conn *c) {
    redisContext *r = svc_redis_ctx(c->redis);
    if (r && !r->err) return r;
    char err[512];
    if (svc_redis_probe(c->redis, err, sizeof err) != SVC_DEP_OK) {
        svc_log(SVC_LOG_WARN, "api: redis unavailable", "{s:s}", "error", err);
        return NULL;
    }
    return svc_redis_ctx(c->redis);
}

void api_conn_redis_broken(api_conn *c) {
    svc_redis_reset(c->redis);
}

/* ---- libpq helpers ------------------------------------------------------- */

PGresult *api_pg_exec(PGconn *pg, const char *sql, int nparams, const char *const *params, ExecStatusType want) {
    PGresult *r = PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
    if (r && PQresultStatus(r) == want) return r;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(pg);
    char line[300];
    size_t n = strcspn(msg, "\n");
    if (n >= sizeof line) n = sizeof line - 1;
    memcpy(line, msg, n);
    line[n] = '\0';
    svc_log(SVC_LOG_ERROR, "api: query failed", "{s:s}", "error", line);
    PQclear(r);
    return NULL;
}

/* PostgreSQL type oids used to decide how a column becomes JSON. */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_JSON = 114, OID_JSONB = 3802 };

json_t *api_pg_value(PGresult *r, int row, int col) {
    if (PQgetisnull(r, row, col)) return json_null();
    const char *v = PQgetvalue(r, row, col);
    switch (PQftype(r, col)) {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return json_integer(strtoll(v, NULL, 10));
    case OID_BOOL:
        return json_boolean(v[0] == 't');
    case OID_JSON:
    case OID_JSONB: {
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        return j ? j : json_string(v);
    }
    default:
        return json_string(v);
    }
}

json_t *api_pg_row_object(PGresult *r, int row) {
    json_t *o = json_object();
    if (o == NULL) return NULL;
    for (int col = 0; col < PQnfields(r); col++) {
        if (json_object_set_new(o, PQfname(r, col), api_pg_value(r, row, col)) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
