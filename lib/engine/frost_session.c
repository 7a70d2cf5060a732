/* frost_session.c - FROST signing rounds wrapped as an mpc_party protocol. */
#include "engine/frost_session.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

typedef struct sign_state {
    frost_variant variant;
    frost_keypkg key;
    unsigned char *msg;
    size_t msglen;
    frost_secnonce nonce;
    frost_commitment own;
    frost_signing_pkg *pkg;
    mpc_scalar *shares; /* per signer, in id order */
    unsigned char sig[FROST_SIG_MAX_BYTES];
    size_t siglen;
} sign_state;

static void sign_destroy(void *v) {
    sign_state *s = v;
    if (s == NULL) return;
    frost_signing_pkg_free(s->pkg);
    free(s->shares);
    free(s->msg);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

static mpc_err_code sign_round1(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    size_t count = mpc_party_count(p), len;
    frost_commitment *list = malloc(count * sizeof *list);
    mpc_err_code rc = list == NULL ? MPC_ERR_NOMEM : MPC_OK;
    *err = (mpc_error){MPC_OK, 0};
    for (size_t i = 0; i < count && rc == MPC_OK; i++) {
        uint16_t id = mpc_party_id_at(p, i);
        if (id == s->key.id) {
            list[i] = s->own;
            continue;
        }
        const unsigned char *pl = mpc_party_payload(p, 1, i, &len);
        if (len != FROST_COMMITMENT_BYTES || !frost_commitment_parse(ctx, &list[i], id, pl)) {
            rc = MPC_ERR_MALFORMED;
            err->culprit = id;
        }
    }
    if (rc == MPC_OK)
        rc = frost_signing_pkg_new(ctx, &s->pkg, s->variant, &s->key.group_key, list, count,
                                   s->msg, s->msglen);
    free(list);
    mpc_scalar z;
    if (rc == MPC_OK) rc = frost_sign(ctx, &z, &s->nonce, &s->key, s->pkg);
    if (rc == MPC_OK) {
        unsigned char buf[32];
        s->shares[mpc_party_index(p, s->key.id)] = z;
        mpc_scalar_serialize(buf, &z);
        rc = mpc_party_send(p, 2, MPC_BROADCAST, buf, 32);
    }
    err->code = rc;
    if (rc == MPC_OK) mpc_party_next_round(p);
    return rc;
}

static mpc_err_code sign_round2(mpc_party *p, sign_state *s, mpc_error *err) {
    const mpc_engine_ctx *ctx = mpc_party_ctx(p);
    size_t count = mpc_party_count(p), len;
    for (size_t i = 0; i < count; i++) {
        uint16_t id = mpc_party_id_at(p, i);
        if (id == s->key.id) continue;
        const unsigned char *pl = mpc_party_payload(p, 2, i, &len);
        if (len != 32 || !mpc_scalar_parse(&s->shares[i], pl)) {
            *err = (mpc_error){MPC_ERR_MALFORMED, id};
            return MPC_ERR_MALFORMED;
        }
    }
    mpc_err_code rc = frost_aggregate(ctx, s->sig, &s->siglen, s->pkg, s->shares, &s->key, err);
    if (rc != MPC_OK) return rc;
    if (!frost_verify(ctx, s->variant, s->sig, s->siglen, &s->key.group_key, s->msg, s->msglen)) {
        *err = (mpc_error){MPC_ERR_BAD_SIGNATURE, 0}; /* unreachable if shares verified */
        return MPC_ERR_BAD_SIGNATURE;
    }
    mpc_party_finish(p);
    return MPC_OK;
}

static mpc_err_code sign_advance(mpc_party *p, mpc_error *err) {
    sign_state *s = mpc_party_state(p);
    mpc_err_code rc = MPC_OK;
    if (mpc_party_round(p) == 1 && mpc_party_round_ready(p, 1)) rc = sign_round1(p, s, err);
    if (rc == MPC_OK && mpc_party_round(p) == 2 && mpc_party_round_ready(p, 2))
        rc = sign_round2(p, s, err);
    return rc;
}

/* One protocol table per variant, indexed by frost_variant. */
static const mpc_protocol SIGN_PROTOCOLS[2] = {
    [FROST_VARIANT_RFC9591] = {MPC_PROTO_FROST_SIGN, 2, {1, 1}, sign_advance, sign_destroy},
    [FROST_VARIANT_BIP340] = {MPC_PROTO_FROST_SIGN_BIP340, 2, {1, 1}, sign_advance, sign_destroy},
};

mpc_err_code frost_session_new(const mpc_engine_ctx *ctx, mpc_party **out,
                               const frost_session_config *cfg) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && cfg != NULL && cfg->key != NULL);
    MPC_ARG_CHECK(cfg->signers != NULL && (cfg->msg != NULL || cfg->msglen == 0));
    const frost_keypkg *k = cfg->key;
    *out = NULL;
    if (cfg->nsigners < k->t || cfg->nsigners > k->n) return MPC_ERR_CONFIG;
    int self_in = 0;
    for (size_t i = 0; i < cfg->nsigners; i++) {
        if (cfg->signers[i] < 1 || cfg->signers[i] > k->n) return MPC_ERR_CONFIG;
        self_in |= cfg->signers[i] == k->id;
    }
    if (!self_in) return MPC_ERR_CONFIG;
    sign_state *s = calloc(1, sizeof *s);
    if (s == NULL) return MPC_ERR_NOMEM;
    s->variant = cfg->variant;
    s->key = *k;
    s->msglen = cfg->msglen;
    s->msg = malloc(cfg->msglen ? cfg->msglen : 1);
    s->shares = calloc(cfg->nsigners, sizeof *s->shares);
    if (s->msg == NULL || s->shares == NULL) {
        sign_destroy(s);
        return MPC_ERR_NOMEM;
    }
    if (cfg->msglen) memcpy(s->msg, cfg->msg, cfg->msglen);
    if (cfg->variant != FROST_VARIANT_RFC9591 && cfg->variant != FROST_VARIANT_BIP340) {
        sign_destroy(s);
        return MPC_ERR_CONFIG;
    }
    const mpc_protocol *proto = &SIGN_PROTOCOLS[cfg->variant];
    /* mpc_party_create rejects repeated ids. */
    mpc_party *p = mpc_party_create(ctx, proto, cfg->session, k->id, cfg->signers, cfg->nsigners, s);
    if (p == NULL) return MPC_ERR_CONFIG;
    mpc_err_code rc = frost_commit(ctx, NULL, &s->nonce, &s->own, &s->key, s->variant);
    unsigned char buf[FROST_COMMITMENT_BYTES];
    if (rc == MPC_OK)
        rc = frost_commitment_serialize(ctx, buf, &s->own) ? MPC_OK : MPC_ERR_INTERNAL;
    if (rc == MPC_OK) rc = mpc_party_send(p, 1, MPC_BROADCAST, buf, sizeof buf);
    if (rc == MPC_OK && mpc_party_start(p) == MPC_PARTY_FAILED) rc = mpc_party_error(p).code;
    if (rc != MPC_OK) {
        mpc_party_free(p);
        return rc;
    }
    *out = p;
    return MPC_OK;
}

mpc_err_code frost_session_signature(const mpc_party *p, unsigned char *sig, size_t *siglen) {
    MPC_ARG_CHECK(p != NULL && sig != NULL && siglen != NULL);
    const mpc_protocol *proto = mpc_party_protocol(p);
    if ((proto != &SIGN_PROTOCOLS[0] && proto != &SIGN_PROTOCOLS[1]) ||
        mpc_party_status_get(p) != MPC_PARTY_DONE)
        return MPC_ERR_STATE;
    const sign_state *s = mpc_party_state(p);
    memcpy(sig, s->sig, s->siglen);
    *siglen = s->siglen;
    return MPC_OK;
}
