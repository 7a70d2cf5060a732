/*
 * roster.c - load and validate roster.json with jansson; look nodes up by
 * id through a 256-entry index. Every error names the source file and the
 * node or field at fault, so an operator can fix the file without guessing.
 */
#include "secure/roster.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "secure/internal.h"

struct mpc_roster {
    mpc_roster_node *nodes; /* sorted by id */
    size_t count;
    int index[MPC_ROSTER_MAX_ID + 1]; /* position in nodes, or -1 */
};

void mpc_roster_free(mpc_roster *roster) {
    if (roster == NULL) return;
    free(roster->nodes);
    free(roster);
}

/* Validate nodes[i] of the JSON array into *node. */
static int parse_node(const mpc_engine_ctx *ctx, mpc_roster_node *node, const json_t *obj,
                      size_t i, const char *source, mpc_secure_error *err) {
    if (!json_is_object(obj))
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s: nodes[%zu] is not an object", source, i);
    const json_t *id = json_object_get(obj, "id"), *role = json_object_get(obj, "role"),
                 *pub = json_object_get(obj, "public_key");
    if (!json_is_integer(id) || json_integer_value(id) < 0 ||
        json_integer_value(id) > MPC_ROSTER_MAX_ID)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "%s: nodes[%zu].id must be an integer 0..%d", source, i,
                        MPC_ROSTER_MAX_ID);
    node->id = (int)json_integer_value(id);
    const char *r = json_string_value(role);
    if (r != NULL && strcmp(r, "coordinator") == 0) {
        node->role = MPC_ROLE_COORDINATOR;
    } else if (r != NULL && strcmp(r, "participant") == 0) {
        node->role = MPC_ROLE_PARTICIPANT;
    } else {
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "%s: node %d: role must be \"coordinator\" or \"participant\"", source,
                        node->id);
    }
    if ((node->role == MPC_ROLE_COORDINATOR) != (node->id == 0))
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "%s: node %d: node 0 must be the coordinator and nodes 1..%d "
                        "participants",
                        source, node->id, MPC_ROSTER_MAX_ID);
    const char *hex = json_string_value(pub);
    secp256k1_pubkey point;
    if (hex == NULL ||
        !sec_hex_decode(node->public_key, MPC_IDENTITY_PUBKEY_LEN, hex, strlen(hex)) ||
        (node->public_key[0] != 0x02 && node->public_key[0] != 0x03) ||
        !secp256k1_ec_pubkey_parse(mpc_engine_secp(ctx), &point, node->public_key,
                                   MPC_IDENTITY_PUBKEY_LEN))
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "%s: node %d: public_key must be 66 hex digits of a valid compressed "
                        "secp256k1 point (02/03 prefix)",
                        source, node->id);
    return MPC_SECURE_OK;
}

static int cmp_node(const void *a, const void *b) {
    return ((const mpc_roster_node *)a)->id - ((const mpc_roster_node *)b)->id;
}

static int build(const mpc_engine_ctx *ctx, mpc_roster *r, const json_t *root, const char *source,
                 mpc_secure_error *err) {
    const json_t *nodes = json_object_get(root, "nodes");
    if (!json_is_object(root) || !json_is_array(nodes) || json_array_size(nodes) == 0)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                        "%s: expected an object with a non-empty \"nodes\" array", source);
    size_t n = json_array_size(nodes);
    if (n > MPC_ROSTER_MAX_ID + 1)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s: more than %d nodes", source,
                        MPC_ROSTER_MAX_ID + 1);
    r->nodes = calloc(n, sizeof *r->nodes);
    if (r->nodes == NULL) return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = parse_node(ctx, &r->nodes[i], json_array_get(nodes, i), i, source, err);
        if (rc != MPC_SECURE_OK) return rc;
        r->count++;
    }
    qsort(r->nodes, n, sizeof *r->nodes, cmp_node);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && r->nodes[i].id == r->nodes[i - 1].id)
            return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s: node id %d appears twice", source,
                            r->nodes[i].id);
        for (size_t j = 0; j < i; j++)
            if (memcmp(r->nodes[i].public_key, r->nodes[j].public_key,
                       MPC_IDENTITY_PUBKEY_LEN) == 0)
                return sec_fail(err, MPC_SECURE_ERR_FORMAT,
                                "%s: nodes %d and %d have the same public key", source,
                                r->nodes[j].id, r->nodes[i].id);
        r->index[r->nodes[i].id] = (int)i;
    }
    return MPC_SECURE_OK;
}

int mpc_roster_parse(const mpc_engine_ctx *ctx, mpc_roster **out, const char *json, size_t len,
                     const char *source, mpc_secure_error *err) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && (json != NULL || len == 0) && source != NULL);
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return sec_fail(err, MPC_SECURE_ERR_FORMAT, "%s:%d:%d: invalid JSON: %s", source,
                        jerr.line, jerr.column, jerr.text);
    mpc_roster *r = calloc(1, sizeof *r);
    if (r == NULL) {
        json_decref(root);
        return sec_fail(err, MPC_SECURE_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i <= MPC_ROSTER_MAX_ID; i++) r->index[i] = -1;
    int rc = build(ctx, r, root, source, err);
    json_decref(root);
    if (rc != MPC_SECURE_OK) {
        mpc_roster_free(r);
        return rc;
    }
    *out = r;
    sec_clear(err);
    return MPC_SECURE_OK;
}

int mpc_roster_load(const mpc_engine_ctx *ctx, mpc_roster **out, const char *path,
                    mpc_secure_error *err) {
    MPC_ARG_CHECK(ctx != NULL && out != NULL && path != NULL);
    unsigned char *text = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = sec_read_file(path, 0, 1024 * 1024, &text, &len, err);
    if (rc != MPC_SECURE_OK) return rc;
    rc = mpc_roster_parse(ctx, out, (const char *)text, len, path, err);
    free(text);
    return rc;
}

const mpc_roster_node *mpc_roster_find(const mpc_roster *roster, int id) {
    MPC_ARG_CHECK(roster != NULL);
    if (id < 0 || id > MPC_ROSTER_MAX_ID || roster->index[id] < 0) return NULL;
    return &roster->nodes[roster->index[id]];
}

size_t mpc_roster_count(const mpc_roster *roster) {
    MPC_ARG_CHECK(roster != NULL);
    return roster->count;
}

const mpc_roster_node *mpc_roster_at(const mpc_roster *roster, size_t i) {
    MPC_ARG_CHECK(roster != NULL && i < roster->count);
    return &roster->nodes[i];
}

int mpc_roster_format(char **json, const mpc_roster_node *nodes, size_t n) {
    MPC_ARG_CHECK(json != NULL && (nodes != NULL || n == 0));
    *json = NULL;
    json_t *arr = json_array(), *root = json_object();
    int ok = arr != NULL && root != NULL && json_object_set(root, "nodes", arr) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        char hex[2 * MPC_IDENTITY_PUBKEY_LEN + 1];
        sec_hex_encode(hex, nodes[i].public_key, MPC_IDENTITY_PUBKEY_LEN);
        json_t *o = json_pack("{s:i, s:s, s:s}", "id", nodes[i].id, "role",
                              nodes[i].role == MPC_ROLE_COORDINATOR ? "coordinator"
                                                                    : "participant",
                              "public_key", hex);
        ok = o != NULL && json_array_append_new(arr, o) == 0;
    }
    char *text = ok ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(arr);
    json_decref(root);
    if (text == NULL) return MPC_SECURE_ERR_NOMEM;
    size_t len = strlen(text);
    char *with_nl = malloc(len + 2);
    if (with_nl != NULL) {
        memcpy(with_nl, text, len);
        with_nl[len] = '\n';
        with_nl[len + 1] = '\0';
    }
    free(text);
    *json = with_nl;
    return with_nl != NULL ? MPC_SECURE_OK : MPC_SECURE_ERR_NOMEM;
}
