/* bn_util.c - BIGNUM helpers for the Paillier-based modules (see bn_util.h). */
#include "engine/bn_util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "engine/hash.h"

static const unsigned char CURVE_N[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
    0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

BIGNUM *bn_secret_new(void) {
    BIGNUM *b = BN_new();
    if (b != NULL) BN_set_flags(b, BN_FLG_CONSTTIME);
    return b;
}

void bn_clear_free_all(BIGNUM *first, ...) {
    va_list ap;
    va_start(ap, first);
    for (BIGNUM *b = first; b != NULL; b = va_arg(ap, BIGNUM *)) BN_clear_free(b);
    va_end(ap);
}

int bn_rand_below(const mpc_rng *rng, BIGNUM *r, const BIGNUM *bound, BN_CTX *bc) {
    size_t bytes = ((size_t)BN_num_bits(bound) + 64 + 7) / 8;
    unsigned char *buf = malloc(bytes);
    int ok = buf != NULL && !BN_is_zero(bound) && mpc_rng_fill(rng, buf, bytes);
    BIGNUM *t = ok ? bn_secret_new() : NULL;
    ok = ok && t != NULL && BN_bin2bn(buf, (int)bytes, t) != NULL;
    BN_set_flags(r, BN_FLG_CONSTTIME);
    ok = ok && BN_nnmod(r, t, bound, bc);
    BN_clear_free(t);
    if (buf != NULL) OPENSSL_clear_free(buf, bytes);
    return ok;
}

int bn_rand_pm(const mpc_rng *rng, BIGNUM *r, const BIGNUM *bound, BN_CTX *bc) {
    BIGNUM *w = BN_new();
    int ok = w != NULL && BN_lshift1(w, bound) && BN_add_word(w, 1) &&
             bn_rand_below(rng, r, w, bc) && BN_sub(r, r, bound);
    BN_free(w);
    return ok;
}

/* gcd(a, m) == 1 in variable time (a and m public): an inverse exists. The
 * NO_INVERSE error OpenSSL queues for a non-unit is dropped. */
static int coprime_vartime(const BIGNUM *a, const BIGNUM *m, BN_CTX *bc) {
    BIGNUM *inv = BN_new();
    ERR_set_mark();
    int ok = inv != NULL && BN_mod_inverse(inv, a, m, bc) != NULL;
    ERR_pop_to_mark();
    BN_free(inv);
    return ok;
}

int bn_rand_unit(const mpc_rng *rng, BIGNUM *r, const BIGNUM *n, BN_CTX *bc) {
    /* Checking gcd(r, n) in constant time (BN_gcd) costs about a millisecond
     * for n of 2048 bits. Instead blind r with a second random u and test
     * v = r u mod n in variable time: r u is a unit iff both are, and for a
     * unit r and a uniform unit u, v is uniform over the units whatever r
     * is, so its timing says nothing about r. */
    BIGNUM *u = bn_secret_new(), *v = BN_new();
    int ok = 0;
    for (int i = 0; i < 64 && u != NULL && v != NULL; i++) {
        if (!bn_rand_below(rng, r, n, bc) || !bn_rand_below(rng, u, n, bc) ||
            !BN_mod_mul(v, r, u, n, bc))
            break;
        if (!BN_is_zero(v) && coprime_vartime(v, n, bc)) {
            ok = 1;
            break;
        }
    }
    BN_clear_free(u);
    BN_clear_free(v);
    return ok;
}

int bn_rand_bits(const mpc_rng *rng, BIGNUM *r, int bits) {
    size_t bytes = ((size_t)bits + 7) / 8;
    unsigned char buf[512];
    if (bits < 16 || bytes > sizeof buf || !mpc_rng_fill(rng, buf, bytes)) return 0;
    int extra = (int)(bytes * 8) - bits; /* clear the excess top bits */
    buf[0] &= (unsigned char)(0xFF >> extra);
    int ok = BN_bin2bn(buf, (int)bytes, r) != NULL;
    OPENSSL_cleanse(buf, sizeof buf);
    ok = ok && BN_set_bit(r, bits - 1) && BN_set_bit(r, bits - 2) && BN_set_bit(r, 0);
    return ok;
}

int bn_pow2(BIGNUM *r, int e) {
    BN_zero(r);
    return BN_set_bit(r, e);
}

BIGNUM *bn_curve_order(void) { return BN_bin2bn(CURVE_N, 32, NULL); }

int bn_from_scalar(BIGNUM *r, const mpc_scalar *a) { return BN_bin2bn(a->b, 32, r) != NULL; }

int bn_to_scalar(mpc_scalar *out, const BIGNUM *a, BN_CTX *bc) {
    BIGNUM *n = bn_curve_order(), *t = bn_secret_new();
    unsigned char b[32];
    int ok = n != NULL && t != NULL && BN_nnmod(t, a, n, bc) && BN_bn2binpad(t, b, 32) == 32;
    ok = ok && mpc_scalar_parse(out, b);
    OPENSSL_cleanse(b, sizeof b);
    BN_free(n);
    BN_clear_free(t);
    return ok;
}

int bn_exp_secret(BIGNUM *r, const BIGNUM *a, const BIGNUM *e, const BIGNUM *m, BN_CTX *bc) {
    if (BN_is_negative(e)) return 0;
    /* BN_mod_exp_mont_consttime needs a reduced base. */
    BIGNUM *ar = bn_secret_new();
    int ok = ar != NULL && BN_nnmod(ar, a, m, bc) &&
             BN_mod_exp_mont_consttime(r, ar, e, m, bc, NULL);
    BN_clear_free(ar);
    return ok;
}

int bn_exp_public(BIGNUM *r, const BIGNUM *a, const BIGNUM *e, const BIGNUM *m, BN_CTX *bc) {
    if (!BN_is_negative(e)) return BN_mod_exp(r, a, e, m, bc);
    BIGNUM *inv = BN_new(), *abs = BN_dup(e);
    int ok = inv != NULL && abs != NULL && BN_mod_inverse(inv, a, m, bc) != NULL;
    if (ok) BN_set_negative(abs, 0);
    ok = ok && BN_mod_exp(r, inv, abs, m, bc);
    BN_free(inv);
    BN_free(abs);
    return ok;
}

int bn_is_unit(const BIGNUM *a, const BIGNUM *m, BN_CTX *bc) {
    if (BN_is_negative(a) || BN_is_zero(a) || BN_cmp(a, m) >= 0) return 0;
    return coprime_vartime(a, m, bc);
}

int bn_all_units(const BIGNUM *const *a, size_t n, const BIGNUM *m, BN_CTX *bc) {
    BIGNUM *prod = BN_new(), *red = BN_new();
    int ok = prod != NULL && red != NULL && BN_one(prod);
    for (size_t i = 0; ok && i < n; i++)
        ok = !BN_is_negative(a[i]) && BN_nnmod(red, a[i], m, bc) && !BN_is_zero(red) &&
             BN_mod_mul(prod, prod, red, m, bc);
    /* a prime dividing m and the product divides one of the factors */
    ok = ok && coprime_vartime(prod, m, bc);
    BN_free(prod);
    BN_free(red);
    return ok;
}

int bn_abs_le(const BIGNUM *a, const BIGNUM *bound) { return BN_ucmp(a, bound) <= 0; }

static size_t bn_encode(unsigned char *out, const BIGNUM *a) {
    size_t len = (size_t)BN_num_bytes(a);
    out[0] = BN_is_negative(a) && !BN_is_zero(a) ? 1 : 0;
    out[1] = (unsigned char)(len >> 8);
    out[2] = (unsigned char)len;
    BN_bn2bin(a, out + 3);
    return len + 3;
}

void bn_write(mpc_writer *w, const BIGNUM *a) {
    size_t len = (size_t)BN_num_bytes(a);
    unsigned char *buf = malloc(len + 3);
    if (buf == NULL || len > 0xFFFF) {
        w->err = 1;
        free(buf);
        return;
    }
    mpc_write_bytes(w, buf, bn_encode(buf, a));
    OPENSSL_clear_free(buf, len + 3);
}

int bn_read(mpc_reader *r, BIGNUM *a, size_t maxbytes) {
    uint8_t sign;
    uint16_t len;
    if (!mpc_read_u8(r, &sign) || !mpc_read_u16(r, &len)) return 0;
    const unsigned char *p = mpc_read_ptr(r, len);
    if (p == NULL || sign > 1 || len > maxbytes || (len > 0 && p[0] == 0) ||
        (len == 0 && sign == 1))
        return 0;
    if (BN_bin2bn(p, len, a) == NULL) return 0;
    BN_set_negative(a, sign);
    return 1;
}

void bn_transcript(mpc_transcript *t, const char *label, const BIGNUM *a) {
    size_t len = (size_t)BN_num_bytes(a);
    unsigned char *buf = malloc(len + 3);
    if (buf == NULL) abort();
    mpc_transcript_append(t, label, buf, bn_encode(buf, a));
    free(buf);
}

int bn_hash_below(BIGNUM *r, const unsigned char seed[32], const char *label, uint32_t idx,
                  const BIGNUM *m, BN_CTX *bc) {
    size_t bytes = ((size_t)BN_num_bits(m) + 128 + 7) / 8, off = 0;
    unsigned char *buf = malloc(bytes + 32), ib[8];
    if (buf == NULL) return 0;
    for (uint32_t ctr = 0; off < bytes; ctr++) {
        for (int i = 0; i < 4; i++) {
            ib[i] = (unsigned char)(idx >> (24 - 8 * i));
            ib[4 + i] = (unsigned char)(ctr >> (24 - 8 * i));
        }
        mpc_bytes parts[3] = {{seed, 32}, {(const unsigned char *)label, strlen(label) + 1},
                              {ib, 8}};
        mpc_sha256(buf + off, parts, 3);
        off += 32;
    }
    BIGNUM *t = BN_bin2bn(buf, (int)bytes, NULL);
    int ok = t != NULL && BN_nnmod(r, t, m, bc);
    BN_free(t);
    free(buf);
    return ok;
}

int bn_miller_rabin(const mpc_rng *rng, const BIGNUM *w, int rounds, BN_CTX *bc) {
    int ret = -1, s = 0;
    if (BN_is_word(w, 2) || BN_is_word(w, 3)) return 1;
    if (BN_cmp(w, BN_value_one()) <= 0 || !BN_is_odd(w)) return 0;
    BN_CTX_start(bc);
    BIGNUM *w1 = BN_CTX_get(bc), *d = BN_CTX_get(bc), *b = BN_CTX_get(bc),
           *x = BN_CTX_get(bc), *w3 = BN_CTX_get(bc);
    BN_MONT_CTX *mont = BN_MONT_CTX_new();
    if (x == NULL || w3 == NULL || mont == NULL || !BN_MONT_CTX_set(mont, w, bc) ||
        !BN_sub(w1, w, BN_value_one()) || !BN_sub(w3, w, BN_value_one()) ||
        !BN_sub_word(w3, 2) || !BN_copy(d, w1))
        goto out;
    while (!BN_is_bit_set(d, 0)) {
        if (!BN_rshift1(d, d)) goto out;
        s++;
    }
    ret = 1;
    for (int i = 0; i < rounds && ret == 1; i++) {
        /* base b in [2, w-2] */
        if (!bn_rand_below(rng, b, w3, bc) || !BN_add_word(b, 2) ||
            !BN_mod_exp_mont(x, b, d, w, bc, mont)) {
            ret = -1;
            break;
        }
        if (BN_is_one(x) || BN_cmp(x, w1) == 0) continue;
        int found = 0;
        for (int j = 1; j < s && !found; j++) {
            if (!BN_mod_sqr(x, x, w, bc)) {
                ret = -1;
                break;
            }
            if (BN_cmp(x, w1) == 0) found = 1;
            else if (BN_is_one(x)) break;
        }
        if (ret == 1 && !found) ret = 0;
    }
out:
    BN_MONT_CTX_free(mont);
    BN_CTX_end(bc);
    return ret;
}

int bn_exp_signed_secret(BIGNUM *r, const BIGNUM *a, const BIGNUM *e, const BIGNUM *bound,
                         const BIGNUM *m, BN_CTX *bc) {
    BIGNUM *sh = bn_secret_new(), *ab = BN_new();
    int ok = sh && ab && BN_add(sh, e, bound) && !BN_is_negative(sh) &&
             bn_exp_secret(sh, a, sh, m, bc) && BN_mod_exp(ab, a, bound, m, bc) &&
             BN_mod_inverse(ab, ab, m, bc) != NULL && BN_mod_mul(r, sh, ab, m, bc);
    BN_clear_free(sh);
    BN_free(ab);
    return ok;
}
