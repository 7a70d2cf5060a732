/*
 * codec/canonical.c - Parsing Canonical Form of Avro schemas and the
 * CRC-64-AVRO fingerprint, which Avro-C 1.11 does not provide.
 *
 * The Avro specification ("Parsing Canonical Form for Schemas") turns a
 * schema into a normal form by these rules, applied here while walking the
 * schema JSON with jansson:
 *   [PRIMITIVES] {"type":"int"} becomes "int" (also when other attributes
 *                such as logicalType were present: they are stripped);
 *   [FULLNAMES]  names of named types, and references to them, become full
 *                names (namespace + "." + name), namespace attributes go;
 *   [STRIP]      only type, name, fields, symbols, items, values, size stay;
 *   [ORDER]      object members in the order name, type, fields, symbols,
 *                items, values, size (record fields keep name, type);
 *   [STRINGS]    escapes are decoded by the JSON parser and written back as
 *                UTF-8 (jansson only escapes what JSON requires);
 *   [INTEGERS]   fixed sizes are written as plain integers;
 *   [WHITESPACE] compact output.
 *
 * The fingerprint is the 64-bit Rabin fingerprint the specification names
 * CRC-64-AVRO (empty value 0xc15d213aa4d7a795, table built from it).
 */
#include "codec_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CRC64_AVRO_EMPTY 0xc15d213aa4d7a795ULL

uint64_t mpc_codec_fingerprint64(const uint8_t *data, size_t len)
{
    /* Only schemas are fingerprinted (at start-up and in tests), so the
     * table is simply rebuilt on every call. */
    uint64_t table[256];
    for (int i = 0; i < 256; i++) {
        uint64_t fp = (uint64_t)i;
        for (int j = 0; j < 8; j++)
            fp = (fp >> 1) ^ (CRC64_AVRO_EMPTY & (0 - (fp & 1)));
        table[i] = fp;
    }
    uint64_t fp = CRC64_AVRO_EMPTY;
    for (size_t i = 0; i < len; i++)
        fp = (fp >> 8) ^ table[(fp ^ data[i]) & 0xff];
    return fp;
}

static const char *const primitive_types[] = {
    "null", "boolean", "int", "long", "float", "double", "bytes", "string", NULL,
};

static int is_primitive(const char *t)
{
    for (size_t i = 0; primitive_types[i]; i++)
        if (strcmp(t, primitive_types[i]) == 0)
            return 1;
    return 0;
}

/* Full name of `name` in namespace `ns` (NULL or "" = null namespace). */
static char *full_name(const char *name, const char *ns)
{
    if (strchr(name, '.') || !ns || !*ns)
        return strdup(name);
    size_t a = strlen(ns), b = strlen(name);
    char *s = malloc(a + 1 + b + 1);
    if (!s)
        return NULL;
    memcpy(s, ns, a);
    s[a] = '.';
    memcpy(s + a + 1, name, b + 1);
    return s;
}

/* Namespace that a named type with full name `full` gives to what it
 * encloses: everything before the last dot, or "" (malloc'ed). */
static char *namespace_of(const char *full)
{
    const char *dot = strrchr(full, '.');
    return dot ? strndup(full, (size_t)(dot - full)) : strdup("");
}

static int canon(const json_t *s, const char *ns, json_t **out,
                 mpc_codec_error *err);

/* json_object_set_new that reports failure (it frees value either way). */
static int put(json_t *obj, const char *key, json_t *value)
{
    return value && json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static int canon_named(const json_t *s, const char *type, const char *ns,
                       json_t *o, mpc_codec_error *err)
{
    const json_t *jname = json_object_get(s, "name");
    if (!json_is_string(jname))
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, "",
                              "named type '%s' without a string name", type);
    const json_t *jns = json_object_get(s, "namespace");
    const char *own_ns = json_is_string(jns) ? json_string_value(jns) : ns;
    char *full = full_name(json_string_value(jname), own_ns);
    char *inner_ns = full ? namespace_of(full) : NULL;
    int rc = MPC_CODEC_ERR_NOMEM;
    if (!full || !inner_ns || put(o, "name", json_string(full)) ||
        put(o, "type", json_string(type)))
        goto done;

    if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
        const json_t *fields = json_object_get(s, "fields");
        if (!json_is_array(fields)) {
            rc = mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, full,
                                "record without a fields array");
            goto done;
        }
        json_t *arr = json_array();
        if (put(o, "fields", arr))
            goto done;
        size_t i;
        const json_t *f;
        json_array_foreach(fields, i, f) {
            const json_t *fname = json_object_get(f, "name");
            const json_t *ftype = json_object_get(f, "type");
            if (!json_is_string(fname) || !ftype) {
                rc = mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, full,
                                    "field %zu without name or type", i);
                goto done;
            }
            json_t *cf = json_object(), *ct = NULL;
            if (!cf || json_array_append_new(arr, cf) ||
                put(cf, "name", json_string(json_string_value(fname))))
                goto done;
            if ((rc = canon(ftype, inner_ns, &ct, err)) != MPC_CODEC_OK)
                goto done;
            rc = MPC_CODEC_ERR_NOMEM;
            if (put(cf, "type", ct))
                goto done;
        }
    } else if (strcmp(type, "enum") == 0) {
        const json_t *symbols = json_object_get(s, "symbols");
        if (!json_is_array(symbols)) {
            rc = mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, full,
                                "enum without a symbols array");
            goto done;
        }
        if (put(o, "symbols", json_deep_copy(symbols)))
            goto done;
    } else { /* fixed */
        const json_t *size = json_object_get(s, "size");
        json_int_t n = -1;
        if (json_is_integer(size)) {
            n = json_integer_value(size);
        } else if (json_is_string(size)) { /* [INTEGERS]: drop the quotes */
            char *end;
            errno = 0;
            long long v = strtoll(json_string_value(size), &end, 10);
            if (errno == 0 && *end == '\0' && end != json_string_value(size))
                n = v;
        }
        if (n < 0) {
            rc = mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, full,
                                "fixed without a valid size");
            goto done;
        }
        if (put(o, "size", json_integer(n)))
            goto done;
    }
    rc = MPC_CODEC_OK;
done:
    if (rc == MPC_CODEC_ERR_NOMEM)
        mpc_codec_fail(err, rc, "", "out of memory");
    free(full);
    free(inner_ns);
    return rc;
}

/* Canonical form of schema s in enclosing namespace ns, as new JSON. */
static int canon(const json_t *s, const char *ns, json_t **out,
                 mpc_codec_error *err)
{
    *out = NULL;
    if (json_is_string(s)) {
        const char *t = json_string_value(s);
        char *name = is_primitive(t) ? strdup(t) : full_name(t, ns);
        *out = name ? json_string(name) : NULL;
        free(name);
        return *out ? MPC_CODEC_OK
                    : mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    }
    if (json_is_array(s)) { /* union */
        json_t *arr = json_array();
        if (!arr)
            return mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
        size_t i;
        const json_t *branch;
        json_array_foreach(s, i, branch) {
            json_t *c;
            int rc = canon(branch, ns, &c, err);
            if (rc == MPC_CODEC_OK && json_array_append_new(arr, c))
                rc = mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
            if (rc != MPC_CODEC_OK) {
                json_decref(arr);
                return rc;
            }
        }
        *out = arr;
        return MPC_CODEC_OK;
    }
    if (!json_is_object(s))
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, "",
                              "a schema must be a string, an array or an object");

    const json_t *jt = json_object_get(s, "type");
    if (!jt)
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, "",
                              "schema object without a type");
    if (!json_is_string(jt)) /* {"type": {...}} or {"type": [...]} */
        return canon(jt, ns, out, err);
    const char *t = json_string_value(jt);
    if (is_primitive(t)) /* [PRIMITIVES], logicalType and the rest stripped */
        return canon(jt, ns, out, err);

    json_t *o = json_object();
    if (!o)
        return mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    int rc = MPC_CODEC_OK;
    if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0 ||
        strcmp(t, "enum") == 0 || strcmp(t, "fixed") == 0) {
        rc = canon_named(s, t, ns, o, err);
    } else if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
        const char *key = t[0] == 'a' ? "items" : "values";
        const json_t *inner = json_object_get(s, key);
        json_t *c = NULL;
        if (!inner)
            rc = mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, "", "%s without %s", t, key);
        else if (put(o, "type", json_string(t)))
            rc = mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
        else if ((rc = canon(inner, ns, &c, err)) == MPC_CODEC_OK && put(o, key, c))
            rc = mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    } else { /* {"type": "SomeNamedType"}: a reference */
        json_decref(o);
        return canon(jt, ns, out, err);
    }
    if (rc != MPC_CODEC_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return MPC_CODEC_OK;
}

int mpc_codec_canonical_json(const json_t *schema, char **out,
                             mpc_codec_error *err)
{
    json_t *c;
    int rc = canon(schema, NULL, &c, err);
    if (rc != MPC_CODEC_OK)
        return rc;
    /* Members were inserted in [ORDER]; keep it, and no whitespace. */
    *out = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(c);
    if (!*out)
        return mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    return MPC_CODEC_OK;
}

int mpc_codec_canonical_form(const char *schema_json, size_t schema_len,
                             char **canonical, mpc_codec_error *err)
{
    MPC_ARG_CHECK(schema_json != NULL);
    MPC_ARG_CHECK(canonical != NULL);
    mpc_codec_clear_error(err);
    json_error_t jerr;
    json_t *root = json_loadb(schema_json, schema_len,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root)
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, "",
                              "schema is not JSON: line %d column %d: %s",
                              jerr.line, jerr.column, jerr.text);
    int rc = mpc_codec_canonical_json(root, canonical, err);
    json_decref(root);
    return rc;
}
