/* mpc-participant - holds one node's encrypted key shares and computes protocol rounds.
 *
 * This file is the process shell: configuration, health, metrics and the
 * Kafka clients come from lib/svc/service.h. Protocol work is added with the
 * signing pipeline (issue 4).
 */
#include "svc/service.h"

static const char *const participant_topics[] = {"mpc.rounds"};

static const svc_config_entry participant_settings[] = {
    {"node.id", SVC_CFG_INT, "MPC_NODE_ID", "1", 1, 255, 0, "This participant's node id (1..255), unique per node"},
    {"node.share_dir", SVC_CFG_STRING, "MPC_SHARE_DIR", ".local/shares", 0, 0, 0,
     "Directory holding this node's encrypted key shares"},
};

static svc_msg_outcome participant_on_message(svc_service *s, const rd_kafka_message_t *msg) {
    (void)s;
    (void)msg;
    return SVC_MSG_DONE;
}

int main(int argc, char **argv) {
    static const svc_service_def def = {
        .name = "participant",
        .default_http_port = 18090,
        .default_group_id = "mpc-participant",
        .topics = participant_topics,
        .ntopics = sizeof participant_topics / sizeof participant_topics[0],
        .settings = participant_settings,
        .nsettings = sizeof participant_settings / sizeof participant_settings[0],
        .on_message = participant_on_message,
    };
    return svc_service_main(&def, argc, argv);
}
