/* nodes.c - GET /api/v1/nodes and GET /api/v1/nodes/{node_id}/health.
 *
 * Two sources (docs/pipeline.md, "Nodes and identities"): the nodes table
 * (identity, type, last_heartbeat) and Redis node:health:<id>, which the
 * coordinator refreshes from heartbeats with a 10 s TTL. A node is
 * `healthy` while its Redis entry exists; `healthy` is null when Redis
 * cannot be asked. The entry's value is returned as `heartbeat` (parsed when
 * it is JSON).
 */
#include <string.h>

#include "api.h"

#define NODE_COLUMNS                                                                                   \
    "node_id, node_type, endpoint, public_key, status, capabilities, load_factor, " API_ISO( \
        "last_heartbeat") " AS last_heartbeat, " API_ISO("registered_at") " AS registered_at"

/* Adds "healthy" and "heartbeat" to node from a Redis reply (NULL: Redis away). */
static void add_health(json_t *node, redisReply *r) {
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        json_object_set_new(node, "healthy", json_null());
        json_object_set_new(node, "heartbeat", json_null());
        return;
    }
    int present = r->type == REDIS_REPLY_STRING;
    json_t *hb = json_null();
    if (present) {
        hb = json_loadb(r->str, r->len, JSON_DECODE_ANY, NULL);
        if (hb == NULL) hb = json_stringn(r->str, r->len);
    }
    json_object_set_new(node, "healthy", json_boolean(present));
    json_object_set_new(node, "heartbeat", hb ? hb : json_null());
}

int api_h_nodes_list(api_call *c, svc_http_response *resp) {
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    PGresult *r = api_pg_exec(pg, "SELECT " NODE_COLUMNS " FROM nodes ORDER BY node_type, length(node_id), node_id", 0,
                              NULL, PGRES_TUPLES_OK);
    if (r == NULL) return api_reply_db_down(c, resp);
    int n = PQntuples(r);
    json_t *nodes = json_array();
    redisContext *rc = api_conn_redis(c->conn);
    for (int i = 0; rc && i < n; i++) redisAppendCommand(rc, "GET node:health:%s", PQgetvalue(r, i, 0));
    for (int i = 0; nodes && i < n; i++) {
        json_t *node = api_pg_row_object(r, i);
        redisReply *reply = NULL;
        if (rc && redisGetReply(rc, (void **)&reply) != REDIS_OK) {
            api_conn_redis_broken(c->conn);
            rc = NULL;
            reply = NULL;
        }
        if (node) {
            add_health(node, reply);
            json_array_append_new(nodes, node);
        }
        freeReplyObject(reply);
    }
    PQclear(r);
    return api_reply_data(c, resp, 200, json_pack("{s:o}", "nodes", nodes));
}

int api_h_node_health(api_call *c, svc_http_response *resp) {
    PGconn *pg = api_conn_pg(c->conn);
    if (pg == NULL) return api_reply_db_down(c, resp);
    const char *p[] = {c->params[0]};
    PGresult *r = api_pg_exec(pg, "SELECT " NODE_COLUMNS " FROM nodes WHERE node_id = $1", 1, p, PGRES_TUPLES_OK);
    if (r == NULL) return api_reply_db_down(c, resp);
    json_t *node = PQntuples(r) ? api_pg_row_object(r, 0) : json_pack("{s:s}", "node_id", c->params[0]);
    int in_db = PQntuples(r) > 0;
    PQclear(r);
    if (node == NULL) return -1;
    redisContext *rc = api_conn_redis(c->conn);
    redisReply *reply = rc ? redisCommand(rc, "GET node:health:%s", c->params[0]) : NULL;
    if (rc && reply == NULL) api_conn_redis_broken(c->conn);
    int in_redis = reply && reply->type == REDIS_REPLY_STRING;
    add_health(node, reply);
    freeReplyObject(reply);
    if (!in_db && !in_redis) {
        json_decref(node);
        return api_reply_error(c, resp, 404, "NODE_NOT_FOUND", "no node '%s'", c->params[0]);
    }
    return api_reply_data(c, resp, 200, node);
}
