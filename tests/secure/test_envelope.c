/* test_envelope.c - sealing and opening round messages: signatures over
 * header and payload, point-to-point encryption to the right recipient only,
 * AAD and key binding of every header field, an independent re-derivation of
 * the documented encryption (libsecp256k1 tweak_mul + OpenSSL EVP_PKEY HKDF),
 * and the replay / equivocation filter. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "codec/avro_codec.h"
#include "secure/envelope.h"
#include "secure/identity.h"
#include "secure/internal.h"
#include "secure/replay.h"
#include "secure/roster.h"
#include "secure_test.h"

#define NODES 4 /* coordinator 0, participants 1..3 */

typedef struct net {
    mpc_engine_ctx *ctx;
    unsigned char secret[NODES][32];
    mpc_identity *id[NODES];
    mpc_roster *roster;
    mpc_envelope_ctx *env[NODES];
} net;

static void net_init(net *n, mpc_engine_ctx *ctx) {
    mpc_roster_node nodes[NODES];
    n->ctx = ctx;
    for (int i = 0; i < NODES; i++) {
        do CHECK(mpc_engine_random(ctx, n->secret[i], 32));
        while (mpc_identity_from_secret(ctx, &n->id[i], n->secret[i], &test_err) != MPC_SECURE_OK);
        nodes[i].id = i;
        nodes[i].role = i == 0 ? MPC_ROLE_COORDINATOR : MPC_ROLE_PARTICIPANT;
        mpc_identity_public_key(n->id[i], nodes[i].public_key);
    }
    char *json = NULL;
    CHECK_RC(mpc_roster_format(&json, nodes, NODES), MPC_SECURE_OK);
    CHECK_RC(mpc_roster_parse(ctx, &n->roster, json, strlen(json), "roster", &test_err),
             MPC_SECURE_OK);
    free(json);
    for (int i = 0; i < NODES; i++)
        CHECK_RC(mpc_envelope_ctx_new(&n->env[i], ctx, n->id[i], n->roster, i, &test_err),
                 MPC_SECURE_OK);
}

static void net_free(net *n) {
    for (int i = 0; i < NODES; i++) {
        mpc_envelope_ctx_free(n->env[i]);
        mpc_identity_free(n->id[i]);
    }
    mpc_roster_free(n->roster);
}

/* A plaintext message from `from` to `to`. */
static mpc_round_message plain(int from, int to, int round, int64_t seq, const char *payload) {
    mpc_round_message m = {
        .session_id = (char *)"sess-0001",
        .protocol = (char *)"frost",
        .round = round,
        .from = from,
        .to = to,
        .seq = seq,
        .kind = (char *)"protocol",
        .payload = {(uint8_t *)payload, strlen(payload)},
        .sent_at = 1700000000000 + seq,
    };
    return m;
}

/* Deep copy through the wire: encode, decode. */
static mpc_round_message wire_copy(const mpc_round_message *m) {
    uint8_t *buf = NULL;
    size_t len = 0;
    mpc_round_message out;
    CHECK(mpc_codec_encode_round_message(m, &buf, &len) == MPC_CODEC_OK);
    CHECK(mpc_codec_decode_round_message(buf, len, &out, NULL) == MPC_CODEC_OK);
    free(buf);
    return out;
}

/* Re-sign m with node `who`'s key (a sender that signs whatever it likes). */
static void resign(net *n, mpc_round_message *m, int who) {
    uint8_t digest[32];
    CHECK(mpc_codec_round_message_digest(m, digest) == MPC_CODEC_OK);
    CHECK_RC(mpc_identity_sign(n->ctx, m->signature.data, n->id[who], digest), MPC_SECURE_OK);
}

static int open_rc(net *n, int who, const mpc_round_message *m) {
    unsigned char *pt = NULL;
    size_t len = 0;
    int rc = mpc_envelope_open(n->env[who], &pt, &len, m, &test_err);
    CHECK((rc == MPC_SECURE_OK) == (pt != NULL));
    mpc_secure_free_secret(pt, len);
    return rc;
}

static void check_opens_to(net *n, int who, const mpc_round_message *m, const char *want) {
    unsigned char *pt = NULL;
    size_t len = 0;
    CHECK_RC(mpc_envelope_open(n->env[who], &pt, &len, m, &test_err), MPC_SECURE_OK);
    CHECK(len == strlen(want) && memcmp(pt, want, len) == 0);
    mpc_secure_free_secret(pt, len);
}

static void setup_errors(net *n) {
    mpc_envelope_ctx *e = NULL;
    CHECK_RC(mpc_envelope_ctx_new(&e, n->ctx, n->id[1], n->roster, 2, &test_err),
             MPC_SECURE_ERR_KEY_MISMATCH);
    CHECK(e == NULL);
    CHECK_RC(mpc_envelope_ctx_new(&e, n->ctx, n->id[1], n->roster, 9, &test_err),
             MPC_SECURE_ERR_KEY_MISMATCH);
    CHECK_MSG("not in the roster");
}

static void broadcast(net *n) {
    const char *text = "round-1 commitments";
    mpc_round_message in = plain(1, 0, 1, 1, text), out;
    CHECK_RC(mpc_envelope_seal(n->env[1], &out, &in, &test_err), MPC_SECURE_OK);
    CHECK(!out.encrypted && out.signature.len == 64);
    CHECK(out.payload.len == strlen(text) && memcmp(out.payload.data, text, out.payload.len) == 0);
    mpc_round_message rx = wire_copy(&out);
    for (int who = 0; who < NODES; who++) check_opens_to(n, who, &rx, text);
    /* Empty payloads work too. */
    mpc_round_message empty = plain(0, 0, 0, 2, ""), sealed;
    CHECK_RC(mpc_envelope_seal(n->env[0], &sealed, &empty, &test_err), MPC_SECURE_OK);
    check_opens_to(n, 3, &sealed, "");
    mpc_envelope_message_free(&sealed);
    mpc_envelope_message_free(&rx);
    mpc_envelope_message_free(&out);
}

/* Every header field and the payload is covered by the signature. */
static void tampering(net *n, const mpc_round_message *good, int reader) {
    mpc_round_message m = wire_copy(good);
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_OK);
#define TAMPER(field, val)                                          \
    do {                                                            \
        __typeof__(m.field) saved_ = m.field;                       \
        m.field = (val);                                            \
        CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_BAD_SIGNATURE); \
        m.field = saved_;                                           \
    } while (0)
    TAMPER(session_id, (char *)"sess-0002");
    TAMPER(protocol, (char *)"frost-bip340");
    TAMPER(round, m.round + 1);
    TAMPER(seq, m.seq + 1);
    TAMPER(kind, (char *)"output");
    TAMPER(sent_at, m.sent_at + 1);
    TAMPER(from, m.from == 1 ? 2 : 1); /* another roster node */
    if (m.to != 0) TAMPER(to, m.to == 2 ? 3 : 2);
#undef TAMPER
    for (size_t i = 0; i < m.payload.len; i += 5) {
        m.payload.data[i] ^= 0x01;
        CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_BAD_SIGNATURE);
        m.payload.data[i] ^= 0x01;
    }
    size_t plen = m.payload.len;
    m.payload.len = plen - 1; /* truncated */
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_BAD_SIGNATURE);
    m.payload.len = plen;
    for (size_t i = 0; i < 64; i++) {
        m.signature.data[i] ^= 0x80;
        CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_BAD_SIGNATURE);
        m.signature.data[i] ^= 0x80;
    }
    /* Structural problems are MALFORMED, unknown senders UNKNOWN_SENDER. */
    m.signature.len = 63;
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_MALFORMED);
    m.signature.len = 64;
    m.encrypted = !m.encrypted;
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_MALFORMED);
    m.encrypted = !m.encrypted;
    m.round = -1;
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_MALFORMED);
    m.round = good->round;
    int from = m.from;
    m.from = 9;
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_UNKNOWN_SENDER);
    m.from = from;
    /* A valid signature by another roster node is still a forgery. */
    resign(n, &m, from == 3 ? 2 : 3);
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_ERR_BAD_SIGNATURE);
    resign(n, &m, from);
    CHECK_RC(open_rc(n, reader, &m), MPC_SECURE_OK);
    mpc_envelope_message_free(&m);
}

/* The documented derivation, recomputed with other code paths:
 * ECDH as tweak_mul + serialize, HKDF through EVP_PKEY_derive. */
static void independent_decrypt(net *n, const mpc_round_message *m, const char *want) {
    const secp256k1_context *secp = mpc_engine_secp(n->ctx);
    secp256k1_pubkey pk;
    unsigned char ser[33], key[32], info[64], pt[256];
    size_t serlen = 33, keylen = 32;
    CHECK(secp256k1_ec_pubkey_parse(secp, &pk, mpc_roster_find(n->roster, m->to)->public_key, 33));
    CHECK(secp256k1_ec_pubkey_tweak_mul(secp, &pk, n->secret[m->from]));
    CHECK(secp256k1_ec_pubkey_serialize(secp, ser, &serlen, &pk, SECP256K1_EC_COMPRESSED));
    size_t il = 0;
    memcpy(info, "mpc.v1.p2p", 10);
    il = 10;
    uint32_t v[3] = {(uint32_t)m->from, (uint32_t)m->to, (uint32_t)m->round};
    for (int k = 0; k < 3; k++)
        for (int b = 3; b >= 0; b--) info[il++] = (unsigned char)(v[k] >> (8 * b));
    for (int b = 7; b >= 0; b--) info[il++] = (unsigned char)((uint64_t)m->seq >> (8 * b));
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    CHECK(pctx != NULL && EVP_PKEY_derive_init(pctx) == 1);
    CHECK(EVP_PKEY_CTX_set_hkdf_md(pctx, EVP_sha256()) == 1);
    CHECK(EVP_PKEY_CTX_set1_hkdf_salt(pctx, (const unsigned char *)m->session_id,
                                      (int)strlen(m->session_id)) == 1);
    CHECK(EVP_PKEY_CTX_set1_hkdf_key(pctx, ser + 1, 32) == 1);
    CHECK(EVP_PKEY_CTX_add1_hkdf_info(pctx, info, (int)il) == 1);
    CHECK(EVP_PKEY_derive(pctx, key, &keylen) == 1 && keylen == 32);
    EVP_PKEY_CTX_free(pctx);
    uint8_t *aad = NULL;
    size_t aadlen = 0;
    CHECK(mpc_codec_round_message_header(m, &aad, &aadlen) == MPC_CODEC_OK);
    size_t ctlen = m->payload.len - 28;
    CHECK(ctlen < sizeof pt);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int outl = 0, finl = 0;
    CHECK(c != NULL && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, m->payload.data) == 1);
    CHECK(EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aadlen) == 1);
    CHECK(EVP_DecryptUpdate(c, pt, &outl, m->payload.data + 12, (int)ctlen) == 1);
    CHECK(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, m->payload.data + 12 + ctlen) == 1);
    CHECK(EVP_DecryptFinal_ex(c, pt + outl, &finl) == 1);
    CHECK((size_t)(outl + finl) == strlen(want) && memcmp(pt, want, strlen(want)) == 0);
    EVP_CIPHER_CTX_free(c);
    free(aad);
}

static void point_to_point(net *n) {
    const char *share = "secret share for node two";
    mpc_round_message in = plain(1, 2, 1, 7, share), out;
    CHECK_RC(mpc_envelope_seal(n->env[1], &out, &in, &test_err), MPC_SECURE_OK);
    CHECK(out.encrypted && out.payload.len == strlen(share) + MPC_ENVELOPE_OVERHEAD);
    for (size_t i = 0; i + 6 <= out.payload.len; i++)
        CHECK(memcmp(out.payload.data + i, "secret", 6) != 0);
    mpc_round_message rx = wire_copy(&out);
    check_opens_to(n, 2, &rx, share);
    independent_decrypt(n, &rx, share);
    /* Other nodes (the coordinator included) see it is validly signed but
     * not theirs, and cannot read it. */
    CHECK_RC(open_rc(n, 3, &rx), MPC_SECURE_ERR_NOT_FOR_ME);
    CHECK_RC(open_rc(n, 0, &rx), MPC_SECURE_ERR_NOT_FOR_ME);
    CHECK_RC(open_rc(n, 1, &rx), MPC_SECURE_ERR_NOT_FOR_ME);
    /* Wrong recipient cannot decrypt: the sender re-addresses the ciphertext
     * made for node 2 to node 3 and signs it; node 3 gets DECRYPT. */
    mpc_round_message re = wire_copy(&rx);
    re.to = 3;
    resign(n, &re, 1);
    CHECK_RC(open_rc(n, 3, &re), MPC_SECURE_ERR_DECRYPT);
    CHECK_MSG("node 1");
    mpc_envelope_message_free(&re);
    /* AAD / key binding: any header field changed (and re-signed by the
     * sender, so the signature passes) makes decryption fail. */
#define BIND(field, val)                                            \
    do {                                                            \
        mpc_round_message b_ = wire_copy(&rx);                      \
        __typeof__(b_.field) saved_ = b_.field;                     \
        b_.field = (val);                                           \
        resign(n, &b_, 1);                                          \
        CHECK_RC(open_rc(n, 2, &b_), MPC_SECURE_ERR_DECRYPT);       \
        b_.field = saved_;                                          \
        mpc_envelope_message_free(&b_);                             \
    } while (0)
    BIND(round, rx.round + 1);
    BIND(seq, rx.seq + 1);
    BIND(sent_at, rx.sent_at + 1);          /* AAD only */
    BIND(kind, (char *)"output");           /* AAD only */
    BIND(protocol, (char *)"frost-bip340"); /* AAD only */
    BIND(session_id, (char *)"sess-0002");  /* salt and AAD */
#undef BIND
    /* Truncated or tampered ciphertext, re-signed: DECRYPT, never garbage. */
    mpc_round_message t = wire_copy(&rx);
    t.payload.data[20] ^= 4;
    resign(n, &t, 1);
    CHECK_RC(open_rc(n, 2, &t), MPC_SECURE_ERR_DECRYPT);
    t.payload.len = 27;
    resign(n, &t, 1);
    CHECK_RC(open_rc(n, 2, &t), MPC_SECURE_ERR_DECRYPT);
    CHECK_MSG("too short");
    mpc_envelope_message_free(&t);
    /* Two seals of the same message differ (fresh IV) and both open. */
    mpc_round_message out2;
    CHECK_RC(mpc_envelope_seal(n->env[1], &out2, &in, &test_err), MPC_SECURE_OK);
    CHECK(memcmp(out2.payload.data, out.payload.data, 12) != 0);
    check_opens_to(n, 2, &out2, share);
    mpc_envelope_message_free(&out2);
    /* An empty point-to-point payload. */
    mpc_round_message e_in = plain(3, 1, 2, 1, ""), e_out;
    CHECK_RC(mpc_envelope_seal(n->env[3], &e_out, &e_in, &test_err), MPC_SECURE_OK);
    CHECK(e_out.payload.len == MPC_ENVELOPE_OVERHEAD);
    check_opens_to(n, 1, &e_out, "");
    mpc_envelope_message_free(&e_out);

    tampering(n, &rx, 2);
    mpc_envelope_message_free(&rx);
    mpc_envelope_message_free(&out);
}

static void seal_errors(net *n) {
    mpc_round_message in = plain(2, 9, 1, 1, "x"), out;
    CHECK_RC(mpc_envelope_seal(n->env[2], &out, &in, &test_err), MPC_SECURE_ERR_UNKNOWN_RECIPIENT);
    CHECK(out.session_id == NULL && out.payload.data == NULL);
    in.to = 1;
    in.kind = (char *)"bogus";
    CHECK_RC(mpc_envelope_seal(n->env[2], &out, &in, &test_err), MPC_SECURE_ERR_MALFORMED);
    CHECK_MSG("kind");
    in.kind = (char *)"protocol";
    unsigned char *big = calloc(1, MPC_ENVELOPE_MAX_PLAINTEXT + 1);
    CHECK(big != NULL);
    in.payload = (mpc_bytes){big, MPC_ENVELOPE_MAX_PLAINTEXT + 1};
    CHECK_RC(mpc_envelope_seal(n->env[2], &out, &in, &test_err), MPC_SECURE_ERR_LIMIT);
    in.payload.len = MPC_ENVELOPE_MAX_PLAINTEXT; /* the largest that fits */
    CHECK_RC(mpc_envelope_seal(n->env[2], &out, &in, &test_err), MPC_SECURE_OK);
    CHECK(out.payload.len == MPC_CODEC_MAX_PAYLOAD);
    unsigned char *pt = NULL;
    size_t len = 0;
    CHECK_RC(mpc_envelope_open(n->env[1], &pt, &len, &out, &test_err), MPC_SECURE_OK);
    CHECK(len == MPC_ENVELOPE_MAX_PLAINTEXT && memcmp(pt, big, len) == 0);
    mpc_secure_free_secret(pt, len);
    mpc_envelope_message_free(&out);
    free(big);
}

static mpc_round_message sealed(net *n, int from, int to, int round, int64_t seq,
                                const char *kind, const char *session, const char *payload) {
    mpc_round_message in = plain(from, to, round, seq, payload), out;
    in.kind = (char *)kind;
    in.session_id = (char *)session;
    CHECK_RC(mpc_envelope_seal(n->env[from], &out, &in, &test_err), MPC_SECURE_OK);
    return out;
}

static void replay_filter(net *n) {
    mpc_replay_filter *f = mpc_replay_filter_new(8, 64, 60000);
    CHECK(f != NULL);
    mpc_round_message a = sealed(n, 1, 0, 1, 1, "protocol", "s1", "commit-1");
    mpc_round_message a_copy = wire_copy(&a);
    CHECK_RC(mpc_replay_filter_check(f, &a, 1000, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &a, 1001, &test_err), MPC_SECURE_ERR_DUPLICATE);
    CHECK_RC(mpc_replay_filter_check(f, &a_copy, 1002, &test_err), MPC_SECURE_ERR_DUPLICATE);
    /* Same slot, different content: equivocation, blaming node 1. */
    mpc_round_message a2 = sealed(n, 1, 0, 1, 2, "protocol", "s1", "commit-1-other");
    CHECK_RC(mpc_replay_filter_check(f, &a2, 1003, &test_err), MPC_SECURE_ERR_EQUIVOCATION);
    CHECK_MSG("node 1 equivocated");
    CHECK_MSG("round 1");
    /* Same seq reused for a different message: equivocation too. */
    mpc_round_message a3 = sealed(n, 1, 0, 2, 1, "protocol", "s1", "round-2");
    CHECK_RC(mpc_replay_filter_check(f, &a3, 1004, &test_err), MPC_SECURE_ERR_EQUIVOCATION);
    CHECK_MSG("node 1 equivocated");
    CHECK_MSG("seq 1");
    /* Others in the same round, other recipients and kinds, and the same
     * slot in another session are all fine. */
    mpc_round_message b = sealed(n, 2, 0, 1, 1, "protocol", "s1", "commit-2");
    mpc_round_message c = sealed(n, 1, 3, 1, 3, "protocol", "s1", "share-for-3");
    mpc_round_message d = sealed(n, 1, 2, 1, 4, "protocol", "s1", "share-for-2");
    mpc_round_message ab = sealed(n, 1, 0, 1, 5, "abort", "s1", "{}");
    mpc_round_message s2 = sealed(n, 1, 0, 1, 1, "protocol", "s2", "commit-1");
    CHECK_RC(mpc_replay_filter_check(f, &b, 1005, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &c, 1005, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &d, 1005, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &ab, 1005, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &s2, 1005, &test_err), MPC_SECURE_OK);
    /* A point-to-point equivocation (two different shares for node 3). */
    mpc_round_message c2 = sealed(n, 1, 3, 1, 6, "protocol", "s1", "share-for-3");
    CHECK_RC(mpc_replay_filter_check(f, &c2, 1006, &test_err), MPC_SECURE_ERR_EQUIVOCATION);
    CHECK_MSG("to node 3");
    CHECK(mpc_replay_filter_sessions(f) == 2);
    /* Release forgets: the first message counts again afterwards. */
    mpc_replay_filter_release(f, "s1");
    mpc_replay_filter_release(f, "never-seen");
    CHECK(mpc_replay_filter_sessions(f) == 1);
    CHECK_RC(mpc_replay_filter_check(f, &a2, 2000, &test_err), MPC_SECURE_OK);
    /* Idle expiry: s2 was last used at 1005, s1 at 2000. */
    CHECK(mpc_replay_filter_expire(f, 61005) == 0);
    CHECK(mpc_replay_filter_expire(f, 61006) == 1);
    CHECK(mpc_replay_filter_sessions(f) == 1);
    CHECK_RC(mpc_replay_filter_check(f, &a2, 2001, &test_err), MPC_SECURE_ERR_DUPLICATE);
    mpc_replay_filter_free(f);

    /* Bounds: messages per session, and sessions (least recently used out). */
    f = mpc_replay_filter_new(2, 3, 60000);
    CHECK(f != NULL);
    CHECK_RC(mpc_replay_filter_check(f, &a, 1, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &b, 1, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &c, 1, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_replay_filter_check(f, &d, 1, &test_err), MPC_SECURE_ERR_LIMIT);
    CHECK_RC(mpc_replay_filter_check(f, &a, 1, &test_err), MPC_SECURE_ERR_DUPLICATE);
    CHECK_RC(mpc_replay_filter_check(f, &s2, 2, &test_err), MPC_SECURE_OK);
    mpc_round_message s3 = sealed(n, 1, 0, 1, 1, "protocol", "s3", "x");
    CHECK_RC(mpc_replay_filter_check(f, &a, 3, &test_err), MPC_SECURE_ERR_DUPLICATE); /* s1 used */
    CHECK_RC(mpc_replay_filter_check(f, &s3, 4, &test_err), MPC_SECURE_OK); /* evicts s2 */
    CHECK(mpc_replay_filter_sessions(f) == 2);
    CHECK_RC(mpc_replay_filter_check(f, &a, 5, &test_err), MPC_SECURE_ERR_DUPLICATE);
    CHECK_RC(mpc_replay_filter_check(f, &s2, 6, &test_err), MPC_SECURE_OK); /* s2 was forgotten */
    mpc_replay_filter_free(f);

    mpc_round_message *all[] = {&a, &a_copy, &a2, &a3, &b, &c, &d, &ab, &s2, &c2, &s3};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) mpc_envelope_message_free(all[i]);
}

int main(void) {
    mpc_test_rng trng;
    uint64_t seed = test_seed("secure_envelope");
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    net n;
    memset(&n, 0, sizeof n);
    net_init(&n, ctx);
    setup_errors(&n);
    broadcast(&n);
    point_to_point(&n);
    seal_errors(&n);
    replay_filter(&n);
    mpc_round_message b = sealed(&n, 0, 0, 0, 1, "session_start", "s9", "{\"x\":1}");
    tampering(&n, &b, 3);
    mpc_envelope_message_free(&b);
    net_free(&n);
    mpc_engine_ctx_free(ctx);
    printf("secure_envelope: ok\n");
    return 0;
}
