/* clients.h - who may submit requests, as the coordinator checks it.
 *
 * Every KeygenRequest and SignRequest record must carry an Auth made with an
 * API client's secret (services/api/record_auth.h): the API stamps the
 * records it writes for its authenticated callers, and exchanges writing to
 * Kafka directly sign their own. The coordinator accepts a record only when
 *   - auth is present and auth.key_id is the record's client_id,
 *   - the client exists in api_clients and is active,
 *   - the HMAC verifies (constant-time compare),
 *   - auth.timestamp is within MPC_API_MAX_SKEW_MS of the record's Kafka
 *     timestamp (so a backlog read late is still accepted, a record signed
 *     long before it was written is not),
 *   - the nonce was not used before with another body: the first use stores
 *     the body digest in Redis (rauth:<key_id>:<nonce>, kept twice the skew
 *     window); the same record redelivered (same digest) passes.
 * A record that fails is never stored as a request (so a forger cannot
 * pre-empt someone else's request id); the caller dead-letters it.
 * Then the client's policy (allowed_keys, allowed_chains) applies to the
 * authenticated request.
 *
 * Client rows are cached for CO_CLIENT_CACHE_MS; secrets are opened with the
 * API's api.secret_key (same setting, MPC_API_SECRET_KEY) and wiped when
 * evicted. Pointer arguments are never NULL unless said otherwise.
 */
#ifndef MPC_COORDINATOR_CLIENTS_H
#define MPC_COORDINATOR_CLIENTS_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "codec/avro_codec.h"

#define CO_CLIENT_CACHE_MS 1000

typedef struct co_clients co_clients;

/* An authenticated client's policy; owned by the cache, valid until the next
 * co_clients_authenticate call. */
typedef struct co_client {
    char key_id[129];
    json_t *allowed_keys;   /* NULL: any key; else array of key ids */
    json_t *allowed_chains; /* NULL: any chain; else array of chain types */
} co_client;

/* secret_key_hex: the API's api.secret_key ("" = secrets stored unsealed).
 * Returns NULL with err when the key is not 64 hex characters or out of memory. */
co_clients *co_clients_new(const char *secret_key_hex, char *err, size_t errlen) __attribute__((warn_unused_result));
void co_clients_free(co_clients *cc); /* NULL ok */

typedef enum {
    CO_AUTH_OK = 1,
    CO_AUTH_REFUSED = 0,   /* why says which rule; dead-letter the record */
    CO_AUTH_RETRY = -1,    /* PostgreSQL, Redis or OpenSSL failed: try the record again */
} co_auth_result;

/* Checks the Auth of the record msg (from `topic`) whose decoded auth field
 * and client_id are given (auth may be NULL). On CO_AUTH_OK *client is the
 * client's policy. */
co_auth_result co_clients_authenticate(co_clients *cc, PGconn *db, redisContext *redis, const char *topic,
                                       const rd_kafka_message_t *msg, const mpc_auth *auth, const char *client_id,
                                       const co_client **client, char *why, size_t whylen);

/* 1 when the client may use key_id / chain_type. */
int co_client_allows_key(const co_client *cl, const char *key_id);
int co_client_allows_chain(const co_client *cl, const char *chain_type);

#endif
