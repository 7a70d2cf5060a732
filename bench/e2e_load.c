/* e2e_load - an end-to-end load generator that acts as an exchange.
 *
 * It talks to the running system only through Kafka, as an outside producer
 * would (docs/messages.md): it writes SignRequest / KeygenRequest records,
 * each carrying an Auth made with an API key, to mpc.sign.requests /
 * mpc.keygen.requests and reads mpc.results. Every signature is checked
 * before it counts: BIP-340 signatures through libsecp256k1's own verifier,
 * ECDSA ones (GG18/GG20) with libsecp256k1's verifier and key recovery from
 * the recovery id, RFC 9591 ones with the engine's verifier. A keygen counts
 * when it succeeded with a valid 33-byte secp256k1 public key.
 *
 *   e2e_load --brokers H:P --api-key-id ID --api-secret SECRET
 *            [--key-id KEY --protocol P --public-key HEX | --keygen PROTOCOL:T:N]
 *            --rate R --duration S            one-item requests at R/s (open loop)
 *            --closed W --duration S          one-item requests, W outstanding
 *                                             at all times (closed loop)
 *            --batch-size B --batches K [--inflight W]   batches, as fast as
 *                                             W outstanding batches allow
 *            --keygens K                      K keygens of --keygen's kind, one
 *                                             after the other (keygen latency)
 *            [--warmup N] [--drain S] [--label TEXT]
 *   GG options (docs/benchmarks.md):
 *            --coordinator-metrics URL   presign pool settings and counters
 *                                        (before/after deltas) in the report
 *            --participant-metrics URL[,URL...]   Paillier pool counters of the
 *                                        keygen's nodes (keygen mode)
 *            --wait-paillier N           before each keygen, wait until every
 *                                        such node has N ready Paillier keys
 *            --before-each CMD           shell command run before each keygen
 *            --pg-dsn DSN                (gg20) classify each signature as made
 *                                        from a pooled presignature or inline
 *                                        (table presignatures), latency of each
 *            --wait-presig N             (gg20) before the measured run, wait
 *                                        until the key has N ready presignatures
 *
 * Latency is per signature (per keygen): from just before its record is
 * produced to the moment its verified result is read. Results are printed as
 * one JSON object on stdout (progress on stderr), e.g.
 *   {"bench":"e2e_load","mode":"rate","target_rps":100,...,
 *    "latency_ms":{"p50":..,"p95":..,"p99":..,"max":..}}
 * Exit status: 0 when every request got a verified signature (key), 1
 * otherwise, 2 on bad usage.
 */
#include <getopt.h>
#include <libpq-fe.h>
#include <math.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_recovery.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec/avro_codec.h"
#include "engine/ctx.h"
#include "engine/frost.h"
#include "engine/point.h"
#include "engine/rng.h"
#include "httpc.h"
#include "record_auth.h"
#include "sigv1.h"
#include "svc/clock.h"
#include "svc/kafka.h"

#define MAX_ID 64
#define MAX_URLS 16

typedef struct {
    char id[MAX_ID];
    unsigned char msg[32];
    double sent_ms; /* 0 = not sent yet */
    double done_ms; /* 0 = no result yet */
    int ok;
    int presig;     /* gg20: 1 pooled presignature, 2 inline, 0 unknown */
    char *session;  /* the result's session id (gg20 classification) */
} request;

typedef struct {
    const char *brokers, *api_key_id, *api_secret, *key_id, *keygen, *label;
    const char *coord_metrics, *before_each, *pg_dsn;
    const char *part_metrics[MAX_URLS];
    int npart_metrics;
    double rate, duration, drain_s;
    int batch_size, batches, inflight, warmup, closed, keygens, wait_paillier, wait_presig;
} options;

typedef struct {
    options o;
    svc_kafka *kafka;
    mpc_rng rng;
    mpc_engine_ctx *ctx;
    secp256k1_context *secp;
    char key_id[129];
    char protocol[32];
    unsigned char public_key[33];
    char run[24]; /* random prefix of every id in this run */
    request *reqs;
    size_t nreqs, cap, nsent, ndone, nfailed, nbad_sig;
    /* batch mode: first request index of each batch and the batch count done */
    int batches_sent, batches_done;
    int *batch_left;
} bench;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what) {
    fprintf(stderr, "e2e_load: %s\n", what);
    exit(1);
}

/* Encodes rec (type t, whose auth field is *auth_slot) with an Auth made
 * with the API key, as an outside producer does, and produces it keyed by `key`. */
static void produce_signed(bench *b, mpc_record_type t, void *rec, mpc_auth **auth_slot, const char *topic,
                           const char *key) {
    uint8_t *enc = NULL;
    size_t len = 0;
    if (mpc_record_encode_signed(t, rec, auth_slot, topic, b->o.api_key_id, b->o.api_secret, &enc, &len) != 0)
        die("cannot encode and sign a record");
    char err[256];
    if (svc_kafka_produce(b->kafka, topic, key, strlen(key), enc, len, err, sizeof err) != 0) die(err);
    free(enc);
}

static void random_id(bench *b, char *out, size_t n, const char *what, size_t i) {
    snprintf(out, n, "%s-%s-%zu", b->run, what, i);
}

/* ---- metrics (Prometheus text of a service's /metrics) ------------------ */

/* Sum of every sample of `name` (all label sets) in a /metrics body. */
static double metric_sum(const char *body, const char *name) {
    double sum = 0;
    size_t nl = strlen(name);
    for (const char *line = body; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, nl) != 0 || (line[nl] != ' ' && line[nl] != '{')) continue;
        const char *v = line + nl;
        if (*v == '{') v = strchr(v, '}') ? strchr(v, '}') + 1 : v;
        sum += strtod(v, NULL);
    }
    return sum;
}

/* Fetches url and returns the sums of the n names in out. Returns 0, or -1
 * (nothing fetched: out set to NAN). */
static int scrape(const char *url, const char *const *names, size_t n, double *out) {
    mpc_httpc_response r = {0};
    char err[256];
    for (size_t i = 0; i < n; i++) out[i] = NAN;
    if (mpc_httpc_request("GET", url, NULL, 0, NULL, 0, 5000, &r, err, sizeof err) != 0) {
        fprintf(stderr, "e2e_load: %s: %s\n", url, err);
        return -1;
    }
    int ok = r.status == 200;
    if (ok)
        for (size_t i = 0; i < n; i++) out[i] = metric_sum(r.body, names[i]);
    mpc_httpc_response_free(&r);
    return ok ? 0 : -1;
}

static const char *const coord_counters[] = {"mpc_presign_claimed_total", "mpc_presign_inline_total",
                                             "mpc_presign_generated_total", "mpc_presign_sessions_total"};
static const char *const coord_gauges[] = {"mpc_presign_pool_size", "mpc_presign_pool_low_water",
                                           "mpc_presign_batch", "mpc_presign_concurrency"};
#define NCOORD (sizeof coord_counters / sizeof coord_counters[0])

static const char *const pp_names[] = {"mpc_paillier_consumed_total", "mpc_paillier_pool_misses_total",
                                       "mpc_paillier_pool_ready"};

/* Sum over the participants' metrics (consumed, misses, ready). -1 when one
 * did not answer. */
static int scrape_participants(const bench *b, double out[3], double *min_ready) {
    out[0] = out[1] = out[2] = 0;
    *min_ready = INFINITY;
    for (int i = 0; i < b->o.npart_metrics; i++) {
        double v[3];
        if (scrape(b->o.part_metrics[i], pp_names, 3, v) != 0) return -1;
        for (int j = 0; j < 3; j++) out[j] += v[j];
        if (v[2] < *min_ready) *min_ready = v[2];
    }
    return 0;
}

/* ---- results ----------------------------------------------------------- */

/* ECDSA (GG18/GG20): r||s verifies under the group key with libsecp256k1
 * (which also insists on low S), and the recovery id recovers that key. */
static int verify_ecdsa(bench *b, const mpc_result *r, const request *q) {
    secp256k1_pubkey pk, recovered;
    secp256k1_ecdsa_signature sig;
    secp256k1_ecdsa_recoverable_signature rsig;
    if (r->signature.len != 64 || !r->has_recovery_id || r->recovery_id < 0 || r->recovery_id > 3) return 0;
    if (!secp256k1_ec_pubkey_parse(b->secp, &pk, b->public_key, 33) ||
        !secp256k1_ecdsa_signature_parse_compact(b->secp, &sig, r->signature.data) ||
        !secp256k1_ecdsa_verify(b->secp, &sig, q->msg, &pk))
        return 0;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(b->secp, &rsig, r->signature.data, r->recovery_id) ||
        !secp256k1_ecdsa_recover(b->secp, &recovered, &rsig, q->msg))
        return 0;
    unsigned char a[33], c[33];
    size_t la = 33, lc = 33;
    return secp256k1_ec_pubkey_serialize(b->secp, a, &la, &pk, SECP256K1_EC_COMPRESSED) &&
           secp256k1_ec_pubkey_serialize(b->secp, c, &lc, &recovered, SECP256K1_EC_COMPRESSED) &&
           memcmp(a, c, 33) == 0;
}

static int verify(bench *b, const mpc_result *r, const request *q) {
    if (r->signature.data == NULL) return 0;
    if (strcmp(b->protocol, "frost-bip340") == 0) {
        if (r->signature.len != 64) return 0;
        secp256k1_xonly_pubkey xonly;
        if (!secp256k1_xonly_pubkey_parse(b->secp, &xonly, b->public_key + 1)) return 0;
        return secp256k1_schnorrsig_verify(b->secp, r->signature.data, q->msg, 32, &xonly);
    }
    if (strcmp(b->protocol, "gg18") == 0 || strcmp(b->protocol, "gg20") == 0) return verify_ecdsa(b, r, q);
    mpc_point y;
    if (!mpc_point_parse(b->ctx, &y, b->public_key)) return 0;
    return frost_verify(b->ctx, FROST_VARIANT_RFC9591, r->signature.data, r->signature.len, &y, q->msg, 32);
}

/* Finds the request of a result id "<run>-r-<index>". */
static request *lookup(bench *b, const char *id) {
    size_t plen = strlen(b->run);
    if (strncmp(id, b->run, plen) != 0 || strncmp(id + plen, "-r-", 3) != 0) return NULL;
    char *end;
    unsigned long i = strtoul(id + plen + 3, &end, 10);
    if (*end || i >= b->nreqs || strcmp(b->reqs[i].id, id) != 0) return NULL;
    return &b->reqs[i];
}

/* Reads results for up to timeout_ms. Returns how many of ours were read. */
static int read_results(bench *b, int timeout_ms) {
    int got = 0;
    rd_kafka_message_t *m = svc_kafka_consume(b->kafka, timeout_ms);
    while (m) {
        if (!m->err) {
            mpc_result r;
            mpc_codec_error ce;
            if (mpc_codec_decode_result(m->payload, m->len, &r, &ce) == MPC_CODEC_OK) {
                request *q = lookup(b, r.request_id);
                if (q && q->done_ms == 0 && q->sent_ms > 0) {
                    q->done_ms = now_ms();
                    q->ok = strcmp(r.status, "succeeded") == 0 && verify(b, &r, q);
                    if (r.session_id && q->ok) q->session = strdup(r.session_id);
                    if (!q->ok) {
                        if (strcmp(r.status, "succeeded") == 0) b->nbad_sig++;
                        if (b->nfailed++ < 5)
                            fprintf(stderr, "e2e_load: %s %s %s\n", r.request_id, r.status,
                                    r.error_code ? r.error_code : "(bad signature)");
                    }
                    b->ndone++;
                    got++;
                    if (b->batch_left) {
                        size_t bi = (size_t)(q - b->reqs) / (size_t)b->o.batch_size;
                        if (--b->batch_left[bi] == 0) b->batches_done++;
                    }
                }
                mpc_codec_free_result(&r);
            }
        }
        rd_kafka_message_destroy(m);
        m = svc_kafka_consume(b->kafka, 0);
    }
    svc_kafka_poll(b->kafka);
    return got;
}

/* ---- keys -------------------------------------------------------------- */

/* One keygen of spec PROTOCOL:T:N, waiting up to timeout_ms for its result.
 * Returns 1 with the key in b (key_id, public_key, protocol) and its latency
 * in *ms, or 0 (failed or no result; logged). */
static int keygen_once(bench *b, size_t index, int timeout_ms, double *ms) {
    char proto[32];
    int t, n;
    if (sscanf(b->o.keygen, "%31[a-z0-9-]:%d:%d", proto, &t, &n) != 3) die("--keygen wants PROTOCOL:T:N");
    char rid[MAX_ID];
    random_id(b, rid, sizeof rid, "keygen", index);
    mpc_keygen_request k = {.request_id = rid, .protocol = proto, .curve = "secp256k1", .threshold = t,
                            .total_nodes = n, .chain_type = "bitcoin", .client_id = (char *)b->o.api_key_id,
                            .submitted_at = svc_wall_ms()};
    double t0 = now_ms();
    produce_signed(b, MPC_RECORD_KEYGEN_REQUEST, &k, &k.auth, "mpc.keygen.requests", rid);
    double deadline = t0 + timeout_ms;
    while (now_ms() < deadline) {
        rd_kafka_message_t *m = svc_kafka_consume(b->kafka, 100);
        if (m == NULL) continue;
        mpc_result r;
        mpc_codec_error ce;
        int mine = 0, ok = 0;
        if (!m->err && mpc_codec_decode_result(m->payload, m->len, &r, &ce) == MPC_CODEC_OK) {
            if (strcmp(r.request_id, rid) == 0) {
                mine = 1;
                *ms = now_ms() - t0;
                secp256k1_pubkey pk;
                ok = strcmp(r.status, "succeeded") == 0 && r.key_id && r.key_id[0] && r.public_key.len == 33 &&
                     secp256k1_ec_pubkey_parse(b->secp, &pk, r.public_key.data, 33);
                if (ok) {
                    snprintf(b->key_id, sizeof b->key_id, "%s", r.key_id);
                    memcpy(b->public_key, r.public_key.data, 33);
                    snprintf(b->protocol, sizeof b->protocol, "%s", proto);
                } else {
                    fprintf(stderr, "e2e_load: keygen %s: %s %s\n", r.status, r.error_code ? r.error_code : "",
                            r.error_message ? r.error_message : "(no valid public key)");
                }
            }
            mpc_codec_free_result(&r);
        }
        rd_kafka_message_destroy(m);
        if (mine) {
            if (ok) fprintf(stderr, "e2e_load: key %s (%s %d-of-%d) ready in %.0f ms\n", b->key_id, proto, t, n, *ms);
            return ok;
        }
    }
    fprintf(stderr, "e2e_load: no keygen result within %d s\n", timeout_ms / 1000);
    return 0;
}

static void make_key(bench *b) {
    double ms;
    if (!keygen_once(b, 0, 300000, &ms)) exit(1);
}

/* ---- PostgreSQL: the gg20 presignature pool ----------------------------- */

static PGconn *pg_open(const char *dsn) {
    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "e2e_load: PostgreSQL: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static long ready_presigs(PGconn *c, const char *key_id) {
    const char *params[] = {key_id};
    PGresult *r = PQexecParams(c, "SELECT count(*) FROM presignatures WHERE key_id = $1 AND status = 'ready'", 1,
                               NULL, params, NULL, NULL, 0);
    long n = PQresultStatus(r) == PGRES_TUPLES_OK ? atol(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return n;
}

/* Waits up to 15 minutes for want ready presignatures of the key. */
static void wait_presigs(bench *b, long want) {
    PGconn *c = pg_open(b->o.pg_dsn);
    if (c == NULL) die("--wait-presig needs a working --pg-dsn");
    double t0 = now_ms(), last = 0;
    long n = 0;
    while ((n = ready_presigs(c, b->key_id)) < want && now_ms() - t0 < 900000) {
        if (n < 0) die("cannot count presignatures");
        if (now_ms() - last > 10000) {
            fprintf(stderr, "e2e_load: presignature pool of %s: %ld/%ld ready\n", b->key_id, n, want);
            last = now_ms();
        }
        usleep(250000);
    }
    fprintf(stderr, "e2e_load: presignature pool %ld/%ld ready after %.1f s\n", n, want, (now_ms() - t0) / 1e3);
    PQfinish(c);
    if (n < want) die("the presignature pool did not fill in 15 minutes");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Marks each verified signature as made from a pooled presignature (its
 * session claimed one) or inline. Returns 0, or -1 (left unknown). */
static int classify_presigs(bench *b) {
    PGconn *c = pg_open(b->o.pg_dsn);
    if (c == NULL) return -1;
    const char *params[] = {b->key_id};
    PGresult *r = PQexecParams(c,
                               "SELECT DISTINCT claimed_session FROM presignatures WHERE key_id = $1 "
                               "AND claimed_session IS NOT NULL",
                               1, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        size_t n = (size_t)PQntuples(r);
        char **s = malloc((n + 1) * sizeof *s);
        if (s == NULL) die("out of memory");
        for (size_t i = 0; i < n; i++) s[i] = PQgetvalue(r, (int)i, 0);
        qsort(s, n, sizeof *s, cmp_str);
        for (size_t i = 0; i < b->nreqs; i++) {
            request *q = &b->reqs[i];
            if (!q->ok || q->session == NULL) continue;
            q->presig = bsearch(&q->session, s, n, sizeof *s, cmp_str) ? 1 : 2;
        }
        free(s);
        rc = 0;
    } else {
        fprintf(stderr, "e2e_load: PostgreSQL: %s", PQerrorMessage(c));
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

/* ---- load -------------------------------------------------------------- */

static size_t add_request(bench *b) {
    if (b->nreqs == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        request *grown = realloc(b->reqs, cap * sizeof *grown);
        if (grown == NULL) die("out of memory");
        b->reqs = grown;
        b->cap = cap;
    }
    request *q = &b->reqs[b->nreqs];
    memset(q, 0, sizeof *q);
    random_id(b, q->id, sizeof q->id, "r", b->nreqs);
    if (!mpc_rng_fill(&b->rng, q->msg, 32)) die("no randomness");
    return b->nreqs++;
}

static void alloc_requests(bench *b, size_t n) {
    for (size_t i = 0; i < n; i++) add_request(b);
}

static void send_batch(bench *b, size_t first, size_t count) {
    mpc_sign_item *items = calloc(count, sizeof *items);
    if (items == NULL) die("out of memory");
    double t = now_ms();
    for (size_t i = 0; i < count; i++) {
        request *q = &b->reqs[first + i];
        items[i] = (mpc_sign_item){.request_id = q->id, .message = {q->msg, 32}, .message_type = "hash"};
        q->sent_ms = t;
    }
    char bid[MAX_ID];
    random_id(b, bid, sizeof bid, "b", first);
    mpc_sign_request s = {.request_id = count == 1 ? b->reqs[first].id : bid,
                          .batch_id = count == 1 ? NULL : bid,
                          .key_id = b->key_id,
                          .items = items,
                          .items_len = count,
                          .client_id = (char *)b->o.api_key_id,
                          .submitted_at = svc_wall_ms()};
    produce_signed(b, MPC_RECORD_SIGN_REQUEST, &s, &s.auth, "mpc.sign.requests", s.request_id);
    b->nsent += count;
    free(items);
}

/* Waits for the outstanding results: until none has come for --drain seconds. */
static void drain(bench *b) {
    double last = now_ms();
    size_t seen = b->ndone;
    while (b->ndone < b->nsent && now_ms() - last < b->o.drain_s * 1000) {
        read_results(b, 20);
        if (b->ndone != seen) {
            seen = b->ndone;
            last = now_ms();
        }
    }
}

static void run_rate(bench *b) {
    size_t n = (size_t)llround(b->o.rate * b->o.duration);
    alloc_requests(b, n);
    double start = now_ms(), interval = 1000.0 / b->o.rate;
    size_t next = 0;
    while (next < n) {
        double due = start + (double)next * interval;
        double t = now_ms();
        if (t >= due) {
            send_batch(b, next, 1);
            next++;
            continue;
        }
        int wait = (int)(due - t);
        read_results(b, wait > 0 ? (wait < 5 ? wait : 5) : 0);
    }
    drain(b);
}

/* Closed loop: `window` one-item requests outstanding until duration_s has
 * passed or max requests were sent (0: no limit). */
static void run_closed(bench *b, int window, double duration_s, size_t max) {
    double end = now_ms() + duration_s * 1000;
    while (now_ms() < end && (max == 0 || b->nsent < max)) {
        while (b->nsent - b->ndone < (size_t)window && now_ms() < end && (max == 0 || b->nsent < max))
            send_batch(b, add_request(b), 1);
        read_results(b, 5);
    }
    drain(b);
}

static void run_batches(bench *b) {
    size_t per = (size_t)b->o.batch_size, n = per * (size_t)b->o.batches;
    alloc_requests(b, n);
    b->batch_left = calloc((size_t)b->o.batches, sizeof *b->batch_left);
    if (b->batch_left == NULL) die("out of memory");
    for (int i = 0; i < b->o.batches; i++) b->batch_left[i] = (int)per;
    double last_progress = now_ms();
    size_t last_done = 0;
    while (b->ndone < n) {
        while (b->batches_sent < b->o.batches && b->batches_sent - b->batches_done < b->o.inflight) {
            send_batch(b, (size_t)b->batches_sent * per, per);
            b->batches_sent++;
        }
        read_results(b, 5);
        if (b->ndone != last_done) {
            last_done = b->ndone;
            last_progress = now_ms();
        } else if (now_ms() - last_progress > b->o.drain_s * 1000) {
            fprintf(stderr, "e2e_load: no result for %.0f s, giving up\n", b->o.drain_s);
            break;
        }
    }
}

/* ---- report ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)ceil(p / 100.0 * (double)n);
    return sorted[i == 0 ? 0 : i - 1];
}

/* {"mean":..,"p50":..,"p95":..,"p99":..,"max":..} of lat (sorted here). */
static void latency_json(char *out, size_t outlen, double *lat, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += lat[i];
    qsort(lat, n, sizeof *lat, cmp_double);
    snprintf(out, outlen, "{\"mean\":%.2f,\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,\"max\":%.2f}",
             n ? sum / (double)n : 0.0, pct(lat, n, 50), pct(lat, n, 95), pct(lat, n, 99), n ? lat[n - 1] : 0.0);
}

static void hex33(char out[67], const unsigned char *in) {
    for (int i = 0; i < 33; i++) snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* The coordinator's presign settings and the counter deltas of the run. */
static void coordinator_json(char *out, size_t outlen, const bench *b, const double *before) {
    out[0] = '\0';
    if (b->o.coord_metrics == NULL) return;
    double after[NCOORD], cfg[4];
    if (scrape(b->o.coord_metrics, coord_counters, NCOORD, after) != 0 ||
        scrape(b->o.coord_metrics, coord_gauges, 4, cfg) != 0)
        return;
    snprintf(out, outlen,
             ",\"presign_config\":{\"pool_size\":%.0f,\"low_water\":%.0f,\"batch\":%.0f,\"concurrency\":%.0f},"
             "\"coordinator\":{\"presign_claimed\":%.0f,\"presign_inline_sessions\":%.0f,"
             "\"presign_generated\":%.0f,\"presign_sessions\":%.0f}",
             cfg[0], cfg[1], cfg[2], cfg[3], after[0] - before[0], after[1] - before[1], after[2] - before[2],
             after[3] - before[3]);
}

static void report(bench *b, const char *mode, double wall_ms, const double *coord_before) {
    double *lat = malloc((b->nreqs + 1) * sizeof *lat), *pooled = malloc((b->nreqs + 1) * sizeof *lat),
           *inl = malloc((b->nreqs + 1) * sizeof *lat);
    if (lat == NULL || pooled == NULL || inl == NULL) die("out of memory");
    size_t n = 0, np = 0, ni = 0, nunknown = 0;
    double first = 0, last = 0;
    for (size_t i = 0; i < b->nreqs; i++) {
        const request *q = &b->reqs[i];
        if (q->done_ms == 0 || !q->ok) continue;
        double l = q->done_ms - q->sent_ms;
        lat[n++] = l;
        if (q->presig == 1) pooled[np++] = l;
        else if (q->presig == 2) inl[ni++] = l;
        else nunknown++;
        if (first == 0 || q->sent_ms < first) first = q->sent_ms;
        if (q->done_ms > last) last = q->done_ms;
    }
    double span = last > first ? last - first : wall_ms;
    char all[256], presig[1024] = "", coord[512], pk[67];
    latency_json(all, sizeof all, lat, n);
    if (strcmp(b->protocol, "gg20") == 0 && b->o.pg_dsn) {
        char pj[256], ij[256];
        latency_json(pj, sizeof pj, pooled, np);
        latency_json(ij, sizeof ij, inl, ni);
        snprintf(presig, sizeof presig,
                 ",\"presignatures\":{\"pooled\":%zu,\"inline\":%zu,\"unknown\":%zu,"
                 "\"pooled_latency_ms\":%s,\"inline_latency_ms\":%s}",
                 np, ni, nunknown, pj, ij);
    }
    coordinator_json(coord, sizeof coord, b, coord_before);
    hex33(pk, b->public_key);
    printf("{\"bench\":\"e2e_load\",\"label\":\"%s\",\"mode\":\"%s\",\"protocol\":\"%s\",\"key_id\":\"%s\","
           "\"public_key\":\"%s\",\"target_rps\":%.1f,\"batch_size\":%d,\"inflight\":%d,"
           "\"requested\":%zu,\"succeeded_verified\":%zu,\"failed\":%zu,\"bad_signatures\":%zu,\"lost\":%zu,"
           "\"wall_s\":%.3f,\"throughput_sigs_per_s\":%.2f,\"latency_ms\":%s%s%s}\n",
           b->o.label ? b->o.label : "", mode, b->protocol, b->key_id, pk, b->o.rate,
           b->o.closed ? 1 : b->o.batch_size, b->o.closed ? b->o.closed : b->o.inflight, b->nreqs, n, b->nfailed,
           b->nbad_sig, b->nreqs - b->ndone, span / 1000.0, span > 0 ? (double)n / (span / 1000.0) : 0.0, all,
           presig, coord);
    fflush(stdout);
    free(lat);
    free(pooled);
    free(inl);
}

/* ---- keygen benchmark ---------------------------------------------------- */

/* K keygens one after the other. Each keygen is classified by the Paillier
 * pool counters of the participants named with --participant-metrics:
 * warm when every node took a pooled key, cold when every node missed. */
static int run_keygens(bench *b) {
    int k = b->o.keygens, t = 0, n = 0, ok = 0, failed = 0, warm = 0, cold = 0, mixed = 0;
    char proto[32] = "";
    if (sscanf(b->o.keygen, "%31[a-z0-9-]:%d:%d", proto, &t, &n) != 3) die("--keygen wants PROTOCOL:T:N");
    double *lat = calloc((size_t)k + 1, sizeof *lat), *lwarm = calloc((size_t)k + 1, sizeof *lat),
           *lcold = calloc((size_t)k + 1, sizeof *lat);
    if (lat == NULL || lwarm == NULL || lcold == NULL) die("out of memory");
    size_t nw = 0, nc = 0;
    double consumed = 0, misses = 0, t_start = now_ms();
    int have_pp = b->o.npart_metrics > 0;
    for (int i = 0; i < k; i++) {
        if (b->o.before_each && system(b->o.before_each) != 0) fprintf(stderr, "e2e_load: --before-each failed\n");
        double pp0[3] = {0}, pp1[3] = {0}, minready = 0;
        if (b->o.wait_paillier > 0) {
            double t0 = now_ms();
            while (scrape_participants(b, pp0, &minready) == 0 && minready < b->o.wait_paillier &&
                   now_ms() - t0 < 900000)
                usleep(250000);
            if (minready < b->o.wait_paillier) die("the Paillier pools did not fill in 15 minutes");
            fprintf(stderr, "e2e_load: Paillier pools ready (>= %d each) after %.1f s\n", b->o.wait_paillier,
                    (now_ms() - t0) / 1e3);
        }
        if (have_pp && scrape_participants(b, pp0, &minready) != 0) have_pp = 0;
        double ms = 0;
        if (keygen_once(b, (size_t)i, 900000, &ms)) {
            lat[ok++] = ms;
            if (have_pp && scrape_participants(b, pp1, &minready) == 0) {
                double c = pp1[0] - pp0[0], m = pp1[1] - pp0[1];
                consumed += c;
                misses += m;
                if (c >= n && m == 0) lwarm[nw++] = ms, warm++;
                else if (m >= n && c == 0) lcold[nc++] = ms, cold++;
                else mixed++;
            }
        } else {
            failed++;
        }
    }
    char all[256], wj[256], cj[256], pool[1024] = "";
    latency_json(all, sizeof all, lat, (size_t)ok);
    if (have_pp) {
        latency_json(wj, sizeof wj, lwarm, nw);
        latency_json(cj, sizeof cj, lcold, nc);
        snprintf(pool, sizeof pool,
                 ",\"paillier_pool\":{\"keys_consumed\":%.0f,\"misses\":%.0f,\"warm_keygens\":%d,"
                 "\"cold_keygens\":%d,\"mixed_keygens\":%d,\"warm_latency_ms\":%s,\"cold_latency_ms\":%s}",
                 consumed, misses, warm, cold, mixed, wj, cj);
    }
    printf("{\"bench\":\"e2e_load\",\"label\":\"%s\",\"mode\":\"keygen\",\"protocol\":\"%s\",\"threshold\":%d,"
           "\"total_nodes\":%d,\"requested\":%d,\"succeeded_verified\":%d,\"failed\":%d,\"lost\":0,"
           "\"wall_s\":%.3f,\"latency_ms\":%s%s}\n",
           b->o.label ? b->o.label : "", proto, t, n, k, ok, failed, (now_ms() - t_start) / 1e3, all, pool);
    fflush(stdout);
    free(lat);
    free(lwarm);
    free(lcold);
    return ok == k ? 0 : 1;
}

static void usage(void) {
    fprintf(stderr,
            "usage: e2e_load --brokers H:P --api-key-id ID --api-secret SECRET\n"
            "                (--keygen PROTOCOL:T:N | --key-id KEY --protocol P --public-key HEX33)\n"
            "                (--rate R --duration S | --closed W --duration S |\n"
            "                 --batch-size B --batches K [--inflight W] | --keygens K)\n"
            "                [--warmup N] [--drain S] [--label TEXT]\n"
            "                [--coordinator-metrics URL] [--participant-metrics URL,...] [--wait-paillier N]\n"
            "                [--before-each CMD] [--pg-dsn DSN] [--wait-presig N]\n");
    exit(2);
}

int main(int argc, char **argv) {
    bench b = {0};
    options *o = &b.o;
    o->inflight = 2;
    o->warmup = 20;
    o->drain_s = 30;
    const char *pubhex = NULL, *proto = NULL;
    char *urls = NULL;
    static const struct option longopts[] = {
        {"brokers", 1, 0, 'b'},    {"api-key-id", 1, 0, 'i'}, {"api-secret", 1, 0, 's'},
        {"key-id", 1, 0, 'k'},     {"keygen", 1, 0, 'g'},     {"rate", 1, 0, 'r'},
        {"duration", 1, 0, 'd'},   {"batch-size", 1, 0, 'B'}, {"batches", 1, 0, 'K'},
        {"inflight", 1, 0, 'w'},   {"warmup", 1, 0, 'W'},     {"label", 1, 0, 'l'},
        {"public-key", 1, 0, 'p'}, {"protocol", 1, 0, 'P'},   {"closed", 1, 0, 'C'},
        {"keygens", 1, 0, 'G'},    {"drain", 1, 0, 'D'},      {"coordinator-metrics", 1, 0, 'm'},
        {"participant-metrics", 1, 0, 'M'}, {"wait-paillier", 1, 0, 'A'}, {"before-each", 1, 0, 'E'},
        {"pg-dsn", 1, 0, 'Q'},     {"wait-presig", 1, 0, 'R'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o->brokers = optarg; break;
        case 'i': o->api_key_id = optarg; break;
        case 's': o->api_secret = optarg; break;
        case 'k': o->key_id = optarg; break;
        case 'g': o->keygen = optarg; break;
        case 'r': o->rate = atof(optarg); break;
        case 'd': o->duration = atof(optarg); break;
        case 'B': o->batch_size = atoi(optarg); break;
        case 'K': o->batches = atoi(optarg); break;
        case 'w': o->inflight = atoi(optarg); break;
        case 'W': o->warmup = atoi(optarg); break;
        case 'l': o->label = optarg; break;
        case 'p': pubhex = optarg; break;
        case 'P': proto = optarg; break;
        case 'C': o->closed = atoi(optarg); break;
        case 'G': o->keygens = atoi(optarg); break;
        case 'D': o->drain_s = atof(optarg); break;
        case 'm': o->coord_metrics = optarg; break;
        case 'M': urls = optarg; break;
        case 'A': o->wait_paillier = atoi(optarg); break;
        case 'E': o->before_each = optarg; break;
        case 'Q': o->pg_dsn = optarg; break;
        case 'R': o->wait_presig = atoi(optarg); break;
        default: usage();
        }
    }
    for (char *save = NULL, *u = urls ? strtok_r(urls, ",", &save) : NULL; u; u = strtok_r(NULL, ",", &save)) {
        if (o->npart_metrics == MAX_URLS) usage();
        o->part_metrics[o->npart_metrics++] = u;
    }
    int rate_mode = o->rate > 0 && o->duration > 0 && !o->closed, batch_mode = o->batch_size > 0 && o->batches > 0,
        closed_mode = o->closed > 0 && o->duration > 0, keygen_mode = o->keygens > 0;
    if (!o->brokers || !o->api_key_id || !o->api_secret || rate_mode + batch_mode + closed_mode + keygen_mode != 1 ||
        (!o->key_id == !o->keygen) || (keygen_mode && !o->keygen) || o->inflight < 1 || o->batch_size > 1000 ||
        o->warmup < 0 || o->drain_s <= 0 || (o->wait_presig && !o->pg_dsn) ||
        (o->wait_paillier && !o->npart_metrics))
        usage();
    mpc_codec_error ce;
    if (mpc_codec_init(&ce) != MPC_CODEC_OK) die("codec init");
    b.rng = mpc_rng_os();
    b.ctx = mpc_engine_ctx_new(&b.rng);
    b.secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (b.ctx == NULL || b.secp == NULL) die("cannot create contexts");
    unsigned char r[8];
    if (!mpc_rng_fill(&b.rng, r, sizeof r)) die("no randomness");
    snprintf(b.run, sizeof b.run, "ld%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
    if (o->key_id) {
        snprintf(b.key_id, sizeof b.key_id, "%s", o->key_id);
        /* An existing key: its protocol and public key verify the results. */
        uint8_t *pk = NULL;
        size_t pklen = 0;
        if (!pubhex || !proto || mpc_api_unhex(pubhex, &pk, &pklen) != 0 || pklen != 33)
            die("--key-id needs --protocol and --public-key (33 bytes hex); or use --keygen");
        memcpy(b.public_key, pk, 33);
        free(pk);
        snprintf(b.protocol, sizeof b.protocol, "%s", proto);
    }

    static const char *const topics[] = {"mpc.results"};
    svc_kafka_options ko = {.brokers = o->brokers, .client_id = "e2e-load", .security_protocol = "plaintext",
                            .linger_ms = 0, .topics = topics, .ntopics = 1};
    char err[512];
    b.kafka = svc_kafka_tail_new(&ko, 10000, err, sizeof err);
    if (b.kafka == NULL) die(err);
    /* Let the tail's assignment settle before producing, so no result is missed. */
    for (int i = 0; i < 10; i++) read_results(&b, 50);

    int rc;
    if (keygen_mode) {
        rc = run_keygens(&b);
    } else {
        if (o->keygen) make_key(&b);
        if (o->warmup > 0) { /* connections, caches and JITs of every hop: one request at a time */
            bench w = b;
            w.reqs = NULL;
            w.cap = 0;
            snprintf(w.run, sizeof w.run, "%.16sw", b.run);
            run_closed(&w, 1, 600, (size_t)o->warmup);
            fprintf(stderr, "e2e_load: warm-up %zu/%zu\n", w.ndone, w.nreqs);
            for (size_t i = 0; i < w.nreqs; i++) free(w.reqs[i].session);
            free(w.reqs);
        }
        if (o->wait_presig > 0) wait_presigs(&b, o->wait_presig);
        double coord_before[NCOORD] = {0};
        if (o->coord_metrics) scrape(o->coord_metrics, coord_counters, NCOORD, coord_before);
        double t0 = now_ms();
        if (rate_mode) run_rate(&b);
        else if (closed_mode) run_closed(&b, o->closed, o->duration, 0);
        else run_batches(&b);
        if (strcmp(b.protocol, "gg20") == 0 && o->pg_dsn) classify_presigs(&b);
        report(&b, rate_mode ? "rate" : closed_mode ? "closed" : "batch", now_ms() - t0, coord_before);
        rc = b.ndone == b.nreqs && b.nfailed == 0 ? 0 : 1;
    }
    svc_kafka_close(b.kafka, 2000);
    for (size_t i = 0; i < b.nreqs; i++) free(b.reqs[i].session);
    free(b.reqs);
    free(b.batch_left);
    secp256k1_context_destroy(b.secp);
    mpc_engine_ctx_free(b.ctx);
    return rc;
}
