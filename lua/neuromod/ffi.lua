-- neuromod.ffi: the LuaJIT FFI binding, calling libneuromod directly: primitives over the C library and
-- nothing else, as the Lua 5.4 C-API module (c/lua/lneuromod.c) is. lua/neuromod/common.lua builds the Lua API
-- on them for both (options, argument checks and every message, the tables of modulators, tostring), so the
-- two backends have the same methods, numbers and errors. A primitive the user calls directly (act, learn,
-- pop:act, rng:random, v[i], ...) that cannot do its job hands its arguments to backend.raise (set by
-- lua/neuromod/checks.lua), which words the error at the caller.
--
-- The library is found as lua/neuromod/ffi_load.lua says (NEUROMOD_LIB, the checkout, beside the calling
-- script, an installed prefix, the system loader).
--
-- Objects: an agent or a population is a small cdata struct (ffi.metatype) whose C pointer and step buffers
-- live in tables indexed by its _id, so a step creates no cdata, compiled or interpreted; ffi.gc frees it, and
-- close() frees it at once (idempotent). nm.vector is a cdata struct {_n, float _v[?]} passed to the core
-- without a copy; nm.rng a cdata nm_rng. Observations may also be FFI float arrays or pointers (a pointer cannot
-- be length-checked: it must point to n_obs floats). No garbage per step once LuaJIT has compiled the loop.
-- Status results are declared int, not enum, and int64 results are read as two 32-bit halves, because LuaJIT
-- boxes enum and 64-bit values. LuaJIT has only doubles: integral floats are taken where Lua 5.4 wants integers.

if not jit then error("neuromod.ffi needs LuaJIT (under Lua 5.4 use neuromod.core, or require \"neuromod\")", 2) end
local ffi = require "ffi"

-- C types and their metatypes are per Lua state and can be set only once, so the binding is built once
-- per state and kept in the registry: a second load of this file (a test runner that clears
-- package.loaded, a hot reload) reuses it instead of redefining the types.
local REGISTRY_KEY = "neuromod.ffi backend"
local registry = debug.getregistry()
if registry[REGISTRY_KEY] then return require("neuromod.common")(registry[REGISTRY_KEY], "ffi") end

ffi.cdef [[
/* Only what this file calls. Functions that return an nm_status are declared to return int (the same ABI):
   LuaJIT would box an enum result as cdata, making garbage on every call. */
const char *nm_version(void);

typedef struct nm_rng { uint64_t s[4]; } nm_rng;
void     nm_rng_seed(nm_rng *rng, uint64_t seed);
double   nm_rng_uniform(nm_rng *rng);
int nm_rng_range(nm_rng *rng, int64_t lo, int64_t hi, int64_t *out);
double   nm_rng_normal(nm_rng *rng, double mu, double sigma);

/* The config is opaque here: it is read and written by field name (nm_config_*), so that this binding needs
   no change when a field is added. Enums in structs are declared int (the same ABI). */
typedef struct nm_agent_config nm_agent_config;
typedef struct nm_config_field {
  const char *name; const char *option; const char *expect; const char *doc;
  int kind; int shape; unsigned flags;
  size_t rows, cols;
  const char *const *row_labels; const char *const *col_labels; const char *const *values;
  size_t n_values;
  double lo, hi;
} nm_config_field;
size_t nm_config_field_count(void);
const nm_config_field *nm_config_field_at(size_t i);
const nm_config_field *nm_config_field_find(const char *name);
size_t nm_config_size(void);
int nm_config_get(const nm_agent_config *cfg, const char *name, size_t index, double *value);
int nm_config_set(nm_agent_config *cfg, const char *name, size_t index, double value, char *msg, size_t msglen);
int nm_config_get_u64(const nm_agent_config *cfg, const char *name, size_t index, uint64_t *value);
int nm_config_set_u64(nm_agent_config *cfg, const char *name, size_t index, uint64_t value, char *msg, size_t msglen);
int nm_config_set_value(nm_agent_config *cfg, const char *name, size_t index, const char *value, char *msg, size_t msglen);
const char *nm_config_get_value(const nm_agent_config *cfg, const char *name, size_t index);
void nm_agent_config_default(nm_agent_config *cfg);
void nm_agent_config_continual(nm_agent_config *cfg, int on);

typedef struct nm_agent nm_agent;
int nm_agent_new(const nm_agent_config *cfg, nm_agent **out, char *msg, size_t msglen);
void nm_agent_free(nm_agent *agent);
const nm_agent_config *nm_agent_get_config(const nm_agent *agent);
const char *nm_agent_error(const nm_agent *agent);
int nm_agent_act(nm_agent *agent, const float *obs, size_t n, int *action);
int nm_agent_learn(nm_agent *agent, float reward, const float *next_obs, size_t n, int flags);
void nm_agent_reset_traces(nm_agent *agent);
int nm_agent_freeze(nm_agent *agent, int frozen);
int nm_agent_frozen(const nm_agent *agent);
int nm_agent_set_context(nm_agent *agent, int id);
int nm_agent_context(const nm_agent *agent);

typedef struct nm_modulator_state {
  float level[4];
  float phasic[4];
  float tonic[4];
  float params[8];
  float surprise;
  uint64_t steps;
  float expected;
  float unexpected;
  float changepoint;
  float outlier_rate;
  float reward_short;
  float reward_variance;
  float utility_drop;
} nm_modulator_state;
void nm_agent_get_modulators(const nm_agent *agent, nm_modulator_state *out);
int nm_agent_attention(nm_agent *agent, float *out, size_t n);
int nm_agent_gain(nm_agent *agent, size_t layer, float *out, size_t n);
int nm_agent_evaluate(nm_agent *agent, const float *obs, size_t n, float *probs, float *value);

typedef struct nm_tensor_info { const char *name; size_t offset; size_t rows, cols; } nm_tensor_info;
size_t nm_agent_param_count(const nm_agent *agent);
float *nm_agent_params(nm_agent *agent);
int nm_agent_tensor(const nm_agent *agent, size_t index, nm_tensor_info *out);
int nm_agent_gradient(nm_agent *agent, const float *obs, size_t n, int action, float w_logpi,
                            float w_value, float *grad);

int nm_agent_save(nm_agent *agent, const char *path);
int nm_agent_load(const char *path, nm_agent **out, char *msg, size_t msglen);
uint64_t nm_agent_state_hash(const nm_agent *agent);
const char *nm_agent_kernel_set(const nm_agent *agent);

/* populations: built from a contiguous array of member configs (nm_config_size() bytes each), so that the
   config stays opaque here */
typedef struct nm_population nm_population;
int nm_population_new_members(const nm_agent_config *members, size_t n, size_t threads, nm_population **out,
                              char *msg, size_t msglen);
void nm_population_free(nm_population *pop);
size_t nm_population_size(const nm_population *pop);
size_t nm_population_threads(const nm_population *pop);
const char *nm_population_error(const nm_population *pop);
int nm_population_member_status(const nm_population *pop, size_t k);
int nm_population_act(nm_population *pop, const float *obs, size_t len, int *actions, size_t n_actions_out);
int nm_population_learn(nm_population *pop, const float *rewards, size_t n_rewards, const float *next_obs,
                        size_t len, const int *terminals, size_t n_terminals);
int nm_population_step(nm_population *pop, const float *rewards, size_t n_rewards, const float *next_obs,
                       size_t len, const int *terminals, size_t n_terminals, const float *obs, size_t obs_len,
                       int *actions, size_t n_actions_out);
int nm_population_reset(nm_population *pop, size_t k);
int nm_population_set_context(nm_population *pop, size_t k, int id);
int nm_population_freeze(nm_population *pop, size_t k, int frozen);
const nm_agent *nm_population_agent(const nm_population *pop, size_t k);
int nm_population_evaluate(nm_population *pop, size_t k, const float *obs, size_t n, float *probs, float *value);
int nm_population_copy_member(nm_population *pop, size_t k, nm_agent **out);
int nm_population_replace_copy(nm_population *pop, size_t k, nm_agent *src);
int nm_population_save(nm_population *pop, const char *path);
int nm_population_load(const char *path, size_t threads, nm_population **out, char *msg, size_t msglen);

/* the binding's own objects */
typedef struct nm_lua_population { int32_t _id; int32_t _n; int32_t _d; } nm_lua_population;
typedef struct nm_lua_agent { int32_t _id; int32_t _n; int32_t _k; } nm_lua_agent;
typedef struct nm_lua_vector { int32_t _n; float _v[?]; } nm_lua_vector;
]]

local C, version = require("neuromod.ffi_load")(ffi)

local istype, sizeof, fstring = ffi.istype, ffi.sizeof, ffi.string
local type, rawget, tonumber, select, format, floor = type, rawget, tonumber, select, string.format, math.floor
local AgentT, VecT, RngT, PopT = ffi.typeof("nm_lua_agent"), ffi.typeof("nm_lua_vector"), ffi.typeof("nm_rng"),
                                 ffi.typeof("nm_lua_population")
local CfgT = ffi.typeof("uint64_t[?]")

-- the backend: primitives for neuromod.common, which sets B.raise
local methods, pop_methods, rng_methods, vector_methods = {}, {}, {}, {}
local B = { version = version, agent_methods = methods, population_methods = pop_methods }

-- scratch buffers (a Lua state is single-threaded; none is held across a call)
local act_out, i64_out, value_buf = ffi.new("int[1]"), ffi.new("int64_t[1]"), ffi.new("float[1]")
-- int64 results read as two 32-bit halves (numbers): reading an int64 directly would box a cdata
local i64_lo = ffi.cast("uint32_t *", i64_out) + (ffi.abi("le") and 0 or 1)
local i64_hi = ffi.cast("int32_t *", i64_out) + (ffi.abi("le") and 1 or 0)
local modstate, tensor_info = ffi.new("nm_modulator_state"), ffi.new("nm_tensor_info")
local agent_out, pop_out, msg_buf = ffi.new("nm_agent *[1]"), ffi.new("nm_population *[1]"), ffi.new("char[512]")

function B.kind(x)
  if type(x) ~= "cdata" then return nil end
  if istype(AgentT, x) then return "agent" elseif istype(PopT, x) then return "population"
  elseif istype(VecT, x) then return "vector" elseif istype(RngT, x) then return "rng"
  elseif istype(CfgT, x) then return "config" end
end
function B.address(x) return (tostring(ffi.cast("void *", x)):match("0x%x+") or "?") end

-- Lua values into float buffers (lua/neuromod/ffi_values.lua): B.array_len, B.int_array for neuromod.checks
-- Each nm.vector's floats as a float pointer, made once by B.vector. Indexing the struct's array field (v._v[i])
-- makes a reference object in LuaJIT's interpreter (24 bytes a call; compiled traces do without), and a loop, or
-- the branch of one, that LuaJIT declines to compile runs interpreted: a "no garbage per step" loop then made some.
-- A pointer held here is indexed without allocating, compiled or not. Weak keys: it goes with its vector.
local VDATA = setmetatable({}, { __mode = "k" })
local V = require("neuromod.ffi_values")(ffi, VecT, B.kind, VDATA)
B.array_len, B.int_array = V.array_len, V.int_array
local BUF_K, VEC_K, RAW_K, read_obs, read_floats, read_terminals, obs_pointer =
  V.BUF_K, V.VEC_K, V.RAW_K, V.read_obs, V.read_floats, V.read_terminals, V.obs_pointer
---------------------------------------------------------------------------------------------------------
-- Configs by field name: a config is an opaque block of nm_config_size() bytes, held as a uint64_t array so
-- that it is aligned for every field.
---------------------------------------------------------------------------------------------------------
local CFG_WORDS = math.ceil(tonumber(C.nm_config_size()) / 8)
local double_out, u64_out = ffi.new("double[1]"), ffi.new("uint64_t[1]")
local U64_2_53 = ffi.cast("uint64_t", 2^53)
local function cfg_ptr(c) return ffi.cast("nm_agent_config *", c) end

-- field(i0) -> name, option, kind (0..5), rows, cols, expect, doc, lo, hi, flags | nil past the last;
-- field_labels(i0, which) -> its row (1), column (2) or value (3) names | nil
function B.field(i)
  if i >= tonumber(C.nm_config_field_count()) then return nil end
  local f = C.nm_config_field_at(i)
  return fstring(f.name), fstring(f.option), f.kind, tonumber(f.rows), tonumber(f.cols), fstring(f.expect),
         fstring(f.doc), f.lo, f.hi, f.flags
end

function B.field_labels(i, which)
  local f = C.nm_config_field_at(i)
  local p, n = f.values, tonumber(f.n_values)
  if which == 1 then p, n = f.row_labels, tonumber(f.rows) elseif which == 2 then p, n = f.col_labels, tonumber(f.cols) end
  if p == nil then return nil end
  local t = {}
  for k = 0, n - 1 do t[k + 1] = fstring(p[k]) end
  return t
end

local function config_new(from)
  local c = CfgT(CFG_WORDS)
  if from ~= nil then ffi.copy(c, from, C.nm_config_size()) else C.nm_agent_config_default(cfg_ptr(c)) end
  return c
end
B.config_new = config_new

-- config_continual(cfg, on): the continual-learning rows on (the defaults) or off
function B.config_continual(c, on) C.nm_agent_config_continual(cfg_ptr(c), on and 1 or 0) end

-- config_set(cfg, name, index0, value) -> true | nil, message: a string sets an ENUM by name; a non-negative
-- integer goes through the exact 64-bit setter
function B.config_set(c, name, index, v)
  local st
  if type(v) == "string" then st = C.nm_config_set_value(cfg_ptr(c), name, index, v, msg_buf, 512)
  elseif type(v) == "number" and v >= 0 and v == floor(v) and v < 2^64 then
    st = C.nm_config_set_u64(cfg_ptr(c), name, index, v, msg_buf, 512)
  else st = C.nm_config_set(cfg_ptr(c), name, index, v, msg_buf, 512) end
  if st ~= 0 then return nil, fstring(msg_buf) end
  return true
end

-- config_get(cfg, name, index0) -> a float, an integer, or an ENUM's value name (nil: no such element); a 64-bit
-- value beyond 2^53 comes as its decimal string
function B.config_get(c, name, index)
  local f = C.nm_config_field_find(name)
  if f == nil or C.nm_config_get(cfg_ptr(c), name, index, double_out) ~= 0 then return nil end
  if f.kind == 3 then return fstring(C.nm_config_get_value(cfg_ptr(c), name, index)) end
  if f.kind == 2 or f.kind == 5 then return double_out[0] end   -- a float, or an index (-1: none)
  C.nm_config_get_u64(cfg_ptr(c), name, index, u64_out)
  local u = u64_out[0]
  if u < U64_2_53 then return tonumber(u) end
  return (tostring(u):gsub("ULL$", ""))
end

local function config_number(c, name)
  C.nm_config_get(c, name, 0, double_out)
  return double_out[0]
end

---------------------------------------------------------------------------------------------------------
-- Agents and populations are small cdata structs (agents {_id, _n (n_obs), _k (n_actions)}, populations {_id,
-- _n (members), _d (n_obs)}) whose C pointer and buffers are created once and kept in tables indexed by _id:
-- reading them back returns the same objects, so a step creates no cdata even when LuaJIT runs it in the
-- interpreter (reading a pointer field of a struct would box a new cdata every time). _id 0 means closed; ids
-- are recycled only after close or finalization. objects(...) -> new(pointer, buffers...), close, is_closed.
---------------------------------------------------------------------------------------------------------
local function objects(T, tables, free, prefix)
  local free_ids, next_id = {}, 1
  local function release(o)
    local id = o._id
    if id == 0 then return end
    o._id = 0
    free(tables[1][id])
    for _, t in ipairs(tables) do t[id] = nil end
    free_ids[#free_ids + 1] = id
  end
  local function new(...)
    local id = table.remove(free_ids)
    if not id then id, next_id = next_id, next_id + 1 end
    local o = T()
    o._id = id
    for i, t in ipairs(tables) do t[id] = select(i, ...) end
    return ffi.gc(o, release)
  end
  local function close(...)
    local o = ...
    if not istype(T, o) then B.raise(prefix .. "close", nil, ...) end
    if o._id ~= 0 then
      ffi.gc(o, nil)
      release(o)
    end
  end
  local function is_closed(...)
    local o = ...
    if not istype(T, o) then B.raise(prefix .. "is_closed", nil, ...) end
    return o._id == 0
  end
  return new, close, is_closed
end

local PTR, BUF = {}, {}
local PPTR, POBS, PREW, PTERM, PACT, PSOBS = {}, {}, {}, {}, {}, {}   -- PSOBS: pop:step's obs
local new_agent, new_pop
new_agent, methods.close, methods.is_closed = objects(AgentT, { PTR, BUF }, C.nm_agent_free, "")
new_pop, pop_methods.close, pop_methods.is_closed =
  objects(PopT, { PPTR, POBS, PREW, PTERM, PACT, PSOBS }, C.nm_population_free, "pop_")

local function wrap(ptr)
  local cfg = C.nm_agent_get_config(ptr)
  local n = config_number(cfg, "n_obs")
  V.copier(n)
  local a = new_agent(ptr, ffi.new("float[?]", n))
  a._n, a._k = n, config_number(cfg, "n_actions")
  return a
end

-- the open agent's pointer, or false
local function open(self) return istype(AgentT, self) and PTR[self._id] end

-- act and learn take varargs only to tell a missing argument ("no value") from nil; LuaJIT compiles them as
-- fast as fixed arguments.
function methods.act(self, ...)
  local obs = ...
  local p = open(self)
  if not p then B.raise("act", nil, self, ...) end
  local n = self._n
  local k, st = read_obs(obs, n, BUF[self._id]), nil
  if k == BUF_K then st = C.nm_agent_act(p, BUF[self._id], n, act_out)
  elseif k == VEC_K then st = C.nm_agent_act(p, VDATA[obs], n, act_out)
  elseif k == RAW_K then st = C.nm_agent_act(p, obs, n, act_out)
  else B.raise("act", nil, self, ...) end
  if st ~= 0 then B.raise("act", fstring(C.nm_agent_error(p)), self, ...) end
  return act_out[0]
end

function methods.learn(self, ...)
  local reward, next_obs, terminal, truncated = ...
  local p = open(self)
  if not p or type(reward) ~= "number" or (terminal ~= nil and terminal ~= true and terminal ~= false)
     or (truncated ~= nil and truncated ~= true and truncated ~= false) then
    B.raise("learn", nil, self, ...)
  end
  local term, st = (terminal and 1 or 0) + (truncated and 2 or 0), nil
  if term ~= 1 or next_obs ~= nil then   -- only an untruncated terminal step may omit next_obs
    local n = self._n
    local k = read_obs(next_obs, n, BUF[self._id])
    if k == BUF_K then st = C.nm_agent_learn(p, reward, BUF[self._id], n, term)
    elseif k == VEC_K then st = C.nm_agent_learn(p, reward, VDATA[next_obs], n, term)
    elseif k == RAW_K then st = C.nm_agent_learn(p, reward, next_obs, n, term)
    else B.raise("learn", nil, self, ...) end
  else
    st = C.nm_agent_learn(p, reward, nil, 0, term)
  end
  if st ~= 0 then B.raise("learn", fstring(C.nm_agent_error(p)), self, ...) end
end

function methods.reset(self) C.nm_agent_reset_traces(open(self) or B.raise("reset", nil, self)) end
function methods.frozen(self) return C.nm_agent_frozen(open(self) or B.raise("frozen", nil, self)) ~= 0 end
function methods.kernel_set(self) return fstring(C.nm_agent_kernel_set(open(self) or B.raise("kernel_set", nil, self))) end

local function floats_table(buf, n)
  local t = {}
  for i = 1, n do t[i] = buf[i - 1] end
  return t
end

function methods.params(self)
  local p = open(self) or B.raise("params", nil, self)
  return floats_table(C.nm_agent_params(p), tonumber(C.nm_agent_param_count(p)))
end

local function state_hash(p)
  local h = C.nm_agent_state_hash(p)
  return format("%08x%08x", tonumber(h / 4294967296), tonumber(h % 4294967296))   -- uint64 arithmetic
end
function methods.state_hash(self) return state_hash(open(self) or B.raise("state_hash", nil, self)) end

-- agent:levels() -> DA (the latest TD error), NA, ACh, 5HT; agent:meta() -> the eight meta-parameters
local mod_f, mod_u = ffi.cast("float *", modstate), ffi.cast("uint32_t *", modstate)
function methods.levels(self)
  C.nm_agent_get_modulators(open(self) or B.raise("levels", nil, self), modstate)
  return mod_f[0], mod_f[1], mod_f[2], mod_f[3]
end

function methods.meta(self)
  C.nm_agent_get_modulators(open(self) or B.raise("meta", nil, self), modstate)
  return mod_f[12], mod_f[13], mod_f[14], mod_f[15], mod_f[16], mod_f[17], mod_f[18], mod_f[19]
end

-- The helpers below are called by common.lua (population.lua for a member k0) once it has checked the
-- arguments; on populations they take the member first.
local function member(pop, k) return C.nm_population_agent(PPTR[pop._id], k) end
-- true | nil, the agent's (or with pop, the population's) message
local function result(st, p, pop)
  if st == 0 then return true end
  return nil, fstring(pop and C.nm_population_error(pop) or C.nm_agent_error(p))
end

function methods._config(self) return config_new(C.nm_agent_get_config(open(self) or B.raise("config", nil, self))) end

-- _modvalues([k0]) -> 29 numbers, as lneuromod.c's: the floats up to surprise, steps (uint64, read as two 32-bit
-- halves: exact below 2^53, else its decimal string), then the floats from expected on
local STEPS = ffi.offsetof("nm_modulator_state", "steps") / 4
local STEPS_LO, STEPS_HI = STEPS + (ffi.abi("le") and 0 or 1), STEPS + (ffi.abi("le") and 1 or 0)
local A = ffi.offsetof("nm_modulator_state", "expected") / 4
local function modvalues(p)
  C.nm_agent_get_modulators(p, modstate)
  local f, hi = mod_f, mod_u[STEPS_HI]
  local steps = hi < 2097152 and hi * 4294967296 + mod_u[STEPS_LO] or (tostring(modstate.steps):gsub("ULL$", ""))
  return f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15], f[16],
         f[17], f[18], f[19], f[20], steps, f[A], f[A + 1], f[A + 2], f[A + 3], f[A + 4], f[A + 5], f[A + 6]
end
function methods._modvalues(self) return modvalues(open(self) or B.raise("modulators", nil, self)) end

function methods._save(self, path) return result(C.nm_agent_save(open(self), path), open(self)) end

function methods._freeze(self, on) C.nm_agent_freeze(open(self), on and 1 or 0) end
function methods._context(self) return tonumber(C.nm_agent_context(open(self))) end
function methods._set_context(self, id) return result(C.nm_agent_set_context(open(self), id), open(self)) end

function methods._floats(self, what, layer, n)
  local p = open(self)
  local buf = ffi.new("float[?]", math.max(n, 1))
  local st = what == "gain" and C.nm_agent_gain(p, layer, buf, n) or C.nm_agent_attention(p, buf, n)
  if st ~= 0 then return nil, fstring(C.nm_agent_error(p)) end
  return floats_table(buf, n)
end

function methods._set_param(self, i, v)
  local p = open(self)
  if i < 0 or i >= tonumber(C.nm_agent_param_count(p)) then return nil end
  C.nm_agent_params(p)[i] = v
  return true
end

function methods._tensor(self, i)
  if i < 0 or C.nm_agent_tensor(open(self), i, tensor_info) ~= 0 then return nil end
  return fstring(tensor_info.name), tonumber(tensor_info.offset), tonumber(tensor_info.rows), tonumber(tensor_info.cols)
end

local function evaluate(p, obs, pop, k)
  local n, na = config_number(C.nm_agent_get_config(p), "n_obs"), config_number(C.nm_agent_get_config(p), "n_actions")
  local src, probs = obs_pointer(obs, n, ffi.new("float[?]", n)), ffi.new("float[?]", na)
  local st = pop and C.nm_population_evaluate(pop, k, src, n, probs, value_buf) or C.nm_agent_evaluate(p, src, n, probs, value_buf)
  if st ~= 0 then return nil, fstring(C.nm_agent_error(p)) end
  return floats_table(probs, na), value_buf[0]
end
function methods._evaluate(self, obs) return evaluate(open(self), obs) end

function methods._gradient(self, obs, action, w1, w2)
  local p = open(self)
  local n = tonumber(C.nm_agent_param_count(p))
  local g = ffi.new("float[?]", math.max(n, 1))
  if C.nm_agent_gradient(p, obs_pointer(obs, self._n, BUF[self._id]), self._n, action, w1, w2, g) ~= 0 then
    return nil, fstring(C.nm_agent_error(p))
  end
  return floats_table(g, n)
end

---------------------------------------------------------------------------------------------------------
-- nm.rng and nm.vector
---------------------------------------------------------------------------------------------------------
-- rng(seed): common.lua has checked the seed
function B.rng(seed)
  local r = RngT()
  C.nm_rng_seed(r, ffi.cast("int64_t", seed))
  return r
end

local function int_arg(v) return type(v) == "number" and v == floor(v) and v >= -2^53 and v <= 2^53 end

function rng_methods.random(self, ...)
  local n = select("#", ...)
  local a, b = ...
  local ok = istype(RngT, self)
  if ok and n == 0 then return C.nm_rng_uniform(self) end
  local lo, hi = 1, a
  if n == 2 then lo, hi = a, b end
  if not (ok and n <= 2 and int_arg(lo) and int_arg(hi) and lo <= hi) then B.raise("random", nil, self, ...) end
  C.nm_rng_range(self, lo, hi, i64_out)
  return i64_hi[0] * 4294967296 + i64_lo[0]
end

function rng_methods.normal(self, ...)
  local mu, sigma = ...
  local m, s = mu == nil and 0.0 or tonumber(mu), sigma == nil and 1.0 or tonumber(sigma)
  if not (istype(RngT, self) and m and s and s >= 0.0) then B.raise("normal", nil, self, ...) end
  return C.nm_rng_normal(self, m, s)
end

-- vector(n): n zeros (common.lua has checked n and fills a vector made from a table). A struct {_n, float _v[?]}
-- (ffi.sizeof of a variable-length object is not compiled by the JIT, so the length is stored).
function B.vector(n)
  local v = VecT(n)
  v._n = n
  VDATA[v] = ffi.cast("float *", v._v)
  return v
end

B.metatables = {
  agent = { __index = methods }, population = { __index = pop_methods }, rng = { __index = rng_methods },
  vector = {
    __index = function(v, i)
      if type(i) == "number" and i == floor(i) then
        if i < 1 or i > v._n then B.raise("vector_index", nil, v, i) end
        return VDATA[v][i - 1]
      end
      return vector_methods[i]
    end,
    __newindex = function(v, i, x)
      if not (type(i) == "number" and i == floor(i) and i >= 1 and i <= v._n and type(x) == "number") then
        B.raise("vector_index", nil, v, i, x)
      end
      VDATA[v][i - 1] = x
    end,
    __len = function(v) return v._n end,
  },
}

---------------------------------------------------------------------------------------------------------
-- Populations: a cdata struct {_id, _n (members), _d (n_obs)} as agents are; its nm_population pointer and
-- step buffers live in tables indexed by _id. Inputs (obs, next_obs, rewards) may be tables, nm.vectors or FFI
-- float arrays; terminals tables of booleans or 0/1, nm.vectors or int32_t arrays; actions, given, a table, an
-- nm.vector or an int32_t array, filled in place.
---------------------------------------------------------------------------------------------------------
local function pop_wrap(ptr)
  local n = tonumber(C.nm_population_size(ptr))
  local d = config_number(C.nm_agent_get_config(C.nm_population_agent(ptr, 0)), "n_obs")
  local o = new_pop(ptr, ffi.new("float[?]", n * d), ffi.new("float[?]", n), ffi.new("int32_t[?]", n),
                    ffi.new("int32_t[?]", n), ffi.new("float[?]", n * d))
  o._n, o._d = n, d
  return o
end

local function pop_open(self) return istype(PopT, self) and PPTR[self._id] end

-- whether actions can take a step's actions: nil (a new table), a table, an int32_t array or an nm.vector of n
local function actions_ok(actions, n)
  local ta = type(actions)
  return actions == nil or ta == "table" or (ta == "cdata" and (B.int_array(actions) or
                                                                 istype(VecT, actions) and actions._n == n))
end

-- the step's actions (out) into actions: a new table when nil, else the table, nm.vector or array given
local function put_actions(id, n, out, actions)
  local ta = type(actions)
  if actions == nil or ta == "table" then
    actions = actions or {}
    for k = 1, n do actions[k] = out[k - 1] end
  elseif istype(VecT, actions) then
    local v = VDATA[actions]
    for k = 0, n - 1 do v[k] = out[k] end
  else
    ffi.copy(actions, out, 4 * n)
  end
  return actions
end

function pop_methods.act(self, ...)
  local obs, actions = ...
  local p = pop_open(self)
  if not p then B.raise("pop_act", nil, self, ...) end
  local id, n = self._id, self._n
  local len = n * self._d
  local src = read_floats(obs, len, POBS[id])
  if not src or not actions_ok(actions, n) then B.raise("pop_act", nil, self, ...) end
  if C.nm_population_act(p, src, len, PACT[id], n) ~= 0 then
    B.raise("pop_act", fstring(C.nm_population_error(p)), self, ...)
  end
  return put_actions(id, n, PACT[id], actions)
end

-- learn's arguments, as pop:learn and pop:step take them: rewards, next_obs (nil: none; its length, 0 then) and
-- terminals (nil: none) as the core takes them, and whether they are what the call takes
local function learn_args(self, rewards, next_obs, terminals)
  local id, n = self._id, self._n
  local rew, term, all, next, len = read_floats(rewards, n, PREW[id]), nil, 0, nil, 0
  if terminals ~= nil then term, all = read_terminals(terminals, n, PTERM[id]) end
  if next_obs ~= nil then len = n * self._d; next = read_floats(next_obs, len, POBS[id]) end
  local ok = rew ~= nil and all >= 0 and (next_obs == nil and all == n or next_obs ~= nil and next ~= nil)
  return rew, next, len, term, ok
end

function pop_methods.learn(self, ...)
  local p = pop_open(self)
  if not p then B.raise("pop_learn", nil, self, ...) end
  local n = self._n
  local rew, next, len, term, ok = learn_args(self, ...)
  if not ok then B.raise("pop_learn", nil, self, ...) end
  if C.nm_population_learn(p, rew, n, next, len, term, term ~= nil and n or 0) ~= 0 then
    B.raise("pop_learn", fstring(C.nm_population_error(p)), self, ...)
  end
end

function pop_methods.step(self, ...)
  local rewards, next_obs, terminals, obs, actions = ...
  local p = pop_open(self)
  if not p then B.raise("pop_step", nil, self, ...) end
  local id, n = self._id, self._n
  local len = n * self._d
  local rew, next, next_len, term, ok = learn_args(self, rewards, next_obs, terminals)
  local src = next
  if obs ~= nil and not rawequal(obs, next_obs) then src = read_floats(obs, len, PSOBS[id]) end
  if not ok or not src or not actions_ok(actions, n) then B.raise("pop_step", nil, self, ...) end
  if C.nm_population_step(p, rew, n, next, next_len, term, term ~= nil and n or 0, src, len, PACT[id], n) ~= 0 then
    -- the members that stepped did act: a given actions takes their actions before the raise (the others'
    -- entries stay as they were), so a loop that catches the error goes on with the right ones
    if actions ~= nil then
      local out, base = PACT[id], (istype(VecT, actions) or type(actions) == "table") and 1 or 0
      for k = 0, n - 1 do
        if C.nm_population_member_status(p, k) == 0 then actions[k + base] = out[k] end
      end
    end
    B.raise("pop_step", fstring(C.nm_population_error(p)), self, ...)
  end
  return put_actions(id, n, PACT[id], actions)
end

function pop_methods.size(self) return (pop_open(self) or B.raise("pop_size", nil, self)) and self._n end
function pop_methods.threads(self) return tonumber(C.nm_population_threads(pop_open(self) or B.raise("pop_threads", nil, self))) end

-- The helpers below are called by population.lua, which has checked the member k0 and the arguments (its header
-- says what each returns).
function pop_methods._step_error(self)
  local p, first, failed = pop_open(self), nil, 0
  for k = 0, self._n - 1 do
    if C.nm_population_member_status(p, k) ~= 0 then first = first or k; failed = failed + 1 end
  end
  if not first then return nil, fstring(C.nm_population_error(p)) end
  return first, fstring(C.nm_agent_error(C.nm_population_agent(p, first))), failed
end

function pop_methods._reset(self, k) C.nm_population_reset(pop_open(self), k) end
function pop_methods._set_context(self, k, id)
  local p = pop_open(self)
  return result(C.nm_population_set_context(p, k, id), nil, p)
end
function pop_methods._freeze(self, k, on)
  local p = pop_open(self)
  return result(C.nm_population_freeze(p, k, on and 1 or 0), nil, p)
end
function pop_methods._context(self, k) return tonumber(C.nm_agent_context(member(self, k))) end
function pop_methods._frozen(self, k) return C.nm_agent_frozen(member(self, k)) ~= 0 end
function pop_methods._config(self, k) return config_new(C.nm_agent_get_config(member(self, k))) end
function pop_methods._modvalues(self, k) return modvalues(member(self, k)) end
function pop_methods._state_hash(self, k) return state_hash(member(self, k)) end
function pop_methods._evaluate(self, k, obs) return evaluate(member(self, k), obs, pop_open(self), k) end

function pop_methods._copy(self, k)
  if C.nm_population_copy_member(pop_open(self), k, agent_out) ~= 0 then return result(1, nil, pop_open(self)) end
  return wrap(agent_out[0])
end

function pop_methods._replace(self, k, agent)
  return result(C.nm_population_replace_copy(pop_open(self), k, PTR[agent._id]), nil, pop_open(self))
end

function pop_methods._save(self, path) return result(C.nm_population_save(pop_open(self), path), nil, pop_open(self)) end

---------------------------------------------------------------------------------------------------------
-- Construction: new(cfg), load(path), population_new({cfg, ...}, threads), population_load(path, threads)
-- -> the object | nil, the core's message
---------------------------------------------------------------------------------------------------------
function B.new(c)
  if C.nm_agent_new(cfg_ptr(c), agent_out, msg_buf, 512) ~= 0 then return nil, fstring(msg_buf) end
  return wrap(agent_out[0])
end

function B.load(path)
  if C.nm_agent_load(path, agent_out, msg_buf, 512) ~= 0 then return nil, fstring(msg_buf) end
  return wrap(agent_out[0])
end

function B.population_new(cfgs, threads)
  local n = #cfgs
  local arr = CfgT(math.max(n, 1) * CFG_WORDS)
  for k = 1, n do ffi.copy(arr + (k - 1) * CFG_WORDS, cfgs[k], CFG_WORDS * 8) end
  if C.nm_population_new_members(cfg_ptr(arr), n, threads, pop_out, msg_buf, 512) ~= 0 then return nil, fstring(msg_buf) end
  return pop_wrap(pop_out[0])
end

function B.population_load(path, threads)
  if C.nm_population_load(path, threads, pop_out, msg_buf, 512) ~= 0 then return nil, fstring(msg_buf) end
  return pop_wrap(pop_out[0])
end

for kind, T in pairs { agent = AgentT, population = PopT, rng = RngT, vector = VecT } do ffi.metatype(T, B.metatables[kind]) end
registry[REGISTRY_KEY] = B
return require("neuromod.common")(B, "ffi")
