/* apikey.c - `mpc-api --create-api-key NAME [options]`: creates an API client
 * in api_clients and prints its key id and secret once, as shell exports
 * (`eval "$(mpc-api --create-api-key dev)"` sets MPC_API_KEY/MPC_API_SECRET
 * for mpcctl).
 *
 * Reads MPC_PG_DSN (or --dsn) and MPC_API_SECRET_KEY (the key that seals
 * secrets at rest; without it the secret is stored as is, for development).
 * The secret never goes to the logs, only to stdout.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static void usage(void) {
    fprintf(stderr,
            "usage: mpc-api --create-api-key NAME [--key-id ID] [--secret HEX64] [--replace]\n"
            "                [--rate-limit N] [--rate-window SECONDS] [--allow-keys K1,K2] [--allow-chains C1,C2]\n"
            "                [--dsn DSN]\n"
            "  Creates an API client and prints `export MPC_API_KEY=...` and `export MPC_API_SECRET=...`.\n"
            "  --key-id/--secret fix the credentials (a reproducible development key); --replace\n"
            "  overwrites an existing client with that key id. Defaults: 100 requests per 1 s, every\n"
            "  key and chain allowed. Environment: MPC_PG_DSN, MPC_API_SECRET_KEY (hex, 32 bytes).\n");
}

/* "a,b" -> ["a","b"] as JSON text (malloc'd); NULL list -> NULL. */
static char *list_json(const char *csv, int *bad) {
    if (csv == NULL) return NULL;
    json_t *arr = json_array();
    char *copy = strdup(csv), *save = NULL;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save))
        if (json_array_append_new(arr, json_string(tok)) != 0) *bad = 1;
    if (copy == NULL) *bad = 1;
    free(copy);
    char *text = arr && !*bad ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (text == NULL) *bad = 1;
    return text;
}

int api_create_key_main(int argc, char **argv) {
    const char *name = NULL, *key_id = NULL, *secret = NULL, *dsn = getenv("MPC_PG_DSN"), *keys = NULL,
               *chains = NULL, *rate = "100", *window = "1";
    int replace = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--create-api-key") && v) name = argv[++i];
        else if (!strcmp(a, "--key-id") && v) key_id = argv[++i];
        else if (!strcmp(a, "--secret") && v) secret = argv[++i];
        else if (!strcmp(a, "--dsn") && v) dsn = argv[++i];
        else if (!strcmp(a, "--rate-limit") && v) rate = argv[++i];
        else if (!strcmp(a, "--rate-window") && v) window = argv[++i];
        else if (!strcmp(a, "--allow-keys") && v) keys = argv[++i];
        else if (!strcmp(a, "--allow-chains") && v) chains = argv[++i];
        else if (!strcmp(a, "--replace")) replace = 1;
        else {
            usage();
            return 2;
        }
    }
    if (name == NULL || dsn == NULL || dsn[0] == '\0') {
        if (name && (dsn == NULL || !dsn[0])) fprintf(stderr, "mpc-api: set MPC_PG_DSN or --dsn\n");
        usage();
        return 2;
    }
    char id_buf[40], secret_buf[MPC_API_SECRET_HEX_LEN + 1];
    uint8_t rnd[32];
    if (key_id == NULL) {
        if (mpc_api_random(rnd, 8) != 0) return 1;
        char hex[17];
        mpc_api_hex(rnd, 8, hex);
        snprintf(id_buf, sizeof id_buf, "mpck_%s", hex);
        key_id = id_buf;
    } else if (!api_valid_id(key_id)) {
        fprintf(stderr, "mpc-api: --key-id must be 1-128 characters of A-Z a-z 0-9 . _ : -\n");
        return 2;
    }
    if (secret == NULL) {
        if (mpc_api_random(rnd, sizeof rnd) != 0) return 1;
        mpc_api_hex(rnd, sizeof rnd, secret_buf);
        OPENSSL_cleanse(rnd, sizeof rnd);
        secret = secret_buf;
    } else if (strlen(secret) != MPC_API_SECRET_HEX_LEN || strspn(secret, "0123456789abcdef") != MPC_API_SECRET_HEX_LEN) {
        fprintf(stderr, "mpc-api: --secret must be 64 lowercase hex characters\n");
        return 2;
    }
    uint8_t key[MPC_API_SECRET_KEY_LEN];
    int have_key = 0;
    const char *key_hex = getenv("MPC_API_SECRET_KEY");
    if (mpc_client_secret_parse_key(key_hex ? key_hex : "", key, &have_key) != 0) {
        fprintf(stderr, "mpc-api: MPC_API_SECRET_KEY must be 64 hex characters (32 bytes)\n");
        return 2;
    }
    const char *scheme;
    uint8_t *sealed;
    size_t sealed_len;
    int bad = 0;
    char *keys_json = list_json(keys, &bad), *chains_json = list_json(chains, &bad);
    if (bad || mpc_client_secret_seal(have_key ? key : NULL, key_id, secret, &scheme, &sealed, &sealed_len) != 0) {
        fprintf(stderr, "mpc-api: out of memory\n");
        return 1;
    }
    OPENSSL_cleanse(key, sizeof key);

    int status = 1;
    PGconn *pg = PQconnectdb(dsn);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "mpc-api: cannot connect to PostgreSQL: %s", PQerrorMessage(pg));
        goto out;
    }
    const char *p[] = {key_id, name, scheme, (const char *)sealed, keys_json, chains_json, rate, window};
    int lengths[] = {0, 0, 0, (int)sealed_len, 0, 0, 0, 0};
    int formats[] = {0, 0, 0, 1, 0, 0, 0, 0};
    const char *sql = replace
                          ? "INSERT INTO api_clients (key_id, name, secret_scheme, secret, allowed_keys, allowed_chains, "
                            "rate_limit, rate_window_s) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::int, $8::int) "
                            "ON CONFLICT (key_id) DO UPDATE SET name = $2, secret_scheme = $3, secret = $4, "
                            "allowed_keys = $5::jsonb, allowed_chains = $6::jsonb, rate_limit = $7::int, "
                            "rate_window_s = $8::int, status = 'active', updated_at = NOW()"
                          : "INSERT INTO api_clients (key_id, name, secret_scheme, secret, allowed_keys, allowed_chains, "
                            "rate_limit, rate_window_s) VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::int, $8::int)";
    PGresult *r = PQexecParams(pg, sql, 8, NULL, p, lengths, formats, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "mpc-api: cannot store the API key: %s", PQresultErrorMessage(r));
    } else {
        printf("# API key '%s' (%s); the secret is shown only now\n", name,
               have_key ? "secret sealed with MPC_API_SECRET_KEY" : "no MPC_API_SECRET_KEY: secret stored unsealed");
        printf("export MPC_API_KEY=%s\nexport MPC_API_SECRET=%s\n", key_id, secret);
        status = 0;
    }
    PQclear(r);
out:
    PQfinish(pg);
    OPENSSL_cleanse(secret_buf, sizeof secret_buf);
    free(sealed);
    free(keys_json);
    free(chains_json);
    return status;
}
