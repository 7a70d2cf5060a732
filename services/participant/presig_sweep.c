/* presig_sweep.c - deleting orphaned presignatures; see presig_sweep.h. */
#include "presig_sweep.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secure/vault.h"
#include "svc/log.h"

#define LOGGED_IDS 20 /* ids named in one log line */

struct psw_sweeper {
    ps_store *store;
    char self[8];
    int64_t interval_ms, min_age_ms, next_ms;
    svc_metric *swept, *checked;
};

/* $1: the candidate ids (JSON array), $2: this node's id. Returns the ids
 * the coordinator can no longer hand to this node (presig_sweep.h). */
static const char ORPHANS_SQL[] =
    "SELECT x.id FROM jsonb_array_elements_text($1::jsonb) AS x(id)"
    " LEFT JOIN presignatures p ON p.presig_id = x.id"
    " LEFT JOIN signing_sessions ps ON ps.session_id = substring(x.id FROM '^(.+)\\.[0-9]+$')"
    " LEFT JOIN signing_sessions cs ON cs.session_id = p.claimed_session"
    " WHERE CASE"
    " WHEN p.presig_id IS NULL THEN ps.session_id IS NULL OR ps.status IN ('completed', 'failed')"
    " WHEN p.status = 'ready' THEN NOT ($2 = ANY (string_to_array(p.signers, ',')))"
    " ELSE cs.status IN ('completed', 'failed') END";

psw_sweeper *psw_new(const svc_config *config, svc_metrics *metrics, ps_store *store, int self) {
    psw_sweeper *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->store = store;
    snprintf(w->self, sizeof w->self, "%d", self);
    w->interval_ms = svc_config_int(config, "presign.sweep_interval_ms");
    w->min_age_ms = svc_config_int(config, "presign.sweep_min_age_ms");
    w->swept = svc_metrics_counter(metrics, "mpc_presig_swept_total",
                                   "Orphaned presignatures deleted (the coordinator can no longer hand them out)", NULL);
    w->checked = svc_metrics_counter(metrics, "mpc_presig_sweep_checked_total",
                                     "Presignatures the sweep looked up in the coordinator's tables", NULL);
    return w;
}

void psw_free(psw_sweeper *w) { free(w); }

/* Runs the query for ids of node self. Returns a new JSON array of the orphans, or NULL
 * (logged) when the database does not answer as expected. */
static json_t *orphans_of(PGconn *db, json_t *ids, const char *self) {
    char *text = json_dumps(ids, JSON_COMPACT);
    if (text == NULL) return NULL;
    const char *params[] = {text, self};
    PGresult *r = PQexecParams(db, ORPHANS_SQL, 2, NULL, params, NULL, NULL, 0);
    free(text);
    json_t *out = NULL;
    if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQnfields(r) == 1) {
        out = json_array();
        for (int i = 0; out && i < PQntuples(r); i++) json_array_append_new(out, json_string(PQgetvalue(r, i, 0)));
    } else {
        const char *msg = PQerrorMessage(db);
        svc_log(SVC_LOG_WARN, "presignature sweep: the coordinator's tables cannot be read; nothing deleted",
                "{s:s#}", "error", msg, (int)strcspn(msg, "\n"));
    }
    PQclear(r);
    return out;
}

void psw_tick(psw_sweeper *w, PGconn *db, int64_t now_ms) {
    if (w->interval_ms <= 0 || now_ms < w->next_ms) return;
    w->next_ms = now_ms + w->interval_ms;
    if (db == NULL) return;
    char **aged = NULL;
    size_t naged = 0;
    char why[256];
    if (ps_store_aged(w->store, now_ms, w->min_age_ms, PSW_MAX_PER_SWEEP, &aged, &naged, why, sizeof why) != 0) {
        svc_log(SVC_LOG_WARN, "presignature sweep skipped", "{s:s}", "error", why);
        return;
    }
    json_t *ids = json_array(), *orphans = NULL;
    for (size_t i = 0; ids && i < naged; i++) json_array_append_new(ids, json_string(aged[i]));
    mpc_vault_names_free(aged, naged);
    if (ids == NULL || json_array_size(ids) == 0 || (orphans = orphans_of(db, ids, w->self)) == NULL) {
        json_decref(ids);
        return;
    }
    svc_counter_add(w->checked, json_array_size(ids));
    json_t *named = json_array();
    size_t swept = 0, i;
    json_t *v;
    json_array_foreach(orphans, i, v) {
        const char *id = json_string_value(v);
        ps_status st = ps_store_discard(w->store, id, why, sizeof why);
        if (st == PS_OK) {
            swept++;
            if (named && json_array_size(named) < LOGGED_IDS) json_array_append_new(named, json_string(id));
        } else if (st == PS_STORAGE) {
            svc_log(SVC_LOG_ERROR, "cannot delete an orphaned presignature", "{s:s,s:s}", "presig_id", id, "error",
                    why);
        }
    }
    if (swept > 0) {
        svc_counter_add(w->swept, swept);
        svc_log(SVC_LOG_INFO, "orphaned presignatures swept", "{s:i,s:i,s:O?}", "count", (int)swept, "checked",
                (int)json_array_size(ids), "ids", named);
    }
    json_decref(named);
    json_decref(orphans);
    json_decref(ids);
}
