/* test_support.c - see test_support.h. */
#include "test_support.h"

#include <string.h>
#include <time.h>

size_t hex_decode(unsigned char *out, size_t max, const char *hex) {
    size_t n = strlen(hex);
    CHECK(n % 2 == 0 && n / 2 <= max);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
        out[i] = (unsigned char)v;
    }
    return n / 2;
}

json_t *load_json(const char *dir, const char *name) {
    char path[1024];
    json_error_t e;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *j = json_load_file(path, 0, &e);
    if (j == NULL) {
        fprintf(stderr, "cannot load %s: %s (line %d)\n", path, e.text, e.line);
        exit(1);
    }
    return j;
}

const char *json_str(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    if (s == NULL) {
        fprintf(stderr, "missing JSON string '%s'\n", key);
        exit(1);
    }
    return s;
}

uint64_t test_seed(const char *test_name) {
    const char *env = getenv("MPC_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ (uint64_t)clock() << 32;
    printf("%s: seed=%llu (replay with MPC_TEST_SEED=%llu)\n", test_name,
           (unsigned long long)seed, (unsigned long long)seed);
    fflush(stdout);
    return seed;
}

mpc_engine_ctx *test_ctx(mpc_test_rng *rng, uint64_t seed) {
    mpc_test_rng_init(rng, seed);
    mpc_rng r = mpc_test_rng_source(rng);
    mpc_engine_ctx *ctx = mpc_engine_ctx_new(&r);
    CHECK(ctx != NULL);
    return ctx;
}

typedef struct pending {
    uint16_t from, to;
    uint8_t round;
    unsigned char *bytes;
    size_t len;
} pending;

size_t net_run(mpc_party **parties, size_t n, net_hook hook, void *ud, mpc_error *errs) {
    size_t deliveries = 0;
    for (size_t i = 0; i < n; i++) errs[i] = (mpc_error){MPC_OK, 0};
    for (;;) {
        pending *q = NULL;
        size_t qn = 0, qcap = 0;
        for (size_t i = 0; i < n; i++) {
            mpc_outmsg m;
            uint16_t from = mpc_party_self(parties[i]);
            while (mpc_party_pop(parties[i], &m)) {
                for (size_t j = 0; j < n; j++) {
                    uint16_t to = mpc_party_self(parties[j]);
                    if (j == i || (m.recipient != MPC_BROADCAST && m.recipient != to)) continue;
                    if (qn == qcap) {
                        qcap = qcap ? 2 * qcap : 64;
                        q = realloc(q, qcap * sizeof *q);
                        CHECK(q != NULL);
                    }
                    q[qn].from = from;
                    q[qn].to = to;
                    q[qn].round = m.round;
                    q[qn].len = m.len;
                    q[qn].bytes = malloc(m.len);
                    CHECK(q[qn].bytes != NULL);
                    memcpy(q[qn].bytes, m.bytes, m.len);
                    qn++;
                }
                mpc_outmsg_free(&m);
            }
        }
        if (qn == 0) {
            free(q);
            return deliveries;
        }
        for (size_t k = 0; k < qn; k++) {
            unsigned char *b = q[k].bytes;
            size_t len = q[k].len;
            int keep = 1;
            if (hook != NULL) {
                keep = hook(ud, q[k].from, q[k].to, q[k].round, &b, &len);
                if (b != q[k].bytes) free(q[k].bytes);
            }
            if (keep) {
                for (size_t j = 0; j < n; j++) {
                    if (mpc_party_self(parties[j]) != q[k].to) continue;
                    mpc_error e;
                    if (mpc_party_handle(parties[j], b, len, q[k].from, &e) != MPC_OK &&
                        errs[j].code == MPC_OK)
                        errs[j] = e;
                    deliveries++;
                }
            }
            free(b);
        }
        free(q);
    }
}

void reencode(const unsigned char *bytes, size_t len, const unsigned char *payload, size_t plen,
              unsigned char **out, size_t *outlen) {
    mpc_msg_header h;
    const unsigned char *pl;
    CHECK(mpc_msg_decode(&h, &pl, bytes, len) == MPC_OK);
    CHECK(mpc_msg_encode(out, outlen, &h, payload, plen) == MPC_OK);
}
