/* audit_store.c - one transaction per batch: lock, read head and positions,
 * filter, chain, insert rows, advance positions. See audit_store.h.
 */
#include "audit_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_chain.h"

/* Rows per INSERT statement: 16 parameters each, well under libpq's 65535. */
#define ROWS_PER_INSERT 200
#define COLS 16

void audit_pg_error(PGconn *c, const char *what, char *err, size_t errlen) {
    const char *m = c ? PQerrorMessage(c) : "no connection";
    while (*m == ' ') m++;
    size_t n = strcspn(m, "\n");
    snprintf(err, errlen, "%s: %.*s", what, (int)(n > 300 ? 300 : n), m);
}

/* ---- the batch ----------------------------------------------------------- */

int audit_batch_add(audit_batch *b, const char *topic, int32_t partition, int64_t offset, audit_event *ev) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        audit_pending *v = realloc(b->v, cap * sizeof *v);
        if (v == NULL) return -1;
        b->v = v;
        b->cap = cap;
    }
    audit_pending *p = &b->v[b->n];
    memset(p, 0, sizeof *p);
    p->topic = strdup(topic);
    if (p->topic == NULL) return -1;
    p->partition = partition;
    p->offset = offset;
    if (ev && ev->event_type) {
        p->details = audit_json_canonical(ev->details);
        if (p->details == NULL) {
            free(p->topic);
            return -1;
        }
        p->ev = *ev;
        memset(ev, 0, sizeof *ev);
        json_decref(p->ev.details); /* the canonical text is what is stored */
        p->ev.details = NULL;
        b->bytes += strlen(p->details);
    } else if (ev) {
        audit_event_free(ev);
    }
    b->bytes += sizeof *p + strlen(topic);
    b->n++;
    return 0;
}

void audit_batch_clear(audit_batch *b) {
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].topic);
        free(b->v[i].details);
        audit_event_free(&b->v[i].ev);
    }
    b->n = 0;
    b->bytes = 0;
}

void audit_batch_free(audit_batch *b) {
    audit_batch_clear(b);
    free(b->v);
    memset(b, 0, sizeof *b);
}

/* ---- SQL helpers --------------------------------------------------------- */

/* Runs a statement; returns the result when its status is `want`, else
 * NULL with err (the result cleared). */
static PGresult *run(PGconn *c, const char *sql, int n, const char *const *vals, const int *lens, const int *fmts,
                     ExecStatusType want, const char *what, char *err, size_t errlen) {
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, lens, fmts, 0);
    if (r == NULL || PQresultStatus(r) != want) {
        audit_pg_error(c, what, err, errlen);
        PQclear(r);
        return NULL;
    }
    return r;
}

static int run_cmd(PGconn *c, const char *sql, const char *what, char *err, size_t errlen) {
    PGresult *r = run(c, sql, 0, NULL, NULL, NULL, PGRES_COMMAND_OK, what, err, errlen);
    PQclear(r);
    return r ? 0 : -1;
}

int audit_offsets_load(PGconn *c, audit_offset **out, size_t *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    PGresult *r = run(c, "SELECT topic, partition, next_offset FROM audit_offsets", 0, NULL, NULL, NULL,
                      PGRES_TUPLES_OK, "reading audit_offsets", err, errlen);
    if (r == NULL) return -1;
    int rows = PQntuples(r);
    audit_offset *v = calloc(rows ? (size_t)rows : 1, sizeof *v);
    if (v == NULL) {
        PQclear(r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        v[i].topic = strdup(PQgetvalue(r, i, 0));
        v[i].partition = (int32_t)strtol(PQgetvalue(r, i, 1), NULL, 10);
        v[i].next_offset = strtoll(PQgetvalue(r, i, 2), NULL, 10);
        if (v[i].topic == NULL) {
            audit_offsets_free(v, (size_t)i);
            PQclear(r);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    PQclear(r);
    *out = v;
    *n = (size_t)rows;
    return 0;
}

void audit_offsets_free(audit_offset *v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i].topic);
    free(v);
}

/* ---- filtering ----------------------------------------------------------- */

/* One partition touched by the batch. */
typedef struct {
    const char *topic;
    int32_t partition;
    int64_t known;    /* committed next_offset, -1 if none */
    int64_t new_next; /* after this batch */
} slot;

typedef struct {
    size_t slot, index;
    int64_t offset;
} order_key;

static int order_cmp(const void *a, const void *b) {
    const order_key *x = a, *y = b;
    if (x->slot != y->slot) return x->slot < y->slot ? -1 : 1;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Marks keep[i] for entries not yet audited (offset >= the committed
 * position, first copy of each offset) and computes each slot's new_next. */
static int filter(const audit_batch *b, const audit_offset *known, size_t nknown, slot **slots_out, size_t *nslots,
                  size_t **slot_of_out, char *keep) {
    slot *slots = calloc(b->n, sizeof *slots);
    size_t *slot_of = calloc(b->n, sizeof *slot_of);
    order_key *ord = calloc(b->n, sizeof *ord);
    if (slots == NULL || slot_of == NULL || ord == NULL) {
        free(slots), free(slot_of), free(ord);
        return -1;
    }
    size_t ns = 0;
    for (size_t i = 0; i < b->n; i++) {
        const audit_pending *p = &b->v[i];
        size_t s = 0;
        while (s < ns && !(slots[s].partition == p->partition && strcmp(slots[s].topic, p->topic) == 0)) s++;
        if (s == ns) {
            slots[s] = (slot){p->topic, p->partition, -1, -1};
            for (size_t k = 0; k < nknown; k++)
                if (known[k].partition == p->partition && strcmp(known[k].topic, p->topic) == 0)
                    slots[s].known = known[k].next_offset;
            slots[s].new_next = slots[s].known;
            ns++;
        }
        slot_of[i] = s;
        ord[i] = (order_key){s, i, p->offset};
    }
    qsort(ord, b->n, sizeof *ord, order_cmp);
    for (size_t j = 0; j < b->n; j++) {
        const order_key *o = &ord[j];
        int repeat = j > 0 && ord[j - 1].slot == o->slot && ord[j - 1].offset == o->offset;
        keep[o->index] = !repeat && o->offset >= slots[o->slot].known;
        if (keep[o->index] && o->offset + 1 > slots[o->slot].new_next) slots[o->slot].new_next = o->offset + 1;
    }
    free(ord);
    *slots_out = slots;
    *nslots = ns;
    *slot_of_out = slot_of;
    return 0;
}

/* ---- the transaction ----------------------------------------------------- */

/* Text and binary parameters of one row: 16 columns. */
typedef struct {
    char seq[24], partition[16], offset[24];
    audit_row row;
    uint8_t hash[AUDIT_HASH_LEN];
} row_params;

static int insert_rows(PGconn *c, row_params *rp, size_t nrows, char *err, size_t errlen) {
    static const char head[] =
        "INSERT INTO audit_log (seq, recorded_at, event_type, client_id, request_id, key_id, session_id, "
        "node_id, operation, result, details, source_topic, source_partition, source_offset, prev_hash, hash) "
        "VALUES ";
    size_t chunk = nrows < ROWS_PER_INSERT ? nrows : ROWS_PER_INSERT;
    char *sql = malloc(sizeof head + chunk * COLS * 10 + 16);
    const char **vals = malloc(chunk * COLS * sizeof *vals);
    int *lens = calloc(chunk * COLS, sizeof *lens), *fmts = calloc(chunk * COLS, sizeof *fmts);
    int rc = -1;
    if (sql == NULL || vals == NULL || lens == NULL || fmts == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t start = 0; start < nrows; start += chunk) {
        size_t n = nrows - start < chunk ? nrows - start : chunk;
        size_t len = (size_t)sprintf(sql, "%s", head);
        for (size_t i = 0; i < n; i++) {
            len += (size_t)sprintf(sql + len, "%s(", i ? "," : "");
            for (int k = 1; k <= COLS; k++)
                len += (size_t)sprintf(sql + len, "$%zu%s", i * COLS + (size_t)k, k < COLS ? "," : ")");
            row_params *p = &rp[start + i];
            const char **v = &vals[i * COLS];
            v[0] = p->seq, v[1] = p->row.recorded_at, v[2] = p->row.event_type, v[3] = p->row.client_id;
            v[4] = p->row.request_id, v[5] = p->row.key_id, v[6] = p->row.session_id, v[7] = p->row.node_id;
            v[8] = p->row.operation, v[9] = p->row.result, v[10] = p->row.details, v[11] = p->row.source_topic;
            v[12] = p->partition, v[13] = p->offset;
            v[14] = (const char *)p->row.prev_hash, v[15] = (const char *)p->hash;
            lens[i * COLS + 14] = lens[i * COLS + 15] = AUDIT_HASH_LEN;
            fmts[i * COLS + 14] = fmts[i * COLS + 15] = 1; /* binary bytea */
        }
        PGresult *r = run(c, sql, (int)(n * COLS), vals, lens, fmts, PGRES_COMMAND_OK, "inserting audit rows", err,
                          errlen);
        if (r == NULL) goto out;
        PQclear(r);
    }
    rc = 0;
out:
    free(sql), free(vals), free(lens), free(fmts);
    return rc;
}

static int upsert_offsets(PGconn *c, const slot *slots, size_t ns, char *err, size_t errlen) {
    static const char sql[] =
        "INSERT INTO audit_offsets (topic, partition, next_offset, updated_at) VALUES ($1, $2, $3, now()) "
        "ON CONFLICT (topic, partition) DO UPDATE SET "
        "next_offset = GREATEST(audit_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()";
    for (size_t s = 0; s < ns; s++) {
        if (slots[s].new_next < 0 || slots[s].new_next == slots[s].known) continue;
        char part[16], next[24];
        snprintf(part, sizeof part, "%" PRId32, slots[s].partition);
        snprintf(next, sizeof next, "%" PRId64, slots[s].new_next);
        const char *vals[] = {slots[s].topic, part, next};
        PGresult *r = run(c, sql, 3, vals, NULL, NULL, PGRES_COMMAND_OK, "updating audit_offsets", err, errlen);
        if (r == NULL) return -1;
        PQclear(r);
    }
    return 0;
}

/* Reads the chain head under the lock: (0, zeros) for an empty chain. */
static int read_head(PGconn *c, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN], char *err, size_t errlen) {
    PGresult *r = run(c, "SELECT seq, encode(hash, 'hex') FROM audit_log ORDER BY seq DESC LIMIT 1", 0, NULL,
                      NULL, NULL, PGRES_TUPLES_OK, "reading the chain head", err, errlen);
    if (r == NULL) return -1;
    int rc = 0;
    *seq = 0;
    memset(hash, 0, AUDIT_HASH_LEN);
    if (PQntuples(r) == 1) {
        *seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        if (audit_unhex(PQgetvalue(r, 0, 1), hash, AUDIT_HASH_LEN) != 0) {
            snprintf(err, errlen, "chain head seq %" PRId64 " has a malformed hash", *seq);
            rc = -1;
        }
    }
    PQclear(r);
    return rc;
}

int audit_batch_commit(PGconn *c, audit_batch *b, audit_commit_stats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        snprintf(err, errlen, "postgres: not connected");
        return -1;
    }
    if (b->n == 0) return 0;
    char *keep = calloc(b->n, 1);
    row_params *rp = calloc(b->n, sizeof *rp);
    slot *slots = NULL;
    size_t ns = 0, *slot_of = NULL, nrows = 0;
    audit_offset *known = NULL;
    size_t nknown = 0;
    int rc = -1;
    if (keep == NULL || rp == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (run_cmd(c, "BEGIN", "BEGIN", err, errlen) != 0) goto out;
    const char *lock[] = {AUDIT_LOCK_KEY};
    PGresult *r = run(c, "SELECT pg_advisory_xact_lock($1::bigint)", 1, lock, NULL, NULL, PGRES_TUPLES_OK,
                      "taking the audit lock", err, errlen);
    if (r == NULL) goto rollback;
    PQclear(r);
    int64_t head;
    uint8_t prev[AUDIT_HASH_LEN];
    if (read_head(c, &head, prev, err, errlen) != 0) goto rollback;
    if (audit_offsets_load(c, &known, &nknown, err, errlen) != 0) goto rollback;
    if (filter(b, known, nknown, &slots, &ns, &slot_of, keep) != 0) {
        snprintf(err, errlen, "out of memory");
        goto rollback;
    }
    for (size_t i = 0; i < b->n; i++) {
        const audit_pending *p = &b->v[i];
        if (!keep[i]) {
            st->duplicates++;
            continue;
        }
        if (p->ev.event_type == NULL) {
            st->accounted++;
            continue;
        }
        row_params *q = &rp[nrows++];
        audit_row *row = &q->row;
        row->seq = ++head;
        if (audit_format_time(audit_now_us(), row->recorded_at) != 0) {
            snprintf(err, errlen, "system clock out of range");
            goto rollback;
        }
        row->event_type = p->ev.event_type, row->client_id = p->ev.client_id, row->request_id = p->ev.request_id;
        row->key_id = p->ev.key_id, row->session_id = p->ev.session_id, row->node_id = p->ev.node_id;
        row->operation = p->ev.operation, row->result = p->ev.result, row->details = p->details;
        row->source_topic = p->topic, row->source_partition = p->partition, row->source_offset = p->offset;
        memcpy(row->prev_hash, prev, AUDIT_HASH_LEN);
        if (audit_row_hash(row, q->hash) != 0) {
            snprintf(err, errlen, "hashing row %" PRId64 " failed", row->seq);
            goto rollback;
        }
        memcpy(prev, q->hash, AUDIT_HASH_LEN);
        snprintf(q->seq, sizeof q->seq, "%" PRId64, row->seq);
        snprintf(q->partition, sizeof q->partition, "%" PRId32, p->partition);
        snprintf(q->offset, sizeof q->offset, "%" PRId64, p->offset);
    }
    if (nrows && insert_rows(c, rp, nrows, err, errlen) != 0) goto rollback;
    if (upsert_offsets(c, slots, ns, err, errlen) != 0) goto rollback;
    if (run_cmd(c, "COMMIT", "COMMIT", err, errlen) != 0) goto out; /* outcome unknown: retry filters */
    st->rows = nrows;
    st->head_seq = head;
    audit_batch_clear(b);
    rc = 0;
    goto out;
rollback:
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) {
        char ignored[64];
        (void)run_cmd(c, "ROLLBACK", "ROLLBACK", ignored, sizeof ignored);
    }
out:
    audit_offsets_free(known, nknown);
    free(keep), free(rp), free(slots), free(slot_of);
    return rc;
}
