/* pg.c - lazily (re)connecting libpq wrapper; see pg.h for the contract. */
#include "svc/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct svc_pg {
    char *dsn;
    int connect_timeout_s;
    PGconn *conn;
};

svc_pg *svc_pg_new(const char *dsn, int connect_timeout_s) {
    svc_pg *pg = calloc(1, sizeof *pg);
    if (pg == NULL || (pg->dsn = strdup(dsn)) == NULL) {
        free(pg);
        return NULL;
    }
    pg->connect_timeout_s = connect_timeout_s;
    return pg;
}

void svc_pg_free(svc_pg *pg) {
    if (pg == NULL) return;
    if (pg->conn) PQfinish(pg->conn);
    if (pg->dsn) {
        memset(pg->dsn, 0, strlen(pg->dsn)); /* may hold a password */
        free(pg->dsn);
    }
    free(pg);
}

/* libpq messages span lines ("FATAL:  ...\n"); keep the first line, trimmed. */
static void first_line(const char *in, char *out, size_t len) {
    while (*in == ' ') in++;
    size_t n = strcspn(in, "\n");
    if (n >= len) n = len - 1;
    memcpy(out, in, n);
    out[n] = '\0';
}

static svc_dep_status classify(const char *msg) {
    static const char *const permanent[] = {"password authentication failed", "does not exist",
                                            "no password supplied", "no pg_hba.conf entry",
                                            "invalid connection option", "missing \"=\"",
                                            "invalid URI", "invalid integer value"};
    for (size_t i = 0; i < sizeof permanent / sizeof *permanent; i++)
        if (strstr(msg, permanent[i])) return SVC_DEP_MISCONFIGURED;
    return SVC_DEP_UNAVAILABLE;
}

svc_dep_status svc_pg_probe(svc_pg *pg, char *err, size_t errlen) {
    char line[256];
    if (pg->conn && PQstatus(pg->conn) != CONNECTION_OK) {
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
    if (pg->conn == NULL) {
        char timeout[16];
        snprintf(timeout, sizeof timeout, "%d", pg->connect_timeout_s);
        const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
        const char *vals[] = {pg->dsn, timeout, "mpc", NULL};
        pg->conn = PQconnectdbParams(keys, vals, 1);
        if (pg->conn == NULL) {
            snprintf(err, errlen, "postgres: out of memory");
            return SVC_DEP_UNAVAILABLE;
        }
        if (PQstatus(pg->conn) != CONNECTION_OK) {
            first_line(PQerrorMessage(pg->conn), line, sizeof line);
            svc_dep_status st = classify(line);
            snprintf(err, errlen, "postgres: %s (%s)", line,
                     st == SVC_DEP_MISCONFIGURED ? "fix postgres.dsn / MPC_PG_DSN: user, password or database"
                                                 : "is PostgreSQL running at the host:port in postgres.dsn?");
            PQfinish(pg->conn);
            pg->conn = NULL;
            return st;
        }
    }
    PGresult *r = PQexec(pg->conn, "SELECT 1");
    int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) {
        first_line(PQerrorMessage(pg->conn), line, sizeof line);
        snprintf(err, errlen, "postgres: query failed: %s", line);
    }
    PQclear(r);
    if (!ok) {
        PQfinish(pg->conn);
        pg->conn = NULL;
        return SVC_DEP_UNAVAILABLE;
    }
    return SVC_DEP_OK;
}

PGconn *svc_pg_conn(svc_pg *pg) {
    return pg->conn;
}
