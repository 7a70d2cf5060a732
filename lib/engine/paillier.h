/* paillier.h - Paillier encryption on OpenSSL BIGNUM for GG18/GG20, the
 * ring-Pedersen parameters that share its modulus, safe-prime generation
 * from the engine's injected rng, and a pool of pre-generated parameters.
 *
 * Every party owns one modulus N = p*q (p, q safe primes of 1024 bits, so
 * N is a 2048-bit Paillier-Blum modulus) used both as its Paillier key and,
 * as in CGGMP21, as its ring-Pedersen modulus with t = r^2 mod N and
 * s = t^lambda mod N (GG18 calls them h2 = t, h1 = s). Proofs that N and
 * (s, t) are well formed live in zk_mod.h, zk_fac.h and zk_prm.h.
 *
 * Encryption: Enc(m; r) = (1 + N)^m * r^N mod N^2 = (1 + m N) r^N mod N^2.
 * The key owner encrypts and exponentiates modulo N^2 through the CRT
 * (mod p^2 and q^2) and decrypts with the CRT; every exponentiation whose
 * exponent or modulus involves a secret uses BN_mod_exp_mont_consttime and
 * every secret BIGNUM has BN_FLG_CONSTTIME and is freed with BN_clear_free.
 *
 * Safe-prime generation. OpenSSL's BN_generate_prime_ex draws from OpenSSL's
 * own RAND, so it is not used: the engine takes every random bit from its
 * mpc_rng, which makes runs with a deterministic test rng reproducible.
 * gg_safe_prime draws a random start q0 = 5 mod 6 (bits-1 bits, top two bits
 * set), sieves the window q0 + 6k (k < 8192) so that neither q nor 2q+1 has a
 * prime factor below 2^16, then for each survivor tests p = 2q+1 with a
 * base-2 Fermat test and q with 40 Miller-Rabin rounds (bases from the rng).
 * With q prime and 2^(p-1) = 1 mod p, Pocklington's criterion proves p prime
 * (gcd(2^2 - 1, p) = 1 because p = 2 mod 3). A fresh window is drawn when
 * one is exhausted. Expect about a second per 1024-bit safe prime.
 */
#ifndef MPC_ENGINE_PAILLIER_H
#define MPC_ENGINE_PAILLIER_H

#include <stddef.h>

#include <openssl/bn.h>

#include "engine/ctx.h"
#include "engine/errors.h"

#define GG_PAILLIER_BITS 2048 /* bits of N; each prime has half */

/* Public part: Paillier modulus and ring-Pedersen parameters. */
typedef struct gg_paillier_pub {
    BIGNUM *N, *N2; /* N, N^2 */
    BIGNUM *s, *t;  /* ring-Pedersen: s = t^lambda mod N */
} gg_paillier_pub;

/* Secret key (owner only). pub is embedded. Opaque in spirit: use the
 * functions below; fields are visible for the proof modules. */
typedef struct gg_paillier_priv {
    gg_paillier_pub pub;
    BIGNUM *p, *q, *phi, *lambda;
    BIGNUM *pp, *qq, *phi_pp, *phi_qq; /* p^2, q^2, p(p-1), q(q-1) */
    BIGNUM *hp, *hq, *qinv, *qqinv;    /* CRT constants: q^-1 mod p, (q^2)^-1 mod p^2 */
} gg_paillier_priv;

/* Generate a bits-bit safe prime p (p = 2q + 1, q prime, top two bits set)
 * from rng (see the header comment). Returns: 1 on success, 0 on rng or
 * allocation failure. Out: out (flagged BN_FLG_CONSTTIME). */
MPC_WUR int gg_safe_prime(const mpc_rng *rng, BIGNUM *out, int bits);

/* Fresh parameters: two 1024-bit safe primes, then gg_paillier_from_primes.
 * Slow (seconds): services keep a gg_paillier_pool filled in the background.
 * Returns: MPC_OK, MPC_ERR_RNG, MPC_ERR_NOMEM. Out: *out (free with
 * gg_paillier_free). */
MPC_WUR mpc_err_code gg_paillier_generate(const mpc_engine_ctx *ctx, gg_paillier_priv **out);

/* Derive a key from primes p != q (copied), drawing the ring-Pedersen
 * t = r^2 and lambda < phi(N) from ctx's rng. Only checks p, q odd,
 * distinct and N of 2048 bits: whether they are safe primes is what the
 * proofs establish for everybody else (tests use this to build bad keys).
 * Returns: MPC_OK, MPC_ERR_CONFIG (bad primes), MPC_ERR_RNG, MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg_paillier_from_primes(const mpc_engine_ctx *ctx, gg_paillier_priv **out,
                                             const BIGNUM *p, const BIGNUM *q);

/* Like gg_paillier_from_primes but N may have any size >= 1024 bits (tests
 * build moduli with a small factor). */
MPC_WUR mpc_err_code gg_paillier_from_primes_any(const mpc_engine_ctx *ctx, gg_paillier_priv **out,
                                                 const BIGNUM *p, const BIGNUM *q);

/* Wipe and free (NULL allowed). */
void gg_paillier_free(gg_paillier_priv *k);

/* Serialize a secret key for the participant's pool or key store:
 * u8 version=1 | p | q | t | lambda (bn_util encoding). SECRET: encrypt at
 * rest. Returns: MPC_OK or MPC_ERR_NOMEM. Out: *out (malloc'd; wipe and
 * free), *len. */
MPC_WUR mpc_err_code gg_paillier_serialize(const gg_paillier_priv *k, unsigned char **out,
                                           size_t *len);
/* Returns: MPC_OK, MPC_ERR_MALFORMED (bad encoding, s or t not units),
 * MPC_ERR_NOMEM. */
MPC_WUR mpc_err_code gg_paillier_parse(gg_paillier_priv **out, const unsigned char *in,
                                       size_t len);

/* Public part handling. pub_copy deep-copies (returns 1, 0 on OOM);
 * pub_clear frees the numbers (safe on a zeroed struct). */
MPC_WUR int gg_paillier_pub_copy(gg_paillier_pub *dst, const gg_paillier_pub *src);
void gg_paillier_pub_clear(gg_paillier_pub *p);

/* r = base^e mod N^2. With priv != NULL the owner's CRT path is taken (and
 * e, if secret, is handled in constant time); with priv == NULL e must be
 * public unless secret_e is set. e >= 0. Returns 1, 0 on failure. */
MPC_WUR int gg_paillier_pow(const gg_paillier_pub *pub, const gg_paillier_priv *priv, BIGNUM *r,
                            const BIGNUM *base, const BIGNUM *e, int secret_e, BN_CTX *bc);

/* Owner only: r = x^N mod N^2 (x >= 0 secret), through the CRT as
 * ((x mod p)^q mod p)^p mod p^2 and likewise mod q^2: four exponentiations
 * with exponents of 1024 bits, about 40% cheaper than exponent N mod
 * p(p-1). gg_paillier_pow takes this path for e == N. Returns 1, 0 on
 * failure. */
MPC_WUR int gg_paillier_nth_power(const gg_paillier_priv *k, BIGNUM *r, const BIGNUM *x,
                                  BN_CTX *bc);

/* Owner only: 1 if 0 < a < bound and gcd(a, N) = 1, tested as a mod p != 0
 * and a mod q != 0 (two divisions instead of an inversion). bound is N for
 * elements of Z*_N, N^2 for ciphertexts. a is public. */
MPC_WUR int gg_paillier_is_unit_own(const gg_paillier_priv *k, const BIGNUM *a, const BIGNUM *bound,
                                    BN_CTX *bc);

/* Owner only: r = base^e mod N through the CRT (constant time; e >= 0). */
MPC_WUR int gg_paillier_pow_n(const gg_paillier_priv *k, BIGNUM *r, const BIGNUM *base,
                              const BIGNUM *e, BN_CTX *bc);

/* Owner only: r = s^a t^b mod N for its own ring-Pedersen parameters,
 * computed as t^(lambda a + b) through the CRT (constant time; a, b any
 * integers). A verifier checks ring-Pedersen equations over its own
 * parameters this way in about a tenth of the time of two exponentiations
 * modulo N. Returns 1, 0 on failure. */
MPC_WUR int gg_rp_pow_own(const gg_paillier_priv *k, BIGNUM *r, const BIGNUM *a, const BIGNUM *b,
                          BN_CTX *bc);

/* Returns: 1 if c is in Z*_{N^2}: 0 < c < N^2 and gcd(c, N) = 1 (variable
 * time: c public). */
int gg_paillier_is_ciphertext(const gg_paillier_pub *pub, const BIGNUM *c, BN_CTX *bc);

/* c = (1 + m N) * rnd^N mod N^2 for any integer m (reduced mod N), rnd in
 * Z*_N. priv (optional) selects the CRT path. Returns 1, 0 on failure. */
MPC_WUR int gg_paillier_encrypt(const gg_paillier_pub *pub, const gg_paillier_priv *priv,
                                BIGNUM *c, const BIGNUM *m, const BIGNUM *rnd, BN_CTX *bc);

/* m = Dec(c) in [0, N) (CRT, constant-time exponentiations).
 * Returns: 1, or 0 if c is not in Z*_{N^2} or on failure. */
MPC_WUR int gg_paillier_decrypt(const gg_paillier_priv *k, BIGNUM *m, const BIGNUM *c,
                                BN_CTX *bc);

/* Owner only: the randomness of a ciphertext, rho in Z*_N with
 * c = (1 + m N) rho^N mod N^2 for m = Dec(c): rho = c^(N^-1 mod phi(N)) mod N
 * (CRT, constant time). Revealing it (with m) opens c; GG20 identification
 * does so only for MtA answers whose plaintext and randomness their sender
 * proved he knows. Returns: 1, or 0 if c is not in Z*_{N^2} or on failure. */
MPC_WUR int gg_paillier_randomness(const gg_paillier_priv *k, BIGNUM *rho, const BIGNUM *c,
                                   BN_CTX *bc);

/* Homomorphic operations: r = c1 * c2 mod N^2 (plaintexts add);
 * r = c^k mod N^2 (plaintext times k >= 0; constant time: k may be secret). */
MPC_WUR int gg_paillier_add(const gg_paillier_pub *pub, BIGNUM *r, const BIGNUM *c1,
                            const BIGNUM *c2, BN_CTX *bc);
MPC_WUR int gg_paillier_mul(const gg_paillier_pub *pub, BIGNUM *r, const BIGNUM *c,
                            const BIGNUM *k, BN_CTX *bc);

/* A pool of pre-generated keys (pure data: no threads, no clock). The
 * participant service fills it in the background with gg_paillier_generate
 * and takes one per keygen. */
typedef struct gg_paillier_pool {
    gg_paillier_priv **items;
    size_t count, cap;
} gg_paillier_pool;

void gg_pool_init(gg_paillier_pool *pool);
/* Add k (ownership passes to the pool on success).
 * Returns: 1, or 0 on allocation failure (k still the caller's). */
MPC_WUR int gg_pool_add(gg_paillier_pool *pool, gg_paillier_priv *k);
/* Returns: the oldest key (caller owns it), or NULL when empty. */
MPC_WUR gg_paillier_priv *gg_pool_take(gg_paillier_pool *pool);
size_t gg_pool_count(const gg_paillier_pool *pool);
/* Free every pooled key and the pool storage. */
void gg_pool_clear(gg_paillier_pool *pool);

#endif
