/* kafka.h - the Kafka client every service uses, on librdkafka.
 *
 * One svc_kafka holds an idempotent producer (enable.idempotence=true, so
 * acks=all and no duplicates on retry) and, when a group id is given, a
 * consumer with manual offset management: nothing is committed until the
 * service marks a message done (svc_kafka_done), and stored offsets are
 * committed by svc_kafka_commit() (the service calls it from its tick), on
 * partition revocation and at close. So a crash re-delivers, never skips.
 *
 * Threading: produce/poll functions and svc_kafka_wake may be called from
 * any thread; consume, done and commit belong to the service's main loop
 * thread.
 */
#ifndef MPC_SVC_KAFKA_H
#define MPC_SVC_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "svc/metrics.h"

typedef struct svc_kafka svc_kafka;

typedef struct {
    const char *brokers;            /* "host:port,..." */
    const char *client_id;
    const char *group_id;           /* NULL or "": producer only */
    const char *security_protocol;  /* "plaintext" | "ssl" */
    const char *ssl_ca_location;    /* CA file for ssl, or "" */
    int linger_ms;                  /* producer batching delay */
    const char *const *topics;      /* topics to subscribe to (with a group) */
    size_t ntopics;
    svc_metrics *metrics;           /* may be NULL */
    /* Optional: called when partitions are assigned, before consumption
     * starts. It may set each element's .offset (e.g. from offsets kept in
     * a database); RD_KAFKA_OFFSET_INVALID keeps the committed offset. */
    void (*on_assign)(void *opaque, rd_kafka_topic_partition_list_t *parts);
    void *assign_opaque;
} svc_kafka_options;

/* Creates the clients (no network round trip yet: librdkafka connects in the
 * background) and subscribes. Returns NULL with a one-line reason in err. */
svc_kafka *svc_kafka_new(const svc_kafka_options *opts, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Creates a producer plus a group-less consumer that reads every partition
 * of o->topics from its current end (nothing committed, nothing rebalanced):
 * a "tail" of the topics. o->group_id is ignored. Used by coordinators to
 * follow the rounds of their own sessions whichever partition they land in.
 * Waits up to timeout_ms for the topic metadata. Returns NULL with err. */
svc_kafka *svc_kafka_tail_new(const svc_kafka_options *o, int timeout_ms, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Flushes the producer (up to flush_ms), commits stored offsets, closes the
 * consumer (leaving the group cleanly) and frees everything. NULL ok.
 * Returns the number of messages that could not be delivered in time. */
int svc_kafka_close(svc_kafka *k, int flush_ms);

/* Produces a copy of key/value to `topic` (partition chosen by key hash).
 * Retries while the local queue is full, serving delivery reports meanwhile.
 * Returns 0 when queued, -1 with err set otherwise. Delivery failures are
 * logged and counted in mpc_kafka_delivery_errors_total. */
int svc_kafka_produce(svc_kafka *k, const char *topic, const void *key, size_t key_len,
                      const void *value, size_t value_len, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Produces like svc_kafka_produce and waits (up to timeout_ms) until the
 * broker acknowledged the record (acks=all). Returns 0 once it is durable,
 * -1 with err when it was not delivered or the wait timed out (the record
 * may still arrive later: callers treat it as "unknown", not "lost").
 * Thread-safe; used by request handlers that must not answer before Kafka
 * has the request. */
int svc_kafka_produce_sync(svc_kafka *k, const char *topic, const void *key, size_t key_len,
                           const void *value, size_t value_len, int timeout_ms, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Serves producer delivery reports; call regularly (the service loop does). */
void svc_kafka_poll(svc_kafka *k);

/* Waits up to timeout_ms for the next message. Returns a message the caller
 * must release with rd_kafka_message_destroy(), or NULL on timeout. Consumer
 * errors that are not messages (partition EOF, transient broker errors) are
 * handled inside and yield NULL. */
rd_kafka_message_t *svc_kafka_consume(svc_kafka *k, int timeout_ms);

/* Wakes a svc_kafka_consume that is waiting in another thread: it returns
 * NULL at once; when no consume is waiting, the next one returns NULL at
 * once (librdkafka's rd_kafka_queue_yield on the consumer queue: the wake
 * is remembered until a consume sees it). Thread-safe; a no-op without a
 * consumer group. */
void svc_kafka_wake(svc_kafka *k);

/* Marks a consumed message as processed: its offset+1 will be committed. */
void svc_kafka_done(svc_kafka *k, const rd_kafka_message_t *msg);

/* Seeks the message's partition back to the message, so it is consumed
 * again (used when it could not be processed yet). Sleeps 200 ms first so a
 * missing dependency is not hammered. */
void svc_kafka_rewind(svc_kafka *k, const rd_kafka_message_t *msg);

/* Stores next_offset as the position to commit for topic/partition (for
 * services that finish records out of order and track it themselves). */
void svc_kafka_store_offset(svc_kafka *k, const char *topic, int32_t partition, int64_t next_offset);

/* Commits stored offsets (asynchronously unless sync). Returns 0 or -1. */
int svc_kafka_commit(svc_kafka *k, int sync);

/* Asks the cluster for metadata within timeout_ms and checks that every
 * subscribed topic exists. Returns 0 when healthy, or -1 with a one-line
 * reason that says what to fix. */
int svc_kafka_probe(svc_kafka *k, int timeout_ms, char *err, size_t errlen);

/* Non-zero once librdkafka raised a fatal error (e.g. the idempotent producer
 * lost its guarantees); the service must then exit. */
int svc_kafka_fatal(svc_kafka *k, char *err, size_t errlen);

#endif
