/*
 * secure/secure.h - status codes and error details shared by every part of
 * lib/secure (node identity keys, the roster, round-message protection, the
 * replay filter, the encrypted share store and the usage ledger).
 *
 * Conventions of every lib/secure header (as in libsecp256k1's headers):
 *  - Pointer arguments are never NULL unless the documentation says so.
 *    Passing NULL where it is not allowed, or an argument outside its
 *    documented range, is a programming error: it aborts through
 *    MPC_ARG_CHECK (lib/engine/errors.h).
 *  - Bad *data* (a tampered file, a forged message, a missing key) is an
 *    ordinary return value: an mpc_secure_status other than MPC_SECURE_OK,
 *    with one line of detail (naming the file or the field) in the optional
 *    mpc_secure_error.
 *  - Argument order: context, outputs, inputs, then the optional error
 *    (objects operated on come first).
 *  - Secret bytes handed to the caller (decrypted payloads, key shares) are
 *    heap buffers to be released with mpc_secure_free_secret(), which wipes
 *    them first.
 *
 * See docs/security.md for the threat model and the file and wire formats.
 */
#ifndef MPC_SECURE_SECURE_H
#define MPC_SECURE_SECURE_H

#include <stddef.h>

#include "engine/errors.h" /* MPC_WUR, MPC_ARG_CHECK */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mpc_secure_status {
    MPC_SECURE_OK = 0,
    /* resources */
    MPC_SECURE_ERR_NOMEM,             /* allocation failed */
    MPC_SECURE_ERR_RNG,               /* the randomness source failed */
    MPC_SECURE_ERR_CRYPTO,            /* a crypto library call failed unexpectedly */
    MPC_SECURE_ERR_IO,                /* a file-system call failed (errno text in the message) */
    /* files */
    MPC_SECURE_ERR_PERMISSIONS,       /* a secret file is accessible by group or others */
    MPC_SECURE_ERR_FORMAT,            /* a file does not parse or breaks its rules */
    MPC_SECURE_ERR_EXISTS,            /* write-once target already exists */
    MPC_SECURE_ERR_NOT_FOUND,         /* no such file or key */
    MPC_SECURE_ERR_INVALID_ID,        /* a key id / ledger id outside its alphabet or length */
    /* round messages */
    MPC_SECURE_ERR_MALFORMED,         /* message structurally invalid (not attributable) */
    MPC_SECURE_ERR_UNKNOWN_SENDER,    /* `from` not in the roster */
    MPC_SECURE_ERR_UNKNOWN_RECIPIENT, /* `to` not in the roster */
    MPC_SECURE_ERR_BAD_SIGNATURE,     /* signature does not verify (not attributable) */
    MPC_SECURE_ERR_NOT_FOR_ME,        /* validly signed point-to-point message for another node */
    MPC_SECURE_ERR_DECRYPT,           /* validly signed, addressed to me, does not decrypt: sender's fault */
    MPC_SECURE_ERR_DUPLICATE,         /* identical copy of a message already accepted */
    MPC_SECURE_ERR_EQUIVOCATION,      /* a different signed message for a slot already filled: sender's fault */
    MPC_SECURE_ERR_LIMIT,             /* a size or count limit is exceeded */
    MPC_SECURE_ERR_KEY_MISMATCH,      /* identity key does not match the roster entry of this node */
    /* share store */
    MPC_SECURE_ERR_INTEGRITY,         /* hash or AES-GCM tag check failed: tampering or wrong master key */
    MPC_SECURE_ERR_WRONG_NODE,        /* share belongs to another node */
    /* ledger */
    MPC_SECURE_ERR_CONSUMED           /* id already consumed */
} mpc_secure_status;

/* Details of a failure: the status again and one line of text that names
 * the file, key or field concerned. */
typedef struct mpc_secure_error {
    mpc_secure_status code;
    char message[320];
} mpc_secure_error;

/* Returns: a static, stable lowercase name for a status, e.g.
 *          "bad_signature" (usable as a metrics label or a DLQ reason code);
 *          "unknown_status" for values out of range. */
const char *mpc_secure_status_name(int status);

/* Wipe (OPENSSL_cleanse) and free a secret buffer. p may be NULL. */
void mpc_secure_free_secret(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_SECURE_H */
