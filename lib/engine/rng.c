/* rng.c - OS CSPRNG (getrandom) and the deterministic SHA-256 counter test
 * generator behind mpc_rng. */
#include "engine/rng.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

static int os_fill(void *ctx, unsigned char *out, size_t len) {
    (void)ctx;
    while (len > 0) {
        ssize_t r = getrandom(out, len, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        out += r;
        len -= (size_t)r;
    }
    return 1;
}

mpc_rng mpc_rng_os(void) {
    mpc_rng r = {os_fill, NULL};
    return r;
}

int mpc_rng_fill(const mpc_rng *rng, unsigned char *out, size_t len) {
    MPC_ARG_CHECK(rng != NULL && rng->fill != NULL);
    MPC_ARG_CHECK(out != NULL || len == 0);
    if (len == 0) return 1;
    return rng->fill(rng->ctx, out, len) ? 1 : 0;
}

static void test_rng_block(mpc_test_rng *t) {
    unsigned char in[40];
    unsigned int outlen = 0;
    memcpy(in, t->seed, 32);
    for (int i = 0; i < 8; i++) in[32 + i] = (unsigned char)(t->counter >> (56 - 8 * i));
    t->counter++;
    EVP_Digest(in, sizeof in, t->buf, &outlen, EVP_sha256(), NULL);
    t->used = 0;
}

void mpc_test_rng_init(mpc_test_rng *t, uint64_t seed) {
    unsigned char s[8];
    unsigned int outlen = 0;
    MPC_ARG_CHECK(t != NULL);
    for (int i = 0; i < 8; i++) s[i] = (unsigned char)(seed >> (56 - 8 * i));
    memset(t, 0, sizeof *t);
    EVP_Digest(s, sizeof s, t->seed, &outlen, EVP_sha256(), NULL);
    t->used = 32;
}

static int test_fill(void *ctx, unsigned char *out, size_t len) {
    mpc_test_rng *t = ctx;
    while (len > 0) {
        if (t->used == 32) test_rng_block(t);
        size_t take = 32 - t->used;
        if (take > len) take = len;
        memcpy(out, t->buf + t->used, take);
        t->used += take;
        out += take;
        len -= take;
    }
    return 1;
}

mpc_rng mpc_test_rng_source(mpc_test_rng *t) {
    mpc_rng r = {test_fill, t};
    MPC_ARG_CHECK(t != NULL);
    return r;
}
