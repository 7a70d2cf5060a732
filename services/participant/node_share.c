/* node_share.c - a keygen's key package into the share store; see node_share.h. */
#include "node_share.h"

#include <stdio.h>

int node_share_put(mpc_share_store *shares, int self, const pl_session *d, const unsigned char *pkg, size_t len,
                   char *why, size_t whylen) {
    mpc_share_meta meta = {.node_id = self, .share_index = self, .threshold = d->threshold,
                           .total_shares = d->total_nodes};
    snprintf(meta.key_id, sizeof meta.key_id, "%s", d->key_id);
    snprintf(meta.protocol, sizeof meta.protocol, "%s", d->protocol);
    snprintf(meta.curve, sizeof meta.curve, "secp256k1");
    mpc_secure_error e;
    if (mpc_share_store_put(shares, &meta, pkg, len, &e) != MPC_SECURE_OK) {
        snprintf(why, whylen, "cannot store the key package: %.160s", e.message);
        return -1;
    }
    return 0;
}
