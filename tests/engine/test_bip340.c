/* test_bip340.c - the BIP-340 side: every row of the BIP-340 test-vector CSV
 * through frost_bip340_verify, and the BIP-340 FROST variant checked by
 * libsecp256k1's secp256k1_schnorrsig_verify over thousands of random keys,
 * signer sets and messages (both parities of the group key and of R). */
#include <string.h>

#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "engine/frost.h"
#include "test_support.h"

#define RANDOM_RUNS 2000

static void csv_vectors(const mpc_engine_ctx *ctx, const char *dir) {
    char path[1024], line[4096];
    snprintf(path, sizeof path, "%s/bip340-test-vectors.csv", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    CHECK(fgets(line, sizeof line, f) != NULL); /* header */
    int rows = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *field[8] = {0}, *p = line;
        for (int i = 0; i < 8; i++) { /* split on commas, keeping empty fields */
            field[i] = p;
            char *c = p ? strchr(p, ',') : NULL;
            if (c) *c = '\0';
            p = c ? c + 1 : NULL;
        }
        CHECK(field[6] != NULL);
        unsigned char pk[32], msg[256], sig[64];
        CHECK(hex_decode(pk, 32, field[2]) == 32);
        size_t msglen = hex_decode(msg, sizeof msg, field[4]);
        CHECK(hex_decode(sig, 64, field[5]) == 64);
        int want = strncmp(field[6], "TRUE", 4) == 0;
        int got = frost_bip340_verify(ctx, sig, pk, msg, msglen);
        if (got != want) {
            fprintf(stderr, "BIP-340 row %s: expected %d got %d (%s)\n", field[0], want, got,
                    field[7] ? field[7] : "");
            exit(1);
        }
        rows++;
    }
    fclose(f);
    CHECK(rows == 19);
    printf("BIP-340 CSV: %d rows ok\n", rows);
}

static void random_signatures(const mpc_engine_ctx *ctx, mpc_test_rng *trng) {
    static frost_keypkg kp[5];
    mpc_rng rng = mpc_test_rng_source(trng);
    int odd_key = 0, even_key = 0;
    for (int it = 0; it < RANDOM_RUNS; it++) {
        unsigned char r[4], msg[100];
        CHECK(mpc_rng_fill(&rng, r, sizeof r));
        uint16_t n = (uint16_t)(1 + r[0] % 5), t = (uint16_t)(1 + r[1] % n);
        size_t msglen = r[2] % sizeof msg;
        CHECK(mpc_rng_fill(&rng, msg, msglen));
        CHECK(frost_keygen_dealer(ctx, kp, NULL, t, n));
        /* Signers: t random distinct ids. */
        uint16_t ids[5];
        for (uint16_t i = 0; i < n; i++) ids[i] = (uint16_t)(i + 1);
        for (uint16_t i = n; i > 1; i--) { /* shuffle */
            unsigned char j;
            CHECK(mpc_rng_fill(&rng, &j, 1));
            uint16_t k = (uint16_t)(j % i), tmp = ids[i - 1];
            ids[i - 1] = ids[k];
            ids[k] = tmp;
        }
        for (uint16_t i = 1; i < t; i++) /* sort the first t */
            for (uint16_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
                uint16_t tmp = ids[j];
                ids[j] = ids[j - 1];
                ids[j - 1] = tmp;
            }
        frost_secnonce sn[5];
        frost_commitment cm[5];
        mpc_scalar z[5];
        for (uint16_t i = 0; i < t; i++)
            CHECK(frost_commit(ctx, NULL, &sn[i], &cm[i], &kp[ids[i] - 1], FROST_VARIANT_BIP340) ==
                  MPC_OK);
        frost_signing_pkg *pkg;
        CHECK(frost_signing_pkg_new(ctx, &pkg, FROST_VARIANT_BIP340, &kp[0].group_key, cm, t, msg,
                                    msglen) == MPC_OK);
        for (uint16_t i = 0; i < t; i++)
            CHECK(frost_sign(ctx, &z[i], &sn[i], &kp[ids[i] - 1], pkg) == MPC_OK);
        unsigned char sig[FROST_SIG_MAX_BYTES];
        size_t siglen;
        mpc_error err;
        CHECK(frost_aggregate(ctx, sig, &siglen, pkg, z, &kp[0], &err) == MPC_OK);
        CHECK(siglen == 64);
        frost_signing_pkg_free(pkg);

        /* libsecp256k1 directly, under the x-only group key. */
        unsigned char enc[33];
        secp256k1_xonly_pubkey xpk;
        CHECK(mpc_point_serialize(ctx, enc, &kp[0].group_key));
        if (enc[0] == 3) odd_key++;
        else even_key++;
        CHECK(secp256k1_xonly_pubkey_parse(mpc_engine_secp(ctx), &xpk, enc + 1));
        CHECK(secp256k1_schnorrsig_verify(mpc_engine_secp(ctx), sig, msg, msglen, &xpk));
        if (msglen > 0) {
            msg[0] ^= 0x80;
            CHECK(!secp256k1_schnorrsig_verify(mpc_engine_secp(ctx), sig, msg, msglen, &xpk));
        }
        for (uint16_t i = 0; i < n; i++) frost_keypkg_clear(&kp[i]);
    }
    CHECK(odd_key > 0 && even_key > 0);
    printf("BIP-340 FROST vs libsecp256k1: %d random signatures ok (odd-y keys %d)\n", RANDOM_RUNS,
           odd_key);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    mpc_test_rng trng;
    mpc_engine_ctx *ctx = test_ctx(&trng, test_seed("test_bip340"));
    csv_vectors(ctx, argv[1]);
    random_signatures(ctx, &trng);
    mpc_engine_ctx_free(ctx);
    return 0;
}
