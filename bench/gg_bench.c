/* gg_bench.c - in-process benchmarks of GG18/GG20: Paillier key generation
 * (two safe primes), keygen with a warm parameter pool and with fresh
 * parameters, GG20 presigning, GG20 online signing and GG18 signing, for
 * 2-of-3 and 3-of-5. Every party runs in this one process, so each row is
 * the CPU time of ALL participating parties together (on a real deployment
 * they run in parallel: divide by the party count for a rough per-party
 * cost). First the exponentiations presigning is made of (plain, with a
 * comb table, by the key's owner). CPU time (CLOCK_PROCESS_CPUTIME_ID).
 * Prints a table and JSON.
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release
 *   cmake --build build-rel --target gg_bench && ./build-rel/bench/gg_bench [iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/bn_util.h"
#include "engine/comb.h"
#include "engine/gg18.h"
#include "engine/gg20.h"
#include "engine/gg_keygen.h"

#define MAXN 5

typedef struct result {
    const char *op;
    int t, n, iters;
    double us;
} result;

static result results[64];
static size_t nresults;
static const mpc_engine_ctx *ctx;

static double cpu_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what) {
    fprintf(stderr, "gg_bench: %s failed\n", what);
    exit(1);
}

/* Deliver messages among parties until quiet. */
static void run(mpc_party **p, size_t n) {
    for (int progress = 1; progress;) {
        progress = 0;
        for (size_t i = 0; i < n; i++) {
            mpc_outmsg m;
            while (mpc_party_pop(p[i], &m)) {
                for (size_t j = 0; j < n; j++) {
                    if (j == i || (m.recipient != MPC_BROADCAST &&
                                   m.recipient != mpc_party_self(p[j])))
                        continue;
                    mpc_error e;
                    if (mpc_party_handle(p[j], m.bytes, m.len, mpc_party_self(p[i]), &e) != MPC_OK)
                        die(mpc_err_str(e.code));
                }
                mpc_outmsg_free(&m);
                progress = 1;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (mpc_party_status_get(p[i]) != MPC_PARTY_DONE) die("protocol run");
}

static void record(const char *op, int t, int n, int iters, double us) {
    results[nresults++] = (result){op, t, n, iters, us};
}

static gg_paillier_pool pool;

/* The arithmetic presigning is made of, on one key: the exponentiations
 * docs/ecdsa.md ("Where presigning's CPU goes") compares. */
static void primitives(const gg_paillier_priv *k, int iters) {
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *x = BN_new(), *e = BN_new(), *r = BN_new();
    const gg_paillier_pub *pk = &k->pub;
    int n = iters * 10;
    if (bc == NULL || x == NULL || e == NULL || r == NULL ||
        !bn_rand_below(mpc_engine_rng(ctx), x, pk->N, bc) || !bn_rand_bits(mpc_engine_rng(ctx), e, 2816))
        die("primitives setup");
    double t0 = cpu_us();
    for (int i = 0; i < n; i++)
        if (!bn_exp_secret(r, pk->s, e, pk->N, bc)) die("exp");
    record("s^e mod N~, e 2816 bits, plain", 0, 0, n, (cpu_us() - t0) / n);
    t0 = cpu_us();
    mpc_comb *comb = mpc_comb_new(pk->s, pk->N, 2816, bc);
    if (comb == NULL) die("comb");
    record("  comb table build (once per key)", 0, 0, 1, cpu_us() - t0);
    t0 = cpu_us();
    for (int i = 0; i < n; i++)
        if (!mpc_comb_exp(comb, r, e, bc)) die("comb exp");
    record("  same with the comb table", 0, 0, n, (cpu_us() - t0) / n);
    mpc_comb_free(comb);
    t0 = cpu_us();
    for (int i = 0; i < n; i++)
        if (!bn_exp_secret(r, x, pk->N, pk->N2, bc)) die("exp");
    record("x^N mod N^2, no factors (Bob)", 0, 0, n, (cpu_us() - t0) / n);
    t0 = cpu_us();
    for (int i = 0; i < n; i++)
        if (!gg_paillier_nth_power(k, r, x, bc)) die("nth power");
    record("  same by the owner (CRT, p, q)", 0, 0, n, (cpu_us() - t0) / n);
    BN_free(x), BN_free(e), BN_free(r);
    BN_CTX_free(bc);
}

static void keygen(gg_keypkg *kp, int t, int n, int fresh) {
    mpc_party *p[MAXN];
    gg_keygen_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (!mpc_engine_random(ctx, cfg.session, 32)) die("rng");
    cfg.t = (uint16_t)t, cfg.n = (uint16_t)n;
    for (int i = 0; i < n; i++) {
        cfg.self = (uint16_t)(i + 1);
        cfg.paillier = fresh ? NULL : gg_pool_take(&pool);
        if (!fresh && cfg.paillier == NULL) die("pool empty");
        if (gg_keygen_new(ctx, &p[i], &cfg) != MPC_OK) die("keygen_new");
    }
    run(p, (size_t)n);
    for (int i = 0; i < n; i++) {
        if (gg_keygen_output(p[i], &kp[i]) != MPC_OK) die("keygen_output");
        mpc_party_free(p[i]);
    }
}

static void fill_pool(int count) {
    for (int i = 0; i < count; i++) {
        gg_paillier_priv *k;
        if (gg_paillier_generate(ctx, &k) != MPC_OK || !gg_pool_add(&pool, k)) die("generate");
    }
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 3;
    mpc_rng rng = mpc_rng_os();
    mpc_engine_ctx *c = mpc_engine_ctx_new(&rng);
    if (c == NULL) die("ctx");
    ctx = c;
    gg_pool_init(&pool);
    int tn[2][2] = {{2, 3}, {3, 5}};

    double t0 = cpu_us();
    fill_pool(iters);
    record("paillier keygen (2 safe primes)", 0, 0, iters, (cpu_us() - t0) / iters);
    primitives(pool.items[0], iters);
    gg_pool_clear(&pool);

    for (int c2 = 0; c2 < 2; c2++) {
        int t = tn[c2][0], n = tn[c2][1];
        gg_keypkg kp[MAXN];
        uint16_t signers[MAXN];
        for (int i = 0; i < t; i++) signers[i] = (uint16_t)(i + 1);
        gg_sign_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.signers = signers, cfg.nsigners = (size_t)t;

        fill_pool(n * iters);
        t0 = cpu_us();
        for (int it = 0; it < iters; it++) {
            keygen(kp, t, n, 0);
            if (it + 1 < iters)
                for (int i = 0; i < n; i++) gg_keypkg_clear(&kp[i]);
        }
        record("keygen, warm pool (all n)", t, n, iters, (cpu_us() - t0) / iters);
        {
            gg_keypkg tmp[MAXN];
            t0 = cpu_us();
            keygen(tmp, t, n, 1);
            record("keygen, fresh params (all n)", t, n, 1, cpu_us() - t0);
            for (int i = 0; i < n; i++) gg_keypkg_clear(&tmp[i]);
        }

        mpc_party *p[MAXN];
        gg20_presig *ps[MAXN * 16];
        double pre = 0, onl = 0, g18 = 0;
        for (int it = 0; it < iters; it++) {
            if (!mpc_engine_random(ctx, cfg.session, 32) || !mpc_engine_random(ctx, cfg.msg32, 32))
                die("rng");
            t0 = cpu_us();
            for (int i = 0; i < t; i++) {
                cfg.kp = &kp[i];
                if (gg18_sign_new(ctx, &p[i], &cfg) != MPC_OK) die("gg18_sign_new");
            }
            run(p, (size_t)t);
            g18 += cpu_us() - t0;
            for (int i = 0; i < t; i++) mpc_party_free(p[i]);

            t0 = cpu_us();
            for (int i = 0; i < t; i++) {
                cfg.kp = &kp[i];
                if (gg20_presign_new(ctx, &p[i], &cfg) != MPC_OK) die("presign_new");
            }
            run(p, (size_t)t);
            for (int i = 0; i < t; i++) {
                if (gg20_presign_output(p[i], &ps[i]) != MPC_OK) die("presign_output");
                mpc_party_free(p[i]);
            }
            pre += cpu_us() - t0;

            t0 = cpu_us();
            for (int i = 0; i < t; i++)
                if (gg20_sign_new(ctx, &p[i], cfg.session, ps[i], cfg.msg32) != MPC_OK)
                    die("gg20_sign_new");
            run(p, (size_t)t);
            onl += cpu_us() - t0;
            for (int i = 0; i < t; i++) {
                gg20_presig_free(ps[i]);
                mpc_party_free(p[i]);
            }
        }
        record("gg20 presign (all t signers)", t, n, iters, pre / iters);
        record("gg20 online sign (all t)", t, n, iters, onl / iters);
        record("gg18 sign (all t signers)", t, n, iters, g18 / iters);
        for (int i = 0; i < n; i++) gg_keypkg_clear(&kp[i]);
    }

    printf("%-34s %9s %6s %14s %10s\n", "operation", "t-of-n", "iters", "ms/op", "ops/s");
    for (size_t i = 0; i < nresults; i++) {
        char tn_s[16] = "-";
        if (results[i].n) snprintf(tn_s, sizeof tn_s, "%d-of-%d", results[i].t, results[i].n);
        printf("%-34s %9s %6d %14.2f %10.2f\n", results[i].op, tn_s, results[i].iters,
               results[i].us / 1e3, 1e6 / results[i].us);
    }
    printf("{\"benchmark\":\"gg\",\"unit\":\"us_cpu\",\"results\":[");
    for (size_t i = 0; i < nresults; i++)
        printf("%s{\"op\":\"%s\",\"t\":%d,\"n\":%d,\"iters\":%d,\"us\":%.1f}", i ? "," : "",
               results[i].op, results[i].t, results[i].n, results[i].iters, results[i].us);
    printf("]}\n");
    gg_pool_clear(&pool);
    mpc_engine_ctx_free(c);
    return 0;
}
