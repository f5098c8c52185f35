-- neuromod.ffi: the neuromod API on LuaJIT's FFI, calling libneuromod directly. It behaves exactly like the
-- Lua 5.4 C-API module (c/lua/lneuromod.c, the reference): the same methods, the same numbers (the same C
-- core does the work), the same error messages, raised at the caller's position. The Lua-level API is
-- shared with the C-API backend through neuromod.common.
--
-- Where the library comes from, in this order:
--   1. $NEUROMOD_LIB, a path to libneuromod.so, when set and not empty. If it cannot be loaded that is an
--      error: an explicit choice is never silently replaced by another library.
--   2. the checkout this file lives in: <dir of this file>/../../build/lib/libneuromod.so (after `make`);
--      installed as <prefix>/share/lua/<v>/neuromod/ffi.lua: <prefix>/lib/libneuromod.so, then
--      <prefix>/lib/lua/5.1/neuromod/libneuromod.so (a LuaRocks tree);
--   3. beside the calling script: the directory of each script on the call stack outside this directory, of
--      arg[0], and under LÖVE the game's directory (love.filesystem.getSource), so a game directory or a
--      script directory with libneuromod.so in it works without environment variables;
--   4. an installed prefix, from package.cpath: for each template such as /usr/local/lib/lua/5.1/?.so,
--      <dir>/neuromod/libneuromod.so (where the rock puts it, beside the C-API module), then
--      <prefix>/lib/libneuromod.so (where `make install` puts it);
--   5. "neuromod" through the system loader (LD_LIBRARY_PATH, ldconfig's cache, the default paths).
-- The library must have the config-by-name API (nm_config_*).
--
-- Objects:
--   agent   a small cdata struct {_id, _n, _k} (ffi.metatype); its nm_agent pointer and its buffer of n_obs
--           floats (act/learn copy Lua tables into it) live in tables indexed by _id, so a step allocates
--           nothing, compiled or interpreted. ffi.gc frees the agent; close() frees it at once and is
--           idempotent (it removes the finalizer). The fields are private.
--   nm.vector  a cdata struct {_n, float _v[?]} with v[i] (1-based) get/set and #v; passed to the core
--           without a copy.
--   nm.rng  a cdata nm_rng (xoshiro256**), the same stream as the C-API module's.
-- Observations may be a Lua table of numbers, an nm.vector, or an FFI float array or float pointer
-- (float[n], float[?], float *; a pointer cannot be length-checked: it must point to n_obs floats).
-- No garbage per step: act/learn with a reused table, nm.vector or float array, rng:random and the
-- reused-table form of agent:modulators allocate nothing once LuaJIT has compiled the loop (and, except
-- for nm.vector element access, nothing when interpreted either). Status results are declared int, not
-- enum, and int64 results are read as two 32-bit halves, because LuaJIT boxes enum and 64-bit values.
--
-- Numbers: LuaJIT has only doubles, so where the C-API module tells integers from floats (nm.rng(2.0) is
-- refused there, accepted here) this binding accepts integral floats. Integers beyond 2^53 lose precision.

if not jit then error("neuromod.ffi needs LuaJIT (under Lua 5.4 use neuromod.core, or require \"neuromod\")", 2) end
local ffi = require "ffi"
local bit = require "bit"

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
int nm_population_reset(nm_population *pop, size_t k);
const nm_agent *nm_population_agent(const nm_population *pop, size_t k);
int nm_population_evaluate(nm_population *pop, size_t k, const float *obs, size_t n, float *probs, float *value);
int nm_population_copy_member(nm_population *pop, size_t k, nm_agent **out);
int nm_population_replace(nm_population *pop, size_t k, nm_agent *agent);
int nm_population_replace_copy(nm_population *pop, size_t k, nm_agent *src);
int nm_population_save(nm_population *pop, const char *path);
int nm_population_load(const char *path, size_t threads, nm_population **out, char *msg, size_t msglen);

/* the binding's own objects */
typedef struct nm_lua_population { int32_t _id; int32_t _n; int32_t _d; } nm_lua_population;
typedef struct nm_lua_agent { int32_t _id; int32_t _n; int32_t _k; } nm_lua_agent;
typedef struct nm_lua_vector { int32_t _n; float _v[?]; } nm_lua_vector;
]]

---------------------------------------------------------------------------------------------------------
-- Loading the library
---------------------------------------------------------------------------------------------------------
local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- The directories of the scripts on the call stack outside neuromod's own files (the script that required
-- neuromod, a game's main.lua), and LÖVE's game directory: a library placed beside them is found.
local function caller_dirs(own_dir)
  local dirs, seen = {}, {}
  local function add(d)
    if d and d ~= "" and not seen[d] then seen[d] = true; dirs[#dirs + 1] = d end
  end
  for level = 2, 40 do
    local info = debug.getinfo(level, "S")
    if not info then break end
    local src = info.source
    if src:sub(1, 1) == "@" then
      local d = src:sub(2):match("^(.*)[/\\]") or "."
      if d ~= own_dir then add(d) end
    end
  end
  if arg and type(arg[0]) == "string" then add(arg[0]:match("^(.*)[/\\]") or ".") end
  if love and love.filesystem then
    for _, f in ipairs { "getSource", "getSourceBaseDirectory" } do
      local ok, d = pcall(love.filesystem[f])
      if ok and type(d) == "string" then add(d) end
    end
  end
  return dirs
end

local function load_library()
  local tried = {}
  local env = os.getenv("NEUROMOD_LIB")
  if env and env ~= "" then
    local ok, lib = pcall(ffi.load, env)
    if ok then return lib, env end
    error("neuromod.ffi: cannot load NEUROMOD_LIB=" .. env .. ": " .. tostring(lib), 3)
  end
  local candidates = {}
  local src = debug.getinfo(1, "S").source
  local own_dir
  if src:sub(1, 1) == "@" then
    own_dir = src:sub(2):match("^(.*)[/\\]") or "."
    candidates[#candidates + 1] = own_dir .. "/../../build/lib/libneuromod.so"
    -- installed as <prefix>/share/lua/<version>/neuromod/ffi.lua (make install, a LuaRocks tree)
    local prefix = own_dir:match("^(.*)/share/lua/[^/]+/neuromod$")
    if prefix then
      candidates[#candidates + 1] = prefix .. "/lib/libneuromod.so"
      candidates[#candidates + 1] = prefix .. "/lib/lua/5.1/neuromod/libneuromod.so"
    end
  end
  for _, d in ipairs(caller_dirs(own_dir)) do candidates[#candidates + 1] = d .. "/libneuromod.so" end
  for template in package.cpath:gmatch("[^;]+") do
    if template:find("?", 1, true) then
      candidates[#candidates + 1] = (template:gsub("%?", "neuromod/libneuromod"))
      local prefix = template:match("^(.*)/lib/lua/[^/]+/%?%.so$")
      if prefix then candidates[#candidates + 1] = prefix .. "/lib/libneuromod.so" end
    end
  end
  for _, path in ipairs(candidates) do
    if exists(path) then
      local ok, lib = pcall(ffi.load, path)
      if ok then return lib, path end
      tried[#tried + 1] = path .. " (" .. tostring(lib) .. ")"
    else
      tried[#tried + 1] = path .. " (no such file)"
    end
  end
  local ok, lib = pcall(ffi.load, "neuromod")
  if ok then return lib, "neuromod" end
  tried[#tried + 1] = "neuromod via the system loader (" .. tostring(lib) .. ")"
  error("neuromod.ffi: cannot find libneuromod (build it with `make`, or set NEUROMOD_LIB to its path); tried:\n  "
        .. table.concat(tried, "\n  "), 3)
end

local C, libpath = load_library()
local version = ffi.string(C.nm_version())
-- The binding reads the config by field name, so it works with any library that has the by-name API; an
-- older one lacks it (the version number lives in c/neuromod.h alone).
if not pcall(function() return C.nm_config_field_count end) then
  error("neuromod.ffi: " .. libpath .. " is libneuromod " .. version .. ", which lacks the config-by-name API " ..
        "this binding needs; rebuild it with `make`", 2)
end

---------------------------------------------------------------------------------------------------------
-- Shared helpers
---------------------------------------------------------------------------------------------------------
local istype, sizeof, fstring = ffi.istype, ffi.sizeof, ffi.string
local type, rawget, tonumber, select, error, format = type, rawget, tonumber, select, error, string.format
local floor, tobit = math.floor, bit.tobit

local AgentT = ffi.typeof("nm_lua_agent")
local VecT = ffi.typeof("nm_lua_vector")
local RngT = ffi.typeof("nm_rng")
local PopT = ffi.typeof("nm_lua_population")

-- scratch buffers (a Lua state is single-threaded; none is held across a call)
local act_out = ffi.new("int[1]")
local i64_out = ffi.new("int64_t[1]")
-- int64 results read as two 32-bit halves (numbers): reading an int64 directly would box a cdata
local i64_lo = ffi.cast("uint32_t *", i64_out) + (ffi.abi("le") and 0 or 1)
local i64_hi = ffi.cast("int32_t *", i64_out) + (ffi.abi("le") and 1 or 0)
local modstate = ffi.new("nm_modulator_state")
local tensor_info = ffi.new("nm_tensor_info")
local value_buf = ffi.new("float[1]")
local agent_out = ffi.new("nm_agent *[1]")
local msg_buf = ffi.new("char[512]")
local ptr_box = ffi.new("const float *[1]")

-- luaL_typename: what the C-API module's "(got %s)" messages print; our cdata objects are userdata there.
local function typename(v)
  local t = type(v)
  if t == "cdata" and (istype(AgentT, v) or istype(VecT, v) or istype(RngT, v) or istype(PopT, v)) then return "userdata" end
  return t
end

-- luaL_typeerror's name for a value: the __name of its metatable when it has one.
local function tname(v)
  if v == nil then return "nil" end
  if type(v) == "cdata" then
    if istype(AgentT, v) then return "neuromod.agent" end
    if istype(VecT, v) then return "neuromod.vector" end
    if istype(RngT, v) then return "neuromod.rng" end
    if istype(PopT, v) then return "neuromod.population" end
  end
  local mt = getmetatable(v)
  if type(mt) == "table" and type(rawget(mt, "__name")) == "string" then return rawget(mt, "__name") end
  return type(v)
end

-- luaL_argerror for argument arg of an API function F, raised at F's caller. depth counts the helper
-- frames between F and argerror (0 when F calls argerror itself).
local function argerror(depth, arg, extramsg)
  local ar = debug.getinfo(2 + depth, "n")
  local name = ar and ar.name
  if ar and ar.namewhat == "method" then
    arg = arg - 1
    if arg == 0 then error(format("calling '%s' on bad self (%s)", tostring(name), extramsg), 3 + depth) end
  end
  error(format("bad argument #%d to '%s' (%s)", arg, name or "?", extramsg), 3 + depth)
end

-- The value of luaL_optnumber (a helper of an API function).
local function optnumber(v, arg, dflt)
  if v == nil then return dflt end
  local x = v
  if type(x) == "string" then x = tonumber(x) end
  if type(x) ~= "number" then argerror(1, arg, "number expected, got " .. tname(v)) end
  return x
end

---------------------------------------------------------------------------------------------------------
-- Configs by field name (as lneuromod.c's config functions): a config is an opaque block of
-- nm_config_size() bytes, held as a uint64_t array so that it is aligned for every field.
---------------------------------------------------------------------------------------------------------
local CFG_WORDS = math.ceil(tonumber(C.nm_config_size()) / 8)
local double_out = ffi.new("double[1]")
local u64_out = ffi.new("uint64_t[1]")
local U64_2_53 = ffi.cast("uint64_t", 2^53)
local function cfg_ptr(c) return ffi.cast("nm_agent_config *", c) end

local KINDS = { [0] = "count", "u64", "real", "enum", "mask", "index" }
local function labels(p, n)
  if p == nil then return nil end
  local t = {}
  for i = 0, n - 1 do t[i + 1] = fstring(p[i]) end
  return t
end

local function fields()
  local out = {}
  for i = 0, tonumber(C.nm_config_field_count()) - 1 do
    local f = C.nm_config_field_at(i)
    local rows, cols = tonumber(f.rows), tonumber(f.cols)
    out[i + 1] = {
      name = fstring(f.name), option = fstring(f.option), kind = KINDS[f.kind], rows = rows, cols = cols,
      row_labels = labels(f.row_labels, rows), col_labels = labels(f.col_labels, cols),
      values = labels(f.values, tonumber(f.n_values)), expect = fstring(f.expect), doc = fstring(f.doc),
      lo = f.lo, hi = f.hi,
      flags = { required = bit.band(f.flags, 1) ~= 0, split = bit.band(f.flags, 2) ~= 0,
                structural = bit.band(f.flags, 32) ~= 0 },
    }
  end
  return out
end

local function config_new(from)
  local c = ffi.new("uint64_t[?]", CFG_WORDS)
  if from ~= nil then ffi.copy(c, from, C.nm_config_size()) else C.nm_agent_config_default(cfg_ptr(c)) end
  return c
end

-- config_set(cfg, name, index0, value) -> true | nil, message: a string sets an ENUM by name; a
-- non-negative integer goes through the exact 64-bit setter
local function config_set(c, name, index, v)
  local st
  if type(v) == "string" then st = C.nm_config_set_value(cfg_ptr(c), name, index, v, msg_buf, 512)
  elseif type(v) == "number" and v >= 0 and v == floor(v) and v < 2^64 then
    st = C.nm_config_set_u64(cfg_ptr(c), name, index, v, msg_buf, 512)
  else st = C.nm_config_set(cfg_ptr(c), name, index, v, msg_buf, 512) end
  if st ~= 0 then return nil, fstring(msg_buf) end
  return true
end

-- config_get(cfg, name, index0) -> a float, an integer, or an ENUM's value name; a 64-bit value beyond 2^53
-- comes as its decimal string
local function config_get(c, name, index)
  local f = C.nm_config_field_find(name)
  if f == nil or C.nm_config_get(cfg_ptr(c), name, index, double_out) ~= 0 then
    error(format("config_get: no element %d of field '%s'", index, name), 2)
  end
  if f.kind == 3 then return fstring(C.nm_config_get_value(cfg_ptr(c), name, index)) end
  if f.kind == 2 or f.kind == 5 then return double_out[0] end   -- a float, or an index (-1: none)
  C.nm_config_get_u64(cfg_ptr(c), name, index, u64_out)
  local u = u64_out[0]
  if u < U64_2_53 then return tonumber(u) end
  return (tostring(u):gsub("ULL$", ""))
end

local function config_number(c, name, index)
  C.nm_config_get(c, name, index, double_out)
  return double_out[0]
end

---------------------------------------------------------------------------------------------------------
-- Agents
--
-- An agent is a small cdata struct {_id, _n (n_obs), _k (n_actions)} with a metatype. Its nm_agent
-- pointer and its observation buffer are cdata objects created once and kept in PTR[_id] and BUF[_id]:
-- reading them back returns the same objects, so a step creates no cdata even when LuaJIT runs it in
-- the interpreter (reading a pointer field of a struct would box a new cdata every time). _id 0 means
-- closed; ids are recycled only after close or finalization, when the old object no longer points at it.
---------------------------------------------------------------------------------------------------------
local methods = {}
local PTR, BUF = {}, {}
local free_ids, next_id = {}, 1

-- copy(buf, obs) -> 0, or the index of the first element that is not a number. For up to UNROLL inputs
-- the copy is generated without a loop: an inner loop in the step would split LuaJIT's trace of the
-- caller's loop into several linked traces, which costs more than the copy itself.
local UNROLL = 32
local copiers = {}
local function copier(n)
  local f = copiers[n]
  if f then return f end
  if n > UNROLL then
    f = function(buf, obs)
      for i = 1, n do
        local x = rawget(obs, i)
        if type(x) ~= "number" then return i end
        buf[i - 1] = x
      end
      return 0
    end
  else
    local src = { "local rawget, type = ...\nreturn function(buf, obs)\n  local x\n" }
    for i = 1, n do
      src[#src + 1] = format("  x = rawget(obs, %d) if type(x) ~= 'number' then return %d end buf[%d] = x\n", i, i, i - 1)
    end
    src[#src + 1] = "  return 0\nend\n"
    f = assert((loadstring or load)(table.concat(src), "=neuromod.ffi copy" .. n))(rawget, type)
  end
  copiers[n] = f
  return f
end

local function release(a)
  local id = a._id
  if id == 0 then return end
  a._id = 0
  C.nm_agent_free(PTR[id])
  PTR[id], BUF[id] = nil, nil
  free_ids[#free_ids + 1] = id
end

local function wrap(ptr)
  local cfg = C.nm_agent_get_config(ptr)
  local n, k = config_number(cfg, "n_obs", 0), config_number(cfg, "n_actions", 0)
  local buf = ffi.new("float[?]", n)
  copier(n)
  local id = table.remove(free_ids)
  if not id then id, next_id = next_id, next_id + 1 end
  local a = AgentT()
  a._id, a._n, a._k = id, n, k
  PTR[id], BUF[id] = ptr, buf
  return ffi.gc(a, release)
end

-- Returns the agent's nm_agent pointer; raises at the method's caller (level 3) for a bad or closed self.
local function check_agent(self, method)
  if not istype(AgentT, self) then
    error(format("agent:%s: self is not an agent (use agent:%s, not agent.%s)", method, method, method), 3)
  end
  local p = PTR[self._id]
  if p == nil then error("agent:" .. method .. ": the agent is closed", 3) end
  return p
end

-- Cache of the last FFI array/pointer type seen as an observation: kind "ptr" (no length), "fixed"
-- (length n) or "vla" (length from ffi.sizeof per call). Alternating between two array types works but
-- re-inspects the type every call.
local obs_ct, obs_kind, obs_len = nil, nil, 0
local last_vla, last_vla_len = nil, 0

local function classify_cdata(obs, method, what, level)
  if typename(obs) == "userdata" then -- an agent or an nm.rng: the C-API module's message
    error(format("agent:%s: %s: expected a table of numbers or an nm.vector, got userdata", method, what), level)
  end
  ptr_box[0] = nil
  local ok = pcall(function() ptr_box[0] = obs end)
  local ct = ffi.typeof(obs)
  local s = tostring(ct)
  if not ok or s:find("&", 1, true) and not s:find("%[") then
    error(format("agent:%s: %s: expected a table of numbers, an nm.vector or a float array, got %s", method,
                 what, s), level)
  end
  local n = s:match("%[(%d+)%]")
  if n then obs_ct, obs_kind, obs_len = ct, "fixed", tonumber(n)
  elseif s:find("[?]", 1, true) then obs_ct, obs_kind, obs_len = ct, "vla", 0
  else obs_ct, obs_kind, obs_len = ct, "ptr", 0 end
end

-- Reads an observation argument. Returns how to pass it to C: BUF (a table, copied into the agent's
-- buffer), VEC (an nm.vector) or RAW (an FFI float array or pointer, passed as it is). Raises at the API
-- method's caller (level 3). nargs: how many arguments the method got after self (0: "no value").
local BUF_K, VEC_K, RAW_K = 0, 1, 2

local function read_obs(self, obs, method, what, nargs, level)
  level = level or 3
  local n = self._n
  if type(obs) == "table" then
    local len = #obs
    if len ~= n then error(format("agent:%s: %s has %d values, expected %d", method, what, len, n), level) end
    local bad = copiers[n](BUF[self._id], obs)
    if bad ~= 0 then
      error(format("agent:%s: %s[%d] is not a number (got %s)", method, what, bad, typename(rawget(obs, bad))), level)
    end
    return BUF_K
  end
  if type(obs) == "cdata" then
    if istype(VecT, obs) then
      local len = obs._n
      if len ~= n then error(format("agent:%s: %s has %d values, expected %d", method, what, len, n), level) end
      return VEC_K
    end
    if obs_ct == nil or not istype(obs_ct, obs) then classify_cdata(obs, method, what, level + 1) end
    local len = obs_len
    if obs_kind == "vla" then
      -- ffi.sizeof of a VLA is not compiled: remember the length of the last VLA seen
      if not rawequal(obs, last_vla) then last_vla, last_vla_len = obs, sizeof(obs) / 4 end
      len = last_vla_len
    elseif obs_kind == "ptr" then
      len = n
    end
    if len ~= n then error(format("agent:%s: %s has %d values, expected %d", method, what, len, n), level) end
    return RAW_K
  end
  error(format("agent:%s: %s: expected a table of numbers or an nm.vector, got %s", method, what,
               nargs == 0 and "no value" or typename(obs)), level)
end

-- The float pointer C gets for an observation read by read_obs (for the methods off the hot path).
local function obs_pointer(self, kind, obs)
  if kind == BUF_K then return BUF[self._id] end
  if kind == VEC_K then return obs._v end
  return obs
end

-- act and learn take varargs only to tell a missing argument ("no
-- value", as the C-API module says) from nil; LuaJIT compiles them as fast as fixed arguments.
function methods.act(self, ...)
  local obs = ...
  local p = check_agent(self, "act")
  local k = read_obs(self, obs, "act", "obs", select("#", ...))
  local status
  if k == BUF_K then status = C.nm_agent_act(p, BUF[self._id], self._n, act_out)
  elseif k == VEC_K then status = C.nm_agent_act(p, obs._v, self._n, act_out)
  else status = C.nm_agent_act(p, obs, self._n, act_out) end
  if status ~= 0 then error("agent:act: " .. fstring(C.nm_agent_error(p)), 2) end
  return act_out[0]
end

function methods.learn(self, ...)
  local reward, next_obs, terminal, truncated = ...
  local p = check_agent(self, "learn")
  if type(reward) ~= "number" then
    error("agent:learn: reward is not a number (got " .. (select("#", ...) == 0 and "no value" or typename(reward))
          .. ")", 2)
  end
  if terminal ~= nil and terminal ~= true and terminal ~= false then
    error("agent:learn: terminal: expected a boolean or nil, got " .. typename(terminal), 2)
  end
  if truncated ~= nil and truncated ~= true and truncated ~= false then
    error("agent:learn: truncated: expected a boolean or nil, got " .. typename(truncated), 2)
  end
  local status
  local term = (terminal and 1 or 0) + (truncated and 2 or 0)
  if term ~= 1 or next_obs ~= nil then
    if next_obs == nil then error("agent:learn: next_obs is missing (only a terminal step may omit it)", 2) end
    local k = read_obs(self, next_obs, "learn", "next_obs", 2)
    if k == BUF_K then status = C.nm_agent_learn(p, reward, BUF[self._id], self._n, term)
    elseif k == VEC_K then status = C.nm_agent_learn(p, reward, next_obs._v, self._n, term)
    else status = C.nm_agent_learn(p, reward, next_obs, self._n, term) end
  else
    status = C.nm_agent_learn(p, reward, nil, 0, term)
  end
  if status ~= 0 then error("agent:learn: " .. fstring(C.nm_agent_error(p)), 2) end
end

function methods.close(self)
  if not istype(AgentT, self) then argerror(0, 1, "neuromod.agent expected, got " .. tname(self)) end
  if self._id ~= 0 then
    ffi.gc(self, nil)
    release(self)
  end
end

function methods.is_closed(self)
  if not istype(AgentT, self) then argerror(0, 1, "neuromod.agent expected, got " .. tname(self)) end
  return self._id == 0
end

-- save(path): common.lua has checked the path
function methods.save(self, path)
  local p = check_agent(self, "save")
  if C.nm_agent_save(p, path) ~= 0 then return nil, fstring(C.nm_agent_error(p)) end
  return true
end

function methods.reset(self)
  C.nm_agent_reset_traces(check_agent(self, "reset"))
end

-- freeze, frozen, _set_context, _context: common.lua checks the arguments
function methods.freeze(self, on)
  C.nm_agent_freeze(check_agent(self, "freeze"), on and 1 or 0)
end

function methods.frozen(self)
  return C.nm_agent_frozen(check_agent(self, "frozen")) ~= 0
end

function methods._set_context(self, id)
  local p = check_agent(self, "context")
  if C.nm_agent_set_context(p, id) ~= 0 then return nil, fstring(C.nm_agent_error(p)) end
  return true
end

function methods._context(self)
  return tonumber(C.nm_agent_context(check_agent(self, "context")))
end

-- modstate as flat arrays: floats level 0..3, phasic 4..7, tonic 8..11, params 12..19, surprise 20;
-- the signals after steps by field name;
-- steps (uint64 at byte 88) as two 32-bit halves, read as numbers (no boxed cdata)
local modstate_f = ffi.cast("float *", modstate)
local modstate_u = ffi.cast("uint32_t *", modstate)
local STEPS_LO = ffi.offsetof("nm_modulator_state", "steps") / 4 + (ffi.abi("le") and 0 or 1)
local STEPS_HI = ffi.offsetof("nm_modulator_state", "steps") / 4 + (ffi.abi("le") and 1 or 0)

local function fill_floats(t, key, off, n)
  local dst = t[key]
  if type(dst) ~= "table" then
    dst = {}
    t[key] = dst
  end
  for i = 1, n do dst[i] = modstate_f[off + i - 1] end
end

local fill_modstate
function methods._modstate(self, t)
  fill_modstate(check_agent(self, "modulators"), t)
end

function fill_modstate(p, t)
  C.nm_agent_get_modulators(p, modstate)
  fill_floats(t, "level", 0, 4)
  fill_floats(t, "phasic", 4, 4)
  fill_floats(t, "tonic", 8, 4)
  fill_floats(t, "params", 12, 8)
  t.surprise = modstate_f[20]
  local hi = modstate_u[STEPS_HI]
  -- exact as a number below 2^53; beyond, the decimal string (as config_get gives a seed)
  if hi < 2097152 then t.steps = hi * 4294967296 + modstate_u[STEPS_LO]
  else t.steps = (tostring(modstate.steps):gsub("ULL$", "")) end
  local sig = t.signals
  if type(sig) ~= "table" then sig = {}; t.signals = sig end
  local m = modstate
  sig.surprise, sig.expected, sig.unexpected = modstate_f[20], tonumber(m.expected), tonumber(m.unexpected)
  sig.changepoint, sig.outlier_rate = tonumber(m.changepoint), tonumber(m.outlier_rate)
  sig.reward_short, sig.reward_long = tonumber(m.reward_short), modstate_f[8]
  sig.reward_variance, sig.utility_drop = tonumber(m.reward_variance), tonumber(m.utility_drop)
end

-- agent:levels() -> DA (the latest TD error), NA, ACh, 5HT; agent:meta() -> the eight meta-parameters in
-- nm.param_names order. Plain return values: the per-step logging path, no table touched.
function methods.levels(self)
  C.nm_agent_get_modulators(check_agent(self, "levels"), modstate)
  return modstate_f[0], modstate_f[1], modstate_f[2], modstate_f[3]
end

function methods.meta(self)
  C.nm_agent_get_modulators(check_agent(self, "meta"), modstate)
  return modstate_f[12], modstate_f[13], modstate_f[14], modstate_f[15], modstate_f[16], modstate_f[17],
         modstate_f[18], modstate_f[19]
end

-- Primitives for common.lua, which checks the arguments and words the errors.
-- agent:_floats(what [, layer0]) -> "attention" (n_obs floats) or the "gain" of trunk layer layer0 | nil, message
local function floats_table(buf, n)
  local t = {}
  for i = 1, n do t[i] = buf[i - 1] end
  return t
end

function methods._floats(self, what, layer)
  local p = check_agent(self, "_floats")
  if what == "gain" then
    local c = C.nm_agent_get_config(p)
    local n = layer < config_number(c, "n_layers", 0) and config_number(c, "hidden", layer) or 0
    local buf = ffi.new("float[?]", math.max(n, 1))
    if C.nm_agent_gain(p, layer, buf, n) ~= 0 then return nil, fstring(C.nm_agent_error(p)) end
    return floats_table(buf, n)
  end
  local buf, n = BUF[self._id], self._n
  C.nm_agent_attention(p, buf, n)
  return floats_table(buf, n)
end

-- agent:_set_param(i0, value) -> true | nil
function methods._set_param(self, i, v)
  local p = check_agent(self, "set_param")
  if i < 0 or i >= tonumber(C.nm_agent_param_count(p)) then return nil end
  C.nm_agent_params(p)[i] = v
  return true
end

-- agent:_tensor(i0) -> name, offset0, rows, cols | nil past the last
function methods._tensor(self, i)
  local p = check_agent(self, "tensors")
  if i < 0 or C.nm_agent_tensor(p, i, tensor_info) ~= 0 then return nil end
  return fstring(tensor_info.name), tonumber(tensor_info.offset), tonumber(tensor_info.rows), tonumber(tensor_info.cols)
end

-- agent:_obs(method, obs): reads an observation into the agent's buffer for _evaluate or _gradient; a bad one
-- raises at the caller of common.lua's method
function methods._obs(self, method, ...)
  local obs = ...
  check_agent(self, method)
  local k = read_obs(self, obs, method, "obs", select("#", ...), 4)
  if k ~= BUF_K then ffi.copy(BUF[self._id], obs_pointer(self, k, obs), 4 * self._n) end
end

-- agent:_evaluate() -> probs, value | nil, message, for the observation _obs read
function methods._evaluate(self)
  local p = check_agent(self, "evaluate")
  local k = self._k
  local probs = ffi.new("float[?]", k)
  if C.nm_agent_evaluate(p, BUF[self._id], self._n, probs, value_buf) ~= 0 then
    return nil, fstring(C.nm_agent_error(p))
  end
  return floats_table(probs, k), value_buf[0]
end

-- agent:_gradient(action, w_logpi, w_value) -> gradient | nil, message, for the observation _obs read
function methods._gradient(self, action, w1, w2)
  local p = check_agent(self, "gradient")
  local n = tonumber(C.nm_agent_param_count(p))
  local g = ffi.new("float[?]", math.max(n, 1))
  if action < -2^31 or action >= 2^31 then return nil, "action out of range" end
  if C.nm_agent_gradient(p, BUF[self._id], self._n, action, w1, w2, g) ~= 0 then
    return nil, fstring(C.nm_agent_error(p))
  end
  return floats_table(g, n)
end

function methods._config(self)
  return config_new(C.nm_agent_get_config(check_agent(self, "config")))
end

function methods.kernel_set(self)
  return ffi.string(C.nm_agent_kernel_set(check_agent(self, "kernel_set")))
end

function methods.state_hash(self)
  local h = C.nm_agent_state_hash(check_agent(self, "state_hash"))
  local hi = tonumber(h / 4294967296) -- uint64 arithmetic (the number is converted to uint64)
  local lo = tonumber(h % 4294967296)
  return format("%08x%08x", hi, lo)
end

function methods.params(self)
  local p = check_agent(self, "params")
  return floats_table(C.nm_agent_params(p), tonumber(C.nm_agent_param_count(p)))
end

local function address(x) return (tostring(ffi.cast("void *", x)):match("0x%x+") or "?") end

ffi.metatype(AgentT, {
  __index = methods,
  __tostring = function(self)
    if self._id == 0 then return "neuromod agent (closed)" end
    return format("neuromod agent (%d inputs, %d actions): %s", self._n, self._k, address(self))
  end,
})

---------------------------------------------------------------------------------------------------------
-- nm.rng
---------------------------------------------------------------------------------------------------------
-- rng(seed): common.lua has checked the seed
local function rng(seed)
  local r = RngT()
  C.nm_rng_seed(r, ffi.cast("int64_t", seed))
  return r
end

-- int_arg of lneuromod.c: an integral number within +-2^53 (argument index i counts from 1 after self)
local function int_arg(v, i)
  if type(v) ~= "number" or v ~= floor(v) then error(format("rng:random: argument #%d must be an integer", i), 3) end
  if not (v >= -2^53 and v <= 2^53) then
    error(format("rng:random: argument #%d must be an integer in [-2^53, 2^53], got %.14g", i, v), 3)
  end
  return v
end

local rng_methods = {}

function rng_methods.random(self, ...)
  if not istype(RngT, self) then argerror(0, 1, "neuromod.rng expected, got " .. tname(self)) end
  local n = select("#", ...)
  if n == 0 then return C.nm_rng_uniform(self) end
  local lo, hi
  if n == 1 then
    lo, hi = 1, int_arg((...), 1)
  elseif n == 2 then
    local a, b = ...
    lo, hi = int_arg(a, 1), int_arg(b, 2)
  else
    error(format("rng:random: expected 0, 1 or 2 arguments, got %d", n), 2)
  end
  if lo > hi then error(format("rng:random: interval [%d, %d] is empty", tobit(lo), tobit(hi)), 2) end
  C.nm_rng_range(self, lo, hi, i64_out)
  return i64_hi[0] * 4294967296 + i64_lo[0]
end

function rng_methods.normal(self, mu, sigma)
  if not istype(RngT, self) then argerror(0, 1, "neuromod.rng expected, got " .. tname(self)) end
  mu = optnumber(mu, 2, 0.0)
  sigma = optnumber(sigma, 3, 1.0)
  if not (sigma >= 0.0) then error("rng:normal: sigma must be >= 0", 2) end
  return C.nm_rng_normal(self, mu, sigma)
end

ffi.metatype(RngT, {
  __index = rng_methods,
  __tostring = function(self) return "neuromod.rng: " .. address(self) end,
})

---------------------------------------------------------------------------------------------------------
-- nm.vector(n | table): a reusable float array for observations, a struct {_n, float _v[?]} (ffi.sizeof
-- of a variable-length object is not compiled by the JIT, so the length is stored). act/learn pass v._v
-- to C: once compiled this makes no garbage; interpreted, each such access boxes a 24-byte reference.
---------------------------------------------------------------------------------------------------------
local vector_methods = {}

-- vector(n): n zeros (common.lua has checked n and fills a vector made from a table)
local function vector(n)
  local v = VecT(n)
  v._n = n
  return v
end

ffi.metatype(VecT, {
  __index = function(v, i)
    if type(i) == "number" and i == floor(i) then
      local n = v._n
      if i < 1 or i > n then error(format("nm.vector: index %d out of range 1..%d", tobit(i), n), 2) end
      return v._v[i - 1]
    end
    return vector_methods[i]
  end,
  __newindex = function(v, i, x)
    if type(i) ~= "number" or i ~= floor(i) then error("nm.vector: index must be an integer", 2) end
    local n = v._n
    if i < 1 or i > n then error(format("nm.vector: index %d out of range 1..%d", tobit(i), n), 2) end
    if type(x) ~= "number" then error("nm.vector: value must be a number", 2) end
    v._v[i - 1] = x
  end,
  __len = function(v) return v._n end,
  __tostring = function(v) return "neuromod.vector: " .. address(v) end,
})

---------------------------------------------------------------------------------------------------------
-- Populations (nm.population): a small cdata struct {_id, _n (members), _d (n_obs)} as agents are; its
-- nm_population pointer and step buffers live in tables indexed by _id, so a step creates no cdata. Inputs
-- (obs, next_obs, rewards) may be Lua tables, nm.vectors or FFI float arrays (a float * cannot be
-- length-checked: it must hold the values); terminals a table of booleans or 0/1, an nm.vector or an int32_t
-- array; actions, given, a table, an nm.vector or an int32_t array, filled in place.
---------------------------------------------------------------------------------------------------------
local pop_methods = {}
local PPTR, POBS, PREW, PTERM, PACT, PFLT = {}, {}, {}, {}, {}, {}
local pop_free_ids, pop_next_id = {}, 1
local pop_out = ffi.new("nm_population *[1]")
local IntArrT, IntPtrT = ffi.typeof("int32_t[?]"), ffi.typeof("int32_t *")

local function pop_release(o)
  local id = o._id
  if id == 0 then return end
  o._id = 0
  C.nm_population_free(PPTR[id])
  PPTR[id], POBS[id], PREW[id], PTERM[id], PACT[id], PFLT[id] = nil, nil, nil, nil, nil, nil
  pop_free_ids[#pop_free_ids + 1] = id
end

local function pop_wrap(ptr)
  local n = tonumber(C.nm_population_size(ptr))
  local d = config_number(C.nm_agent_get_config(C.nm_population_agent(ptr, 0)), "n_obs", 0)
  local id = table.remove(pop_free_ids)
  if not id then id, pop_next_id = pop_next_id, pop_next_id + 1 end
  local o = PopT()
  o._id, o._n, o._d = id, n, d
  PPTR[id], POBS[id], PREW[id] = ptr, ffi.new("float[?]", n * d), ffi.new("float[?]", n)
  PTERM[id], PACT[id], PFLT[id] = ffi.new("int32_t[?]", n), ffi.new("int32_t[?]", n), ffi.new("float[?]", n)
  return ffi.gc(o, pop_release)
end

local function check_pop(self, method)
  if not istype(PopT, self) then
    error(format("pop:%s: self is not a population (use pop:%s, not pop.%s)", method, method, method), 3)
  end
  local p = PPTR[self._id]
  if p == nil then error("pop:" .. method .. ": the population is closed", 3) end
  return p
end

-- The float values of an input (a table, an nm.vector or a float array), copied into buf, which is returned:
-- one cdata type out keeps the step's trace free of boxed references (the copy costs little beside the step).
-- Raises at the API method's caller. The last float array type seen is cached, as read_obs does.
local farr_ct, farr_len, farr_last, farr_last_len = nil, nil, nil, 0
local function read_floats(x, n, buf, method, what, nargs)
  local t = type(x)
  if t == "table" then
    local len = #x
    if len ~= n then error(format("pop:%s: %s has %d values, expected %d", method, what, len, n), 3) end
    for i = 1, n do
      local v = rawget(x, i)
      if type(v) ~= "number" then
        error(format("pop:%s: %s[%d] is not a number (got %s)", method, what, i, typename(v)), 3)
      end
      buf[i - 1] = v
    end
    return buf
  end
  if t == "cdata" then
    if istype(VecT, x) then
      if x._n ~= n then error(format("pop:%s: %s has %d values, expected %d", method, what, x._n, n), 3) end
      ffi.copy(buf, x._v, 4 * n)   -- copied, not passed: a VLA field reference returned from here would be boxed
      return buf
    end
    if farr_ct == nil or not istype(farr_ct, x) then
      local s = tostring(ffi.typeof(x))
      if not s:match("^ctype<float [%[%*]") then
        error(format("pop:%s: %s: expected a table of numbers, an nm.vector or a float array, got %s", method, what, s), 3)
      end
      farr_ct = ffi.typeof(x)
      farr_len = s:match("%[(%d+)%]") and tonumber(s:match("%[(%d+)%]")) or (s:find("[?]", 1, true) and -1 or nil)
    end
    local len = farr_len
    if len == -1 then
      if not rawequal(x, farr_last) then farr_last, farr_last_len = x, sizeof(x) / 4 end
      len = farr_last_len
    end
    if len ~= nil and len ~= n then error(format("pop:%s: %s has %d values, expected %d", method, what, len, n), 3) end
    ffi.copy(buf, x, 4 * n)
    return buf
  end
  error(format("pop:%s: %s: expected a table of numbers or an nm.vector, got %s", method, what,
               nargs == 0 and "no value" or typename(x)), 3)
end

local function pop_step_error(p, n, method)
  local first, failed = nil, 0
  for k = 0, n - 1 do
    if C.nm_population_member_status(p, k) ~= 0 then first = first or k; failed = failed + 1 end
  end
  if not first then error("pop:" .. method .. ": " .. fstring(C.nm_population_error(p)), 3) end
  error(format("pop:%s: member %d: %s (%d member%s failed; the others stepped)", method, first + 1,
               fstring(C.nm_agent_error(C.nm_population_agent(p, first))), failed, failed == 1 and "" or "s"), 3)
end

function pop_methods.act(self, ...)
  local obs, actions = ...
  local p = check_pop(self, "act")
  local id, n = self._id, self._n
  local len = n * self._d
  local src = read_floats(obs, len, POBS[id], "act", "obs", select("#", ...))
  local out = PACT[id]
  local ta = type(actions)
  if actions ~= nil and ta ~= "table" and not (ta == "cdata" and (istype(VecT, actions) or istype(IntArrT, actions)
                                                                  or istype(IntPtrT, actions))) then
    error("pop:act: actions: expected a table, an nm.vector or an int32_t array, got " .. typename(actions), 2)
  end
  if ta == "cdata" and istype(VecT, actions) and actions._n ~= n then
    error(format("pop:act: actions has %d values, expected %d", actions._n, n), 2)
  end
  if C.nm_population_act(p, src, len, out, n) ~= 0 then pop_step_error(p, n, "act") end
  if actions == nil then
    actions = {}
    for k = 1, n do actions[k] = out[k - 1] end
  elseif ta == "table" then
    for k = 1, n do actions[k] = out[k - 1] end
  elseif istype(VecT, actions) then
    -- through a float scratch: a VLA field reference held across a loop would be boxed (garbage per step)
    local f = PFLT[id]
    for k = 0, n - 1 do f[k] = out[k] end
    ffi.copy(actions._v, f, 4 * n)
  else
    ffi.copy(actions, out, 4 * n)
  end
  return actions
end

function pop_methods.learn(self, ...)
  local rewards, next_obs, terminals = ...
  local p = check_pop(self, "learn")
  local id, n = self._id, self._n
  local rew = read_floats(rewards, n, PREW[id], "learn", "rewards", select("#", ...))
  local term, all = nil, 0
  if terminals ~= nil then
    local tt = type(terminals)
    term = PTERM[id]
    if tt == "table" then
      local len = #terminals
      if len ~= n then error(format("pop:learn: terminals has %d values, expected %d", len, n), 2) end
      for k = 1, n do
        local v = rawget(terminals, k)
        if v == true or v == 1 then term[k - 1] = 1
        elseif v == false or v == 0 then term[k - 1] = 0
        else error(format("pop:learn: terminals[%d]: expected a boolean or 0/1, got %s", k,
                          type(v) == "number" and tostring(v) or typename(v)), 2) end
      end
    elseif tt == "cdata" and istype(VecT, terminals) then
      if terminals._n ~= n then error(format("pop:learn: terminals has %d values, expected %d", terminals._n, n), 2) end
      local f = PFLT[id]
      ffi.copy(f, terminals._v, 4 * n)
      for k = 0, n - 1 do term[k] = f[k] ~= 0 and 1 or 0 end
    elseif tt == "cdata" and (istype(IntArrT, terminals) or istype(IntPtrT, terminals)) then
      term = terminals
    else
      error("pop:learn: terminals: expected a table of booleans, an nm.vector or nil, got " .. typename(terminals), 2)
    end
    for k = 0, n - 1 do if term[k] ~= 0 then all = all + 1 end end
  end
  local next, len = nil, 0
  if next_obs == nil then
    if all ~= n then error("pop:learn: next_obs is missing (only a step where every member is terminal may omit it)", 2) end
  else
    len = n * self._d
    next = read_floats(next_obs, len, POBS[id], "learn", "next_obs", 2)
  end
  if C.nm_population_learn(p, rew, n, next, len, term, term ~= nil and n or 0) ~= 0 then pop_step_error(p, n, "learn") end
end

function pop_methods.close(self)
  if not istype(PopT, self) then argerror(0, 1, "neuromod.population expected, got " .. tname(self)) end
  if self._id ~= 0 then
    ffi.gc(self, nil)
    pop_release(self)
  end
end

function pop_methods.is_closed(self)
  if not istype(PopT, self) then argerror(0, 1, "neuromod.population expected, got " .. tname(self)) end
  return self._id == 0
end

function pop_methods.size(self) check_pop(self, "size") return self._n end
function pop_methods.threads(self) return tonumber(C.nm_population_threads(check_pop(self, "threads"))) end

-- Primitives for population.lua, which checks the member number (0-based here).
function pop_methods._reset(self, k) C.nm_population_reset(check_pop(self, "reset"), k) end

function pop_methods._copy(self, k)
  local p = check_pop(self, "agent")
  if C.nm_population_copy_member(p, k, agent_out) ~= 0 then return nil, fstring(C.nm_population_error(p)) end
  return wrap(agent_out[0])
end

function pop_methods._replace(self, k, what)
  local p = check_pop(self, "replace")
  local st
  if istype(AgentT, what) then
    local a = PTR[what._id]
    if a == nil then return nil, "the agent is closed" end
    st = C.nm_population_replace_copy(p, k, a)
  elseif type(what) == "cdata" and istype(ffi.typeof("uint64_t[?]"), what) then
    if C.nm_agent_new(cfg_ptr(what), agent_out, msg_buf, 256) ~= 0 then return nil, fstring(msg_buf) end
    local fresh = agent_out[0]
    st = C.nm_population_replace(p, k, fresh)
    if st ~= 0 then C.nm_agent_free(fresh) end
  else
    return nil, "expected an agent or a table of options, got " .. typename(what)
  end
  if st ~= 0 then return nil, fstring(C.nm_population_error(p)) end
  return true
end

function pop_methods._config(self, k)
  return config_new(C.nm_agent_get_config(C.nm_population_agent(check_pop(self, "config"), k)))
end

function pop_methods._evaluate(self, k, ...)
  local p = check_pop(self, "evaluate")
  local d = self._d
  local na = config_number(C.nm_agent_get_config(C.nm_population_agent(p, k)), "n_actions", 0)
  local buf, probs = ffi.new("float[?]", d), ffi.new("float[?]", na)
  local src = read_floats((...), d, buf, "evaluate", "obs", select("#", ...))
  if C.nm_population_evaluate(p, k, src, d, probs, value_buf) ~= 0 then
    error(format("pop:evaluate: member %d: %s", k + 1, fstring(C.nm_agent_error(C.nm_population_agent(p, k)))), 2)
  end
  return floats_table(probs, na), value_buf[0]
end

-- pop:_modstate(k0, t): the flat arrays of agent:_modstate, from member k0 (common.lua's modulators words them)
function pop_methods._modstate(self, k, t)
  fill_modstate(C.nm_population_agent(check_pop(self, "modulators"), k), t)
end

function pop_methods._state_hash(self, k)
  local h = C.nm_agent_state_hash(C.nm_population_agent(check_pop(self, "state_hash"), k))
  return format("%08x%08x", tonumber(h / 4294967296), tonumber(h % 4294967296))
end

function pop_methods._save(self, path)
  local p = check_pop(self, "save")
  if C.nm_population_save(p, path) ~= 0 then return nil, fstring(C.nm_population_error(p)) end
  return true
end

ffi.metatype(PopT, {
  __index = pop_methods,
  __tostring = function(self)
    if self._id == 0 then return "neuromod population (closed)" end
    return format("neuromod population (%d members, %d inputs, %d threads): %s", self._n, self._d,
                  tonumber(C.nm_population_threads(PPTR[self._id])), address(self))
  end,
})

local function population_new(cfgs, threads)
  local n = #cfgs
  local arr = ffi.new("uint64_t[?]", math.max(n, 1) * CFG_WORDS)
  for k = 1, n do ffi.copy(arr + (k - 1) * CFG_WORDS, cfgs[k], CFG_WORDS * 8) end
  if C.nm_population_new_members(cfg_ptr(arr), n, threads, pop_out, msg_buf, 512) ~= 0 then
    return nil, fstring(msg_buf)
  end
  return pop_wrap(pop_out[0])
end

local function population_load(path, threads)
  if C.nm_population_load(path, threads, pop_out, msg_buf, 512) ~= 0 then return nil, fstring(msg_buf) end
  return pop_wrap(pop_out[0])
end

---------------------------------------------------------------------------------------------------------
-- The backend
---------------------------------------------------------------------------------------------------------
local backend = {
  version = version,
  typename = typename,
  agent_methods = methods,
  rng = rng,
  vector = vector,
  population_methods = pop_methods,
  population_new = population_new,
  population_load = population_load,
}

backend.fields, backend.config_new, backend.config_set, backend.config_get = fields, config_new, config_set, config_get

-- backend.new(cfg) -> agent | nil, "nm.agent: <message>"
function backend.new(c)
  if C.nm_agent_new(cfg_ptr(c), agent_out, msg_buf, 256) ~= 0 then
    return nil, "nm.agent: " .. fstring(msg_buf)
  end
  return wrap(agent_out[0])
end

-- backend.load(path) -> agent | nil, message (common.lua has checked the path)
function backend.load(path)
  if C.nm_agent_load(path, agent_out, msg_buf, 512) ~= 0 then return nil, fstring(msg_buf) end
  return wrap(agent_out[0])
end

registry[REGISTRY_KEY] = backend
return require("neuromod.common")(backend, "ffi")
