/* config.h - service configuration from one libconfig file plus environment.
 *
 * Each service describes its settings in a table of svc_config_entry (name,
 * type, default, environment variable, bounds, documentation). Loading applies,
 * in order: the table's defaults, the libconfig file (if given), then the
 * environment variables. The result is validated against the table:
 *   - a syntax error in the file        -> "<path>:<line>: <what is wrong>"
 *   - a setting the table does not know -> "<path>:<line>: unknown setting 'x.y'"
 *   - a wrong type or out-of-range value in the file or environment
 * Every error is one line naming the file/line or the variable and what to fix.
 *
 * Settings are addressed by dotted path ("kafka.brokers"), matching the
 * group structure of the file:  kafka = { brokers = "127.0.0.1:19092"; };
 * Paths have at most one group level ("group.name" or "name").
 */
#ifndef MPC_SVC_CONFIG_H
#define MPC_SVC_CONFIG_H

#include <stddef.h>

typedef enum { SVC_CFG_STRING, SVC_CFG_INT, SVC_CFG_BOOL } svc_config_type;

typedef struct {
    const char *path;          /* dotted setting path, e.g. "http.port" */
    svc_config_type type;
    const char *env;           /* environment override, or NULL */
    const char *default_value; /* textual default ("19092", "true", "") */
    long min, max;             /* inclusive bounds for SVC_CFG_INT */
    int secret;                /* 1: never printed (passwords, DSNs with them) */
    const char *doc;           /* one-line description for --print-config */
} svc_config_entry;

typedef struct svc_config svc_config;

/* Loads defaults, then `file` (may be NULL), then environment overrides.
 * Returns a new config (free with svc_config_free) or NULL with a one-line
 * message in err (always NUL-terminated when errlen > 0). The table must
 * outlive the returned config. */
svc_config *svc_config_load(const svc_config_entry *table, size_t count,
                            const char *file, char *err, size_t errlen)
    __attribute__((warn_unused_result));

void svc_config_free(svc_config *cfg);

/* Typed getters. Asking for a path the table does not have, or with the wrong
 * type, is a programming error and aborts. Strings are owned by cfg. */
const char *svc_config_str(const svc_config *cfg, const char *path);
long svc_config_int(const svc_config *cfg, const char *path);
int svc_config_bool(const svc_config *cfg, const char *path);

/* 1 if the table declares `path` (any type). */
int svc_config_has(const svc_config *cfg, const char *path);

/* Where a setting's value came from: "default", "file" or "env". */
const char *svc_config_origin(const svc_config *cfg, const char *path);

/* Writes the effective configuration as a libconfig file with each entry's
 * documentation and environment variable as comments; secrets are shown as
 * "<redacted>". Used by `--print-config`. */
void svc_config_print(const svc_config *cfg, void *file /* FILE* */);

#endif
