/* test_config.c - unit tests for lib/svc/config: defaults, file, environment
 * precedence, and the one-line errors for each kind of mistake. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "svc/config.h"

static const svc_config_entry table[] = {
    {"kafka.brokers", SVC_CFG_STRING, "T_BROKERS", "127.0.0.1:9092", 0, 0, 0, "brokers"},
    {"kafka.linger_ms", SVC_CFG_INT, "T_LINGER", "5", 0, 100, 0, "linger"},
    {"http.enabled", SVC_CFG_BOOL, "T_ENABLED", "true", 0, 0, 0, "enabled"},
    {"db.dsn", SVC_CFG_STRING, "T_DSN", "postgresql://u:secret@h/db", 0, 0, 1, "dsn"},
};
#define N (sizeof table / sizeof table[0])

static const char *write_file(const char *text) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/mpc-test-config-%d.cfg", (int)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void expect_error(const char *text, const char *needle) {
    char err[512];
    svc_config *c = svc_config_load(table, N, write_file(text), err, sizeof err);
    CHECK(c == NULL);
    CHECK(strstr(err, needle) != NULL);
    if (c == NULL && strstr(err, needle) == NULL) fprintf(stderr, "  got: %s\n  want: %s\n", err, needle);
    CHECK(strchr(err, '\n') == NULL);
    svc_config_free(c);
}

int main(void) {
    char err[512];
    unsetenv("T_BROKERS");
    unsetenv("T_LINGER");

    svc_config *c = svc_config_load(table, N, NULL, err, sizeof err);
    CHECK(c != NULL);
    CHECK(strcmp(svc_config_str(c, "kafka.brokers"), "127.0.0.1:9092") == 0);
    CHECK(svc_config_int(c, "kafka.linger_ms") == 5);
    CHECK(svc_config_bool(c, "http.enabled") == 1);
    CHECK(strcmp(svc_config_origin(c, "kafka.linger_ms"), "default") == 0);
    svc_config_free(c);

    const char *path = write_file("kafka = { brokers = \"b:1\"; linger_ms = 7; };\nhttp = { enabled = false; };\n");
    c = svc_config_load(table, N, path, err, sizeof err);
    CHECK(c != NULL && strcmp(svc_config_str(c, "kafka.brokers"), "b:1") == 0);
    CHECK(c != NULL && svc_config_int(c, "kafka.linger_ms") == 7 && !svc_config_bool(c, "http.enabled"));
    CHECK(c != NULL && strcmp(svc_config_origin(c, "kafka.brokers"), "file") == 0);
    svc_config_free(c);

    setenv("T_LINGER", "9", 1);
    c = svc_config_load(table, N, path, err, sizeof err);
    CHECK(c != NULL && svc_config_int(c, "kafka.linger_ms") == 9);
    CHECK(c != NULL && strcmp(svc_config_origin(c, "kafka.linger_ms"), "env") == 0);
    svc_config_free(c);
    setenv("T_LINGER", "101", 1);
    c = svc_config_load(table, N, NULL, err, sizeof err);
    CHECK(c == NULL && strstr(err, "T_LINGER") && strstr(err, "out of range"));
    unsetenv("T_LINGER");

    expect_error("kafka = { brokers = \"x\"\n", ":2: syntax error");
    expect_error("kafka = { brokerz = \"x\"; };\n", ":1: unknown setting 'kafka.brokerz'");
    expect_error("\n\nkafka = { linger_ms = 1000; };\n", ":3: 'kafka.linger_ms' = 1000 is out of range [0, 100]");
    expect_error("kafka = { linger_ms = \"5\"; };\n", "'kafka.linger_ms' must be an integer");
    expect_error("kafka = { brokers = 5; };\n", "'kafka.brokers' must be a string");
    expect_error("http = { enabled = 1; };\n", "'http.enabled' must be true or false");

    c = svc_config_load(table, N, "/nonexistent/mpc.cfg", err, sizeof err);
    CHECK(c == NULL && strstr(err, "cannot read config file"));

    /* --print-config never shows a secret. */
    c = svc_config_load(table, N, NULL, err, sizeof err);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    svc_config_print(c, mem);
    fclose(mem);
    CHECK(strstr(buf, "secret") == NULL);
    CHECK(strstr(buf, "dsn = <redacted>") != NULL);
    CHECK(strstr(buf, "linger_ms = 5;") != NULL);
    free(buf);
    svc_config_free(c);
    remove(path);
    return CHECK_DONE();
}
