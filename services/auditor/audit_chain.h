/* audit_chain.h - the audit_log hash chain: canonical row encoding, row
 * hashes and canonical JSON, shared by mpc-auditor (which writes rows) and
 * `mpcctl audit verify` (which recomputes them). docs/audit.md is the
 * normative description; an independent verifier needs only that page.
 *
 * Canonical row (version "mpc.audit.row.v1"): the concatenation of fields,
 * each `u32be(length) || bytes`, a NULL value being the length 0xFFFFFFFF
 * with no bytes, in this order:
 *
 *     "mpc.audit.row.v1", seq (decimal), recorded_at (UTC text,
 *     "YYYY-MM-DDTHH:MM:SS.ffffffZ"), event_type, client_id, request_id,
 *     key_id, session_id, node_id, operation, result, details (canonical
 *     JSON), ip_address, user_agent, source_topic, source_partition
 *     (decimal), source_offset (decimal), prev_hash (32 raw bytes)
 *
 *     hash = SHA-256(prev_hash || canonical row)
 *
 * Canonical JSON is what Python's json.dumps(v, sort_keys=True,
 * separators=(",", ":"), ensure_ascii=False) prints: object keys sorted by
 * their UTF-8 bytes, no whitespace, strings escaped as \" \\ \b \f \n \r \t
 * and \u00xx (lowercase hex) for the other control characters, everything
 * else raw UTF-8; integers in decimal. Audit details never hold reals.
 *
 * Pointer arguments are never NULL unless said otherwise.
 */
#ifndef MPC_AUDIT_CHAIN_H
#define MPC_AUDIT_CHAIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN 32
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" + NUL */
#define AUDIT_TIME_LEN 28
#define AUDIT_ROW_VERSION "mpc.audit.row.v1"

/* One audit_log row as the chain sees it. Strings are NUL-terminated UTF-8;
 * the nullable columns (client_id, request_id, key_id, session_id, node_id,
 * ip_address, user_agent) may be NULL. `details` is canonical JSON text. */
typedef struct audit_row {
    int64_t seq;
    char recorded_at[AUDIT_TIME_LEN];
    const char *event_type;
    const char *client_id;
    const char *request_id;
    const char *key_id;
    const char *session_id;
    const char *node_id;
    const char *operation;
    const char *result;
    const char *details;
    const char *ip_address;
    const char *user_agent;
    const char *source_topic;
    int32_t source_partition;
    int64_t source_offset;
    uint8_t prev_hash[AUDIT_HASH_LEN];
} audit_row;

/* The canonical encoding of `row` (see above).
 * Returns: 0, or -1 when out of memory.
 * Out: out: malloc'ed bytes (free() them); out_len: their length. */
int audit_row_canonical(const audit_row *row, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

/* hash = SHA-256(row->prev_hash || canonical row). Returns 0 or -1 (out of
 * memory or a libcrypto failure). */
int audit_row_hash(const audit_row *row, uint8_t hash[AUDIT_HASH_LEN]) __attribute__((warn_unused_result));

/* Canonical JSON text of `v` (see above). Reals, which audit details never
 * contain, are printed with "%.17g". Returns malloc'ed text, or NULL when
 * out of memory. */
char *audit_json_canonical(const json_t *v) __attribute__((warn_unused_result));

/* Parses JSON text (e.g. PostgreSQL's jsonb output) and returns its
 * canonical form, or NULL if it does not parse or memory runs out. */
char *audit_json_recanonical(const char *text) __attribute__((warn_unused_result));

/* Formats microseconds since the Unix epoch as "YYYY-MM-DDTHH:MM:SS.ffffffZ".
 * Returns 0, or -1 for a time outside years 0001..9999. */
int audit_format_time(int64_t unix_us, char out[AUDIT_TIME_LEN]);

/* Current wall-clock time in microseconds since the Unix epoch. */
int64_t audit_now_us(void);

/* Lowercase hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void audit_hex(const uint8_t *in, size_t len, char *out);

/* Parses exactly 2*len hex digits into out. Returns 0 or -1. */
int audit_unhex(const char *in, uint8_t *out, size_t len);

/* SHA-256 of len bytes (data may be NULL when len is 0). Returns 0 or -1. */
int audit_sha256(const void *data, size_t len, uint8_t out[AUDIT_HASH_LEN]);

#endif
