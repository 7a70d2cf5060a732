/* audit.c - `mpcctl audit verify|query` (see audit.h).
 *
 * verify prints one line and sets the exit status:
 *   OK: 1234 rows, head <hex>                                        exit 0
 *   FAIL: row seq=123 altered (hash mismatch)                        exit 1
 *   FAIL: missing row(s) between seq 40 and 42                       exit 1
 *   FAIL: prev_hash of seq 7 does not match the hash of seq 6        exit 1
 * query prints one JSON object per row (JSON lines), oldest first.
 * Errors (usage, database or API unreachable) go to stderr with exit
 * status 2.
 *
 * The options are parsed once into an audit_verify_options or an
 * audit_query_filter, then run either on PostgreSQL (audit_read.h) or
 * through mpc-api (the mpcctl_audit_api the caller passes, audit_api.c);
 * both give the same report and the same rows, so the output is the same.
 */
#include "audit.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

static int usage(FILE *f) {
    fprintf(f,
            "usage: mpcctl audit verify [--api | --dsn DSN] [--anchor SEQ:HASH]\n"
            "       mpcctl audit query [--api | --dsn DSN] [--key ID] [--request ID] [--session ID] [--node ID]\n"
            "                          [--event TYPE] [--since TIME] [--until TIME] [--after SEQ] [--limit N]\n"
            "\n"
            "  verify  walk the audit chain, recompute every hash; name the first bad row\n"
            "  query   print matching audit rows as JSON lines, oldest first (default limit 1000)\n"
            "  --api   through mpc-api (GET /api/v1/audit/...), signed with mpcctl's API key\n"
            "          (MPC_API_URL, MPC_API_KEY, MPC_API_SECRET or mpcctl --url/--key/--secret)\n"
            "  --dsn   straight from PostgreSQL (default: $MPC_PG_DSN)\n"
            "  without either: PostgreSQL when MPC_PG_DSN is set, else the API when an API key is set\n"
            "  TIME    with --api an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z; with the database\n"
            "          anything PostgreSQL reads as timestamptz\n");
    return 2;
}

/* Where the rows come from: a database connection, or the API. */
typedef struct {
    PGconn *db;
    const mpcctl_audit_api *api;
} source;

static int connect_db(const char *dsn, source *src) {
    if (dsn == NULL || dsn[0] == 0) {
        fprintf(stderr, "mpcctl audit: no database: pass --dsn or set MPC_PG_DSN (or use --api)\n");
        return -1;
    }
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {dsn, "10", "mpcctl", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        const char *m = c ? PQerrorMessage(c) : "out of memory";
        fprintf(stderr, "mpcctl audit: cannot connect to PostgreSQL: %.*s\n", (int)strcspn(m, "\n"), m);
        PQfinish(c);
        return -1;
    }
    src->db = c;
    return 0;
}

static int parse_i64(const char *s, int64_t *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == 0 || *end != 0 || v < 0) return -1;
    *out = v;
    return 0;
}

static int parse_verify(int argc, char **argv, audit_verify_options *o) {
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--anchor") == 0 && i + 1 < argc) {
            const char *a = argv[++i], *colon = strchr(a, ':');
            char seq[24];
            if (colon == NULL || (size_t)(colon - a) >= sizeof seq) return usage(stderr);
            memcpy(seq, a, (size_t)(colon - a));
            seq[colon - a] = 0;
            if (parse_i64(seq, &o->anchor_seq) != 0 || o->anchor_seq < 1 ||
                audit_unhex(colon + 1, o->anchor_hash, AUDIT_HASH_LEN) != 0) {
                fprintf(stderr, "mpcctl audit: --anchor wants SEQ:HASH (64 hex digits)\n");
                return 2;
            }
        } else {
            return usage(stderr);
        }
    }
    return 0;
}

static int run_verify(const source *src, const audit_verify_options *o) {
    audit_verify_report rep;
    char err[512];
    int rc = src->db ? audit_verify(src->db, o, &rep, err, sizeof err)
                     : src->api->verify(src->api->ctx, o, &rep, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "mpcctl audit: %s\n", err);
        return 2;
    }
    if (rep.ok) {
        char hex[2 * AUDIT_HASH_LEN + 1];
        audit_hex(rep.head, AUDIT_HASH_LEN, hex);
        printf("OK: %" PRId64 " rows, head %s\n", rep.rows, hex);
        return 0;
    }
    printf("FAIL: %s\n", rep.message);
    return 1;
}

static int print_row(json_t *row, void *ctx) {
    (void)ctx;
    if (json_dumpf(row, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0) return 1;
    return fputc('\n', stdout) == EOF;
}

static int parse_query(int argc, char **argv, audit_query_filter *f) {
    memset(f, 0, sizeof *f);
    static const struct {
        const char *flag;
        size_t off;
    } opts[] = {
        {"--key", offsetof(audit_query_filter, key_id)},
        {"--request", offsetof(audit_query_filter, request_id)},
        {"--session", offsetof(audit_query_filter, session_id)},
        {"--node", offsetof(audit_query_filter, node_id)},
        {"--event", offsetof(audit_query_filter, event_type)},
        {"--since", offsetof(audit_query_filter, since)},
        {"--until", offsetof(audit_query_filter, until)},
    };
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc) return usage(stderr);
        int matched = 0;
        for (size_t k = 0; k < sizeof opts / sizeof *opts && !matched; k++)
            if (strcmp(argv[i], opts[k].flag) == 0) {
                *(const char **)((char *)f + opts[k].off) = argv[++i];
                matched = 1;
            }
        if (matched) continue;
        int64_t v;
        if (strcmp(argv[i], "--limit") == 0 && parse_i64(argv[i + 1], &v) == 0 && v > 0) {
            f->limit = (long)v;
        } else if (strcmp(argv[i], "--after") == 0 && parse_i64(argv[i + 1], &v) == 0) {
            f->after_seq = v;
        } else {
            fprintf(stderr, "mpcctl audit: bad option '%s'\n", argv[i]);
            return usage(stderr);
        }
        i++;
    }
    return 0;
}

static int run_query(const source *src, const audit_query_filter *f) {
    char err[512];
    long n = src->db ? audit_query_run(src->db, f, print_row, NULL, err, sizeof err)
                     : src->api->query(src->api->ctx, f, print_row, NULL, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "mpcctl audit: %s\n", err);
        return 2;
    }
    return fflush(stdout) == 0 ? 0 : 2;
}

int mpcctl_audit_run(int argc, char **argv, const mpcctl_audit_api *api) {
    if (argc < 2) return usage(stderr);
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        usage(stdout);
        return 0;
    }
    int verify = strcmp(sub, "verify") == 0;
    if (!verify && strcmp(sub, "query") != 0) {
        fprintf(stderr, "mpcctl audit: unknown command '%s'\n", sub);
        return usage(stderr);
    }
    /* --dsn and --api may appear anywhere after the subcommand; pull them out first. */
    const char *dsn = NULL;
    int want_api = 0;
    char **rest = calloc((size_t)argc, sizeof *rest);
    int nrest = 0;
    if (rest == NULL) {
        fprintf(stderr, "mpcctl audit: out of memory\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dsn") == 0 && i + 1 < argc)
            dsn = argv[++i];
        else if (strcmp(argv[i], "--api") == 0)
            want_api = 1;
        else
            rest[nrest++] = argv[i];
    }
    audit_verify_options vo;
    audit_query_filter qf;
    int rc = verify ? parse_verify(nrest, rest, &vo) : parse_query(nrest, rest, &qf);
    free(rest);
    if (rc != 0) return rc;

    /* Explicit choices first; then the database when one is configured (as
     * before --api existed), else the API when mpcctl has an API key. */
    source src = {NULL, NULL};
    const char *env_dsn = getenv("MPC_PG_DSN");
    if (want_api && dsn) {
        fprintf(stderr, "mpcctl audit: --api and --dsn exclude each other\n");
        return 2;
    }
    if (want_api && (api == NULL || !api->have_key)) {
        fprintf(stderr, api ? "mpcctl audit: --api needs an API key: set MPC_API_KEY and MPC_API_SECRET "
                              "(or mpcctl --key/--secret)\n"
                            : "mpcctl audit: --api is not available in this build\n");
        return 2;
    }
    if (want_api || (!dsn && !(env_dsn && env_dsn[0]) && api && api->have_key)) {
        src.api = api;
    } else if (connect_db(dsn ? dsn : env_dsn, &src) != 0) {
        return 2;
    }
    rc = verify ? run_verify(&src, &vo) : run_query(&src, &qf);
    PQfinish(src.db);
    return rc;
}

int mpcctl_audit_main(int argc, char **argv) {
    return mpcctl_audit_run(argc, argv, NULL);
}
