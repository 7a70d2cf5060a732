/* party.c - envelope encoding and the generic party core: participant and
 * session checks, per-(round, sender) message slots with duplicate and
 * equivocation detection, buffering of early messages, the outbox, and the
 * RUNNING -> DONE / FAILED status. Protocols plug in via mpc_protocol. */
#include "engine/party.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine/wire.h"

typedef struct slot {
    unsigned char *payload;
    size_t len;
    int filled;
} slot;

struct mpc_party {
    const mpc_engine_ctx *ctx;
    const mpc_protocol *proto;
    void *state;
    unsigned char session[32];
    uint16_t self;
    size_t self_idx;
    size_t n;
    uint16_t *ids;
    uint8_t round;
    slot *slots; /* rounds x n */
    mpc_outmsg *out;
    size_t out_head, out_len, out_cap;
    mpc_party_status status;
    mpc_error err;
};

mpc_err_code mpc_msg_encode(unsigned char **out, size_t *outlen, const mpc_msg_header *h,
                            const unsigned char *payload, size_t len) {
    mpc_writer w;
    MPC_ARG_CHECK(out != NULL && outlen != NULL && h != NULL && (payload != NULL || len == 0));
    *out = NULL;
    *outlen = 0;
    if (len > MPC_MAX_PAYLOAD) return MPC_ERR_MALFORMED;
    mpc_writer_init(&w);
    mpc_write_u8(&w, h->version);
    mpc_write_u8(&w, h->protocol);
    mpc_write_u8(&w, h->round);
    mpc_write_u8(&w, h->flags);
    mpc_write_u16(&w, h->sender);
    mpc_write_u16(&w, h->recipient);
    mpc_write_bytes(&w, h->session, 32);
    mpc_write_u32(&w, (uint32_t)len);
    mpc_write_bytes(&w, payload, len);
    *out = mpc_writer_take(&w, outlen);
    return *out != NULL ? MPC_OK : MPC_ERR_NOMEM;
}

mpc_err_code mpc_msg_decode(mpc_msg_header *h, const unsigned char **payload,
                            const unsigned char *in, size_t len) {
    mpc_reader r;
    MPC_ARG_CHECK(h != NULL && payload != NULL && (in != NULL || len == 0));
    memset(h, 0, sizeof *h);
    *payload = NULL;
    mpc_reader_init(&r, in, len);
    MPC_IGNORE(mpc_read_u8(&r, &h->version));
    MPC_IGNORE(mpc_read_u8(&r, &h->protocol));
    MPC_IGNORE(mpc_read_u8(&r, &h->round));
    MPC_IGNORE(mpc_read_u8(&r, &h->flags));
    MPC_IGNORE(mpc_read_u16(&r, &h->sender));
    MPC_IGNORE(mpc_read_u16(&r, &h->recipient));
    MPC_IGNORE(mpc_read_bytes(&r, h->session, 32));
    MPC_IGNORE(mpc_read_u32(&r, &h->payload_len));
    if (r.err) return MPC_ERR_MALFORMED;
    if (h->version != MPC_WIRE_VERSION) return MPC_ERR_VERSION;
    if (h->payload_len > MPC_MAX_PAYLOAD || h->payload_len != mpc_reader_remaining(&r))
        return MPC_ERR_MALFORMED;
    if ((h->flags & ~MPC_FLAG_BROADCAST) != 0 || h->sender == 0 ||
        ((h->flags & MPC_FLAG_BROADCAST) != 0) != (h->recipient == MPC_BROADCAST))
        return MPC_ERR_MALFORMED;
    *payload = mpc_read_ptr(&r, h->payload_len);
    return MPC_OK;
}

void mpc_outmsg_free(mpc_outmsg *m) {
    if (m == NULL || m->bytes == NULL) return;
    OPENSSL_cleanse(m->bytes, m->len);
    free(m->bytes);
    m->bytes = NULL;
    m->len = 0;
}

static int cmp_u16(const void *a, const void *b) {
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

mpc_party *mpc_party_create(const mpc_engine_ctx *ctx, const mpc_protocol *proto,
                            const unsigned char session[32], uint16_t self, const uint16_t *ids,
                            size_t nids, void *state) {
    MPC_ARG_CHECK(ctx != NULL && proto != NULL && session != NULL && ids != NULL);
    MPC_ARG_CHECK(proto->rounds >= 1 && proto->rounds <= MPC_MAX_ROUNDS && proto->advance);
    mpc_party *p = calloc(1, sizeof *p);
    if (p == NULL || nids == 0 || nids > 65535) goto fail;
    p->ctx = ctx;
    p->proto = proto;
    p->state = state;
    memcpy(p->session, session, 32);
    p->self = self;
    p->n = nids;
    p->round = 1;
    p->ids = malloc(nids * sizeof *p->ids);
    p->slots = calloc((size_t)proto->rounds * nids, sizeof *p->slots);
    if (p->ids == NULL || p->slots == NULL) goto fail;
    memcpy(p->ids, ids, nids * sizeof *ids);
    qsort(p->ids, nids, sizeof *p->ids, cmp_u16);
    for (size_t i = 0; i < nids; i++)
        if (p->ids[i] == 0 || (i > 0 && p->ids[i] == p->ids[i - 1])) goto fail;
    long si = mpc_party_index(p, self);
    if (si < 0) goto fail;
    p->self_idx = (size_t)si;
    return p;
fail:
    if (p != NULL) {
        p->state = NULL;
        mpc_party_free(p);
    }
    if (state != NULL && proto->destroy != NULL) proto->destroy(state);
    return NULL;
}

void mpc_party_free(mpc_party *p) {
    if (p == NULL) return;
    if (p->slots != NULL) {
        for (size_t i = 0; i < (size_t)p->proto->rounds * p->n; i++) {
            if (p->slots[i].payload == NULL) continue;
            OPENSSL_cleanse(p->slots[i].payload, p->slots[i].len);
            free(p->slots[i].payload);
        }
        free(p->slots);
    }
    for (size_t i = p->out_head; i < p->out_len; i++) mpc_outmsg_free(&p->out[i]);
    free(p->out);
    free(p->ids);
    if (p->state != NULL && p->proto->destroy != NULL) p->proto->destroy(p->state);
    free(p);
}

static void fail(mpc_party *p, mpc_error e) {
    p->status = MPC_PARTY_FAILED;
    p->err = e;
}

mpc_party_status mpc_party_start(mpc_party *p) {
    mpc_error e = {MPC_OK, 0};
    MPC_ARG_CHECK(p != NULL);
    if (p->status == MPC_PARTY_RUNNING && p->proto->advance(p, &e) != MPC_OK) fail(p, e);
    return p->status;
}

static slot *slot_at(const mpc_party *p, uint8_t round, size_t i) {
    return &p->slots[(size_t)(round - 1) * p->n + i];
}

mpc_err_code mpc_party_handle(mpc_party *p, const unsigned char *bytes, size_t len, uint16_t from,
                              mpc_error *err) {
    mpc_error e = {MPC_OK, from};
    mpc_msg_header h;
    const unsigned char *payload = NULL;
    long idx;
    MPC_ARG_CHECK(p != NULL && (bytes != NULL || len == 0));

    if (p->status != MPC_PARTY_RUNNING) {
        e.code = MPC_ERR_STATE;
        goto out;
    }
    idx = mpc_party_index(p, from);
    if (idx < 0 || from == p->self) {
        e.code = MPC_ERR_NOT_PARTICIPANT;
        goto out;
    }
    e.code = mpc_msg_decode(&h, &payload, bytes, len);
    if (e.code != MPC_OK) {
        if (e.code == MPC_ERR_MALFORMED) fail(p, e);
        goto out;
    }
    if (h.sender != from) e.code = MPC_ERR_SENDER_MISMATCH;
    else if (h.protocol != p->proto->protocol) e.code = MPC_ERR_VERSION;
    else if (CRYPTO_memcmp(h.session, p->session, 32) != 0) e.code = MPC_ERR_WRONG_SESSION;
    else if (h.round < 1 || h.round > p->proto->rounds) e.code = MPC_ERR_BAD_ROUND;
    else if (p->proto->broadcast[h.round - 1] != (h.recipient == MPC_BROADCAST) ||
             (h.recipient != MPC_BROADCAST && h.recipient != p->self))
        e.code = MPC_ERR_WRONG_RECIPIENT;
    if (e.code != MPC_OK) goto out;

    slot *s = slot_at(p, h.round, (size_t)idx);
    if (s->filled) {
        int same = s->len == h.payload_len && (s->len == 0 || memcmp(s->payload, payload, s->len) == 0);
        e.code = same ? MPC_ERR_DUPLICATE : MPC_ERR_EQUIVOCATION;
        if (!same) fail(p, e);
        goto out;
    }
    s->payload = malloc(h.payload_len ? h.payload_len : 1);
    if (s->payload == NULL) {
        e = (mpc_error){MPC_ERR_NOMEM, 0};
        fail(p, e);
        goto out;
    }
    if (h.payload_len) memcpy(s->payload, payload, h.payload_len);
    s->len = h.payload_len;
    s->filled = 1;
    e = (mpc_error){MPC_OK, 0};
    if (p->proto->advance(p, &e) != MPC_OK) fail(p, e);
out:
    if (e.code == MPC_OK) e.culprit = 0;
    if (err != NULL) *err = e;
    return e.code;
}

int mpc_party_pop(mpc_party *p, mpc_outmsg *out) {
    MPC_ARG_CHECK(p != NULL && out != NULL);
    if (p->out_head == p->out_len) return 0;
    *out = p->out[p->out_head];
    memset(&p->out[p->out_head], 0, sizeof p->out[0]);
    p->out_head++;
    if (p->out_head == p->out_len) p->out_head = p->out_len = 0;
    return 1;
}

mpc_party_status mpc_party_status_get(const mpc_party *p) { return p->status; }
mpc_error mpc_party_error(const mpc_party *p) { return p->err; }
uint16_t mpc_party_self(const mpc_party *p) { return p->self; }
uint8_t mpc_party_round(const mpc_party *p) { return p->round; }
void *mpc_party_state(const mpc_party *p) { return p->state; }
const mpc_protocol *mpc_party_protocol(const mpc_party *p) { return p->proto; }
const mpc_engine_ctx *mpc_party_ctx(const mpc_party *p) { return p->ctx; }
size_t mpc_party_count(const mpc_party *p) { return p->n; }

uint16_t mpc_party_id_at(const mpc_party *p, size_t i) {
    MPC_ARG_CHECK(i < p->n);
    return p->ids[i];
}

long mpc_party_index(const mpc_party *p, uint16_t id) {
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->ids[mid] == id) return (long)mid;
        if (p->ids[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

int mpc_party_round_ready(const mpc_party *p, uint8_t round) {
    MPC_ARG_CHECK(round >= 1 && round <= p->proto->rounds);
    for (size_t i = 0; i < p->n; i++)
        if (i != p->self_idx && !slot_at(p, round, i)->filled) return 0;
    return 1;
}

const unsigned char *mpc_party_payload(const mpc_party *p, uint8_t round, size_t i, size_t *len) {
    MPC_ARG_CHECK(round >= 1 && round <= p->proto->rounds && i < p->n && len != NULL);
    const slot *s = slot_at(p, round, i);
    *len = s->filled ? s->len : 0;
    return s->filled ? s->payload : NULL;
}

mpc_err_code mpc_party_take_round(mpc_party *p, uint8_t round, mpc_payload_fn take, void *state,
                                  mpc_error *err) {
    MPC_ARG_CHECK(take != NULL && err != NULL);
    for (size_t i = 0; i < p->n; i++) {
        uint16_t sender = mpc_party_id_at(p, i);
        if (sender == p->self) continue;
        size_t len;
        const unsigned char *payload = mpc_party_payload(p, round, i, &len);
        mpc_err_code rc = take(p, state, sender, payload, len);
        if (rc != MPC_OK) {
            *err = (mpc_error){rc, sender};
            return rc;
        }
    }
    return MPC_OK;
}

mpc_err_code mpc_party_send(mpc_party *p, uint8_t round, uint16_t recipient,
                            const unsigned char *payload, size_t len) {
    mpc_msg_header h;
    mpc_outmsg m;
    memset(&h, 0, sizeof h);
    h.version = MPC_WIRE_VERSION;
    h.protocol = p->proto->protocol;
    h.round = round;
    h.flags = recipient == MPC_BROADCAST ? MPC_FLAG_BROADCAST : 0;
    h.sender = p->self;
    h.recipient = recipient;
    memcpy(h.session, p->session, 32);
    if (p->out_len == p->out_cap) {
        size_t cap = p->out_cap ? 2 * p->out_cap : 8;
        mpc_outmsg *q = realloc(p->out, cap * sizeof *q);
        if (q == NULL) return MPC_ERR_NOMEM;
        p->out = q;
        p->out_cap = cap;
    }
    mpc_err_code rc = mpc_msg_encode(&m.bytes, &m.len, &h, payload, len);
    if (rc != MPC_OK) return rc;
    m.recipient = recipient;
    m.round = round;
    p->out[p->out_len++] = m;
    return MPC_OK;
}

void mpc_party_next_round(mpc_party *p) { p->round++; }

void mpc_party_finish(mpc_party *p) {
    p->round = (uint8_t)(p->proto->rounds + 1);
    p->status = MPC_PARTY_DONE;
}
