/* test_presig_store.c - the orphan sweep's side of the participant's
 * presignature store (services/participant/presig_store.h): ps_store_aged
 * counts an item's age from the first listing that saw it, forgets what is
 * gone and caps its answer; ps_store_discard writes the ledger marker
 * before deleting, leaves an item the ledger already marks alone, and a
 * discarded id can never be stored again. Items are put straight into the
 * store's vault (same directory, master key, node and purpose), as
 * presign sessions would leave them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "engine/ctx.h"
#include "engine/rng.h"
#include "presig_store.h"
#include "secure/ledger.h"
#include "secure/share_store.h"
#include "secure/vault.h"
#include "svc/metrics.h"

#define NODE 2

static int has(char **ids, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return 1;
    return 0;
}

/* ps_store_aged at now_ms with min_age_ms; returns how many, and whether
 * id (NULL: none) is among them in *found. */
static size_t aged(ps_store *s, int64_t now_ms, int64_t min_age_ms, size_t max, const char *id, int *found) {
    char **ids = NULL;
    size_t n = 0;
    char why[256];
    CHECK(ps_store_aged(s, now_ms, min_age_ms, max, &ids, &n, why, sizeof why) == 0);
    if (found) *found = id && has(ids, n, id);
    for (size_t i = 1; i < n; i++) CHECK(strcmp(ids[i - 1], ids[i]) < 0);
    mpc_vault_names_free(ids, n);
    return n;
}

static int file_exists(const char *dir, const char *id) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.seal", dir, id);
    return access(path, F_OK) == 0;
}

int main(void) {
    char root[] = "/tmp/mpc-test-presig-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char master[1100], dir[1100], ledger_path[1100];
    snprintf(master, sizeof master, "%s/master.key", root);
    snprintf(dir, sizeof dir, "%s/presig", root);
    snprintf(ledger_path, sizeof ledger_path, "%s/nonce.ledger", root);
    mpc_rng rng = mpc_rng_os();
    mpc_engine_ctx *ctx = mpc_engine_ctx_new(&rng);
    CHECK(ctx != NULL);
    mpc_secure_error e;
    CHECK(mpc_share_store_create_master_key(&rng, master, &e) == MPC_SECURE_OK);
    mpc_ledger *ledger = NULL;
    CHECK(mpc_ledger_open(&ledger, ledger_path, &e) == MPC_SECURE_OK);
    mpc_vault *v = NULL;
    CHECK(mpc_vault_open(&v, dir, master, NODE, PS_PURPOSE, &rng, &e) == MPC_SECURE_OK);
    const unsigned char bytes[] = "not a presignature: the sweep never opens an item";
    CHECK(mpc_vault_put(v, "ps-a.0", bytes, sizeof bytes, &e) == MPC_SECURE_OK);
    CHECK(mpc_vault_put(v, "ps-a.1", bytes, sizeof bytes, &e) == MPC_SECURE_OK);

    svc_metrics *m = svc_metrics_new();
    char err[256];
    ps_store *s = ps_store_open(dir, master, NODE, ledger, m, err, sizeof err);
    CHECK(s != NULL);
    if (s == NULL) return CHECK_DONE();
    CHECK(ps_store_ready(s) == 2);

    /* Ages count from the first listing; min age 0 lists everything. */
    int found;
    CHECK(aged(s, 1000, 0, 10, NULL, NULL) == 2);
    CHECK(aged(s, 1000, 500, 10, NULL, NULL) == 0);
    CHECK(mpc_vault_put(v, "ps-b.0", bytes, sizeof bytes, &e) == MPC_SECURE_OK); /* another process stores */
    CHECK(aged(s, 1499, 500, 10, NULL, NULL) == 0);
    CHECK(aged(s, 1500, 500, 10, "ps-b.0", &found) == 2 && !found); /* ps-b.0 first seen at 1499 */
    CHECK(aged(s, 1999, 500, 10, "ps-b.0", &found) == 3 && found);
    CHECK(aged(s, 1999, 500, 1, NULL, NULL) == 1); /* capped */

    /* An item that disappears is forgotten: stored again, it is new. */
    unsigned char *taken = NULL;
    size_t takenlen = 0;
    CHECK(mpc_vault_take(v, "ps-b.0", &taken, &takenlen, &e) == MPC_SECURE_OK);
    mpc_secure_free_secret(taken, takenlen);
    CHECK(aged(s, 2000, 0, 10, "ps-b.0", &found) == 2 && !found);
    CHECK(mpc_vault_put(v, "ps-b.0", bytes, sizeof bytes, &e) == MPC_SECURE_OK);
    CHECK(aged(s, 2100, 500, 10, "ps-b.0", &found) == 2 && !found);
    CHECK(aged(s, 2600, 500, 10, "ps-b.0", &found) == 3 && found);

    /* Discard: marker first, then the bytes; the id is consumed for good. */
    char why[256];
    CHECK(ps_store_discard(s, "ps-a.0", why, sizeof why) == PS_OK);
    CHECK(!file_exists(dir, "ps-a.0"));
    CHECK(mpc_ledger_check(ledger, "presig:ps-a.0", &e) == MPC_SECURE_ERR_CONSUMED);
    CHECK(ps_store_ready(s) == 1);
    CHECK(ps_store_discard(s, "ps-a.0", why, sizeof why) == PS_USED);
    /* Already marked (being consumed, or left by a crash): left alone. */
    CHECK(mpc_ledger_consume(ledger, "presig:ps-a.1", &e) == MPC_SECURE_OK);
    CHECK(ps_store_discard(s, "ps-a.1", why, sizeof why) == PS_USED);
    CHECK(file_exists(dir, "ps-a.1"));
    /* Bytes already gone: the marker is still written. */
    CHECK(ps_store_discard(s, "ps-c.0", why, sizeof why) == PS_MISSING);
    CHECK(mpc_ledger_check(ledger, "presig:ps-c.0", &e) == MPC_SECURE_ERR_CONSUMED);
    CHECK(ps_store_discard(s, "../x", why, sizeof why) == PS_STORAGE);
    /* A discarded presignature is never used. */
    gg20_presig *ps = NULL;
    uint16_t signers[] = {1, 2};
    CHECK(ps_store_consume(s, ctx, "ps-a.0", "key", signers, 2, &ps, why, sizeof why) == PS_USED && ps == NULL);

    ps_store_close(s);
    mpc_vault_close(v);
    mpc_ledger_close(ledger);
    svc_metrics_free(m);
    mpc_engine_ctx_free(ctx);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
