/* client_secret.c - AES-256-GCM sealing of API client secrets; see
 * client_secret.h. */
#include "client_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_LEN 12
#define TAG_LEN 16

int mpc_client_secret_parse_key(const char *hex, uint8_t key[MPC_API_SECRET_KEY_LEN], int *have_key) {
    *have_key = 0;
    if (hex[0] == '\0') return 0;
    uint8_t *raw;
    size_t n;
    if (mpc_api_unhex(hex, &raw, &n) != 0) return -1;
    int ok = n == MPC_API_SECRET_KEY_LEN;
    if (ok) memcpy(key, raw, n);
    OPENSSL_cleanse(raw, n);
    free(raw);
    *have_key = ok;
    return ok ? 0 : -1;
}

static void aad_for(const char *key_id, char *aad, size_t len) {
    snprintf(aad, len, "mpc.v1.api_client:%s", key_id);
}

/* One AES-256-GCM pass. enc: 1 seal, 0 open (tag checked). */
static int gcm(int enc, const uint8_t *key, const uint8_t nonce[NONCE_LEN], const char *aad, const uint8_t *in,
               size_t in_len, uint8_t *out, uint8_t tag[TAG_LEN]) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c != NULL, n = 0;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1;
    ok = ok && EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) == 1;
    ok = ok && EVP_CipherUpdate(c, out, &n, in, (int)in_len) == 1;
    if (!enc) ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(c, out + n, &n) == 1;
    if (enc) ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int mpc_client_secret_seal(const uint8_t *key, const char *key_id, const char *secret, const char **scheme,
                           uint8_t **out, size_t *out_len) {
    size_t n = strlen(secret);
    if (key == NULL) {
        *out = malloc(n ? n : 1);
        if (*out == NULL) return -1;
        memcpy(*out, secret, n);
        *out_len = n;
        *scheme = "plain";
        return 0;
    }
    uint8_t *buf = malloc(NONCE_LEN + n + TAG_LEN);
    char aad[200];
    if (buf == NULL) return -1;
    aad_for(key_id, aad, sizeof aad);
    if (mpc_api_random(buf, NONCE_LEN) != 0 ||
        gcm(1, key, buf, aad, (const uint8_t *)secret, n, buf + NONCE_LEN, buf + NONCE_LEN + n) != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = NONCE_LEN + n + TAG_LEN;
    *scheme = "aes256gcm";
    return 0;
}

int mpc_client_secret_open(const uint8_t *key, const char *key_id, const char *scheme, const uint8_t *stored,
                           size_t stored_len, char out[MPC_API_SECRET_HEX_LEN + 1]) {
    if (strcmp(scheme, "plain") == 0) {
        if (stored_len != MPC_API_SECRET_HEX_LEN) return -1;
        memcpy(out, stored, stored_len);
        out[stored_len] = '\0';
        return 0;
    }
    if (strcmp(scheme, "aes256gcm") != 0 || key == NULL || stored_len != NONCE_LEN + MPC_API_SECRET_HEX_LEN + TAG_LEN)
        return -1;
    char aad[200];
    aad_for(key_id, aad, sizeof aad);
    uint8_t tag[TAG_LEN];
    memcpy(tag, stored + NONCE_LEN + MPC_API_SECRET_HEX_LEN, TAG_LEN);
    if (gcm(0, key, stored, aad, stored + NONCE_LEN, MPC_API_SECRET_HEX_LEN, (uint8_t *)out, tag) != 0) {
        OPENSSL_cleanse(out, MPC_API_SECRET_HEX_LEN + 1);
        return -1;
    }
    out[MPC_API_SECRET_HEX_LEN] = '\0';
    return 0;
}
