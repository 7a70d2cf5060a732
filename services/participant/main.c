/* mpc-participant - one node of the threshold: holds this node's encrypted
 * key shares and computes protocol rounds.
 *
 * It reads mpc.rounds (its own consumer group per node id), accepts only
 * messages that are signed by a pinned node and, when point-to-point,
 * encrypted to it (lib/rounds), and drives one engine party per batch item
 * (lib/pipeline/batch.h) for every session the coordinator starts with it:
 *
 *   session_start (from the coordinator)  -> create parties, send round 1
 *   protocol      (from a participant)    -> feed parties, send what follows
 *   parties done  -> keygen: store the share (AES-256-GCM, lib/secure),
 *                    send the group key as `output`;
 *                    sign: send the signatures as `output`
 *   parties fail  -> send `abort` naming the culprit
 *
 * FROST is driven here; GG18/GG20 sessions (keygen, signing, GG20
 * presigning, with the Paillier key pool and the durable presignature
 * store) go through gg.h, which hands back the same batch of parties.
 *
 * Nonce safety across crashes: before creating a session's parties (which
 * draws its nonces) the session id is recorded in a durable ledger. A
 * session_start seen again after a restart is answered with an abort
 * (RESTARTED) instead of new nonces, and the coordinator starts a new session.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/ctx.h"
#include "engine/frost_dkg.h"
#include "engine/frost_session.h"
#include "engine/rng.h"
#include "gg.h"
#include "pipeline/batch.h"
#include "pipeline/session.h"
#include "rounds/rounds.h"
#include "secure/ledger.h"
#include "secure/share_store.h"
#include "svc/clock.h"
#include "svc/log.h"
#include "svc/service.h"
#ifdef MPC_PARTICIPANT_CHEATER
#include "cheat.h" /* TEST ONLY: mpc-participant-cheater */
#endif

typedef struct psession {
    pl_session desc;
    pl_batch *batch;
    gg_run *gg; /* GG sessions only */
    int64_t started_ms;
    struct psession *next;
} psession;

typedef struct {
    mpc_rng rng;
    mpc_engine_ctx *ctx;
    rounds_node *rounds;
    mpc_share_store *shares;
    mpc_ledger *ledger;
    gg_node *gg;
    psession *sessions;
    int nsessions;
    int self;
    int64_t timeout_ms;
    svc_metric *sessions_done, *sessions_failed, *session_seconds;
} participant;

static const char *const participant_topics[] = {"mpc.rounds"};
static const char *const participant_capabilities[] = {"frost", "frost-bip340", "gg18", "gg20"};

static const svc_config_entry participant_settings[] = {
    {"node.id", SVC_CFG_INT, "MPC_NODE_ID", "1", 1, 255, 0, "This participant's node id (1..255), unique per node"},
    {"node.share_dir", SVC_CFG_STRING, "MPC_SHARE_DIR", ".local/nodes/node-1/shares", 0, 0, 0,
     "Directory of this node's encrypted key shares"},
    {"node.master_key_file", SVC_CFG_STRING, "MPC_MASTER_KEY_FILE", ".local/keys/node-1/master.key", 0, 0, 0,
     "File with this node's 32-byte master key (hex, mode 0600); wraps every share's data key"},
    {"node.identity_key_file", SVC_CFG_STRING, "MPC_IDENTITY_KEY_FILE", ".local/keys/node-1/identity.key", 0, 0, 0,
     "File with this node's identity secret key (hex, mode 0600); signs its round messages"},
    {"node.roster_file", SVC_CFG_STRING, "MPC_ROSTER_FILE", ".local/keys/roster.json", 0, 0, 0,
     "The pinned public keys of every node"},
    {"node.ledger_file", SVC_CFG_STRING, "MPC_LEDGER_FILE", ".local/nodes/node-1/nonce.ledger", 0, 0, 0,
     "Durable record of sessions whose nonces were drawn (never reused after a restart)"},
    {"session.timeout_ms", SVC_CFG_INT, "MPC_SESSION_TIMEOUT_MS", "60000", 1000, 3600000, 0,
     "Forget a session that has not finished after this long"},
    GG_PARTICIPANT_SETTINGS
};

static psession *find_session(participant *p, const char *id) {
    for (psession *s = p->sessions; s; s = s->next)
        if (strcmp(s->desc.session_id, id) == 0) return s;
    return NULL;
}

static void drop_session(svc_service *svc, participant *p, psession *s) {
    for (psession **pp = &p->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    rounds_release(p->rounds, s->desc.session_id);
    pl_batch_free(s->batch);
    gg_run_free(s->gg); /* after the parties that borrow its key package */
    pl_session_clear(&s->desc);
    free(s);
    p->nsessions--;
    svc_service_set_active_sessions(svc, p->nsessions);
}

static void send_or_log(svc_service *svc, participant *p, const char *session_id, const char *protocol, int round,
                        int to, const char *kind, const unsigned char *payload, size_t len) {
    char err[256];
    if (rounds_send(p->rounds, svc_service_kafka(svc), session_id, protocol, round, to, kind, payload, len, err,
                    sizeof err) != 0)
        svc_log(SVC_LOG_ERROR, "cannot send round message", "{s:s,s:s,s:s}", "session_id", session_id, "kind", kind,
                "error", err);
}

static void send_abort(svc_service *svc, participant *p, const pl_session *d, const char *code, int culprit,
                       const char *message) {
    json_t *o = json_pack("{s:s,s:i,s:s}", "code", code, "culprit", culprit, "message", message);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text == NULL) return;
    send_or_log(svc, p, d->session_id, d->protocol, 0, 0, "abort", (unsigned char *)text, strlen(text));
    svc_log(SVC_LOG_WARN, "session aborted", "{s:s,s:s,s:i,s:s}", "session_id", d->session_id, "code", code,
            "culprit", culprit, "message", message);
    free(text);
}

/* Sends every bundle the parties queued. */
static void pump(svc_service *svc, participant *p, psession *s) {
    pl_bundle b;
    int r;
    while ((r = pl_batch_pop(s->batch, &b)) == 1) {
#ifdef MPC_PARTICIPANT_CHEATER /* TEST ONLY (cheat.h): tamper with b; `first` (equivocation) goes out before it */
        pl_bundle first = cheat_bundle(p->ctx, &s->desc, s->gg, &b);
        if (first.bytes)
            send_or_log(svc, p, s->desc.session_id, s->desc.protocol, first.round + gg_run_round_base(s->gg),
                        first.recipient, "protocol", first.bytes, first.len);
        pl_bundle_free(&first);
#endif
        send_or_log(svc, p, s->desc.session_id, s->desc.protocol, b.round + gg_run_round_base(s->gg), b.recipient,
                    "protocol", b.bytes, b.len);
        pl_bundle_free(&b);
    }
    if (r < 0) svc_log(SVC_LOG_ERROR, "engine parties out of step", "{s:s}", "session_id", s->desc.session_id);
}

static frost_variant variant_of(const char *protocol) {
    return strcmp(protocol, "frost-bip340") == 0 ? FROST_VARIANT_BIP340 : FROST_VARIANT_RFC9591;
}

/* Stores the DKG result and returns the 33-byte group key in gk. */
static int finish_keygen(participant *p, psession *s, unsigned char gk[33], char *why, size_t whylen) {
    frost_keypkg kp;
    if (frost_dkg_output(pl_batch_party(s->batch, 0), &kp) != MPC_OK) {
        snprintf(why, whylen, "no DKG output");
        return -1;
    }
    int rc = -1;
    size_t n = frost_keypkg_size(&kp);
    unsigned char *buf = malloc(n);
    if (buf && frost_keypkg_serialize(p->ctx, buf, n, &kp) && mpc_point_serialize(p->ctx, gk, &kp.group_key)) {
        mpc_share_meta meta = {.node_id = p->self, .share_index = p->self, .threshold = s->desc.threshold,
                               .total_shares = s->desc.total_nodes};
        snprintf(meta.key_id, sizeof meta.key_id, "%s", s->desc.key_id);
        snprintf(meta.protocol, sizeof meta.protocol, "%s", s->desc.protocol);
        snprintf(meta.curve, sizeof meta.curve, "secp256k1");
        mpc_secure_error e;
        if (mpc_share_store_put(p->shares, &meta, buf, n, &e) == MPC_SECURE_OK) rc = 0;
        else snprintf(why, whylen, "cannot store share: %.160s", e.message);
    } else {
        snprintf(why, whylen, "cannot encode key package");
    }
    if (buf) mpc_secure_free_secret(buf, n);
    frost_keypkg_clear(&kp);
    return rc;
}

/* Ends a running session from outside its parties: abort naming culprit,
 * count it failed, forget it. */
static void fail_session(svc_service *svc, participant *p, psession *s, const char *code, int culprit,
                         const char *message) {
    send_abort(svc, p, &s->desc, code, culprit, message);
    svc_counter_add(p->sessions_failed, 1);
    drop_session(svc, p, s);
}

/* Checks whether the session ended; sends output or abort and drops it. */
static void settle(svc_service *svc, participant *p, psession *s) {
    mpc_party_status st = pl_batch_status(s->batch);
    if (st == MPC_PARTY_RUNNING) return;
    char why[200] = "";
    if (st == MPC_PARTY_FAILED) {
        mpc_error e = pl_batch_error(s->batch);
        send_abort(svc, p, &s->desc, mpc_err_name(e.code), e.culprit, mpc_err_str(e.code));
        svc_counter_add(p->sessions_failed, 1);
    } else if (s->gg) {
        const char *code = "INTERNAL";
        size_t len = 0;
        unsigned char *out = gg_run_output(p->gg, s->gg, &s->desc, s->batch, &len, &code, why, sizeof why);
        if (out) {
            send_or_log(svc, p, s->desc.session_id, s->desc.protocol, 0, 0, "output", out, len);
            svc_counter_add(p->sessions_done, 1);
        } else {
            send_abort(svc, p, &s->desc, code, 0, why);
            svc_counter_add(p->sessions_failed, 1);
        }
        free(out); /* public: a group key, signatures or nonce points */
    } else if (s->desc.kind == PL_KIND_KEYGEN) {
        unsigned char gk[33];
        if (finish_keygen(p, s, gk, why, sizeof why) == 0) {
            send_or_log(svc, p, s->desc.session_id, s->desc.protocol, 0, 0, "output", gk, 33);
            svc_counter_add(p->sessions_done, 1);
        } else {
            send_abort(svc, p, &s->desc, "STORAGE", 0, why);
            svc_counter_add(p->sessions_failed, 1);
        }
    } else {
        size_t n = pl_batch_size(s->batch);
        unsigned char(*sigs)[FROST_SIG_MAX_BYTES] = malloc(n * sizeof *sigs);
        const unsigned char **ptrs = malloc(n * sizeof *ptrs);
        size_t *lens = malloc(n * sizeof *lens);
        int ok = sigs && ptrs && lens;
        for (size_t i = 0; ok && i < n; i++) {
            ok = frost_session_signature(pl_batch_party(s->batch, i), sigs[i], &lens[i]) == MPC_OK;
            ptrs[i] = sigs[i];
        }
        size_t len = 0;
        unsigned char *out = ok ? pl_sigs_encode(ptrs, lens, n, &len) : NULL;
        if (out) {
            send_or_log(svc, p, s->desc.session_id, s->desc.protocol, 0, 0, "output", out, len);
            svc_counter_add(p->sessions_done, 1);
        } else {
            send_abort(svc, p, &s->desc, "INTERNAL", 0, "cannot assemble signatures");
        }
        free(out);
        free(sigs);
        free(ptrs);
        free(lens);
    }
    svc_histogram_observe(p->session_seconds, (double)(svc_wall_ms() - s->started_ms) / 1000.0);
    drop_session(svc, p, s);
}

/* Builds the parties of a new session. Returns the batch (and, for GG, its
 * run state) or NULL with an abort code and why. */
static pl_batch *create_parties(participant *p, const pl_session *d, gg_run **gg, const char **code, char *why,
                                size_t whylen) {
    *code = "CANNOT_START";
    if (gg_handles(d->protocol)) return gg_run_start(p->gg, d, gg, code, why, whylen);
    if (strcmp(d->protocol, "frost") != 0 && strcmp(d->protocol, "frost-bip340") != 0) {
        snprintf(why, whylen, "protocol %.15s is not supported by this node", d->protocol);
        return NULL;
    }
    if (d->kind == PL_KIND_PRESIGN) {
        snprintf(why, whylen, "%.15s has no presigning", d->protocol);
        return NULL;
    }
    if (d->kind == PL_KIND_KEYGEN) {
        frost_dkg_config cfg = {.self = (uint16_t)p->self, .t = d->threshold, .n = d->total_nodes};
        pl_engine_session_id(cfg.session, d->session_id, -1);
        /* Keygen parties are 1..n: the session's participants must be exactly those. */
        for (size_t i = 0; i < d->nparticipants; i++)
            if (d->participants[i] != i + 1) {
                snprintf(why, whylen, "keygen participants must be nodes 1..n");
                return NULL;
            }
        mpc_party *party = NULL;
        mpc_err_code rc = frost_dkg_new(p->ctx, &party, &cfg);
        if (rc != MPC_OK) {
            snprintf(why, whylen, "cannot start key generation: %s", mpc_err_str(rc));
            return NULL;
        }
        return pl_batch_new(&party, 1);
    }
    unsigned char *share = NULL;
    size_t share_len = 0;
    mpc_share_meta meta;
    mpc_secure_error e;
    if (mpc_share_store_load(p->shares, &meta, &share, &share_len, d->key_id, &e) != MPC_SECURE_OK) {
        snprintf(why, whylen, "no usable share for %.64s: %.120s", d->key_id, e.message);
        return NULL;
    }
    frost_keypkg kp;
    mpc_err_code rc = frost_keypkg_parse(p->ctx, &kp, share, share_len);
    mpc_secure_free_secret(share, share_len);
    if (rc != MPC_OK) {
        snprintf(why, whylen, "stored share of %.64s does not parse: %.60s", d->key_id, mpc_err_str(rc));
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
        rc = frost_session_new(p->ctx, &parties[made], &cfg);
        if (rc != MPC_OK) {
            snprintf(why, whylen, "cannot start signing: %s", mpc_err_str(rc));
            break;
        }
    }
    frost_keypkg_clear(&kp);
    if (parties == NULL || made < d->nitems) {
        for (size_t i = 0; parties && i < made; i++) mpc_party_free(parties[i]);
        free(parties);
        if (parties == NULL) snprintf(why, whylen, "out of memory");
        return NULL;
    }
    pl_batch *b = pl_batch_new(parties, d->nitems);
    free(parties);
    if (b == NULL) snprintf(why, whylen, "out of memory");
    return b;
}

static void on_session_start(svc_service *svc, participant *p, const rounds_in *in) {
    pl_session d;
    char why[256];
    if (pl_session_decode((const char *)in->plain, in->plain_len, &d, why, sizeof why) != 0) {
        svc_log(SVC_LOG_WARN, "bad session_start from the coordinator", "{s:s,s:s}", "session_id",
                in->msg.session_id, "error", why);
        return;
    }
    if (!pl_session_has(&d, (uint16_t)p->self) || strcmp(d.session_id, in->msg.session_id) != 0 ||
        find_session(p, d.session_id) != NULL) {
        pl_session_clear(&d);
        return;
    }
    /* Record the session durably before any nonce exists. */
    char ledger_id[160];
    snprintf(ledger_id, sizeof ledger_id, "session:%s", d.session_id);
    mpc_secure_error e;
    int lr = mpc_ledger_consume(p->ledger, ledger_id, &e);
    if (lr == MPC_SECURE_ERR_CONSUMED) {
        send_abort(svc, p, &d, "RESTARTED", 0, "this node restarted during the session; its nonces are gone");
        pl_session_clear(&d);
        return;
    }
    if (lr != MPC_SECURE_OK) {
        /* e.message names the ledger file: log it here, do not publish it */
        svc_log(SVC_LOG_ERROR, "nonce ledger write failed", "{s:s,s:s}", "session_id", d.session_id, "error",
                e.message);
        send_abort(svc, p, &d, "STORAGE", 0, "this node cannot record the session in its nonce ledger");
        pl_session_clear(&d);
        return;
    }
    gg_run *gg = NULL;
    const char *code = "CANNOT_START";
    pl_batch *b = create_parties(p, &d, &gg, &code, why, sizeof why);
    if (b == NULL) {
        send_abort(svc, p, &d, code, 0, why);
        pl_session_clear(&d);
        return;
    }
    psession *s = calloc(1, sizeof *s);
    if (s == NULL) {
        pl_batch_free(b);
        gg_run_free(gg);
        pl_session_clear(&d);
        return;
    }
    s->desc = d;
    s->batch = b;
    s->gg = gg;
    s->started_ms = svc_wall_ms();
    s->next = p->sessions;
    p->sessions = s;
    p->nsessions++;
    svc_service_set_active_sessions(svc, p->nsessions);
    pump(svc, p, s);
    settle(svc, p, s);
}

static void on_protocol(svc_service *svc, participant *p, const rounds_in *in) {
    psession *s = find_session(p, in->msg.session_id);
    if (s == NULL || !pl_session_has(&s->desc, (uint16_t)in->msg.from)) return;
    mpc_error e;
    mpc_err_code rc = s->gg ? gg_run_handle(p->gg, s->gg, &s->desc, &s->batch, in->plain, in->plain_len,
                                            (uint16_t)in->msg.from, &e)
                            : pl_batch_handle(s->batch, in->plain, in->plain_len, (uint16_t)in->msg.from, &e);
    if (rc != MPC_OK && mpc_err_is_rejection(rc)) return;
    if (rc != MPC_OK && pl_batch_status(s->batch) == MPC_PARTY_RUNNING) {
        /* The bundle itself is broken, so no party failed: its (signed) sender is to blame. */
        fail_session(svc, p, s, mpc_err_name(rc), e.culprit, "malformed bundle");
        return;
    }
    if (rc == MPC_OK) pump(svc, p, s);
    settle(svc, p, s);
}

/* A message its sender provably signed was rejected by lib/rounds (a second,
 * different message for one round slot, or a payload that does not decrypt):
 * fail the session naming the sender, as the engine does for its own checks,
 * so the abort reaches the coordinator and the audit trail from this node. */
static void abort_for_rejected(svc_service *svc, participant *p, const rd_kafka_message_t *msg,
                               const char *reason, int blame) {
    char session_id[130] = "";
    if (msg->key == NULL || msg->key_len >= sizeof session_id) return;
    memcpy(session_id, msg->key, msg->key_len);
    psession *s = find_session(p, session_id);
    if (s == NULL || !pl_session_has(&s->desc, (uint16_t)blame)) return;
    int equivocation = strcmp(reason, "equivocation") == 0;
    fail_session(svc, p, s, mpc_err_name(equivocation ? MPC_ERR_EQUIVOCATION : MPC_ERR_MALFORMED), blame,
                 equivocation ? "two different signed messages for one round slot"
                              : "a signed round message that does not decrypt");
}

static svc_msg_outcome participant_on_message(svc_service *svc, const rd_kafka_message_t *msg) {
    participant *p = svc_service_state(svc);
    rounds_in in;
    const char *reason;
    int blame;
    rounds_outcome o = rounds_receive(p->rounds, msg->payload, msg->len, svc_wall_ms(), &in, &reason, &blame);
    if (o == ROUNDS_REJECT && blame > 0) abort_for_rejected(svc, p, msg, reason, blame);
    if (o != ROUNDS_ACCEPT) return SVC_MSG_DONE;
    const char *kind = in.msg.kind;
    if (in.msg.from == 0 && strcmp(kind, "session_start") == 0) {
        on_session_start(svc, p, &in);
    } else if (in.msg.from == 0 && strcmp(kind, "abort") == 0) {
        psession *s = find_session(p, in.msg.session_id);
        if (s) drop_session(svc, p, s);
    } else if (in.msg.from != 0 && strcmp(kind, "protocol") == 0) {
        on_protocol(svc, p, &in);
    }
    rounds_in_free(&in);
    return SVC_MSG_DONE;
}

static void participant_on_tick(svc_service *svc) {
    participant *p = svc_service_state(svc);
    int64_t now = svc_wall_ms();
    for (psession *s = p->sessions, *next; s; s = next) {
        next = s->next;
        if (now - s->started_ms > (s->gg ? gg_node_timeout_ms(p->gg) : p->timeout_ms)) {
            svc_log(SVC_LOG_WARN, "session expired", "{s:s}", "session_id", s->desc.session_id);
            drop_session(svc, p, s);
        }
    }
}

static int participant_on_start(svc_service *svc) {
    const svc_config *c = svc_service_config(svc);
    participant *p = calloc(1, sizeof *p);
    if (p == NULL) return -1;
    svc_service_set_state(svc, p);
    p->self = (int)svc_config_int(c, "node.id");
    p->timeout_ms = svc_config_int(c, "session.timeout_ms");
    p->rng = mpc_rng_os();
    p->ctx = mpc_engine_ctx_new(&p->rng);
    char err[512];
    mpc_secure_error e;
    if (p->ctx == NULL) {
        svc_log(SVC_LOG_ERROR, "cannot create the engine context", NULL);
        return -1;
    }
    p->rounds = rounds_node_new(p->ctx, svc_config_str(c, "node.identity_key_file"),
                                svc_config_str(c, "node.roster_file"), p->self, svc_service_metrics(svc), err,
                                sizeof err);
    if (p->rounds == NULL) {
        svc_log(SVC_LOG_ERROR, err, "{s:s}", "fix", "node.identity_key_file / node.roster_file / node.id");
        return -1;
    }
    if (mpc_share_store_open(&p->shares, svc_config_str(c, "node.share_dir"),
                             svc_config_str(c, "node.master_key_file"), p->self, &p->rng, &e) != MPC_SECURE_OK) {
        svc_log(SVC_LOG_ERROR, "cannot open the share store", "{s:s}", "error", e.message);
        return -1;
    }
    if (mpc_ledger_open(&p->ledger, svc_config_str(c, "node.ledger_file"), &e) != MPC_SECURE_OK) {
        svc_log(SVC_LOG_ERROR, "cannot open the nonce ledger", "{s:s}", "error", e.message);
        return -1;
    }
    gg_node_deps gd = {.config = c, .metrics = svc_service_metrics(svc), .ctx = p->ctx, .shares = p->shares,
                       .ledger = p->ledger, .self = p->self};
    if ((p->gg = gg_node_new(&gd, err, sizeof err)) == NULL) {
        svc_log(SVC_LOG_ERROR, "cannot open the GG pools", "{s:s}", "error", err);
        return -1;
    }
    svc_metrics *m = svc_service_metrics(svc);
    p->sessions_done = svc_metrics_counter(m, "mpc_participant_sessions_total", "Sessions finished", "result=\"ok\"");
    p->sessions_failed =
        svc_metrics_counter(m, "mpc_participant_sessions_total", "Sessions finished", "result=\"failed\"");
    p->session_seconds = svc_metrics_histogram(m, "mpc_participant_session_seconds", "Session duration", NULL,
                                               svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
    svc_log(SVC_LOG_INFO, "participant ready", "{s:i}", "node_id", p->self);
    return 0;
}

static void participant_on_stop(svc_service *svc) {
    participant *p = svc_service_state(svc);
    if (p == NULL) return;
    while (p->sessions) drop_session(svc, p, p->sessions);
    gg_node_free(p->gg);
    mpc_ledger_close(p->ledger);
    mpc_share_store_close(p->shares);
    rounds_node_free(p->rounds);
    mpc_engine_ctx_free(p->ctx);
    free(p);
    svc_service_set_state(svc, NULL);
}

int main(int argc, char **argv) {
    static const svc_service_def def = {
        .name = "participant",
        .default_http_port = 18090,
        .default_group_id = "mpc-participant",
        .topics = participant_topics,
        .ntopics = sizeof participant_topics / sizeof participant_topics[0],
        .settings = participant_settings,
        .nsettings = sizeof participant_settings / sizeof participant_settings[0],
        .capabilities = participant_capabilities,
        .ncapabilities = sizeof participant_capabilities / sizeof participant_capabilities[0],
        .on_start = participant_on_start,
        .on_message = participant_on_message,
        .on_tick = participant_on_tick,
        .on_stop = participant_on_stop,
    };
    return svc_service_main(&def, argc, argv);
}
