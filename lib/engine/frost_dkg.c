/* frost_dkg.c - the FROST Pedersen DKG as an mpc_party protocol. */
#include "engine/frost_dkg.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/frost.h"
#include "engine/shamir.h"
#include "engine/transcript.h"
#include "engine/wire.h"

typedef struct dkg_state {
    uint16_t t, n, self;
    unsigned char context[32];
    mpc_scalar *coeffs;       /* own polynomial, t entries (secret) */
    mpc_point *commitments;   /* n x t, row j-1 = party j's commitments */
    frost_keypkg *result;     /* set when done */
} dkg_state;

static void dkg_destroy(void *v) {
    dkg_state *s = v;
    if (s == NULL) return;
    if (s->coeffs != NULL) {
        OPENSSL_cleanse(s->coeffs, s->t * sizeof *s->coeffs);
        free(s->coeffs);
    }
    free(s->commitments);
    if (s->result != NULL) {
        frost_keypkg_clear(s->result);
        free(s->result);
    }
    free(s);
}

void frost_dkg_context(unsigned char out32[32], const unsigned char session[32], uint16_t t,
                       uint16_t n) {
    mpc_transcript tr;
    mpc_transcript_init(&tr, "FROST-secp256k1-DKG-v1");
    mpc_transcript_append(&tr, "session", session, 32);
    mpc_transcript_append_u64(&tr, "t", t);
    mpc_transcript_append_u64(&tr, "n", n);
    mpc_transcript_digest(&tr, out32);
}

mpc_err_code frost_dkg_check_round1(const mpc_engine_ctx *ctx, uint16_t sender,
                                    const mpc_point *commitments, size_t count, uint16_t t,
                                    const mpc_pok *pok, const unsigned char *context,
                                    size_t ctxlen) {
    if (count != t) return MPC_ERR_COMMITMENT_COUNT;
    if (!mpc_pok_verify(ctx, pok, sender, &commitments[0], FROST_CONTEXT_RFC9591, context, ctxlen))
        return MPC_ERR_BAD_PROOF;
    return MPC_OK;
}

/* Parse and check party id's round-1 payload into its commitment row. */
static mpc_err_code dkg_take_round1(mpc_party *p, void *state, uint16_t id,
                                    const unsigned char *pl, size_t len) {
    dkg_state *s = state;
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_reader r;
    uint16_t count;
    mpc_pok pok;
    mpc_reader_init(&r, pl, len);
    if (!mpc_read_u16(&r, &count) || count == 0 || count > FROST_MAX_PARTIES ||
        mpc_reader_remaining(&r) != (size_t)count * 33 + MPC_POK_BYTES)
        return MPC_ERR_MALFORMED;
    if (count != s->t) return MPC_ERR_COMMITMENT_COUNT;
    mpc_point *row = &s->commitments[(size_t)(id - 1) * s->t];
    for (size_t k = 0; k < count; k++)
        if (!mpc_point_parse(ctx, &row[k], mpc_read_ptr(&r, 33))) return MPC_ERR_MALFORMED;
    if (!mpc_pok_parse(ctx, &pok, mpc_read_ptr(&r, MPC_POK_BYTES))) return MPC_ERR_MALFORMED;
    return frost_dkg_check_round1(ctx, id, row, count, s->t, &pok, s->context, 32);
}

static mpc_err_code dkg_send_shares(mpc_party *p, dkg_state *s) {
    unsigned char buf[32];
    mpc_scalar share;
    mpc_err_code rc = MPC_OK;
    for (uint16_t j = 1; j <= s->n && rc == MPC_OK; j++) {
        if (j == s->self) continue;
        mpc_poly_eval(&share, s->coeffs, s->t, j);
        mpc_scalar_serialize(buf, &share);
        rc = mpc_party_send(p, 2, j, buf, 32);
    }
    mpc_scalar_clear(&share);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

static mpc_err_code dkg_finish(mpc_party *p, dkg_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_scalar total, share;
    mpc_err_code rc = MPC_OK;
    mpc_poly_eval(&total, s->coeffs, s->t, s->self);
    for (uint16_t j = 1; j <= s->n && rc == MPC_OK; j++) {
        size_t len;
        if (j == s->self) continue;
        const unsigned char *pl = mpc_party_payload(p, 2, (size_t)(j - 1), &len);
        const mpc_point *row = &s->commitments[(size_t)(j - 1) * s->t];
        if (len != 32 || !mpc_scalar_parse(&share, pl)) rc = MPC_ERR_MALFORMED;
        else if (!mpc_feldman_verify(ctx, &share, s->self, row, s->t)) rc = MPC_ERR_BAD_SHARE;
        else mpc_scalar_add(&total, &total, &share);
        if (rc != MPC_OK) *err = (mpc_error){rc, j};
    }
    mpc_scalar_clear(&share);
    if (rc != MPC_OK) {
        mpc_scalar_clear(&total);
        return rc;
    }
    /* Group polynomial commitments C_k = sum_j C_jk; Y = C_0, Y_j = F(j). */
    frost_keypkg *kp = calloc(1, sizeof *kp);
    mpc_point *col = malloc(s->n * sizeof *col), *gc = malloc(s->t * sizeof *gc);
    int ok = kp != NULL && col != NULL && gc != NULL;
    for (size_t k = 0; k < s->t && ok; k++) {
        for (size_t j = 0; j < s->n; j++) col[j] = s->commitments[j * s->t + k];
        ok = mpc_point_sum(ctx, &gc[k], col, s->n);
    }
    if (ok) {
        kp->id = s->self;
        kp->t = s->t;
        kp->n = s->n;
        kp->secret = total;
        kp->group_key = gc[0];
        for (uint16_t j = 1; j <= s->n && ok; j++)
            ok = mpc_feldman_eval(ctx, &kp->verifying_shares[j - 1], gc, s->t, j);
    }
    mpc_scalar_clear(&total);
    free(col);
    free(gc);
    if (!ok) {
        frost_keypkg_clear(kp);
        free(kp);
        *err = (mpc_error){MPC_ERR_NOMEM, 0};
        return MPC_ERR_NOMEM;
    }
    mpc_point chk;
    mpc_point_mul_base(ctx, &chk, &kp->secret);
    if (mpc_point_is_identity(&kp->group_key) ||
        !mpc_point_eq(ctx, &chk, &kp->verifying_shares[s->self - 1])) {
        /* Cannot happen when every share verified; keep the invariant. */
        frost_keypkg_clear(kp);
        free(kp);
        *err = (mpc_error){MPC_ERR_INTERNAL, 0};
        return MPC_ERR_INTERNAL;
    }
    s->result = kp;
    OPENSSL_cleanse(s->coeffs, s->t * sizeof *s->coeffs);
    mpc_party_finish(p);
    return MPC_OK;
}

static mpc_err_code dkg_advance(mpc_party *p, mpc_error *err) {
    dkg_state *s = mpc_party_state(p);
    if (mpc_party_round(p) == 1 && mpc_party_round_ready(p, 1)) {
        mpc_err_code rc = mpc_party_take_round(p, 1, dkg_take_round1, s, err);
        if (rc != MPC_OK) return rc;
        rc = dkg_send_shares(p, s);
        if (rc != MPC_OK) {
            *err = (mpc_error){rc, 0};
            return rc;
        }
        mpc_party_next_round(p);
    }
    if (mpc_party_round(p) == 2 && mpc_party_round_ready(p, 2)) return dkg_finish(p, s, err);
    return MPC_OK;
}

static const mpc_protocol DKG_PROTOCOL = {
    .protocol = MPC_PROTO_FROST_DKG,
    .rounds = 2,
    .broadcast = {1, 0},
    .advance = dkg_advance,
    .destroy = dkg_destroy,
};

mpc_err_code frost_dkg_new(const mpc_engine_ctx *ctx, mpc_party **out, const frost_dkg_config *cfg) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && cfg != NULL);
    *out = NULL;
    if (cfg->n < 1 || cfg->n > FROST_MAX_PARTIES || cfg->t < 1 || cfg->t > cfg->n ||
        cfg->self < 1 || cfg->self > cfg->n)
        return MPC_ERR_CONFIG;
    dkg_state *s = calloc(1, sizeof *s);
    uint16_t ids[FROST_MAX_PARTIES];
    if (s == NULL) return MPC_ERR_NOMEM;
    s->t = cfg->t;
    s->n = cfg->n;
    s->self = cfg->self;
    frost_dkg_context(s->context, cfg->session, cfg->t, cfg->n);
    s->coeffs = calloc(s->t, sizeof *s->coeffs);
    s->commitments = calloc((size_t)s->n * s->t, sizeof *s->commitments);
    if (s->coeffs == NULL || s->commitments == NULL) {
        dkg_destroy(s);
        return MPC_ERR_NOMEM;
    }
    for (uint16_t j = 0; j < s->n; j++) ids[j] = (uint16_t)(j + 1);
    mpc_party *p = mpc_party_create(ctx, &DKG_PROTOCOL, cfg->session, cfg->self, ids, s->n, s);
    if (p == NULL) return MPC_ERR_NOMEM;

    /* Round 1: polynomial, commitments, proof of knowledge of a_0. */
    mpc_err_code rc = MPC_OK;
    mpc_point *row = &s->commitments[(size_t)(s->self - 1) * s->t];
    mpc_pok pok;
    for (size_t k = 0; k < s->t && rc == MPC_OK; k++) {
        if (!mpc_scalar_random(mpc_engine_rng(ctx), &s->coeffs[k])) rc = MPC_ERR_RNG;
    }
    if (rc == MPC_OK && mpc_scalar_is_zero(&s->coeffs[0])) rc = MPC_ERR_INTERNAL;
    if (rc == MPC_OK) {
        mpc_feldman_commit(ctx, row, s->coeffs, s->t);
        if (!mpc_pok_prove(ctx, &pok, s->self, &s->coeffs[0], &row[0], FROST_CONTEXT_RFC9591,
                           s->context, 32))
            rc = MPC_ERR_RNG;
    }
    if (rc == MPC_OK) {
        mpc_writer w;
        unsigned char buf[MPC_POK_BYTES];
        mpc_writer_init(&w);
        mpc_write_u16(&w, s->t);
        for (size_t k = 0; k < s->t; k++) {
            if (!mpc_point_serialize(ctx, buf, &row[k])) w.err = 1;
            mpc_write_bytes(&w, buf, 33);
        }
        if (!mpc_pok_serialize(ctx, buf, &pok)) w.err = 1;
        mpc_write_bytes(&w, buf, MPC_POK_BYTES);
        size_t len;
        unsigned char *pl = mpc_writer_take(&w, &len);
        rc = pl == NULL ? MPC_ERR_NOMEM : mpc_party_send(p, 1, MPC_BROADCAST, pl, len);
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

mpc_err_code frost_dkg_output(const mpc_party *p, frost_keypkg *out) {
    MPC_ARG_CHECK(p != NULL && out != NULL);
    if (mpc_party_protocol(p) != &DKG_PROTOCOL) return MPC_ERR_STATE;
    dkg_state *s = mpc_party_state(p);
    if (mpc_party_status_get(p) != MPC_PARTY_DONE || s == NULL || s->result == NULL)
        return MPC_ERR_STATE;
    *out = *s->result;
    return MPC_OK;
}
