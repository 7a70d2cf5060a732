/*
 * tests/codec/samples.h - one fixed, fully populated sample of every record
 * type, shared by the unit tests and mpc_codec_tool. The cross-library test
 * (test_cross_library.py) knows the same values and checks them with
 * fastavro, so change both together.
 */
#ifndef MPC_TESTS_CODEC_SAMPLES_H
#define MPC_TESTS_CODEC_SAMPLES_H

#include "codec/avro_codec.h"

/* The sample of `type` (static storage; do not free or modify), or NULL. */
const void *sample_record(mpc_record_type type);

/* Encode the sample of `type`; aborts on failure. *out is malloc'ed. */
void sample_encode(mpc_record_type type, uint8_t **out, size_t *out_len);

/* Encode any record of `type`; returns the status. */
int encode_record(mpc_record_type type, const void *rec, uint8_t **out, size_t *out_len);

/* Decode into the struct for `type` at out (sized for any record); returns the
 * status. Free with free_record(). */
int decode_record(mpc_record_type type, const uint8_t *buf, size_t len, void *out,
                  mpc_codec_error *err);
void free_record(mpc_record_type type, void *rec);

/* Storage big enough for any record struct. */
typedef mpc_any_record any_record;

#endif
