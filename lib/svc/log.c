/* log.c - JSON-lines logger; see log.h for the contract. */
#include "svc/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *log_service = "mpc";
static svc_log_level log_min_level = SVC_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void svc_log_init(const char *service, svc_log_level min_level) {
    log_service = service;
    log_min_level = min_level;
}

int svc_log_level_parse(const char *name, svc_log_level *out) {
    for (int i = 0; i < 4; i++) {
        const char *a = name, *b = level_names[i];
        while (*a && *a == *b) { a++; b++; }
        if (*a == '\0' && *b == '\0') {
            *out = (svc_log_level)i;
            return 1;
        }
    }
    return 0;
}

static void format_timestamp(char *buf, size_t len) {
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", now.tv_nsec / 1000000L);
}

void svc_log(svc_log_level level, const char *msg, const char *fields_fmt, ...) {
    if (level < log_min_level) return;

    json_t *line = NULL;
    if (fields_fmt != NULL) {
        json_error_t err;
        va_list ap;
        va_start(ap, fields_fmt);
        line = json_vpack_ex(&err, 0, fields_fmt, ap);
        va_end(ap);
        if (line == NULL || !json_is_object(line)) {
            json_decref(line);
            line = json_pack("{s:s}", "log_format_error", err.text);
        }
    } else {
        line = json_object();
    }
    if (line == NULL) return; /* out of memory: nothing sensible to print */

    char ts[40];
    format_timestamp(ts, sizeof ts);
    json_t *out = json_pack("{s:s,s:s,s:s,s:s}", "ts", ts, "level", level_names[level],
                            "service", log_service, "msg", msg ? msg : "");
    if (out == NULL) {
        json_decref(line);
        return;
    }
    json_object_update_missing(out, line);
    json_decref(line);

    char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    if (text == NULL) return;
    flockfile(stderr);
    fputs(text, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
    free(text);
}
