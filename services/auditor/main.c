/* mpc-auditor - consumes every topic into the append-only, hash-chained
 * audit_log table.
 *
 * Each consumed record becomes an audit event (audit_event.c) and joins the
 * current batch; a batch is committed (audit_store.c) when it holds
 * audit.batch_max_records records, audit.batch_max_bytes bytes, or its
 * oldest record is audit.batch_max_ms old. Rows and the Kafka positions they
 * cover are written in one transaction; Kafka's own committed offsets are
 * ignored: on every partition assignment the position comes from
 * audit_offsets (or the start of the partition when it has none). So a
 * crash at any point neither skips nor repeats a record, and a record the
 * process had buffered but not committed is simply read again.
 *
 * Heartbeats (mpc.nodes, every service every 2 s) are sampled: a sender's
 * heartbeat gets a row when it is the first seen, its status changed, or
 * audit.heartbeat_every_s passed since its last row; the others are
 * accounted for by the offsets only, and the next row of that sender counts
 * them in details.elided_heartbeats. docs/audit.md has the whole design.
 *
 * When PostgreSQL is away the batch is kept and retried; once it is full,
 * records are handed back to Kafka (SVC_MSG_RETRY) until the database
 * answers again: nothing is lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_chain.h"
#include "audit_event.h"
#include "audit_store.h"
#include "codec/avro_codec.h"
#include "svc/log.h"
#include "svc/service.h"

static const char *const auditor_topics[] = {"mpc.keygen.requests", "mpc.sign.requests", "mpc.rounds",
                                             "mpc.results",         "mpc.nodes",         "mpc.dlq"};

static const svc_config_entry auditor_settings[] = {
    {"audit.batch_max_records", SVC_CFG_INT, "MPC_AUDIT_BATCH_MAX_RECORDS", "500", 1, 10000, 0,
     "Records per audit transaction at most"},
    {"audit.batch_max_ms", SVC_CFG_INT, "MPC_AUDIT_BATCH_MAX_MS", "50", 0, 10000, 0,
     "Longest a consumed record waits before its transaction is committed (ms)"},
    {"audit.batch_max_bytes", SVC_CFG_INT, "MPC_AUDIT_BATCH_MAX_BYTES", "16777216", 65536, 1073741824, 0,
     "Details bytes per audit transaction at most"},
    {"audit.heartbeat_every_s", SVC_CFG_INT, "MPC_AUDIT_HEARTBEAT_EVERY_S", "60", 0, 86400, 0,
     "A sender's unchanged heartbeat gets a row at most this often (s); 0 records every heartbeat"},
};

/* Sampling state of one heartbeat sender ("service/node/instance"). */
typedef struct {
    char *sender;
    char *status;
    int64_t last_sent_at; /* sent_at of its last recorded heartbeat */
    long elided;          /* heartbeats accounted without a row since then */
} hb_state;

typedef struct {
    audit_batch batch;
    double batch_started; /* monotonic seconds of the oldest buffered record */
    double next_attempt;  /* after a failed commit: not before this */
    int failing;          /* failed commits in a row */
    long max_records, max_ms, max_bytes, hb_every_s;
    hb_state *hb;
    size_t nhb, caphb;
    /* progress */
    double progress_at;
    unsigned long long progress_rows;
    svc_metric *m_rows, *m_batches, *m_failures, *m_elided, *m_dups, *m_undecodable, *m_buffered, *m_batch_s;
} auditor;

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Commits the batch. Returns 0 when it is empty afterwards. */
static int flush(svc_service *s, auditor *a) {
    if (a->batch.n == 0) return 0;
    char err[512];
    audit_commit_stats st;
    double t0 = mono_now();
    PGconn *c = svc_pg_conn(svc_service_pg(s));
    if (audit_batch_commit(c, &a->batch, &st, err, sizeof err) != 0) {
        a->failing++;
        a->next_attempt = mono_now() + (a->failing > 5 ? 2.0 : 0.5);
        svc_counter_add(a->m_failures, 1);
        if (a->failing == 1 || a->failing % 20 == 0)
            svc_log(SVC_LOG_WARN, "audit commit failed; batch kept for retry", "{s:s,s:i,s:I}", "error", err,
                    "attempt", a->failing, "buffered", (json_int_t)a->batch.n);
        return -1;
    }
    if (a->failing) svc_log(SVC_LOG_INFO, "audit commits resumed", "{s:i}", "failed_attempts", a->failing);
    a->failing = 0;
    svc_counter_add(a->m_rows, st.rows);
    svc_counter_add(a->m_batches, 1);
    svc_counter_add(a->m_dups, st.duplicates);
    svc_gauge_set(a->m_buffered, 0);
    svc_histogram_observe(a->m_batch_s, mono_now() - t0);
    a->progress_rows += st.rows;
    if (st.duplicates)
        svc_log(SVC_LOG_INFO, "re-delivered records already audited were dropped", "{s:I}", "count",
                (json_int_t)st.duplicates);
    svc_log(SVC_LOG_DEBUG, "audit batch committed", "{s:I,s:I,s:I}", "rows", (json_int_t)st.rows, "accounted",
            (json_int_t)st.accounted, "head_seq", (json_int_t)st.head_seq);
    return 0;
}

static int batch_full(const auditor *a) {
    return a->batch.n >= (size_t)a->max_records || a->batch.bytes >= (size_t)a->max_bytes;
}

/* Decides whether a heartbeat of `sender` gets a row; with `commit` set
 * (the record really joined the batch) also updates the sampling state.
 * Returns 1 to record, 0 to account only, -1 out of memory. */
static int hb_sample(auditor *a, const char *sender, const char *status, int64_t sent_at, int commit, long *elided) {
    hb_state *h = NULL;
    for (size_t i = 0; i < a->nhb && h == NULL; i++)
        if (strcmp(a->hb[i].sender, sender) == 0) h = &a->hb[i];
    int record = a->hb_every_s == 0 || h == NULL || strcmp(h->status, status) != 0 || sent_at < h->last_sent_at ||
                 sent_at - h->last_sent_at >= a->hb_every_s * 1000;
    *elided = h ? h->elided : 0;
    if (!commit) return record;
    if (h == NULL) {
        if (a->nhb == a->caphb) {
            size_t cap = a->caphb ? 2 * a->caphb : 16;
            hb_state *v = realloc(a->hb, cap * sizeof *v);
            if (v == NULL) return -1;
            a->hb = v;
            a->caphb = cap;
        }
        h = &a->hb[a->nhb];
        memset(h, 0, sizeof *h);
        if ((h->sender = strdup(sender)) == NULL) return -1;
        a->nhb++;
    }
    if (record) {
        char *st = strdup(status);
        if (st == NULL) return -1;
        free(h->status);
        h->status = st;
        h->last_sent_at = sent_at;
        h->elided = 0;
    } else {
        h->elided++;
    }
    return record;
}

static svc_msg_outcome auditor_on_message(svc_service *s, const rd_kafka_message_t *msg) {
    auditor *a = svc_service_state(s);
    if (a == NULL) return SVC_MSG_RETRY;
    if (batch_full(a) && flush(s, a) != 0) return SVC_MSG_RETRY; /* database away: Kafka keeps it */
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(msg, &tstype);
    audit_source src = {
        .topic = rd_kafka_topic_name(msg->rkt),
        .partition = msg->partition,
        .offset = msg->offset,
        .key = msg->key,
        .key_len = msg->key_len,
        .timestamp_ms = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts,
    };
    audit_event ev;
    if (audit_event_from_record(&src, msg->payload, msg->len, &ev) != 0) {
        svc_log(SVC_LOG_ERROR, "out of memory mapping a record; will retry", NULL);
        return SVC_MSG_RETRY;
    }
    /* Heartbeat sampling: the sender and status outlive the moved event. */
    char *hb_sender = ev.hb_sender, *hb_status = ev.hb_status;
    int64_t hb_sent_at = ev.hb_sent_at;
    ev.hb_sender = ev.hb_status = NULL;
    int record = 1;
    long elided = 0;
    if (hb_sender) {
        record = hb_sample(a, hb_sender, hb_status, hb_sent_at, 0, &elided);
        if (record && elided > 0 && json_object_set_new(ev.details, "elided_heartbeats", json_integer(elided)) != 0)
            goto oom;
    }
    if (strcmp(ev.event_type, "undecodable") == 0) {
        svc_counter_add(a->m_undecodable, 1);
        svc_log(SVC_LOG_WARN, "undecodable record audited", "{s:s,s:i,s:I,s:s}", "topic", src.topic, "partition",
                (int)src.partition, "offset", (json_int_t)src.offset, "error", ev.result);
    }
    if (!record) audit_event_free(&ev);
    if (a->batch.n == 0) a->batch_started = mono_now();
    if (audit_batch_add(&a->batch, src.topic, src.partition, src.offset, record ? &ev : NULL) != 0) goto oom;
    if (hb_sender && hb_sample(a, hb_sender, hb_status, hb_sent_at, 1, &elided) < 0)
        svc_log(SVC_LOG_WARN, "out of memory in heartbeat sampling", NULL); /* only sampling suffers */
    if (!record) svc_counter_add(a->m_elided, 1);
    free(hb_sender);
    free(hb_status);
    svc_gauge_set(a->m_buffered, (double)a->batch.n);
    if (batch_full(a)) (void)flush(s, a); /* a failure is retried on the next tick */
    return SVC_MSG_DONE;
oom:
    audit_event_free(&ev);
    free(hb_sender);
    free(hb_status);
    svc_log(SVC_LOG_ERROR, "out of memory buffering a record; will retry", NULL);
    return SVC_MSG_RETRY;
}

static void auditor_on_tick(svc_service *s) {
    auditor *a = svc_service_state(s);
    if (a == NULL) return;
    double now = mono_now();
    if (a->batch.n > 0 && now >= a->next_attempt &&
        (batch_full(a) || (now - a->batch_started) * 1000.0 >= (double)a->max_ms))
        (void)flush(s, a);
    if (now - a->progress_at >= 30.0) {
        if (a->progress_rows > 0)
            svc_log(SVC_LOG_INFO, "audit progress", "{s:I,s:f}", "rows", (json_int_t)a->progress_rows,
                    "rows_per_s", (double)a->progress_rows / (now - a->progress_at));
        a->progress_rows = 0;
        a->progress_at = now;
    }
}

/* Positions every assigned partition at its audit_offsets.next_offset, or
 * at its beginning when it has none. If the positions cannot be read, every
 * partition starts at its beginning: the commit filter then drops what is
 * already audited, so the price is re-reading, never a gap. */
static void auditor_on_assign(svc_service *s, rd_kafka_topic_partition_list_t *parts) {
    auditor *a = svc_service_state(s);
    if (a == NULL) return; /* an assignment while closing, after on_stop: nothing is consumed any more */
    char err[512] = "";
    (void)flush(s, a); /* positions should reflect what this process holds */
    audit_offset *known = NULL;
    size_t nknown = 0;
    int ok = svc_pg_probe(svc_service_pg(s), err, sizeof err) == SVC_DEP_OK &&
             audit_offsets_load(svc_pg_conn(svc_service_pg(s)), &known, &nknown, err, sizeof err) == 0;
    if (!ok)
        svc_log(SVC_LOG_WARN, "audit positions unreadable; reading assigned partitions from their start",
                "{s:s}", "error", err);
    int resumed = 0;
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        p->offset = RD_KAFKA_OFFSET_BEGINNING;
        for (size_t k = 0; k < nknown; k++)
            if (known[k].partition == p->partition && strcmp(known[k].topic, p->topic) == 0) {
                p->offset = known[k].next_offset;
                resumed++;
            }
    }
    audit_offsets_free(known, nknown);
    svc_log(SVC_LOG_INFO, "audit positions applied", "{s:i,s:i}", "partitions", parts->cnt, "resumed", resumed);
}

static int auditor_on_start(svc_service *s) {
    mpc_codec_error cerr;
    if (mpc_codec_init(&cerr) != MPC_CODEC_OK) {
        svc_log(SVC_LOG_ERROR, "codec schemas failed to load", "{s:s}", "error", cerr.message);
        return -1;
    }
    auditor *a = calloc(1, sizeof *a);
    if (a == NULL) {
        svc_log(SVC_LOG_ERROR, "out of memory", NULL);
        return -1;
    }
    const svc_config *c = svc_service_config(s);
    a->max_records = svc_config_int(c, "audit.batch_max_records");
    a->max_ms = svc_config_int(c, "audit.batch_max_ms");
    a->max_bytes = svc_config_int(c, "audit.batch_max_bytes");
    a->hb_every_s = svc_config_int(c, "audit.heartbeat_every_s");
    a->progress_at = mono_now();
    svc_metrics *m = svc_service_metrics(s);
    a->m_rows = svc_metrics_counter(m, "mpc_audit_rows_total", "Audit rows written", NULL);
    a->m_batches = svc_metrics_counter(m, "mpc_audit_batches_total", "Audit transactions committed", NULL);
    a->m_failures = svc_metrics_counter(m, "mpc_audit_commit_failures_total", "Audit transactions that failed", NULL);
    a->m_elided = svc_metrics_counter(m, "mpc_audit_heartbeats_elided_total",
                                      "Heartbeats accounted for without a row (sampling)", NULL);
    a->m_dups = svc_metrics_counter(m, "mpc_audit_duplicates_dropped_total",
                                    "Re-delivered records dropped as already audited", NULL);
    a->m_undecodable = svc_metrics_counter(m, "mpc_audit_undecodable_total", "Undecodable records audited", NULL);
    a->m_buffered = svc_metrics_gauge(m, "mpc_audit_buffered_records", "Records waiting for their transaction", NULL);
    static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    a->m_batch_s = svc_metrics_histogram(m, "mpc_audit_commit_seconds", "Duration of audit transactions", NULL,
                                         buckets, sizeof buckets / sizeof *buckets);
    svc_service_set_state(s, a);
    svc_log(SVC_LOG_INFO, "auditor configured", "{s:i,s:i,s:i}", "batch_max_records", (int)a->max_records,
            "batch_max_ms", (int)a->max_ms, "heartbeat_every_s", (int)a->hb_every_s);
    return 0;
}

static void auditor_on_stop(svc_service *s) {
    auditor *a = svc_service_state(s);
    if (a == NULL) return;
    for (int attempt = 0; attempt < 3 && a->batch.n > 0; attempt++) {
        char err[256];
        (void)svc_pg_probe(svc_service_pg(s), err, sizeof err);
        (void)flush(s, a);
    }
    if (a->batch.n > 0)
        svc_log(SVC_LOG_WARN, "stopping with uncommitted records; they are read again on restart", "{s:I}",
                "records", (json_int_t)a->batch.n);
    audit_batch_free(&a->batch);
    for (size_t i = 0; i < a->nhb; i++) {
        free(a->hb[i].sender);
        free(a->hb[i].status);
    }
    free(a->hb);
    free(a);
    svc_service_set_state(s, NULL);
}

int main(int argc, char **argv) {
    static const svc_service_def def = {
        .name = "auditor",
        .default_http_port = 18083,
        .default_group_id = "mpc-auditor",
        .settings = auditor_settings,
        .nsettings = sizeof auditor_settings / sizeof auditor_settings[0],
        .topics = auditor_topics,
        .ntopics = sizeof auditor_topics / sizeof auditor_topics[0],
        .on_start = auditor_on_start,
        .on_message = auditor_on_message,
        .on_tick = auditor_on_tick,
        .on_assign = auditor_on_assign,
        .on_stop = auditor_on_stop,
    };
    return svc_service_main(&def, argc, argv);
}
