-- neuromod.common: the Lua API both backends share. Given a backend (the C-API module "neuromod.corelib" or
-- the FFI binding lua/neuromod/ffi.lua), builds the public module nm and every method of its objects written
-- in Lua. A binding is a thin set of primitives over the C library; everything else (options, argument checks
-- and their messages, the tables of modulators and signals, tostring) is written once, here and in the
-- modules this one requires: neuromod.options (options <-> config), neuromod.checks (argument errors) and
-- neuromod.population (nm.population and the population methods).
--
-- A backend provides:
--   version; field(i0), field_labels(i0, which) (the config's description); config_new([cfg]), config_set(cfg,
--   name, index0, value) -> true | nil, message, config_get(cfg, name, index0): the config by field name; new(cfg), load(path) -> agent | nil, message;
--   rng(seed) (an integer); vector(n) (n zeros); population_new({cfg, ...}, threads), population_load(path,
--   threads) -> population | nil, message; metatables { agent, population, rng, vector, config } (this file
--   adds __tostring), or under LuaJIT kind(x) -> "agent", "population", "rng", "vector", "config" or nil,
--   address(x) -> "0x...", array_len(x) -> n, -1 (a pointer) or nil, its type in words, int_array(x) and the
--   metatables; the method tables agent_methods and population_methods (this file and neuromod.population
--   extend them).
-- Agent primitives the user calls directly, each calling backend.raise(what, message, <its arguments>) when it
-- cannot do its job (neuromod.checks words the error): act, learn, close, is_closed, reset, frozen, levels,
-- meta, state_hash, kernel_set, params. Helpers called here once the arguments are checked: _config() (a
-- config handle); _modvalues() (the modulator state, 29 numbers, below); _save(path),
-- _freeze(on), _set_context(id), _context(), _floats("attention" | "gain", layer0, n), _set_param(i0, v),
-- _tensor(i0), _evaluate(obs), _gradient(obs, action, w_logpi, w_value) (-> result | nil, message).
-- rng:random and rng:normal, and v[i] and #v of vectors, are the binding's own.
local format = string.format

-- String context ids: a negative int the core keeps, and the strings seen, to give them back.
local context_names = {}
local function context_code(s)
  local h = 7
  for i = 1, #s do h = (h * 131 + s:byte(i)) % 2147483629 end   -- exact in doubles under both interpreters
  return -h - 1
end

local function is_integer(x) return type(x) == "number" and x == math.floor(x) and x > -2^53 and x < 2^53 end


-- _modvalues() returns 29 numbers: the levels (DA = the latest TD error), phasic and tonic parts of the four
-- modulators, the eight meta-parameters, surprise, steps (beyond 2^53 its decimal string), then the signals
-- after them by name (reward_long is the tonic DA part, the 9th).
local SIGNALS = { "surprise", 21, "expected", 23, "unexpected", 24, "changepoint", 25, "outlier_rate", 26,
                  "reward_short", 27, "reward_long", 9, "reward_variance", 28, "utility_drop", 29 }

-- fill(t, <the 29 numbers>) -> t, as agent:modulators gives it: generated once with the names as constants
-- (a loop over the name lists took Lua 5.4 twice the time of the C-API module's filler it replaced)
local function filler(MODULATORS, PARAMS)
  local args = {}
  for i = 1, 29 do args[i] = "v" .. i end
  local src = { "local type = type\nreturn function(out, " .. table.concat(args, ", ") .. ")\n" }
  local function add(...) src[#src + 1] = string.format(...) end
  for i, name in ipairs(MODULATORS) do add("  out[%q] = v%d\n", name, i) end
  for _, part in ipairs { { "levels", MODULATORS, 0 }, { "phasic", MODULATORS, 4 }, { "tonic", MODULATORS, 8 },
                          { "params", PARAMS, 12 }, { "signals" } } do
    local key, names, from = part[1], part[2], part[3]
    add("  local %s = out.%s\n  if type(%s) ~= 'table' then %s = {} out.%s = %s end\n", key, key, key, key, key, key)
    for i, name in ipairs(names or {}) do add("  %s[%q] = v%d\n", key, name, from + i) end
  end
  for i = 1, #SIGNALS, 2 do add("  signals.%s = v%d\n", SIGNALS[i], SIGNALS[i + 1]) end
  add("  out.surprise, out.steps = v21, v22\n  return out\nend\n")
  return assert((loadstring or load)(table.concat(src), "=neuromod modulators"))()
end

return function(backend, backend_name)
  -- The C-API module's objects are userdata told by their metatables; %p is the address tostring gives them
  if not backend.kind then
    local kinds = {}
    for kind, mt in pairs(backend.metatables) do kinds[mt] = kind end
    function backend.kind(x) return type(x) == "userdata" and kinds[getmetatable(x)] or nil end
    function backend.address(x) return format("%p", x) end
  end
  local O = require("neuromod.options")(backend)
  local K = require("neuromod.checks")(backend)
  local S = O.S
  local MODULATORS, PARAMS = S.modulators, S.params
  local typename = K.typename

  -- A context id as the core takes it (an integer 0 .. 2^31-1, or a string's code), or nil and the message that names
  -- the argument `what` of the call `who`
  local function context_of(id, who, what)
    if type(id) == "string" then
      local c = context_code(id)
      local seen = context_names[c]
      if seen and seen ~= id then return nil, who .. ": the ids '" .. seen .. "' and '" .. id .. "' collide; rename one" end
      context_names[c] = id
      return c
    elseif is_integer(id) and id >= 0 and id < 2^31 then
      return id
    end
    return nil, who .. ": " .. what .. ": expected an integer 0 .. 2^31-1 or a string, got " ..
                (type(id) == "number" and tostring(id) or typename(id))
  end
  local nm = {
    version = backend.version,
    backend = backend_name,
    modulator_names = MODULATORS,
    param_names = PARAMS,
    -- the library's limits, from its config description
    limits = { layers = S.max_layers, units = S.max_units },
  }
  local methods = backend.agent_methods

  -- An agent on a state space that needs encoding (see needs_encoding) is a proxy: every method of the agent,
  -- with act, learn, evaluate and gradient taking the space's own observations (an integer for a Discrete
  -- state, nil for none, nested tables for a Box of several dimensions) and encoding them into one reused table.
  local function encoding_agent(agent, enc)
    local buf, nbuf = {}, {}
    local proxy = { agent = agent, encoder = enc }
    local function encode(obs, out, method, what)
      local ok, e = pcall(enc.encode, obs, out)
      if not ok then error("agent:" .. method .. ": " .. what .. ": " .. tostring(e):gsub("^spaces: ", ""), 3) end
      return e
    end
    function proxy.act(_, obs) return agent:act(encode(obs, buf, "act", "obs")) end
    function proxy.learn(_, r, next_obs, terminal, truncated)
      if terminal and not truncated and next_obs == nil and enc.kind ~= "nil" then return agent:learn(r, nil, terminal) end
      return agent:learn(r, encode(next_obs, nbuf, "learn", "next_obs"), terminal, truncated)
    end
    function proxy.evaluate(_, obs) return agent:evaluate(encode(obs, {}, "evaluate", "obs")) end
    function proxy.gradient(_, obs, ...) return agent:gradient(encode(obs, {}, "gradient", "obs"), ...) end
    return setmetatable(proxy, {
      -- a forwarder is made once per method and kept, so a call per step makes no garbage
      __index = function(t, k)
        local m = methods[k]
        if type(m) ~= "function" then return nil end
        local f = function(_, ...) return m(agent, ...) end
        rawset(t, k, f)
        return f
      end,
      __tostring = function() return tostring(agent) .. " on " .. require("neuromod.spaces").describe(enc.space) end,
    })
  end

  function nm.agent(opts)
    local ok, cfg, encoder = pcall(O.normalize, opts)
    if not ok then error(type(cfg) == "table" and cfg[1] or cfg, 2) end
    local agent, err = backend.new(cfg)
    if not agent then error("nm.agent: " .. err, 2) end
    if encoder then return encoding_agent(agent, encoder) end
    return agent
  end

  function nm.load(path)
    if type(path) ~= "string" then error("nm.load: path: expected a string, got " .. type(path), 2) end
    if path:find("\0", 1, true) then error("nm.load: path: contains a NUL byte", 2) end
    return backend.load(path)
  end

  -- nm.defaults() -> the options of a default agent (obs and actions 0: they must be given)
  function nm.defaults() return O.options_of(backend.config_new()) end

  -- nm.config_fields() -> the library's description of every config field (name, option, kind, shape,
  -- labels, value names, accepted values in words, one line of doc)
  nm.config_fields = O.fields

  -- nm.study{ name, task, conditions, seeds, trials, measures, ... }: seeds x conditions as independent jobs
  -- (lua/neuromod/study.lua; required lazily, since it requires this module)
  function nm.study(def) return require("neuromod.study")(def) end
  -- the reference learners (Rescorla-Wagner, Q-learning), curricula and the Gymnasium-shaped adapter, each in a
  -- module of its own, required when first used
  function nm.baseline(opts) return require("neuromod.baseline").new(opts) end
  function nm.curriculum(def) return require("neuromod.curriculum").new(def) end
  function nm.gym(env, opts) return require("neuromod.gym").new(env, opts) end

  -- nm.rng(seed) and nm.vector(n | table): their arguments are checked here, once for both backends;
  -- backend.rng(seed) takes an integer, backend.vector(n) makes n zeros.
  -- Lua 5.4 tells integers from floats (nm.rng(2.0) is refused); LuaJIT has only doubles (accepted).
  local is_seed = math.type and function(x) return math.type(x) == "integer" end
                  or function(x) return x == math.floor(x) and x < 2^63 and x >= -2^63 end
  function nm.rng(...)
    local seed = ...
    if type(seed) ~= "number" then
      error("nm.rng: seed: expected an integer, got " .. (select("#", ...) == 0 and "no value" or typename(seed)), 2)
    end
    if not is_seed(seed) then error("nm.rng: seed must be an integer", 2) end
    return backend.rng(seed)
  end

  local rawlen = rawlen or function(t) return #t end   -- LuaJIT's # ignores __len on tables
  function nm.vector(arg)
    local n, max = nil, S.max_units
    local from_table = type(arg) == "table"
    if from_table then n = rawlen(arg)
    elseif type(arg) == "number" and arg == math.floor(arg) and arg > 0 then
      if arg > max then error(string.format("nm.vector: size must be 1..%d, got %.14g", max, arg), 2) end
      n = arg
    else error("nm.vector: expected a size > 0 or a table of numbers", 2) end
    if n == 0 or n > max then error(string.format("nm.vector: size must be 1..%d", max), 2) end
    local v = backend.vector(n)
    if from_table then
      for i = 1, n do
        local x = rawget(arg, i)
        if type(x) ~= "number" then error(string.format("nm.vector: [%d] is not a number", i), 2) end
        v[i] = x
      end
    end
    return v
  end

  -- Raises "agent:<method>: <problem>" at the caller of the method that calls check
  local function check(self, method)
    local m = K.self(self, "agent", method)
    if m then error(m, 3) end
  end
  local function raise(method, msg) error("agent:" .. method .. ": " .. msg, 3) end
  -- Argument errors in luaL_argerror's words, raised at the caller of the method (argerror, check_*, the method)
  local function argerror(method, n, msg) error(K.argerror(method, n, msg), 4) end
  local function check_integer(method, n, v, none, optional)
    if v == nil and optional then return nil end
    local x = type(v) == "string" and tonumber(v) or v
    if type(x) ~= "number" then argerror(method, n, "number expected, got " .. (none and "no value" or typename(v))) end
    if x ~= math.floor(x) or x >= 2^63 or x < -2^63 then argerror(method, n, "number has no integer representation") end
    return x
  end
  local function check_num(method, n, v, none, default)
    if v == nil and default ~= nil then return default end
    local x = type(v) == "string" and tonumber(v) or v
    if type(x) ~= "number" then argerror(method, n, "number expected, got " .. (none and "no value" or typename(v))) end
    return x
  end
  local function check_obs(self, method, obs, none)
    local m = K.obs(obs, K.n_obs(self), "agent:" .. method, "obs", none)
    if m then error(m, 3) end
  end

  local fill = filler(MODULATORS, PARAMS)

  -- agent:modulators([t]) -> t: DA (latest TD error), NA, ACh, 5HT (levels), levels, phasic, tonic (each by
  -- modulator name), params (by meta-parameter name), surprise, steps, and signals, what drives the modulators
  -- as of the latest learn: surprise, expected (the surprise expected for that state and action, ACh's input),
  -- unexpected (the part of it beyond na_threshold x the bar that na_expected names, NA's), changepoint (NA's
  -- CUSUM), outlier_rate, reward_short and reward_long (reward averages over tau_phasic.DA and tau_tonic.DA), reward_variance and
  -- utility_drop (how far reward_short sits below reward_long, NA's second input). Pass the same table every
  -- step to log without making garbage; agent:levels() and agent:meta() return the same numbers without a table.
  -- (_modvalues checks self, and raises at this method's caller.)
  function methods:modulators(out)
    if out ~= nil and type(out) ~= "table" then error(K.argerror("modulators", 1, "table expected, got " .. typename(out)), 2) end
    return fill(out or {}, methods._modvalues(self))
  end

  -- agent:_modstate(t): the same state as flat arrays level, phasic, tonic (4 each), params (8), and surprise,
  -- steps and signals (the form spec/support/trajectory.lua prints)
  function methods:_modstate(t)
    local v = { methods._modvalues(self) }
    for key, from in pairs { level = 0, phasic = 4, tonic = 8, params = 12 } do
      local a = type(t[key]) == "table" and t[key] or {}
      for i = 1, key == "params" and #PARAMS or #MODULATORS do a[i] = v[from + i] end
      t[key] = a
    end
    t.surprise, t.steps = v[21], v[22]
    t.signals = type(t.signals) == "table" and t.signals or {}
    for i = 1, #SIGNALS, 2 do t.signals[SIGNALS[i]] = v[SIGNALS[i + 1]] end
  end

  -- agent:attention() -> the per-input attention, an array of n_obs numbers
  function methods:attention()
    check(self, "attention")
    return (self:_floats("attention", 0, K.n_obs(self)))
  end

  -- agent:gain([layer]) -> the per-unit gain of trunk layer `layer` (default 1), an array of its width
  function methods:gain(...)
    local layer = check_integer("gain", 1, (...), false, true) or 1
    check(self, "gain")
    local cfg = self:_config()
    local layers = backend.config_get(cfg, "n_layers", 0)
    if layer < 1 or layer > layers then raise("gain", format("layer %d out of range 1..%d", layer, layers)) end
    local t, err = self:_floats("gain", layer - 1, backend.config_get(cfg, "hidden", layer - 1))
    if not t then raise("gain", err) end
    return t
  end

  -- agent:set_param(i, value): writes trainable float i (1-based, the order of agent:params())
  function methods:set_param(...)
    local nargs = select("#", ...)
    local i, v = ...
    i = check_integer("set_param", 1, i, nargs < 1)
    v = check_num("set_param", 2, v, nargs < 2)
    check(self, "set_param")
    if i < 1 or not self:_set_param(i - 1, v) then
      raise("set_param", format("index %d out of range 1..%d", i, #self:params()))
    end
  end

  -- agent:tensors() -> { { name, offset (1-based into agent:params()), rows, cols }, ... }
  function methods:tensors()
    check(self, "tensors")
    local t = {}
    local i = 0
    while true do
      local name, offset, rows, cols = self:_tensor(i)
      if not name then return t end
      i = i + 1
      t[i] = { name = name, offset = offset + 1, rows = rows, cols = cols }
    end
  end

  -- agent:evaluate(obs) -> probs (one per action), V(obs), without changing the agent
  function methods:evaluate(...)
    check(self, "evaluate")
    check_obs(self, "evaluate", (...), select("#", ...) == 0)
    local probs, value = self:_evaluate((...))
    if not probs then raise("evaluate", value) end
    return probs, value
  end

  -- agent:gradient(obs, action [, w_logpi = 1 [, w_value = 0]]) -> d(w_logpi log pi(action | obs) + w_value V(obs))/dtheta
  function methods:gradient(...)
    local nargs = select("#", ...)
    local obs, action, w1, w2 = ...
    check(self, "gradient")
    check_obs(self, "gradient", obs, nargs == 0)
    action = check_integer("gradient", 2, action, nargs < 2)
    w1, w2 = check_num("gradient", 3, w1, false, 1.0), check_num("gradient", 4, w2, false, 0.0)
    if action < -2^31 or action >= 2^31 then raise("gradient", "action out of range") end
    local g, err = self:_gradient(obs, action, w1, w2)
    if not g then raise("gradient", err) end
    return g
  end

  -- agent:save(path) -> true | nil, message (a NUL byte would cut the path short in C)
  function methods:save(...)
    local path = ...
    if type(path) ~= "string" then
      error("agent:save: path: expected a string, got " .. (select("#", ...) == 0 and "no value" or typename(path)), 2)
    end
    if path:find("\0", 1, true) then error("agent:save: path: contains a NUL byte", 2) end
    check(self, "save")
    return self:_save(path)
  end

  -- agent:freeze(on): true stops every synaptic change (the agent still acts, its modulators step and its
  -- context is still inferred); false resumes learning. agent:frozen() -> boolean.
  function methods:freeze(...)
    local on = ...
    if type(on) ~= "boolean" then
      error("agent:freeze: expected true or false, got " .. (select("#", ...) == 0 and "no value" or typename(on)), 2)
    end
    check(self, "freeze")
    self:_freeze(on)
  end

  -- agent:context(id) announces the context (an integer or a string); agent:context() -> the current one, given
  -- or inferred. A string is carried to the core as a negative integer, a 31-bit polynomial hash of it, and given
  -- back as the string when this process has seen it.
  function methods:context(...)
    local id = ...
    check(self, "context")
    if select("#", ...) == 0 then
      local c = self:_context()
      return context_names[c] or c
    end
    local c, m = context_of(id, "agent:context", "id")
    if not c then error(m, 2) end
    local ok, err = self:_set_context(c)
    if not ok then error("agent:context: " .. err, 2) end
  end

  -- agent:mapping() -> {learning_rate = {DA = .., NA = .., ACh = .., ["5HT"] = ..}, ...}
  function methods:mapping() return self:config().mapping end
  -- agent:interactions() -> {DA = {NA = .., ...}, ...}: the effective level of row k is scaled by
  -- exp(sum_j I[k][j] level_j)
  function methods:interactions() return self:config().interactions end

  -- agent:config() -> the options that rebuild this agent (nm.agent(agent:config()) gives a fresh twin)
  function methods:config()
    check(self, "config")
    return O.options_of(self:_config())
  end

  local address, mts = backend.address, backend.metatables
  mts.agent.__tostring = function(self)
    if self:is_closed() then return "neuromod agent (closed)" end
    local cfg = self:_config()
    return format("neuromod agent (%d inputs, %d actions): %s", backend.config_get(cfg, "n_obs", 0),
                  backend.config_get(cfg, "n_actions", 0), address(self))
  end
  mts.rng.__tostring = function(r) return "neuromod.rng: " .. address(r) end
  mts.vector.__tostring = function(v) return "neuromod.vector: " .. address(v) end

  -- nm.population and the population methods written in Lua (lua/neuromod/population.lua)
  require("neuromod.population")(nm, backend, { S = S, O = O, K = K, fill = fill, context_of = context_of,
                                                  context_name = function(c) return context_names[c] or c end })

  return nm
end
