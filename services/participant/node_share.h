/* node_share.h - the participant's one way to store the key package a
 * keygen session produced (FROST: step.c, GG18/GG20: gg.c) in its share
 * store (lib/secure/share_store.h: AES-256-GCM under a per-share data key
 * wrapped with the node's master key), with the metadata the session
 * describes. Thread-safe (the share store is).
 */
#ifndef MPC_PARTICIPANT_NODE_SHARE_H
#define MPC_PARTICIPANT_NODE_SHARE_H

#include <stddef.h>

#include "pipeline/session.h"
#include "secure/share_store.h"

/* Stores pkg[0..len) (a serialized key package; not kept) as this node's
 * (self) share of d's key. Returns 0, or -1 with a one-line reason in why
 * (publishable: no path, no secret). */
int node_share_put(mpc_share_store *shares, int self, const pl_session *d, const unsigned char *pkg, size_t len,
                   char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
