/* chain.h - blockchain addresses and message digests for group public keys.
 *
 * Pure functions: no I/O, no global state of ours (libsecp256k1's built-in
 * constant context is used for public-key arithmetic). Pointer arguments are
 * never NULL unless said otherwise; a NULL where one is not allowed is a
 * programming error and aborts (MPC_ARG_CHECK). Bad data (unknown chain,
 * invalid key, small buffer) is an mpc_chain_status.
 *
 * Chain types are exact, lower-case names:
 *
 *   chain_type        family   raw message digest   address by protocol
 *   ---------------   -------  -------------------  --------------------------------
 *   bitcoin           bitcoin  SHA-256 (single)     frost-bip340: P2TR   bc1p... (BIP-86)
 *   bitcoin-testnet   bitcoin  SHA-256 (single)                   P2TR   tb1p...
 *                                                   gg18, gg20:   P2WPKH bc1q... / tb1q...
 *                                                   frost:        none
 *   ethereum          EVM      Keccak-256           gg18, gg20:   EIP-55 0x... (40 hex)
 *   polygon, bsc,     EVM      Keccak-256           frost, frost-bip340: none
 *   arbitrum,
 *   optimism,
 *   avalanche, base
 *
 * Any other chain_type is MPC_CHAIN_UNKNOWN_CHAIN. "none" is
 * MPC_CHAIN_NO_ADDRESS: plain FROST (RFC 9591) signatures verify on no
 * chain's standard address type, and EVM accounts are ECDSA-only, so the
 * caller stores no address (SQL NULL) for such keys.
 */
#ifndef MPC_CHAIN_CHAIN_H
#define MPC_CHAIN_CHAIN_H

#include <stddef.h>

#include "engine/errors.h"

typedef enum mpc_chain_status {
    MPC_CHAIN_OK = 0,
    MPC_CHAIN_NO_ADDRESS,       /* valid inputs; this protocol has no standard
                                   address on this chain (out is "") */
    MPC_CHAIN_UNKNOWN_CHAIN,    /* chain_type not in the table above */
    MPC_CHAIN_UNKNOWN_PROTOCOL, /* not frost, frost-bip340, gg18 or gg20 */
    MPC_CHAIN_BAD_PUBKEY,       /* not a compressed SEC1 point on secp256k1 */
    MPC_CHAIN_BUFFER_TOO_SMALL, /* the address and its NUL do not fit in out */
    MPC_CHAIN_CRYPTO_UNAVAILABLE /* OpenSSL could not provide RIPEMD-160 */
} mpc_chain_status;

/* Size of a buffer that holds every address this library returns, with its
 * NUL (the longest is a P2TR address: 62 characters). */
#define MPC_CHAIN_ADDRESS_MAX 64

/* Returns: a static name for status ("ok", "no_address", ...; never NULL). */
const char *mpc_chain_status_str(mpc_chain_status status);

/* Digest of a raw message for signing on a chain (the table above):
 * SHA-256 for the bitcoin family, Keccak-256 (not SHA3-256) for EVM chains.
 * Returns: MPC_CHAIN_OK, or MPC_CHAIN_UNKNOWN_CHAIN (out32 untouched).
 * Out: out32: the 32-byte digest.
 * In:  chain_type: NUL-terminated chain name.
 *      message[0..len): the message (may be NULL when len == 0). */
MPC_WUR mpc_chain_status mpc_chain_digest(const char *chain_type, const unsigned char *message,
                                          size_t len, unsigned char out32[32]);

/* Address of a group public key on a chain (the table above).
 * Returns: MPC_CHAIN_OK with the address in out; MPC_CHAIN_NO_ADDRESS for a
 *          valid key and a protocol without an address on this chain; or an
 *          error: MPC_CHAIN_UNKNOWN_CHAIN, MPC_CHAIN_UNKNOWN_PROTOCOL,
 *          MPC_CHAIN_BAD_PUBKEY, MPC_CHAIN_BUFFER_TOO_SMALL,
 *          MPC_CHAIN_CRYPTO_UNAVAILABLE (checked in that order). On every
 *          status but MPC_CHAIN_OK, out is "" when outlen > 0.
 * Out: out[0..outlen): the NUL-terminated address (MPC_CHAIN_ADDRESS_MAX is
 *      always enough; out may be NULL when outlen == 0).
 * In:  chain_type: NUL-terminated chain name.
 *      protocol: "frost", "frost-bip340", "gg18" or "gg20".
 *      pubkey33: the compressed SEC1 group public key (02/03 || x). For
 *      frost-bip340 only its x-coordinate counts: P2TR's internal key is the
 *      even-Y point with that x, whatever the prefix. */
MPC_WUR mpc_chain_status mpc_chain_address(const char *chain_type, const char *protocol,
                                           const unsigned char pubkey33[33], char *out,
                                           size_t outlen);

/* EIP-55 mixed-case checksum text of a 20-byte Ethereum address.
 * Out: out43: "0x" || 40 hex digits || NUL.
 * In:  addr20: the address bytes. */
void mpc_chain_eip55(char out43[43], const unsigned char addr20[20]);

#endif
