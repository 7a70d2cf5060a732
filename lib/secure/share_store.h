/*
 * secure/share_store.h - a node's encrypted key shares on disk (DESIGN.md
 * §5, seed §4.3; formats and threat model in docs/security.md).
 *
 * Layout under the store directory:
 *
 *   <dir>/.lock                       flock: writers exclusive, readers shared
 *   <dir>/<key_id>/metadata.json      description, wrapped data key, hash
 *   <dir>/<key_id>/share.enc          AES-256-GCM(data key, share) || tag
 *   <dir>/<key_id>/backup/            the previous generation after a replace
 *   <dir>/.tmp-<key_id>-<suffix>/     staging; leftovers of a crash are
 *                                     removed when the store is opened
 *
 * Each share has its own random 256-bit data key, wrapped with the node's
 * master key (AES-256-GCM, its own IV, associated data binding key id and
 * node id); the share is encrypted under the data key with associated data
 * binding every metadata field, and metadata.json carries SHA-256 of
 * share.enc. Loading checks all three, so a flipped byte anywhere, a share
 * moved to another key or node, or a wrong master key is an error, never
 * garbage. The plaintext share never touches the disk.
 *
 * Writes are atomic: a complete key directory is staged (files written
 * O_EXCL 0600 and fsync'ed, directory fsync'ed) and published with one
 * rename (renameat2 RENAME_NOREPLACE for put, RENAME_EXCHANGE for replace),
 * then the store directory is fsync'ed. A crash leaves the old state or the
 * new one, plus at worst a staging leftover. Put is write-once.
 *
 * Conventions: see secure/secure.h. A store may be used from several threads
 * and processes at once (the flock serialises writers).
 */
#ifndef MPC_SECURE_SHARE_STORE_H
#define MPC_SECURE_SHARE_STORE_H

#include <stddef.h>

#include "engine/rng.h"
#include "secure/secure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MPC_KEY_ID_MAX 128
#define MPC_SHARE_TOKEN_MAX 32
#define MPC_SHARE_MAX_BYTES (1024u * 1024u)

/* What metadata.json says about a share. */
typedef struct mpc_share_meta {
    char key_id[MPC_KEY_ID_MAX + 1];          /* [A-Za-z0-9_-]{1,128} */
    int node_id;                              /* 1..255; must be the store's node */
    int share_index;                          /* 1..255 (the party's evaluation point) */
    int threshold;                            /* 1..total_shares */
    int total_shares;                         /* 1..255 */
    char protocol[MPC_SHARE_TOKEN_MAX + 1];   /* [a-z0-9_-]{1,32}, e.g. "frost" */
    char curve[MPC_SHARE_TOKEN_MAX + 1];      /* [a-z0-9_-]{1,32}, e.g. "secp256k1" */
    char created_at[32];                      /* RFC 3339 UTC; set by put/replace */
} mpc_share_meta;

typedef struct mpc_share_store mpc_share_store;

/* Returns: 1 if key_id matches [A-Za-z0-9_-]{1,128} (so it can name a
 *          directory and never escape the store), else 0. key_id may be NULL. */
int mpc_key_id_valid(const char *key_id);

/* Create a master key file: 32 random bytes as 64 hex digits and a newline,
 * mode 0600, never replacing an existing file.
 * Returns: MPC_SECURE_OK, MPC_SECURE_ERR_EXISTS, _IO, _RNG.
 * In: rng: randomness source; path: the file to create.
 */
MPC_WUR int mpc_share_store_create_master_key(const mpc_rng *rng, const char *path,
                                              mpc_secure_error *err);

/* Open (creating it 0700 if missing) the store of node node_id, and remove
 * staging leftovers of earlier crashes.
 * Returns: MPC_SECURE_OK; for the master key file MPC_SECURE_ERR_NOT_FOUND,
 *          _PERMISSIONS (group/others may access it), _FORMAT; _IO; _NOMEM.
 * Out: out: the store (close with mpc_share_store_close), NULL on failure.
 * In:  dir: the store directory; master_key_path: the master key file;
 *      node_id: 1..255; rng: copied (its ctx must outlive the store; data
 *      keys and IVs come from it).
 */
MPC_WUR int mpc_share_store_open(mpc_share_store **out, const char *dir,
                                 const char *master_key_path, int node_id, const mpc_rng *rng,
                                 mpc_secure_error *err);

/* Wipe the master key and free the store (NULL allowed). */
void mpc_share_store_close(mpc_share_store *store);

/* Store a new share (write-once).
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_EXISTS (the key already has a share:
 *          nothing is changed); MPC_SECURE_ERR_INVALID_ID; MPC_SECURE_ERR_FORMAT
 *          (a metadata field out of range); MPC_SECURE_ERR_WRONG_NODE
 *          (meta->node_id is not the store's); MPC_SECURE_ERR_LIMIT (share
 *          longer than MPC_SHARE_MAX_BYTES); _IO; _RNG; _CRYPTO; _NOMEM.
 * In: meta: the description (created_at is ignored and set to now);
 *     share: len bytes, 1..MPC_SHARE_MAX_BYTES (not kept).
 */
MPC_WUR int mpc_share_store_put(mpc_share_store *store, const mpc_share_meta *meta,
                                const unsigned char *share, size_t len, mpc_secure_error *err);

/* Replace the share of an existing key (refresh), keeping the one replaced
 * (and only that one) in <key_id>/backup/.
 * Returns: as mpc_share_store_put, with MPC_SECURE_ERR_NOT_FOUND instead of
 *          MPC_SECURE_ERR_EXISTS when the key has no share yet.
 */
MPC_WUR int mpc_share_store_replace(mpc_share_store *store, const mpc_share_meta *meta,
                                    const unsigned char *share, size_t len,
                                    mpc_secure_error *err);

/* Load, verify and decrypt a share.
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_NOT_FOUND; MPC_SECURE_ERR_INVALID_ID;
 *          MPC_SECURE_ERR_FORMAT (metadata.json does not parse or breaks its
 *          rules); MPC_SECURE_ERR_WRONG_NODE (the share belongs to another
 *          node); MPC_SECURE_ERR_INTEGRITY (hash or tag mismatch: tampering,
 *          a share moved between keys, or a wrong master key); _IO; _NOMEM.
 * Out: meta: the verified description (may be NULL if not wanted).
 *      share: malloc'ed plaintext; release with
 *      mpc_secure_free_secret(*share, *len). NULL on failure.
 *      len: its length.
 * In:  key_id: the key.
 */
MPC_WUR int mpc_share_store_load(mpc_share_store *store, mpc_share_meta *meta,
                                 unsigned char **share, size_t *len, const char *key_id,
                                 mpc_secure_error *err);

/* As mpc_share_store_load, for the generation kept in backup/ by the last
 * replace (MPC_SECURE_ERR_NOT_FOUND if there is none). */
MPC_WUR int mpc_share_store_load_previous(mpc_share_store *store, mpc_share_meta *meta,
                                          unsigned char **share, size_t *len,
                                          const char *key_id, mpc_secure_error *err);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_SHARE_STORE_H */
