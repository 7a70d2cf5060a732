/* zk_prm.c - Pi_prm, ring-Pedersen parameters proof (CGGMP21 Figure 17):
 * knowledge of lambda with s = t^lambda mod N, 80 parallel repetitions of
 *   A_i = t^a_i (a_i < phi(N)), e_i = bit i of H(context, N, s, t, A_1..A_80),
 *   z_i = a_i + e_i lambda mod phi(N);   verify t^z_i = A_i s^e_i (mod N).
 * A cheating prover passes each repetition with probability 1/2 at most, so
 * the proof has 80 bits of soundness (never fewer repetitions: TSSHOCK).
 * Encoding: 80 x A_i | 80 x z_i.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/bn_util.h"
#include "engine/transcript.h"
#include "engine/zk_paillier.h"

static void prm_challenge(unsigned char e[32], const unsigned char context[32],
                          const gg_paillier_pub *pub, BIGNUM *const *A) {
    mpc_transcript t;
    mpc_transcript_init(&t, "GG-zk-prm-v1");
    mpc_transcript_append(&t, "context", context, 32);
    bn_transcript(&t, "N", pub->N);
    bn_transcript(&t, "s", pub->s);
    bn_transcript(&t, "t", pub->t);
    mpc_transcript_append_u64(&t, "reps", GG_ZK_PRM_REPS);
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) bn_transcript(&t, "A", A[i]);
    mpc_transcript_digest(&t, e);
}

static int bit(const unsigned char e[32], int i) { return (e[i / 8] >> (i % 8)) & 1; }

mpc_err_code gg_zk_prm_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *k,
                             const unsigned char context[32], unsigned char **out, size_t *len) {
    MPC_ARG_CHECK(ctx != NULL && k != NULL && context != NULL && out != NULL && len != NULL);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *a[GG_ZK_PRM_REPS] = {0}, *A[GG_ZK_PRM_REPS] = {0}, *z = bn_secret_new();
    unsigned char e[32];
    mpc_writer wr;
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    mpc_writer_init(&wr);
    if (bc == NULL || z == NULL) goto out;
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) {
        a[i] = bn_secret_new();
        A[i] = BN_new();
        if (a[i] == NULL || A[i] == NULL) goto out;
        if (!bn_rand_below(mpc_engine_rng(ctx), a[i], k->phi, bc)) {
            rc = MPC_ERR_RNG;
            goto out;
        }
        if (!gg_paillier_pow_n(k, A[i], k->pub.t, a[i], bc)) goto out;
    }
    prm_challenge(e, context, &k->pub, A);
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) bn_write(&wr, A[i]);
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) {
        if (!BN_copy(z, a[i]) || (bit(e, i) && !BN_mod_add(z, z, k->lambda, k->phi, bc)))
            goto out;
        bn_write(&wr, z);
    }
    *out = mpc_writer_take(&wr, len);
    rc = *out != NULL ? MPC_OK : MPC_ERR_NOMEM;
out:
    mpc_writer_free(&wr);
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) {
        BN_clear_free(a[i]);
        BN_free(A[i]);
    }
    BN_clear_free(z);
    BN_CTX_free(bc);
    return rc;
}

int gg_zk_prm_verify(const gg_paillier_pub *pub, const unsigned char context[32],
                     const unsigned char *proof, size_t len) {
    MPC_ARG_CHECK(pub != NULL && context != NULL && (proof != NULL || len == 0));
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *A[GG_ZK_PRM_REPS] = {0}, *z = BN_new(), *lhs = BN_new(), *rhs = BN_new(),
           *nm1 = BN_new();
    unsigned char e[32];
    mpc_reader r;
    int ok = 0;
    if (!bc || !z || !lhs || !rhs || !nm1 || !BN_sub(nm1, pub->N, BN_value_one())) goto out;
    if (BN_num_bits(pub->N) != GG_PAILLIER_BITS || !BN_is_odd(pub->N) ||
        !bn_is_unit(pub->s, pub->N, bc) || !bn_is_unit(pub->t, pub->N, bc) ||
        BN_is_one(pub->s) || BN_is_one(pub->t) || BN_cmp(pub->s, nm1) == 0 ||
        BN_cmp(pub->t, nm1) == 0 || BN_cmp(pub->s, pub->t) == 0)
        goto out;
    mpc_reader_init(&r, proof, len);
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) {
        A[i] = BN_new();
        if (A[i] == NULL || !bn_read(&r, A[i], 256) || !bn_is_unit(A[i], pub->N, bc)) goto out;
    }
    prm_challenge(e, context, pub, A);
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) {
        if (!bn_read(&r, z, 256) || BN_is_negative(z) || BN_cmp(z, pub->N) >= 0) goto out;
        if (!BN_mod_exp(lhs, pub->t, z, pub->N, bc) || !BN_copy(rhs, A[i]) ||
            (bit(e, i) && !BN_mod_mul(rhs, rhs, pub->s, pub->N, bc)) || BN_cmp(lhs, rhs) != 0)
            goto out;
    }
    ok = mpc_reader_done(&r);
out:
    for (int i = 0; i < GG_ZK_PRM_REPS; i++) BN_free(A[i]);
    BN_free(z), BN_free(lhs), BN_free(rhs), BN_free(nm1);
    BN_CTX_free(bc);
    return ok;
}
