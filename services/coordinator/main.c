/* mpc-coordinator - owns sessions: picks participants, drives protocol rounds; holds no key material.
 *
 * This file is the process shell: configuration, health, metrics and the
 * Kafka clients come from lib/svc/service.h. Protocol work is added with the
 * signing pipeline (issue 4).
 */
#include "svc/service.h"

static const char *const coordinator_topics[] = {"mpc.keygen.requests", "mpc.sign.requests", "mpc.rounds", "mpc.nodes"};

static svc_msg_outcome coordinator_on_message(svc_service *s, const rd_kafka_message_t *msg) {
    (void)s;
    (void)msg;
    return SVC_MSG_DONE;
}

int main(int argc, char **argv) {
    static const svc_service_def def = {
        .name = "coordinator",
        .default_http_port = 18081,
        .default_group_id = "mpc-coordinator",
        .topics = coordinator_topics,
        .ntopics = sizeof coordinator_topics / sizeof coordinator_topics[0],
        .on_message = coordinator_on_message,
    };
    return svc_service_main(&def, argc, argv);
}
