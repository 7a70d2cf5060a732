/* gg.c - the participant's GG18/GG20 sessions; see gg.h. */
#include "gg.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gg18.h"
#include "engine/gg20.h"
#include "engine/gg_keygen.h"
#include "node_share.h"
#include "paillier_pool.h"
#include "pipeline/ecdsa_sig.h"
#include "presig_store.h"
#include "svc/log.h"
#ifdef MPC_PARTICIPANT_CHEATER
#include "cheat.h" /* TEST ONLY: mpc-participant-cheater */
#endif

#define MAX_HELD 64 /* online bundles held back while presigning */

struct gg_node {
    const mpc_engine_ctx *ctx;
    mpc_share_store *shares;
    int self;
    int64_t timeout_ms;
    pp_pool *paillier;
    ps_store *presigs;
};

typedef struct {
    unsigned char *bytes;
    size_t len;
    uint16_t from;
} held_bundle;

struct gg_run {
    gg_keypkg kp; /* borrowed by the parties: freed after them */
    int has_kp;
    int presigning_inline; /* gg20 sign without pooled presignatures, phase 1 */
    int round_base;        /* GG20_PRESIGN_ROUNDS once an inline session went online */
    unsigned char (*digests)[32];
    size_t n;
    held_bundle held[MAX_HELD];
    size_t nheld;
};

int gg_handles(const char *protocol) { return pl_is_ecdsa(protocol); }

int64_t gg_node_timeout_ms(const gg_node *g) { return g->timeout_ms; }

ps_store *gg_node_presigs(gg_node *g) { return g->presigs; }

int gg_run_round_base(const gg_run *r) { return r ? r->round_base : 0; }

#ifdef MPC_PARTICIPANT_CHEATER
const gg_keypkg *gg_run_keypkg(const gg_run *r) { return r && r->has_kp ? &r->kp : NULL; } /* TEST ONLY (cheat.h) */
#endif

/* `<dirname of node.share_dir>/<leaf>` when the setting is empty. */
static void node_path(char *out, size_t outlen, const char *setting, const char *share_dir, const char *leaf) {
    if (setting[0]) {
        snprintf(out, outlen, "%s", setting);
        return;
    }
    size_t n = strlen(share_dir);
    while (n > 1 && share_dir[n - 1] == '/') n--;
    while (n > 0 && share_dir[n - 1] != '/') n--;
    if (n == 0) snprintf(out, outlen, "%s", leaf);
    else snprintf(out, outlen, "%.*s%s", (int)n, share_dir, leaf);
}

gg_node *gg_node_new(const gg_node_deps *d, char *err, size_t errlen) {
    gg_node *g = calloc(1, sizeof *g);
    if (g == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->ctx = d->ctx;
    g->shares = d->shares;
    g->self = d->self;
    g->timeout_ms = svc_config_int(d->config, "session.gg_timeout_ms");
    const char *share_dir = svc_config_str(d->config, "node.share_dir");
    const char *master = svc_config_str(d->config, "node.master_key_file");
    char pool_dir[1024], presig_dir[1024];
    node_path(pool_dir, sizeof pool_dir, svc_config_str(d->config, "paillier.pool_dir"), share_dir, "paillier");
    node_path(presig_dir, sizeof presig_dir, svc_config_str(d->config, "presign.dir"), share_dir, "presig");
    pp_config pc = {.dir = pool_dir,
                    .master_key_file = master,
                    .node_id = d->self,
                    .target = svc_config_int(d->config, "paillier.pool_size"),
                    .refill = svc_config_bool(d->config, "paillier.refill"),
                    .pause_ms = svc_config_int(d->config, "paillier.refill_pause_ms")};
    if ((g->paillier = pp_pool_start(&pc, d->metrics, err, errlen)) == NULL ||
        (g->presigs = ps_store_open(presig_dir, master, d->self, d->ledger, d->metrics, err, errlen)) == NULL) {
        gg_node_free(g);
        return NULL;
    }
    svc_log(SVC_LOG_INFO, "GG pools open", "{s:s,s:i,s:I,s:s,s:i}", "paillier_dir", pool_dir, "paillier_ready",
            (int)pp_pool_ready(g->paillier), "paillier_target", (json_int_t)pc.target, "presig_dir", presig_dir, "presignatures",
            (int)ps_store_ready(g->presigs));
    return g;
}

void gg_node_free(gg_node *g) {
    if (g == NULL) return;
    pp_pool_stop(g->paillier);
    ps_store_close(g->presigs);
    free(g);
}

void gg_run_free(gg_run *r) {
    if (r == NULL) return;
    if (r->has_kp) gg_keypkg_clear(&r->kp);
    if (r->digests) OPENSSL_cleanse(r->digests, r->n * sizeof *r->digests);
    free(r->digests);
    for (size_t i = 0; i < r->nheld; i++) free(r->held[i].bytes);
    free(r);
}

/* Loads and parses this node's key package of d->key_id into r->kp. */
static int load_key(gg_node *g, gg_run *r, const pl_session *d, char *why, size_t whylen) {
    unsigned char *share = NULL;
    size_t len = 0;
    mpc_share_meta meta;
    mpc_secure_error e;
    if (mpc_share_store_load(g->shares, &meta, &share, &len, d->key_id, &e) != MPC_SECURE_OK) {
        snprintf(why, whylen, "no usable share for %.64s: %.120s", d->key_id, e.message);
        return -1;
    }
    mpc_err_code rc = MPC_ERR_CONFIG;
    if (pl_is_ecdsa(meta.protocol)) rc = gg_keypkg_parse(g->ctx, &r->kp, share, len);
    mpc_secure_free_secret(share, len);
    if (rc != MPC_OK) {
        snprintf(why, whylen, "stored share of %.64s is not a GG key package: %.60s", d->key_id, mpc_err_str(rc));
        return -1;
    }
    r->has_kp = 1;
    return 0;
}

/* The engine session of an inline session's online phase. */
static void online_session_id(unsigned char out[32], const char *session_id, size_t i) {
    char id[PL_MAX_ID_LEN + 16];
    snprintf(id, sizeof id, "%s:online", session_id);
    pl_engine_session_id(out, id, (long)i);
}

static pl_batch *start_keygen(gg_node *g, const pl_session *d, const char **code, char *why, size_t whylen) {
    for (size_t i = 0; i < d->nparticipants; i++)
        if (d->participants[i] != i + 1) {
            snprintf(why, whylen, "keygen participants must be nodes 1..n");
            return NULL;
        }
    gg_keygen_config cfg = {.self = (uint16_t)g->self, .t = d->threshold, .n = d->total_nodes,
                            .paillier = pp_pool_take(g->paillier)};
    if (cfg.paillier == NULL)
        svc_log(SVC_LOG_WARN, "Paillier pool empty: generating safe primes inline (seconds)", "{s:s}", "session_id",
                d->session_id);
#ifdef MPC_PARTICIPANT_CHEATER
    cfg.paillier = cheat_paillier(g->ctx, cfg.paillier); /* TEST ONLY: may swap in a bad key (cheat.h) */
#endif
    pl_engine_session_id(cfg.session, d->session_id, -1);
    mpc_party *party = NULL;
    mpc_err_code rc = gg_keygen_new(g->ctx, &party, &cfg); /* owns cfg.paillier on every path */
    if (rc != MPC_OK) {
        *code = "CANNOT_START";
        snprintf(why, whylen, "cannot start GG key generation: %s", mpc_err_str(rc));
        return NULL;
    }
    return pl_batch_new(&party, 1);
}

/* Consumes the pooled presignature of item i and creates its online party.
 * Returns 0, or -1 with code and why set. */
static int online_party(gg_node *g, gg_run *r, const pl_session *d, size_t i, mpc_party **out, const char **code,
                        char *why, size_t whylen) {
    gg20_presig *ps = NULL;
    ps_status st = ps_store_consume(g->presigs, g->ctx, d->items[i].presig_id, d->key_id, d->participants,
                                    d->nparticipants, &ps, why, whylen);
    if (st != PS_OK) {
        *code = st == PS_USED ? "PRESIG_USED" : st == PS_STORAGE ? "STORAGE" : "PRESIG_UNAVAILABLE";
        svc_log(SVC_LOG_WARN, "presignature refused", "{s:s,s:s,s:s}", "session_id", d->session_id, "presig_id",
                d->items[i].presig_id, "reason", ps_status_name(st));
        return -1;
    }
    unsigned char sess[32];
    pl_engine_session_id(sess, d->session_id, (long)i);
    mpc_err_code rc = gg20_sign_new(g->ctx, out, sess, ps, r->digests[i]); /* wipes ps */
    gg20_presig_free(ps);
    if (rc != MPC_OK) snprintf(why, whylen, "cannot start gg20 online signing: %s", mpc_err_str(rc));
    return rc == MPC_OK ? 0 : -1;
}

pl_batch *gg_run_start(gg_node *g, const pl_session *d, gg_run **run, const char **code, char *why, size_t whylen) {
    *run = NULL;
    *code = "CANNOT_START";
    if (d->kind == PL_KIND_KEYGEN) {
        gg_run *r = calloc(1, sizeof *r);
        pl_batch *b = r ? start_keygen(g, d, code, why, whylen) : NULL;
        if (b == NULL) {
            if (r == NULL) snprintf(why, whylen, "out of memory");
            free(r);
            return NULL;
        }
        *run = r;
        return b;
    }
    gg_run *r = calloc(1, sizeof *r);
    mpc_party **parties = calloc(d->nitems, sizeof *parties);
    size_t pooled = 0, made = 0;
    for (size_t i = 0; i < d->nitems; i++) pooled += d->items[i].presig_id[0] != 0;
    if (r == NULL || parties == NULL || (r->digests = calloc(d->nitems, sizeof *r->digests)) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    r->n = d->nitems;
    if (pooled != 0 && pooled != d->nitems) {
        snprintf(why, whylen, "either every item or none names a presignature");
        goto fail;
    }
    for (size_t i = 0; d->kind == PL_KIND_SIGN && i < d->nitems; i++)
        if (pl_item_digest(d, &d->items[i], r->digests[i]) != 0) {
            snprintf(why, whylen, "items[%zu]: no digest for a raw message on chain '%.40s'", i, d->chain_type);
            goto fail;
        }
    int gg20 = strcmp(d->protocol, "gg20") == 0;
    if (d->kind == PL_KIND_PRESIGN && !gg20) {
        snprintf(why, whylen, "only gg20 presigns");
        goto fail;
    }
    if (pooled == 0 && load_key(g, r, d, why, whylen) != 0) goto fail;
    r->presigning_inline = d->kind == PL_KIND_SIGN && gg20 && pooled == 0;
    uint16_t signers[PL_MAX_PARTIES];
    for (size_t i = 0; i < d->nparticipants; i++) signers[i] = d->participants[i];
    for (; made < d->nitems; made++) {
        if (pooled) {
            if (online_party(g, r, d, made, &parties[made], code, why, whylen) != 0) goto fail;
            continue;
        }
        gg_sign_config cfg = {.kp = &r->kp, .signers = signers, .nsigners = d->nparticipants};
        pl_engine_session_id(cfg.session, d->session_id, (long)made);
        memcpy(cfg.msg32, r->digests[made], 32);
        mpc_err_code rc =
            gg20 ? gg20_presign_new(g->ctx, &parties[made], &cfg) : gg18_sign_new(g->ctx, &parties[made], &cfg);
        OPENSSL_cleanse(&cfg, sizeof cfg);
        if (rc != MPC_OK) {
            snprintf(why, whylen, "cannot start %s: %s", d->protocol, mpc_err_str(rc));
            goto fail;
        }
#ifdef MPC_PARTICIPANT_CHEATER
        cheat_party(parties[made], d); /* TEST ONLY: engine faults (cheat.h) */
#endif
    }
    pl_batch *b = pl_batch_new(parties, d->nitems); /* owns the parties, even on failure */
    free(parties);
    parties = NULL;
    made = 0;
    if (b == NULL) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    *run = r;
    return b;
fail:
    for (size_t i = 0; parties && i < made; i++) mpc_party_free(parties[i]);
    free(parties);
    gg_run_free(r);
    return NULL;
}

/* Engine protocol id of a bundle's first element (0 if unreadable). */
static int bundle_protocol(const unsigned char *b, size_t len) { return len >= 4 + 4 + 2 ? b[4 + 4 + 1] : 0; }

/* Inline GG20: every presignature exists; replace the presign parties by
 * online parties and replay what was held back. */
static mpc_err_code go_online(gg_node *g, gg_run *r, const pl_session *d, pl_batch **batch, mpc_error *err) {
    mpc_party **parties = calloc(r->n, sizeof *parties);
    size_t made = 0;
    mpc_err_code rc = parties ? MPC_OK : MPC_ERR_NOMEM;
    for (; rc == MPC_OK && made < r->n; made++) {
        gg20_presig *ps = NULL;
        rc = gg20_presign_output(pl_batch_party(*batch, made), &ps);
        if (rc == MPC_OK) {
            unsigned char sess[32];
            online_session_id(sess, d->session_id, made);
            rc = gg20_sign_new(g->ctx, &parties[made], sess, ps, r->digests[made]);
        }
        gg20_presig_free(ps);
        if (rc != MPC_OK) break;
    }
    if (rc != MPC_OK) {
        for (size_t i = 0; parties && i < made; i++) mpc_party_free(parties[i]);
        free(parties);
        *err = (mpc_error){.code = rc, .culprit = 0};
        return rc;
    }
    pl_batch *online = pl_batch_new(parties, r->n);
    free(parties);
    if (online == NULL) {
        *err = (mpc_error){.code = MPC_ERR_NOMEM, .culprit = 0};
        return MPC_ERR_NOMEM;
    }
    pl_batch_free(*batch);
    *batch = online;
    r->presigning_inline = 0;
    r->round_base = GG20_PRESIGN_ROUNDS; /* presigning used rounds 1..6 at most */
    mpc_err_code out = MPC_OK;
    for (size_t i = 0; i < r->nheld; i++) {
        mpc_error e;
        mpc_err_code c = pl_batch_handle(online, r->held[i].bytes, r->held[i].len, r->held[i].from, &e);
        if (c != MPC_OK && !mpc_err_is_rejection(c) && out == MPC_OK) {
            out = c;
            *err = e;
        }
        free(r->held[i].bytes);
    }
    r->nheld = 0;
    return out;
}

mpc_err_code gg_run_handle(gg_node *g, gg_run *r, const pl_session *d, pl_batch **batch, const unsigned char *bundle,
                           size_t len, uint16_t from, mpc_error *err) {
    if (r->presigning_inline && bundle_protocol(bundle, len) == MPC_PROTO_GG20_SIGN) {
        /* A faster signer is already online; hold its bundle until we are. */
        if (r->nheld < MAX_HELD && (r->held[r->nheld].bytes = malloc(len)) != NULL) {
            memcpy(r->held[r->nheld].bytes, bundle, len);
            r->held[r->nheld].len = len;
            r->held[r->nheld].from = from;
            r->nheld++;
        }
        return MPC_ERR_VERSION; /* a rejection: nothing changed yet */
    }
    mpc_err_code rc = pl_batch_handle(*batch, bundle, len, from, err);
    if (rc == MPC_OK && r->presigning_inline && pl_batch_status(*batch) == MPC_PARTY_DONE)
        rc = go_online(g, r, d, batch, err);
    return rc;
}

static unsigned char *keygen_output(gg_node *g, const pl_session *d, pl_batch *b, size_t *len, const char **code,
                                    char *why, size_t whylen) {
    gg_keypkg kp;
    if (gg_keygen_output(pl_batch_party(b, 0), &kp) != MPC_OK) {
        snprintf(why, whylen, "no GG keygen output");
        return NULL;
    }
    unsigned char *buf = NULL, *gk = malloc(33);
    size_t n = 0;
    if (gk == NULL || gg_keypkg_serialize(g->ctx, &kp, &buf, &n) != MPC_OK ||
        !mpc_point_serialize(g->ctx, gk, &kp.group_key)) {
        snprintf(why, whylen, "cannot encode the key package");
        free(gk);
        gk = NULL;
    } else if (node_share_put(g->shares, g->self, d, buf, n, why, whylen) != 0) {
        *code = "STORAGE";
        free(gk);
        gk = NULL;
    } else {
        *len = 33;
    }
    if (buf) mpc_secure_free_secret(buf, n);
    gg_keypkg_clear(&kp);
    return gk;
}

static unsigned char *presign_output(gg_node *g, const pl_session *d, pl_batch *b, size_t *len, const char **code,
                                     char *why, size_t whylen) {
    unsigned char *points = malloc(33 * d->nitems);
    if (points == NULL) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < d->nitems; i++) {
        gg20_presig *ps = NULL;
        unsigned char Y[33];
        uint16_t ids[GG_MAX_PARTIES];
        size_t nids;
        ps_status st = PS_STORAGE;
        if (gg20_presign_output(pl_batch_party(b, i), &ps) != MPC_OK ||
            gg20_presig_public(g->ctx, ps, points + 33 * i, Y, ids, &nids) != MPC_OK)
            snprintf(why, whylen, "no presignature for items[%zu]", i);
        else
            st = ps_store_put(g->presigs, g->ctx, d->items[i].request_id, d->key_id, ps, why, whylen);
        gg20_presig_free(ps);
        if (st != PS_OK) {
            *code = "STORAGE";
            free(points);
            return NULL;
        }
    }
    *len = 33 * d->nitems;
#ifdef MPC_PARTICIPANT_CHEATER
    cheat_presign_output(d, points, *len); /* TEST ONLY */
#endif
    return points;
}

static unsigned char *sign_output(const pl_session *d, pl_batch *b, size_t *len, char *why, size_t whylen) {
    size_t n = pl_batch_size(b);
    unsigned char(*sigs)[PL_ECDSA_SIG_BYTES] = malloc(n * sizeof *sigs);
    const unsigned char **ptrs = malloc(n * sizeof *ptrs);
    size_t *lens = malloc(n * sizeof *lens);
    int ok = sigs && ptrs && lens;
    for (size_t i = 0; ok && i < n; i++) {
        gg_signature sig = {.recid = 0};
        mpc_party *party = pl_batch_party(b, i);
        ok = (strcmp(d->protocol, "gg18") == 0 ? gg18_signature(party, &sig) : gg20_signature(party, &sig)) == MPC_OK;
        memcpy(sigs[i], sig.r, 32);
        memcpy(sigs[i] + 32, sig.s, 32);
        sigs[i][64] = (unsigned char)sig.recid;
        ptrs[i] = sigs[i];
        lens[i] = PL_ECDSA_SIG_BYTES;
    }
    unsigned char *out = ok ? pl_sigs_encode(ptrs, lens, n, len) : NULL;
    if (out == NULL) snprintf(why, whylen, "cannot assemble signatures");
    free(sigs);
    free(ptrs);
    free(lens);
    return out;
}

unsigned char *gg_run_output(gg_node *g, gg_run *r, const pl_session *d, pl_batch *b, size_t *len, const char **code,
                             char *why, size_t whylen) {
    *code = "INTERNAL";
    *len = 0;
    if (d->kind == PL_KIND_KEYGEN) return keygen_output(g, d, b, len, code, why, whylen);
    if (d->kind == PL_KIND_PRESIGN) return presign_output(g, d, b, len, code, why, whylen);
    if (r->presigning_inline) {
        snprintf(why, whylen, "session ended while presigning");
        return NULL;
    }
    return sign_output(d, b, len, why, whylen);
}
