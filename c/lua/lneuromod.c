/*
 * lneuromod.c -- the Lua 5.4 C-API binding, module "neuromod.corelib": primitives over the C library and
 * nothing else. lua/neuromod/common.lua builds the Lua API on them (options, argument checks and every message,
 * the tables of modulators, tostring), as it does on the LuaJIT FFI binding. A primitive the user calls
 * directly (act, learn, pop:act, rng:random, v[i], ...) that cannot do its job hands its arguments to
 * corelib.raise (set by lua/neuromod/checks.lua), which words the error.
 *
 * Agents are full userdata holding the nm_agent pointer and a float buffer of n_obs, and populations hold their
 * step buffers, so that act/learn convert their inputs without allocating. close is idempotent and is also
 * __gc and __close. Every function has the module table as upvalue 1.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "neuromod.h"

#define AGENT_MT "neuromod.agent"
#define POP_MT "neuromod.population"
#define RNG_MT "neuromod.rng"
#define VEC_MT "neuromod.vector"
#define CFG_MT "neuromod.config"

typedef struct lagent { nm_agent *agent; size_t n_obs; float obs[1]; /* n_obs floats follow */ } lagent;

typedef struct lpop {
    nm_population *pop;
    size_t n, n_obs;
    float *obs, *rewards;   /* n * n_obs and n floats, after the struct */
    float *act_obs;         /* n * n_obs: pop:step's obs when it is not next_obs */
    int *terminals, *actions;
} lpop;

typedef struct lvector { size_t n; float v[1]; } lvector;

/* Calls corelib.raise(what, msg, <the call's arguments>), which raises at the caller; does not return. */
static int fail(lua_State *L, const char *what, const char *msg)
{
    lua_getfield(L, lua_upvalueindex(1), "raise");
    lua_pushstring(L, what);
    lua_pushstring(L, msg);   /* nil for none */
    lua_rotate(L, 1, 3);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
}

static int push_fail(lua_State *L, const char *msg) { luaL_pushfail(L); lua_pushstring(L, msg); return 2; }
static int push_true(lua_State *L) { lua_pushboolean(L, 1); return 1; }
/* true | nil, the agent's message */
static int result(lua_State *L, nm_status st, const nm_agent *a) { return st == NM_OK ? push_true(L) : push_fail(L, nm_agent_error(a)); }

static void push_floats(lua_State *L, const float *v, size_t n)
{
    size_t i;
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) { lua_pushnumber(L, v[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
}

/* A 64-bit count or seed: an integer below 2^53, else its decimal string (never wrapped). The bound is LuaJIT's
 * (a double holds integers exactly up to 2^53), so that both backends give the same value of the same type. */
static void push_u64(lua_State *L, uint64_t u)
{
    char dec[24];
    if (u < ((uint64_t)1 << 53)) { lua_pushinteger(L, (lua_Integer)u); return; }
    snprintf(dec, sizeof dec, "%llu", (unsigned long long)u);
    lua_pushstring(L, dec);
}

/* n numbers at idx (a table or an nm.vector): the vector's own floats, or buf filled; NULL if they are not */
static const float *read_numbers(lua_State *L, int idx, float *buf, size_t n)
{
    lvector *v;
    size_t i;
    if (lua_type(L, idx) == LUA_TTABLE) {
        if ((size_t)lua_rawlen(L, idx) != n) return NULL;
        for (i = 0; i < n; i++) {
            int t = lua_rawgeti(L, idx, (lua_Integer)i + 1);
            buf[i] = (float)lua_tonumber(L, -1);
            lua_pop(L, 1);
            if (t != LUA_TNUMBER) return NULL;
        }
        return buf;
    }
    v = luaL_testudata(L, idx, VEC_MT);
    return v && v->n == n ? v->v : NULL;
}

/* ---- configs: opaque userdata read and written by field name (nm_config_*) ---- */
static nm_agent_config *check_config(lua_State *L, int idx) { return luaL_checkudata(L, idx, CFG_MT); }

static void push_config(lua_State *L, const nm_agent_config *from)
{
    nm_agent_config *c = lua_newuserdatauv(L, sizeof *c, 0);
    if (from) *c = *from; else nm_agent_config_default(c);
    luaL_setmetatable(L, CFG_MT);
}

/* corelib.field(i0) -> name, option, kind (0..5), rows, cols, expect, doc, lo, hi, flags | nothing past the last;
 * corelib.field_labels(i0, which) -> its row (1), column (2) or value (3) names | nothing */
static int l_field(lua_State *L)
{
    const nm_config_field *f = nm_config_field_at((size_t)luaL_checkinteger(L, 1));
    if (!f) return 0;
    lua_pushstring(L, f->name); lua_pushstring(L, f->option); lua_pushinteger(L, f->kind);
    lua_pushinteger(L, (lua_Integer)f->rows); lua_pushinteger(L, (lua_Integer)f->cols);
    lua_pushstring(L, f->expect); lua_pushstring(L, f->doc);
    lua_pushnumber(L, f->lo); lua_pushnumber(L, f->hi); lua_pushinteger(L, f->flags);
    return 10;
}

static int l_field_labels(lua_State *L)
{
    const nm_config_field *f = nm_config_field_at((size_t)luaL_checkinteger(L, 1));
    int which = (int)luaL_checkinteger(L, 2);
    const char *const *labels = which == 1 ? f->row_labels : which == 2 ? f->col_labels : f->values;
    size_t i, n = which == 1 ? f->rows : which == 2 ? f->cols : f->n_values;
    if (!labels) return 0;
    lua_createtable(L, (int)n, 0);
    for (i = 0; i < n; i++) { lua_pushstring(L, labels[i]); lua_rawseti(L, -2, (lua_Integer)i + 1); }
    return 1;
}

/* corelib.config_new([cfg]) -> a default config, or a copy of cfg */
static int l_config_new(lua_State *L) { push_config(L, lua_isnoneornil(L, 1) ? NULL : check_config(L, 1)); return 1; }

/* corelib.config_continual(cfg, on): the continual-learning rows on (the defaults) or off */
static int l_config_continual(lua_State *L)
{
    nm_agent_config_continual(check_config(L, 1), lua_toboolean(L, 2));
    return 0;
}

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
    return st == NM_OK ? push_true(L) : push_fail(L, msg);
}

/* corelib.config_get(cfg, name, index0) -> the element: a float, an integer, or an ENUM's value name (nothing for
 * no such element); a 64-bit value beyond 2^53 comes as its decimal string */
static int l_config_get(lua_State *L)
{
    const nm_agent_config *c = check_config(L, 1);
    const char *name = luaL_checkstring(L, 2);
    size_t index = (size_t)luaL_checkinteger(L, 3);
    const nm_config_field *f = nm_config_field_find(name);
    double v;
    uint64_t u;
    if (!f || nm_config_get(c, name, index, &v) != NM_OK) return 0;
    if (f->kind == NM_FIELD_ENUM) lua_pushstring(L, nm_config_get_value(c, name, index));
    else if (f->kind == NM_FIELD_REAL) lua_pushnumber(L, v);
    else if (f->kind == NM_FIELD_INDEX) lua_pushinteger(L, (lua_Integer)v);   /* -1: none */
    else if (nm_config_get_u64(c, name, index, &u) == NM_OK) push_u64(L, u);
    return 1;
}

/* ---- agents ---- */
static int push_agent(lua_State *L, nm_agent *agent)
{
    size_t n = nm_agent_get_config(agent)->n_obs;
    lagent *a = lua_newuserdatauv(L, sizeof(lagent) + n * sizeof(float), 0);
    a->agent = NULL; /* closed until fully set up, so __gc is always safe */
    a->n_obs = n;
    luaL_setmetatable(L, AGENT_MT);
    a->agent = agent;
    return 1;
}

/* corelib.new(config) and corelib.load(path) -> agent | nil, message */
static int l_new(lua_State *L)
{
    nm_agent *agent;
    char msg[512];
    nm_status st = lua_type(L, 1) == LUA_TSTRING ? nm_agent_load(lua_tostring(L, 1), &agent, msg, sizeof msg)
                                                  : nm_agent_new(check_config(L, 1), &agent, msg, sizeof msg);
    return st == NM_OK ? push_agent(L, agent) : push_fail(L, msg);
}

/* The open agent at 1, or raise(what, nil, ...) */
static lagent *self_agent(lua_State *L, const char *what)
{
    lagent *a = luaL_testudata(L, 1, AGENT_MT);
    if (!a || !a->agent) fail(L, what, NULL);
    return a;
}

/* The agent a primitive works on: self's, or a population's member k0 (argument 2, then removed, so that the
 * arguments after it are where an agent's are); *pop and *k are set for a member. raise(what, ...) otherwise. */
static nm_agent *target(lua_State *L, const char *what, lpop **pop, size_t *k)
{
    lpop *p = luaL_testudata(L, 1, POP_MT);
    size_t m;
    if (!p) return self_agent(L, what)->agent;
    if (!p->pop) fail(L, what, NULL);
    m = (size_t)luaL_checkinteger(L, 2);
    lua_remove(L, 2);
    if (pop) { *pop = p; *k = m; }
    return (nm_agent *)nm_population_agent(p->pop, m);
}

static int l_act(lua_State *L)
{
    lagent *a = self_agent(L, "act");
    const float *obs = read_numbers(L, 2, a->obs, a->n_obs);
    int action;
    if (!obs) return fail(L, "act", NULL);
    if (nm_agent_act(a->agent, obs, a->n_obs, &action) != NM_OK) return fail(L, "act", nm_agent_error(a->agent));
    lua_pushinteger(L, action);
    return 1;
}

static int l_learn(lua_State *L)
{
    lagent *a = self_agent(L, "learn");
    const float *next = NULL;
    int flags = (lua_toboolean(L, 4) ? NM_TERMINAL : 0) | (lua_toboolean(L, 5) ? NM_TRUNCATED : 0);
    if (lua_type(L, 2) != LUA_TNUMBER || !(lua_isnoneornil(L, 4) || lua_isboolean(L, 4)) ||
        !(lua_isnoneornil(L, 5) || lua_isboolean(L, 5)))
        return fail(L, "learn", NULL);
    /* only an untruncated terminal step may omit next_obs */
    if ((flags != NM_TERMINAL || !lua_isnoneornil(L, 3)) && !(next = read_numbers(L, 3, a->obs, a->n_obs)))
        return fail(L, "learn", NULL);
    if (nm_agent_learn(a->agent, (float)lua_tonumber(L, 2), next, next ? a->n_obs : 0, flags) != NM_OK)
        return fail(L, "learn", nm_agent_error(a->agent));
    return 0;
}

/* close and is_closed of agents and populations; close is idempotent and also __gc and __close */
static int handle(lua_State *L, int pop, int close)
{
    lagent *a = pop ? NULL : luaL_testudata(L, 1, AGENT_MT);
    lpop *p = pop ? luaL_testudata(L, 1, POP_MT) : NULL;
    if (!a && !p) return fail(L, pop ? (close ? "pop_close" : "pop_is_closed") : (close ? "close" : "is_closed"), NULL);
    if (!close) lua_pushboolean(L, a ? a->agent == NULL : p->pop == NULL);
    else if (a) { nm_agent_free(a->agent); a->agent = NULL; }
    else { nm_population_free(p->pop); p->pop = NULL; }
    return !close;
}
static int l_close(lua_State *L) { return handle(L, 0, 1); }
static int l_is_closed(lua_State *L) { return handle(L, 0, 0); }
static int l_pop_close(lua_State *L) { return handle(L, 1, 1); }
static int l_pop_is_closed(lua_State *L) { return handle(L, 1, 0); }

static int l_reset(lua_State *L) { nm_agent_reset_traces(self_agent(L, "reset")->agent); return 0; }
static int l_frozen(lua_State *L) { lua_pushboolean(L, nm_agent_frozen(self_agent(L, "frozen")->agent)); return 1; }
static int l_kernel_set(lua_State *L) { lua_pushstring(L, nm_agent_kernel_set(self_agent(L, "kernel_set")->agent)); return 1; }

static int l_params(lua_State *L)
{
    nm_agent *a = self_agent(L, "params")->agent;
    push_floats(L, nm_agent_params(a), nm_agent_param_count(a));
    return 1;
}

static int l_state_hash(lua_State *L)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)nm_agent_state_hash(target(L, "state_hash", NULL, NULL)));
    lua_pushstring(L, hex);
    return 1;
}

/* agent:levels() -> DA (latest TD error), NA, ACh, 5HT; agent:meta() -> the eight meta-parameters */
static int push_state(lua_State *L, const char *what, int meta)
{
    nm_modulator_state m;
    int i, n = meta ? NM_N_PARAMS : NM_N_MODULATORS;
    nm_agent_get_modulators(self_agent(L, what)->agent, &m);
    for (i = 0; i < n; i++) lua_pushnumber(L, meta ? m.params[i] : m.level[i]);
    return n;
}
static int l_levels(lua_State *L) { return push_state(L, "levels", 0); }
static int l_meta(lua_State *L) { return push_state(L, "meta", 1); }

/* The helpers below are called by common.lua (population.lua for a member k0) once it has checked the
 * arguments; common.lua's header says what each returns. */
static int l_config(lua_State *L) { push_config(L, nm_agent_get_config(target(L, "config", NULL, NULL))); return 1; }

/* _modvalues([k0]) -> 29 numbers: level, phasic, tonic (4 each), params (8), surprise, steps, expected,
 * unexpected, changepoint, outlier_rate, reward_short, reward_variance, utility_drop */
static int l_modvalues(lua_State *L)
{
    nm_modulator_state m;
    float v[29];
    int i;
    nm_agent_get_modulators(target(L, "modulators", NULL, NULL), &m);
    memcpy(v, m.level, sizeof m.level);
    memcpy(v + 4, m.phasic, sizeof m.phasic);
    memcpy(v + 8, m.tonic, sizeof m.tonic);
    memcpy(v + 12, m.params, sizeof m.params);
    v[20] = m.surprise; v[21] = 0; v[22] = m.expected; v[23] = m.unexpected; v[24] = m.changepoint;
    v[25] = m.outlier_rate; v[26] = m.reward_short; v[27] = m.reward_variance; v[28] = m.utility_drop;
    luaL_checkstack(L, 29, NULL);
    for (i = 0; i < 29; i++) {
        if (i == 21) push_u64(L, m.steps);
        else lua_pushnumber(L, v[i]);
    }
    return 29;
}

static int l_save(lua_State *L)
{
    lpop *p = luaL_testudata(L, 1, POP_MT);
    nm_agent *a = p ? NULL : self_agent(L, "save")->agent;
    const char *path = luaL_checkstring(L, 2);
    if (!p) return result(L, nm_agent_save(a, path), a);
    return nm_population_save(p->pop, path) == NM_OK ? push_true(L) : push_fail(L, nm_population_error(p->pop));
}

static int l_freeze(lua_State *L) { nm_agent_freeze(self_agent(L, "freeze")->agent, lua_toboolean(L, 2)); return 0; }
static int l_context(lua_State *L) { lua_pushinteger(L, nm_agent_context(self_agent(L, "context")->agent)); return 1; }
static int l_set_context(lua_State *L)
{
    nm_agent *a = self_agent(L, "context")->agent;
    return result(L, nm_agent_set_context(a, (int)luaL_checkinteger(L, 2)), a);
}

static int l_floats(lua_State *L)
{
    nm_agent *a = self_agent(L, "_floats")->agent;
    int gain = strcmp(luaL_checkstring(L, 2), "gain") == 0;
    size_t layer = (size_t)luaL_checkinteger(L, 3), n = (size_t)luaL_checkinteger(L, 4);
    float *buf = lua_newuserdatauv(L, (n ? n : 1) * sizeof *buf, 0);
    if ((gain ? nm_agent_gain(a, layer, buf, n) : nm_agent_attention(a, buf, n)) != NM_OK) return push_fail(L, nm_agent_error(a));
    push_floats(L, buf, n);
    return 1;
}

static int l_set_param(lua_State *L)
{
    nm_agent *a = self_agent(L, "set_param")->agent;
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 0 || (size_t)i >= nm_agent_param_count(a)) return 0;
    nm_agent_params(a)[i] = (float)luaL_checknumber(L, 3);
    return push_true(L);
}

static int l_tensor(lua_State *L)
{
    lua_Integer i = luaL_checkinteger(L, 2);
    nm_tensor_info t;
    if (i < 0 || nm_agent_tensor(self_agent(L, "tensors")->agent, (size_t)i, &t) != NM_OK) return 0;
    lua_pushstring(L, t.name);
    lua_pushinteger(L, (lua_Integer)t.offset);
    lua_pushinteger(L, (lua_Integer)t.rows);
    lua_pushinteger(L, (lua_Integer)t.cols);
    return 4;
}

static int l_evaluate(lua_State *L)
{
    lpop *p = NULL;
    size_t k = 0;
    nm_agent *a = target(L, "evaluate", &p, &k);
    const nm_agent_config *c = nm_agent_get_config(a);
    float *buf = p ? p->obs : ((lagent *)lua_touserdata(L, 1))->obs, value;
    const float *obs = read_numbers(L, 2, buf, c->n_obs);
    float *probs = lua_newuserdatauv(L, c->n_actions * sizeof *probs, 0);
    if (!obs) return 0;
    if ((p ? nm_population_evaluate(p->pop, k, obs, c->n_obs, probs, &value)
           : nm_agent_evaluate(a, obs, c->n_obs, probs, &value)) != NM_OK) return push_fail(L, nm_agent_error(a));
    push_floats(L, probs, c->n_actions);
    lua_pushnumber(L, value);
    return 2;
}

static int l_gradient(lua_State *L)
{
    lagent *a = self_agent(L, "gradient");
    const float *obs = read_numbers(L, 2, a->obs, a->n_obs);
    lua_Integer act = luaL_checkinteger(L, 3);
    float w1 = (float)luaL_checknumber(L, 4), w2 = (float)luaL_checknumber(L, 5);
    size_t n = nm_agent_param_count(a->agent);
    float *g = lua_newuserdatauv(L, (n ? n : 1) * sizeof(float), 0);
    if (!obs || act < INT_MIN || act > INT_MAX) return 0;
    if (nm_agent_gradient(a->agent, obs, a->n_obs, (int)act, w1, w2, g) != NM_OK) return push_fail(L, nm_agent_error(a->agent));
    push_floats(L, g, n);
    return 1;
}

/* ---- nm.rng: corelib.rng(seed) (an integer; common.lua has checked it) ---- */
static int l_rng(lua_State *L)
{
    nm_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
    nm_rng_seed(r, (uint64_t)luaL_checkinteger(L, 1));
    luaL_setmetatable(L, RNG_MT);
    return 1;
}

/* An integer argument of rng:random within +-2^53, so that both backends (LuaJIT has only doubles) take the same
 * values; 0 for anything else, never wrapped or cast out of range. */
static int int_arg(lua_State *L, int i, lua_Integer *v)
{
    lua_Number x = lua_tonumber(L, i);
    if (lua_isinteger(L, i)) *v = lua_tointeger(L, i);
    else if (lua_type(L, i) == LUA_TNUMBER && x == floor(x) && fabs(x) <= 9007199254740992.0) *v = (lua_Integer)x;
    else return 0;
    return *v >= -((lua_Integer)1 << 53) && *v <= ((lua_Integer)1 << 53);
}

static int l_rng_random(lua_State *L)
{
    nm_rng *r = luaL_testudata(L, 1, RNG_MT);
    int n = lua_gettop(L) - 1;
    lua_Integer lo = 1, hi = 0;
    int64_t v;
    if (r && n == 0) { lua_pushnumber(L, nm_rng_uniform(r)); return 1; }
    if (!r || n > 2 || (n == 2 && !int_arg(L, 2, &lo)) || !int_arg(L, n + 1, &hi) || lo > hi) return fail(L, "random", NULL);
    nm_rng_range(r, lo, hi, &v);
    lua_pushinteger(L, (lua_Integer)v);
    return 1;
}

static int l_rng_normal(lua_State *L)
{
    nm_rng *r = luaL_testudata(L, 1, RNG_MT);
    int ok_mu = 1, ok_sigma = 1;
    lua_Number mu = lua_isnoneornil(L, 2) ? 0.0 : lua_tonumberx(L, 2, &ok_mu);
    lua_Number sigma = lua_isnoneornil(L, 3) ? 1.0 : lua_tonumberx(L, 3, &ok_sigma);
    if (!r || !ok_mu || !ok_sigma || !(sigma >= 0.0)) return fail(L, "normal", NULL);
    lua_pushnumber(L, nm_rng_normal(r, mu, sigma));
    return 1;
}

/* ---- nm.vector: a reusable float array; corelib.vector(n) makes n zeros (common.lua checks n and fills a
 * vector made from a table) ---- */
static int l_vector(lua_State *L)
{
    size_t n = (size_t)luaL_checkinteger(L, 1);
    lvector *v = lua_newuserdatauv(L, sizeof(lvector) + n * sizeof(float), 0);
    v->n = n;
    memset(v->v, 0, n * sizeof(float));   /* 0.0f */
    luaL_setmetatable(L, VEC_MT);
    return 1;
}

static int l_vec_index(lua_State *L)
{
    lvector *v = luaL_checkudata(L, 1, VEC_MT);
    lua_Integer i = lua_tointeger(L, 2);
    if (!lua_isinteger(L, 2)) return 0;   /* vectors have no methods */
    if (i < 1 || (size_t)i > v->n) return fail(L, "vector_index", NULL);
    lua_pushnumber(L, v->v[i - 1]);
    return 1;
}

static int l_vec_newindex(lua_State *L)
{
    lvector *v = luaL_checkudata(L, 1, VEC_MT);
    lua_Integer i = lua_tointeger(L, 2);
    if (!lua_isinteger(L, 2) || i < 1 || (size_t)i > v->n || lua_type(L, 3) != LUA_TNUMBER) return fail(L, "vector_index", NULL);
    v->v[i - 1] = (float)lua_tonumber(L, 3);
    return 0;
}

static int l_vec_len(lua_State *L) { lua_pushinteger(L, (lua_Integer)((lvector *)luaL_checkudata(L, 1, VEC_MT))->n); return 1; }

/* ---- populations (nm.population): the step's buffers live in the userdata, so act/learn allocate nothing ---- */
static lpop *self_pop(lua_State *L, const char *what)
{
    lpop *p = luaL_testudata(L, 1, POP_MT);
    if (!p || !p->pop) fail(L, what, NULL);
    return p;
}

static int push_pop(lua_State *L, nm_population *pop)
{
    size_t n = nm_population_size(pop), d = nm_agent_get_config(nm_population_agent(pop, 0))->n_obs;
    lpop *p = lua_newuserdatauv(L, sizeof(lpop) + (2 * n * d + n) * sizeof(float) + 2 * n * sizeof(int), 0);
    p->pop = NULL;   /* closed until set up, so __gc is always safe */
    p->n = n;
    p->n_obs = d;
    p->obs = (float *)(void *)(p + 1);
    p->rewards = p->obs + n * d;
    p->act_obs = p->rewards + n;
    p->terminals = (int *)(void *)(p->act_obs + n * d);
    p->actions = p->terminals + n;
    luaL_setmetatable(L, POP_MT);
    p->pop = pop;
    return 1;
}

/* whether argument i can take the actions: none or nil (a new table), a table, or an nm.vector of n */
static int actions_arg(lua_State *L, const lpop *p, int i)
{
    lvector *v = luaL_testudata(L, i, VEC_MT);
    return lua_isnoneornil(L, i) || lua_type(L, i) == LUA_TTABLE || (v && v->n == p->n);
}

/* the step's actions into the table or nm.vector at index i: every member's, or with acted_only only those of the
 * members whose call succeeded (the others' entries stay as they were) */
static void fill_actions(lua_State *L, const lpop *p, int i, int acted_only)
{
    lvector *v = luaL_testudata(L, i, VEC_MT);
    size_t k;
    for (k = 0; k < p->n && (v || lua_type(L, i) == LUA_TTABLE); k++) {
        if (acted_only && nm_population_member_status(p->pop, k) != NM_OK) continue;
        if (v) v->v[k] = (float)p->actions[k];
        else { lua_pushinteger(L, p->actions[k]); lua_rawseti(L, i, (lua_Integer)k + 1); }
    }
}

/* the step's actions into argument i (a new table when it is none or nil), left on top as the result */
static int push_actions(lua_State *L, const lpop *p, int i)
{
    lua_settop(L, i);
    if (lua_isnil(L, i)) { lua_pop(L, 1); lua_createtable(L, (int)p->n, 0); }
    fill_actions(L, p, i, 0);
    return 1;
}

/* pop:act(obs [, actions]) -> actions: a new table, or the table or nm.vector given, filled */
static int l_pop_act(lua_State *L)
{
    lpop *p = self_pop(L, "pop_act");
    const float *obs = read_numbers(L, 2, p->obs, p->n * p->n_obs);
    if (!obs || !actions_arg(L, p, 3)) return fail(L, "pop_act", NULL);
    if (nm_population_act(p->pop, obs, p->n * p->n_obs, p->actions, p->n) != NM_OK)
        return fail(L, "pop_act", nm_population_error(p->pop));
    return push_actions(L, p, 3);
}

/* terminals (argument 4) into p->terminals: a table of booleans or 0/1, or an nm.vector; how many are terminal,
 * -1 if they are not */
static int read_terminals(lua_State *L, lpop *p)
{
    lvector *v = luaL_testudata(L, 4, VEC_MT);
    size_t k;
    int all = 0;
    if (v && v->n == p->n) {
        for (k = 0; k < p->n; k++) p->terminals[k] = v->v[k] != 0.0f;
    } else if (lua_type(L, 4) == LUA_TTABLE && (size_t)lua_rawlen(L, 4) == p->n) {
        for (k = 0; k < p->n; k++) {
            int t = lua_rawgeti(L, 4, (lua_Integer)k + 1), ok = t == LUA_TBOOLEAN;
            lua_Number x = lua_tonumber(L, -1);
            p->terminals[k] = ok ? lua_toboolean(L, -1) : x != 0;
            lua_pop(L, 1);
            if (!ok && !(t == LUA_TNUMBER && (x == 0 || x == 1))) return -1;
        }
    } else return -1;
    for (k = 0; k < p->n; k++) all += p->terminals[k] != 0;
    return all;
}

/* learn's arguments (rewards 2, next_obs 3, terminals 4, as pop:learn and pop:step take them) into *rewards, *next
 * (NULL: none) and *terms (NULL: none, else p->terminals); 0 if one is not what the call takes */
static int read_learn(lua_State *L, lpop *p, const float **rewards, const float **next, const int **terms)
{
    int none = lua_isnoneornil(L, 4), all = none ? 0 : read_terminals(L, p);
    *rewards = read_numbers(L, 2, p->rewards, p->n);
    *next = NULL;
    *terms = none ? NULL : p->terminals;
    return *rewards && all >= 0 && (lua_isnoneornil(L, 3) ? (size_t)all == p->n
                                                            : (*next = read_numbers(L, 3, p->obs, p->n * p->n_obs)) != NULL);
}

static int l_pop_learn(lua_State *L)
{
    lpop *p = self_pop(L, "pop_learn");
    const float *rewards, *next;
    const int *terms;
    if (!read_learn(L, p, &rewards, &next, &terms)) return fail(L, "pop_learn", NULL);
    if (nm_population_learn(p->pop, rewards, p->n, next, next ? p->n * p->n_obs : 0, terms, terms ? p->n : 0) != NM_OK)
        return fail(L, "pop_learn", nm_population_error(p->pop));
    return 0;
}

/* pop:step(rewards, next_obs, terminals [, obs] [, actions]) -> actions: learn, then act on obs (or next_obs) */
static int l_pop_step(lua_State *L)
{
    lpop *p = self_pop(L, "pop_step");
    size_t len = p->n * p->n_obs;
    const float *rewards, *next, *obs;
    const int *terms;
    if (!read_learn(L, p, &rewards, &next, &terms)) return fail(L, "pop_step", NULL);
    obs = lua_isnoneornil(L, 5) || lua_rawequal(L, 3, 5) ? next : read_numbers(L, 5, p->act_obs, len);
    if (!obs || !actions_arg(L, p, 6)) return fail(L, "pop_step", NULL);
    if (nm_population_step(p->pop, rewards, p->n, next, next ? len : 0, terms, terms ? p->n : 0, obs, len,
                           p->actions, p->n) != NM_OK) {
        /* the members that stepped did act: a given actions table or vector takes their actions before the raise,
         * so a loop that catches the error goes on with the right ones */
        fill_actions(L, p, 6, 1);
        return fail(L, "pop_step", nm_population_error(p->pop));
    }
    return push_actions(L, p, 6);
}

static int l_pop_size(lua_State *L) { lua_pushinteger(L, (lua_Integer)self_pop(L, "pop_size")->n); return 1; }
static int l_pop_threads(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)nm_population_threads(self_pop(L, "pop_threads")->pop));
    return 1;
}

/* The helpers below are called by population.lua, which has checked the member k0 and the arguments (its header
 * says what each returns). */
static int l_pop_step_error(lua_State *L)
{
    lpop *p = self_pop(L, "_step_error");
    size_t k, first = p->n, failed = 0;
    for (k = 0; k < p->n; k++)
        if (nm_population_member_status(p->pop, k) != NM_OK) { if (first == p->n) first = k; failed++; }
    if (first == p->n) return push_fail(L, nm_population_error(p->pop));
    lua_pushinteger(L, (lua_Integer)first);
    lua_pushstring(L, nm_agent_error(nm_population_agent(p->pop, first)));
    lua_pushinteger(L, (lua_Integer)failed);
    return 3;
}

static int l_pop_reset(lua_State *L) { nm_population_reset(self_pop(L, "reset")->pop, (size_t)luaL_checkinteger(L, 2)); return 0; }

/* pop:_set_context(k0, id), pop:_freeze(k0, on) -> true | nil, message; pop:_context(k0), pop:_frozen(k0) */
static int l_pop_set_context(lua_State *L)
{
    lpop *p = self_pop(L, "context");
    nm_status st = nm_population_set_context(p->pop, (size_t)luaL_checkinteger(L, 2), (int)luaL_checkinteger(L, 3));
    return st == NM_OK ? push_true(L) : push_fail(L, nm_population_error(p->pop));
}
static int l_pop_freeze(lua_State *L)
{
    lpop *p = self_pop(L, "freeze");
    nm_status st = nm_population_freeze(p->pop, (size_t)luaL_checkinteger(L, 2), lua_toboolean(L, 3));
    return st == NM_OK ? push_true(L) : push_fail(L, nm_population_error(p->pop));
}
static int l_pop_context(lua_State *L) { lua_pushinteger(L, nm_agent_context(target(L, "context", NULL, NULL))); return 1; }
static int l_pop_frozen(lua_State *L) { lua_pushboolean(L, nm_agent_frozen(target(L, "frozen", NULL, NULL))); return 1; }

static int l_pop_copy(lua_State *L)
{
    lpop *p = self_pop(L, "agent");
    nm_agent *a;
    if (nm_population_copy_member(p->pop, (size_t)luaL_checkinteger(L, 2), &a) != NM_OK)
        return push_fail(L, nm_population_error(p->pop));
    return push_agent(L, a);
}

/* _replace(k0, agent) -> true | nil, message: member k0 becomes a copy of the (open) agent */
static int l_pop_replace(lua_State *L)
{
    lpop *p = self_pop(L, "replace");
    lagent *a = luaL_checkudata(L, 3, AGENT_MT);
    if (nm_population_replace_copy(p->pop, (size_t)luaL_checkinteger(L, 2), a->agent) != NM_OK)
        return push_fail(L, nm_population_error(p->pop));
    return push_true(L);
}

/* corelib.population_new({config, ...}, threads) and corelib.population_load(path, threads) -> population | nil,
 * message (the core's, members 0-based) */
static int l_population_new(lua_State *L)
{
    size_t k, n = lua_istable(L, 1) ? (size_t)lua_rawlen(L, 1) : 0, threads = (size_t)luaL_checkinteger(L, 2);
    nm_agent_config *cfgs = lua_newuserdatauv(L, (n ? n : 1) * sizeof *cfgs, 0);   /* collected with the call's stack */
    nm_population *pop;
    char msg[512];
    nm_status st;
    for (k = 0; k < n; k++) { lua_rawgeti(L, 1, (lua_Integer)k + 1); cfgs[k] = *check_config(L, -1); lua_pop(L, 1); }
    st = lua_type(L, 1) == LUA_TSTRING ? nm_population_load(lua_tostring(L, 1), threads, &pop, msg, sizeof msg)
                                       : nm_population_new_members(cfgs, n, threads, &pop, msg, sizeof msg);
    return st == NM_OK ? push_pop(L, pop) : push_fail(L, msg);
}

static void set_funcs(lua_State *L, const luaL_Reg *fns) { lua_pushvalue(L, 1); luaL_setfuncs(L, fns, 1); }

int luaopen_neuromod_corelib(lua_State *L)
{
    static const luaL_Reg fns[] = {
        { "new", l_new }, { "load", l_new }, { "rng", l_rng }, { "vector", l_vector }, { "field", l_field },
        { "field_labels", l_field_labels }, { "config_new", l_config_new }, { "config_continual", l_config_continual }, { "config_set", l_config_set },
        { "config_get", l_config_get }, { "population_new", l_population_new }, { "population_load", l_population_new },
        { NULL, NULL }
    };
    static const luaL_Reg agent[] = {
        { "act", l_act }, { "learn", l_learn }, { "close", l_close }, { "is_closed", l_is_closed },
        { "reset", l_reset }, { "frozen", l_frozen }, { "levels", l_levels }, { "meta", l_meta },
        { "state_hash", l_state_hash }, { "kernel_set", l_kernel_set }, { "params", l_params },
        { "_config", l_config }, { "_modvalues", l_modvalues }, { "_save", l_save },
        { "_freeze", l_freeze }, { "_set_context", l_set_context }, { "_context", l_context },
        { "_floats", l_floats }, { "_set_param", l_set_param }, { "_tensor", l_tensor },
        { "_evaluate", l_evaluate }, { "_gradient", l_gradient }, { NULL, NULL }
    };
    static const luaL_Reg pop[] = {
        { "act", l_pop_act }, { "learn", l_pop_learn }, { "step", l_pop_step }, { "close", l_pop_close }, { "is_closed", l_pop_is_closed },
        { "size", l_pop_size }, { "threads", l_pop_threads }, { "_step_error", l_pop_step_error },
        { "_reset", l_pop_reset }, { "_copy", l_pop_copy }, { "_replace", l_pop_replace }, { "_config", l_config },
        { "_evaluate", l_evaluate }, { "_modvalues", l_modvalues }, { "_state_hash", l_state_hash },
        { "_save", l_save }, { "_set_context", l_pop_set_context }, { "_freeze", l_pop_freeze },
        { "_context", l_pop_context }, { "_frozen", l_pop_frozen }, { NULL, NULL }
    };
    static const luaL_Reg rng[] = { { "random", l_rng_random }, { "normal", l_rng_normal }, { NULL, NULL } };
    static const luaL_Reg none[] = { { NULL, NULL } };
    static const luaL_Reg agent_gc[] = { { "__gc", l_close }, { "__close", l_close }, { NULL, NULL } };
    static const luaL_Reg pop_gc[] = { { "__gc", l_pop_close }, { "__close", l_pop_close }, { NULL, NULL } };
    static const luaL_Reg vec[] = { { "__index", l_vec_index }, { "__newindex", l_vec_newindex }, { "__len", l_vec_len },
                                    { NULL, NULL } };
    static const char *const names[] = { AGENT_MT, POP_MT, RNG_MT, VEC_MT };
    static const char *const kinds[] = { "agent", "population", "rng", "vector" };
    static const char *const keys[] = { "agent_methods", "population_methods", "rng_methods", "vector_methods" };
    static const luaL_Reg *const methods[] = { agent, pop, rng, none }, *const metas[] = { agent_gc, pop_gc, none, vec };
    int i;
    lua_settop(L, 0);
    lua_newtable(L);   /* 1: the module, every function's upvalue */
    set_funcs(L, fns);
    lua_pushstring(L, nm_version()); lua_setfield(L, 1, "version");
    lua_newtable(L);   /* module.metatables: common.lua tells objects by them and adds __tostring */
    luaL_newmetatable(L, CFG_MT);
    lua_setfield(L, -2, "config");
    lua_setfield(L, 1, "metatables");
    for (i = 0; i < 4; i++) {
        luaL_newmetatable(L, names[i]);   /* 2 */
        set_funcs(L, metas[i]);
        lua_newtable(L);                  /* 3: the methods, which common.lua extends (module.<kind>_methods) */
        set_funcs(L, methods[i]);
        lua_pushvalue(L, 3); lua_setfield(L, 2, i == 3 ? "methods" : "__index");
        lua_setfield(L, 1, keys[i]);
        lua_getfield(L, 1, "metatables"); lua_pushvalue(L, 2); lua_setfield(L, -2, kinds[i]);
        lua_settop(L, 1);
    }
    return 1;
}
