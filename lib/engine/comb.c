/* comb.c - fixed-base exponentiation by the Lim-Lee comb (see comb.h). */
#include "engine/comb.h"

#include <stdlib.h>

#include <openssl/crypto.h>

#define ROW (1u << MPC_COMB_TEETH)

struct mpc_comb {
    BN_MONT_CTX *mont;
    int bits;        /* exponent bound the table covers: TEETH * a >= bits */
    int a, b;        /* chunk and span lengths, a = b * SPANS */
    int words;       /* limbs of the modulus */
    BIGNUM *one;     /* 1 in Montgomery form */
    BIGNUM *tab[MPC_COMB_SPANS][ROW];
};

void mpc_comb_free(mpc_comb *c) {
    if (c == NULL) return;
    for (int s = 0; s < MPC_COMB_SPANS; s++)
        for (unsigned j = 0; j < ROW; j++) BN_free(c->tab[s][j]);
    BN_free(c->one);
    BN_MONT_CTX_free(c->mont);
    free(c);
}

int mpc_comb_bits(const mpc_comb *c) { return c->bits; }

/* A BIGNUM with room for at least words limbs (BN_consttime_swap touches
 * that many). */
static BIGNUM *wide_new(int words) {
    BIGNUM *x = BN_new();
    if (x == NULL || !BN_set_bit(x, words * BN_BITS2)) {
        BN_free(x);
        return NULL;
    }
    BN_zero(x);
    return x;
}

mpc_comb *mpc_comb_new(const BIGNUM *base, const BIGNUM *m, int exp_bits, BN_CTX *bc) {
    if (base == NULL || m == NULL || bc == NULL || exp_bits < 1 || exp_bits > 16384 ||
        !BN_is_odd(m) || BN_is_one(m) || BN_is_negative(m))
        return NULL;
    mpc_comb *c = calloc(1, sizeof *c);
    /* g[k][s] = base^(2^(k a + s b)) in Montgomery form */
    BIGNUM *g[MPC_COMB_TEETH][MPC_COMB_SPANS] = {{0}}, *x = BN_new();
    int ok = 0;
    if (c == NULL || x == NULL) goto out;
    int chunk = (exp_bits + MPC_COMB_TEETH - 1) / MPC_COMB_TEETH;
    c->b = (chunk + MPC_COMB_SPANS - 1) / MPC_COMB_SPANS;
    c->a = c->b * MPC_COMB_SPANS;
    c->bits = exp_bits;
    c->words = (BN_num_bits(m) + BN_BITS2 - 1) / BN_BITS2;
    if ((c->mont = BN_MONT_CTX_new()) == NULL || !BN_MONT_CTX_set(c->mont, m, bc) ||
        (c->one = BN_new()) == NULL || !BN_to_montgomery(c->one, BN_value_one(), c->mont, bc) ||
        !BN_nnmod(x, base, m, bc) || !BN_to_montgomery(x, x, c->mont, bc))
        goto out;
    /* walk the powers base^(2^i) for i < TEETH * a, keeping those at span
     * starts */
    for (int k = 0; k < MPC_COMB_TEETH; k++)
        for (int s = 0; s < MPC_COMB_SPANS; s++) {
            if ((g[k][s] = BN_dup(x)) == NULL) goto out;
            for (int i = 0; i < c->b && (k + 1 < MPC_COMB_TEETH || s + 1 < MPC_COMB_SPANS); i++)
                if (!BN_mod_mul_montgomery(x, x, x, c->mont, bc)) goto out;
        }
    for (int s = 0; s < MPC_COMB_SPANS; s++)
        for (unsigned j = 0; j < ROW; j++) {
            BIGNUM *e = c->tab[s][j] = BN_dup(c->one);
            if (e == NULL) goto out;
            for (int k = 0; k < MPC_COMB_TEETH; k++)
                if ((j >> k) & 1 && !BN_mod_mul_montgomery(e, e, g[k][s], c->mont, bc)) goto out;
        }
    ok = 1;
out:
    for (int k = 0; k < MPC_COMB_TEETH; k++)
        for (int s = 0; s < MPC_COMB_SPANS; s++) BN_free(g[k][s]);
    BN_free(x);
    if (!ok) {
        mpc_comb_free(c);
        return NULL;
    }
    return c;
}

/* 1 if x == 0, else 0, without a branch on x. */
static BN_ULONG is_zero_ct(unsigned x) {
    return (BN_ULONG)(((unsigned long long)x - 1) >> 63);
}

/* Out: sel = row[digit], reading every entry (digit is secret). */
static int select_ct(BIGNUM *sel, BIGNUM *tmp, BIGNUM *const *row, unsigned digit, int words) {
    if (BN_copy(sel, row[0]) == NULL) return 0;
    for (unsigned j = 1; j < ROW; j++) {
        if (BN_copy(tmp, row[j]) == NULL) return 0;
        BN_consttime_swap(is_zero_ct(j ^ digit), sel, tmp, words);
    }
    return 1;
}

int mpc_comb_exp(const mpc_comb *c, BIGNUM *r, const BIGNUM *e, BN_CTX *bc) {
    if (c == NULL || r == NULL || e == NULL || BN_is_negative(e) || BN_num_bits(e) > c->bits)
        return 0;
    size_t nbytes = ((size_t)MPC_COMB_TEETH * (size_t)c->a + 7) / 8;
    unsigned char *eb = malloc(nbytes);
    BIGNUM *acc = wide_new(c->words), *sel = wide_new(c->words), *tmp = wide_new(c->words);
    int ok = 0;
    if (eb == NULL || acc == NULL || sel == NULL || tmp == NULL ||
        BN_bn2lebinpad(e, eb, (int)nbytes) < 0 || BN_copy(acc, c->one) == NULL)
        goto out;
    for (int i = c->b - 1; i >= 0; i--) {
        if (i != c->b - 1 && !BN_mod_mul_montgomery(acc, acc, acc, c->mont, bc)) goto out;
        for (int s = 0; s < MPC_COMB_SPANS; s++) {
            unsigned digit = 0;
            for (int k = 0; k < MPC_COMB_TEETH; k++) {
                size_t pos = (size_t)i + (size_t)s * (size_t)c->b + (size_t)k * (size_t)c->a;
                digit |= (unsigned)((eb[pos >> 3] >> (pos & 7)) & 1) << k;
            }
            if (!select_ct(sel, tmp, c->tab[s], digit, c->words) ||
                !BN_mod_mul_montgomery(acc, acc, sel, c->mont, bc))
                goto out;
        }
    }
    ok = BN_from_montgomery(r, acc, c->mont, bc);
out:
    if (eb != NULL) OPENSSL_clear_free(eb, nbytes);
    BN_clear_free(acc);
    BN_clear_free(sel);
    BN_clear_free(tmp);
    return ok;
}
