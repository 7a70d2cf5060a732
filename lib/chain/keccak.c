/* keccak.c - the Keccak-256 sponge over nettle's Keccak-f[1600] permutation.
 *
 * State lanes are 64-bit words read and written little-endian (Keccak
 * reference, section "bit and byte numbering"). Absorb XORs each 136-byte
 * block into the state and permutes; the last, partial block gets the pad10*1
 * rule with Keccak's domain bit: 0x01 after the message, 0x80 on the block's
 * last byte (the two meet as 0x81 when one byte is left). Squeezing 32 bytes
 * needs no further permutation because 32 < 136.
 */
#include "chain/keccak.h"

#include <stdint.h>
#include <string.h>

#include <nettle/sha3.h>

#include "engine/errors.h"

enum { KECCAK256_RATE = 136 };

/* XORs block[0..KECCAK256_RATE) into the state's first 17 lanes and permutes. */
static void absorb_block(struct sha3_state *st, const unsigned char *block) {
    for (size_t i = 0; i < KECCAK256_RATE / 8; i++) {
        uint64_t lane = 0;
        for (size_t b = 0; b < 8; b++) lane |= (uint64_t)block[8 * i + b] << (8 * b);
        st->a[i] ^= lane;
    }
    sha3_permute(st);
}

void mpc_keccak256(unsigned char out32[32], const unsigned char *in, size_t len) {
    MPC_ARG_CHECK(in != NULL || len == 0);
    struct sha3_state st;
    unsigned char last[KECCAK256_RATE];
    memset(&st, 0, sizeof st);
    for (; len >= KECCAK256_RATE; in += KECCAK256_RATE, len -= KECCAK256_RATE) absorb_block(&st, in);
    memset(last, 0, sizeof last);
    if (len) memcpy(last, in, len);
    last[len] ^= 0x01;
    last[KECCAK256_RATE - 1] ^= 0x80;
    absorb_block(&st, last);
    for (size_t i = 0; i < 32; i++) out32[i] = (unsigned char)(st.a[i / 8] >> (8 * (i % 8)));
}
