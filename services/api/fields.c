/* fields.c - typed access to JSON request bodies with stable error codes:
 *   INVALID_JSON   the body is not JSON (or has duplicate keys)
 *   INVALID_TYPE   a value (or the body) has the wrong JSON type
 *   MISSING_FIELD  a required member is absent
 *   UNKNOWN_FIELD  a member the endpoint does not know (typos are refused,
 *                  not ignored: a signing service should not guess)
 */
#include <string.h>

#include "api.h"

json_t *api_parse_body(const svc_http_request *req, api_error *e) {
    json_error_t jerr;
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        api_fail(e, 400, "INVALID_JSON", "body is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                 jerr.column);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        api_fail(e, 400, "INVALID_TYPE", "body must be a JSON object");
        return NULL;
    }
    return j;
}

int api_fields_known(json_t *obj, const char *const *allowed, const char *where, api_error *e) {
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, name) == 0;
        if (!ok) return api_fail(e, 400, "UNKNOWN_FIELD", "unknown field '%s%s%.64s'", where, where[0] ? "." : "", name);
    }
    return 0;
}

int api_field_string(json_t *obj, const char *name, int required, const char **out, api_error *e) {
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (v == NULL || (json_is_null(v) && !required)) {
        if (required) return api_fail(e, 400, "MISSING_FIELD", "field '%s' is required", name);
        return 0;
    }
    if (!json_is_string(v)) return api_fail(e, 400, "INVALID_TYPE", "field '%s' must be a string", name);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return api_fail(e, 400, "INVALID_FIELD", "field '%s' must not contain NUL characters", name);
    *out = json_string_value(v);
    return 0;
}

int api_field_int(json_t *obj, const char *name, int required, long long *out, int *present, api_error *e) {
    json_t *v = json_object_get(obj, name);
    if (present) *present = 0;
    if (v == NULL || (json_is_null(v) && !required)) {
        if (required) return api_fail(e, 400, "MISSING_FIELD", "field '%s' is required", name);
        return 0;
    }
    if (!json_is_integer(v)) return api_fail(e, 400, "INVALID_TYPE", "field '%s' must be an integer", name);
    *out = json_integer_value(v);
    if (present) *present = 1;
    return 0;
}

int api_valid_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 128) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == ':' || ch == '-'))
            return 0;
    }
    return 1;
}
