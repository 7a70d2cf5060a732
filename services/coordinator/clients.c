/* clients.c - authenticating request records; see clients.h. */
#include "clients.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_secret.h"
#include "record_auth.h"
#include "svc/clock.h"
#include "svc/log.h"

#define CACHE_SLOTS 32

typedef struct {
    co_client policy;
    char secret[MPC_API_SECRET_HEX_LEN + 1];
    int64_t loaded_ms; /* 0: empty slot */
    int found;         /* 0: no active client of that id (cached too) */
} cached_client;

struct co_clients {
    uint8_t secret_key[MPC_API_SECRET_KEY_LEN];
    int have_secret_key;
    cached_client slots[CACHE_SLOTS];
};

static void slot_clear(cached_client *s) {
    json_decref(s->policy.allowed_keys);
    json_decref(s->policy.allowed_chains);
    OPENSSL_cleanse(s, sizeof *s);
}

co_clients *co_clients_new(const char *secret_key_hex, char *err, size_t errlen) {
    co_clients *cc = calloc(1, sizeof *cc);
    if (cc == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (mpc_client_secret_parse_key(secret_key_hex, cc->secret_key, &cc->have_secret_key) != 0) {
        snprintf(err, errlen, "api.secret_key / MPC_API_SECRET_KEY must be 64 hex characters (32 bytes) or empty");
        free(cc);
        return NULL;
    }
    return cc;
}

void co_clients_free(co_clients *cc) {
    if (cc == NULL) return;
    for (size_t i = 0; i < CACHE_SLOTS; i++) slot_clear(&cc->slots[i]);
    OPENSSL_cleanse(cc, sizeof *cc);
    free(cc);
}

/* Loads one client into slot s. Returns 0, or -1 when the database failed. */
static int load_client(co_clients *cc, PGconn *db, const char *key_id, cached_client *s) {
    const char *p[] = {key_id};
    PGresult *r = db ? PQexecParams(db,
                                    "SELECT secret_scheme, secret, allowed_keys::text, allowed_chains::text"
                                    " FROM api_clients WHERE key_id = $1 AND status = 'active'",
                                    1, NULL, p, NULL, NULL, 1 /* binary: bytea as is */)
                     : NULL;
    if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
        svc_log(SVC_LOG_ERROR, "client lookup failed", "{s:s}", "error",
                r ? PQresultErrorMessage(r) : db ? PQerrorMessage(db) : "no database");
        PQclear(r);
        return -1;
    }
    slot_clear(s);
    snprintf(s->policy.key_id, sizeof s->policy.key_id, "%s", key_id);
    s->loaded_ms = svc_wall_ms();
    if (PQntuples(r) == 1) {
        char scheme[32];
        snprintf(scheme, sizeof scheme, "%.*s", PQgetlength(r, 0, 0), PQgetvalue(r, 0, 0));
        if (mpc_client_secret_open(cc->have_secret_key ? cc->secret_key : NULL, key_id, scheme,
                                   (const uint8_t *)PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1), s->secret) != 0) {
            svc_log(SVC_LOG_ERROR, "cannot open a client's stored secret (is api.secret_key the API's?)", "{s:s}",
                    "key_id", key_id);
        } else {
            s->found = 1;
            for (int col = 2; col <= 3; col++) {
                if (PQgetisnull(r, 0, col)) continue;
                json_t *list = json_loadb(PQgetvalue(r, 0, col), (size_t)PQgetlength(r, 0, col), 0, NULL);
                if (!json_is_array(list)) { /* unreadable policy: allow nothing */
                    json_decref(list);
                    list = json_array();
                }
                if (col == 2) s->policy.allowed_keys = list;
                else s->policy.allowed_chains = list;
            }
        }
    }
    PQclear(r);
    return 0;
}

static cached_client *lookup(co_clients *cc, PGconn *db, const char *key_id, int *db_failed) {
    int64_t now = svc_wall_ms();
    cached_client *slot = &cc->slots[0];
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        cached_client *s = &cc->slots[i];
        if (s->loaded_ms && strcmp(s->policy.key_id, key_id) == 0) {
            if (now - s->loaded_ms < CO_CLIENT_CACHE_MS) return s;
            slot = s;
            break;
        }
        if (s->loaded_ms < slot->loaded_ms) slot = s;
    }
    if (load_client(cc, db, key_id, slot) != 0) {
        *db_failed = 1;
        return NULL;
    }
    return slot;
}

/* Records the nonce's first use. Returns 1 fresh or a redelivery of the same
 * record, 0 reused for another body, -1 when Redis failed. */
static int claim_nonce(redisContext *redis, const char *key_id, const char *nonce, const char *digest_hex) {
    if (redis == NULL) return -1;
    redisReply *r = redisCommand(redis, "SET rauth:%s:%s %s NX PX %d GET", key_id, nonce, digest_hex,
                                 2 * MPC_API_MAX_SKEW_MS);
    int rc = -1;
    if (r && r->type == REDIS_REPLY_NIL) rc = 1;
    else if (r && r->type == REDIS_REPLY_STRING) rc = strcmp(r->str, digest_hex) == 0;
    freeReplyObject(r);
    return rc;
}

co_auth_result co_clients_authenticate(co_clients *cc, PGconn *db, redisContext *redis, const char *topic,
                                       const rd_kafka_message_t *msg, const mpc_auth *auth, const char *client_id,
                                       const co_client **client, char *why, size_t whylen) {
    *client = NULL;
    if (auth == NULL) {
        snprintf(why, whylen, "the record has no auth: sign it with an API key (docs/messages.md)");
        return CO_AUTH_REFUSED;
    }
    if (strcmp(auth->key_id, client_id) != 0) {
        snprintf(why, whylen, "auth.key_id '%.64s' is not the record's client_id '%.64s'", auth->key_id, client_id);
        return CO_AUTH_REFUSED;
    }
    int db_failed = 0;
    cached_client *s = lookup(cc, db, auth->key_id, &db_failed);
    if (s == NULL) return CO_AUTH_RETRY;
    if (!s->found) {
        snprintf(why, whylen, "no active API key '%.64s'", auth->key_id);
        return CO_AUTH_REFUSED;
    }
    rd_kafka_timestamp_type_t tstype;
    int64_t written = rd_kafka_message_timestamp(msg, &tstype);
    if (written <= 0) written = svc_wall_ms();
    if (auth->timestamp < written - MPC_API_MAX_SKEW_MS || auth->timestamp > written + MPC_API_MAX_SKEW_MS) {
        snprintf(why, whylen, "auth.timestamp is more than %d s away from when the record was written",
                 MPC_API_MAX_SKEW_MS / 1000);
        return CO_AUTH_REFUSED;
    }
    int ok = mpc_record_auth_verify(topic, msg->payload, msg->len, auth, s->secret);
    if (ok < 0) return CO_AUTH_RETRY;
    if (!ok) {
        snprintf(why, whylen, "auth.signature does not verify for API key '%.64s'", auth->key_id);
        return CO_AUTH_REFUSED;
    }
    char digest[65];
    if (mpc_record_digest_hex(msg->payload, msg->len, digest) != 0) return CO_AUTH_REFUSED;
    int fresh = claim_nonce(redis, auth->key_id, auth->nonce, digest);
    if (fresh < 0) return CO_AUTH_RETRY;
    if (!fresh) {
        snprintf(why, whylen, "auth.nonce was already used with another record");
        return CO_AUTH_REFUSED;
    }
    *client = &s->policy;
    return CO_AUTH_OK;
}

static int in_list(const json_t *list, const char *value) {
    if (list == NULL) return 1;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), value) == 0) return 1;
    }
    return 0;
}

int co_client_allows_key(const co_client *cl, const char *key_id) { return in_list(cl->allowed_keys, key_id); }
int co_client_allows_chain(const co_client *cl, const char *chain_type) {
    return in_list(cl->allowed_chains, chain_type);
}
