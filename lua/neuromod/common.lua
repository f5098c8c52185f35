-- neuromod.common: the Lua API both backends share. Given a backend (the C-API module "neuromod.corelib"
-- or the FFI binding), builds the public module: option checking and naming, presets, and the agent
-- methods written in Lua. Per-step methods (act, learn) stay in the backend, where they are fastest.
--
-- A backend provides: new(flat_config), load(path), defaults(), rng(seed), vector(n | table), version,
-- agent_methods (the table behind agents' __index, which this file extends), and on agents:
-- act, learn, close, is_closed, save, reset, _modstate(t), _config(), state_hash, params, set_param,
-- tensors, evaluate, gradient.

local MODULATORS = { "DA", "NA", "ACh", "5HT" }
local PARAMS = { "learning_rate", "inverse_temperature", "discount", "trace_decay", "gain", "attention",
                 "withhold_bias", "consolidation" }
local MOD_INDEX, PARAM_INDEX = {}, {}
for i, k in ipairs(MODULATORS) do MOD_INDEX[k] = i end
for i, p in ipairs(PARAMS) do PARAM_INDEX[p] = i end

-- C enums by name, and their names by value
local function names_of(enum) local t = {} for k, v in pairs(enum) do t[v] = k end return t end
local ACTIVATIONS = { tanh = 0, relu = 1 }
local ACTIVATION_NAMES = names_of(ACTIVATIONS)
local NA_INPUTS = { surprise = 0, changepoint = 1 }
local NA_INPUT_NAMES = names_of(NA_INPUTS)

local OPTIONS = {
  obs = true, actions = true, hidden = true, activation = true, seed = true, init_scale = true,
  critic_scale = true, predictor_rate = true, max_update = true, modulators = true, mapping = true, interactions = true,
  tau_phasic = true, tau_tonic = true, scale = true, na_threshold = true, na_reset = true,
  surprise_floor = true, attention_set = true, gain_focus = true, na_input = true,
}
for _, p in ipairs(PARAMS) do OPTIONS[p] = true end

-- Option errors travel as {message} so that nm.agent can raise them at its caller's position.
local function fail(msg) error({ "nm.agent: " .. msg }, 0) end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = tostring(k) end
  table.sort(ks)
  return table.concat(ks, ", ")
end

local function is_integer(x) return type(x) == "number" and x == math.floor(x) and x > -2^53 and x < 2^53 end

local function check_number(name, v)
  if type(v) ~= "number" then fail(name .. ": expected a number, got " .. type(v)) end
  if v ~= v then fail(name .. ": expected a number, got NaN") end
  if v == math.huge or v == -math.huge then fail(name .. ": expected a finite number") end
  return v
end

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

-- Merges a {row = {col = value}} table into a flat row-major array.
local function merge_matrix(name, flat, t, rows, row_index, cols, col_index)
  if type(t) ~= "table" then fail(name .. ": expected a table, got " .. type(t)) end
  for r, row in pairs(t) do
    local ri = row_index[r]
    if not ri then fail(name .. ": unknown name '" .. tostring(r) .. "' (known: " .. table.concat(rows, ", ") .. ")") end
    if type(row) ~= "table" then fail(name .. "." .. r .. ": expected a table, got " .. type(row)) end
    for c, v in pairs(row) do
      local ci = col_index[c]
      if not ci then
        fail(name .. "." .. r .. ": unknown modulator '" .. tostring(c) .. "' (known: " .. table.concat(cols, ", ") .. ")")
      end
      flat[(ri - 1) * #cols + ci] = check_number(name .. "." .. r .. "." .. c, v)
    end
  end
end

local function merge_per_modulator(name, flat, t)
  if type(t) ~= "table" then fail(name .. ": expected a table such as {NA = 10}, got " .. type(t)) end
  for k, v in pairs(t) do
    local i = MOD_INDEX[k]
    if not i then fail(name .. ": unknown modulator '" .. tostring(k) .. "' (known: DA, NA, ACh, 5HT)") end
    flat[i] = check_number(name .. "." .. k, v)
  end
end

local function zeros(n) local t = {} for i = 1, n do t[i] = 0 end return t end

-- Mapping presets. "default" is the library's (see c/modulators.c for each entry's source);
-- "doya" is Doya's (2002) one-to-one hypothesis: DA = TD error (the third factor, always on),
-- 5-HT -> discount, NA -> inverse temperature, ACh -> learning rate; "none" turns every action off.
local function presets(defaults)
  local doya = zeros(#PARAMS * #MODULATORS)
  local function set(p, m, v) doya[(PARAM_INDEX[p] - 1) * #MODULATORS + MOD_INDEX[m]] = v end
  set("discount", "5HT", 1.5)
  set("inverse_temperature", "NA", -1.5)
  set("learning_rate", "ACh", 1.0)
  return { default = defaults.mapping, doya = doya, none = zeros(#PARAMS * #MODULATORS) }
end

local function copy(t) local c = {} for i, v in ipairs(t) do c[i] = v end return c end

local function normalize(backend, opts)
  if type(opts) ~= "table" then fail("expected a table of options, got " .. type(opts)) end
  for k in pairs(opts) do
    if not OPTIONS[k] then fail("unknown option '" .. tostring(k) .. "'") end
  end
  local d = backend.defaults()
  local cfg = {
    hidden = d.hidden, activation = d.activation, seed = d.seed, init_scale = d.init_scale,
    critic_scale = d.critic_scale, predictor_rate = d.predictor_rate, max_update = d.max_update, base = copy(d.base),
    modulators = d.modulators, mapping = copy(d.mapping), interaction = copy(d.interaction),
    tau_phasic = copy(d.tau_phasic), tau_tonic = copy(d.tau_tonic), scale = copy(d.scale),
    na_threshold = d.na_threshold, na_reset = d.na_reset, surprise_floor = d.surprise_floor,
    attention_set = d.attention_set, gain_focus = d.gain_focus, na_input = d.na_input,
  }
  if opts.obs == nil then fail("obs is required (a number of inputs or a Box space)") end
  if opts.actions == nil then fail("actions is required (a number of actions or a Discrete space)") end
  cfg.n_obs = space_size("obs", opts.obs, "Box")
  cfg.n_actions = space_size("actions", opts.actions, "Discrete")
  if cfg.n_obs < 1 then fail("obs: expected at least 1 input, got " .. cfg.n_obs) end
  if cfg.n_actions < 2 then fail("actions: expected at least 2 actions, got " .. cfg.n_actions) end
  if opts.hidden ~= nil then
    if type(opts.hidden) ~= "table" then fail("hidden: expected a list of layer sizes such as {64}, got " .. type(opts.hidden)) end
    local h = {}
    for k in pairs(opts.hidden) do
      if not is_integer(k) or k < 1 or k > #opts.hidden then fail("hidden: expected a list, got key " .. tostring(k)) end
    end
    for i, n in ipairs(opts.hidden) do
      if not is_integer(n) or n < 1 then
        fail("hidden[" .. i .. "]: expected a positive integer, got " .. tostring(n))
      end
      h[i] = n
    end
    if #h > 8 then fail("hidden: at most 8 layers, got " .. #h) end
    cfg.hidden = h
  end
  if opts.activation ~= nil then
    cfg.activation = ACTIVATIONS[opts.activation]
    if not cfg.activation then fail("activation: expected 'tanh' or 'relu', got " .. tostring(opts.activation)) end
  end
  if opts.na_input ~= nil then
    cfg.na_input = NA_INPUTS[opts.na_input]
    if not cfg.na_input then
      fail("na_input: expected 'surprise' or 'changepoint', got " .. tostring(opts.na_input))
    end
  end
  if opts.seed ~= nil then
    if not is_integer(opts.seed) or opts.seed < 0 then
      fail("seed: expected a non-negative integer, got " .. tostring(opts.seed))
    end
    cfg.seed = opts.seed
  end
  for _, k in ipairs { "init_scale", "critic_scale", "predictor_rate", "max_update", "na_threshold", "na_reset", "surprise_floor",
                          "attention_set", "gain_focus" } do
    if opts[k] ~= nil then cfg[k] = check_number(k, opts[k]) end
  end
  for i, p in ipairs(PARAMS) do
    if opts[p] ~= nil then cfg.base[i] = check_number(p, opts[p]) end
  end
  if opts.modulators ~= nil then
    local m = opts.modulators
    if m == false or m == "none" then cfg.modulators = 0
    elseif m == true or m == "all" then cfg.modulators = 15
    elseif type(m) == "table" then
      local bits = 0
      for k, on in pairs(m) do
        local i = MOD_INDEX[k]
        if not i then fail("modulators: unknown modulator '" .. tostring(k) .. "' (known: DA, NA, ACh, 5HT)") end
        if type(on) ~= "boolean" then fail("modulators." .. k .. ": expected true or false, got " .. type(on)) end
        if on then bits = bits + 2 ^ (i - 1) end
      end
      cfg.modulators = bits
    else
      fail("modulators: expected a table such as {DA = true, NA = false}, 'all' or 'none', got " .. tostring(m))
    end
  end
  if opts.mapping ~= nil then
    local m = opts.mapping
    if type(m) == "string" then
      local preset = presets(d)[m]
      if not preset then fail("mapping: unknown preset '" .. m .. "' (known: default, doya, none)") end
      cfg.mapping = copy(preset)
    else
      merge_matrix("mapping", cfg.mapping, m, PARAMS, PARAM_INDEX, MODULATORS, MOD_INDEX)
    end
  end
  if opts.interactions ~= nil then
    merge_matrix("interactions", cfg.interaction, opts.interactions, MODULATORS, MOD_INDEX, MODULATORS, MOD_INDEX)
  end
  for _, k in ipairs { "tau_phasic", "tau_tonic", "scale" } do
    if opts[k] ~= nil then merge_per_modulator(k, cfg[k], opts[k]) end
  end
  return cfg
end

local function named_matrix(flat, rows, cols)
  local t = {}
  for r, rn in ipairs(rows) do
    local row = {}
    for c, cn in ipairs(cols) do row[cn] = flat[(r - 1) * #cols + c] end
    t[rn] = row
  end
  return t
end

local function named_vector(flat, names, out)
  out = out or {}
  for i, n in ipairs(names) do out[n] = flat[i] end
  return out
end

return function(backend, backend_name)
  local nm = {
    version = backend.version,
    backend = backend_name,
    modulator_names = MODULATORS,
    param_names = PARAMS,
  }
  local methods = backend.agent_methods

  function nm.agent(opts)
    local ok, cfg = pcall(normalize, backend, opts)
    if not ok then error(type(cfg) == "table" and cfg[1] or cfg, 2) end
    local agent, err = backend.new(cfg)
    if not agent then error(err, 2) end
    return agent
  end

  function nm.load(path)
    if type(path) ~= "string" then error("nm.load: path: expected a string, got " .. type(path), 2) end
    return backend.load(path)
  end

  nm.rng = backend.rng
  nm.vector = backend.vector
  nm.mapping_presets = function() return {
    default = named_matrix(presets(backend.defaults()).default, PARAMS, MODULATORS),
    doya = named_matrix(presets(backend.defaults()).doya, PARAMS, MODULATORS),
    none = named_matrix(presets(backend.defaults()).none, PARAMS, MODULATORS),
  } end

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
    function methods:modulators(out) return fill(self, out or {}) end
  else function methods:modulators(out)
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

  -- agent:mapping() -> {learning_rate = {DA = .., NA = .., ACh = .., ["5HT"] = ..}, ...}
  function methods:mapping() return named_matrix(self:_config().mapping, PARAMS, MODULATORS) end
  -- agent:interactions() -> {DA = {NA = .., ...}, ...}: the effective level of row k is scaled by
  -- exp(sum_j I[k][j] level_j)
  function methods:interactions() return named_matrix(self:_config().interaction, MODULATORS, MODULATORS) end

  -- agent:config() -> the options that rebuild this agent (nm.agent(agent:config()) gives a fresh twin)
  function methods:config()
    local c = self:_config()
    local mods = {}
    for i, k in ipairs(MODULATORS) do mods[k] = math.floor(c.modulators / 2 ^ (i - 1)) % 2 == 1 end
    local t = {
      obs = c.n_obs, actions = c.n_actions, hidden = c.hidden, activation = ACTIVATION_NAMES[c.activation],
      seed = c.seed, init_scale = c.init_scale, critic_scale = c.critic_scale, predictor_rate = c.predictor_rate,
      max_update = c.max_update,
      modulators = mods, mapping = named_matrix(c.mapping, PARAMS, MODULATORS),
      interactions = named_matrix(c.interaction, MODULATORS, MODULATORS),
      tau_phasic = named_vector(c.tau_phasic, MODULATORS), tau_tonic = named_vector(c.tau_tonic, MODULATORS),
      scale = named_vector(c.scale, MODULATORS), na_threshold = c.na_threshold, na_reset = c.na_reset,
      surprise_floor = c.surprise_floor, attention_set = c.attention_set, gain_focus = c.gain_focus,
      na_input = NA_INPUT_NAMES[c.na_input],
    }
    for i, p in ipairs(PARAMS) do t[p] = c.base[i] end
    return t
  end

  return nm
end
