/* step.h - the engine work of one participant session input: what a worker
 * thread (workers.h) runs for main.c.
 *
 *   st_start  session_start: records the session in the nonce ledger, then
 *             creates the parties (FROST here, GG18/GG20 through gg.h),
 *             which draws their nonces and queues round 1
 *   st_feed   a protocol bundle from another participant: feeds the
 *             parties (GG through gg_run_handle, which may take an inline
 *             GG20 session online)
 *
 * Each collects, in st_result, the bundles the parties queued (with their
 * transport round numbers, ready to seal and send) and, when the session
 * ended, either the `output` payload (a keygen's key package is stored in
 * the share store first, a presign session's presignatures in the
 * presignature store) or the abort to send (code, culprit, message). No
 * Kafka, no lib/rounds, no session table: main.c does all I/O on its loop.
 *
 * Threads: a step uses only its own session's description (read-only) and
 * engine state (st_engine), and the shared objects of st_env, each of which
 * is safe to use from several threads at once (see st_env). The caller
 * runs at most one step of a session at a time.
 */
#ifndef MPC_PARTICIPANT_STEP_H
#define MPC_PARTICIPANT_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "engine/ctx.h"
#include "gg.h"
#include "pipeline/batch.h"
#include "pipeline/session.h"
#include "secure/ledger.h"
#include "secure/share_store.h"

/* What every step shares (borrowed; outlives the steps). */
typedef struct {
    /* Immutable after creation: its secp256k1 context is randomized once and
     * then only used through const pointers (libsecp256k1: safe from many
     * threads), its rng is the OS's (getrandom, no state). */
    const mpc_engine_ctx *ctx;
    mpc_share_store *shares; /* thread-safe: immutable handle, a flock per call */
    mpc_ledger *ledger;      /* thread-safe: a mutex per operation */
    gg_node *gg;             /* thread-safe: see gg.h */
    int self;
} st_env;

/* A session's engine state: created by st_start, advanced by st_feed. */
typedef struct {
    pl_batch *batch;
    gg_run *gg; /* GG sessions only */
} st_engine;

typedef enum {
    ST_RUNNING = 0, /* waiting for more bundles */
    ST_DONE,        /* send `output`; the session is over */
    ST_FAILED       /* send `abort`; the session is over */
} st_status;

typedef struct {
    pl_bundle *out; /* bundles to send, in this order; round = transport round */
    size_t nout, cap;
    st_status status;
    int started;            /* 1 once the session had parties (it counts as finished or failed) */
    unsigned char *output;  /* ST_DONE: the `output` payload (public data) */
    size_t output_len;
    const char *code;       /* ST_FAILED: abort code (static string) */
    int culprit;            /* ST_FAILED: node to blame, 0 for none */
    char message[256];      /* ST_FAILED: abort message (published: no paths, no secrets) */
} st_result;

/* Starts session d: ledger record, parties, round 1. res must be zeroed;
 * eng must be empty and is filled when parties were made. */
void st_start(const st_env *env, const pl_session *d, st_engine *eng, st_result *res);

/* Feeds a bundle from participant `from` to a started session. res must be
 * zeroed. A bundle the parties reject as not theirs (wrong round, a
 * duplicate) changes nothing: ST_RUNNING, no bundles. */
void st_feed(const st_env *env, const pl_session *d, st_engine *eng, const unsigned char *bundle, size_t len,
             uint16_t from, st_result *res);

/* Frees a session's parties and GG state (wiping secrets); leaves eng empty. */
void st_engine_clear(st_engine *eng);

/* Frees what a result holds; leaves it zeroed. */
void st_result_clear(st_result *res);

#endif
