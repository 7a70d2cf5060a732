/*
 * codec/codec.c - single-object framing and the generic encode/decode paths
 * behind the typed functions, plus the small public utilities: error
 * reporting, status and record names, schema information, peek, JSON views.
 *
 * Decoding untrusted bytes goes: size limit -> magic -> fingerprint lookup ->
 * pre-scan of the body against the schema (registry.c; bounds every length
 * and rejects trailing bytes) -> Avro-C decode into a generic value -> copy
 * into the C struct (mapping.c) -> field validation. Each step that fails
 * returns its own status code and leaves the output struct zeroed.
 */
#include "codec_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Errors ------------------------------------------------------------------- */

static _Thread_local mpc_codec_error last_error;

static void default_illegal(const char *message, void *data)
{
    (void)data;
    fprintf(stderr, "mpc_codec: illegal argument: %s\n", message);
    abort();
}

static void (*illegal_fn)(const char *, void *) = default_illegal;
static void *illegal_data;

void mpc_codec_set_illegal_callback(void (*fn)(const char *message, void *data),
                                    void *data)
{
    illegal_fn = fn ? fn : default_illegal;
    illegal_data = fn ? data : NULL;
}

int mpc_codec_illegal(const char *func, const char *what)
{
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %s", func, what);
    mpc_codec_fail(NULL, MPC_CODEC_ERR_ARG, "", "%s", msg);
    illegal_fn(msg, illegal_data);
    return MPC_CODEC_ERR_ARG;
}

int mpc_codec_fail(mpc_codec_error *err, int code, const char *field,
                   const char *fmt, ...)
{
    mpc_codec_error e;
    e.code = (mpc_codec_status)code;
    snprintf(e.field, sizeof e.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    /* Name the field in the message too, so one line says it all. */
    if (e.field[0] && strncmp(e.message, e.field, strlen(e.field)) != 0) {
        char tmp[sizeof e.field + sizeof e.message + 2];
        snprintf(tmp, sizeof tmp, "%s: %s", e.field, e.message);
        size_t n = strlen(tmp);
        if (n >= sizeof e.message)
            n = sizeof e.message - 1;
        memcpy(e.message, tmp, n);
        e.message[n] = '\0';
    }
    last_error = e;
    if (err)
        *err = e;
    return code;
}

void mpc_codec_clear_error(mpc_codec_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

const mpc_codec_error *mpc_codec_last_error(void)
{
    return &last_error;
}

const char *mpc_codec_status_name(int status)
{
    static const char *const names[] = {
        [MPC_CODEC_OK] = "ok",
        [MPC_CODEC_ERR_ARG] = "bad_argument",
        [MPC_CODEC_ERR_NOMEM] = "out_of_memory",
        [MPC_CODEC_ERR_SCHEMA] = "schema_error",
        [MPC_CODEC_ERR_BAD_MAGIC] = "bad_magic",
        [MPC_CODEC_ERR_TRUNCATED] = "truncated",
        [MPC_CODEC_ERR_UNKNOWN_SCHEMA] = "unknown_schema",
        [MPC_CODEC_ERR_WRONG_SCHEMA] = "wrong_schema",
        [MPC_CODEC_ERR_TRAILING] = "trailing_bytes",
        [MPC_CODEC_ERR_MALFORMED] = "malformed",
        [MPC_CODEC_ERR_INVALID] = "invalid",
        [MPC_CODEC_ERR_TOO_LARGE] = "too_large",
        [MPC_CODEC_ERR_AVRO] = "avro_error",
    };
    if (status < 0 || (size_t)status >= sizeof names / sizeof names[0])
        return "unknown_status";
    return names[status];
}

/* ---- Names and schema information --------------------------------------------- */

const char *mpc_codec_record_name(mpc_record_type type)
{
    const codec_schema *e;
    if (!mpc_codec_desc(type) || mpc_codec_registry_get(type, &e, NULL) != MPC_CODEC_OK)
        return NULL;
    return e->fullname;
}

mpc_record_type mpc_codec_record_type_from_name(const char *name)
{
    if (!name)
        return MPC_RECORD_UNKNOWN;
    for (int t = MPC_RECORD_UNKNOWN + 1; t < MPC_RECORD_COUNT; t++) {
        const char *shortname = mpc_codec_desc((mpc_record_type)t)->name;
        const char *full = mpc_codec_record_name((mpc_record_type)t);
        if (strcmp(name, shortname) == 0 || (full && strcmp(name, full) == 0))
            return (mpc_record_type)t;
    }
    return MPC_RECORD_UNKNOWN;
}

int mpc_codec_schema_info(mpc_record_type type, const char **schema_json,
                          const char **canonical, uint64_t *fingerprint)
{
    const codec_schema *e;
    if (!mpc_codec_desc(type) || mpc_codec_registry_get(type, &e, NULL) != MPC_CODEC_OK)
        return 0;
    if (schema_json)
        *schema_json = e->json;
    if (canonical)
        *canonical = e->canonical;
    if (fingerprint)
        *fingerprint = e->fingerprint;
    return 1;
}

/* ---- Framing ------------------------------------------------------------------- */

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Check the header and find the schema; *e is the registry entry. */
int mpc_codec_read_header(const uint8_t *buf, size_t len, const codec_schema **e,
                          mpc_codec_error *err)
{
    int rc = mpc_codec_init(err);
    if (rc != MPC_CODEC_OK)
        return rc;
    if ((len >= 1 && buf[0] != MPC_CODEC_MAGIC_0) || (len >= 2 && buf[1] != MPC_CODEC_MAGIC_1))
        return mpc_codec_fail(err, MPC_CODEC_ERR_BAD_MAGIC, "",
                              "not Avro single-object encoding (expected C3 01)");
    if (len < MPC_CODEC_HEADER_LEN)
        return mpc_codec_fail(err, MPC_CODEC_ERR_TRUNCATED, "",
                              "%zu bytes: shorter than the 10-byte header", len);
    if (len > MPC_CODEC_MAX_RECORD_BYTES)
        return mpc_codec_fail(err, MPC_CODEC_ERR_TOO_LARGE, "",
                              "%zu bytes, records are at most %u", len,
                              MPC_CODEC_MAX_RECORD_BYTES);
    uint64_t fp = get_le64(buf + 2);
    if (!(*e = mpc_codec_registry_find(fp)))
        return mpc_codec_fail(err, MPC_CODEC_ERR_UNKNOWN_SCHEMA, "",
                              "unknown schema fingerprint %016llx",
                              (unsigned long long)fp);
    return MPC_CODEC_OK;
}

mpc_record_type mpc_codec_peek_schema(const uint8_t *buf, size_t len,
                                      mpc_codec_error *err)
{
    const codec_schema *e;
    if (!buf && len) {
        mpc_codec_illegal(__func__, "buf != NULL || len == 0");
        return MPC_RECORD_UNKNOWN;
    }
    return mpc_codec_read_header(buf, len, &e, err) == MPC_CODEC_OK ? e->type : MPC_RECORD_UNKNOWN;
}

int mpc_codec_encode_any(mpc_record_type type, const void *rec, uint8_t **out,
                         size_t *out_len)
{
    MPC_ARG_CHECK(rec != NULL);
    MPC_ARG_CHECK(out != NULL);
    MPC_ARG_CHECK(out_len != NULL);
    const codec_schema *e;
    int rc = mpc_codec_registry_get(type, &e, NULL);
    if (rc != MPC_CODEC_OK)
        return rc;
    const record_desc *d = mpc_codec_desc(type);
    if ((rc = mpc_codec_validate_desc(d, rec, "", NULL)) != MPC_CODEC_OK)
        return rc;

    avro_value_t val;
    avro_writer_t w = NULL;
    uint8_t *buf = NULL;
    size_t size;
    if (avro_generic_value_new(e->iface, &val))
        return mpc_codec_fail(NULL, MPC_CODEC_ERR_AVRO, "", "Avro-C value_new: %s",
                              avro_strerror());
    if ((rc = mpc_codec_to_avro(d, rec, &val, NULL)) != MPC_CODEC_OK)
        goto done;
    if (avro_value_sizeof(&val, &size)) {
        rc = mpc_codec_fail(NULL, MPC_CODEC_ERR_AVRO, "", "Avro-C sizeof: %s", avro_strerror());
        goto done;
    }
    if (size > MPC_CODEC_MAX_RECORD_BYTES - MPC_CODEC_HEADER_LEN) {
        rc = mpc_codec_fail(NULL, MPC_CODEC_ERR_TOO_LARGE, "",
                            "record would take %zu bytes, at most %u allowed",
                            size + MPC_CODEC_HEADER_LEN, MPC_CODEC_MAX_RECORD_BYTES);
        goto done;
    }
    if (!(buf = malloc(MPC_CODEC_HEADER_LEN + size))) {
        rc = mpc_codec_fail(NULL, MPC_CODEC_ERR_NOMEM, "", "out of memory");
        goto done;
    }
    buf[0] = MPC_CODEC_MAGIC_0;
    buf[1] = MPC_CODEC_MAGIC_1;
    put_le64(buf + 2, e->fingerprint);
    if (!(w = avro_writer_memory((const char *)buf + MPC_CODEC_HEADER_LEN, (int64_t)size))) {
        rc = mpc_codec_fail(NULL, MPC_CODEC_ERR_NOMEM, "", "out of memory");
        goto done;
    }
    if (avro_value_write(w, &val)) {
        rc = mpc_codec_fail(NULL, MPC_CODEC_ERR_AVRO, "", "Avro-C write: %s", avro_strerror());
        goto done;
    }
    *out = buf;
    *out_len = MPC_CODEC_HEADER_LEN + size;
    buf = NULL;
    rc = MPC_CODEC_OK;
done:
    if (w)
        avro_writer_free(w);
    avro_value_decref(&val);
    free(buf);
    return rc;
}

/* Decode the body of a record whose header was accepted into out (zeroed). */
static int decode_body(const codec_schema *e, const uint8_t *buf, size_t len,
                       void *out, mpc_codec_error *err)
{
    const uint8_t *body = buf + MPC_CODEC_HEADER_LEN;
    size_t blen = len - MPC_CODEC_HEADER_LEN;
    int rc = mpc_codec_prescan(e->schema, body, blen, err);
    if (rc != MPC_CODEC_OK)
        return rc;

    const record_desc *d = mpc_codec_desc(e->type);
    avro_value_t val;
    if (avro_generic_value_new(e->iface, &val))
        return mpc_codec_fail(err, MPC_CODEC_ERR_AVRO, "", "Avro-C value_new: %s",
                              avro_strerror());
    avro_reader_t r = avro_reader_memory((const char *)body, (int64_t)blen);
    if (!r) {
        rc = mpc_codec_fail(err, MPC_CODEC_ERR_NOMEM, "", "out of memory");
    } else if (avro_value_read(r, &val)) {
        rc = mpc_codec_fail(err, MPC_CODEC_ERR_MALFORMED, "", "Avro-C cannot decode: %s",
                            avro_strerror());
    } else if ((rc = mpc_codec_from_avro(d, &val, out, err)) == MPC_CODEC_OK) {
        rc = mpc_codec_validate_desc(d, out, "", err);
    }
    if (r)
        avro_reader_free(r);
    avro_value_decref(&val);
    if (rc != MPC_CODEC_OK)
        mpc_codec_free_desc(d, out);
    return rc;
}

int mpc_codec_decode_any(mpc_record_type expected, const uint8_t *buf, size_t len,
                         void *out, mpc_codec_error *err)
{
    MPC_ARG_CHECK(out != NULL);
    MPC_ARG_CHECK(buf != NULL || len == 0);
    const record_desc *d = mpc_codec_desc(expected);
    MPC_ARG_CHECK(d != NULL);
    memset(out, 0, d->size);
    mpc_codec_clear_error(err);
    const codec_schema *e;
    int rc = mpc_codec_read_header(buf, len, &e, err);
    if (rc != MPC_CODEC_OK)
        return rc;
    if (e->type != expected)
        return mpc_codec_fail(err, MPC_CODEC_ERR_WRONG_SCHEMA, "",
                              "expected %s, found %s", mpc_codec_record_name(expected),
                              e->fullname);
    return decode_body(e, buf, len, out, err);
}

/* ---- JSON views ------------------------------------------------------------------ */

int mpc_codec_record_to_json(mpc_record_type type, const void *rec, char **json)
{
    MPC_ARG_CHECK(rec != NULL);
    MPC_ARG_CHECK(json != NULL);
    const record_desc *d = mpc_codec_desc(type);
    MPC_ARG_CHECK(d != NULL);
    /* jansson needs valid UTF-8, which validation guarantees. */
    int rc = mpc_codec_validate_desc(d, rec, "", NULL);
    if (rc != MPC_CODEC_OK)
        return rc;
    json_t *o = mpc_codec_desc_to_json(d, rec);
    *json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return *json ? MPC_CODEC_OK
                 : mpc_codec_fail(NULL, MPC_CODEC_ERR_NOMEM, "", "out of memory");
}

int mpc_codec_encode(mpc_record_type type, const void *rec, uint8_t **out,
                     size_t *out_len)
{
    MPC_ARG_CHECK(mpc_codec_desc(type) != NULL);
    return mpc_codec_encode_any(type, rec, out, out_len);
}

int mpc_codec_decode(const uint8_t *buf, size_t len, mpc_record_type *type,
                     mpc_any_record *out, mpc_codec_error *err)
{
    MPC_ARG_CHECK(type != NULL);
    MPC_ARG_CHECK(out != NULL);
    MPC_ARG_CHECK(buf != NULL || len == 0);
    *type = MPC_RECORD_UNKNOWN;
    memset(out, 0, sizeof *out);
    mpc_codec_clear_error(err);
    const codec_schema *e;
    int rc = mpc_codec_read_header(buf, len, &e, err);
    if (rc == MPC_CODEC_OK && (rc = decode_body(e, buf, len, out, err)) == MPC_CODEC_OK)
        *type = e->type;
    return rc;
}

void mpc_codec_free(mpc_record_type type, mpc_any_record *rec)
{
    const record_desc *d = mpc_codec_desc(type);
    if (d && rec)
        mpc_codec_free_desc(d, rec);
}

int mpc_codec_decode_to_json(const uint8_t *buf, size_t len, mpc_record_type *type,
                             char **json, mpc_codec_error *err)
{
    MPC_ARG_CHECK(json != NULL);
    mpc_any_record rec;
    mpc_record_type found;
    int rc = mpc_codec_decode(buf, len, &found, &rec, err);
    if (rc != MPC_CODEC_OK)
        return rc;
    if (type)
        *type = found;
    rc = mpc_codec_record_to_json(found, &rec, json);
    if (rc != MPC_CODEC_OK)
        mpc_codec_fail(err, rc, "", "%s", mpc_codec_last_error()->message);
    mpc_codec_free(found, &rec);
    return rc;
}
