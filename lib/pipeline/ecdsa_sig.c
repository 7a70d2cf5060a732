/* ecdsa_sig.c - GG signing digests and output checks; see ecdsa_sig.h. */
#include "pipeline/ecdsa_sig.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>

#include "chain/chain.h"

/* n/2, the largest low-S value. */
static const unsigned char HALF_N[32] = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

int pl_is_ecdsa(const char *protocol) { return strcmp(protocol, "gg18") == 0 || strcmp(protocol, "gg20") == 0; }

int pl_item_digest(const pl_session *d, const pl_item *it, unsigned char out32[32]) {
    if (it->is_hash) {
        if (it->message_len != 32) return -1;
        memcpy(out32, it->message, 32);
        return 0;
    }
    return mpc_chain_digest(d->chain_type, it->message, it->message_len, out32) == MPC_CHAIN_OK ? 0 : -1;
}

int pl_ecdsa_check(const mpc_engine_ctx *ctx, const mpc_point *Y, const unsigned char digest32[32],
                   const unsigned char *sig, size_t len) {
    if (len != PL_ECDSA_SIG_BYTES || sig[64] > 3 || memcmp(sig + 32, HALF_N, 32) > 0 || mpc_point_is_identity(Y))
        return 0;
    const secp256k1_context *sc = mpc_engine_secp(ctx);
    secp256k1_ecdsa_signature s;
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey rec;
    unsigned char a[33], b[33];
    size_t alen = 33, blen = 33;
    return secp256k1_ecdsa_signature_parse_compact(sc, &s, sig) && secp256k1_ecdsa_verify(sc, &s, digest32, &Y->pk) &&
           secp256k1_ecdsa_recoverable_signature_parse_compact(sc, &rs, sig, sig[64]) &&
           secp256k1_ecdsa_recover(sc, &rec, &rs, digest32) &&
           secp256k1_ec_pubkey_serialize(sc, a, &alen, &rec, SECP256K1_EC_COMPRESSED) &&
           secp256k1_ec_pubkey_serialize(sc, b, &blen, &Y->pk, SECP256K1_EC_COMPRESSED) && memcmp(a, b, 33) == 0;
}

int pl_ecdsa_der(const mpc_engine_ctx *ctx, const unsigned char rs[64], unsigned char der[PL_ECDSA_DER_MAX],
                 size_t *derlen) {
    const secp256k1_context *sc = mpc_engine_secp(ctx);
    secp256k1_ecdsa_signature s;
    *derlen = PL_ECDSA_DER_MAX;
    return secp256k1_ecdsa_signature_parse_compact(sc, &s, rs) &&
           secp256k1_ecdsa_signature_serialize_der(sc, der, derlen, &s);
}
