/* test_pipeline.c - unit tests for lib/pipeline: a 2-of-3 FROST batch of
 * several items runs to valid signatures through bundles; tampered and
 * malformed bundles are blamed on their sender; session descriptions round
 * trip and every invalid one is refused; GG (ECDSA) outputs are accepted
 * only when low-S, valid and with the right recovery id; presign sessions
 * need every signer to agree on every R. */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../svc/check.h"
#include "engine/frost_session.h"
#include "engine/point.h"
#include "engine/rng.h"
#include "pipeline/batch.h"
#include "pipeline/ecdsa_sig.h"
#include "pipeline/offsets.h"
#include "pipeline/session.h"
#include "pipeline/tracker.h"

#define ITEMS 5

/* Creates the batch of signer `self` over ITEMS messages. */
static pl_batch *make_batch(const mpc_engine_ctx *ctx, const frost_keypkg *kp, const uint16_t *signers,
                            size_t nsigners, unsigned char msgs[ITEMS][32], frost_variant v) {
    mpc_party *parties[ITEMS];
    for (size_t i = 0; i < ITEMS; i++) {
        frost_session_config cfg = {.variant = v, .key = kp, .signers = signers, .nsigners = nsigners,
                                    .msg = msgs[i], .msglen = 32};
        memset(cfg.session, 0, 32);
        cfg.session[0] = (unsigned char)i;
        cfg.session[1] = 0x5e;
        if (frost_session_new(ctx, &parties[i], &cfg) != MPC_OK) return NULL;
    }
    return pl_batch_new(parties, ITEMS);
}

/* Delivers every queued bundle to its recipients until nothing moves.
 * tamper_from: if non-zero, the first bundle from that signer in round 2 has
 * one byte flipped. Returns the number of bundles delivered. */
static int run(pl_batch **b, const uint16_t *ids, size_t n, uint16_t tamper_from) {
    int delivered = 0, moved = 1, tampered = 0;
    while (moved) {
        moved = 0;
        for (size_t s = 0; s < n; s++) {
            pl_bundle out;
            int r;
            while ((r = pl_batch_pop(b[s], &out)) == 1) {
                moved = 1;
                if (ids[s] == tamper_from && out.round == 2 && !tampered) {
                    out.bytes[out.len - 1] ^= 1;
                    tampered = 1;
                }
                for (size_t d = 0; d < n; d++) {
                    if (d == s || (out.recipient != MPC_BROADCAST && out.recipient != ids[d])) continue;
                    mpc_error e;
                    mpc_err_code rc = pl_batch_handle(b[d], out.bytes, out.len, ids[s], &e);
                    if (tamper_from == 0) CHECK(rc == MPC_OK);
                    delivered++;
                }
                pl_bundle_free(&out);
            }
            CHECK(r == 0);
        }
    }
    return delivered;
}

static void test_batch_signs(const mpc_engine_ctx *ctx, frost_variant v) {
    frost_keypkg keys[3];
    CHECK(frost_keygen_dealer(ctx, keys, NULL, 2, 3));
    uint16_t signers[2] = {1, 3};
    unsigned char msgs[ITEMS][32];
    for (int i = 0; i < ITEMS; i++) memset(msgs[i], 0x40 + i, 32);
    pl_batch *b[2] = {make_batch(ctx, &keys[0], signers, 2, msgs, v), make_batch(ctx, &keys[2], signers, 2, msgs, v)};
    CHECK(b[0] && b[1]);
    if (!b[0] || !b[1]) return;
    CHECK(run(b, signers, 2, 0) == 4); /* 2 rounds x 2 signers, one bundle each */
    for (int s = 0; s < 2; s++) {
        CHECK(pl_batch_status(b[s]) == MPC_PARTY_DONE);
        for (size_t i = 0; i < ITEMS; i++) {
            unsigned char sig[FROST_SIG_MAX_BYTES];
            size_t siglen = 0;
            CHECK(frost_session_signature(pl_batch_party(b[s], i), sig, &siglen) == MPC_OK);
            CHECK(frost_verify(ctx, v, sig, siglen, &keys[0].group_key, msgs[i], 32));
        }
    }
    /* A replayed bundle is a rejection, not a failure. */
    pl_batch_free(b[0]);
    pl_batch_free(b[1]);
    for (int i = 0; i < 3; i++) frost_keypkg_clear(&keys[i]);
}

/* Signs ITEMS messages 2-of-3 and checks the coordinator's tracker accepts
 * the honest output, rejects a forged one, and times out silent nodes. */
static void test_tracker(const mpc_engine_ctx *ctx) {
    frost_keypkg keys[3];
    CHECK(frost_keygen_dealer(ctx, keys, NULL, 2, 3));
    uint16_t signers[2] = {1, 2};
    unsigned char msgs[ITEMS][32];
    for (int i = 0; i < ITEMS; i++) memset(msgs[i], 0x70 + i, 32);
    pl_batch *b[2] = {make_batch(ctx, &keys[0], signers, 2, msgs, FROST_VARIANT_BIP340),
                      make_batch(ctx, &keys[1], signers, 2, msgs, FROST_VARIANT_BIP340)};
    CHECK(b[0] && b[1]);
    if (!b[0] || !b[1]) return;
    run(b, signers, 2, 0);
    unsigned char sigbuf[ITEMS][FROST_SIG_MAX_BYTES];
    const unsigned char *sigs[ITEMS];
    size_t lens[ITEMS];
    for (size_t i = 0; i < ITEMS; i++) {
        CHECK(frost_session_signature(pl_batch_party(b[0], i), sigbuf[i], &lens[i]) == MPC_OK);
        sigs[i] = sigbuf[i];
    }
    size_t outlen = 0;
    unsigned char *good = pl_sigs_encode(sigs, lens, ITEMS, &outlen);

    pl_item items[ITEMS];
    for (size_t i = 0; i < ITEMS; i++) {
        items[i] = (pl_item){.message = msgs[i], .message_len = 32, .is_hash = 1};
        snprintf(items[i].request_id, sizeof items[i].request_id, "r%zu", i);
    }
    pl_session desc = {.kind = PL_KIND_SIGN, .threshold = 2, .total_nodes = 3, .participants = {1, 2},
                       .nparticipants = 2, .attempt = 1, .items = items, .nitems = ITEMS};
    strcpy(desc.session_id, "s-t");
    strcpy(desc.protocol, "frost-bip340");
    strcpy(desc.key_id, "key_t");
    unsigned char gk[33];
    CHECK(mpc_point_serialize(ctx, gk, &keys[0].group_key));

    pl_tracker *t = pl_tracker_new(ctx, &desc, gk, 1000, 5000);
    CHECK(t != NULL);
    unsigned char *forged = malloc(outlen);
    memcpy(forged, good, outlen);
    forged[10] ^= 0x01;
    CHECK(pl_tracker_output(t, 2, forged, outlen) == -1 && pl_tracker_culprit(t) == 2);
    CHECK(pl_tracker_state(t) == PL_TRACK_RUNNING);
    CHECK(pl_tracker_output(t, 3, good, outlen) == 0); /* node 3 is not in the session */
    CHECK(pl_tracker_output(t, 1, good, outlen) == 1);
    CHECK(pl_tracker_state(t) == PL_TRACK_SUCCEEDED && pl_tracker_decider(t) == 1);
    size_t l = 0;
    const unsigned char *sig4 = pl_tracker_signature(t, 4, &l);
    CHECK(sig4 && l == 64 && memcmp(sig4, sigbuf[4], 64) == 0);
    pl_tracker_free(t);

    /* Protocol "frost" under the same output: the variant must match. */
    strcpy(desc.protocol, "frost");
    t = pl_tracker_new(ctx, &desc, gk, 0, 100);
    CHECK(pl_tracker_output(t, 1, good, outlen) == -1);
    pl_tracker_saw_round(t, 1, 1);
    pl_tracker_saw_round(t, 1, 2);
    pl_tracker_saw_round(t, 2, 1);
    CHECK(pl_tracker_tick(t, 99) == PL_TRACK_RUNNING);
    CHECK(pl_tracker_tick(t, 100) == PL_TRACK_FAILED);
    CHECK(strcmp(pl_tracker_error_code(t), "PARTICIPANT_TIMEOUT") == 0 && pl_tracker_culprit(t) == 2);
    pl_tracker_free(t);

    t = pl_tracker_new(ctx, &desc, gk, 0, 100);
    pl_tracker_abort(t, 2, "BAD_SIG_SHARE", 1);
    CHECK(pl_tracker_state(t) == PL_TRACK_FAILED && pl_tracker_culprit(t) == 1);
    CHECK(strcmp(pl_tracker_error_code(t), "PROTOCOL_ABORT") == 0);
    pl_tracker_free(t);

    /* Keygen: all must agree on the key. */
    pl_session kg = {.kind = PL_KIND_KEYGEN, .threshold = 2, .total_nodes = 3, .participants = {1, 2, 3},
                     .nparticipants = 3, .attempt = 1};
    strcpy(kg.session_id, "s-k");
    strcpy(kg.protocol, "frost");
    strcpy(kg.key_id, "key_k");
    t = pl_tracker_new(ctx, &kg, NULL, 0, 100);
    CHECK(pl_tracker_output(t, 1, gk, 33) == 1 && pl_tracker_output(t, 3, gk, 33) == 1);
    CHECK(pl_tracker_state(t) == PL_TRACK_RUNNING);
    CHECK(pl_tracker_output(t, 2, gk, 33) == 1 && pl_tracker_state(t) == PL_TRACK_SUCCEEDED);
    CHECK(memcmp(pl_tracker_group_key(t), gk, 33) == 0);
    pl_tracker_free(t);
    t = pl_tracker_new(ctx, &kg, NULL, 0, 100);
    unsigned char other[33];
    CHECK(mpc_point_serialize(ctx, other, &keys[1].verifying_shares[0]));
    CHECK(pl_tracker_output(t, 1, gk, 33) == 1 && pl_tracker_output(t, 2, other, 33) == -1);
    CHECK(pl_tracker_state(t) == PL_TRACK_FAILED);
    pl_tracker_free(t);

    free(forged);
    free(good);
    pl_batch_free(b[0]);
    pl_batch_free(b[1]);
    for (int i = 0; i < 3; i++) frost_keypkg_clear(&keys[i]);
}

static void test_batch_blames(const mpc_engine_ctx *ctx) {
    frost_keypkg keys[3];
    CHECK(frost_keygen_dealer(ctx, keys, NULL, 2, 3));
    uint16_t signers[2] = {2, 3};
    unsigned char msgs[ITEMS][32];
    for (int i = 0; i < ITEMS; i++) memset(msgs[i], 0x10 + i, 32);
    pl_batch *b[2] = {make_batch(ctx, &keys[1], signers, 2, msgs, FROST_VARIANT_RFC9591),
                      make_batch(ctx, &keys[2], signers, 2, msgs, FROST_VARIANT_RFC9591)};
    CHECK(b[0] && b[1]);
    if (!b[0] || !b[1]) return;
    run(b, signers, 2, 3); /* signer 3 sends a corrupted signature share */
    CHECK(pl_batch_status(b[0]) == MPC_PARTY_FAILED);
    CHECK(pl_batch_error(b[0]).culprit == 3);

    /* Malformed bundles: wrong count, truncated, trailing byte. */
    pl_batch *fresh = make_batch(ctx, &keys[1], signers, 2, msgs, FROST_VARIANT_RFC9591);
    unsigned char bad[8] = {0, 0, 0, 9, 0, 0, 0, 0};
    mpc_error e;
    CHECK(pl_batch_handle(fresh, bad, sizeof bad, 3, &e) == MPC_ERR_MALFORMED && e.culprit == 3);
    CHECK(pl_batch_handle(fresh, bad, 3, 3, &e) == MPC_ERR_MALFORMED && e.culprit == 3);
    pl_bundle own;
    CHECK(pl_batch_pop(fresh, &own) == 1);
    unsigned char *longer = malloc(own.len + 1);
    memcpy(longer, own.bytes, own.len);
    longer[own.len] = 0;
    CHECK(pl_batch_handle(fresh, longer, own.len + 1, 3, &e) == MPC_ERR_MALFORMED);
    free(longer);
    pl_bundle_free(&own);
    pl_batch_free(fresh);
    pl_batch_free(b[0]);
    pl_batch_free(b[1]);
    for (int i = 0; i < 3; i++) frost_keypkg_clear(&keys[i]);
}

static void test_session_json(void) {
    unsigned char m[32];
    memset(m, 0xab, 32);
    pl_item items[2] = {{.message = m, .message_len = 32, .is_hash = 1},
                        {.message = (unsigned char *)"hello", .message_len = 5, .is_hash = 0}};
    strcpy(items[0].request_id, "req-1");
    strcpy(items[1].request_id, "req-2");
    pl_session s = {.kind = PL_KIND_SIGN, .threshold = 2, .total_nodes = 3, .participants = {1, 3},
                    .nparticipants = 2, .attempt = 1, .items = items, .nitems = 2};
    strcpy(s.session_id, "s-1");
    strcpy(s.protocol, "frost");
    strcpy(s.key_id, "key_abc");
    char err[256];
    char *json = pl_session_encode(&s, err, sizeof err);
    CHECK(json != NULL);
    pl_session d;
    CHECK(json && pl_session_decode(json, strlen(json), &d, err, sizeof err) == 0);
    CHECK(d.nitems == 2 && d.items[1].message_len == 5 && memcmp(d.items[1].message, "hello", 5) == 0);
    CHECK(d.items[0].is_hash && memcmp(d.items[0].message, m, 32) == 0);
    CHECK(pl_session_has(&d, 3) && !pl_session_has(&d, 2));
    pl_session_clear(&d);
    free(json);

    static const char *const bad[] = {
        "not json",
        "{\"session_id\":\"s\",\"kind\":\"sign\",\"protocol\":\"frost\",\"key_id\":\"k\",\"threshold\":2,"
        "\"total_nodes\":3,\"participants\":[1],\"attempt\":1,\"items\":[{\"request_id\":\"r\",\"message\":\"00\","
        "\"message_type\":\"raw\"}]}", /* fewer participants than threshold */
        "{\"session_id\":\"s\",\"kind\":\"sign\",\"protocol\":\"frost\",\"key_id\":\"k\",\"threshold\":2,"
        "\"total_nodes\":3,\"participants\":[3,1],\"attempt\":1,\"items\":[{\"request_id\":\"r\",\"message\":\"00\","
        "\"message_type\":\"raw\"}]}", /* not ascending */
        "{\"session_id\":\"s\",\"kind\":\"sign\",\"protocol\":\"frost\",\"key_id\":\"k\",\"threshold\":2,"
        "\"total_nodes\":3,\"participants\":[1,3],\"attempt\":1,\"items\":[{\"request_id\":\"r\",\"message\":\"00\","
        "\"message_type\":\"hash\"}]}", /* hash of 1 byte */
        "{\"session_id\":\"s/../x\",\"kind\":\"sign\",\"protocol\":\"frost\",\"key_id\":\"k\",\"threshold\":2,"
        "\"total_nodes\":3,\"participants\":[1,3],\"attempt\":1,\"items\":[]}", /* bad id, no items */
        "{\"session_id\":\"s\",\"kind\":\"keygen\",\"protocol\":\"rsa\",\"key_id\":\"k\",\"threshold\":2,"
        "\"total_nodes\":3,\"participants\":[1,2,3],\"attempt\":1,\"items\":[]}", /* unknown protocol */
        "{\"session_id\":\"s\",\"kind\":\"keygen\",\"protocol\":\"frost\",\"key_id\":\"k\",\"threshold\":2,"
        "\"total_nodes\":3,\"participants\":[1,2,3],\"attempt\":1,\"items\":[],\"extra\":1}", /* unknown field */
        "{\"session_id\":\"s\",\"kind\":\"sign\",\"protocol\":\"frost\",\"key_id\":\"k\",\"threshold\":2,"
        "\"total_nodes\":3,\"participants\":[1,3],\"attempt\":1,\"items\":[{\"request_id\":\"r\",\"message\":\"zz\","
        "\"message_type\":\"raw\"}]}", /* bad hex */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = pl_session_decode(bad[i], strlen(bad[i]), &d, err, sizeof err);
        CHECK(rc == -1);
        if (rc == 0) fprintf(stderr, "accepted bad session %zu\n", i);
    }
    const char *ok = "{\"session_id\":\"s\",\"kind\":\"keygen\",\"protocol\":\"frost\",\"key_id\":\"k\",\"threshold\":2,"
                     "\"total_nodes\":3,\"participants\":[1,2,3],\"attempt\":1,\"items\":[]}";
    CHECK(pl_session_decode(ok, strlen(ok), &d, err, sizeof err) == 0 && d.kind == PL_KIND_KEYGEN);
    pl_session_clear(&d);

    const unsigned char *sigs[2] = {m, (const unsigned char *)"xy"};
    size_t lens[2] = {32, 2}, outlen = 0;
    unsigned char *enc = pl_sigs_encode(sigs, lens, 2, &outlen);
    const unsigned char *dsig[2];
    size_t dlen[2];
    CHECK(enc && pl_sigs_decode(enc, outlen, 2, dsig, dlen) == 0 && dlen[1] == 2 && memcmp(dsig[1], "xy", 2) == 0);
    CHECK(enc && pl_sigs_decode(enc, outlen, 3, dsig, dlen) == -1);
    CHECK(enc && pl_sigs_decode(enc, outlen - 1, 2, dsig, dlen) == -1);
    free(enc);
}

static void test_offsets(void) {
    pl_offsets *o = pl_offsets_new();
    for (int64_t off = 10; off <= 14; off++) CHECK(pl_offsets_begin(o, "t", 0, off) == 0);
    CHECK(pl_offsets_begin(o, "t", 1, 7) == 0);
    CHECK(pl_offsets_in_flight(o) == 6);
    CHECK(pl_offsets_finish(o, "t", 0, 12) == -1); /* 10 and 11 still in flight */
    CHECK(pl_offsets_finish(o, "t", 0, 11) == -1);
    CHECK(pl_offsets_finish(o, "t", 0, 10) == 13); /* 10..12 done: commit 13 */
    CHECK(pl_offsets_finish(o, "t", 0, 10) == -1); /* not tracked any more */
    CHECK(pl_offsets_finish(o, "t", 1, 7) == 8);
    CHECK(pl_offsets_finish(o, "t", 0, 14) == -1);
    CHECK(pl_offsets_finish(o, "t", 0, 13) == 15);
    CHECK(pl_offsets_in_flight(o) == 0);
    /* Re-assignment: an earlier offset restarts the partition's tracking. */
    CHECK(pl_offsets_begin(o, "t", 0, 20) == 0 && pl_offsets_begin(o, "t", 0, 3) == 0);
    CHECK(pl_offsets_in_flight(o) == 1 && pl_offsets_finish(o, "t", 0, 3) == -1); /* 4 <= 15 committed before */
    pl_offsets_forget(o, "t", 0);
    CHECK(pl_offsets_finish(o, "t", 0, 20) == -1);
    pl_offsets_free(o);
}

/* A GG output (r || s || recid) signing digest under a random key, by
 * libsecp256k1 itself. Out: sig65, pub33. */
static void ecdsa_output(const mpc_engine_ctx *ctx, const unsigned char digest[32], unsigned char sig65[65],
                         unsigned char pub33[33]) {
    const secp256k1_context *sc = mpc_engine_secp(ctx);
    unsigned char sk[32];
    secp256k1_pubkey pk;
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    size_t len = 33;
    do CHECK(mpc_engine_random(ctx, sk, 32));
    while (!secp256k1_ec_seckey_verify(sc, sk));
    CHECK(secp256k1_ec_pubkey_create(sc, &pk, sk) && secp256k1_ecdsa_sign_recoverable(sc, &rs, digest, sk, NULL, NULL));
    CHECK(secp256k1_ecdsa_recoverable_signature_serialize_compact(sc, sig65, &recid, &rs));
    sig65[64] = (unsigned char)recid;
    CHECK(secp256k1_ec_pubkey_serialize(sc, pub33, &len, &pk, SECP256K1_EC_COMPRESSED));
}

static void test_ecdsa_tracker(const mpc_engine_ctx *ctx) {
    unsigned char msgs[2][32], sigs[2][65], pub[33], other[33], scratch[65];
    CHECK(mpc_engine_random(ctx, msgs[0], 32) && mpc_engine_random(ctx, msgs[1], 32));
    ecdsa_output(ctx, msgs[0], sigs[0], pub);
    pl_item item = {.message = msgs[0], .message_len = 32, .is_hash = 1};
    strcpy(item.request_id, "r0");
    pl_session desc = {.kind = PL_KIND_SIGN, .threshold = 2, .total_nodes = 3, .participants = {1, 2},
                       .nparticipants = 2, .attempt = 1, .items = &item, .nitems = 1};
    strcpy(desc.session_id, "s-e");
    strcpy(desc.protocol, "gg18");
    strcpy(desc.key_id, "key_e");
    const unsigned char *ptrs[1] = {sigs[0]};
    size_t lens[1] = {65}, outlen = 0;
    unsigned char *good = pl_sigs_encode(ptrs, lens, 1, &outlen);
    CHECK(good != NULL);
    mpc_point Y;
    unsigned char digest[32];
    CHECK(mpc_point_parse(ctx, &Y, pub) && pl_item_digest(&desc, &item, digest) == 0);
    CHECK(pl_ecdsa_check(ctx, &Y, digest, sigs[0], 65));
    /* wrong recovery id, high S, truncated, other message: refused */
    memcpy(scratch, sigs[0], 65);
    scratch[64] ^= 1;
    CHECK(!pl_ecdsa_check(ctx, &Y, digest, scratch, 65));
    scratch[64] = 4;
    CHECK(!pl_ecdsa_check(ctx, &Y, digest, scratch, 65));
    memcpy(scratch, sigs[0], 65);
    CHECK(secp256k1_ec_seckey_negate(mpc_engine_secp(ctx), scratch + 32)); /* s -> n - s: high S */
    scratch[64] ^= 1;                                                       /* the recovery id of (r, n - s) */
    CHECK(!pl_ecdsa_check(ctx, &Y, digest, scratch, 65));
    CHECK(!pl_ecdsa_check(ctx, &Y, digest, sigs[0], 64));
    CHECK(!pl_ecdsa_check(ctx, &Y, msgs[1], sigs[0], 65));
    unsigned char der[PL_ECDSA_DER_MAX];
    size_t derlen = 0;
    CHECK(pl_ecdsa_der(ctx, sigs[0], der, &derlen) && derlen >= 8 && der[0] == 0x30 && der[1] == derlen - 2);

    pl_tracker *t = pl_tracker_new(ctx, &desc, pub, 0, 100);
    unsigned char *bad = malloc(outlen);
    memcpy(bad, good, outlen);
    bad[outlen - 1] ^= 1; /* recovery id */
    CHECK(pl_tracker_output(t, 2, bad, outlen) == -1 && pl_tracker_culprit(t) == 2);
    CHECK(pl_tracker_output(t, 1, good, outlen) == 1 && pl_tracker_state(t) == PL_TRACK_SUCCEEDED);
    size_t l = 0;
    CHECK(memcmp(pl_tracker_signature(t, 0, &l), sigs[0], 65) == 0 && l == 65);
    pl_tracker_free(t);
    /* Under another key, or as FROST: refused. */
    ecdsa_output(ctx, msgs[1], sigs[1], other);
    t = pl_tracker_new(ctx, &desc, other, 0, 100);
    CHECK(pl_tracker_output(t, 1, good, outlen) == -1);
    pl_tracker_free(t);
    strcpy(desc.protocol, "frost");
    t = pl_tracker_new(ctx, &desc, pub, 0, 100);
    CHECK(pl_tracker_output(t, 1, good, outlen) == -1);
    pl_tracker_free(t);

    /* raw messages: digest by chain; unknown chain refused */
    strcpy(desc.protocol, "gg20");
    pl_item raw = {.message = (unsigned char *)"hello", .message_len = 5, .is_hash = 0};
    strcpy(desc.chain_type, "bitcoin");
    unsigned char d1[32], d2[32];
    CHECK(pl_item_digest(&desc, &raw, d1) == 0);
    strcpy(desc.chain_type, "ethereum");
    CHECK(pl_item_digest(&desc, &raw, d2) == 0 && memcmp(d1, d2, 32) != 0);
    static const unsigned char sha_hello[4] = {0x2c, 0xf2, 0x4d, 0xba}; /* SHA-256("hello") */
    static const unsigned char keccak_hello[4] = {0x1c, 0x8a, 0xff, 0x95}; /* Keccak-256("hello") */
    CHECK(memcmp(d1, sha_hello, 4) == 0 && memcmp(d2, keccak_hello, 4) == 0);
    strcpy(desc.chain_type, "");
    CHECK(pl_item_digest(&desc, &raw, d1) == -1);

    /* Presign: every signer reports the same R of every item. */
    pl_item pitems[2] = {{.request_id = "ps-x.0"}, {.request_id = "ps-x.1"}};
    pl_session ps = {.kind = PL_KIND_PRESIGN, .threshold = 2, .total_nodes = 3, .participants = {1, 3},
                     .nparticipants = 2, .attempt = 1, .items = pitems, .nitems = 2};
    strcpy(ps.session_id, "ps-x");
    strcpy(ps.protocol, "gg20");
    strcpy(ps.key_id, "key_e");
    unsigned char points[66], points2[66];
    memcpy(points, pub, 33);
    memcpy(points + 33, other, 33);
    memcpy(points2, other, 33);
    memcpy(points2 + 33, pub, 33);
    t = pl_tracker_new(ctx, &ps, pub, 0, 100);
    CHECK(pl_tracker_output(t, 1, points, 33) == -1);        /* one point for two items */
    CHECK(pl_tracker_output(t, 1, points, 66) == 1 && pl_tracker_state(t) == PL_TRACK_RUNNING);
    CHECK(pl_tracker_presig_points(t) == NULL);
    CHECK(pl_tracker_output(t, 3, points, 66) == 1 && pl_tracker_state(t) == PL_TRACK_SUCCEEDED);
    CHECK(memcmp(pl_tracker_presig_points(t), points, 66) == 0);
    pl_tracker_free(t);
    t = pl_tracker_new(ctx, &ps, pub, 0, 100);
    CHECK(pl_tracker_output(t, 1, points, 66) == 1 && pl_tracker_output(t, 3, points2, 66) == -1);
    CHECK(pl_tracker_state(t) == PL_TRACK_FAILED);
    pl_tracker_free(t);
    free(bad);
    free(good);
}

static void test_gg_session_json(void) {
    char err[200];
    unsigned char m[32] = {7};
    pl_item items[2] = {{.message = m, .message_len = 32, .is_hash = 1}, {.message = m, .message_len = 3}};
    strcpy(items[0].request_id, "r1");
    strcpy(items[1].request_id, "r2");
    strcpy(items[0].presig_id, "ps-1.0");
    strcpy(items[1].presig_id, "ps-1.1");
    pl_session s = {.kind = PL_KIND_SIGN, .threshold = 2, .total_nodes = 3, .participants = {1, 3},
                    .nparticipants = 2, .attempt = 1, .items = items, .nitems = 2};
    strcpy(s.session_id, "s-g");
    strcpy(s.protocol, "gg20");
    strcpy(s.key_id, "key_g");
    strcpy(s.chain_type, "ethereum");
    char *json = pl_session_encode(&s, err, sizeof err);
    pl_session d;
    CHECK(json && pl_session_decode(json, strlen(json), &d, err, sizeof err) == 0);
    CHECK(strcmp(d.chain_type, "ethereum") == 0 && strcmp(d.items[1].presig_id, "ps-1.1") == 0 && !d.items[1].is_hash);
    pl_session_clear(&d);
    free(json);
    strcpy(s.protocol, "gg18"); /* presignatures are gg20's */
    CHECK(pl_session_encode(&s, err, sizeof err) == NULL);
    strcpy(s.protocol, "gg20");
    strcpy(s.chain_type, "Bad Chain");
    CHECK(pl_session_encode(&s, err, sizeof err) == NULL);
    /* Presign sessions: ids only. */
    pl_item p[1] = {{.request_id = "ps-2.0"}};
    pl_session ps = {.kind = PL_KIND_PRESIGN, .threshold = 2, .total_nodes = 3, .participants = {1, 2},
                     .nparticipants = 2, .attempt = 1, .items = p, .nitems = 1};
    strcpy(ps.session_id, "ps-2");
    strcpy(ps.protocol, "gg20");
    strcpy(ps.key_id, "key_g");
    json = pl_session_encode(&ps, err, sizeof err);
    CHECK(json && strstr(json, "\"presign\"") && !strstr(json, "message"));
    CHECK(pl_session_decode(json, strlen(json), &d, err, sizeof err) == 0 && d.kind == PL_KIND_PRESIGN);
    CHECK(d.nitems == 1 && strcmp(d.items[0].request_id, "ps-2.0") == 0 && d.items[0].message_len == 0);
    pl_session_clear(&d);
    free(json);
    strcpy(ps.protocol, "frost");
    CHECK(pl_session_encode(&ps, err, sizeof err) == NULL);
    const char *bad = "{\"session_id\":\"s\",\"kind\":\"presign\",\"protocol\":\"gg20\",\"key_id\":\"k\","
                      "\"threshold\":2,\"total_nodes\":3,\"participants\":[1,2],\"attempt\":1,"
                      "\"items\":[{\"request_id\":\"a\",\"message\":\"00\",\"message_type\":\"raw\"}]}";
    CHECK(pl_session_decode(bad, strlen(bad), &d, err, sizeof err) != 0);
    /* Engine session ids: distinct per item, stable. */
    unsigned char a[32], b[32], c[32];
    pl_engine_session_id(a, "s-1", 0);
    pl_engine_session_id(b, "s-1", 1);
    pl_engine_session_id(c, "s-1", 0);
    CHECK(memcmp(a, b, 32) != 0 && memcmp(a, c, 32) == 0);
    pl_engine_session_id(c, "s-1", -1);
    CHECK(memcmp(a, c, 32) != 0);
}

int main(void) {
    uint64_t seed = (uint64_t)time(NULL);
    const char *env = getenv("MPC_TEST_SEED");
    if (env) seed = strtoull(env, NULL, 10);
    printf("seed %llu (replay with MPC_TEST_SEED)\n", (unsigned long long)seed);
    mpc_test_rng trng;
    mpc_test_rng_init(&trng, seed);
    mpc_rng rng = mpc_test_rng_source(&trng);
    mpc_engine_ctx *ctx = mpc_engine_ctx_new(&rng);
    CHECK(ctx != NULL);
    test_batch_signs(ctx, FROST_VARIANT_RFC9591);
    test_batch_signs(ctx, FROST_VARIANT_BIP340);
    test_batch_blames(ctx);
    test_tracker(ctx);
    test_offsets();
    test_session_json();
    test_ecdsa_tracker(ctx);
    test_gg_session_json();
    mpc_engine_ctx_free(ctx);
    return CHECK_DONE();
}
