/* log.h - structured JSON-lines logging to stderr.
 *
 * Every line is one JSON object: {"ts": ISO-8601 UTC with milliseconds,
 * "level", "service", "msg", ...extra fields}. Extra fields are given as a
 * jansson json_pack() format and arguments, so values are always escaped
 * correctly and no JSON is assembled by hand.
 *
 *   svc_log(SVC_LOG_INFO, "kafka connected", "{s:s,s:i}", "brokers", b, "n", 3);
 *   svc_log(SVC_LOG_WARN, "nothing extra", NULL);
 *
 * Never pass secrets (key shares, nonces, passwords, API secrets) as fields.
 * Thread-safe: each line is written with one fwrite under stderr's lock.
 */
#ifndef MPC_SVC_LOG_H
#define MPC_SVC_LOG_H

typedef enum {
    SVC_LOG_DEBUG = 0,
    SVC_LOG_INFO = 1,
    SVC_LOG_WARN = 2,
    SVC_LOG_ERROR = 3
} svc_log_level;

/* Sets the service name written in every line and the minimum level.
 * Safe to call again (e.g. after the config file is read). `service` must
 * outlive all logging (a string literal or config-owned string). */
void svc_log_init(const char *service, svc_log_level min_level);

/* Parses "debug" | "info" | "warn" | "error".
 * Returns 1 and sets *out on success, 0 on an unknown name. */
int svc_log_level_parse(const char *name, svc_log_level *out);

/* Writes one line if `level` is at or above the minimum. `fields_fmt` is a
 * json_pack() format producing an object, or NULL for no extra fields. A bad
 * format is reported in the line itself rather than dropped. */
void svc_log(svc_log_level level, const char *msg, const char *fields_fmt, ...);

#endif
