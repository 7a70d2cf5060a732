/*
 * strset.c - a string-keyed hash table (linear probing, backward-shift
 * deletion, load factor <= 1/2) used by the replay filter (sessions by id)
 * and the usage ledger (consumed ids). Keys are copied; values are opaque.
 * Only authenticated or local strings are inserted, so FNV-1a is enough.
 */
#include "secure/internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Slot of key, or of the empty slot where it would go. cap must be > 0. */
static size_t find_slot(const sec_strset *s, const char *key) {
    size_t mask = s->cap - 1, i = (size_t)hash_str(key) & mask;
    while (s->keys[i] != NULL && strcmp(s->keys[i], key) != 0) i = (i + 1) & mask;
    return i;
}

void *sec_strset_get(const sec_strset *s, const char *key, int *found) {
    if (s->cap == 0) {
        if (found) *found = 0;
        return NULL;
    }
    size_t i = find_slot(s, key);
    if (found) *found = s->keys[i] != NULL;
    return s->keys[i] != NULL ? s->vals[i] : NULL;
}

static int grow(sec_strset *s) {
    size_t ncap = s->cap ? s->cap * 2 : 16;
    sec_strset n = {calloc(ncap, sizeof(char *)), calloc(ncap, sizeof(void *)), ncap, s->count};
    if (n.keys == NULL || n.vals == NULL) {
        free(n.keys);
        free(n.vals);
        return 0;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->keys[i] == NULL) continue;
        size_t j = find_slot(&n, s->keys[i]);
        n.keys[j] = s->keys[i];
        n.vals[j] = s->vals[i];
    }
    free(s->keys);
    free(s->vals);
    *s = n;
    return 1;
}

int sec_strset_add(sec_strset *s, const char *key, void *val) {
    if (2 * (s->count + 1) > s->cap && !grow(s)) return 0;
    char *copy = strdup(key);
    if (copy == NULL) return 0;
    size_t i = find_slot(s, key);
    MPC_ARG_CHECK(s->keys[i] == NULL); /* the caller checked it is absent */
    s->keys[i] = copy;
    s->vals[i] = val;
    s->count++;
    return 1;
}

void *sec_strset_remove(sec_strset *s, const char *key) {
    if (s->cap == 0) return NULL;
    size_t mask = s->cap - 1, i = find_slot(s, key);
    if (s->keys[i] == NULL) return NULL;
    void *val = s->vals[i];
    free(s->keys[i]);
    s->keys[i] = NULL;
    s->count--;
    /* Backward-shift: move later members of the probe run into the hole. */
    for (size_t j = (i + 1) & mask; s->keys[j] != NULL; j = (j + 1) & mask) {
        size_t home = (size_t)hash_str(s->keys[j]) & mask;
        /* j's entry may move to i unless its home lies cyclically in (i, j]. */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        s->keys[i] = s->keys[j];
        s->vals[i] = s->vals[j];
        s->keys[j] = NULL;
        i = j;
    }
    return val;
}

void sec_strset_free(sec_strset *s) {
    for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof *s);
}
