/* secure_test.h - helpers shared by the lib/secure unit tests: status checks
 * that print the status names and the error message, scratch directories,
 * and file tampering. CHECK, test_seed and test_ctx come from the engine's
 * test support (tests/engine/test_support.h). */
#ifndef MPC_TESTS_SECURE_TEST_H
#define MPC_TESTS_SECURE_TEST_H

#include <stddef.h>
#include <sys/types.h>

#include "secure/secure.h"
#include "test_support.h"

/* The last error filled by the code under test. */
extern mpc_secure_error test_err;

/* Check that expr returns status want; on mismatch print both names and
 * test_err.message, then exit. */
#define CHECK_RC(expr, want)                                                         \
    do {                                                                             \
        int got_ = (expr);                                                           \
        if (got_ != (int)(want)) {                                                   \
            fprintf(stderr, "%s:%d: %s returned %s, want %s (%s)\n", __FILE__,       \
                    __LINE__, #expr, mpc_secure_status_name(got_),                   \
                    mpc_secure_status_name(want), test_err.message);                 \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* Check that test_err.message contains needle. */
#define CHECK_MSG(needle)                                                            \
    do {                                                                             \
        if (strstr(test_err.message, (needle)) == NULL) {                            \
            fprintf(stderr, "%s:%d: error message \"%s\" lacks \"%s\"\n", __FILE__,  \
                    __LINE__, test_err.message, (needle));                           \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* A fresh directory under $TMPDIR (or /tmp); malloc'ed path. */
char *scratch_dir(const char *tag);
/* Remove a directory tree. */
void remove_tree(const char *dir);
/* path = a "/" b into out (PATH_MAX bytes). Returns out. */
char *join(char *out, const char *a, const char *b);
/* Write text to path with mode (replacing it). */
void write_text(const char *path, const char *text, mode_t mode);
/* Read a whole file; malloc'ed, NUL-terminated; *len its length (may be NULL). */
char *read_text(const char *path, size_t *len);
/* XOR the byte at offset with mask. */
void flip_byte(const char *path, size_t offset, unsigned char mask);
/* Returns: the file's permission bits, or -1 if it does not exist. */
int file_mode(const char *path);

/* Returns: how many entries of dir have names starting with prefix. */
int count_prefix(const char *dir, const char *prefix);

#endif
