/* client_secret.h - how API client secrets are stored in api_clients
 * (sql/V003__api.sql): sealed with AES-256-GCM under the API's 32-byte
 * api.secret_key (scheme "aes256gcm"), or, when no key is configured, kept
 * as is (scheme "plain", development only).
 *
 * Sealed layout: nonce (12) || ciphertext || tag (16); associated data
 * "mpc.v1.api_client:" || key_id, so a sealed secret cannot be moved to
 * another client's row. Anything that needs a client's secret (the API, a
 * coordinator checking Auth on records from outside producers) links this.
 */
#ifndef MPC_API_CLIENT_SECRET_H
#define MPC_API_CLIENT_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "sigv1.h"

#define MPC_API_SECRET_KEY_LEN 32

/* Parses a 64-hex-character key. "" means no key (plain scheme): returns 0
 * with *have_key = 0. Returns -1 on anything else. */
int mpc_client_secret_parse_key(const char *hex, uint8_t key[MPC_API_SECRET_KEY_LEN], int *have_key)
    __attribute__((warn_unused_result));

/* Seals `secret` (NUL-terminated) for key_id. key NULL: plain scheme.
 * Out: *scheme (static string), *out (malloc'd), *out_len. Returns 0 or -1. */
int mpc_client_secret_seal(const uint8_t *key, const char *key_id, const char *secret, const char **scheme,
                           uint8_t **out, size_t *out_len) __attribute__((warn_unused_result));

/* Opens a stored secret into out (NUL-terminated). key may be NULL only for
 * the plain scheme. Returns 0, or -1 (wrong key, tampered row, unknown
 * scheme, bad length). */
int mpc_client_secret_open(const uint8_t *key, const char *key_id, const char *scheme, const uint8_t *stored,
                           size_t stored_len, char out[MPC_API_SECRET_HEX_LEN + 1]) __attribute__((warn_unused_result));

#endif
