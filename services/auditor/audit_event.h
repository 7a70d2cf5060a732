/* audit_event.h - what one Kafka record becomes in audit_log.
 *
 * audit_event_from_record() decodes a record with lib/codec and fills the
 * audit columns (event type, ids, operation, result) and the details JSON.
 * It never fails on bad data: an undecodable record becomes an event of type
 * "undecodable" carrying the codec's error and a hash of the bytes. Secret
 * or opaque material never reaches the details: round payloads (engine
 * messages, ciphertext) and dead-lettered values are replaced by their
 * length and SHA-256. docs/audit.md lists every event type and column.
 */
#ifndef MPC_AUDIT_EVENT_H
#define MPC_AUDIT_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Columns of one audit row before it is chained. Owned strings (free with
 * audit_event_free); nullable ones may be NULL. */
typedef struct audit_event {
    char *event_type;
    char *client_id;
    char *request_id;
    char *key_id;
    char *session_id;
    char *node_id;
    char *operation;
    char *result;
    json_t *details; /* object; one reference owned */
    /* For heartbeats (event_type "node_heartbeat"): who sent it and its
     * status, used by the auditor's sampling. Otherwise NULL / 0. */
    char *hb_sender;
    char *hb_status;
    int64_t hb_sent_at;
} audit_event;

/* Where a record came from. key may be NULL (no Kafka key). */
typedef struct audit_source {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key;
    size_t key_len;
    int64_t timestamp_ms; /* Kafka record timestamp, -1 if none */
} audit_source;

/* Maps one record to its audit event. value may be NULL when len is 0.
 * Returns 0, or -1 when out of memory (out is then zeroed). */
int audit_event_from_record(const audit_source *src, const uint8_t *value, size_t len, audit_event *out)
    __attribute__((warn_unused_result));

/* Frees the members and zeroes *ev. NULL ok. */
void audit_event_free(audit_event *ev);

/* key_id the coordinator derives for a keygen request (docs/pipeline.md):
 * "key_" + hex(SHA-256("mpc.v1.key_id" || request_id))[0:24].
 * Returns 0 or -1. */
int audit_derive_key_id(const char *request_id, char out[29]);

#endif
