/* pg.h - one PostgreSQL connection for one thread, on libpq.
 *
 * The connection is opened lazily and reopened after it breaks; every probe
 * classifies failures (deps.h) and produces a one-line message that never
 * contains the password. Queries go through libpq directly on
 * svc_pg_conn(): parameterised (PQexecParams) only.
 */
#ifndef MPC_SVC_PG_H
#define MPC_SVC_PG_H

#include <libpq-fe.h>
#include <stddef.h>

#include "svc/deps.h"

typedef struct svc_pg svc_pg;

/* Copies the DSN (a libpq URI or key=value string). No connection yet.
 * Returns NULL when out of memory. */
svc_pg *svc_pg_new(const char *dsn, int connect_timeout_s) __attribute__((warn_unused_result));
void svc_pg_free(svc_pg *pg);

/* Makes sure the connection is open and answers `SELECT 1`. */
svc_dep_status svc_pg_probe(svc_pg *pg, char *err, size_t errlen);

/* The open connection, or NULL when not connected (call svc_pg_probe). */
PGconn *svc_pg_conn(svc_pg *pg);

#endif
