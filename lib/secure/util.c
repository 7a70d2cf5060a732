/*
 * util.c - the private helpers of lib/secure (internal.h): error reporting,
 * hex, secret-file reading with the permission check, atomic file creation
 * and replacement, and the crash-injection hook used by the tests.
 *
 * Every file that holds a secret (identity key, master key) is created 0600
 * through a temporary file that is fsync'ed and then linked into place, so a
 * crash never leaves a half-written key under the final name, and an existing
 * key is never overwritten (link(2) refuses an existing target).
 */
#include "secure/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* ---- errors -------------------------------------------------------------- */

static void vfail(mpc_secure_error *err, mpc_secure_status code, const char *suffix,
                  const char *fmt, va_list ap) {
    if (err == NULL) return;
    err->code = code;
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    if (suffix != NULL && n >= 0 && (size_t)n < sizeof err->message)
        snprintf(err->message + n, sizeof err->message - (size_t)n, ": %s", suffix);
}

int sec_fail(mpc_secure_error *err, mpc_secure_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, NULL, fmt, ap);
    va_end(ap);
    return code;
}

int sec_fail_errno(mpc_secure_error *err, int errnum, const char *fmt, ...) {
    mpc_secure_status code = errnum == ENOENT ? MPC_SECURE_ERR_NOT_FOUND : MPC_SECURE_ERR_IO;
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, strerror(errnum), fmt, ap);
    va_end(ap);
    return code;
}

void sec_clear(mpc_secure_error *err) {
    if (err == NULL) return;
    err->code = MPC_SECURE_OK;
    err->message[0] = '\0';
}

const char *mpc_secure_status_name(int status) {
    static const char *const names[] = {
        "ok",           "nomem",         "rng",          "crypto",
        "io",           "permissions",   "format",       "exists",
        "not_found",    "invalid_id",    "malformed",    "unknown_sender",
        "unknown_recipient", "bad_signature", "not_for_me", "decrypt_failed",
        "duplicate",    "equivocation",  "limit",        "key_mismatch",
        "integrity",    "wrong_node",    "consumed",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0]) return "unknown_status";
    return names[status];
}

void mpc_secure_free_secret(void *p, size_t len) {
    if (p == NULL) return;
    OPENSSL_cleanse(p, len);
    free(p);
}

/* ---- encoding ------------------------------------------------------------ */

void sec_hex_encode(char *out, const unsigned char *in, size_t len) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_val(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int sec_hex_decode(unsigned char *out, size_t len, const char *hex, size_t hexlen) {
    if (hexlen != 2 * len) return 0;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return 0;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 1;
}

void sec_put_be32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}

void sec_put_be64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (56 - 8 * i));
}

/* ---- files ---------------------------------------------------------------- */

int sec_read_file(const char *path, int secret, size_t max, unsigned char **data, size_t *len,
                  mpc_secure_error *err) {
    MPC_ARG_CHECK(path != NULL && data != NULL && len != NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sec_fail_errno(err, errno, "cannot open %s", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sec_fail_errno(err, e, "cannot stat %s", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s is not a regular file", path);
    }
    if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        return sec_fail(err, MPC_SECURE_ERR_PERMISSIONS,
                        "%s holds a secret but has mode %04o (accessible by group or others); "
                        "run: chmod 600 %s",
                        path, (unsigned)(st.st_mode & 07777), path);
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return sec_fail(err, MPC_SECURE_ERR_LIMIT, "%s is larger than %zu bytes", path, max);
    }
    size_t cap = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(cap + 1);
    if (buf == NULL) {
        close(fd);
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory reading %s", path);
    }
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { /* error, or the file shrank under us */
            int e = r < 0 ? errno : EIO;
            close(fd);
            mpc_secure_free_secret(buf, cap + 1);
            return sec_fail_errno(err, e, "cannot read %s", path);
        }
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return MPC_SECURE_OK;
}

int sec_read_secret32(const char *path, const char *what, unsigned char out[32],
                      mpc_secure_error *err) {
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = sec_read_file(path, 1, 1024, &buf, &len, err);
    if (rc != MPC_SECURE_OK) return rc;
    size_t start = 0, end = len;
    while (start < end && strchr(" \t\r\n", buf[start]) != NULL) start++;
    while (end > start && strchr(" \t\r\n", buf[end - 1]) != NULL) end--;
    if (!sec_hex_decode(out, 32, (const char *)buf + start, end - start)) {
        OPENSSL_cleanse(out, 32);
        rc = sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s: %s must hold exactly 64 hex digits", path,
                      what);
    }
    mpc_secure_free_secret(buf, len + 1);
    return rc;
}

int sec_write_all(int fd, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno;
        if (w == 0) return EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int sec_fsync_dir(const char *path, int dir_of_path) {
    char dir[PATH_MAX];
    if (dir_of_path) {
        const char *slash = strrchr(path, '/');
        if (slash == NULL) {
            strcpy(dir, ".");
        } else if (slash == path) {
            strcpy(dir, "/");
        } else {
            size_t n = (size_t)(slash - path);
            if (n >= sizeof dir) return ENAMETOOLONG;
            memcpy(dir, path, n);
            dir[n] = '\0';
        }
        path = dir;
    }
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    int rc = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

int sec_temp_suffix(char out[40]) {
    unsigned char r[8];
    char hex[17];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) return 0;
    sec_hex_encode(hex, r, sizeof r);
    snprintf(out, 40, "%ld-%s", (long)getpid(), hex);
    return 1;
}

int sec_write_new_file(const char *path, const void *data, size_t len, unsigned mode,
                       mpc_secure_error *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) return sec_fail_errno(err, errno, "cannot create %s", path);
    int e = fchmod(fd, (mode_t)mode) != 0 ? errno : 0; /* exact mode, whatever the umask */
    if (e == 0) e = sec_write_all(fd, data, len);
    if (e == 0 && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && e == 0) e = errno;
    if (e != 0) {
        unlink(path);
        return sec_fail_errno(err, e, "cannot write %s", path);
    }
    return MPC_SECURE_OK;
}

/* Write data to a fresh temporary file next to path and fsync it; its name
 * goes to tmp (PATH_MAX bytes). */
static int write_temp(const char *path, const void *data, size_t len, unsigned mode, char *tmp,
                      mpc_secure_error *err) {
    char suffix[40];
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int dirlen = slash ? (int)(slash - path) + 1 : 0;
    if (!sec_temp_suffix(suffix)) return sec_fail(err, MPC_SECURE_ERR_RNG, "getrandom failed");
    int n = snprintf(tmp, PATH_MAX, "%.*s.%s.tmp-%s", dirlen, path, base, suffix);
    if (n < 0 || n >= PATH_MAX) return sec_fail(err, MPC_SECURE_ERR_IO, "path too long: %s", path);
    return sec_write_new_file(tmp, data, len, mode, err);
}

int sec_create_file_excl(const char *path, const void *data, size_t len, unsigned mode,
                         mpc_secure_error *err) {
    MPC_ARG_CHECK(path != NULL && (data != NULL || len == 0));
    char tmp[PATH_MAX];
    int rc = write_temp(path, data, len, mode, tmp, err);
    if (rc != MPC_SECURE_OK) return rc;
    int e = link(tmp, path) == 0 ? 0 : errno;
    unlink(tmp);
    if (e == EEXIST) return sec_fail(err, MPC_SECURE_ERR_EXISTS, "%s already exists", path);
    if (e != 0) return sec_fail_errno(err, e, "cannot create %s", path);
    if ((e = sec_fsync_dir(path, 1)) != 0)
        return sec_fail_errno(err, e, "cannot fsync the directory of %s", path);
    return MPC_SECURE_OK;
}

int sec_replace_file(const char *path, const void *data, size_t len, unsigned mode,
                     mpc_secure_error *err) {
    MPC_ARG_CHECK(path != NULL && (data != NULL || len == 0));
    char tmp[PATH_MAX];
    int rc = write_temp(path, data, len, mode, tmp, err);
    if (rc != MPC_SECURE_OK) return rc;
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return sec_fail_errno(err, e, "cannot rename %s to %s", tmp, path);
    }
    int e = sec_fsync_dir(path, 1);
    if (e != 0) return sec_fail_errno(err, e, "cannot fsync the directory of %s", path);
    return MPC_SECURE_OK;
}

/* ---- crash injection -------------------------------------------------------- */

static const char *crash_point;

void sec_test_crash_at(const char *point) { crash_point = point; }

int sec_crash_point(const char *point) {
    return crash_point != NULL && strcmp(crash_point, point) == 0;
}
