/* service.c - the shared service shell; see service.h for what it does.
 *
 * Threads: the main loop owns Kafka consumption, PostgreSQL and Redis; MHD's
 * worker threads serve HTTP and read readiness through `ready_lock`. A
 * service's own threads may call svc_service_wake(), which yields the Kafka
 * consumer queue the main loop waits on (svc_kafka_wake): the wait ends, the
 * loop runs on_tick, and a wake that comes while the loop is elsewhere is
 * remembered by librdkafka until the next wait.
 */
#include "svc/service.h"

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec/avro_codec.h"
#include "svc/clock.h"
#include "svc/log.h"

#define EXIT_CONFIG 78 /* sysexits.h EX_CONFIG: fix the configuration */
#define DEP_COUNT 3

enum { DEP_KAFKA, DEP_PG, DEP_REDIS };
static const char *const dep_names[DEP_COUNT] = {"kafka", "postgres", "redis"};

struct svc_service {
    const svc_service_def *def;
    svc_config_entry *table;
    size_t ntable;
    char http_port_default[16];
    char client_id_default[128];
    svc_config *cfg;
    svc_metrics *metrics;
    svc_http_server *http;
    svc_http_route *routes;
    svc_kafka *kafka;
    svc_pg *pg;
    svc_redis *redis;
    void *state;

    pthread_mutex_t ready_lock;
    svc_dep_status dep_status[DEP_COUNT];
    char dep_reason[DEP_COUNT][512];
    int probed; /* at least one probe round done */
    svc_metric *ready_gauge, *up_gauge[DEP_COUNT];
    _Atomic int active_sessions;
    char instance[128];
};

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* Settings every service has. Defaults marked "@" are filled per service. */
static const svc_config_entry common_settings[] = {
    {"service.instance", SVC_CFG_STRING, "MPC_INSTANCE", "", 0, 0, 0,
     "Instance name in logs, heartbeats and Kafka client ids (default: host-pid)"},
    {"log.level", SVC_CFG_STRING, "MPC_LOG_LEVEL", "info", 0, 0, 0, "debug | info | warn | error"},
    {"http.bind", SVC_CFG_STRING, "MPC_HTTP_BIND", "127.0.0.1", 0, 0, 0, "Address the HTTP server listens on"},
    {"http.port", SVC_CFG_INT, "MPC_HTTP_PORT", "@port", 0, 65535, 0, "HTTP port (health, metrics, API)"},
    {"http.max_body", SVC_CFG_INT, "MPC_HTTP_MAX_BODY", "1048576", 1024, 67108864, 0,
     "Largest accepted request body in bytes"},
    {"kafka.brokers", SVC_CFG_STRING, "MPC_KAFKA_BROKERS", "127.0.0.1:19092", 0, 0, 0,
     "Kafka bootstrap servers, host:port[,host:port]"},
    {"kafka.client_id", SVC_CFG_STRING, "MPC_KAFKA_CLIENT_ID", "@client", 0, 0, 0, "Kafka client id"},
    {"kafka.group_id", SVC_CFG_STRING, "MPC_KAFKA_GROUP_ID", "@group", 0, 0, 0,
     "Consumer group (instances of one service share it)"},
    {"kafka.security_protocol", SVC_CFG_STRING, "MPC_KAFKA_SECURITY_PROTOCOL", "plaintext", 0, 0, 0,
     "plaintext | ssl"},
    {"kafka.ssl_ca_location", SVC_CFG_STRING, "MPC_KAFKA_SSL_CA", "", 0, 0, 0, "CA bundle for ssl"},
    {"kafka.linger_ms", SVC_CFG_INT, "MPC_KAFKA_LINGER_MS", "0", 0, 1000, 0,
     "Producer batching delay in milliseconds (0: send at once; librdkafka still batches what queues up meanwhile)"},
    {"postgres.dsn", SVC_CFG_STRING, "MPC_PG_DSN", "postgresql://mpc@127.0.0.1:15432/mpc", 0, 0, 1,
     "libpq connection string (may contain the password; sslmode=verify-full for TLS)"},
    {"postgres.connect_timeout_s", SVC_CFG_INT, "MPC_PG_CONNECT_TIMEOUT", "3", 1, 60, 0,
     "PostgreSQL connect timeout in seconds"},
    {"redis.url", SVC_CFG_STRING, "MPC_REDIS_URL", "redis://127.0.0.1:16379/0", 0, 0, 1,
     "redis://[:password@]host[:port][/db]"},
    {"redis.timeout_ms", SVC_CFG_INT, "MPC_REDIS_TIMEOUT_MS", "2000", 50, 60000, 0, "Redis command timeout"},
    {"shutdown.flush_timeout_ms", SVC_CFG_INT, "MPC_SHUTDOWN_FLUSH_MS", "10000", 0, 120000, 0,
     "How long shutdown waits for Kafka to acknowledge produced records"},
};
#define NCOMMON (sizeof common_settings / sizeof common_settings[0])

static int build_table(svc_service *s) {
    const svc_service_def *d = s->def;
    s->ntable = NCOMMON + d->nsettings;
    s->table = calloc(s->ntable, sizeof *s->table);
    if (s->table == NULL) return -1;
    memcpy(s->table, common_settings, sizeof common_settings);
    if (d->nsettings) memcpy(s->table + NCOMMON, d->settings, d->nsettings * sizeof *d->settings);
    snprintf(s->http_port_default, sizeof s->http_port_default, "%d", d->default_http_port);
    snprintf(s->client_id_default, sizeof s->client_id_default, "mpc-%s", d->name);
    for (size_t i = 0; i < NCOMMON; i++) {
        if (!strcmp(s->table[i].default_value, "@port")) s->table[i].default_value = s->http_port_default;
        if (!strcmp(s->table[i].default_value, "@client")) s->table[i].default_value = s->client_id_default;
        if (!strcmp(s->table[i].default_value, "@group"))
            s->table[i].default_value = d->default_group_id ? d->default_group_id : "";
    }
    return 0;
}

/* ---- readiness --------------------------------------------------------- */

static void set_dep(svc_service *s, int dep, svc_dep_status st, const char *reason) {
    pthread_mutex_lock(&s->ready_lock);
    int changed = !s->probed || s->dep_status[dep] != st || strcmp(s->dep_reason[dep], reason) != 0;
    s->dep_status[dep] = st;
    snprintf(s->dep_reason[dep], sizeof s->dep_reason[dep], "%s", reason);
    pthread_mutex_unlock(&s->ready_lock);
    svc_gauge_set(s->up_gauge[dep], st == SVC_DEP_OK);
    if (!changed) return;
    if (st == SVC_DEP_OK)
        svc_log(SVC_LOG_INFO, "dependency ready", "{s:s}", "dependency", dep_names[dep]);
    else
        svc_log(SVC_LOG_ERROR, reason, "{s:s,s:s}", "dependency", dep_names[dep], "state",
                st == SVC_DEP_MISCONFIGURED ? "misconfigured" : "unavailable");
}

/* Probes every dependency once. Returns the worst status seen. */
static svc_dep_status probe_all(svc_service *s, int kafka_timeout_ms) {
    char why[512];
    svc_dep_status worst = SVC_DEP_OK, st;

    st = svc_kafka_probe(s->kafka, kafka_timeout_ms, why, sizeof why) == 0 ? SVC_DEP_OK : SVC_DEP_UNAVAILABLE;
    set_dep(s, DEP_KAFKA, st, st == SVC_DEP_OK ? "" : why);
    if (st > worst) worst = st;

    st = svc_pg_probe(s->pg, why, sizeof why);
    set_dep(s, DEP_PG, st, st == SVC_DEP_OK ? "" : why);
    if (st > worst) worst = st;

    st = svc_redis_probe(s->redis, why, sizeof why);
    set_dep(s, DEP_REDIS, st, st == SVC_DEP_OK ? "" : why);
    if (st > worst) worst = st;

    pthread_mutex_lock(&s->ready_lock);
    s->probed = 1;
    pthread_mutex_unlock(&s->ready_lock);
    svc_gauge_set(s->ready_gauge, worst == SVC_DEP_OK);
    return worst;
}

int svc_service_ready(svc_service *s) {
    pthread_mutex_lock(&s->ready_lock);
    int ok = s->probed;
    for (int i = 0; i < DEP_COUNT; i++) ok = ok && s->dep_status[i] == SVC_DEP_OK;
    pthread_mutex_unlock(&s->ready_lock);
    return ok;
}

/* ---- built-in HTTP endpoints -------------------------------------------- */

static int handle_live(void *ctx, const svc_http_request *req, svc_http_response *resp) {
    svc_service *s = ctx;
    (void)req;
    char buf[128];
    snprintf(buf, sizeof buf, "{\"status\":\"live\",\"service\":\"%s\"}", s->def->name);
    resp->body = strdup(buf);
    return resp->body ? 0 : -1;
}

static int handle_ready(void *ctx, const svc_http_request *req, svc_http_response *resp) {
    svc_service *s = ctx;
    (void)req;
    json_t *checks = json_object();
    pthread_mutex_lock(&s->ready_lock);
    int ok = s->probed;
    for (int i = 0; i < DEP_COUNT; i++) {
        int up = s->probed && s->dep_status[i] == SVC_DEP_OK;
        ok = ok && up;
        json_object_set_new(checks, dep_names[i],
                            up ? json_pack("{s:s}", "status", "ok")
                               : json_pack("{s:s,s:s}", "status", s->probed ? "down" : "pending", "reason",
                                           s->dep_reason[i]));
    }
    pthread_mutex_unlock(&s->ready_lock);
    json_t *body = json_pack("{s:s,s:s,s:o}", "status", ok ? "ready" : "not_ready", "service", s->def->name,
                             "checks", checks);
    resp->status = ok ? 200 : 503;
    resp->body = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    return resp->body ? 0 : -1;
}

static int handle_metrics(void *ctx, const svc_http_request *req, svc_http_response *resp) {
    svc_service *s = ctx;
    (void)req;
    resp->body = svc_metrics_render(s->metrics);
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return resp->body ? 0 : -1;
}

/* ---- life cycle ---------------------------------------------------------- */

static void usage(const svc_service_def *d) {
    fprintf(stderr,
            "usage: mpc-%s [-c FILE] [--print-config] [--preflight]\n"
            "  -c FILE         libconfig file (settings not in it keep their defaults;\n"
            "                  environment variables override both)\n"
            "  --print-config  print the effective configuration, documented, and exit\n"
            "  --preflight     check Kafka, PostgreSQL and Redis once, print the result, exit 0/1\n",
            d->name);
}

static int start_http(svc_service *s, char *err, size_t errlen) {
    const svc_service_def *d = s->def;
    size_t n = 3 + d->nroutes;
    s->routes = calloc(n, sizeof *s->routes);
    if (s->routes == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->routes[0] = (svc_http_route){"GET", "/health/live", handle_live, s};
    s->routes[1] = (svc_http_route){"GET", "/health/ready", handle_ready, s};
    s->routes[2] = (svc_http_route){"GET", "/metrics", handle_metrics, s};
    for (size_t i = 0; i < d->nroutes; i++) {
        s->routes[3 + i] = d->routes[i];
        s->routes[3 + i].ctx = s;
    }
    s->http = svc_http_start(svc_config_str(s->cfg, "http.bind"), (int)svc_config_int(s->cfg, "http.port"),
                             s->routes, n, (size_t)svc_config_int(s->cfg, "http.max_body"), err, errlen);
    return s->http ? 0 : -1;
}

static void forward_assign(void *opaque, rd_kafka_topic_partition_list_t *parts) {
    svc_service *s = opaque;
    s->def->on_assign(s, parts);
}

static int start_clients(svc_service *s, char *err, size_t errlen) {
    const svc_config *c = s->cfg;
    char client_id[256];
    const char *instance = svc_config_str(c, "service.instance");
    char host[100] = "host";
    gethostname(host, sizeof host - 1);
    if (instance[0]) snprintf(s->instance, sizeof s->instance, "%s", instance);
    else snprintf(s->instance, sizeof s->instance, "%s-%d", host, (int)getpid());
    snprintf(client_id, sizeof client_id, "%s-%s", svc_config_str(c, "kafka.client_id"), s->instance);
    svc_kafka_options ko = {
        .brokers = svc_config_str(c, "kafka.brokers"),
        .client_id = client_id,
        .group_id = svc_config_str(c, "kafka.group_id"),
        .security_protocol = svc_config_str(c, "kafka.security_protocol"),
        .ssl_ca_location = svc_config_str(c, "kafka.ssl_ca_location"),
        .linger_ms = (int)svc_config_int(c, "kafka.linger_ms"),
        .topics = s->def->topics,
        .ntopics = s->def->ntopics,
        .metrics = s->metrics,
        .on_assign = s->def->on_assign ? forward_assign : NULL,
        .assign_opaque = s,
    };
    s->kafka = svc_kafka_new(&ko, err, errlen);
    if (s->kafka == NULL) return -1;
    s->pg = svc_pg_new(svc_config_str(c, "postgres.dsn"), (int)svc_config_int(c, "postgres.connect_timeout_s"));
    if (s->pg == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->redis = svc_redis_new(svc_config_str(c, "redis.url"), (int)svc_config_int(c, "redis.timeout_ms"), err, errlen);
    return s->redis ? 0 : -1;
}

/* Publishes this process's NodeHeartbeat to mpc.nodes. */
static void send_heartbeat(svc_service *s, const char *status) {
    int node_id = svc_config_has(s->cfg, "node.id") ? (int)svc_config_int(s->cfg, "node.id") : 0;
    mpc_node_heartbeat hb = {
        .node_id = node_id,
        .service = (char *)s->def->name,
        .instance = s->instance,
        .status = (char *)status,
        .capabilities = (char **)s->def->capabilities,
        .capabilities_len = s->def->ncapabilities,
        .active_sessions = atomic_load(&s->active_sessions),
        .version = MPC_VERSION,
        .sent_at = svc_wall_ms(),
    };
    uint8_t *buf = NULL;
    size_t len = 0;
    if (mpc_codec_encode_node_heartbeat(&hb, &buf, &len) != MPC_CODEC_OK) {
        svc_log(SVC_LOG_ERROR, "cannot encode heartbeat", "{s:s}", "error", mpc_codec_last_error()->message);
        return;
    }
    char key[160], err[256];
    if (node_id) snprintf(key, sizeof key, "%s-%d", s->def->name, node_id);
    else snprintf(key, sizeof key, "%s-%s", s->def->name, s->instance);
    if (svc_kafka_produce(s->kafka, "mpc.nodes", key, strlen(key), buf, len, err, sizeof err) != 0)
        svc_log(SVC_LOG_WARN, "heartbeat not sent", "{s:s}", "error", err);
    free(buf);
}

static int run_loop(svc_service *s) {
    const svc_service_def *d = s->def;
    double next_probe = 0, next_commit = 0, next_heartbeat = 0;
    svc_metric *handled = svc_metrics_counter(s->metrics, "mpc_records_handled_total", "Records processed", NULL);
    svc_metric *retried = svc_metrics_counter(s->metrics, "mpc_records_retried_total",
                                              "Records put back for redelivery", NULL);
    while (!stop_requested) {
        double now = svc_mono_seconds();
        if (now >= next_probe) {
            svc_dep_status worst = probe_all(s, 2000);
            if (worst == SVC_DEP_MISCONFIGURED) {
                svc_log(SVC_LOG_ERROR, "stopping: a dependency refused the configured credentials", NULL);
                return EXIT_CONFIG;
            }
            next_probe = svc_mono_seconds() + (worst == SVC_DEP_OK ? 5.0 : 1.0);
        }
        char fatal[512];
        if (svc_kafka_fatal(s->kafka, fatal, sizeof fatal)) {
            svc_log(SVC_LOG_ERROR, "stopping: fatal Kafka error", "{s:s}", "error", fatal);
            return 1;
        }
        svc_kafka_poll(s->kafka);
        if (d->on_message && d->ntopics > 0 && svc_service_ready(s)) {
            rd_kafka_message_t *m = svc_kafka_consume(s->kafka, d->poll_ms > 0 ? d->poll_ms : 100);
            if (m) {
                svc_msg_outcome outcome = d->on_message(s, m);
                if (outcome == SVC_MSG_DONE) {
                    svc_kafka_done(s->kafka, m);
                    svc_counter_add(handled, 1);
                } else if (outcome == SVC_MSG_PENDING) {
                    svc_counter_add(handled, 1);
                } else {
                    svc_counter_add(retried, 1);
                    svc_kafka_rewind(s->kafka, m);
                    next_probe = 0; /* something is away: re-probe now */
                }
                rd_kafka_message_destroy(m);
            }
        } else {
            usleep(100 * 1000);
        }
        if (d->on_tick) d->on_tick(s);
        if (now >= next_heartbeat && s->dep_status[DEP_KAFKA] == SVC_DEP_OK && s->probed) {
            send_heartbeat(s, svc_service_ready(s) ? "ready" : "degraded");
            next_heartbeat = now + 2.0;
        }
        if (now >= next_commit) {
            svc_kafka_commit(s->kafka, 0);
            next_commit = now + 1.0;
        }
    }
    return 0;
}

static void service_free(svc_service *s) {
    svc_http_stop(s->http);
    free(s->routes);
    svc_redis_free(s->redis);
    svc_pg_free(s->pg);
    svc_metrics_free(s->metrics);
    svc_config_free(s->cfg);
    free(s->table);
    pthread_mutex_destroy(&s->ready_lock);
}

int svc_service_main(const svc_service_def *def, int argc, char **argv) {
    const char *file = NULL;
    int print_config = 0, preflight = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c") && i + 1 < argc) file = argv[++i];
        else if (!strcmp(argv[i], "--print-config")) print_config = 1;
        else if (!strcmp(argv[i], "--preflight")) preflight = 1;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(def);
            return 0;
        } else {
            fprintf(stderr, "mpc-%s: unknown argument '%s'\n", def->name, argv[i]);
            usage(def);
            return 2;
        }
    }

    svc_service s = {.def = def};
    pthread_mutex_init(&s.ready_lock, NULL);
    char err[512] = "";
    int status = 1;
    svc_log_init(def->name, SVC_LOG_INFO);
    if (build_table(&s) != 0) {
        svc_log(SVC_LOG_ERROR, "out of memory", NULL);
        goto out;
    }
    s.cfg = svc_config_load(s.table, s.ntable, file, err, sizeof err);
    if (s.cfg == NULL) {
        /* One plain line, also readable without a JSON viewer. */
        fprintf(stderr, "mpc-%s: configuration error: %s\n", def->name, err);
        status = EXIT_CONFIG;
        goto out;
    }
    if (print_config) {
        svc_config_print(s.cfg, stdout);
        status = 0;
        goto out;
    }
    svc_log_level level;
    if (!svc_log_level_parse(svc_config_str(s.cfg, "log.level"), &level)) {
        fprintf(stderr, "mpc-%s: configuration error: log.level must be debug, info, warn or error\n", def->name);
        status = EXIT_CONFIG;
        goto out;
    }
    svc_log_init(def->name, level);

    s.metrics = svc_metrics_new();
    if (s.metrics == NULL) goto out;
    s.ready_gauge = svc_metrics_gauge(s.metrics, "mpc_ready", "1 when every dependency answers", NULL);
    for (int i = 0; i < DEP_COUNT; i++) {
        char label[64];
        snprintf(label, sizeof label, "dependency=\"%s\"", dep_names[i]);
        s.up_gauge[i] = svc_metrics_gauge(s.metrics, "mpc_dependency_up", "1 when the dependency answers", label);
    }

    if (start_clients(&s, err, sizeof err) != 0) {
        fprintf(stderr, "mpc-%s: configuration error: %s\n", def->name, err);
        status = EXIT_CONFIG;
        goto out;
    }
    if (preflight) {
        svc_dep_status worst = probe_all(&s, 5000);
        for (int i = 0; i < DEP_COUNT; i++)
            printf("%-9s %s%s%s\n", dep_names[i], s.dep_status[i] == SVC_DEP_OK ? "ok" : "FAILED",
                   s.dep_status[i] == SVC_DEP_OK ? "" : ": ", s.dep_reason[i]);
        status = worst == SVC_DEP_OK ? 0 : worst == SVC_DEP_MISCONFIGURED ? EXIT_CONFIG : 1;
        goto out;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (start_http(&s, err, sizeof err) != 0) {
        svc_log(SVC_LOG_ERROR, err, NULL);
        goto out;
    }
    svc_log(SVC_LOG_INFO, "started", "{s:s,s:I}", "http_bind", svc_config_str(s.cfg, "http.bind"), "http_port",
            (json_int_t)svc_http_port(s.http));
    if (def->on_start && def->on_start(&s) != 0) goto out;

    status = run_loop(&s);
    svc_log(SVC_LOG_INFO, "stopping", NULL);
    if (def->on_stop) def->on_stop(&s);
    if (s.probed && s.dep_status[DEP_KAFKA] == SVC_DEP_OK) send_heartbeat(&s, "stopping");
out:
    /* No more requests while Kafka shuts down. */
    svc_http_stop(s.http);
    s.http = NULL;
    if (s.kafka) {
        int lost = svc_kafka_close(s.kafka, s.cfg ? (int)svc_config_int(s.cfg, "shutdown.flush_timeout_ms") : 0);
        if (lost > 0 && status == 0) status = 1;
    }
    if (status == 0 && !print_config && !preflight) svc_log(SVC_LOG_INFO, "stopped", NULL);
    service_free(&s);
    return status;
}

const svc_config *svc_service_config(svc_service *s) { return s->cfg; }
svc_metrics *svc_service_metrics(svc_service *s) { return s->metrics; }
svc_kafka *svc_service_kafka(svc_service *s) { return s->kafka; }
svc_pg *svc_service_pg(svc_service *s) { return s->pg; }
svc_redis *svc_service_redis(svc_service *s) { return s->redis; }
const char *svc_service_instance(svc_service *s) {
    return s->instance;
}

void *svc_service_state(svc_service *s) { return s->state; }
void svc_service_set_active_sessions(svc_service *s, int n) { atomic_store(&s->active_sessions, n); }
void svc_service_wake(svc_service *s) { svc_kafka_wake(s->kafka); }
void svc_service_set_state(svc_service *s, void *state) { s->state = state; }
