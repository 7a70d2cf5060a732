/* rounds.c - sealing, opening and filtering round messages; see rounds.h. */
#include "rounds/rounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secure/envelope.h"
#include "secure/identity.h"
#include "secure/replay.h"
#include "secure/roster.h"
#include "svc/clock.h"
#include "svc/log.h"

struct rounds_node {
    const mpc_engine_ctx *ctx;
    mpc_identity *me;
    mpc_roster *roster;
    mpc_envelope_ctx *env;
    mpc_replay_filter *replay;
    int node_id;
    int64_t seq;
    svc_metrics *metrics;
    svc_metric *sent, *accepted;
};

rounds_node *rounds_node_new(const mpc_engine_ctx *ctx, const char *identity_file, const char *roster_file,
                             int node_id, svc_metrics *metrics, char *err, size_t errlen) {
    rounds_node *n = calloc(1, sizeof *n);
    if (n == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    n->ctx = ctx;
    n->node_id = node_id;
    n->metrics = metrics;
    /* Sequence numbers start at the clock in microseconds, so a restarted
     * node never reuses one it sent before (replay filters remember seq). */
    n->seq = svc_wall_ms() * 1000;
    mpc_secure_error e;
    if (mpc_identity_load(ctx, &n->me, identity_file, &e) != MPC_SECURE_OK) {
        snprintf(err, errlen, "identity key %s: %s", identity_file, e.message);
        goto fail;
    }
    if (mpc_roster_load(ctx, &n->roster, roster_file, &e) != MPC_SECURE_OK) {
        snprintf(err, errlen, "roster: %s", e.message);
        goto fail;
    }
    if (mpc_envelope_ctx_new(&n->env, ctx, n->me, n->roster, node_id, &e) != MPC_SECURE_OK) {
        snprintf(err, errlen, "node %d: %s", node_id, e.message);
        goto fail;
    }
    n->replay = mpc_replay_filter_new(4096, 100000, 10 * 60 * 1000);
    if (n->replay == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    n->sent = svc_metrics_counter(metrics, "mpc_rounds_sent_total", "Round messages sent", NULL);
    n->accepted = svc_metrics_counter(metrics, "mpc_rounds_accepted_total", "Round messages accepted", NULL);
    return n;
fail:
    rounds_node_free(n);
    return NULL;
}

void rounds_node_free(rounds_node *n) {
    if (n == NULL) return;
    mpc_replay_filter_free(n->replay);
    mpc_envelope_ctx_free(n->env);
    mpc_roster_free(n->roster);
    mpc_identity_free(n->me);
    free(n);
}

int rounds_node_id(const rounds_node *n) { return n->node_id; }

int rounds_is_participant(const rounds_node *n, int id) {
    return id >= 1 && mpc_roster_find(n->roster, id) != NULL;
}

int rounds_send(rounds_node *n, svc_kafka *k, const char *session_id, const char *protocol, int round, int to,
                const char *kind, const unsigned char *payload, size_t len, char *err, size_t errlen) {
    mpc_round_message in = {
        .session_id = (char *)session_id,
        .protocol = (char *)protocol,
        .round = round,
        .from = n->node_id,
        .to = to,
        .seq = ++n->seq,
        .kind = (char *)kind,
        .payload = {(uint8_t *)(payload ? payload : (const unsigned char *)""), len},
        .sent_at = svc_wall_ms(),
    };
    mpc_round_message sealed;
    mpc_secure_error e;
    if (mpc_envelope_seal(n->env, &sealed, &in, &e) != MPC_SECURE_OK) {
        snprintf(err, errlen, "seal: %s", e.message);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t blen = 0;
    int rc = -1;
    if (mpc_codec_encode_round_message(&sealed, &buf, &blen) != MPC_CODEC_OK) {
        snprintf(err, errlen, "encode: %s", mpc_codec_last_error()->message);
    } else if (svc_kafka_produce(k, ROUNDS_TOPIC, session_id, strlen(session_id), buf, blen, err, errlen) == 0) {
        svc_counter_add(n->sent, 1);
        rc = 0;
    }
    free(buf);
    mpc_envelope_message_free(&sealed);
    return rc;
}

static rounds_outcome reject(rounds_node *n, const char *code, int blame, const char *detail,
                             const mpc_round_message *m, const char **reason_code, int *out_blame) {
    char label[96];
    snprintf(label, sizeof label, "reason=\"%s\"", code);
    svc_counter_add(svc_metrics_counter(n->metrics, "mpc_rounds_rejected_total", "Round messages rejected", label), 1);
    svc_log(SVC_LOG_WARN, "round message rejected", "{s:s,s:s,s:s?,s:i,s:i}", "reason_code", code, "detail", detail,
            "session_id", m ? m->session_id : NULL, "from", m ? m->from : -1, "blame", blame);
    *reason_code = code;
    *out_blame = blame;
    return ROUNDS_REJECT;
}

rounds_outcome rounds_receive(rounds_node *n, const void *bytes, size_t len, int64_t now_ms, rounds_in *out,
                              const char **reason_code, int *blame) {
    memset(out, 0, sizeof *out);
    *reason_code = NULL;
    *blame = -1;
    mpc_round_message m;
    mpc_codec_error ce;
    if (mpc_codec_decode_round_message(bytes, len, &m, &ce) != MPC_CODEC_OK)
        return reject(n, mpc_codec_status_name(ce.code), -1, ce.message, NULL, reason_code, blame);
    if (m.from == n->node_id) {
        mpc_codec_free_round_message(&m);
        return ROUNDS_IGNORE;
    }
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    mpc_secure_error e;
    int st = mpc_envelope_open(n->env, &plain, &plain_len, &m, &e);
    /* The signature verified for these: the replay filter may see them. */
    int signed_ok = st == MPC_SECURE_OK || st == MPC_SECURE_ERR_NOT_FOR_ME || st == MPC_SECURE_ERR_DECRYPT;
    rounds_outcome result = ROUNDS_ACCEPT;
    if (signed_ok) {
        mpc_secure_error re;
        int rs = mpc_replay_filter_check(n->replay, &m, now_ms, &re);
        if (rs == MPC_SECURE_ERR_DUPLICATE) {
            result = ROUNDS_IGNORE;
        } else if (rs == MPC_SECURE_ERR_EQUIVOCATION) {
            result = reject(n, "equivocation", m.from, re.message, &m, reason_code, blame);
        } else if (rs != MPC_SECURE_OK) {
            result = reject(n, mpc_secure_status_name(rs), -1, re.message, &m, reason_code, blame);
        }
    }
    if (result == ROUNDS_ACCEPT) {
        if (st == MPC_SECURE_ERR_NOT_FOR_ME) result = ROUNDS_IGNORE;
        else if (st == MPC_SECURE_ERR_DECRYPT)
            result = reject(n, "decrypt_failed", m.from, e.message, &m, reason_code, blame);
        else if (st != MPC_SECURE_OK)
            result = reject(n, mpc_secure_status_name(st), -1, e.message, &m, reason_code, blame);
    }
    if (result != ROUNDS_ACCEPT) {
        if (plain) mpc_secure_free_secret(plain, plain_len);
        mpc_codec_free_round_message(&m);
        return result;
    }
    svc_counter_add(n->accepted, 1);
    out->msg = m;
    out->plain = plain;
    out->plain_len = plain_len;
    return ROUNDS_ACCEPT;
}

void rounds_in_free(rounds_in *in) {
    if (in->plain) mpc_secure_free_secret(in->plain, in->plain_len);
    mpc_codec_free_round_message(&in->msg);
    memset(in, 0, sizeof *in);
}

void rounds_release(rounds_node *n, const char *session_id) {
    mpc_replay_filter_release(n->replay, session_id);
}
