/* audit_chain.c - canonical audit rows, their hashes and canonical JSON.
 *
 * Everything here is pure (no I/O) so the unit test can pin it with known
 * vectors; the format itself is described in audit_chain.h and
 * docs/audit.md.
 */
#include "audit_chain.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A growable byte buffer; `failed` sticks once an allocation failed. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int failed;
} buf;

static void buf_put(buf *b, const void *p, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0; /* keeps text NUL-terminated */
}

static void buf_str(buf *b, const char *s) {
    buf_put(b, s, strlen(s));
}

/* ---- canonical JSON ------------------------------------------------------ */

static void json_string_out(buf *b, const char *s, size_t n) {
    static const char hexd[] = "0123456789abcdef";
    buf_put(b, "\"", 1);
    size_t run = 0; /* bytes copied verbatim are flushed in runs */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hexd[c >> 4], u[5] = hexd[c & 15], u[6] = 0;
                esc = u;
            }
        }
        if (esc) {
            buf_put(b, s + i - run, run);
            run = 0;
            buf_str(b, esc);
        } else {
            run++;
        }
    }
    buf_put(b, s + n - run, run);
    buf_put(b, "\"", 1);
}

static int key_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void json_out(buf *b, const json_t *v) {
    char num[40];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = malloc((n ? n : 1) * sizeof *keys);
        if (keys == NULL) {
            b->failed = 1;
            return;
        }
        const char *k;
        json_t *val;
        json_object_foreach((json_t *)v, k, val) keys[i++] = k;
        qsort(keys, n, sizeof *keys, key_cmp); /* strcmp = UTF-8 byte order */
        buf_put(b, "{", 1);
        for (i = 0; i < n; i++) {
            if (i) buf_put(b, ",", 1);
            json_string_out(b, keys[i], strlen(keys[i]));
            buf_put(b, ":", 1);
            json_out(b, json_object_get(v, keys[i]));
        }
        buf_put(b, "}", 1);
        free(keys);
        break;
    }
    case JSON_ARRAY:
        buf_put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) buf_put(b, ",", 1);
            json_out(b, json_array_get(v, i));
        }
        buf_put(b, "]", 1);
        break;
    case JSON_STRING:
        json_string_out(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        buf_str(b, num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        buf_str(b, num);
        break;
    case JSON_TRUE: buf_str(b, "true"); break;
    case JSON_FALSE: buf_str(b, "false"); break;
    case JSON_NULL: buf_str(b, "null"); break;
    }
}

char *audit_json_canonical(const json_t *v) {
    buf b = {0};
    json_out(&b, v);
    if (b.failed || b.data == NULL) {
        free(b.data);
        return NULL;
    }
    return (char *)b.data;
}

char *audit_json_recanonical(const char *text) {
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (v == NULL) return NULL;
    char *out = audit_json_canonical(v);
    json_decref(v);
    return out;
}

/* ---- canonical row ------------------------------------------------------- */

static void field(buf *b, const void *p, size_t n) {
    uint8_t len[4];
    if (p == NULL) {
        memset(len, 0xff, sizeof len);
        buf_put(b, len, 4);
        return;
    }
    len[0] = (uint8_t)(n >> 24), len[1] = (uint8_t)(n >> 16), len[2] = (uint8_t)(n >> 8), len[3] = (uint8_t)n;
    buf_put(b, len, 4);
    buf_put(b, p, n);
}

static void field_str(buf *b, const char *s) {
    field(b, s, s ? strlen(s) : 0);
}

static void field_int(buf *b, int64_t v) {
    char num[24];
    field_str(b, (snprintf(num, sizeof num, "%" PRId64, v), num));
}

int audit_row_canonical(const audit_row *r, uint8_t **out, size_t *out_len) {
    buf b = {0};
    field_str(&b, AUDIT_ROW_VERSION);
    field_int(&b, r->seq);
    field_str(&b, r->recorded_at);
    field_str(&b, r->event_type);
    field_str(&b, r->client_id);
    field_str(&b, r->request_id);
    field_str(&b, r->key_id);
    field_str(&b, r->session_id);
    field_str(&b, r->node_id);
    field_str(&b, r->operation);
    field_str(&b, r->result);
    field_str(&b, r->details);
    field_str(&b, r->ip_address);
    field_str(&b, r->user_agent);
    field_str(&b, r->source_topic);
    field_int(&b, r->source_partition);
    field_int(&b, r->source_offset);
    field(&b, r->prev_hash, AUDIT_HASH_LEN);
    if (b.failed) {
        free(b.data);
        return -1;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;
}

int audit_row_hash(const audit_row *row, uint8_t hash[AUDIT_HASH_LEN]) {
    uint8_t *canon;
    size_t n;
    if (audit_row_canonical(row, &canon, &n) != 0) return -1;
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int hl = 0;
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, row->prev_hash, AUDIT_HASH_LEN) == 1 && EVP_DigestUpdate(ctx, canon, n) == 1 &&
        EVP_DigestFinal_ex(ctx, hash, &hl) == 1 && hl == AUDIT_HASH_LEN)
        ok = 1;
    EVP_MD_CTX_free(ctx);
    free(canon);
    return ok ? 0 : -1;
}

int audit_sha256(const void *data, size_t len, uint8_t out[AUDIT_HASH_LEN]) {
    unsigned int hl = 0;
    static const uint8_t empty = 0;
    if (EVP_Digest(data ? data : &empty, len, out, &hl, EVP_sha256(), NULL) != 1 || hl != AUDIT_HASH_LEN) return -1;
    return 0;
}

/* ---- times and hex ------------------------------------------------------- */

int audit_format_time(int64_t unix_us, char out[AUDIT_TIME_LEN]) {
    int64_t secs = unix_us / 1000000, us = unix_us % 1000000;
    if (us < 0) {
        us += 1000000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999) return -1;
    char tmp[64]; /* wide enough for any int, so the compiler sees no truncation */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us);
    if (strlen(tmp) != AUDIT_TIME_LEN - 1) return -1;
    memcpy(out, tmp, AUDIT_TIME_LEN);
    return 0;
}

int64_t audit_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void audit_hex(const uint8_t *in, size_t len, char *out) {
    static const char hexd[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hexd[in[i] >> 4];
        out[2 * i + 1] = hexd[in[i] & 15];
    }
    out[2 * len] = 0;
}

static int nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int audit_unhex(const char *in, uint8_t *out, size_t len) {
    if (strlen(in) != 2 * len) return -1;
    for (size_t i = 0; i < len; i++) {
        int hi = nibble(in[2 * i]), lo = nibble(in[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
