/*
 * codec/mapping.c - generic code driven by the record tables of records.c:
 * validate a C struct, copy it into an Avro-C generic value and back, free
 * it, render it as JSON, and check that a table matches its Avro schema.
 *
 * Members are reached through their offsets (field_desc.off), typed by
 * field_desc.type; see codec_internal.h for which C type each field type
 * stands for. Every Avro-C call is checked; a failure becomes
 * MPC_CODEC_ERR_AVRO with avro_strerror()'s text.
 */
#include "codec_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Typed access to a member. */
#define MEMBER(obj, off, T) ((T *)(void *)((char *)(obj) + (off)))
#define CMEMBER(obj, off, T) ((const T *)(const void *)((const char *)(obj) + (off)))
/* For CMEMBER, which would otherwise read `const char ***`. */
typedef char **string_list;

static const char *const field_type_names[] = {
    [FT_STRING] = "string",        [FT_INT] = "int",
    [FT_LONG] = "long",            [FT_BOOL] = "boolean",
    [FT_BYTES] = "bytes",          [FT_INT_ARRAY] = "array<int>",
    [FT_STRING_ARRAY] = "array<string>", [FT_STRING_MAP] = "map<string>",
    [FT_RECORD_ARRAY] = "array<record>", [FT_RECORD] = "record",
};

/* "path.name" or "name" into buf (truncated if it must be: it only names
 * the field in error messages). */
const char *mpc_codec_join_path(char *buf, size_t n, const char *path, const char *name)
{
    if (snprintf(buf, n, "%s%s%s", path, *path ? "." : "", name) >= (int)n)
        buf[n - 1] = '\0';
    return buf;
}

/* "field[i]" into buf, likewise. */
static const char *element(char *buf, size_t n, const char *field, size_t i)
{
    if (snprintf(buf, n, "%s[%zu]", field, i) >= (int)n)
        buf[n - 1] = '\0';
    return buf;
}

static int avro_fail(mpc_codec_error *err, const char *field, const char *what)
{
    return mpc_codec_fail(err, MPC_CODEC_ERR_AVRO, field, "Avro-C %s failed: %s",
                          what, avro_strerror());
}

static int nomem(mpc_codec_error *err)
{
    return mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
}

/* ---- Validation ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 if invalid
 * (overlong forms, surrogates and values above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* 1 if s[0..len) is valid UTF-8 without NUL. */
static int utf8_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (p[i] == 0)
            return 0;
        size_t n = utf8_seq(p + i, len - i);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

static int charset_ok(const char *s, charset cs)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (cs == CS_PRINTABLE && (*p < 0x21 || *p > 0x7e))
            return 0;
        if ((cs == CS_TOKEN || cs == CS_CODE) &&
            !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-' ||
              (cs == CS_CODE && *p >= 'A' && *p <= 'Z')))
            return 0;
    }
    return 1;
}

static const char *charset_text(charset cs)
{
    return cs == CS_TOKEN  ? "only a-z, 0-9, '_', '.', '-'"
           : cs == CS_CODE ? "only A-Z, a-z, 0-9, '_', '.', '-'"
                           : "printable ASCII without spaces";
}

/* Check a string against length bounds, character set and allowed set. */
static int check_string(const char *s, int64_t min, int64_t max, charset cs,
                        const char *const *allowed, const char *field,
                        mpc_codec_error *err)
{
    size_t len = strlen(s);
    if ((int64_t)len > max)
        return mpc_codec_fail(err, MPC_CODEC_ERR_TOO_LARGE, field,
                              "%zu bytes, at most %" PRId64 " allowed", len, max);
    if ((int64_t)len < min)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "%zu bytes, at least %" PRId64 " required", len, min);
    if (!utf8_ok(s, len))
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field, "not valid UTF-8");
    if (cs != CS_UTF8 && !charset_ok(s, cs))
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field, "must contain %s",
                              charset_text(cs));
    if (allowed) {
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(s, allowed[i]) == 0)
                return MPC_CODEC_OK;
        char list[160] = "";
        for (size_t i = 0; allowed[i]; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
        }
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "'%.40s' is not one of: %s", s, list);
    }
    return MPC_CODEC_OK;
}

static int check_range(int64_t v, int64_t min, int64_t max, const char *field,
                       mpc_codec_error *err)
{
    if (v < min || v > max)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "%" PRId64 " is outside %" PRId64 "..%" PRId64, v, min, max);
    return MPC_CODEC_OK;
}

static int check_count(size_t n, const void *arr, const field_desc *f,
                       const char *field, mpc_codec_error *err)
{
    if (n && !arr)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "NULL array with %zu entries", n);
    if ((int64_t)n > f->max)
        return mpc_codec_fail(err, MPC_CODEC_ERR_TOO_LARGE, field,
                              "%zu entries, at most %" PRId64 " allowed", n, f->max);
    if ((int64_t)n < f->min)
        return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                              "%zu entries, at least %" PRId64 " required", n, f->min);
    return MPC_CODEC_OK;
}

static int validate_field(const field_desc *f, const void *obj, const char *field,
                          mpc_codec_error *err)
{
    char sub[96];
    int rc = MPC_CODEC_OK;
    switch (f->type) {
    case FT_STRING: {
        const char *s = *CMEMBER(obj, f->off, char *);
        if (!s)
            return (f->flags & FL_NULLABLE)
                       ? MPC_CODEC_OK
                       : mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                                        "required field is missing");
        return check_string(s, f->min, f->max, f->cs, f->allowed, field, err);
    }
    case FT_INT:
        if ((f->flags & FL_NULLABLE) && !*CMEMBER(obj, f->aux_off, bool))
            return MPC_CODEC_OK;
        return check_range(*CMEMBER(obj, f->off, int32_t), f->min, f->max, field, err);
    case FT_LONG:
        return check_range(*CMEMBER(obj, f->off, int64_t), f->min, f->max, field, err);
    case FT_BOOL:
        return MPC_CODEC_OK;
    case FT_BYTES: {
        const mpc_bytes *b = CMEMBER(obj, f->off, mpc_bytes);
        if (!b->data && (f->flags & FL_NULLABLE))
            return MPC_CODEC_OK;
        if (!b->data && b->len)
            return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                                  "NULL data with length %zu", b->len);
        if ((int64_t)b->len > f->max)
            return mpc_codec_fail(err, MPC_CODEC_ERR_TOO_LARGE, field,
                                  "%zu bytes, at most %" PRId64 " allowed", b->len, f->max);
        if ((int64_t)b->len < f->min)
            return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                                  "%zu bytes, at least %" PRId64 " required", b->len, f->min);
        return MPC_CODEC_OK;
    }
    case FT_INT_ARRAY: {
        const int32_t *a = *CMEMBER(obj, f->off, int32_t *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        rc = check_count(n, a, f, field, err);
        for (size_t i = 0; i < n && rc == MPC_CODEC_OK; i++) {
            element(sub, sizeof sub, field, i);
            rc = check_range(a[i], f->elem_min, f->elem_max, sub, err);
        }
        return rc;
    }
    case FT_STRING_ARRAY: {
        char *const *a = *CMEMBER(obj, f->off, string_list);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        rc = check_count(n, a, f, field, err);
        for (size_t i = 0; i < n && rc == MPC_CODEC_OK; i++) {
            element(sub, sizeof sub, field, i);
            rc = a[i] ? check_string(a[i], f->elem_min, f->elem_max, f->cs, NULL, sub, err)
                      : mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, sub, "NULL entry");
        }
        return rc;
    }
    case FT_STRING_MAP: {
        const mpc_kv *m = *CMEMBER(obj, f->off, mpc_kv *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        rc = check_count(n, m, f, field, err);
        for (size_t i = 0; i < n && rc == MPC_CODEC_OK; i++) {
            element(sub, sizeof sub, field, i);
            if (!m[i].key || !m[i].value)
                return mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, sub, "NULL key or value");
            rc = check_string(m[i].key, f->elem_min, f->elem_max, f->cs, NULL, sub, err);
            if (rc == MPC_CODEC_OK)
                rc = check_string(m[i].value, 0, f->val_max, CS_UTF8, NULL, sub, err);
            for (size_t j = 0; j < i && rc == MPC_CODEC_OK; j++)
                if (strcmp(m[j].key, m[i].key) == 0)
                    rc = mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, sub,
                                        "key '%s' appears twice", m[i].key);
        }
        return rc;
    }
    case FT_RECORD_ARRAY: {
        const char *a = *CMEMBER(obj, f->off, char *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        rc = check_count(n, a, f, field, err);
        for (size_t i = 0; i < n && rc == MPC_CODEC_OK; i++) {
            element(sub, sizeof sub, field, i);
            rc = mpc_codec_validate_desc(f->sub, a + i * f->sub->size, sub, err);
        }
        return rc;
    }
    case FT_RECORD: {
        const void *r = *CMEMBER(obj, f->off, void *);
        if (!r)
            return (f->flags & FL_NULLABLE)
                       ? MPC_CODEC_OK
                       : mpc_codec_fail(err, MPC_CODEC_ERR_INVALID, field,
                                        "required field is missing");
        return mpc_codec_validate_desc(f->sub, r, field, err);
    }
    }
    return mpc_codec_fail(err, MPC_CODEC_ERR_ARG, field, "bad field table");
}

int mpc_codec_validate_desc(const record_desc *d, const void *obj,
                            const char *path, mpc_codec_error *err)
{
    char field[96];
    for (size_t i = 0; i < d->nfields; i++) {
        const field_desc *f = &d->fields[i];
        int rc = validate_field(f, obj, mpc_codec_join_path(field, sizeof field, path, f->name), err);
        if (rc != MPC_CODEC_OK)
            return rc;
    }
    return d->check ? d->check(obj, path, err) : MPC_CODEC_OK;
}

/* ---- C struct -> Avro value ------------------------------------------------- */

/* Select the null or the non-null branch of a ["null", T] union value. */
static int select_branch(avro_value_t *u, int null, avro_value_t *branch,
                         const char *field, mpc_codec_error *err)
{
    avro_schema_t us = avro_value_get_schema(u);
    if (!us || !is_avro_union(us) || avro_schema_union_size(us) != 2)
        return mpc_codec_fail(err, MPC_CODEC_ERR_SCHEMA, field, "not a [null, T] union");
    avro_schema_t b0 = avro_schema_union_branch(us, 0);
    int null_index = (b0 && is_avro_null(b0)) ? 0 : 1;
    if (avro_value_set_branch(u, null ? null_index : 1 - null_index, branch))
        return avro_fail(err, field, "set_branch");
    if (null && avro_value_set_null(branch))
        return avro_fail(err, field, "set_null");
    return MPC_CODEC_OK;
}

static int put_string(avro_value_t *v, const char *s, const char *field,
                      mpc_codec_error *err)
{
    return avro_value_set_string(v, s) ? avro_fail(err, field, "set_string")
                                       : MPC_CODEC_OK;
}

static int put_field(const field_desc *f, const void *obj, avro_value_t *v,
                     const char *field, mpc_codec_error *err)
{
    avro_value_t e;
    switch (f->type) {
    case FT_STRING:
        return put_string(v, *CMEMBER(obj, f->off, char *), field, err);
    case FT_INT:
        return avro_value_set_int(v, *CMEMBER(obj, f->off, int32_t))
                   ? avro_fail(err, field, "set_int") : MPC_CODEC_OK;
    case FT_LONG:
        return avro_value_set_long(v, *CMEMBER(obj, f->off, int64_t))
                   ? avro_fail(err, field, "set_long") : MPC_CODEC_OK;
    case FT_BOOL:
        return avro_value_set_boolean(v, *CMEMBER(obj, f->off, bool) ? 1 : 0)
                   ? avro_fail(err, field, "set_boolean") : MPC_CODEC_OK;
    case FT_BYTES: {
        static char empty[1];
        const mpc_bytes *b = CMEMBER(obj, f->off, mpc_bytes);
        /* Avro-C copies the buffer; its API is not const-qualified. */
        void *data = b->len ? (void *)b->data : (void *)empty;
        return avro_value_set_bytes(v, data, b->len) ? avro_fail(err, field, "set_bytes")
                                                     : MPC_CODEC_OK;
    }
    case FT_INT_ARRAY: {
        const int32_t *a = *CMEMBER(obj, f->off, int32_t *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        for (size_t i = 0; i < n; i++)
            if (avro_value_append(v, &e, NULL) || avro_value_set_int(&e, a[i]))
                return avro_fail(err, field, "append int");
        return MPC_CODEC_OK;
    }
    case FT_STRING_ARRAY: {
        char *const *a = *CMEMBER(obj, f->off, string_list);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        for (size_t i = 0; i < n; i++)
            if (avro_value_append(v, &e, NULL) || avro_value_set_string(&e, a[i]))
                return avro_fail(err, field, "append string");
        return MPC_CODEC_OK;
    }
    case FT_STRING_MAP: {
        const mpc_kv *m = *CMEMBER(obj, f->off, mpc_kv *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        for (size_t i = 0; i < n; i++)
            if (avro_value_add(v, m[i].key, &e, NULL, NULL) ||
                avro_value_set_string(&e, m[i].value))
                return avro_fail(err, field, "map add");
        return MPC_CODEC_OK;
    }
    case FT_RECORD_ARRAY: {
        const char *a = *CMEMBER(obj, f->off, char *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        for (size_t i = 0; i < n; i++) {
            if (avro_value_append(v, &e, NULL))
                return avro_fail(err, field, "append record");
            int rc = mpc_codec_to_avro(f->sub, a + i * f->sub->size, &e, err);
            if (rc != MPC_CODEC_OK)
                return rc;
        }
        return MPC_CODEC_OK;
    }
    case FT_RECORD:
        return mpc_codec_to_avro(f->sub, *CMEMBER(obj, f->off, void *), v, err);
    }
    return mpc_codec_fail(err, MPC_CODEC_ERR_ARG, field, "bad field table");
}

/* Whether a nullable field holds null in the C struct. */
static int is_null(const field_desc *f, const void *obj)
{
    switch (f->type) {
    case FT_STRING:
    case FT_RECORD:
        return *CMEMBER(obj, f->off, void *) == NULL;
    case FT_BYTES:
        return CMEMBER(obj, f->off, mpc_bytes)->data == NULL;
    case FT_INT:
        return !*CMEMBER(obj, f->aux_off, bool);
    default:
        return 0;
    }
}

int mpc_codec_to_avro(const record_desc *d, const void *obj, avro_value_t *val,
                      mpc_codec_error *err)
{
    for (size_t i = 0; i < d->nfields; i++) {
        const field_desc *f = &d->fields[i];
        avro_value_t fv, branch, *target = &fv;
        if (avro_value_get_by_name(val, f->name, &fv, NULL))
            return avro_fail(err, f->name, "get_by_name");
        if (f->flags & FL_NULLABLE) {
            int null = is_null(f, obj);
            int rc = select_branch(&fv, null, &branch, f->name, err);
            if (rc != MPC_CODEC_OK)
                return rc;
            if (null)
                continue;
            target = &branch;
        }
        int rc = put_field(f, obj, target, f->name, err);
        if (rc != MPC_CODEC_OK)
            return rc;
    }
    return MPC_CODEC_OK;
}

/* ---- Avro value -> C struct ------------------------------------------------- */

/* Copy an Avro string value into a new C string; strings with NUL bytes or
 * invalid UTF-8 are refused (MALFORMED: not something any writer should
 * produce for these schemas). */
static int take_string(avro_value_t *v, char **out, const char *field,
                       mpc_codec_error *err)
{
    const char *s;
    size_t size;
    if (avro_value_get_string(v, &s, &size))
        return avro_fail(err, field, "get_string");
    size_t len = size ? size - 1 : 0; /* size counts Avro-C's terminating NUL */
    if (!utf8_ok(s, len))
        return mpc_codec_fail(err, MPC_CODEC_ERR_MALFORMED, field,
                              "string is not valid UTF-8 or contains NUL");
    char *c = malloc(len + 1);
    if (!c)
        return nomem(err);
    memcpy(c, s, len);
    c[len] = '\0';
    *out = c;
    return MPC_CODEC_OK;
}

/* Number of entries of an array or map value, refusing more than the field
 * allows before anything is allocated for them. */
static int take_count(avro_value_t *v, const field_desc *f, size_t *n,
                      const char *field, mpc_codec_error *err)
{
    if (avro_value_get_size(v, n))
        return avro_fail(err, field, "get_size");
    if ((int64_t)*n > f->max)
        return mpc_codec_fail(err, MPC_CODEC_ERR_TOO_LARGE, field,
                              "%zu entries, at most %" PRId64 " allowed", *n, f->max);
    return MPC_CODEC_OK;
}

static int take_field(const field_desc *f, avro_value_t *v, void *obj,
                      const char *field, mpc_codec_error *err)
{
    avro_value_t e;
    size_t n = 0;
    int rc;
    switch (f->type) {
    case FT_STRING:
        return take_string(v, MEMBER(obj, f->off, char *), field, err);
    case FT_INT:
        if (avro_value_get_int(v, MEMBER(obj, f->off, int32_t)))
            return avro_fail(err, field, "get_int");
        if (f->flags & FL_NULLABLE)
            *MEMBER(obj, f->aux_off, bool) = true;
        return MPC_CODEC_OK;
    case FT_LONG:
        return avro_value_get_long(v, MEMBER(obj, f->off, int64_t))
                   ? avro_fail(err, field, "get_long") : MPC_CODEC_OK;
    case FT_BOOL: {
        int b;
        if (avro_value_get_boolean(v, &b))
            return avro_fail(err, field, "get_boolean");
        *MEMBER(obj, f->off, bool) = b != 0;
        return MPC_CODEC_OK;
    }
    case FT_BYTES: {
        const void *buf;
        size_t size;
        if (avro_value_get_bytes(v, &buf, &size))
            return avro_fail(err, field, "get_bytes");
        mpc_bytes *b = MEMBER(obj, f->off, mpc_bytes);
        b->data = malloc(size ? size : 1);
        if (!b->data)
            return nomem(err);
        if (size)
            memcpy(b->data, buf, size);
        b->len = size;
        return MPC_CODEC_OK;
    }
    case FT_INT_ARRAY: {
        if ((rc = take_count(v, f, &n, field, err)) != MPC_CODEC_OK)
            return rc;
        int32_t *a = calloc(n ? n : 1, sizeof *a);
        if (!a)
            return nomem(err);
        *MEMBER(obj, f->off, int32_t *) = a;
        *MEMBER(obj, f->aux_off, size_t) = n;
        for (size_t i = 0; i < n; i++)
            if (avro_value_get_by_index(v, i, &e, NULL) || avro_value_get_int(&e, &a[i]))
                return avro_fail(err, field, "get int element");
        return MPC_CODEC_OK;
    }
    case FT_STRING_ARRAY: {
        if ((rc = take_count(v, f, &n, field, err)) != MPC_CODEC_OK)
            return rc;
        char **a = calloc(n ? n : 1, sizeof *a);
        if (!a)
            return nomem(err);
        *MEMBER(obj, f->off, char **) = a;
        *MEMBER(obj, f->aux_off, size_t) = n;
        for (size_t i = 0; i < n; i++) {
            if (avro_value_get_by_index(v, i, &e, NULL))
                return avro_fail(err, field, "get string element");
            if ((rc = take_string(&e, &a[i], field, err)) != MPC_CODEC_OK)
                return rc;
        }
        return MPC_CODEC_OK;
    }
    case FT_STRING_MAP: {
        if ((rc = take_count(v, f, &n, field, err)) != MPC_CODEC_OK)
            return rc;
        mpc_kv *m = calloc(n ? n : 1, sizeof *m);
        if (!m)
            return nomem(err);
        *MEMBER(obj, f->off, mpc_kv *) = m;
        *MEMBER(obj, f->aux_off, size_t) = n;
        for (size_t i = 0; i < n; i++) {
            const char *key;
            if (avro_value_get_by_index(v, i, &e, &key))
                return avro_fail(err, field, "get map entry");
            if (!utf8_ok(key, strlen(key)))
                return mpc_codec_fail(err, MPC_CODEC_ERR_MALFORMED, field,
                                      "map key is not valid UTF-8");
            if (!(m[i].key = strdup(key)))
                return nomem(err);
            if ((rc = take_string(&e, &m[i].value, field, err)) != MPC_CODEC_OK)
                return rc;
        }
        return MPC_CODEC_OK;
    }
    case FT_RECORD_ARRAY: {
        if ((rc = take_count(v, f, &n, field, err)) != MPC_CODEC_OK)
            return rc;
        char *a = calloc(n ? n : 1, f->sub->size);
        if (!a)
            return nomem(err);
        *MEMBER(obj, f->off, char *) = a;
        *MEMBER(obj, f->aux_off, size_t) = n;
        for (size_t i = 0; i < n; i++) {
            if (avro_value_get_by_index(v, i, &e, NULL))
                return avro_fail(err, field, "get record element");
            if ((rc = mpc_codec_from_avro(f->sub, &e, a + i * f->sub->size, err)))
                return rc;
        }
        return MPC_CODEC_OK;
    }
    case FT_RECORD: {
        void *r = calloc(1, f->sub->size);
        if (!r)
            return nomem(err);
        *MEMBER(obj, f->off, void *) = r;
        return mpc_codec_from_avro(f->sub, v, r, err);
    }
    }
    return mpc_codec_fail(err, MPC_CODEC_ERR_ARG, field, "bad field table");
}

int mpc_codec_from_avro(const record_desc *d, avro_value_t *val, void *obj,
                        mpc_codec_error *err)
{
    for (size_t i = 0; i < d->nfields; i++) {
        const field_desc *f = &d->fields[i];
        avro_value_t fv, branch, *source = &fv;
        if (avro_value_get_by_name(val, f->name, &fv, NULL))
            return avro_fail(err, f->name, "get_by_name");
        if (f->flags & FL_NULLABLE) {
            if (avro_value_get_current_branch(&fv, &branch))
                return avro_fail(err, f->name, "get_current_branch");
            if (avro_value_get_type(&branch) == AVRO_NULL)
                continue;
            source = &branch;
        }
        int rc = take_field(f, source, obj, f->name, err);
        if (rc != MPC_CODEC_OK)
            return rc;
    }
    return MPC_CODEC_OK;
}

/* ---- Free -------------------------------------------------------------------- */

void mpc_codec_free_desc(const record_desc *d, void *obj)
{
    for (size_t i = 0; i < d->nfields; i++) {
        const field_desc *f = &d->fields[i];
        int counted = f->type == FT_STRING_ARRAY || f->type == FT_STRING_MAP ||
                      f->type == FT_RECORD_ARRAY;
        size_t n = counted ? *MEMBER(obj, f->aux_off, size_t) : 0;
        switch (f->type) {
        case FT_STRING:
        case FT_INT_ARRAY:
            free(*MEMBER(obj, f->off, void *));
            break;
        case FT_BYTES:
            free(MEMBER(obj, f->off, mpc_bytes)->data);
            break;
        case FT_STRING_ARRAY: {
            char **a = *MEMBER(obj, f->off, char **);
            for (size_t j = 0; a && j < n; j++)
                free(a[j]);
            free(a);
            break;
        }
        case FT_STRING_MAP: {
            mpc_kv *m = *MEMBER(obj, f->off, mpc_kv *);
            for (size_t j = 0; m && j < n; j++) {
                free(m[j].key);
                free(m[j].value);
            }
            free(m);
            break;
        }
        case FT_RECORD_ARRAY: {
            char *a = *MEMBER(obj, f->off, char *);
            for (size_t j = 0; a && j < n; j++)
                mpc_codec_free_desc(f->sub, a + j * f->sub->size);
            free(a);
            break;
        }
        case FT_RECORD: {
            void *r = *MEMBER(obj, f->off, void *);
            if (r)
                mpc_codec_free_desc(f->sub, r);
            free(r);
            break;
        }
        case FT_INT:
        case FT_LONG:
        case FT_BOOL:
            break;
        }
    }
    memset(obj, 0, d->size);
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *hex_json(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    json_t *j = json_stringn(s, 2 * n);
    free(s);
    return j;
}

static json_t *field_json(const field_desc *f, const void *obj)
{
    json_t *j = NULL;
    switch (f->type) {
    case FT_STRING:
        return json_string(*CMEMBER(obj, f->off, char *));
    case FT_INT:
        return json_integer(*CMEMBER(obj, f->off, int32_t));
    case FT_LONG:
        return json_integer(*CMEMBER(obj, f->off, int64_t));
    case FT_BOOL:
        return json_boolean(*CMEMBER(obj, f->off, bool));
    case FT_BYTES: {
        const mpc_bytes *b = CMEMBER(obj, f->off, mpc_bytes);
        return hex_json(b->data, b->len);
    }
    case FT_INT_ARRAY: {
        const int32_t *a = *CMEMBER(obj, f->off, int32_t *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        if (!(j = json_array()))
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new(j, json_integer(a[i])))
                goto fail;
        return j;
    }
    case FT_STRING_ARRAY: {
        char *const *a = *CMEMBER(obj, f->off, string_list);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        if (!(j = json_array()))
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new(j, json_string(a[i])))
                goto fail;
        return j;
    }
    case FT_STRING_MAP: {
        const mpc_kv *m = *CMEMBER(obj, f->off, mpc_kv *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        if (!(j = json_object()))
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (json_object_set_new(j, m[i].key, json_string(m[i].value)))
                goto fail;
        return j;
    }
    case FT_RECORD_ARRAY: {
        const char *a = *CMEMBER(obj, f->off, char *);
        size_t n = *CMEMBER(obj, f->aux_off, size_t);
        if (!(j = json_array()))
            return NULL;
        for (size_t i = 0; i < n; i++)
            if (json_array_append_new(j, mpc_codec_desc_to_json(f->sub, a + i * f->sub->size)))
                goto fail;
        return j;
    }
    case FT_RECORD:
        return mpc_codec_desc_to_json(f->sub, *CMEMBER(obj, f->off, void *));
    }
fail:
    json_decref(j);
    return NULL;
}

json_t *mpc_codec_desc_to_json(const record_desc *d, const void *obj)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (size_t i = 0; i < d->nfields; i++) {
        const field_desc *f = &d->fields[i];
        json_t *v = (f->flags & FL_NULLABLE) && is_null(f, obj) ? json_null()
                                                                 : field_json(f, obj);
        if (!v || json_object_set_new(o, f->name, v)) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* ---- Table versus schema ---------------------------------------------------- */

static avro_schema_t resolve(avro_schema_t s)
{
    while (s && avro_typeof(s) == AVRO_LINK)
        s = avro_schema_link_target(s);
    return s;
}

/* 1 if schema s has the Avro shape of field type t (records recursively). */
static int shape_ok(const field_desc *f, avro_schema_t s, char *msg, size_t msglen)
{
    s = resolve(s);
    if (!s)
        return 0;
    switch (f->type) {
    case FT_STRING:
        return is_avro_string(s);
    case FT_INT:
        return is_avro_int32(s);
    case FT_LONG:
        return is_avro_int64(s);
    case FT_BOOL:
        return is_avro_boolean(s);
    case FT_BYTES:
        return is_avro_bytes(s);
    case FT_INT_ARRAY:
        return is_avro_array(s) && is_avro_int32(resolve(avro_schema_array_items(s)));
    case FT_STRING_ARRAY:
        return is_avro_array(s) && is_avro_string(resolve(avro_schema_array_items(s)));
    case FT_STRING_MAP:
        return is_avro_map(s) && is_avro_string(resolve(avro_schema_map_values(s)));
    case FT_RECORD_ARRAY:
        return is_avro_array(s) &&
               mpc_codec_desc_matches_schema(f->sub, resolve(avro_schema_array_items(s)),
                                             msg, msglen) == 0;
    case FT_RECORD:
        return mpc_codec_desc_matches_schema(f->sub, s, msg, msglen) == 0;
    }
    return 0;
}

int mpc_codec_desc_matches_schema(const record_desc *d, avro_schema_t schema,
                                  char *msg, size_t msglen)
{
    if (!schema || !is_avro_record(schema) ||
        strcmp(avro_schema_type_name(schema), d->name) != 0) {
        snprintf(msg, msglen, "schema is not the record %s", d->name);
        return -1;
    }
    if (avro_schema_record_size(schema) != d->nfields) {
        snprintf(msg, msglen, "%s: schema has %zu fields, the C table %zu", d->name,
                 avro_schema_record_size(schema), d->nfields);
        return -1;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        const field_desc *f = &d->fields[i];
        avro_schema_t fs = resolve(avro_schema_record_field_get(schema, f->name));
        if (!fs) {
            snprintf(msg, msglen, "%s: schema has no field %s", d->name, f->name);
            return -1;
        }
        if (f->flags & FL_NULLABLE) {
            /* ["null", T]: null first, so that the default can be null. */
            avro_schema_t b0 = fs && is_avro_union(fs) && avro_schema_union_size(fs) == 2
                                   ? resolve(avro_schema_union_branch(fs, 0)) : NULL;
            if (!b0 || !is_avro_null(b0)) {
                snprintf(msg, msglen, "%s.%s: expected [\"null\", %s]", d->name, f->name,
                         field_type_names[f->type]);
                return -1;
            }
            fs = avro_schema_union_branch(fs, 1);
        }
        msg[0] = '\0';
        if (!shape_ok(f, fs, msg, msglen)) {
            if (!msg[0])
                snprintf(msg, msglen, "%s.%s: expected %s", d->name, f->name,
                         field_type_names[f->type]);
            return -1;
        }
    }
    return 0;
}
