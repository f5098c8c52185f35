-- neuromod.options: options by name <-> the flat config of the core, for nm.agent, nm.population,
-- agent:config() and nm.defaults(), on either backend. The options come from the library's one description of
-- the configuration (backend.field, from the table NM_CONFIG_FIELDS in c/neuromod.h): which options exist,
-- their shapes, names and value names. Range checks and their messages are the core's (backend.config_set
-- returns them); this file only turns Lua values (spaces, name-keyed tables, presets) into elements.
--
-- require("neuromod.options")(backend) -> { S = the schema, fields() -> the field descriptions, normalize(opts)
-- -> cfg, encoder (raises {message}), options_of(cfg) -> options }

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

-- The library's description of every config field (backend.field and field_labels, in table order): name,
-- option, kind, shape, labels, value names, accepted values in words, one line of doc, range, flags.
local KINDS = { [0] = "count", "u64", "real", "enum", "mask", "index" }
local function fields(backend)
  local out, floor = {}, math.floor
  for i = 0, math.huge do
    local name, option, kind, rows, cols, expect, doc, lo, hi, flags = backend.field(i)
    if not name then return out end
    out[i + 1] = {
      name = name, option = option, kind = KINDS[kind], rows = rows, cols = cols, expect = expect, doc = doc,
      lo = lo, hi = hi, row_labels = backend.field_labels(i, 1), col_labels = backend.field_labels(i, 2),
      values = backend.field_labels(i, 3),
      flags = { required = flags % 2 == 1, split = floor(flags / 2) % 2 == 1, structural = floor(flags / 32) % 2 == 1 },
    }
  end
end

-- The schema: the fields by option name, the meta-parameter options of a split field, the option list.
local function schema(backend)
  local fields = fields(backend)
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
  -- obs_coding = "onehot" | "cells": how neuromod.spaces codes a Box with integer bounds (not a config field: the
  -- core sees the coded input)
  options.obs_coding = true
  -- continual = true | false: every continual-learning row at the default agent's value or off (not a config
  -- field: a switch over several, nm_agent_config_continual)
  options.continual = true
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


local GATING_ON = 0.1   -- gating = true: the default agent's gate, a tenth of the hidden units open (Masse et al. 2018)

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
  -- continual: on by default, off for the spiking learner (which takes none of its rows); the rows an option
  -- names below override either
  local continual = opts.continual
  if continual ~= nil and type(continual) ~= "boolean" then
    fail("continual: expected true or false, got " .. (type(continual) == "string" and ("the string '" .. continual .. "'") or tostring(continual)))
  end
  if continual and opts.model == "spiking" then
    fail("continual: not available for the spiking model (continual = false, the spiking model's default)")
  end
  if continual == nil then continual = opts.model ~= "spiking" end
  if not continual then backend.config_continual(cfg, false) end
  if opts.actions == nil then fail("actions is required (a number of actions or a Discrete space)") end
  -- obs: a number, or a state space. A flat Box whose bounds lie within [-1, 1] (or are infinite) is taken as it
  -- is; any other space (a Box of several dimensions or with wider finite bounds, a Discrete state, no state at
  -- all: obs = nil) is encoded by neuromod.spaces in front of the agent (see nm.agent).
  local encoder
  local coding = opts.obs_coding
  if coding ~= nil and coding ~= "scaled" and coding ~= "onehot" and coding ~= "cells" then
    fail("obs_coding: expected \"scaled\", \"onehot\" or \"cells\", got " ..
         (type(coding) == "string" and "\"" .. coding .. "\"" or tostring(coding)))
  end
  if coding == "scaled" then coding = nil end
  if needs_encoding(opts.obs) or coding then
    local ok, enc = pcall(require("neuromod.spaces").encoder, opts.obs, "obs", coding)
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
    -- recurrent = n | { n = n, tau = t [, kind = "integrator"] }: one recurrent layer after those of hidden
    local r = opts.recurrent
    if r ~= nil then
      if type(r) == "table" then
        for k in pairs(r) do
          if k ~= "n" and k ~= "tau" and k ~= "kind" then
            fail("recurrent: unknown layer option '" .. tostring(k) .. "'")
          end
        end
        if r.kind ~= nil and r.kind ~= "recurrent" and r.kind ~= "integrator" then
          fail("recurrent.kind: expected 'recurrent' or 'integrator', got " ..
               (type(r.kind) == "string" and ("'" .. r.kind .. "'") or tostring(r.kind)))
        end
        r = { kind = r.kind or "recurrent", n = r.n, tau = r.tau }
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
    -- { kind = "recurrent", n = 64, tau = 5 }, { kind = "integrator", n = 64, tau = 5 }
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
        if kind == "dense" then fail(name .. ".tau: only a recurrent layer has a time constant") end
        check_number(name .. ".tau", tau)
        if not backend.config_set(cfg, "layer_tau", i - 1, tau) then
          fail(name .. ".tau: expected " .. S.by_name.layer_tau.expect .. ", got " .. tostring(tau))
        end
      end
    end
  end
  -- the continual rows once the layers are known: a recurrent trunk has no task-free detection by default
  -- (nm_agent_config_continual); options below override
  if continual then backend.config_continual(cfg, true) end
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
        elseif kind == "recurrent" or kind == "integrator" then
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

return function(backend)
  local S = schema(backend)
  return {
    S = S,
    fields = function() return fields(backend) end,
    normalize = function(opts) return normalize(backend, S, opts) end,
    options_of = function(cfg) return options_of(backend, S, cfg) end,
  }
end
