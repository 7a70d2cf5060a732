/* test_frost_random.c - for every (t, n) with 1 <= t <= n <= 10: a DKG through
 * the state machines, then a signing session of a random signer set of size
 * >= t in both variants. RFC 9591 signatures are checked with frost_verify,
 * BIP-340 signatures with libsecp256k1 directly; all signers must output the
 * same signature. */
#include <string.h>

#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "engine/frost_dkg.h"
#include "engine/frost_session.h"
#include "test_support.h"

#define MAX_N 10

static frost_keypkg kp[MAX_N];

static void run(const mpc_engine_ctx *ctx, mpc_rng *rng, uint16_t t, uint16_t n) {
    mpc_party *p[MAX_N];
    mpc_error errs[MAX_N];
    frost_dkg_config cfg = {.t = t, .n = n};
    CHECK(mpc_rng_fill(rng, cfg.session, 32));
    for (uint16_t i = 0; i < n; i++) {
        cfg.self = (uint16_t)(i + 1);
        CHECK(frost_dkg_new(ctx, &p[i], &cfg) == MPC_OK);
    }
    net_run(p, n, NULL, NULL, errs);
    for (uint16_t i = 0; i < n; i++) {
        CHECK(errs[i].code == MPC_OK);
        CHECK(frost_dkg_output(p[i], &kp[i]) == MPC_OK);
        CHECK(mpc_point_eq(ctx, &kp[i].group_key, &kp[0].group_key));
        for (uint16_t j = 0; j < n; j++)
            CHECK(mpc_point_eq(ctx, &kp[i].verifying_shares[j], &kp[0].verifying_shares[j]));
        mpc_party_free(p[i]);
    }

    for (int variant = 0; variant < 2; variant++) {
        /* Random signer set: each id in with probability 1/2, topped up to t. */
        uint16_t signers[MAX_N];
        size_t ns = 0;
        unsigned char coin[MAX_N];
        CHECK(mpc_rng_fill(rng, coin, n));
        for (uint16_t i = 0; i < n; i++)
            if (coin[i] & 1) signers[ns++] = (uint16_t)(i + 1);
        for (uint16_t i = 0; i < n && ns < t; i++) {
            int in = 0;
            for (size_t k = 0; k < ns; k++) in |= signers[k] == i + 1;
            if (!in) signers[ns++] = (uint16_t)(i + 1);
        }
        unsigned char msg[64];
        size_t msglen = coin[0] % sizeof msg;
        CHECK(mpc_rng_fill(rng, msg, msglen));
        frost_session_config sc = {.variant = (frost_variant)variant, .signers = signers,
                                   .nsigners = ns, .msg = msg, .msglen = msglen};
        CHECK(mpc_rng_fill(rng, sc.session, 32));
        for (size_t k = 0; k < ns; k++) {
            sc.key = &kp[signers[k] - 1];
            CHECK(frost_session_new(ctx, &p[k], &sc) == MPC_OK);
        }
        net_run(p, ns, NULL, NULL, errs);
        unsigned char sig0[FROST_SIG_MAX_BYTES], sig[FROST_SIG_MAX_BYTES];
        size_t len0 = 0, len;
        for (size_t k = 0; k < ns; k++) {
            CHECK(errs[k].code == MPC_OK);
            CHECK(frost_session_signature(p[k], sig, &len) == MPC_OK);
            if (k == 0) {
                memcpy(sig0, sig, len);
                len0 = len;
            }
            CHECK(len == len0 && memcmp(sig, sig0, len) == 0);
            mpc_party_free(p[k]);
        }
        if (variant == FROST_VARIANT_RFC9591) {
            CHECK(len0 == 65);
            CHECK(frost_verify(ctx, FROST_VARIANT_RFC9591, sig0, len0, &kp[0].group_key, msg, msglen));
        } else {
            unsigned char enc[33];
            secp256k1_xonly_pubkey xpk;
            CHECK(len0 == 64 && mpc_point_serialize(ctx, enc, &kp[0].group_key));
            CHECK(secp256k1_xonly_pubkey_parse(mpc_engine_secp(ctx), &xpk, enc + 1));
            CHECK(secp256k1_schnorrsig_verify(mpc_engine_secp(ctx), sig0, msg, msglen, &xpk));
        }
    }
    for (uint16_t i = 0; i < n; i++) frost_keypkg_clear(&kp[i]);
}

int main(void) {
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, test_seed("test_frost_random"));
    mpc_rng rng = mpc_test_rng_source(&trng);
    int runs = 0;
    for (uint16_t n = 1; n <= MAX_N; n++)
        for (uint16_t t = 1; t <= n; t++, runs++) run(ctx, &rng, t, n);
    printf("DKG + signing (RFC 9591 and BIP-340) for all %d (t, n) with n <= %d: ok\n", runs, MAX_N);
    mpc_engine_ctx_free(ctx);
    return 0;
}
