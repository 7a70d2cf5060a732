/* batch.c - lockstep parties and bundle encoding; see batch.h. */
#include "pipeline/batch.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

struct pl_batch {
    mpc_party **parties;
    size_t n;
};

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

pl_batch *pl_batch_new(mpc_party **parties, size_t n) {
    pl_batch *b = NULL;
    if (n == 0 || n > PL_BATCH_MAX_ITEMS || (b = calloc(1, sizeof *b)) == NULL ||
        (b->parties = malloc(n * sizeof *b->parties)) == NULL) {
        free(b);
        for (size_t i = 0; i < n; i++) mpc_party_free(parties[i]);
        return NULL;
    }
    memcpy(b->parties, parties, n * sizeof *parties);
    b->n = n;
    return b;
}

void pl_batch_free(pl_batch *b) {
    if (b == NULL) return;
    for (size_t i = 0; i < b->n; i++) mpc_party_free(b->parties[i]);
    free(b->parties);
    free(b);
}

size_t pl_batch_size(const pl_batch *b) { return b->n; }
mpc_party *pl_batch_party(const pl_batch *b, size_t i) { return i < b->n ? b->parties[i] : NULL; }

/* Splits bundle into its n elements. Returns 1 if it is well formed. */
static int split(const unsigned char *bundle, size_t len, size_t n, const unsigned char **elem, size_t *elen) {
    if (len < 4 || get_u32(bundle) != n) return 0;
    size_t off = 4;
    for (size_t i = 0; i < n; i++) {
        if (len - off < 4) return 0;
        uint32_t l = get_u32(bundle + off);
        off += 4;
        if (l > len - off || l > MPC_HEADER_BYTES + MPC_MAX_PAYLOAD) return 0;
        elem[i] = bundle + off;
        elen[i] = l;
        off += l;
    }
    return off == len;
}

mpc_err_code pl_batch_handle(pl_batch *b, const unsigned char *bundle, size_t len, uint16_t from, mpc_error *err) {
    mpc_error local;
    if (err == NULL) err = &local;
    err->code = MPC_OK;
    err->culprit = 0;
    const unsigned char **elem = malloc(b->n * sizeof *elem);
    size_t *elen = malloc(b->n * sizeof *elen);
    mpc_err_code rc = MPC_OK;
    if (elem == NULL || elen == NULL) {
        rc = err->code = MPC_ERR_NOMEM;
        goto out;
    }
    if (!split(bundle, len, b->n, elem, elen)) {
        rc = err->code = MPC_ERR_MALFORMED;
        err->culprit = from;
        goto out;
    }
    for (size_t i = 0; i < b->n; i++) {
        mpc_error e = {0};
        mpc_err_code c = mpc_party_handle(b->parties[i], elem[i], elen[i], from, &e);
        if (c == MPC_OK) continue;
        /* A rejection of the first element means the whole bundle is a
         * duplicate or not ours; later elements then agree. A rejection in
         * the middle of an accepted bundle is inconsistent: blame sender. */
        if (mpc_err_is_rejection(c) && i == 0) {
            rc = err->code = c;
            goto out;
        }
        *err = e;
        if (err->code == MPC_OK) err->code = c;
        if (err->culprit == 0) err->culprit = from;
        rc = err->code;
        goto out;
    }
out:
    free(elem);
    free(elen);
    return rc;
}

int pl_batch_pop(pl_batch *b, pl_bundle *out) {
    mpc_outmsg *msgs = calloc(b->n, sizeof *msgs);
    if (msgs == NULL) return -1;
    int rc = 0;
    size_t got = 0;
    for (; got < b->n; got++)
        if (!mpc_party_pop(b->parties[got], &msgs[got])) break;
    if (got == 0) goto out;
    if (got != b->n) {
        rc = -1;
        goto out;
    }
    size_t total = 4;
    for (size_t i = 0; i < b->n; i++) {
        if (msgs[i].round != msgs[0].round || msgs[i].recipient != msgs[0].recipient) {
            rc = -1;
            goto out;
        }
        total += 4 + msgs[i].len;
    }
    unsigned char *buf = malloc(total);
    if (buf == NULL) {
        rc = -1;
        goto out;
    }
    put_u32(buf, (uint32_t)b->n);
    size_t off = 4;
    for (size_t i = 0; i < b->n; i++) {
        put_u32(buf + off, (uint32_t)msgs[i].len);
        memcpy(buf + off + 4, msgs[i].bytes, msgs[i].len);
        off += 4 + msgs[i].len;
    }
    *out = (pl_bundle){.bytes = buf, .len = total, .recipient = msgs[0].recipient, .round = msgs[0].round};
    rc = 1;
out:
    for (size_t i = 0; i < got; i++) mpc_outmsg_free(&msgs[i]);
    free(msgs);
    return rc;
}

mpc_party_status pl_batch_status(const pl_batch *b) {
    int all_done = 1;
    for (size_t i = 0; i < b->n; i++) {
        mpc_party_status s = mpc_party_status_get(b->parties[i]);
        if (s == MPC_PARTY_FAILED) return MPC_PARTY_FAILED;
        if (s != MPC_PARTY_DONE) all_done = 0;
    }
    return all_done ? MPC_PARTY_DONE : MPC_PARTY_RUNNING;
}

mpc_error pl_batch_error(const pl_batch *b) {
    for (size_t i = 0; i < b->n; i++)
        if (mpc_party_status_get(b->parties[i]) == MPC_PARTY_FAILED) return mpc_party_error(b->parties[i]);
    mpc_error none = {0};
    return none;
}

void pl_bundle_free(pl_bundle *bundle) {
    if (bundle->bytes) {
        OPENSSL_cleanse(bundle->bytes, bundle->len);
        free(bundle->bytes);
    }
    bundle->bytes = NULL;
    bundle->len = 0;
}
