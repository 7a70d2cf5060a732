/* sigv1.c - request and webhook signing (scheme v1); see sigv1.h. */
#include "sigv1.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

char *mpc_api_pct_encode(const char *s) {
    static const char hexu[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *p = out;
    if (out == NULL) return NULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (unreserved(*c)) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hexu[*c >> 4];
            *p++ = hexu[*c & 15];
        }
    }
    *p = '\0';
    return out;
}

typedef struct {
    char *name, *value;
} enc_pair;

static int cmp_pair(const void *a, const void *b) {
    const enc_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

char *mpc_api_canonical_query(const mpc_api_query_pair *pairs, size_t n) {
    if (n == 0) return strdup("");
    enc_pair *enc = calloc(n, sizeof *enc);
    char *out = NULL;
    if (enc == NULL) return NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        enc[i].name = mpc_api_pct_encode(pairs[i].name);
        enc[i].value = mpc_api_pct_encode(pairs[i].value ? pairs[i].value : "");
        if (enc[i].name == NULL || enc[i].value == NULL) goto done;
        total += strlen(enc[i].name) + strlen(enc[i].value) + 2;
    }
    qsort(enc, n, sizeof *enc, cmp_pair);
    out = malloc(total + 1);
    if (out == NULL) goto done;
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(out + off, total + 1 - off, "%s%s=%s", i ? "&" : "", enc[i].name, enc[i].value);
done:
    for (size_t i = 0; i < n; i++) {
        free(enc[i].name);
        free(enc[i].value);
    }
    free(enc);
    return out;
}

void mpc_api_hex(const uint8_t *in, size_t n, char *out) {
    static const char hexl[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexl[in[i] >> 4];
        out[2 * i + 1] = hexl[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int mpc_api_unhex(const char *hex, uint8_t **out, size_t *out_len) {
    size_t n = strlen(hex);
    if (n % 2) return -1;
    uint8_t *b = malloc(n / 2 ? n / 2 : 1);
    if (b == NULL) return -2;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return -1;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *out_len = n / 2;
    return 0;
}

char *mpc_api_string_to_sign(const char *method, const char *path_with_query, int64_t timestamp_ms,
                             const char *nonce, const void *body, size_t body_len) {
    uint8_t digest[SHA256_DIGEST_LENGTH];
    char digest_hex[2 * SHA256_DIGEST_LENGTH + 1];
    if (SHA256(body_len ? body : (const void *)"", body_len, digest) == NULL) return NULL;
    mpc_api_hex(digest, sizeof digest, digest_hex);
    size_t len = strlen(method) + strlen(path_with_query) + strlen(nonce) + sizeof digest_hex + 32;
    char *s = malloc(len);
    if (s == NULL) return NULL;
    snprintf(s, len, "%s\n%s\n%lld\n%s\n%s", method, path_with_query, (long long)timestamp_ms, nonce, digest_hex);
    return s;
}

char *mpc_api_record_string_to_sign(const char *topic, int64_t timestamp_ms, const char *nonce,
                                    const uint8_t digest[32]) {
    char digest_hex[65];
    mpc_api_hex(digest, 32, digest_hex);
    size_t len = strlen(topic) + strlen(nonce) + sizeof digest_hex + 40;
    char *s = malloc(len);
    if (s) snprintf(s, len, "KAFKA\n%s\n%lld\n%s\n%s", topic, (long long)timestamp_ms, nonce, digest_hex);
    return s;
}

int mpc_api_hmac_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     char out_hex[MPC_API_SIG_HEX_LEN + 1]) {
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, mac, &mac_len) == NULL || mac_len != 32) return -1;
    mpc_api_hex(mac, 32, out_hex);
    return 0;
}

int mpc_api_sign(const char *secret, const char *method, const char *path_with_query, int64_t timestamp_ms,
                 const char *nonce, const void *body, size_t body_len, char out_hex[MPC_API_SIG_HEX_LEN + 1]) {
    char *sts = mpc_api_string_to_sign(method, path_with_query, timestamp_ms, nonce, body, body_len);
    if (sts == NULL) return -1;
    int rc = mpc_api_hmac_hex(secret, strlen(secret), sts, strlen(sts), out_hex);
    free(sts);
    return rc;
}

int mpc_api_sign_webhook(const char *secret, int64_t timestamp_ms, const void *body, size_t body_len,
                         char out_hex[MPC_API_SIG_HEX_LEN + 1]) {
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%lld.", (long long)timestamp_ms);
    char *msg = malloc((size_t)plen + body_len + 1);
    if (msg == NULL) return -1;
    memcpy(msg, prefix, (size_t)plen);
    if (body_len) memcpy(msg + plen, body, body_len);
    int rc = mpc_api_hmac_hex(secret, strlen(secret), msg, (size_t)plen + body_len, out_hex);
    free(msg);
    return rc;
}

int mpc_api_random(uint8_t *out, size_t n) {
    return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
}

int64_t mpc_api_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
