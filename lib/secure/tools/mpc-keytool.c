/*
 * mpc-keytool - creates node identity keys, node master keys and the roster.
 *
 *   mpc-keytool init-stack --dir DIR --participants N
 *       DIR/node-0/identity.key            coordinator identity
 *       DIR/node-<i>/identity.key          participant i identity (1..N)
 *       DIR/node-<i>/master.key            participant i share-store master key
 *       DIR/roster.json                    the pinned public keys of nodes 0..N
 *     Idempotent: existing keys are kept (and checked: mode 0600, valid
 *     contents); roster.json is rewritten atomically from the keys.
 *   mpc-keytool pubkey --key FILE
 *       prints the compressed public key (hex) of an identity key file.
 *   mpc-keytool new-identity --out FILE | new-master-key --out FILE
 *       creates one key file (0600; refuses to overwrite).
 *
 * Keys come from the OS CSPRNG (getrandom). Exit status: 0 on success, 1 on
 * an error (printed to stderr), 2 on bad usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "secure/identity.h"
#include "secure/internal.h"
#include "secure/roster.h"
#include "secure/share_store.h"

static int usage(void) {
    fprintf(stderr,
            "usage: mpc-keytool init-stack --dir DIR --participants N   (N in 1..%d)\n"
            "       mpc-keytool pubkey --key FILE\n"
            "       mpc-keytool new-identity --out FILE\n"
            "       mpc-keytool new-master-key --out FILE\n",
            MPC_ROSTER_MAX_ID);
    return 2;
}

static int fail(const mpc_secure_error *err) {
    fprintf(stderr, "mpc-keytool: %s (%s)\n", err->message, mpc_secure_status_name(err->code));
    return 1;
}

/* Value of option `name` in argv[2..argc), or NULL. */
static const char *option(int argc, char **argv, const char *name) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

static int make_dir(const char *path) {
    if (mkdir(path, 0700) == 0 || errno == EEXIST) return 0;
    fprintf(stderr, "mpc-keytool: cannot create %s: %s\n", path, strerror(errno));
    return 1;
}

/* Load the identity at path, creating it first if it does not exist. */
static int ensure_identity(const mpc_engine_ctx *ctx, const char *path, mpc_identity **id,
                           int *created) {
    mpc_secure_error err;
    *created = 0;
    int rc = mpc_identity_load(ctx, id, path, &err);
    if (rc == MPC_SECURE_ERR_NOT_FOUND) {
        if (mpc_identity_generate(ctx, id, &err) != MPC_SECURE_OK ||
            (rc = mpc_identity_save(*id, path, &err)) != MPC_SECURE_OK) {
            mpc_identity_free(*id);
            *id = NULL;
            return fail(&err);
        }
        *created = 1;
        return 0;
    }
    return rc == MPC_SECURE_OK ? 0 : fail(&err);
}

/* Create the master key at path unless it exists; check it either way. */
static int ensure_master_key(const mpc_rng *rng, const char *path, int *created) {
    mpc_secure_error err;
    unsigned char key[32];
    int rc = mpc_share_store_create_master_key(rng, path, &err);
    *created = rc == MPC_SECURE_OK;
    if (rc != MPC_SECURE_OK && rc != MPC_SECURE_ERR_EXISTS) return fail(&err);
    rc = sec_read_secret32(path, "master key", key, &err);
    OPENSSL_cleanse(key, sizeof key);
    return rc == MPC_SECURE_OK ? 0 : fail(&err);
}

static int init_stack(const mpc_engine_ctx *ctx, const mpc_rng *rng, const char *dir, int n) {
    static mpc_roster_node nodes[MPC_ROSTER_MAX_ID + 1];
    char path[PATH_MAX], node_dir[PATH_MAX];
    int made_ids = 0, made_masters = 0;
    if (make_dir(dir)) return 1;
    for (int i = 0; i <= n; i++) {
        mpc_identity *id = NULL;
        int created = 0;
        if (snprintf(node_dir, sizeof node_dir, "%s/node-%d", dir, i) >= (int)sizeof node_dir ||
            snprintf(path, sizeof path, "%s/identity.key", node_dir) >= (int)sizeof path) {
            fprintf(stderr, "mpc-keytool: path too long: %s\n", dir);
            return 1;
        }
        if (make_dir(node_dir) || ensure_identity(ctx, path, &id, &created)) return 1;
        made_ids += created;
        nodes[i].id = i;
        nodes[i].role = i == 0 ? MPC_ROLE_COORDINATOR : MPC_ROLE_PARTICIPANT;
        mpc_identity_public_key(id, nodes[i].public_key);
        mpc_identity_free(id);
        if (i == 0) continue;
        if (snprintf(path, sizeof path, "%s/master.key", node_dir) >= (int)sizeof path) return 1;
        if (ensure_master_key(rng, path, &created)) return 1;
        made_masters += created;
    }
    char *json = NULL;
    mpc_secure_error err;
    mpc_roster *check = NULL;
    if (mpc_roster_format(&json, nodes, (size_t)n + 1) != MPC_SECURE_OK) {
        fprintf(stderr, "mpc-keytool: out of memory\n");
        return 1;
    }
    /* Validate what we are about to pin (e.g. two nodes sharing a key file). */
    snprintf(path, sizeof path, "%s/roster.json", dir);
    int rc = mpc_roster_parse(ctx, &check, json, strlen(json), path, &err);
    mpc_roster_free(check);
    if (rc == MPC_SECURE_OK) rc = sec_replace_file(path, json, strlen(json), 0644, &err);
    free(json);
    if (rc != MPC_SECURE_OK) return fail(&err);
    printf("%s: nodes 0..%d (%d identity keys and %d master keys created, the rest kept); "
           "roster %s\n",
           dir, n, made_ids, made_masters, path);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    mpc_rng rng = mpc_rng_os();
    mpc_engine_ctx *ctx = mpc_engine_ctx_new(&rng);
    if (ctx == NULL) {
        fprintf(stderr, "mpc-keytool: cannot create the crypto context\n");
        return 1;
    }
    int rc;
    const char *cmd = argv[1];
    mpc_secure_error err;
    if (strcmp(cmd, "init-stack") == 0) {
        const char *dir = option(argc, argv, "--dir"), *np = option(argc, argv, "--participants");
        char *end = NULL;
        long n = np ? strtol(np, &end, 10) : 0;
        if (dir == NULL || np == NULL || *end != '\0' || n < 1 || n > MPC_ROSTER_MAX_ID)
            rc = usage();
        else
            rc = init_stack(ctx, &rng, dir, (int)n);
    } else if (strcmp(cmd, "pubkey") == 0) {
        const char *key = option(argc, argv, "--key");
        mpc_identity *id = NULL;
        if (key == NULL) {
            rc = usage();
        } else if (mpc_identity_load(ctx, &id, key, &err) != MPC_SECURE_OK) {
            rc = fail(&err);
        } else {
            unsigned char pub[MPC_IDENTITY_PUBKEY_LEN];
            char hex[2 * MPC_IDENTITY_PUBKEY_LEN + 1];
            mpc_identity_public_key(id, pub);
            mpc_identity_free(id);
            sec_hex_encode(hex, pub, sizeof pub);
            printf("%s\n", hex);
            rc = 0;
        }
    } else if (strcmp(cmd, "new-identity") == 0 || strcmp(cmd, "new-master-key") == 0) {
        const char *out = option(argc, argv, "--out");
        mpc_identity *id = NULL;
        if (out == NULL)
            rc = usage();
        else if (cmd[4] == 'm')
            rc = mpc_share_store_create_master_key(&rng, out, &err) == MPC_SECURE_OK ? 0 : fail(&err);
        else
            rc = mpc_identity_generate(ctx, &id, &err) == MPC_SECURE_OK &&
                         mpc_identity_save(id, out, &err) == MPC_SECURE_OK
                     ? 0
                     : fail(&err);
        mpc_identity_free(id);
    } else {
        rc = usage();
    }
    mpc_engine_ctx_free(ctx);
    return rc;
}
