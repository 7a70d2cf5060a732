/* commands.c - mpcctl's commands, one function each, all through the REST
 * API (docs/api.md). Options are parsed per command by a small table-free
 * loop: `--name value` pairs, then positional arguments.
 */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Looks up --name in argv; returns its value or NULL. Flags without a value
 * are asked for with opt_flag. Positional arguments are those not
 * starting with "--" and not following an option that takes a value. */
static const char *opt(int argc, char **argv, const char *name) {
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

static int opt_flag(int argc, char **argv, const char *name) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

/* The n-th positional argument; `flags` lists options without a value. */
static const char *positional(int argc, char **argv, int n, const char *const *flags) {
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            int is_flag = 0;
            for (const char *const *f = flags; f && *f; f++) is_flag |= strcmp(*f, argv[i]) == 0;
            if (!is_flag) i++;
            continue;
        }
        if (n-- == 0) return argv[i];
    }
    return NULL;
}

static int usage_error(const char *msg) {
    fprintf(stderr, "mpcctl: %s (mpcctl --help)\n", msg);
    return 2;
}

static int set_str(json_t *o, const char *name, const char *v) {
    return v ? json_object_set_new(o, name, json_string(v)) : 0;
}

/* ---- keys ---------------------------------------------------------------- */

static int keys_create(const mpcctl_client *c, int argc, char **argv) {
    const char *protocol = opt(argc, argv, "--protocol"), *t = opt(argc, argv, "--threshold"),
               *n = opt(argc, argv, "--total"), *chain = opt(argc, argv, "--chain"),
               *parts = opt(argc, argv, "--participants");
    if (!protocol || !t || !n)
        return usage_error("keys create needs --protocol P --threshold T --total N [--chain C]");
    json_t *body = json_pack("{s:s,s:s,s:i,s:i,s:s}", "protocol", protocol, "curve", "secp256k1", "threshold", atoi(t),
                             "total_nodes", atoi(n), "chain_type", chain ? chain : "bitcoin");
    set_str(body, "request_id", opt(argc, argv, "--request-id"));
    if (parts) {
        json_t *arr = json_array();
        char *copy = strdup(parts), *save = NULL;
        for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
            json_array_append_new(arr, json_integer(atoi(tok)));
        free(copy);
        json_object_set_new(body, "participants", arr);
    }
    int status;
    json_t *env = mpcctl_call(c, "POST", "/api/v1/keys", NULL, 0, body, &status);
    json_decref(body);
    if (env && opt_flag(argc, argv, "--wait") && json_is_true(json_object_get(env, "success"))) {
        char id[160];
        snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_object_get(env, "data"), "request_id")));
        json_decref(env);
        return mpcctl_wait_request(c, id, opt(argc, argv, "--timeout"));
    }
    return mpcctl_print(c, env, status);
}

static int keys_list(const mpcctl_client *c, int argc, char **argv) {
    mpc_api_query_pair q[4];
    size_t n = 0;
    static const char *const names[][2] = {
        {"--limit", "limit"}, {"--offset", "offset"}, {"--status", "status"}, {"--chain", "chain_type"}};
    for (size_t i = 0; i < 4; i++) {
        const char *v = opt(argc, argv, names[i][0]);
        if (v) q[n++] = (mpc_api_query_pair){names[i][1], v};
    }
    int status;
    json_t *env = mpcctl_call(c, "GET", "/api/v1/keys", q, n, NULL, &status);
    return mpcctl_print(c, env, status);
}

/* GET prefix + id + suffix (id is a path parameter). */
static int get_one(const mpcctl_client *c, const char *prefix, const char *id, const char *suffix) {
    char path[512];
    snprintf(path, sizeof path, "%s%s%s", prefix, id, suffix);
    int status;
    json_t *env = mpcctl_call(c, "GET", path, NULL, 0, NULL, &status);
    return mpcctl_print(c, env, status);
}

int mpcctl_cmd_keys(const mpcctl_client *c, int argc, char **argv) {
    if (argc < 1) return usage_error("keys needs create, list or show");
    if (!strcmp(argv[0], "create")) return keys_create(c, argc - 1, argv + 1);
    if (!strcmp(argv[0], "list")) return keys_list(c, argc - 1, argv + 1);
    if (!strcmp(argv[0], "show") && argc == 2) return get_one(c, "/api/v1/keys/", argv[1], "");
    return usage_error("keys needs create, list or show KEY_ID");
}

/* ---- sign, batch, status, wait --------------------------------------------- */

static const char *const sign_flags[] = {"--raw", "--wait", NULL};

int mpcctl_cmd_sign(const mpcctl_client *c, int argc, char **argv) {
    const char *key = positional(argc, argv, 0, sign_flags), *msg = positional(argc, argv, 1, sign_flags);
    if (!key || !msg) return usage_error("sign needs KEY_ID HEX_MESSAGE");
    json_t *body = json_pack("{s:s,s:s,s:s}", "key_id", key, "message", msg, "message_type",
                             opt_flag(argc, argv, "--raw") ? "raw" : "hash");
    set_str(body, "request_id", opt(argc, argv, "--request-id"));
    set_str(body, "derivation_path", opt(argc, argv, "--path"));
    set_str(body, "callback_url", opt(argc, argv, "--callback"));
    int status;
    json_t *env = mpcctl_call(c, "POST", "/api/v1/sign", NULL, 0, body, &status);
    json_decref(body);
    if (env && opt_flag(argc, argv, "--wait") && json_is_true(json_object_get(env, "success"))) {
        char id[160];
        snprintf(id, sizeof id, "%s", json_string_value(json_object_get(json_object_get(env, "data"), "request_id")));
        json_decref(env);
        return mpcctl_wait_request(c, id, opt(argc, argv, "--timeout"));
    }
    return mpcctl_print(c, env, status);
}

/* Items from a file: a JSON array, or one JSON object per line. A line or
 * element may also be a bare hex string (message_type hash). */
static json_t *read_items(const char *file) {
    FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
    if (f == NULL) {
        perror(file);
        return NULL;
    }
    json_error_t jerr;
    json_t *all = json_loadf(f, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr), *items = NULL;
    if (json_is_array(all)) {
        items = all;
    } else { /* JSON lines */
        json_decref(all);
        rewind(f);
        items = json_array();
        char *line = NULL;
        size_t cap = 0;
        int lineno = 0;
        while (items && getline(&line, &cap, f) > 0) {
            lineno++;
            if (strspn(line, " \t\r\n") == strlen(line)) continue;
            json_t *v = json_loads(line, JSON_DECODE_ANY, &jerr);
            if (v == NULL) {
                fprintf(stderr, "mpcctl: %s:%d: %s\n", file, lineno, jerr.text);
                json_decref(items);
                items = NULL;
                break;
            }
            json_array_append_new(items, v);
        }
        free(line);
    }
    if (f != stdin) fclose(f);
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v) if (json_is_string(v))
        json_array_set_new(items, i, json_pack("{s:O,s:s}", "message", v, "message_type", "hash"));
    return items;
}

int mpcctl_cmd_batch(const mpcctl_client *c, int argc, char **argv) {
    const char *key = positional(argc, argv, 0, sign_flags), *file = positional(argc, argv, 1, sign_flags);
    if (!key || !file) return usage_error("batch needs KEY_ID FILE (JSON array or JSON lines; - for stdin)");
    json_t *items = read_items(file);
    if (items == NULL) return 1;
    json_t *body = json_pack("{s:s,s:o}", "key_id", key, "items", items);
    set_str(body, "batch_id", opt(argc, argv, "--batch-id"));
    set_str(body, "callback_url", opt(argc, argv, "--callback"));
    int status;
    json_t *env = mpcctl_call(c, "POST", "/api/v1/sign/batch", NULL, 0, body, &status);
    json_decref(body);
    return mpcctl_print(c, env, status);
}

int mpcctl_cmd_status(const mpcctl_client *c, int argc, char **argv) {
    if (argc != 1) return usage_error("status needs REQUEST_ID");
    return get_one(c, "/api/v1/requests/", argv[0], "");
}

int mpcctl_wait_request(const mpcctl_client *c, const char *request_id, const char *timeout_s) {
    double timeout = timeout_s ? atof(timeout_s) : 60.0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char path[512];
    snprintf(path, sizeof path, "/api/v1/requests/%s", request_id);
    for (;;) {
        int status;
        json_t *env = mpcctl_call(c, "GET", path, NULL, 0, NULL, &status);
        if (env == NULL) return 1;
        const char *sp = json_string_value(json_object_get(json_object_get(env, "data"), "status"));
        if (status != 200 || sp == NULL) return mpcctl_print(c, env, status);
        char st[32];
        snprintf(st, sizeof st, "%s", sp);
        if (!strcmp(st, "succeeded")) return mpcctl_print(c, env, status);
        if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
            mpcctl_print(c, env, status);
            return 1;
        }
        json_decref(env);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 > timeout) {
            fprintf(stderr, "mpcctl: %s is still %s after %.0f s\n", request_id, st, timeout);
            return 3;
        }
        nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
    }
}

int mpcctl_cmd_wait(const mpcctl_client *c, int argc, char **argv) {
    const char *id = positional(argc, argv, 0, NULL);
    if (!id) return usage_error("wait needs REQUEST_ID [--timeout SECONDS]");
    return mpcctl_wait_request(c, id, opt(argc, argv, "--timeout"));
}

/* ---- verify, nodes --------------------------------------------------------- */

int mpcctl_cmd_verify(const mpcctl_client *c, int argc, char **argv) {
    const char *protocol = opt(argc, argv, "--protocol"), *pub = opt(argc, argv, "--public-key"),
               *msg = opt(argc, argv, "--message"), *sig = opt(argc, argv, "--signature");
    if (!protocol || !pub || !msg || !sig)
        return usage_error("verify needs --protocol P --public-key HEX --message HEX --signature HEX [--raw]");
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s}", "protocol", protocol, "public_key", pub, "message", msg,
                             "signature", sig, "message_type", opt_flag(argc, argv, "--raw") ? "raw" : "hash");
    int status;
    json_t *env = mpcctl_call(c, "POST", "/api/v1/verify", NULL, 0, body, &status);
    json_decref(body);
    int valid = env && json_is_true(json_object_get(json_object_get(env, "data"), "valid"));
    int rc = mpcctl_print(c, env, status);
    return rc ? rc : valid ? 0 : 1;
}

int mpcctl_cmd_nodes(const mpcctl_client *c, int argc, char **argv) {
    if (argc == 0) return get_one(c, "/api/v1/nodes", "", "");
    if (argc == 1) return get_one(c, "/api/v1/nodes/", argv[0], "/health");
    return usage_error("nodes takes at most a NODE_ID");
}
