/* presig_store.c - durable single-use GG20 presignatures; see presig_store.h. */
#include "presig_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secure/vault.h"
#include "svc/log.h"

#define RECORD_VERSION 1

struct ps_store {
    mpc_vault *vault;
    mpc_ledger *ledger;
    mpc_rng rng;
    pthread_mutex_t lock; /* guards ready (the vault and the ledger are thread-safe) */
    size_t ready;
    svc_metric *ready_g, *stored, *consumed, *refused[5];
    /* ps_store_aged's memory: the names it listed last (ascending) and when
     * each was first listed. */
    char **seen;
    int64_t *seen_ms;
    size_t nseen;
};

const char *ps_status_name(ps_status st) {
    static const char *const names[] = {"ok", "used", "missing", "mismatch", "storage"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "unknown";
}

/* "presig:<id>" into out (MPC_LEDGER_ID_MAX + 1). Returns 0, or -1 when id
 * is not a usable presignature id. */
static int marker(char *out, const char *id) {
    if (!mpc_vault_name_valid(id) || strlen(id) > PS_ID_MAX) return -1;
    snprintf(out, MPC_LEDGER_ID_MAX + 1, "presig:%s", id);
    return 0;
}

static void refuse(ps_store *s, ps_status st) { svc_counter_add(s->refused[st], 1); }

/* Adds delta (+1 or -1, never below 0) to the count of presignatures held
 * and publishes it. */
static void count_ready(ps_store *s, int delta) {
    pthread_mutex_lock(&s->lock);
    if (delta > 0) s->ready++;
    else if (s->ready > 0) s->ready--;
    svc_gauge_set(s->ready_g, (double)s->ready);
    pthread_mutex_unlock(&s->lock);
}

ps_store *ps_store_open(const char *dir, const char *master_key_file, int node_id, mpc_ledger *ledger,
                        svc_metrics *m, char *err, size_t errlen) {
    ps_store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->ledger = ledger;
    s->rng = mpc_rng_os();
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        snprintf(err, errlen, "cannot create the presignature store's mutex");
        free(s);
        return NULL;
    }
    mpc_secure_error e;
    if (mpc_vault_open(&s->vault, dir, master_key_file, node_id, PS_PURPOSE, &s->rng, &e) != MPC_SECURE_OK) {
        snprintf(err, errlen, "cannot open the presignature store %.200s: %.200s", dir, e.message);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    s->ready_g = svc_metrics_gauge(m, "mpc_presig_store_ready", "GG20 presignatures this node holds", NULL);
    s->stored = svc_metrics_counter(m, "mpc_presig_stored_total", "GG20 presignatures stored", NULL);
    s->consumed = svc_metrics_counter(m, "mpc_presig_consumed_total", "GG20 presignatures consumed for signing", NULL);
    for (ps_status st = PS_USED; st <= PS_STORAGE; st++) {
        char labels[64];
        snprintf(labels, sizeof labels, "reason=\"%s\"", ps_status_name(st));
        s->refused[st] = svc_metrics_counter(m, "mpc_presig_refused_total",
                                             "Presignatures a session asked for that were not used", labels);
    }
    /* Bytes of presignatures already consumed (a crash between the ledger
     * marker and the deletion) are deleted now. */
    char **names = NULL;
    size_t n = 0;
    if (mpc_vault_list(s->vault, "", &names, &n, &e) != MPC_SECURE_OK) {
        snprintf(err, errlen, "cannot list the presignature store: %.200s", e.message);
        ps_store_close(s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char id[MPC_LEDGER_ID_MAX + 1];
        if (marker(id, names[i]) == 0 && mpc_ledger_check(ledger, id, &e) == MPC_SECURE_ERR_CONSUMED) {
            if (mpc_vault_remove(s->vault, names[i], &e) != MPC_SECURE_OK)
                svc_log(SVC_LOG_ERROR, "cannot delete a consumed presignature", "{s:s,s:s}", "presig_id", names[i],
                        "error", e.message);
            else
                svc_log(SVC_LOG_WARN, "deleted a presignature consumed before a crash", "{s:s}", "presig_id",
                        names[i]);
            continue;
        }
        count_ready(s, +1);
    }
    mpc_vault_names_free(names, n);
    svc_gauge_set(s->ready_g, (double)s->ready);
    return s;
}

void ps_store_close(ps_store *s) {
    if (s == NULL) return;
    mpc_vault_names_free(s->seen, s->nseen);
    free(s->seen_ms);
    mpc_vault_close(s->vault);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

size_t ps_store_ready(ps_store *s) {
    pthread_mutex_lock(&s->lock);
    size_t n = s->ready;
    pthread_mutex_unlock(&s->lock);
    return n;
}

ps_status ps_store_put(ps_store *s, const mpc_engine_ctx *ctx, const char *id, const char *key_id,
                       const gg20_presig *ps, char *why, size_t whylen) {
    char mark[MPC_LEDGER_ID_MAX + 1];
    size_t klen = strlen(key_id);
    mpc_secure_error e;
    if (marker(mark, id) != 0 || klen == 0 || klen > 255) {
        snprintf(why, whylen, "invalid presignature or key id");
        return PS_STORAGE;
    }
    if (mpc_ledger_check(s->ledger, mark, &e) != MPC_SECURE_OK) {
        snprintf(why, whylen, "presignature %.120s: %.150s", id, e.message);
        return e.code == MPC_SECURE_ERR_CONSUMED ? PS_USED : PS_STORAGE;
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (gg20_presig_serialize(ctx, ps, &bytes, &len) != MPC_OK) {
        snprintf(why, whylen, "cannot encode presignature %.120s", id);
        return PS_STORAGE;
    }
    size_t total = 2 + klen + len;
    unsigned char *rec = malloc(total);
    ps_status st = PS_STORAGE;
    if (rec == NULL) {
        snprintf(why, whylen, "out of memory");
    } else {
        rec[0] = RECORD_VERSION;
        rec[1] = (unsigned char)klen;
        memcpy(rec + 2, key_id, klen);
        memcpy(rec + 2 + klen, bytes, len);
        int rc = mpc_vault_put(s->vault, id, rec, total, &e);
        if (rc == MPC_SECURE_OK) {
            st = PS_OK;
            count_ready(s, +1);
            svc_counter_add(s->stored, 1);
        } else {
            st = rc == MPC_SECURE_ERR_EXISTS ? PS_USED : PS_STORAGE;
            snprintf(why, whylen, "cannot store presignature %.120s: %.150s", id, e.message);
        }
        mpc_secure_free_secret(rec, total);
    }
    mpc_secure_free_secret(bytes, len);
    return st;
}

ps_status ps_store_consume(ps_store *s, const mpc_engine_ctx *ctx, const char *id, const char *key_id,
                           const uint16_t *signers, size_t n, gg20_presig **out, char *why, size_t whylen) {
    *out = NULL;
    char mark[MPC_LEDGER_ID_MAX + 1];
    mpc_secure_error e;
    if (marker(mark, id) != 0) {
        snprintf(why, whylen, "invalid presignature id");
        refuse(s, PS_MISSING);
        return PS_MISSING;
    }
    /* 1. The durable "consumed" marker comes first. */
    int rc = mpc_ledger_consume(s->ledger, mark, &e);
    if (rc != MPC_SECURE_OK) {
        ps_status st = rc == MPC_SECURE_ERR_CONSUMED ? PS_USED : PS_STORAGE;
        snprintf(why, whylen, "presignature %.120s %s: %.150s", id,
                 st == PS_USED ? "was already used" : "cannot be marked consumed", e.message);
        refuse(s, st);
        /* Bytes of a consumed presignature must not survive either. */
        if (st == PS_USED && mpc_vault_remove(s->vault, id, &e) == MPC_SECURE_OK) count_ready(s, -1);
        return st;
    }
    /* 2. Its bytes leave the disk before anything signs with them. */
    unsigned char *rec = NULL;
    size_t len = 0;
    rc = mpc_vault_take(s->vault, id, &rec, &len, &e);
    if (rc != MPC_SECURE_OK) {
        ps_status st = rc == MPC_SECURE_ERR_NOT_FOUND ? PS_MISSING : PS_STORAGE;
        snprintf(why, whylen, "presignature %.120s: %.150s", id, e.message);
        refuse(s, st);
        return st;
    }
    count_ready(s, -1);
    ps_status st = PS_MISMATCH;
    gg20_presig *ps = NULL;
    size_t klen = len >= 2 ? rec[1] : 0;
    if (len < 2 || rec[0] != RECORD_VERSION || len < 2 + klen || klen != strlen(key_id) ||
        memcmp(rec + 2, key_id, klen) != 0) {
        snprintf(why, whylen, "presignature %.120s belongs to another key", id);
    } else if (gg20_presig_parse(ctx, &ps, rec + 2 + klen, len - 2 - klen) != MPC_OK) {
        snprintf(why, whylen, "presignature %.120s does not parse", id);
        st = PS_STORAGE;
    } else {
        unsigned char R[33], Y[33];
        uint16_t ids[GG_MAX_PARTIES];
        size_t nids = 0;
        int same = gg20_presig_public(ctx, ps, R, Y, ids, &nids) == MPC_OK && nids == n;
        for (size_t i = 0; same && i < n; i++) same = ids[i] == signers[i];
        if (same) st = PS_OK;
        else snprintf(why, whylen, "presignature %.120s was made for another signer set", id);
    }
    mpc_secure_free_secret(rec, len);
    if (st != PS_OK) {
        gg20_presig_free(ps);
        refuse(s, st);
        return st;
    }
    svc_counter_add(s->consumed, 1);
    *out = ps;
    return PS_OK;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int ps_store_aged(ps_store *s, int64_t now_ms, int64_t min_age_ms, size_t max, char ***ids, size_t *n, char *why,
                  size_t whylen) {
    *ids = NULL;
    *n = 0;
    char **names = NULL;
    size_t count = 0;
    mpc_secure_error e;
    if (mpc_vault_list(s->vault, "", &names, &count, &e) != MPC_SECURE_OK) {
        snprintf(why, whylen, "cannot list the presignature store: %.200s", e.message);
        return -1;
    }
    size_t cap = count < max ? count : max;
    int64_t *ms = malloc((count ? count : 1) * sizeof *ms);
    char **out = malloc((cap ? cap : 1) * sizeof *out);
    if (ms == NULL || out == NULL) {
        free(ms);
        free(out);
        mpc_vault_names_free(names, count);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    if (count > 1) qsort(names, count, sizeof *names, by_name);
    size_t nout = 0;
    for (size_t i = 0; i < count; i++) {
        char **old = s->nseen ? bsearch(&names[i], s->seen, s->nseen, sizeof *s->seen, by_name) : NULL;
        ms[i] = old ? s->seen_ms[old - s->seen] : now_ms;
        if (nout < max && now_ms - ms[i] >= min_age_ms && (out[nout] = strdup(names[i])) != NULL) nout++;
    }
    /* What is no longer listed is forgotten: the table is this listing. */
    mpc_vault_names_free(s->seen, s->nseen);
    free(s->seen_ms);
    s->seen = names;
    s->seen_ms = ms;
    s->nseen = count;
    *ids = out;
    *n = nout;
    return 0;
}

ps_status ps_store_discard(ps_store *s, const char *id, char *why, size_t whylen) {
    char mark[MPC_LEDGER_ID_MAX + 1];
    mpc_secure_error e;
    if (marker(mark, id) != 0) {
        snprintf(why, whylen, "invalid presignature id");
        return PS_STORAGE;
    }
    /* The marker first, as for a consumption: whatever happens next, this
     * presignature is never used. */
    int rc = mpc_ledger_consume(s->ledger, mark, &e);
    if (rc != MPC_SECURE_OK) {
        snprintf(why, whylen, "presignature %.120s: %.150s", id, e.message);
        return rc == MPC_SECURE_ERR_CONSUMED ? PS_USED : PS_STORAGE;
    }
    rc = mpc_vault_remove(s->vault, id, &e);
    if (rc != MPC_SECURE_OK) {
        snprintf(why, whylen, "presignature %.120s: %.150s", id, e.message);
        return rc == MPC_SECURE_ERR_NOT_FOUND ? PS_MISSING : PS_STORAGE;
    }
    count_ready(s, -1);
    return PS_OK;
}
