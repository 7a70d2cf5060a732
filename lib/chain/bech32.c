/* bech32.c - Bech32/Bech32m encoder and segwit addresses, from the
 * specifications: BIP-173 ("Bech32", "Checksum design", "Segwit address
 * format") and BIP-350 (the Bech32m constant and which witness versions use
 * it).
 *
 * The checksum is the BCH code's remainder ("polymod") over the expanded hrp
 * (high bits of each character, a zero, low bits), the data, and six zero
 * values, XORed with the variant's constant; its six 5-bit groups follow the
 * data.
 */
#include "chain/bech32.h"

#include <stdint.h>
#include <string.h>

static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

enum { HRP_MAX = 83, CHECKSUM_LEN = 6 };

/* One step of BIP-173's bech32_polymod: shift v into the remainder. */
static uint32_t polymod_step(uint32_t chk, unsigned v) {
    static const uint32_t GEN[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t b = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((b >> i) & 1) chk ^= GEN[i];
    return chk;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

int mpc_bech32_encode(char *out, size_t outlen, const char *hrp, const unsigned char *data,
                      size_t datalen, mpc_bech32_variant variant) {
    MPC_ARG_CHECK(variant == MPC_BECH32 || variant == MPC_BECH32M);
    MPC_ARG_CHECK(data != NULL || datalen == 0);
    size_t hrplen = strlen(hrp);
    if (outlen) out[0] = '\0';
    if (hrplen < 1 || hrplen > HRP_MAX) return 0;
    if (datalen > MPC_BECH32_MAX_LEN || hrplen + 1 + datalen + CHECKSUM_LEN > MPC_BECH32_MAX_LEN) return 0;
    if (hrplen + 1 + datalen + CHECKSUM_LEN + 1 > outlen) return 0;
    for (size_t i = 0; i < hrplen; i++)
        if (hrp[i] < 33 || hrp[i] > 126) return 0;
    for (size_t i = 0; i < datalen; i++)
        if (data[i] >= 32) return 0;

    uint32_t chk = 1;
    for (size_t i = 0; i < hrplen; i++) chk = polymod_step(chk, (unsigned char)lower(hrp[i]) >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < hrplen; i++) chk = polymod_step(chk, (unsigned char)lower(hrp[i]) & 31);
    for (size_t i = 0; i < datalen; i++) chk = polymod_step(chk, data[i]);
    for (int i = 0; i < CHECKSUM_LEN; i++) chk = polymod_step(chk, 0);
    chk ^= variant == MPC_BECH32M ? 0x2bc830a3u : 1u;

    size_t n = 0;
    for (size_t i = 0; i < hrplen; i++) out[n++] = lower(hrp[i]);
    out[n++] = '1';
    for (size_t i = 0; i < datalen; i++) out[n++] = CHARSET[data[i]];
    for (int i = 0; i < CHECKSUM_LEN; i++) out[n++] = CHARSET[(chk >> (5 * (5 - i))) & 31];
    out[n] = '\0';
    return 1;
}

int mpc_segwit_address(char *out, size_t outlen, const char *hrp, unsigned witver,
                       const unsigned char *prog, size_t proglen) {
    /* 1 version value + 40 bytes as 5-bit groups (64) */
    unsigned char data[1 + 64];
    size_t n = 0;
    if (outlen) out[0] = '\0';
    if (witver > 16 || proglen < 2 || proglen > 40) return 0;
    if (witver == 0 && proglen != 20 && proglen != 32) return 0;
    data[n++] = (unsigned char)witver;
    /* BIP-173 convertbits(prog, 8, 5, pad=True) */
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < proglen; i++) {
        acc = ((acc << 8) | prog[i]) & 0xfff; /* at most 4 + 8 pending bits */
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            data[n++] = (unsigned char)((acc >> bits) & 31);
        }
    }
    if (bits) data[n++] = (unsigned char)((acc << (5 - bits)) & 31);
    return mpc_bech32_encode(out, outlen, hrp, data, n, witver == 0 ? MPC_BECH32 : MPC_BECH32M);
}
