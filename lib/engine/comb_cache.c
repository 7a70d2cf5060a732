/* comb_cache.c - thread-safe memo of comb tables (see comb_cache.h). */
#include "engine/comb_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bn_util.h"
#include "engine/comb.h"
#include "engine/transcript.h"

typedef struct slot {
    unsigned char key[32];
    mpc_comb *comb;    /* NULL: free slot */
    unsigned refs;     /* threads exponentiating with comb right now */
    uint64_t last_use; /* cache clock at the last lookup */
} slot;

struct mpc_comb_cache {
    pthread_mutex_t lock;
    size_t capacity;
    uint64_t clock;
    slot *slots;
};

mpc_comb_cache *mpc_comb_cache_new(size_t capacity) {
    mpc_comb_cache *cc = calloc(1, sizeof *cc);
    if (cc == NULL) return NULL;
    cc->capacity = capacity;
    if ((capacity > 0 && (cc->slots = calloc(capacity, sizeof *cc->slots)) == NULL) ||
        pthread_mutex_init(&cc->lock, NULL) != 0) {
        free(cc->slots);
        free(cc);
        return NULL;
    }
    return cc;
}

void mpc_comb_cache_free(mpc_comb_cache *cc) {
    if (cc == NULL) return;
    for (size_t i = 0; i < cc->capacity; i++) mpc_comb_free(cc->slots[i].comb);
    pthread_mutex_destroy(&cc->lock);
    free(cc->slots);
    free(cc);
}

size_t mpc_comb_cache_count(mpc_comb_cache *cc) {
    size_t n = 0;
    pthread_mutex_lock(&cc->lock);
    for (size_t i = 0; i < cc->capacity; i++) n += cc->slots[i].comb != NULL;
    pthread_mutex_unlock(&cc->lock);
    return n;
}

static void table_key(unsigned char out[32], const BIGNUM *base, const BIGNUM *m, int bits) {
    mpc_transcript t;
    mpc_transcript_init(&t, "engine-comb-table-v1");
    mpc_transcript_append_u64(&t, "bits", (uint64_t)bits);
    bn_transcript(&t, "m", m);
    bn_transcript(&t, "base", base);
    mpc_transcript_digest(&t, out);
}

/* Under the lock: the slot holding key, or NULL. */
static slot *find(mpc_comb_cache *cc, const unsigned char key[32]) {
    for (size_t i = 0; i < cc->capacity; i++)
        if (cc->slots[i].comb != NULL && memcmp(cc->slots[i].key, key, 32) == 0) return &cc->slots[i];
    return NULL;
}

/* Under the lock: a free slot, else the least recently used unreferenced
 * one (its table freed), else NULL. */
static slot *victim(mpc_comb_cache *cc) {
    slot *best = NULL;
    for (size_t i = 0; i < cc->capacity; i++) {
        slot *s = &cc->slots[i];
        if (s->comb == NULL) return s;
        if (s->refs == 0 && (best == NULL || s->last_use < best->last_use)) best = s;
    }
    if (best != NULL) {
        mpc_comb_free(best->comb);
        best->comb = NULL;
    }
    return best;
}

/* Returns the slot of key with a reference taken, inserting comb (whose
 * ownership passes to the cache) when absent; NULL if there was no room
 * (comb stays the caller's). Under the lock. */
static slot *acquire(mpc_comb_cache *cc, const unsigned char key[32], mpc_comb **comb) {
    slot *s = find(cc, key);
    if (s == NULL && *comb != NULL && (s = victim(cc)) != NULL) {
        memcpy(s->key, key, 32);
        s->comb = *comb;
        s->refs = 0;
        *comb = NULL;
    }
    if (s != NULL) {
        s->refs++;
        s->last_use = ++cc->clock;
    }
    return s;
}

int mpc_comb_cache_exp(mpc_comb_cache *cc, BIGNUM *r, const BIGNUM *base, const BIGNUM *m,
                       const BIGNUM *e, int bits, BN_CTX *bc) {
    if (cc == NULL || r == NULL || base == NULL || m == NULL || e == NULL || bc == NULL ||
        BN_is_negative(e) || bits < 1)
        return 0;
    if (BN_num_bits(e) > bits) return bn_exp_secret(r, base, e, m, bc);
    unsigned char key[32];
    mpc_comb *fresh = NULL;
    table_key(key, base, m, bits);
    pthread_mutex_lock(&cc->lock);
    slot *s = acquire(cc, key, &fresh);
    pthread_mutex_unlock(&cc->lock);
    if (s == NULL) {
        /* build outside the lock; another thread may be building the same
         * table, in which case acquire keeps the first and returns it */
        if ((fresh = mpc_comb_new(base, m, bits, bc)) == NULL) return 0;
        pthread_mutex_lock(&cc->lock);
        s = acquire(cc, key, &fresh);
        pthread_mutex_unlock(&cc->lock);
    }
    int ok;
    if (s != NULL) {
        ok = mpc_comb_exp(s->comb, r, e, bc);
        pthread_mutex_lock(&cc->lock);
        s->refs--;
        pthread_mutex_unlock(&cc->lock);
    } else {
        ok = mpc_comb_exp(fresh, r, e, bc); /* no room: use once */
    }
    mpc_comb_free(fresh); /* NULL unless unused or the cache had no room */
    return ok;
}
