/* gg_keygen.c - GG18/GG20 key generation as an mpc_party (see gg_keygen.h). */
#include "engine/gg_keygen.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/bn_util.h"
#include "engine/pok.h"
#include "engine/shamir.h"
#include "engine/zk_paillier.h"

typedef struct keygen_state {
    uint16_t t, n, self;
    unsigned char session[32];
    mpc_scalar *coeffs;           /* own polynomial (secret) */
    mpc_point *commitments;       /* n x t */
    gg_paillier_pub *pub;         /* n entries */
    gg_paillier_priv *own;
    gg_keypkg *result;
} keygen_state;

static void keygen_destroy(void *v) {
    keygen_state *s = v;
    if (s == NULL) return;
    if (s->coeffs != NULL) OPENSSL_cleanse(s->coeffs, s->t * sizeof *s->coeffs);
    free(s->coeffs);
    free(s->commitments);
    if (s->pub != NULL)
        for (size_t j = 0; j < s->n; j++) gg_paillier_pub_clear(&s->pub[j]);
    free(s->pub);
    gg_paillier_free(s->own);
    if (s->result != NULL) gg_keypkg_clear(s->result);
    free(s->result);
    free(s);
}

static void kg_context(unsigned char out[32], const keygen_state *s, const char *label,
                       uint16_t prover, uint16_t verifier) {
    unsigned char extra[4] = {(unsigned char)(s->t >> 8), (unsigned char)s->t,
                              (unsigned char)(s->n >> 8), (unsigned char)s->n};
    gg_context(out, label, s->session, prover, verifier, extra, sizeof extra);
}

static mpc_err_code take_round1(mpc_party *p, void *state, uint16_t id,
                                const unsigned char *pl, size_t len) {
    keygen_state *s = state;
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_reader r;
    uint16_t count;
    mpc_pok pok;
    unsigned char c[32];
    gg_paillier_pub *pub = &s->pub[id - 1];
    BN_CTX *bc = BN_CTX_new();
    mpc_err_code rc = MPC_ERR_MALFORMED;
    if (bc == NULL) return MPC_ERR_NOMEM;
    mpc_reader_init(&r, pl, len);
    if (!mpc_read_u16(&r, &count) || count == 0 || count > GG_MAX_PARTIES) goto out;
    if (count != s->t) {
        rc = MPC_ERR_COMMITMENT_COUNT;
        goto out;
    }
    mpc_point *row = &s->commitments[(size_t)(id - 1) * s->t];
    for (size_t k = 0; k < count; k++)
        if (!gg_read_point(ctx, &r, &row[k])) goto out;
    const unsigned char *pb = mpc_read_ptr(&r, MPC_POK_BYTES);
    if (pb == NULL || !mpc_pok_parse(ctx, &pok, pb)) goto out;
    pub->N = BN_new(), pub->N2 = BN_new(), pub->s = BN_new(), pub->t = BN_new();
    if (!pub->N || !pub->N2 || !pub->s || !pub->t) {
        rc = MPC_ERR_NOMEM;
        goto out;
    }
    size_t modlen, prmlen;
    const unsigned char *mod, *prm;
    if (!bn_read(&r, pub->N, 256) || !bn_read(&r, pub->s, 256) || !bn_read(&r, pub->t, 256) ||
        (mod = gg_read_blob(&r, &modlen)) == NULL || (prm = gg_read_blob(&r, &prmlen)) == NULL ||
        !mpc_reader_done(&r) || BN_is_negative(pub->N) || !BN_sqr(pub->N2, pub->N, bc))
        goto out;
    rc = MPC_ERR_BAD_PROOF;
    kg_context(c, s, "keygen-pok", id, 0);
    if (!mpc_pok_verify(ctx, &pok, id, &row[0], GG_CONTEXT_STRING, c, 32)) goto out;
    /* A modulus equal to another party's (our own included) is refused. */
    for (uint16_t j = 1; j <= s->n; j++)
        if (j != id && s->pub[j - 1].N != NULL && BN_cmp(s->pub[j - 1].N, pub->N) == 0) goto out;
    kg_context(c, s, "keygen-mod", id, 0);
    if (!gg_zk_mod_verify(pub->N, c, mod, modlen)) goto out;
    kg_context(c, s, "keygen-prm", id, 0);
    if (!gg_zk_prm_verify(pub, c, prm, prmlen)) goto out;
    rc = MPC_OK;
out:
    BN_CTX_free(bc);
    return rc;
}

static mpc_err_code send_round2(mpc_party *p, keygen_state *s) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_err_code rc = MPC_OK;
    mpc_scalar share;
    for (uint16_t j = 1; j <= s->n && rc == MPC_OK; j++) {
        unsigned char c[32], *fac = NULL, *pl;
        size_t faclen, len;
        mpc_writer w;
        if (j == s->self) continue;
        kg_context(c, s, "keygen-fac", s->self, j);
        rc = gg_zk_fac_prove(ctx, s->own, &s->pub[j - 1], c, &fac, &faclen);
        if (rc != MPC_OK) break;
        mpc_poly_eval(&share, s->coeffs, s->t, j);
        mpc_writer_init(&w);
        gg_write_scalar(&w, &share);
        gg_write_blob(&w, fac, faclen);
        free(fac);
        pl = mpc_writer_take(&w, &len);
        rc = pl == NULL ? MPC_ERR_NOMEM : mpc_party_send(p, 2, j, pl, len);
        if (pl != NULL) OPENSSL_clear_free(pl, len);
    }
    mpc_scalar_clear(&share);
    return rc;
}

static mpc_err_code take_round2(mpc_party *p, keygen_state *s, uint16_t id, mpc_scalar *share) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    size_t len, faclen;
    mpc_reader r;
    unsigned char c[32];
    const unsigned char *pl = mpc_party_payload(p, 2, (size_t)(id - 1), &len), *fac;
    mpc_reader_init(&r, pl, len);
    if (!gg_read_scalar(&r, share) || (fac = gg_read_blob(&r, &faclen)) == NULL ||
        !mpc_reader_done(&r))
        return MPC_ERR_MALFORMED;
    if (!mpc_feldman_verify(ctx, share, s->self, &s->commitments[(size_t)(id - 1) * s->t], s->t))
        return MPC_ERR_BAD_SHARE;
    kg_context(c, s, "keygen-fac", id, s->self);
    if (!gg_zk_fac_verify(s->pub[id - 1].N, &s->own->pub, c, fac, faclen))
        return MPC_ERR_BAD_PROOF;
    return MPC_OK;
}

static mpc_err_code keygen_finish(mpc_party *p, keygen_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_scalar total, share;
    mpc_err_code rc = MPC_OK;
    mpc_poly_eval(&total, s->coeffs, s->t, s->self);
    for (uint16_t j = 1; j <= s->n && rc == MPC_OK; j++) {
        if (j == s->self) continue;
        rc = take_round2(p, s, j, &share);
        if (rc != MPC_OK) *err = (mpc_error){rc, j};
        else mpc_scalar_add(&total, &total, &share);
    }
    mpc_scalar_clear(&share);
    gg_keypkg *kp = rc == MPC_OK ? calloc(1, sizeof *kp) : NULL;
    mpc_point *col = malloc(s->n * sizeof *col), *gc = malloc(s->t * sizeof *gc);
    if (rc == MPC_OK) {
        int ok = kp != NULL && col != NULL && gc != NULL;
        if (ok) {
            kp->id = s->self, kp->t = s->t, kp->n = s->n;
            kp->verifying_shares = calloc(s->n, sizeof *kp->verifying_shares);
            ok = kp->verifying_shares != NULL;
        }
        for (size_t k = 0; k < s->t && ok; k++) {
            for (size_t j = 0; j < s->n; j++) col[j] = s->commitments[j * s->t + k];
            ok = mpc_point_sum(ctx, &gc[k], col, s->n);
        }
        for (uint16_t j = 1; j <= s->n && ok; j++)
            ok = mpc_feldman_eval(ctx, &kp->verifying_shares[j - 1], gc, s->t, j);
        if (ok) {
            kp->group_key = gc[0];
            kp->secret = total;
            kp->paillier = s->pub;
            kp->own = s->own;
            s->pub = NULL;
            s->own = NULL;
            mpc_point chk;
            mpc_point_mul_base(ctx, &chk, &kp->secret);
            if (mpc_point_is_identity(&kp->group_key) ||
                !mpc_point_eq(ctx, &chk, &kp->verifying_shares[s->self - 1]))
                rc = MPC_ERR_INTERNAL;
        } else {
            rc = MPC_ERR_NOMEM;
        }
        if (rc != MPC_OK) *err = (mpc_error){rc, 0};
    }
    free(col);
    free(gc);
    mpc_scalar_clear(&total);
    if (rc != MPC_OK) {
        if (kp != NULL) gg_keypkg_clear(kp);
        free(kp);
        return rc;
    }
    s->result = kp;
    OPENSSL_cleanse(s->coeffs, s->t * sizeof *s->coeffs);
    mpc_party_finish(p);
    return MPC_OK;
}

static mpc_err_code keygen_advance(mpc_party *p, mpc_error *err) {
    keygen_state *s = mpc_party_state(p);
    if (mpc_party_round(p) == 1 && mpc_party_round_ready(p, 1)) {
        mpc_err_code rc = mpc_party_take_round(p, 1, take_round1, s, err);
        if (rc != MPC_OK) return rc;
        rc = send_round2(p, s);
        if (rc != MPC_OK) {
            *err = (mpc_error){rc, 0};
            return rc;
        }
        mpc_party_next_round(p);
    }
    if (mpc_party_round(p) == 2 && mpc_party_round_ready(p, 2)) return keygen_finish(p, s, err);
    return MPC_OK;
}

static const mpc_protocol KEYGEN_PROTOCOL = {
    .protocol = MPC_PROTO_GG_KEYGEN,
    .rounds = 2,
    .broadcast = {1, 0},
    .advance = keygen_advance,
    .destroy = keygen_destroy,
};

static mpc_err_code round1_payload(const mpc_engine_ctx *ctx, keygen_state *s,
                                   unsigned char **pl, size_t *len) {
    const mpc_point *row = &s->commitments[(size_t)(s->self - 1) * s->t];
    unsigned char c[32], buf[MPC_POK_BYTES], *mod = NULL, *prm = NULL;
    size_t modlen = 0, prmlen = 0;
    mpc_pok pok;
    mpc_writer w;
    kg_context(c, s, "keygen-pok", s->self, 0);
    if (!mpc_pok_prove(ctx, &pok, s->self, &s->coeffs[0], &row[0], GG_CONTEXT_STRING, c, 32))
        return MPC_ERR_RNG;
    kg_context(c, s, "keygen-mod", s->self, 0);
    mpc_err_code rc = gg_zk_mod_prove(ctx, s->own, c, &mod, &modlen);
    kg_context(c, s, "keygen-prm", s->self, 0);
    if (rc == MPC_OK) rc = gg_zk_prm_prove(ctx, s->own, c, &prm, &prmlen);
    if (rc == MPC_OK) {
        mpc_writer_init(&w);
        mpc_write_u16(&w, s->t);
        for (size_t k = 0; k < s->t; k++) gg_write_point(ctx, &w, &row[k]);
        if (!mpc_pok_serialize(ctx, buf, &pok)) w.err = 1;
        mpc_write_bytes(&w, buf, MPC_POK_BYTES);
        bn_write(&w, s->own->pub.N);
        bn_write(&w, s->own->pub.s);
        bn_write(&w, s->own->pub.t);
        gg_write_blob(&w, mod, modlen);
        gg_write_blob(&w, prm, prmlen);
        *pl = mpc_writer_take(&w, len);
        if (*pl == NULL) rc = MPC_ERR_NOMEM;
    }
    free(mod);
    free(prm);
    return rc;
}

mpc_err_code gg_keygen_new(const mpc_engine_ctx *ctx, mpc_party **out,
                           const gg_keygen_config *cfg) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && cfg != NULL);
    *out = NULL;
    gg_paillier_priv *own = cfg->paillier;
    if (cfg->n < 1 || cfg->n > GG_MAX_PARTIES || cfg->t < 1 || cfg->t > cfg->n ||
        cfg->self < 1 || cfg->self > cfg->n) {
        gg_paillier_free(own);
        return MPC_ERR_CONFIG;
    }
    if (own == NULL) {
        mpc_err_code rc = gg_paillier_generate(ctx, &own);
        if (rc != MPC_OK) return rc;
    }
    keygen_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        gg_paillier_free(own);
        return MPC_ERR_NOMEM;
    }
    s->own = own;
    s->t = cfg->t, s->n = cfg->n, s->self = cfg->self;
    memcpy(s->session, cfg->session, 32);
    s->coeffs = calloc(s->t, sizeof *s->coeffs);
    s->commitments = calloc((size_t)s->n * s->t, sizeof *s->commitments);
    s->pub = calloc(s->n, sizeof *s->pub);
    uint16_t *ids = malloc(s->n * sizeof *ids);
    if (s->coeffs == NULL || s->commitments == NULL || s->pub == NULL || ids == NULL ||
        !gg_paillier_pub_copy(&s->pub[s->self - 1], &own->pub)) {
        free(ids);
        keygen_destroy(s);
        return MPC_ERR_NOMEM;
    }
    for (uint16_t j = 0; j < s->n; j++) ids[j] = (uint16_t)(j + 1);
    mpc_party *p = mpc_party_create(ctx, &KEYGEN_PROTOCOL, cfg->session, cfg->self, ids, s->n, s);
    free(ids);
    if (p == NULL) return MPC_ERR_NOMEM;
    mpc_err_code rc = MPC_OK;
    for (size_t k = 0; k < s->t && rc == MPC_OK; k++)
        if (!mpc_scalar_random(mpc_engine_rng(ctx), &s->coeffs[k])) rc = MPC_ERR_RNG;
    if (rc == MPC_OK && mpc_scalar_is_zero(&s->coeffs[0])) rc = MPC_ERR_INTERNAL;
    if (rc == MPC_OK) {
        unsigned char *pl = NULL;
        size_t len;
        mpc_feldman_commit(ctx, &s->commitments[(size_t)(s->self - 1) * s->t], s->coeffs, s->t);
        rc = round1_payload(ctx, s, &pl, &len);
        if (rc == MPC_OK) rc = mpc_party_send(p, 1, MPC_BROADCAST, pl, len);
        free(pl);
    }
    if (rc == MPC_OK && mpc_party_start(p) == MPC_PARTY_FAILED) rc = mpc_party_error(p).code;
    if (rc != MPC_OK) {
        mpc_party_free(p);
        return rc;
    }
    *out = p;
    return MPC_OK;
}

mpc_err_code gg_keygen_output(mpc_party *p, gg_keypkg *out) {
    MPC_ARG_CHECK(p != NULL && out != NULL);
    if (mpc_party_protocol(p) != &KEYGEN_PROTOCOL) return MPC_ERR_STATE;
    keygen_state *s = mpc_party_state(p);
    if (mpc_party_status_get(p) != MPC_PARTY_DONE || s == NULL || s->result == NULL)
        return MPC_ERR_STATE;
    *out = *s->result;
    free(s->result);
    s->result = NULL;
    return MPC_OK;
}
