/* kafka.c - librdkafka producer/consumer setup; see kafka.h for the contract. */
#include "svc/kafka.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svc/log.h"

struct svc_kafka {
    rd_kafka_t *producer;
    rd_kafka_t *consumer; /* NULL when producer-only */
    char **topics;
    size_t ntopics;
    svc_metric *produced, *delivery_errors, *consumed, *commit_errors;
    void (*on_assign)(void *opaque, rd_kafka_topic_partition_list_t *parts);
    void *assign_opaque;
};

/* A waiter for one synchronously produced record (its msg_opaque). Heap
 * owned: by the caller while it waits, by the delivery callback once the
 * caller gave up waiting (abandoned), so neither frees it under the other. */
typedef struct {
    pthread_mutex_t lock;
    int done, abandoned;
    rd_kafka_resp_err_t err;
} delivery_wait;

static void delivery_wait_free(delivery_wait *w) {
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    svc_log_level l = level <= 3 ? SVC_LOG_ERROR : level <= 5 ? SVC_LOG_WARN : level == 6 ? SVC_LOG_INFO
                                                                                          : SVC_LOG_DEBUG;
    svc_log(l, "kafka", "{s:s,s:s}", "facility", fac, "detail", buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)opaque;
    svc_log(err == RD_KAFKA_RESP_ERR__FATAL ? SVC_LOG_ERROR : SVC_LOG_WARN, "kafka client error",
            "{s:s,s:s,s:s}", "client", rd_kafka_name(rk), "error", rd_kafka_err2name(err), "reason", reason);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk;
    svc_kafka *k = opaque;
    delivery_wait *w = msg->_private;
    if (w) {
        pthread_mutex_lock(&w->lock);
        w->done = 1;
        w->err = msg->err;
        int abandoned = w->abandoned;
        pthread_mutex_unlock(&w->lock);
        if (abandoned) delivery_wait_free(w);
    }
    if (msg->err) {
        svc_counter_add(k->delivery_errors, 1);
        svc_log(SVC_LOG_ERROR, "kafka delivery failed", "{s:s,s:s}", "topic", rd_kafka_topic_name(msg->rkt),
                "error", rd_kafka_err2str(msg->err));
    } else {
        svc_counter_add(k->produced, 1);
    }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    svc_kafka *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        svc_log(SVC_LOG_INFO, "partitions assigned", "{s:i}", "count", parts->cnt);
        if (k->on_assign) k->on_assign(k->assign_opaque, parts);
        rd_kafka_assign(rk, parts);
    } else {
        /* Commit what was processed before another member takes over. */
        rd_kafka_resp_err_t cerr = rd_kafka_commit(rk, NULL, 0);
        if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
            svc_log(SVC_LOG_WARN, "commit on revoke failed", "{s:s}", "error", rd_kafka_err2str(cerr));
        svc_log(SVC_LOG_INFO, "partitions revoked", "{s:i}", "count", parts->cnt);
        rd_kafka_assign(rk, NULL);
    }
}

/* Sets one property; returns 0 or -1 with err. */
static int set_conf(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errlen) {
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "kafka setting %s=%s: %s", name, value, why);
        return -1;
    }
    return 0;
}

static rd_kafka_conf_t *base_conf(const svc_kafka_options *o, char *err, size_t errlen) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (set_conf(conf, "bootstrap.servers", o->brokers, err, errlen) ||
        set_conf(conf, "client.id", o->client_id, err, errlen) ||
        set_conf(conf, "security.protocol", o->security_protocol, err, errlen) ||
        set_conf(conf, "log.connection.close", "false", err, errlen) ||
        set_conf(conf, "reconnect.backoff.max.ms", "5000", err, errlen) ||
        (o->ssl_ca_location && o->ssl_ca_location[0] &&
         set_conf(conf, "ssl.ca.location", o->ssl_ca_location, err, errlen))) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    return conf;
}

svc_kafka *svc_kafka_new(const svc_kafka_options *o, char *err, size_t errlen) {
    svc_kafka *k = calloc(1, sizeof *k);
    if (k == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->produced = svc_metrics_counter(o->metrics, "mpc_kafka_produced_total", "Records delivered to Kafka", NULL);
    k->delivery_errors = svc_metrics_counter(o->metrics, "mpc_kafka_delivery_errors_total",
                                             "Records Kafka failed to accept", NULL);
    k->consumed = svc_metrics_counter(o->metrics, "mpc_kafka_consumed_total", "Records consumed", NULL);
    k->commit_errors = svc_metrics_counter(o->metrics, "mpc_kafka_commit_errors_total", "Failed offset commits", NULL);
    k->on_assign = o->on_assign;
    k->assign_opaque = o->assign_opaque;

    char linger[16];
    snprintf(linger, sizeof linger, "%d", o->linger_ms);
    rd_kafka_conf_t *conf = base_conf(o, err, errlen);
    if (conf == NULL || set_conf(conf, "enable.idempotence", "true", err, errlen) ||
        set_conf(conf, "acks", "all", err, errlen) || set_conf(conf, "linger.ms", linger, err, errlen) ||
        set_conf(conf, "compression.type", "lz4", err, errlen)) {
        if (conf) rd_kafka_conf_destroy(conf);
        goto fail;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, k);
    char why[512];
    k->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (k->producer == NULL) { /* rd_kafka_new owns conf only on success */
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "kafka producer: %s", why);
        goto fail;
    }

    if (o->group_id && o->group_id[0]) {
        conf = base_conf(o, err, errlen);
        if (conf == NULL || set_conf(conf, "group.id", o->group_id, err, errlen) ||
            set_conf(conf, "enable.auto.commit", "false", err, errlen) ||
            set_conf(conf, "enable.auto.offset.store", "false", err, errlen) ||
            set_conf(conf, "auto.offset.reset", "earliest", err, errlen) ||
            set_conf(conf, "enable.partition.eof", "false", err, errlen)) {
            if (conf) rd_kafka_conf_destroy(conf);
            goto fail;
        }
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
        rd_kafka_conf_set_opaque(conf, k);
        k->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
        if (k->consumer == NULL) {
            rd_kafka_conf_destroy(conf);
            snprintf(err, errlen, "kafka consumer: %s", why);
            goto fail;
        }
        rd_kafka_poll_set_consumer(k->consumer);
        rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new((int)o->ntopics);
        k->topics = calloc(o->ntopics + 1, sizeof *k->topics);
        if (k->topics == NULL) {
            rd_kafka_topic_partition_list_destroy(subs);
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < o->ntopics; i++) {
            rd_kafka_topic_partition_list_add(subs, o->topics[i], RD_KAFKA_PARTITION_UA);
            k->topics[i] = strdup(o->topics[i]);
            if (k->topics[i] == NULL) {
                rd_kafka_topic_partition_list_destroy(subs);
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            k->ntopics++;
        }
        rd_kafka_resp_err_t serr = rd_kafka_subscribe(k->consumer, subs);
        rd_kafka_topic_partition_list_destroy(subs);
        if (serr) {
            snprintf(err, errlen, "kafka subscribe: %s", rd_kafka_err2str(serr));
            goto fail;
        }
    }
    return k;
fail:
    svc_kafka_close(k, 0);
    return NULL;
}

svc_kafka *svc_kafka_tail_new(const svc_kafka_options *o, int timeout_ms, char *err, size_t errlen) {
    svc_kafka_options po = *o;
    po.group_id = NULL;
    po.on_assign = NULL;
    svc_kafka *k = svc_kafka_new(&po, err, errlen);
    if (k == NULL) return NULL;
    rd_kafka_conf_t *conf = base_conf(o, err, errlen);
    char why[512];
    /* librdkafka wants a group id even for manual assignment; this one is
     * private to the process and never commits anything. */
    char group[128];
    snprintf(group, sizeof group, "%s-tail-%d-%ld", o->client_id, (int)getpid(), (long)time(NULL));
    if (conf == NULL || set_conf(conf, "enable.partition.eof", "false", err, errlen) ||
        set_conf(conf, "group.id", group, err, errlen) || set_conf(conf, "enable.auto.commit", "false", err, errlen)) {
        if (conf) rd_kafka_conf_destroy(conf);
        goto fail;
    }
    k->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof why);
    if (k->consumer == NULL) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "kafka consumer: %s", why);
        goto fail;
    }
    rd_kafka_poll_set_consumer(k->consumer);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(16);
    for (size_t i = 0; i < o->ntopics; i++) {
        rd_kafka_topic_t *t = rd_kafka_topic_new(k->consumer, o->topics[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = t ? rd_kafka_metadata(k->consumer, 0, t, &md, timeout_ms) : RD_KAFKA_RESP_ERR__FAIL;
        if (t) rd_kafka_topic_destroy(t);
        if (e || md->topic_cnt != 1 || md->topics[0].err) {
            snprintf(err, errlen, "kafka: no metadata for topic %s: %s", o->topics[i],
                     e ? rd_kafka_err2str(e) : md && md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "missing");
            if (md) rd_kafka_metadata_destroy(md);
            rd_kafka_topic_partition_list_destroy(parts);
            goto fail;
        }
        for (int p = 0; p < md->topics[0].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(parts, o->topics[i], md->topics[0].partitions[p].id)->offset =
                RD_KAFKA_OFFSET_END;
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(k->consumer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e) {
        snprintf(err, errlen, "kafka assign: %s", rd_kafka_err2str(e));
        goto fail;
    }
    return k;
fail:
    svc_kafka_close(k, 0);
    return NULL;
}

int svc_kafka_close(svc_kafka *k, int flush_ms) {
    if (k == NULL) return 0;
    int undelivered = 0;
    if (k->consumer) {
        if (k->ntopics > 0) svc_kafka_commit(k, 1); /* group consumers only */
        rd_kafka_consumer_close(k->consumer);
        rd_kafka_destroy(k->consumer);
    }
    if (k->producer) {
        rd_kafka_flush(k->producer, flush_ms);
        undelivered = rd_kafka_outq_len(k->producer);
        if (undelivered > 0) {
            svc_log(SVC_LOG_ERROR, "kafka records not delivered at shutdown", "{s:i}", "count", undelivered);
            /* Fail what is left now, so every delivery report (and the
             * waiter of an abandoned synchronous produce) is served. */
            rd_kafka_purge(k->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_poll(k->producer, 100);
        }
        rd_kafka_destroy(k->producer);
    }
    for (size_t i = 0; i < k->ntopics; i++) free(k->topics[i]);
    free(k->topics);
    free(k);
    return undelivered;
}

int svc_kafka_produce(svc_kafka *k, const char *topic, const void *key, size_t key_len, const void *value,
                      size_t value_len, char *err, size_t errlen) {
    for (int attempt = 0;; attempt++) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            k->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && attempt < 100) {
            rd_kafka_poll(k->producer, 100); /* make room by serving delivery reports */
            continue;
        }
        snprintf(err, errlen, "produce to %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
}

int svc_kafka_produce_sync(svc_kafka *k, const char *topic, const void *key, size_t key_len, const void *value,
                           size_t value_len, int timeout_ms, char *err, size_t errlen) {
    delivery_wait *w = calloc(1, sizeof *w);
    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&w->lock, NULL);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        k->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(w), RD_KAFKA_V_END);
    if (e) {
        snprintf(err, errlen, "produce to %s: %s", topic, rd_kafka_err2str(e));
        delivery_wait_free(w);
        return -1;
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        /* Serve delivery reports here too, so a caller on its own thread
         * is not waiting for another thread to poll. */
        rd_kafka_poll(k->producer, 5);
        pthread_mutex_lock(&w->lock);
        if (w->done) {
            rd_kafka_resp_err_t derr = w->err;
            pthread_mutex_unlock(&w->lock);
            delivery_wait_free(w);
            if (derr == RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
            snprintf(err, errlen, "produce to %s: %s", topic, rd_kafka_err2str(derr));
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms >= timeout_ms) {
            w->abandoned = 1; /* the delivery callback frees it */
            pthread_mutex_unlock(&w->lock);
            snprintf(err, errlen, "produce to %s: no acknowledgement within %d ms", topic, timeout_ms);
            return -1;
        }
        pthread_mutex_unlock(&w->lock);
    }
}

void svc_kafka_poll(svc_kafka *k) {
    rd_kafka_poll(k->producer, 0);
}

rd_kafka_message_t *svc_kafka_consume(svc_kafka *k, int timeout_ms) {
    if (k->consumer == NULL) return NULL;
    rd_kafka_message_t *m = rd_kafka_consumer_poll(k->consumer, timeout_ms);
    if (m == NULL) return NULL;
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            svc_log(SVC_LOG_WARN, "kafka consume error", "{s:s}", "error", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return NULL;
    }
    svc_counter_add(k->consumed, 1);
    return m;
}

void svc_kafka_wake(svc_kafka *k) {
    if (k->consumer == NULL) return;
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(k->consumer);
    if (q == NULL) return; /* no consumer group */
    rd_kafka_queue_yield(q);
    rd_kafka_queue_destroy(q);
}

void svc_kafka_store_offset(svc_kafka *k, const char *topic, int32_t partition, int64_t next_offset) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = next_offset;
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(k->consumer, l);
    if (e) svc_log(SVC_LOG_WARN, "offset store failed", "{s:s,s:s,s:i}", "error", rd_kafka_err2str(e), "topic", topic,
                   "partition", (int)partition);
    rd_kafka_topic_partition_list_destroy(l);
}

void svc_kafka_done(svc_kafka *k, const rd_kafka_message_t *msg) {
    svc_kafka_store_offset(k, rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset + 1);
}

void svc_kafka_rewind(svc_kafka *k, const rd_kafka_message_t *msg) {
    usleep(200 * 1000);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(msg->rkt), msg->partition)->offset = msg->offset;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(k->consumer, l, 2000);
    if (e) {
        svc_log(SVC_LOG_WARN, "seek failed", "{s:s}", "error", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

int svc_kafka_commit(svc_kafka *k, int sync) {
    if (k->consumer == NULL) return 0;
    rd_kafka_resp_err_t e = rd_kafka_commit(k->consumer, NULL, !sync);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR__NO_OFFSET) return 0;
    svc_counter_add(k->commit_errors, 1);
    svc_log(SVC_LOG_WARN, "offset commit failed", "{s:s}", "error", rd_kafka_err2str(e));
    return -1;
}

int svc_kafka_probe(svc_kafka *k, int timeout_ms, char *err, size_t errlen) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(k->producer, 1, NULL, &md, timeout_ms);
    if (e) {
        snprintf(err, errlen, "cannot reach Kafka (%s): check kafka.brokers / MPC_KAFKA_BROKERS and that the broker runs",
                 rd_kafka_err2str(e));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < k->ntopics && rc == 0; i++) {
        int found = 0;
        for (int t = 0; t < md->topic_cnt; t++)
            if (strcmp(md->topics[t].topic, k->topics[i]) == 0 && md->topics[t].err == 0) found = 1;
        if (!found) {
            snprintf(err, errlen, "Kafka topic %s does not exist: create the topics (scripts/stack.sh topics)",
                     k->topics[i]);
            rc = -1;
        }
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

int svc_kafka_fatal(svc_kafka *k, char *err, size_t errlen) {
    return rd_kafka_fatal_error(k->producer, err, errlen) != RD_KAFKA_RESP_ERR_NO_ERROR;
}
