/* test_identity.c - identity keys (generation, key file rules, BIP-340 sign
 * and verify) and roster validation, one error case per rule. */
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "secure/identity.h"
#include "secure/roster.h"
#include "secure_test.h"

static const char *ORDER_HEX = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

static void status_names(void) {
    CHECK(strcmp(mpc_secure_status_name(MPC_SECURE_OK), "ok") == 0);
    CHECK(strcmp(mpc_secure_status_name(MPC_SECURE_ERR_BAD_SIGNATURE), "bad_signature") == 0);
    CHECK(strcmp(mpc_secure_status_name(MPC_SECURE_ERR_CONSUMED), "consumed") == 0);
    CHECK(strcmp(mpc_secure_status_name(MPC_SECURE_ERR_CONSUMED + 1), "unknown_status") == 0);
    CHECK(strcmp(mpc_secure_status_name(-1), "unknown_status") == 0);
}

static void sign_verify(mpc_engine_ctx *ctx) {
    mpc_identity *a = NULL, *b = NULL;
    unsigned char pa[33], pb[33], digest[32], sig[64];
    CHECK_RC(mpc_identity_generate(ctx, &a, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_identity_generate(ctx, &b, &test_err), MPC_SECURE_OK);
    mpc_identity_public_key(a, pa);
    mpc_identity_public_key(b, pb);
    CHECK((pa[0] == 2 || pa[0] == 3) && memcmp(pa, pb, 33) != 0);
    CHECK(mpc_engine_random(ctx, digest, 32));
    CHECK_RC(mpc_identity_sign(ctx, sig, a, digest), MPC_SECURE_OK);
    CHECK(mpc_identity_verify(ctx, pa, sig, digest));
    /* libsecp256k1 directly agrees (x-only key = x coordinate of pa). */
    secp256k1_xonly_pubkey x;
    CHECK(secp256k1_xonly_pubkey_parse(mpc_engine_secp(ctx), &x, pa + 1));
    CHECK(secp256k1_schnorrsig_verify(mpc_engine_secp(ctx), sig, digest, 32, &x));
    CHECK(!mpc_identity_verify(ctx, pb, sig, digest)); /* wrong key */
    for (int i = 0; i < 64; i += 7) {                    /* any flipped bit */
        sig[i] ^= 0x10;
        CHECK(!mpc_identity_verify(ctx, pa, sig, digest));
        sig[i] ^= 0x10;
    }
    digest[31] ^= 1;
    CHECK(!mpc_identity_verify(ctx, pa, sig, digest));
    digest[31] ^= 1;
    pa[0] = 0x04; /* not a compressed key */
    CHECK(!mpc_identity_verify(ctx, pa, sig, digest));
    mpc_identity_free(a);
    mpc_identity_free(b);

    /* Invalid secrets: zero and the group order. */
    unsigned char s[32] = {0};
    CHECK_RC(mpc_identity_from_secret(ctx, &a, s, &test_err), MPC_SECURE_ERR_FORMAT);
    CHECK(a == NULL);
    hex_decode(s, 32, ORDER_HEX);
    CHECK_RC(mpc_identity_from_secret(ctx, &a, s, &test_err), MPC_SECURE_ERR_FORMAT);
    s[31]--; /* n - 1 is valid */
    CHECK_RC(mpc_identity_from_secret(ctx, &a, s, &test_err), MPC_SECURE_OK);
    mpc_identity_free(a);
}

static void key_files(mpc_engine_ctx *ctx, const char *dir) {
    char path[PATH_MAX];
    mpc_identity *a = NULL, *b = NULL;
    unsigned char pa[33], pb[33];
    join(path, dir, "node.key");
    CHECK_RC(mpc_identity_generate(ctx, &a, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_identity_save(a, path, &test_err), MPC_SECURE_OK);
    CHECK(file_mode(path) == 0600);
    size_t len = 0;
    char *text = read_text(path, &len);
    CHECK(len == 65 && text[64] == '\n' && strspn(text, "0123456789abcdef") == 64);
    /* Write-once: a second save fails and leaves the file alone. */
    CHECK_RC(mpc_identity_generate(ctx, &b, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_identity_save(b, path, &test_err), MPC_SECURE_ERR_EXISTS);
    char *again = read_text(path, NULL);
    CHECK(strcmp(text, again) == 0);
    free(again);
    mpc_identity_free(b);
    /* Round trip. */
    CHECK_RC(mpc_identity_load(ctx, &b, path, &test_err), MPC_SECURE_OK);
    mpc_identity_public_key(a, pa);
    mpc_identity_public_key(b, pb);
    CHECK(memcmp(pa, pb, 33) == 0);
    mpc_identity_free(b);
    /* Group- or world-accessible files are refused, naming the file. */
    const mode_t bad_modes[] = {0640, 0604, 0660, 0602, 0610};
    for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
        CHECK(chmod(path, bad_modes[i]) == 0);
        CHECK_RC(mpc_identity_load(ctx, &b, path, &test_err), MPC_SECURE_ERR_PERMISSIONS);
        CHECK(b == NULL);
        CHECK_MSG(path);
        CHECK_MSG("chmod 600");
    }
    CHECK(chmod(path, 0400) == 0);
    CHECK_RC(mpc_identity_load(ctx, &b, path, &test_err), MPC_SECURE_OK);
    mpc_identity_free(b);
    /* Upper-case hex and surrounding whitespace are accepted. */
    char alt[80];
    for (size_t i = 0; i < 64; i++) alt[i + 2] = (char)(text[i] >= 'a' ? text[i] - 32 : text[i]);
    alt[0] = ' ';
    alt[1] = '\n';
    strcpy(alt + 66, "\r\n");
    join(path, dir, "alt.key");
    write_text(path, alt, 0600);
    CHECK_RC(mpc_identity_load(ctx, &b, path, &test_err), MPC_SECURE_OK);
    mpc_identity_public_key(b, pb);
    CHECK(memcmp(pa, pb, 33) == 0);
    mpc_identity_free(b);
    /* Malformed contents. */
    const char *bad[] = {"", "abcd\n", "zz" "00000000000000000000000000000000000000000000000000000000000000",
                         "0000000000000000000000000000000000000000000000000000000000000000\n",
                         "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141\n",
                         "11111111111111111111111111111111111111111111111111111111111111111\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i], 0600);
        CHECK_RC(mpc_identity_load(ctx, &b, path, &test_err), MPC_SECURE_ERR_FORMAT);
        CHECK_MSG(path);
    }
    join(path, dir, "missing.key");
    CHECK_RC(mpc_identity_load(ctx, &b, path, &test_err), MPC_SECURE_ERR_NOT_FOUND);
    CHECK(count_prefix(dir, ".node.key.tmp") == 0); /* no temporary files left behind */
    free(text);
    mpc_identity_free(a);
}

/* Roster text for keys[0..n) with ids 0..n-1. */
static char *roster_text(const unsigned char keys[][33], size_t n) {
    mpc_roster_node nodes[8];
    for (size_t i = 0; i < n; i++) {
        nodes[i].id = (int)i;
        nodes[i].role = i == 0 ? MPC_ROLE_COORDINATOR : MPC_ROLE_PARTICIPANT;
        memcpy(nodes[i].public_key, keys[i], 33);
    }
    char *json = NULL;
    CHECK_RC(mpc_roster_format(&json, nodes, n), MPC_SECURE_OK);
    return json;
}

static void roster_bad(mpc_engine_ctx *ctx, const char *json, const char *needle) {
    mpc_roster *r = (mpc_roster *)1;
    CHECK_RC(mpc_roster_parse(ctx, &r, json, strlen(json), "test-roster.json", &test_err),
             MPC_SECURE_ERR_FORMAT);
    CHECK(r == NULL);
    CHECK_MSG("test-roster.json");
    CHECK_MSG(needle);
}

static void roster(mpc_engine_ctx *ctx, const char *dir) {
    unsigned char keys[4][33];
    char hex[4][67];
    for (int i = 0; i < 4; i++) {
        mpc_identity *id = NULL;
        CHECK_RC(mpc_identity_generate(ctx, &id, &test_err), MPC_SECURE_OK);
        mpc_identity_public_key(id, keys[i]);
        mpc_identity_free(id);
        for (int j = 0; j < 33; j++) snprintf(hex[i] + 2 * j, 3, "%02x", keys[i][j]);
    }
    char *json = roster_text(keys, 4), path[PATH_MAX];
    join(path, dir, "roster.json");
    write_text(path, json, 0644);
    mpc_roster *r = NULL;
    CHECK_RC(mpc_roster_load(ctx, &r, path, &test_err), MPC_SECURE_OK);
    CHECK(mpc_roster_count(r) == 4);
    for (int i = 0; i < 4; i++) {
        const mpc_roster_node *n = mpc_roster_find(r, i);
        CHECK(n != NULL && n->id == i && memcmp(n->public_key, keys[i], 33) == 0);
        CHECK(n->role == (i == 0 ? MPC_ROLE_COORDINATOR : MPC_ROLE_PARTICIPANT));
        CHECK(mpc_roster_at(r, (size_t)i) == n);
    }
    CHECK(mpc_roster_find(r, 4) == NULL && mpc_roster_find(r, -1) == NULL &&
          mpc_roster_find(r, 256) == NULL && mpc_roster_find(r, 100000) == NULL);
    mpc_roster_free(r);
    free(json);

    /* Out-of-order nodes and unknown members are fine. */
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"nodes\": [{\"id\": 7, \"role\": \"participant\", \"public_key\": \"%s\", "
             "\"host\": \"p7\"}, {\"id\": 0, \"role\": \"coordinator\", \"public_key\": \"%s\"}],"
             " \"comment\": \"x\"}",
             hex[1], hex[0]);
    CHECK_RC(mpc_roster_parse(ctx, &r, buf, strlen(buf), "x", &test_err), MPC_SECURE_OK);
    CHECK(mpc_roster_at(r, 0)->id == 0 && mpc_roster_at(r, 1)->id == 7);
    mpc_roster_free(r);

    join(path, dir, "none.json");
    CHECK_RC(mpc_roster_load(ctx, &r, path, &test_err), MPC_SECURE_ERR_NOT_FOUND);
    CHECK_MSG(path);

    roster_bad(ctx, "{\"nodes\": [", "invalid JSON");
    roster_bad(ctx, "[]", "non-empty \"nodes\"");
    roster_bad(ctx, "{\"nodes\": []}", "non-empty \"nodes\"");
    roster_bad(ctx, "{\"nodes\": [1]}", "nodes[0] is not an object");
    /* One or two nodes: {id, role, key} given as JSON value texts. */
    struct {
        const char *id1, *role1, *key1, *id2, *role2, *key2, *needle;
    } cases[] = {
        {"256", "participant", hex[1], NULL, NULL, NULL, "nodes[0].id must be"},
        {"-1", "participant", hex[1], NULL, NULL, NULL, "nodes[0].id must be"},
        {"\"1\"", "participant", hex[1], NULL, NULL, NULL, "nodes[0].id must be"},
        {"1.5", "participant", hex[1], NULL, NULL, NULL, "nodes[0].id must be"},
        {"1", "signer", hex[1], NULL, NULL, NULL, "node 1: role must be"},
        {"0", "participant", hex[1], NULL, NULL, NULL, "node 0 must be the coordinator"},
        {"2", "coordinator", hex[1], NULL, NULL, NULL, "node 0 must be the coordinator"},
        {"1", "participant", hex[1], "1", "participant", hex[2], "node id 1 appears twice"},
        {"1", "participant", hex[1], "2", "participant", hex[1],
         "nodes 1 and 2 have the same public key"},
        {"3", "participant", "02abcd", NULL, NULL, NULL, "node 3: public_key must be"},
        /* uncompressed prefix */
        {"3", "participant", NULL, NULL, NULL, NULL, "node 3: public_key must be"},
        /* x = 5 is no point's x coordinate (5^3 + 7 = 132 is not a square mod p) */
        {"3", "participant", "020000000000000000000000000000000000000000000000000000000000000005",
         NULL, NULL, NULL, "node 3: public_key must be"},
        /* not hex */
        {"3", "participant", NULL, NULL, NULL, NULL, "node 3: public_key must be"},
    };
    char uncompressed[70], nothex[70];
    snprintf(uncompressed, sizeof uncompressed, "04%.64s", hex[1] + 2);
    snprintf(nothex, sizeof nothex, "%.64sxx", hex[1]);
    cases[10].key1 = uncompressed;
    cases[12].key1 = nothex;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = snprintf(buf, sizeof buf,
                         "{\"nodes\": [{\"id\": %s, \"role\": \"%s\", \"public_key\": \"%s\"}",
                         cases[i].id1, cases[i].role1, cases[i].key1);
        if (cases[i].id2 != NULL)
            n += snprintf(buf + n, sizeof buf - (size_t)n,
                          ", {\"id\": %s, \"role\": \"%s\", \"public_key\": \"%s\"}",
                          cases[i].id2, cases[i].role2, cases[i].key2);
        snprintf(buf + n, sizeof buf - (size_t)n, "]}");
        roster_bad(ctx, buf, cases[i].needle);
    }
    snprintf(buf, sizeof buf, "{\"nodes\": [{\"id\": 1, \"id\": 2, \"role\": \"participant\", "
                              "\"public_key\": \"%s\"}]}", hex[1]);
    roster_bad(ctx, buf, "invalid JSON"); /* duplicate member */
}

int main(void) {
    mpc_test_rng trng;
    uint64_t seed = test_seed("secure_identity");
    mpc_engine_ctx *ctx = test_ctx(&trng, seed);
    char *dir = scratch_dir("identity");
    status_names();
    sign_verify(ctx);
    key_files(ctx, dir);
    roster(ctx, dir);
    remove_tree(dir);
    free(dir);
    mpc_engine_ctx_free(ctx);
    printf("secure_identity: ok\n");
    return 0;
}
