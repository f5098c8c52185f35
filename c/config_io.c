/*
 * config_io.c -- the config section of a checkpoint (format 4 and later), self-describing and derived from the
 * config table (NM_CONFIG_FIELDS, through the by-name API), so that a new field needs no change here:
 *
 *   u32 field count, then per field:
 *     u8 name length, the C field name (no NUL), u8 kind (nm_field_kind), u32 element count,
 *     the elements: COUNT and U64 as u64, REAL as the f32 bits, ENUM and MASK as u32, INDEX as u32 (two's
 *     complement: -1, none, is 0xffffffff)
 *
 * A reader starts from the legacy values (nm_agent_config_legacy: what a file that lacks a field means, the
 * behaviour before the field existed) and overwrites the fields the file holds. A field it does not know is
 * refused by name (a newer library wrote it, and its behaviour would be lost); a required field that is missing,
 * a field given twice, or one whose kind or element count differs is refused by name too. Values are checked by
 * the field's own setter, and the whole config by nm_agent_config_check afterwards (checkpoint.c).
 * All integers and floats little-endian.
 */
#include <string.h>
#include "nm_internal.h"
#include "ckpt_io.h"

static size_t elements(const nm_config_field *f) { return f->rows * f->cols; }

static size_t element_bytes(const nm_config_field *f)
{
    return f->kind == NM_FIELD_COUNT || f->kind == NM_FIELD_U64 ? 8 : 4;
}

size_t nm_config_section_size(const nm_agent_config *cfg)
{
    size_t i, n = 4;
    (void)cfg;
    for (i = 0; i < nm_config_field_count(); i++) {
        const nm_config_field *f = nm_config_field_at(i);
        n += 1 + strlen(f->name) + 1 + 4 + elements(f) * element_bytes(f);
    }
    return n;
}

void nm_config_section_write(const nm_agent_config *g, unsigned char *buf)
{
    nm_wcur c;
    size_t i, e, count = nm_config_field_count();
    c.p = buf; c.end = buf + nm_config_section_size(g); c.ok = 1;
    nm_put_u32(&c, (uint32_t)count);
    for (i = 0; i < count; i++) {
        const nm_config_field *f = nm_config_field_at(i);
        unsigned char head[2];
        size_t len = strlen(f->name);
        head[0] = (unsigned char)len;
        nm_put_bytes(&c, head, 1);
        nm_put_bytes(&c, f->name, len);
        head[1] = (unsigned char)f->kind;
        nm_put_bytes(&c, head + 1, 1);
        nm_put_u32(&c, (uint32_t)elements(f));
        for (e = 0; e < elements(f); e++) {
            if (f->kind == NM_FIELD_REAL) {
                double v = 0.0;
                nm_config_get_at(g, i, e, &v);
                nm_put_f32(&c, (float)v);
            } else if (f->kind == NM_FIELD_INDEX) {    /* two's complement: -1 (none) is 0xffffffff */
                double v = 0.0;
                nm_config_get_at(g, i, e, &v);
                nm_put_u32(&c, (uint32_t)(int32_t)v);
            } else {
                uint64_t v = 0;
                nm_config_get_u64_at(g, i, e, &v);
                if (element_bytes(f) == 8) nm_put_u64(&c, v);
                else nm_put_u32(&c, (uint32_t)v);
            }
        }
    }
}

/* The field whose C name is the n bytes at p (not its option name: a file names fields as the struct does). */
static const nm_config_field *field_named(const unsigned char *p, size_t n, size_t *index)
{
    size_t i;
    for (i = 0; i < nm_config_field_count(); i++) {
        const nm_config_field *f = nm_config_field_at(i);
        if (strlen(f->name) == n && memcmp(f->name, p, n) == 0) { *index = i; return f; }
    }
    return NULL;
}

/* the number of config fields, so that the reader's seen[] grows with the table (a fixed 64 refused the 65th
 * field of every checkpoint as given twice) */
#define X_ONE(ctype, name, dims, kind, shape, option, flags, lo, hi, expect, values, dflt, legacy, doc) + 1
enum { N_CONFIG_FIELDS = 0 NM_CONFIG_FIELDS(X_ONE) };
#undef X_ONE

nm_status nm_config_section_read(const unsigned char *buf, size_t len, nm_agent_config *g, char *msg, size_t msglen)
{
    nm_rcur c;
    uint32_t count, k;
    unsigned char seen[N_CONFIG_FIELDS];
    size_t i;
    c.p = buf; c.end = buf + len; c.ok = 1;
    nm_agent_config_legacy(g);
    memset(seen, 0, sizeof seen);
    count = nm_get_u32(&c);
    if (!c.ok) { nm_write_msg(msg, msglen, "truncated (no field count)"); return NM_ERR_FORMAT; }
    for (k = 0; k < count; k++) {
        const unsigned char *name, *kind_byte;
        const unsigned char *n_byte = nm_get_bytes(&c, 1);
        const nm_config_field *f;
        size_t index = 0, e, n;
        uint32_t elems;
        char shown[64];
        if (!n_byte || !(name = nm_get_bytes(&c, *n_byte)) || !(kind_byte = nm_get_bytes(&c, 1))) {
            nm_write_msg(msg, msglen, "truncated in field %lu of %lu", (unsigned long)k + 1, (unsigned long)count);
            return NM_ERR_FORMAT;
        }
        n = *n_byte < sizeof shown - 1 ? *n_byte : sizeof shown - 1;
        for (i = 0; i < n; i++) shown[i] = (name[i] >= 32 && name[i] < 127) ? (char)name[i] : '?';
        shown[n] = '\0';
        f = field_named(name, *n_byte, &index);
        if (!f) {
            nm_write_msg(msg, msglen, "config field '%s' is not known to this version of neuromod (written by a "
                         "newer one?)", shown);
            return NM_ERR_FORMAT;
        }
        if (index >= sizeof seen || seen[index]) {
            nm_write_msg(msg, msglen, "config field '%s' appears twice", shown);
            return NM_ERR_FORMAT;
        }
        seen[index] = 1;
        elems = nm_get_u32(&c);
        if (!c.ok || *kind_byte != (unsigned char)f->kind || elems > elements(f) ||
            (size_t)(c.end - c.p) < (size_t)elems * element_bytes(f)) {
            nm_write_msg(msg, msglen, "config field '%s': %s", shown, !c.ok || elems <= elements(f)
                         ? (*kind_byte != (unsigned char)f->kind ? "its type differs from this version's" : "truncated")
                         : "more elements than this version's");
            return NM_ERR_FORMAT;
        }
        for (e = 0; e < elems; e++) {
            char why[200];
            nm_status st;
            if (f->kind == NM_FIELD_REAL) st = nm_config_set_at(g, index, e, (double)nm_get_f32(&c), why, sizeof why);
            else if (f->kind == NM_FIELD_INDEX) {
                uint32_t u = nm_get_u32(&c);
                st = nm_config_set_at(g, index, e, u > 0x7fffffffu ? (double)u - 4294967296.0 : (double)u, why,
                                   sizeof why);
            } else {
                uint64_t v = element_bytes(f) == 8 ? nm_get_u64(&c) : nm_get_u32(&c);
                st = nm_config_set_u64_at(g, index, e, v, why, sizeof why);
            }
            /* unused hidden layers are stored as they are; a value a setter refuses names itself */
            if (st != NM_OK && !(f->shape == NM_SHAPE_LAYERS && e >= g->n_layers)) {
                nm_write_msg(msg, msglen, "%s", why);
                return NM_ERR_FORMAT;
            }
        }
    }
    if (c.p != c.end) { nm_write_msg(msg, msglen, "trailing bytes after %lu fields", (unsigned long)count); return NM_ERR_FORMAT; }
    for (i = 0; i < nm_config_field_count() && i < sizeof seen; i++) {
        const nm_config_field *f = nm_config_field_at(i);
        if ((f->flags & NM_F_REQUIRED) && !seen[i]) {
            nm_write_msg(msg, msglen, "the required config field '%s' is missing", f->name);
            return NM_ERR_FORMAT;
        }
    }
    return NM_OK;
}
