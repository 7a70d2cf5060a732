/* transcript.c - length-prefixed, domain-separated SHA-256 transcripts. */
#include "engine/transcript.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "engine/hash.h"

static void absorb(mpc_transcript *t, const void *p, size_t len) {
    if (len && !EVP_DigestUpdate(t->md, p, len)) abort();
}

static void absorb_be(mpc_transcript *t, uint64_t v, int bytes) {
    unsigned char b[8];
    for (int i = 0; i < bytes; i++) b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    absorb(t, b, (size_t)bytes);
}

static void absorb_label(mpc_transcript *t, const char *label) {
    size_t l = strlen(label);
    absorb_be(t, l, 4);
    absorb(t, label, l);
}

void mpc_transcript_init(mpc_transcript *t, const char *domain) {
    MPC_ARG_CHECK(t != NULL && domain != NULL);
    t->md = EVP_MD_CTX_new();
    if (t->md == NULL || !EVP_DigestInit_ex(t->md, EVP_sha256(), NULL)) abort();
    absorb_label(t, "mpc-transcript-v1");
    absorb_label(t, domain);
}

void mpc_transcript_append(mpc_transcript *t, const char *label, const unsigned char *data,
                           size_t len) {
    MPC_ARG_CHECK(t != NULL && t->md != NULL && label != NULL && (data != NULL || len == 0));
    absorb_label(t, label);
    absorb_be(t, len, 8);
    absorb(t, data, len);
}

void mpc_transcript_append_u64(mpc_transcript *t, const char *label, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (56 - 8 * i));
    mpc_transcript_append(t, label, b, 8);
}

void mpc_transcript_digest(mpc_transcript *t, unsigned char out32[32]) {
    unsigned int len = 0;
    MPC_ARG_CHECK(t != NULL && t->md != NULL);
    if (!EVP_DigestFinal_ex(t->md, out32, &len)) abort();
    mpc_transcript_free(t);
}

void mpc_transcript_challenge(mpc_transcript *t, mpc_scalar *out) {
    static const char dst[] = "mpc-transcript-challenge";
    unsigned char d[32];
    mpc_transcript_digest(t, d);
    mpc_bytes part = {d, 32};
    mpc_hash_to_scalar(out, &part, 1, (const unsigned char *)dst, sizeof dst - 1);
}

void mpc_transcript_free(mpc_transcript *t) {
    if (t == NULL || t->md == NULL) return;
    EVP_MD_CTX_free(t->md);
    t->md = NULL;
}
