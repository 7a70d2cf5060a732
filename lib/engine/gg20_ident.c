/* gg20_ident.c - GG20 identification after a failed round-5 sum check (see
 * gg20_ident.h). Everything checked here is public by the time it runs. */
#include "engine/gg20_ident.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/bn_util.h"
#include "engine/transcript.h"

int gg20_answer_digest(unsigned char out32[32], const unsigned char session[32], uint16_t bob,
                       uint16_t alice, int kind, const gg_paillier_pub *alice_pub,
                       const BIGNUM *cB) {
    int len = BN_num_bytes(alice_pub->N2);
    if (BN_is_negative(cB) || BN_cmp(cB, alice_pub->N2) >= 0) return 0;
    unsigned char *buf = malloc((size_t)len);
    if (buf == NULL || BN_bn2binpad(cB, buf, len) != len) {
        free(buf);
        return 0;
    }
    mpc_transcript t;
    mpc_transcript_init(&t, "GG20-answer-v1");
    mpc_transcript_append(&t, "session", session, 32);
    mpc_transcript_append_u64(&t, "bob", bob);
    mpc_transcript_append_u64(&t, "alice", alice);
    mpc_transcript_append_u64(&t, "kind", (uint64_t)kind);
    mpc_transcript_append(&t, "c_B", buf, (size_t)len);
    mpc_transcript_digest(&t, out32);
    free(buf);
    return 1;
}

mpc_err_code gg20_reveal_write(mpc_writer *w, const gg_paillier_priv *own, const mpc_scalar *k,
                               const mpc_scalar *gamma, BIGNUM *const (*answers)[2], size_t ns,
                               size_t me) {
    MPC_ARG_CHECK(w && own && k && gamma && answers && me < ns);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *m = BN_new(), *rho = BN_new();
    mpc_err_code rc = bc && m && rho ? MPC_OK : MPC_ERR_NOMEM;
    gg_write_scalar(w, k);
    gg_write_scalar(w, gamma);
    for (size_t j = 0; j < ns && rc == MPC_OK; j++) {
        if (j == me) continue;
        for (int kind = GG20_ANSWER_GAMMA; kind <= GG20_ANSWER_W && rc == MPC_OK; kind++) {
            if (!gg_paillier_decrypt(own, m, answers[j][kind], bc) ||
                !gg_paillier_randomness(own, rho, answers[j][kind], bc)) {
                rc = MPC_ERR_NOMEM;
                break;
            }
            bn_write(w, m);
            bn_write(w, rho);
        }
    }
    BN_clear_free(m), BN_clear_free(rho);
    BN_CTX_free(bc);
    return rc;
}

/* One party's parsed reveal. */
typedef struct reveal {
    mpc_scalar k, gamma;
    BIGNUM *(*plain)[2]; /* [j][kind]: alpha / mu as integers; [self] unused */
    BIGNUM *(*rho)[2];
} reveal;

static void reveal_clear(reveal *r, size_t ns) {
    for (size_t j = 0; j < ns; j++)
        for (int kind = 0; kind < 2; kind++) {
            if (r->plain) BN_free(r->plain[j][kind]);
            if (r->rho) BN_free(r->rho[j][kind]);
        }
    free(r->plain), free(r->rho);
}

/* Parse party i's reveal and check it against what i committed to earlier.
 * Returns 1 if it holds up; 0 with *nomem set on allocation failure. */
static int check_reveal(const mpc_engine_ctx *ctx, const gg20_blame_view *v, size_t i, reveal *r,
                        BN_CTX *bc, int *nomem) {
    mpc_reader rd;
    mpc_point P;
    const gg_paillier_pub *pub = &v->kp->paillier[v->ids[i] - 1];
    r->plain = calloc(v->ns, sizeof *r->plain);
    r->rho = calloc(v->ns, sizeof *r->rho);
    BIGNUM *c = BN_new();
    if (r->plain == NULL || r->rho == NULL || c == NULL) {
        BN_free(c);
        *nomem = 1;
        return 0;
    }
    mpc_reader_init(&rd, v->reveal[i], v->reveal_len[i]);
    int ok = gg_read_scalar(&rd, &r->k) && gg_read_scalar(&rd, &r->gamma);
    if (ok) {
        mpc_point_mul_base(ctx, &P, &r->gamma);
        ok = mpc_point_eq(ctx, &P, &v->Gamma[i]);
    }
    if (ok) {
        mpc_point_mul(ctx, &P, v->R, &r->k);
        ok = mpc_point_eq(ctx, &P, &v->Rbar[i]);
    }
    for (size_t j = 0; j < v->ns && ok; j++) {
        if (j == i) continue;
        for (int kind = GG20_ANSWER_GAMMA; kind <= GG20_ANSWER_W && ok; kind++) {
            unsigned char d[32];
            BIGNUM *m = r->plain[j][kind] = BN_new(), *rho = r->rho[j][kind] = BN_new();
            if (m == NULL || rho == NULL) {
                *nomem = 1;
                ok = 0;
                break;
            }
            /* c_B = (1 + m N) rho^N with 0 <= m < N and rho a unit mod N */
            ok = bn_read(&rd, m, BN_UTIL_MAX_BYTES) && bn_read(&rd, rho, BN_UTIL_MAX_BYTES) &&
                 !BN_is_negative(m) && BN_cmp(m, pub->N) < 0 && !BN_is_negative(rho) &&
                 BN_cmp(rho, pub->N) < 0 && bn_is_unit(rho, pub->N, bc) &&
                 gg_paillier_encrypt(pub, NULL, c, m, rho, bc) &&
                 gg20_answer_digest(d, v->session, v->ids[j], v->ids[i], kind, pub, c) &&
                 CRYPTO_memcmp(d, v->digest[j * v->ns + i][kind], 32) == 0;
        }
    }
    BN_free(c);
    return ok && mpc_reader_done(&rd);
}

mpc_err_code gg20_blame(const mpc_engine_ctx *ctx, const gg20_blame_view *v, mpc_error *err) {
    MPC_ARG_CHECK(ctx && v && err && v->ns >= 2);
    size_t ns = v->ns;
    mpc_err_code rc = MPC_OK;
    uint16_t culprit = 0;
    int nomem = 0;
    BN_CTX *bc = BN_CTX_new();
    reveal *rv = calloc(ns, sizeof *rv);
    if (bc == NULL || rv == NULL) {
        rc = MPC_ERR_NOMEM;
        goto out;
    }
    /* 1. the reveals against the commitments, before anything is computed
     *    from them */
    for (size_t i = 0; i < ns; i++) {
        if (!check_reveal(ctx, v, i, &rv[i], bc, &nomem)) {
            rc = nomem ? MPC_ERR_NOMEM : MPC_ERR_BAD_DECOMMITMENT;
            culprit = nomem ? 0 : v->ids[i];
            goto out;
        }
    }
    /* 2. each party's delta_i and S_i against the revealed values */
    mpc_scalar k, gamma, delta, x, y, t;
    mpc_scalar_set_u32(&k, 0), mpc_scalar_set_u32(&gamma, 0), mpc_scalar_set_u32(&delta, 0);
    for (size_t i = 0; i < ns; i++) {
        mpc_scalar_add(&k, &k, &rv[i].k);
        mpc_scalar_add(&gamma, &gamma, &rv[i].gamma);
        mpc_scalar_add(&delta, &delta, &v->delta[i]);
    }
    for (size_t i = 0; i < ns && rc == MPC_OK; i++) {
        /* x = sum_j alpha_ij - alpha_ji, y = sum_j mu_ij - mu_ji */
        mpc_scalar_set_u32(&x, 0), mpc_scalar_set_u32(&y, 0);
        for (size_t j = 0; j < ns; j++) {
            if (j == i) continue;
            if (!bn_to_scalar(&t, rv[i].plain[j][GG20_ANSWER_GAMMA], bc)) goto nomem;
            mpc_scalar_add(&x, &x, &t);
            if (!bn_to_scalar(&t, rv[j].plain[i][GG20_ANSWER_GAMMA], bc)) goto nomem;
            mpc_scalar_sub(&x, &x, &t);
            if (!bn_to_scalar(&t, rv[i].plain[j][GG20_ANSWER_W], bc)) goto nomem;
            mpc_scalar_add(&y, &y, &t);
            if (!bn_to_scalar(&t, rv[j].plain[i][GG20_ANSWER_W], bc)) goto nomem;
            mpc_scalar_sub(&y, &y, &t);
        }
        mpc_scalar_mul(&t, &k, &rv[i].gamma);
        mpc_scalar_add(&t, &t, &x);
        if (!mpc_scalar_eq(&t, &v->delta[i])) {
            rc = MPC_ERR_BAD_SIG_SHARE;
            culprit = v->ids[i];
            break;
        }
        mpc_point lhs, rhs, g;
        mpc_point_mul(ctx, &lhs, &v->S[i], &delta);
        mpc_scalar_mul(&t, &gamma, &k);
        mpc_point_mul(ctx, &rhs, &v->W[i], &t);
        mpc_scalar_mul(&t, &gamma, &y);
        mpc_point_mul_base(ctx, &g, &t);
        mpc_point_add(ctx, &rhs, &rhs, &g);
        if (!mpc_point_eq(ctx, &lhs, &rhs)) {
            rc = MPC_ERR_BAD_SIG_SHARE;
            culprit = v->ids[i];
        }
    }
    if (rc == MPC_OK) rc = MPC_ERR_BAD_SIG_SHARE; /* nobody to blame: cannot happen */
    goto out;
nomem:
    rc = MPC_ERR_NOMEM;
    culprit = 0;
out:
    if (rv != NULL)
        for (size_t i = 0; i < ns; i++) reveal_clear(&rv[i], ns);
    free(rv);
    BN_CTX_free(bc);
    *err = (mpc_error){rc, culprit};
    return rc;
}
