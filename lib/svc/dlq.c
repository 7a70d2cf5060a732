/* dlq.c - dead-letter records; see dlq.h. */
#include "svc/dlq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/avro_codec.h"
#include "svc/clock.h"
#include <jansson.h>

#include "svc/log.h"

int svc_dead_letter(svc_kafka *k, const rd_kafka_message_t *msg, const char *reason_code, const char *reason,
                    const char *rejected_by) {
    size_t vlen = msg->len;
    if (vlen > MPC_CODEC_MAX_DLQ_VALUE) vlen = MPC_CODEC_MAX_DLQ_VALUE; /* keep the head of a huge record */
    char why[MPC_CODEC_MAX_TEXT + 1];
    snprintf(why, sizeof why, "%s", reason);
    mpc_dead_letter dl = {
        .original_topic = (char *)rd_kafka_topic_name(msg->rkt),
        .original_partition = msg->partition,
        .original_offset = msg->offset,
        .original_key = {msg->key, msg->key ? msg->key_len : 0},
        .original_value = {msg->payload ? msg->payload : (void *)"", vlen},
        .reason_code = (char *)reason_code,
        .reason = why,
        .rejected_by = (char *)rejected_by,
        .rejected_at = svc_wall_ms(),
    };
    uint8_t *buf = NULL;
    size_t len = 0;
    if (mpc_codec_encode_dead_letter(&dl, &buf, &len) != MPC_CODEC_OK) {
        svc_log(SVC_LOG_ERROR, "cannot encode dead letter", "{s:s}", "error", mpc_codec_last_error()->message);
        return -1;
    }
    char err[256];
    int rc = svc_kafka_produce(k, "mpc.dlq", msg->key, msg->key ? msg->key_len : 0, buf, len, err, sizeof err);
    free(buf);
    svc_log(SVC_LOG_WARN, "record dead-lettered", "{s:s,s:i,s:I,s:s,s:s}", "topic", dl.original_topic, "partition",
            (int)msg->partition, "offset", (json_int_t)msg->offset, "reason_code", reason_code, "reason", why);
    if (rc != 0) svc_log(SVC_LOG_ERROR, "dead letter not queued", "{s:s}", "error", err);
    return rc;
}
