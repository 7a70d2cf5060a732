/* vault.c - sealed single-use secrets in a directory; see vault.h. */
#include "secure/vault.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "internal.h"

#define MAGIC "mpcvlt01"
#define MAGIC_LEN 8
#define SALT_LEN 32
#define HEADER_LEN (MAGIC_LEN + SALT_LEN + SEC_GCM_IV)
#define SUFFIX ".seal"
#define PURPOSE_MAX 32

struct mpc_vault {
    char *dir;
    int node_id;
    char purpose[PURPOSE_MAX + 1];
    mpc_rng rng;
    unsigned char master[32];
};

int mpc_vault_name_valid(const char *name) {
    if (name == NULL) return 0;
    size_t n = 0;
    for (; name[n]; n++) {
        char c = name[n];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (n == 0 || (c != '_' && c != '.' && c != ':' && c != '-'))) return 0;
    }
    return n >= 1 && n <= MPC_VAULT_NAME_MAX;
}

static int purpose_valid(const char *p) {
    size_t n = 0;
    for (; p[n]; n++)
        if (!((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_' || p[n] == '-'))
            return 0;
    return n >= 1 && n <= PURPOSE_MAX;
}

#define INFO_MAX (sizeof "mpc.v1.vault" + PURPOSE_MAX + 1 + 4 + MPC_VAULT_NAME_MAX)

/* For a valid name: path = <dir>/<name>.seal and (if info != NULL) the
 * item's HKDF info / associated data,
 * info = "mpc.v1.vault" || 0 || purpose || 0 || be32(node_id) || name.
 * Returns: MPC_SECURE_OK or MPC_SECURE_ERR_INVALID_ID. */
static int item_locate(const mpc_vault *v, const char *name, char path[PATH_MAX], unsigned char info[INFO_MAX],
                       size_t *infolen, mpc_secure_error *err) {
    int n = mpc_vault_name_valid(name) ? snprintf(path, PATH_MAX, "%s/%s" SUFFIX, v->dir, name) : -1;
    if (n <= 0 || n >= PATH_MAX) return sec_fail(err, MPC_SECURE_ERR_INVALID_ID, "invalid vault item name");
    if (info == NULL) return MPC_SECURE_OK;
    static const char label[] = "mpc.v1.vault";
    size_t plen = strlen(v->purpose), nlen = strlen(name), off = 0;
    unsigned char *out = info;
    memcpy(out, label, sizeof label); /* with its NUL */
    off += sizeof label;
    memcpy(out + off, v->purpose, plen + 1);
    off += plen + 1;
    sec_put_be32(out + off, (uint32_t)v->node_id);
    off += 4;
    memcpy(out + off, name, nlen);
    *infolen = off + nlen;
    return MPC_SECURE_OK;
}

static int item_key(const mpc_vault *v, const unsigned char salt[SALT_LEN], const unsigned char *info,
                    size_t infolen, unsigned char key[32]) {
    return sec_hkdf_sha256(key, v->master, sizeof v->master, salt, SALT_LEN, info, infolen);
}

/* Removes ".<x>.seal.tmp-*" leftovers of interrupted writes. */
static int clean_leftovers(const mpc_vault *v, mpc_secure_error *err) {
    DIR *d = opendir(v->dir);
    if (d == NULL) return sec_fail_errno(err, errno, "cannot read %s", v->dir);
    int rc = MPC_SECURE_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' || strstr(e->d_name, SUFFIX ".tmp-") == NULL) continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", v->dir, e->d_name) >= (int)sizeof path) continue;
        if (unlink(path) != 0 && errno != ENOENT) rc = sec_fail_errno(err, errno, "cannot remove the leftover %s", path);
    }
    closedir(d);
    return rc;
}

int mpc_vault_open(mpc_vault **out, const char *dir, const char *master_key_path, int node_id,
                   const char *purpose, const mpc_rng *rng, mpc_secure_error *err) {
    MPC_ARG_CHECK(out != NULL && dir != NULL && master_key_path != NULL && purpose != NULL && rng != NULL);
    MPC_ARG_CHECK(rng->fill != NULL && node_id >= 1 && node_id <= 255 && purpose_valid(purpose));
    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sec_fail_errno(err, errno, "cannot create the vault directory %s", dir);
    struct stat st;
    if (stat(dir, &st) != 0) return sec_fail_errno(err, errno, "cannot stat %s", dir);
    if (!S_ISDIR(st.st_mode)) return sec_fail(err, MPC_SECURE_ERR_IO, "%s is not a directory", dir);
    mpc_vault *v = calloc(1, sizeof *v);
    if (v == NULL || (v->dir = strdup(dir)) == NULL) {
        free(v);
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    }
    v->node_id = node_id;
    v->rng = *rng;
    snprintf(v->purpose, sizeof v->purpose, "%s", purpose);
    int rc = sec_read_secret32(master_key_path, "master key", v->master, err);
    if (rc == MPC_SECURE_OK) rc = clean_leftovers(v, err);
    if (rc != MPC_SECURE_OK) {
        mpc_vault_close(v);
        return rc;
    }
    *out = v;
    sec_clear(err);
    return MPC_SECURE_OK;
}

void mpc_vault_close(mpc_vault *v) {
    if (v == NULL) return;
    free(v->dir);
    mpc_secure_free_secret(v, sizeof *v);
}

int mpc_vault_put(mpc_vault *v, const char *name, const unsigned char *data, size_t len,
                  mpc_secure_error *err) {
    MPC_ARG_CHECK(v != NULL && (data != NULL || len == 0));
    char path[PATH_MAX];
    unsigned char info[INFO_MAX], key[32];
    size_t infolen = 0;
    if (item_locate(v, name, path, info, &infolen, err) != MPC_SECURE_OK) return MPC_SECURE_ERR_INVALID_ID;
    if (len == 0 || len > MPC_VAULT_ITEM_MAX)
        return sec_fail(err, MPC_SECURE_ERR_LIMIT, "vault item %s: %zu bytes (1..%u allowed)", name, len,
                        MPC_VAULT_ITEM_MAX);
    size_t total = HEADER_LEN + len + SEC_GCM_TAG;
    unsigned char *buf = malloc(total);
    if (buf == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    memcpy(buf, MAGIC, MAGIC_LEN);
    int rc;
    if (!mpc_rng_fill(&v->rng, buf + MAGIC_LEN, SALT_LEN + SEC_GCM_IV)) {
        rc = sec_fail(err, MPC_SECURE_ERR_RNG, "randomness source failed");
    } else if (!item_key(v, buf + MAGIC_LEN, info, infolen, key) ||
               !sec_gcm_encrypt(key, buf + MAGIC_LEN + SALT_LEN, info, infolen, data, len, buf + HEADER_LEN,
                                buf + HEADER_LEN + len)) {
        rc = sec_fail(err, MPC_SECURE_ERR_CRYPTO, "cannot seal vault item %s", name);
    } else {
        rc = sec_create_file_excl(path, buf, total, 0600, err);
    }
    OPENSSL_cleanse(key, sizeof key);
    free(buf); /* ciphertext only: nothing secret left in it */
    if (rc == MPC_SECURE_OK) sec_clear(err);
    return rc;
}

int mpc_vault_take(mpc_vault *v, const char *name, unsigned char **data, size_t *len, mpc_secure_error *err) {
    MPC_ARG_CHECK(v != NULL && data != NULL && len != NULL);
    *data = NULL;
    *len = 0;
    char path[PATH_MAX];
    unsigned char info[INFO_MAX], key[32];
    size_t infolen = 0;
    if (item_locate(v, name, path, info, &infolen, err) != MPC_SECURE_OK) return MPC_SECURE_ERR_INVALID_ID;
    unsigned char *file = NULL;
    size_t flen = 0;
    int rc = sec_read_file(path, 1, HEADER_LEN + MPC_VAULT_ITEM_MAX + SEC_GCM_TAG, &file, &flen, err);
    if (rc != MPC_SECURE_OK) return rc;
    if (flen < HEADER_LEN + 1 + SEC_GCM_TAG || memcmp(file, MAGIC, MAGIC_LEN) != 0) {
        free(file);
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s is not a vault item", path);
    }
    size_t plen = flen - HEADER_LEN - SEC_GCM_TAG;
    unsigned char *plain = malloc(plen);
    if (plain == NULL) {
        free(file);
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    }
    if (!item_key(v, file + MAGIC_LEN, info, infolen, key) ||
        !sec_gcm_decrypt(key, file + MAGIC_LEN + SALT_LEN, info, infolen, file + HEADER_LEN, plen,
                         file + HEADER_LEN + plen, plain)) {
        rc = sec_fail(err, MPC_SECURE_ERR_INTEGRITY,
                      "%s does not open (tampered, renamed, another node's or vault's, or a wrong master key)",
                      path);
    } else if (unlink(path) != 0) {
        rc = sec_fail_errno(err, errno, "cannot remove %s", path); /* ENOENT: another taker won */
    } else {
        int e = sec_fsync_dir(path, 1);
        if (e != 0) rc = sec_fail(err, MPC_SECURE_ERR_IO, "cannot fsync the directory of %s: %s", path, strerror(e));
    }
    OPENSSL_cleanse(key, sizeof key);
    free(file);
    if (rc != MPC_SECURE_OK) {
        mpc_secure_free_secret(plain, plen);
        return rc;
    }
    *data = plain;
    *len = plen;
    sec_clear(err);
    return MPC_SECURE_OK;
}

int mpc_vault_remove(mpc_vault *v, const char *name, mpc_secure_error *err) {
    MPC_ARG_CHECK(v != NULL);
    char path[PATH_MAX];
    if (item_locate(v, name, path, NULL, NULL, err) != MPC_SECURE_OK) return MPC_SECURE_ERR_INVALID_ID;
    if (unlink(path) != 0) return sec_fail_errno(err, errno, "cannot remove %s", path);
    int e = sec_fsync_dir(path, 1);
    if (e != 0) return sec_fail(err, MPC_SECURE_ERR_IO, "cannot fsync the directory of %s: %s", path, strerror(e));
    sec_clear(err);
    return MPC_SECURE_OK;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void mpc_vault_names_free(char **names, size_t count) {
    for (size_t i = 0; names && i < count; i++) free(names[i]);
    free(names);
}

int mpc_vault_list(mpc_vault *v, const char *prefix, char ***names, size_t *count, mpc_secure_error *err) {
    MPC_ARG_CHECK(v != NULL && prefix != NULL && names != NULL && count != NULL);
    *names = NULL;
    *count = 0;
    DIR *d = opendir(v->dir);
    if (d == NULL) return sec_fail_errno(err, errno, "cannot read %s", v->dir);
    size_t n = 0, cap = 0, plen = strlen(prefix);
    char **out = NULL;
    int rc = MPC_SECURE_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' || l <= strlen(SUFFIX) || strcmp(e->d_name + l - strlen(SUFFIX), SUFFIX) != 0 ||
            strncmp(e->d_name, prefix, plen) != 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char **grown = realloc(out, ncap * sizeof *out);
            if (grown == NULL) {
                rc = sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
                break;
            }
            out = grown;
            cap = ncap;
        }
        if ((out[n] = strndup(e->d_name, l - strlen(SUFFIX))) == NULL) {
            rc = sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
            break;
        }
        if (mpc_vault_name_valid(out[n])) n++;
        else free(out[n]);
    }
    closedir(d);
    if (rc != MPC_SECURE_OK) {
        mpc_vault_names_free(out, n);
        return rc;
    }
    if (n > 1) qsort(out, n, sizeof *out, cmp_names);
    *names = out;
    *count = n;
    sec_clear(err);
    return MPC_SECURE_OK;
}
