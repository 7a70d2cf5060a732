/*
 * share_store.c - the encrypted, atomically written, write-once share store
 * (share_store.h, docs/security.md).
 *
 * Writing a key: stage a complete directory .tmp-<key_id>-<suffix>/ holding
 * metadata.json and share.enc (and, for a replace, backup/ with hard links to
 * the current files), fsync everything, then publish it with one renameat2:
 * RENAME_NOREPLACE for a new key (the kernel refuses an existing key, so
 * write-once holds even against a racing writer), RENAME_EXCHANGE for a
 * replace (the old directory lands at the staging name and is removed).
 * Readers take a shared flock on <dir>/.lock and writers an exclusive one,
 * so a reader never sees the two files of different generations.
 */
#define _GNU_SOURCE /* renameat2 */
#include "secure/share_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "secure/internal.h"

#define STAGING_PREFIX ".tmp-"
#define WRAPPED_LEN (SEC_GCM_IV + 32 + SEC_GCM_TAG)
#define MAX_METADATA (64u * 1024u)

static const char WRAP_LABEL[] = "mpc.v1.share-wrap";
static const char SHARE_LABEL[] = "mpc.v1.share";

struct mpc_share_store {
    char *dir;
    int node_id;
    mpc_rng rng;
    unsigned char master[32];
};

/* ---- names and rules ------------------------------------------------------ */

int mpc_key_id_valid(const char *key_id) {
    if (key_id == NULL) return 0;
    size_t n = strlen(key_id);
    return n >= 1 && n <= MPC_KEY_ID_MAX &&
           strspn(key_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static int token_valid(const char *s) {
    size_t n = strlen(s);
    return n >= 1 && n <= MPC_SHARE_TOKEN_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Range rules of a description; `where` names it in messages. */
static int check_meta(const mpc_share_meta *m, const char *where, mpc_secure_error *err) {
    if (memchr(m->key_id, '\0', sizeof m->key_id) == NULL || !mpc_key_id_valid(m->key_id))
        return sec_fail(err, MPC_SECURE_ERR_INVALID_ID,
                        "%s: key_id must match [A-Za-z0-9_-]{1,128}", where);
    if (m->node_id < 1 || m->node_id > 255 || m->share_index < 1 || m->share_index > 255 ||
        m->total_shares < 1 || m->total_shares > 255 || m->threshold < 1 ||
        m->threshold > m->total_shares)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "%s: key %s: need node_id and share_index in 1..255 and "
                        "1 <= threshold <= total_shares <= 255",
                        where, m->key_id);
    if (memchr(m->protocol, '\0', sizeof m->protocol) == NULL || !token_valid(m->protocol) ||
        memchr(m->curve, '\0', sizeof m->curve) == NULL || !token_valid(m->curve))
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "%s: key %s: protocol and curve must match [a-z0-9_-]{1,32}", where,
                        m->key_id);
    return MPC_SECURE_OK;
}

static int path_of(char out[PATH_MAX], mpc_secure_error *err, const char *a, const char *b,
                   const char *c) {
    int n = snprintf(out, PATH_MAX, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
    if (n < 0 || n >= PATH_MAX) return sec_fail(err, MPC_SECURE_ERR_IO, "path too long under %s", a);
    return MPC_SECURE_OK;
}

/* ---- associated data -------------------------------------------------------- */

typedef struct abuf {
    unsigned char b[64 + 3 * 256];
    size_t n;
} abuf;

static void ab_bytes(abuf *a, const void *p, size_t n) {
    memcpy(a->b + a->n, p, n);
    a->n += n;
}

static void ab_lp(abuf *a, const char *s) { /* u8 length || bytes; s <= 255 bytes */
    unsigned char len = (unsigned char)strlen(s);
    ab_bytes(a, &len, 1);
    ab_bytes(a, s, len);
}

static void ab_u32(abuf *a, int v) {
    sec_put_be32(a->b + a->n, (uint32_t)v);
    a->n += 4;
}

/* "mpc.v1.share-wrap" || lp(key_id) || be32(node_id) */
static void wrap_aad(abuf *a, const mpc_share_meta *m) {
    a->n = 0;
    ab_bytes(a, WRAP_LABEL, sizeof WRAP_LABEL - 1);
    ab_lp(a, m->key_id);
    ab_u32(a, m->node_id);
}

/* "mpc.v1.share" || lp(key_id) || be32(node_id) || be32(share_index) ||
 * be32(threshold) || be32(total_shares) || lp(protocol) || lp(curve) ||
 * lp(created_at): every field of the description. */
static void share_aad(abuf *a, const mpc_share_meta *m) {
    a->n = 0;
    ab_bytes(a, SHARE_LABEL, sizeof SHARE_LABEL - 1);
    ab_lp(a, m->key_id);
    ab_u32(a, m->node_id);
    ab_u32(a, m->share_index);
    ab_u32(a, m->threshold);
    ab_u32(a, m->total_shares);
    ab_lp(a, m->protocol);
    ab_lp(a, m->curve);
    ab_lp(a, m->created_at);
}

/* ---- locking and directories -------------------------------------------------- */

/* Take the store lock; returns its fd (close it to unlock) or -1 with err set. */
static int lock_store(const mpc_share_store *s, int exclusive, mpc_secure_error *err) {
    char path[PATH_MAX];
    if (path_of(path, err, s->dir, ".lock", NULL) != MPC_SECURE_OK) return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        sec_fail_errno(err, errno, "cannot open %s", path);
        return -1;
    }
    while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno == EINTR) continue;
        sec_fail_errno(err, errno, "cannot lock %s", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* Remove a directory we made, with its files and (depth > 0) subdirectories. */
static int remove_dir(const char *path, int depth) {
    DIR *d = opendir(path);
    if (d == NULL) return errno == ENOENT ? 0 : errno;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char sub[PATH_MAX];
        struct stat st;
        if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub) {
            rc = ENAMETOOLONG;
            continue;
        }
        if (lstat(sub, &st) != 0) continue;
        int r = S_ISDIR(st.st_mode) ? (depth > 0 ? remove_dir(sub, depth - 1) : ENOTEMPTY)
                                    : (unlink(sub) == 0 ? 0 : errno);
        if (r != 0) rc = r;
    }
    closedir(d);
    if (rmdir(path) != 0 && rc == 0) rc = errno;
    return rc;
}

/* Remove staging leftovers (the caller holds the exclusive lock). */
static int clean_staging(const mpc_share_store *s, mpc_secure_error *err) {
    DIR *d = opendir(s->dir);
    if (d == NULL) return sec_fail_errno(err, errno, "cannot list %s", s->dir);
    int rc = MPC_SECURE_OK;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char path[PATH_MAX];
        if (strncmp(e->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) != 0) continue;
        if (path_of(path, err, s->dir, e->d_name, NULL) != MPC_SECURE_OK) continue;
        int r = remove_dir(path, 1);
        if (r != 0) rc = sec_fail_errno(err, r, "cannot remove the leftover %s", path);
    }
    closedir(d);
    return rc;
}

/* ---- open / close --------------------------------------------------------------- */

int mpc_share_store_create_master_key(const mpc_rng *rng, const char *path,
                                      mpc_secure_error *err) {
    MPC_ARG_CHECK(rng != NULL && path != NULL);
    unsigned char key[32];
    char text[66];
    if (!mpc_rng_fill(rng, key, sizeof key))
        return sec_fail(err, MPC_SECURE_ERR_RNG, "randomness source failed");
    sec_hex_encode(text, key, sizeof key);
    text[64] = '\n';
    int rc = sec_create_file_excl(path, text, 65, 0600, err);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(text, sizeof text);
    if (rc == MPC_SECURE_OK) sec_clear(err);
    return rc;
}

int mpc_share_store_open(mpc_share_store **out, const char *dir, const char *master_key_path,
                         int node_id, const mpc_rng *rng, mpc_secure_error *err) {
    MPC_ARG_CHECK(out != NULL && dir != NULL && master_key_path != NULL && rng != NULL);
    MPC_ARG_CHECK(rng->fill != NULL && node_id >= 1 && node_id <= 255);
    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sec_fail_errno(err, errno, "cannot create the share directory %s", dir);
    struct stat st;
    if (stat(dir, &st) != 0) return sec_fail_errno(err, errno, "cannot stat %s", dir);
    if (!S_ISDIR(st.st_mode))
        return sec_fail(err, MPC_SECURE_ERR_IO, "%s is not a directory", dir);
    mpc_share_store *s = calloc(1, sizeof *s);
    if (s == NULL || (s->dir = strdup(dir)) == NULL) {
        free(s);
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    }
    s->node_id = node_id;
    s->rng = *rng;
    int rc = sec_read_secret32(master_key_path, "master key", s->master, err);
    if (rc == MPC_SECURE_OK) {
        int fd = lock_store(s, 1, err);
        rc = fd < 0 ? MPC_SECURE_ERR_IO : clean_staging(s, err);
        if (fd >= 0) close(fd);
    }
    if (rc != MPC_SECURE_OK) {
        mpc_share_store_close(s);
        return rc;
    }
    *out = s;
    sec_clear(err);
    return MPC_SECURE_OK;
}

void mpc_share_store_close(mpc_share_store *store) {
    if (store == NULL) return;
    free(store->dir);
    mpc_secure_free_secret(store, sizeof *store);
}

/* ---- sealing ------------------------------------------------------------------ */

/* The two files of a share, in memory. */
typedef struct sealed_share {
    char *metadata; /* JSON text */
    unsigned char *enc;
    size_t enc_len;
} sealed_share;

static void sealed_free(sealed_share *f) {
    free(f->metadata);
    free(f->enc);
    memset(f, 0, sizeof *f);
}

static char *metadata_json(const mpc_share_meta *m, const unsigned char wrapped[WRAPPED_LEN],
                           const unsigned char iv[SEC_GCM_IV], const unsigned char hash[32]) {
    char wrapped_hex[2 * WRAPPED_LEN + 1], iv_hex[2 * SEC_GCM_IV + 1], hash_hex[65];
    sec_hex_encode(wrapped_hex, wrapped, WRAPPED_LEN);
    sec_hex_encode(iv_hex, iv, SEC_GCM_IV);
    sec_hex_encode(hash_hex, hash, 32);
    json_t *root = json_pack(
        "{s:s, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:b,"
        " s:{s:s, s:s, s:s}, s:{s:s, s:s}}",
        "key_id", m->key_id, "node_id", m->node_id, "share_index", m->share_index, "threshold",
        m->threshold, "total_shares", m->total_shares, "protocol", m->protocol, "curve", m->curve,
        "created_at", m->created_at, "encrypted", 1, "encryption", "algorithm", "AES-256-GCM",
        "wrapped_key", wrapped_hex, "iv", iv_hex, "integrity", "hash_algorithm", "SHA-256", "hash",
        hash_hex);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    return text;
}

/* Encrypt share under a fresh data key, wrap the key, describe both. */
static int seal_share(const mpc_share_store *s, sealed_share *f, const mpc_share_meta *m,
                      const unsigned char *share, size_t len, mpc_secure_error *err) {
    unsigned char dk[32], iv[SEC_GCM_IV], wrapped[WRAPPED_LEN], hash[32];
    abuf aad;
    memset(f, 0, sizeof *f);
    f->enc_len = len + SEC_GCM_TAG;
    if ((f->enc = malloc(f->enc_len)) == NULL)
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    if (!mpc_rng_fill(&s->rng, dk, sizeof dk) || !mpc_rng_fill(&s->rng, iv, sizeof iv) ||
        !mpc_rng_fill(&s->rng, wrapped, SEC_GCM_IV)) {
        OPENSSL_cleanse(dk, sizeof dk);
        return sec_fail(err, MPC_SECURE_ERR_RNG, "randomness source failed");
    }
    share_aad(&aad, m);
    int ok = sec_gcm_encrypt(dk, iv, aad.b, aad.n, share, len, f->enc, f->enc + len);
    wrap_aad(&aad, m);
    ok = ok && sec_gcm_encrypt(s->master, wrapped, aad.b, aad.n, dk, 32, wrapped + SEC_GCM_IV,
                               wrapped + SEC_GCM_IV + 32) &&
         sec_sha256(hash, f->enc, f->enc_len);
    OPENSSL_cleanse(dk, sizeof dk);
    if (!ok) return sec_fail(err, MPC_SECURE_ERR_CRYPTO, "cannot encrypt the share");
    if ((f->metadata = metadata_json(m, wrapped, iv, hash)) == NULL)
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    return MPC_SECURE_OK;
}

/* ---- writing ------------------------------------------------------------------- */

static int write_new(const char *dir, const char *name, const void *data, size_t len,
                     mpc_secure_error *err) {
    char path[PATH_MAX];
    int rc = path_of(path, err, dir, name, NULL);
    return rc != MPC_SECURE_OK ? rc : sec_write_new_file(path, data, len, 0600, err);
}

/* backup/ in the staging dir: hard links to the current generation's files. */
static int stage_backup(const char *staging, const char *current, mpc_secure_error *err) {
    static const char *const files[] = {"metadata.json", "share.enc"};
    char bdir[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
    int rc = path_of(bdir, err, staging, "backup", NULL);
    if (rc != MPC_SECURE_OK) return rc;
    if (mkdir(bdir, 0700) != 0) return sec_fail_errno(err, errno, "cannot create %s", bdir);
    for (size_t i = 0; i < 2; i++) {
        if ((rc = path_of(from, err, current, files[i], NULL)) != MPC_SECURE_OK ||
            (rc = path_of(to, err, bdir, files[i], NULL)) != MPC_SECURE_OK)
            return rc;
        if (link(from, to) != 0) return sec_fail_errno(err, errno, "cannot link %s", from);
    }
    int e = sec_fsync_dir(bdir, 0);
    return e == 0 ? MPC_SECURE_OK : sec_fail_errno(err, e, "cannot fsync %s", bdir);
}

/* Build a complete key directory at a fresh staging path (name in staging). */
static int stage(const mpc_share_store *s, char staging[PATH_MAX], const sealed_share *f,
                 const char *key_id, const char *backup_from, mpc_secure_error *err) {
    char name[MPC_KEY_ID_MAX + 64], suffix[40];
    if (!sec_temp_suffix(suffix)) return sec_fail(err, MPC_SECURE_ERR_RNG, "getrandom failed");
    snprintf(name, sizeof name, STAGING_PREFIX "%s-%s", key_id, suffix);
    int rc = path_of(staging, err, s->dir, name, NULL);
    if (rc == MPC_SECURE_OK && mkdir(staging, 0700) != 0)
        rc = sec_fail_errno(err, errno, "cannot create %s", staging);
    if (rc != MPC_SECURE_OK) {
        staging[0] = '\0'; /* nothing of ours to remove */
        return rc;
    }
    if ((rc = write_new(staging, "share.enc", f->enc, f->enc_len, err)) != MPC_SECURE_OK ||
        (rc = write_new(staging, "metadata.json", f->metadata, strlen(f->metadata), err)) !=
            MPC_SECURE_OK ||
        (backup_from != NULL && (rc = stage_backup(staging, backup_from, err)) != MPC_SECURE_OK))
        return rc;
    int e = sec_fsync_dir(staging, 0);
    return e == 0 ? MPC_SECURE_OK : sec_fail_errno(err, e, "cannot fsync %s", staging);
}

static int write_share(mpc_share_store *s, const mpc_share_meta *meta,
                       const unsigned char *share, size_t len, int replace,
                       mpc_secure_error *err) {
    MPC_ARG_CHECK(s != NULL && meta != NULL && share != NULL);
    mpc_share_meta m = *meta;
    struct tm tm;
    time_t now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(m.created_at, sizeof m.created_at, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return sec_fail(err, MPC_SECURE_ERR_IO, "cannot format the current time");
    int rc = check_meta(&m, "share", err);
    if (rc != MPC_SECURE_OK) return rc;
    if (m.node_id != s->node_id)
        return sec_fail(err, MPC_SECURE_ERR_WRONG_NODE, "key %s: share is for node %d, store of node %d",
                        m.key_id, m.node_id, s->node_id);
    if (len == 0 || len > MPC_SHARE_MAX_BYTES)
        return sec_fail(err, MPC_SECURE_ERR_LIMIT, "key %s: share must be 1..%u bytes", m.key_id,
                        MPC_SHARE_MAX_BYTES);
    char final[PATH_MAX], staging[PATH_MAX] = "";
    if ((rc = path_of(final, err, s->dir, m.key_id, NULL)) != MPC_SECURE_OK) return rc;
    sealed_share f;
    if ((rc = seal_share(s, &f, &m, share, len, err)) != MPC_SECURE_OK) {
        sealed_free(&f);
        return rc;
    }
    int lock = lock_store(s, 1, err);
    if (lock < 0) {
        sealed_free(&f);
        return MPC_SECURE_ERR_IO;
    }
    struct stat st;
    int exists = lstat(final, &st) == 0;
    if (exists != replace) {
        rc = replace ? sec_fail(err, MPC_SECURE_ERR_NOT_FOUND, "key %s has no share in %s to replace",
                                m.key_id, s->dir)
                     : sec_fail(err, MPC_SECURE_ERR_EXISTS,
                                "key %s already has a share in %s (write-once; use replace)",
                                m.key_id, s->dir);
    } else if ((rc = stage(s, staging, &f, m.key_id, replace ? final : NULL, err)) !=
               MPC_SECURE_OK) {
        if (staging[0] != '\0') MPC_IGNORE(remove_dir(staging, 1));
    } else if (sec_crash_point("share.staged")) {
        rc = MPC_SECURE_ERR_IO;
    } else if (renameat2(AT_FDCWD, staging, AT_FDCWD, final,
                         replace ? RENAME_EXCHANGE : RENAME_NOREPLACE) != 0) {
        int e = errno;
        MPC_IGNORE(remove_dir(staging, 1));
        rc = e == EEXIST ? sec_fail(err, MPC_SECURE_ERR_EXISTS, "key %s already has a share", m.key_id)
                         : sec_fail_errno(err, e, "cannot publish %s", final);
    } else {
        int e = sec_fsync_dir(s->dir, 0);
        if (e != 0)
            rc = sec_fail_errno(err, e, "cannot fsync %s", s->dir);
        else if (replace && sec_crash_point("share.swapped"))
            rc = MPC_SECURE_ERR_IO;
        else if (replace)
            /* The old generation, now at the staging name (its files live on
             * in backup/). If this fails, the next open removes it. */
            MPC_IGNORE(remove_dir(staging, 1));
    }
    close(lock);
    sealed_free(&f);
    if (rc == MPC_SECURE_OK) sec_clear(err);
    return rc;
}

int mpc_share_store_put(mpc_share_store *store, const mpc_share_meta *meta,
                        const unsigned char *share, size_t len, mpc_secure_error *err) {
    return write_share(store, meta, share, len, 0, err);
}

int mpc_share_store_replace(mpc_share_store *store, const mpc_share_meta *meta,
                            const unsigned char *share, size_t len, mpc_secure_error *err) {
    return write_share(store, meta, share, len, 1, err);
}

/* ---- reading ------------------------------------------------------------------- */

static int json_int(const json_t *o, const char *name, int *out) {
    const json_t *v = json_object_get(o, name);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 0xffff) return 0;
    *out = (int)json_integer_value(v);
    return 1;
}

static int json_text(const json_t *o, const char *name, char *out, size_t size) {
    const char *v = json_string_value(json_object_get(o, name));
    if (v == NULL || strlen(v) >= size) return 0;
    memcpy(out, v, strlen(v) + 1);
    return 1;
}

static int json_hex(const json_t *o, const char *name, unsigned char *out, size_t len) {
    const char *v = json_string_value(json_object_get(o, name));
    return v != NULL && sec_hex_decode(out, len, v, strlen(v));
}

static int json_is(const json_t *o, const char *name, const char *want) {
    const char *v = json_string_value(json_object_get(o, name));
    return v != NULL && strcmp(v, want) == 0;
}

/* Parse metadata.json at path into m and the crypto fields. */
static int parse_metadata(const char *path, const char *text, size_t len, mpc_share_meta *m,
                          unsigned char wrapped[WRAPPED_LEN], unsigned char iv[SEC_GCM_IV],
                          unsigned char hash[32], mpc_secure_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s:%d: invalid JSON: %s", path, jerr.line,
                        jerr.text);
    const json_t *enc = json_object_get(root, "encryption"),
                 *integ = json_object_get(root, "integrity");
    memset(m, 0, sizeof *m);
    const char *bad = NULL;
    if (!json_text(root, "key_id", m->key_id, sizeof m->key_id)) bad = "key_id";
    else if (!json_int(root, "node_id", &m->node_id)) bad = "node_id";
    else if (!json_int(root, "share_index", &m->share_index)) bad = "share_index";
    else if (!json_int(root, "threshold", &m->threshold)) bad = "threshold";
    else if (!json_int(root, "total_shares", &m->total_shares)) bad = "total_shares";
    else if (!json_text(root, "protocol", m->protocol, sizeof m->protocol)) bad = "protocol";
    else if (!json_text(root, "curve", m->curve, sizeof m->curve)) bad = "curve";
    else if (!json_text(root, "created_at", m->created_at, sizeof m->created_at)) bad = "created_at";
    else if (!json_is_true(json_object_get(root, "encrypted"))) bad = "encrypted";
    else if (!json_is(enc, "algorithm", "AES-256-GCM")) bad = "encryption.algorithm";
    else if (!json_hex(enc, "wrapped_key", wrapped, WRAPPED_LEN)) bad = "encryption.wrapped_key";
    else if (!json_hex(enc, "iv", iv, SEC_GCM_IV)) bad = "encryption.iv";
    else if (!json_is(integ, "hash_algorithm", "SHA-256")) bad = "integrity.hash_algorithm";
    else if (!json_hex(integ, "hash", hash, 32)) bad = "integrity.hash";
    json_decref(root);
    if (bad != NULL)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s: field %s is missing or invalid", path, bad);
    return check_meta(m, path, err) == MPC_SECURE_OK
               ? MPC_SECURE_OK
               : sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s: field values out of range", path);
}

/* Verify and decrypt the share in directory keydir (the lock is held). */
static int load_dir(const mpc_share_store *s, const char *keydir, const char *key_id,
                    mpc_share_meta *meta, unsigned char **share, size_t *len,
                    mpc_secure_error *err) {
    char mpath[PATH_MAX], epath[PATH_MAX];
    unsigned char *mtext = NULL, *enc = NULL;
    size_t mlen = 0, elen = 0;
    unsigned char wrapped[WRAPPED_LEN], iv[SEC_GCM_IV], hash[32], got[32], dk[32];
    mpc_share_meta m;
    abuf aad;
    int rc;
    if ((rc = path_of(mpath, err, keydir, "metadata.json", NULL)) != MPC_SECURE_OK ||
        (rc = path_of(epath, err, keydir, "share.enc", NULL)) != MPC_SECURE_OK ||
        (rc = sec_read_file(mpath, 0, MAX_METADATA, &mtext, &mlen, err)) != MPC_SECURE_OK)
        return rc;
    rc = parse_metadata(mpath, (const char *)mtext, mlen, &m, wrapped, iv, hash, err);
    free(mtext);
    if (rc != MPC_SECURE_OK) return rc;
    if (strcmp(m.key_id, key_id) != 0)
        return sec_fail(err, MPC_SECURE_ERR_INTEGRITY, "%s names key %s, not %s", mpath, m.key_id,
                        key_id);
    if (m.node_id != s->node_id)
        return sec_fail(err, MPC_SECURE_ERR_WRONG_NODE, "%s: share of node %d, this is node %d",
                        mpath, m.node_id, s->node_id);
    rc = sec_read_file(epath, 0, MPC_SHARE_MAX_BYTES + SEC_GCM_TAG, &enc, &elen, err);
    if (rc != MPC_SECURE_OK) return rc;
    if (!sec_sha256(got, enc, elen) || CRYPTO_memcmp(got, hash, 32) != 0 || elen <= SEC_GCM_TAG) {
        free(enc);
        return sec_fail(err, MPC_SECURE_ERR_INTEGRITY,
                        "%s does not match the SHA-256 recorded in metadata.json", epath);
    }
    wrap_aad(&aad, &m);
    if (!sec_gcm_decrypt(s->master, wrapped, aad.b, aad.n, wrapped + SEC_GCM_IV, 32,
                         wrapped + SEC_GCM_IV + 32, dk)) {
        free(enc);
        return sec_fail(err, MPC_SECURE_ERR_INTEGRITY,
                        "%s: cannot unwrap the data key (wrong master key, or the file was "
                        "altered or moved)",
                        mpath);
    }
    size_t n = elen - SEC_GCM_TAG;
    unsigned char *pt = malloc(n);
    share_aad(&aad, &m);
    int ok = pt != NULL && sec_gcm_decrypt(dk, iv, aad.b, aad.n, enc, n, enc + n, pt);
    OPENSSL_cleanse(dk, sizeof dk);
    free(enc);
    if (!ok) {
        mpc_secure_free_secret(pt, n);
        return pt == NULL ? sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory")
                          : sec_fail(err, MPC_SECURE_ERR_INTEGRITY,
                                     "%s does not authenticate against %s (altered)", epath, mpath);
    }
    if (meta != NULL) *meta = m;
    *share = pt;
    *len = n;
    return MPC_SECURE_OK;
}

static int load_share(mpc_share_store *s, mpc_share_meta *meta, unsigned char **share,
                      size_t *len, const char *key_id, int previous, mpc_secure_error *err) {
    MPC_ARG_CHECK(s != NULL && share != NULL && len != NULL && key_id != NULL);
    *share = NULL;
    *len = 0;
    if (!mpc_key_id_valid(key_id))
        return sec_fail(err, MPC_SECURE_ERR_INVALID_ID, "key id must match [A-Za-z0-9_-]{1,128}");
    char keydir[PATH_MAX];
    int rc = path_of(keydir, err, s->dir, key_id, previous ? "backup" : NULL);
    if (rc != MPC_SECURE_OK) return rc;
    int lock = lock_store(s, 0, err);
    if (lock < 0) return MPC_SECURE_ERR_IO;
    rc = load_dir(s, keydir, key_id, meta, share, len, err);
    close(lock);
    if (rc == MPC_SECURE_OK) sec_clear(err);
    return rc;
}

int mpc_share_store_load(mpc_share_store *store, mpc_share_meta *meta, unsigned char **share,
                         size_t *len, const char *key_id, mpc_secure_error *err) {
    return load_share(store, meta, share, len, key_id, 0, err);
}

int mpc_share_store_load_previous(mpc_share_store *store, mpc_share_meta *meta,
                                  unsigned char **share, size_t *len, const char *key_id,
                                  mpc_secure_error *err) {
    return load_share(store, meta, share, len, key_id, 1, err);
}
