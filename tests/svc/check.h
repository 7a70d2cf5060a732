/* check.h - minimal assertion helpers for the lib/svc tests.
 * CHECK(cond) records a failure with file:line and continues, so one run
 * reports every broken expectation; CHECK_DONE() prints a summary and
 * returns the exit status from main(). */
#ifndef MPC_TESTS_SVC_CHECK_H
#define MPC_TESTS_SVC_CHECK_H

#include <stdio.h>

static int check_failures, check_count;

#define CHECK(cond)                                                            \
    do {                                                                       \
        check_count++;                                                         \
        if (!(cond)) {                                                         \
            check_failures++;                                                  \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                      \
    } while (0)

#define CHECK_DONE()                                                           \
    (printf("%d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)

#endif
