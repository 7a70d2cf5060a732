/* gg_gen_fixtures.c - the project's tool that generates the Paillier test
 * fixtures: pairs of 1024-bit safe primes (gg_safe_prime) written as hex,
 * one pair per line "p q". Generated once and checked in so the unit tests
 * stay fast under ASan; test_paillier re-checks every prime.
 *
 *   gg_gen_fixtures <count> <seed> > tests/engine/fixtures/safe_primes_1024.hex
 *
 * The same seed reproduces the same file (the deterministic test rng is the
 * only randomness source). Build it in Release: about a second per prime.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/bn.h>

#include "engine/paillier.h"
#include "engine/rng.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s <pairs> <seed>\n", argv[0]);
        return 2;
    }
    int pairs = atoi(argv[1]);
    mpc_test_rng t;
    mpc_test_rng_init(&t, strtoull(argv[2], NULL, 0));
    mpc_rng rng = mpc_test_rng_source(&t);
    BIGNUM *p = BN_new();
    for (int i = 0; i < pairs; i++) {
        for (int k = 0; k < 2; k++) {
            if (!gg_safe_prime(&rng, p, GG_PAILLIER_BITS / 2)) {
                fprintf(stderr, "safe prime generation failed\n");
                return 1;
            }
            char *hex = BN_bn2hex(p);
            printf(k == 0 ? "%s " : "%s\n", hex);
            OPENSSL_free(hex);
        }
        fflush(stdout);
    }
    BN_free(p);
    return 0;
}
