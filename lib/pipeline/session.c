/* session.c - session_start JSON and output payloads; see session.h. */
#include "pipeline/session.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const protocols[] = {"frost", "frost-bip340", "gg18", "gg20"};

int pl_valid_id(const char *s) {
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '.' || c == ':'))
            return 0;
    }
    return n >= 1 && n <= PL_MAX_ID_LEN;
}

/* chain_type: "" or [a-z0-9-]{1,63}. */
static int valid_chain(const char *c) {
    size_t n = 0;
    for (; c[n]; n++)
        if (!((c[n] >= 'a' && c[n] <= 'z') || (c[n] >= '0' && c[n] <= '9') || c[n] == '-')) return 0;
    return n <= PL_MAX_CHAIN_LEN;
}

static const char *kind_name(pl_session_kind k) {
    return k == PL_KIND_KEYGEN ? "keygen" : k == PL_KIND_PRESIGN ? "presign" : "sign";
}

static int valid_protocol(const char *p) {
    for (size_t i = 0; i < sizeof protocols / sizeof *protocols; i++)
        if (strcmp(p, protocols[i]) == 0) return 1;
    return 0;
}

static char *hex_encode(const unsigned char *b, size_t n) {
    char *s = malloc(2 * n + 1);
    if (s == NULL) return NULL;
    for (size_t i = 0; i < n; i++) snprintf(s + 2 * i, 3, "%02x", b[i]);
    s[2 * n] = '\0';
    return s;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex into a new buffer. Returns NULL on bad hex or no memory. */
static unsigned char *hex_decode(const char *s, size_t *outlen) {
    size_t n = strlen(s);
    if (n % 2) return NULL;
    unsigned char *b = malloc(n / 2 ? n / 2 : 1);
    if (b == NULL) return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return NULL;
        }
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    *outlen = n / 2;
    return b;
}

/* Checks the invariants shared by encode and decode. */
static int check(const pl_session *s, char *err, size_t errlen) {
    if (!pl_valid_id(s->session_id)) return snprintf(err, errlen, "invalid session_id"), -1;
    if (!valid_protocol(s->protocol)) return snprintf(err, errlen, "unknown protocol"), -1;
    if (!pl_valid_id(s->key_id)) return snprintf(err, errlen, "invalid key_id"), -1;
    if (!valid_chain(s->chain_type)) return snprintf(err, errlen, "invalid chain_type"), -1;
    if (s->threshold < 1 || s->total_nodes < s->threshold || s->total_nodes > PL_MAX_PARTIES)
        return snprintf(err, errlen, "invalid threshold %u of %u", s->threshold, s->total_nodes), -1;
    for (size_t i = 0; i < s->nparticipants; i++) {
        if (s->participants[i] < 1 || (i > 0 && s->participants[i] <= s->participants[i - 1]))
            return snprintf(err, errlen, "participants must be ascending ids 1..255"), -1;
    }
    if (s->kind == PL_KIND_KEYGEN) {
        if (s->nparticipants != s->total_nodes) return snprintf(err, errlen, "keygen needs total_nodes participants"), -1;
        if (s->nitems != 0) return snprintf(err, errlen, "keygen sessions carry no items"), -1;
    } else {
        if (s->nparticipants < s->threshold || s->nparticipants > s->total_nodes)
            return snprintf(err, errlen, "signing needs threshold..total_nodes participants"), -1;
        if (s->nitems < 1 || s->nitems > PL_MAX_ITEMS) return snprintf(err, errlen, "signing needs 1..1000 items"), -1;
        if (s->kind == PL_KIND_PRESIGN && strcmp(s->protocol, "gg20") != 0)
            return snprintf(err, errlen, "only gg20 presigns"), -1;
        for (size_t i = 0; i < s->nitems; i++) {
            const pl_item *it = &s->items[i];
            if (!pl_valid_id(it->request_id)) return snprintf(err, errlen, "items[%zu]: invalid request_id", i), -1;
            if (s->kind == PL_KIND_PRESIGN) {
                if (it->message_len != 0 || it->presig_id[0])
                    return snprintf(err, errlen, "items[%zu]: presign items carry only an id", i), -1;
                continue;
            }
            if (it->is_hash ? it->message_len != 32 : it->message_len < 1 || it->message_len > PL_MAX_RAW_MESSAGE)
                return snprintf(err, errlen, "items[%zu]: bad message length %zu", i, it->message_len), -1;
            if (it->presig_id[0] && (strcmp(s->protocol, "gg20") != 0 || !pl_valid_id(it->presig_id)))
                return snprintf(err, errlen, "items[%zu]: invalid presig_id", i), -1;
        }
    }
    return 0;
}

char *pl_session_encode(const pl_session *s, char *err, size_t errlen) {
    if (check(s, err, errlen) != 0) return NULL;
    json_t *parts = json_array(), *items = json_array();
    for (size_t i = 0; i < s->nparticipants; i++) json_array_append_new(parts, json_integer(s->participants[i]));
    for (size_t i = 0; i < s->nitems; i++) {
        const pl_item *it = &s->items[i];
        if (s->kind == PL_KIND_PRESIGN) {
            json_array_append_new(items, json_pack("{s:s}", "request_id", it->request_id));
            continue;
        }
        char *hex = hex_encode(it->message, it->message_len);
        json_t *item = json_pack("{s:s,s:s?,s:s}", "request_id", it->request_id, "message", hex, "message_type",
                                 it->is_hash ? "hash" : "raw");
        if (item && it->presig_id[0]) json_object_set_new(item, "presig_id", json_string(it->presig_id));
        json_array_append_new(items, item);
        free(hex);
    }
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:o,s:I,s:o}", "session_id", s->session_id, "kind",
                          kind_name(s->kind), "protocol", s->protocol, "key_id", s->key_id, "threshold",
                          (int)s->threshold, "total_nodes", (int)s->total_nodes, "participants", parts, "attempt",
                          (json_int_t)s->attempt, "items", items);
    if (o && s->chain_type[0]) json_object_set_new(o, "chain_type", json_string(s->chain_type));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (text == NULL) snprintf(err, errlen, "out of memory");
    return text;
}

void pl_session_clear(pl_session *s) {
    for (size_t i = 0; i < s->nitems; i++) free(s->items[i].message);
    free(s->items);
    memset(s, 0, sizeof *s);
}

static int copy_id(char *dst, const char *src) {
    if (src == NULL || strlen(src) > PL_MAX_ID_LEN) return -1;
    strcpy(dst, src);
    return 0;
}

int pl_session_decode(const char *text, size_t len, pl_session *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL) return snprintf(err, errlen, "session_start is not JSON: %s", jerr.text), -1;
    const char *sid = NULL, *kind = NULL, *proto = NULL, *key = NULL, *chain = NULL;
    json_int_t t = 0, n = 0, attempt = 0;
    json_t *parts = NULL, *items = NULL;
    int rc = -1;
    if (json_unpack_ex(o, &jerr, JSON_STRICT, "{s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:I,s:o,s?s}", "session_id", &sid,
                       "kind", &kind, "protocol", &proto, "key_id", &key, "threshold", &t, "total_nodes", &n,
                       "participants", &parts, "attempt", &attempt, "items", &items, "chain_type", &chain) != 0) {
        snprintf(err, errlen, "session_start: %s", jerr.text);
        goto out;
    }
    if (copy_id(out->session_id, sid) || copy_id(out->key_id, key) || strlen(proto) >= sizeof out->protocol ||
        (chain && strlen(chain) >= sizeof out->chain_type)) {
        snprintf(err, errlen, "session_start: identifier too long");
        goto out;
    }
    strcpy(out->protocol, proto);
    if (chain) strcpy(out->chain_type, chain);
    if (strcmp(kind, "sign") == 0) out->kind = PL_KIND_SIGN;
    else if (strcmp(kind, "keygen") == 0) out->kind = PL_KIND_KEYGEN;
    else if (strcmp(kind, "presign") == 0) out->kind = PL_KIND_PRESIGN;
    else {
        snprintf(err, errlen, "session_start: unknown kind");
        goto out;
    }
    if (t < 1 || t > PL_MAX_PARTIES || n < 1 || n > PL_MAX_PARTIES || attempt < 0 || attempt > 1000000 ||
        !json_is_array(parts) || json_array_size(parts) > PL_MAX_PARTIES || !json_is_array(items) ||
        json_array_size(items) > PL_MAX_ITEMS) {
        snprintf(err, errlen, "session_start: value out of range");
        goto out;
    }
    out->threshold = (uint16_t)t;
    out->total_nodes = (uint16_t)n;
    out->attempt = (uint32_t)attempt;
    size_t i;
    json_t *v;
    json_array_foreach(parts, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > PL_MAX_PARTIES) {
            snprintf(err, errlen, "session_start: bad participant id");
            goto out;
        }
        out->participants[i] = (uint16_t)json_integer_value(v);
    }
    out->nparticipants = json_array_size(parts);
    if (json_array_size(items) > 0 && (out->items = calloc(json_array_size(items), sizeof *out->items)) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    json_array_foreach(items, i, v) {
        const char *rid, *msg, *mtype, *presig = NULL;
        if (out->kind == PL_KIND_PRESIGN) {
            if (json_unpack_ex(v, &jerr, JSON_STRICT, "{s:s}", "request_id", &rid) != 0 ||
                copy_id(out->items[i].request_id, rid) != 0) {
                snprintf(err, errlen, "session_start: items[%zu] malformed", i);
                goto out;
            }
            out->nitems = i + 1;
            continue;
        }
        if (json_unpack_ex(v, &jerr, JSON_STRICT, "{s:s,s:s,s:s,s?s}", "request_id", &rid, "message", &msg,
                           "message_type", &mtype, "presig_id", &presig) != 0 ||
            copy_id(out->items[i].request_id, rid) != 0 || (presig && copy_id(out->items[i].presig_id, presig) != 0)) {
            snprintf(err, errlen, "session_start: items[%zu] malformed", i);
            goto out;
        }
        out->nitems = i + 1;
        if (strcmp(mtype, "hash") != 0 && strcmp(mtype, "raw") != 0) {
            snprintf(err, errlen, "session_start: items[%zu] unknown message_type", i);
            goto out;
        }
        out->items[i].is_hash = strcmp(mtype, "hash") == 0;
        if (strlen(msg) > 2 * PL_MAX_RAW_MESSAGE ||
            (out->items[i].message = hex_decode(msg, &out->items[i].message_len)) == NULL) {
            snprintf(err, errlen, "session_start: items[%zu] message is not hex", i);
            goto out;
        }
    }
    rc = check(out, err, errlen);
out:
    json_decref(o);
    if (rc != 0) pl_session_clear(out);
    return rc;
}

void pl_engine_session_id(unsigned char out[32], const char *session_id, long index) {
    static const char domain[] = "mpc.v1.engine-session";
    unsigned char be[4] = {(unsigned char)(index >> 24), (unsigned char)(index >> 16), (unsigned char)(index >> 8),
                           (unsigned char)index};
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(c, domain, sizeof domain - 1) != 1 ||
        EVP_DigestUpdate(c, session_id, strlen(session_id)) != 1 ||
        (index >= 0 && EVP_DigestUpdate(c, be, 4) != 1) || EVP_DigestFinal_ex(c, out, &n) != 1) {
        /* Never happens with the default provider; fail closed anyway. */
        fprintf(stderr, "mpc pipeline: SHA-256 failed\n");
        abort();
    }
    EVP_MD_CTX_free(c);
}

int pl_session_has(const pl_session *s, uint16_t id) {
    for (size_t i = 0; i < s->nparticipants; i++)
        if (s->participants[i] == id) return 1;
    return 0;
}

unsigned char *pl_sigs_encode(const unsigned char *const *sigs, const size_t *lens, size_t count, size_t *outlen) {
    size_t total = 4;
    for (size_t i = 0; i < count; i++) {
        if (lens[i] > 80) return NULL;
        total += 1 + lens[i];
    }
    unsigned char *b = malloc(total);
    if (b == NULL) return NULL;
    b[0] = (unsigned char)(count >> 24);
    b[1] = (unsigned char)(count >> 16);
    b[2] = (unsigned char)(count >> 8);
    b[3] = (unsigned char)count;
    size_t off = 4;
    for (size_t i = 0; i < count; i++) {
        b[off++] = (unsigned char)lens[i];
        memcpy(b + off, sigs[i], lens[i]);
        off += lens[i];
    }
    *outlen = total;
    return b;
}

int pl_sigs_decode(const unsigned char *in, size_t len, size_t count, const unsigned char **sigs, size_t *lens) {
    if (len < 4) return -1;
    size_t n = (size_t)in[0] << 24 | (size_t)in[1] << 16 | (size_t)in[2] << 8 | in[3];
    if (n != count) return -1;
    size_t off = 4;
    for (size_t i = 0; i < count; i++) {
        if (off >= len) return -1;
        size_t l = in[off++];
        if (l > 80 || l > len - off) return -1;
        sigs[i] = in + off;
        lens[i] = l;
        off += l;
    }
    return off == len ? 0 : -1;
}
