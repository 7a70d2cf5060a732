/* gg_common.c - see gg_common.h. */
#include "engine/gg_common.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <secp256k1_ecdh.h>

#include "engine/bn_util.h"
#include "engine/hash.h"
#include "engine/shamir.h"
#include "engine/transcript.h"

void gg_keypkg_clear(gg_keypkg *kp) {
    if (kp == NULL) return;
    mpc_scalar_clear(&kp->secret);
    if (kp->paillier != NULL)
        for (size_t j = 0; j < kp->n; j++) gg_paillier_pub_clear(&kp->paillier[j]);
    free(kp->paillier);
    free(kp->verifying_shares);
    gg_paillier_free(kp->own);
    memset(kp, 0, sizeof *kp);
}

static int keypkg_alloc(gg_keypkg *kp, uint16_t n) {
    kp->n = n;
    kp->verifying_shares = calloc(n, sizeof *kp->verifying_shares);
    kp->paillier = calloc(n, sizeof *kp->paillier);
    return kp->verifying_shares != NULL && kp->paillier != NULL;
}

mpc_err_code gg_keypkg_serialize(const mpc_engine_ctx *ctx, const gg_keypkg *kp,
                                 unsigned char **out, size_t *len) {
    MPC_ARG_CHECK(ctx != NULL && kp != NULL && out != NULL && len != NULL && kp->own != NULL);
    mpc_writer w;
    unsigned char *own = NULL;
    size_t ownlen = 0;
    *out = NULL;
    if (gg_paillier_serialize(kp->own, &own, &ownlen) != MPC_OK) return MPC_ERR_NOMEM;
    mpc_writer_init(&w);
    mpc_write_u8(&w, GG_KEYPKG_VERSION);
    mpc_write_u16(&w, kp->id);
    mpc_write_u16(&w, kp->t);
    mpc_write_u16(&w, kp->n);
    gg_write_point(ctx, &w, &kp->group_key);
    for (size_t j = 0; j < kp->n; j++) gg_write_point(ctx, &w, &kp->verifying_shares[j]);
    for (size_t j = 0; j < kp->n; j++) {
        bn_write(&w, kp->paillier[j].N);
        bn_write(&w, kp->paillier[j].s);
        bn_write(&w, kp->paillier[j].t);
    }
    gg_write_scalar(&w, &kp->secret);
    gg_write_blob(&w, own, ownlen);
    OPENSSL_clear_free(own, ownlen);
    *out = mpc_writer_take(&w, len);
    return *out != NULL ? MPC_OK : MPC_ERR_NOMEM;
}

mpc_err_code gg_keypkg_parse(const mpc_engine_ctx *ctx, gg_keypkg *out, const unsigned char *in,
                             size_t len) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && (in != NULL || len == 0));
    mpc_reader r;
    uint8_t ver;
    uint16_t n;
    BN_CTX *bc = BN_CTX_new();
    mpc_err_code rc = MPC_ERR_MALFORMED;
    memset(out, 0, sizeof *out);
    if (bc == NULL) return MPC_ERR_NOMEM;
    mpc_reader_init(&r, in, len);
    if (!mpc_read_u8(&r, &ver)) goto out;
    if (ver != GG_KEYPKG_VERSION) {
        rc = MPC_ERR_VERSION;
        goto out;
    }
    if (!mpc_read_u16(&r, &out->id) || !mpc_read_u16(&r, &out->t) || !mpc_read_u16(&r, &n) ||
        n < 1 || out->t < 1 || out->t > n || out->id < 1 || out->id > n)
        goto out;
    if (!keypkg_alloc(out, n)) {
        rc = MPC_ERR_NOMEM;
        goto out;
    }
    if (!gg_read_point(ctx, &r, &out->group_key)) goto out;
    for (size_t j = 0; j < n; j++)
        if (!gg_read_point(ctx, &r, &out->verifying_shares[j])) goto out;
    for (size_t j = 0; j < n; j++) {
        gg_paillier_pub *p = &out->paillier[j];
        p->N = BN_new(), p->s = BN_new(), p->t = BN_new(), p->N2 = BN_new();
        if (!p->N || !p->s || !p->t || !p->N2) {
            rc = MPC_ERR_NOMEM;
            goto out;
        }
        if (!bn_read(&r, p->N, 256) || !bn_read(&r, p->s, 256) || !bn_read(&r, p->t, 256) ||
            BN_is_negative(p->N) || !BN_sqr(p->N2, p->N, bc))
            goto out;
    }
    size_t ownlen;
    const unsigned char *own;
    if (!gg_read_scalar(&r, &out->secret) || (own = gg_read_blob(&r, &ownlen)) == NULL ||
        !mpc_reader_done(&r))
        goto out;
    rc = gg_paillier_parse(&out->own, own, ownlen);
    if (rc != MPC_OK) goto out;
    rc = MPC_ERR_MALFORMED;
    mpc_point chk;
    mpc_point_mul_base(ctx, &chk, &out->secret);
    const gg_paillier_pub *mine = &out->paillier[out->id - 1];
    if (!mpc_point_eq(ctx, &chk, &out->verifying_shares[out->id - 1]) ||
        BN_cmp(mine->N, out->own->pub.N) != 0 || BN_cmp(mine->s, out->own->pub.s) != 0 ||
        BN_cmp(mine->t, out->own->pub.t) != 0)
        goto out;
    rc = MPC_OK;
out:
    BN_CTX_free(bc);
    if (rc != MPC_OK) gg_keypkg_clear(out);
    return rc;
}

mpc_err_code gg_keypkg_dealer(const mpc_engine_ctx *ctx, gg_keypkg *out, uint16_t t, uint16_t n,
                              gg_paillier_priv **keys) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && keys != NULL);
    mpc_scalar secret, *shares = calloc(n ? n : 1, sizeof *shares);
    mpc_err_code rc = MPC_ERR_NOMEM;
    memset(out, 0, n * sizeof *out);
    for (size_t i = 0; i < n; i++) out[i].own = keys[i];
    if (shares == NULL) goto out;
    rc = MPC_ERR_CONFIG;
    if (t < 1 || t > n || n > GG_MAX_PARTIES) goto out;
    rc = MPC_ERR_RNG;
    if (!mpc_scalar_random(mpc_engine_rng(ctx), &secret) ||
        !mpc_shamir_split(ctx, shares, NULL, &secret, t, n))
        goto out;
    rc = MPC_ERR_NOMEM;
    for (uint16_t i = 0; i < n; i++) {
        gg_keypkg *kp = &out[i];
        kp->id = (uint16_t)(i + 1);
        kp->t = t;
        if (!keypkg_alloc(kp, n)) goto out;
        kp->secret = shares[i];
        mpc_point_mul_base(ctx, &kp->group_key, &secret);
        for (size_t j = 0; j < n; j++) {
            mpc_point_mul_base(ctx, &kp->verifying_shares[j], &shares[j]);
            if (!gg_paillier_pub_copy(&kp->paillier[j], &keys[j]->pub)) goto out;
        }
    }
    rc = MPC_OK;
out:
    mpc_scalar_clear(&secret);
    if (shares != NULL) OPENSSL_cleanse(shares, n * sizeof *shares);
    free(shares);
    if (rc != MPC_OK)
        for (size_t i = 0; i < n; i++) gg_keypkg_clear(&out[i]);
    return rc;
}

void gg_context(unsigned char out32[32], const char *label, const unsigned char session[32],
                uint16_t a, uint16_t b, const unsigned char *extra, size_t extralen) {
    mpc_transcript t;
    mpc_transcript_init(&t, "GG-context-v1");
    mpc_transcript_append(&t, "label", (const unsigned char *)label, strlen(label));
    mpc_transcript_append(&t, "session", session, 32);
    mpc_transcript_append_u64(&t, "prover", a);
    mpc_transcript_append_u64(&t, "verifier", b);
    mpc_transcript_append(&t, "extra", extra, extralen);
    mpc_transcript_digest(&t, out32);
}

/* ECDH hash callback returning the compressed point. */
static int ecdh_point(unsigned char *out, const unsigned char *x32, const unsigned char *y32,
                      void *data) {
    (void)data;
    out[0] = (unsigned char)(0x02 | (y32[31] & 1));
    memcpy(out + 1, x32, 32);
    return 1;
}

void gg_point_mul_secret(const mpc_engine_ctx *ctx, mpc_point *r, const mpc_point *P,
                         const mpc_scalar *k) {
    unsigned char buf[33];
    MPC_ARG_CHECK(r != NULL && P != NULL && k != NULL && !mpc_point_is_identity(P));
    /* ecdh rejects a zero scalar: the identity is returned then. */
    if (!secp256k1_ecdh(mpc_engine_secp(ctx), buf, &P->pk, k->b, ecdh_point, NULL) ||
        !mpc_point_parse(ctx, r, buf))
        mpc_point_set_identity(r);
    OPENSSL_cleanse(buf, sizeof buf);
}

void gg_point_h(const mpc_engine_ctx *ctx, mpc_point *H) {
    static const char tag[] = "GG-secp256k1-v1 H";
    unsigned char buf[33];
    for (uint32_t ctr = 0;; ctr++) {
        unsigned char c[4] = {(unsigned char)(ctr >> 24), (unsigned char)(ctr >> 16),
                              (unsigned char)(ctr >> 8), (unsigned char)ctr};
        mpc_bytes parts[2] = {{(const unsigned char *)tag, sizeof tag - 1}, {c, 4}};
        buf[0] = 0x02;
        mpc_sha256(buf + 1, parts, 2);
        if (mpc_point_parse(ctx, H, buf)) return;
    }
}

void gg_write_blob(mpc_writer *w, const unsigned char *p, size_t len) {
    if (len > 0xFFFFFFFFu) {
        w->err = 1;
        return;
    }
    mpc_write_u32(w, (uint32_t)len);
    mpc_write_bytes(w, p, len);
}

const unsigned char *gg_read_blob(mpc_reader *r, size_t *len) {
    uint32_t l;
    *len = 0;
    if (!mpc_read_u32(r, &l)) return NULL;
    const unsigned char *p = mpc_read_ptr(r, l);
    if (p != NULL) *len = l;
    return p;
}

void gg_write_point(const mpc_engine_ctx *ctx, mpc_writer *w, const mpc_point *p) {
    unsigned char b[33];
    if (!mpc_point_serialize(ctx, b, p)) w->err = 1;
    mpc_write_bytes(w, b, 33);
}

int gg_read_point(const mpc_engine_ctx *ctx, mpc_reader *r, mpc_point *p) {
    const unsigned char *b = mpc_read_ptr(r, 33);
    return b != NULL && mpc_point_parse(ctx, p, b);
}

void gg_write_scalar(mpc_writer *w, const mpc_scalar *s) {
    unsigned char b[32];
    mpc_scalar_serialize(b, s);
    mpc_write_bytes(w, b, 32);
    OPENSSL_cleanse(b, 32);
}

int gg_read_scalar(mpc_reader *r, mpc_scalar *s) {
    const unsigned char *b = mpc_read_ptr(r, 32);
    return b != NULL && mpc_scalar_parse(s, b);
}
