/* wire.h - bounded byte readers and growable writers for message payloads.
 *
 * Both carry a sticky error flag: after the first failure (reading past the
 * end, allocation failure) every further call is a no-op, so a parser reads
 * all fields and checks once with mpc_reader_done(), which also rejects
 * trailing bytes. Integers are big-endian.
 */
#ifndef MPC_ENGINE_WIRE_H
#define MPC_ENGINE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/errors.h"

typedef struct mpc_reader {
    const unsigned char *p;
    size_t len, pos;
    int err;
} mpc_reader;

void mpc_reader_init(mpc_reader *r, const unsigned char *p, size_t len);
/* Each returns 1 on success, 0 (and sets r->err, out zeroed) if fewer bytes
 * remain than requested or an earlier read failed. */
int mpc_read_u8(mpc_reader *r, uint8_t *out);
int mpc_read_u16(mpc_reader *r, uint16_t *out);
int mpc_read_u32(mpc_reader *r, uint32_t *out);
int mpc_read_bytes(mpc_reader *r, unsigned char *out, size_t n);
/* Returns: pointer to the next n bytes inside the input (not copied), or NULL
 * on failure. */
const unsigned char *mpc_read_ptr(mpc_reader *r, size_t n);
/* Returns: bytes left to read (0 after an error). */
size_t mpc_reader_remaining(const mpc_reader *r);
/* Returns: 1 if no read failed and the input is fully consumed. */
MPC_WUR int mpc_reader_done(const mpc_reader *r);

typedef struct mpc_writer {
    unsigned char *p;
    size_t len, cap;
    int err;
} mpc_writer;

void mpc_writer_init(mpc_writer *w);
void mpc_write_u8(mpc_writer *w, uint8_t v);
void mpc_write_u16(mpc_writer *w, uint16_t v);
void mpc_write_u32(mpc_writer *w, uint32_t v);
void mpc_write_bytes(mpc_writer *w, const unsigned char *p, size_t n);
/* Returns: the buffer (caller frees with free()) and its length in *len, or
 * NULL if any write failed (the writer is then freed). Resets w. */
MPC_WUR unsigned char *mpc_writer_take(mpc_writer *w, size_t *len);
/* Wipe and free the buffer (it may hold secrets). */
void mpc_writer_free(mpc_writer *w);

#endif
