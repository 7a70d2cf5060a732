/* step.c - one session step on a worker thread; see step.h. */
#include "step.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/frost_dkg.h"
#include "engine/frost_session.h"
#include "node_share.h"
#include "svc/log.h"
#ifdef MPC_PARTICIPANT_CHEATER
#include "cheat.h" /* TEST ONLY: mpc-participant-cheater */
#endif

/* The session ends with an abort. */
static void fail(st_result *res, const char *code, int culprit, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(st_result *res, const char *code, int culprit, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    res->status = ST_FAILED;
    res->code = code;
    res->culprit = culprit;
}

/* Appends *b to the bundles to send (taking it). Out of memory, it is
 * dropped and logged, as a send that failed would be. */
static void keep(const pl_session *d, st_result *res, pl_bundle *b) {
    if (res->nout == res->cap) {
        size_t cap = res->cap ? 2 * res->cap : 4;
        pl_bundle *more = realloc(res->out, cap * sizeof *more);
        if (more == NULL) {
            svc_log(SVC_LOG_ERROR, "out of memory: round message dropped", "{s:s}", "session_id", d->session_id);
            pl_bundle_free(b);
            return;
        }
        res->out = more;
        res->cap = cap;
    }
    res->out[res->nout++] = *b;
    *b = (pl_bundle){.bytes = NULL};
}

/* Takes every bundle the parties queued, numbered as the transport's rounds. */
static void collect(const st_env *env, const pl_session *d, st_engine *eng, st_result *res) {
#ifndef MPC_PARTICIPANT_CHEATER
    (void)env; /* only the cheater's hook needs it */
#endif
    pl_bundle b;
    int r;
    uint8_t base = (uint8_t)gg_run_round_base(eng->gg);
    while ((r = pl_batch_pop(eng->batch, &b)) == 1) {
#ifdef MPC_PARTICIPANT_CHEATER /* TEST ONLY (cheat.h): tamper with b; `first` (equivocation) goes out before it */
        pl_bundle first = cheat_bundle(env->ctx, d, eng->gg, &b);
        if (first.bytes) {
            first.round = (uint8_t)(first.round + base);
            keep(d, res, &first);
        }
#endif
        b.round = (uint8_t)(b.round + base);
        keep(d, res, &b);
    }
    if (r < 0) svc_log(SVC_LOG_ERROR, "engine parties out of step", "{s:s}", "session_id", d->session_id);
}

static frost_variant variant_of(const char *protocol) {
    return strcmp(protocol, "frost-bip340") == 0 ? FROST_VARIANT_BIP340 : FROST_VARIANT_RFC9591;
}

/* Stores the DKG result; returns the 33-byte group key in gk. */
static int finish_keygen(const st_env *env, const pl_session *d, st_engine *eng, unsigned char gk[33], char *why,
                         size_t whylen) {
    frost_keypkg kp;
    if (frost_dkg_output(pl_batch_party(eng->batch, 0), &kp) != MPC_OK) {
        snprintf(why, whylen, "no DKG output");
        return -1;
    }
    int rc = -1;
    size_t n = frost_keypkg_size(&kp);
    unsigned char *buf = malloc(n);
    if (buf && frost_keypkg_serialize(env->ctx, buf, n, &kp) && mpc_point_serialize(env->ctx, gk, &kp.group_key))
        rc = node_share_put(env->shares, env->self, d, buf, n, why, whylen);
    else
        snprintf(why, whylen, "cannot encode key package");
    if (buf) mpc_secure_free_secret(buf, n);
    frost_keypkg_clear(&kp);
    return rc;
}

/* FROST signatures of every item as the `output` payload, or NULL. */
static unsigned char *frost_sigs(st_engine *eng, size_t *len) {
    size_t n = pl_batch_size(eng->batch);
    unsigned char(*sigs)[FROST_SIG_MAX_BYTES] = malloc(n * sizeof *sigs);
    const unsigned char **ptrs = malloc(n * sizeof *ptrs);
    size_t *lens = malloc(n * sizeof *lens);
    int ok = sigs && ptrs && lens;
    for (size_t i = 0; ok && i < n; i++) {
        ok = frost_session_signature(pl_batch_party(eng->batch, i), sigs[i], &lens[i]) == MPC_OK;
        ptrs[i] = sigs[i];
    }
    unsigned char *out = ok ? pl_sigs_encode(ptrs, lens, n, len) : NULL;
    free(sigs);
    free(ptrs);
    free(lens);
    return out;
}

/* When the parties are done or failed: the output or the abort. */
static void settle(const st_env *env, const pl_session *d, st_engine *eng, st_result *res) {
    mpc_party_status st = pl_batch_status(eng->batch);
    if (st == MPC_PARTY_RUNNING) return;
    char why[200] = "";
    if (st == MPC_PARTY_FAILED) {
        mpc_error e = pl_batch_error(eng->batch);
        fail(res, mpc_err_name(e.code), e.culprit, "%s", mpc_err_str(e.code));
    } else if (eng->gg) {
        const char *code = "INTERNAL";
        res->output = gg_run_output(env->gg, eng->gg, d, eng->batch, &res->output_len, &code, why, sizeof why);
        if (res->output == NULL) fail(res, code, 0, "%s", why);
    } else if (d->kind == PL_KIND_KEYGEN) {
        unsigned char gk[33];
        if (finish_keygen(env, d, eng, gk, why, sizeof why) != 0) {
            fail(res, "STORAGE", 0, "%s", why);
        } else if ((res->output = malloc(sizeof gk)) == NULL) {
            fail(res, "INTERNAL", 0, "out of memory");
        } else {
            memcpy(res->output, gk, sizeof gk);
            res->output_len = sizeof gk;
        }
    } else if ((res->output = frost_sigs(eng, &res->output_len)) == NULL) {
        fail(res, "INTERNAL", 0, "cannot assemble signatures");
    }
    if (res->status != ST_FAILED) res->status = ST_DONE;
}

/* The FROST parties of a new session (GG: gg_run_start). Returns the batch,
 * or NULL with the abort set in res. */
static pl_batch *frost_parties(const st_env *env, const pl_session *d, st_result *res) {
    if (d->kind == PL_KIND_PRESIGN) {
        fail(res, "CANNOT_START", 0, "%.15s has no presigning", d->protocol);
        return NULL;
    }
    if (d->kind == PL_KIND_KEYGEN) {
        frost_dkg_config cfg = {.self = (uint16_t)env->self, .t = d->threshold, .n = d->total_nodes};
        pl_engine_session_id(cfg.session, d->session_id, -1);
        /* Keygen parties are 1..n: the session's participants must be exactly those. */
        for (size_t i = 0; i < d->nparticipants; i++)
            if (d->participants[i] != i + 1) {
                fail(res, "CANNOT_START", 0, "keygen participants must be nodes 1..n");
                return NULL;
            }
        mpc_party *party = NULL;
        mpc_err_code rc = frost_dkg_new(env->ctx, &party, &cfg);
        if (rc != MPC_OK) {
            fail(res, "CANNOT_START", 0, "cannot start key generation: %s", mpc_err_str(rc));
            return NULL;
        }
        pl_batch *b = pl_batch_new(&party, 1);
        if (b == NULL) fail(res, "CANNOT_START", 0, "out of memory");
        return b;
    }
    unsigned char *share = NULL;
    size_t share_len = 0;
    mpc_share_meta meta;
    mpc_secure_error e;
    if (mpc_share_store_load(env->shares, &meta, &share, &share_len, d->key_id, &e) != MPC_SECURE_OK) {
        fail(res, "CANNOT_START", 0, "no usable share for %.64s: %.120s", d->key_id, e.message);
        return NULL;
    }
    frost_keypkg kp;
    mpc_err_code rc = frost_keypkg_parse(env->ctx, &kp, share, share_len);
    mpc_secure_free_secret(share, share_len);
    if (rc != MPC_OK) {
        fail(res, "CANNOT_START", 0, "stored share of %.64s does not parse: %.60s", d->key_id, mpc_err_str(rc));
        return NULL;
    }
    mpc_party **parties = calloc(d->nitems, sizeof *parties);
    uint16_t signers[PL_MAX_PARTIES];
    for (size_t i = 0; i < d->nparticipants; i++) signers[i] = d->participants[i];
    size_t made = 0;
    for (; parties && made < d->nitems; made++) {
        frost_session_config cfg = {.variant = variant_of(d->protocol), .key = &kp, .signers = signers,
                                    .nsigners = d->nparticipants, .msg = d->items[made].message,
                                    .msglen = d->items[made].message_len};
        pl_engine_session_id(cfg.session, d->session_id, (long)made);
        rc = frost_session_new(env->ctx, &parties[made], &cfg);
        if (rc != MPC_OK) {
            fail(res, "CANNOT_START", 0, "cannot start signing: %s", mpc_err_str(rc));
            break;
        }
    }
    frost_keypkg_clear(&kp);
    if (parties == NULL || made < d->nitems) {
        for (size_t i = 0; parties && i < made; i++) mpc_party_free(parties[i]);
        free(parties);
        if (parties == NULL) fail(res, "CANNOT_START", 0, "out of memory");
        return NULL;
    }
    pl_batch *b = pl_batch_new(parties, d->nitems); /* owns the parties, even on failure */
    free(parties);
    if (b == NULL) fail(res, "CANNOT_START", 0, "out of memory");
    return b;
}

void st_start(const st_env *env, const pl_session *d, st_engine *eng, st_result *res) {
    /* Record the session durably before any nonce exists. */
    char ledger_id[160];
    snprintf(ledger_id, sizeof ledger_id, "session:%s", d->session_id);
    mpc_secure_error e;
    int lr = mpc_ledger_consume(env->ledger, ledger_id, &e);
    if (lr == MPC_SECURE_ERR_CONSUMED) {
        fail(res, "RESTARTED", 0, "this node restarted during the session; its nonces are gone");
        return;
    }
    if (lr != MPC_SECURE_OK) {
        /* e.message names the ledger file: log it here, do not publish it */
        svc_log(SVC_LOG_ERROR, "nonce ledger write failed", "{s:s,s:s}", "session_id", d->session_id, "error",
                e.message);
        fail(res, "STORAGE", 0, "this node cannot record the session in its nonce ledger");
        return;
    }
    if (gg_handles(d->protocol)) {
        const char *code = "CANNOT_START";
        char why[256] = "";
        eng->batch = gg_run_start(env->gg, d, &eng->gg, &code, why, sizeof why);
        if (eng->batch == NULL) fail(res, code, 0, "%s", why);
    } else if (strcmp(d->protocol, "frost") == 0 || strcmp(d->protocol, "frost-bip340") == 0) {
        eng->batch = frost_parties(env, d, res);
    } else {
        fail(res, "CANNOT_START", 0, "protocol %.15s is not supported by this node", d->protocol);
    }
    if (eng->batch == NULL) return;
    res->started = 1;
    collect(env, d, eng, res);
    settle(env, d, eng, res);
}

void st_feed(const st_env *env, const pl_session *d, st_engine *eng, const unsigned char *bundle, size_t len,
             uint16_t from, st_result *res) {
    res->started = 1;
    mpc_error e;
    mpc_err_code rc = eng->gg ? gg_run_handle(env->gg, eng->gg, d, &eng->batch, bundle, len, from, &e)
                              : pl_batch_handle(eng->batch, bundle, len, from, &e);
    if (rc != MPC_OK && mpc_err_is_rejection(rc)) return;
    if (rc != MPC_OK && pl_batch_status(eng->batch) == MPC_PARTY_RUNNING) {
        /* The bundle itself is broken, so no party failed: its (signed) sender is to blame. */
        fail(res, mpc_err_name(rc), e.culprit, "malformed bundle");
        return;
    }
    if (rc == MPC_OK) collect(env, d, eng, res);
    settle(env, d, eng, res);
}

void st_engine_clear(st_engine *eng) {
    pl_batch_free(eng->batch);
    gg_run_free(eng->gg); /* after the parties that borrow its key package */
    *eng = (st_engine){.batch = NULL};
}

void st_result_clear(st_result *res) {
    for (size_t i = 0; i < res->nout; i++) pl_bundle_free(&res->out[i]);
    free(res->out);
    free(res->output); /* public: a group key, signatures or nonce points */
    *res = (st_result){.out = NULL};
}
