/* keccak.h - Keccak-256 as Ethereum uses it: the original Keccak submission's
 * padding (domain byte 0x01), rate 136 bytes, 32-byte output. This is NOT
 * FIPS 202 SHA3-256 (domain byte 0x06); the two differ on every input.
 *
 * The Keccak-f[1600] permutation is nettle's public sha3_permute(); only the
 * sponge (absorb, pad, squeeze) is ours (docs/decisions.md, "Keccak-256 on nettle's permutation").
 */
#ifndef MPC_CHAIN_KECCAK_H
#define MPC_CHAIN_KECCAK_H

#include <stddef.h>

/* Keccak-256 of one buffer.
 * Out: out32 = Keccak-256(in[0..len)).
 * In:  in: may be NULL only when len == 0. */
void mpc_keccak256(unsigned char out32[32], const unsigned char *in, size_t len);

#endif
