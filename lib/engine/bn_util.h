/* bn_util.h - OpenSSL BIGNUM helpers shared by the Paillier, ring-Pedersen
 * and zero-knowledge proof modules of GG18/GG20 (internal to the engine).
 *
 * - randomness only from the engine's mpc_rng (bytes -> BN_bin2bn), never
 *   OpenSSL's RAND;
 * - secret values carry BN_FLG_CONSTTIME and are freed with BN_clear_free;
 * - a signed, canonical wire encoding (u8 sign | u16 length | magnitude
 *   without leading zeros) used by every proof, and the same bytes fed to
 *   Fiat-Shamir transcripts (length-prefixed by the transcript).
 */
#ifndef MPC_ENGINE_BN_UTIL_H
#define MPC_ENGINE_BN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>

#include "engine/rng.h"
#include "engine/scalar.h"
#include "engine/transcript.h"
#include "engine/wire.h"

/* Largest encoded magnitude accepted by bn_read (bytes): enough for values
 * modulo N^2 with N of 2048 bits plus proof slack. */
#define BN_UTIL_MAX_BYTES 1100

/* Returns: a new BIGNUM flagged BN_FLG_CONSTTIME (NULL on allocation failure). */
BIGNUM *bn_secret_new(void);

/* BN_clear_free on every non-NULL argument of the NULL-terminated list. */
void bn_clear_free_all(BIGNUM *first, ...);

/* Out: r uniform in [0, bound) (statistical distance < 2^-64: bits(bound)+64
 * random bits reduced mod bound). r gets BN_FLG_CONSTTIME.
 * Returns: 1 on success, 0 on rng or allocation failure. */
MPC_WUR int bn_rand_below(const mpc_rng *rng, BIGNUM *r, const BIGNUM *bound, BN_CTX *bc);

/* Out: r uniform in [-bound, bound]. Returns as bn_rand_below. */
MPC_WUR int bn_rand_pm(const mpc_rng *rng, BIGNUM *r, const BIGNUM *bound, BN_CTX *bc);

/* Out: r uniform in Z*_n (retries while gcd(r, n) != 1; the check is blinded,
 * so r may be secret). */
MPC_WUR int bn_rand_unit(const mpc_rng *rng, BIGNUM *r, const BIGNUM *n, BN_CTX *bc);

/* Out: r = the bits-bit random odd integer with the top two bits set. */
MPC_WUR int bn_rand_bits(const mpc_rng *rng, BIGNUM *r, int bits);

/* Out: r = 2^e. */
MPC_WUR int bn_pow2(BIGNUM *r, int e);

/* secp256k1 group order n as a new BIGNUM (caller frees). */
BIGNUM *bn_curve_order(void);

/* Out: r = integer value of scalar a (0 <= r < n). Returns 1 / 0 on OOM. */
MPC_WUR int bn_from_scalar(BIGNUM *r, const mpc_scalar *a);

/* Out: out = a mod n (a may be negative). Returns 1, 0 on failure. */
MPC_WUR int bn_to_scalar(mpc_scalar *out, const BIGNUM *a, BN_CTX *bc);

/* r = a^e mod m with e >= 0 secret or m secret (constant time, m odd). */
MPC_WUR int bn_exp_secret(BIGNUM *r, const BIGNUM *a, const BIGNUM *e, const BIGNUM *m,
                          BN_CTX *bc);

/* r = a^e mod m for public values; e may be negative (a must be a unit). */
MPC_WUR int bn_exp_public(BIGNUM *r, const BIGNUM *a, const BIGNUM *e, const BIGNUM *m,
                          BN_CTX *bc);

/* Returns: 1 if 0 < a < m and gcd(a, m) == 1. Variable time: for public a
 * only (a received value, a public parameter). */
int bn_is_unit(const BIGNUM *a, const BIGNUM *m, BN_CTX *bc);

/* Returns: 1 if every a[i] (>= 0, public) is coprime to m, tested with one
 * inversion of their product mod m instead of one per value (variable
 * time). Ranges are the caller's to check. */
MPC_WUR int bn_all_units(const BIGNUM *const *a, size_t n, const BIGNUM *m, BN_CTX *bc);

/* Returns: 1 if |a| <= bound. */
int bn_abs_le(const BIGNUM *a, const BIGNUM *bound);

/* Wire encoding: u8 sign (0 or 1, never 1 for zero) | u16 len | magnitude
 * (big-endian, no leading zero byte). */
void bn_write(mpc_writer *w, const BIGNUM *a);
/* Returns: 1 if a canonical encoding of at most maxbytes was read into a. */
MPC_WUR int bn_read(mpc_reader *r, BIGNUM *a, size_t maxbytes);

/* Absorb a into a transcript with its wire encoding. */
void bn_transcript(mpc_transcript *t, const char *label, const BIGNUM *a);

/* Out: r = hash-derived value in [0, m): SHA-256 counter-mode expansion of
 * (seed, label, idx) to bits(m) + 128 bits, reduced mod m. */
MPC_WUR int bn_hash_below(BIGNUM *r, const unsigned char seed[32], const char *label,
                          uint32_t idx, const BIGNUM *m, BN_CTX *bc);

/* Constant-time-ish Miller-Rabin (variable time in public composites only)
 * with `rounds` random bases from rng.
 * Returns: 1 probably prime, 0 composite, -1 on error. */
int bn_miller_rabin(const mpc_rng *rng, const BIGNUM *w, int rounds, BN_CTX *bc);



/* r = a^e mod m for a secret e with |e| <= bound (public): computed as
 * a^(e + bound) * (a^bound)^-1 so the exponent is non-negative and the
 * exponentiation constant time. a must be a unit mod m (m odd). */
MPC_WUR int bn_exp_signed_secret(BIGNUM *r, const BIGNUM *a, const BIGNUM *e,
                                 const BIGNUM *bound, const BIGNUM *m, BN_CTX *bc);

#endif
