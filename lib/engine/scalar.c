/* scalar.c - arithmetic mod n on top of libsecp256k1's secret-key API.
 *
 * libsecp256k1 refuses 0 as a secret key; every operation below substitutes
 * 1 for a zero operand and selects the right result afterwards with masks,
 * so the code path does not depend on whether a secret happens to be 0.
 * The scalar functions need no precomputed tables, so they use
 * secp256k1_context_static. */
#include "engine/scalar.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <secp256k1.h>

static const mpc_scalar SCALAR_ONE = {{[31] = 1}};
/* 2^128 (< n, so already reduced). */
static const mpc_scalar SCALAR_2_128 = {{[15] = 1}};
/* 2^256 mod n = 2^256 - n. */
static const mpc_scalar SCALAR_2_256 = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                                         0x45, 0x51, 0x23, 0x19, 0x50, 0xb7, 0x5f, 0xc4,
                                         0x40, 0x2d, 0xa1, 0x73, 0x2f, 0xc9, 0xbe, 0xbf}};
/* n - 2, the inversion exponent. */
static const unsigned char ORDER_MINUS_2[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
    0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x3f};

#define SECP secp256k1_context_static

void mpc_scalar_set_u32(mpc_scalar *r, uint32_t v) {
    MPC_ARG_CHECK(r != NULL);
    memset(r->b, 0, 28);
    r->b[28] = (unsigned char)(v >> 24);
    r->b[29] = (unsigned char)(v >> 16);
    r->b[30] = (unsigned char)(v >> 8);
    r->b[31] = (unsigned char)v;
}

int mpc_scalar_is_zero(const mpc_scalar *a) {
    unsigned char acc = 0;
    for (int i = 0; i < 32; i++) acc |= a->b[i];
    return (int)(((unsigned)acc - 1u) >> 8) & 1;
}

int mpc_scalar_eq(const mpc_scalar *a, const mpc_scalar *b) {
    return CRYPTO_memcmp(a->b, b->b, 32) == 0;
}

void mpc_scalar_cmov(mpc_scalar *r, const mpc_scalar *a, int flag) {
    unsigned char mask = (unsigned char)(0u - (unsigned)(flag & 1));
    for (int i = 0; i < 32; i++) r->b[i] ^= mask & (r->b[i] ^ a->b[i]);
}

void mpc_scalar_clear(mpc_scalar *a) { OPENSSL_cleanse(a->b, 32); }

int mpc_scalar_parse(mpc_scalar *r, const unsigned char in32[32]) {
    MPC_ARG_CHECK(r != NULL && in32 != NULL);
    memcpy(r->b, in32, 32);
    int ok = mpc_scalar_is_zero(r) | secp256k1_ec_seckey_verify(SECP, in32);
    mpc_scalar zero = {{0}};
    mpc_scalar_cmov(r, &zero, !ok);
    return ok;
}

void mpc_scalar_serialize(unsigned char out32[32], const mpc_scalar *a) {
    MPC_ARG_CHECK(out32 != NULL && a != NULL);
    memcpy(out32, a->b, 32);
}

void mpc_scalar_add(mpc_scalar *r, const mpc_scalar *a, const mpc_scalar *b) {
    mpc_scalar t = *a, bb = *b;
    int az = mpc_scalar_is_zero(a);
    mpc_scalar_cmov(&t, &SCALAR_ONE, az);
    /* Fails only when the sum is 0; libsecp256k1 then zeroes t. */
    MPC_IGNORE(secp256k1_ec_seckey_tweak_add(SECP, t.b, bb.b));
    mpc_scalar_cmov(&t, &bb, az);
    *r = t;
    mpc_scalar_clear(&bb);
    OPENSSL_cleanse(&t, sizeof t);
}

void mpc_scalar_neg(mpc_scalar *r, const mpc_scalar *a) {
    mpc_scalar t = *a;
    /* negate maps 0 to 0 (it fails and leaves zero). */
    MPC_IGNORE(secp256k1_ec_seckey_negate(SECP, t.b));
    *r = t;
    OPENSSL_cleanse(&t, sizeof t);
}

void mpc_scalar_sub(mpc_scalar *r, const mpc_scalar *a, const mpc_scalar *b) {
    mpc_scalar nb;
    mpc_scalar_neg(&nb, b);
    mpc_scalar_add(r, a, &nb);
    mpc_scalar_clear(&nb);
}

void mpc_scalar_mul(mpc_scalar *r, const mpc_scalar *a, const mpc_scalar *b) {
    mpc_scalar t = *a, f = *b, zero = {{0}};
    int any_zero = mpc_scalar_is_zero(a) | mpc_scalar_is_zero(b);
    mpc_scalar_cmov(&t, &SCALAR_ONE, mpc_scalar_is_zero(&t));
    mpc_scalar_cmov(&f, &SCALAR_ONE, mpc_scalar_is_zero(&f));
    /* Both operands are now non-zero and < n: cannot fail (n is prime). */
    MPC_IGNORE(secp256k1_ec_seckey_tweak_mul(SECP, t.b, f.b));
    mpc_scalar_cmov(&t, &zero, any_zero);
    *r = t;
    mpc_scalar_clear(&t);
    mpc_scalar_clear(&f);
}

void mpc_scalar_reduce32(mpc_scalar *r, const unsigned char in32[32]) {
    mpc_scalar hi = {{0}}, lo = {{0}};
    memcpy(hi.b + 16, in32, 16);
    memcpy(lo.b + 16, in32 + 16, 16);
    mpc_scalar_mul(&hi, &hi, &SCALAR_2_128);
    mpc_scalar_add(r, &hi, &lo);
    mpc_scalar_clear(&hi);
    mpc_scalar_clear(&lo);
}

void mpc_scalar_reduce48(mpc_scalar *r, const unsigned char in48[48]) {
    mpc_scalar a = {{0}}, b = {{0}}, c = {{0}};
    memcpy(a.b + 16, in48, 16);
    memcpy(b.b + 16, in48 + 16, 16);
    memcpy(c.b + 16, in48 + 32, 16);
    mpc_scalar_mul(&a, &a, &SCALAR_2_256);
    mpc_scalar_mul(&b, &b, &SCALAR_2_128);
    mpc_scalar_add(&a, &a, &b);
    mpc_scalar_add(r, &a, &c);
    mpc_scalar_clear(&a);
    mpc_scalar_clear(&b);
    mpc_scalar_clear(&c);
}

void mpc_scalar_inv(mpc_scalar *r, const mpc_scalar *a) {
    /* Fixed 4-bit window over the public exponent n-2: the sequence of
     * operations never depends on a. */
    mpc_scalar table[16], acc;
    table[0] = SCALAR_ONE;
    table[1] = *a;
    for (int i = 2; i < 16; i++) mpc_scalar_mul(&table[i], &table[i - 1], a);
    acc = SCALAR_ONE;
    for (int i = 0; i < 64; i++) {
        unsigned nib = (ORDER_MINUS_2[i / 2] >> ((i & 1) ? 0 : 4)) & 0xf;
        for (int s = 0; s < 4; s++) mpc_scalar_mul(&acc, &acc, &acc);
        mpc_scalar_mul(&acc, &acc, &table[nib]);
    }
    *r = acc;
    OPENSSL_cleanse(table, sizeof table);
    mpc_scalar_clear(&acc);
}

int mpc_scalar_inv_batch(mpc_scalar *r, const mpc_scalar *a, size_t len) {
    if (len == 0) return 1;
    mpc_scalar *prefix = malloc(len * sizeof *prefix);
    if (prefix == NULL) return 0;
    mpc_scalar acc = SCALAR_ONE, inv;
    for (size_t i = 0; i < len; i++) {
        if (mpc_scalar_is_zero(&a[i])) {
            free(prefix);
            return 0;
        }
        prefix[i] = acc; /* product of a[0..i) */
        mpc_scalar_mul(&acc, &acc, &a[i]);
    }
    mpc_scalar_inv(&inv, &acc);
    for (size_t i = len; i-- > 0;) {
        mpc_scalar ai = a[i];
        mpc_scalar_mul(&r[i], &inv, &prefix[i]);
        mpc_scalar_mul(&inv, &inv, &ai);
    }
    free(prefix);
    return 1;
}

int mpc_scalar_random(const mpc_rng *rng, mpc_scalar *r) {
    unsigned char b[32];
    for (;;) {
        if (!mpc_rng_fill(rng, b, 32)) {
            OPENSSL_cleanse(b, sizeof b);
            return 0;
        }
        if (mpc_scalar_parse(r, b)) break; /* rejects >= n (probability ~2^-128) */
    }
    OPENSSL_cleanse(b, sizeof b);
    return 1;
}
