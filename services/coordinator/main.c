/* mpc-coordinator - owns sessions: picks participants, starts and follows
 * protocol sessions, verifies and publishes results. Holds no key material.
 *
 * Requests (mpc.keygen.requests, mpc.sign.requests) are consumed by the
 * coordinators' consumer group. For each record:
 *   1. it is decoded (undecodable -> mpc.dlq) and its requests are recorded
 *      in PostgreSQL (idempotency: a request already finished is answered
 *      from its stored outcome and never signed again);
 *   2. signers are picked among the key's participants whose heartbeat is
 *      live in Redis, and a session is announced on mpc.rounds
 *      (session_start, signed by this coordinator's identity, node 0);
 *   3. the session is followed through a tail of mpc.rounds
 *      (lib/pipeline/tracker.h): the first output whose signatures verify
 *      under the group key decides; aborts and timeouts fail it, and one
 *      retry runs with the culprit or silent nodes left out;
 *   4. outcomes are written (only by the session that owns the request) and
 *      one Result per request is published on mpc.results.
 * The record's Kafka offset is committed only when its session has ended
 * (lib/pipeline/offsets.h), so a coordinator crash redelivers, never loses.
 * Heartbeats (mpc.nodes, read whole by every coordinator through the same
 * tail) keep node:health:<id> in Redis and the nodes table.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec/avro_codec.h"
#include "engine/ctx.h"
#include "engine/rng.h"
#include "pipeline/offsets.h"
#include "pipeline/request_hash.h"
#include "pipeline/session.h"
#include "pipeline/ecdsa_sig.h"
#include "pipeline/tracker.h"
#include "presign.h"
#include "rounds/rounds.h"
#include "chain/chain.h"
#include "clients.h"
#include "sigv1.h"
#include "store.h"
#include "svc/dlq.h"
#include "svc/clock.h"
#include "svc/log.h"
#include "svc/service.h"

#define HEALTH_TTL_MS 10000
/* Admitting a request reads node health and the key; both change rarely
 * (heartbeats every 2 s, keys on keygen or an operator's action), so each is
 * reused for a short while instead of one Redis and one PostgreSQL round
 * trip per request. A disabled key can thus still be used for up to
 * KEY_CACHE_MS; an unhealthy node is still tried for up to HEALTH_CACHE_MS
 * (the session then fails over to another subset). */
#define HEALTH_CACHE_MS 250
#define KEY_CACHE_MS 1000
#define KEY_CACHE_SLOTS 64
/* A record redelivered because the heavy-session queue is full comes back
 * every few tens of milliseconds: it is counted every time, logged at most
 * this often. */
#define REDELIVERY_LOG_MS 10000

typedef struct csession {
    pl_tracker *tracker;
    co_key key;                /* the key (sign) or the key being made (keygen) */
    char keygen_request[129];  /* keygen: its request id */
    char batch_id[129], client_id[129];
    int attempt;
    unsigned char excluded[256]; /* nodes left out after misbehaving or staying silent */
    char src_topic[64];
    int32_t src_partition;
    int64_t src_offset;
    int64_t src_timestamp_ms; /* the request record's Kafka timestamp (-1: none) */
    int64_t started_ms;
    int heavy;                /* counted in coordinator.heavy_running (see admit_or_queue) */
    struct csession *next;
} csession;

/* A session admitted but waiting for a heavy-session slot: its description
 * is kept until launch_session announces it. */
typedef struct queued {
    csession *s;
    pl_session desc;
    struct queued *next;
} queued;

typedef struct {
    mpc_rng rng;
    mpc_engine_ctx *ctx;
    rounds_node *rounds;
    svc_kafka *tail;
    co_clients *clients;
    pl_offsets *offsets;
    csession *sessions;
    int nsessions;
    int64_t timeout_ms;
    int64_t node_wait_ms;
    int64_t started_ms;
    int max_attempts;
    /* Admission of heavy sessions (GG18 signing, GG20 signing that presigns
     * inline): at most max_heavy run at once; the others wait in a FIFO of
     * at most max_queued, their records pending (never committed, so never
     * lost); beyond that the record is redelivered (Kafka holds the rest). */
    int max_heavy, max_queued, heavy_running, nqueued;
    queued *queue_head, *queue_tail;
    /* Records redelivered because the queue was full, since the last log line. */
    long redelivered_unlogged;
    int64_t redelivery_logged_ms;
    char instance[128];
    int64_t node_seen_ms[256];
    /* Node health as read from Redis, at most HEALTH_CACHE_MS old. */
    int healthy[256];
    int64_t health_read_ms;
    /* Recently loaded keys, each reused for KEY_CACHE_MS. */
    struct cached_key {
        co_key key;
        int64_t loaded_ms;
    } keys[KEY_CACHE_SLOTS];
    int64_t next_cancel_check_ms;
    co_presign *presign; /* GG hooks and the GG20 presignature pool */
    svc_metric *results_ok, *results_failed, *latency, *retries, *wait, *handling, *concluding, *unauthenticated, *bad_heartbeats;
    svc_metric *queued_g, *heavy_g, *queued_total, *redelivered;
} coordinator;

static const char *const coordinator_topics[] = {"mpc.keygen.requests", "mpc.sign.requests"};
/* Read whole by every coordinator (no group): the rounds of its sessions
 * land in any partition, and every coordinator must see every heartbeat
 * (were heartbeats shared out by the group, a crashed coordinator's share
 * would go unread until the group noticed, and live nodes would look dead). */
static const char *const tail_topics[] = {ROUNDS_TOPIC, "mpc.nodes"};

static const svc_config_entry coordinator_settings[] = {
    {"node.identity_key_file", SVC_CFG_STRING, "MPC_IDENTITY_KEY_FILE", ".local/keys/node-0/identity.key", 0, 0, 0,
     "The coordinators' identity secret key (node 0): signs session announcements"},
    {"node.roster_file", SVC_CFG_STRING, "MPC_ROSTER_FILE", ".local/keys/roster.json", 0, 0, 0,
     "The pinned public keys of every node"},
    {"api.secret_key", SVC_CFG_STRING, "MPC_API_SECRET_KEY", "", 0, 0, 1,
     "The API's key sealing client secrets (64 hex); the coordinator opens them to check request records' auth"},
    {"session.timeout_ms", SVC_CFG_INT, "MPC_SESSION_TIMEOUT_MS", "10000", 100, 600000, 0,
     "A session not finished after this long fails (and is retried once)"},
    {"session.max_attempts", SVC_CFG_INT, "MPC_SESSION_MAX_ATTEMPTS", "2", 1, 5, 0,
     "Sessions per request before it fails (a retry leaves out culprit or silent nodes)"},
    {"session.node_wait_ms", SVC_CFG_INT, "MPC_SESSION_NODE_WAIT_MS", "5000", 0, 60000, 0,
     "A request that finds too few live nodes is held this long (from its submission or the coordinator's start)"
     " before it fails with NOT_ENOUGH_PARTICIPANTS"},
    {"session.max_heavy", SVC_CFG_INT, "MPC_SESSION_MAX_HEAVY", "4", 1, 1000, 0,
     "Heavy sessions (GG18 signing, GG20 signing that presigns inline) run at once; more wait their turn"},
    {"session.max_queued", SVC_CFG_INT, "MPC_SESSION_MAX_QUEUED", "1000", 0, 100000, 0,
     "Sessions waiting for a heavy slot; beyond this, request records stay in Kafka until one frees"},
    CO_PRESIGN_SETTINGS
};

static void sha256(unsigned char out[32], const void *a, size_t alen, const void *b, size_t blen) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n;
    if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, a, alen) != 1 ||
        (blen && EVP_DigestUpdate(c, b, blen) != 1) || EVP_DigestFinal_ex(c, out, &n) != 1) {
        fprintf(stderr, "mpc-coordinator: SHA-256 failed\n");
        abort();
    }
    EVP_MD_CTX_free(c);
}

/* key_id = "key_" + hex(SHA-256("mpc.v1.key_id" || request_id))[0:24]. */
static void derive_key_id(char out[32], const char *request_id) {
    unsigned char d[32];
    sha256(d, "mpc.v1.key_id", 13, request_id, strlen(request_id));
    char h[65];
    mpc_api_hex(d, 32, h);
    snprintf(out, 32, "key_%.24s", h);
}

static int new_session_id(coordinator *c, char out[64]) {
    unsigned char r[16];
    if (!mpc_rng_fill(&c->rng, r, sizeof r)) return -1;
    char h[33];
    mpc_api_hex(r, 16, h);
    snprintf(out, 64, "s-%s", h);
    return 0;
}

/* ---- publishing results -------------------------------------------------- */

static void publish_result(svc_service *svc, coordinator *c, const char *request_id, const char *batch_id,
                           const char *kind, json_t *row) {
    const char *status = json_string_value(json_object_get(row, "status"));
    json_t *result = json_object_get(row, "result");
    const char *code = json_string_value(json_object_get(row, "error_code"));
    const char *message = json_string_value(json_object_get(row, "error_message"));
    unsigned char sig[80], pk[33], der[PL_ECDSA_DER_MAX];
    size_t siglen = 0;
    mpc_result rec = {.request_id = (char *)request_id,
                      .batch_id = (char *)batch_id,
                      .kind = (char *)kind,
                      .status = (char *)status,
                      .error_code = code && *code ? (char *)code : NULL,
                      .error_message = message && *message ? (char *)message : NULL,
                      .completed_at = svc_wall_ms()};
    int32_t parts[255];
    if (json_is_object(result)) {
        const char *s = json_string_value(json_object_get(result, "signature"));
        if (s && strlen(s) <= 160) {
            siglen = strlen(s) / 2;
            for (size_t i = 0; i < siglen; i++) sscanf(s + 2 * i, "%2hhx", &sig[i]);
            rec.signature = (mpc_bytes){sig, siglen};
        }
        const char *d = json_string_value(json_object_get(result, "signature_der"));
        if (d && strlen(d) <= 2 * sizeof der) {
            for (size_t i = 0; i < strlen(d) / 2; i++) sscanf(d + 2 * i, "%2hhx", &der[i]);
            rec.signature_der = (mpc_bytes){der, strlen(d) / 2};
        }
        json_t *recid = json_object_get(result, "recovery_id");
        rec.has_recovery_id = json_is_integer(recid);
        rec.recovery_id = (int32_t)json_integer_value(recid);
        const char *p = json_string_value(json_object_get(result, "public_key"));
        if (p && strlen(p) == 66) {
            for (size_t i = 0; i < 33; i++) sscanf(p + 2 * i, "%2hhx", &pk[i]);
            rec.public_key = (mpc_bytes){pk, 33};
        }
        rec.key_id = (char *)json_string_value(json_object_get(result, "key_id"));
        rec.address = (char *)json_string_value(json_object_get(result, "address"));
        rec.session_id = (char *)json_string_value(json_object_get(result, "session_id"));
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(result, "participants"), i, v) {
            if (i < 255) parts[rec.participants_len++] = (int32_t)json_integer_value(v);
        }
        rec.participants = parts;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[256];
    if (mpc_codec_encode_result(&rec, &buf, &len) != MPC_CODEC_OK) {
        svc_log(SVC_LOG_ERROR, "cannot encode result", "{s:s,s:s}", "request_id", request_id, "error",
                mpc_codec_last_error()->message);
        return;
    }
    if (svc_kafka_produce(svc_service_kafka(svc), "mpc.results", request_id, strlen(request_id), buf, len, err,
                          sizeof err) != 0)
        svc_log(SVC_LOG_ERROR, "cannot publish result", "{s:s,s:s}", "request_id", request_id, "error", err);
    svc_counter_add(strcmp(status, "succeeded") == 0 ? c->results_ok : c->results_failed, 1);
    free(buf);
}

/* Rejects requests that never got a session, and publishes their outcome. */
static int reject_requests(svc_service *svc, coordinator *c, json_t *ids, const char *kind, const char *batch_id,
                           const char *code, const char *message) {
    json_t *rows = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        json_array_append_new(rows, json_pack("{s:O,s:s,s:n,s:s,s:s}", "request_id", v, "status", "failed",
                                              "result", "error_code", code, "error_message", message));
    }
    json_t *done = NULL;
    int rc = co_requests_reject(svc_pg_conn(svc_service_pg(svc)), rows, &done);
    json_array_foreach(done, i, v) {
        json_t *row = NULL;
        json_t *r;
        size_t j;
        json_array_foreach(rows, j, r) {
            if (json_equal(json_object_get(r, "request_id"), v)) row = r;
        }
        if (row) publish_result(svc, c, json_string_value(v), batch_id, kind, row);
    }
    json_decref(done);
    json_decref(rows);
    svc_log(SVC_LOG_WARN, "requests rejected", "{s:s,s:s,s:i}", "code", code, "message", message, "count",
            (int)json_array_size(ids));
    return rc;
}

/* ---- sessions -------------------------------------------------------------- */

/* Picks up to `want` live nodes from candidates not excluded. Returns the count. */
static size_t pick_nodes(svc_service *svc, coordinator *c, const csession *prev, const uint16_t *cand, size_t ncand,
                         size_t want, uint16_t *out) {
    int64_t now = svc_wall_ms();
    if (now - c->health_read_ms >= HEALTH_CACHE_MS) {
        uint16_t ids[255];
        int healthy[255] = {0};
        size_t n = 0;
        for (int id = 1; id <= 255; id++)
            if (rounds_is_participant(c->rounds, id)) ids[n++] = (uint16_t)id;
        if (co_health_get(svc_redis_ctx(svc_service_redis(svc)), ids, n, healthy) != 0) return 0;
        memset(c->healthy, 0, sizeof c->healthy);
        for (size_t i = 0; i < n; i++) c->healthy[ids[i]] = healthy[i];
        c->health_read_ms = now;
    }
    size_t n = 0;
    for (size_t i = 0; i < ncand && n < want; i++)
        if (c->healthy[cand[i]] && !(prev && prev->excluded[cand[i]])) out[n++] = cand[i];
    return n;
}

/* When too few nodes are live for a request, it is held (redelivered) while
 * it is younger than session.node_wait_ms: right after a start, or while a
 * node restarts, heartbeats have not all arrived yet. Returns 1 to hold. */
static int hold_for_nodes(coordinator *c, const rd_kafka_message_t *msg) {
    int64_t ts = rd_kafka_message_timestamp(msg, NULL), now = svc_wall_ms();
    int64_t since = ts > c->started_ms ? ts : c->started_ms;
    if (now - since >= c->node_wait_ms) return 0;
    c->health_read_ms = 0; /* read health afresh next time */
    usleep(20 * 1000);     /* the record comes straight back: don't spin */
    return 1;
}

/* co_key_load through the coordinator's short-lived key cache (only Active
 * keys are cached). Returns as co_key_load. */
static int load_key(PGconn *db, coordinator *c, const char *key_id, co_key *out) {
    int64_t now = svc_wall_ms();
    struct cached_key *slot = &c->keys[0];
    for (size_t i = 0; i < KEY_CACHE_SLOTS; i++) {
        struct cached_key *k = &c->keys[i];
        if (k->loaded_ms && strcmp(k->key.key_id, key_id) == 0) {
            if (now - k->loaded_ms < KEY_CACHE_MS) {
                *out = k->key;
                return 1;
            }
            slot = k;
            break;
        }
        if (k->loaded_ms < slot->loaded_ms) slot = k; /* the oldest, or an empty one */
    }
    int rc = co_key_load(db, key_id, out);
    if (rc == 1 && strcmp(out->status, "Active") == 0) {
        slot->key = *out;
        slot->loaded_ms = now;
    } else {
        slot->loaded_ms = 0;
    }
    return rc;
}

static void finish_offset(svc_service *svc, coordinator *c, const char *topic, int32_t partition, int64_t offset) {
    int64_t next = pl_offsets_finish(c->offsets, topic, partition, offset);
    if (next >= 0) svc_kafka_store_offset(svc_service_kafka(svc), topic, partition, next);
}

static void set_queue_gauges(coordinator *c) {
    svc_gauge_set(c->queued_g, c->nqueued);
    svc_gauge_set(c->heavy_g, c->heavy_running);
}

/* Announces a session and starts tracking it (desc is copied, not
 * consumed). Returns 0, or -1 (database or Kafka failure). */
static int launch_session(svc_service *svc, coordinator *c, csession *s, const pl_session *desc) {
    PGconn *db = svc_pg_conn(svc_service_pg(svc));
    json_t *parts = json_array(), *ids = json_array();
    for (size_t i = 0; i < desc->nparticipants; i++) json_array_append_new(parts, json_integer(desc->participants[i]));
    if (desc->kind == PL_KIND_KEYGEN) json_array_append_new(ids, json_string(s->keygen_request));
    for (size_t i = 0; i < desc->nitems; i++) json_array_append_new(ids, json_string(desc->items[i].request_id));
    char err[256];
    int rc = -1;
    char *text = NULL;
    if ((text = pl_session_encode(desc, err, sizeof err)) == NULL) {
        svc_log(SVC_LOG_ERROR, "cannot describe session", "{s:s}", "error", err);
        goto out;
    }
    if (co_session_start(db, desc->session_id, desc->kind == PL_KIND_KEYGEN ? "keygen" : "sign", desc->key_id,
                         desc->protocol, desc->threshold, desc->total_nodes, parts, s->attempt, ids, c->instance) != 0)
        goto out;
    s->tracker = pl_tracker_new(c->ctx, desc, desc->kind == PL_KIND_SIGN ? s->key.public_key : NULL, svc_wall_ms(),
                                co_gg_timeout(c->presign, desc->protocol, c->timeout_ms));
    if (s->tracker == NULL) goto out;
    if (rounds_send(c->rounds, svc_service_kafka(svc), desc->session_id, desc->protocol, 0, 0, "session_start",
                    (unsigned char *)text, strlen(text), err, sizeof err) != 0) {
        svc_log(SVC_LOG_ERROR, "cannot announce session", "{s:s}", "error", err);
        pl_tracker_free(s->tracker);
        s->tracker = NULL;
        goto out;
    }
    s->started_ms = svc_wall_ms();
    if (s->attempt == 1 && s->src_timestamp_ms > 0 && s->started_ms >= s->src_timestamp_ms)
        svc_histogram_observe(c->wait, (double)(s->started_ms - s->src_timestamp_ms) / 1000.0);
    s->next = c->sessions;
    c->sessions = s;
    c->nsessions++;
    if (s->heavy) c->heavy_running++;
    set_queue_gauges(c);
    svc_service_set_active_sessions(svc, c->nsessions);
    svc_log(SVC_LOG_INFO, "session started", "{s:s,s:s,s:s,s:i,s:i,s:O}", "session_id", desc->session_id, "kind",
            desc->kind == PL_KIND_KEYGEN ? "keygen" : "sign", "protocol", desc->protocol, "items",
            (int)desc->nitems, "attempt", s->attempt, "participants", parts);
    co_gg_announced(c->presign, desc);
    rc = 0;
out:
    free(text);
    json_decref(parts);
    json_decref(ids);
    return rc;
}

/* GG18 signing and GG20 signing without pooled presignatures cost the
 * signers hundreds of milliseconds of CPU per item (docs/ecdsa.md); FROST
 * and pooled GG20 signing cost about a millisecond. */
static int is_heavy(const pl_session *d) {
    if (d->kind != PL_KIND_SIGN || !pl_is_ecdsa(d->protocol)) return 0;
    return strcmp(d->protocol, "gg20") != 0 || d->nitems == 0 || d->items[0].presig_id[0] == '\0';
}

#define START_QUEUE_FULL (-2)

/* Prepares a session (GG: claims pooled presignatures) and launches it, or
 * queues it while max_heavy heavy sessions run. desc is consumed on every
 * path but START_QUEUE_FULL (only when may_refuse: the caller keeps desc
 * and s and redelivers the record). Returns 0 (launched or queued), -1
 * (database or Kafka failure: desc consumed), START_QUEUE_FULL. */
static int start_session(svc_service *svc, coordinator *c, csession *s, pl_session *desc, int may_refuse) {
    if (co_gg_prepare(c->presign, svc_pg_conn(svc_service_pg(svc)), desc, s->key.chain_type) != 0) {
        pl_session_clear(desc);
        return -1;
    }
    s->heavy = is_heavy(desc);
    if (!s->heavy || (c->heavy_running < c->max_heavy && c->queue_head == NULL)) {
        int rc = launch_session(svc, c, s, desc);
        pl_session_clear(desc);
        return rc;
    }
    if (may_refuse && c->nqueued >= c->max_queued) return START_QUEUE_FULL;
    queued *q = calloc(1, sizeof *q);
    if (q == NULL) {
        pl_session_clear(desc);
        return -1;
    }
    q->s = s;
    q->desc = *desc; /* moved */
    memset(desc, 0, sizeof *desc);
    if (c->queue_tail) c->queue_tail->next = q;
    else c->queue_head = q;
    c->queue_tail = q;
    c->nqueued++;
    svc_counter_add(c->queued_total, 1);
    set_queue_gauges(c);
    return 0;
}

/* Launches queued sessions while heavy slots are free. A launch that fails
 * (database or Kafka away) stays at the head and is tried on a later tick:
 * its record is pending, so nothing is lost meanwhile. */
static void drain_queue(svc_service *svc, coordinator *c) {
    while (c->queue_head && c->heavy_running < c->max_heavy) {
        queued *q = c->queue_head;
        if (launch_session(svc, c, q->s, &q->desc) != 0) return;
        c->queue_head = q->next;
        if (c->queue_head == NULL) c->queue_tail = NULL;
        c->nqueued--;
        pl_session_clear(&q->desc);
        free(q);
        set_queue_gauges(c);
    }
}

/* Builds the next attempt of a failed session, or returns -1 when there is
 * no other way to run it. */
static int retry_session(svc_service *svc, coordinator *c, csession *old) {
    if (old->attempt >= c->max_attempts) return -1;
    const pl_session *d = pl_tracker_session(old->tracker);
    uint16_t culprit = pl_tracker_culprit(old->tracker);
    unsigned char excluded[256];
    memcpy(excluded, old->excluded, sizeof excluded);
    if (culprit) excluded[culprit] = 1;
    if (strcmp(pl_tracker_error_code(old->tracker), "PARTICIPANT_TIMEOUT") == 0) {
        uint16_t silent[PL_MAX_PARTIES];
        size_t n = pl_tracker_silent(old->tracker, silent);
        if (n < d->nparticipants)
            for (size_t i = 0; i < n; i++) excluded[silent[i]] = 1;
    }
    csession *s = calloc(1, sizeof *s);
    if (s == NULL) return -1;
    *s = *old;
    s->tracker = NULL;
    s->next = NULL;
    s->attempt = old->attempt + 1;
    memcpy(s->excluded, excluded, sizeof excluded);
    pl_session nd = *d;
    nd.items = NULL;
    nd.nitems = 0;
    nd.attempt = (uint32_t)s->attempt;
    if (new_session_id(c, nd.session_id) != 0) goto fail;
    if (d->kind == PL_KIND_SIGN) {
        nd.nparticipants = pick_nodes(svc, c, s, s->key.participants, s->key.nparticipants, (size_t)s->key.threshold,
                                      nd.participants);
        if (nd.nparticipants < (size_t)s->key.threshold) goto fail;
        nd.items = calloc(d->nitems, sizeof *nd.items);
        if (nd.items == NULL) goto fail;
        for (size_t i = 0; i < d->nitems; i++) {
            nd.items[i] = d->items[i];
            nd.items[i].message = malloc(d->items[i].message_len);
            if (nd.items[i].message == NULL) goto fail;
            memcpy(nd.items[i].message, d->items[i].message, d->items[i].message_len);
            nd.nitems = i + 1;
        }
    } else {
        /* Key generation needs every node 1..n: retry only the same set. */
        for (size_t i = 0; i < d->nparticipants; i++)
            if (s->excluded[d->participants[i]] && culprit == d->participants[i]) goto fail;
    }
    svc_counter_add(c->retries, 1);
    if (start_session(svc, c, s, &nd, 0) == 0) return 0;
    free(s);
    return -1;
fail:
    pl_session_clear(&nd);
    free(s);
    return -1;
}

static void unlink_session(coordinator *c, csession *s) {
    for (csession **pp = &c->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    c->nsessions--;
}

/* Records the outcome of a session that ended, publishes results, and lets
 * its source record be committed. */
static void conclude(svc_service *svc, coordinator *c, csession *s) {
    const pl_session *d = pl_tracker_session(s->tracker);
    if (s->heavy) {
        c->heavy_running--;
        s->heavy = 0; /* a retry recounts itself */
        set_queue_gauges(c);
    }
    PGconn *db = svc_pg_conn(svc_service_pg(svc));
    int64_t took = svc_wall_ms() - s->started_ms;
    pl_track_state st = pl_tracker_state(s->tracker);
    const char *kind = d->kind == PL_KIND_KEYGEN ? "keygen" : "sign";
    if (st == PL_TRACK_FAILED) {
        svc_log(SVC_LOG_WARN, "session failed", "{s:s,s:s,s:s,s:i,s:i}", "session_id", d->session_id, "code",
                pl_tracker_error_code(s->tracker), "message", pl_tracker_error_message(s->tracker), "culprit",
                pl_tracker_culprit(s->tracker), "attempt", s->attempt);
        co_presign_failed(c->presign, s->tracker, svc_wall_ms());
        if (strcmp(pl_tracker_error_code(s->tracker), "CANCELLED") != 0 && retry_session(svc, c, s) == 0) {
            co_session_finish(db, d->session_id, "failed", pl_tracker_error_code(s->tracker),
                              pl_tracker_error_message(s->tracker), pl_tracker_culprit(s->tracker), took);
            rounds_release(c->rounds, d->session_id);
            pl_tracker_free(s->tracker);
            free(s);
            return;
        }
    }

    json_t *parts = json_array();
    for (size_t i = 0; i < d->nparticipants; i++) json_array_append_new(parts, json_integer(d->participants[i]));
    json_t *rows = json_array();
    char pkhex[67] = "";
    if (d->kind == PL_KIND_KEYGEN) {
        if (st == PL_TRACK_SUCCEEDED) {
            mpc_api_hex(pl_tracker_group_key(s->tracker), 33, pkhex);
            /* The key's address on its chain (lib/chain); none for plain
             * FROST or a chain the library does not know. */
            char address[MPC_CHAIN_ADDRESS_MAX];
            mpc_chain_status as = mpc_chain_address(s->key.chain_type, d->protocol, pl_tracker_group_key(s->tracker),
                                                    address, sizeof address);
            if (as != MPC_CHAIN_OK && as != MPC_CHAIN_NO_ADDRESS)
                svc_log(SVC_LOG_WARN, "no address for the new key", "{s:s,s:s,s:s}", "key_id", d->key_id,
                        "chain_type", s->key.chain_type, "reason", mpc_chain_status_str(as));
            co_key_activate(db, d->key_id, pkhex, as == MPC_CHAIN_OK ? address : NULL);
            json_array_append_new(rows, json_pack("{s:s,s:s,s:{s:s,s:s,s:s?,s:s,s:O},s:n,s:n}", "request_id",
                                                  s->keygen_request, "status", "succeeded", "result", "key_id",
                                                  d->key_id, "public_key", pkhex, "address",
                                                  as == MPC_CHAIN_OK ? address : NULL, "session_id",
                                                  d->session_id, "participants", parts, "error_code",
                                                  "error_message"));
        } else {
            co_key_fail(db, d->key_id);
            json_array_append_new(rows, json_pack("{s:s,s:s,s:n,s:s,s:s}", "request_id", s->keygen_request, "status",
                                                  "failed", "result", "error_code", pl_tracker_error_code(s->tracker),
                                                  "error_message", pl_tracker_error_message(s->tracker)));
        }
    } else {
        char pk[67];
        mpc_api_hex(s->key.public_key, 33, pk);
        for (size_t i = 0; i < d->nitems; i++) {
            if (st == PL_TRACK_SUCCEEDED) {
                size_t len = 0;
                const unsigned char *sig = pl_tracker_signature(s->tracker, i, &len);
                char sh[161];
                mpc_api_hex(sig, len, sh);
                json_t *row = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:n,s:n,s:s,s:O},s:n,s:n}", "request_id",
                                        d->items[i].request_id, "status", "succeeded", "result", "key_id", d->key_id,
                                        "public_key", pk, "signature", sh, "signature_der", "recovery_id",
                                        "session_id", d->session_id, "participants", parts, "error_code",
                                        "error_message");
                if (pl_is_ecdsa(d->protocol)) co_gg_result(c->ctx, json_object_get(row, "result"), sig, len);
                json_array_append_new(rows, row);
            } else {
                json_array_append_new(rows, json_pack("{s:s,s:s,s:n,s:s,s:s}", "request_id", d->items[i].request_id,
                                                      "status", "failed", "result", "error_code",
                                                      pl_tracker_error_code(s->tracker), "error_message",
                                                      pl_tracker_error_message(s->tracker)));
            }
        }
    }
    json_t *done = NULL;
    int failed = st == PL_TRACK_FAILED;
    if (co_session_conclude(db, d->session_id, failed ? "failed" : "completed",
                            failed ? pl_tracker_error_code(s->tracker) : NULL,
                            failed ? pl_tracker_error_message(s->tracker) : NULL,
                            failed ? pl_tracker_culprit(s->tracker) : 0, took, rows, &done) == 0) {
        size_t i, j;
        json_t *v, *r;
        json_array_foreach(done, i, v) {
            json_array_foreach(rows, j, r) {
                if (json_equal(json_object_get(r, "request_id"), v))
                    publish_result(svc, c, json_string_value(v), s->batch_id[0] ? s->batch_id : NULL, kind, r);
            }
        }
    }
    svc_histogram_observe(c->latency, (double)took / 1000.0);
    json_decref(done);
    json_decref(rows);
    json_decref(parts);
    rounds_release(c->rounds, d->session_id);
    finish_offset(svc, c, s->src_topic, s->src_partition, s->src_offset);
    pl_tracker_free(s->tracker);
    free(s);
}

/* ---- requests -------------------------------------------------------------- */

/* A record that does not decode goes to the dead-letter topic; it is done
 * once the dead letter is queued, else it is retried. */
static svc_msg_outcome reject_record(svc_service *svc, const rd_kafka_message_t *msg, const mpc_codec_error *ce) {
    return svc_dead_letter(svc_service_kafka(svc), msg, mpc_codec_status_name(ce->code), ce->message,
                           "coordinator") == 0
               ? SVC_MSG_DONE
               : SVC_MSG_RETRY;
}

/* Makes s the first attempt for the request record msg of client_id: the
 * record is what gets committed when the session ends. */
static void first_attempt(csession *s, const rd_kafka_message_t *msg, const char *client_id) {
    s->attempt = 1;
    snprintf(s->client_id, sizeof s->client_id, "%s", client_id);
    snprintf(s->src_topic, sizeof s->src_topic, "%s", rd_kafka_topic_name(msg->rkt));
    s->src_partition = msg->partition;
    s->src_offset = msg->offset;
    s->src_timestamp_ms = rd_kafka_message_timestamp(msg, NULL);
}

/* Checks a request record's Auth (clients.h). Returns with *client set when
 * it may proceed; otherwise the outcome for the record: refused records go
 * to the dead-letter topic and are never stored as requests. */
static svc_msg_outcome authenticate(svc_service *svc, coordinator *c, const rd_kafka_message_t *msg,
                                    const mpc_auth *auth, const char *client_id, const co_client **client) {
    char why[256];
    co_auth_result r = co_clients_authenticate(c->clients, svc_pg_conn(svc_service_pg(svc)),
                                               svc_redis_ctx(svc_service_redis(svc)), rd_kafka_topic_name(msg->rkt),
                                               msg, auth, client_id, client, why, sizeof why);
    if (r == CO_AUTH_OK) return SVC_MSG_DONE;
    *client = NULL;
    if (r == CO_AUTH_RETRY) return SVC_MSG_RETRY;
    svc_counter_add(c->unauthenticated, 1);
    svc_log(SVC_LOG_WARN, "request record refused", "{s:s,s:s,s:i,s:I}", "reason", why, "topic",
            rd_kafka_topic_name(msg->rkt), "partition", (int)msg->partition, "offset", (json_int_t)msg->offset);
    return svc_dead_letter(svc_service_kafka(svc), msg, "unauthenticated", why, "coordinator") == 0 ? SVC_MSG_DONE
                                                                                                     : SVC_MSG_RETRY;
}

static svc_msg_outcome on_keygen(svc_service *svc, coordinator *c, const rd_kafka_message_t *msg) {
    mpc_keygen_request req;
    mpc_codec_error ce;
    if (mpc_codec_decode_keygen_request(msg->payload, msg->len, &req, &ce) != MPC_CODEC_OK)
        return reject_record(svc, msg, &ce);
    PGconn *db = svc_pg_conn(svc_service_pg(svc));
    const co_client *client = NULL;
    svc_msg_outcome out = authenticate(svc, c, msg, req.auth, req.client_id, &client);
    if (client == NULL) {
        mpc_codec_free_keygen_request(&req);
        return out;
    }
    out = SVC_MSG_RETRY;
    char key_id[32], hash[65];
    derive_key_id(key_id, req.request_id);
    json_t *kparts = json_array(), *kmeta = json_object();
    for (size_t i = 0; i < req.participants_len; i++) json_array_append_new(kparts, json_integer(req.participants[i]));
    for (size_t i = 0; i < req.metadata_len; i++)
        json_object_set_new(kmeta, req.metadata[i].key, json_string(req.metadata[i].value));
    int hrc = pl_keygen_hash(req.protocol, req.curve, req.threshold, req.total_nodes, req.chain_type, kparts, kmeta,
                             req.client_id, hash);
    json_decref(kparts);
    json_decref(kmeta);
    if (hrc != 0) {
        mpc_codec_free_keygen_request(&req);
        return SVC_MSG_RETRY;
    }
    json_t *rows = json_pack("[{s:s,s:s,s:n,s:s?,s:s,s:s,s:n}]", "request_id", req.request_id, "kind", "keygen",
                             "batch_id", "client_id", req.client_id, "key_id", key_id, "payload_hash", hash,
                             "callback_url");
    json_t *ids = json_pack("[s]", req.request_id), *found = NULL;
    if (co_requests_admit(db, rows, &found) != 0) goto out;
    json_t *row = json_object_get(found, req.request_id);
    const char *status = json_string_value(json_object_get(row, "status"));
    if (status && (!strcmp(status, "succeeded") || !strcmp(status, "failed") || !strcmp(status, "cancelled"))) {
        publish_result(svc, c, req.request_id, NULL, "keygen", row); /* idempotent replay */
        out = SVC_MSG_DONE;
        goto out;
    }
    if (strcmp(req.protocol, "frost") != 0 && strcmp(req.protocol, "frost-bip340") != 0 &&
        !pl_is_ecdsa(req.protocol)) {
        out = reject_requests(svc, c, ids, "keygen", NULL, "UNSUPPORTED_PROTOCOL",
                              "protocol must be one of frost, frost-bip340, gg18, gg20") == 0
                  ? SVC_MSG_DONE
                  : SVC_MSG_RETRY;
        goto out;
    }
    if (!co_client_allows_chain(client, req.chain_type)) {
        out = reject_requests(svc, c, ids, "keygen", NULL, "FORBIDDEN",
                              "this API key may not create keys for that chain") == 0
                  ? SVC_MSG_DONE
                  : SVC_MSG_RETRY;
        goto out;
    }
    csession *s = calloc(1, sizeof *s);
    if (s == NULL) goto out;
    first_attempt(s, msg, req.client_id);
    snprintf(s->keygen_request, sizeof s->keygen_request, "%s", req.request_id);
    co_key *k = &s->key;
    snprintf(k->key_id, sizeof k->key_id, "%s", key_id);
    snprintf(k->protocol, sizeof k->protocol, "%s", req.protocol);
    snprintf(k->chain_type, sizeof k->chain_type, "%s", req.chain_type);
    k->threshold = req.threshold;
    k->total_nodes = req.total_nodes;
    /* The DKG runs among nodes 1..n. */
    uint16_t all[255];
    for (int i = 0; i < req.total_nodes; i++) all[i] = (uint16_t)(i + 1);
    pl_session desc = {.kind = PL_KIND_KEYGEN, .threshold = (uint16_t)req.threshold,
                       .total_nodes = (uint16_t)req.total_nodes, .attempt = 1};
    desc.nparticipants = pick_nodes(svc, c, NULL, all, (size_t)req.total_nodes, (size_t)req.total_nodes, desc.participants);
    if (desc.nparticipants < (size_t)req.total_nodes) {
        free(s);
        if (hold_for_nodes(c, msg)) goto out; /* SVC_MSG_RETRY: asked again shortly */
        char why[160];
        snprintf(why, sizeof why, "key generation needs nodes 1..%d live; %zu are", req.total_nodes,
                 desc.nparticipants);
        out = reject_requests(svc, c, ids, "keygen", NULL, "NOT_ENOUGH_PARTICIPANTS", why) == 0 ? SVC_MSG_DONE
                                                                                                 : SVC_MSG_RETRY;
        goto out;
    }
    memcpy(k->participants, desc.participants, desc.nparticipants * sizeof *desc.participants);
    k->nparticipants = desc.nparticipants;
    snprintf(desc.key_id, sizeof desc.key_id, "%s", key_id);
    snprintf(desc.protocol, sizeof desc.protocol, "%s", req.protocol);
    if (new_session_id(c, desc.session_id) != 0 || co_key_insert_generating(db, k, req.request_id) != 0 ||
        start_session(svc, c, s, &desc, 0) != 0) {
        free(s);
        goto out;
    }
    out = SVC_MSG_PENDING;
out:
    json_decref(rows);
    json_decref(ids);
    json_decref(found);
    mpc_codec_free_keygen_request(&req);
    return out;
}

/* A sign request record goes back to Kafka because the heavy-session queue
 * is full: counted, and logged at most every REDELIVERY_LOG_MS with the
 * number of redeliveries since the last line. */
static void note_redelivery(coordinator *c, const rd_kafka_message_t *msg) {
    svc_counter_add(c->redelivered, 1);
    c->redelivered_unlogged++;
    int64_t now = svc_wall_ms();
    if (now - c->redelivery_logged_ms < REDELIVERY_LOG_MS) return;
    svc_log(SVC_LOG_WARN, "heavy-session queue full: request records redelivered until a slot frees",
            "{s:I,s:i,s:i,s:i,s:s,s:i,s:I}", "redelivered", (json_int_t)c->redelivered_unlogged, "queued", c->nqueued,
            "max_queued", c->max_queued, "heavy_running", c->heavy_running, "topic", rd_kafka_topic_name(msg->rkt),
            "partition", (int)msg->partition, "offset", (json_int_t)msg->offset);
    c->redelivered_unlogged = 0;
    c->redelivery_logged_ms = now;
}

static svc_msg_outcome on_sign(svc_service *svc, coordinator *c, const rd_kafka_message_t *msg) {
    mpc_sign_request req;
    mpc_codec_error ce;
    if (mpc_codec_decode_sign_request(msg->payload, msg->len, &req, &ce) != MPC_CODEC_OK)
        return reject_record(svc, msg, &ce);
    PGconn *db = svc_pg_conn(svc_service_pg(svc));
    const co_client *client = NULL;
    svc_msg_outcome out = authenticate(svc, c, msg, req.auth, req.client_id, &client);
    if (client == NULL) {
        mpc_codec_free_sign_request(&req);
        return out;
    }
    out = SVC_MSG_RETRY;
    json_t *rows = json_array(), *ids = json_array(), *found = NULL, *todo = json_array();
    for (size_t i = 0; i < req.items_len; i++) {
        char h[65];
        if (pl_sign_item_hash(req.key_id, req.items[i].message.data, req.items[i].message.len,
                              req.items[i].message_type, req.items[i].derivation_path, req.callback_url,
                              req.client_id, h) != 0)
            goto out;
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s,s:s?}", "request_id", req.items[i].request_id,
                                              "kind", "sign", "batch_id", req.batch_id, "client_id", req.client_id,
                                              "key_id", req.key_id, "payload_hash", h, "callback_url",
                                              req.callback_url));
        json_array_append_new(ids, json_string(req.items[i].request_id));
    }
    if (co_requests_admit(db, rows, &found) != 0) goto out;

    /* Which items still need a signature? Finished ones are answered from
     * their stored outcome; an id reused for a different payload is left alone. */
    size_t nitems = 0;
    pl_item *items = calloc(req.items_len, sizeof *items);
    if (items == NULL) goto out;
    for (size_t i = 0; i < req.items_len; i++) {
        json_t *row = json_object_get(found, req.items[i].request_id);
        const char *status = json_string_value(json_object_get(row, "status"));
        const char *stored = json_string_value(json_object_get(row, "payload_hash"));
        const char *want = json_string_value(json_object_get(json_array_get(rows, i), "payload_hash"));
        if (status == NULL) continue;
        if (stored && want && strcmp(stored, want) != 0) {
            svc_log(SVC_LOG_WARN, "request id reused for another payload: ignored", "{s:s}", "request_id",
                    req.items[i].request_id);
            continue;
        }
        if (!strcmp(status, "succeeded") || !strcmp(status, "failed") || !strcmp(status, "cancelled")) {
            publish_result(svc, c, req.items[i].request_id, req.batch_id, "sign", row);
            continue;
        }
        pl_item *it = &items[nitems++];
        snprintf(it->request_id, sizeof it->request_id, "%s", req.items[i].request_id);
        it->message = req.items[i].message.data; /* borrowed until the session copies it */
        it->message_len = req.items[i].message.len;
        it->is_hash = strcmp(req.items[i].message_type, "hash") == 0;
        json_array_append_new(todo, json_string(it->request_id));
    }
    if (nitems == 0) {
        free(items);
        out = SVC_MSG_DONE;
        goto out;
    }
    csession *s = calloc(1, sizeof *s);
    if (s == NULL) {
        free(items);
        goto out;
    }
    int found_key = load_key(db, c, req.key_id, &s->key);
    const char *code = NULL, *why = NULL;
    char because[200];
    if (found_key < 0) {
        free(items);
        free(s);
        goto out;
    }
    pl_session desc = {.kind = PL_KIND_SIGN, .attempt = 1, .items = items, .nitems = nitems};
    if (found_key == 0) {
        code = "KEY_NOT_FOUND", why = "no such key";
    } else if (!co_client_allows_key(client, req.key_id) || !co_client_allows_chain(client, s->key.chain_type)) {
        code = "FORBIDDEN", why = "this API key may not sign with that key";
    } else if (strcmp(s->key.status, "Active") != 0 || !s->key.has_public_key) {
        snprintf(because, sizeof because, "the key is %s, not Active", s->key.status);
        code = "KEY_NOT_ACTIVE", why = because;
    } else if (mpc_codec_sign_request_child_item(&req) >= 0) {
        /* Signing with the root key instead would hand back a signature that
         * does not verify under the child key the caller asked for. */
        code = "DERIVATION_NOT_SUPPORTED", why = "child-key derivation (derivation_path other than \"m\") is not supported yet";
    } else {
        desc.threshold = (uint16_t)s->key.threshold;
        desc.total_nodes = (uint16_t)s->key.total_nodes;
        desc.nparticipants = pick_nodes(svc, c, NULL, s->key.participants, s->key.nparticipants,
                                        (size_t)s->key.threshold, desc.participants);
        if (desc.nparticipants < (size_t)s->key.threshold) {
            snprintf(because, sizeof because, "%d signers needed, %zu live", s->key.threshold, desc.nparticipants);
            code = "NOT_ENOUGH_PARTICIPANTS", why = because;
        }
    }
    if (code) {
        free(items);
        free(s);
        if (strcmp(code, "NOT_ENOUGH_PARTICIPANTS") == 0 && hold_for_nodes(c, msg)) goto out;
        out = reject_requests(svc, c, todo, "sign", req.batch_id, code, why) == 0 ? SVC_MSG_DONE : SVC_MSG_RETRY;
        goto out;
    }
    first_attempt(s, msg, req.client_id);
    snprintf(s->batch_id, sizeof s->batch_id, "%s", req.batch_id ? req.batch_id : "");
    snprintf(desc.key_id, sizeof desc.key_id, "%s", req.key_id);
    snprintf(desc.protocol, sizeof desc.protocol, "%s", s->key.protocol);
    /* Give the session its own copies of the messages. */
    for (size_t i = 0; i < nitems; i++) {
        unsigned char *copy = malloc(items[i].message_len);
        if (copy) memcpy(copy, items[i].message, items[i].message_len);
        items[i].message = copy;
    }
    int started = new_session_id(c, desc.session_id) != 0 ? -1 : start_session(svc, c, s, &desc, 1);
    if (started != 0) {
        if (started == START_QUEUE_FULL) {
            pl_session_clear(&desc);
            note_redelivery(c, msg);
            usleep(20 * 1000); /* the record comes straight back: don't spin */
        }
        free(s);
        goto out;
    }
    out = SVC_MSG_PENDING;
out:
    json_decref(rows);
    json_decref(ids);
    json_decref(todo);
    json_decref(found);
    mpc_codec_free_sign_request(&req);
    return out;
}

/* A heartbeat from the tail. Every coordinator reads every heartbeat, so an
 * undecodable one is only counted (the auditor keeps its bytes), not
 * dead-lettered once per coordinator. */
static void on_heartbeat(svc_service *svc, coordinator *c, const rd_kafka_message_t *msg) {
    mpc_node_heartbeat hb;
    mpc_codec_error ce;
    if (mpc_codec_decode_node_heartbeat(msg->payload, msg->len, &hb, &ce) != MPC_CODEC_OK) {
        svc_counter_add(c->bad_heartbeats, 1);
        return;
    }
    int64_t now = svc_wall_ms();
    /* Only recent heartbeats of live participants count (a backlog replayed
     * at start must not mark long-dead nodes healthy). */
    if (strcmp(hb.service, "participant") == 0 && hb.node_id >= 1 && rounds_is_participant(c->rounds, hb.node_id) &&
        now - hb.sent_at < HEALTH_TTL_MS) {
        if (strcmp(hb.status, "ready") == 0) {
            json_t *caps = json_array();
            for (size_t i = 0; i < hb.capabilities_len; i++) json_array_append_new(caps, json_string(hb.capabilities[i]));
            json_t *o = json_pack("{s:i,s:s,s:s,s:i,s:I,s:O}", "node_id", hb.node_id, "status", hb.status, "instance",
                                  hb.instance, "active_sessions", hb.active_sessions, "sent_at", (json_int_t)hb.sent_at,
                                  "capabilities", caps);
            char *text = json_dumps(o, JSON_COMPACT);
            co_health_set(svc_redis_ctx(svc_service_redis(svc)), hb.node_id, text, (int)(HEALTH_TTL_MS - (now - hb.sent_at)));
            if (now - c->node_seen_ms[hb.node_id] > 10000) {
                char *cj = json_dumps(caps, JSON_COMPACT);
                if (co_node_seen(svc_pg_conn(svc_service_pg(svc)), hb.node_id, cj) == 0) c->node_seen_ms[hb.node_id] = now;
                free(cj);
            }
            free(text);
            json_decref(o);
            json_decref(caps);
        } else if (strcmp(hb.status, "stopping") == 0) {
            redisReply *r = redisCommand(svc_redis_ctx(svc_service_redis(svc)), "DEL node:health:%d", hb.node_id);
            freeReplyObject(r);
        }
    }
    mpc_codec_free_node_heartbeat(&hb);
}

static int ensure_tail(svc_service *svc, coordinator *c);

static svc_msg_outcome coordinator_on_message(svc_service *svc, const rd_kafka_message_t *msg) {
    coordinator *c = svc_service_state(svc);
    const char *topic = rd_kafka_topic_name(msg->rkt);
    if (pl_offsets_begin(c->offsets, topic, msg->partition, msg->offset) != 0) return SVC_MSG_RETRY;
    svc_msg_outcome out;
    if (svc_redis_ctx(svc_service_redis(svc)) == NULL || svc_pg_conn(svc_service_pg(svc)) == NULL ||
        !ensure_tail(svc, c))
        out = SVC_MSG_RETRY;
    else if (strcmp(topic, "mpc.sign.requests") == 0) {
        double t0 = svc_mono_seconds();
        out = on_sign(svc, c, msg);
        svc_histogram_observe(c->handling, svc_mono_seconds() - t0);
    } else out = on_keygen(svc, c, msg);
    if (out == SVC_MSG_RETRY) pl_offsets_cancel(c->offsets, topic, msg->partition, msg->offset);
    else if (out == SVC_MSG_DONE) finish_offset(svc, c, topic, msg->partition, msg->offset);
    return out == SVC_MSG_RETRY ? SVC_MSG_RETRY : SVC_MSG_PENDING;
}

/* ---- following sessions ---------------------------------------------------- */

static int json_array_contains(json_t *array, const char *text) {
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), text) == 0) return 1;
    }
    return 0;
}

static csession *find_session(coordinator *c, const char *id) {
    for (csession *s = c->sessions; s; s = s->next)
        if (strcmp(pl_tracker_session(s->tracker)->session_id, id) == 0) return s;
    return NULL;
}

static void on_round(svc_service *svc, coordinator *c, const rd_kafka_message_t *m) {
    char key[130] = "";
    if (m->key && m->key_len < sizeof key) memcpy(key, m->key, m->key_len);
    csession *owner = find_session(c, key);
    rounds_in in;
    const char *reason;
    int blame;
    rounds_outcome o = rounds_receive(c->rounds, m->payload, m->len, svc_wall_ms(), &in, &reason, &blame);
    if (o == ROUNDS_REJECT) {
        /* Forged or broken traffic in one of our sessions: keep it for the operators. */
        if (owner && svc_dead_letter(svc_service_kafka(svc), m, reason, "round message failed authentication",
                                     "coordinator") != 0)
            svc_log(SVC_LOG_ERROR, "cannot dead-letter a rejected round message", NULL);
        if (owner && blame > 0) pl_tracker_abort(owner->tracker, (uint16_t)blame, "EQUIVOCATION", (uint16_t)blame);
        return;
    }
    if (o != ROUNDS_ACCEPT) return;
    csession *s = find_session(c, in.msg.session_id);
    if (s && in.msg.from > 0) {
        const char *kind = in.msg.kind;
        if (strcmp(kind, "protocol") == 0) {
            pl_tracker_saw_round(s->tracker, (uint16_t)in.msg.from, (uint8_t)in.msg.round);
        } else if (strcmp(kind, "output") == 0) {
            if (pl_tracker_output(s->tracker, (uint16_t)in.msg.from, in.plain, in.plain_len) < 0)
                svc_log(SVC_LOG_WARN, "invalid output from a participant", "{s:s,s:i}", "session_id",
                        in.msg.session_id, "node", in.msg.from);
        } else if (strcmp(kind, "abort") == 0) {
            json_t *a = json_loadb((const char *)in.plain, in.plain_len, 0, NULL);
            const char *code = json_string_value(json_object_get(a, "code"));
            json_int_t culprit = json_integer_value(json_object_get(a, "culprit"));
            pl_tracker_abort(s->tracker, (uint16_t)in.msg.from, code ? code : "ABORT",
                             culprit >= 0 && culprit <= 255 ? (uint16_t)culprit : 0);
            json_decref(a);
        }
    } else if (s == NULL) {
        co_presign_on_round(c->presign, &in);
    }
    rounds_in_free(&in);
}

/* Opens the tail of mpc.rounds once Kafka answers (it needs the topic's
 * partitions). Returns 1 when the tail is open. */
static int ensure_tail(svc_service *svc, coordinator *c) {
    if (c->tail) return 1;
    if (!svc_service_ready(svc)) return 0;
    const svc_config *cfg = svc_service_config(svc);
    svc_kafka_options ko = {.brokers = svc_config_str(cfg, "kafka.brokers"),
                            .client_id = "mpc-coordinator-tail",
                            .security_protocol = svc_config_str(cfg, "kafka.security_protocol"),
                            .ssl_ca_location = svc_config_str(cfg, "kafka.ssl_ca_location"),
                            .linger_ms = 0,
                            .topics = tail_topics,
                            .ntopics = sizeof tail_topics / sizeof tail_topics[0]};
    char err[512];
    c->tail = svc_kafka_tail_new(&ko, 5000, err, sizeof err);
    if (c->tail == NULL) svc_log(SVC_LOG_WARN, "cannot follow mpc.rounds yet", "{s:s}", "error", err);
    return c->tail != NULL;
}

static void coordinator_on_tick(svc_service *svc) {
    coordinator *c = svc_service_state(svc);
    if (!ensure_tail(svc, c)) return;
    for (int i = 0; i < 2000; i++) {
        rd_kafka_message_t *m = svc_kafka_consume(c->tail, 0);
        if (m == NULL) break;
        if (!m->err && strcmp(rd_kafka_topic_name(m->rkt), "mpc.nodes") == 0) {
            if (svc_redis_ctx(svc_service_redis(svc))) on_heartbeat(svc, c, m);
        } else {
            on_round(svc, c, m);
        }
        rd_kafka_message_destroy(m);
    }
    svc_kafka_poll(c->tail);
    int64_t now = svc_wall_ms();
    json_t *cancel = NULL;
    if (now >= c->next_cancel_check_ms && c->sessions) {
        /* One query a second for every running session of this coordinator. */
        c->next_cancel_check_ms = now + 1000;
        json_t *ids = json_array();
        for (csession *s = c->sessions; s; s = s->next)
            if (pl_tracker_state(s->tracker) == PL_TRACK_RUNNING)
                json_array_append_new(ids, json_string(pl_tracker_session(s->tracker)->session_id));
        if (json_array_size(ids) > 0 && co_sessions_cancel_requested(svc_pg_conn(svc_service_pg(svc)), ids, &cancel) != 0)
            cancel = NULL;
        json_decref(ids);
    }
    for (csession *s = c->sessions, *next; s; s = next) {
        next = s->next;
        if (cancel && json_array_size(cancel) > 0 && pl_tracker_state(s->tracker) == PL_TRACK_RUNNING &&
            json_array_contains(cancel, pl_tracker_session(s->tracker)->session_id)) {
            const pl_session *d = pl_tracker_session(s->tracker);
            char err[200];
            if (rounds_send(c->rounds, svc_service_kafka(svc), d->session_id, d->protocol, 0, 0, "abort",
                            (const unsigned char *)"{\"code\":\"CANCELLED\",\"culprit\":0,\"message\":\"cancelled\"}",
                            54, err, sizeof err) != 0)
                svc_log(SVC_LOG_WARN, "cannot send cancel", "{s:s}", "error", err);
            pl_tracker_cancel(s->tracker);
        }
        if (pl_tracker_tick(s->tracker, now) != PL_TRACK_RUNNING) {
            unlink_session(c, s);
            double t0 = svc_mono_seconds();
            conclude(svc, c, s);
            svc_histogram_observe(c->concluding, svc_mono_seconds() - t0);
        }
    }
    json_decref(cancel);
    drain_queue(svc, c);
    svc_service_set_active_sessions(svc, c->nsessions);
    co_presign_tick(c->presign, svc, now);
}

static void coordinator_on_assign(svc_service *svc, rd_kafka_topic_partition_list_t *parts) {
    coordinator *c = svc_service_state(svc);
    if (c == NULL) return;
    for (int i = 0; i < parts->cnt; i++) pl_offsets_forget(c->offsets, parts->elems[i].topic, parts->elems[i].partition);
}

static int coordinator_on_start(svc_service *svc) {
    const svc_config *cfg = svc_service_config(svc);
    coordinator *c = calloc(1, sizeof *c);
    if (c == NULL) return -1;
    svc_service_set_state(svc, c);
    c->rng = mpc_rng_os();
    c->ctx = mpc_engine_ctx_new(&c->rng);
    c->offsets = pl_offsets_new();
    c->timeout_ms = svc_config_int(cfg, "session.timeout_ms");
    c->max_attempts = (int)svc_config_int(cfg, "session.max_attempts");
    c->node_wait_ms = svc_config_int(cfg, "session.node_wait_ms");
    c->max_heavy = (int)svc_config_int(cfg, "session.max_heavy");
    c->max_queued = (int)svc_config_int(cfg, "session.max_queued");
    c->started_ms = svc_wall_ms();
    snprintf(c->instance, sizeof c->instance, "%s", svc_service_instance(svc));
    if (c->ctx == NULL || c->offsets == NULL) return -1;
    char err[512];
    c->rounds = rounds_node_new(c->ctx, svc_config_str(cfg, "node.identity_key_file"),
                                svc_config_str(cfg, "node.roster_file"), 0, svc_service_metrics(svc), err, sizeof err);
    if (c->rounds == NULL) {
        svc_log(SVC_LOG_ERROR, err, "{s:s}", "fix", "node.identity_key_file / node.roster_file");
        return -1;
    }
    c->clients = co_clients_new(svc_config_str(cfg, "api.secret_key"), err, sizeof err);
    if (c->clients == NULL) {
        svc_log(SVC_LOG_ERROR, err, "{s:s}", "fix", "api.secret_key / MPC_API_SECRET_KEY");
        return -1;
    }
    svc_metrics *m = svc_service_metrics(svc);
    c->results_ok = svc_metrics_counter(m, "mpc_results_total", "Results published", "status=\"succeeded\"");
    c->results_failed = svc_metrics_counter(m, "mpc_results_total", "Results published", "status=\"failed\"");
    c->unauthenticated = svc_metrics_counter(m, "mpc_requests_unauthenticated_total",
                                             "Request records refused for a missing or bad auth (dead-lettered)", NULL);
    c->bad_heartbeats = svc_metrics_counter(m, "mpc_heartbeats_invalid_total", "Undecodable records on mpc.nodes", NULL);
    c->retries = svc_metrics_counter(m, "mpc_session_retries_total", "Sessions retried with another subset", NULL);
    c->queued_g = svc_metrics_gauge(m, "mpc_sessions_queued", "Heavy sessions waiting for a slot (session.max_heavy)",
                                    NULL);
    c->heavy_g = svc_metrics_gauge(m, "mpc_heavy_sessions", "Heavy sessions running (GG18, GG20 presigning inline)",
                                   NULL);
    c->queued_total = svc_metrics_counter(m, "mpc_sessions_queued_total", "Heavy sessions that waited for a slot",
                                          NULL);
    c->redelivered = svc_metrics_counter(m, "mpc_requests_redelivered_total",
                                         "Request records handed back to Kafka to be redelivered",
                                         "reason=\"heavy_queue_full\"");
    c->handling = svc_metrics_histogram(m, "mpc_request_handling_seconds",
                                        "Time the coordinator spends admitting one sign request record", NULL,
                                        svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
    c->concluding = svc_metrics_histogram(m, "mpc_session_conclude_seconds",
                                          "Time the coordinator spends recording and publishing an outcome", NULL,
                                          svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
    c->wait = svc_metrics_histogram(m, "mpc_request_wait_seconds",
                                    "From a request record's Kafka timestamp to its session's announcement", NULL,
                                    svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
    c->latency = svc_metrics_histogram(m, "mpc_session_seconds", "Session duration, announcement to outcome", NULL,
                                       svc_metrics_latency_bounds, svc_metrics_latency_nbounds);
    c->presign = co_presign_new(svc, c->ctx, c->rounds, c->instance);
    return c->presign ? 0 : -1;
}

static void coordinator_on_stop(svc_service *svc) {
    coordinator *c = svc_service_state(svc);
    if (c == NULL) return;
    /* Unfinished sessions are not committed: their requests are redelivered
     * to whichever coordinator owns the partition next. */
    while (c->sessions) {
        csession *s = c->sessions;
        c->sessions = s->next;
        pl_tracker_free(s->tracker);
        free(s);
    }
    while (c->queue_head) { /* not announced: redelivered like the rest */
        queued *q = c->queue_head;
        c->queue_head = q->next;
        pl_session_clear(&q->desc);
        free(q->s);
        free(q);
    }
    co_presign_free(c->presign);
    svc_kafka_close(c->tail, 1000);
    rounds_node_free(c->rounds);
    co_clients_free(c->clients);
    pl_offsets_free(c->offsets);
    mpc_engine_ctx_free(c->ctx);
    free(c);
    svc_service_set_state(svc, NULL);
}

int main(int argc, char **argv) {
    static const svc_service_def def = {
        .name = "coordinator",
        .default_http_port = 18081,
        .default_group_id = "mpc-coordinator",
        .poll_ms = 1,
        .topics = coordinator_topics,
        .ntopics = sizeof coordinator_topics / sizeof coordinator_topics[0],
        .settings = coordinator_settings,
        .nsettings = sizeof coordinator_settings / sizeof coordinator_settings[0],
        .on_start = coordinator_on_start,
        .on_message = coordinator_on_message,
        .on_tick = coordinator_on_tick,
        .on_assign = coordinator_on_assign,
        .on_stop = coordinator_on_stop,
    };
    return svc_service_main(&def, argc, argv);
}
