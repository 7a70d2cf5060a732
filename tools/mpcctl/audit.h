/* audit.h - `mpcctl audit ...`: verify the audit chain, query audit rows.
 *
 *   mpcctl audit verify [--api | --dsn DSN] [--anchor SEQ:HASH]
 *   mpcctl audit query  [--api | --dsn DSN] [--key ID] [--request ID]
 *                       [--session ID] [--node ID] [--event TYPE]
 *                       [--since TIME] [--until TIME] [--after SEQ] [--limit N]
 *
 * Two ways to the trail, same output:
 *   --dsn  PostgreSQL directly (DSN from --dsn or $MPC_PG_DSN), with the
 *          code in services/auditor (library mpc_audit), which the program
 *          must link;
 *   --api  mpc-api's GET /api/v1/audit/events and /audit/verify, through
 *          an mpcctl_audit_api the caller provides (audit_api.h).
 * Without either flag: the database when $MPC_PG_DSN is set, else the API
 * when the caller has an API key.
 */
#ifndef MPCCTL_AUDIT_H
#define MPCCTL_AUDIT_H

#include <jansson.h>
#include <stddef.h>

#include "audit_read.h"

/* The API transport: functions with the contracts of audit_verify and
 * audit_query_run (audit_read.h), answered by mpc-api instead of the
 * database. The rows given to emit are the API's event objects, which are
 * audit_query_run's. */
typedef struct mpcctl_audit_api {
    int have_key; /* an API key and secret are configured */
    void *ctx;    /* passed to the functions */
    int (*verify)(void *ctx, const audit_verify_options *o, audit_verify_report *rep, char *err, size_t errlen);
    long (*query)(void *ctx, const audit_query_filter *f, int (*emit)(json_t *row, void *ectx), void *ectx, char *err,
                  size_t errlen);
} mpcctl_audit_api;

/* argv[0] is "audit". api: the API transport, or NULL when the program has
 * only the database (tests/audit's mpcctl-audit). Returns the process exit
 * status: 0 success (verify: chain intact), 1 verify found a bad row, 2
 * usage, database or API error. */
int mpcctl_audit_run(int argc, char **argv, const mpcctl_audit_api *api);

/* mpcctl_audit_run(argc, argv, NULL): the database only. */
int mpcctl_audit_main(int argc, char **argv);

#endif
