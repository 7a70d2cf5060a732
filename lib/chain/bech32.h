/* bech32.h - Bech32 (BIP-173) and Bech32m (BIP-350) encoding, and segwit
 * addresses built from them. Encoding only; written from the two BIPs (no
 * Debian package provides it; docs/decisions.md).
 *
 * Strings are written NUL-terminated and in lower case. Pointer arguments are
 * never NULL unless said otherwise.
 */
#ifndef MPC_CHAIN_BECH32_H
#define MPC_CHAIN_BECH32_H

#include <stddef.h>

#include "engine/errors.h"

typedef enum mpc_bech32_variant {
    MPC_BECH32 = 1,  /* BIP-173 checksum constant 1 */
    MPC_BECH32M = 2, /* BIP-350 checksum constant 0x2bc830a3 */
} mpc_bech32_variant;

/* Longest string either encoding allows (BIP-173), without the NUL. */
#define MPC_BECH32_MAX_LEN 90

/* Encode hrp and 5-bit data values as hrp || "1" || data || checksum.
 * Returns: 1 on success; 0 if hrp is empty, longer than 83 characters or has a
 *          character outside US-ASCII 33..126, if a data value is >= 32, if
 *          the result would exceed MPC_BECH32_MAX_LEN characters, or if it
 *          does not fit in out (outlen counts the NUL). On 0, out is "" when
 *          outlen > 0.
 * Out: out[0..outlen): the string; upper-case hrp letters are lowered.
 * In:  hrp: NUL-terminated human-readable part.
 *      data[0..datalen): values 0..31 (data may be NULL when datalen == 0).
 *      variant: which checksum constant. */
MPC_WUR int mpc_bech32_encode(char *out, size_t outlen, const char *hrp, const unsigned char *data,
                              size_t datalen, mpc_bech32_variant variant);

/* Encode a segwit address (BIP-173 "Segwit address format", BIP-350): Bech32
 * for witness version 0, Bech32m for versions 1..16.
 * Returns: 1 on success; 0 if witver > 16, the program length is outside
 *          2..40 (exactly 20 or 32 for version 0), hrp is invalid or out is
 *          too small (see mpc_bech32_encode). On 0, out is "" when outlen > 0.
 * Out: out[0..outlen): the address, NUL-terminated.
 * In:  hrp: "bc", "tb", ...; witver: 0..16; prog[0..proglen): the witness
 *      program. */
MPC_WUR int mpc_segwit_address(char *out, size_t outlen, const char *hrp, unsigned witver,
                               const unsigned char *prog, size_t proglen);

#endif
