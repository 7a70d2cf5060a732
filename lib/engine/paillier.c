/* paillier.c - Paillier keys, CRT encryption/decryption, safe primes and the
 * parameter pool (see paillier.h). */
#include "engine/paillier.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/bn_util.h"
#include "engine/wire.h"

#define SIEVE_LIMIT 65536u
#define SIEVE_WINDOW 8192u

/* Small odd primes 5..SIEVE_LIMIT into out (returns count). */
static size_t small_primes(uint32_t *out, size_t max) {
    unsigned char *comp = calloc(SIEVE_LIMIT, 1);
    size_t n = 0;
    if (comp == NULL) return 0;
    for (uint32_t i = 2; i < SIEVE_LIMIT; i++) {
        if (comp[i]) continue;
        if (i >= 5 && n < max) out[n++] = i;
        for (uint32_t j = i * i; j < SIEVE_LIMIT; j += i) comp[j] = 1;
    }
    free(comp);
    return n;
}

static uint32_t inv_mod_u32(uint32_t a, uint32_t m) { /* m prime, a != 0 mod m */
    uint64_t r = 1, b = a % m;
    for (uint32_t e = m - 2; e; e >>= 1) {
        if (e & 1) r = r * b % m;
        b = b * b % m;
    }
    return (uint32_t)r;
}

int gg_safe_prime(const mpc_rng *rng, BIGNUM *out, int bits) {
    uint32_t *primes = malloc(7000 * sizeof *primes);
    unsigned char *bad = malloc(SIEVE_WINDOW);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *q0 = bn_secret_new(), *q = bn_secret_new(), *p = bn_secret_new(),
           *pm1 = bn_secret_new(), *x = BN_new();
    int ok = 0;
    size_t np = primes != NULL ? small_primes(primes, 7000) : 0;
    if (bad == NULL || bc == NULL || q0 == NULL || q == NULL || p == NULL || pm1 == NULL ||
        x == NULL || np == 0 || bits < 64)
        goto out;
    BN_set_flags(out, BN_FLG_CONSTTIME);
    for (int attempt = 0; attempt < 100000 && !ok; attempt++) {
        if (!bn_rand_bits(rng, q0, bits - 1)) goto out;
        BN_ULONG m6 = BN_mod_word(q0, 6);
        if (m6 == (BN_ULONG)-1 || !BN_sub_word(q0, m6) || !BN_add_word(q0, 5)) goto out;
        memset(bad, 0, SIEVE_WINDOW);
        for (size_t i = 0; i < np; i++) {
            uint32_t r = primes[i];
            BN_ULONG a = BN_mod_word(q0, r);
            if (a == (BN_ULONG)-1) goto out;
            uint32_t inv6 = inv_mod_u32(6, r);
            /* q0 + 6k = 0 (mod r)  and  2(q0 + 6k) + 1 = 0 (mod r) */
            uint32_t k1 = (uint32_t)((uint64_t)(r - a) % r * inv6 % r);
            uint32_t half = (r - 1) / 2; /* -1/2 mod r */
            uint32_t k2 = (uint32_t)((uint64_t)((half + r - a) % r) * inv6 % r);
            for (uint32_t k = k1; k < SIEVE_WINDOW; k += r) bad[k] = 1;
            for (uint32_t k = k2; k < SIEVE_WINDOW; k += r) bad[k] = 1;
        }
        for (uint32_t k = 0; k < SIEVE_WINDOW && !ok; k++) {
            if (bad[k]) continue;
            if (!BN_copy(q, q0) || !BN_add_word(q, 6 * k) || !BN_lshift1(p, q) ||
                !BN_add_word(p, 1) || !BN_sub(pm1, p, BN_value_one()))
                goto out;
            if (BN_num_bits(p) != bits) break;
            /* Fermat base 2 on p. */
            BIGNUM *two = x;
            if (!BN_set_word(two, 2) || !BN_mod_exp(two, two, pm1, p, bc)) goto out;
            if (!BN_is_one(two)) continue;
            int mr = bn_miller_rabin(rng, q, 40, bc);
            if (mr < 0) goto out;
            if (mr == 1) ok = BN_copy(out, p) != NULL;
        }
    }
out:
    free(primes);
    free(bad);
    bn_clear_free_all(q0, q, p, pm1, NULL);
    BN_free(x);
    BN_CTX_free(bc);
    return ok;
}

void gg_paillier_pub_clear(gg_paillier_pub *p) {
    if (p == NULL) return;
    BN_free(p->N);
    BN_free(p->N2);
    BN_free(p->s);
    BN_free(p->t);
    memset(p, 0, sizeof *p);
}

int gg_paillier_pub_copy(gg_paillier_pub *dst, const gg_paillier_pub *src) {
    dst->N = BN_dup(src->N);
    dst->N2 = BN_dup(src->N2);
    dst->s = BN_dup(src->s);
    dst->t = BN_dup(src->t);
    if (dst->N && dst->N2 && dst->s && dst->t) return 1;
    gg_paillier_pub_clear(dst);
    return 0;
}

void gg_paillier_free(gg_paillier_priv *k) {
    if (k == NULL) return;
    gg_paillier_pub_clear(&k->pub);
    bn_clear_free_all(k->p, k->q, k->phi, k->lambda, k->pp, k->qq, k->phi_pp, k->phi_qq, k->hp,
                      k->hq, k->qinv, k->qqinv, NULL);
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}

/* hp = (L_p((1+N)^(p-1) mod p^2))^-1 mod p with L_p(u) = (u - 1) / p. */
static int crt_h(BIGNUM *h, const BIGNUM *N, const BIGNUM *p, const BIGNUM *pp, BN_CTX *bc) {
    BIGNUM *g = bn_secret_new(), *e = bn_secret_new();
    int ok = g && e && BN_add(g, N, BN_value_one()) && BN_sub(e, p, BN_value_one()) &&
             bn_exp_secret(g, g, e, pp, bc) && BN_sub_word(g, 1) && BN_div(g, NULL, g, p, bc) &&
             BN_mod_inverse(h, g, p, bc) != NULL;
    bn_clear_free_all(g, e, NULL);
    return ok;
}

/* Build a key from p, q, t, lambda (all copied); derives the rest. */
static mpc_err_code build_key(gg_paillier_priv **out, const BIGNUM *p, const BIGNUM *q,
                              const BIGNUM *t, const BIGNUM *lambda, int min_bits) {
    gg_paillier_priv *k = calloc(1, sizeof *k);
    BN_CTX *bc = BN_CTX_new();
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    if (k == NULL || bc == NULL) goto out;
    k->p = bn_secret_new(), k->q = bn_secret_new(), k->phi = bn_secret_new();
    k->lambda = bn_secret_new(), k->pp = bn_secret_new(), k->qq = bn_secret_new();
    k->phi_pp = bn_secret_new(), k->phi_qq = bn_secret_new(), k->hp = bn_secret_new();
    k->hq = bn_secret_new(), k->qinv = bn_secret_new(), k->qqinv = bn_secret_new();
    k->pub.N = BN_new(), k->pub.N2 = BN_new(), k->pub.s = BN_new(), k->pub.t = BN_new();
    if (!k->qqinv || !k->pub.t || !k->pub.s || !k->pub.N2 || !k->pub.N || !k->hq || !k->hp ||
        !k->phi_qq || !k->phi_pp || !k->qq || !k->pp || !k->lambda || !k->phi || !k->q || !k->p)
        goto out;
    rc = MPC_ERR_CONFIG;
    if (!BN_is_odd(p) || !BN_is_odd(q) || BN_cmp(p, q) == 0 || BN_num_bits(p) < 16 ||
        BN_num_bits(q) < 16)
        goto out;
    rc = MPC_ERR_NOMEM;
    BIGNUM *pm1 = bn_secret_new(), *qm1 = bn_secret_new();
    int ok = pm1 && qm1 && BN_copy(k->p, p) && BN_copy(k->q, q) && BN_copy(k->lambda, lambda) &&
             BN_copy(k->pub.t, t) && BN_mul(k->pub.N, p, q, bc) &&
             BN_sqr(k->pub.N2, k->pub.N, bc) && BN_sub(pm1, p, BN_value_one()) &&
             BN_sub(qm1, q, BN_value_one()) && BN_mul(k->phi, pm1, qm1, bc) &&
             BN_sqr(k->pp, p, bc) && BN_sqr(k->qq, q, bc) && BN_mul(k->phi_pp, p, pm1, bc) &&
             BN_mul(k->phi_qq, q, qm1, bc);
    bn_clear_free_all(pm1, qm1, NULL);
    if (!ok) goto out;
    rc = MPC_ERR_CONFIG;
    if (BN_num_bits(k->pub.N) < min_bits || BN_num_bits(k->pub.N) > GG_PAILLIER_BITS) goto out;
    if (!crt_h(k->hp, k->pub.N, p, k->pp, bc) || !crt_h(k->hq, k->pub.N, q, k->qq, bc) ||
        BN_mod_inverse(k->qinv, q, p, bc) == NULL || BN_mod_inverse(k->qqinv, k->qq, k->pp, bc) == NULL)
        goto out;
    if (!bn_is_unit(t, k->pub.N, bc) || !bn_exp_secret(k->pub.s, t, lambda, k->pub.N, bc) ||
        !bn_is_unit(k->pub.s, k->pub.N, bc))
        goto out;
    *out = k;
    k = NULL;
    rc = MPC_OK;
out:
    gg_paillier_free(k);
    BN_CTX_free(bc);
    return rc;
}

static mpc_err_code from_primes(const mpc_engine_ctx *ctx, gg_paillier_priv **out,
                                const BIGNUM *p, const BIGNUM *q, int min_bits) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && p != NULL && q != NULL);
    const mpc_rng *rng = mpc_engine_rng(ctx);
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *N = BN_new(), *phi = bn_secret_new(), *a = bn_secret_new(), *b = bn_secret_new(),
           *r = bn_secret_new(), *lambda = bn_secret_new();
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    if (!bc || !N || !phi || !a || !b || !r || !lambda || !BN_mul(N, p, q, bc) ||
        !BN_sub(a, p, BN_value_one()) || !BN_sub(b, q, BN_value_one()) || !BN_mul(phi, a, b, bc))
        goto out;
    rc = MPC_ERR_RNG;
    if (!bn_rand_unit(rng, r, N, bc) || !bn_rand_below(rng, lambda, phi, bc)) goto out;
    rc = MPC_ERR_NOMEM;
    if (!BN_mod_sqr(r, r, N, bc)) goto out;
    rc = build_key(out, p, q, r, lambda, min_bits);
out:
    BN_free(N);
    bn_clear_free_all(phi, a, b, r, lambda, NULL);
    BN_CTX_free(bc);
    return rc;
}

mpc_err_code gg_paillier_from_primes(const mpc_engine_ctx *ctx, gg_paillier_priv **out,
                                     const BIGNUM *p, const BIGNUM *q) {
    return from_primes(ctx, out, p, q, GG_PAILLIER_BITS);
}

mpc_err_code gg_paillier_from_primes_any(const mpc_engine_ctx *ctx, gg_paillier_priv **out,
                                         const BIGNUM *p, const BIGNUM *q) {
    return from_primes(ctx, out, p, q, 1024);
}

mpc_err_code gg_paillier_generate(const mpc_engine_ctx *ctx, gg_paillier_priv **out) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL);
    BIGNUM *p = bn_secret_new(), *q = bn_secret_new();
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    if (p && q) {
        rc = MPC_ERR_RNG;
        if (gg_safe_prime(mpc_engine_rng(ctx), p, GG_PAILLIER_BITS / 2) &&
            gg_safe_prime(mpc_engine_rng(ctx), q, GG_PAILLIER_BITS / 2))
            rc = BN_cmp(p, q) == 0 ? MPC_ERR_INTERNAL : gg_paillier_from_primes(ctx, out, p, q);
    }
    bn_clear_free_all(p, q, NULL);
    return rc;
}

mpc_err_code gg_paillier_serialize(const gg_paillier_priv *k, unsigned char **out, size_t *len) {
    MPC_ARG_CHECK(k != NULL && out != NULL && len != NULL);
    mpc_writer w;
    mpc_writer_init(&w);
    mpc_write_u8(&w, 1);
    bn_write(&w, k->p);
    bn_write(&w, k->q);
    bn_write(&w, k->pub.t);
    bn_write(&w, k->lambda);
    *out = mpc_writer_take(&w, len);
    return *out != NULL ? MPC_OK : MPC_ERR_NOMEM;
}

mpc_err_code gg_paillier_parse(gg_paillier_priv **out, const unsigned char *in, size_t len) {
    MPC_ARG_CHECK(out != NULL && (in != NULL || len == 0));
    mpc_reader r;
    uint8_t ver;
    BIGNUM *p = bn_secret_new(), *q = bn_secret_new(), *t = BN_new(), *lambda = bn_secret_new();
    mpc_err_code rc = MPC_ERR_NOMEM;
    *out = NULL;
    if (p && q && t && lambda) {
        mpc_reader_init(&r, in, len);
        int ok = mpc_read_u8(&r, &ver) && ver == 1 && bn_read(&r, p, 512) &&
                 bn_read(&r, q, 512) && bn_read(&r, t, 512) && bn_read(&r, lambda, 512) &&
                 mpc_reader_done(&r) && !BN_is_negative(p) && !BN_is_negative(q) &&
                 !BN_is_negative(lambda);
        rc = ok ? build_key(out, p, q, t, lambda, GG_PAILLIER_BITS) : MPC_ERR_MALFORMED;
        if (rc == MPC_ERR_CONFIG) rc = MPC_ERR_MALFORMED;
    }
    bn_clear_free_all(p, q, lambda, NULL);
    BN_free(t);
    return rc;
}

/* x^N mod p^2 = ((x mod p)^q mod p)^p mod p^2 (N = p q): y^p mod p^2
 * depends only on y mod p, because (y + k p)^p = y^p (mod p^2). Two
 * exponentiations with exponents of half the bits instead of one of
 * exponent p(p-1). */
static int nth_half(BIGNUM *r, const BIGNUM *x, const BIGNUM *p, const BIGNUM *q,
                    const BIGNUM *pp, BN_CTX *bc) {
    BIGNUM *y = bn_secret_new();
    int ok = y && bn_exp_secret(y, x, q, p, bc) && bn_exp_secret(r, y, p, pp, bc);
    BN_clear_free(y);
    return ok;
}

int gg_paillier_nth_power(const gg_paillier_priv *k, BIGNUM *r, const BIGNUM *x, BN_CTX *bc) {
    BIGNUM *ap = bn_secret_new(), *aq = bn_secret_new(), *d = bn_secret_new();
    int ok = ap && aq && d && !BN_is_negative(x) && nth_half(ap, x, k->p, k->q, k->pp, bc) &&
             nth_half(aq, x, k->q, k->p, k->qq, bc) &&
             /* r = aq + q^2 * ((ap - aq) * (q^2)^-1 mod p^2) */
             BN_mod_sub(d, ap, aq, k->pp, bc) && BN_mod_mul(d, d, k->qqinv, k->pp, bc) &&
             BN_mul(d, d, k->qq, bc) && BN_add(r, d, aq);
    bn_clear_free_all(ap, aq, d, NULL);
    return ok;
}

int gg_paillier_pow(const gg_paillier_pub *pub, const gg_paillier_priv *priv, BIGNUM *r,
                    const BIGNUM *base, const BIGNUM *e, int secret_e, BN_CTX *bc) {
    if (BN_is_negative(e)) return 0;
    if (priv != NULL && BN_cmp(e, pub->N) == 0) return gg_paillier_nth_power(priv, r, base, bc);
    if (priv == NULL) {
        if (secret_e) return bn_exp_secret(r, base, e, pub->N2, bc);
        return BN_mod_exp(r, base, e, pub->N2, bc);
    }
    /* CRT: exponent reduced mod phi(p^2) = p(p-1) and phi(q^2). */
    BIGNUM *ep = bn_secret_new(), *eq = bn_secret_new(), *ap = bn_secret_new(),
           *aq = bn_secret_new(), *d = bn_secret_new();
    int ok = ep && eq && ap && aq && d && BN_nnmod(ep, e, priv->phi_pp, bc) &&
             BN_nnmod(eq, e, priv->phi_qq, bc) && bn_exp_secret(ap, base, ep, priv->pp, bc) &&
             bn_exp_secret(aq, base, eq, priv->qq, bc) &&
             /* r = aq + q^2 * ((ap - aq) * (q^2)^-1 mod p^2) */
             BN_mod_sub(d, ap, aq, priv->pp, bc) && BN_mod_mul(d, d, priv->qqinv, priv->pp, bc) &&
             BN_mul(d, d, priv->qq, bc) && BN_add(r, d, aq);
    bn_clear_free_all(ep, eq, ap, aq, d, NULL);
    return ok;
}

int gg_paillier_pow_n(const gg_paillier_priv *k, BIGNUM *r, const BIGNUM *base,
                      const BIGNUM *e, BN_CTX *bc) {
    if (BN_is_negative(e)) return 0;
    BIGNUM *ep = bn_secret_new(), *eq = bn_secret_new(), *ap = bn_secret_new(),
           *aq = bn_secret_new(), *d = bn_secret_new();
    int ok = ep && eq && ap && aq && d && BN_sub(d, k->p, BN_value_one()) &&
             BN_nnmod(ep, e, d, bc) && BN_sub(d, k->q, BN_value_one()) && BN_nnmod(eq, e, d, bc) &&
             bn_exp_secret(ap, base, ep, k->p, bc) && bn_exp_secret(aq, base, eq, k->q, bc) &&
             BN_mod_sub(d, ap, aq, k->p, bc) && BN_mod_mul(d, d, k->qinv, k->p, bc) &&
             BN_mul(d, d, k->q, bc) && BN_add(r, d, aq);
    bn_clear_free_all(ep, eq, ap, aq, d, NULL);
    return ok;
}

int gg_paillier_is_ciphertext(const gg_paillier_pub *pub, const BIGNUM *c, BN_CTX *bc) {
    /* a unit mod N^2 iff a unit mod N: the inversion modulo N is the cheaper */
    BIGNUM *red = BN_new();
    int ok = red != NULL && !BN_is_negative(c) && BN_cmp(c, pub->N2) < 0 &&
             BN_nnmod(red, c, pub->N, bc) && bn_is_unit(red, pub->N, bc);
    BN_free(red);
    return ok;
}

int gg_paillier_is_unit_own(const gg_paillier_priv *k, const BIGNUM *a, const BIGNUM *bound,
                            BN_CTX *bc) {
    BIGNUM *rem = BN_new();
    int ok = rem != NULL && !BN_is_negative(a) && !BN_is_zero(a) && BN_cmp(a, bound) < 0 &&
             BN_mod(rem, a, k->p, bc) && !BN_is_zero(rem) && BN_mod(rem, a, k->q, bc) &&
             !BN_is_zero(rem);
    BN_clear_free(rem);
    return ok;
}

int gg_rp_pow_own(const gg_paillier_priv *k, BIGNUM *r, const BIGNUM *a, const BIGNUM *b,
                  BN_CTX *bc) {
    /* s^a t^b = t^(lambda a + b); t has order dividing phi(N). */
    BIGNUM *e = bn_secret_new();
    int ok = e && BN_mul(e, k->lambda, a, bc) && BN_add(e, e, b) && BN_nnmod(e, e, k->phi, bc) &&
             gg_paillier_pow_n(k, r, k->pub.t, e, bc);
    BN_clear_free(e);
    return ok;
}

int gg_paillier_encrypt(const gg_paillier_pub *pub, const gg_paillier_priv *priv, BIGNUM *c,
                        const BIGNUM *m, const BIGNUM *rnd, BN_CTX *bc) {
    BIGNUM *g = bn_secret_new(), *rn = bn_secret_new();
    /* (1 + m N) mod N^2 with m reduced mod N */
    int ok = g && rn && BN_nnmod(g, m, pub->N, bc) && BN_mul(g, g, pub->N, bc) &&
             BN_add_word(g, 1) && gg_paillier_pow(pub, priv, rn, rnd, pub->N, 0, bc) &&
             BN_mod_mul(c, g, rn, pub->N2, bc);
    bn_clear_free_all(g, rn, NULL);
    return ok;
}

static int dec_half(BIGNUM *mp, const BIGNUM *c, const BIGNUM *p, const BIGNUM *pp,
                    const BIGNUM *h, BN_CTX *bc) {
    BIGNUM *e = bn_secret_new(), *u = bn_secret_new();
    int ok = e && u && BN_sub(e, p, BN_value_one()) && bn_exp_secret(u, c, e, pp, bc) &&
             BN_sub_word(u, 1) && BN_div(u, NULL, u, p, bc) && BN_mod_mul(mp, u, h, p, bc);
    bn_clear_free_all(e, u, NULL);
    return ok;
}

int gg_paillier_decrypt(const gg_paillier_priv *k, BIGNUM *m, const BIGNUM *c, BN_CTX *bc) {
    if (!gg_paillier_is_ciphertext(&k->pub, c, bc)) return 0;
    BIGNUM *mp = bn_secret_new(), *mq = bn_secret_new(), *d = bn_secret_new();
    BN_set_flags(m, BN_FLG_CONSTTIME);
    int ok = mp && mq && d && dec_half(mp, c, k->p, k->pp, k->hp, bc) &&
             dec_half(mq, c, k->q, k->qq, k->hq, bc) && BN_mod_sub(d, mp, mq, k->p, bc) &&
             BN_mod_mul(d, d, k->qinv, k->p, bc) && BN_mul(d, d, k->q, bc) && BN_add(m, d, mq);
    bn_clear_free_all(mp, mq, d, NULL);
    return ok;
}

int gg_paillier_randomness(const gg_paillier_priv *k, BIGNUM *rho, const BIGNUM *c, BN_CTX *bc) {
    if (!gg_paillier_is_ciphertext(&k->pub, c, bc)) return 0;
    /* c = rho^N mod N (1 + m N vanishes), and x -> x^N is a bijection of Z*_N
     * because gcd(N, phi(N)) = 1 */
    BIGNUM *d = bn_secret_new(), *cn = BN_new();
    int ok = d && cn && BN_mod_inverse(d, k->pub.N, k->phi, bc) != NULL &&
             BN_nnmod(cn, c, k->pub.N, bc) && gg_paillier_pow_n(k, rho, cn, d, bc);
    BN_clear_free(d);
    BN_free(cn);
    return ok;
}

int gg_paillier_add(const gg_paillier_pub *pub, BIGNUM *r, const BIGNUM *c1, const BIGNUM *c2,
                    BN_CTX *bc) {
    return BN_mod_mul(r, c1, c2, pub->N2, bc);
}

int gg_paillier_mul(const gg_paillier_pub *pub, BIGNUM *r, const BIGNUM *c, const BIGNUM *k,
                    BN_CTX *bc) {
    return bn_exp_secret(r, c, k, pub->N2, bc);
}

void gg_pool_init(gg_paillier_pool *pool) {
    MPC_ARG_CHECK(pool != NULL);
    memset(pool, 0, sizeof *pool);
}

int gg_pool_add(gg_paillier_pool *pool, gg_paillier_priv *k) {
    MPC_ARG_CHECK(pool != NULL && k != NULL);
    if (pool->count == pool->cap) {
        size_t cap = pool->cap ? 2 * pool->cap : 8;
        gg_paillier_priv **items = realloc(pool->items, cap * sizeof *items);
        if (items == NULL) return 0;
        pool->items = items;
        pool->cap = cap;
    }
    pool->items[pool->count++] = k;
    return 1;
}

gg_paillier_priv *gg_pool_take(gg_paillier_pool *pool) {
    MPC_ARG_CHECK(pool != NULL);
    if (pool->count == 0) return NULL;
    gg_paillier_priv *k = pool->items[0];
    memmove(pool->items, pool->items + 1, (pool->count - 1) * sizeof *pool->items);
    pool->count--;
    return k;
}

size_t gg_pool_count(const gg_paillier_pool *pool) { return pool->count; }

void gg_pool_clear(gg_paillier_pool *pool) {
    if (pool == NULL) return;
    for (size_t i = 0; i < pool->count; i++) gg_paillier_free(pool->items[i]);
    free(pool->items);
    memset(pool, 0, sizeof *pool);
}
