/* clock.h - the wall clock as services use it: milliseconds since the Unix
 * epoch, the unit of every timestamp in the Avro records (timestamp-millis),
 * and a monotonic clock for durations.
 * The protocol engine never reads a clock; services pass time in. */
#ifndef MPC_SVC_CLOCK_H
#define MPC_SVC_CLOCK_H

#include <stdint.h>

/* Returns: CLOCK_REALTIME in milliseconds since 1970-01-01T00:00:00Z. */
int64_t svc_wall_ms(void);

/* Returns: CLOCK_MONOTONIC in seconds, for measuring durations. */
double svc_mono_seconds(void);

#endif
