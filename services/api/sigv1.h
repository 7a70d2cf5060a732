/* sigv1.h - the API's request-signing scheme "v1", shared by the API server,
 * mpcctl and the webhook sender (docs/api.md, "Authentication").
 *
 *   string_to_sign = METHOD "\n" PATH_WITH_QUERY "\n" TIMESTAMP_MS "\n"
 *                    NONCE "\n" lowercase_hex(SHA-256(body))
 *   X-MPC-Signature = lowercase_hex(HMAC-SHA256(secret, string_to_sign))
 *
 * PATH_WITH_QUERY is the URL path, then, when the URL has a query, "?" and
 * the canonical query: every name and value percent-encoded (all bytes but
 * A-Z a-z 0-9 - . _ ~ become %XX, uppercase hex), pairs sorted bytewise by
 * encoded name then encoded value, written name=value and joined with "&".
 * The secret is the ASCII text the client was given (64 hex characters); its
 * bytes are the HMAC key.
 *
 * Webhooks: X-MPC-Signature = lowercase_hex(HMAC-SHA256(secret, TIMESTAMP_MS
 * "." body)).
 *
 * All functions are thread-safe. Strings returned through char ** are
 * malloc'd; the caller frees them.
 */
#ifndef MPC_API_SIGV1_H
#define MPC_API_SIGV1_H

#include <stddef.h>
#include <stdint.h>

#define MPC_API_SECRET_HEX_LEN 64 /* characters of a client secret */
#define MPC_API_SIG_HEX_LEN 64    /* characters of a hex HMAC-SHA256 */
#define MPC_API_MAX_SKEW_MS (5 * 60 * 1000)

typedef struct {
    const char *name;
    const char *value; /* NULL is treated as "" */
} mpc_api_query_pair;

/* Percent-encodes every byte outside the RFC 3986 unreserved set.
 * Returns a malloc'd string, or NULL when out of memory. */
char *mpc_api_pct_encode(const char *s) __attribute__((warn_unused_result));

/* The canonical query of n pairs (see above); "" when n is 0.
 * Returns a malloc'd string, or NULL when out of memory. */
char *mpc_api_canonical_query(const mpc_api_query_pair *pairs, size_t n) __attribute__((warn_unused_result));

/* The string to sign of a REST request. path_with_query as described above.
 * Returns a malloc'd string, or NULL when out of memory. */
char *mpc_api_string_to_sign(const char *method, const char *path_with_query, int64_t timestamp_ms,
                             const char *nonce, const void *body, size_t body_len)
    __attribute__((warn_unused_result));

/* The string to sign of an Auth in a record written straight to Kafka
 * (docs/api.md): "KAFKA\n" topic "\n" timestamp "\n" nonce "\n"
 * hex(digest), digest from mpc_codec_auth_digest. Auth.signature is the raw
 * 32-byte HMAC-SHA256(secret, this string). Malloc'd, or NULL. */
char *mpc_api_record_string_to_sign(const char *topic, int64_t timestamp_ms, const char *nonce,
                                    const uint8_t digest[32]) __attribute__((warn_unused_result));

/* out_hex = lowercase hex HMAC-SHA256(key, msg), NUL-terminated.
 * Returns 0, or -1 when OpenSSL failed. */
int mpc_api_hmac_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     char out_hex[MPC_API_SIG_HEX_LEN + 1]) __attribute__((warn_unused_result));

/* Signs a request: out_hex = hex HMAC(secret, string_to_sign(...)).
 * Returns 0, or -1 when out of memory / OpenSSL failed. */
int mpc_api_sign(const char *secret, const char *method, const char *path_with_query, int64_t timestamp_ms,
                 const char *nonce, const void *body, size_t body_len, char out_hex[MPC_API_SIG_HEX_LEN + 1])
    __attribute__((warn_unused_result));

/* Signs a webhook body: out_hex = hex HMAC(secret, "<timestamp_ms>." body). */
int mpc_api_sign_webhook(const char *secret, int64_t timestamp_ms, const void *body, size_t body_len,
                         char out_hex[MPC_API_SIG_HEX_LEN + 1]) __attribute__((warn_unused_result));

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void mpc_api_hex(const uint8_t *in, size_t n, char *out);

/* Decodes hex (either case, even length) into a malloc'd buffer.
 * Returns 0, -1 for bad hex, -2 when out of memory. */
int mpc_api_unhex(const char *hex, uint8_t **out, size_t *out_len) __attribute__((warn_unused_result));

/* Random bytes from the OS. Returns 0 or -1. */
int mpc_api_random(uint8_t *out, size_t n) __attribute__((warn_unused_result));

/* Wall-clock time in milliseconds since the Unix epoch. */
int64_t mpc_api_now_ms(void);

#endif
