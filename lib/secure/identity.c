/*
 * identity.c - node identity keys: generation from the injected rng, the
 * 0600 hex key file, BIP-340 signing and verification, and the raw ECDH used
 * by envelope.c. The secret lives only inside struct mpc_identity, which is
 * wiped when freed.
 */
#include "secure/identity.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "secure/internal.h"

#define IDENTITY_MAGIC 0x6d706369u /* "mpci": catches use of a freed or foreign struct */

struct mpc_identity {
    uint32_t magic;
    unsigned char secret[32];
    secp256k1_keypair keypair;
    unsigned char pub[MPC_IDENTITY_PUBKEY_LEN];
};

static void check_identity(const mpc_identity *id) {
    MPC_ARG_CHECK(id != NULL && id->magic == IDENTITY_MAGIC);
}

int mpc_identity_from_secret(const mpc_engine_ctx *ctx, mpc_identity **out,
                             const unsigned char secret[32], mpc_secure_error *err) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && secret != NULL);
    const secp256k1_context *secp = mpc_engine_secp(ctx);
    *out = NULL;
    if (!secp256k1_ec_seckey_verify(secp, secret))
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "identity secret is zero or not below the group order");
    mpc_identity *id = calloc(1, sizeof *id);
    if (id == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    secp256k1_pubkey pk;
    size_t publen = sizeof id->pub;
    memcpy(id->secret, secret, 32);
    if (!secp256k1_keypair_create(secp, &id->keypair, secret) ||
        !secp256k1_keypair_pub(secp, &pk, &id->keypair) ||
        !secp256k1_ec_pubkey_serialize(secp, id->pub, &publen, &pk, SECP256K1_EC_COMPRESSED)) {
        mpc_secure_free_secret(id, sizeof *id);
        return sec_fail(err, MPC_SECURE_ERR_CRYPTO, "cannot derive the identity public key");
    }
    id->magic = IDENTITY_MAGIC;
    *out = id;
    sec_clear(err);
    return MPC_SECURE_OK;
}

int mpc_identity_generate(const mpc_engine_ctx *ctx, mpc_identity **out, mpc_secure_error *err) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL);
    unsigned char secret[32];
    *out = NULL;
    /* A uniform 32-byte string is a valid scalar except with probability
     * about 2^-128; redraw in that case. */
    for (int tries = 0; tries < 64; tries++) {
        if (!mpc_engine_random(ctx, secret, sizeof secret)) {
            OPENSSL_cleanse(secret, sizeof secret);
            return sec_fail(err, MPC_SECURE_ERR_RNG, "randomness source failed");
        }
        if (secp256k1_ec_seckey_verify(mpc_engine_secp(ctx), secret)) break;
    }
    int rc = mpc_identity_from_secret(ctx, out, secret, err);
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}

int mpc_identity_load(const mpc_engine_ctx *ctx, mpc_identity **out, const char *path,
                      mpc_secure_error *err) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && path != NULL);
    unsigned char secret[32];
    *out = NULL;
    int rc = sec_read_secret32(path, "identity key", secret, err);
    if (rc == MPC_SECURE_OK) {
        rc = mpc_identity_from_secret(ctx, out, secret, err);
        if (rc == MPC_SECURE_ERR_FORMAT)
            sec_fail(err, rc, "%s: identity key is zero or not below the group order", path);
    }
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}

int mpc_identity_save(const mpc_identity *id, const char *path, mpc_secure_error *err) {
    check_identity(id);
    MPC_ARG_CHECK(path != NULL);
    char text[65 + 1];
    sec_hex_encode(text, id->secret, 32);
    text[64] = '\n';
    text[65] = '\0';
    int rc = sec_create_file_excl(path, text, 65, 0600, err);
    OPENSSL_cleanse(text, sizeof text);
    if (rc == MPC_SECURE_OK) sec_clear(err);
    return rc;
}

void mpc_identity_free(mpc_identity *id) {
    if (id == NULL) return;
    check_identity(id);
    mpc_secure_free_secret(id, sizeof *id);
}

void mpc_identity_public_key(const mpc_identity *id, unsigned char pub[MPC_IDENTITY_PUBKEY_LEN]) {
    check_identity(id);
    MPC_ARG_CHECK(pub != NULL);
    memcpy(pub, id->pub, MPC_IDENTITY_PUBKEY_LEN);
}

int mpc_identity_sign(const mpc_engine_ctx *ctx, unsigned char sig[MPC_IDENTITY_SIG_LEN],
                      const mpc_identity *id, const unsigned char digest[32]) {
    MPC_ARG_CHECK(ctx != NULL && sig != NULL && digest != NULL);
    check_identity(id);
    unsigned char aux[32];
    if (!mpc_engine_random(ctx, aux, sizeof aux)) return MPC_SECURE_ERR_RNG;
    int ok = secp256k1_schnorrsig_sign32(mpc_engine_secp(ctx), sig, digest, &id->keypair, aux);
    OPENSSL_cleanse(aux, sizeof aux);
    return ok ? MPC_SECURE_OK : MPC_SECURE_ERR_CRYPTO;
}

int mpc_identity_verify(const mpc_engine_ctx *ctx, const unsigned char pub[MPC_IDENTITY_PUBKEY_LEN],
                        const unsigned char sig[MPC_IDENTITY_SIG_LEN],
                        const unsigned char digest[32]) {
    MPC_ARG_CHECK(ctx != NULL && pub != NULL && sig != NULL && digest != NULL);
    const secp256k1_context *secp = mpc_engine_secp(ctx);
    secp256k1_pubkey pk;
    secp256k1_xonly_pubkey xonly;
    if (pub[0] != 0x02 && pub[0] != 0x03) return 0;
    if (!secp256k1_ec_pubkey_parse(secp, &pk, pub, MPC_IDENTITY_PUBKEY_LEN) ||
        !secp256k1_xonly_pubkey_from_pubkey(secp, &xonly, NULL, &pk))
        return 0;
    return secp256k1_schnorrsig_verify(secp, sig, digest, 32, &xonly);
}

/* secp256k1_ecdh hash function that returns the bare x coordinate. */
static int ecdh_x_only(unsigned char *output, const unsigned char *x32, const unsigned char *y32,
                       void *data) {
    (void)y32;
    (void)data;
    memcpy(output, x32, 32);
    return 1;
}

int sec_identity_ecdh(const mpc_engine_ctx *ctx, unsigned char out[32], const mpc_identity *id,
                      const secp256k1_pubkey *peer) {
    check_identity(id);
    return secp256k1_ecdh(mpc_engine_secp(ctx), out, peer, id->secret, ecdh_x_only, NULL);
}
