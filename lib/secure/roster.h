/*
 * secure/roster.h - the pinned set of node identities (roster.json).
 *
 * Format (docs/pipeline.md, "Nodes and identities"):
 *
 *   {"nodes": [{"id": 0, "role": "coordinator", "public_key": "02…"},
 *              {"id": 1, "role": "participant", "public_key": "03…"}, …]}
 *
 * Rules checked on load: at least one node; ids are integers 0..255 and
 * unique; node 0 (and only node 0) has role "coordinator", the others
 * "participant"; public_key is 66 hex digits encoding a valid compressed
 * secp256k1 point; no two nodes share a public key (one node could otherwise
 * speak as another). Other members are ignored. Keys are never learned from
 * Kafka: the roster is configuration.
 *
 * Conventions: see secure/secure.h. A loaded roster is immutable and may be
 * read from several threads.
 */
#ifndef MPC_SECURE_ROSTER_H
#define MPC_SECURE_ROSTER_H

#include <stddef.h>

#include "engine/ctx.h"
#include "secure/identity.h"
#include "secure/secure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MPC_ROSTER_MAX_ID 255

typedef enum mpc_node_role {
    MPC_ROLE_COORDINATOR = 0, /* node 0: coordinator instances */
    MPC_ROLE_PARTICIPANT = 1  /* nodes 1..255 */
} mpc_node_role;

typedef struct mpc_roster_node {
    int id;                                             /* 0..255 */
    mpc_node_role role;
    unsigned char public_key[MPC_IDENTITY_PUBKEY_LEN];  /* compressed point */
} mpc_roster_node;

typedef struct mpc_roster mpc_roster;

/* Parse and validate roster JSON.
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_FORMAT (the message names `source`
 *          and the offending node/field); MPC_SECURE_ERR_NOMEM.
 * Out: out: the roster (free with mpc_roster_free), NULL on failure.
 * In:  json: len bytes of JSON text; source: name used in messages (a path).
 */
MPC_WUR int mpc_roster_parse(const mpc_engine_ctx *ctx, mpc_roster **out, const char *json,
                             size_t len, const char *source, mpc_secure_error *err);

/* Read and validate a roster file (as mpc_roster_parse, plus
 * MPC_SECURE_ERR_NOT_FOUND / _IO / _LIMIT for the file itself). */
MPC_WUR int mpc_roster_load(const mpc_engine_ctx *ctx, mpc_roster **out, const char *path,
                            mpc_secure_error *err);

/* Free a roster (NULL allowed). */
void mpc_roster_free(mpc_roster *roster);

/* Returns: the node with this id, or NULL (any int may be passed). The
 *          pointer lives as long as the roster. */
const mpc_roster_node *mpc_roster_find(const mpc_roster *roster, int id);

/* Returns: the number of nodes. */
size_t mpc_roster_count(const mpc_roster *roster);

/* Returns: the i-th node in increasing id order (i < mpc_roster_count). */
const mpc_roster_node *mpc_roster_at(const mpc_roster *roster, size_t i);

/* Render nodes as roster JSON (indented, in the order given, trailing newline).
 * Returns: MPC_SECURE_OK or MPC_SECURE_ERR_NOMEM.
 * Out: json: malloc'ed NUL-terminated text; free() it.
 * In:  nodes: n entries.
 */
MPC_WUR int mpc_roster_format(char **json, const mpc_roster_node *nodes, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_ROSTER_H */
