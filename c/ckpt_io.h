/*
 * ckpt_io.h -- little-endian cursors over a byte buffer, for the checkpoint's writer and readers (checkpoint.c,
 * ckpt_legacy.c, config_io.c). A cursor that would run past its end stops moving and clears ok; the caller
 * checks ok once after a run of puts or gets. Private to the core.
 */
#ifndef NM_CKPT_IO_H
#define NM_CKPT_IO_H

#include <stddef.h>
#include <stdint.h>
#include "neuromod.h"

typedef struct nm_wcur { unsigned char *p; const unsigned char *end; int ok; } nm_wcur;   /* writing */
typedef struct nm_rcur { const unsigned char *p, *end; int ok; } nm_rcur;               /* reading */

void nm_put_bytes(nm_wcur *c, const void *src, size_t n);
void nm_put_u32(nm_wcur *c, uint32_t v);
void nm_put_u64(nm_wcur *c, uint64_t v);
void nm_put_f32(nm_wcur *c, float f);
void nm_put_floats(nm_wcur *c, const float *f, size_t n);

/* nm_get_bytes returns a pointer to the next n bytes and steps over them (NULL if fewer are left) */
const unsigned char *nm_get_bytes(nm_rcur *c, size_t n);
uint32_t nm_get_u32(nm_rcur *c);
uint64_t nm_get_u64(nm_rcur *c);
float nm_get_f32(nm_rcur *c);
void nm_get_floats(nm_rcur *c, float *f, size_t n);

/* ckpt_legacy.c: reads the payload (the bytes between header and checksum, both already checked) of a
 * format-2 or format-3 checkpoint into a new agent. */
nm_status nm_ckpt_read_legacy(const unsigned char *payload, size_t len, uint32_t version, nm_agent **out, char *msg,
                              size_t msglen);

/* ckpt_file.c: a file written atomically (temporary file beside it, fsync, rename; the old mode kept) and a
 * regular file read whole (*buf malloc'd, freed by the caller); msg says why on failure. For agents and
 * population containers alike. */
nm_status nm_file_write_atomic(const char *path, const void *buf, size_t n, char *msg, size_t msglen);
nm_status nm_file_read(const char *path, unsigned char **buf, size_t *size, char *msg, size_t msglen);

#endif
