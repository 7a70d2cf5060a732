/* audit.c - `mpcctl audit verify|query` (see audit.h).
 *
 * verify prints one line and sets the exit status:
 *   OK: 1234 rows, head <hex>                                        exit 0
 *   FAIL: row seq=123 altered (hash mismatch)                        exit 1
 *   FAIL: missing row(s) between seq 40 and 42                       exit 1
 *   FAIL: prev_hash of seq 7 does not match the hash of seq 6        exit 1
 * query prints one JSON object per row (JSON lines), oldest first.
 * Errors (usage, database unreachable) go to stderr with exit status 2.
 */
#include "audit.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "audit_read.h"

static int usage(FILE *f) {
    fprintf(f,
            "usage: mpcctl audit verify [--dsn DSN] [--anchor SEQ:HASH]\n"
            "       mpcctl audit query [--dsn DSN] [--key ID] [--request ID] [--session ID] [--node ID]\n"
            "                          [--event TYPE] [--since TIME] [--until TIME] [--after SEQ] [--limit N]\n"
            "\n"
            "  verify  walk the audit chain, recompute every hash; name the first bad row\n"
            "  query   print matching audit rows as JSON lines, oldest first (default limit 1000)\n"
            "  --dsn   PostgreSQL connection string (default: $MPC_PG_DSN)\n"
            "  TIME    anything PostgreSQL reads as timestamptz, e.g. 2026-01-31T12:00:00Z\n");
    return 2;
}

static PGconn *connect_db(const char *dsn) {
    if (dsn == NULL || dsn[0] == 0) {
        fprintf(stderr, "mpcctl audit: no database: pass --dsn or set MPC_PG_DSN\n");
        return NULL;
    }
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {dsn, "10", "mpcctl", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        const char *m = c ? PQerrorMessage(c) : "out of memory";
        fprintf(stderr, "mpcctl audit: cannot connect to PostgreSQL: %.*s\n", (int)strcspn(m, "\n"), m);
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int parse_i64(const char *s, int64_t *out) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*s == 0 || *end != 0 || v < 0) return -1;
    *out = v;
    return 0;
}

static int cmd_verify(int argc, char **argv, const char *dsn) {
    audit_verify_options o = {0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--anchor") == 0 && i + 1 < argc) {
            const char *a = argv[++i], *colon = strchr(a, ':');
            char seq[24];
            if (colon == NULL || (size_t)(colon - a) >= sizeof seq) return usage(stderr);
            memcpy(seq, a, (size_t)(colon - a));
            seq[colon - a] = 0;
            if (parse_i64(seq, &o.anchor_seq) != 0 || o.anchor_seq < 1 ||
                audit_unhex(colon + 1, o.anchor_hash, AUDIT_HASH_LEN) != 0) {
                fprintf(stderr, "mpcctl audit: --anchor wants SEQ:HASH (64 hex digits)\n");
                return 2;
            }
        } else {
            return usage(stderr);
        }
    }
    PGconn *c = connect_db(dsn);
    if (c == NULL) return 2;
    audit_verify_report rep;
    char err[512];
    int rc;
    if (audit_verify(c, &o, &rep, err, sizeof err) != 0) {
        fprintf(stderr, "mpcctl audit: %s\n", err);
        rc = 2;
    } else if (rep.ok) {
        char hex[2 * AUDIT_HASH_LEN + 1];
        audit_hex(rep.head, AUDIT_HASH_LEN, hex);
        printf("OK: %" PRId64 " rows, head %s\n", rep.rows, hex);
        rc = 0;
    } else {
        printf("FAIL: %s\n", rep.message);
        rc = 1;
    }
    PQfinish(c);
    return rc;
}

static int print_row(json_t *row, void *ctx) {
    (void)ctx;
    if (json_dumpf(row, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0) return 1;
    return fputc('\n', stdout) == EOF;
}

static int cmd_query(int argc, char **argv, const char *dsn) {
    audit_query_filter f = {0};
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
                *(const char **)((char *)&f + opts[k].off) = argv[++i];
                matched = 1;
            }
        if (matched) continue;
        int64_t v;
        if (strcmp(argv[i], "--limit") == 0 && parse_i64(argv[i + 1], &v) == 0 && v > 0) {
            f.limit = (long)v;
        } else if (strcmp(argv[i], "--after") == 0 && parse_i64(argv[i + 1], &v) == 0) {
            f.after_seq = v;
        } else {
            fprintf(stderr, "mpcctl audit: bad option '%s'\n", argv[i]);
            return usage(stderr);
        }
        i++;
    }
    PGconn *c = connect_db(dsn);
    if (c == NULL) return 2;
    char err[512];
    long n = audit_query_run(c, &f, print_row, NULL, err, sizeof err);
    PQfinish(c);
    if (n < 0) {
        fprintf(stderr, "mpcctl audit: %s\n", err);
        return 2;
    }
    return fflush(stdout) == 0 ? 0 : 2;
}

int mpcctl_audit_main(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    const char *sub = argv[1];
    if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
        usage(stdout);
        return 0;
    }
    /* --dsn may appear anywhere after the subcommand; pull it out first. */
    const char *dsn = getenv("MPC_PG_DSN");
    char **rest = calloc((size_t)argc, sizeof *rest);
    int nrest = 0;
    if (rest == NULL) {
        fprintf(stderr, "mpcctl audit: out of memory\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--dsn") == 0 && i + 1 < argc)
            dsn = argv[++i];
        else
            rest[nrest++] = argv[i];
    }
    int rc;
    if (strcmp(sub, "verify") == 0)
        rc = cmd_verify(nrest, rest, dsn);
    else if (strcmp(sub, "query") == 0)
        rc = cmd_query(nrest, rest, dsn);
    else {
        fprintf(stderr, "mpcctl audit: unknown command '%s'\n", sub);
        rc = usage(stderr);
    }
    free(rest);
    return rc;
}
