/* mpc-api - the REST front door: accepts keygen and sign requests, writes
 * them to Kafka, serves their results, verifies signatures and delivers
 * webhooks. docs/api.md is the reference; docs/pipeline.md the contract with
 * the other services; api.h lists the modules.
 *
 * This file is the service definition: the API's own settings, start-up
 * (connection pool, webhook thread), the consumer of mpc.results, shutdown,
 * and the `--create-api-key` command, which runs instead of the service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "codec/avro_codec.h"
#include "svc/log.h"

static const char *const api_topics[] = {"mpc.results", "mpc.nodes"};

static const svc_config_entry api_settings[] = {
    {"api.secret_key", SVC_CFG_STRING, "MPC_API_SECRET_KEY", "", 0, 0, 1,
     "32-byte hex key sealing API client secrets at rest (empty: stored unsealed, development only)"},
    {"api.produce_timeout_ms", SVC_CFG_INT, "MPC_API_PRODUCE_TIMEOUT_MS", "5000", 100, 60000, 0,
     "How long a submission waits for Kafka's acknowledgement before answering 503"},
    {"api.auth_window_ms", SVC_CFG_INT, "MPC_API_AUTH_WINDOW_MS", "300000", 1000, 300000, 0,
     "Largest accepted distance between X-MPC-Timestamp and the server clock"},
    {"api.webhook_backoff_initial_ms", SVC_CFG_INT, "MPC_API_WEBHOOK_BACKOFF_INITIAL_MS", "1000", 10, 3600000, 0,
     "Wait after the first failed webhook attempt (doubles each time)"},
    {"api.webhook_backoff_max_ms", SVC_CFG_INT, "MPC_API_WEBHOOK_BACKOFF_MAX_MS", "600000", 10, 86400000, 0,
     "Longest wait between webhook attempts"},
    {"api.webhook_retry_window_s", SVC_CFG_INT, "MPC_API_WEBHOOK_RETRY_WINDOW_S", "7200", 1, 604800, 0,
     "A webhook not delivered this long after its result arrived is dead"},
    {"api.webhook_max_attempts", SVC_CFG_INT, "MPC_API_WEBHOOK_MAX_ATTEMPTS", "0", 0, 1000000, 0,
     "Attempts after which a webhook is dead (0: only the retry window counts)"},
    {"api.webhook_timeout_ms", SVC_CFG_INT, "MPC_API_WEBHOOK_TIMEOUT_MS", "5000", 100, 60000, 0,
     "Timeout of one webhook POST"},
};

/* Static, not heap: HTTP handlers may look at it until the process ends
 * (the shell serves HTTP from before on_start until after on_stop). */
static api_state g_state;

api_state *api_state_get(void) {
    return &g_state;
}

static const svc_http_route api_routes[] = {
    {NULL, "/api/v1/", api_route_dispatch, NULL},
};

static int api_on_start(svc_service *s) {
    const svc_config *cfg = svc_service_config(s);
    svc_metrics *m = svc_service_metrics(s);
    mpc_codec_error ce;
    if (mpc_codec_init(&ce) != MPC_CODEC_OK) {
        svc_log(SVC_LOG_ERROR, "api: codec schemas failed to load", "{s:s}", "error", ce.message);
        return -1;
    }
    api_state *st = &g_state;
    st->svc = s;
    st->kafka = svc_service_kafka(s);
    if (mpc_client_secret_parse_key(svc_config_str(cfg, "api.secret_key"), st->secret_key, &st->have_secret_key) != 0) {
        svc_log(SVC_LOG_ERROR, "api.secret_key / MPC_API_SECRET_KEY must be 64 hex characters (32 bytes)", NULL);
        return -1;
    }
    if (!st->have_secret_key)
        svc_log(SVC_LOG_WARN, "api.secret_key is not set: API client secrets are stored unsealed (development only)", NULL);
    st->produce_timeout_ms = (int)svc_config_int(cfg, "api.produce_timeout_ms");
    st->auth_window_ms = svc_config_int(cfg, "api.auth_window_ms");
    st->webhook = (api_webhook_settings){svc_config_int(cfg, "api.webhook_backoff_initial_ms"),
                                         svc_config_int(cfg, "api.webhook_backoff_max_ms"),
                                         svc_config_int(cfg, "api.webhook_retry_window_s"),
                                         svc_config_int(cfg, "api.webhook_max_attempts"),
                                         svc_config_int(cfg, "api.webhook_timeout_ms")};
    st->pool = api_pool_new(svc_config_str(cfg, "postgres.dsn"), (int)svc_config_int(cfg, "postgres.connect_timeout_s"),
                            svc_config_str(cfg, "redis.url"), (int)svc_config_int(cfg, "redis.timeout_ms"));
    if (st->pool == NULL) return -1;
    st->m_accepted = svc_metrics_counter(m, "mpc_api_requests_accepted_total", "Signing/keygen requests accepted", NULL);
    st->m_replayed = svc_metrics_counter(m, "mpc_api_requests_replayed_total",
                                         "Submissions answered from the idempotency record", NULL);
    st->m_client_errors = svc_metrics_counter(m, "mpc_api_responses_total", "API responses by class", "class=\"4xx\"");
    st->m_server_errors = svc_metrics_counter(m, "mpc_api_responses_total", "API responses by class", "class=\"5xx\"");
    st->m_auth_failures = svc_metrics_counter(m, "mpc_api_auth_failures_total", "Calls refused by authentication", NULL);
    st->m_latency = svc_metrics_histogram(m, "mpc_api_call_seconds", "API call latency", NULL, svc_metrics_latency_bounds,
                                          svc_metrics_latency_nbounds);
    st->m_wh_enqueued = svc_metrics_counter(m, "mpc_api_webhooks_total", "Webhook events", "event=\"enqueued\"");
    st->m_wh_delivered = svc_metrics_counter(m, "mpc_api_webhooks_total", "Webhook events", "event=\"delivered\"");
    st->m_wh_failed = svc_metrics_counter(m, "mpc_api_webhooks_total", "Webhook events", "event=\"attempt_failed\"");
    st->m_wh_dead = svc_metrics_counter(m, "mpc_api_webhooks_total", "Webhook events", "event=\"dead\"");
    svc_service_set_state(s, st);
    if (api_webhooks_start(st) != 0) {
        svc_log(SVC_LOG_ERROR, "api: cannot start the webhook thread", NULL);
        return -1;
    }
    st->started = 1;
    return 0;
}

static svc_msg_outcome api_on_message(svc_service *s, const rd_kafka_message_t *msg) {
    api_state *st = svc_service_state(s);
    const char *topic = rd_kafka_topic_name(msg->rkt);
    if (strcmp(topic, "mpc.results") != 0) return SVC_MSG_DONE; /* mpc.nodes: health comes from Redis */
    PGconn *pg = svc_pg_conn(svc_service_pg(s));
    return api_webhooks_on_result(st, pg, msg);
}

static void api_on_stop(svc_service *s) {
    api_state *st = svc_service_state(s);
    if (st == NULL) return;
    api_webhooks_stop(st); /* sets st->stopping: new HTTP calls get 503 */
    for (int i = 0; i < 300 && st->in_flight > 0; i++) nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    if (st->in_flight == 0) {
        api_pool_free(st->pool);
        st->pool = NULL;
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--create-api-key") == 0) return api_create_key_main(argc, argv);
    static const svc_service_def def = {
        .name = "api",
        .default_http_port = 18080,
        .default_group_id = "mpc-api",
        .settings = api_settings,
        .nsettings = sizeof api_settings / sizeof api_settings[0],
        .topics = api_topics,
        .ntopics = sizeof api_topics / sizeof api_topics[0],
        .routes = api_routes,
        .nroutes = sizeof api_routes / sizeof api_routes[0],
        .on_start = api_on_start,
        .on_message = api_on_message,
        .on_stop = api_on_stop,
    };
    return svc_service_main(&def, argc, argv);
}
