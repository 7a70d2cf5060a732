/* mpc-paillier-fill - TEST ONLY: fills a participant's Paillier pool from a
 * file of known safe primes, so that test suites never wait for safe-prime
 * generation.
 *
 *   mpc-paillier-fill --dir DIR --master-key FILE --node ID
 *                     --primes FILE [--first K] [--count C]
 *
 * FILE holds lines "p q" of 1024-bit safe primes in hex (the project's
 * fixtures: tests/engine/fixtures/safe_primes_1024.hex, made once by
 * tests/engine/gg_gen_fixtures). All primes of the file form a list P; key
 * number k is N = P[i] * P[j] for the k-th pair i < j in lexicographic
 * order, so 16 primes give 120 distinct moduli. Keys K .. K+C-1 are sealed
 * into DIR exactly as the participant's background pool stores them
 * (paillier_pool.h). Give every node its own range of k.
 *
 * NEVER use this for a real deployment: the primes are public, and the
 * moduli share factors with each other (gcd(N_a, N_b) can reveal a prime).
 * Production pools are filled by the participant itself from fresh primes.
 *
 * Exit status: 0 on success, 1 on an error, 2 on bad usage.
 */
#include <openssl/bn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ctx.h"
#include "paillier_pool.h"

#define MAX_PRIMES 64

static int usage(void) {
    fprintf(stderr, "usage: mpc-paillier-fill --dir DIR --master-key FILE --node ID --primes FILE"
                    " [--first K] [--count C]\n       TEST ONLY: fills a Paillier pool from known primes\n");
    return 2;
}

static const char *option(int argc, char **argv, const char *name) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

/* Reads up to MAX_PRIMES primes. Returns the count, or -1. */
static int read_primes(const char *path, BIGNUM **P) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    char hex[600];
    int n = 0;
    while (n < MAX_PRIMES && fscanf(f, "%599s", hex) == 1) {
        P[n] = NULL;
        if (BN_hex2bn(&P[n], hex) == 0 || BN_num_bits(P[n]) != GG_PAILLIER_BITS / 2) {
            fprintf(stderr, "mpc-paillier-fill: %s: entry %d is not a 1024-bit hex number\n", path, n + 1);
            BN_clear_free(P[n]);
            n = -1 - n;
            break;
        }
        n++;
    }
    fclose(f);
    if (n < 0) {
        for (int i = 0; i < -1 - n; i++) BN_clear_free(P[i]);
        return -1;
    }
    return n;
}

int main(int argc, char **argv) {
    const char *dir = option(argc, argv, "--dir"), *master = option(argc, argv, "--master-key");
    const char *node = option(argc, argv, "--node"), *primes = option(argc, argv, "--primes");
    const char *first_s = option(argc, argv, "--first"), *count_s = option(argc, argv, "--count");
    if (!dir || !master || !node || !primes) return usage();
    long node_id = strtol(node, NULL, 10), first = first_s ? strtol(first_s, NULL, 10) : 0,
         count = count_s ? strtol(count_s, NULL, 10) : 1;
    if (node_id < 1 || node_id > 255 || first < 0 || count < 1) return usage();
    BIGNUM *P[MAX_PRIMES];
    int np = read_primes(primes, P);
    if (np < 0) return 1;
    long pairs = (long)np * (np - 1) / 2;
    if (first + count > pairs) {
        fprintf(stderr, "mpc-paillier-fill: %s has %d primes: only %ld keys (asked for %ld..%ld)\n", primes, np,
                pairs, first, first + count - 1);
        for (int i = 0; i < np; i++) BN_clear_free(P[i]);
        return 1;
    }
    mpc_rng rng = mpc_rng_os();
    mpc_engine_ctx *ctx = mpc_engine_ctx_new(&rng);
    mpc_vault *v = NULL;
    mpc_secure_error e;
    int status = 0;
    if (ctx == NULL) {
        fprintf(stderr, "mpc-paillier-fill: cannot create an engine context\n");
        status = 1;
    } else if (mpc_vault_open(&v, dir, master, (int)node_id, PP_PURPOSE, &rng, &e) != MPC_SECURE_OK) {
        fprintf(stderr, "mpc-paillier-fill: %s\n", e.message);
        status = 1;
    }
    long k = 0, stored = 0;
    for (int i = 0; status == 0 && i < np; i++) {
        for (int j = i + 1; status == 0 && j < np; j++, k++) {
            if (k < first || k >= first + count) continue;
            gg_paillier_priv *key = NULL;
            char err[256];
            if (gg_paillier_from_primes(ctx, &key, P[i], P[j]) != MPC_OK) {
                fprintf(stderr, "mpc-paillier-fill: primes %d and %d do not make a key\n", i, j);
                status = 1;
            } else if (pp_store_key(v, &rng, key, err, sizeof err) != 0) {
                fprintf(stderr, "mpc-paillier-fill: %s\n", err);
                status = 1;
            } else {
                stored++;
            }
            gg_paillier_free(key);
        }
    }
    if (status == 0) printf("stored %ld Paillier keys in %s (TEST ONLY: known primes)\n", stored, dir);
    mpc_vault_close(v);
    mpc_engine_ctx_free(ctx);
    for (int i = 0; i < np; i++) BN_clear_free(P[i]);
    return status;
}
