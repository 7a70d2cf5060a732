/* errors.h - error codes and the culprit-carrying error value of the engine.
 *
 * Two kinds of failure exist (see STYLE.md): a caller's programming error
 * (NULL where not allowed, calling a function in the wrong state) aborts
 * through MPC_ARG_CHECK; bad *data* (an invalid share, a failed proof, a
 * malformed message) is an ordinary error return carrying an mpc_err_code and,
 * when a remote party is to blame, the identifier of that party (the culprit).
 */
#ifndef MPC_ENGINE_ERRORS_H
#define MPC_ENGINE_ERRORS_H

#include <stdint.h>

#define MPC_WUR __attribute__((warn_unused_result))
/* Discard a result whose failure case is already handled by construction
 * (a cast to void does not silence warn_unused_result in GCC). */
#define MPC_IGNORE(expr) \
    do {                 \
        if (expr) {      \
        }                \
    } while (0)

typedef enum mpc_err_code {
    MPC_OK = 0,
    MPC_ERR_CONFIG,           /* invalid configuration (t > n, bad id, ...) */
    MPC_ERR_MALFORMED,        /* bytes do not parse: truncated, oversized,
                                 trailing garbage, non-canonical encoding */
    MPC_ERR_VERSION,          /* unknown wire version or protocol id */
    MPC_ERR_WRONG_SESSION,    /* message belongs to another session */
    MPC_ERR_NOT_PARTICIPANT,  /* sender is not a member of this session */
    MPC_ERR_SENDER_MISMATCH,  /* envelope sender != authenticated sender */
    MPC_ERR_WRONG_RECIPIENT,  /* point-to-point message for someone else, or
                                 broadcast/p2p kind wrong for the round */
    MPC_ERR_BAD_ROUND,        /* round number outside the protocol */
    MPC_ERR_DUPLICATE,        /* identical copy of an accepted message */
    MPC_ERR_EQUIVOCATION,     /* a different message for a slot already filled */
    MPC_ERR_COMMITMENT_COUNT, /* wrong number of Feldman commitments */
    MPC_ERR_BAD_PROOF,        /* proof of knowledge does not verify */
    MPC_ERR_BAD_SHARE,        /* secret share inconsistent with commitments */
    MPC_ERR_BAD_SIG_SHARE,    /* signature share does not verify */
    MPC_ERR_BAD_SIGNATURE,    /* aggregate signature does not verify */
    MPC_ERR_NONCE_USED,       /* secret nonce already consumed or invalid */
    MPC_ERR_BAD_COMMITMENTS,  /* signing commitment list invalid (unsorted,
                                 missing own entry, identity element, ...) */
    MPC_ERR_STATE,            /* operation not possible in the current state */
    MPC_ERR_RNG,              /* the randomness source failed */
    MPC_ERR_NOMEM,            /* memory allocation failed */
    MPC_ERR_INTERNAL,         /* negligible-probability event (zero scalar) */
    MPC_ERR_BAD_DECOMMITMENT  /* a revealed value does not open its commitment (GG) */
} mpc_err_code;

/* An error and the party to blame. culprit == 0 means "nobody remote":
 * local configuration or resource problem. */
typedef struct mpc_error {
    mpc_err_code code;
    uint16_t culprit;
} mpc_error;

/* Returns: a static, human readable name for code (never NULL). */
const char *mpc_err_str(mpc_err_code code);

/* Returns: the code's stable, upper-case identifier without the MPC_ERR_
 * prefix ("BAD_SIG_SHARE", "OK"; "UNKNOWN" for a value outside the enum),
 * for machine-readable records (aborts on mpc.rounds, the audit log). */
const char *mpc_err_name(mpc_err_code code);

/* Returns: 1 if an error with this code, reported by a party's message
 * handler, leaves the party unchanged (the message was simply rejected:
 * duplicates, foreign sessions, non-members), 0 if it is fatal for the
 * session. */
int mpc_err_is_rejection(mpc_err_code code);

/* Programming-error check: prints the failed condition and aborts. */
void mpc_arg_fail(const char *cond, const char *func) __attribute__((noreturn));
#define MPC_ARG_CHECK(cond)                                                   \
    do {                                                                      \
        if (!(cond)) mpc_arg_fail(#cond, __func__);                           \
    } while (0)

#endif
