/* test_share_store.c - the encrypted share store: round trip, write-once,
 * key id rules, a flipped bit anywhere in share.enc or metadata.json, edited
 * metadata, shares moved between keys and nodes, a wrong master key, file
 * permissions, simulated crashes at each publish step, replace and backup,
 * and that the plaintext never reaches the disk. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "secure/internal.h"
#include "secure/share_store.h"
#include "secure_test.h"

static mpc_rng rng;
static char *root;
static unsigned char secret_share[64]; /* the plaintext; must never be on disk */

static mpc_share_store *open_store(const char *sub, const char *master, int node) {
    char dir[PATH_MAX];
    mpc_share_store *s = NULL;
    join(dir, root, sub);
    CHECK_RC(mpc_share_store_open(&s, dir, master, node, &rng, &test_err), MPC_SECURE_OK);
    return s;
}

static mpc_share_meta meta_for(const char *key_id, int node) {
    mpc_share_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.key_id, sizeof m.key_id, "%s", key_id);
    m.node_id = node;
    m.share_index = node;
    m.threshold = 2;
    m.total_shares = 3;
    snprintf(m.protocol, sizeof m.protocol, "frost");
    snprintf(m.curve, sizeof m.curve, "secp256k1");
    return m;
}

/* Load key_id and check status; on success compare with want[0..wlen). */
static void check_load(mpc_share_store *s, const char *key_id, int status,
                       const unsigned char *want, size_t wlen) {
    unsigned char *pt = (unsigned char *)1;
    size_t len = 7;
    mpc_share_meta m;
    CHECK_RC(mpc_share_store_load(s, &m, &pt, &len, key_id, &test_err), status);
    if (status != MPC_SECURE_OK) {
        CHECK(pt == NULL && len == 0);
        return;
    }
    CHECK(len == wlen && memcmp(pt, want, len) == 0);
    CHECK(strcmp(m.key_id, key_id) == 0);
    mpc_secure_free_secret(pt, len);
}

static void key_path(char *out, const char *sub, const char *key_id, const char *file) {
    char a[PATH_MAX], b[PATH_MAX];
    join(a, root, sub);
    join(b, a, key_id);
    join(out, b, file);
}

/* Rewrite one member of metadata.json (valid JSON, so only crypto can tell). */
static void edit_meta(const char *path, const char *section, const char *field, json_t *value) {
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    CHECK(j != NULL);
    json_t *obj = section ? json_object_get(j, section) : j;
    CHECK(json_object_set_new(obj, field, value) == 0);
    CHECK(json_dump_file(j, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0);
    json_decref(j);
}

static int found_plaintext;
static int scan_file(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)ftw;
    if (type != FTW_F || st->st_size == 0) return 0;
    size_t len = 0;
    char *data = read_text(path, &len);
    for (size_t i = 0; i + 16 <= len; i++)
        if (memcmp(data + i, secret_share, 16) == 0) found_plaintext = 1;
    /* hex form of the first 8 bytes too */
    char hex[17];
    sec_hex_encode(hex, secret_share, 8);
    if (strstr(data, hex) != NULL) found_plaintext = 1;
    free(data);
    return 0;
}

static void basics(const char *master) {
    mpc_share_store *s = open_store("n1", master, 1);
    mpc_share_meta m = meta_for("key_0123abcd", 1);
    CHECK_RC(mpc_share_store_put(s, &m, secret_share, sizeof secret_share, &test_err), MPC_SECURE_OK);
    check_load(s, "key_0123abcd", MPC_SECURE_OK, secret_share, sizeof secret_share);
    mpc_share_meta got;
    unsigned char *pt = NULL;
    size_t len = 0;
    CHECK_RC(mpc_share_store_load(s, &got, &pt, &len, "key_0123abcd", &test_err), MPC_SECURE_OK);
    mpc_secure_free_secret(pt, len);
    CHECK(got.node_id == 1 && got.share_index == 1 && got.threshold == 2 && got.total_shares == 3);
    CHECK(strcmp(got.protocol, "frost") == 0 && strcmp(got.curve, "secp256k1") == 0);
    CHECK(strlen(got.created_at) == 20 && got.created_at[19] == 'Z');
    char path[PATH_MAX];
    key_path(path, "n1", "key_0123abcd", "share.enc");
    CHECK(file_mode(path) == 0600);
    key_path(path, "n1", "key_0123abcd", "metadata.json");
    CHECK(file_mode(path) == 0600);
    /* The documented metadata fields. */
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    CHECK(j != NULL);
    CHECK(strcmp(json_string_value(json_object_get(j, "key_id")), "key_0123abcd") == 0);
    CHECK(json_integer_value(json_object_get(j, "node_id")) == 1);
    CHECK(json_is_true(json_object_get(j, "encrypted")));
    json_t *enc = json_object_get(j, "encryption"), *integ = json_object_get(j, "integrity");
    CHECK(strcmp(json_string_value(json_object_get(enc, "algorithm")), "AES-256-GCM") == 0);
    CHECK(strlen(json_string_value(json_object_get(enc, "wrapped_key"))) == 2 * 60);
    CHECK(strlen(json_string_value(json_object_get(enc, "iv"))) == 24);
    CHECK(strcmp(json_string_value(json_object_get(integ, "hash_algorithm")), "SHA-256") == 0);
    CHECK(strlen(json_string_value(json_object_get(integ, "hash"))) == 64);
    json_decref(j);

    /* Write-once. */
    unsigned char other[16] = {1, 2, 3};
    CHECK_RC(mpc_share_store_put(s, &m, other, sizeof other, &test_err), MPC_SECURE_ERR_EXISTS);
    CHECK_MSG("write-once");
    check_load(s, "key_0123abcd", MPC_SECURE_OK, secret_share, sizeof secret_share);
    /* Rules on the description and the share. */
    char longid[MPC_KEY_ID_MAX + 2];
    memset(longid, 'k', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0'; /* 129 characters */
    const char *bad_ids[] = {"", "../n2/key", "a/b", ".hidden", "x y", "key\n", "ключ", longid};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        CHECK(!mpc_key_id_valid(bad_ids[i]));
        CHECK_RC(mpc_share_store_load(s, NULL, &pt, &len, bad_ids[i], &test_err),
                 MPC_SECURE_ERR_INVALID_ID);
        mpc_share_meta b = m;
        if (strlen(bad_ids[i]) >= sizeof b.key_id) continue;
        snprintf(b.key_id, sizeof b.key_id, "%s", bad_ids[i]);
        CHECK_RC(mpc_share_store_put(s, &b, other, sizeof other, &test_err),
                 MPC_SECURE_ERR_INVALID_ID);
    }
    longid[MPC_KEY_ID_MAX] = '\0';
    CHECK(mpc_key_id_valid(longid) && mpc_key_id_valid("A-z_9"));
    mpc_share_meta b = meta_for("k2", 2);
    CHECK_RC(mpc_share_store_put(s, &b, other, sizeof other, &test_err), MPC_SECURE_ERR_WRONG_NODE);
    b = meta_for("k2", 1);
    b.threshold = 4;
    CHECK_RC(mpc_share_store_put(s, &b, other, sizeof other, &test_err), MPC_SECURE_ERR_FORMAT);
    b = meta_for("k2", 1);
    snprintf(b.protocol, sizeof b.protocol, "FROST!");
    CHECK_RC(mpc_share_store_put(s, &b, other, sizeof other, &test_err), MPC_SECURE_ERR_FORMAT);
    b = meta_for("k2", 1);
    CHECK_RC(mpc_share_store_put(s, &b, other, 0, &test_err), MPC_SECURE_ERR_LIMIT);
    check_load(s, "k2", MPC_SECURE_ERR_NOT_FOUND, NULL, 0);
    CHECK_RC(mpc_share_store_replace(s, &b, other, sizeof other, &test_err),
             MPC_SECURE_ERR_NOT_FOUND);
    mpc_share_store_close(s);
}

static void tampering(const char *master, const char *master2) {
    mpc_share_store *s = open_store("n1", master, 1);
    char enc[PATH_MAX], meta[PATH_MAX];
    key_path(enc, "n1", "key_0123abcd", "share.enc");
    key_path(meta, "n1", "key_0123abcd", "metadata.json");
    /* Every bit position class in every byte of share.enc. */
    size_t elen = 0, mlen = 0;
    free(read_text(enc, &elen));
    for (size_t i = 0; i < elen; i++) {
        unsigned char mask = (unsigned char)(1u << (i % 8));
        flip_byte(enc, i, mask);
        check_load(s, "key_0123abcd", MPC_SECURE_ERR_INTEGRITY, NULL, 0);
        flip_byte(enc, i, mask);
    }
    /* Every byte of metadata.json. */
    char *orig = read_text(meta, &mlen);
    int integrity = 0, format = 0;
    for (size_t i = 0; i < mlen; i++) {
        flip_byte(meta, i, 0x01);
        unsigned char *pt = NULL;
        size_t len = 0;
        int rc = mpc_share_store_load(s, NULL, &pt, &len, "key_0123abcd", &test_err);
        if (rc == MPC_SECURE_OK) {
            fprintf(stderr, "flipping byte %zu ('%c') of metadata.json went unnoticed\n", i,
                    orig[i]);
            exit(1);
        }
        CHECK(pt == NULL);
        integrity += rc == MPC_SECURE_ERR_INTEGRITY;
        format += rc == MPC_SECURE_ERR_FORMAT;
        flip_byte(meta, i, 0x01);
    }
    CHECK(integrity > 0 && format > 0);
    check_load(s, "key_0123abcd", MPC_SECURE_OK, secret_share, sizeof secret_share);
    /* Well-formed edits of each described field fail authentication. */
    struct {
        const char *section, *field;
        json_t *value;
        int status;
    } edits[] = {
        {NULL, "threshold", json_integer(3), MPC_SECURE_ERR_INTEGRITY},
        {NULL, "total_shares", json_integer(5), MPC_SECURE_ERR_INTEGRITY},
        {NULL, "share_index", json_integer(2), MPC_SECURE_ERR_INTEGRITY},
        {NULL, "protocol", json_string("frost-bip340"), MPC_SECURE_ERR_INTEGRITY},
        {NULL, "curve", json_string("ed25519"), MPC_SECURE_ERR_INTEGRITY},
        {NULL, "created_at", json_string("2020-01-01T00:00:00Z"), MPC_SECURE_ERR_INTEGRITY},
        {NULL, "key_id", json_string("key_other"), MPC_SECURE_ERR_INTEGRITY},
        {NULL, "node_id", json_integer(2), MPC_SECURE_ERR_WRONG_NODE},
        {NULL, "encrypted", json_false(), MPC_SECURE_ERR_FORMAT},
        {"encryption", "algorithm", json_string("AES-128-GCM"), MPC_SECURE_ERR_FORMAT},
        {"integrity", "hash_algorithm", json_string("SHA-1"), MPC_SECURE_ERR_FORMAT},
        {"encryption", "iv", json_string("000000000000000000000000"), MPC_SECURE_ERR_INTEGRITY},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        edit_meta(meta, edits[i].section, edits[i].field, edits[i].value);
        check_load(s, "key_0123abcd", edits[i].status, NULL, 0);
        write_text(meta, orig, 0600);
    }
    check_load(s, "key_0123abcd", MPC_SECURE_OK, secret_share, sizeof secret_share);

    /* A second key's share.enc swapped in, with the hash updated to match. */
    mpc_share_meta m2 = meta_for("key_second", 1);
    unsigned char share2[64];
    memset(share2, 0x5a, sizeof share2);
    CHECK_RC(mpc_share_store_put(s, &m2, share2, sizeof share2, &test_err), MPC_SECURE_OK);
    char enc2[PATH_MAX], meta2[PATH_MAX];
    key_path(enc2, "n1", "key_second", "share.enc");
    key_path(meta2, "n1", "key_second", "metadata.json");
    size_t e2len = 0;
    char *enc2_data = read_text(enc2, &e2len), *enc_orig = read_text(enc, &elen);
    json_error_t je;
    json_t *j2 = json_load_file(meta2, 0, &je);
    CHECK(j2 != NULL);
    const char *hash2 = json_string_value(json_object_get(json_object_get(j2, "integrity"), "hash"));
    FILE *f = fopen(enc, "wb");
    CHECK(f != NULL && fwrite(enc2_data, 1, e2len, f) == e2len && fclose(f) == 0);
    check_load(s, "key_0123abcd", MPC_SECURE_ERR_INTEGRITY, NULL, 0); /* hash */
    edit_meta(meta, "integrity", "hash", json_string(hash2));
    check_load(s, "key_0123abcd", MPC_SECURE_ERR_INTEGRITY, NULL, 0); /* tag */
    /* ... and the whole metadata of key_second too: it names another key. */
    char *meta2_text = read_text(meta2, NULL);
    write_text(meta, meta2_text, 0600);
    free(meta2_text);
    check_load(s, "key_0123abcd", MPC_SECURE_ERR_INTEGRITY, NULL, 0);
    CHECK_MSG("names key key_second");
    json_decref(j2);
    f = fopen(enc, "wb");
    CHECK(f != NULL && fwrite(enc_orig, 1, elen, f) == elen && fclose(f) == 0);
    write_text(meta, orig, 0600);
    check_load(s, "key_0123abcd", MPC_SECURE_OK, secret_share, sizeof secret_share);
    mpc_share_store_close(s);

    /* Wrong master key: same files, another node master key. */
    s = open_store("n1", master2, 1);
    check_load(s, "key_0123abcd", MPC_SECURE_ERR_INTEGRITY, NULL, 0);
    CHECK_MSG("wrong master key");
    mpc_share_store_close(s);

    /* Wrong node: the key directory copied into node 2's store (same master
     * key, to isolate the node check). */
    s = open_store("n2", master, 2);
    char dst[PATH_MAX], cmd[3 * PATH_MAX];
    key_path(dst, "n2", "key_0123abcd", "");
    snprintf(cmd, sizeof cmd, "cp -r '%s/n1/key_0123abcd' '%s/n2/'", root, root);
    CHECK(system(cmd) == 0);
    check_load(s, "key_0123abcd", MPC_SECURE_ERR_WRONG_NODE, NULL, 0);
    key_path(dst, "n2", "key_0123abcd", "metadata.json");
    edit_meta(dst, NULL, "node_id", json_integer(2)); /* relabelled: the wrap AAD says node 1 */
    check_load(s, "key_0123abcd", MPC_SECURE_ERR_INTEGRITY, NULL, 0);
    mpc_share_store_close(s);
    free(orig);
    free(enc2_data);
    free(enc_orig);
}

static void permissions(const char *master) {
    mpc_share_store *s = NULL;
    char dir[PATH_MAX], missing[PATH_MAX];
    join(dir, root, "n1");
    CHECK(chmod(master, 0640) == 0);
    CHECK_RC(mpc_share_store_open(&s, dir, master, 1, &rng, &test_err), MPC_SECURE_ERR_PERMISSIONS);
    CHECK(s == NULL);
    CHECK_MSG(master);
    CHECK(chmod(master, 0604) == 0);
    CHECK_RC(mpc_share_store_open(&s, dir, master, 1, &rng, &test_err), MPC_SECURE_ERR_PERMISSIONS);
    CHECK(chmod(master, 0600) == 0);
    join(missing, root, "no-such.key");
    CHECK_RC(mpc_share_store_open(&s, dir, missing, 1, &rng, &test_err), MPC_SECURE_ERR_NOT_FOUND);
    CHECK_RC(mpc_share_store_create_master_key(&rng, master, &test_err), MPC_SECURE_ERR_EXISTS);
}

static void crashes_and_replace(const char *master) {
    char dir[PATH_MAX];
    join(dir, root, "n3");
    mpc_share_store *s = open_store("n3", master, 3);
    unsigned char v1[40], v2[41], v3[42];
    memset(v1, 1, sizeof v1);
    memset(v2, 2, sizeof v2);
    memset(v3, 3, sizeof v3);
    mpc_share_meta m = meta_for("k", 3);

    /* Crash after staging a new key: nothing published, leftover removed at
     * the next open, and the key can then be written. */
    sec_test_crash_at("share.staged");
    CHECK_RC(mpc_share_store_put(s, &m, v1, sizeof v1, &test_err), MPC_SECURE_ERR_IO);
    sec_test_crash_at(NULL);
    CHECK(count_prefix(dir, ".tmp-") == 1);
    check_load(s, "k", MPC_SECURE_ERR_NOT_FOUND, NULL, 0);
    mpc_share_store_close(s);
    s = open_store("n3", master, 3);
    CHECK(count_prefix(dir, ".tmp-") == 0);
    CHECK_RC(mpc_share_store_put(s, &m, v1, sizeof v1, &test_err), MPC_SECURE_OK);

    /* Crash while staging a replace: the old share stays. */
    sec_test_crash_at("share.staged");
    CHECK_RC(mpc_share_store_replace(s, &m, v2, sizeof v2, &test_err), MPC_SECURE_ERR_IO);
    sec_test_crash_at(NULL);
    check_load(s, "k", MPC_SECURE_OK, v1, sizeof v1);
    mpc_share_store_close(s);
    s = open_store("n3", master, 3);
    CHECK(count_prefix(dir, ".tmp-") == 0);
    check_load(s, "k", MPC_SECURE_OK, v1, sizeof v1);

    /* Crash right after the swap: the new share is in place, the old one is
     * in backup/, and the leftover old directory goes at the next open. */
    sec_test_crash_at("share.swapped");
    CHECK_RC(mpc_share_store_replace(s, &m, v2, sizeof v2, &test_err), MPC_SECURE_ERR_IO);
    sec_test_crash_at(NULL);
    CHECK(count_prefix(dir, ".tmp-") == 1);
    check_load(s, "k", MPC_SECURE_OK, v2, sizeof v2);
    mpc_share_store_close(s);
    s = open_store("n3", master, 3);
    CHECK(count_prefix(dir, ".tmp-") == 0);
    check_load(s, "k", MPC_SECURE_OK, v2, sizeof v2);
    unsigned char *pt = NULL;
    size_t len = 0;
    CHECK_RC(mpc_share_store_load_previous(s, NULL, &pt, &len, "k", &test_err), MPC_SECURE_OK);
    CHECK(len == sizeof v1 && memcmp(pt, v1, len) == 0);
    mpc_secure_free_secret(pt, len);

    /* A clean replace: only the generation just replaced is kept. */
    CHECK_RC(mpc_share_store_replace(s, &m, v3, sizeof v3, &test_err), MPC_SECURE_OK);
    CHECK(count_prefix(dir, ".tmp-") == 0);
    check_load(s, "k", MPC_SECURE_OK, v3, sizeof v3);
    CHECK_RC(mpc_share_store_load_previous(s, NULL, &pt, &len, "k", &test_err), MPC_SECURE_OK);
    CHECK(len == sizeof v2 && memcmp(pt, v2, len) == 0);
    mpc_secure_free_secret(pt, len);
    char bdir[PATH_MAX];
    key_path(bdir, "n3", "k", "backup");
    CHECK(count_prefix(bdir, "") == 4); /* ".", "..", metadata.json, share.enc */
    mpc_share_meta m2 = meta_for("fresh", 3);
    CHECK_RC(mpc_share_store_load_previous(s, NULL, &pt, &len, "k2", &test_err),
             MPC_SECURE_ERR_NOT_FOUND);
    CHECK_RC(mpc_share_store_put(s, &m2, v1, sizeof v1, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_share_store_load_previous(s, NULL, &pt, &len, "fresh", &test_err),
             MPC_SECURE_ERR_NOT_FOUND);

    /* A hand-made leftover with nested content is removed too; keys stay. */
    char junk[PATH_MAX], sub[PATH_MAX], file[PATH_MAX];
    join(junk, dir, ".tmp-k-999-deadbeef");
    CHECK(mkdir(junk, 0700) == 0);
    write_text(join(file, junk, "metadata.json"), "{\"partial", 0600);
    CHECK(mkdir(join(sub, junk, "backup"), 0700) == 0);
    write_text(join(file, sub, "share.enc"), "xx", 0600);
    mpc_share_store_close(s);
    s = open_store("n3", master, 3);
    CHECK(count_prefix(dir, ".tmp-") == 0);
    check_load(s, "k", MPC_SECURE_OK, v3, sizeof v3);
    check_load(s, "fresh", MPC_SECURE_OK, v1, sizeof v1);
    mpc_share_store_close(s);
}

int main(void) {
    mpc_test_rng trng;
    uint64_t seed = test_seed("secure_share_store");
    mpc_test_rng_init(&trng, seed);
    rng = mpc_test_rng_source(&trng);
    CHECK(mpc_rng_fill(&rng, secret_share, sizeof secret_share));
    root = scratch_dir("shares");
    char master[PATH_MAX], master2[PATH_MAX];
    join(master, root, "master.key");
    join(master2, root, "master2.key");
    CHECK_RC(mpc_share_store_create_master_key(&rng, master, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_share_store_create_master_key(&rng, master2, &test_err), MPC_SECURE_OK);
    CHECK(file_mode(master) == 0600);
    basics(master);
    tampering(master, master2);
    permissions(master);
    crashes_and_replace(master);
    CHECK(nftw(root, scan_file, 16, FTW_PHYS) == 0);
    CHECK(!found_plaintext);
    remove_tree(root);
    free(root);
    printf("secure_share_store: ok\n");
    return 0;
}
