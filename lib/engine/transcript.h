/* transcript.h - unambiguous Fiat-Shamir transcripts.
 *
 * A transcript is a running SHA-256 over a domain label and a sequence of
 * (label, data) fields, every label and every field prefixed with its length
 * (be32 for labels, be64 for data), so two different field sequences can
 * never produce the same hash input. Used for hash commitments and to derive
 * session-bound contexts (e.g. the DKG proof-of-knowledge context) and, later,
 * the challenges of GG18/GG20 proofs.
 */
#ifndef MPC_ENGINE_TRANSCRIPT_H
#define MPC_ENGINE_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/scalar.h"

typedef struct mpc_transcript {
    void *md; /* EVP_MD_CTX */
} mpc_transcript;

/* Start a transcript for domain (a NUL-terminated protocol label).
 * Aborts on memory exhaustion. */
void mpc_transcript_init(mpc_transcript *t, const char *domain);

/* Absorb one field: be32(len(label)) || label || be64(len) || data. */
void mpc_transcript_append(mpc_transcript *t, const char *label, const unsigned char *data,
                           size_t len);

/* Absorb an integer field (encoded as 8 big-endian bytes). */
void mpc_transcript_append_u64(mpc_transcript *t, const char *label, uint64_t v);

/* Finish: out32 = SHA-256 of everything absorbed; the transcript is freed. */
void mpc_transcript_digest(mpc_transcript *t, unsigned char out32[32]);

/* Finish: out = hash_to_field(digest, DST = "mpc-transcript-challenge");
 * the transcript is freed. */
void mpc_transcript_challenge(mpc_transcript *t, mpc_scalar *out);

/* Discard an unfinished transcript (safe on a finished one). */
void mpc_transcript_free(mpc_transcript *t);

#endif
