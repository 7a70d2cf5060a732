/* comb.h - fixed-base modular exponentiation with a precomputed table (the
 * Lim-Lee comb), constant-time in the exponent. Internal to the engine.
 *
 * Why: the MtA range proofs commit to secrets as s^a t^b mod N~ over the
 * VERIFIER's ring-Pedersen parameters, which stay the same for every
 * presignature of a key. A plain exponentiation spends one squaring per
 * exponent bit; the comb trades that for a table built once per (base,
 * modulus, exponent bound), so an exponent of L bits costs about L/4
 * multiplications plus L/32 squarings instead of about 1.2 L (see
 * docs/ecdsa.md, "Fixed-base exponentiation").
 *
 * Layout, for an exponent bound of L bits: the exponent is cut into
 * MPC_COMB_TEETH chunks of a bits (a = b * MPC_COMB_SPANS, 4a >= L), each
 * chunk into MPC_COMB_SPANS spans of b bits. Table s (s < SPANS) holds, for
 * every 4-bit j, prod over the set bits k of j of base^(2^(k a + s b)), in
 * Montgomery form. The exponentiation runs b steps: one squaring, then one
 * multiplication per span by the entry that the exponent's bits (i + s b +
 * k a, k < 4) select.
 *
 * Constant time: the exponent is read through BN_bn2lebinpad into a
 * fixed-length buffer, every step does the same operations, and each table
 * entry is selected by copying every entry of the row and keeping the wanted
 * one with BN_consttime_swap. The Montgomery products are OpenSSL's
 * (BN_mod_mul_montgomery). Bases and moduli are public.
 *
 * A table is read-only after mpc_comb_new: threads may share one.
 */
#ifndef MPC_ENGINE_COMB_H
#define MPC_ENGINE_COMB_H

#include <openssl/bn.h>

#include "engine/errors.h"

#define MPC_COMB_TEETH 4 /* chunks: entries per table row = 2^TEETH */
#define MPC_COMB_SPANS 8 /* tables: squarings per exponentiation = a / SPANS */

typedef struct mpc_comb mpc_comb;

/* Build the table of base (reduced mod m) for exponents of at most
 * exp_bits bits (1 <= exp_bits <= 16384); m odd, > 1.
 * Returns: the table (free with mpc_comb_free), or NULL on allocation
 * failure or bad arguments. Costs about exp_bits squarings. */
MPC_WUR mpc_comb *mpc_comb_new(const BIGNUM *base, const BIGNUM *m, int exp_bits, BN_CTX *bc);

/* Free a table (NULL allowed). */
void mpc_comb_free(mpc_comb *c);

/* Returns: the exponent bound the table was built for. */
int mpc_comb_bits(const mpc_comb *c);

/* Out: r = base^e mod m, in time independent of e's value (e may be
 * secret). e >= 0 and BN_num_bits(e) <= mpc_comb_bits(c).
 * Returns: 1 on success, 0 on allocation failure or if e is negative or
 * too long (r unchanged then). */
MPC_WUR int mpc_comb_exp(const mpc_comb *c, BIGNUM *r, const BIGNUM *e, BN_CTX *bc);

#endif
