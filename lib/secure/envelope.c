/*
 * envelope.c - sealing and opening round messages: BIP-340 signatures over
 * mpc_codec_round_message_digest(), and ECDH + HKDF-SHA256 + AES-256-GCM for
 * point-to-point payloads with the Avro header as associated data. The
 * formats are fixed in envelope.h and docs/pipeline.md.
 */
#include "secure/envelope.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "secure/internal.h"

struct mpc_envelope_ctx {
    const mpc_engine_ctx *ctx;
    const mpc_identity *me;
    const mpc_roster *roster;
    int my_id;
};

int mpc_envelope_ctx_new(mpc_envelope_ctx **out, const mpc_engine_ctx *ctx,
                         const mpc_identity *me, const mpc_roster *roster, int my_id,
                         mpc_secure_error *err) {
    MPC_ARG_CHECK(out != NULL && ctx != NULL && me != NULL && roster != NULL);
    MPC_ARG_CHECK(my_id >= 0 && my_id <= MPC_ROSTER_MAX_ID);
    unsigned char pub[MPC_IDENTITY_PUBKEY_LEN];
    const mpc_roster_node *self = mpc_roster_find(roster, my_id);
    *out = NULL;
    mpc_identity_public_key(me, pub);
    if (self == NULL)
        return sec_fail(err, MPC_SECURE_ERR_KEY_MISMATCH, "node %d is not in the roster", my_id);
    if (memcmp(self->public_key, pub, sizeof pub) != 0)
        return sec_fail(err, MPC_SECURE_ERR_KEY_MISMATCH,
                        "the identity key is not the one the roster pins for node %d", my_id);
    mpc_envelope_ctx *e = calloc(1, sizeof *e);
    if (e == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    *e = (mpc_envelope_ctx){ctx, me, roster, my_id};
    *out = e;
    sec_clear(err);
    return MPC_SECURE_OK;
}

void mpc_envelope_ctx_free(mpc_envelope_ctx *e) { free(e); }

void mpc_envelope_message_free(mpc_round_message *msg) { mpc_codec_free_round_message(msg); }

/* A malloc'ed copy of p[0..n), non-NULL even when n is 0; NULL if out of memory. */
static unsigned char *dup_bytes(const unsigned char *p, size_t n) {
    unsigned char *copy = malloc(n + 1);
    if (copy != NULL && n > 0) memcpy(copy, p, n);
    return copy;
}

/* The pairwise payload key of msg, shared by msg->from and msg->to; `peer` is
 * the other side's roster entry. Returns: 1 on success, 0 on failure. */
static int p2p_key(const mpc_envelope_ctx *e, unsigned char key[32], const mpc_round_message *msg,
                   const mpc_roster_node *peer) {
    static const char label[] = "mpc.v1.p2p";
    unsigned char info[sizeof label - 1 + 4 + 4 + 4 + 8], ikm[32];
    unsigned char *p = info + sizeof label - 1;
    secp256k1_pubkey point;
    memcpy(info, label, sizeof label - 1);
    sec_put_be32(p, (uint32_t)msg->from);
    sec_put_be32(p + 4, (uint32_t)msg->to);
    sec_put_be32(p + 8, (uint32_t)msg->round);
    sec_put_be64(p + 12, (uint64_t)msg->seq);
    int ok = secp256k1_ec_pubkey_parse(mpc_engine_secp(e->ctx), &point, peer->public_key,
                                       MPC_IDENTITY_PUBKEY_LEN) &&
             sec_identity_ecdh(e->ctx, ikm, e->me, &point) &&
             sec_hkdf_sha256(key, ikm, sizeof ikm, (const unsigned char *)msg->session_id,
                             strlen(msg->session_id), info, sizeof info);
    OPENSSL_cleanse(ikm, sizeof ikm);
    return ok;
}

/* Encrypt pt into out->payload (iv || ct || tag); out's header is final. */
static int encrypt_payload(const mpc_envelope_ctx *e, mpc_round_message *out,
                           const unsigned char *pt, size_t len, const mpc_roster_node *to,
                           mpc_secure_error *err) {
    unsigned char key[32];
    uint8_t *aad = NULL;
    size_t aadlen = 0;
    unsigned char *buf = malloc(len + MPC_ENVELOPE_OVERHEAD);
    if (buf == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    out->payload.data = buf;
    out->payload.len = len + MPC_ENVELOPE_OVERHEAD;
    if (!mpc_engine_random(e->ctx, buf, SEC_GCM_IV))
        return sec_fail(err, MPC_SECURE_ERR_RNG, "randomness source failed");
    if (mpc_codec_round_message_header(out, &aad, &aadlen) != MPC_CODEC_OK)
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "cannot encode the message header");
    int ok = p2p_key(e, key, out, to) &&
             sec_gcm_encrypt(key, buf, aad, aadlen, pt, len, buf + SEC_GCM_IV,
                             buf + SEC_GCM_IV + len);
    OPENSSL_cleanse(key, sizeof key);
    free(aad);
    return ok ? MPC_SECURE_OK
              : sec_fail(err, MPC_SECURE_ERR_CRYPTO, "cannot encrypt the payload to node %d",
                         to->id);
}

static int seal_into(const mpc_envelope_ctx *e, mpc_round_message *out,
                     const mpc_round_message *in, mpc_secure_error *err) {
    const mpc_roster_node *to = NULL;
    if (in->to != 0 && (to = mpc_roster_find(e->roster, in->to)) == NULL)
        return sec_fail(err, MPC_SECURE_ERR_UNKNOWN_RECIPIENT, "node %d is not in the roster",
                        in->to);
    if (in->payload.len > MPC_ENVELOPE_MAX_PLAINTEXT)
        return sec_fail(err, MPC_SECURE_ERR_LIMIT, "payload of %zu bytes exceeds %u",
                        in->payload.len, (unsigned)MPC_ENVELOPE_MAX_PLAINTEXT);
    *out = (mpc_round_message){.round = in->round, .from = in->from, .to = in->to,
                               .seq = in->seq, .encrypted = in->to != 0,
                               .sent_at = in->sent_at};
    out->session_id = strdup(in->session_id);
    out->protocol = strdup(in->protocol);
    out->kind = strdup(in->kind);
    out->signature.data = malloc(MPC_IDENTITY_SIG_LEN);
    if (!out->session_id || !out->protocol || !out->kind || !out->signature.data)
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    int rc;
    if (to != NULL) {
        rc = encrypt_payload(e, out, in->payload.data, in->payload.len, to, err);
        if (rc != MPC_SECURE_OK) return rc;
    } else {
        out->payload.data = dup_bytes(in->payload.data, in->payload.len);
        if (out->payload.data == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
        out->payload.len = in->payload.len;
    }
    /* A placeholder signature makes the record complete for validation. */
    memset(out->signature.data, 0, MPC_IDENTITY_SIG_LEN);
    out->signature.len = MPC_IDENTITY_SIG_LEN;
    mpc_codec_error cerr;
    if (mpc_codec_validate_round_message(out, &cerr) != MPC_CODEC_OK)
        return sec_fail(err, MPC_SECURE_ERR_MALFORMED, "cannot seal: %s: %s", cerr.field,
                        cerr.message);
    uint8_t digest[32];
    if (mpc_codec_round_message_digest(out, digest) != MPC_CODEC_OK)
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "cannot compute the message digest");
    rc = mpc_identity_sign(e->ctx, out->signature.data, e->me, digest);
    if (rc != MPC_SECURE_OK) return sec_fail(err, rc, "cannot sign the message");
    return MPC_SECURE_OK;
}

int mpc_envelope_seal(const mpc_envelope_ctx *e, mpc_round_message *out,
                      const mpc_round_message *in, mpc_secure_error *err) {
    MPC_ARG_CHECK(e != NULL && out != NULL && in != NULL);
    MPC_ARG_CHECK(in->session_id != NULL && in->protocol != NULL && in->kind != NULL);
    MPC_ARG_CHECK(in->payload.data != NULL || in->payload.len == 0);
    MPC_ARG_CHECK(in->from == e->my_id);
    memset(out, 0, sizeof *out);
    int rc = seal_into(e, out, in, err);
    if (rc != MPC_SECURE_OK) {
        mpc_envelope_message_free(out);
        return rc;
    }
    sec_clear(err);
    return MPC_SECURE_OK;
}

/* Decrypt msg's payload (addressed to me) into *plaintext. */
static int decrypt_payload(const mpc_envelope_ctx *e, unsigned char **plaintext, size_t *len,
                           const mpc_round_message *msg, const mpc_roster_node *from,
                           mpc_secure_error *err) {
    const unsigned char *p = msg->payload.data;
    if (msg->payload.len < MPC_ENVELOPE_OVERHEAD)
        return sec_fail(err, MPC_SECURE_ERR_DECRYPT,
                        "encrypted payload from node %d is too short (%zu bytes)", msg->from,
                        msg->payload.len);
    size_t n = msg->payload.len - MPC_ENVELOPE_OVERHEAD;
    unsigned char key[32];
    uint8_t *aad = NULL;
    size_t aadlen = 0;
    unsigned char *pt = malloc(n + 1);
    if (pt == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    if (mpc_codec_round_message_header(msg, &aad, &aadlen) != MPC_CODEC_OK) {
        free(pt);
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "cannot encode the message header");
    }
    if (!p2p_key(e, key, msg, from)) {
        free(aad);
        free(pt);
        return sec_fail(err, MPC_SECURE_ERR_CRYPTO, "cannot derive the key for node %d",
                        msg->from);
    }
    int ok = sec_gcm_decrypt(key, p, aad, aadlen, p + SEC_GCM_IV, n, p + SEC_GCM_IV + n, pt);
    OPENSSL_cleanse(key, sizeof key);
    free(aad);
    if (!ok) {
        mpc_secure_free_secret(pt, n + 1);
        return sec_fail(err, MPC_SECURE_ERR_DECRYPT,
                        "payload from node %d (session %s, round %d, seq %lld) does not decrypt",
                        msg->from, msg->session_id, msg->round, (long long)msg->seq);
    }
    *plaintext = pt;
    *len = n;
    return MPC_SECURE_OK;
}

static int open_msg(const mpc_envelope_ctx *e, unsigned char **plaintext, size_t *len,
                    const mpc_round_message *msg, mpc_secure_error *err) {
    mpc_codec_error cerr;
    if (msg->session_id == NULL || msg->protocol == NULL || msg->kind == NULL ||
        (msg->payload.data == NULL && msg->payload.len != 0) ||
        (msg->signature.data == NULL && msg->signature.len != 0))
        return sec_fail(err, MPC_SECURE_ERR_MALFORMED, "message lacks a required field");
    if (mpc_codec_validate_round_message(msg, &cerr) != MPC_CODEC_OK)
        return sec_fail(err, MPC_SECURE_ERR_MALFORMED, "%s: %s", cerr.field, cerr.message);
    if (msg->signature.len != MPC_IDENTITY_SIG_LEN)
        return sec_fail(err, MPC_SECURE_ERR_MALFORMED, "signature is %zu bytes, not %d",
                        msg->signature.len, MPC_IDENTITY_SIG_LEN);
    if (msg->encrypted != (msg->to != 0))
        return sec_fail(err, MPC_SECURE_ERR_MALFORMED,
                        "point-to-point messages must be encrypted and broadcasts not");
    const mpc_roster_node *from = mpc_roster_find(e->roster, msg->from);
    if (from == NULL)
        return sec_fail(err, MPC_SECURE_ERR_UNKNOWN_SENDER, "sender node %d is not in the roster",
                        msg->from);
    uint8_t digest[32];
    if (mpc_codec_round_message_digest(msg, digest) != MPC_CODEC_OK)
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "cannot compute the message digest");
    if (!mpc_identity_verify(e->ctx, from->public_key, msg->signature.data, digest))
        return sec_fail(err, MPC_SECURE_ERR_BAD_SIGNATURE,
                        "signature of a message claiming to be from node %d does not verify",
                        msg->from);
    if (msg->to != 0 && msg->to != e->my_id)
        return sec_fail(err, MPC_SECURE_ERR_NOT_FOR_ME, "message for node %d, I am node %d",
                        msg->to, e->my_id);
    if (msg->to != 0) return decrypt_payload(e, plaintext, len, msg, from, err);
    unsigned char *copy = dup_bytes(msg->payload.data, msg->payload.len);
    if (copy == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    *plaintext = copy;
    *len = msg->payload.len;
    return MPC_SECURE_OK;
}

int mpc_envelope_open(const mpc_envelope_ctx *e, unsigned char **plaintext, size_t *len,
                      const mpc_round_message *msg, mpc_secure_error *err) {
    MPC_ARG_CHECK(e != NULL && plaintext != NULL && len != NULL && msg != NULL);
    *plaintext = NULL;
    *len = 0;
    int rc = open_msg(e, plaintext, len, msg, err);
    if (rc == MPC_SECURE_OK) sec_clear(err);
    return rc;
}
