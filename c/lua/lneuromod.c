/*
 * lneuromod.c -- the Lua 5.4 C-API binding, module "neuromod.corelib": argument checking and marshalling
 * only; no science here. The shared Lua layer (lua/neuromod/common.lua) turns user options into the flat
 * config this module takes and adds the Lua-side methods to the agent's method table.
 *
 * Agents are full userdata holding the nm_agent pointer and a float buffer of n_obs, so that act/learn
 * convert observations without allocating. close is idempotent and is also __gc and __close.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "neuromod.h"

#define AGENT_MT "neuromod.agent"
#define RNG_MT "neuromod.rng"
#define VEC_MT "neuromod.vector"
#define CFG_MT "neuromod.config"

typedef struct lagent {
    nm_agent *agent;
    size_t n_obs;
    float obs[1]; /* n_obs floats follow (allocated with the userdata) */
} lagent;

typedef struct lvector { size_t n; float v[1]; } lvector;

/* Raises "<where>agent:<method>: <message>" with the position of the function `level` levels up: 1 for a method
 * the user calls (raise), 2 for a primitive that common.lua calls on the user's behalf. */
/* Raises "<who>:<method>: <message>" at the caller `level` levels up (who: "agent" or "pop"). */
static int vraise(lua_State *L, int level, const char *who, const char *method, const char *fmt, va_list ap)
{
    luaL_where(L, level);
    lua_pushfstring(L, "%s:%s: ", who, method);
    lua_pushvfstring(L, fmt, ap);
    lua_concat(L, 3);
    return lua_error(L);
}

static int raise_level(lua_State *L, int level, const char *method, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vraise(L, level, "agent", method, fmt, ap);
    va_end(ap);
    return 0;
}
#define raise(L, ...) raise_level((L), 1, __VA_ARGS__)

static lagent *check_agent(lua_State *L, const char *method)
{
    lagent *a = luaL_testudata(L, 1, AGENT_MT);
    if (!a) return (raise(L, method, "self is not an agent (use agent:%s, not agent.%s)", method, method), NULL);
    if (!a->agent) raise(L, method, "the agent is closed");
    return a;
}

/* ---- configs: opaque userdata read and written by field name (nm_config_*); common.lua does the rest ---- */
static nm_agent_config *check_config(lua_State *L, int idx) { return luaL_checkudata(L, idx, CFG_MT); }

static nm_agent_config *push_config(lua_State *L, const nm_agent_config *from)
{
    nm_agent_config *c = lua_newuserdatauv(L, sizeof *c, 0);
    if (from) *c = *from;
    else nm_agent_config_default(c);
    luaL_setmetatable(L, CFG_MT);
    return c;
}

static void push_labels(lua_State *L, const char *const *labels, size_t n, const char *key)
{
    size_t i;
    if (!labels) return;
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) { lua_pushstring(L, labels[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
    lua_setfield(L, -2, key);
}

/* corelib.fields() -> the config's fields in table order: { name, option, kind, rows, cols, row_labels,
 * col_labels, values, expect, doc, lo, hi, flags = { required, split, structural } } */
static int l_fields(lua_State *L)
{
    static const char *const kinds[] = { "count", "u64", "real", "enum", "mask", "index" };
    size_t i, n = nm_config_field_count();
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) {
        const nm_config_field *f = nm_config_field_at(i);
        lua_createtable(L, 0, 13);
        lua_pushstring(L, f->name); lua_setfield(L, -2, "name");
        lua_pushstring(L, f->option); lua_setfield(L, -2, "option");
        lua_pushstring(L, kinds[f->kind]); lua_setfield(L, -2, "kind");
        lua_pushinteger(L, (lua_Integer)f->rows); lua_setfield(L, -2, "rows");
        lua_pushinteger(L, (lua_Integer)f->cols); lua_setfield(L, -2, "cols");
        push_labels(L, f->row_labels, f->rows, "row_labels");
        push_labels(L, f->col_labels, f->cols, "col_labels");
        push_labels(L, f->values, f->n_values, "values");
        lua_pushstring(L, f->expect); lua_setfield(L, -2, "expect");
        lua_pushstring(L, f->doc); lua_setfield(L, -2, "doc");
        lua_pushnumber(L, f->lo); lua_setfield(L, -2, "lo");
        lua_pushnumber(L, f->hi); lua_setfield(L, -2, "hi");
        lua_createtable(L, 0, 3);
        lua_pushboolean(L, (f->flags & NM_F_REQUIRED) != 0); lua_setfield(L, -2, "required");
        lua_pushboolean(L, (f->flags & NM_F_SPLIT) != 0); lua_setfield(L, -2, "split");
        lua_pushboolean(L, (f->flags & NM_F_STRUCTURAL) != 0); lua_setfield(L, -2, "structural");
        lua_setfield(L, -2, "flags");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* corelib.config_new([cfg]) -> a default config, or a copy of cfg */
static int l_config_new(lua_State *L) { push_config(L, lua_isnoneornil(L, 1) ? NULL : check_config(L, 1)); return 1; }

/* corelib.config_set(cfg, name, index0, value) -> true | nil, message (the core's, naming the option).
 * A string sets an ENUM by name; a non-negative integer goes through the exact 64-bit setter. */
static int l_config_set(lua_State *L)
{
    nm_agent_config *c = check_config(L, 1);
    const char *name = luaL_checkstring(L, 2);
    size_t index = (size_t)luaL_checkinteger(L, 3);
    char msg[256];
    nm_status st;
    if (lua_type(L, 4) == LUA_TSTRING) st = nm_config_set_value(c, name, index, lua_tostring(L, 4), msg, sizeof msg);
    else if (lua_isinteger(L, 4) && lua_tointeger(L, 4) >= 0)
        st = nm_config_set_u64(c, name, index, (uint64_t)lua_tointeger(L, 4), msg, sizeof msg);
    else st = nm_config_set(c, name, index, luaL_checknumber(L, 4), msg, sizeof msg);
    if (st != NM_OK) { luaL_pushfail(L); lua_pushstring(L, msg); return 2; }
    lua_pushboolean(L, 1);
    return 1;
}

/* A 64-bit count or seed: an integer below 2^53, else its decimal string (never wrapped). The bound is LuaJIT's
 * (a double holds integers exactly up to 2^53), so that both backends give the same value of the same type. */
static void push_u64(lua_State *L, uint64_t u)
{
    if (u < ((uint64_t)1 << 53)) lua_pushinteger(L, (lua_Integer)u);
    else {
        char dec[24];
        snprintf(dec, sizeof dec, "%llu", (unsigned long long)u);
        lua_pushstring(L, dec);
    }
}

/* corelib.config_get(cfg, name, index0) -> the element: a float, an integer, or an ENUM's value name; a
 * 64-bit value beyond a Lua integer comes as its decimal string */
static int l_config_get(lua_State *L)
{
    const nm_agent_config *c = check_config(L, 1);
    const char *name = luaL_checkstring(L, 2);
    size_t index = (size_t)luaL_checkinteger(L, 3);
    const nm_config_field *f = nm_config_field_find(name);
    double v;
    uint64_t u;
    if (!f || nm_config_get(c, name, index, &v) != NM_OK)
        return luaL_error(L, "config_get: no element %d of field '%s'", (int)index, name);
    if (f->kind == NM_FIELD_ENUM) lua_pushstring(L, nm_config_get_value(c, name, index));
    else if (f->kind == NM_FIELD_REAL) lua_pushnumber(L, v);
    else if (f->kind == NM_FIELD_INDEX) lua_pushinteger(L, (lua_Integer)v);   /* -1: none */
    else {
        nm_config_get_u64(c, name, index, &u);
        push_u64(L, u);
    }
    return 1;
}

static lagent *push_agent(lua_State *L, nm_agent *agent)
{
    size_t n = nm_agent_get_config(agent)->n_obs;
    lagent *a = lua_newuserdatauv(L, sizeof(lagent) + n * sizeof(float), 0);
    a->agent = NULL; /* closed until fully set up, so __gc is always safe */
    a->n_obs = n;
    luaL_setmetatable(L, AGENT_MT);
    a->agent = agent;
    return a;
}

/* corelib.new(config) -> agent | nil, "nm.agent: <message>" for a config the core refuses */
static int l_new(lua_State *L)
{
    nm_agent_config *c = check_config(L, 1);
    nm_agent *agent;
    char msg[256];
    if (nm_agent_new(c, &agent, msg, sizeof msg) != NM_OK) {
        luaL_pushfail(L);
        lua_pushfstring(L, "nm.agent: %s", msg);
        return 2;
    }
    push_agent(L, agent);
    return 1;
}

/* corelib.load(path) -> agent | nil, message */
static int l_load(lua_State *L)
{
    nm_agent *agent;
    char msg[512];
    const char *path = luaL_checkstring(L, 1);
    if (nm_agent_load(path, &agent, msg, sizeof msg) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, msg);
        return 2;
    }
    push_agent(L, agent);
    return 1;
}

/* Reads n numbers (a table or an nm.vector) at idx into buf, or returns the vector's own floats; errors name
 * who ("agent" or "pop"), the method and the argument, `level` levels up. */
static void raise_who(lua_State *L, int level, const char *who, const char *method, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vraise(L, level, who, method, fmt, ap);
    va_end(ap);
}

static const float *read_numbers(lua_State *L, int level, const char *who, int idx, const char *method,
                                 const char *what, float *buf, size_t n)
{
    size_t i, len;
    int t = lua_type(L, idx);
    if (t == LUA_TTABLE) {
        len = (size_t)lua_rawlen(L, idx);
        if (len != n) raise_who(L, level, who, method, "%s has %d values, expected %d", what, (int)len, (int)n);
        for (i = 0; i < n; i++) {
            if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TNUMBER)
                raise_who(L, level, who, method, "%s[%d] is not a number (got %s)", what, (int)i + 1,
                          luaL_typename(L, -1));
            buf[i] = (float)lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        return buf;
    }
    if (t == LUA_TUSERDATA) {
        lvector *v = luaL_testudata(L, idx, VEC_MT);
        if (v) {
            if (v->n != n) raise_who(L, level, who, method, "%s has %d values, expected %d", what, (int)v->n, (int)n);
            return v->v;
        }
    }
    raise_who(L, level, who, method, "%s: expected a table of numbers or an nm.vector, got %s", what,
              luaL_typename(L, idx));
    return NULL;
}
#define read_obs(L, level, idx, method, what, buf, n) read_numbers((L), (level), "agent", (idx), (method), (what), (buf), (n))

static int l_act(lua_State *L)
{
    lagent *a = check_agent(L, "act");
    const float *obs = read_obs(L, 1, 2, "act", "obs", a->obs, a->n_obs);
    int action;
    if (nm_agent_act(a->agent, obs, a->n_obs, &action) != NM_OK) return raise(L, "act", "%s", nm_agent_error(a->agent));
    lua_pushinteger(L, action);
    return 1;
}

static int l_learn(lua_State *L)
{
    lagent *a = check_agent(L, "learn");
    const float *next = NULL;
    size_t n = 0;
    int terminal, flags;
    if (lua_type(L, 2) != LUA_TNUMBER) return raise(L, "learn", "reward is not a number (got %s)", luaL_typename(L, 2));
    if (!lua_isnoneornil(L, 4) && !lua_isboolean(L, 4))
        return raise(L, "learn", "terminal: expected a boolean or nil, got %s", luaL_typename(L, 4));
    if (!lua_isnoneornil(L, 5) && !lua_isboolean(L, 5))
        return raise(L, "learn", "truncated: expected a boolean or nil, got %s", luaL_typename(L, 5));
    flags = (lua_toboolean(L, 4) ? NM_TERMINAL : 0) | (lua_toboolean(L, 5) ? NM_TRUNCATED : 0);
    terminal = flags == NM_TERMINAL;   /* only an untruncated terminal step may omit next_obs */
    if (!terminal || !lua_isnoneornil(L, 3)) {
        if (lua_isnoneornil(L, 3)) return raise(L, "learn", "next_obs is missing (only a terminal step may omit it)");
        next = read_obs(L, 1, 3, "learn", "next_obs", a->obs, a->n_obs);
        n = a->n_obs;
    }
    if (nm_agent_learn(a->agent, (float)lua_tonumber(L, 2), next, n, flags) != NM_OK)
        return raise(L, "learn", "%s", nm_agent_error(a->agent));
    return 0;
}

static int l_close(lua_State *L)
{
    lagent *a = luaL_checkudata(L, 1, AGENT_MT);
    nm_agent_free(a->agent);
    a->agent = NULL;
    return 0;
}

static int l_is_closed(lua_State *L)
{
    lagent *a = luaL_checkudata(L, 1, AGENT_MT);
    lua_pushboolean(L, a->agent == NULL);
    return 1;
}

/* agent:save(path): common.lua has checked the path */
static int l_save(lua_State *L)
{
    lagent *a = check_agent(L, "save");
    if (nm_agent_save(a->agent, luaL_checkstring(L, 2)) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, nm_agent_error(a->agent));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int l_reset(lua_State *L)
{
    lagent *a = check_agent(L, "reset");
    nm_agent_reset_traces(a->agent);
    return 0;
}

/* agent:freeze(on), agent:frozen(), agent:_set_context(id), agent:_context(): common.lua checks the arguments */
static int l_freeze(lua_State *L)
{
    lagent *a = check_agent(L, "freeze");
    nm_agent_freeze(a->agent, lua_toboolean(L, 2));
    return 0;
}

static int l_frozen(lua_State *L)
{
    lagent *a = check_agent(L, "frozen");
    lua_pushboolean(L, nm_agent_frozen(a->agent));
    return 1;
}

static int l_set_context(lua_State *L)
{
    lagent *a = check_agent(L, "context");
    if (nm_agent_set_context(a->agent, (int)luaL_checkinteger(L, 2)) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, nm_agent_error(a->agent));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int l_context(lua_State *L)
{
    lagent *a = check_agent(L, "context");
    lua_pushinteger(L, nm_agent_context(a->agent));
    return 1;
}

/* agent:_modstate(t): fills t with flat arrays level, phasic, tonic (4), params (8), surprise, steps, and the
 * table signals. */
static void fill_floats(lua_State *L, int t, const char *key, const float *v, int n)
{
    int i;
    if (lua_getfield(L, t, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, n, 0);
        lua_pushvalue(L, -1);
        lua_setfield(L, t, key);
    }
    for (i = 0; i < n; i++) { lua_pushnumber(L, v[i]); lua_rawseti(L, -2, i + 1); }
    lua_pop(L, 1);
}

/* t.signals (created if missing): what drives the modulators, by name (common.lua documents them) */
static void fill_signals(lua_State *L, int t, const nm_modulator_state *m)
{
    if (lua_getfield(L, t, "signals") != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 9);
        lua_pushvalue(L, -1);
        lua_setfield(L, t, "signals");
    }
    lua_pushnumber(L, m->surprise); lua_setfield(L, -2, "surprise");
    lua_pushnumber(L, m->expected); lua_setfield(L, -2, "expected");
    lua_pushnumber(L, m->unexpected); lua_setfield(L, -2, "unexpected");
    lua_pushnumber(L, m->changepoint); lua_setfield(L, -2, "changepoint");
    lua_pushnumber(L, m->outlier_rate); lua_setfield(L, -2, "outlier_rate");
    lua_pushnumber(L, m->reward_short); lua_setfield(L, -2, "reward_short");
    lua_pushnumber(L, m->tonic[NM_DA]); lua_setfield(L, -2, "reward_long");
    lua_pushnumber(L, m->reward_variance); lua_setfield(L, -2, "reward_variance");
    lua_pushnumber(L, m->utility_drop); lua_setfield(L, -2, "utility_drop");
    lua_pop(L, 1);
}

static int l_modstate(lua_State *L)
{
    lagent *a = check_agent(L, "modulators");
    nm_modulator_state m;
    luaL_checktype(L, 2, LUA_TTABLE);
    nm_agent_get_modulators(a->agent, &m);
    fill_floats(L, 2, "level", m.level, NM_N_MODULATORS);
    fill_floats(L, 2, "phasic", m.phasic, NM_N_MODULATORS);
    fill_floats(L, 2, "tonic", m.tonic, NM_N_MODULATORS);
    fill_floats(L, 2, "params", m.params, NM_N_PARAMS);
    lua_pushnumber(L, m.surprise); lua_setfield(L, 2, "surprise");
    push_u64(L, m.steps); lua_setfield(L, 2, "steps");
    fill_signals(L, 2, &m);
    return 0;
}

/* agent:levels() -> DA (latest TD error), NA, ACh, 5HT; agent:meta() -> the eight meta-parameters. */
static int l_levels(lua_State *L)
{
    lagent *a = check_agent(L, "levels");
    nm_modulator_state m;
    int k;
    nm_agent_get_modulators(a->agent, &m);
    for (k = 0; k < NM_N_MODULATORS; k++) lua_pushnumber(L, m.level[k]);
    return NM_N_MODULATORS;
}

static int l_meta(lua_State *L)
{
    lagent *a = check_agent(L, "meta");
    nm_modulator_state m;
    int p;
    nm_agent_get_modulators(a->agent, &m);
    for (p = 0; p < NM_N_PARAMS; p++) lua_pushnumber(L, m.params[p]);
    return NM_N_PARAMS;
}

/* Sets t[name] = v[i] for each name, into the subtable t[key] (created if missing). */
static void named_floats(lua_State *L, int t, const char *key, const float *v, int n, const char *(*name)(int))
{
    int i;
    if (lua_getfield(L, t, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, n);
        lua_pushvalue(L, -1);
        lua_setfield(L, t, key);
    }
    for (i = 0; i < n; i++) { lua_pushnumber(L, v[i]); lua_setfield(L, -2, name(i)); }
    lua_pop(L, 1);
}

/* agent:_modulators(t): the user-facing table of agent:modulators, filled in place in C (the Lua 5.4 fast
 * path; common.lua documents the fields). */
static void fill_modulators(lua_State *L, const nm_agent *agent, int t)
{
    nm_modulator_state m;
    int k;
    nm_agent_get_modulators(agent, &m);
    for (k = 0; k < NM_N_MODULATORS; k++) { lua_pushnumber(L, m.level[k]); lua_setfield(L, t, nm_modulator_name(k)); }
    named_floats(L, t, "levels", m.level, NM_N_MODULATORS, nm_modulator_name);
    named_floats(L, t, "phasic", m.phasic, NM_N_MODULATORS, nm_modulator_name);
    named_floats(L, t, "tonic", m.tonic, NM_N_MODULATORS, nm_modulator_name);
    named_floats(L, t, "params", m.params, NM_N_PARAMS, nm_param_name);
    lua_pushnumber(L, m.surprise); lua_setfield(L, t, "surprise");
    push_u64(L, m.steps); lua_setfield(L, t, "steps");
    fill_signals(L, t, &m);
}

static int l_modulators(lua_State *L)
{
    lagent *a = check_agent(L, "modulators");
    luaL_checktype(L, 2, LUA_TTABLE);
    fill_modulators(L, a->agent, 2);
    lua_settop(L, 2);
    return 1;
}

static int l_config(lua_State *L)
{
    lagent *a = check_agent(L, "config");
    push_config(L, nm_agent_get_config(a->agent));
    return 1;
}

static int l_state_hash(lua_State *L)
{
    lagent *a = check_agent(L, "state_hash");
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)nm_agent_state_hash(a->agent));
    lua_pushstring(L, hex);
    return 1;
}

static int l_kernel_set(lua_State *L)
{
    lagent *a = check_agent(L, "kernel_set");
    lua_pushstring(L, nm_agent_kernel_set(a->agent));
    return 1;
}

/* ---- primitives for common.lua, which checks the arguments and words the errors ---- */
static void push_floats(lua_State *L, const float *v, size_t n)
{
    size_t i;
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) { lua_pushnumber(L, v[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
}

/* agent:params() -> every trainable float, in the block's order */
static int l_params(lua_State *L)
{
    lagent *a = check_agent(L, "params");
    push_floats(L, nm_agent_params(a->agent), nm_agent_param_count(a->agent));
    return 1;
}

/* agent:_floats(what [, layer0]) -> the agent's "attention" (n_obs floats) or the "gain" of trunk layer layer0,
 * or nil, message */
static int l_floats(lua_State *L)
{
    lagent *a = check_agent(L, "_floats");
    const char *what = luaL_checkstring(L, 2);
    const nm_agent_config *c = nm_agent_get_config(a->agent);
    int gain = strcmp(what, "gain") == 0;
    size_t layer = gain ? (size_t)luaL_checkinteger(L, 3) : 0;
    size_t n = !gain ? a->n_obs : layer < c->n_layers ? c->hidden[layer] : 0;
    float *buf = lua_newuserdatauv(L, (n ? n : 1) * sizeof *buf, 0);
    nm_status st = gain ? nm_agent_gain(a->agent, layer, buf, n) : nm_agent_attention(a->agent, buf, n);
    if (st != NM_OK) { luaL_pushfail(L); lua_pushstring(L, nm_agent_error(a->agent)); return 2; }
    push_floats(L, buf, n);
    return 1;
}

/* agent:_set_param(i0, value) -> true | nil, message */
static int l_set_param(lua_State *L)
{
    lagent *a = check_agent(L, "set_param");
    lua_Integer i = luaL_checkinteger(L, 2);
    size_t n = nm_agent_param_count(a->agent);
    if (i < 0 || (size_t)i >= n) { luaL_pushfail(L); return 1; }
    nm_agent_params(a->agent)[i] = (float)luaL_checknumber(L, 3);
    lua_pushboolean(L, 1);
    return 1;
}

/* agent:_tensor(i0) -> name, offset0, rows, cols | nil past the last */
static int l_tensor(lua_State *L)
{
    lagent *a = check_agent(L, "tensors");
    lua_Integer i = luaL_checkinteger(L, 2);
    nm_tensor_info t;
    if (i < 0 || nm_agent_tensor(a->agent, (size_t)i, &t) != NM_OK) { luaL_pushfail(L); return 1; }
    lua_pushstring(L, t.name);
    lua_pushinteger(L, (lua_Integer)t.offset);
    lua_pushinteger(L, (lua_Integer)t.rows);
    lua_pushinteger(L, (lua_Integer)t.cols);
    return 4;
}

/* agent:_obs(method, obs): reads an observation into the agent's buffer for _evaluate or _gradient; a bad one
 * raises "agent:<method>: ..." at the caller of common.lua's method */
static int l_obs(lua_State *L)
{
    lagent *a = check_agent(L, luaL_checkstring(L, 2));
    const float *obs = read_obs(L, 2, 3, lua_tostring(L, 2), "obs", a->obs, a->n_obs);
    if (obs != a->obs) memcpy(a->obs, obs, a->n_obs * sizeof *obs);
    return 0;
}

/* agent:_evaluate() -> probs, value | nil, message: the policy and value of the observation _obs read */
static int l_evaluate(lua_State *L)
{
    lagent *a = check_agent(L, "evaluate");
    size_t k = nm_agent_get_config(a->agent)->n_actions;
    float *probs = lua_newuserdatauv(L, k * sizeof *probs, 0), value;
    if (nm_agent_evaluate(a->agent, a->obs, a->n_obs, probs, &value) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, nm_agent_error(a->agent));
        return 2;
    }
    push_floats(L, probs, k);
    lua_pushnumber(L, value);
    return 2;
}

/* agent:_gradient(action, w_logpi, w_value) -> gradient | nil, message, for the observation _obs read */
static int l_gradient(lua_State *L)
{
    lagent *a = check_agent(L, "gradient");
    lua_Integer act = luaL_checkinteger(L, 2);
    float w1 = (float)luaL_checknumber(L, 3), w2 = (float)luaL_checknumber(L, 4);
    size_t n = nm_agent_param_count(a->agent);
    float *g = lua_newuserdatauv(L, (n ? n : 1) * sizeof(float), 0);
    if (act < INT_MIN || act > INT_MAX || nm_agent_gradient(a->agent, a->obs, a->n_obs, (int)act, w1, w2, g) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, act < INT_MIN || act > INT_MAX ? "action out of range" : nm_agent_error(a->agent));
        return 2;
    }
    push_floats(L, g, n);
    return 1;
}

static int l_tostring(lua_State *L)
{
    lagent *a = luaL_checkudata(L, 1, AGENT_MT);
    if (!a->agent) lua_pushstring(L, "neuromod agent (closed)");
    else {
        const nm_agent_config *c = nm_agent_get_config(a->agent);
        lua_pushfstring(L, "neuromod agent (%d inputs, %d actions): %p", (int)c->n_obs, (int)c->n_actions, (void *)a);
    }
    return 1;
}

/* ---- nm.rng ---- */
static nm_rng *check_rng(lua_State *L) { return luaL_checkudata(L, 1, RNG_MT); }

/* corelib.rng(seed): common.lua has checked the seed */
static int l_rng(lua_State *L)
{
    lua_Integer seed = luaL_checkinteger(L, 1);
    nm_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
    nm_rng_seed(r, (uint64_t)seed);
    luaL_setmetatable(L, RNG_MT);
    return 1;
}

/* An integer argument of rng:random, within +-2^53 so that both backends (LuaJIT has only doubles) take the
 * same values; beyond, or not integral, it is refused, never wrapped or cast out of range. */
static lua_Integer int_arg(lua_State *L, int i)
{
    const lua_Integer limit = (lua_Integer)1 << 53;
    lua_Integer v;
    if (lua_isinteger(L, i)) v = lua_tointeger(L, i);
    else {
        lua_Number x = lua_tonumber(L, i);
        if (lua_type(L, i) != LUA_TNUMBER || x != floor(x))
            luaL_error(L, "rng:random: argument #%d must be an integer", i - 1);
        if (!(x >= -9007199254740992.0 && x <= 9007199254740992.0)) v = limit + 1; /* refused below, never cast */
        else v = (lua_Integer)x;
    }
    if (v < -limit || v > limit) {
        char got[32];
        snprintf(got, sizeof got, "%.14g", lua_isinteger(L, i) ? (double)v : (double)lua_tonumber(L, i));
        luaL_error(L, "rng:random: argument #%d must be an integer in [-2^53, 2^53], got %s", i - 1, got);
    }
    return v;
}

static int l_rng_random(lua_State *L)
{
    nm_rng *r = check_rng(L);
    int n = lua_gettop(L) - 1;
    lua_Integer lo, hi;
    int64_t v;
    if (n == 0) { lua_pushnumber(L, nm_rng_uniform(r)); return 1; }
    if (n == 1) { lo = 1; hi = int_arg(L, 2); }
    else if (n == 2) { lo = int_arg(L, 2); hi = int_arg(L, 3); }
    else return luaL_error(L, "rng:random: expected 0, 1 or 2 arguments, got %d", n);
    if (lo > hi) return luaL_error(L, "rng:random: interval [%d, %d] is empty", (int)lo, (int)hi);
    nm_rng_range(r, lo, hi, &v);
    lua_pushinteger(L, (lua_Integer)v);
    return 1;
}

static int l_rng_normal(lua_State *L)
{
    nm_rng *r = check_rng(L);
    lua_Number mu = luaL_optnumber(L, 2, 0.0), sigma = luaL_optnumber(L, 3, 1.0);
    if (!(sigma >= 0.0)) return luaL_error(L, "rng:normal: sigma must be >= 0");
    lua_pushnumber(L, nm_rng_normal(r, mu, sigma));
    return 1;
}

/* ---- nm.vector: a reusable float array for observations; corelib.vector(n) makes n zeros (common.lua has
 * checked n and fills a vector made from a table) ---- */
static int l_vector(lua_State *L)
{
    size_t n = (size_t)luaL_checkinteger(L, 1), i;
    lvector *v = lua_newuserdatauv(L, sizeof(lvector) + n * sizeof(float), 0);
    v->n = n;
    for (i = 0; i < n; i++) v->v[i] = 0.0f;
    luaL_setmetatable(L, VEC_MT);
    return 1;
}

static int l_vec_index(lua_State *L)
{
    lvector *v = luaL_checkudata(L, 1, VEC_MT);
    if (lua_isinteger(L, 2)) {
        lua_Integer i = lua_tointeger(L, 2);
        if (i < 1 || (size_t)i > v->n) return luaL_error(L, "nm.vector: index %d out of range 1..%d", (int)i, (int)v->n);
        lua_pushnumber(L, v->v[i - 1]);
        return 1;
    }
    luaL_getmetafield(L, 1, "methods");
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    return 1;
}

static int l_vec_newindex(lua_State *L)
{
    lvector *v = luaL_checkudata(L, 1, VEC_MT);
    lua_Integer i;
    if (!lua_isinteger(L, 2)) return luaL_error(L, "nm.vector: index must be an integer");
    i = lua_tointeger(L, 2);
    if (i < 1 || (size_t)i > v->n) return luaL_error(L, "nm.vector: index %d out of range 1..%d", (int)i, (int)v->n);
    if (lua_type(L, 3) != LUA_TNUMBER) return luaL_error(L, "nm.vector: value must be a number");
    v->v[i - 1] = (float)lua_tonumber(L, 3);
    return 0;
}

static int l_vec_len(lua_State *L)
{
    lvector *v = luaL_checkudata(L, 1, VEC_MT);
    lua_pushinteger(L, (lua_Integer)v->n);
    return 1;
}

static const luaL_Reg agent_methods[] = {
    { "act", l_act }, { "learn", l_learn }, { "close", l_close }, { "is_closed", l_is_closed },
    { "save", l_save }, { "reset", l_reset }, { "_modstate", l_modstate }, { "_modulators", l_modulators },
    { "levels", l_levels }, { "meta", l_meta }, { "_config", l_config }, { "state_hash", l_state_hash },
    { "kernel_set", l_kernel_set }, { "params", l_params }, { "_floats", l_floats }, { "_set_param", l_set_param },
    { "_tensor", l_tensor }, { "_obs", l_obs }, { "_evaluate", l_evaluate }, { "_gradient", l_gradient },
    { "freeze", l_freeze }, { "frozen", l_frozen }, { "_set_context", l_set_context }, { "_context", l_context },
    { NULL, NULL }
};

/* ---- populations (nm.population): the step's buffers live in the userdata, so act/learn allocate nothing ---- */
#define POP_MT "neuromod.population"

typedef struct lpop {
    nm_population *pop;
    size_t n, n_obs;
    float *obs, *rewards;   /* n * n_obs and n floats, after the struct */
    int *terminals, *actions;
} lpop;

static int pop_raise(lua_State *L, int level, const char *method, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vraise(L, level, "pop", method, fmt, ap);
    va_end(ap);
    return 0;
}

static lpop *check_pop(lua_State *L, const char *method)
{
    lpop *p = luaL_testudata(L, 1, POP_MT);
    if (!p) return (pop_raise(L, 1, method, "self is not a population (use pop:%s, not pop.%s)", method, method), NULL);
    if (!p->pop) pop_raise(L, 1, method, "the population is closed");
    return p;
}

static void push_pop(lua_State *L, nm_population *pop)
{
    size_t n = nm_population_size(pop), d = nm_agent_get_config(nm_population_agent(pop, 0))->n_obs;
    size_t bytes = sizeof(lpop) + (n * d + n) * sizeof(float) + 2 * n * sizeof(int);
    lpop *p = lua_newuserdatauv(L, bytes, 0);
    p->pop = NULL;   /* closed until set up, so __gc is always safe */
    p->n = n;
    p->n_obs = d;
    p->obs = (float *)(void *)(p + 1);
    p->rewards = p->obs + n * d;
    p->terminals = (int *)(void *)(p->rewards + n);
    p->actions = p->terminals + n;
    luaL_setmetatable(L, POP_MT);
    p->pop = pop;
}

/* errors are raised `level` levels up (1: the caller of a method; 2: the caller of population.lua's method calling
 * a primitive) */
#define read_floats_at(L, level, idx, method, what, buf, n) \
    read_numbers((L), (level), "pop", (idx), (method), (what), (buf), (n))
#define read_floats(L, idx, method, what, buf, n) read_floats_at((L), 1, (idx), (method), (what), (buf), (n))

/* The first failed member of the last step, 1-based in the message. */
static int pop_step_error(lua_State *L, lpop *p, const char *method)
{
    size_t k, first = p->n, failed = 0;
    for (k = 0; k < p->n; k++)
        if (nm_population_member_status(p->pop, k) != NM_OK) { if (first == p->n) first = k; failed++; }
    if (first == p->n) return pop_raise(L, 1, method, "%s", nm_population_error(p->pop));
    return pop_raise(L, 1, method, "member %d: %s (%d member%s failed; the others stepped)", (int)first + 1,
                     nm_agent_error(nm_population_agent(p->pop, first)), (int)failed, failed == 1 ? "" : "s");
}

/* pop:act(obs [, actions]) -> actions: a new table, or the table or nm.vector given, filled */
static int l_pop_act(lua_State *L)
{
    lpop *p = check_pop(L, "act");
    const float *obs = read_floats(L, 2, "act", "obs", p->obs, p->n * p->n_obs);
    lvector *v = NULL;
    size_t k;
    if (!lua_isnoneornil(L, 3)) {
        if (lua_type(L, 3) != LUA_TTABLE && !(v = luaL_testudata(L, 3, VEC_MT)))
            return pop_raise(L, 1, "act", "actions: expected a table, an nm.vector or an int32_t array, got %s", luaL_typename(L, 3));
        if (v && v->n != p->n) return pop_raise(L, 1, "act", "actions has %d values, expected %d", (int)v->n, (int)p->n);
    }
    if (nm_population_act(p->pop, obs, p->n * p->n_obs, p->actions, p->n) != NM_OK) return pop_step_error(L, p, "act");
    if (v) {
        for (k = 0; k < p->n; k++) v->v[k] = (float)p->actions[k];
        lua_settop(L, 3);
        return 1;
    }
    if (lua_isnoneornil(L, 3)) lua_createtable(L, (int)p->n, 0);
    else lua_settop(L, 3);
    for (k = 0; k < p->n; k++) { lua_pushinteger(L, p->actions[k]); lua_rawseti(L, -2, (lua_Integer)k + 1); }
    return 1;
}

/* pop:learn(rewards, next_obs, terminals): terminals nil (none), a table of booleans or 0/1, or an nm.vector */
static int l_pop_learn(lua_State *L)
{
    lpop *p = check_pop(L, "learn");
    const float *rewards = read_floats(L, 2, "learn", "rewards", p->rewards, p->n), *next = NULL;
    const int *terms = NULL;
    size_t k, all_terminal = 0;
    if (!lua_isnoneornil(L, 4)) {
        lvector *v = lua_type(L, 4) == LUA_TUSERDATA ? luaL_testudata(L, 4, VEC_MT) : NULL;
        if (v) {
            if (v->n != p->n) return pop_raise(L, 1, "learn", "terminals has %d values, expected %d", (int)v->n, (int)p->n);
            for (k = 0; k < p->n; k++) p->terminals[k] = v->v[k] != 0.0f;
        } else if (lua_type(L, 4) == LUA_TTABLE) {
            size_t len = (size_t)lua_rawlen(L, 4);
            if (len != p->n) return pop_raise(L, 1, "learn", "terminals has %d values, expected %d", (int)len, (int)p->n);
            for (k = 0; k < p->n; k++) {
                int t = lua_rawgeti(L, 4, (lua_Integer)k + 1);
                if (t == LUA_TBOOLEAN) p->terminals[k] = lua_toboolean(L, -1);
                else if (t == LUA_TNUMBER && (lua_tonumber(L, -1) == 0 || lua_tonumber(L, -1) == 1))
                    p->terminals[k] = lua_tonumber(L, -1) != 0;
                else return pop_raise(L, 1, "learn", "terminals[%d]: expected a boolean or 0/1, got %s", (int)k + 1,
                                      t == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
                lua_pop(L, 1);
            }
        } else return pop_raise(L, 1, "learn", "terminals: expected a table of booleans, an nm.vector or nil, got %s",
                                luaL_typename(L, 4));
        terms = p->terminals;
        for (k = 0; k < p->n; k++) all_terminal += terms[k] != 0;
    }
    if (lua_isnoneornil(L, 3)) {
        if (all_terminal != p->n) return pop_raise(L, 1, "learn", "next_obs is missing (only a step where every member is terminal may omit it)");
    } else next = read_floats(L, 3, "learn", "next_obs", p->obs, p->n * p->n_obs);
    if (nm_population_learn(p->pop, rewards, p->n, next, next ? p->n * p->n_obs : 0, terms, terms ? p->n : 0) != NM_OK)
        return pop_step_error(L, p, "learn");
    return 0;
}

static int l_pop_close(lua_State *L)
{
    lpop *p = luaL_checkudata(L, 1, POP_MT);
    nm_population_free(p->pop);
    p->pop = NULL;
    return 0;
}

static int l_pop_is_closed(lua_State *L)
{
    lpop *p = luaL_checkudata(L, 1, POP_MT);
    lua_pushboolean(L, p->pop == NULL);
    return 1;
}

static int l_pop_size(lua_State *L) { lua_pushinteger(L, (lua_Integer)check_pop(L, "size")->n); return 1; }
static int l_pop_threads(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)nm_population_threads(check_pop(L, "threads")->pop));
    return 1;
}

/* The primitives below take a 0-based member that population.lua has checked. */
static int l_pop_reset(lua_State *L)
{
    lpop *p = check_pop(L, "reset");
    nm_population_reset(p->pop, (size_t)luaL_checkinteger(L, 2));
    return 0;
}

/* pop:_copy(k0) -> a new agent equal to the member | nil, message */
static int l_pop_copy(lua_State *L)
{
    lpop *p = check_pop(L, "agent");
    nm_agent *a;
    if (nm_population_copy_member(p->pop, (size_t)luaL_checkinteger(L, 2), &a) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, nm_population_error(p->pop));
        return 2;
    }
    push_agent(L, a);
    return 1;
}

/* pop:_replace(k0, agent | config) -> true | nil, message: a copy of the agent, or a new agent from the config */
static int l_pop_replace(lua_State *L)
{
    lpop *p = check_pop(L, "replace");
    size_t k = (size_t)luaL_checkinteger(L, 2);
    lagent *a = luaL_testudata(L, 3, AGENT_MT);
    nm_status st;
    if (a) {
        if (!a->agent) { luaL_pushfail(L); lua_pushstring(L, "the agent is closed"); return 2; }
        st = nm_population_replace_copy(p->pop, k, a->agent);
    } else {
        nm_agent_config *c = luaL_testudata(L, 3, CFG_MT);
        nm_agent *fresh;
        char msg[256];
        if (!c) { luaL_pushfail(L); lua_pushfstring(L, "expected an agent or a table of options, got %s", luaL_typename(L, 3)); return 2; }
        if (nm_agent_new(c, &fresh, msg, sizeof msg) != NM_OK) { luaL_pushfail(L); lua_pushstring(L, msg); return 2; }
        if ((st = nm_population_replace(p->pop, k, fresh)) != NM_OK) nm_agent_free(fresh);
    }
    if (st != NM_OK) { luaL_pushfail(L); lua_pushstring(L, nm_population_error(p->pop)); return 2; }
    lua_pushboolean(L, 1);
    return 1;
}

/* pop:_config(k0) -> member k0's config handle */
static int l_pop_config(lua_State *L)
{
    lpop *p = check_pop(L, "config");
    push_config(L, nm_agent_get_config(nm_population_agent(p->pop, (size_t)luaL_checkinteger(L, 2))));
    return 1;
}

/* pop:_evaluate(k0, obs) -> probs, value (obs as for agent:evaluate) */
static int l_pop_evaluate(lua_State *L)
{
    lpop *p = check_pop(L, "evaluate");
    size_t k = (size_t)luaL_checkinteger(L, 2);
    size_t na = nm_agent_get_config(nm_population_agent(p->pop, k))->n_actions;
    const float *obs = read_floats_at(L, 2, 3, "evaluate", "obs", p->obs, p->n_obs);
    float *probs = lua_newuserdatauv(L, na * sizeof *probs, 0), value;
    if (nm_population_evaluate(p->pop, k, obs, p->n_obs, probs, &value) != NM_OK)
        return pop_raise(L, 2, "evaluate", "member %d: %s", (int)k + 1, nm_agent_error(nm_population_agent(p->pop, k)));
    push_floats(L, probs, na);
    lua_pushnumber(L, value);
    return 2;
}

/* pop:_modulators(k0, t) -> t, filled as agent:modulators fills it, from member k0 */
static int l_pop_modulators(lua_State *L)
{
    lpop *p = check_pop(L, "modulators");
    size_t k = (size_t)luaL_checkinteger(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    fill_modulators(L, nm_population_agent(p->pop, k), 3);
    lua_settop(L, 3);
    return 1;
}

/* pop:_state_hash(k0) -> member k0's state hash, as agent:state_hash gives it */
static int l_pop_state_hash(lua_State *L)
{
    lpop *p = check_pop(L, "state_hash");
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx",
             (unsigned long long)nm_agent_state_hash(nm_population_agent(p->pop, (size_t)luaL_checkinteger(L, 2))));
    lua_pushstring(L, hex);
    return 1;
}

/* pop:_save(path) -> true | nil, message (population.lua has checked the path) */
static int l_pop_save(lua_State *L)
{
    lpop *p = check_pop(L, "save");
    if (nm_population_save(p->pop, luaL_checkstring(L, 2)) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, nm_population_error(p->pop));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int l_pop_tostring(lua_State *L)
{
    lpop *p = luaL_checkudata(L, 1, POP_MT);
    if (!p->pop) lua_pushstring(L, "neuromod population (closed)");
    else lua_pushfstring(L, "neuromod population (%d members, %d inputs, %d threads): %p", (int)p->n, (int)p->n_obs,
                         (int)nm_population_threads(p->pop), (void *)p);
    return 1;
}

/* corelib.population_new({config, ...}, threads) -> population | nil, message naming the member (1-based) */
static int l_population_new(lua_State *L)
{
    nm_population_config pc;
    nm_agent_config *cfgs;
    nm_population *pop;
    size_t k, n;
    char msg[256];
    nm_status st;
    luaL_checktype(L, 1, LUA_TTABLE);
    n = (size_t)lua_rawlen(L, 1);
    nm_population_config_default(&pc);
    pc.n = n;
    pc.threads = (size_t)luaL_checkinteger(L, 2);
    cfgs = lua_newuserdatauv(L, (n ? n : 1) * sizeof *cfgs, 0);   /* collected with the call's stack */
    for (k = 0; k < n; k++) {
        lua_rawgeti(L, 1, (lua_Integer)k + 1);
        cfgs[k] = *check_config(L, -1);
        lua_pop(L, 1);
    }
    pc.members = cfgs;
    if (n) pc.base = cfgs[0];
    st = nm_population_new(&pc, &pop, msg, sizeof msg);
    if (st != NM_OK) { luaL_pushfail(L); lua_pushstring(L, msg); return 2; }
    push_pop(L, pop);
    return 1;
}

/* corelib.population_load(path, threads) -> population | nil, message */
static int l_population_load(lua_State *L)
{
    nm_population *pop;
    char msg[512];
    if (nm_population_load(luaL_checkstring(L, 1), (size_t)luaL_checkinteger(L, 2), &pop, msg, sizeof msg) != NM_OK) {
        luaL_pushfail(L);
        lua_pushstring(L, msg);
        return 2;
    }
    push_pop(L, pop);
    return 1;
}

static const luaL_Reg pop_methods[] = {
    { "act", l_pop_act }, { "learn", l_pop_learn }, { "close", l_pop_close }, { "is_closed", l_pop_is_closed },
    { "size", l_pop_size }, { "threads", l_pop_threads }, { "_reset", l_pop_reset }, { "_copy", l_pop_copy },
    { "_replace", l_pop_replace }, { "_config", l_pop_config }, { "_evaluate", l_pop_evaluate },
    { "_save", l_pop_save }, { "_modulators", l_pop_modulators }, { "_state_hash", l_pop_state_hash }, { NULL, NULL }
};

int luaopen_neuromod_corelib(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "new", l_new }, { "load", l_load }, { "rng", l_rng }, { "fields", l_fields },
        { "config_new", l_config_new }, { "config_set", l_config_set }, { "config_get", l_config_get },
        { "vector", l_vector }, { "population_new", l_population_new }, { "population_load", l_population_load },
        { NULL, NULL }
    };
    static const luaL_Reg rng_methods[] = { { "random", l_rng_random }, { "normal", l_rng_normal }, { NULL, NULL } };
    luaL_newlib(L, fns);

    luaL_newmetatable(L, AGENT_MT);
    luaL_newlib(L, agent_methods);
    lua_pushvalue(L, -1); lua_setfield(L, -4, "agent_methods"); /* corelib.agent_methods: common.lua adds to it */
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_close); lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_close); lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, l_tostring); lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "neuromod.agent"); lua_setfield(L, -2, "__name");
    lua_pop(L, 1);

    luaL_newmetatable(L, CFG_MT);
    lua_pop(L, 1);

    luaL_newmetatable(L, POP_MT);
    luaL_newlib(L, pop_methods);
    lua_pushvalue(L, -1); lua_setfield(L, -4, "population_methods"); /* population.lua adds to it */
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_pop_close); lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_pop_close); lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, l_pop_tostring); lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "neuromod.population"); lua_setfield(L, -2, "__name");
    lua_pop(L, 1);

    luaL_newmetatable(L, RNG_MT);
    luaL_newlib(L, rng_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newmetatable(L, VEC_MT);
    lua_newtable(L);
    lua_setfield(L, -2, "methods");
    lua_pushcfunction(L, l_vec_index); lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_vec_newindex); lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, l_vec_len); lua_setfield(L, -2, "__len");
    lua_pop(L, 1);

    lua_pushstring(L, nm_version()); lua_setfield(L, -2, "version");
    return 1;
}
