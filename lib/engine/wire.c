/* wire.c - bounds-checked big-endian readers and writers. */
#include "engine/wire.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void mpc_reader_init(mpc_reader *r, const unsigned char *p, size_t len) {
    MPC_ARG_CHECK(r != NULL && (p != NULL || len == 0));
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = 0;
}

const unsigned char *mpc_read_ptr(mpc_reader *r, size_t n) {
    if (r->err || n > r->len - r->pos) {
        r->err = 1;
        return NULL;
    }
    const unsigned char *q = r->p + r->pos;
    r->pos += n;
    return q;
}

int mpc_read_bytes(mpc_reader *r, unsigned char *out, size_t n) {
    const unsigned char *q = mpc_read_ptr(r, n);
    if (q == NULL) {
        memset(out, 0, n);
        return 0;
    }
    memcpy(out, q, n);
    return 1;
}

static int read_be(mpc_reader *r, int bytes, uint32_t *out) {
    const unsigned char *q = mpc_read_ptr(r, (size_t)bytes);
    uint32_t v = 0;
    if (q != NULL)
        for (int i = 0; i < bytes; i++) v = (v << 8) | q[i];
    *out = v;
    return q != NULL;
}

int mpc_read_u8(mpc_reader *r, uint8_t *out) {
    uint32_t v;
    int ok = read_be(r, 1, &v);
    *out = (uint8_t)v;
    return ok;
}

int mpc_read_u16(mpc_reader *r, uint16_t *out) {
    uint32_t v;
    int ok = read_be(r, 2, &v);
    *out = (uint16_t)v;
    return ok;
}

int mpc_read_u32(mpc_reader *r, uint32_t *out) { return read_be(r, 4, out); }

size_t mpc_reader_remaining(const mpc_reader *r) { return r->err ? 0 : r->len - r->pos; }

int mpc_reader_done(const mpc_reader *r) { return !r->err && r->pos == r->len; }

void mpc_writer_init(mpc_writer *w) {
    MPC_ARG_CHECK(w != NULL);
    memset(w, 0, sizeof *w);
}

void mpc_write_bytes(mpc_writer *w, const unsigned char *p, size_t n) {
    if (w->err || n == 0) return;
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap - w->len < n) {
            if (cap > (SIZE_MAX >> 1)) {
                w->err = 1;
                return;
            }
            cap *= 2;
        }
        /* Grow by copy so old contents (possibly secret) are wiped. */
        unsigned char *q = malloc(cap);
        if (q == NULL) {
            w->err = 1;
            return;
        }
        if (w->len) memcpy(q, w->p, w->len);
        if (w->p) {
            OPENSSL_cleanse(w->p, w->cap);
            free(w->p);
        }
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->len, p, n);
    w->len += n;
}

static void write_be(mpc_writer *w, uint32_t v, int bytes) {
    unsigned char b[4];
    for (int i = 0; i < bytes; i++) b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    mpc_write_bytes(w, b, (size_t)bytes);
}

void mpc_write_u8(mpc_writer *w, uint8_t v) { write_be(w, v, 1); }
void mpc_write_u16(mpc_writer *w, uint16_t v) { write_be(w, v, 2); }
void mpc_write_u32(mpc_writer *w, uint32_t v) { write_be(w, v, 4); }

unsigned char *mpc_writer_take(mpc_writer *w, size_t *len) {
    MPC_ARG_CHECK(w != NULL && len != NULL);
    if (w->err) {
        mpc_writer_free(w);
        *len = 0;
        return NULL;
    }
    unsigned char *p = w->p;
    *len = w->len;
    if (p == NULL) p = malloc(1); /* empty payload: still a valid pointer */
    memset(w, 0, sizeof *w);
    return p;
}

void mpc_writer_free(mpc_writer *w) {
    if (w == NULL) return;
    if (w->p) {
        OPENSSL_cleanse(w->p, w->cap);
        free(w->p);
    }
    memset(w, 0, sizeof *w);
}
