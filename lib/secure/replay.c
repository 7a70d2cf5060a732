/*
 * replay.c - the per-session duplicate / equivocation filter (replay.h).
 *
 * Sessions are found by id in a string hash table and kept on a list in
 * least-recently-used order (head = oldest) for eviction and idle expiry.
 * Each session holds a flat array of the messages it accepted; a lookup is a
 * linear scan, which is cheap at the sizes a session reaches (a few messages
 * per party and round) and is capped by max_messages.
 */
#include "secure/replay.h"

#include <stdlib.h>
#include <string.h>

#include "secure/internal.h"

#define KIND_MAX 32

typedef struct seen {
    int32_t from, to, round;
    int64_t seq;
    char kind[KIND_MAX];
    uint8_t digest[32];
} seen;

typedef struct session {
    char *id;
    seen *msgs;
    size_t count, cap;
    int64_t last_ms;
    struct session *prev, *next; /* LRU list */
} session;

struct mpc_replay_filter {
    sec_strset by_id;
    session *oldest, *newest;
    size_t max_sessions, max_messages;
    int64_t idle_ms;
};

mpc_replay_filter *mpc_replay_filter_new(size_t max_sessions, size_t max_messages,
                                         int64_t idle_ms) {
    MPC_ARG_CHECK(max_sessions >= 1 && max_messages >= 1 && idle_ms > 0);
    mpc_replay_filter *f = calloc(1, sizeof *f);
    if (f == NULL) return NULL;
    f->max_sessions = max_sessions;
    f->max_messages = max_messages;
    f->idle_ms = idle_ms;
    return f;
}

static void unlink_session(mpc_replay_filter *f, session *s) {
    if (s->prev) s->prev->next = s->next; else f->oldest = s->next;
    if (s->next) s->next->prev = s->prev; else f->newest = s->prev;
    s->prev = s->next = NULL;
}

static void append_session(mpc_replay_filter *f, session *s) {
    s->prev = f->newest;
    s->next = NULL;
    if (f->newest) f->newest->next = s; else f->oldest = s;
    f->newest = s;
}

static void drop_session(mpc_replay_filter *f, session *s) {
    unlink_session(f, s);
    sec_strset_remove(&f->by_id, s->id);
    free(s->id);
    free(s->msgs);
    free(s);
}

void mpc_replay_filter_free(mpc_replay_filter *f) {
    if (f == NULL) return;
    while (f->oldest) drop_session(f, f->oldest);
    sec_strset_free(&f->by_id);
    free(f);
}

void mpc_replay_filter_release(mpc_replay_filter *f, const char *session_id) {
    MPC_ARG_CHECK(f != NULL && session_id != NULL);
    session *s = sec_strset_get(&f->by_id, session_id, NULL);
    if (s != NULL) drop_session(f, s);
}

size_t mpc_replay_filter_expire(mpc_replay_filter *f, int64_t now_ms) {
    MPC_ARG_CHECK(f != NULL);
    size_t n = 0;
    /* The list is in last-use order, so expired sessions form its head. */
    while (f->oldest != NULL && now_ms - f->oldest->last_ms > f->idle_ms) {
        drop_session(f, f->oldest);
        n++;
    }
    return n;
}

size_t mpc_replay_filter_sessions(const mpc_replay_filter *f) {
    MPC_ARG_CHECK(f != NULL);
    return f->by_id.count;
}

/* The session for id, created (evicting the least recently used one if the
 * filter is full) when absent; NULL if out of memory. */
static session *get_session(mpc_replay_filter *f, const char *id) {
    session *s = sec_strset_get(&f->by_id, id, NULL);
    if (s != NULL) {
        unlink_session(f, s);
        append_session(f, s);
        return s;
    }
    if (f->by_id.count >= f->max_sessions) drop_session(f, f->oldest);
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->id = strdup(id)) == NULL || !sec_strset_add(&f->by_id, id, s)) {
        if (s) free(s->id);
        free(s);
        return NULL;
    }
    append_session(f, s);
    return s;
}

int mpc_replay_filter_check(mpc_replay_filter *f, const mpc_round_message *msg, int64_t now_ms,
                            mpc_secure_error *err) {
    MPC_ARG_CHECK(f != NULL && msg != NULL);
    MPC_ARG_CHECK(msg->session_id != NULL && msg->protocol != NULL && msg->kind != NULL);
    MPC_ARG_CHECK(msg->payload.data != NULL || msg->payload.len == 0);
    if (strlen(msg->kind) >= KIND_MAX)
        return sec_fail(err, MPC_SECURE_ERR_MALFORMED, "kind is too long");
    uint8_t digest[32];
    if (mpc_codec_round_message_digest(msg, digest) != MPC_CODEC_OK)
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "cannot compute the message digest");
    session *s = get_session(f, msg->session_id);
    if (s == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    s->last_ms = now_ms;
    for (size_t i = 0; i < s->count; i++) {
        const seen *m = &s->msgs[i];
        if (m->from != msg->from) continue;
        int same_seq = m->seq == msg->seq;
        int same_slot = m->round == msg->round && m->to == msg->to &&
                        strcmp(m->kind, msg->kind) == 0;
        if (!same_seq && !same_slot) continue;
        if (memcmp(m->digest, digest, 32) == 0)
            return sec_fail(err, MPC_SECURE_ERR_DUPLICATE,
                            "duplicate of node %d's message seq %lld in session %s", msg->from,
                            (long long)msg->seq, msg->session_id);
        if (same_slot)
            return sec_fail(err, MPC_SECURE_ERR_EQUIVOCATION,
                            "node %d equivocated: two different %s messages for round %d to "
                            "node %d in session %s",
                            msg->from, msg->kind, msg->round, msg->to, msg->session_id);
        return sec_fail(err, MPC_SECURE_ERR_EQUIVOCATION,
                        "node %d equivocated: two different messages with seq %lld in "
                        "session %s",
                        msg->from, (long long)msg->seq, msg->session_id);
    }
    if (s->count >= f->max_messages)
        return sec_fail(err, MPC_SECURE_ERR_LIMIT, "session %s already holds %zu messages",
                        msg->session_id, s->count);
    if (s->count == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 16;
        if (ncap > f->max_messages) ncap = f->max_messages;
        seen *n = realloc(s->msgs, ncap * sizeof *n);
        if (n == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
        s->msgs = n;
        s->cap = ncap;
    }
    seen *m = &s->msgs[s->count++];
    *m = (seen){.from = msg->from, .to = msg->to, .round = msg->round, .seq = msg->seq};
    memcpy(m->kind, msg->kind, strlen(msg->kind) + 1);
    memcpy(m->digest, digest, 32);
    sec_clear(err);
    return MPC_SECURE_OK;
}
