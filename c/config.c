/* config.c -- everything about nm_agent_config, derived from the one table NM_CONFIG_FIELDS (neuromod.h):
 * defaults, legacy values, the field descriptions, the by-name accessors and the checks with their messages. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "nm_internal.h"

static const char *const modulator_names[NM_N_MODULATORS] = { "DA", "NA", "ACh", "5HT" };
static const char *const param_names[NM_N_PARAMS] = {
    "learning_rate", "inverse_temperature", "discount", "trace_decay",
    "gain", "attention", "withhold_bias", "consolidation"
};
static const char *const layer_labels[NM_MAX_LAYERS] = { "1", "2", "3", "4", "5", "6", "7", "8" };

const char *nm_modulator_name(int m) { return (m >= 0 && m < NM_N_MODULATORS) ? modulator_names[m] : NULL; }
const char *nm_param_name(int p) { return (p >= 0 && p < NM_N_PARAMS) ? param_names[p] : NULL; }

/* ---- defaults and legacy values: designated initializers generated from the table ---- */
#define X_DEFAULT(ctype, name, dims, kind, shape, option, flags, lo, hi, expect, values, dflt, legacy, doc) .name = dflt,
#define X_LEGACY(ctype, name, dims, kind, shape, option, flags, lo, hi, expect, values, dflt, legacy, doc) .name = legacy,
static const nm_agent_config default_config = { NM_CONFIG_FIELDS(X_DEFAULT) };
static const nm_agent_config legacy_config = { NM_CONFIG_FIELDS(X_LEGACY) };
#undef X_DEFAULT
#undef X_LEGACY

void nm_agent_config_default(nm_agent_config *cfg) { if (cfg) *cfg = default_config; }
void nm_agent_config_legacy(nm_agent_config *cfg) { if (cfg) *cfg = legacy_config; }

/* The continual rows' legacy values are the agent without continual learning (each row's off), their defaults
 * the continual agent: copying one column or the other over these rows switches it as a whole. */
void nm_agent_config_continual(nm_agent_config *cfg, int on)
{
    const nm_agent_config *from = on ? &default_config : &legacy_config;
    size_t l;
    int recurrent = 0;
    if (!cfg) return;
    for (l = 0; l < cfg->n_layers && l < NM_MAX_LAYERS; l++) recurrent |= cfg->layer_kind[l] != NM_LAYER_DENSE;
    cfg->base[NM_P_CONSOLIDATION] = from->base[NM_P_CONSOLIDATION];
    cfg->importance = from->importance;
    cfg->gating = from->gating;
    cfg->boundary = from->boundary;
    cfg->context_predictor = from->context_predictor;
    cfg->context_tonic = from->context_tonic;
    cfg->gate_first = from->gate_first;
    cfg->boundary_learning = from->boundary_learning;
    cfg->boundary_sustain = from->boundary_sustain;
    cfg->boundary_trigger = from->boundary_trigger;
    cfg->gate_step = from->gate_step;
    cfg->gate_min = from->gate_min;
    cfg->model_gate = from->model_gate;
    /* the detector's context models read the observation: on a recurrent trunk the outcome depends on what the
     * trunk holds, and the agent's own errors on a memory task read as changes of task (delay_match fell from
     * 76-99% to chance after its criterion) */
    if (on && recurrent) cfg->boundary = legacy_config.boundary;
}
size_t nm_config_size(void) { return sizeof(nm_agent_config); }
size_t nm_max_units(void) { return NM_MAX_UNITS; }

/* ---- the field descriptions, all constant: no state, safe from any thread ---- */
typedef struct field_def {
    nm_config_field pub;
    size_t offset;     /* of the field in nm_agent_config */
    size_t elem_size;  /* bytes of one element */
} field_def;

#define SHAPE_ROWS(shape) ((shape) == NM_SHAPE_SCALAR ? 1 : (shape) == NM_SHAPE_LAYERS ? NM_MAX_LAYERS :          \
                           (shape) == NM_SHAPE_PARAMS || (shape) == NM_SHAPE_PARAMS_MODS ? NM_N_PARAMS :        \
                           (shape) == NM_SHAPE_MODS_MODS || (shape) == NM_SHAPE_MODS ? NM_N_MODULATORS : 1)
#define SHAPE_COLS(shape) ((shape) == NM_SHAPE_PARAMS_MODS || (shape) == NM_SHAPE_MODS_MODS ? NM_N_MODULATORS : 1)
#define SHAPE_ROW_LABELS(shape)                                                                                  \
    ((shape) == NM_SHAPE_LAYERS ? layer_labels : (shape) == NM_SHAPE_PARAMS || (shape) == NM_SHAPE_PARAMS_MODS    \
     ? param_names : (shape) == NM_SHAPE_MODS || (shape) == NM_SHAPE_MODS_MODS ? modulator_names : NULL)
#define SHAPE_COL_LABELS(shape) \
    ((shape) == NM_SHAPE_PARAMS_MODS || (shape) == NM_SHAPE_MODS_MODS ? modulator_names : NULL)
#define NAMED(kind) ((kind) == NM_FIELD_ENUM || (kind) == NM_FIELD_MASK)

/* the names of each field's values (NM_NONE for most) */
#define X_VALUES(ctype, name, dims, kind, shape, option, flags, lo, hi, expect, values, dflt, legacy, doc) \
    static const char *const name##_values[] = values;
NM_CONFIG_FIELDS(X_VALUES)
#undef X_VALUES

/* A mask is one value (its bits are named by `values`), whatever the shape its names come from. */
#define X_FIELD(ctype, name, dims, kind_, shape_, option_, flags_, lo_, hi_, expect_, values_, dflt, legacy, doc_)  \
    { { #name, option_, expect_, doc_, kind_, shape_, flags_,                                                      \
        (kind_) == NM_FIELD_MASK ? 1 : SHAPE_ROWS(shape_), SHAPE_COLS(shape_),                                    \
        (kind_) == NM_FIELD_MASK ? NULL : SHAPE_ROW_LABELS(shape_), SHAPE_COL_LABELS(shape_),                     \
        NAMED(kind_) ? name##_values : NULL, NAMED(kind_) ? sizeof name##_values / sizeof name##_values[0] : 0,    \
        (double)(lo_), (double)(hi_) },                                                                            \
      offsetof(nm_agent_config, name),                                                                             \
      sizeof(((nm_agent_config *)0)->name) / ((kind_) == NM_FIELD_MASK ? 1 : SHAPE_ROWS(shape_) * SHAPE_COLS(shape_)) },
static const field_def fields[] = { NM_CONFIG_FIELDS(X_FIELD) };
#undef X_FIELD
#define N_FIELDS (sizeof fields / sizeof fields[0])

/* The accessors read every element as its kind's C type; enums are stored as int. */
typedef char enum_is_int[sizeof(nm_activation) == sizeof(int) && sizeof(nm_na_input) == sizeof(int) &&
                         sizeof(nm_layer_kind) == sizeof(int) && sizeof(nm_model) == sizeof(int) &&
                         sizeof(nm_5ht_input) == sizeof(int) && sizeof(nm_importance) == sizeof(int) ? 1 : -1];

size_t nm_config_field_count(void) { return N_FIELDS; }

const nm_config_field *nm_config_field_at(size_t i)
{
    return i < N_FIELDS ? &fields[i].pub : NULL;
}

static const field_def *find(const char *name)
{
    size_t i;
    if (!name) return NULL;
    for (i = 0; i < N_FIELDS; i++)
        if (strcmp(fields[i].pub.name, name) == 0 || (fields[i].pub.option[0] && strcmp(fields[i].pub.option, name) == 0))
            return &fields[i];
    return NULL;
}

const nm_config_field *nm_config_field_find(const char *name)
{
    const field_def *d = find(name);
    return d ? &d->pub : NULL;
}

/* ---- ranges ---- */
/* The base value of each meta-parameter: discount and trace decay in [0, 1), gain and attention > 0, the
 * withhold bias any finite number, consolidation a per-step coupling in [0, 0.5], the rest >= 0. */
static const struct { double lo, hi; unsigned flags; const char *expect; } param_range[NM_N_PARAMS] = {
    { 0, 1e30, 0, "a number >= 0" },                     /* learning_rate */
    { 0, 1e30, 0, "a number >= 0" },                     /* inverse_temperature */
    { 0, 1, NM_F_HI_OPEN, "a number in [0, 1)" },        /* discount */
    { 0, 1, NM_F_HI_OPEN, "a number in [0, 1)" },        /* trace_decay */
    { 1e-30, 1e30, 0, "a number > 0" },                  /* gain */
    { 1e-30, 1e30, 0, "a number > 0" },                  /* attention */
    { -1e30, 1e30, 0, "a finite number" },               /* withhold_bias */
    { 0, 0.5, 0, "a per-step coupling in [0, 0.5]" },    /* consolidation */
};

static void range_of(const field_def *d, size_t index, double *lo, double *hi, unsigned *flags, const char **expect)
{
    if (d->pub.flags & NM_F_PER_PARAM) {
        size_t p = index % NM_N_PARAMS;
        *lo = param_range[p].lo; *hi = param_range[p].hi;
        *flags = param_range[p].flags; *expect = param_range[p].expect;
    } else {
        *lo = d->pub.lo; *hi = d->pub.hi; *flags = d->pub.flags; *expect = d->pub.expect;
    }
    if (d->pub.kind == NM_FIELD_ENUM) *hi = (double)d->pub.n_values - 1;
}

static size_t elements(const field_def *d) { return d->pub.rows * d->pub.cols; }

nm_status nm_config_range(const char *name, size_t index, double *lo, double *hi, const char **expect)
{
    const field_def *d = find(name);
    double l, h;
    unsigned fl;
    const char *e;
    if (!d || index >= elements(d)) return NM_ERR_ARG;
    range_of(d, index, &l, &h, &fl, &e);
    if (lo) *lo = l;
    if (hi) *hi = h;
    if (expect) *expect = e;
    return NM_OK;
}

/* The element's name in messages: option, option[i] for layers, option.label, option.row.col; a split field's
 * element is named by its label alone ("discount"). */
static void element_name(const field_def *d, size_t index, char *out, size_t len)
{
    const nm_config_field *f = &d->pub;
    const char *opt = f->option[0] ? f->option : f->name;
    if (f->shape == NM_SHAPE_SCALAR || f->kind == NM_FIELD_MASK) snprintf(out, len, "%s", opt);
    else if (f->shape == NM_SHAPE_LAYERS) snprintf(out, len, "%s[%lu]", opt, (unsigned long)index + 1);
    else if (f->flags & NM_F_SPLIT) snprintf(out, len, "%s", f->row_labels[index]);
    else if (f->col_labels)
        snprintf(out, len, "%s.%s.%s", opt, f->row_labels[index / f->cols], f->col_labels[index % f->cols]);
    else snprintf(out, len, "%s.%s", opt, f->row_labels[index]);
}

/* ---- raw element access ---- */
static void *element(const field_def *d, const nm_agent_config *cfg, size_t index)
{
    return (char *)cfg + d->offset + index * d->elem_size;
}

static double read_number(const field_def *d, const nm_agent_config *cfg, size_t index)
{
    const void *p = element(d, cfg, index);
    switch (d->pub.kind) {
    case NM_FIELD_COUNT: return (double)*(const size_t *)p;
    case NM_FIELD_U64: return (double)*(const uint64_t *)p;
    case NM_FIELD_REAL: return (double)*(const float *)p;
    case NM_FIELD_MASK: return (double)*(const unsigned *)p;
    default: return (double)*(const int *)p;
    }
}

/* Checks a value for an element; on error writes "<element>: expected <what>, got <value>". */
static nm_status check_value(const field_def *d, size_t index, double v, char *msg, size_t msglen)
{
    double lo, hi;
    unsigned flags;
    const char *expect;
    char name[64];   /* the element's name, written only for a message (a checkpoint's load checks every element) */
    int ok;
    range_of(d, index, &lo, &hi, &flags, &expect);
    if (d->pub.kind == NM_FIELD_ENUM) {
        if (v == floor(v) && v >= 0 && v < (double)d->pub.n_values) return NM_OK;
        element_name(d, index, name, sizeof name);
        nm_write_msg(msg, msglen, "%s: expected %s, got %g", name, expect, v);
        return NM_ERR_ARG;
    }
    if (!isfinite(v)) {
        element_name(d, index, name, sizeof name);
        nm_write_msg(msg, msglen, "%s: expected %s, got %s", name, expect, isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
        return NM_ERR_ARG;
    }
    if (d->pub.kind != NM_FIELD_REAL && v != floor(v)) {
        element_name(d, index, name, sizeof name);
        nm_write_msg(msg, msglen, "%s: expected %s, got %g", name, expect, v);
        return NM_ERR_ARG;
    }
    ok = v >= lo && ((flags & NM_F_HI_OPEN) ? v < hi : v <= hi);
    if (!ok && (flags & NM_F_ZERO_OFF) && v == 0) ok = 1;
    if (d->pub.kind == NM_FIELD_MASK && ok) {
        unsigned long bits = (unsigned long)v;
        ok = (bits & ~(unsigned long)hi) == 0;
    }
    if (d->pub.kind == NM_FIELD_REAL && ok && fabs(v) > 3.4028234663852886e38) ok = 0; /* beyond float */
    if (!ok) {
        element_name(d, index, name, sizeof name);
        nm_write_msg(msg, msglen, "%s: expected %s, got %.9g", name, expect, v);
        return NM_ERR_ARG;
    }
    return NM_OK;
}

/* element index of field d, or a message naming the field */
static nm_status in_range(const field_def *d, size_t index, const field_def **out, char *msg, size_t msglen)
{
    if (index >= elements(d)) {
        nm_write_msg(msg, msglen, "%s: element %lu out of range (the field has %lu)", d->pub.name,
                     (unsigned long)index, (unsigned long)elements(d));
        return NM_ERR_ARG;
    }
    *out = d;
    return NM_OK;
}

static nm_status lookup(const char *name, size_t index, const field_def **out, char *msg, size_t msglen)
{
    const field_def *d = find(name);
    if (!d) { nm_write_msg(msg, msglen, "unknown config field '%s'", name ? name : "(null)"); return NM_ERR_ARG; }
    return in_range(d, index, out, msg, msglen);
}

/* field number `field` of the table (the checkpoint's section reader and writer walk the table: no name search) */
static nm_status lookup_at(size_t field, size_t index, const field_def **out, char *msg, size_t msglen)
{
    if (field >= N_FIELDS) {
        nm_write_msg(msg, msglen, "config field %lu out of range (the table has %lu)", (unsigned long)field,
                     (unsigned long)N_FIELDS);
        return NM_ERR_ARG;
    }
    return in_range(&fields[field], index, out, msg, msglen);
}

/* The accessors on a found field; the public ones find it by name, the _at ones (nm_internal.h) by number. */
static nm_status set_number(nm_agent_config *cfg, const field_def *d, size_t index, double value, char *msg,
                            size_t msglen)
{
    nm_status st;
    void *p;
    if ((st = check_value(d, index, value, msg, msglen)) != NM_OK) return st;
    if (d->pub.kind == NM_FIELD_U64 && value >= 18446744073709551616.0) {
        nm_write_msg(msg, msglen, "%s: expected %s below 2^64, got %g", d->pub.option, d->pub.expect, value);
        return NM_ERR_ARG;
    }
    p = element(d, cfg, index);
    switch (d->pub.kind) {
    case NM_FIELD_COUNT: *(size_t *)p = (size_t)value; break;
    case NM_FIELD_U64: *(uint64_t *)p = (uint64_t)value; break;
    case NM_FIELD_REAL: *(float *)p = (float)value; break;
    case NM_FIELD_MASK: *(unsigned *)p = (unsigned)value; break;
    default: *(int *)p = (int)value;
    }
    return NM_OK;
}

static nm_status get_u64(const nm_agent_config *cfg, const field_def *d, size_t index, uint64_t *value)
{
    if (d->pub.kind == NM_FIELD_U64) *value = *(const uint64_t *)element(d, cfg, index);
    else if (d->pub.kind == NM_FIELD_REAL || read_number(d, cfg, index) < 0) return NM_ERR_ARG; /* -1: none */
    else *value = (uint64_t)read_number(d, cfg, index);
    return NM_OK;
}

static nm_status set_u64(nm_agent_config *cfg, const field_def *d, size_t index, uint64_t value, char *msg,
                         size_t msglen)
{
    if (d->pub.kind != NM_FIELD_U64) return set_number(cfg, d, index, (double)value, msg, msglen);
    *(uint64_t *)element(d, cfg, index) = value;
    return NM_OK;
}

nm_status nm_config_get(const nm_agent_config *cfg, const char *name, size_t index, double *value)
{
    const field_def *d;
    if (!cfg || !value || lookup(name, index, &d, NULL, 0) != NM_OK) return NM_ERR_ARG;
    *value = read_number(d, cfg, index);
    return NM_OK;
}

nm_status nm_config_get_at(const nm_agent_config *cfg, size_t field, size_t index, double *value)
{
    const field_def *d;
    if (!cfg || !value || lookup_at(field, index, &d, NULL, 0) != NM_OK) return NM_ERR_ARG;
    *value = read_number(d, cfg, index);
    return NM_OK;
}

nm_status nm_config_set(nm_agent_config *cfg, const char *name, size_t index, double value, char *msg, size_t msglen)
{
    const field_def *d;
    nm_status st;
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    if ((st = lookup(name, index, &d, msg, msglen)) != NM_OK) return st;
    return set_number(cfg, d, index, value, msg, msglen);
}

nm_status nm_config_set_at(nm_agent_config *cfg, size_t field, size_t index, double value, char *msg, size_t msglen)
{
    const field_def *d;
    nm_status st;
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    if ((st = lookup_at(field, index, &d, msg, msglen)) != NM_OK) return st;
    return set_number(cfg, d, index, value, msg, msglen);
}

nm_status nm_config_get_u64(const nm_agent_config *cfg, const char *name, size_t index, uint64_t *value)
{
    const field_def *d;
    if (!cfg || !value || lookup(name, index, &d, NULL, 0) != NM_OK) return NM_ERR_ARG;
    return get_u64(cfg, d, index, value);
}

nm_status nm_config_get_u64_at(const nm_agent_config *cfg, size_t field, size_t index, uint64_t *value)
{
    const field_def *d;
    if (!cfg || !value || lookup_at(field, index, &d, NULL, 0) != NM_OK) return NM_ERR_ARG;
    return get_u64(cfg, d, index, value);
}

nm_status nm_config_set_u64(nm_agent_config *cfg, const char *name, size_t index, uint64_t value, char *msg,
                            size_t msglen)
{
    const field_def *d;
    nm_status st;
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    if ((st = lookup(name, index, &d, msg, msglen)) != NM_OK) return st;
    return set_u64(cfg, d, index, value, msg, msglen);
}

nm_status nm_config_set_u64_at(nm_agent_config *cfg, size_t field, size_t index, uint64_t value, char *msg,
                               size_t msglen)
{
    const field_def *d;
    nm_status st;
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    if ((st = lookup_at(field, index, &d, msg, msglen)) != NM_OK) return st;
    return set_u64(cfg, d, index, value, msg, msglen);
}

nm_status nm_config_set_value(nm_agent_config *cfg, const char *name, size_t index, const char *value, char *msg,
                              size_t msglen)
{
    const field_def *d;
    nm_status st;
    size_t i;
    char ename[64];
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    if ((st = lookup(name, index, &d, msg, msglen)) != NM_OK) return st;
    element_name(d, index, ename, sizeof ename);
    if (d->pub.kind != NM_FIELD_ENUM) {
        nm_write_msg(msg, msglen, "%s: expected %s, got a name", ename, d->pub.expect);
        return NM_ERR_ARG;
    }
    for (i = 0; value && i < d->pub.n_values; i++)
        if (strcmp(d->pub.values[i], value) == 0) {
            *(int *)element(d, cfg, index) = (int)i;
            return NM_OK;
        }
    nm_write_msg(msg, msglen, "%s: expected %s, got '%s'", ename, d->pub.expect, value ? value : "(null)");
    return NM_ERR_ARG;
}

const char *nm_config_get_value(const nm_agent_config *cfg, const char *name, size_t index)
{
    const field_def *d;
    int v;
    if (!cfg || lookup(name, index, &d, NULL, 0) != NM_OK || d->pub.kind != NM_FIELD_ENUM) return NULL;
    v = *(const int *)element(d, cfg, index);
    return v >= 0 && (size_t)v < d->pub.n_values ? d->pub.values[v] : NULL;
}

/* ---- the whole config ---- */
nm_status nm_agent_config_check(const nm_agent_config *cfg, char *msg, size_t msglen)
{
    size_t i, e, n;
    nm_status st;
    if (!cfg) { nm_write_msg(msg, msglen, "config is NULL"); return NM_ERR_ARG; }
    for (i = 0; i < N_FIELDS; i++) {
        const field_def *d = &fields[i];
        n = elements(d);
        /* hidden layers beyond n_layers are unused; n_layers itself is checked first (it comes earlier) */
        if (d->pub.shape == NM_SHAPE_LAYERS) n = cfg->n_layers;
        for (e = 0; e < n; e++) {
            if (d->pub.kind == NM_FIELD_U64) continue; /* every 64-bit value is a valid seed */
            if ((st = check_value(d, e, read_number(d, cfg, e), msg, msglen)) != NM_OK) {
                if (strcmp(d->pub.name, "n_layers") == 0) /* n_layers: say it as the user wrote it, the length of hidden */
                    nm_write_msg(msg, msglen, "hidden: at most %d layers, got %lu", NM_MAX_LAYERS,
                                 (unsigned long)cfg->n_layers);
                return st;
            }
        }
    }
    /* relations between fields */
    /* a time constant belongs to a recurrent layer; a dense one takes 1, so that config() round-trips */
    for (e = 0; e < cfg->n_layers; e++)
        if (cfg->layer_kind[e] == NM_LAYER_DENSE && cfg->layer_tau[e] != 1.0f) {
            nm_write_msg(msg, msglen, "hidden[%lu].tau: only a recurrent layer has a time constant (got %g on a "
                         "dense layer)", (unsigned long)e + 1, (double)cfg->layer_tau[e]);
            return NM_ERR_ARG;
        }
    if (cfg->withhold_action != NM_ACTION_NONE && (size_t)cfg->withhold_action >= cfg->n_actions) {
        nm_write_msg(msg, msglen, "withhold_action: expected an action 0 .. %lu or none, got %d",
                     (unsigned long)cfg->n_actions - 1, cfg->withhold_action);
        return NM_ERR_ARG;
    }
    return NM_OK;
}
