/* test_gg_sign.c - GG18 signing and GG20 presign + online signing for every
 * (t, n) with n <= 5 (trusted-dealer keys over the fixture Paillier keys,
 * plus one key from the real keygen), random signer sets >= t; signatures
 * verified by libsecp256k1 and the recovery id recovers the key. Cheaters:
 * wrong decommitment, wrong signature share (GG18 and GG20), tampered range
 * proof / MtA answer, equivocating broadcast, presignature reuse. */
#include <string.h>

#include <secp256k1_recovery.h>

#include "engine/bn_util.h"
#include "engine/gg18.h"
#include "engine/gg20.h"
#include "engine/gg_keygen.h"
#include "engine/zk_range.h"
#include "gg_fixtures.h"
#include "test_support.h"

static const char *FIX;
static mpc_test_rng *TRNG;
static const mpc_engine_ctx *test_ctx_ptr;

static void check_sig(const mpc_engine_ctx *ctx, const gg_signature *sig, const mpc_point *Y,
                      const unsigned char msg[32]) {
    const secp256k1_context *sc = mpc_engine_secp(ctx);
    secp256k1_ecdsa_signature s;
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey rec;
    unsigned char c[64], a[33], b[33];
    size_t la = 33, lb = 33;
    CHECK(secp256k1_ecdsa_signature_parse_der(sc, &s, sig->der, sig->derlen));
    CHECK(!secp256k1_ecdsa_signature_normalize(sc, NULL, &s)); /* already low-S */
    CHECK(secp256k1_ecdsa_verify(sc, &s, msg, &Y->pk));
    memcpy(c, sig->r, 32);
    memcpy(c + 32, sig->s, 32);
    CHECK(sig->recid >= 0 && sig->recid <= 3);
    CHECK(secp256k1_ecdsa_recoverable_signature_parse_compact(sc, &rs, c, sig->recid));
    CHECK(secp256k1_ecdsa_recover(sc, &rec, &rs, msg));
    CHECK(secp256k1_ec_pubkey_serialize(sc, a, &la, &rec, SECP256K1_EC_COMPRESSED));
    CHECK(secp256k1_ec_pubkey_serialize(sc, b, &lb, &Y->pk, SECP256K1_EC_COMPRESSED));
    CHECK(memcmp(a, b, 33) == 0);
}

enum cheat { NONE, DECOMMIT, SIGSHARE, RANGE, MTA };
typedef struct tamper {
    enum cheat cheat;
    uint16_t cheater;
    uint8_t round;
} tamper;

static int hook(void *ud, uint16_t from, uint16_t to, uint8_t round, unsigned char **bytes,
                size_t *len) {
    tamper *t = ud;
    (void)to;
    if (t->cheat == NONE || from != t->cheater || round != t->round) return 1;
    mpc_msg_header h;
    const unsigned char *pl;
    CHECK(mpc_msg_decode(&h, &pl, *bytes, *len) == MPC_OK);
    unsigned char *np = malloc(h.payload_len);
    memcpy(np, pl, h.payload_len);
    size_t off = t->cheat == DECOMMIT ? 32 + 33 + 5   /* inside the blinding of round 4 */
                 : t->cheat == SIGSHARE ? 31          /* s_i */
                                        : h.payload_len / 2;
    np[off] ^= 1;
    unsigned char *out;
    size_t outlen;
    reencode(*bytes, *len, np, h.payload_len, &out, &outlen);
    free(np);
    *bytes = out;
    *len = outlen;
    return 1;
}

static void pick(uint16_t *signers, size_t *ns, uint16_t t, uint16_t n) {
    unsigned char r[8];
    mpc_rng rng = mpc_test_rng_source(TRNG);
    CHECK(mpc_rng_fill(&rng, r, 8));
    size_t k = t + (t < n ? r[0] % 2 : 0); /* t or t + 1 signers: keeps the suite fast */
    uint16_t all[8];
    for (uint16_t i = 0; i < n; i++) all[i] = (uint16_t)(i + 1);
    for (size_t i = 0; i < n; i++) { /* shuffle */
        size_t j = i + r[1 + i % 7] % (n - i);
        uint16_t x = all[i];
        all[i] = all[j], all[j] = x;
    }
    memcpy(signers, all, k * sizeof *signers);
    *ns = k;
}

/* GG18 sign; returns 1 if all finished, checks culprit otherwise */
static void gg18_run(mpc_engine_ctx *ctx, gg_keypkg *kp, const uint16_t *signers, size_t ns,
                     tamper *tp, mpc_err_code want) {
    mpc_party *p[8];
    mpc_error errs[8];
    gg_sign_config cfg;
    memset(&cfg, 0, sizeof cfg);
    CHECK(mpc_engine_random(ctx, cfg.session, 32) && mpc_engine_random(ctx, cfg.msg32, 32));
    cfg.signers = signers, cfg.nsigners = ns;
    for (size_t i = 0; i < ns; i++) {
        cfg.kp = &kp[signers[i] - 1];
        CHECK(gg18_sign_new(ctx, &p[i], &cfg) == MPC_OK);
    }
    net_run(p, ns, hook, tp, errs);
    for (size_t i = 0; i < ns; i++) {
        if (want == MPC_OK) {
            gg_signature sig;
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_DONE);
            CHECK(gg18_signature(p[i], &sig) == MPC_OK);
            check_sig(ctx, &sig, &kp[0].group_key, cfg.msg32);
        } else if (signers[i] != tp->cheater) {
            mpc_error e = mpc_party_error(p[i]);
            if (e.code != want || e.culprit != tp->cheater)
                fprintf(stderr, "got %s culprit %u\n", mpc_err_str(e.code), e.culprit);
            CHECK(e.code == want && e.culprit == tp->cheater);
        }
        mpc_party_free(p[i]);
    }
}

static void gg20_run(mpc_engine_ctx *ctx, gg_keypkg *kp, const uint16_t *signers, size_t ns,
                     tamper *tp, mpc_err_code want) {
    mpc_party *p[8];
    mpc_error errs[8];
    gg20_presig *ps[8];
    gg_sign_config cfg;
    memset(&cfg, 0, sizeof cfg);
    CHECK(mpc_engine_random(ctx, cfg.session, 32));
    cfg.signers = signers, cfg.nsigners = ns;
    for (size_t i = 0; i < ns; i++) {
        cfg.kp = &kp[signers[i] - 1];
        CHECK(gg20_presign_new(ctx, &p[i], &cfg) == MPC_OK);
    }
    tamper none = {NONE, 0, 0};
    tamper *pre = tp->cheat == SIGSHARE ? &none : tp;
    net_run(p, ns, hook, pre, errs);
    int presign_ok = 1;
    for (size_t i = 0; i < ns; i++) {
        if (pre->cheat == NONE) {
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_DONE);
            CHECK(gg20_presign_output(p[i], &ps[i]) == MPC_OK && gg20_presig_valid(ps[i]));
            gg20_presig *tmp;
            CHECK(gg20_presign_output(p[i], &tmp) == MPC_ERR_STATE && tmp == NULL);
        } else {
            presign_ok = 0;
            if (signers[i] != tp->cheater) {
                mpc_error e = mpc_party_error(p[i]);
                if (e.code != want || e.culprit != tp->cheater)
                    fprintf(stderr, "got %s culprit %u\n", mpc_err_str(e.code), e.culprit);
                CHECK(e.code == want && e.culprit == tp->cheater);
            }
        }
        mpc_party_free(p[i]);
    }
    if (!presign_ok) return;
    /* durable-pool round trip for party 0 */
    unsigned char *buf, msg[32], sess[32];
    size_t len;
    CHECK(gg20_presig_serialize(ctx, ps[0], &buf, &len) == MPC_OK);
    gg20_presig_free(ps[0]);
    CHECK(gg20_presig_parse(ctx, &ps[0], buf, len) == MPC_OK);
    free(buf);
    /* the public part agrees across signers: same R and Y, same signer set */
    for (size_t i = 0; i < ns; i++) {
        unsigned char R[33], Y[33], R0[33], Y0[33];
        uint16_t ids[GG_MAX_PARTIES];
        size_t nids = 0;
        CHECK(gg20_presig_public(ctx, ps[0], R0, Y0, ids, &nids) == MPC_OK && nids == ns);
        CHECK(gg20_presig_public(ctx, ps[i], R, Y, ids, &nids) == MPC_OK && nids == ns);
        CHECK(memcmp(R, R0, 33) == 0 && memcmp(Y, Y0, 33) == 0);
        for (size_t j = 0; j < ns; j++) {
            int found = 0;
            for (size_t k = 0; k < ns; k++) found |= ids[k] == signers[j];
            CHECK(found && (j == 0 || ids[j - 1] < ids[j]));
        }
        unsigned char gk[33];
        CHECK(mpc_point_serialize(ctx, gk, &kp[0].group_key) && memcmp(Y, gk, 33) == 0);
    }
    CHECK(mpc_engine_random(ctx, msg, 32) && mpc_engine_random(ctx, sess, 32));
    for (size_t i = 0; i < ns; i++) CHECK(gg20_sign_new(ctx, &p[i], sess, ps[i], msg) == MPC_OK);
    /* single use: the presignature is wiped */
    for (size_t i = 0; i < ns; i++) {
        mpc_party *again;
        CHECK(!gg20_presig_valid(ps[i]));
        CHECK(gg20_sign_new(ctx, &again, sess, ps[i], msg) == MPC_ERR_NONCE_USED && again == NULL);
        CHECK(gg20_presig_serialize(ctx, ps[i], &buf, &len) == MPC_ERR_NONCE_USED);
        gg20_presig_free(ps[i]);
    }
    tamper on = *tp;
    on.round = 1;
    net_run(p, ns, hook, &on, errs);
    for (size_t i = 0; i < ns; i++) {
        if (want == MPC_OK) {
            gg_signature sig;
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_DONE);
            CHECK(gg20_signature(p[i], &sig) == MPC_OK);
            check_sig(ctx, &sig, &kp[0].group_key, msg);
        } else if (signers[i] != tp->cheater) {
            mpc_error e = mpc_party_error(p[i]);
            CHECK(e.code == want && e.culprit == tp->cheater);
        }
        mpc_party_free(p[i]);
    }
}


/* Out-of-range MtA input: the cheater replaces c_i by Enc(n^4) in round 1
 * and sends honestly computed range proofs for it in round 2. */
typedef struct oor {
    gg_keypkg *kp;
    uint16_t cheater;
    const uint16_t *ids;
    size_t ns;
    unsigned char session[32];
    BIGNUM *c, *m, *r;
} oor;

static int oor_hook(void *ud, uint16_t from, uint16_t to, uint8_t round, unsigned char **bytes,
                    size_t *len) {
    oor *o = ud;
    if (from != o->cheater || round > 2) return 1;
    const gg_paillier_priv *own = o->kp[from - 1].own;
    mpc_msg_header h;
    const unsigned char *pl;
    CHECK(mpc_msg_decode(&h, &pl, *bytes, *len) == MPC_OK);
    mpc_writer w;
    mpc_writer_init(&w);
    if (round == 1) {
        mpc_write_bytes(&w, pl, 32); /* keep the Gamma commitment */
        bn_write(&w, o->c);
    } else {
        unsigned char c32[32], extra[16], *pf;
        size_t pflen;
        for (size_t j = 0; j < o->ns; j++)
            extra[2 * j] = (unsigned char)(o->ids[j] >> 8), extra[2 * j + 1] = (unsigned char)o->ids[j];
        gg_context(c32, "sign-enc", o->session, from, to, extra, 2 * o->ns);
        CHECK(gg_zk_enc_prove(test_ctx_ptr, own, &o->kp[to - 1].paillier[to - 1], c32, o->c,
                              o->m, o->r, NULL, NULL, &pf, &pflen) == MPC_OK);
        mpc_write_bytes(&w, pf, pflen);
        free(pf);
    }
    size_t nl;
    unsigned char *np = mpc_writer_take(&w, &nl), *out;
    size_t outlen;
    CHECK(np != NULL);
    reencode(*bytes, *len, np, nl, &out, &outlen);
    free(np);
    *bytes = out;
    *len = outlen;
    return 1;
}

static void out_of_range(mpc_engine_ctx *ctx, gg_keypkg *kp) {
    uint16_t signers[3] = {1, 2, 3};
    mpc_party *p[3];
    mpc_error errs[3];
    oor o = {kp, 2, signers, 3, {0}, BN_new(), BN_new(), BN_new()};
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *n = bn_curve_order(), *four = BN_new();
    const gg_paillier_priv *own = kp[1].own;
    CHECK(BN_set_word(four, 4) && BN_exp(o.m, n, four, bc));
    CHECK(bn_rand_unit(mpc_engine_rng(ctx), o.r, own->pub.N, bc));
    CHECK(gg_paillier_encrypt(&own->pub, own, o.c, o.m, o.r, bc));
    gg_sign_config cfg;
    memset(&cfg, 0, sizeof cfg);
    CHECK(mpc_engine_random(ctx, cfg.session, 32));
    memcpy(o.session, cfg.session, 32);
    cfg.signers = signers, cfg.nsigners = 3;
    for (int i = 0; i < 3; i++) {
        cfg.kp = &kp[i];
        CHECK(gg18_sign_new(ctx, &p[i], &cfg) == MPC_OK);
    }
    test_ctx_ptr = ctx;
    net_run(p, 3, oor_hook, &o, errs);
    for (int i = 0; i < 3; i++) {
        if (i != 1) {
            mpc_error e = mpc_party_error(p[i]);
            CHECK(e.code == MPC_ERR_BAD_PROOF && e.culprit == 2);
        }
        mpc_party_free(p[i]);
    }
    BN_free(o.c), BN_free(o.m), BN_free(o.r), BN_free(n), BN_free(four);
    BN_CTX_free(bc);
}


static void equivocation(mpc_engine_ctx *ctx, gg_keypkg *kp) {
    uint16_t signers[3] = {1, 2, 3};
    mpc_party *p[3];
    gg_sign_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.signers = signers, cfg.nsigners = 3;
    for (int i = 0; i < 3; i++) {
        cfg.kp = &kp[i];
        CHECK(gg18_sign_new(ctx, &p[i], &cfg) == MPC_OK);
    }
    mpc_outmsg m;
    CHECK(mpc_party_pop(p[1], &m) && m.round == 1 && m.recipient == MPC_BROADCAST);
    mpc_error e;
    CHECK(mpc_party_handle(p[0], m.bytes, m.len, 2, &e) == MPC_OK);
    CHECK(mpc_party_handle(p[0], m.bytes, m.len, 2, &e) == MPC_ERR_DUPLICATE);
    m.bytes[m.len - 1] ^= 1; /* a different round-1 message from party 2 */
    CHECK(mpc_party_handle(p[0], m.bytes, m.len, 2, &e) == MPC_ERR_EQUIVOCATION && e.culprit == 2);
    CHECK(mpc_party_status_get(p[0]) == MPC_PARTY_FAILED);
    mpc_outmsg_free(&m);
    for (int i = 0; i < 3; i++) mpc_party_free(p[i]);
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    FIX = argv[2];
    uint64_t seed = test_seed("test_gg_sign");
    mpc_test_rng trng;
    TRNG = &trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    gg_keypkg kp[8];
    uint16_t signers[8];
    size_t ns;
    tamper none = {NONE, 0, 0};
    int count = 0;
    for (uint16_t n = 1; n <= 5; n++) {
        for (uint16_t t = 1; t <= n; t++) {
            gg_fixture_dealer(ctx, FIX, kp, t, n);
            pick(signers, &ns, t, n);
            gg18_run(ctx, kp, signers, ns, &none, MPC_OK);
            pick(signers, &ns, t, n);
            gg20_run(ctx, kp, signers, ns, &none, MPC_OK);
            for (int i = 0; i < n; i++) gg_keypkg_clear(&kp[i]);
            count++;
        }
    }
    printf("GG18 + GG20 signatures for %d (t, n) pairs: ok\n", count);

    /* a key from the real keygen */
    {
        mpc_party *p[3];
        mpc_error errs[3];
        gg_keygen_config kc;
        memset(&kc, 0, sizeof kc);
        kc.t = 2, kc.n = 3;
        for (uint16_t i = 0; i < 3; i++) {
            kc.self = (uint16_t)(i + 1);
            kc.paillier = gg_fixture_key(ctx, FIX, 5 + i);
            CHECK(gg_keygen_new(ctx, &p[i], &kc) == MPC_OK);
        }
        net_run(p, 3, NULL, NULL, errs);
        for (int i = 0; i < 3; i++) {
            CHECK(gg_keygen_output(p[i], &kp[i]) == MPC_OK);
            mpc_party_free(p[i]);
        }
        uint16_t s2[2] = {3, 1};
        gg18_run(ctx, kp, s2, 2, &none, MPC_OK);
        gg20_run(ctx, kp, s2, 2, &none, MPC_OK);
        printf("keygen key 2-of-3: GG18 + GG20 ok\n");
    }
    /* cheaters, 2-of-3 keygen key, all three signing */
    uint16_t s3[3] = {1, 2, 3};
    tamper tp;
    tp = (tamper){DECOMMIT, 2, 4};
    gg18_run(ctx, kp, s3, 3, &tp, MPC_ERR_BAD_DECOMMITMENT);
    gg20_run(ctx, kp, s3, 3, &tp, MPC_ERR_BAD_DECOMMITMENT);
    printf("wrong decommitment: caught\n");
    tp = (tamper){SIGSHARE, 3, 9};
    gg18_run(ctx, kp, s3, 3, &tp, MPC_ERR_BAD_SIG_SHARE);
    tp = (tamper){SIGSHARE, 1, 1};
    gg20_run(ctx, kp, s3, 3, &tp, MPC_ERR_BAD_SIG_SHARE);
    printf("wrong signature share: caught\n");
    tp = (tamper){RANGE, 1, 2};
    gg18_run(ctx, kp, s3, 3, &tp, MPC_ERR_BAD_PROOF);
    tp = (tamper){MTA, 3, 3};
    gg18_run(ctx, kp, s3, 3, &tp, MPC_ERR_BAD_PROOF);
    tp = (tamper){RANGE, 2, 5};
    gg20_run(ctx, kp, s3, 3, &tp, MPC_ERR_BAD_PROOF);
    printf("tampered range / MtA / Rbar proofs: caught\n");
    out_of_range(ctx, kp);
    printf("out-of-range MtA input: caught\n");
    equivocation(ctx, kp);
    printf("equivocating broadcast: caught\n");
    for (int i = 0; i < 3; i++) gg_keypkg_clear(&kp[i]);
    mpc_engine_ctx_free(ctx);
    printf("test_gg_sign: ok\n");
    return 0;
}
