/* ckpt_io.c -- little-endian cursors over a byte buffer (see ckpt_io.h): the same bytes on every host. */
#include <string.h>
#include "ckpt_io.h"

void nm_put_bytes(nm_wcur *c, const void *src, size_t n)
{
    if (!c->ok || (size_t)(c->end - c->p) < n) { c->ok = 0; return; }
    if (n) memcpy(c->p, src, n);
    c->p += n;
}

void nm_put_u32(nm_wcur *c, uint32_t v)
{
    unsigned char b[4];
    int i;
    for (i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
    nm_put_bytes(c, b, 4);
}

void nm_put_u64(nm_wcur *c, uint64_t v)
{
    unsigned char b[8];
    int i;
    for (i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    nm_put_bytes(c, b, 8);
}

void nm_put_f32(nm_wcur *c, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    nm_put_u32(c, v);
}

/* A little-endian host's floats are the file's bytes already: one copy instead of a call per float (a default
 * agent's checkpoint holds tens of thousands). Another host converts float by float. */
static int host_little_endian(void)
{
    const uint32_t one = 1;
    unsigned char b[4];
    memcpy(b, &one, 4);
    return b[0] == 1;
}

void nm_put_floats(nm_wcur *c, const float *f, size_t n)
{
    size_t i;
    if (host_little_endian() && n <= ((size_t)-1) / 4) { nm_put_bytes(c, f, 4 * n); return; }
    for (i = 0; i < n; i++) nm_put_f32(c, f[i]);
}

const unsigned char *nm_get_bytes(nm_rcur *c, size_t n)
{
    const unsigned char *p = c->p;
    if (!c->ok || (size_t)(c->end - c->p) < n) { c->ok = 0; return NULL; }
    c->p += n;
    return p;
}

uint32_t nm_get_u32(nm_rcur *c)
{
    const unsigned char *b = nm_get_bytes(c, 4);
    uint32_t v = 0;
    int i;
    if (!b) return 0;
    for (i = 0; i < 4; i++) v |= (uint32_t)b[i] << (8 * i);
    return v;
}

uint64_t nm_get_u64(nm_rcur *c)
{
    const unsigned char *b = nm_get_bytes(c, 8);
    uint64_t v = 0;
    int i;
    if (!b) return 0;
    for (i = 0; i < 8; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

float nm_get_f32(nm_rcur *c)
{
    uint32_t v = nm_get_u32(c);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

void nm_get_floats(nm_rcur *c, float *f, size_t n)
{
    size_t i;
    if (host_little_endian() && n <= ((size_t)-1) / 4) {
        const unsigned char *b = nm_get_bytes(c, 4 * n);
        if (b) { if (n) memcpy(f, b, 4 * n); return; }
        for (i = 0; i < n; i++) f[i] = 0.0f;   /* as the float-by-float reader leaves a short read: zeros */
        return;
    }
    for (i = 0; i < n; i++) f[i] = nm_get_f32(c);
}
