/* store.h - the coordinator's durable state: keys, requests and sessions in
 * PostgreSQL, node health in Redis.
 *
 * All queries are parameterised. Functions return 0 on success and -1 when
 * the database is unavailable or answered with an error (logged); callers
 * then ask for the record to be redelivered (SVC_MSG_RETRY), so nothing is
 * lost while PostgreSQL is away. Row sets go in and out as JSON documents
 * (jsonb_to_recordset), one round trip per batch.
 */
#ifndef MPC_COORDINATOR_STORE_H
#define MPC_COORDINATOR_STORE_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char key_id[129];
    char protocol[16];
    char status[32];
    char chain_type[64];
    unsigned char public_key[33];
    int has_public_key;
    int threshold, total_nodes;
    uint16_t participants[255];
    size_t nparticipants;
} co_key;

/* Returns 1 and fills out when the key exists, 0 when it does not, -1 on error. */
int co_key_load(PGconn *db, const char *key_id, co_key *out);

/* Inserts a key being generated (status Generating) unless it exists. */
int co_key_insert_generating(PGconn *db, const co_key *k, const char *request_id);

/* Marks a generated key Active with its public key (hex) and its address
 * on its chain (NULL: none). */
int co_key_activate(PGconn *db, const char *key_id, const char *public_key_hex, const char *address);
/* Marks a key whose generation failed. */
int co_key_fail(PGconn *db, const char *key_id);

/* Admits requests: rows is a JSON array of {request_id, kind, batch_id,
 * client_id, key_id, payload_hash (hex), callback_url}; those not yet known
 * are inserted (status accepted). *out is a new JSON object {request_id:
 * {status, payload_hash, result, error_code, error_message, session_id}}
 * with every row, new or old (decref it). One round trip. */
int co_requests_admit(PGconn *db, json_t *rows, json_t **out);

/* Ends a session: its row gets status/error/culprit (0: none)/duration, and
 * its requests their outcome: rows is a JSON array of {request_id, status,
 * result (object or null), error_code, error_message}. Only requests still
 * running in session_id change; *finished is a new JSON array of the ids
 * that changed (publish results for exactly those). One round trip. */
int co_session_conclude(PGconn *db, const char *session_id, const char *status, const char *error_code,
                        const char *error_message, int culprit, int64_t duration_ms, json_t *rows,
                        json_t **finished);

/* Finishes requests that never reached a session (bad key, no nodes...):
 * only rows still 'accepted' change. Same out parameter. */
int co_requests_reject(PGconn *db, json_t *rows, json_t **finished);

/* Inserts a session row (status running) and marks its requests (a JSON
 * array of ids) running in it, unless already terminal. A session of those
 * requests still marked running (its coordinator stopped mid-session and the
 * request was redelivered) is closed as failed/ABANDONED. One round trip. */
int co_session_start(PGconn *db, const char *session_id, const char *kind, const char *key_id,
                     const char *protocol, int threshold, int total_nodes, json_t *participants, int attempt,
                     json_t *request_ids, const char *coordinator);
/* Ends a session row without touching its requests (a retry follows). */
int co_session_finish(PGconn *db, const char *session_id, const char *status, const char *error_code,
                      const char *error_message, int culprit, int64_t duration_ms);
/* *out = new JSON array of those session_ids (JSON array) the API asked to cancel. */
int co_sessions_cancel_requested(PGconn *db, json_t *session_ids, json_t **out);

/* Node health (Redis): node:health:<id> with a TTL. */
int co_health_set(redisContext *r, int node_id, const char *json, int ttl_ms);
/* healthy[i] = 1 for ids[i] with a live health key. Returns 0 or -1. */
int co_health_get(redisContext *r, const uint16_t *ids, size_t n, int *healthy);
/* Records a heartbeat in PostgreSQL's nodes table. */
int co_node_seen(PGconn *db, int node_id, const char *capabilities_json);

/* ---- GG20 presignature pool (sql/V004__presign.sql; docs/ecdsa.md) ---- */

/* Active gg20 keys, the newest `limit` of them: *out is a new JSON array of
 * {key_id, threshold, total_nodes, participants (array), public_key}. */
int co_gg20_keys(PGconn *db, int limit, json_t **out);
/* Ready presignatures of (key_id, signers "1,3"). Returns the count or -1. */
long co_presig_ready(PGconn *db, const char *key_id, const char *signers);
/* Ends presign session_id as completed and adds its presignatures (rows: a
 * JSON array of {presig_id, key_id, signers, r_point, presign_session};
 * existing ids are left alone), in one statement and only while the
 * session's row is still 'running'. That guard is what makes the
 * participants' sweep safe (services/participant/presig_sweep.h): once a
 * presign session's row is completed or failed, no presignature of it can
 * be added any more, so a participant may delete the ones it holds that
 * are not listed. Returns 1 (completed, rows added), 0 (the row was no
 * longer running, e.g. closed as ABANDONED: nothing added), -1 on error. */
int co_presign_complete(PGconn *db, const char *session_id, int64_t duration_ms, json_t *rows);
/* Closes presign sessions still 'running' that were created more than
 * older_than_ms ago (their coordinator stopped or stalled: a running one
 * ends by its timeout) as failed with error_code ABANDONED. Returns how
 * many, or -1. */
long co_presign_abandon(PGconn *db, int64_t older_than_ms);
/* Claims exactly n ready presignatures of (key_id, signers) for session_id
 * in one statement (FOR UPDATE SKIP LOCKED), or none when fewer are ready.
 * *ids is a new JSON array of the claimed ids (n or 0 of them). */
int co_presig_claim(PGconn *db, const char *key_id, const char *signers, size_t n, const char *session_id,
                    json_t **ids);

#endif
