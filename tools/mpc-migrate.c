/* mpc-migrate - applies the versioned SQL migrations in sql/ to PostgreSQL.
 *
 *   mpc-migrate [--dsn DSN] [--dir DIR] [--status]
 *
 * Files are named V<version>__<name>.sql and applied in version order, each
 * in its own transaction together with its row in schema_migrations
 * (version, name, SHA-256 checksum, applied_at). Running it again applies
 * only what is new; a migration whose file changed after it was applied is
 * an error (migrations are immutable: write a new one). A session-level
 * advisory lock serialises concurrent runs. DSN defaults to $MPC_PG_DSN.
 */
#include <dirent.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MPC_SQL_DIR
#define MPC_SQL_DIR "sql"
#endif

#define MAX_MIGRATIONS 1000
#define MAX_FILE_BYTES (4 * 1024 * 1024)

typedef struct {
    long version;
    char name[200];
    char path[1024];
    char *sql;
    char checksum[65];
} migration;

static int cmp_version(const void *a, const void *b) {
    long x = ((const migration *)a)->version, y = ((const migration *)b)->version;
    return (x > y) - (x < y);
}

static int sha256_hex(const char *data, size_t len, char out[65]) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) return -1;
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    char *buf = malloc(MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, f) : 0;
    int bad = ferror(f) || n > MAX_FILE_BYTES;
    fclose(f);
    if (buf == NULL || bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Reads and sorts the migrations in dir. Returns the count or -1. */
static int load_migrations(const char *dir, migration *out) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "mpc-migrate: cannot open migrations directory %s\n", dir);
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long version;
        int name_at = 0;
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != 'V' || len < 8 || strcmp(e->d_name + len - 4, ".sql") != 0) continue;
        if (sscanf(e->d_name, "V%ld__%n", &version, &name_at) != 1 || name_at == 0 || version < 1) {
            fprintf(stderr, "mpc-migrate: %s: name must be V<number>__<name>.sql\n", e->d_name);
            closedir(d);
            return -1;
        }
        if (n == MAX_MIGRATIONS) break;
        migration *m = &out[n++];
        m->version = version;
        snprintf(m->name, sizeof m->name, "%.*s", (int)(len - 4 - (size_t)name_at), e->d_name + name_at);
        snprintf(m->path, sizeof m->path, "%s/%s", dir, e->d_name);
        m->sql = read_file(m->path);
        if (m->sql == NULL || sha256_hex(m->sql, strlen(m->sql), m->checksum) != 0) {
            fprintf(stderr, "mpc-migrate: cannot read %s\n", m->path);
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof *out, cmp_version);
    for (int i = 1; i < n; i++)
        if (out[i].version == out[i - 1].version) {
            fprintf(stderr, "mpc-migrate: two migrations have version %ld\n", out[i].version);
            return -1;
        }
    return n;
}

static int exec_ok(PGconn *c, const char *sql, const char *what) {
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "mpc-migrate: %s failed: %s", what, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

/* Looks up an applied version. Returns 1 and fills checksum if applied, 0 if
 * not, -1 on error. */
static int applied_checksum(PGconn *c, long version, char checksum[65]) {
    char v[32];
    snprintf(v, sizeof v, "%ld", version);
    const char *params[] = {v};
    PGresult *r = PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE version = $1", 1, NULL, params,
                               NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "mpc-migrate: reading schema_migrations: %s", PQerrorMessage(c));
    } else if (PQntuples(r) == 0) {
        rc = 0;
    } else {
        snprintf(checksum, 65, "%s", PQgetvalue(r, 0, 0));
        rc = 1;
    }
    PQclear(r);
    return rc;
}

static int apply(PGconn *c, const migration *m) {
    if (exec_ok(c, "BEGIN", "BEGIN") != 0) return -1;
    if (exec_ok(c, m->sql, m->path) != 0) {
        exec_ok(c, "ROLLBACK", "ROLLBACK");
        return -1;
    }
    char v[32];
    snprintf(v, sizeof v, "%ld", m->version);
    const char *params[] = {v, m->name, m->checksum};
    PGresult *r = PQexecParams(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3,
                               NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "mpc-migrate: recording V%ld: %s", m->version, PQerrorMessage(c));
    PQclear(r);
    if (!ok) {
        exec_ok(c, "ROLLBACK", "ROLLBACK");
        return -1;
    }
    return exec_ok(c, "COMMIT", "COMMIT");
}

int main(int argc, char **argv) {
    const char *dsn = getenv("MPC_PG_DSN");
    const char *dir = MPC_SQL_DIR;
    int status_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dsn") && i + 1 < argc) dsn = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--status")) status_only = 1;
        else {
            fprintf(stderr, "usage: mpc-migrate [--dsn DSN] [--dir DIR] [--status]\n");
            return 2;
        }
    }
    if (dsn == NULL) {
        fprintf(stderr, "mpc-migrate: no database: pass --dsn or set MPC_PG_DSN\n");
        return 2;
    }

    static migration migs[MAX_MIGRATIONS];
    int n = load_migrations(dir, migs);
    if (n < 0) return 1;

    PGconn *c = PQconnectdb(dsn);
    if (PQstatus(c) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(c);
        fprintf(stderr, "mpc-migrate: cannot connect to PostgreSQL: %.*s\n", (int)strcspn(msg, "\n"), msg);
        PQfinish(c);
        return 1;
    }
    int rc = 1, applied = 0;
    if (exec_ok(c, "SET client_min_messages = warning", "setup") ||
        exec_ok(c, "SELECT pg_advisory_lock(7419430001)", "advisory lock") ||
        exec_ok(c,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum CHAR(64) NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())",
                "creating schema_migrations"))
        goto done;
    for (int i = 0; i < n; i++) {
        char sum[65];
        int a = applied_checksum(c, migs[i].version, sum);
        if (a < 0) goto done;
        if (a == 1) {
            if (strcmp(sum, migs[i].checksum) != 0) {
                fprintf(stderr,
                        "mpc-migrate: V%ld__%s was changed after it was applied (checksum %s, file %s); "
                        "migrations are immutable: add a new one instead\n",
                        migs[i].version, migs[i].name, sum, migs[i].checksum);
                goto done;
            }
            if (status_only) printf("applied  V%03ld %s\n", migs[i].version, migs[i].name);
            continue;
        }
        if (status_only) {
            printf("pending  V%03ld %s\n", migs[i].version, migs[i].name);
            continue;
        }
        if (apply(c, &migs[i]) != 0) goto done;
        printf("applied V%03ld %s\n", migs[i].version, migs[i].name);
        applied++;
    }
    if (!status_only) printf("database is at version %ld (%d applied now)\n", n ? migs[n - 1].version : 0, applied);
    rc = 0;
done:
    PQfinish(c);
    for (int i = 0; i < n; i++) free(migs[i].sql);
    return rc;
}
