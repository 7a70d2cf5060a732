/* audit_read.h - reading the audit trail: chain verification and filtered
 * queries. Used by `mpcctl audit verify|query` and by the API's
 * GET /api/v1/audit/events and /audit/verify (services/api/audit_api.c), so
 * both answer the same way.
 *
 * Pointer arguments are never NULL unless said otherwise.
 */
#ifndef MPC_AUDIT_READ_H
#define MPC_AUDIT_READ_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "audit_chain.h"

typedef struct audit_verify_options {
    /* Optional anchor: a (seq, hash) published earlier, e.g. a previous
     * verify's head. anchor_seq 0 = none. Detects a chain rewritten or cut
     * back below a point someone kept outside the database. */
    int64_t anchor_seq;
    uint8_t anchor_hash[AUDIT_HASH_LEN];
} audit_verify_options;

typedef struct audit_verify_report {
    int ok;            /* 1: every check passed */
    int64_t rows;      /* rows walked */
    int64_t head_seq;  /* last row's seq (0 for an empty table) */
    uint8_t head[AUDIT_HASH_LEN];
    int64_t bad_seq;   /* first bad row's seq when !ok (0 if not about a row) */
    char message[256]; /* when !ok, e.g. "row seq=123 altered (hash mismatch)" */
} audit_verify_report;

/* Walks audit_log in seq order inside one REPEATABLE READ snapshot,
 * recomputing every hash and checking that seq runs 1, 2, 3, ... and that
 * each prev_hash is the previous row's hash; also checks that the
 * append-only triggers are enabled. Stops at the first problem.
 * Returns 0 when the walk ran (the report tells ok or not), -1 with err
 * when the database could not be read. */
int audit_verify(PGconn *c, const audit_verify_options *opts, audit_verify_report *rep, char *err, size_t errlen)
    __attribute__((warn_unused_result));

typedef struct audit_query_filter {
    const char *key_id;     /* each filter NULL = any */
    const char *request_id; /* also matches items inside a sign request */
    const char *session_id;
    const char *node_id;
    const char *event_type;
    const char *since;      /* recorded_at >= since (PostgreSQL timestamptz text) */
    const char *until;      /* recorded_at <  until */
    int64_t after_seq;      /* seq > after_seq (paging); 0 = from the start */
    long limit;             /* rows at most; <= 0 means 1000 */
} audit_query_filter;

/* Runs the query (ordered by seq) and calls emit once per row with a JSON
 * object: every column, details as an object, hashes as hex. emit returns
 * 0 to continue, non-zero to stop. The object is freed after emit returns.
 * Returns the number of rows emitted, or -1 with err. */
long audit_query_run(PGconn *c, const audit_query_filter *f, int (*emit)(json_t *row, void *ctx), void *ctx,
                     char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
