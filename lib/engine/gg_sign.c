/* gg_sign.c - GG18 signing, GG20 presigning and GG20 online signing as
 * mpc_party protocols (see gg18.h, gg20.h). Rounds 1-4 are shared. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/bn_util.h"
#include "engine/gg18.h"
#include "engine/gg20.h"
#include "engine/gg20_ident.h"
#include "engine/gg_faults.h"
#include "engine/mta.h"
#include "engine/pok.h"
#include "engine/shamir.h"
#include "engine/transcript.h"
#include "engine/zk_range.h"

#define PRESIG_MAGIC 0x47473230u /* "GG20" */

struct gg20_presig {
    uint32_t magic;
    uint16_t self;
    size_t ns;
    uint16_t ids[GG_MAX_PARTIES];
    mpc_point Y, R;
    mpc_scalar r, k, sigma;
    mpc_point Rbar[GG_MAX_PARTIES], S[GG_MAX_PARTIES];
};

enum { KIND_GG18 = 18, KIND_GG20 = 20 };

typedef struct sign_state {
    int kind;
    const gg_keypkg *kp;
    unsigned char session[32], msg[32];
    mpc_scalar m;
    size_t ns, me;
    uint16_t ids[GG_MAX_PARTIES];
    mpc_scalar w, k, gamma, delta, sigma, lT, s_i, l5, rho5, *beta, *nu;
    mpc_point *W, *Gam, *T, *V, *A, *U, *TT, Gamma, H, R, Vsum, Asum;
    mpc_scalar r;
    unsigned char blind[32], blind5[32], blind7[32];
    unsigned char (*com)[32], (*com5)[32], (*com7)[32];
    BIGNUM **c, *r_own;
    gg_signature sig;
    int have_sig;
    gg20_presig *presig;
    /* GG20 identification (gg20_ident.h) */
    BIGNUM *(*ans)[2];            /* [j][kind]: the c_B received from j */
    unsigned char (*dig)[2][32];  /* [bob * ns + alice][kind]: broadcast digests */
    mpc_scalar *dl;               /* every party's broadcast delta_j */
    unsigned char *reveal;        /* own round-6 payload (secret until sent) */
    size_t reveal_len;
    unsigned faults;              /* GG_FAULT_* (MPC_ENGINE_FAULTS builds only) */
} sign_state;

#ifdef MPC_ENGINE_FAULTS
#define FAULT(s, f) (((s)->faults & (f)) != 0)
#else
#define FAULT(s, f) 0
#endif

static void sign_destroy(void *v) {
    sign_state *s = v;
    if (s == NULL) return;
    if (s->c != NULL)
        for (size_t j = 0; j < s->ns; j++) BN_free(s->c[j]);
    free(s->c);
    BN_clear_free(s->r_own);
    if (s->beta) OPENSSL_cleanse(s->beta, s->ns * sizeof *s->beta);
    if (s->nu) OPENSSL_cleanse(s->nu, s->ns * sizeof *s->nu);
    free(s->beta), free(s->nu), free(s->W), free(s->Gam), free(s->T), free(s->V), free(s->A);
    free(s->U), free(s->TT), free(s->com), free(s->com5), free(s->com7);
    if (s->ans != NULL)
        for (size_t j = 0; j < s->ns; j++) BN_free(s->ans[j][0]), BN_free(s->ans[j][1]);
    free(s->ans), free(s->dig), free(s->dl);
    OPENSSL_clear_free(s->reveal, s->reveal_len);
    gg20_presig_free(s->presig);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

/* ---- helpers ---- */

/* Out: G1 = the group's generator G. */
static void generator(const mpc_engine_ctx *ctx, mpc_point *G1) {
    mpc_scalar one;
    mpc_scalar_set_u32(&one, 1);
    mpc_point_mul_base(ctx, G1, &one);
}

/* x += 1 (the test-only faults' deviation, engine/gg_faults.h). */
static void add_one(mpc_scalar *x) {
    mpc_scalar one;
    mpc_scalar_set_u32(&one, 1);
    mpc_scalar_add(x, x, &one);
}

static void commit(const mpc_engine_ctx *ctx, unsigned char out[32], const sign_state *s,
                   const char *label, uint16_t id, const mpc_point *p1, const mpc_point *p2,
                   const unsigned char blind[32]) {
    unsigned char b[33];
    mpc_transcript t;
    mpc_transcript_init(&t, "GG-commit-v1");
    mpc_transcript_append(&t, "label", (const unsigned char *)label, strlen(label));
    mpc_transcript_append(&t, "session", s->session, 32);
    mpc_transcript_append_u64(&t, "id", id);
    MPC_IGNORE(mpc_point_serialize(ctx, b, p1));
    mpc_transcript_append(&t, "p1", b, 33);
    if (p2 != NULL) {
        MPC_IGNORE(mpc_point_serialize(ctx, b, p2));
        mpc_transcript_append(&t, "p2", b, 33);
    }
    mpc_transcript_append(&t, "blind", blind, 32);
    mpc_transcript_digest(&t, out);
}

static void sctx(unsigned char out[32], const sign_state *s, const char *label, uint16_t a,
                 uint16_t b) {
    unsigned char extra[2 * GG_MAX_PARTIES];
    for (size_t j = 0; j < s->ns; j++) {
        extra[2 * j] = (unsigned char)(s->ids[j] >> 8);
        extra[2 * j + 1] = (unsigned char)s->ids[j];
    }
    gg_context(out, label, s->session, a, b, extra, 2 * s->ns);
}

/* Sigma proof of (x, y) with P = x B1 + y B2 and optionally Q = x B3.
 * Encoding: A1 | [A2] | z1 | z2. */
static int lin_prove(const mpc_engine_ctx *ctx, mpc_writer *w, const unsigned char c32[32],
                     const mpc_point *P, const mpc_point *B1, const mpc_point *B2,
                     const mpc_scalar *x, const mpc_scalar *y, const mpc_point *Q,
                     const mpc_point *B3) {
    mpc_scalar a, b, c, z;
    mpc_point A1, A2, t;
    unsigned char buf[33];
    if (!mpc_scalar_random(mpc_engine_rng(ctx), &a) || !mpc_scalar_random(mpc_engine_rng(ctx), &b))
        return 0;
    gg_point_mul_secret(ctx, &A1, B1, &a);
    gg_point_mul_secret(ctx, &t, B2, &b);
    mpc_point_add(ctx, &A1, &A1, &t);
    if (Q != NULL) gg_point_mul_secret(ctx, &A2, B3, &a);
    mpc_transcript tr;
    mpc_transcript_init(&tr, "GG-zk-lin-v1");
    mpc_transcript_append(&tr, "context", c32, 32);
    const mpc_point *pts[] = {P, B1, B2, Q, B3, &A1, Q ? &A2 : NULL};
    for (int i = 0; i < 7; i++) {
        int have = pts[i] != NULL && mpc_point_serialize(ctx, buf, pts[i]);
        mpc_transcript_append(&tr, "pt", buf, have ? 33 : 0);
    }
    mpc_transcript_challenge(&tr, &c);
    gg_write_point(ctx, w, &A1);
    if (Q != NULL) gg_write_point(ctx, w, &A2);
    mpc_scalar_mul(&z, &c, x);
    mpc_scalar_add(&z, &z, &a);
    gg_write_scalar(w, &z);
    mpc_scalar_mul(&z, &c, y);
    mpc_scalar_add(&z, &z, &b);
    gg_write_scalar(w, &z);
    mpc_scalar_clear(&a), mpc_scalar_clear(&b), mpc_scalar_clear(&z);
    return 1;
}

static int lin_verify(const mpc_engine_ctx *ctx, mpc_reader *r, const unsigned char c32[32],
                      const mpc_point *P, const mpc_point *B1, const mpc_point *B2,
                      const mpc_point *Q, const mpc_point *B3) {
    mpc_scalar c, z1, z2;
    mpc_point A1, A2, l, t;
    unsigned char buf[33];
    if (!gg_read_point(ctx, r, &A1) || (Q != NULL && !gg_read_point(ctx, r, &A2)) ||
        !gg_read_scalar(r, &z1) || !gg_read_scalar(r, &z2))
        return 0;
    mpc_transcript tr;
    mpc_transcript_init(&tr, "GG-zk-lin-v1");
    mpc_transcript_append(&tr, "context", c32, 32);
    const mpc_point *pts[] = {P, B1, B2, Q, B3, &A1, Q ? &A2 : NULL};
    for (int i = 0; i < 7; i++) {
        int have = pts[i] != NULL && mpc_point_serialize(ctx, buf, pts[i]);
        mpc_transcript_append(&tr, "pt", buf, have ? 33 : 0);
    }
    mpc_transcript_challenge(&tr, &c);
    mpc_point_mul(ctx, &l, B1, &z1);
    mpc_point_mul(ctx, &t, B2, &z2);
    mpc_point_add(ctx, &l, &l, &t);
    mpc_point_mul(ctx, &t, P, &c);
    mpc_point_add(ctx, &t, &t, &A1);
    if (!mpc_point_eq(ctx, &l, &t)) return 0;
    if (Q != NULL) {
        mpc_point_mul(ctx, &l, B3, &z1);
        mpc_point_mul(ctx, &t, Q, &c);
        mpc_point_add(ctx, &t, &t, &A2);
        if (!mpc_point_eq(ctx, &l, &t)) return 0;
    }
    return 1;
}

static mpc_err_code send_writer(mpc_party *p, uint8_t round, uint16_t to, mpc_writer *w) {
    size_t len;
    unsigned char *pl = mpc_writer_take(w, &len);
    if (pl == NULL) return MPC_ERR_NOMEM;
    mpc_err_code rc = mpc_party_send(p, round, to, pl, len);
    OPENSSL_clear_free(pl, len);
    return rc;
}

#define FAIL(code, who)                       \
    do {                                      \
        *err = (mpc_error){(code), (who)};    \
        return (code);                        \
    } while (0)

static const gg_paillier_pub *pub_of(const sign_state *s, size_t j) {
    return &s->kp->paillier[s->ids[j] - 1];
}

/* Bob (GG20): the digests of the answers just made for index j, to be
 * broadcast in round 4 (gg20_ident.h). */
static mpc_err_code answer_digests(sign_state *s, size_t j, const unsigned char *m1, size_t l1,
                                   const unsigned char *m2, size_t l2) {
    BIGNUM *cB = BN_new();
    const unsigned char *msg[2] = {m1, m2};
    size_t len[2] = {l1, l2};
    int ok = cB != NULL;
    for (int kind = GG20_ANSWER_GAMMA; kind <= GG20_ANSWER_W && ok; kind++)
        ok = gg_mta_answer_ciphertext(msg[kind], len[kind], cB) &&
             gg20_answer_digest(s->dig[s->me * s->ns + j][kind], s->session, s->ids[s->me],
                                s->ids[j], kind, pub_of(s, j), cB);
    BN_free(cB);
    return ok ? MPC_OK : MPC_ERR_NOMEM;
}

/* ---- rounds ---- */

static mpc_err_code round1_send(mpc_party *p, sign_state *s) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_writer w;
    if (!mpc_scalar_random(mpc_engine_rng(ctx), &s->k) ||
        !mpc_scalar_random(mpc_engine_rng(ctx), &s->gamma) ||
        !mpc_engine_random(ctx, s->blind, 32))
        return MPC_ERR_RNG;
    if (mpc_scalar_is_zero(&s->k) || mpc_scalar_is_zero(&s->gamma)) return MPC_ERR_INTERNAL;
    mpc_point_mul_base(ctx, &s->Gamma, &s->gamma);
    s->Gam[s->me] = s->Gamma;
    commit(ctx, s->com[s->me], s, "Gamma", s->ids[s->me], &s->Gamma, NULL, s->blind);
    s->c[s->me] = BN_new();
    s->r_own = bn_secret_new();
    if (s->c[s->me] == NULL || s->r_own == NULL) return MPC_ERR_NOMEM;
    mpc_err_code rc = gg_mta_encrypt(ctx, s->kp->own, &s->k, s->c[s->me], s->r_own);
    if (rc != MPC_OK) return rc;
    mpc_writer_init(&w);
    mpc_write_bytes(&w, s->com[s->me], 32);
    bn_write(&w, s->c[s->me]);
    return send_writer(p, 1, MPC_BROADCAST, &w);
}

static mpc_err_code round1_take(mpc_party *p, sign_state *s, mpc_error *err) {
    BN_CTX *bc = BN_CTX_new();
    if (bc == NULL) FAIL(MPC_ERR_NOMEM, 0);
    for (size_t j = 0; j < s->ns; j++) {
        if (j == s->me) continue;
        size_t len;
        mpc_reader r;
        const unsigned char *pl = mpc_party_payload(p, 1, j, &len);
        mpc_reader_init(&r, pl, len);
        s->c[j] = BN_new();
        if (s->c[j] == NULL) {
            BN_CTX_free(bc);
            FAIL(MPC_ERR_NOMEM, 0);
        }
        if (!mpc_read_bytes(&r, s->com[j], 32) || !bn_read(&r, s->c[j], 600) ||
            !mpc_reader_done(&r) || !gg_paillier_is_ciphertext(pub_of(s, j), s->c[j], bc)) {
            BN_CTX_free(bc);
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        }
    }
    BN_CTX_free(bc);
    /* round 2: range proof of c_i towards every j */
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    BIGNUM *m = bn_secret_new();
    mpc_err_code rc = m != NULL && bn_from_scalar(m, &s->k) ? MPC_OK : MPC_ERR_NOMEM;
    for (size_t j = 0; j < s->ns && rc == MPC_OK; j++) {
        unsigned char c32[32], *pf;
        size_t len;
        if (j == s->me) continue;
        sctx(c32, s, "sign-enc", s->ids[s->me], s->ids[j]);
        rc = gg_zk_enc_prove(ctx, s->kp->own, pub_of(s, j), c32, s->c[s->me], m, s->r_own, NULL,
                             NULL, &pf, &len);
        if (rc == MPC_OK) {
            rc = mpc_party_send(p, 2, s->ids[j], pf, len);
            free(pf);
        }
    }
    BN_clear_free(m);
    if (rc != MPC_OK) FAIL(rc, 0);
    return MPC_OK;
}

static mpc_err_code round2_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char c32[32];
        size_t len;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, 2, j, &len);
        sctx(c32, s, "sign-enc", s->ids[j], s->ids[s->me]);
        if (!gg_zk_enc_verify(ctx, pub_of(s, j), s->kp->own, c32, s->c[j], NULL, NULL, pl, len))
            FAIL(MPC_ERR_BAD_PROOF, s->ids[j]);
    }
    /* round 3: MtA(k_j, gamma_i) and MtAwc(k_j, w_i) as Bob */
    mpc_scalar b = s->gamma;
    if (FAULT(s, GG_FAULT_MTA_GAMMA)) {
        add_one(&b);
    }
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char c32[32], *m1, *m2;
        size_t l1, l2;
        mpc_writer w;
        if (j == s->me) continue;
        sctx(c32, s, "sign-mta", s->ids[s->me], s->ids[j]);
        mpc_err_code rc = gg_mta_respond(ctx, pub_of(s, j), c32, s->c[j], &b, 0, &s->beta[j],
                                         &m1, &l1);
        if (rc != MPC_OK) {
            mpc_scalar_clear(&b);
            FAIL(rc, 0);
        }
        sctx(c32, s, "sign-mtawc", s->ids[s->me], s->ids[j]);
        rc = gg_mta_respond(ctx, pub_of(s, j), c32, s->c[j], &s->w, 1, &s->nu[j], &m2, &l2);
        if (rc == MPC_OK && s->kind == KIND_GG20)
            rc = answer_digests(s, j, m1, l1, m2, l2);
        if (rc != MPC_OK) {
            free(m1), free(m2);
            mpc_scalar_clear(&b);
            FAIL(rc, 0);
        }
        if (FAULT(s, GG_FAULT_NU) && j == (s->me == 0 ? 1u : 0u)) {
            add_one(&s->nu[j]);
        }
        mpc_writer_init(&w);
        gg_write_blob(&w, m1, l1);
        gg_write_blob(&w, m2, l2);
        free(m1), free(m2);
        rc = send_writer(p, 3, s->ids[j], &w);
        if (rc != MPC_OK) {
            mpc_scalar_clear(&b);
            FAIL(rc, 0);
        }
    }
    mpc_scalar_clear(&b);
    return MPC_OK;
}

static mpc_err_code round3_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_scalar alpha, mu;
    mpc_scalar_mul(&s->delta, &s->k, &s->gamma);
    mpc_scalar_mul(&s->sigma, &s->k, &s->w);
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char c32[32];
        size_t len, l1, l2;
        mpc_reader r;
        const unsigned char *m1, *m2;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, 3, j, &len);
        mpc_reader_init(&r, pl, len);
        if ((m1 = gg_read_blob(&r, &l1)) == NULL || (m2 = gg_read_blob(&r, &l2)) == NULL ||
            !mpc_reader_done(&r))
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        sctx(c32, s, "sign-mta", s->ids[j], s->ids[s->me]);
        mpc_err_code rc = gg_mta_finish(ctx, s->kp->own, c32, s->c[s->me], NULL, m1, l1, &alpha);
        if (rc == MPC_OK) {
            sctx(c32, s, "sign-mtawc", s->ids[j], s->ids[s->me]);
            rc = gg_mta_finish(ctx, s->kp->own, c32, s->c[s->me], &s->W[j], m2, l2, &mu);
        }
        if (rc != MPC_OK) FAIL(rc, rc == MPC_ERR_NOMEM ? 0 : s->ids[j]);
        if (s->kind == KIND_GG20) {
            s->ans[j][GG20_ANSWER_GAMMA] = BN_new();
            s->ans[j][GG20_ANSWER_W] = BN_new();
            if (s->ans[j][0] == NULL || s->ans[j][1] == NULL ||
                !gg_mta_answer_ciphertext(m1, l1, s->ans[j][GG20_ANSWER_GAMMA]) ||
                !gg_mta_answer_ciphertext(m2, l2, s->ans[j][GG20_ANSWER_W]))
                FAIL(MPC_ERR_NOMEM, 0);
        }
        mpc_scalar_add(&s->delta, &s->delta, &alpha);
        mpc_scalar_add(&s->delta, &s->delta, &s->beta[j]);
        mpc_scalar_add(&s->sigma, &s->sigma, &mu);
        mpc_scalar_add(&s->sigma, &s->sigma, &s->nu[j]);
    }
    mpc_scalar_clear(&alpha), mpc_scalar_clear(&mu);
    if (FAULT(s, GG_FAULT_DELTA) || FAULT(s, GG_FAULT_SIGMA)) {
        if (FAULT(s, GG_FAULT_DELTA)) add_one(&s->delta);
        if (FAULT(s, GG_FAULT_SIGMA)) add_one(&s->sigma);
    }
    /* round 4: delta_i, decommit Gamma_i, PoK(gamma_i) [, T_i + proof, answer digests] */
    unsigned char c32[32], pb[MPC_POK_BYTES];
    mpc_pok pok;
    mpc_writer w;
    sctx(c32, s, "sign-pok-gamma", s->ids[s->me], 0);
    if (!mpc_pok_prove(ctx, &pok, s->ids[s->me], &s->gamma, &s->Gamma, GG_CONTEXT_STRING, c32, 32))
        FAIL(MPC_ERR_RNG, 0);
    mpc_writer_init(&w);
    gg_write_scalar(&w, &s->delta);
    gg_write_point(ctx, &w, &s->Gamma);
    mpc_write_bytes(&w, s->blind, 32);
    if (!mpc_pok_serialize(ctx, pb, &pok)) w.err = 1;
    mpc_write_bytes(&w, pb, MPC_POK_BYTES);
    if (s->kind == KIND_GG20) {
        mpc_point G1, t;
        generator(ctx, &G1);
        if (!mpc_scalar_random(mpc_engine_rng(ctx), &s->lT)) FAIL(MPC_ERR_RNG, 0);
        mpc_point_mul_base(ctx, &s->T[s->me], &s->sigma);
        gg_point_mul_secret(ctx, &t, &s->H, &s->lT);
        mpc_point_add(ctx, &s->T[s->me], &s->T[s->me], &t);
        gg_write_point(ctx, &w, &s->T[s->me]);
        sctx(c32, s, "presign-T", s->ids[s->me], 0);
        if (!lin_prove(ctx, &w, c32, &s->T[s->me], &G1, &s->H, &s->sigma, &s->lT, NULL, NULL))
            FAIL(MPC_ERR_RNG, 0);
        s->dl[s->me] = s->delta;
        if (FAULT(s, GG_FAULT_ANSWER_DIGEST)) s->dig[s->me * s->ns + (s->me == 0)][0][0] ^= 1;
        for (size_t j = 0; j < s->ns; j++)
            if (j != s->me) mpc_write_bytes(&w, (unsigned char *)s->dig[s->me * s->ns + j], 64);
    }
    mpc_err_code rc = send_writer(p, 4, MPC_BROADCAST, &w);
    if (rc != MPC_OK) FAIL(rc, 0);
    return MPC_OK;
}

static mpc_err_code round4_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_scalar delta = s->delta, dj, dinv;
    mpc_point G1;
    generator(ctx, &G1);
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char c32[32], blind[32], chk[32];
        size_t len;
        mpc_reader r;
        mpc_pok pok;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, 4, j, &len), *pb;
        mpc_reader_init(&r, pl, len);
        if (!gg_read_scalar(&r, &dj) || !gg_read_point(ctx, &r, &s->Gam[j]) ||
            !mpc_read_bytes(&r, blind, 32) || (pb = mpc_read_ptr(&r, MPC_POK_BYTES)) == NULL ||
            !mpc_pok_parse(ctx, &pok, pb))
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        commit(ctx, chk, s, "Gamma", s->ids[j], &s->Gam[j], NULL, blind);
        if (CRYPTO_memcmp(chk, s->com[j], 32) != 0) FAIL(MPC_ERR_BAD_DECOMMITMENT, s->ids[j]);
        sctx(c32, s, "sign-pok-gamma", s->ids[j], 0);
        if (!mpc_pok_verify(ctx, &pok, s->ids[j], &s->Gam[j], GG_CONTEXT_STRING, c32, 32))
            FAIL(MPC_ERR_BAD_PROOF, s->ids[j]);
        if (s->kind == KIND_GG20) {
            if (!gg_read_point(ctx, &r, &s->T[j])) FAIL(MPC_ERR_MALFORMED, s->ids[j]);
            sctx(c32, s, "presign-T", s->ids[j], 0);
            if (!lin_verify(ctx, &r, c32, &s->T[j], &G1, &s->H, NULL, NULL))
                FAIL(MPC_ERR_BAD_PROOF, s->ids[j]);
            for (size_t l = 0; l < s->ns; l++)
                if (l != j && !mpc_read_bytes(&r, (unsigned char *)s->dig[j * s->ns + l], 64))
                    FAIL(MPC_ERR_MALFORMED, s->ids[j]);
            s->dl[j] = dj;
        }
        if (!mpc_reader_done(&r)) FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        if (s->kind == KIND_GG20) {
            /* what j broadcast about its answers to me must match what it sent me */
            for (int kind = GG20_ANSWER_GAMMA; kind <= GG20_ANSWER_W; kind++) {
                if (!gg20_answer_digest(chk, s->session, s->ids[j], s->ids[s->me], kind,
                                        &s->kp->own->pub, s->ans[j][kind]))
                    FAIL(MPC_ERR_NOMEM, 0);
                if (CRYPTO_memcmp(chk, s->dig[j * s->ns + s->me][kind], 32) != 0)
                    FAIL(MPC_ERR_EQUIVOCATION, s->ids[j]);
            }
        }
        mpc_scalar_add(&delta, &delta, &dj);
    }
    /* R = delta^-1 sum Gamma_j, r = R.x mod n */
    mpc_point sum;
    if (!mpc_point_sum(ctx, &sum, s->Gam, s->ns)) FAIL(MPC_ERR_NOMEM, 0);
    if (mpc_scalar_is_zero(&delta) || mpc_point_is_identity(&sum)) FAIL(MPC_ERR_BAD_SIG_SHARE, 0);
    mpc_scalar_inv(&dinv, &delta);
    mpc_point_mul(ctx, &s->R, &sum, &dinv);
    MPC_IGNORE(gg_ecdsa_r(ctx, &s->r, &s->R));
    if (mpc_scalar_is_zero(&s->r)) FAIL(MPC_ERR_INTERNAL, 0);
    return MPC_OK;
}

/* GG20 round 5 (p2p): Rbar_i = k_i R with proof, S_i = sigma_i R with proof */
static mpc_err_code gg20_round5_send(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_point G1, Rbar, S;
    generator(ctx, &G1);
    gg_point_mul_secret(ctx, &Rbar, &s->R, &s->k);
    gg_point_mul_secret(ctx, &S, &s->R, &s->sigma);
    s->V[s->me] = Rbar; /* V holds Rbar_j, A holds S_j for GG20 */
    s->A[s->me] = S;
    BIGNUM *m = bn_secret_new();
    if (m == NULL || !bn_from_scalar(m, &s->k)) {
        BN_clear_free(m);
        FAIL(MPC_ERR_NOMEM, 0);
    }
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char c32[32], *pf;
        size_t len;
        mpc_writer w;
        if (j == s->me) continue;
        sctx(c32, s, "presign-log", s->ids[s->me], s->ids[j]);
        mpc_err_code rc = gg_zk_enc_prove(ctx, s->kp->own, pub_of(s, j), c32, s->c[s->me], m,
                                          s->r_own, &s->R, &Rbar, &pf, &len);
        if (rc != MPC_OK) {
            BN_clear_free(m);
            FAIL(rc, 0);
        }
        mpc_writer_init(&w);
        gg_write_point(ctx, &w, &Rbar);
        gg_write_blob(&w, pf, len);
        free(pf);
        gg_write_point(ctx, &w, &S);
        sctx(c32, s, "presign-S", s->ids[s->me], 0);
        if (!lin_prove(ctx, &w, c32, &s->T[s->me], &G1, &s->H, &s->sigma, &s->lT, &S, &s->R)) {
            mpc_writer_free(&w);
            BN_clear_free(m);
            FAIL(MPC_ERR_RNG, 0);
        }
        rc = send_writer(p, 5, s->ids[j], &w);
        if (rc != MPC_OK) {
            BN_clear_free(m);
            FAIL(rc, 0);
        }
    }
    BN_clear_free(m);
    return MPC_OK;
}

/* GG20 round 6 (broadcast, only after a failed sum check): reveal the
 * presignature's ephemeral values (gg20_ident.h). */
static mpc_err_code gg20_reveal_send(mpc_party *p, sign_state *s, mpc_error *err) {
    mpc_writer w;
    mpc_scalar gamma = s->gamma;
    if (FAULT(s, GG_FAULT_REVEAL_ALPHA)) {
        /* a consistent lie: open c_B (1 + N) instead of c_B (plaintext + 1) */
        const gg_paillier_pub *own = &s->kp->own->pub;
        BIGNUM *g = BN_new(), *cB = s->ans[s->me == 0][GG20_ANSWER_GAMMA];
        BN_CTX *bc = BN_CTX_new();
        int ok = g && bc && BN_copy(g, own->N) && BN_add_word(g, 1) &&
                 BN_mod_mul(cB, cB, g, own->N2, bc);
        BN_free(g), BN_CTX_free(bc);
        if (!ok) FAIL(MPC_ERR_NOMEM, 0);
    }
    if (FAULT(s, GG_FAULT_REVEAL_GAMMA)) {
        add_one(&gamma);
    }
    mpc_writer_init(&w);
    mpc_err_code rc = gg20_reveal_write(&w, s->kp->own, &s->k, &gamma, s->ans, s->ns, s->me);
    mpc_scalar_clear(&gamma);
    if (rc != MPC_OK) {
        mpc_writer_free(&w);
        FAIL(rc, 0);
    }
    if ((s->reveal = mpc_writer_take(&w, &s->reveal_len)) == NULL) FAIL(MPC_ERR_NOMEM, 0);
    rc = mpc_party_send(p, 6, MPC_BROADCAST, s->reveal, s->reveal_len);
    if (rc != MPC_OK) FAIL(rc, 0);
    return MPC_OK;
}

static mpc_err_code gg20_round6_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const unsigned char *rev[GG_MAX_PARTIES];
    size_t len[GG_MAX_PARTIES];
    for (size_t j = 0; j < s->ns; j++)
        rev[j] = j == s->me ? s->reveal : mpc_party_payload(p, 6, j, &len[j]);
    len[s->me] = s->reveal_len;
    gg20_blame_view v = {
        .session = s->session, .kp = s->kp, .ns = s->ns, .ids = s->ids, .Gamma = s->Gam,
        .Rbar = s->V, .S = s->A, .W = s->W, .delta = s->dl, .R = &s->R,
        .digest = (const unsigned char(*)[2][32])s->dig, .reveal = rev, .reveal_len = len,
    };
    return gg20_blame(mpc_party_ctx(p), &v, err);
}

static mpc_err_code gg20_round5_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_point G1, sum;
    generator(ctx, &G1);
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char c32[32];
        size_t len, pflen;
        mpc_reader r;
        const unsigned char *pf;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, 5, j, &len);
        mpc_reader_init(&r, pl, len);
        if (!gg_read_point(ctx, &r, &s->V[j]) || (pf = gg_read_blob(&r, &pflen)) == NULL ||
            !gg_read_point(ctx, &r, &s->A[j]))
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        sctx(c32, s, "presign-log", s->ids[j], s->ids[s->me]);
        if (!gg_zk_enc_verify(ctx, pub_of(s, j), s->kp->own, c32, s->c[j], &s->R, &s->V[j],
                              pf, pflen))
            FAIL(MPC_ERR_BAD_PROOF, s->ids[j]);
        sctx(c32, s, "presign-S", s->ids[j], 0);
        if (!lin_verify(ctx, &r, c32, &s->T[j], &G1, &s->H, &s->A[j], &s->R))
            FAIL(MPC_ERR_BAD_PROOF, s->ids[j]);
        if (!mpc_reader_done(&r)) FAIL(MPC_ERR_MALFORMED, s->ids[j]);
    }
    if (!mpc_point_sum(ctx, &sum, s->V, s->ns)) FAIL(MPC_ERR_NOMEM, 0);
    int sums_hold = mpc_point_eq(ctx, &sum, &G1);
    if (!mpc_point_sum(ctx, &sum, s->A, s->ns)) FAIL(MPC_ERR_NOMEM, 0);
    sums_hold = sums_hold && mpc_point_eq(ctx, &sum, &s->kp->group_key);
    if (!sums_hold) return gg20_reveal_send(p, s, err); /* round 6 names the cheater */
    gg20_presig *ps = calloc(1, sizeof *ps);
    if (ps == NULL) FAIL(MPC_ERR_NOMEM, 0);
    ps->magic = PRESIG_MAGIC;
    ps->self = s->ids[s->me];
    ps->ns = s->ns;
    memcpy(ps->ids, s->ids, s->ns * sizeof *s->ids);
    ps->Y = s->kp->group_key;
    ps->R = s->R;
    ps->r = s->r;
    ps->k = s->k;
    ps->sigma = s->sigma;
    memcpy(ps->Rbar, s->V, s->ns * sizeof *s->V);
    memcpy(ps->S, s->A, s->ns * sizeof *s->A);
    s->presig = ps;
    mpc_scalar_clear(&s->k), mpc_scalar_clear(&s->sigma);
    mpc_party_finish(p);
    return MPC_OK;
}

/* GG18 phase 5 */
static mpc_err_code gg18_round5_send(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_scalar t;
    mpc_point lg;
    mpc_writer w;
    /* s_i = m k_i + r sigma_i */
    mpc_scalar_mul(&s->s_i, &s->m, &s->k);
    mpc_scalar_mul(&t, &s->r, &s->sigma);
    mpc_scalar_add(&s->s_i, &s->s_i, &t);
    mpc_scalar_clear(&t);
    if (!mpc_scalar_random(mpc_engine_rng(ctx), &s->l5) ||
        !mpc_scalar_random(mpc_engine_rng(ctx), &s->rho5) || !mpc_engine_random(ctx, s->blind5, 32))
        FAIL(MPC_ERR_RNG, 0);
    gg_point_mul_secret(ctx, &s->V[s->me], &s->R, &s->s_i);
    mpc_point_mul_base(ctx, &lg, &s->l5);
    mpc_point_add(ctx, &s->V[s->me], &s->V[s->me], &lg);
    mpc_point_mul_base(ctx, &s->A[s->me], &s->rho5);
    if (mpc_point_is_identity(&s->V[s->me]) || mpc_point_is_identity(&s->A[s->me]))
        FAIL(MPC_ERR_INTERNAL, 0);
    commit(ctx, s->com5[s->me], s, "VA", s->ids[s->me], &s->V[s->me], &s->A[s->me], s->blind5);
    mpc_writer_init(&w);
    mpc_write_bytes(&w, s->com5[s->me], 32);
    mpc_err_code rc = send_writer(p, 5, MPC_BROADCAST, &w);
    if (rc != MPC_OK) FAIL(rc, 0);
    return MPC_OK;
}

static mpc_err_code take_commits(mpc_party *p, sign_state *s, uint8_t round,
                                 unsigned char (*com)[32], mpc_error *err) {
    for (size_t j = 0; j < s->ns; j++) {
        size_t len;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, round, j, &len);
        if (len != 32) FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        memcpy(com[j], pl, 32);
    }
    return MPC_OK;
}

static mpc_err_code gg18_round6_send(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    unsigned char c32[32], pb[MPC_POK_BYTES];
    mpc_point G1;
    mpc_pok pok;
    mpc_writer w;
    generator(ctx, &G1);
    mpc_writer_init(&w);
    gg_write_point(ctx, &w, &s->V[s->me]);
    gg_write_point(ctx, &w, &s->A[s->me]);
    mpc_write_bytes(&w, s->blind5, 32);
    sctx(c32, s, "gg18-V", s->ids[s->me], 0);
    int ok = lin_prove(ctx, &w, c32, &s->V[s->me], &s->R, &G1, &s->s_i, &s->l5, NULL, NULL);
    sctx(c32, s, "gg18-A", s->ids[s->me], 0);
    ok = ok && mpc_pok_prove(ctx, &pok, s->ids[s->me], &s->rho5, &s->A[s->me], GG_CONTEXT_STRING,
                             c32, 32) &&
         mpc_pok_serialize(ctx, pb, &pok);
    mpc_write_bytes(&w, pb, MPC_POK_BYTES);
    if (!ok) {
        mpc_writer_free(&w);
        FAIL(MPC_ERR_RNG, 0);
    }
    mpc_err_code rc = send_writer(p, 6, MPC_BROADCAST, &w);
    if (rc != MPC_OK) FAIL(rc, 0);
    return MPC_OK;
}

static mpc_err_code gg18_round6_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_point G1, t;
    generator(ctx, &G1);
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char c32[32], blind[32], chk[32];
        size_t len;
        mpc_reader r;
        mpc_pok pok;
        const unsigned char *pb;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, 6, j, &len);
        mpc_reader_init(&r, pl, len);
        if (!gg_read_point(ctx, &r, &s->V[j]) || !gg_read_point(ctx, &r, &s->A[j]) ||
            !mpc_read_bytes(&r, blind, 32))
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        commit(ctx, chk, s, "VA", s->ids[j], &s->V[j], &s->A[j], blind);
        if (CRYPTO_memcmp(chk, s->com5[j], 32) != 0) FAIL(MPC_ERR_BAD_DECOMMITMENT, s->ids[j]);
        sctx(c32, s, "gg18-V", s->ids[j], 0);
        if (!lin_verify(ctx, &r, c32, &s->V[j], &s->R, &G1, NULL, NULL))
            FAIL(MPC_ERR_BAD_PROOF, s->ids[j]);
        if ((pb = mpc_read_ptr(&r, MPC_POK_BYTES)) == NULL || !mpc_pok_parse(ctx, &pok, pb) ||
            !mpc_reader_done(&r))
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        sctx(c32, s, "gg18-A", s->ids[j], 0);
        if (!mpc_pok_verify(ctx, &pok, s->ids[j], &s->A[j], GG_CONTEXT_STRING, c32, 32))
            FAIL(MPC_ERR_BAD_PROOF, s->ids[j]);
    }
    /* V = -m G - r Y + sum V_j, A = sum A_j; U_i = rho_i V, T_i = l_i A */
    mpc_scalar nm;
    if (!mpc_point_sum(ctx, &s->Vsum, s->V, s->ns) || !mpc_point_sum(ctx, &s->Asum, s->A, s->ns))
        FAIL(MPC_ERR_NOMEM, 0);
    mpc_scalar_neg(&nm, &s->m);
    mpc_point_mul_base(ctx, &t, &nm);
    mpc_point_add(ctx, &s->Vsum, &s->Vsum, &t);
    mpc_scalar_neg(&nm, &s->r);
    mpc_point_mul(ctx, &t, &s->kp->group_key, &nm);
    mpc_point_add(ctx, &s->Vsum, &s->Vsum, &t);
    if (mpc_point_is_identity(&s->Vsum) || mpc_point_is_identity(&s->Asum))
        FAIL(MPC_ERR_BAD_SIG_SHARE, 0);
    gg_point_mul_secret(ctx, &s->U[s->me], &s->Vsum, &s->rho5);
    gg_point_mul_secret(ctx, &s->TT[s->me], &s->Asum, &s->l5);
    if (!mpc_engine_random(ctx, s->blind7, 32)) FAIL(MPC_ERR_RNG, 0);
    commit(ctx, s->com7[s->me], s, "UT", s->ids[s->me], &s->U[s->me], &s->TT[s->me], s->blind7);
    mpc_writer w;
    mpc_writer_init(&w);
    mpc_write_bytes(&w, s->com7[s->me], 32);
    mpc_err_code rc = send_writer(p, 7, MPC_BROADCAST, &w);
    if (rc != MPC_OK) FAIL(rc, 0);
    return MPC_OK;
}

static mpc_err_code gg18_round8_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    for (size_t j = 0; j < s->ns; j++) {
        unsigned char blind[32], chk[32];
        size_t len;
        mpc_reader r;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, 8, j, &len);
        mpc_reader_init(&r, pl, len);
        if (!gg_read_point(ctx, &r, &s->U[j]) || !gg_read_point(ctx, &r, &s->TT[j]) ||
            !mpc_read_bytes(&r, blind, 32) || !mpc_reader_done(&r))
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        commit(ctx, chk, s, "UT", s->ids[j], &s->U[j], &s->TT[j], blind);
        if (CRYPTO_memcmp(chk, s->com7[j], 32) != 0) FAIL(MPC_ERR_BAD_DECOMMITMENT, s->ids[j]);
    }
    mpc_point su, st;
    if (!mpc_point_sum(ctx, &su, s->U, s->ns) || !mpc_point_sum(ctx, &st, s->TT, s->ns))
        FAIL(MPC_ERR_NOMEM, 0);
    /* phase 5D: a failure means some s_j is wrong; GG18 cannot name him here */
    if (!mpc_point_eq(ctx, &su, &st)) FAIL(MPC_ERR_BAD_SIG_SHARE, 0);
    mpc_writer w;
    mpc_writer_init(&w);
    gg_write_scalar(&w, &s->s_i);
    gg_write_scalar(&w, &s->l5);
    mpc_err_code rc = send_writer(p, 9, MPC_BROADCAST, &w);
    if (rc != MPC_OK) FAIL(rc, 0);
    return MPC_OK;
}

static mpc_err_code gg18_round9_take(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    mpc_scalar sum = s->s_i, sj, lj;
    for (size_t j = 0; j < s->ns; j++) {
        size_t len;
        mpc_reader r;
        mpc_point a, b;
        if (j == s->me) continue;
        const unsigned char *pl = mpc_party_payload(p, 9, j, &len);
        mpc_reader_init(&r, pl, len);
        if (!gg_read_scalar(&r, &sj) || !gg_read_scalar(&r, &lj) || !mpc_reader_done(&r))
            FAIL(MPC_ERR_MALFORMED, s->ids[j]);
        mpc_point_mul(ctx, &a, &s->R, &sj);
        mpc_point_mul_base(ctx, &b, &lj);
        mpc_point_add(ctx, &a, &a, &b);
        if (!mpc_point_eq(ctx, &a, &s->V[j])) FAIL(MPC_ERR_BAD_SIG_SHARE, s->ids[j]);
        mpc_scalar_add(&sum, &sum, &sj);
    }
    mpc_err_code rc = gg_ecdsa_finalize(ctx, &s->sig, &s->R, &sum, &s->kp->group_key, s->msg);
    if (rc != MPC_OK) FAIL(rc, 0);
    s->have_sig = 1;
    mpc_scalar_clear(&s->k), mpc_scalar_clear(&s->sigma), mpc_scalar_clear(&s->s_i);
    mpc_party_finish(p);
    return MPC_OK;
}

static mpc_err_code sign_advance(mpc_party *p, mpc_error *err) {
    sign_state *s = mpc_party_state(p);
    for (;;) {
        uint8_t rd = mpc_party_round(p);
        mpc_err_code rc = MPC_OK;
        if (mpc_party_status_get(p) != MPC_PARTY_RUNNING || rd > mpc_party_protocol(p)->rounds ||
            !mpc_party_round_ready(p, rd))
            return MPC_OK;
        switch (rd) {
        case 1: rc = round1_take(p, s, err); break;
        case 2: rc = round2_take(p, s, err); break;
        case 3: rc = round3_take(p, s, err); break;
        case 4:
            rc = round4_take(p, s, err);
            if (rc == MPC_OK)
                rc = s->kind == KIND_GG20 ? gg20_round5_send(p, s, err) : gg18_round5_send(p, s, err);
            break;
        case 5:
            if (s->kind == KIND_GG20) {
                rc = gg20_round5_take(p, s, err);
                if (rc != MPC_OK || mpc_party_status_get(p) != MPC_PARTY_RUNNING) return rc;
                break; /* a sum check failed: on to the reveal */
            }
            rc = take_commits(p, s, 5, s->com5, err);
            if (rc == MPC_OK) rc = gg18_round6_send(p, s, err);
            break;
        case 6:
            if (s->kind == KIND_GG20) return gg20_round6_take(p, s, err);
            rc = gg18_round6_take(p, s, err);
            break;
        case 7: {
            rc = take_commits(p, s, 7, s->com7, err);
            if (rc == MPC_OK) {
                mpc_writer w;
                mpc_writer_init(&w);
                gg_write_point(mpc_party_ctx(p), &w, &s->U[s->me]);
                gg_write_point(mpc_party_ctx(p), &w, &s->TT[s->me]);
                mpc_write_bytes(&w, s->blind7, 32);
                rc = send_writer(p, 8, MPC_BROADCAST, &w);
                if (rc != MPC_OK) *err = (mpc_error){rc, 0};
            }
            break;
        }
        case 8: rc = gg18_round8_take(p, s, err); break;
        case 9: return gg18_round9_take(p, s, err);
        default: return MPC_OK;
        }
        if (rc != MPC_OK) return rc;
        mpc_party_next_round(p);
    }
}

static const mpc_protocol GG18_PROTOCOL = {
    .protocol = MPC_PROTO_GG18_SIGN,
    .rounds = 9,
    .broadcast = {1, 0, 0, 1, 1, 1, 1, 1, 1},
    .advance = sign_advance,
    .destroy = sign_destroy,
};

static const mpc_protocol GG20_PRESIGN_PROTOCOL = {
    .protocol = MPC_PROTO_GG20_PRESIGN,
    .rounds = GG20_PRESIGN_ROUNDS, /* round 6 only after a failed sum check */
    .broadcast = {1, 0, 0, 1, 0, 1},
    .advance = sign_advance,
    .destroy = sign_destroy,
};

static mpc_err_code sign_new(const mpc_engine_ctx *ctx, mpc_party **out, const gg_sign_config *cfg,
                             int kind) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && cfg != NULL && cfg->kp != NULL &&
                  cfg->signers != NULL);
    const gg_keypkg *kp = cfg->kp;
    *out = NULL;
    if (cfg->nsigners < kp->t || cfg->nsigners > kp->n || kp->own == NULL)
        return MPC_ERR_CONFIG;
    for (size_t i = 0; i < cfg->nsigners; i++)
        if (cfg->signers[i] < 1 || cfg->signers[i] > kp->n) return MPC_ERR_CONFIG;
    sign_state *s = calloc(1, sizeof *s);
    if (s == NULL) return MPC_ERR_NOMEM;
    s->kind = kind;
    s->kp = kp;
    s->ns = cfg->nsigners;
    memcpy(s->session, cfg->session, 32);
    memcpy(s->msg, cfg->msg32, 32);
    mpc_scalar_reduce32(&s->m, cfg->msg32);
    const mpc_protocol *proto = kind == KIND_GG18 ? &GG18_PROTOCOL : &GG20_PRESIGN_PROTOCOL;
    mpc_party *p = mpc_party_create(ctx, proto, cfg->session, kp->id, cfg->signers, s->ns, s);
    if (p == NULL) return MPC_ERR_CONFIG; /* duplicate ids or self missing (s freed) */
    size_t ns = s->ns;
    for (size_t j = 0; j < ns; j++) s->ids[j] = mpc_party_id_at(p, j);
    s->me = (size_t)mpc_party_index(p, kp->id);
    s->beta = calloc(ns, sizeof *s->beta), s->nu = calloc(ns, sizeof *s->nu);
    s->W = calloc(ns, sizeof *s->W), s->Gam = calloc(ns, sizeof *s->Gam);
    s->T = calloc(ns, sizeof *s->T), s->V = calloc(ns, sizeof *s->V);
    s->A = calloc(ns, sizeof *s->A), s->U = calloc(ns, sizeof *s->U);
    s->TT = calloc(ns, sizeof *s->TT), s->com = calloc(ns, 32);
    s->com5 = calloc(ns, 32), s->com7 = calloc(ns, 32), s->c = calloc(ns, sizeof *s->c);
    mpc_scalar *lam = calloc(ns, sizeof *lam);
    mpc_err_code rc = MPC_ERR_NOMEM;
    if (kind == KIND_GG20) {
        s->ans = calloc(ns, sizeof *s->ans);
        s->dig = calloc(ns * ns, sizeof *s->dig);
        s->dl = calloc(ns, sizeof *s->dl);
    }
    if (!s->beta || !s->nu || !s->W || !s->Gam || !s->T || !s->V || !s->A || !s->U || !s->TT ||
        !s->com || !s->com5 || !s->com7 || !s->c || !lam || !mpc_lagrange_coeffs(lam, s->ids, ns) ||
        (kind == KIND_GG20 && (!s->ans || !s->dig || !s->dl)))
        goto fail;
    for (size_t j = 0; j < ns; j++)
        mpc_point_mul(ctx, &s->W[j], &kp->verifying_shares[s->ids[j] - 1], &lam[j]);
    mpc_scalar_mul(&s->w, &lam[s->me], &kp->secret);
    gg_point_h(ctx, &s->H);
    rc = round1_send(p, s);
    if (rc == MPC_OK && mpc_party_start(p) == MPC_PARTY_FAILED) rc = mpc_party_error(p).code;
    if (rc != MPC_OK) goto fail;
    free(lam);
    *out = p;
    return MPC_OK;
fail:
    free(lam);
    mpc_party_free(p);
    return rc;
}

mpc_err_code gg18_sign_new(const mpc_engine_ctx *ctx, mpc_party **out, const gg_sign_config *cfg) {
    return sign_new(ctx, out, cfg, KIND_GG18);
}

mpc_err_code gg20_presign_new(const mpc_engine_ctx *ctx, mpc_party **out,
                              const gg_sign_config *cfg) {
    return sign_new(ctx, out, cfg, KIND_GG20);
}

#ifdef MPC_ENGINE_FAULTS
mpc_err_code gg_sign_set_faults(mpc_party *p, unsigned faults) {
    MPC_ARG_CHECK(p != NULL);
    if (mpc_party_protocol(p) != &GG18_PROTOCOL && mpc_party_protocol(p) != &GG20_PRESIGN_PROTOCOL)
        return MPC_ERR_STATE;
    ((sign_state *)mpc_party_state(p))->faults = faults;
    return MPC_OK;
}
#endif

mpc_err_code gg18_signature(const mpc_party *p, gg_signature *out) {
    MPC_ARG_CHECK(p != NULL && out != NULL);
    if (mpc_party_protocol(p) != &GG18_PROTOCOL || mpc_party_status_get(p) != MPC_PARTY_DONE)
        return MPC_ERR_STATE;
    const sign_state *s = mpc_party_state(p);
    if (!s->have_sig) return MPC_ERR_STATE;
    *out = s->sig;
    return MPC_OK;
}

mpc_err_code gg20_presign_output(mpc_party *p, gg20_presig **out) {
    MPC_ARG_CHECK(p != NULL && out != NULL);
    *out = NULL;
    if (mpc_party_protocol(p) != &GG20_PRESIGN_PROTOCOL ||
        mpc_party_status_get(p) != MPC_PARTY_DONE)
        return MPC_ERR_STATE;
    sign_state *s = mpc_party_state(p);
    if (s->presig == NULL) return MPC_ERR_STATE;
    *out = s->presig;
    s->presig = NULL;
    return MPC_OK;
}

/* ---- presignatures ---- */

void gg20_presig_free(gg20_presig *ps) {
    if (ps == NULL) return;
    OPENSSL_cleanse(ps, sizeof *ps);
    free(ps);
}

int gg20_presig_valid(const gg20_presig *ps) { return ps != NULL && ps->magic == PRESIG_MAGIC; }

mpc_err_code gg20_presig_public(const mpc_engine_ctx *ctx, const gg20_presig *ps, unsigned char R33[33],
                                unsigned char Y33[33], uint16_t *ids, size_t *nids) {
    MPC_ARG_CHECK(ctx != NULL && ps != NULL && R33 != NULL && Y33 != NULL && ids != NULL && nids != NULL);
    if (!gg20_presig_valid(ps) || !mpc_point_serialize(ctx, R33, &ps->R) || !mpc_point_serialize(ctx, Y33, &ps->Y))
        return MPC_ERR_NONCE_USED;
    memcpy(ids, ps->ids, ps->ns * sizeof *ids);
    *nids = ps->ns;
    return MPC_OK;
}

mpc_err_code gg20_presig_serialize(const mpc_engine_ctx *ctx, const gg20_presig *ps,
                                   unsigned char **out, size_t *len) {
    MPC_ARG_CHECK(ctx != NULL && ps != NULL && out != NULL && len != NULL);
    *out = NULL;
    if (!gg20_presig_valid(ps)) return MPC_ERR_NONCE_USED;
    mpc_writer w;
    mpc_writer_init(&w);
    mpc_write_u32(&w, PRESIG_MAGIC);
    mpc_write_u8(&w, GG20_PRESIG_VERSION);
    mpc_write_u16(&w, ps->self);
    mpc_write_u16(&w, (uint16_t)ps->ns);
    for (size_t j = 0; j < ps->ns; j++) mpc_write_u16(&w, ps->ids[j]);
    gg_write_point(ctx, &w, &ps->Y);
    gg_write_point(ctx, &w, &ps->R);
    gg_write_scalar(&w, &ps->k);
    gg_write_scalar(&w, &ps->sigma);
    for (size_t j = 0; j < ps->ns; j++) {
        gg_write_point(ctx, &w, &ps->Rbar[j]);
        gg_write_point(ctx, &w, &ps->S[j]);
    }
    *out = mpc_writer_take(&w, len);
    return *out != NULL ? MPC_OK : MPC_ERR_NOMEM;
}

mpc_err_code gg20_presig_parse(const mpc_engine_ctx *ctx, gg20_presig **out,
                               const unsigned char *in, size_t len) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && (in != NULL || len == 0));
    mpc_reader r;
    uint32_t magic;
    uint8_t ver;
    uint16_t ns;
    int self_in = 0;
    *out = NULL;
    gg20_presig *ps = calloc(1, sizeof *ps);
    if (ps == NULL) return MPC_ERR_NOMEM;
    mpc_reader_init(&r, in, len);
    mpc_err_code rc = MPC_ERR_MALFORMED;
    if (!mpc_read_u32(&r, &magic) || magic != PRESIG_MAGIC || !mpc_read_u8(&r, &ver)) goto out;
    if (ver != GG20_PRESIG_VERSION) {
        rc = MPC_ERR_VERSION;
        goto out;
    }
    if (!mpc_read_u16(&r, &ps->self) || !mpc_read_u16(&r, &ns) || ns < 1 || ns > GG_MAX_PARTIES)
        goto out;
    ps->ns = ns;
    for (size_t j = 0; j < ns; j++) {
        if (!mpc_read_u16(&r, &ps->ids[j]) || ps->ids[j] == 0 ||
            (j > 0 && ps->ids[j] <= ps->ids[j - 1]))
            goto out;
        self_in |= ps->ids[j] == ps->self;
    }
    if (!self_in || !gg_read_point(ctx, &r, &ps->Y) || !gg_read_point(ctx, &r, &ps->R) ||
        !gg_read_scalar(&r, &ps->k) || !gg_read_scalar(&r, &ps->sigma))
        goto out;
    for (size_t j = 0; j < ns; j++)
        if (!gg_read_point(ctx, &r, &ps->Rbar[j]) || !gg_read_point(ctx, &r, &ps->S[j])) goto out;
    if (!mpc_reader_done(&r)) goto out;
    MPC_IGNORE(gg_ecdsa_r(ctx, &ps->r, &ps->R));
    ps->magic = PRESIG_MAGIC;
    *out = ps;
    return MPC_OK;
out:
    gg20_presig_free(ps);
    return rc;
}

mpc_err_code gg20_partial_sign(gg20_presig *ps, const unsigned char msg32[32], mpc_scalar *s_i) {
    MPC_ARG_CHECK(ps != NULL && msg32 != NULL && s_i != NULL);
    if (!gg20_presig_valid(ps)) {
        OPENSSL_cleanse(ps, sizeof *ps);
        return MPC_ERR_NONCE_USED;
    }
    mpc_scalar m, t, k = ps->k, sigma = ps->sigma, r = ps->r;
    OPENSSL_cleanse(&ps->magic, sizeof ps->magic);
    OPENSSL_cleanse(&ps->k, sizeof ps->k);
    OPENSSL_cleanse(&ps->sigma, sizeof ps->sigma);
    mpc_scalar_reduce32(&m, msg32);
    mpc_scalar_mul(s_i, &m, &k);
    mpc_scalar_mul(&t, &r, &sigma);
    mpc_scalar_add(s_i, s_i, &t);
    mpc_scalar_clear(&k), mpc_scalar_clear(&sigma), mpc_scalar_clear(&t);
    return MPC_OK;
}

/* ---- GG20 online ---- */

typedef struct online_state {
    gg20_presig pub; /* public part only: k, sigma wiped */
    unsigned char msg[32];
    mpc_scalar m, s_i;
    gg_signature sig;
    int have_sig;
} online_state;

static void online_destroy(void *v) {
    if (v == NULL) return;
    OPENSSL_cleanse(v, sizeof(online_state));
    free(v);
}

static mpc_err_code online_advance(mpc_party *p, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    online_state *s = mpc_party_state(p);
    if (mpc_party_round(p) != 1 || !mpc_party_round_ready(p, 1)) return MPC_OK;
    mpc_scalar sum = s->s_i, sj;
    size_t me = (size_t)mpc_party_index(p, s->pub.self);
    for (size_t j = 0; j < s->pub.ns; j++) {
        size_t len;
        mpc_point a, b;
        if (j == me) continue;
        const unsigned char *pl = mpc_party_payload(p, 1, j, &len);
        if (len != 32 || !mpc_scalar_parse(&sj, pl)) FAIL(MPC_ERR_MALFORMED, s->pub.ids[j]);
        /* s_j R == m Rbar_j + r S_j */
        mpc_point_mul(ctx, &a, &s->pub.R, &sj);
        mpc_point_mul(ctx, &b, &s->pub.Rbar[j], &s->m);
        mpc_point c;
        mpc_point_mul(ctx, &c, &s->pub.S[j], &s->pub.r);
        mpc_point_add(ctx, &b, &b, &c);
        if (!mpc_point_eq(ctx, &a, &b)) FAIL(MPC_ERR_BAD_SIG_SHARE, s->pub.ids[j]);
        mpc_scalar_add(&sum, &sum, &sj);
    }
    mpc_err_code rc = gg_ecdsa_finalize(ctx, &s->sig, &s->pub.R, &sum, &s->pub.Y, s->msg);
    if (rc != MPC_OK) FAIL(rc, 0);
    s->have_sig = 1;
    mpc_party_finish(p);
    return MPC_OK;
}

static const mpc_protocol GG20_SIGN_PROTOCOL = {
    .protocol = MPC_PROTO_GG20_SIGN,
    .rounds = 1,
    .broadcast = {1},
    .advance = online_advance,
    .destroy = online_destroy,
};

mpc_err_code gg20_sign_new(const mpc_engine_ctx *ctx, mpc_party **out,
                           const unsigned char session[32], gg20_presig *ps,
                           const unsigned char msg32[32]) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && session != NULL && ps != NULL && msg32 != NULL);
    *out = NULL;
    online_state *s = calloc(1, sizeof *s);
    if (s == NULL) {
        OPENSSL_cleanse(ps, sizeof *ps);
        return MPC_ERR_NOMEM;
    }
    memcpy(&s->pub, ps, sizeof *ps);
    mpc_err_code rc = gg20_partial_sign(ps, msg32, &s->s_i); /* wipes ps' secrets */
    OPENSSL_cleanse(ps, sizeof *ps);
    mpc_scalar_clear(&s->pub.k), mpc_scalar_clear(&s->pub.sigma);
    if (rc != MPC_OK) {
        online_destroy(s);
        return rc;
    }
    memcpy(s->msg, msg32, 32);
    mpc_scalar_reduce32(&s->m, msg32);
    uint16_t self = s->pub.self;
    mpc_party *p = mpc_party_create(ctx, &GG20_SIGN_PROTOCOL, session, self, s->pub.ids,
                                    s->pub.ns, s);
    if (p == NULL) return MPC_ERR_NOMEM;
    unsigned char b[32];
    mpc_scalar_serialize(b, &s->s_i);
    rc = mpc_party_send(p, 1, MPC_BROADCAST, b, 32);
    OPENSSL_cleanse(b, 32);
    if (rc == MPC_OK && mpc_party_start(p) == MPC_PARTY_FAILED) rc = mpc_party_error(p).code;
    if (rc != MPC_OK) {
        mpc_party_free(p);
        return rc;
    }
    *out = p;
    return MPC_OK;
}

mpc_err_code gg20_signature(const mpc_party *p, gg_signature *out) {
    MPC_ARG_CHECK(p != NULL && out != NULL);
    if (mpc_party_protocol(p) != &GG20_SIGN_PROTOCOL || mpc_party_status_get(p) != MPC_PARTY_DONE)
        return MPC_ERR_STATE;
    const online_state *s = mpc_party_state(p);
    if (!s->have_sig) return MPC_ERR_STATE;
    *out = s->sig;
    return MPC_OK;
}
