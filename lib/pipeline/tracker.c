/* tracker.c - coordinator session tracker; see tracker.h. */
#include "pipeline/tracker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/frost.h"
#include "engine/point.h"
#include "pipeline/ecdsa_sig.h"

struct pl_tracker {
    const mpc_engine_ctx *ctx;
    pl_session desc;
    int has_key;
    mpc_point group_key;
    int64_t deadline_ms;
    pl_track_state state;
    uint8_t rounds_seen[PL_MAX_PARTIES + 1]; /* highest round seen per node id */
    uint8_t reported[PL_MAX_PARTIES + 1];    /* keygen, presign: output received */
    unsigned char *agreed;                   /* keygen: the group key; presign: every R (33 bytes each) */
    size_t agreed_len;
    unsigned char *sigs; /* signing: the winning output, owned */
    size_t sigs_len;
    const unsigned char **sig_ptr;
    size_t *sig_len;
    uint16_t decider, culprit;
    char code[64], message[200];
};

static int copy_session(pl_session *dst, const pl_session *src) {
    *dst = *src;
    dst->items = NULL;
    dst->nitems = 0;
    if (src->nitems == 0) return 0;
    dst->items = calloc(src->nitems, sizeof *dst->items);
    if (dst->items == NULL) return -1;
    for (size_t i = 0; i < src->nitems; i++) {
        dst->items[i] = src->items[i];
        dst->items[i].message = malloc(src->items[i].message_len ? src->items[i].message_len : 1);
        if (dst->items[i].message == NULL) return -1;
        if (src->items[i].message_len) memcpy(dst->items[i].message, src->items[i].message, src->items[i].message_len);
        dst->nitems = i + 1;
    }
    return 0;
}

pl_tracker *pl_tracker_new(const mpc_engine_ctx *ctx, const pl_session *desc, const unsigned char *group_key33,
                           int64_t now_ms, int64_t timeout_ms) {
    pl_tracker *t = calloc(1, sizeof *t);
    if (t == NULL) return NULL;
    t->ctx = ctx;
    t->deadline_ms = now_ms + timeout_ms;
    if (copy_session(&t->desc, desc) != 0) goto fail;
    if (desc->kind != PL_KIND_KEYGEN) {
        if (group_key33 == NULL || !mpc_point_parse(ctx, &t->group_key, group_key33)) goto fail;
        t->has_key = 1;
        t->sig_ptr = calloc(desc->nitems, sizeof *t->sig_ptr);
        t->sig_len = calloc(desc->nitems, sizeof *t->sig_len);
        if (t->sig_ptr == NULL || t->sig_len == NULL) goto fail;
    }
    return t;
fail:
    pl_tracker_free(t);
    return NULL;
}

void pl_tracker_free(pl_tracker *t) {
    if (t == NULL) return;
    pl_session_clear(&t->desc);
    free(t->sigs);
    free(t->agreed);
    free(t->sig_ptr);
    free(t->sig_len);
    free(t);
}

const pl_session *pl_tracker_session(const pl_tracker *t) { return &t->desc; }
pl_track_state pl_tracker_state(const pl_tracker *t) { return t->state; }

void pl_tracker_saw_round(pl_tracker *t, uint16_t from, uint8_t round) {
    if (from <= PL_MAX_PARTIES && pl_session_has(&t->desc, from) && round > t->rounds_seen[from])
        t->rounds_seen[from] = round;
}

static void fail(pl_tracker *t, const char *code, uint16_t culprit, const char *message) {
    t->state = PL_TRACK_FAILED;
    snprintf(t->code, sizeof t->code, "%s", code);
    t->culprit = culprit;
    snprintf(t->message, sizeof t->message, "%s", message);
}

/* Verifies one item's signature under the group key for the protocol. */
static int verify_item(const pl_tracker *t, const pl_item *it, const unsigned char *sig, size_t len) {
    if (strcmp(t->desc.protocol, "frost") == 0)
        return frost_verify(t->ctx, FROST_VARIANT_RFC9591, sig, len, &t->group_key, it->message, it->message_len);
    if (strcmp(t->desc.protocol, "frost-bip340") == 0)
        return frost_verify(t->ctx, FROST_VARIANT_BIP340, sig, len, &t->group_key, it->message, it->message_len);
    unsigned char digest[32];
    if (pl_is_ecdsa(t->desc.protocol) && pl_item_digest(&t->desc, it, digest) == 0)
        return pl_ecdsa_check(t->ctx, &t->group_key, digest, sig, len);
    return 0;
}

/* Keygen and presign: every participant must report the same points (the
 * group key; every presignature's R). Same return values as
 * pl_tracker_output. */
static int agree(pl_tracker *t, uint16_t from, const unsigned char *payload, size_t len) {
    if (t->reported[from]) return 0;
    size_t want = t->desc.kind == PL_KIND_KEYGEN ? 33 : 33 * t->desc.nitems;
    int ok = len == want;
    for (size_t off = 0; ok && off < len; off += 33) {
        mpc_point p;
        ok = mpc_point_parse(t->ctx, &p, payload + off);
    }
    if (!ok) {
        t->culprit = from;
        return -1;
    }
    if (t->agreed && memcmp(t->agreed, payload, len) != 0) {
        fail(t, "PROTOCOL_ABORT", 0,
             t->desc.kind == PL_KIND_KEYGEN ? "participants disagree on the generated public key"
                                            : "participants disagree on the presignatures");
        return -1;
    }
    if (t->agreed == NULL) {
        if ((t->agreed = malloc(len)) == NULL) {
            fail(t, "INTERNAL", 0, "out of memory");
            return 0;
        }
        memcpy(t->agreed, payload, len);
        t->agreed_len = len;
    }
    t->reported[from] = 1;
    size_t n = 0;
    for (size_t i = 0; i < t->desc.nparticipants; i++) n += t->reported[t->desc.participants[i]];
    if (n == t->desc.nparticipants) t->state = PL_TRACK_SUCCEEDED;
    return 1;
}

int pl_tracker_output(pl_tracker *t, uint16_t from, const unsigned char *payload, size_t len) {
    if (t->state != PL_TRACK_RUNNING || from > PL_MAX_PARTIES || !pl_session_has(&t->desc, from)) return 0;
    if (t->desc.kind != PL_KIND_SIGN) return agree(t, from, payload, len);
    if (pl_sigs_decode(payload, len, t->desc.nitems, t->sig_ptr, t->sig_len) != 0) {
        t->culprit = from;
        return -1;
    }
    for (size_t i = 0; i < t->desc.nitems; i++) {
        if (!verify_item(t, &t->desc.items[i], t->sig_ptr[i], t->sig_len[i])) {
            t->culprit = from;
            return -1;
        }
    }
    /* Keep our own copy; re-point the signatures into it. */
    t->sigs = malloc(len);
    if (t->sigs == NULL) {
        fail(t, "INTERNAL", 0, "out of memory");
        return 0;
    }
    memcpy(t->sigs, payload, len);
    t->sigs_len = len;
    if (pl_sigs_decode(t->sigs, len, t->desc.nitems, t->sig_ptr, t->sig_len) != 0) return -1;
    t->decider = from;
    t->state = PL_TRACK_SUCCEEDED;
    return 1;
}

void pl_tracker_abort(pl_tracker *t, uint16_t from, const char *code, uint16_t culprit) {
    if (t->state != PL_TRACK_RUNNING || from > PL_MAX_PARTIES || !pl_session_has(&t->desc, from)) return;
    char msg[200];
    if (culprit) snprintf(msg, sizeof msg, "node %u aborted the session (%.63s): node %u misbehaved", from, code, culprit);
    else snprintf(msg, sizeof msg, "node %u aborted the session (%.63s)", from, code);
    fail(t, "PROTOCOL_ABORT", culprit, msg);
    snprintf(t->code, sizeof t->code, "%s", strcmp(code, "RESTARTED") == 0 ? "PARTICIPANT_RESTARTED" : "PROTOCOL_ABORT");
}

void pl_tracker_cancel(pl_tracker *t) {
    if (t->state == PL_TRACK_RUNNING) fail(t, "CANCELLED", 0, "cancelled on request");
}

size_t pl_tracker_silent(const pl_tracker *t, uint16_t *out) {
    uint8_t furthest = 0;
    for (size_t i = 0; i < t->desc.nparticipants; i++)
        if (t->rounds_seen[t->desc.participants[i]] > furthest) furthest = t->rounds_seen[t->desc.participants[i]];
    size_t n = 0;
    for (size_t i = 0; i < t->desc.nparticipants; i++) {
        uint16_t id = t->desc.participants[i];
        /* Behind the others, or nobody got anywhere: everyone is suspect. */
        if (t->rounds_seen[id] < furthest || furthest == 0) out[n++] = id;
    }
    return n;
}

pl_track_state pl_tracker_tick(pl_tracker *t, int64_t now_ms) {
    if (t->state == PL_TRACK_RUNNING && now_ms >= t->deadline_ms) {
        uint16_t silent[PL_MAX_PARTIES];
        size_t n = pl_tracker_silent(t, silent);
        char msg[200];
        int off = snprintf(msg, sizeof msg, "session timed out; silent participants:");
        for (size_t i = 0; i < n && off < (int)sizeof msg - 8; i++) off += snprintf(msg + off, sizeof msg - (size_t)off, " %u", silent[i]);
        fail(t, "PARTICIPANT_TIMEOUT", n == 1 ? silent[0] : 0, msg);
    }
    return t->state;
}

const unsigned char *pl_tracker_signature(const pl_tracker *t, size_t item, size_t *len) {
    if (t->state != PL_TRACK_SUCCEEDED || t->desc.kind != PL_KIND_SIGN || item >= t->desc.nitems) return NULL;
    *len = t->sig_len[item];
    return t->sig_ptr[item];
}

const unsigned char *pl_tracker_group_key(const pl_tracker *t) {
    return t->state == PL_TRACK_SUCCEEDED && t->desc.kind == PL_KIND_KEYGEN ? t->agreed : NULL;
}

const unsigned char *pl_tracker_presig_points(const pl_tracker *t) {
    return t->state == PL_TRACK_SUCCEEDED && t->desc.kind == PL_KIND_PRESIGN ? t->agreed : NULL;
}

uint16_t pl_tracker_decider(const pl_tracker *t) { return t->decider; }
const char *pl_tracker_error_code(const pl_tracker *t) { return t->code; }
uint16_t pl_tracker_culprit(const pl_tracker *t) { return t->culprit; }
const char *pl_tracker_error_message(const pl_tracker *t) { return t->message; }
