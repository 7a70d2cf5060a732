/*
 * tests/codec/mpc_codec_tool.c - command-line access to the codec, used by
 * the cross-library test (test_cross_library.py) and handy for debugging:
 *
 *   mpc_codec_tool samples <dir>      write the fixed sample of every record
 *                                     to <dir>/<Record>.bin
 *   mpc_codec_tool decode <file>...   decode each file, print one JSON line
 *                                     per file; exit 1 if any failed
 *   mpc_codec_tool schemas            print each embedded schema's name,
 *                                     canonical form and fingerprint (JSON
 *                                     lines; fingerprint as the 8 wire bytes
 *                                     in hex)
 *   mpc_codec_tool canonical <file>   print the canonical form and
 *                                     fingerprint of any schema file
 *   mpc_codec_tool auth-digest <file> print the hex digest an Auth HMAC of
 *                                     the record in <file> covers
 */
#include "samples.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) {
                free(buf);
                buf = NULL;
            }
            buf = b;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* read_file, with a message on failure. */
static char *read_input(const char *path, size_t *len)
{
    char *buf = read_file(path, len);
    if (!buf)
        fprintf(stderr, "mpc_codec_tool: cannot read %s\n", path);
    return buf;
}

static void fingerprint_hex(uint64_t fp, char out[17])
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", (unsigned)((fp >> (8 * i)) & 0xff));
}

/* Print obj as one JSON line and release it. */
static void print_line(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s) {
        fprintf(stderr, "mpc_codec_tool: out of memory\n");
        exit(2);
    }
    puts(s);
    free(s);
    json_decref(obj);
}

static int cmd_samples(const char *dir)
{
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
        uint8_t *buf;
        size_t len;
        sample_encode((mpc_record_type)t, &buf, &len);
        const char *name = strrchr(mpc_codec_record_name((mpc_record_type)t), '.') + 1;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.bin", dir, name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
            fprintf(stderr, "mpc_codec_tool: cannot write %s\n", path);
            free(buf);
            return 2;
        }
        free(buf);
    }
    return 0;
}

static int cmd_decode(int n, char **files)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        char *buf = read_input(files[i], &len);
        if (!buf)
            return 2;
        mpc_record_type type = MPC_RECORD_UNKNOWN;
        char *json = NULL;
        mpc_codec_error err;
        int rc = mpc_codec_decode_to_json((const uint8_t *)buf, len, &type, &json, &err);
        json_t *line;
        if (rc == MPC_CODEC_OK) {
            json_t *rec = json_loads(json, 0, NULL);
            line = json_pack("{s:s, s:b, s:s, s:o}", "file", files[i], "ok", 1, "type",
                             mpc_codec_record_name(type), "record", rec);
        } else {
            failed = 1;
            line = json_pack("{s:s, s:b, s:s, s:s, s:s}", "file", files[i], "ok", 0, "code",
                             mpc_codec_status_name(rc), "field", err.field, "error",
                             err.message);
        }
        free(json);
        free(buf);
        if (!line) {
            fprintf(stderr, "mpc_codec_tool: out of memory\n");
            return 2;
        }
        print_line(line);
    }
    return failed;
}

static int cmd_schemas(void)
{
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
        const char *canonical;
        uint64_t fp;
        char hex[17];
        if (!mpc_codec_schema_info((mpc_record_type)t, NULL, &canonical, &fp)) {
            fprintf(stderr, "mpc_codec_tool: %s\n", mpc_codec_last_error()->message);
            return 2;
        }
        fingerprint_hex(fp, hex);
        print_line(json_pack("{s:s, s:s, s:s}", "name", mpc_codec_record_name((mpc_record_type)t),
                             "canonical", canonical, "fingerprint", hex));
    }
    return 0;
}

static int cmd_canonical(const char *path)
{
    size_t len;
    char *text = read_input(path, &len);
    if (!text)
        return 2;
    char *canonical;
    mpc_codec_error err;
    int rc = mpc_codec_canonical_form(text, len, &canonical, &err);
    free(text);
    if (rc != MPC_CODEC_OK) {
        fprintf(stderr, "mpc_codec_tool: %s: %s\n", path, err.message);
        return 1;
    }
    char hex[17];
    fingerprint_hex(mpc_codec_fingerprint64((const uint8_t *)canonical, strlen(canonical)), hex);
    print_line(json_pack("{s:s, s:s}", "canonical", canonical, "fingerprint", hex));
    free(canonical);
    return 0;
}

static int cmd_auth_digest(const char *path)
{
    size_t len;
    char *buf = read_input(path, &len);
    if (!buf)
        return 2;
    uint8_t d[32];
    mpc_codec_error err;
    int rc = mpc_codec_auth_digest((const uint8_t *)buf, len, d, &err);
    free(buf);
    if (rc != MPC_CODEC_OK) {
        fprintf(stderr, "mpc_codec_tool: %s: %s\n", path, err.message);
        return 1;
    }
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    mpc_codec_error err;
    if (mpc_codec_init(&err) != MPC_CODEC_OK) {
        fprintf(stderr, "mpc_codec_tool: %s\n", err.message);
        return 2;
    }
    if (argc == 3 && strcmp(argv[1], "samples") == 0)
        return cmd_samples(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "decode") == 0)
        return cmd_decode(argc - 2, argv + 2);
    if (argc == 2 && strcmp(argv[1], "schemas") == 0)
        return cmd_schemas();
    if (argc == 3 && strcmp(argv[1], "canonical") == 0)
        return cmd_canonical(argv[2]);
    if (argc == 3 && strcmp(argv[1], "auth-digest") == 0)
        return cmd_auth_digest(argv[2]);
    fprintf(stderr,
            "usage: mpc_codec_tool samples <dir> | decode <file>... | schemas | "
            "canonical <schema-file> | auth-digest <file>\n");
    return 2;
}
