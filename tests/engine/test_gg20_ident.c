/* test_gg20_ident.c - GG20 identification after a failed round-5 sum check
 * (gg20_ident.h), with cheaters that stay consistent with their own proofs
 * (engine/gg_faults.h; this test links mpc_engine_faults):
 *   wrong delta_i, a k-gamma MtA answered with another gamma, wrong sigma_i,
 *   a wrong nu in sigma_i: every honest party names the cheater in round 6;
 *   a wrong answer digest in round 4: the Alice it lied to names it;
 *   a reveal that lies (alpha or gamma): the liar is named, not the party its
 *   lie would have framed.
 * Honest runs never reach round 6 and still sign. */
#include <string.h>

#include "engine/gg18.h"
#include "engine/gg20.h"
#include "engine/gg_faults.h"
#include "gg_fixtures.h"
#include "test_support.h"

static const char *FIX;

/* Records the highest round delivered. */
static int max_round_hook(void *ud, uint16_t from, uint16_t to, uint8_t round,
                          unsigned char **bytes, size_t *len) {
    (void)from, (void)to, (void)bytes, (void)len;
    uint8_t *max = ud;
    if (round > *max) *max = round;
    return 1;
}

typedef struct fault {
    uint16_t who;
    unsigned faults;
} fault;

/* Presign among signers with the given faults; returns the highest round
 * delivered. Every party that is neither a cheater nor in skip must fail
 * with want / culprit (or all finish when want == MPC_OK, then sign). */
static uint8_t presign(mpc_engine_ctx *ctx, gg_keypkg *kp, const uint16_t *signers, size_t ns,
                       const fault *faults, size_t nfaults, mpc_err_code want,
                       uint16_t culprit, uint16_t only) {
    mpc_party *p[8];
    mpc_error errs[8];
    gg_sign_config cfg;
    uint8_t max = 0;
    memset(&cfg, 0, sizeof cfg);
    CHECK(mpc_engine_random(ctx, cfg.session, 32));
    cfg.signers = signers, cfg.nsigners = ns;
    for (size_t i = 0; i < ns; i++) {
        cfg.kp = &kp[signers[i] - 1];
        CHECK(gg20_presign_new(ctx, &p[i], &cfg) == MPC_OK);
        for (size_t f = 0; f < nfaults; f++)
            if (faults[f].who == signers[i]) CHECK(gg_sign_set_faults(p[i], faults[f].faults) == MPC_OK);
    }
    net_run(p, ns, max_round_hook, &max, errs);
    gg20_presig *ps[8];
    for (size_t i = 0; i < ns; i++) {
        int cheater = 0;
        for (size_t f = 0; f < nfaults; f++) cheater |= faults[f].who == signers[i];
        if (want == MPC_OK) {
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_DONE);
            CHECK(gg20_presign_output(p[i], &ps[i]) == MPC_OK);
        } else if (!cheater && (only == 0 || only == signers[i])) {
            mpc_error e = mpc_party_error(p[i]);
            if (e.code != want || e.culprit != culprit)
                fprintf(stderr, "party %u: got %s culprit %u, want %s culprit %u\n", signers[i],
                        mpc_err_str(e.code), e.culprit, mpc_err_str(want), culprit);
            CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_FAILED);
            CHECK(e.code == want && e.culprit == culprit);
        }
        mpc_party_free(p[i]);
    }
    if (want == MPC_OK) {
        unsigned char msg[32], sess[32];
        CHECK(mpc_engine_random(ctx, msg, 32) && mpc_engine_random(ctx, sess, 32));
        for (size_t i = 0; i < ns; i++) CHECK(gg20_sign_new(ctx, &p[i], sess, ps[i], msg) == MPC_OK);
        for (size_t i = 0; i < ns; i++) gg20_presig_free(ps[i]);
        net_run(p, ns, NULL, NULL, errs);
        for (size_t i = 0; i < ns; i++) {
            gg_signature sig;
            CHECK(gg20_signature(p[i], &sig) == MPC_OK);
            mpc_party_free(p[i]);
        }
    }
    return max;
}

int main(int argc, char **argv) {
    CHECK(argc >= 3);
    FIX = argv[2];
    uint64_t seed = test_seed("test_gg20_ident");
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    gg_keypkg kp[4];
    gg_fixture_dealer(ctx, FIX, kp, 2, 3);
    const uint16_t s3[3] = {1, 2, 3}, s2[2] = {1, 3};

    /* honest: five rounds, a presignature that signs */
    CHECK(presign(ctx, kp, s3, 3, NULL, 0, MPC_OK, 0, 0) == 5);
    printf("honest presign: 5 rounds, signs\n");

    /* consistent cheaters: a sum check fails, round 6 names them */
    static const struct {
        const char *what;
        int two_signers; /* signers {1, 3} instead of {1, 2, 3} */
        fault f;
    } sum_cheats[] = {
        {"wrong delta_i: party 2 named", 0, {2, GG_FAULT_DELTA}},
        {"k-gamma MtA answered with another gamma: party 3 named", 0, {3, GG_FAULT_MTA_GAMMA}},
        {"wrong sigma_i: party 1 named", 0, {1, GG_FAULT_SIGMA}},
        {"wrong nu in sigma_i: party 2 named", 0, {2, GG_FAULT_NU}},
        {"two signers, wrong delta_i: party 3 named", 1, {3, GG_FAULT_DELTA}},
        {"two signers, wrong gamma and sigma: party 1 named", 1,
         {1, GG_FAULT_MTA_GAMMA | GG_FAULT_SIGMA}},
    };
    for (size_t i = 0; i < sizeof sum_cheats / sizeof *sum_cheats; i++) {
        const uint16_t *signers = sum_cheats[i].two_signers ? s2 : s3;
        size_t ns = sum_cheats[i].two_signers ? 2 : 3;
        fault f = sum_cheats[i].f;
        CHECK(presign(ctx, kp, signers, ns, &f, 1, MPC_ERR_BAD_SIG_SHARE, f.who, 0) == 6);
        printf("%s\n", sum_cheats[i].what);
    }

    /* a digest that does not match the answer: the Alice it was sent to
     * (index 0 for a cheater at index 2) names Bob in round 4 */
    fault f = {3, GG_FAULT_ANSWER_DIGEST};
    CHECK(presign(ctx, kp, s3, 3, &f, 1, MPC_ERR_EQUIVOCATION, 3, 1) < 6);
    printf("answer digest != answer: party 3 named by party 1\n");

    /* lies in the reveal are caught before they can frame anybody: party 1
     * lies about an alpha it got from party 2 (which would shift the blame
     * for party 3's delta onto party 2), or about its gamma */
    fault two[2] = {{3, GG_FAULT_DELTA}, {1, GG_FAULT_REVEAL_ALPHA}};
    CHECK(presign(ctx, kp, s3, 3, two, 2, MPC_ERR_BAD_DECOMMITMENT, 1, 0) == 6);
    two[1] = (fault){2, GG_FAULT_REVEAL_GAMMA};
    CHECK(presign(ctx, kp, s3, 3, two, 2, MPC_ERR_BAD_DECOMMITMENT, 2, 0) == 6);
    printf("lying reveal: the liar named\n");

    /* GG18 has no reveal: its 5D check fails without a culprit */
    {
        mpc_party *p[3];
        mpc_error errs[3];
        gg_sign_config cfg;
        memset(&cfg, 0, sizeof cfg);
        CHECK(mpc_engine_random(ctx, cfg.session, 32) && mpc_engine_random(ctx, cfg.msg32, 32));
        cfg.signers = s3, cfg.nsigners = 3;
        for (int i = 0; i < 3; i++) {
            cfg.kp = &kp[i];
            CHECK(gg18_sign_new(ctx, &p[i], &cfg) == MPC_OK);
        }
        CHECK(gg_sign_set_faults(p[1], GG_FAULT_DELTA) == MPC_OK);
        net_run(p, 3, NULL, NULL, errs);
        for (int i = 0; i < 3; i++) {
            if (i != 1) CHECK(mpc_party_status_get(p[i]) == MPC_PARTY_FAILED);
            mpc_party_free(p[i]);
        }
        printf("GG18 with a wrong delta_i: aborted\n");
    }
    for (int i = 0; i < 3; i++) gg_keypkg_clear(&kp[i]);
    mpc_engine_ctx_free(ctx);
    printf("test_gg20_ident: ok\n");
    return 0;
}
