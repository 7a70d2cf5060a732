/* service.h - the shell every service binary runs in.
 *
 * A service is a svc_service_def (name, extra settings, topics, callbacks)
 * handed to svc_service_main(), which does everything services share:
 *
 *   - command line: -c FILE, --print-config, --preflight, --help
 *   - configuration: common settings (below) + the service's own, from one
 *     libconfig file with environment overrides (config.h)
 *   - JSON logs to stderr (log.h), Prometheus metrics (metrics.h)
 *   - HTTP: /health/live, /health/ready, /metrics and the service's routes
 *   - Kafka (idempotent producer; consumer with manual commits), PostgreSQL
 *     and Redis, probed every few seconds; readiness reflects them, each
 *     change is logged once with what to fix; a dependency that refuses us
 *     for good (wrong password) stops the process with exit code 78
 *   - the main loop: consume -> on_message -> mark done; tick callbacks;
 *     offsets committed every second; svc_service_wake() lets another
 *     thread (a worker that finished something) cut the consume wait short
 *     so that on_tick runs at once
 *   - a NodeHeartbeat record on mpc.nodes every 2 s (key "<service>-<id>",
 *     node id from the node.id setting when the service has one, else 0)
 *   - SIGTERM/SIGINT: stop consuming, run on_shutdown, flush the producer,
 *     commit offsets, leave the group, stop HTTP, exit 0
 *
 * Common settings: service.instance, log.level, http.bind, http.port,
 * http.max_body, kafka.brokers, kafka.client_id, kafka.group_id,
 * kafka.security_protocol, kafka.ssl_ca_location, kafka.linger_ms,
 * postgres.dsn, postgres.connect_timeout_s, redis.url, redis.timeout_ms,
 * shutdown.flush_timeout_ms. See docs/configuration.md.
 */
#ifndef MPC_SVC_SERVICE_H
#define MPC_SVC_SERVICE_H

#include <librdkafka/rdkafka.h>

#include "svc/config.h"
#include "svc/http.h"
#include "svc/kafka.h"
#include "svc/metrics.h"
#include "svc/pg.h"
#include "svc/redis.h"

typedef struct svc_service svc_service;

typedef enum {
    SVC_MSG_DONE = 0,  /* processed (or dead-lettered): commit its offset */
    SVC_MSG_RETRY = 1, /* could not process now (a dependency is away): redeliver */
    SVC_MSG_PENDING = 2 /* the service finishes it later and stores the offset
                         * itself (svc_kafka_store_offset) when it is safe */
} svc_msg_outcome;

typedef struct {
    const char *name;              /* "api", "coordinator", ... (log + metrics label) */
    int default_http_port;
    const char *default_group_id;  /* NULL: the service does not consume */
    const svc_config_entry *settings; /* the service's own settings */
    size_t nsettings;
    int poll_ms;                   /* longest wait for a record per loop turn (default 100) */
    const char *const *topics;     /* topics consumed */
    size_t ntopics;
    const char *const *capabilities; /* advertised in heartbeats, e.g. "frost" */
    size_t ncapabilities;
    const svc_http_route *routes;  /* extra routes; their ctx is replaced by the svc_service* */
    size_t nroutes;

    /* Called once after configuration and clients exist, before the loop.
     * Returns 0, or -1 to exit with status 1 (log why first). */
    int (*on_start)(svc_service *s);
    /* One consumed record. */
    svc_msg_outcome (*on_message)(svc_service *s, const rd_kafka_message_t *msg);
    /* Called from the main loop after every turn: after each record, at
     * least every poll_ms while nothing arrives (about 100 ms when the
     * dependencies are down), and right after svc_service_wake(). */
    void (*on_tick)(svc_service *s);
    /* Optional: partitions were assigned to this instance; may set each
     * element's .offset to resume from a position the service keeps itself
     * (the auditor keeps its offsets in PostgreSQL). Main-loop thread. */
    void (*on_assign)(svc_service *s, rd_kafka_topic_partition_list_t *parts);
    /* Called once at shutdown, before Kafka is flushed and closed. */
    void (*on_stop)(svc_service *s);
} svc_service_def;

/* Runs the service until SIGTERM/SIGINT. Returns the process exit status. */
int svc_service_main(const svc_service_def *def, int argc, char **argv);

/* Accessors for callbacks. The objects are owned by the shell. */
const svc_config *svc_service_config(svc_service *s);
svc_metrics *svc_service_metrics(svc_service *s);
svc_kafka *svc_service_kafka(svc_service *s);
svc_pg *svc_service_pg(svc_service *s);       /* main-loop thread only */
svc_redis *svc_service_redis(svc_service *s); /* main-loop thread only */
void *svc_service_state(svc_service *s);
/* This process's instance name: service.instance, or host-pid when unset. */
const char *svc_service_instance(svc_service *s);
void svc_service_set_state(svc_service *s, void *state);
/* Active sessions reported in heartbeats (default 0). Thread-safe. */
void svc_service_set_active_sessions(svc_service *s, int n);
/* Wakes the main loop: a wait for the next record in progress ends at once
 * (or, when the loop is busy, the next one does), so on_tick runs without
 * waiting for poll_ms. For threads that hand results to the main loop.
 * Thread-safe; from the start of on_start until on_stop returns. */
void svc_service_wake(svc_service *s);
/* 1 when every dependency answered at the last probe. Thread-safe. */
int svc_service_ready(svc_service *s);

#endif
