/* dlq.h - dead-lettering: a record a service cannot accept goes to mpc.dlq
 * with its original bytes, where it came from and why, so nothing is lost
 * silently and an operator (and the auditor) can see it.
 */
#ifndef MPC_SVC_DLQ_H
#define MPC_SVC_DLQ_H

#include <librdkafka/rdkafka.h>

#include "svc/kafka.h"

/* Produces a DeadLetter record for msg to mpc.dlq (key: the original key)
 * and logs one warning line. reason_code: [a-z0-9_.-]{1,64} (e.g. a codec
 * status name); reason: one line of text. Returns 0 when queued, -1 when it
 * could not be (then the caller must not commit the message). */
int svc_dead_letter(svc_kafka *k, const rd_kafka_message_t *msg, const char *reason_code, const char *reason,
                    const char *rejected_by) __attribute__((warn_unused_result));

#endif
