/* e2e_load - an end-to-end load generator that acts as an exchange.
 *
 * It talks to the running system only through Kafka, as an outside producer
 * would (docs/messages.md): it writes SignRequest records, each carrying an
 * Auth made with an API key, to mpc.sign.requests and reads mpc.results.
 * Every signature is checked before it counts: BIP-340 signatures through
 * libsecp256k1's own verifier, ECDSA ones (GG18/GG20) with libsecp256k1's
 * verifier and key recovery from the recovery id, RFC 9591 ones with the
 * engine's verifier.
 *
 *   e2e_load --brokers H:P --api-key-id ID --api-secret SECRET
 *            [--key-id KEY | --keygen PROTOCOL:T:N]
 *            --rate R --duration S            one-item requests at R/s (open loop)
 *            --batch-size B --batches K [--inflight W]   batches, as fast as
 *                                             W outstanding batches allow
 *            [--warmup N] [--label TEXT]
 *
 * Latency is per signature: from just before its record is produced to the
 * moment its verified result is read. Results are printed as one JSON object
 * on stdout (progress on stderr), e.g.
 *   {"bench":"e2e_load","mode":"rate","target_rps":100,...,
 *    "latency_ms":{"p50":..,"p95":..,"p99":..,"max":..}}
 * Exit status: 0 when every request got a verified signature, 1 otherwise,
 * 2 on bad usage.
 */
#include <getopt.h>
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
#include "record_auth.h"
#include "sigv1.h"
#include "svc/clock.h"
#include "svc/kafka.h"

#define MAX_ID 64

typedef struct {
    char id[MAX_ID];
    unsigned char msg[32];
    double sent_ms; /* 0 = not sent yet */
    double done_ms; /* 0 = no result yet */
    int ok;
} request;

typedef struct {
    const char *brokers, *api_key_id, *api_secret, *key_id, *keygen, *label;
    double rate, duration;
    int batch_size, batches, inflight, warmup;
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
    size_t nreqs, ndone, nfailed, nbad_sig;
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

/* ---- key --------------------------------------------------------------- */

static void make_key(bench *b) {
    char proto[32];
    int t, n;
    if (sscanf(b->o.keygen, "%31[a-z0-9-]:%d:%d", proto, &t, &n) != 3) die("--keygen wants PROTOCOL:T:N");
    char rid[MAX_ID];
    random_id(b, rid, sizeof rid, "keygen", 0);
    mpc_keygen_request k = {.request_id = rid, .protocol = proto, .curve = "secp256k1", .threshold = t,
                            .total_nodes = n, .chain_type = "bitcoin", .client_id = (char *)b->o.api_key_id,
                            .submitted_at = svc_wall_ms()};
    produce_signed(b, MPC_RECORD_KEYGEN_REQUEST, &k, &k.auth, "mpc.keygen.requests", rid);
    double deadline = now_ms() + 60000;
    while (now_ms() < deadline) {
        rd_kafka_message_t *m = svc_kafka_consume(b->kafka, 100);
        if (m == NULL) continue;
        mpc_result r;
        mpc_codec_error ce;
        int mine = 0;
        if (!m->err && mpc_codec_decode_result(m->payload, m->len, &r, &ce) == MPC_CODEC_OK) {
            if (strcmp(r.request_id, rid) == 0) {
                mine = 1;
                if (strcmp(r.status, "succeeded") != 0 || r.public_key.len != 33) {
                    fprintf(stderr, "e2e_load: keygen %s: %s\n", r.status, r.error_message ? r.error_message : "");
                    exit(1);
                }
                snprintf(b->key_id, sizeof b->key_id, "%s", r.key_id);
                memcpy(b->public_key, r.public_key.data, 33);
                snprintf(b->protocol, sizeof b->protocol, "%s", proto);
            }
            mpc_codec_free_result(&r);
        }
        rd_kafka_message_destroy(m);
        if (mine) {
            fprintf(stderr, "e2e_load: key %s (%s %d-of-%d) ready\n", b->key_id, proto, t, n);
            return;
        }
    }
    die("no keygen result within 60 s");
}

/* ---- load -------------------------------------------------------------- */

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
    free(items);
}

static void alloc_requests(bench *b, size_t n) {
    b->reqs = calloc(n, sizeof *b->reqs);
    if (b->reqs == NULL) die("out of memory");
    b->nreqs = n;
    for (size_t i = 0; i < n; i++) {
        random_id(b, b->reqs[i].id, sizeof b->reqs[i].id, "r", i);
        if (!mpc_rng_fill(&b->rng, b->reqs[i].msg, 32)) die("no randomness");
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
    double deadline = now_ms() + 30000;
    while (b->ndone < n && now_ms() < deadline) read_results(b, 20);
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
        } else if (now_ms() - last_progress > 30000) {
            fprintf(stderr, "e2e_load: no result for 30 s, giving up\n");
            break;
        }
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)ceil(p / 100.0 * (double)n);
    return sorted[i == 0 ? 0 : i - 1];
}

static void report(bench *b, const char *mode, double wall_ms) {
    double *lat = malloc((b->nreqs + 1) * sizeof *lat);
    if (lat == NULL) die("out of memory");
    size_t n = 0, ok = 0;
    double first = 0, last = 0, sum = 0;
    for (size_t i = 0; i < b->nreqs; i++) {
        const request *q = &b->reqs[i];
        if (q->done_ms == 0 || !q->ok) continue;
        ok++;
        lat[n++] = q->done_ms - q->sent_ms;
        sum += q->done_ms - q->sent_ms;
        if (first == 0 || q->sent_ms < first) first = q->sent_ms;
        if (q->done_ms > last) last = q->done_ms;
    }
    qsort(lat, n, sizeof *lat, cmp_double);
    double span = last > first ? last - first : wall_ms;
    printf("{\"bench\":\"e2e_load\",\"label\":\"%s\",\"mode\":\"%s\",\"protocol\":\"%s\",\"key_id\":\"%s\","
           "\"target_rps\":%.1f,\"batch_size\":%d,\"inflight\":%d,"
           "\"requested\":%zu,\"succeeded_verified\":%zu,\"failed\":%zu,\"bad_signatures\":%zu,\"lost\":%zu,"
           "\"wall_s\":%.3f,\"throughput_sigs_per_s\":%.1f,"
           "\"latency_ms\":{\"mean\":%.2f,\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,\"max\":%.2f}}\n",
           b->o.label ? b->o.label : "", mode, b->protocol, b->key_id, b->o.rate, b->o.batch_size, b->o.inflight,
           b->nreqs, ok, b->nfailed, b->nbad_sig, b->nreqs - b->ndone, span / 1000.0,
           span > 0 ? (double)ok / (span / 1000.0) : 0.0, n ? sum / (double)n : 0.0, pct(lat, n, 50),
           pct(lat, n, 95), pct(lat, n, 99), n ? lat[n - 1] : 0.0);
    fflush(stdout);
    free(lat);
}

static void usage(void) {
    fprintf(stderr,
            "usage: e2e_load --brokers H:P --api-key-id ID --api-secret SECRET\n"
            "                (--keygen PROTOCOL:T:N | --key-id KEY --protocol P --public-key HEX33)\n"
            "                (--rate R --duration S | --batch-size B --batches K [--inflight W])\n"
            "                [--warmup N] [--label TEXT]\n");
    exit(2);
}

int main(int argc, char **argv) {
    bench b = {0};
    options *o = &b.o;
    o->inflight = 2;
    o->warmup = 20;
    const char *pubhex = NULL, *proto = NULL;
    static const struct option longopts[] = {
        {"brokers", 1, 0, 'b'},    {"api-key-id", 1, 0, 'i'}, {"api-secret", 1, 0, 's'}, {"key-id", 1, 0, 'k'},
        {"keygen", 1, 0, 'g'},     {"rate", 1, 0, 'r'},       {"duration", 1, 0, 'd'},   {"batch-size", 1, 0, 'B'},
        {"batches", 1, 0, 'K'},    {"inflight", 1, 0, 'w'},   {"warmup", 1, 0, 'W'},     {"label", 1, 0, 'l'},
        {"public-key", 1, 0, 'p'}, {"protocol", 1, 0, 'P'},   {0, 0, 0, 0}};
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
        default: usage();
        }
    }
    int rate_mode = o->rate > 0 && o->duration > 0, batch_mode = o->batch_size > 0 && o->batches > 0;
    if (!o->brokers || !o->api_key_id || !o->api_secret || rate_mode == batch_mode || (!o->key_id == !o->keygen) ||
        o->inflight < 1 || o->batch_size > 1000 || o->warmup < 0)
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

    if (o->keygen) make_key(&b);

    if (o->warmup > 0) { /* connections, caches and JITs of every hop */
        bench w = b;
        w.o.rate = 50;
        w.o.duration = (double)o->warmup / 50.0;
        snprintf(w.run, sizeof w.run, "%.16sw", b.run);
        run_rate(&w);
        fprintf(stderr, "e2e_load: warm-up %zu/%zu\n", w.ndone, w.nreqs);
        free(w.reqs);
    }
    double t0 = now_ms();
    if (rate_mode) run_rate(&b);
    else run_batches(&b);
    report(&b, rate_mode ? "rate" : "batch", now_ms() - t0);
    int rc = b.ndone == b.nreqs && b.nfailed == 0 ? 0 : 1;
    svc_kafka_close(b.kafka, 2000);
    free(b.reqs);
    free(b.batch_left);
    secp256k1_context_destroy(b.secp);
    mpc_engine_ctx_free(b.ctx);
    return rc;
}
