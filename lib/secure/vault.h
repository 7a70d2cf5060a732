/*
 * secure/vault.h - a directory of small sealed secrets, each handed out at
 * most once: a participant's pool of pre-generated Paillier keys and its
 * GG20 presignatures (docs/security.md, "Vaults").
 *
 * Layout: <dir>/<name>.seal, one file per item, mode 0600, in a 0700
 * directory. File format (binary):
 *
 *   "mpcvlt01" (8) | salt (32) | iv (12) | AES-256-GCM ciphertext | tag (16)
 *
 *   key = HKDF-SHA256(ikm = the node's master key, salt,
 *                     info = "mpc.v1.vault" || 0 || purpose || 0 || be32(node_id) || name)
 *   aad = info
 *
 * Each item has its own key (a fresh 32-byte salt), so GCM's random IVs never
 * meet twice under one key; the key and the associated data bind the item to
 * its name, the vault's purpose ("paillier", "presig") and the node, so a
 * file renamed, moved to another vault or to another node, or altered in any
 * byte fails to open (MPC_SECURE_ERR_INTEGRITY) instead of yielding a wrong
 * secret. The plaintext never touches the disk.
 *
 * Writes are atomic and write-once: a temporary file is written, fsync'ed,
 * linked into place (link(2) refuses an existing name) and the directory
 * fsync'ed. A crash leaves no item or the whole item (and at worst a
 * ".<name>.seal.tmp-*" leftover, removed at the next open).
 *
 * Taking is destructive and at most once: mpc_vault_take reads and decrypts
 * the item, then unlink(2)s it and fsyncs the directory, and returns the
 * plaintext only when that removal is durable. Of two threads or processes
 * taking the same item, only the one whose unlink succeeds gets it; a crash
 * after the removal loses the item, never hands it out twice.
 *
 * Names match [A-Za-z0-9][A-Za-z0-9_.:-]{0,127} (MPC_VAULT_NAME_MAX).
 * Conventions: see secure/secure.h. A vault may be used from several threads
 * at once (each call is independent; the file system arbitrates).
 */
#ifndef MPC_SECURE_VAULT_H
#define MPC_SECURE_VAULT_H

#include <stddef.h>

#include "engine/rng.h"
#include "secure/secure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MPC_VAULT_NAME_MAX 128
#define MPC_VAULT_ITEM_MAX (1024u * 1024u)

typedef struct mpc_vault mpc_vault;

/* Returns: 1 if name is a valid item name (see above), else 0 (NULL allowed). */
int mpc_vault_name_valid(const char *name);

/* Open (creating it 0700 if missing) a vault directory and remove temporary
 * leftovers of interrupted writes.
 * Returns: MPC_SECURE_OK; for the master key file MPC_SECURE_ERR_NOT_FOUND,
 *          _PERMISSIONS, _FORMAT; _IO; _NOMEM.
 * Out: out: the vault (close with mpc_vault_close), NULL on failure.
 * In:  dir: the directory; master_key_path: the node's master key file (as
 *      for the share store); node_id: 1..255; purpose: [a-z0-9_-]{1,32},
 *      bound into every item; rng: copied (salts and IVs; its ctx must
 *      outlive the vault).
 */
MPC_WUR int mpc_vault_open(mpc_vault **out, const char *dir, const char *master_key_path,
                           int node_id, const char *purpose, const mpc_rng *rng,
                           mpc_secure_error *err);

/* Wipe the master key and free the vault (NULL allowed). */
void mpc_vault_close(mpc_vault *v);

/* Seal and store a new item (write-once).
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_EXISTS (nothing changed);
 *          MPC_SECURE_ERR_INVALID_ID; MPC_SECURE_ERR_LIMIT (len 0 or above
 *          MPC_VAULT_ITEM_MAX); _IO; _RNG; _CRYPTO; _NOMEM.
 * In: name: the item; data[0..len): the secret (not kept).
 */
MPC_WUR int mpc_vault_put(mpc_vault *v, const char *name, const unsigned char *data, size_t len,
                          mpc_secure_error *err);

/* Open an item and remove it durably (see the header comment).
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_NOT_FOUND (no such item, or another
 *          taker removed it first); MPC_SECURE_ERR_INVALID_ID;
 *          MPC_SECURE_ERR_FORMAT / _INTEGRITY (the file is not a valid item
 *          of this vault: it is left in place for inspection); _IO (the
 *          removal may not be durable: nothing is returned); _NOMEM.
 * Out: data: malloc'ed plaintext, release with mpc_secure_free_secret(*data,
 *      *len); NULL on failure. len: its length.
 */
MPC_WUR int mpc_vault_take(mpc_vault *v, const char *name, unsigned char **data, size_t *len,
                           mpc_secure_error *err);

/* Remove an item without opening it (durable: the directory is fsync'ed).
 * Returns: MPC_SECURE_OK; MPC_SECURE_ERR_NOT_FOUND; _INVALID_ID; _IO. */
MPC_WUR int mpc_vault_remove(mpc_vault *v, const char *name, mpc_secure_error *err);

/* The names of the items whose name starts with prefix ("" for all), in
 * ascending byte order.
 * Returns: MPC_SECURE_OK; _IO; _NOMEM.
 * Out: names: malloc'ed array of malloc'ed strings (free with
 *      mpc_vault_names_free), count: how many.
 */
MPC_WUR int mpc_vault_list(mpc_vault *v, const char *prefix, char ***names, size_t *count,
                           mpc_secure_error *err);
void mpc_vault_names_free(char **names, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* MPC_SECURE_VAULT_H */
