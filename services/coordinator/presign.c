/* presign.c - GG hooks and the GG20 presignature pool; see presign.h. */
#include "presign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"
#include "pipeline/ecdsa_sig.h"
#include "pipeline/tracker.h"
#include "store.h"
#include "svc/clock.h"
#include "svc/log.h"

#define MAX_POOLS 64         /* pools whose refill state is remembered */
#define FAILURE_BACKOFF_MS 30000
#define KEYS_PER_CHECK 100
/* How often presign sessions left running by a stopped coordinator are
 * looked for, and how old (in session.gg_timeout_ms) they must be. */
#define ABANDON_CHECK_MS 60000
#define ABANDON_AFTER_TIMEOUTS 2

typedef struct psess {
    pl_tracker *tracker;
    char signers[PL_MAX_PARTIES * 4];
    int64_t started_ms;
    struct psess *next;
} psess;

/* Refill state of one (key, signer set) pool. */
typedef struct {
    char key_id[PL_MAX_ID_LEN + 1];
    char signers[PL_MAX_PARTIES * 4];
    int filling;        /* below low water once; filling up to pool_size */
    int64_t retry_ms;   /* after a failed presign session, not before */
} pool_state;

struct co_presign {
    const mpc_engine_ctx *ctx;
    rounds_node *rounds;
    mpc_rng rng;
    char instance[128];
    long pool_size, low_water, batch, concurrency, interval_ms;
    int64_t gg_timeout_ms, next_check_ms, next_abandon_ms, cooldown_ms;
    int64_t blamed_until[PL_MAX_PARTIES + 1]; /* node -> left out of refills until (wall ms) */
    psess *sessions;
    int running;
    pool_state pools[MAX_POOLS];
    svc_metric *ready, *running_g, *ok, *failed, *generated, *claimed, *inline_n, *blamed, *cooling;
};

static void hex(char *out, const unsigned char *in, size_t n) {
    for (size_t i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", in[i]);
    out[2 * n] = '\0';
}

co_presign *co_presign_new(svc_service *svc, const mpc_engine_ctx *ctx, rounds_node *rounds, const char *instance) {
    co_presign *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    const svc_config *cfg = svc_service_config(svc);
    p->ctx = ctx;
    p->rounds = rounds;
    p->rng = mpc_rng_os();
    snprintf(p->instance, sizeof p->instance, "%s", instance);
    p->gg_timeout_ms = svc_config_int(cfg, "session.gg_timeout_ms");
    p->pool_size = svc_config_int(cfg, "presign.pool_size");
    p->low_water = svc_config_int(cfg, "presign.low_water");
    p->batch = svc_config_int(cfg, "presign.batch");
    p->concurrency = svc_config_int(cfg, "presign.concurrency");
    p->interval_ms = svc_config_int(cfg, "presign.check_interval_ms");
    p->cooldown_ms = svc_config_int(cfg, "presign.blame_cooldown_ms");
    svc_metrics *m = svc_service_metrics(svc);
    struct {
        const char *name, *help;
        long value;
    } config_gauges[] = {
        {"mpc_presign_pool_size", "Configured ready presignatures per key and signer set", p->pool_size},
        {"mpc_presign_pool_low_water", "Configured level below which a pool is refilled", p->low_water},
        {"mpc_presign_batch", "Configured presignatures per presign session", p->batch},
        {"mpc_presign_concurrency", "Configured presign sessions at once (refill rate)", p->concurrency},
    };
    for (size_t i = 0; i < sizeof config_gauges / sizeof config_gauges[0]; i++)
        svc_gauge_set(svc_metrics_gauge(m, config_gauges[i].name, config_gauges[i].help, NULL),
                      (double)config_gauges[i].value);
    p->ready = svc_metrics_gauge(m, "mpc_presign_pool_ready",
                                 "Ready presignatures in the pools checked last (current signer sets)", NULL);
    p->running_g = svc_metrics_gauge(m, "mpc_presign_sessions_running", "Presign sessions running", NULL);
    p->ok = svc_metrics_counter(m, "mpc_presign_sessions_total", "Presign sessions finished", "result=\"ok\"");
    p->failed = svc_metrics_counter(m, "mpc_presign_sessions_total", "Presign sessions finished", "result=\"failed\"");
    p->generated = svc_metrics_counter(m, "mpc_presign_generated_total", "Presignatures added to the pools", NULL);
    p->claimed = svc_metrics_counter(m, "mpc_presign_claimed_total", "Pooled presignatures claimed for signing", NULL);
    p->inline_n = svc_metrics_counter(m, "mpc_presign_inline_total",
                                      "gg20 signing sessions that presigned inline (pool could not cover them)", NULL);
    p->blamed = svc_metrics_counter(m, "mpc_presign_blamed_total",
                                    "Nodes named as culprit by an abort, then left out of refills for a while", NULL);
    p->cooling = svc_metrics_gauge(m, "mpc_presign_nodes_cooling",
                                   "Nodes left out of refill signer sets now (presign.blame_cooldown_ms)", NULL);
    return p;
}

void co_presign_free(co_presign *p) {
    if (p == NULL) return;
    while (p->sessions) {
        psess *s = p->sessions;
        p->sessions = s->next;
        rounds_release(p->rounds, pl_tracker_session(s->tracker)->session_id);
        pl_tracker_free(s->tracker);
        free(s);
    }
    free(p);
}

int64_t co_gg_timeout(const co_presign *p, const char *protocol, int64_t dflt) {
    return pl_is_ecdsa(protocol) ? p->gg_timeout_ms : dflt;
}

/* "1,3" from ascending ids. */
static void signer_text(char *out, size_t outlen, const uint16_t *ids, size_t n) {
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && off < outlen; i++)
        off += (size_t)snprintf(out + off, outlen - off, i ? ",%u" : "%u", ids[i]);
}

int co_gg_prepare(co_presign *p, PGconn *db, pl_session *desc, const char *chain_type) {
    if (desc->kind != PL_KIND_SIGN || !pl_is_ecdsa(desc->protocol)) return 0;
    snprintf(desc->chain_type, sizeof desc->chain_type, "%s", chain_type);
    for (size_t i = 0; i < desc->nitems; i++) desc->items[i].presig_id[0] = '\0';
    if (strcmp(desc->protocol, "gg20") != 0) return 0;
    char signers[PL_MAX_PARTIES * 4];
    signer_text(signers, sizeof signers, desc->participants, desc->nparticipants);
    json_t *ids = NULL;
    if (co_presig_claim(db, desc->key_id, signers, desc->nitems, desc->session_id, &ids) != 0) return -1;
    if (json_array_size(ids) == desc->nitems) {
        for (size_t i = 0; i < desc->nitems; i++)
            snprintf(desc->items[i].presig_id, sizeof desc->items[i].presig_id, "%s",
                     json_string_value(json_array_get(ids, i)));
        svc_counter_add(p->claimed, desc->nitems);
    }
    json_decref(ids);
    return 0;
}

void co_gg_announced(co_presign *p, const pl_session *desc) {
    if (desc->kind != PL_KIND_SIGN || strcmp(desc->protocol, "gg20") != 0 ||
        (desc->nitems > 0 && desc->items[0].presig_id[0] != '\0'))
        return;
    char signers[PL_MAX_PARTIES * 4];
    signer_text(signers, sizeof signers, desc->participants, desc->nparticipants);
    svc_counter_add(p->inline_n, 1);
    svc_log(SVC_LOG_INFO, "presignature pool cannot cover the batch: presigning inline", "{s:s,s:s,s:i}",
            "session_id", desc->session_id, "signers", signers, "items", (int)desc->nitems);
}

int co_gg_result(const mpc_engine_ctx *ctx, json_t *result, const unsigned char *sig, size_t len) {
    unsigned char der[PL_ECDSA_DER_MAX];
    size_t derlen = 0;
    if (!json_is_object(result) || len != PL_ECDSA_SIG_BYTES || !pl_ecdsa_der(ctx, sig, der, &derlen)) return -1;
    char rs[129], dh[2 * PL_ECDSA_DER_MAX + 1], r[65], s[65];
    hex(rs, sig, 64);
    hex(dh, der, derlen);
    hex(r, sig, 32);
    hex(s, sig + 32, 32);
    json_object_set_new(result, "signature", json_string(rs));
    json_object_set_new(result, "signature_der", json_string(dh));
    json_object_set_new(result, "recovery_id", json_integer(sig[64]));
    json_object_set_new(result, "r", json_string(r));
    json_object_set_new(result, "s", json_string(s));
    return 0;
}

/* ---- presign sessions -------------------------------------------------------- */

static psess *find(co_presign *p, const char *session_id) {
    for (psess *s = p->sessions; s; s = s->next)
        if (strcmp(pl_tracker_session(s->tracker)->session_id, session_id) == 0) return s;
    return NULL;
}

int co_presign_on_round(co_presign *p, const rounds_in *in) {
    psess *s = find(p, in->msg.session_id);
    if (s == NULL || in->msg.from <= 0) return s != NULL;
    uint16_t from = (uint16_t)in->msg.from;
    if (strcmp(in->msg.kind, "protocol") == 0) {
        pl_tracker_saw_round(s->tracker, from, (uint8_t)in->msg.round);
    } else if (strcmp(in->msg.kind, "output") == 0) {
        if (pl_tracker_output(s->tracker, from, in->plain, in->plain_len) < 0)
            svc_log(SVC_LOG_WARN, "invalid presign output", "{s:s,s:i}", "session_id", in->msg.session_id, "node",
                    in->msg.from);
    } else if (strcmp(in->msg.kind, "abort") == 0) {
        json_t *a = json_loadb((const char *)in->plain, in->plain_len, 0, NULL);
        json_int_t culprit = json_integer_value(json_object_get(a, "culprit"));
        const char *code = json_string_value(json_object_get(a, "code"));
        pl_tracker_abort(s->tracker, from, code ? code : "ABORT", culprit >= 0 && culprit <= 255 ? (uint16_t)culprit : 0);
        json_decref(a);
    }
    return 1;
}

void co_presign_failed(co_presign *p, const pl_tracker *t, int64_t now_ms) {
    uint16_t culprit = pl_tracker_culprit(t);
    if (p->cooldown_ms <= 0 || culprit == 0 || culprit > PL_MAX_PARTIES ||
        strcmp(pl_tracker_error_code(t), "PROTOCOL_ABORT") != 0)
        return;
    p->blamed_until[culprit] = now_ms + p->cooldown_ms;
    svc_counter_add(p->blamed, 1);
    svc_log(SVC_LOG_WARN, "node named as culprit: left out of presign refills", "{s:i,s:s,s:I}", "node", culprit,
            "session_id", pl_tracker_session(t)->session_id, "cooldown_ms", (json_int_t)p->cooldown_ms);
}

static pool_state *pool_of(co_presign *p, const char *key_id, const char *signers, int create) {
    pool_state *free_slot = NULL;
    for (size_t i = 0; i < MAX_POOLS; i++) {
        pool_state *ps = &p->pools[i];
        if (ps->key_id[0] && strcmp(ps->key_id, key_id) == 0 && strcmp(ps->signers, signers) == 0) return ps;
        if (!ps->key_id[0] && free_slot == NULL) free_slot = ps;
    }
    if (!create) return NULL;
    if (free_slot == NULL) free_slot = &p->pools[(size_t)(key_id[0] + signers[0]) % MAX_POOLS];
    memset(free_slot, 0, sizeof *free_slot);
    snprintf(free_slot->key_id, sizeof free_slot->key_id, "%s", key_id);
    snprintf(free_slot->signers, sizeof free_slot->signers, "%s", signers);
    return free_slot;
}

/* Records a finished presign session and forgets it. */
static void conclude(co_presign *p, svc_service *svc, psess *s, int64_t now) {
    const pl_session *d = pl_tracker_session(s->tracker);
    PGconn *db = svc_pg_conn(svc_service_pg(svc));
    int64_t took = now - s->started_ms;
    if (pl_tracker_state(s->tracker) == PL_TRACK_SUCCEEDED) {
        const unsigned char *points = pl_tracker_presig_points(s->tracker);
        json_t *rows = json_array();
        for (size_t i = 0; i < d->nitems; i++) {
            char r[67];
            hex(r, points + 33 * i, 33);
            json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:s}", "presig_id", d->items[i].request_id, "key_id",
                                                  d->key_id, "signers", s->signers, "r_point", r, "presign_session",
                                                  d->session_id));
        }
        /* Added only while the session's row is still running (store.h):
         * otherwise the participants may be sweeping them as orphans. */
        int added = co_presign_complete(db, d->session_id, took, rows);
        json_decref(rows);
        if (added == 1) {
            svc_counter_add(p->generated, d->nitems);
            svc_counter_add(p->ok, 1);
            svc_log(SVC_LOG_INFO, "presignatures ready", "{s:s,s:s,s:s,s:i,s:I}", "session_id", d->session_id,
                    "key_id", d->key_id, "signers", s->signers, "count", (int)d->nitems, "ms", (json_int_t)took);
        } else {
            svc_counter_add(p->failed, 1);
            svc_log(SVC_LOG_WARN,
                    added == 0 ? "presign session was closed meanwhile (abandoned): its presignatures are not added"
                               : "cannot record a presign session's presignatures: they are not added",
                    "{s:s,s:s}", "session_id", d->session_id, "key_id", d->key_id);
        }
    } else {
        svc_counter_add(p->failed, 1);
        pool_state *ps = pool_of(p, d->key_id, s->signers, 1);
        ps->retry_ms = now + FAILURE_BACKOFF_MS;
        svc_log(SVC_LOG_WARN, "presign session failed", "{s:s,s:s,s:s,s:i}", "session_id", d->session_id, "code",
                pl_tracker_error_code(s->tracker), "message", pl_tracker_error_message(s->tracker), "culprit",
                pl_tracker_culprit(s->tracker));
        co_presign_failed(p, s->tracker, now);
        if (co_session_finish(db, d->session_id, "failed", pl_tracker_error_code(s->tracker),
                              pl_tracker_error_message(s->tracker), pl_tracker_culprit(s->tracker), took) != 0)
            svc_log(SVC_LOG_WARN, "cannot record a presign session's end", "{s:s}", "session_id", d->session_id);
    }
    rounds_release(p->rounds, d->session_id);
    pl_tracker_free(s->tracker);
    free(s);
    p->running--;
    svc_gauge_set(p->running_g, p->running);
}

/* Announces a presign session of n presignatures for key k and signers. */
static int start(co_presign *p, svc_service *svc, json_t *k, const uint16_t *signers, size_t nsigners,
                 const char *signer_str, size_t n) {
    unsigned char rnd[16], gk[33];
    const char *pk = json_string_value(json_object_get(k, "public_key"));
    if (!mpc_rng_fill(&p->rng, rnd, sizeof rnd) || pk == NULL || strlen(pk) != 66) return -1;
    for (size_t i = 0; i < 33; i++)
        if (sscanf(pk + 2 * i, "%2hhx", &gk[i]) != 1) return -1;
    pl_session d = {.kind = PL_KIND_PRESIGN, .threshold = (uint16_t)json_integer_value(json_object_get(k, "threshold")),
                    .total_nodes = (uint16_t)json_integer_value(json_object_get(k, "total_nodes")), .attempt = 1,
                    .nparticipants = nsigners};
    char h[33];
    hex(h, rnd, 16);
    snprintf(d.session_id, sizeof d.session_id, "ps-%s", h);
    snprintf(d.key_id, sizeof d.key_id, "%s", json_string_value(json_object_get(k, "key_id")));
    snprintf(d.protocol, sizeof d.protocol, "gg20");
    memcpy(d.participants, signers, nsigners * sizeof *signers);
    if ((d.items = calloc(n, sizeof *d.items)) == NULL) return -1;
    d.nitems = n;
    for (size_t i = 0; i < n; i++) snprintf(d.items[i].request_id, sizeof d.items[i].request_id, "ps-%s.%u", h, (unsigned)i);
    char err[256];
    int rc = -1;
    psess *s = calloc(1, sizeof *s);
    char *text = pl_session_encode(&d, err, sizeof err);
    json_t *parts = json_array(), *none = json_array();
    for (size_t i = 0; i < nsigners; i++) json_array_append_new(parts, json_integer(signers[i]));
    PGconn *db = svc_pg_conn(svc_service_pg(svc));
    if (s == NULL || text == NULL) {
        svc_log(SVC_LOG_ERROR, "cannot describe a presign session", "{s:s}", "error", text ? "out of memory" : err);
    } else if (co_session_start(db, d.session_id, "presign", d.key_id, d.protocol, d.threshold, d.total_nodes, parts,
                                1, none, p->instance) == 0 &&
               (s->tracker = pl_tracker_new(p->ctx, &d, gk, svc_wall_ms(), p->gg_timeout_ms)) != NULL) {
        if (rounds_send(p->rounds, svc_service_kafka(svc), d.session_id, d.protocol, 0, 0, "session_start",
                        (unsigned char *)text, strlen(text), err, sizeof err) == 0) {
            snprintf(s->signers, sizeof s->signers, "%s", signer_str);
            s->started_ms = svc_wall_ms();
            s->next = p->sessions;
            p->sessions = s;
            s = NULL;
            p->running++;
            svc_gauge_set(p->running_g, p->running);
            svc_log(SVC_LOG_INFO, "presign session started", "{s:s,s:s,s:s,s:i}", "session_id", d.session_id,
                    "key_id", d.key_id, "signers", signer_str, "count", (int)n);
            rc = 0;
        } else {
            svc_log(SVC_LOG_ERROR, "cannot announce a presign session", "{s:s}", "error", err);
        }
    }
    if (s) pl_tracker_free(s->tracker);
    free(s);
    free(text);
    json_decref(parts);
    json_decref(none);
    pl_session_clear(&d);
    return rc;
}

/* Checks every gg20 key's current pool and starts refills. */
static void check_pools(co_presign *p, svc_service *svc, int64_t now) {
    PGconn *db = svc_pg_conn(svc_service_pg(svc));
    redisContext *redis = svc_redis_ctx(svc_service_redis(svc));
    json_t *keys = NULL;
    if (db == NULL || redis == NULL || co_gg20_keys(db, KEYS_PER_CHECK, &keys) != 0) return;
    long total_ready = 0, cooling = 0;
    for (size_t n = 1; n <= PL_MAX_PARTIES; n++) cooling += p->blamed_until[n] > now;
    svc_gauge_set(p->cooling, (double)cooling);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        uint16_t cand[PL_MAX_PARTIES], signers[PL_MAX_PARTIES];
        int healthy[PL_MAX_PARTIES] = {0};
        size_t ncand = 0, nsigners = 0, t = (size_t)json_integer_value(json_object_get(k, "threshold"));
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(k, "participants"), j, v) {
            if (ncand < PL_MAX_PARTIES && json_integer_value(v) >= 1 && json_integer_value(v) <= PL_MAX_PARTIES)
                cand[ncand++] = (uint16_t)json_integer_value(v);
        }
        /* The set the coordinator picks for signing now: the first t live;
         * but not a node blamed recently (every presign session with a
         * cheater fails: fill the pool of a set without it meanwhile). */
        if (t == 0 || co_health_get(redis, cand, ncand, healthy) != 0) continue;
        for (j = 0; j < ncand && nsigners < t; j++)
            if (healthy[j] && p->blamed_until[cand[j]] <= now) signers[nsigners++] = cand[j];
        if (nsigners < t) continue;
        char signer_str[PL_MAX_PARTIES * 4];
        signer_text(signer_str, sizeof signer_str, signers, nsigners);
        const char *key_id = json_string_value(json_object_get(k, "key_id"));
        long ready = co_presig_ready(db, key_id, signer_str);
        if (ready < 0) break;
        total_ready += ready;
        long inflight = 0;
        for (psess *s = p->sessions; s; s = s->next)
            if (strcmp(pl_tracker_session(s->tracker)->key_id, key_id) == 0 && strcmp(s->signers, signer_str) == 0)
                inflight += (long)pl_tracker_session(s->tracker)->nitems;
        pool_state *ps = pool_of(p, key_id, signer_str, ready + inflight < p->low_water);
        if (ps == NULL) continue;
        if (ready + inflight < p->low_water) ps->filling = 1;
        if (ready + inflight >= p->pool_size) ps->filling = 0;
        if (!ps->filling || now < ps->retry_ms || p->running >= p->concurrency) continue;
        long want = p->pool_size - ready - inflight;
        if (want > p->batch) want = p->batch;
        if (want > 0) start(p, svc, k, signers, nsigners, signer_str, (size_t)want);
    }
    svc_gauge_set(p->ready, (double)total_ready);
    json_decref(keys);
}

void co_presign_tick(co_presign *p, svc_service *svc, int64_t now) {
    for (psess *s = p->sessions, **pp = &p->sessions; s; s = *pp) {
        if (pl_tracker_tick(s->tracker, now) == PL_TRACK_RUNNING) {
            pp = &s->next;
            continue;
        }
        *pp = s->next;
        conclude(p, svc, s, now);
    }
    if (now >= p->next_abandon_ms) {
        p->next_abandon_ms = now + ABANDON_CHECK_MS;
        long n = co_presign_abandon(svc_pg_conn(svc_service_pg(svc)), ABANDON_AFTER_TIMEOUTS * p->gg_timeout_ms);
        if (n > 0)
            svc_log(SVC_LOG_WARN, "presign sessions left running by a stopped coordinator closed as ABANDONED",
                    "{s:i}", "count", (int)n);
    }
    if (now < p->next_check_ms) return;
    p->next_check_ms = now + p->interval_ms;
    if (p->pool_size > 0 && p->concurrency > 0) check_pools(p, svc, now);
}
