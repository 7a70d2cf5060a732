/* record_auth.h - the Auth of KeygenRequest / SignRequest records on Kafka
 * (docs/messages.md, "Authentication of outside producers"), made and
 * checked in one place for everyone: the API stamps the records it writes on
 * behalf of an authenticated client, mpcctl and bench/e2e_load write records
 * as an exchange would, and the coordinator refuses any record whose Auth
 * does not verify.
 *
 *   digest         = SHA-256(single-object encoding with auth = null)
 *                    (mpc_codec_auth_digest: the bytes before the auth field, then 00)
 *   string_to_sign = "KAFKA\n" topic "\n" timestamp_ms "\n" nonce "\n" hex(digest)
 *   Auth.signature = HMAC-SHA256(secret as ASCII, string_to_sign), 32 raw bytes
 *
 * The secret is the client's 64-hex-character API secret. Pointer arguments
 * are never NULL unless said otherwise.
 */
#ifndef MPC_API_RECORD_AUTH_H
#define MPC_API_RECORD_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "codec/avro_codec.h"

/* Encodes `rec` (a KeygenRequest or SignRequest, type t) with an Auth signed
 * by (key_id, secret) for `topic`, a fresh 128-bit random nonce and the
 * current time. auth_slot points at rec's auth field; it is NULL again on
 * return (rec is left as given).
 * Returns 0 with *out (malloc'd, caller frees) and *out_len, or -1 (encode
 * failed: mpc_codec_last_error(); or OpenSSL/randomness failed). */
int mpc_record_encode_signed(mpc_record_type t, void *rec, mpc_auth **auth_slot, const char *topic,
                             const char *key_id, const char *secret, uint8_t **out, size_t *out_len)
    __attribute__((warn_unused_result));

/* Checks the Auth of a received record: buf/len are the record's bytes as
 * read from `topic`, auth its decoded auth field.
 * Returns 1 when auth->signature is the HMAC this secret makes (compared in
 * constant time), 0 when it is not (or the record has no auth field), -1
 * when OpenSSL failed. Freshness, nonce reuse and whether auth->key_id is
 * the record's client are the caller's policy. */
int mpc_record_auth_verify(const char *topic, const uint8_t *buf, size_t len, const mpc_auth *auth,
                           const char *secret) __attribute__((warn_unused_result));

/* The record's body digest (mpc_codec_auth_digest) as lowercase hex, for
 * telling a redelivered record (same digest) from a replayed nonce.
 * Returns 0, or -1 when buf is not a record with an auth field. */
int mpc_record_digest_hex(const uint8_t *buf, size_t len, char out[65]) __attribute__((warn_unused_result));

#endif
