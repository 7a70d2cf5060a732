/* mpc-auditor - consumes every topic into the append-only, hash-chained audit_log table.
 *
 * This file is the process shell: configuration, health, metrics and the
 * Kafka clients come from lib/svc/service.h. Protocol work is added with the
 * signing pipeline (issue 4).
 */
#include "svc/service.h"

static const char *const auditor_topics[] = {"mpc.keygen.requests", "mpc.sign.requests", "mpc.rounds", "mpc.results", "mpc.nodes", "mpc.dlq"};

static svc_msg_outcome auditor_on_message(svc_service *s, const rd_kafka_message_t *msg) {
    (void)s;
    (void)msg;
    return SVC_MSG_DONE;
}

int main(int argc, char **argv) {
    static const svc_service_def def = {
        .name = "auditor",
        .default_http_port = 18083,
        .default_group_id = "mpc-auditor",
        .topics = auditor_topics,
        .ntopics = sizeof auditor_topics / sizeof auditor_topics[0],
        .on_message = auditor_on_message,
    };
    return svc_service_main(&def, argc, argv);
}
