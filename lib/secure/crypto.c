/*
 * crypto.c - thin wrappers over OpenSSL 3 for lib/secure: AES-256-GCM with
 * 12-byte IVs and 16-byte tags, HKDF-SHA256 through EVP_KDF "HKDF", SHA-256.
 * Each returns 1 on success and 0 on any failure, leaving no OpenSSL state
 * behind (contexts are freed on every path).
 */
#include "secure/internal.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

/* Start an AES-256-GCM context with key and IV and feed the AAD. */
static EVP_CIPHER_CTX *gcm_start(int enc, const unsigned char key[32],
                                 const unsigned char iv[SEC_GCM_IV], const unsigned char *aad,
                                 size_t aadlen) {
    int outl = 0;
    if (aadlen > INT_MAX) return NULL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL) return NULL;
    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SEC_GCM_IV, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) != 1 ||
        (aadlen > 0 && EVP_CipherUpdate(c, NULL, &outl, aad, (int)aadlen) != 1)) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

int sec_gcm_encrypt(const unsigned char key[32], const unsigned char iv[SEC_GCM_IV],
                    const unsigned char *aad, size_t aadlen, const unsigned char *pt, size_t len,
                    unsigned char *ct, unsigned char tag[SEC_GCM_TAG]) {
    int outl = 0, finl = 0;
    if (len > INT_MAX) return 0;
    EVP_CIPHER_CTX *c = gcm_start(1, key, iv, aad, aadlen);
    if (c == NULL) return 0;
    int ok = (len == 0 || EVP_EncryptUpdate(c, ct, &outl, pt, (int)len) == 1) &&
             EVP_EncryptFinal_ex(c, ct + outl, &finl) == 1 && (size_t)(outl + finl) == len &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEC_GCM_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

int sec_gcm_decrypt(const unsigned char key[32], const unsigned char iv[SEC_GCM_IV],
                    const unsigned char *aad, size_t aadlen, const unsigned char *ct, size_t len,
                    const unsigned char tag[SEC_GCM_TAG], unsigned char *pt) {
    int outl = 0, finl = 0;
    unsigned char tagcopy[SEC_GCM_TAG];
    if (len > INT_MAX) return 0;
    EVP_CIPHER_CTX *c = gcm_start(0, key, iv, aad, aadlen);
    if (c == NULL) return 0;
    memcpy(tagcopy, tag, SEC_GCM_TAG); /* the ctrl takes a non-const pointer */
    int ok = (len == 0 || EVP_DecryptUpdate(c, pt, &outl, ct, (int)len) == 1) &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEC_GCM_TAG, tagcopy) == 1 &&
             EVP_DecryptFinal_ex(c, pt + outl, &finl) == 1 && (size_t)(outl + finl) == len;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

int sec_hkdf_sha256(unsigned char out[32], const unsigned char *ikm, size_t ikmlen,
                    const unsigned char *salt, size_t saltlen, const unsigned char *info,
                    size_t infolen) {
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf == NULL) return 0;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (kctx == NULL) return 0;
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
    *p = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(kctx, out, 32, params) == 1;
    EVP_KDF_CTX_free(kctx);
    return ok;
}

int sec_sha256(unsigned char out[32], const void *data, size_t len) {
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}
