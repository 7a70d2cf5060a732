/* hash.c - SHA-256 (OpenSSL EVP), BIP-340 tagged hashes, RFC 9380
 * expand_message_xmd / hash_to_field and the FROST H1..H5 wrappers. */
#include "engine/hash.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Small helper so every multi-part hash goes through one code path. */
/* SHA-256 over three groups of parts (prefix, message, suffix). OpenSSL
 * failures here mean memory exhaustion inside a fixed-size digest: abort. */
static void sha256_groups(unsigned char out32[32], const mpc_bytes *pre, size_t npre,
                          const mpc_bytes *parts, size_t nparts, const mpc_bytes *post,
                          size_t npost) {
    const mpc_bytes *g[3] = {pre, parts, post};
    size_t gn[3] = {npre, nparts, npost};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) abort();
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < gn[k]; i++)
            if (g[k][i].len && !EVP_DigestUpdate(md, g[k][i].p, g[k][i].len)) abort();
    if (!EVP_DigestFinal_ex(md, out32, &len)) abort();
    EVP_MD_CTX_free(md);
}

void mpc_sha256(unsigned char out32[32], const mpc_bytes *parts, size_t nparts) {
    sha256_groups(out32, NULL, 0, parts, nparts, NULL, 0);
}

void mpc_tagged_sha256(unsigned char out32[32], const char *tag, const mpc_bytes *parts,
                       size_t nparts) {
    unsigned char th[32];
    mpc_bytes t = {(const unsigned char *)tag, strlen(tag)};
    mpc_sha256(th, &t, 1);
    mpc_bytes pre[2] = {{th, 32}, {th, 32}};
    sha256_groups(out32, pre, 2, parts, nparts, NULL, 0);
}

int mpc_expand_message_xmd(unsigned char *out, size_t outlen, const mpc_bytes *parts,
                           size_t nparts, const unsigned char *dst, size_t dstlen) {
    static const unsigned char zpad[64] = {0};
    unsigned char b0[32], bi[32], x[32];
    size_t ell = (outlen + 31) / 32;
    if (outlen == 0 || ell > 255 || dstlen > 255) return 0;
    unsigned char lib[3] = {(unsigned char)(outlen >> 8), (unsigned char)outlen, 0};
    unsigned char dlen = (unsigned char)dstlen;
    /* b_0 = H(Z_pad || msg || I2OSP(len, 2) || I2OSP(0, 1) || DST_prime) */
    mpc_bytes pre[1] = {{zpad, 64}};
    mpc_bytes post[3] = {{lib, 3}, {dst, dstlen}, {&dlen, 1}};
    sha256_groups(b0, pre, 1, parts, nparts, post, 3);
    memset(bi, 0, 32);
    for (size_t i = 1; i <= ell; i++) {
        /* b_i = H(strxor(b_0, b_{i-1}) || I2OSP(i, 1) || DST_prime), b_1 uses b_0 */
        unsigned char idx = (unsigned char)i;
        for (int k = 0; k < 32; k++) x[k] = b0[k] ^ bi[k];
        mpc_bytes in[4] = {{x, 32}, {&idx, 1}, {dst, dstlen}, {&dlen, 1}};
        mpc_sha256(bi, in, 4);
        size_t take = outlen - (i - 1) * 32;
        if (take > 32) take = 32;
        memcpy(out + (i - 1) * 32, bi, take);
    }
    OPENSSL_cleanse(b0, sizeof b0);
    OPENSSL_cleanse(bi, sizeof bi);
    OPENSSL_cleanse(x, sizeof x);
    return 1;
}

void mpc_hash_to_scalar(mpc_scalar *out, const mpc_bytes *parts, size_t nparts,
                        const unsigned char *dst, size_t dstlen) {
    unsigned char u[48];
    MPC_ARG_CHECK(mpc_expand_message_xmd(u, sizeof u, parts, nparts, dst, dstlen));
    mpc_scalar_reduce48(out, u);
    OPENSSL_cleanse(u, sizeof u);
}

void frost_hash_scalar(mpc_scalar *out, const char *context_string, const char *tag,
                       const mpc_bytes *parts, size_t nparts) {
    unsigned char dst[255];
    size_t cl = strlen(context_string), tl = strlen(tag);
    MPC_ARG_CHECK(cl + tl <= sizeof dst);
    memcpy(dst, context_string, cl);
    memcpy(dst + cl, tag, tl);
    mpc_hash_to_scalar(out, parts, nparts, dst, cl + tl);
}

void frost_hash_digest(unsigned char out32[32], const char *context_string, const char *tag,
                       const mpc_bytes *parts, size_t nparts) {
    mpc_bytes pre[2] = {{(const unsigned char *)context_string, strlen(context_string)},
                        {(const unsigned char *)tag, strlen(tag)}};
    sha256_groups(out32, pre, 2, parts, nparts, NULL, 0);
}
