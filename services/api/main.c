/* mpc-api - REST front door: accepts keygen and sign requests, writes them to Kafka, serves results.
 *
 * This file is the process shell: configuration, health, metrics and the
 * Kafka clients come from lib/svc/service.h. Protocol work is added with the
 * signing pipeline (issue 4).
 */
#include "svc/service.h"

static const char *const api_topics[] = {"mpc.results", "mpc.nodes"};

static svc_msg_outcome api_on_message(svc_service *s, const rd_kafka_message_t *msg) {
    (void)s;
    (void)msg;
    return SVC_MSG_DONE;
}

int main(int argc, char **argv) {
    static const svc_service_def def = {
        .name = "api",
        .default_http_port = 18080,
        .default_group_id = "mpc-api",
        .topics = api_topics,
        .ntopics = sizeof api_topics / sizeof api_topics[0],
        .on_message = api_on_message,
    };
    return svc_service_main(&def, argc, argv);
}
