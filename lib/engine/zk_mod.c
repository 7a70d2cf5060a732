/* zk_mod.c - Pi_mod, the Paillier-Blum modulus proof (CGGMP21 Figure 16).
 *
 *   prover: w with Jacobi(w, N) = -1; y_i = H(context, N, w, i) in Z_N for
 *           i < 80; a_i, b_i chosen so y'_i = (-1)^a_i w^b_i y_i is a square
 *           mod p and mod q; x_i = y'_i^(1/4) (the root that is itself a
 *           square: y'^(((p+1)/4)^2) mod p, likewise mod q); z_i = y_i^(N^-1
 *           mod phi(N)).
 *   verifier: N odd, 2048 bits, composite; w a unit with Jacobi -1;
 *           z_i^N = y_i and x_i^4 = (-1)^a_i w^b_i y_i (mod N).
 * Encoding: w | 80 x (x_i | z_i | u8 a_i + 2 b_i).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/bn_util.h"
#include "engine/transcript.h"
#include "engine/zk_paillier.h"

static void mod_seed(unsigned char seed[32], const unsigned char context[32], const BIGNUM *N,
                     const BIGNUM *w) {
    mpc_transcript t;
    mpc_transcript_init(&t, "GG-zk-mod-v1");
    mpc_transcript_append(&t, "context", context, 32);
    bn_transcript(&t, "N", N);
    bn_transcript(&t, "w", w);
    mpc_transcript_append_u64(&t, "reps", GG_ZK_MOD_REPS);
    mpc_transcript_digest(&t, seed);
}

/* Euler's criterion in constant time: 1 if a is a square mod prime p. */
static int is_qr(const BIGNUM *a, const BIGNUM *p, BN_CTX *bc) {
    BIGNUM *e = bn_secret_new(), *r = bn_secret_new();
    int ok = e && r && BN_sub(e, p, BN_value_one()) && BN_rshift1(e, e) &&
             bn_exp_secret(r, a, e, p, bc) && BN_is_one(r);
    bn_clear_free_all(e, r, NULL);
    return ok;
}

/* x = a^(((p+1)/4)^2 mod (p-1)) mod p */
static int fourth_root(BIGNUM *x, const BIGNUM *a, const BIGNUM *p, BN_CTX *bc) {
    BIGNUM *e = bn_secret_new(), *pm1 = bn_secret_new();
    int ok = e && pm1 && BN_add(e, p, BN_value_one()) && BN_rshift(e, e, 2) &&
             BN_sub(pm1, p, BN_value_one()) && BN_mod_sqr(e, e, pm1, bc) &&
             bn_exp_secret(x, a, e, p, bc);
    bn_clear_free_all(e, pm1, NULL);
    return ok;
}

mpc_err_code gg_zk_mod_prove(const mpc_engine_ctx *ctx, const gg_paillier_priv *k,
                             const unsigned char context[32], unsigned char **out, size_t *len) {
    MPC_ARG_CHECK(ctx != NULL && k != NULL && context != NULL && out != NULL && len != NULL);
    const BIGNUM *N = k->pub.N;
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *w = BN_new(), *y = BN_new(), *yy = BN_new(), *x = bn_secret_new(),
           *xp = bn_secret_new(), *xq = bn_secret_new(), *ninv = bn_secret_new(),
           *z = BN_new(), *nm1 = BN_new();
    unsigned char seed[32];
    mpc_writer wr;
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    mpc_writer_init(&wr);
    if (!bc || !w || !y || !yy || !x || !xp || !xq || !ninv || !z || !nm1 ||
        !BN_sub(nm1, N, BN_value_one()))
        goto out;
    for (int i = 0;; i++) {
        if (i == 256 || !bn_rand_unit(mpc_engine_rng(ctx), w, N, bc)) {
            rc = MPC_ERR_RNG;
            goto out;
        }
        if (BN_kronecker(w, N, bc) == -1) break;
    }
    /* N^-1 mod phi(N) (fails for a non-Paillier key: then z = y, invalid) */
    if (BN_mod_inverse(ninv, N, k->phi, bc) == NULL) BN_one(ninv);
    mod_seed(seed, context, N, w);
    bn_write(&wr, w);
    int wp = is_qr(w, k->p, bc), wq = is_qr(w, k->q, bc);
    for (uint32_t i = 0; i < GG_ZK_MOD_REPS; i++) {
        if (!bn_hash_below(y, seed, "y", i, N, bc)) goto out;
        int yp = is_qr(y, k->p, bc), yq = is_qr(y, k->q, bc), a = 0, b = 0;
        /* -1 is a non-square mod both primes; w is a square mod exactly one. */
        for (int ab = 0; ab < 4; ab++) {
            int ta = ab & 1, tb = ab >> 1;
            int sp = yp ^ ta ^ (tb && !wp), sq = yq ^ ta ^ (tb && !wq);
            if (sp && sq) a = ta, b = tb;
        }
        if (!BN_copy(yy, y) || (b && !BN_mod_mul(yy, yy, w, N, bc)) ||
            (a && !BN_mod_sub(yy, N, yy, N, bc)))
            goto out;
        if (!fourth_root(xp, yy, k->p, bc) || !fourth_root(xq, yy, k->q, bc) ||
            !BN_mod_sub(x, xp, xq, k->p, bc) || !BN_mod_mul(x, x, k->qinv, k->p, bc) ||
            !BN_mul(x, x, k->q, bc) || !BN_add(x, x, xq) ||
            !gg_paillier_pow_n(k, z, y, ninv, bc))
            goto out;
        bn_write(&wr, x);
        bn_write(&wr, z);
        mpc_write_u8(&wr, (uint8_t)(a | (b << 1)));
    }
    *out = mpc_writer_take(&wr, len);
    rc = *out != NULL ? MPC_OK : MPC_ERR_NOMEM;
out:
    mpc_writer_free(&wr);
    BN_free(w), BN_free(y), BN_free(yy), BN_free(z), BN_free(nm1);
    bn_clear_free_all(x, xp, xq, ninv, NULL);
    BN_CTX_free(bc);
    return rc;
}

int gg_zk_mod_verify(const BIGNUM *N, const unsigned char context[32], const unsigned char *proof,
                     size_t len) {
    MPC_ARG_CHECK(N != NULL && context != NULL && (proof != NULL || len == 0));
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *w = BN_new(), *y = BN_new(), *x = BN_new(), *z = BN_new(), *u = BN_new(),
           *four = BN_new();
    unsigned char seed[32];
    mpc_reader r;
    int ok = 0;
    if (!bc || !w || !y || !x || !z || !u || !four || !BN_set_word(four, 4)) goto out;
    if (BN_num_bits(N) != GG_PAILLIER_BITS || !BN_is_odd(N)) goto out;
    /* composite: Miller-Rabin with bases derived from N (a prime never fails) */
    {
        unsigned char nb[GG_PAILLIER_BITS / 8];
        mpc_test_rng tr;
        BN_bn2binpad(N, nb, sizeof nb);
        uint64_t s = 0;
        for (int i = 0; i < 8; i++) s = (s << 8) | nb[sizeof nb - 1 - i];
        mpc_test_rng_init(&tr, s);
        mpc_rng rng = mpc_test_rng_source(&tr);
        if (bn_miller_rabin(&rng, N, 4, bc) != 0) goto out;
    }
    mpc_reader_init(&r, proof, len);
    if (!bn_read(&r, w, 256) || !bn_is_unit(w, N, bc) || BN_kronecker(w, N, bc) != -1) goto out;
    mod_seed(seed, context, N, w);
    for (uint32_t i = 0; i < GG_ZK_MOD_REPS; i++) {
        uint8_t ab;
        if (!bn_read(&r, x, 256) || !bn_read(&r, z, 256) || !mpc_read_u8(&r, &ab) || ab > 3 ||
            BN_is_negative(x) || BN_is_negative(z) || BN_cmp(x, N) >= 0 || BN_cmp(z, N) >= 0 ||
            !bn_hash_below(y, seed, "y", i, N, bc))
            goto out;
        if (!bn_is_unit(y, N, bc)) goto out; /* gcd > 1 would factor N: reject */
        if (!BN_mod_exp(u, z, N, N, bc) || BN_cmp(u, y) != 0) goto out;
        if ((ab & 2) && !BN_mod_mul(y, y, w, N, bc)) goto out;
        if ((ab & 1) && !BN_mod_sub(y, N, y, N, bc)) goto out;
        if (!BN_mod_exp(u, x, four, N, bc) || BN_cmp(u, y) != 0) goto out;
    }
    ok = mpc_reader_done(&r);
out:
    BN_free(w), BN_free(y), BN_free(x), BN_free(z), BN_free(u), BN_free(four);
    BN_CTX_free(bc);
    return ok;
}
