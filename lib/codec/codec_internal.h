/*
 * codec/codec_internal.h - what the codec's source files share and nobody
 * else may use: error helpers, the declarative tables that describe each C
 * struct field by field (name, Avro shape, offset, limits), the schema
 * registry, and the generic code that walks those tables.
 *
 * Design: one table per record (records.c) drives everything generic
 * (mapping.c): struct -> Avro value, Avro value -> struct, validation, free,
 * JSON. The registry (registry.c) checks at start-up that each table matches
 * its embedded .avsc schema field for field, so the schemas stay the single
 * source and a mismatch is a loud start-up error, not silent data loss.
 */
#ifndef MPC_CODEC_INTERNAL_H
#define MPC_CODEC_INTERNAL_H

#include "codec/avro_codec.h"

#include <avro.h>
#include <jansson.h>

/* ---- Errors -------------------------------------------------------------- */

/* Record a failure in *err (if not NULL) and in the thread's last error.
 * Returns code, so callers can `return mpc_codec_fail(...)`. */
int mpc_codec_fail(mpc_codec_error *err, int code, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reset *err (if not NULL) to MPC_CODEC_OK with empty texts. */
void mpc_codec_clear_error(mpc_codec_error *err);

/* Report a programming error to the illegal-argument callback.
 * Returns MPC_CODEC_ERR_ARG (if the callback returns). */
int mpc_codec_illegal(const char *func, const char *what);

#define MPC_ARG_CHECK(cond)                                                    \
    do {                                                                       \
        if (!(cond))                                                           \
            return mpc_codec_illegal(__func__, #cond);                         \
    } while (0)

/* ---- Field tables --------------------------------------------------------- */

typedef enum field_type {
    FT_STRING,       /* char * */
    FT_INT,          /* int32_t */
    FT_LONG,         /* int64_t */
    FT_BOOL,         /* bool */
    FT_BYTES,        /* mpc_bytes */
    FT_INT_ARRAY,    /* int32_t * + size_t count */
    FT_STRING_ARRAY, /* char ** + size_t count */
    FT_STRING_MAP,   /* mpc_kv * + size_t count */
    FT_RECORD_ARRAY, /* struct * + size_t count (struct described by sub) */
    FT_RECORD        /* struct * (nullable: NULL = null) */
} field_type;

/* Which characters a string may hold (all strings must be valid UTF-8
 * without NUL). */
typedef enum charset {
    CS_UTF8 = 0,  /* any UTF-8 */
    CS_PRINTABLE, /* printable ASCII without space: 0x21..0x7e */
    CS_TOKEN,     /* lowercase token: [a-z0-9_.-] */
    CS_CODE       /* error code: [A-Za-z0-9_.-] (stable codes are upper case) */
} charset;

#define FL_NULLABLE 0x1u /* Avro ["null", T]; NULL pointer / data / !has = null */

typedef struct record_desc record_desc;

typedef struct field_desc {
    const char *name;      /* Avro field name */
    field_type type;
    unsigned flags;
    size_t off;            /* offset of the member */
    size_t aux_off;        /* count member (arrays, maps) or bool has_ member (nullable int) */
    const record_desc *sub; /* FT_RECORD, FT_RECORD_ARRAY */
    /* Limits: string/bytes length, array/map element count, or int range. */
    int64_t min;
    int64_t max;
    charset cs;            /* strings, string array elements, map keys */
    const char *const *allowed; /* NULL-terminated set of allowed strings, or NULL */
    /* Element limits of arrays and maps: int range, or string length. */
    int64_t elem_min;
    int64_t elem_max;
    int64_t val_max;       /* string maps: longest value */
} field_desc;

struct record_desc {
    const char *name;       /* short Avro name, e.g. "SignRequest" */
    mpc_record_type type;   /* MPC_RECORD_UNKNOWN for nested records */
    size_t size;            /* sizeof the C struct */
    const field_desc *fields;
    size_t nfields;
    /* Rules across fields, run after the per-field ones (may be NULL). */
    int (*check)(const void *rec, const char *path, mpc_codec_error *err);
};

/* The table of a top-level record, or NULL. */
const record_desc *mpc_codec_desc(mpc_record_type type);

/* ---- Generic walkers over the tables (mapping.c) ----------------------- */

/* "path.name" (or "name" when path is empty) into buf, truncated to n
 * bytes if need be; returns buf. */
const char *mpc_codec_join_path(char *buf, size_t n, const char *path,
                                const char *name);

/* Check every field of obj against its table entry, then the record's own
 * rules. path prefixes field names in error messages ("" at top level). */
int mpc_codec_validate_desc(const record_desc *d, const void *obj,
                            const char *path, mpc_codec_error *err);

/* Fill the generic Avro record value `val` from obj. */
int mpc_codec_to_avro(const record_desc *d, const void *obj,
                      avro_value_t *val, mpc_codec_error *err);

/* Fill obj (zeroed by the caller) from the Avro record value `val`. On
 * failure obj may be partly filled; free it with mpc_codec_free_desc(). */
int mpc_codec_from_avro(const record_desc *d, avro_value_t *val, void *obj,
                        mpc_codec_error *err);

/* Free every member of obj and zero it. */
void mpc_codec_free_desc(const record_desc *d, void *obj);

/* obj as a new JSON object, or NULL when out of memory. */
json_t *mpc_codec_desc_to_json(const record_desc *d, const void *obj);

/* Check that the table matches the Avro record schema (same fields, same
 * shapes, defaults where the C side can leave a field absent). Returns 0 or
 * -1 with a description in msg. */
int mpc_codec_desc_matches_schema(const record_desc *d, avro_schema_t schema,
                                  char *msg, size_t msglen);

/* ---- Schema registry (registry.c) -------------------------------------- */

typedef struct codec_schema {
    mpc_record_type type;
    const char *fullname;     /* "mpc.v1.SignRequest" */
    char *json;               /* schema text as embedded */
    char *canonical;          /* Parsing Canonical Form */
    uint64_t fingerprint;     /* CRC-64-AVRO of canonical */
    avro_schema_t schema;
    avro_value_iface_t *iface; /* generic value class of schema */
} codec_schema;

/* The registry entry of a record type, building the registry on first use.
 * Returns MPC_CODEC_OK or MPC_CODEC_ERR_SCHEMA. */
int mpc_codec_registry_get(mpc_record_type type, const codec_schema **out,
                           mpc_codec_error *err);

/* The entry whose fingerprint is fp, or NULL. The registry must be built. */
const codec_schema *mpc_codec_registry_find(uint64_t fp);

/* Check that body[0..len) is a well-formed Avro binary encoding of schema
 * with no byte left over, before Avro-C allocates anything from it: every
 * length fits in what is left, every union index exists, every varint is
 * at most 10 bytes and ints fit 32 bits. */
int mpc_codec_prescan(avro_schema_t schema, const uint8_t *body, size_t len,
                      mpc_codec_error *err);

/* Scan only the first nfields fields of a record body; *consumed is where
 * the next field starts. */
int mpc_codec_prescan_fields(avro_schema_t record, size_t nfields,
                             const uint8_t *body, size_t len, size_t *consumed,
                             mpc_codec_error *err);

/* Check the single-object header of buf and find its schema (codec.c). */
int mpc_codec_read_header(const uint8_t *buf, size_t len, const codec_schema **e,
                          mpc_codec_error *err);

/* Generic encode/decode behind the typed functions (codec.c). */
int mpc_codec_encode_any(mpc_record_type type, const void *rec, uint8_t **out,
                         size_t *out_len);
int mpc_codec_decode_any(mpc_record_type expected, const uint8_t *buf,
                         size_t len, void *out, mpc_codec_error *err);

/* ---- Canonical form (canonical.c) -------------------------------------- */

/* Parsing Canonical Form of a parsed schema. *out is malloc'ed. */
int mpc_codec_canonical_json(const json_t *schema, char **out,
                             mpc_codec_error *err);

/* ---- Embedded schema files (generated: schemas_embedded.c) ------------- */

typedef struct mpc_codec_embedded {
    const char *file;     /* e.g. "SignRequest.avsc" */
    const unsigned char *text;
    size_t len;
} mpc_codec_embedded;

extern const mpc_codec_embedded mpc_codec_embedded_schemas[];
extern const size_t mpc_codec_embedded_schema_count;

#endif /* MPC_CODEC_INTERNAL_H */
