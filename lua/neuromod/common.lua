-- neuromod.common: the Lua API both backends share. Given a backend (the C-API module "neuromod.corelib"
-- or the FFI binding), builds the public module: option checking and naming, presets, and the agent
-- methods written in Lua. Per-step methods (act, learn) stay in the backend, where they are fastest.
--
-- A backend provides: fields(), config_new(), config_set(cfg, name, index0, value) -> true | nil, message,
-- config_get(cfg, name, index0), new(cfg), load(path), rng(seed) (an integer), vector(n) (n zeros), version,
-- agent_methods (the table behind agents' __index, which this file extends), and on agents:
-- act, learn, close, is_closed, save, reset, _modstate(t), _config() (a config handle), state_hash,
-- params, set_param, tensors, evaluate, gradient.

-- The options come from the library's one description of the configuration (backend.fields(), from the
-- table NM_CONFIG_FIELDS in c/neuromod.h): which options exist, their shapes, names and value names. Range
-- checks and their messages are the core's (backend.config_set returns them); this file only turns Lua
-- values (spaces, name-keyed tables, presets) into elements.

-- Option errors travel as {message} so that nm.agent can raise them at its caller's position.
local function fail(msg) error({ "nm.agent: " .. msg }, 0) end

local function is_integer(x) return type(x) == "number" and x == math.floor(x) and x > -2^53 and x < 2^53 end

local function check_number(name, v)
  if type(v) ~= "number" then fail(name .. ": expected a number, got " .. type(v)) end
  if v ~= v then fail(name .. ": expected a number, got NaN") end
  if v == math.huge or v == -math.huge then fail(name .. ": expected a finite number") end
  return v
end

local function index_of(list) local t = {} for i, k in ipairs(list) do t[k] = i end return t end

-- obs = n | {name='Box', shape={...}}; actions = k | {name='Discrete', n=k}
local function space_size(name, v, kind)
  if type(v) == "number" then
    if not is_integer(v) then fail(name .. ": expected an integer, got " .. tostring(v)) end
    return v
  end
  if type(v) ~= "table" then
    fail(name .. ": expected a number or " .. (kind == "Box" and "a Box space" or "a Discrete space") ..
         ", got " .. type(v))
  end
  if v.name ~= kind then fail(name .. ": expected a " .. kind .. " space, got name = " .. tostring(v.name)) end
  if kind == "Discrete" then
    if not is_integer(v.n) then fail(name .. ": Discrete space needs an integer n") end
    return v.n
  end
  if type(v.shape) ~= "table" or #v.shape == 0 then fail(name .. ": Box space needs a shape, e.g. {3}") end
  local n = 1
  for i, d in ipairs(v.shape) do
    if not is_integer(d) or d < 1 then fail(name .. ": shape[" .. i .. "] must be a positive integer") end
    n = n * d
  end
  return n
end

-- Whether a state space needs neuromod.spaces in front of the agent: anything but a number or a flat Box with
-- bounds within [-1, 1] or infinite (every task in envs/ declares such a Box, and stays on the direct path).
local function needs_encoding(space)
  if space == nil then return true end
  if type(space) ~= "table" then return false end
  if space.name == "Discrete" then return true end
  if space.name ~= "Box" or type(space.shape) ~= "table" then return false end
  if #space.shape ~= 1 then return true end
  for _, which in ipairs { "low", "high" } do
    local b = space[which]
    local list = type(b) == "table" and b or { b }
    for _, x in ipairs(list) do
      if type(x) == "number" and x > -math.huge and x < math.huge and (x < -1 or x > 1) then return true end
    end
  end
  return false
end

-- The schema: the fields by option name, the meta-parameter options of a split field, the option list.
local function schema(backend)
  local fields = backend.fields()
  local by_name, by_option, split, options = {}, {}, {}, {}
  for _, f in ipairs(fields) do
    by_name[f.name] = f
    if f.flags.split then
      for i, label in ipairs(f.row_labels) do split[label] = { field = f, index = i - 1 }; options[label] = true end
    elseif f.option ~= "" then
      by_option[f.option] = f
      options[f.option] = true
    end
  end
  -- recurrent = n: the shorthand for one recurrent layer after the dense ones (not a config field)
  options.recurrent = true
  local S = { fields = fields, by_name = by_name, by_option = by_option, split = split, options = options }
  S.modulators = by_name.modulators.values
  S.params = by_name.base.row_labels
  S.max_layers = by_name.hidden.rows
  S.max_units = by_name.hidden.hi
  return S
end

-- Mapping presets beside the default. "doya" is Doya's (2002) one-to-one hypothesis: DA = TD error (the third
-- factor, always on), 5-HT -> discount, NA -> inverse temperature, ACh -> learning rate; "none" turns every
-- action off.
local PRESETS = {
  doya = { discount = { ["5HT"] = 1.5 }, inverse_temperature = { NA = -1.5 }, learning_rate = { ACh = 1.0 } },
  none = {},
}

-- String context ids: a negative int the core keeps, and the strings seen, to give them back.
local context_names = {}
local function context_code(s)
  local h = 7
  for i = 1, #s do h = (h * 131 + s:byte(i)) % 2147483629 end   -- exact in doubles under both interpreters
  return -h - 1
end
local GATING_ON = 0.2   -- gating = true: each context's gate keeps a fifth of the hidden units open (Masse et al. 2018)

local function normalize(backend, S, opts)
  if type(opts) ~= "table" then fail("expected a table of options, got " .. type(opts)) end
  for k in pairs(opts) do
    if not S.options[k] then fail("unknown option '" .. tostring(k) .. "'") end
  end
  local cfg = backend.config_new()
  local function set(name, index, v)
    local ok, err = backend.config_set(cfg, name, index, v)
    if not ok then fail(err) end
  end
  if opts.actions == nil then fail("actions is required (a number of actions or a Discrete space)") end
  -- obs: a number, or a state space. A flat Box whose bounds lie within [-1, 1] (or are infinite) is taken as it
  -- is; any other space (a Box of several dimensions or with wider finite bounds, a Discrete state, no state at
  -- all: obs = nil) is encoded by neuromod.spaces in front of the agent (see nm.agent).
  local encoder
  if needs_encoding(opts.obs) then
    local ok, enc = pcall(require("neuromod.spaces").encoder, opts.obs, "obs")
    if not ok then fail(tostring(enc):gsub("^spaces: ", "")) end
    encoder = enc
    set("n_obs", 0, enc.size)
  else
    set("n_obs", 0, space_size("obs", opts.obs, "Box"))
  end
  local n_actions = space_size("actions", opts.actions, "Discrete")
  set("n_actions", 0, n_actions)
  -- The withheld action (the one the serotonergic withhold bias goes to): a Discrete space names it in its field
  -- `withhold` (a 0-based action or false); a space that does not has none; plain numbers keep the core's
  -- default, action 0. The option withhold_action, below, overrides either.
  if type(opts.actions) == "table" and opts.withhold_action == nil then
    local w = opts.actions.withhold
    if w == nil or w == false then w = -1
    elseif not is_integer(w) or w < 0 or w >= n_actions then
      fail("actions.withhold: expected an action 0.." .. (n_actions - 1) .. " or false, got " .. tostring(w))
    end
    set("withhold_action", 0, w)
  end
  if opts.hidden ~= nil or opts.recurrent ~= nil then
    local h = opts.hidden
    if h == nil then h = { backend.config_get(cfg, "hidden", 0) } end   -- the default trunk
    if type(h) ~= "table" then fail("hidden: expected a list of layer sizes such as {64}, got " .. type(h)) end
    for k in pairs(h) do
      if not is_integer(k) or k < 1 or k > #h then fail("hidden: expected a list, got key " .. tostring(k)) end
    end
    local layers = {}
    for i, layer in ipairs(h) do layers[i] = { layer, "hidden[" .. i .. "]" } end
    -- recurrent = n | { n = n, tau = t }: one recurrent layer after those of hidden
    local r = opts.recurrent
    if r ~= nil then
      if type(r) == "table" then
        for k in pairs(r) do
          if k ~= "n" and k ~= "tau" then fail("recurrent: unknown layer option '" .. tostring(k) .. "'") end
        end
        r = { kind = "recurrent", n = r.n, tau = r.tau }
      elseif is_integer(r) then
        r = { kind = "recurrent", n = r }
      else
        fail("recurrent: expected a number of units or a table such as {n = 64, tau = 5}, got " ..
             (type(r) == "string" and ("the string '" .. r .. "'") or tostring(r)))
      end
      layers[#layers + 1] = { r, "recurrent" }
    end
    if #layers > S.max_layers then fail("hidden: at most " .. S.max_layers .. " layers, got " .. #layers) end
    set("n_layers", 0, #layers)
    -- a number is a dense layer; a table names its kind and options: { kind = "dense", n = 64 },
    -- { kind = "recurrent", n = 64, tau = 5 }
    for i, entry in ipairs(layers) do
      local layer, name = entry[1], entry[2]
      local n, kind, tau = layer, "dense", nil
      if type(layer) == "table" then
        for k in pairs(layer) do
          if k ~= "kind" and k ~= "n" and k ~= "tau" then fail(name .. ": unknown layer option '" .. tostring(k) .. "'") end
        end
        n, kind, tau = layer.n, layer.kind or "dense", layer.tau
        if type(kind) ~= "string" then fail(name .. ".kind: expected a string, got " .. type(kind)) end
      end
      if not is_integer(n) or n < 1 then
        fail(name .. (name == "recurrent" and ".n" or "") .. ": expected a positive integer, got " ..
             (type(n) == "string" and ("the string '" .. n .. "'") or tostring(n)))
      end
      set("hidden", i - 1, n)
      local ok, err = backend.config_set(cfg, "layer_kind", i - 1, kind)
      if not ok then fail(name .. ".kind: unknown layer kind '" .. kind .. "' (known: " ..
                          table.concat(S.by_name.layer_kind.values, ", ") .. ")") end
      if tau ~= nil then
        if kind ~= "recurrent" then fail(name .. ".tau: only a recurrent layer has a time constant") end
        check_number(name .. ".tau", tau)
        if not backend.config_set(cfg, "layer_tau", i - 1, tau) then
          fail(name .. ".tau: expected " .. S.by_name.layer_tau.expect .. ", got " .. tostring(tau))
        end
      end
    end
  end
  -- in the table's order, so that of several bad options the same one is named on every backend
  for _, f in ipairs(S.fields) do
    local option = f.option
    local v = opts[option]
    if f.flags.split then
      for i, label in ipairs(f.row_labels) do
        if opts[label] ~= nil then set(f.name, i - 1, check_number(label, opts[label])) end
      end
    elseif v ~= nil and option ~= "" and not f.flags.structural and option ~= "obs" and option ~= "actions" then
      if f.kind == "enum" and f.values[1] == "false" and f.values[2] == "true" then
        -- a yes/no option (deterministic): a boolean in Lua
        if type(v) ~= "boolean" then fail(option .. ": expected true or false, got " .. (type(v) == "string" and ("the string '" .. v .. "'") or tostring(v))) end
        set(f.name, 0, v and 1 or 0)
      elseif f.kind == "enum" then
        local ok, err = backend.config_set(cfg, f.name, 0, type(v) == "string" and v or -1)
        if not ok then fail(type(v) == "string" and err or (option .. ": expected " .. f.expect .. ", got " .. tostring(v))) end
      elseif f.kind == "index" then
        -- an index, or none: false (the core's -1)
        if v ~= false and not is_integer(v) then
          fail(option .. ": expected " .. f.expect .. ", got " .. (type(v) == "string" and ("the string '" .. v .. "'") or tostring(v)))
        end
        set(f.name, 0, v == false and -1 or v)
      elseif f.kind == "u64" then
        if type(v) ~= "number" or v ~= math.floor(v) or v < 0 then
          fail(option .. ": expected " .. f.expect .. ", got " .. (type(v) == "string" and ("the string '" .. v .. "'") or tostring(v)))
        end
        -- a Lua number holds integers exactly only below 2^53; a C host may set any 64-bit seed
        if v >= 2^53 then fail(option .. ": expected an integer below 2^53 (a Lua number is exact only there), got " .. string.format("%.0f", v)) end
        set(f.name, 0, v)
      elseif f.kind == "mask" then
        local bits
        if v == false or v == "none" then bits = 0
        elseif v == true or v == "all" then bits = 2 ^ #f.values - 1
        elseif type(v) == "table" then
          bits = 0
          local idx = index_of(f.values)
          for k, on in pairs(v) do
            local i = idx[k]
            if not i then fail(option .. ": unknown modulator '" .. tostring(k) .. "' (known: " .. table.concat(f.values, ", ") .. ")") end
            if type(on) ~= "boolean" then fail(option .. "." .. k .. ": expected true or false, got " .. type(on)) end
            if on then bits = bits + 2 ^ (i - 1) end
          end
        else
          fail(option .. ": expected a table such as {DA = true, NA = false}, 'all' or 'none', got " .. tostring(v))
        end
        set(f.name, 0, bits)
      elseif option == "gating" and type(v) == "boolean" then
        set(f.name, 0, v and GATING_ON or 0)
      elseif f.rows == 1 and f.cols == 1 then
        set(f.name, 0, check_number(option, v))
      elseif f.cols == 1 then
        -- a vector named by its row labels, such as tau_tonic = {NA = 100}
        if type(v) ~= "table" then fail(option .. ": expected a table such as {NA = 10}, got " .. type(v)) end
        local idx = index_of(f.row_labels)
        for k, x in pairs(v) do
          local i = idx[k]
          if not i then fail(option .. ": unknown modulator '" .. tostring(k) .. "' (known: " .. table.concat(f.row_labels, ", ") .. ")") end
          set(f.name, i - 1, check_number(option .. "." .. k, x))
        end
      else
        -- a matrix {row = {col = value}}; the mapping also takes a preset's name
        if type(v) == "string" and option == "mapping" then
          if v ~= "default" then
            local preset = PRESETS[v]
            if not preset then fail("mapping: unknown preset '" .. v .. "' (known: default, doya, none)") end
            for i = 0, f.rows * f.cols - 1 do set(f.name, i, 0) end
            v = preset
          else v = {} end
        end
        if type(v) ~= "table" then fail(option .. ": expected a table, got " .. type(v)) end
        local ridx, cidx = index_of(f.row_labels), index_of(f.col_labels)
        for r, row in pairs(v) do
          local ri = ridx[r]
          if not ri then fail(option .. ": unknown name '" .. tostring(r) .. "' (known: " .. table.concat(f.row_labels, ", ") .. ")") end
          if type(row) ~= "table" then fail(option .. "." .. r .. ": expected a table, got " .. type(row)) end
          for c, x in pairs(row) do
            local ci = cidx[c]
            if not ci then
              fail(option .. "." .. r .. ": unknown modulator '" .. tostring(c) .. "' (known: " .. table.concat(f.col_labels, ", ") .. ")")
            end
            set(f.name, (ri - 1) * f.cols + ci - 1, check_number(option .. "." .. r .. "." .. c, x))
          end
        end
      end
    end
  end
  return cfg, encoder
end

-- The options that rebuild a config (the inverse of normalize): agent:config() and nm.defaults().
local function options_of(backend, S, cfg)
  local get = backend.config_get
  local t = {}
  for _, f in ipairs(S.fields) do
    local option = f.option
    if f.flags.split then
      for i, label in ipairs(f.row_labels) do t[label] = get(cfg, f.name, i - 1) end
    elseif option == "obs" or option == "actions" then
      t[option] = get(cfg, f.name, 0)
    elseif f.name == "hidden" then
      local h = {}
      for i = 1, get(cfg, "n_layers", 0) do
        local kind = get(cfg, "layer_kind", i - 1)
        if kind == "dense" then h[i] = get(cfg, "hidden", i - 1)
        elseif kind == "recurrent" then
          h[i] = { kind = kind, n = get(cfg, "hidden", i - 1), tau = get(cfg, "layer_tau", i - 1) }
        else h[i] = { kind = kind, n = get(cfg, "hidden", i - 1) } end
      end
      t.hidden = h
    elseif option ~= "" and not f.flags.structural then
      if f.kind == "mask" then
        local bits, m = get(cfg, f.name, 0), {}
        for i, k in ipairs(f.values) do m[k] = math.floor(bits / 2 ^ (i - 1)) % 2 == 1 end
        t[option] = m
      elseif f.kind == "index" then
        local i = get(cfg, f.name, 0)
        t[option] = i >= 0 and i or false
      elseif f.kind == "enum" and f.values[1] == "false" and f.values[2] == "true" then
        t[option] = get(cfg, f.name, 0) == "true"
      elseif f.rows == 1 and f.cols == 1 then
        t[option] = get(cfg, f.name, 0)
      else
        local v = {}
        for r, rl in ipairs(f.row_labels) do
          if f.cols == 1 then v[rl] = get(cfg, f.name, r - 1)
          else
            local row = {}
            for c, cl in ipairs(f.col_labels) do row[cl] = get(cfg, f.name, (r - 1) * f.cols + c - 1) end
            v[rl] = row
          end
        end
        t[option] = v
      end
    end
  end
  return t
end

local function named_vector(flat, names, out)
  out = out or {}
  for i, n in ipairs(names) do out[n] = flat[i] end
  return out
end

return function(backend, backend_name)
  local S = schema(backend)
  local MODULATORS, PARAMS = S.modulators, S.params
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
    local ok, cfg, encoder = pcall(normalize, backend, S, opts)
    if not ok then error(type(cfg) == "table" and cfg[1] or cfg, 2) end
    local agent, err = backend.new(cfg)
    if not agent then error(err, 2) end
    if encoder then return encoding_agent(agent, encoder) end
    return agent
  end

  function nm.load(path)
    if type(path) ~= "string" then error("nm.load: path: expected a string, got " .. type(path), 2) end
    if path:find("\0", 1, true) then error("nm.load: path: contains a NUL byte", 2) end
    return backend.load(path)
  end

  -- nm.defaults() -> the options of a default agent (obs and actions 0: they must be given)
  function nm.defaults() return options_of(backend, S, backend.config_new()) end

  -- nm.config_fields() -> the library's description of every config field (name, option, kind, shape,
  -- labels, value names, accepted values in words, one line of doc)
  function nm.config_fields()
    local out = {}
    for i, f in ipairs(backend.fields()) do out[i] = f end
    return out
  end


  -- nm.study{ name, task, conditions, seeds, trials, measures, ... }: seeds x conditions as independent jobs
  -- (lua/neuromod/study.lua; required lazily, since it requires this module)
  function nm.study(def) return require("neuromod.study")(def) end
  -- the reference learners (Rescorla-Wagner, Q-learning), curricula and the Gymnasium-shaped adapter, each in a
  -- module of its own, required when first used
  function nm.baseline(opts) return require("neuromod.baseline").new(opts) end
  function nm.curriculum(def) return require("neuromod.curriculum").new(def) end
  function nm.gym(env, opts) return require("neuromod.gym").new(env, opts) end

  local typename = backend.typename or type

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
  -- luaL_argerror's words, raised `level` levels above the caller of this function
  local function argerror_at(level, method, n, msg)
    error(string.format("bad argument #%d to '%s' (%s)", n, method, msg), level + 1)
  end

  local raw = {}
  -- agent:modulators([t]) -> t: DA (latest TD error), NA, ACh, 5HT (levels), levels, phasic, tonic (each by
  -- modulator name), params (by meta-parameter name), surprise, steps, and signals, what drives the modulators
  -- as of the latest learn: surprise, expected (the surprise expected for that state and action, ACh's input),
  -- unexpected (the part of it beyond na_threshold x expected, NA's), changepoint (NA's CUSUM), outlier_rate,
  -- reward_short and reward_long (reward averages over tau_phasic.DA and tau_tonic.DA), reward_variance and
  -- utility_drop (how far reward_short sits below reward_long, NA's second input). Pass the same table every
  -- step to log without making garbage; agent:levels() and agent:meta() return the same numbers without a table.
  -- A backend may fill the table itself (_modulators, the C-API module's fast path).
  if methods._modulators then
    local fill = methods._modulators
    function methods:modulators(out)
      if out ~= nil and type(out) ~= "table" then argerror_at(2, "modulators", 1, "table expected, got " .. typename(out)) end
      return fill(self, out or {})
    end
  else function methods:modulators(out)
    if out ~= nil and type(out) ~= "table" then argerror_at(2, "modulators", 1, "table expected, got " .. typename(out)) end
    self:_modstate(raw)
    out = out or {}
    out.DA = raw.phasic[1]
    out.NA, out.ACh, out["5HT"] = raw.level[2], raw.level[3], raw.level[4]
    out.levels = named_vector(raw.level, MODULATORS, out.levels)
    out.levels.DA = raw.phasic[1]
    out.phasic = named_vector(raw.phasic, MODULATORS, out.phasic)
    out.tonic = named_vector(raw.tonic, MODULATORS, out.tonic)
    out.params = named_vector(raw.params, PARAMS, out.params)
    out.surprise, out.steps = raw.surprise, raw.steps
    local sig = out.signals or {}
    for k, v in pairs(raw.signals) do sig[k] = v end
    out.signals = sig
    return out
  end end

  -- Argument errors in the words of luaL_argerror ("bad argument #2 to 'gradient' (number expected, got no
  -- value)"), raised at the caller of the method (level 4: argerror, check_*, the method, its caller).
  local function argerror(method, n, msg) error(string.format("bad argument #%d to '%s' (%s)", n, method, msg), 4) end
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
  local function raise(method, msg) error("agent:" .. method .. ": " .. msg, 3) end

  -- agent:attention() -> the per-input attention, an array of n_obs numbers
  function methods:attention() return (self:_floats("attention")) end

  -- agent:gain([layer]) -> the per-unit gain of trunk layer `layer` (default 1), an array of its width
  function methods:gain(...)
    local layer = check_integer("gain", 1, (...), false, true) or 1
    local layers = backend.config_get(self:_config(), "n_layers", 0)
    if layer < 1 or layer > layers then raise("gain", string.format("layer %d out of range 1..%d", layer, layers)) end
    local t, err = self:_floats("gain", layer - 1)
    if not t then raise("gain", err) end
    return t
  end

  -- agent:set_param(i, value): writes trainable float i (1-based, the order of agent:params())
  function methods:set_param(...)
    local nargs = select("#", ...)
    local i, v = ...
    i = check_integer("set_param", 1, i, nargs < 1)
    v = check_num("set_param", 2, v, nargs < 2)
    if i < 1 or not self:_set_param(i - 1, v) then
      raise("set_param", string.format("index %d out of range 1..%d", i, #self:params()))
    end
  end

  -- agent:tensors() -> { { name, offset (1-based into agent:params()), rows, cols }, ... }
  function methods:tensors()
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
    self:_obs("evaluate", ...)
    local probs, value = self:_evaluate()
    if not probs then raise("evaluate", value) end
    return probs, value
  end

  -- agent:gradient(obs, action [, w_logpi = 1 [, w_value = 0]]) -> d(w_logpi log pi(action | obs) + w_value V(obs))/dtheta
  function methods:gradient(...)
    local nargs = select("#", ...)
    local obs, action, w1, w2 = ...
    self:_obs("gradient", ...)
    action = check_integer("gradient", 2, action, nargs < 2)
    w1, w2 = check_num("gradient", 3, w1, false, 1.0), check_num("gradient", 4, w2, false, 0.0)
    local g, err = self:_gradient(action, w1, w2)
    if not g then raise("gradient", err) end
    return g
  end

  -- agent:save(path) -> true | nil, message: the path is checked here, once for both backends (a NUL byte would
  -- cut it short in C)
  local save = methods.save
  function methods:save(...)
    local path = ...
    if type(path) ~= "string" then
      error("agent:save: path: expected a string, got " .. (select("#", ...) == 0 and "no value" or typename(path)), 2)
    end
    if path:find("\0", 1, true) then error("agent:save: path: contains a NUL byte", 2) end
    if methods.is_closed(self) then error("agent:save: the agent is closed", 2) end
    return save(self, path)
  end

  -- agent:freeze(on): true stops every synaptic change (the agent still acts, its modulators step and its
  -- context is still inferred); false resumes learning. agent:frozen() -> boolean.
  local freeze = methods.freeze
  function methods:freeze(...)
    local on = ...
    if type(on) ~= "boolean" then
      error("agent:freeze: expected true or false, got " .. (select("#", ...) == 0 and "no value" or typename(on)), 2)
    end
    if methods.is_closed(self) then error("agent:freeze: the agent is closed", 2) end
    freeze(self, on)
  end

  -- agent:context(id) announces the context (an integer or a string); agent:context() -> the current one, given
  -- or inferred. A string is carried to the core as a negative integer, a 31-bit polynomial hash of it, and given
  -- back as the string when this process has seen it.
  function methods:context(...)
    local id = ...
    if select("#", ...) == 0 then
      local c = self:_context()
      return context_names[c] or c
    end
    local c
    if type(id) == "string" then
      c = context_code(id)
      local seen = context_names[c]
      if seen and seen ~= id then error("agent:context: the ids '" .. seen .. "' and '" .. id .. "' collide; rename one", 2) end
      context_names[c] = id
    elseif is_integer(id) and id >= 0 and id < 2^31 then
      c = id
    else
      error("agent:context: id: expected an integer 0 .. 2^31-1 or a string, got " ..
            (type(id) == "number" and tostring(id) or typename(id)), 2)
    end
    local ok, err = self:_set_context(c)
    if not ok then error("agent:context: " .. err, 2) end
  end

  -- agent:mapping() -> {learning_rate = {DA = .., NA = .., ACh = .., ["5HT"] = ..}, ...}
  function methods:mapping() return self:config().mapping end
  -- agent:interactions() -> {DA = {NA = .., ...}, ...}: the effective level of row k is scaled by
  -- exp(sum_j I[k][j] level_j)
  function methods:interactions() return self:config().interactions end

  -- agent:config() -> the options that rebuild this agent (nm.agent(agent:config()) gives a fresh twin)
  function methods:config() return options_of(backend, S, self:_config()) end

  -- nm.population and the population methods written in Lua (lua/neuromod/population.lua)
  if backend.population_methods then
    require("neuromod.population")(nm, backend, { S = S, normalize = normalize, options_of = options_of })
  end

  return nm
end
