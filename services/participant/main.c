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
 * The engine work of each of those steps (step.h: FROST here, GG18/GG20
 * keygen, signing and GG20 presigning through gg.h with the Paillier key
 * pool and the durable presignature store) runs on a pool of worker
 * threads (workers.h, node.worker_threads), so a GG session that computes
 * for a second never holds up another session's messages. One session's
 * inputs (session_start, then its protocol bundles) run strictly one at a
 * time, in arrival order: a session has at most one step in flight, and
 * what arrives meanwhile waits in the session's own queue. Steps of GG
 * keygen, GG18 and GG20 presigning are heavy jobs, FROST and pooled GG20
 * signing light ones, which the pool runs first and always has a worker
 * for (workers.h).
 *
 * Threads and what they own:
 *   main loop  Kafka (consume and produce), lib/rounds (verification,
 *              decryption, the replay/equivocation filter, sealing and
 *              signing what goes out), the session table and every
 *              session's queue, flags and timers, the metrics of sessions.
 *              It drains the workers' completion queue in on_tick; a worker
 *              that finishes a step calls svc_service_wake(), which ends
 *              the loop's Kafka wait, so results go out at once.
 *   a worker   while a session's step is in flight (psession.busy): that
 *              session's engine state (st_engine) and its job (pjob); it
 *              reads the session's description, which nobody writes after
 *              session_start. Shared objects a step uses are thread-safe:
 *              the engine context (randomized once, then read-only; OS
 *              rng), the share store, the nonce ledger (a mutex), the GG
 *              node (Paillier pool: its own lock; presignature store: a
 *              mutex), metrics (atomics) and logging (one locked write
 *              per line).
 * Orphaned presignatures (a presign session that failed after this node
 * stored its part) are deleted by a sweep on the main loop every
 * presign.sweep_interval_ms (presig_sweep.h), once PostgreSQL says the
 * coordinator can no longer hand them out.
 *
 * A session that ends while its step is in flight (the coordinator's
 * abort, a timeout, a rejected message that blames a signer) is marked
 * cancelled: nothing more of it is queued or sent, and it is freed when
 * its step comes back. Shutdown stops the workers (each finishes its step),
 * sends what finished, then frees every session.
 *
 * Nonce safety across crashes: before creating a session's parties (which
 * draws its nonces) the session id is recorded in a durable ledger (the
 * first thing the session_start step does). A session_start seen again
 * after a restart is answered with an abort (RESTARTED) instead of new
 * nonces, and the coordinator starts a new session.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ctx.h"
#include "engine/rng.h"
#include "gg.h"
#include "pipeline/session.h"
#include "presig_sweep.h"
#include "rounds/rounds.h"
#include "secure/ledger.h"
#include "secure/share_store.h"
#include "step.h"
#include "svc/clock.h"
#include "svc/log.h"
#include "svc/service.h"
#include "workers.h"

#define MAX_WAITING 1024 /* inputs one session may have waiting for its step in flight */

/* An input of a session waiting for its turn. */
typedef struct pinput {
    int start;            /* 1: the session_start (no bytes) */
    unsigned char *bytes; /* protocol: the bundle (plaintext: wiped on free) */
    size_t len;
    uint16_t from;
    struct pinput *next;
} pinput;

typedef struct psession psession;

/* A session's step in flight: the worker's from wk_submit until wk_done
 * hands it back. */
typedef struct {
    wk_job base;            /* first: the pool's part */
    const st_env *env;
    const pl_session *desc; /* the session's (read-only) */
    st_engine *eng;         /* the session's engine state */
    pinput *in;             /* the input this step processes */
    st_result res;          /* what the step produced */
    psession *s;            /* main loop only */
} pjob;

struct psession {
    pl_session desc; /* written once at session_start, then read-only */
    int heavy;       /* its steps are heavy worker jobs (see is_heavy) */
    st_engine eng;   /* a worker's while busy, else the main loop's */
    pjob job;        /* a worker's while busy */
    /* main loop only: */
    int busy;             /* a step is queued or running */
    int cancelled;        /* over: freed when its step comes back */
    pinput *head, *tail;  /* inputs waiting for the step in flight */
    size_t nwaiting;
    int64_t started_ms;
    psession *next;
};

typedef struct {
    mpc_rng rng;
    mpc_engine_ctx *ctx;
    rounds_node *rounds;
    mpc_share_store *shares;
    mpc_ledger *ledger;
    gg_node *gg;
    psw_sweeper *sweep; /* orphaned presignatures (main loop) */
    st_env env;
    wk_pool *workers;
    psession *sessions;
    int nsessions;
    int self;
    int stopping; /* on_stop began: no new steps */
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
    {"node.worker_threads", SVC_CFG_INT, "MPC_WORKER_THREADS", "2", 1, WK_MAX_THREADS, 0,
     "Threads for the engine computations: sessions run in parallel, one session's messages in order; with 2 or "
     "more, one is kept for light sessions (FROST, pooled GG20 signing)"},
    {"session.timeout_ms", SVC_CFG_INT, "MPC_SESSION_TIMEOUT_MS", "60000", 1000, 3600000, 0,
     "Forget a session that has not finished after this long"},
    GG_PARTICIPANT_SETTINGS
    PSW_SETTINGS
};

static psession *find_session(participant *p, const char *id) {
    for (psession *s = p->sessions; s; s = s->next)
        if (strcmp(s->desc.session_id, id) == 0) return s;
    return NULL;
}

static void input_free(pinput *in) {
    if (in == NULL) return;
    if (in->bytes) mpc_secure_free_secret(in->bytes, in->len);
    free(in);
}

static void drop_waiting(psession *s) {
    while (s->head) {
        pinput *in = s->head;
        s->head = in->next;
        input_free(in);
    }
    s->tail = NULL;
    s->nwaiting = 0;
}

/* Frees a session no worker is using. */
static void free_session(svc_service *svc, participant *p, psession *s) {
    for (psession **pp = &p->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    rounds_release(p->rounds, s->desc.session_id);
    st_engine_clear(&s->eng);
    drop_waiting(s);
    pl_session_clear(&s->desc);
    free(s);
    p->nsessions--;
    svc_service_set_active_sessions(svc, p->nsessions);
}

/* Ends a session: freed now, or, while a worker runs its step, marked
 * cancelled and freed when the step comes back (its results unsent). */
static void end_session(svc_service *svc, participant *p, psession *s) {
    if (!s->busy) {
        free_session(svc, p, s);
        return;
    }
    s->cancelled = 1;
    drop_waiting(s);
    svc_log(SVC_LOG_INFO, "session ended while a worker runs its step; freed when the step returns", "{s:s}",
            "session_id", s->desc.session_id);
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

/* Ends a session from outside its parties: abort naming culprit, count it
 * failed, end it. */
static void fail_session(svc_service *svc, participant *p, psession *s, const char *code, int culprit,
                         const char *message) {
    send_abort(svc, p, &s->desc, code, culprit, message);
    svc_counter_add(p->sessions_failed, 1);
    end_session(svc, p, s);
}

/* ---- steps on the workers ------------------------------------------------ */

/* Worker thread: runs one step; touches only the job and what it points to. */
static void run_step(wk_job *base) {
    pjob *j = (pjob *)base;
    if (j->in->start) st_start(j->env, j->desc, j->eng, &j->res);
    else st_feed(j->env, j->desc, j->eng, j->in->bytes, j->in->len, j->in->from, &j->res);
}

static void wake_loop(void *svc) { svc_service_wake(svc); }

/* Sessions whose steps compute for long (Paillier arithmetic: hundreds of
 * milliseconds to seconds): GG keygen, GG18 signing, GG20 presigning, inline
 * or for the pool. FROST and GG20 signing from pooled presignatures take
 * about a millisecond a step and run first (workers.h). */
static int is_heavy(const pl_session *d) {
    if (!gg_handles(d->protocol)) return 0;
    int pooled = d->kind == PL_KIND_SIGN && strcmp(d->protocol, "gg20") == 0 && d->nitems > 0 &&
                 d->items[0].presig_id[0] != '\0';
    return !pooled;
}

/* Hands the session's next waiting input to a worker, unless a step is in
 * flight already (it runs when that one comes back). */
static void dispatch(participant *p, psession *s) {
    if (s->busy || s->cancelled || s->head == NULL || p->stopping) return;
    pinput *in = s->head;
    s->head = in->next;
    if (s->head == NULL) s->tail = NULL;
    s->nwaiting--;
    in->next = NULL;
    s->job = (pjob){.base = {.run = run_step, .heavy = s->heavy}, .env = &p->env, .desc = &s->desc, .eng = &s->eng,
                    .in = in, .s = s};
    s->busy = 1;
    wk_submit(p->workers, &s->job.base);
}

/* Queues an input (taking it) behind the session's others. */
static void enqueue(svc_service *svc, participant *p, psession *s, pinput *in) {
    if (s->nwaiting >= MAX_WAITING) {
        input_free(in);
        fail_session(svc, p, s, "INTERNAL", 0, "too many round messages waiting for this node");
        return;
    }
    if (s->tail) s->tail->next = in;
    else s->head = in;
    s->tail = in;
    s->nwaiting++;
    dispatch(p, s);
}

/* Main loop: a step came back. Sends what it produced (unless the session
 * was cancelled meanwhile), then ends the session or runs its next input. */
static void step_done(svc_service *svc, participant *p, pjob *j) {
    psession *s = j->s;
    st_result *res = &j->res;
    s->busy = 0;
    input_free(j->in);
    j->in = NULL;
    if (s->cancelled || !j->base.ran) {
        st_result_clear(res);
        free_session(svc, p, s);
        return;
    }
    for (size_t i = 0; i < res->nout; i++)
        send_or_log(svc, p, s->desc.session_id, s->desc.protocol, res->out[i].round, res->out[i].recipient,
                    "protocol", res->out[i].bytes, res->out[i].len);
    if (res->status == ST_RUNNING) {
        st_result_clear(res);
        dispatch(p, s);
        return;
    }
    if (res->status == ST_DONE) {
        send_or_log(svc, p, s->desc.session_id, s->desc.protocol, 0, 0, "output", res->output, res->output_len);
        svc_counter_add(p->sessions_done, 1);
    } else {
        send_abort(svc, p, &s->desc, res->code, res->culprit, res->message);
        if (res->started) svc_counter_add(p->sessions_failed, 1);
    }
    if (res->started)
        svc_histogram_observe(p->session_seconds, (double)(svc_wall_ms() - s->started_ms) / 1000.0);
    st_result_clear(res);
    free_session(svc, p, s);
}

static void drain_steps(svc_service *svc, participant *p) {
    for (wk_job *j; (j = wk_done(p->workers)) != NULL;) step_done(svc, p, (pjob *)j);
}

/* ---- messages ----------------------------------------------------------- */

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
    psession *s = calloc(1, sizeof *s);
    pinput *start = calloc(1, sizeof *start);
    if (s == NULL || start == NULL) {
        free(s);
        free(start);
        send_abort(svc, p, &d, "INTERNAL", 0, "out of memory");
        pl_session_clear(&d);
        return;
    }
    s->desc = d;
    s->heavy = is_heavy(&s->desc);
    s->started_ms = svc_wall_ms();
    s->next = p->sessions;
    p->sessions = s;
    p->nsessions++;
    svc_service_set_active_sessions(svc, p->nsessions);
    start->start = 1;
    enqueue(svc, p, s, start);
}

static void on_protocol(svc_service *svc, participant *p, rounds_in *in) {
    psession *s = find_session(p, in->msg.session_id);
    if (s == NULL || s->cancelled || !pl_session_has(&s->desc, (uint16_t)in->msg.from)) return;
    pinput *bundle = calloc(1, sizeof *bundle);
    if (bundle == NULL) {
        fail_session(svc, p, s, "INTERNAL", 0, "out of memory");
        return;
    }
    bundle->bytes = in->plain; /* taken from `in`: wiped when the input is freed */
    bundle->len = in->plain_len;
    bundle->from = (uint16_t)in->msg.from;
    in->plain = NULL;
    in->plain_len = 0;
    enqueue(svc, p, s, bundle);
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
    if (s == NULL || s->cancelled || !pl_session_has(&s->desc, (uint16_t)blame)) return;
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
        if (s) end_session(svc, p, s);
    } else if (in.msg.from != 0 && strcmp(kind, "protocol") == 0) {
        on_protocol(svc, p, &in);
    }
    rounds_in_free(&in);
    return SVC_MSG_DONE;
}

static void participant_on_tick(svc_service *svc) {
    participant *p = svc_service_state(svc);
    drain_steps(svc, p);
    int64_t now = svc_wall_ms();
    for (psession *s = p->sessions, *next; s; s = next) {
        next = s->next;
        if (!s->cancelled && now - s->started_ms > (gg_handles(s->desc.protocol) ? gg_node_timeout_ms(p->gg)
                                                                                  : p->timeout_ms)) {
            svc_log(SVC_LOG_WARN, "session expired", "{s:s}", "session_id", s->desc.session_id);
            end_session(svc, p, s);
        }
    }
    psw_tick(p->sweep, svc_pg_conn(svc_service_pg(svc)), (int64_t)(svc_mono_seconds() * 1000.0));
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
    if ((p->sweep = psw_new(c, svc_service_metrics(svc), gg_node_presigs(p->gg), p->self)) == NULL) {
        svc_log(SVC_LOG_ERROR, "cannot create the presignature sweep", "{s:s}", "error", "out of memory");
        return -1;
    }
    p->env = (st_env){.ctx = p->ctx, .shares = p->shares, .ledger = p->ledger, .gg = p->gg, .self = p->self};
    svc_metrics *m = svc_service_metrics(svc);
    p->sessions_done = svc_metrics_counter(m, "mpc_participant_sessions_total", "Sessions finished", "result=\"ok\"");
    p->sessions_failed =
        svc_metrics_counter(m, "mpc_participant_sessions_total", "Sessions finished", "result=\"failed\"");
    p->session_seconds = svc_metrics_histogram(m, "mpc_participant_session_seconds", "Session duration", NULL,
                                               svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
    int nworkers = (int)svc_config_int(c, "node.worker_threads");
    if ((p->workers = wk_pool_start(nworkers, wake_loop, svc, m, err, sizeof err)) == NULL) {
        svc_log(SVC_LOG_ERROR, "cannot start the worker threads", "{s:s}", "error", err);
        return -1;
    }
    svc_log(SVC_LOG_INFO, "participant ready", "{s:i,s:i}", "node_id", p->self, "worker_threads", nworkers);
    return 0;
}

static void participant_on_stop(svc_service *svc) {
    participant *p = svc_service_state(svc);
    if (p == NULL) return;
    p->stopping = 1;
    if (p->workers) {
        wk_pool_stop(p->workers); /* each worker finishes its step */
        drain_steps(svc, p);      /* sends what finished; frees cancelled sessions */
    }
    while (p->sessions) free_session(svc, p, p->sessions); /* no step is in flight now */
    wk_pool_free(p->workers);
    psw_free(p->sweep);
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
