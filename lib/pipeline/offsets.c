/* offsets.c - out-of-order completion to in-order commits; see offsets.h. */
#include "pipeline/offsets.h"

#include <stdlib.h>
#include <string.h>

typedef struct part {
    char *topic;
    int32_t partition;
    int64_t *offsets; /* ascending; in flight or finished-but-blocked */
    unsigned char *finished;
    size_t len, cap;
    int64_t committed; /* last committable offset returned, -1 none */
    struct part *next;
} part;

struct pl_offsets {
    part *parts;
};

pl_offsets *pl_offsets_new(void) { return calloc(1, sizeof(pl_offsets)); }

static void part_free(part *p) {
    free(p->topic);
    free(p->offsets);
    free(p->finished);
    free(p);
}

void pl_offsets_free(pl_offsets *o) {
    if (o == NULL) return;
    for (part *p = o->parts, *n; p; p = n) {
        n = p->next;
        part_free(p);
    }
    free(o);
}

static part *find(const pl_offsets *o, const char *topic, int32_t partition) {
    for (part *p = o->parts; p; p = p->next)
        if (p->partition == partition && strcmp(p->topic, topic) == 0) return p;
    return NULL;
}

int pl_offsets_begin(pl_offsets *o, const char *topic, int32_t partition, int64_t offset) {
    part *p = find(o, topic, partition);
    if (p == NULL) {
        p = calloc(1, sizeof *p);
        if (p == NULL || (p->topic = strdup(topic)) == NULL) {
            free(p);
            return -1;
        }
        p->partition = partition;
        p->committed = -1;
        p->next = o->parts;
        o->parts = p;
    }
    if (p->len > 0 && offset <= p->offsets[p->len - 1]) p->len = 0; /* re-assigned: start over */
    if (p->len == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        int64_t *no = realloc(p->offsets, cap * sizeof *no);
        if (no == NULL) return -1;
        p->offsets = no;
        unsigned char *nf = realloc(p->finished, cap);
        if (nf == NULL) return -1;
        p->finished = nf;
        p->cap = cap;
    }
    p->offsets[p->len] = offset;
    p->finished[p->len] = 0;
    p->len++;
    return 0;
}

int64_t pl_offsets_finish(pl_offsets *o, const char *topic, int32_t partition, int64_t offset) {
    part *p = find(o, topic, partition);
    if (p == NULL) return -1;
    size_t i = 0;
    while (i < p->len && p->offsets[i] != offset) i++;
    if (i == p->len) return -1;
    p->finished[i] = 1;
    size_t done = 0;
    while (done < p->len && p->finished[done]) done++;
    if (done == 0) return -1;
    int64_t next = done < p->len ? p->offsets[done] : p->offsets[done - 1] + 1;
    memmove(p->offsets, p->offsets + done, (p->len - done) * sizeof *p->offsets);
    memmove(p->finished, p->finished + done, p->len - done);
    p->len -= done;
    if (next <= p->committed) return -1;
    p->committed = next;
    return next;
}

void pl_offsets_cancel(pl_offsets *o, const char *topic, int32_t partition, int64_t offset) {
    part *p = find(o, topic, partition);
    if (p && p->len > 0 && p->offsets[p->len - 1] == offset) p->len--;
}

void pl_offsets_forget(pl_offsets *o, const char *topic, int32_t partition) {
    for (part **pp = &o->parts; *pp; pp = &(*pp)->next) {
        if ((*pp)->partition == partition && strcmp((*pp)->topic, topic) == 0) {
            part *dead = *pp;
            *pp = dead->next;
            part_free(dead);
            return;
        }
    }
}

long pl_offsets_in_flight(const pl_offsets *o) {
    long n = 0;
    for (const part *p = o->parts; p; p = p->next)
        for (size_t i = 0; i < p->len; i++) n += !p->finished[i];
    return n;
}
