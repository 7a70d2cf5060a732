/* errors.c - names of error codes and the abort path for programming errors. */
#include "engine/errors.h"

#include <stdio.h>
#include <stdlib.h>

const char *mpc_err_str(mpc_err_code code) {
    switch (code) {
    case MPC_OK: return "ok";
    case MPC_ERR_CONFIG: return "invalid configuration";
    case MPC_ERR_MALFORMED: return "malformed message";
    case MPC_ERR_VERSION: return "unknown version or protocol";
    case MPC_ERR_WRONG_SESSION: return "wrong session";
    case MPC_ERR_NOT_PARTICIPANT: return "sender not in session";
    case MPC_ERR_SENDER_MISMATCH: return "envelope sender mismatch";
    case MPC_ERR_WRONG_RECIPIENT: return "wrong recipient or message kind";
    case MPC_ERR_BAD_ROUND: return "bad round";
    case MPC_ERR_DUPLICATE: return "duplicate message";
    case MPC_ERR_EQUIVOCATION: return "equivocation (conflicting messages)";
    case MPC_ERR_COMMITMENT_COUNT: return "wrong commitment count";
    case MPC_ERR_BAD_PROOF: return "bad proof of knowledge";
    case MPC_ERR_BAD_SHARE: return "bad secret share";
    case MPC_ERR_BAD_SIG_SHARE: return "bad signature share";
    case MPC_ERR_BAD_SIGNATURE: return "bad signature";
    case MPC_ERR_NONCE_USED: return "nonce already used";
    case MPC_ERR_BAD_COMMITMENTS: return "bad signing commitments";
    case MPC_ERR_BAD_DECOMMITMENT: return "bad decommitment";
    case MPC_ERR_STATE: return "wrong state";
    case MPC_ERR_RNG: return "randomness source failed";
    case MPC_ERR_NOMEM: return "out of memory";
    case MPC_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

const char *mpc_err_name(mpc_err_code code) {
    switch (code) {
    case MPC_OK: return "OK";
    case MPC_ERR_CONFIG: return "CONFIG";
    case MPC_ERR_MALFORMED: return "MALFORMED";
    case MPC_ERR_VERSION: return "VERSION";
    case MPC_ERR_WRONG_SESSION: return "WRONG_SESSION";
    case MPC_ERR_NOT_PARTICIPANT: return "NOT_PARTICIPANT";
    case MPC_ERR_SENDER_MISMATCH: return "SENDER_MISMATCH";
    case MPC_ERR_WRONG_RECIPIENT: return "WRONG_RECIPIENT";
    case MPC_ERR_BAD_ROUND: return "BAD_ROUND";
    case MPC_ERR_DUPLICATE: return "DUPLICATE";
    case MPC_ERR_EQUIVOCATION: return "EQUIVOCATION";
    case MPC_ERR_COMMITMENT_COUNT: return "COMMITMENT_COUNT";
    case MPC_ERR_BAD_PROOF: return "BAD_PROOF";
    case MPC_ERR_BAD_SHARE: return "BAD_SHARE";
    case MPC_ERR_BAD_SIG_SHARE: return "BAD_SIG_SHARE";
    case MPC_ERR_BAD_SIGNATURE: return "BAD_SIGNATURE";
    case MPC_ERR_NONCE_USED: return "NONCE_USED";
    case MPC_ERR_BAD_COMMITMENTS: return "BAD_COMMITMENTS";
    case MPC_ERR_BAD_DECOMMITMENT: return "BAD_DECOMMITMENT";
    case MPC_ERR_STATE: return "STATE";
    case MPC_ERR_RNG: return "RNG";
    case MPC_ERR_NOMEM: return "NOMEM";
    case MPC_ERR_INTERNAL: return "INTERNAL";
    }
    return "UNKNOWN";
}

int mpc_err_is_rejection(mpc_err_code code) {
    switch (code) {
    case MPC_ERR_VERSION:
    case MPC_ERR_WRONG_SESSION:
    case MPC_ERR_NOT_PARTICIPANT:
    case MPC_ERR_SENDER_MISMATCH:
    case MPC_ERR_WRONG_RECIPIENT:
    case MPC_ERR_BAD_ROUND:
    case MPC_ERR_DUPLICATE:
    case MPC_ERR_STATE:
        return 1;
    default:
        return 0;
    }
}

void mpc_arg_fail(const char *cond, const char *func) {
    fprintf(stderr, "mpc_engine: illegal argument in %s: %s\n", func, cond);
    abort();
}
