/*
 * secure/internal.h - helpers private to lib/secure: error reporting, hex,
 * big-endian integers, secret-file and atomic-file I/O, the AES-256-GCM /
 * HKDF / SHA-256 wrappers and a small string set. Not installed; tests may
 * include it (for the crash-injection hook).
 */
#ifndef MPC_SECURE_INTERNAL_H
#define MPC_SECURE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <secp256k1.h>

#include "engine/ctx.h"
#include "secure/secure.h"

/* ---- errors -------------------------------------------------------------- */

/* Record status `code` and a printf-style message in err (err may be NULL).
 * Returns: code (so callers write `return sec_fail(err, ...)`). */
int sec_fail(mpc_secure_error *err, mpc_secure_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As sec_fail, with ": <strerror(errnum)>" appended; code MPC_SECURE_ERR_IO
 * (MPC_SECURE_ERR_NOT_FOUND when errnum is ENOENT). */
int sec_fail_errno(mpc_secure_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set err to MPC_SECURE_OK with an empty message (err may be NULL). */
void sec_clear(mpc_secure_error *err);

/* ---- encoding ------------------------------------------------------------ */

/* Lowercase hex of in[0..len) into out (2*len+1 bytes, NUL-terminated). */
void sec_hex_encode(char *out, const unsigned char *in, size_t len);
/* Decode exactly 2*len hex digits (either case) from hex[0..hexlen).
 * Returns: 1 on success, 0 if hexlen != 2*len or a character is not hex. */
MPC_WUR int sec_hex_decode(unsigned char *out, size_t len, const char *hex, size_t hexlen);
void sec_put_be32(unsigned char *p, uint32_t v);
void sec_put_be64(unsigned char *p, uint64_t v);

/* ---- files ---------------------------------------------------------------- */

/* Largest file sec_read_file reads. */
#define SEC_MAX_FILE (4u * 1024u * 1024u)

/* Read a whole regular file (at most max bytes) into a malloc'ed buffer with a
 * NUL appended (not counted in *len). If secret, the file must not be
 * accessible by group or others (MPC_SECURE_ERR_PERMISSIONS otherwise).
 * Returns: MPC_SECURE_OK, _NOT_FOUND, _IO, _PERMISSIONS, _LIMIT, _NOMEM. */
MPC_WUR int sec_read_file(const char *path, int secret, size_t max, unsigned char **data,
                          size_t *len, mpc_secure_error *err);

/* Read a secret file holding exactly 32 bytes as 64 hex digits (surrounding
 * whitespace allowed), mode checked as in sec_read_file. `what` names the
 * file's purpose in messages ("identity key", "master key").
 * Returns: MPC_SECURE_OK, _NOT_FOUND, _IO, _PERMISSIONS, _FORMAT, _NOMEM. */
MPC_WUR int sec_read_secret32(const char *path, const char *what, unsigned char out[32],
                              mpc_secure_error *err);

/* Create a new file (O_CREAT|O_EXCL, exactly `mode`), write data, fsync it.
 * The directory is not fsync'ed. On failure the file is removed.
 * Returns: MPC_SECURE_OK, _NOT_FOUND (no such directory), _IO (incl. EEXIST). */
MPC_WUR int sec_write_new_file(const char *path, const void *data, size_t len, unsigned mode,
                               mpc_secure_error *err);

/* Create `path` holding `len` bytes with the given mode, atomically and only
 * if it does not exist: a temporary file in the same directory is written
 * (O_CREAT|O_EXCL, mode), fsync'ed, hard-linked to path (link(2) fails if path
 * exists), unlinked, and the directory fsync'ed. A crash leaves either no
 * file or the complete file (plus, at worst, a ".<name>.tmp-*" leftover).
 * Returns: MPC_SECURE_OK, _EXISTS, _IO, _RNG. */
MPC_WUR int sec_create_file_excl(const char *path, const void *data, size_t len, unsigned mode,
                                 mpc_secure_error *err);

/* Replace `path` atomically: temporary file, fsync, rename(2), fsync dir.
 * Returns: MPC_SECURE_OK, _IO, _RNG. */
MPC_WUR int sec_replace_file(const char *path, const void *data, size_t len, unsigned mode,
                             mpc_secure_error *err);

/* Write all of data to fd, retrying short writes and EINTR.
 * Returns: 0 on success, else an errno value. */
int sec_write_all(int fd, const void *data, size_t len);

/* fsync the directory that contains path (dir_of_path=1) or path itself.
 * Returns: 0 on success, else an errno value. */
int sec_fsync_dir(const char *path, int dir_of_path);

/* A unique-enough suffix for temporary names: pid and 8 random bytes (hex).
 * out must hold 40 bytes. Returns: 1, or 0 if the OS RNG failed. */
MPC_WUR int sec_temp_suffix(char out[40]);

/* ---- crypto ----------------------------------------------------------------- */

#define SEC_GCM_IV 12
#define SEC_GCM_TAG 16

/* AES-256-GCM. ct may equal pt. Returns: 1 on success, 0 on library failure
 * (encrypt) or authentication failure (decrypt). */
MPC_WUR int sec_gcm_encrypt(const unsigned char key[32], const unsigned char iv[SEC_GCM_IV],
                            const unsigned char *aad, size_t aadlen, const unsigned char *pt,
                            size_t len, unsigned char *ct, unsigned char tag[SEC_GCM_TAG]);
MPC_WUR int sec_gcm_decrypt(const unsigned char key[32], const unsigned char iv[SEC_GCM_IV],
                            const unsigned char *aad, size_t aadlen, const unsigned char *ct,
                            size_t len, const unsigned char tag[SEC_GCM_TAG], unsigned char *pt);
/* HKDF-SHA256 (RFC 5869) to a 32-byte key. Returns: 1 on success, 0 on failure. */
MPC_WUR int sec_hkdf_sha256(unsigned char out[32], const unsigned char *ikm, size_t ikmlen,
                            const unsigned char *salt, size_t saltlen, const unsigned char *info,
                            size_t infolen);
/* SHA-256. Returns: 1 on success, 0 on failure. */
MPC_WUR int sec_sha256(unsigned char out[32], const void *data, size_t len);

/* ---- identity ------------------------------------------------------------- */

typedef struct mpc_identity mpc_identity;

/* ECDH: the 32-byte x coordinate of secret(id) * peer (no hashing; the caller
 * runs it through HKDF). Returns: 1 on success, 0 on failure. */
MPC_WUR int sec_identity_ecdh(const mpc_engine_ctx *ctx, unsigned char out[32],
                              const mpc_identity *id, const secp256k1_pubkey *peer);

/* ---- string set --------------------------------------------------------- */

/* An open-addressing set of NUL-terminated strings, each with a pointer-sized
 * value. Keys are copied; values are owned by the caller. */
typedef struct sec_strset {
    char **keys;
    void **vals;
    size_t cap; /* power of two, 0 when empty */
    size_t count;
} sec_strset;

/* Returns: the slot value of key, or NULL if absent (found set to 1/0). */
void *sec_strset_get(const sec_strset *s, const char *key, int *found);
/* Insert key (must be absent). Returns: 1, or 0 on allocation failure. */
MPC_WUR int sec_strset_add(sec_strset *s, const char *key, void *val);
/* Remove key if present. Returns: its value, or NULL. */
void *sec_strset_remove(sec_strset *s, const char *key);
/* Free the set's own memory (not the values). */
void sec_strset_free(sec_strset *s);

/* ---- crash injection (tests) ---------------------------------------------- */

/* When `point` equals the name set by sec_test_crash_at, the operation stops
 * right there and returns MPC_SECURE_ERR_IO without any cleanup, as if the
 * process had died. Points: "share.staged" (new key dir complete, before it
 * is published), "share.swapped" (replace: new dir published, old one not yet
 * removed). NULL disables. Not thread-safe; tests only. */
void sec_test_crash_at(const char *point);
int sec_crash_point(const char *point);

#endif /* MPC_SECURE_INTERNAL_H */
