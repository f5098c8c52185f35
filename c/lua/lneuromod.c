/*
 * lneuromod.c -- the Lua 5.4 C-API binding, module "neuromod.corelib": argument checking and marshalling
 * only; no science here. The shared Lua layer (lua/neuromod/common.lua) turns user options into the flat
 * config this module takes and adds the Lua-side methods to the agent's method table.
 *
 * Agents are full userdata holding the nm_agent pointer and a float buffer of n_obs, so that act/learn
 * convert observations without allocating. close is idempotent and is also __gc and __close.
 */
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

typedef struct lagent {
    nm_agent *agent;
    size_t n_obs;
    float obs[1]; /* n_obs floats follow (allocated with the userdata) */
} lagent;

typedef struct lvector { size_t n; float v[1]; } lvector;

/* Raises "<where>agent:<method>: <message>" with the caller's position. */
static int raise(lua_State *L, const char *method, const char *fmt, ...)
{
    va_list ap;
    luaL_where(L, 1);
    lua_pushfstring(L, "agent:%s: ", method);
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 3);
    return lua_error(L);
}

static lagent *check_agent(lua_State *L, const char *method)
{
    lagent *a = luaL_testudata(L, 1, AGENT_MT);
    if (!a) return (raise(L, method, "self is not an agent (use agent:%s, not agent.%s)", method, method), NULL);
    if (!a->agent) raise(L, method, "the agent is closed");
    return a;
}

/* ---- flat config <-> table ---- */
static lua_Number get_num(lua_State *L, int t, const char *key, lua_Number dflt)
{
    lua_Number v = dflt;
    if (lua_getfield(L, t, key) == LUA_TNUMBER) v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

static void get_floats(lua_State *L, int t, const char *key, float *out, int n)
{
    int i;
    if (lua_getfield(L, t, key) == LUA_TTABLE)
        for (i = 0; i < n; i++) {
            if (lua_rawgeti(L, -1, i + 1) == LUA_TNUMBER) out[i] = (float)lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    lua_pop(L, 1);
}

static void set_floats(lua_State *L, const char *key, const float *v, int n)
{
    int i;
    lua_createtable(L, n, 0);
    for (i = 0; i < n; i++) { lua_pushnumber(L, v[i]); lua_rawseti(L, -2, i + 1); }
    lua_setfield(L, -2, key);
}

static void push_config(lua_State *L, const nm_agent_config *c)
{
    size_t l;
    lua_newtable(L);
    lua_pushinteger(L, (lua_Integer)c->n_obs); lua_setfield(L, -2, "n_obs");
    lua_pushinteger(L, (lua_Integer)c->n_actions); lua_setfield(L, -2, "n_actions");
    lua_createtable(L, (int)c->n_layers, 0);
    for (l = 0; l < c->n_layers; l++) { lua_pushinteger(L, (lua_Integer)c->hidden[l]); lua_rawseti(L, -2, (lua_Integer)l + 1); }
    lua_setfield(L, -2, "hidden");
    lua_pushinteger(L, c->activation); lua_setfield(L, -2, "activation");
    lua_pushinteger(L, (lua_Integer)c->seed); lua_setfield(L, -2, "seed");
    lua_pushnumber(L, c->init_scale); lua_setfield(L, -2, "init_scale");
    lua_pushnumber(L, c->critic_scale); lua_setfield(L, -2, "critic_scale");
    lua_pushnumber(L, c->predictor_rate); lua_setfield(L, -2, "predictor_rate");
    lua_pushnumber(L, c->max_update); lua_setfield(L, -2, "max_update");
    set_floats(L, "base", c->base, NM_N_PARAMS);
    lua_pushinteger(L, c->modulators); lua_setfield(L, -2, "modulators");
    set_floats(L, "mapping", &c->mapping[0][0], NM_N_PARAMS * NM_N_MODULATORS);
    set_floats(L, "interaction", &c->interaction[0][0], NM_N_MODULATORS * NM_N_MODULATORS);
    set_floats(L, "tau_phasic", c->tau_phasic, NM_N_MODULATORS);
    set_floats(L, "tau_tonic", c->tau_tonic, NM_N_MODULATORS);
    set_floats(L, "scale", c->scale, NM_N_MODULATORS);
    lua_pushnumber(L, c->na_threshold); lua_setfield(L, -2, "na_threshold");
    lua_pushnumber(L, c->na_reset); lua_setfield(L, -2, "na_reset");
    lua_pushnumber(L, c->surprise_floor); lua_setfield(L, -2, "surprise_floor");
    lua_pushnumber(L, c->attention_set); lua_setfield(L, -2, "attention_set");
    lua_pushnumber(L, c->gain_focus); lua_setfield(L, -2, "gain_focus");
    lua_pushinteger(L, c->na_input); lua_setfield(L, -2, "na_input");
}

/* Reads a flat config table (already checked by common.lua) over the defaults. */
static void read_config(lua_State *L, int t, nm_agent_config *c)
{
    size_t l;
    nm_agent_config_default(c);
    c->n_obs = (size_t)get_num(L, t, "n_obs", 0);
    c->n_actions = (size_t)get_num(L, t, "n_actions", 0);
    if (lua_getfield(L, t, "hidden") == LUA_TTABLE) {
        size_t n = (size_t)lua_rawlen(L, -1);
        c->n_layers = n > NM_MAX_LAYERS ? NM_MAX_LAYERS + 1 : n;
        for (l = 0; l < n && l < NM_MAX_LAYERS; l++) {
            lua_rawgeti(L, -1, (lua_Integer)l + 1);
            c->hidden[l] = (size_t)lua_tointeger(L, -1);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    c->activation = (nm_activation)(int)get_num(L, t, "activation", c->activation);
    if (lua_getfield(L, t, "seed") == LUA_TNUMBER) c->seed = (uint64_t)lua_tointeger(L, -1);
    lua_pop(L, 1);
    c->init_scale = (float)get_num(L, t, "init_scale", c->init_scale);
    c->critic_scale = (float)get_num(L, t, "critic_scale", c->critic_scale);
    c->predictor_rate = (float)get_num(L, t, "predictor_rate", c->predictor_rate);
    c->max_update = (float)get_num(L, t, "max_update", c->max_update);
    get_floats(L, t, "base", c->base, NM_N_PARAMS);
    c->modulators = (unsigned)get_num(L, t, "modulators", c->modulators);
    get_floats(L, t, "mapping", &c->mapping[0][0], NM_N_PARAMS * NM_N_MODULATORS);
    get_floats(L, t, "interaction", &c->interaction[0][0], NM_N_MODULATORS * NM_N_MODULATORS);
    get_floats(L, t, "tau_phasic", c->tau_phasic, NM_N_MODULATORS);
    get_floats(L, t, "tau_tonic", c->tau_tonic, NM_N_MODULATORS);
    get_floats(L, t, "scale", c->scale, NM_N_MODULATORS);
    c->na_threshold = (float)get_num(L, t, "na_threshold", c->na_threshold);
    c->na_reset = (float)get_num(L, t, "na_reset", c->na_reset);
    c->surprise_floor = (float)get_num(L, t, "surprise_floor", c->surprise_floor);
    c->attention_set = (float)get_num(L, t, "attention_set", c->attention_set);
    c->gain_focus = (float)get_num(L, t, "gain_focus", c->gain_focus);
    c->na_input = (nm_na_input)(int)get_num(L, t, "na_input", c->na_input);
}

static int l_defaults(lua_State *L)
{
    nm_agent_config c;
    nm_agent_config_default(&c);
    push_config(L, &c);
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

/* corelib.new(flat_config) -> agent | nil, "nm.agent: <message>" for a config the core refuses */
static int l_new(lua_State *L)
{
    nm_agent_config c;
    nm_agent *agent;
    char msg[256];
    luaL_checktype(L, 1, LUA_TTABLE);
    read_config(L, 1, &c);
    if (nm_agent_new(&c, &agent, msg, sizeof msg) != NM_OK) {
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

/* Reads an observation argument (a table of numbers or an nm.vector) into buf. */
static const float *read_obs(lua_State *L, int idx, const char *method, const char *what, float *buf, size_t n)
{
    size_t i, len;
    int t = lua_type(L, idx);
    if (t == LUA_TTABLE) {
        len = (size_t)lua_rawlen(L, idx);
        if (len != n) raise(L, method, "%s has %d values, expected %d", what, (int)len, (int)n);
        for (i = 0; i < n; i++) {
            if (lua_rawgeti(L, idx, (lua_Integer)i + 1) != LUA_TNUMBER)
                raise(L, method, "%s[%d] is not a number (got %s)", what, (int)i + 1, luaL_typename(L, -1));
            buf[i] = (float)lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        return buf;
    }
    if (t == LUA_TUSERDATA) {
        lvector *v = luaL_testudata(L, idx, VEC_MT);
        if (v) {
            if (v->n != n) raise(L, method, "%s has %d values, expected %d", what, (int)v->n, (int)n);
            return v->v;
        }
    }
    raise(L, method, "%s: expected a table of numbers or an nm.vector, got %s", what, luaL_typename(L, idx));
    return NULL;
}

static int l_act(lua_State *L)
{
    lagent *a = check_agent(L, "act");
    const float *obs = read_obs(L, 2, "act", "obs", a->obs, a->n_obs);
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
    int terminal;
    if (lua_type(L, 2) != LUA_TNUMBER) return raise(L, "learn", "reward is not a number (got %s)", luaL_typename(L, 2));
    if (!lua_isnoneornil(L, 4) && !lua_isboolean(L, 4))
        return raise(L, "learn", "terminal: expected a boolean or nil, got %s", luaL_typename(L, 4));
    terminal = lua_toboolean(L, 4);
    if (!terminal || !lua_isnoneornil(L, 3)) {
        if (lua_isnoneornil(L, 3)) return raise(L, "learn", "next_obs is missing (only a terminal step may omit it)");
        next = read_obs(L, 3, "learn", "next_obs", a->obs, a->n_obs);
        n = a->n_obs;
    }
    if (nm_agent_learn(a->agent, (float)lua_tonumber(L, 2), next, n, terminal) != NM_OK)
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

static int l_save(lua_State *L)
{
    lagent *a = check_agent(L, "save");
    const char *path;
    if (lua_type(L, 2) != LUA_TSTRING) return raise(L, "save", "path: expected a string, got %s", luaL_typename(L, 2));
    path = lua_tostring(L, 2);
    if (nm_agent_save(a->agent, path) != NM_OK) {
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
    lua_pushinteger(L, (lua_Integer)m.steps); lua_setfield(L, 2, "steps");
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
static int l_modulators(lua_State *L)
{
    lagent *a = check_agent(L, "modulators");
    nm_modulator_state m;
    int k;
    luaL_checktype(L, 2, LUA_TTABLE);
    nm_agent_get_modulators(a->agent, &m);
    for (k = 0; k < NM_N_MODULATORS; k++) { lua_pushnumber(L, m.level[k]); lua_setfield(L, 2, nm_modulator_name(k)); }
    named_floats(L, 2, "levels", m.level, NM_N_MODULATORS, nm_modulator_name);
    named_floats(L, 2, "phasic", m.phasic, NM_N_MODULATORS, nm_modulator_name);
    named_floats(L, 2, "tonic", m.tonic, NM_N_MODULATORS, nm_modulator_name);
    named_floats(L, 2, "params", m.params, NM_N_PARAMS, nm_param_name);
    lua_pushnumber(L, m.surprise); lua_setfield(L, 2, "surprise");
    lua_pushinteger(L, (lua_Integer)m.steps); lua_setfield(L, 2, "steps");
    fill_signals(L, 2, &m);
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

static int l_params(lua_State *L)
{
    lagent *a = check_agent(L, "params");
    size_t i, n = nm_agent_param_count(a->agent);
    const float *p = nm_agent_params(a->agent);
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) { lua_pushnumber(L, p[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
    return 1;
}

/* agent:gain([layer]) -> the per-unit gain of trunk layer `layer` (default 1), an array of its width */
static int l_gain(lua_State *L)
{
    lagent *a = check_agent(L, "gain");
    lua_Integer layer = luaL_optinteger(L, 2, 1);
    const nm_agent_config *c = nm_agent_get_config(a->agent);
    float *buf;
    size_t i, n;
    if (layer < 1 || (size_t)layer > c->n_layers)
        return raise(L, "gain", "layer %d out of range 1..%d", (int)layer, (int)c->n_layers);
    n = c->hidden[layer - 1];
    buf = lua_newuserdatauv(L, n * sizeof *buf, 0);
    nm_agent_gain(a->agent, (size_t)layer - 1, buf, n);
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) { lua_pushnumber(L, buf[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
    return 1;
}

static int l_set_param(lua_State *L)
{
    lagent *a = check_agent(L, "set_param");
    lua_Integer i = luaL_checkinteger(L, 2);
    lua_Number v = luaL_checknumber(L, 3);
    size_t n = nm_agent_param_count(a->agent);
    if (i < 1 || (size_t)i > n) return raise(L, "set_param", "index %d out of range 1..%d", (int)i, (int)n);
    nm_agent_params(a->agent)[i - 1] = (float)v;
    return 0;
}

static int l_tensors(lua_State *L)
{
    lagent *a = check_agent(L, "tensors");
    size_t i, n = nm_agent_tensor_count(a->agent);
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) {
        nm_tensor_info t;
        nm_agent_tensor(a->agent, i, &t);
        lua_createtable(L, 0, 4);
        lua_pushstring(L, t.name); lua_setfield(L, -2, "name");
        lua_pushinteger(L, (lua_Integer)t.offset + 1); lua_setfield(L, -2, "offset");
        lua_pushinteger(L, (lua_Integer)t.rows); lua_setfield(L, -2, "rows");
        lua_pushinteger(L, (lua_Integer)t.cols); lua_setfield(L, -2, "cols");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int l_evaluate(lua_State *L)
{
    lagent *a = check_agent(L, "evaluate");
    const float *obs = read_obs(L, 2, "evaluate", "obs", a->obs, a->n_obs);
    size_t i, k = nm_agent_get_config(a->agent)->n_actions;
    float probs[256], value;
    if (k > 256) return raise(L, "evaluate", "more than 256 actions");
    if (nm_agent_evaluate(a->agent, obs, a->n_obs, probs, &value) != NM_OK)
        return raise(L, "evaluate", "%s", nm_agent_error(a->agent));
    lua_createtable(L, (int)k, 0);
    for (i = 0; i < k; i++) { lua_pushnumber(L, probs[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
    lua_pushnumber(L, value);
    return 2;
}

/* agent:attention() -> the per-input attention, an array of n_obs numbers */
static int l_attention(lua_State *L)
{
    lagent *a = check_agent(L, "attention");
    size_t i;
    nm_agent_attention(a->agent, a->obs, a->n_obs);
    lua_createtable(L, (int)a->n_obs, 0);
    for (i = 0; i < a->n_obs; i++) { lua_pushnumber(L, a->obs[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
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

static int l_rng(lua_State *L)
{
    lua_Integer seed;
    nm_rng *r;
    if (!lua_isinteger(L, 1)) {
        if (lua_type(L, 1) == LUA_TNUMBER) return luaL_error(L, "nm.rng: seed must be an integer");
        return luaL_error(L, "nm.rng: seed: expected an integer, got %s", luaL_typename(L, 1));
    }
    seed = lua_tointeger(L, 1);
    r = lua_newuserdatauv(L, sizeof *r, 0);
    nm_rng_seed(r, (uint64_t)seed);
    luaL_setmetatable(L, RNG_MT);
    return 1;
}

static lua_Integer int_arg(lua_State *L, int i)
{
    if (!lua_isinteger(L, i)) {
        lua_Number x = lua_tonumber(L, i);
        if (lua_type(L, i) != LUA_TNUMBER || x != floor(x))
            luaL_error(L, "rng:random: argument #%d must be an integer", i - 1);
        return (lua_Integer)x;
    }
    return lua_tointeger(L, i);
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

/* ---- nm.vector(n | table): a reusable float array for observations ---- */
static int l_vector(lua_State *L)
{
    size_t n, i;
    lvector *v;
    int from_table = lua_type(L, 1) == LUA_TTABLE;
    if (from_table) n = (size_t)lua_rawlen(L, 1);
    else if (lua_isinteger(L, 1) && lua_tointeger(L, 1) > 0) n = (size_t)lua_tointeger(L, 1);
    else return luaL_error(L, "nm.vector: expected a size > 0 or a table of numbers");
    if (n == 0 || n > NM_MAX_UNITS) return luaL_error(L, "nm.vector: size must be 1..%d", NM_MAX_UNITS);
    v = lua_newuserdatauv(L, sizeof(lvector) + n * sizeof(float), 0);
    v->n = n;
    for (i = 0; i < n; i++) v->v[i] = 0.0f;
    luaL_setmetatable(L, VEC_MT);
    if (from_table)
        for (i = 0; i < n; i++) {
            if (lua_rawgeti(L, 1, (lua_Integer)i + 1) != LUA_TNUMBER)
                return luaL_error(L, "nm.vector: [%d] is not a number", (int)i + 1);
            v->v[i] = (float)lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
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
    { "levels", l_levels }, { "meta", l_meta }, { "attention", l_attention }, { "gain", l_gain }, { "_config", l_config },
    { "state_hash", l_state_hash }, { "kernel_set", l_kernel_set }, { "params", l_params }, { "set_param", l_set_param },
    { "tensors", l_tensors }, { "evaluate", l_evaluate }, { NULL, NULL }
};

static int l_gradient(lua_State *L)
{
    lagent *a = check_agent(L, "gradient");
    const float *obs = read_obs(L, 2, "gradient", "obs", a->obs, a->n_obs);
    lua_Integer act = luaL_checkinteger(L, 3);
    float w1 = (float)luaL_optnumber(L, 4, 1.0), w2 = (float)luaL_optnumber(L, 5, 0.0);
    size_t i, n = nm_agent_param_count(a->agent);
    float *g = lua_newuserdatauv(L, n * sizeof(float), 0);
    if (nm_agent_gradient(a->agent, obs, a->n_obs, (int)act, w1, w2, g) != NM_OK)
        return raise(L, "gradient", "%s", nm_agent_error(a->agent));
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) { lua_pushnumber(L, g[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
    return 1;
}

int luaopen_neuromod_corelib(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "new", l_new }, { "load", l_load }, { "defaults", l_defaults }, { "rng", l_rng },
        { "vector", l_vector }, { NULL, NULL }
    };
    static const luaL_Reg rng_methods[] = { { "random", l_rng_random }, { "normal", l_rng_normal }, { NULL, NULL } };
    luaL_newlib(L, fns);

    luaL_newmetatable(L, AGENT_MT);
    luaL_newlib(L, agent_methods);
    lua_pushcfunction(L, l_gradient); lua_setfield(L, -2, "gradient");
    lua_pushvalue(L, -1); lua_setfield(L, -4, "agent_methods"); /* corelib.agent_methods: common.lua adds to it */
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_close); lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_close); lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, l_tostring); lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "neuromod.agent"); lua_setfield(L, -2, "__name");
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
