/* config.c - table-driven libconfig loader; see config.h for the contract. */
#include "svc/config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *text;          /* value as text (strings); owned */
    long number;         /* value for INT and BOOL */
    const char *origin;  /* "default" | "file" | "env" */
} config_value;

struct svc_config {
    const svc_config_entry *table;
    size_t count;
    config_value *values;
};

static size_t find_entry(const svc_config *cfg, const char *path) {
    for (size_t i = 0; i < cfg->count; i++)
        if (strcmp(cfg->table[i].path, path) == 0) return i;
    return SIZE_MAX;
}

static size_t require_entry(const svc_config *cfg, const char *path, svc_config_type type) {
    size_t i = find_entry(cfg, path);
    if (i == SIZE_MAX || cfg->table[i].type != type) {
        fprintf(stderr, "BUG: config setting '%s' is not declared with that type\n", path);
        abort();
    }
    return i;
}

/* Parses `text` as the entry's type into v. Returns 0 on success, or -1 with
 * a description of what is wrong in err. */
static int parse_text_value(const svc_config_entry *e, const char *text, config_value *v,
                            char *err, size_t errlen) {
    if (e->type == SVC_CFG_STRING) {
        char *copy = strdup(text);
        if (copy == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        free(v->text);
        v->text = copy;
        return 0;
    }
    if (e->type == SVC_CFG_BOOL) {
        if (!strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes")) v->number = 1;
        else if (!strcmp(text, "false") || !strcmp(text, "0") || !strcmp(text, "no")) v->number = 0;
        else {
            snprintf(err, errlen, "expected true or false, got '%s'", text);
            return -1;
        }
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        snprintf(err, errlen, "expected an integer, got '%s'", text);
        return -1;
    }
    if (n < e->min || n > e->max) {
        snprintf(err, errlen, "%ld is out of range [%ld, %ld]", n, e->min, e->max);
        return -1;
    }
    v->number = n;
    return 0;
}

/* Checks that every leaf setting in the file is declared in the table. */
static int check_unknown(const svc_config *cfg, config_setting_t *group, const char *file,
                         char *err, size_t errlen) {
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        if (config_setting_is_group(s)) {
            if (check_unknown(cfg, s, file, err, errlen) != 0) return -1;
            continue;
        }
        char path[256] = "";
        /* Rebuild the dotted path from the root. */
        const char *parts[16];
        int depth = 0;
        for (config_setting_t *p = s; p != NULL && config_setting_name(p) != NULL && depth < 16;
             p = config_setting_parent(p))
            parts[depth++] = config_setting_name(p);
        for (int d = depth - 1; d >= 0; d--) {
            strncat(path, parts[d], sizeof path - strlen(path) - 1);
            if (d > 0) strncat(path, ".", sizeof path - strlen(path) - 1);
        }
        if (find_entry(cfg, path) == SIZE_MAX) {
            snprintf(err, errlen, "%s:%d: unknown setting '%s' (see --print-config for the valid ones)",
                     file, config_setting_source_line(s), path);
            return -1;
        }
    }
    return 0;
}

static int apply_file(svc_config *cfg, const char *file, char *err, size_t errlen) {
    config_t lc;
    config_init(&lc);
    int rc = -1;
    if (config_read_file(&lc, file) != CONFIG_TRUE) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
            snprintf(err, errlen, "%s: cannot read config file: %s", file, strerror(errno));
        else
            snprintf(err, errlen, "%s:%d: %s", file, config_error_line(&lc), config_error_text(&lc));
        goto done;
    }
    if (check_unknown(cfg, config_root_setting(&lc), file, err, errlen) != 0) goto done;

    for (size_t i = 0; i < cfg->count; i++) {
        const svc_config_entry *e = &cfg->table[i];
        config_setting_t *s = config_lookup(&lc, e->path);
        if (s == NULL) continue;
        int line = config_setting_source_line(s);
        int t = config_setting_type(s);
        char why[160];
        if (e->type == SVC_CFG_STRING) {
            if (t != CONFIG_TYPE_STRING) {
                snprintf(err, errlen, "%s:%d: '%s' must be a string (in double quotes)", file, line, e->path);
                goto done;
            }
            if (parse_text_value(e, config_setting_get_string(s), &cfg->values[i], why, sizeof why)) {
                snprintf(err, errlen, "%s:%d: '%s': %s", file, line, e->path, why);
                goto done;
            }
        } else if (e->type == SVC_CFG_BOOL) {
            if (t != CONFIG_TYPE_BOOL) {
                snprintf(err, errlen, "%s:%d: '%s' must be true or false", file, line, e->path);
                goto done;
            }
            cfg->values[i].number = config_setting_get_bool(s);
        } else {
            if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
                snprintf(err, errlen, "%s:%d: '%s' must be an integer", file, line, e->path);
                goto done;
            }
            long long n = config_setting_get_int64(s);
            if (n < e->min || n > e->max) {
                snprintf(err, errlen, "%s:%d: '%s' = %lld is out of range [%ld, %ld]", file, line,
                         e->path, n, e->min, e->max);
                goto done;
            }
            cfg->values[i].number = (long)n;
        }
        cfg->values[i].origin = "file";
    }
    rc = 0;
done:
    config_destroy(&lc);
    return rc;
}

svc_config *svc_config_load(const svc_config_entry *table, size_t count, const char *file,
                            char *err, size_t errlen) {
    if (errlen > 0) err[0] = '\0';
    svc_config *cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL || (cfg->values = calloc(count, sizeof *cfg->values)) == NULL) {
        free(cfg);
        snprintf(err, errlen, "out of memory loading configuration");
        return NULL;
    }
    cfg->table = table;
    cfg->count = count;

    char why[200];
    for (size_t i = 0; i < count; i++) {
        cfg->values[i].origin = "default";
        if (parse_text_value(&table[i], table[i].default_value, &cfg->values[i], why, sizeof why)) {
            snprintf(err, errlen, "BUG: default of '%s': %s", table[i].path, why);
            goto fail;
        }
    }
    if (file != NULL && apply_file(cfg, file, err, errlen) != 0) goto fail;
    for (size_t i = 0; i < count; i++) {
        const char *v = table[i].env ? getenv(table[i].env) : NULL;
        if (v == NULL) continue;
        if (parse_text_value(&table[i], v, &cfg->values[i], why, sizeof why)) {
            snprintf(err, errlen, "environment %s (setting '%s'): %s", table[i].env, table[i].path, why);
            goto fail;
        }
        cfg->values[i].origin = "env";
    }
    return cfg;
fail:
    svc_config_free(cfg);
    return NULL;
}

void svc_config_free(svc_config *cfg) {
    if (cfg == NULL) return;
    for (size_t i = 0; i < cfg->count; i++) free(cfg->values[i].text);
    free(cfg->values);
    free(cfg);
}

const char *svc_config_str(const svc_config *cfg, const char *path) {
    return cfg->values[require_entry(cfg, path, SVC_CFG_STRING)].text;
}

long svc_config_int(const svc_config *cfg, const char *path) {
    return cfg->values[require_entry(cfg, path, SVC_CFG_INT)].number;
}

int svc_config_bool(const svc_config *cfg, const char *path) {
    return (int)cfg->values[require_entry(cfg, path, SVC_CFG_BOOL)].number;
}

int svc_config_has(const svc_config *cfg, const char *path) {
    return find_entry(cfg, path) != SIZE_MAX;
}

const char *svc_config_origin(const svc_config *cfg, const char *path) {
    size_t i = find_entry(cfg, path);
    return i == SIZE_MAX ? NULL : cfg->values[i].origin;
}

void svc_config_print(const svc_config *cfg, void *out) {
    FILE *f = out;
    const char *open_group = NULL;
    size_t open_len = 0;
    for (size_t i = 0; i < cfg->count; i++) {
        const svc_config_entry *e = &cfg->table[i];
        const char *dot = strchr(e->path, '.');
        size_t glen = dot ? (size_t)(dot - e->path) : 0;
        if (open_group && (glen != open_len || strncmp(open_group, e->path, glen) != 0)) {
            fprintf(f, "};\n\n");
            open_group = NULL;
        }
        if (dot && open_group == NULL) {
            fprintf(f, "%.*s = {\n", (int)glen, e->path);
            open_group = e->path;
            open_len = glen;
        }
        const char *indent = dot ? "  " : "";
        const char *name = dot ? dot + 1 : e->path;
        if (e->env)
            fprintf(f, "%s# %s (environment: %s)\n", indent, e->doc, e->env);
        else
            fprintf(f, "%s# %s\n", indent, e->doc);
        const config_value *v = &cfg->values[i];
        if (e->secret)
            fprintf(f, "%s# %s = <redacted>;\n", indent, name);
        else if (e->type == SVC_CFG_STRING) {
            fprintf(f, "%s%s = \"", indent, name);
            for (const char *c = v->text; *c; c++) {
                if (*c == '"' || *c == '\\') fputc('\\', f);
                fputc(*c, f);
            }
            fprintf(f, "\";\n");
        } else if (e->type == SVC_CFG_BOOL)
            fprintf(f, "%s%s = %s;\n", indent, name, v->number ? "true" : "false");
        else
            fprintf(f, "%s%s = %ld;\n", indent, name, v->number);
    }
    if (open_group) fprintf(f, "};\n");
}
