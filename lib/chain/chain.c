/* chain.c - the chain and protocol tables and the three address kinds:
 *
 *   P2TR (BIP-341 key path, BIP-86 tweak): Q = P + int(H_TapTweak(x(P)))·G
 *     with P the even-Y point of the key's x-coordinate; the address is
 *     segwit version 1 over x(Q). libsecp256k1's extrakeys module does the
 *     lift and the tweak.
 *   P2WPKH (BIP-141/173): segwit version 0 over RIPEMD-160(SHA-256(key33)).
 *   EIP-55: the last 20 bytes of Keccak-256(X || Y), hex, with each letter
 *     upper-cased when the matching nibble of Keccak-256(lower-case hex) is
 *     8 or more.
 */
#include "chain/chain.h"

#include <string.h>

#include <openssl/evp.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>

#include "chain/bech32.h"
#include "chain/keccak.h"
#include "engine/hash.h"

typedef enum chain_family { FAMILY_BITCOIN, FAMILY_EVM } chain_family;

static const struct chain_entry {
    const char *name;
    chain_family family;
    const char *hrp; /* segwit human-readable part (bitcoin family) */
} CHAINS[] = {
    {"bitcoin", FAMILY_BITCOIN, "bc"},
    {"bitcoin-testnet", FAMILY_BITCOIN, "tb"},
    {"ethereum", FAMILY_EVM, NULL},
    {"polygon", FAMILY_EVM, NULL},
    {"bsc", FAMILY_EVM, NULL},
    {"arbitrum", FAMILY_EVM, NULL},
    {"optimism", FAMILY_EVM, NULL},
    {"avalanche", FAMILY_EVM, NULL},
    {"base", FAMILY_EVM, NULL},
};

typedef enum address_kind { ADDR_NONE, ADDR_P2TR, ADDR_P2WPKH, ADDR_EIP55 } address_kind;

/* Which address each protocol gets on each family. */
static const struct protocol_entry {
    const char *name;
    address_kind on_bitcoin;
    address_kind on_evm;
} PROTOCOLS[] = {
    {"frost", ADDR_NONE, ADDR_NONE},
    {"frost-bip340", ADDR_P2TR, ADDR_NONE},
    {"gg18", ADDR_P2WPKH, ADDR_EIP55},
    {"gg20", ADDR_P2WPKH, ADDR_EIP55},
};

static const struct chain_entry *find_chain(const char *name) {
    for (size_t i = 0; i < sizeof CHAINS / sizeof CHAINS[0]; i++)
        if (strcmp(CHAINS[i].name, name) == 0) return &CHAINS[i];
    return NULL;
}

static const struct protocol_entry *find_protocol(const char *name) {
    for (size_t i = 0; i < sizeof PROTOCOLS / sizeof PROTOCOLS[0]; i++)
        if (strcmp(PROTOCOLS[i].name, name) == 0) return &PROTOCOLS[i];
    return NULL;
}

const char *mpc_chain_status_str(mpc_chain_status status) {
    switch (status) {
    case MPC_CHAIN_OK: return "ok";
    case MPC_CHAIN_NO_ADDRESS: return "no_address";
    case MPC_CHAIN_UNKNOWN_CHAIN: return "unknown_chain";
    case MPC_CHAIN_UNKNOWN_PROTOCOL: return "unknown_protocol";
    case MPC_CHAIN_BAD_PUBKEY: return "bad_pubkey";
    case MPC_CHAIN_BUFFER_TOO_SMALL: return "buffer_too_small";
    case MPC_CHAIN_CRYPTO_UNAVAILABLE: return "crypto_unavailable";
    }
    return "unknown_status";
}

mpc_chain_status mpc_chain_digest(const char *chain_type, const unsigned char *message, size_t len,
                                  unsigned char out32[32]) {
    MPC_ARG_CHECK(chain_type != NULL && out32 != NULL && (message != NULL || len == 0));
    const struct chain_entry *c = find_chain(chain_type);
    if (c == NULL) return MPC_CHAIN_UNKNOWN_CHAIN;
    if (c->family == FAMILY_EVM) {
        mpc_keccak256(out32, message, len);
    } else {
        mpc_bytes part = {message, len};
        mpc_sha256(out32, &part, 1);
    }
    return MPC_CHAIN_OK;
}

/* BIP-86 output key: x(P + H_TapTweak(x(P))·G), P the even-Y lift.
 * Returns: 1, or 0 if the tweak is out of range or Q is infinity (both of
 * negligible probability for a real key). */
static int taproot_output_key(unsigned char qx[32], const secp256k1_pubkey *pk) {
    const secp256k1_context *ctx = secp256k1_context_static;
    secp256k1_xonly_pubkey internal, output_x;
    secp256k1_pubkey output;
    unsigned char px[32], tweak[32];
    if (!secp256k1_xonly_pubkey_from_pubkey(ctx, &internal, NULL, pk)) return 0;
    if (!secp256k1_xonly_pubkey_serialize(ctx, px, &internal)) return 0;
    mpc_bytes part = {px, sizeof px};
    mpc_tagged_sha256(tweak, "TapTweak", &part, 1);
    if (!secp256k1_xonly_pubkey_tweak_add(ctx, &output, &internal, tweak)) return 0;
    if (!secp256k1_xonly_pubkey_from_pubkey(ctx, &output_x, NULL, &output)) return 0;
    return secp256k1_xonly_pubkey_serialize(ctx, qx, &output_x);
}

/* Returns: 1 with out20 = RIPEMD-160(SHA-256(in)), 0 if OpenSSL has no
 * RIPEMD-160 (in the default provider since OpenSSL 3.0.7). */
static int hash160(unsigned char out20[20], const unsigned char *in, size_t len) {
    unsigned char sha[32];
    unsigned int n = 0;
    mpc_bytes part = {in, len};
    mpc_sha256(sha, &part, 1);
    EVP_MD *md = EVP_MD_fetch(NULL, "RIPEMD160", NULL);
    int ok = md != NULL && EVP_Digest(sha, sizeof sha, out20, &n, md, NULL) && n == 20;
    EVP_MD_free(md);
    return ok;
}

void mpc_chain_eip55(char out43[43], const unsigned char addr20[20]) {
    static const char HEX[] = "0123456789abcdef";
    unsigned char h[32];
    char *hex = out43 + 2;
    for (size_t i = 0; i < 20; i++) {
        hex[2 * i] = HEX[addr20[i] >> 4];
        hex[2 * i + 1] = HEX[addr20[i] & 15];
    }
    mpc_keccak256(h, (const unsigned char *)hex, 40);
    for (size_t i = 0; i < 40; i++) {
        unsigned nibble = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
        if (hex[i] >= 'a' && nibble >= 8) hex[i] = (char)(hex[i] - 'a' + 'A');
    }
    out43[0] = '0';
    out43[1] = 'x';
    out43[42] = '\0';
}

/* EIP-55 address of pk: the last 20 bytes of Keccak-256(X || Y). */
static void eth_address(char out43[43], const secp256k1_pubkey *pk) {
    unsigned char unc[65], h[32];
    size_t unclen = sizeof unc;
    MPC_ARG_CHECK(secp256k1_ec_pubkey_serialize(secp256k1_context_static, unc, &unclen, pk,
                                                SECP256K1_EC_UNCOMPRESSED));
    mpc_keccak256(h, unc + 1, 64);
    mpc_chain_eip55(out43, h + 12);
}

mpc_chain_status mpc_chain_address(const char *chain_type, const char *protocol,
                                   const unsigned char pubkey33[33], char *out, size_t outlen) {
    MPC_ARG_CHECK(chain_type != NULL && protocol != NULL && pubkey33 != NULL);
    MPC_ARG_CHECK(out != NULL || outlen == 0);
    if (outlen) out[0] = '\0';
    const struct chain_entry *c = find_chain(chain_type);
    if (c == NULL) return MPC_CHAIN_UNKNOWN_CHAIN;
    const struct protocol_entry *p = find_protocol(protocol);
    if (p == NULL) return MPC_CHAIN_UNKNOWN_PROTOCOL;
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, pubkey33, 33))
        return MPC_CHAIN_BAD_PUBKEY;

    char addr[MPC_CHAIN_ADDRESS_MAX];
    unsigned char prog[32];
    switch (c->family == FAMILY_EVM ? p->on_evm : p->on_bitcoin) {
    case ADDR_NONE:
        return MPC_CHAIN_NO_ADDRESS;
    case ADDR_P2TR:
        if (!taproot_output_key(prog, &pk)) return MPC_CHAIN_BAD_PUBKEY;
        MPC_ARG_CHECK(mpc_segwit_address(addr, sizeof addr, c->hrp, 1, prog, 32));
        break;
    case ADDR_P2WPKH:
        if (!hash160(prog, pubkey33, 33)) return MPC_CHAIN_CRYPTO_UNAVAILABLE;
        MPC_ARG_CHECK(mpc_segwit_address(addr, sizeof addr, c->hrp, 0, prog, 20));
        break;
    case ADDR_EIP55:
        eth_address(addr, &pk);
        break;
    }
    size_t n = strlen(addr);
    if (n + 1 > outlen) return MPC_CHAIN_BUFFER_TOO_SMALL;
    memcpy(out, addr, n + 1);
    return MPC_CHAIN_OK;
}
