/* request_hash.c - canonical request hashes; see request_hash.h. */
#include "pipeline/request_hash.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Hashes the canonical JSON of obj (steals it) into out_hex. */
static int canonical_hash(json_t *obj, char *out_hex) {
    if (obj == NULL) return -1;
    char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    if (text == NULL) return -1;
    unsigned char d[32];
    unsigned int n = 0;
    int ok = EVP_Digest(text, strlen(text), d, &n, EVP_sha256(), NULL) == 1 && n == 32;
    free(text);
    if (!ok) return -1;
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out_hex[2 * i] = digits[d[i] >> 4];
        out_hex[2 * i + 1] = digits[d[i] & 15];
    }
    out_hex[64] = '\0';
    return 0;
}

int pl_sign_item_hash(const char *key_id, const unsigned char *message, size_t message_len, const char *message_type,
                      const char *derivation_path, const char *callback_url, const char *client_id, char *out_hex) {
    char *hex = malloc(2 * message_len + 1);
    if (hex == NULL) return -1;
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < message_len; i++) {
        hex[2 * i] = digits[message[i] >> 4];
        hex[2 * i + 1] = digits[message[i] & 15];
    }
    hex[2 * message_len] = '\0';
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:s?,s:s}", "kind", "sign", "key_id", key_id, "message", hex,
                          "message_type", message_type, "derivation_path", derivation_path, "callback_url",
                          callback_url, "client_id", client_id);
    free(hex);
    return canonical_hash(o, out_hex);
}

int pl_keygen_hash(const char *protocol, const char *curve, long threshold, long total_nodes, const char *chain_type,
                   json_t *participants, json_t *metadata, const char *client_id, char *out_hex) {
    if (participants && json_array_size(participants) == 0) participants = NULL;
    if (metadata && json_object_size(metadata) == 0) metadata = NULL;
    return canonical_hash(json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:O?,s:O?,s:s}", "kind", "keygen", "protocol", protocol,
                                    "curve", curve, "threshold", (json_int_t)threshold, "total_nodes",
                                    (json_int_t)total_nodes, "chain_type", chain_type, "participants", participants,
                                    "metadata", metadata, "client_id", client_id),
                          out_hex);
}
