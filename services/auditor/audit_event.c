/* audit_event.c - Kafka record -> audit event (columns + details JSON).
 *
 * The record is decoded into its C struct (lib/codec), ids are taken from
 * the struct, and the details are the codec's JSON view of the struct with
 * opaque bytes replaced before rendering: a round message's payload and a
 * dead letter's original value become "<field>_len" and "<field>_sha256".
 * A dead letter's original value is itself mapped (one level deep) so the
 * rejected request's ids land in the columns, where queries find them.
 */
#include "audit_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_chain.h"
#include "codec/avro_codec.h"

/* Topic each record type is expected on; a record elsewhere is still
 * audited, with "unexpected_topic": true in its details. */
static const char *expected_topic(mpc_record_type t) {
    switch (t) {
    case MPC_RECORD_KEYGEN_REQUEST: return "mpc.keygen.requests";
    case MPC_RECORD_SIGN_REQUEST: return "mpc.sign.requests";
    case MPC_RECORD_ROUND_MESSAGE: return "mpc.rounds";
    case MPC_RECORD_RESULT: return "mpc.results";
    case MPC_RECORD_NODE_HEARTBEAT: return "mpc.nodes";
    case MPC_RECORD_DEAD_LETTER: return "mpc.dlq";
    default: return "";
    }
}

void audit_event_free(audit_event *ev) {
    if (ev == NULL) return;
    char **strs[] = {&ev->event_type, &ev->client_id, &ev->request_id, &ev->key_id, &ev->session_id,
                     &ev->node_id,    &ev->operation, &ev->result,     &ev->hb_sender, &ev->hb_status};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) free(*strs[i]);
    json_decref(ev->details);
    memset(ev, 0, sizeof *ev);
}

/* Duplicates s (NULL stays NULL); sets *oom on failure. */
static char *dup_or_null(const char *s, int *oom) {
    if (s == NULL) return NULL;
    char *d = strdup(s);
    if (d == NULL) *oom = 1;
    return d;
}

static char *dup_int(int64_t v, int *oom) {
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)v);
    return dup_or_null(num, oom);
}

/* details[name_len] and details[name_sha256] for opaque bytes. */
static int put_digest(json_t *obj, const char *name, const uint8_t *data, size_t len) {
    uint8_t h[AUDIT_HASH_LEN];
    char hex[2 * AUDIT_HASH_LEN + 1], k[64];
    if (audit_sha256(data, len, h) != 0) return -1;
    audit_hex(h, sizeof h, hex);
    snprintf(k, sizeof k, "%s_len", name);
    if (json_object_set_new(obj, k, json_integer((json_int_t)len)) != 0) return -1;
    snprintf(k, sizeof k, "%s_sha256", name);
    return json_object_set_new(obj, k, json_string(hex));
}

/* The Kafka key as text when it is short printable ASCII (ids are), else
 * only its length and hash. */
static int put_kafka(json_t *details, const audit_source *src) {
    json_t *k = json_object();
    if (k == NULL || json_object_set_new(details, "kafka", k) != 0) return -1;
    if (src->timestamp_ms >= 0 && json_object_set_new(k, "timestamp_ms", json_integer(src->timestamp_ms)) != 0)
        return -1;
    if (src->key == NULL) return json_object_set_new(k, "key", json_null());
    const unsigned char *p = src->key;
    int printable = src->key_len <= 256;
    for (size_t i = 0; printable && i < src->key_len; i++) printable = p[i] >= 0x20 && p[i] < 0x7f;
    if (printable) return json_object_set_new(k, "key", json_stringn((const char *)p, src->key_len));
    return put_digest(k, "key", p, src->key_len);
}

/* Fills ev's columns from a decoded record; `rec_json` is its JSON view,
 * already scrubbed of opaque bytes. Returns 0 or -1 (out of memory). */
static int fill_columns(mpc_record_type t, const mpc_any_record *r, json_t *rec_json, audit_event *ev) {
    int oom = 0;
    switch (t) {
    case MPC_RECORD_KEYGEN_REQUEST: {
        const mpc_keygen_request *k = &r->keygen_request;
        char key_id[29];
        ev->event_type = dup_or_null("keygen_requested", &oom);
        ev->operation = dup_or_null("keygen", &oom);
        ev->result = dup_or_null("requested", &oom);
        ev->request_id = dup_or_null(k->request_id, &oom);
        ev->client_id = dup_or_null(k->client_id, &oom);
        if (audit_derive_key_id(k->request_id, key_id) == 0) ev->key_id = dup_or_null(key_id, &oom);
        break;
    }
    case MPC_RECORD_SIGN_REQUEST: {
        const mpc_sign_request *s = &r->sign_request;
        ev->event_type = dup_or_null("sign_requested", &oom);
        ev->operation = dup_or_null("sign", &oom);
        ev->result = dup_or_null("requested", &oom);
        ev->request_id = dup_or_null(s->request_id, &oom);
        ev->key_id = dup_or_null(s->key_id, &oom);
        ev->client_id = dup_or_null(s->client_id, &oom);
        break;
    }
    case MPC_RECORD_ROUND_MESSAGE: {
        const mpc_round_message *m = &r->round_message;
        ev->event_type = dup_or_null("round_message", &oom);
        ev->operation = dup_or_null(m->kind, &oom);
        ev->result = dup_or_null(m->encrypted ? "sent_encrypted" : "sent", &oom);
        ev->session_id = dup_or_null(m->session_id, &oom);
        ev->node_id = dup_int(m->from, &oom);
        json_t *desc = json_object_get(rec_json, "payload_json");
        const char *key_id = json_string_value(json_object_get(desc, "key_id"));
        if (key_id && strcmp(m->kind, "session_start") == 0) ev->key_id = dup_or_null(key_id, &oom);
        break;
    }
    case MPC_RECORD_RESULT: {
        const mpc_result *x = &r->result;
        char type[64];
        snprintf(type, sizeof type, "result_%s", x->status);
        ev->event_type = dup_or_null(type, &oom);
        ev->operation = dup_or_null(x->kind, &oom);
        ev->result = dup_or_null(x->status, &oom);
        ev->request_id = dup_or_null(x->request_id, &oom);
        ev->key_id = dup_or_null(x->key_id, &oom);
        ev->session_id = dup_or_null(x->session_id, &oom);
        break;
    }
    case MPC_RECORD_NODE_HEARTBEAT: {
        const mpc_node_heartbeat *h = &r->node_heartbeat;
        char sender[320];
        snprintf(sender, sizeof sender, "%s/%d/%s", h->service, h->node_id, h->instance);
        ev->event_type = dup_or_null("node_heartbeat", &oom);
        ev->operation = dup_or_null("heartbeat", &oom);
        ev->result = dup_or_null(h->status, &oom);
        ev->node_id = dup_int(h->node_id, &oom);
        ev->hb_sender = dup_or_null(sender, &oom);
        ev->hb_status = dup_or_null(h->status, &oom);
        ev->hb_sent_at = h->sent_at;
        break;
    }
    case MPC_RECORD_DEAD_LETTER: {
        const mpc_dead_letter *d = &r->dead_letter;
        ev->event_type = dup_or_null("dead_letter", &oom);
        ev->operation = dup_or_null("reject", &oom);
        ev->result = dup_or_null(d->reason_code, &oom);
        break;
    }
    default:
        return -1;
    }
    return oom ? -1 : 0;
}

/* A round message's payload as JSON when it is a plaintext session
 * description or abort notice (no secrets by contract), else NULL. */
static json_t *plain_payload_json(const mpc_round_message *m) {
    if (m->encrypted || m->payload.len == 0 || m->payload.len > 256 * 1024) return NULL;
    if (strcmp(m->kind, "session_start") != 0 && strcmp(m->kind, "abort") != 0) return NULL;
    json_error_t e;
    json_t *v = json_loadb((const char *)m->payload.data, m->payload.len, 0, &e);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* The JSON view of a decoded record with opaque bytes replaced by digests.
 * Returns a new object or NULL (out of memory). */
static json_t *scrubbed_json(mpc_record_type t, mpc_any_record *r) {
    mpc_bytes *hide = NULL;
    const char *name = NULL;
    if (t == MPC_RECORD_ROUND_MESSAGE) hide = &r->round_message.payload, name = "payload";
    if (t == MPC_RECORD_DEAD_LETTER) hide = &r->dead_letter.original_value, name = "original_value";
    size_t saved = hide ? hide->len : 0;
    if (hide) hide->len = 0; /* render it empty, then replace */
    char *text = NULL;
    int st = mpc_codec_record_to_json(t, r, &text);
    if (hide) hide->len = saved;
    if (st != MPC_CODEC_OK) return NULL;
    json_error_t e;
    json_t *obj = json_loads(text, 0, &e);
    free(text);
    if (obj == NULL) return NULL;
    if (hide) {
        json_object_del(obj, name);
        if (put_digest(obj, name, hide->data, hide->len) != 0) goto fail;
    }
    if (t == MPC_RECORD_ROUND_MESSAGE) {
        json_t *p = plain_payload_json(&r->round_message);
        if (p && json_object_set_new(obj, "payload_json", p) != 0) goto fail;
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

/* The body of audit_event_from_record, `depth` 1 for a dead letter's
 * original value (which is not unpacked further). */
static int map_value(const audit_source *src, const uint8_t *value, size_t len, int depth, audit_event *ev) {
    memset(ev, 0, sizeof *ev);
    ev->details = json_object();
    if (ev->details == NULL) return -1;
    mpc_record_type t = MPC_RECORD_UNKNOWN;
    mpc_any_record rec;
    mpc_codec_error cerr = {0};
    int st = mpc_codec_decode(value, len, &t, &rec, &cerr);
    int rc = -1;
    if (st != MPC_CODEC_OK) {
        int oom = 0;
        json_t *e = json_pack("{s:s,s:s,s:s}", "code", mpc_codec_status_name(st), "field", cerr.field, "message",
                              cerr.message);
        ev->event_type = dup_or_null("undecodable", &oom);
        ev->operation = dup_or_null("decode", &oom);
        ev->result = dup_or_null(mpc_codec_status_name(st), &oom);
        if (json_object_set_new(ev->details, "error", e) != 0 || oom ||
            put_digest(ev->details, "value", value, len) != 0)
            goto out;
        rc = 0;
        goto out;
    }
    json_t *rj = scrubbed_json(t, &rec);
    if (rj == NULL || json_object_set_new(ev->details, "record", rj) != 0 ||
        json_object_set_new(ev->details, "schema", json_string(mpc_codec_record_name(t))) != 0 ||
        fill_columns(t, &rec, rj, ev) != 0)
        goto free_rec;
    if (src->topic && strcmp(src->topic, expected_topic(t)) != 0 &&
        json_object_set_new(ev->details, "unexpected_topic", json_true()) != 0)
        goto free_rec;
    if (t == MPC_RECORD_DEAD_LETTER && depth == 0) {
        const mpc_dead_letter *d = &rec.dead_letter;
        audit_source inner_src = {.topic = d->original_topic, .timestamp_ms = -1};
        audit_event inner;
        if (map_value(&inner_src, d->original_value.data, d->original_value.len, 1, &inner) != 0) {
            audit_event_free(&inner);
            goto free_rec;
        }
        /* The rejected record's ids make the dead letter findable. */
        char **mine[] = {&ev->client_id, &ev->request_id, &ev->key_id, &ev->session_id, &ev->node_id};
        char **theirs[] = {&inner.client_id, &inner.request_id, &inner.key_id, &inner.session_id, &inner.node_id};
        for (size_t i = 0; i < sizeof mine / sizeof *mine; i++) {
            *mine[i] = *theirs[i];
            *theirs[i] = NULL;
        }
        json_t *orig = json_pack("{s:s}", "event_type", inner.event_type);
        if (orig == NULL || json_object_update(orig, inner.details) != 0 ||
            json_object_set_new(ev->details, "original", orig) != 0) {
            json_decref(orig);
            audit_event_free(&inner);
            goto free_rec;
        }
        audit_event_free(&inner);
    }
    rc = 0;
free_rec:
    mpc_codec_free(t, &rec);
out:
    if (rc != 0) audit_event_free(ev);
    return rc;
}

int audit_event_from_record(const audit_source *src, const uint8_t *value, size_t len, audit_event *out) {
    if (map_value(src, value, len, 0, out) != 0) return -1;
    if (put_kafka(out->details, src) != 0) {
        audit_event_free(out);
        return -1;
    }
    return 0;
}

int audit_derive_key_id(const char *request_id, char out[29]) {
    static const char domain[] = "mpc.v1.key_id";
    size_t n = strlen(request_id), dl = sizeof domain - 1;
    uint8_t *msg = malloc(dl + n + 1), h[AUDIT_HASH_LEN];
    char hex[2 * AUDIT_HASH_LEN + 1];
    if (msg == NULL) return -1;
    memcpy(msg, domain, dl);
    memcpy(msg + dl, request_id, n);
    int rc = audit_sha256(msg, dl + n, h);
    free(msg);
    if (rc != 0) return -1;
    audit_hex(h, sizeof h, hex);
    snprintf(out, 29, "key_%.24s", hex);
    return 0;
}
