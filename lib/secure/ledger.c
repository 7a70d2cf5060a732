/*
 * ledger.c - the append-only, fsync'ed usage ledger (ledger.h).
 *
 * The handle remembers how many bytes of the file it has parsed; every
 * operation takes the flock, parses whatever was appended since (by this or
 * another process), then checks or appends. Appends use O_APPEND and are
 * followed by fdatasync before success is reported.
 *
 * Threads: the flock only separates processes (it belongs to the open file,
 * which every thread of the process shares), so a mutex serialises the
 * threads of this process around every operation on the handle.
 */
#include "secure/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secure/internal.h"

static const char HEADER[] = "mpc.v1.ledger\n";
#define CHECK_HEX 8
#define RECORD_MAX (MPC_LEDGER_ID_MAX + 1 + CHECK_HEX + 1)

struct mpc_ledger {
    char *path;
    int fd;
    off_t parsed;     /* bytes of the file already parsed */
    size_t line;      /* lines parsed, for messages */
    sec_strset ids;   /* consumed ids (values unused) */
    pthread_mutex_t lock; /* this process's threads: held around every operation */
};

int mpc_ledger_id_valid(const char *id) {
    if (id == NULL) return 0;
    size_t n = strlen(id);
    return n >= 1 && n <= MPC_LEDGER_ID_MAX &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") == n;
}

/* "<id> <check>\n" into out (RECORD_MAX + 1 bytes). Returns: its length, or 0. */
static size_t format_record(char *out, const char *id) {
    unsigned char h[32];
    char hex[65];
    if (!sec_sha256(h, id, strlen(id))) return 0;
    sec_hex_encode(hex, h, CHECK_HEX / 2);
    size_t n = strlen(id);
    memcpy(out, id, n);
    out[n] = ' ';
    memcpy(out + n + 1, hex, CHECK_HEX);
    out[n + 1 + CHECK_HEX] = '\n';
    return n + 2 + CHECK_HEX;
}

/* Parse one complete line (without its newline) into the set. */
static int parse_record(mpc_ledger *l, const char *line, size_t len, mpc_secure_error *err) {
    char id[RECORD_MAX + 1], want[RECORD_MAX + 1];
    const char *sp = memchr(line, ' ', len);
    size_t idlen = sp ? (size_t)(sp - line) : 0;
    if (sp != NULL && idlen <= MPC_LEDGER_ID_MAX) {
        memcpy(id, line, idlen);
        id[idlen] = '\0';
    }
    if (sp == NULL || idlen > MPC_LEDGER_ID_MAX || !mpc_ledger_id_valid(id) ||
        format_record(want, id) != len + 1 || memcmp(want, line, len) != 0)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s:%zu: corrupt record", l->path, l->line);
    int found = 0;
    MPC_IGNORE(sec_strset_get(&l->ids, id, &found));
    if (!found && !sec_strset_add(&l->ids, id, NULL))
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    return MPC_SECURE_OK;
}

/* Parse what was appended since l->parsed; with repair (exclusive lock), cut
 * off a torn last line. */
static int catch_up(mpc_ledger *l, int repair, mpc_secure_error *err) {
    struct stat st;
    if (fstat(l->fd, &st) != 0) return sec_fail_errno(err, errno, "cannot stat %s", l->path);
    if (st.st_size < l->parsed)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s shrank: it was truncated by hand", l->path);
    size_t n = (size_t)(st.st_size - l->parsed);
    if (n == 0) return MPC_SECURE_OK;
    char *buf = malloc(n);
    if (buf == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(l->fd, buf + got, n - got, l->parsed + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            free(buf);
            return sec_fail_errno(err, r < 0 ? errno : EIO, "cannot read %s", l->path);
        }
        got += (size_t)r;
    }
    int rc = MPC_SECURE_OK;
    size_t pos = 0;
    while (rc == MPC_SECURE_OK) {
        char *nl = memchr(buf + pos, '\n', n - pos);
        if (nl == NULL) break;
        size_t len = (size_t)(nl - (buf + pos));
        l->line++;
        if (l->parsed == 0 && pos == 0) {
            if (len + 1 != sizeof HEADER - 1 || memcmp(buf, HEADER, len + 1) != 0)
                rc = sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s is not a ledger (bad header)",
                              l->path);
        } else {
            rc = parse_record(l, buf + pos, len, err);
        }
        pos += len + 1;
    }
    free(buf);
    if (rc != MPC_SECURE_OK) return rc;
    l->parsed += (off_t)pos;
    if (pos < n && repair) { /* torn tail of a crashed append: never reported consumed */
        if (ftruncate(l->fd, l->parsed) != 0 || fdatasync(l->fd) != 0)
            return sec_fail_errno(err, errno, "cannot cut the torn record off %s", l->path);
    }
    return MPC_SECURE_OK;
}

/* Append bytes and make them durable; on failure try to take them back. */
static int append(mpc_ledger *l, const char *data, size_t len, mpc_secure_error *err) {
    int e = sec_write_all(l->fd, data, len);
    if (e == 0 && fdatasync(l->fd) != 0) e = errno;
    if (e != 0) {
        MPC_IGNORE(ftruncate(l->fd, l->parsed));
        return sec_fail_errno(err, e, "cannot append to %s", l->path);
    }
    l->parsed += (off_t)len;
    l->line++;
    return MPC_SECURE_OK;
}

static int lock(mpc_ledger *l, int op, mpc_secure_error *err) {
    while (flock(l->fd, op) != 0)
        if (errno != EINTR) return sec_fail_errno(err, errno, "cannot lock %s", l->path);
    return MPC_SECURE_OK;
}

static void unlock(mpc_ledger *l) { MPC_IGNORE(flock(l->fd, LOCK_UN)); }

int mpc_ledger_open(mpc_ledger **out, const char *path, mpc_secure_error *err) {
    MPC_ARG_CHECK(out != NULL && path != NULL);
    *out = NULL;
    mpc_ledger *l = calloc(1, sizeof *l);
    if (l == NULL || (l->path = strdup(path)) == NULL) {
        free(l);
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    }
    l->fd = -1;
    int merr = pthread_mutex_init(&l->lock, NULL);
    if (merr != 0) {
        free(l->path);
        free(l);
        return sec_fail_errno(err, merr, "cannot create the ledger's mutex");
    }
    int created = 1;
    l->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (l->fd < 0 && errno == EEXIST) {
        created = 0;
        l->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    }
    int rc = MPC_SECURE_OK;
    struct stat st;
    if (l->fd < 0) {
        rc = sec_fail_errno(err, errno, "cannot open %s", path);
    } else if (fstat(l->fd, &st) != 0) {
        rc = sec_fail_errno(err, errno, "cannot stat %s", path);
    } else if (!S_ISREG(st.st_mode)) {
        rc = sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s is not a regular file", path);
    } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        rc = sec_fail(err, MPC_SECURE_ERR_PERMISSIONS,
                      "%s is writable by group or others (mode %04o); run: chmod 600 %s", path,
                      (unsigned)(st.st_mode & 07777), path);
    } else if ((rc = lock(l, LOCK_EX, err)) == MPC_SECURE_OK) {
        rc = catch_up(l, 1, err);
        /* New, or created by a process that died before its header was whole. */
        if (rc == MPC_SECURE_OK && l->parsed == 0) rc = append(l, HEADER, sizeof HEADER - 1, err);
        unlock(l);
        if (rc == MPC_SECURE_OK && created) {
            int e = sec_fsync_dir(path, 1);
            if (e != 0) rc = sec_fail_errno(err, e, "cannot fsync the directory of %s", path);
        }
    }
    if (rc != MPC_SECURE_OK) {
        mpc_ledger_close(l);
        return rc;
    }
    *out = l;
    sec_clear(err);
    return MPC_SECURE_OK;
}

void mpc_ledger_close(mpc_ledger *ledger) {
    if (ledger == NULL) return;
    if (ledger->fd >= 0) close(ledger->fd);
    sec_strset_free(&ledger->ids);
    pthread_mutex_destroy(&ledger->lock);
    free(ledger->path);
    free(ledger);
}

static int check_or_consume(mpc_ledger *l, const char *id, int consume, mpc_secure_error *err) {
    MPC_ARG_CHECK(l != NULL && id != NULL);
    if (!mpc_ledger_id_valid(id))
        return sec_fail(err, MPC_SECURE_ERR_INVALID_ID, "ledger id must match [A-Za-z0-9_.:-]{1,%d}",
                        MPC_LEDGER_ID_MAX);
    pthread_mutex_lock(&l->lock);
    int rc = lock(l, consume ? LOCK_EX : LOCK_SH, err);
    if (rc != MPC_SECURE_OK) {
        pthread_mutex_unlock(&l->lock);
        return rc;
    }
    int found = 0;
    if ((rc = catch_up(l, consume, err)) == MPC_SECURE_OK) {
        MPC_IGNORE(sec_strset_get(&l->ids, id, &found));
        if (found) {
            rc = sec_fail(err, MPC_SECURE_ERR_CONSUMED, "%s was already consumed (%s)", id, l->path);
        } else if (consume) {
            char rec[RECORD_MAX + 1];
            size_t n = format_record(rec, id);
            if (n == 0)
                rc = sec_fail(err, MPC_SECURE_ERR_CRYPTO, "SHA-256 failed");
            else if ((rc = append(l, rec, n, err)) == MPC_SECURE_OK &&
                     !sec_strset_add(&l->ids, id, NULL))
                rc = sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory (%s is recorded)", id);
        }
    }
    unlock(l);
    pthread_mutex_unlock(&l->lock);
    if (rc == MPC_SECURE_OK) sec_clear(err);
    return rc;
}

int mpc_ledger_consume(mpc_ledger *ledger, const char *id, mpc_secure_error *err) {
    return check_or_consume(ledger, id, 1, err);
}

int mpc_ledger_check(mpc_ledger *ledger, const char *id, mpc_secure_error *err) {
    return check_or_consume(ledger, id, 0, err);
}

size_t mpc_ledger_count(mpc_ledger *ledger) {
    MPC_ARG_CHECK(ledger != NULL);
    pthread_mutex_lock(&ledger->lock);
    size_t n = ledger->ids.count;
    pthread_mutex_unlock(&ledger->lock);
    return n;
}
