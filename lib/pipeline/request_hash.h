/* request_hash.h - the idempotency hash of a request, computed the same way
 * by the API (when a client submits over REST) and by the coordinator (when
 * an exchange writes the record straight to Kafka).
 *
 * payload_hash = SHA-256 of the compact JSON, keys sorted, of:
 *   sign item: {"kind":"sign","key_id","message": hex,"message_type",
 *               "derivation_path"?, "callback_url"?, "client_id"}
 *   keygen:    {"kind":"keygen","protocol","curve","threshold","total_nodes",
 *               "chain_type","participants"? (omitted when empty),
 *               "metadata"? (omitted when empty),"client_id"}
 * Optional fields are left out when absent. A request id submitted again
 * with the same hash is the same request; with another, it is a conflict.
 */
#ifndef MPC_PIPELINE_REQUEST_HASH_H
#define MPC_PIPELINE_REQUEST_HASH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* out_hex: 65 bytes. Returns 0, or -1 when out of memory. */
int pl_sign_item_hash(const char *key_id, const unsigned char *message, size_t message_len, const char *message_type,
                      const char *derivation_path, const char *callback_url, const char *client_id, char *out_hex)
    __attribute__((warn_unused_result));

/* participants: JSON array of node ids or NULL; metadata: JSON object of
 * strings or NULL (both borrowed; empty ones count as absent). */
int pl_keygen_hash(const char *protocol, const char *curve, long threshold, long total_nodes, const char *chain_type,
                   json_t *participants, json_t *metadata, const char *client_id, char *out_hex)
    __attribute__((warn_unused_result));

#endif
