/*
 * codec/auth.c - the bytes that authenticate records:
 *  - RoundMessage: its header (AES-256-GCM associated data for encrypted
 *    payloads) and the SHA-256 digest the sender signs with its node
 *    identity key. Both are written with Avro binary primitives (zig-zag
 *    varints, length-prefixed strings) so that any language can recompute
 *    them without this library.
 *  - KeygenRequest / SignRequest from outside producers: the digest their
 *    Auth HMAC covers, i.e. SHA-256 of the record encoded with auth = null.
 *    auth is the last field and null encodes as the single byte 0x00, so the
 *    digest is computed from the received bytes themselves (the body up to
 *    the auth field, then 0x00) without re-encoding anything.
 * docs/messages.md spells out both layouts.
 */
#include "codec_internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_DOMAIN "mpc.v1.RoundMessage.header"

typedef struct wbuf {
    uint8_t *p;
    size_t len, cap;
} wbuf;

static int wb_put(wbuf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2 + 64;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

static int wb_long(wbuf *b, int64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z & ~UINT64_C(0x7f)) {
        tmp[n++] = (uint8_t)((z & 0x7f) | 0x80);
        z >>= 7;
    }
    tmp[n++] = (uint8_t)z;
    return wb_put(b, tmp, n);
}

static int wb_bytes(wbuf *b, const void *data, size_t n)
{
    return wb_long(b, (int64_t)n) || wb_put(b, data, n);
}

static int wb_string(wbuf *b, const char *s)
{
    return wb_bytes(b, s, strlen(s));
}

static int build_header(const mpc_round_message *m, wbuf *b)
{
    uint8_t enc = m->encrypted ? 1 : 0;
    return wb_string(b, HEADER_DOMAIN) || wb_string(b, m->session_id) ||
           wb_string(b, m->protocol) || wb_long(b, m->round) || wb_long(b, m->from) ||
           wb_long(b, m->to) || wb_long(b, m->seq) || wb_string(b, m->kind) ||
           wb_put(b, &enc, 1) || wb_long(b, m->sent_at);
}

int mpc_codec_round_message_header(const mpc_round_message *msg, uint8_t **out,
                                   size_t *out_len)
{
    MPC_ARG_CHECK(msg != NULL);
    MPC_ARG_CHECK(msg->session_id && msg->protocol && msg->kind);
    MPC_ARG_CHECK(out != NULL && out_len != NULL);
    wbuf b = {0};
    if (build_header(msg, &b)) {
        free(b.p);
        return mpc_codec_fail(NULL, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    }
    *out = b.p;
    *out_len = b.len;
    return MPC_CODEC_OK;
}

/* SHA-256 of a || b (b may be NULL when blen is 0). */
static int sha256_2(const void *a, size_t alen, const void *b, size_t blen,
                    uint8_t digest[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, a, alen) == 1 &&
             (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
             EVP_DigestFinal_ex(ctx, digest, &n) == 1 && n == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? MPC_CODEC_OK
              : mpc_codec_fail(NULL, MPC_CODEC_ERR_NOMEM, "", "SHA-256 failed");
}

int mpc_codec_round_message_digest(const mpc_round_message *msg, uint8_t digest[32])
{
    MPC_ARG_CHECK(msg != NULL);
    MPC_ARG_CHECK(msg->session_id && msg->protocol && msg->kind);
    MPC_ARG_CHECK(msg->payload.data != NULL || msg->payload.len == 0);
    MPC_ARG_CHECK(digest != NULL);
    wbuf b = {0};
    /* header || long(len(payload)); the payload itself is hashed in place. */
    if (build_header(msg, &b) || wb_long(&b, (int64_t)msg->payload.len)) {
        free(b.p);
        return mpc_codec_fail(NULL, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    }
    int rc = sha256_2(b.p, b.len, msg->payload.data, msg->payload.len, digest);
    free(b.p);
    return rc;
}

int mpc_codec_auth_digest(const uint8_t *buf, size_t len, uint8_t digest[32],
                          mpc_codec_error *err)
{
    MPC_ARG_CHECK(buf != NULL || len == 0);
    MPC_ARG_CHECK(digest != NULL);
    mpc_codec_clear_error(err);
    const codec_schema *e;
    int rc = mpc_codec_read_header(buf, len, &e, err);
    if (rc != MPC_CODEC_OK)
        return rc;
    size_t nfields = avro_schema_record_size(e->schema);
    if (nfields == 0 ||
        strcmp(avro_schema_record_field_name(e->schema, (int)nfields - 1), "auth") != 0)
        return mpc_codec_fail(err, MPC_CODEC_ERR_WRONG_SCHEMA, "",
                              "%s has no auth field", e->fullname);
    const uint8_t *body = buf + MPC_CODEC_HEADER_LEN;
    size_t blen = len - MPC_CODEC_HEADER_LEN, before_auth;
    /* The whole body must be well formed; then find where auth starts. */
    if ((rc = mpc_codec_prescan(e->schema, body, blen, err)) != MPC_CODEC_OK ||
        (rc = mpc_codec_prescan_fields(e->schema, nfields - 1, body, blen, &before_auth,
                                       err)) != MPC_CODEC_OK)
        return rc;
    static const uint8_t null_branch = 0x00;
    return sha256_2(buf, MPC_CODEC_HEADER_LEN + before_auth, &null_branch, 1, digest);
}
