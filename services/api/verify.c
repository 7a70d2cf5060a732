/* verify.c - POST /api/v1/verify: checks a signature without any stored
 * state, with libsecp256k1 and the FROST engine.
 *
 *   {public_key, message, message_type, signature, protocol, chain_type?}
 *   (hex strings, protocol and chain_type text)
 *
 *   frost-bip340  BIP-340 (secp256k1_schnorrsig_verify): signature 64 bytes,
 *                 public_key 33 (compressed; its x coordinate is the x-only
 *                 key) or 32 (x-only); the message bytes are signed as given
 *   frost         RFC 9591 FROST(secp256k1, SHA-256) (frost_verify):
 *                 signature 65 bytes (R compressed || z), public_key 33; the
 *                 message bytes are signed as given
 *   gg18, gg20    ECDSA (secp256k1_ecdsa_verify): signature 64 bytes (r || s)
 *                 or DER, normalised to low s first; public_key 33 or 65;
 *                 message_type hash: the 32 bytes are the digest, raw: the
 *                 digest of the key's chain as the signers made it
 *                 (lib/chain: SHA-256 for bitcoin, Keccak-256 for EVM
 *                 chains); without chain_type, SHA-256(message)
 *
 * A well-formed request answers 200 {"valid": true|false}; malformed input
 * (bad hex, wrong lengths, a public key not on the curve) answers 400.
 */
#include <openssl/sha.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "chain/chain.h"
#include "codec/avro_codec.h"
#include "engine/ctx.h"
#include "engine/frost.h"
#include "engine/point.h"

static const char *const verify_fields[] = {"public_key", "message",  "message_type", "signature",
                                            "protocol",   "chain_type", NULL};

typedef struct {
    uint8_t *pub, *msg, *sig;
    size_t pub_len, msg_len, sig_len;
    const char *chain_type; /* NULL: raw ECDSA messages are SHA-256'd */
} verify_input;

static int hex_field(json_t *body, const char *name, uint8_t **out, size_t *len, api_error *e) {
    const char *hex;
    if (api_field_string(body, name, 1, &hex, e) != 0) return -1;
    int rc = mpc_api_unhex(hex, out, len);
    if (rc == -2) return api_fail(e, 500, "INTERNAL", "out of memory");
    if (rc != 0) return api_fail(e, 400, "INVALID_HEX", "%s must be an even number of hex digits", name);
    return 0;
}

static int bad_key(api_error *e) {
    return api_fail(e, 400, "INVALID_PUBLIC_KEY", "public_key is not a valid secp256k1 key of the expected length");
}

static int bad_sig(api_error *e, const char *want) {
    return api_fail(e, 400, "INVALID_SIGNATURE_FORMAT", "signature must be %s", want);
}

/* Returns 1 valid, 0 invalid, -1 malformed input (e set). */
static int verify_bip340(const verify_input *in, api_error *e) {
    const secp256k1_context *ctx = secp256k1_context_static;
    secp256k1_xonly_pubkey xonly;
    if (in->sig_len != 64) return bad_sig(e, "64 bytes for frost-bip340");
    if (in->pub_len == 32) {
        if (!secp256k1_xonly_pubkey_parse(ctx, &xonly, in->pub)) return bad_key(e);
    } else {
        secp256k1_pubkey pk;
        if (in->pub_len != 33 || !secp256k1_ec_pubkey_parse(ctx, &pk, in->pub, 33) ||
            !secp256k1_xonly_pubkey_from_pubkey(ctx, &xonly, NULL, &pk))
            return bad_key(e);
    }
    return secp256k1_schnorrsig_verify(ctx, in->sig, in->msg, in->msg_len, &xonly);
}

static int verify_frost(const verify_input *in, api_error *e) {
    if (in->sig_len != FROST_SIG_BYTES_RFC9591) return bad_sig(e, "65 bytes for frost");
    if (in->pub_len != MPC_POINT_BYTES) return bad_key(e);
    mpc_rng rng = mpc_rng_os();
    mpc_engine_ctx *ctx = mpc_engine_ctx_new(&rng);
    if (ctx == NULL) return api_fail(e, 500, "INTERNAL", "cannot create a verification context");
    mpc_point y;
    int rc = mpc_point_parse(ctx, &y, in->pub) ? frost_verify(ctx, FROST_VARIANT_RFC9591, in->sig, in->sig_len, &y,
                                                              in->msg, in->msg_len)
                                               : bad_key(e);
    mpc_engine_ctx_free(ctx);
    return rc;
}

static int verify_ecdsa(const verify_input *in, int raw, api_error *e) {
    const secp256k1_context *ctx = secp256k1_context_static;
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature sig;
    uint8_t digest[32];
    if ((in->pub_len != 33 && in->pub_len != 65) || !secp256k1_ec_pubkey_parse(ctx, &pk, in->pub, in->pub_len))
        return bad_key(e);
    int parsed = in->sig_len == 64 ? secp256k1_ecdsa_signature_parse_compact(ctx, &sig, in->sig)
                                   : secp256k1_ecdsa_signature_parse_der(ctx, &sig, in->sig, in->sig_len);
    if (!parsed) return bad_sig(e, "64 bytes (r || s) or DER for ECDSA");
    secp256k1_ecdsa_signature_normalize(ctx, &sig, &sig);
    if (raw && in->chain_type) {
        if (mpc_chain_digest(in->chain_type, in->msg, in->msg_len, digest) != MPC_CHAIN_OK)
            return api_fail(e, 400, "UNKNOWN_CHAIN", "no message digest is defined for chain_type '%.40s'",
                            in->chain_type);
    } else if (raw) {
        SHA256(in->msg, in->msg_len, digest);
    } else {
        memcpy(digest, in->msg, 32);
    }
    return secp256k1_ecdsa_verify(ctx, &sig, digest, &pk);
}

int api_h_verify(api_call *c, svc_http_response *resp) {
    api_error e;
    verify_input in = {0};
    const char *protocol, *mtype;
    int valid = -1, rc;
    json_t *body = api_parse_body(c->http, &e);
    if (body == NULL || api_fields_known(body, verify_fields, "", &e) != 0 ||
        api_field_string(body, "protocol", 1, &protocol, &e) != 0 ||
        api_field_string(body, "message_type", 1, &mtype, &e) != 0 ||
        api_field_string(body, "chain_type", 0, &in.chain_type, &e) != 0 ||
        hex_field(body, "public_key", &in.pub, &in.pub_len, &e) != 0 ||
        hex_field(body, "message", &in.msg, &in.msg_len, &e) != 0 ||
        hex_field(body, "signature", &in.sig, &in.sig_len, &e) != 0)
        goto done;
    int raw = strcmp(mtype, "raw") == 0;
    if (!raw && strcmp(mtype, "hash") != 0) {
        api_fail(&e, 400, "INVALID_FIELD", "message_type must be \"hash\" or \"raw\"");
        goto done;
    }
    if (!raw && in.msg_len != MPC_CODEC_HASH_MESSAGE_LEN) {
        api_fail(&e, 400, "INVALID_MESSAGE_LENGTH", "message of type hash must be exactly 32 bytes, got %zu", in.msg_len);
        goto done;
    }
    if (raw && (in.msg_len == 0 || in.msg_len > MPC_CODEC_MAX_SIGN_MESSAGE)) {
        api_fail(&e, 400, "INVALID_MESSAGE_LENGTH", "message of type raw must be 1-%u bytes", MPC_CODEC_MAX_SIGN_MESSAGE);
        goto done;
    }
    if (strcmp(protocol, "frost-bip340") == 0) valid = verify_bip340(&in, &e);
    else if (strcmp(protocol, "frost") == 0) valid = verify_frost(&in, &e);
    else if (strcmp(protocol, "gg18") == 0 || strcmp(protocol, "gg20") == 0) valid = verify_ecdsa(&in, raw, &e);
    else api_fail(&e, 400, "UNSUPPORTED_PROTOCOL", "protocol must be one of frost, frost-bip340, gg18, gg20");
done:
    if (valid >= 0)
        rc = api_reply_data(c, resp, 200, json_pack("{s:b,s:s}", "valid", valid == 1, "protocol", protocol));
    else
        rc = api_reply_err(c, resp, &e);
    free(in.pub);
    free(in.msg);
    free(in.sig);
    json_decref(body);
    return rc;
}
