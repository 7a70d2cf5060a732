/* frost_bench.c - micro-benchmarks of the FROST engine: DKG, round 1, round 2,
 * aggregation (with verification of every share), verification, and a full
 * signature (both rounds for all t signers + aggregation), for 2-of-3,
 * 3-of-5 and 7-of-10, in one process. Prints a table and a JSON document.
 * CPU time (CLOCK_PROCESS_CPUTIME_ID). Run the Release build:
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
 *   cmake --build build-rel --target frost_bench && ./build-rel/bench/frost_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/frost.h"
#include "engine/frost_dkg.h"

#define MAXN 10

typedef struct result {
    const char *variant;
    const char *op;
    int t, n;
    double us;
} result;

static result results[64];
static size_t nresults;
static const mpc_engine_ctx *ctx;
static frost_keypkg keys[MAXN];

static double cpu_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what) {
    fprintf(stderr, "frost_bench: %s failed\n", what);
    exit(1);
}

static const char *cur_variant;

static void record(const char *op, int t, int n, double total_us, int iters) {
    results[nresults++] = (result){cur_variant, op, t, n, total_us / iters};
}

/* One complete DKG among n parties, delivering messages in memory. */
static void dkg_once(uint16_t t, uint16_t n, int keep) {
    mpc_party *p[MAXN];
    for (uint16_t i = 0; i < n; i++) {
        frost_dkg_config c = {.session = {1}, .self = (uint16_t)(i + 1), .t = t, .n = n};
        if (frost_dkg_new(ctx, &p[i], &c) != MPC_OK) die("dkg_new");
    }
    for (int pass = 0; pass < 2; pass++) {
        mpc_outmsg m;
        for (uint16_t i = 0; i < n; i++)
            while (mpc_party_pop(p[i], &m)) {
                for (uint16_t j = 0; j < n; j++)
                    if (j != i && (m.recipient == 0 || m.recipient == j + 1) &&
                        mpc_party_handle(p[j], m.bytes, m.len, (uint16_t)(i + 1), NULL) != MPC_OK)
                        die("dkg deliver");
                mpc_outmsg_free(&m);
            }
    }
    for (uint16_t i = 0; i < n; i++) {
        if (keep && frost_dkg_output(p[i], &keys[i]) != MPC_OK) die("dkg output");
        mpc_party_free(p[i]);
    }
}

static void bench(uint16_t t, uint16_t n, frost_variant v, int iters) {
    static const char *const names[6] = {"dkg (all n parties)", "round1 (per signer)",
                                         "round2 (per signer)", "aggregate+share checks",
                                         "verify", "full signature"};
    cur_variant = v == FROST_VARIANT_BIP340 ? "bip340" : "rfc9591";
    unsigned char msg[32] = "benchmark message, 32 bytes....";
    frost_secnonce sn[MAXN];
    frost_commitment cm[MAXN];
    mpc_scalar z[MAXN];
    frost_signing_pkg *pkg[MAXN];
    unsigned char sig[FROST_SIG_MAX_BYTES];
    size_t siglen;
    mpc_error err;

    double t0 = cpu_us();
    int dkg_iters = iters / 10 > 0 ? iters / 10 : 1;
    if (v == FROST_VARIANT_RFC9591) {
        for (int k = 0; k < dkg_iters; k++) dkg_once(t, n, 0);
        record(names[0], t, n, cpu_us() - t0, dkg_iters);
    }
    dkg_once(t, n, 1);

    double r1 = 0, r2 = 0, ag = 0, ve = 0;
    for (int k = 0; k < iters; k++) {
        double a = cpu_us();
        for (uint16_t i = 0; i < t; i++)
            if (frost_commit(ctx, NULL, &sn[i], &cm[i], &keys[i], v) != MPC_OK) die("commit");
        double b = cpu_us();
        for (uint16_t i = 0; i < t; i++) /* each signer builds its own package */
            if (frost_signing_pkg_new(ctx, &pkg[i], v, &keys[i].group_key, cm, t, msg, sizeof msg) !=
                    MPC_OK ||
                frost_sign(ctx, &z[i], &sn[i], &keys[i], pkg[i]) != MPC_OK)
                die("sign");
        double c = cpu_us();
        /* The aggregator is signer 1 and reuses its package (as frost_session does). */
        if (frost_aggregate(ctx, sig, &siglen, pkg[0], z, &keys[0], &err) != MPC_OK) die("aggregate");
        double d = cpu_us();
        if (!frost_verify(ctx, v, sig, siglen, &keys[0].group_key, msg, sizeof msg)) die("verify");
        double e = cpu_us();
        r1 += b - a;
        r2 += c - b;
        ag += d - c;
        ve += e - d;
        for (uint16_t i = 0; i < t; i++) frost_signing_pkg_free(pkg[i]);
    }
    record(names[1], t, n, r1 / t, iters);
    record(names[2], t, n, r2 / t, iters);
    record(names[3], t, n, ag, iters);
    record(names[4], t, n, ve, iters);
    record(names[5], t, n, r1 + r2 + ag, iters);
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 200;
    mpc_rng rng = mpc_rng_os();
    mpc_engine_ctx *c = mpc_engine_ctx_new(&rng);
    if (c == NULL) die("ctx");
    ctx = c;
    const uint16_t sets[3][2] = {{2, 3}, {3, 5}, {7, 10}};
    for (int v = 0; v < 2; v++)
        for (int s = 0; s < 3; s++) bench(sets[s][0], sets[s][1], (frost_variant)v, iters);

    printf("%-8s %-24s %8s %12s %12s\n", "variant", "operation", "t-of-n", "us/op", "ops/s");
    for (size_t i = 0; i < nresults; i++) {
        char tn[16];
        snprintf(tn, sizeof tn, "%d-of-%d", results[i].t, results[i].n);
        printf("%-8s %-24s %8s %12.1f %12.1f\n", results[i].variant, results[i].op, tn,
               results[i].us, 1e6 / results[i].us);
    }
    printf("\n{\"iterations\": %d, \"clock\": \"CLOCK_PROCESS_CPUTIME_ID\", \"results\": [\n", iters);
    for (size_t i = 0; i < nresults; i++)
        printf("  {\"variant\": \"%s\", \"op\": \"%s\", \"t\": %d, \"n\": %d, \"us_per_op\": %.2f, \"ops_per_s\": %.1f}%s\n",
               results[i].variant, results[i].op, results[i].t, results[i].n, results[i].us,
               1e6 / results[i].us, i + 1 < nresults ? "," : "");
    printf("]}\n");
    mpc_engine_ctx_free(c);
    return 0;
}
