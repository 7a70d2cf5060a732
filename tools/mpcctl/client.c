/* client.c - one signed call to mpc-api and printing its answer; see
 * client.h. The signed path and the sent URL use the same canonical query,
 * so the server reconstructs exactly what was signed.
 */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"

json_t *mpcctl_call(const mpcctl_client *c, const char *method, const char *path, const mpc_api_query_pair *query,
                    size_t nquery, json_t *body, int *status) {
    char *cq = mpc_api_canonical_query(query, nquery);
    char *text = body ? json_dumps(body, JSON_COMPACT) : strdup("");
    json_t *out = NULL;
    char *path_q = NULL, *url = NULL;
    if (cq == NULL || text == NULL) goto oom;
    size_t plen = strlen(path) + strlen(cq) + 2;
    path_q = malloc(plen);
    url = malloc(strlen(c->url) + plen);
    if (path_q == NULL || url == NULL) goto oom;
    snprintf(path_q, plen, "%s%s%s", path, cq[0] ? "?" : "", cq);
    size_t ulen = strlen(c->url);
    while (ulen > 0 && c->url[ulen - 1] == '/') ulen--; /* "http://h:p/" + "/api/..." */
    snprintf(url, strlen(c->url) + plen, "%.*s%s", (int)ulen, c->url, path_q);

    uint8_t rnd[16];
    char nonce[33], ts[24], sig[MPC_API_SIG_HEX_LEN + 1];
    if (mpc_api_random(rnd, sizeof rnd) != 0) goto oom;
    mpc_api_hex(rnd, sizeof rnd, nonce);
    int64_t now = mpc_api_now_ms();
    snprintf(ts, sizeof ts, "%lld", (long long)now);
    if (mpc_api_sign(c->secret, method, path_q, now, nonce, text, strlen(text), sig) != 0) goto oom;
    mpc_httpc_header h[] = {{"Content-Type", "application/json"}, {"X-MPC-Key", c->key_id},
                            {"X-MPC-Timestamp", ts},               {"X-MPC-Nonce", nonce},
                            {"X-MPC-Signature", sig},              {"User-Agent", "mpcctl/1"}};
    mpc_httpc_response resp;
    char err[256];
    if (mpc_httpc_request(method, url, h, sizeof h / sizeof h[0], text, strlen(text), c->timeout_ms, &resp, err,
                          sizeof err) != 0) {
        fprintf(stderr, "mpcctl: %s %s: %s (is mpc-api running? set MPC_API_URL or --url)\n", method, url, err);
        goto out;
    }
    json_error_t jerr;
    out = json_loadb(resp.body, resp.body_len, 0, &jerr);
    *status = resp.status;
    if (out == NULL)
        fprintf(stderr, "mpcctl: %s %s: HTTP %d with a body that is not JSON: %.200s\n", method, url, resp.status,
                resp.body);
    mpc_httpc_response_free(&resp);
    goto out;
oom:
    fprintf(stderr, "mpcctl: out of memory\n");
out:
    free(cq);
    free(text);
    free(path_q);
    free(url);
    return out;
}

static const char *str_or(json_t *v, const char *dflt) {
    return json_is_string(v) ? json_string_value(v) : dflt;
}

int mpcctl_print(const mpcctl_client *c, json_t *env, int status) {
    if (env == NULL) return 1;
    int ok = json_is_true(json_object_get(env, "success"));
    if (!ok) {
        json_t *e = json_object_get(env, "error");
        fprintf(stderr, "mpcctl: HTTP %d %s: %s\n", status, str_or(json_object_get(e, "code"), "ERROR"),
                str_or(json_object_get(e, "message"), "(no message)"));
    }
    if (ok || c->raw_output) {
        char *text = json_dumps(c->raw_output ? env : json_object_get(env, "data"), JSON_INDENT(2) | JSON_ENCODE_ANY);
        if (text) printf("%s\n", text);
        free(text);
    }
    json_decref(env);
    return ok ? 0 : 1;
}
