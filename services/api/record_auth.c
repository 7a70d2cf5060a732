/* record_auth.c - Auth of request records on Kafka; see record_auth.h. */
#include "record_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "sigv1.h"

/* mac = HMAC-SHA256(secret, string_to_sign(topic, ts, nonce, digest)). */
static int record_mac(const char *topic, int64_t ts, const char *nonce, const uint8_t digest[32],
                      const char *secret, uint8_t mac[32]) {
    char *sts = mpc_api_record_string_to_sign(topic, ts, nonce, digest);
    if (sts == NULL) return -1;
    unsigned int mac_len = 0;
    int ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)sts, strlen(sts), mac, &mac_len) !=
                 NULL &&
             mac_len == 32;
    free(sts);
    return ok ? 0 : -1;
}

int mpc_record_encode_signed(mpc_record_type t, void *rec, mpc_auth **auth_slot, const char *topic,
                             const char *key_id, const char *secret, uint8_t **out, size_t *out_len) {
    uint8_t *plain = NULL, digest[32], random[16], mac[32];
    size_t plain_len = 0;
    *auth_slot = NULL;
    if (mpc_codec_encode(t, rec, &plain, &plain_len) != MPC_CODEC_OK) return -1;
    int rc = mpc_codec_auth_digest(plain, plain_len, digest, NULL);
    free(plain);
    char nonce[33];
    if (rc != MPC_CODEC_OK || mpc_api_random(random, sizeof random) != 0) return -1;
    mpc_api_hex(random, sizeof random, nonce);
    mpc_auth auth = {.key_id = (char *)key_id, .timestamp = mpc_api_now_ms(), .nonce = nonce};
    if (record_mac(topic, auth.timestamp, nonce, digest, secret, mac) != 0) return -1;
    auth.signature = (mpc_bytes){mac, sizeof mac};
    *auth_slot = &auth;
    rc = mpc_codec_encode(t, rec, out, out_len);
    *auth_slot = NULL;
    return rc == MPC_CODEC_OK ? 0 : -1;
}

int mpc_record_auth_verify(const char *topic, const uint8_t *buf, size_t len, const mpc_auth *auth,
                           const char *secret) {
    uint8_t digest[32], mac[32];
    if (auth->signature.data == NULL || auth->signature.len != sizeof mac || auth->nonce == NULL) return 0;
    if (mpc_codec_auth_digest(buf, len, digest, NULL) != MPC_CODEC_OK) return 0;
    if (record_mac(topic, auth->timestamp, auth->nonce, digest, secret, mac) != 0) return -1;
    int ok = CRYPTO_memcmp(mac, auth->signature.data, sizeof mac) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
}

int mpc_record_digest_hex(const uint8_t *buf, size_t len, char out[65]) {
    uint8_t digest[32];
    if (mpc_codec_auth_digest(buf, len, digest, NULL) != MPC_CODEC_OK) return -1;
    mpc_api_hex(digest, sizeof digest, out);
    return 0;
}
