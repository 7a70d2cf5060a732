/* test_vault.c - sealed single-use vaults: round trip, take at most once,
 * listing, binding to name / purpose / node / master key, tampering,
 * write-once, leftovers of interrupted writes, permissions and name rules. */
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secure/share_store.h"
#include "secure/vault.h"
#include "secure_test.h"

static mpc_vault *open_ok(const char *dir, const char *master, int node, const char *purpose, const mpc_rng *rng) {
    mpc_vault *v = NULL;
    CHECK_RC(mpc_vault_open(&v, dir, master, node, purpose, rng, &test_err), MPC_SECURE_OK);
    return v;
}

static void take_ok(mpc_vault *v, const char *name, const unsigned char *want, size_t wantlen) {
    unsigned char *got = NULL;
    size_t len = 0;
    CHECK_RC(mpc_vault_take(v, name, &got, &len, &test_err), MPC_SECURE_OK);
    CHECK(len == wantlen && memcmp(got, want, len) == 0);
    mpc_secure_free_secret(got, len);
}

static void take_fails(mpc_vault *v, const char *name, int want) {
    unsigned char *got = (unsigned char *)1;
    size_t len = 7;
    CHECK_RC(mpc_vault_take(v, name, &got, &len, &test_err), want);
    CHECK(got == NULL && len == 0);
}

int main(void) {
    mpc_test_rng trng;
    uint64_t seed = test_seed("secure_vault");
    mpc_test_rng_init(&trng, seed);
    mpc_rng rng = mpc_test_rng_source(&trng);
    char *root = scratch_dir("vault");
    char dir[PATH_MAX], master[PATH_MAX], master2[PATH_MAX], path[PATH_MAX], path2[PATH_MAX];
    join(dir, root, "pool");
    join(master, root, "master.key");
    join(master2, root, "master2.key");
    CHECK_RC(mpc_share_store_create_master_key(&rng, master, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_share_store_create_master_key(&rng, master2, &test_err), MPC_SECURE_OK);

    /* Round trip; the directory is created 0700, items are 0600 and hold no
     * plaintext. */
    mpc_vault *v = open_ok(dir, master, 3, "paillier", &rng);
    CHECK(file_mode(dir) == 0700);
    unsigned char secret[1000];
    CHECK(mpc_rng_fill(&rng, secret, sizeof secret));
    CHECK_RC(mpc_vault_put(v, "pp-0001", secret, sizeof secret, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_vault_put(v, "pp-0001", secret, 10, &test_err), MPC_SECURE_ERR_EXISTS);
    join(path, dir, "pp-0001.seal");
    CHECK(file_mode(path) == 0600);
    size_t flen = 0;
    char *raw = read_text(path, &flen);
    CHECK(flen == 8 + 32 + 12 + sizeof secret + 16 && memcmp(raw, "mpcvlt01", 8) == 0);
    for (size_t off = 0; off + 16 <= flen; off++) CHECK(memcmp(raw + off, secret, 16) != 0);
    free(raw);
    CHECK(access(path, F_OK) == 0);
    take_ok(v, "pp-0001", secret, sizeof secret);
    /* At most once: the item is gone, for this and every other handle. */
    CHECK(access(path, F_OK) != 0);
    take_fails(v, "pp-0001", MPC_SECURE_ERR_NOT_FOUND);
    mpc_vault *v2 = open_ok(dir, master, 3, "paillier", &rng);
    take_fails(v2, "pp-0001", MPC_SECURE_ERR_NOT_FOUND);

    /* Listing: sorted, filtered by prefix, only items. */
    const char *names[] = {"pp-3", "pp-1", "ps.s-1.0", "pp-2"};
    for (size_t i = 0; i < 4; i++) CHECK_RC(mpc_vault_put(v, names[i], secret, 1 + i, &test_err), MPC_SECURE_OK);
    join(path, dir, "not-an-item.txt");
    write_text(path, "x", 0600);
    char **list = NULL;
    size_t n = 0;
    CHECK_RC(mpc_vault_list(v, "pp-", &list, &n, &test_err), MPC_SECURE_OK);
    CHECK(n == 3 && strcmp(list[0], "pp-1") == 0 && strcmp(list[1], "pp-2") == 0 && strcmp(list[2], "pp-3") == 0);
    mpc_vault_names_free(list, n);
    CHECK_RC(mpc_vault_list(v, "", &list, &n, &test_err), MPC_SECURE_OK);
    CHECK(n == 4 && strcmp(list[3], "ps.s-1.0") == 0);
    mpc_vault_names_free(list, n);
    take_ok(v2, "pp-2", secret, 4);
    CHECK_RC(mpc_vault_remove(v, "pp-3", &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_vault_remove(v, "pp-3", &test_err), MPC_SECURE_ERR_NOT_FOUND);
    CHECK_RC(mpc_vault_list(v, "pp-", &list, &n, &test_err), MPC_SECURE_OK);
    CHECK(n == 1 && strcmp(list[0], "pp-1") == 0);
    mpc_vault_names_free(list, n);
    mpc_vault_close(v2);

    /* Binding: a renamed item, another purpose, another node or another
     * master key does not open, and the file stays for inspection. */
    join(path, dir, "pp-1.seal");
    join(path2, dir, "pp-9.seal");
    CHECK(rename(path, path2) == 0);
    take_fails(v, "pp-9", MPC_SECURE_ERR_INTEGRITY);
    CHECK(access(path2, F_OK) == 0);
    CHECK(rename(path2, path) == 0);
    mpc_vault *other = open_ok(dir, master, 3, "presig", &rng);
    take_fails(other, "pp-1", MPC_SECURE_ERR_INTEGRITY);
    mpc_vault_close(other);
    other = open_ok(dir, master, 4, "paillier", &rng);
    take_fails(other, "pp-1", MPC_SECURE_ERR_INTEGRITY);
    mpc_vault_close(other);
    other = open_ok(dir, master2, 3, "paillier", &rng);
    take_fails(other, "pp-1", MPC_SECURE_ERR_INTEGRITY);
    CHECK_MSG("does not open");
    mpc_vault_close(other);

    /* Tampering anywhere (salt, iv, ciphertext, tag, magic) is caught. */
    size_t offsets[] = {8, 8 + 32, 8 + 32 + 12, 8 + 32 + 12 + 1 + 15};
    for (size_t i = 0; i < 4; i++) {
        flip_byte(path, offsets[i], 0x40);
        take_fails(v, "pp-1", MPC_SECURE_ERR_INTEGRITY);
        flip_byte(path, offsets[i], 0x40);
    }
    flip_byte(path, 0, 0x01);
    take_fails(v, "pp-1", MPC_SECURE_ERR_FORMAT);
    flip_byte(path, 0, 0x01);
    CHECK(truncate(path, 20) == 0);
    take_fails(v, "pp-1", MPC_SECURE_ERR_FORMAT);
    CHECK_RC(mpc_vault_remove(v, "pp-1", &test_err), MPC_SECURE_OK);

    /* Names, sizes. */
    char longname[MPC_VAULT_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    const char *bad[] = {"", ".hidden", "-x", "a/b", "a b", "x\n", longname};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!mpc_vault_name_valid(bad[i]));
        CHECK_RC(mpc_vault_put(v, bad[i], secret, 1, &test_err), MPC_SECURE_ERR_INVALID_ID);
        take_fails(v, bad[i], MPC_SECURE_ERR_INVALID_ID);
    }
    CHECK(!mpc_vault_name_valid(NULL));
    longname[MPC_VAULT_NAME_MAX] = '\0';
    CHECK(mpc_vault_name_valid(longname) && mpc_vault_name_valid("ps.s-0a:1_2"));
    CHECK_RC(mpc_vault_put(v, longname, secret, 1, &test_err), MPC_SECURE_OK);
    CHECK_RC(mpc_vault_put(v, "empty", secret, 0, &test_err), MPC_SECURE_ERR_LIMIT);
    mpc_vault_close(v);

    /* Leftovers of an interrupted write are removed at open; an item whose
     * file became readable by others is refused. */
    join(path, dir, ".pp-7.seal.tmp-123-abcd");
    write_text(path, "half", 0600);
    v = open_ok(dir, master, 3, "paillier", &rng);
    CHECK(access(path, F_OK) != 0);
    CHECK_RC(mpc_vault_put(v, "pp-7", secret, 5, &test_err), MPC_SECURE_OK);
    join(path, dir, "pp-7.seal");
    CHECK(chmod(path, 0644) == 0);
    take_fails(v, "pp-7", MPC_SECURE_ERR_PERMISSIONS);
    CHECK(chmod(path, 0600) == 0);
    take_ok(v, "pp-7", secret, 5);
    mpc_vault_close(v);

    /* Missing master key; a file where the directory should be. */
    join(path, root, "nokey");
    CHECK_RC(mpc_vault_open(&v, dir, path, 3, "paillier", &rng, &test_err), MPC_SECURE_ERR_NOT_FOUND);
    CHECK(v == NULL);
    CHECK_RC(mpc_vault_open(&v, master, master, 3, "paillier", &rng, &test_err), MPC_SECURE_ERR_IO);

    remove_tree(root);
    free(root);
    printf("secure_vault: ok (seed %llu)\n", (unsigned long long)seed);
    return 0;
}
