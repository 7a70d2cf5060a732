/* test_support.h - helpers shared by the engine unit tests: failure macros,
 * hex decoding, vector loading (jansson), the replayable seed, and an
 * in-process "network" that routes messages between parties with an optional
 * tampering hook for fault injection. */
#ifndef MPC_TEST_SUPPORT_H
#define MPC_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "engine/ctx.h"
#include "engine/party.h"

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* Decode hex (any case) into out[0..max). Aborts the test on bad input.
 * Returns: the number of bytes. */
size_t hex_decode(unsigned char *out, size_t max, const char *hex);

/* Load dir/name as JSON; aborts the test on failure. */
json_t *load_json(const char *dir, const char *name);

/* String member of a JSON object; aborts if missing. */
const char *json_str(const json_t *obj, const char *key);

/* Seed from $MPC_TEST_SEED or the clock; printed so a failure can be replayed. */
uint64_t test_seed(const char *test_name);

/* An engine context with a deterministic rng (rng must outlive the ctx). */
mpc_engine_ctx *test_ctx(mpc_test_rng *rng, uint64_t seed);

/* Hook called for every delivery. It may rewrite *bytes and *len (replace with a
 * malloc'd buffer; the old one is freed by the caller) or return 0 to drop. */
typedef int (*net_hook)(void *ud, uint16_t from, uint16_t to, uint8_t round, unsigned char **bytes,
                        size_t *len);

/* Route messages among parties[0..n) until quiet. errs[i] receives the first
 * error that party i reported from mpc_party_handle (code MPC_OK if none).
 * Returns: the number of deliveries made. */
size_t net_run(mpc_party **parties, size_t n, net_hook hook, void *ud, mpc_error *errs);

/* Re-encode an envelope with a new payload (fault injection helper).
 * Returns: malloc'd bytes in *out / *outlen. */
void reencode(const unsigned char *bytes, size_t len, const unsigned char *payload, size_t plen,
              unsigned char **out, size_t *outlen);

#endif
