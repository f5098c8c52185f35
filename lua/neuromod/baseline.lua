-- neuromod.baseline: the classic reference learners, with the agent's interface, so that every experiment can
-- show them beside the agent.
--
-- baseline.new{ kind = "rw" | "q", alpha = 0.1, beta = 5, gamma = 0.9, seed = 1, obs = n | space, actions = k |
--               Discrete space } -> learner (also baseline(opts))
--   "rw": Rescorla-Wagner action values, Q(s, a) <- Q(s, a) + alpha (r - Q(s, a)), no bootstrapping;
--   "q":  Q-learning, Q(s, a) <- Q(s, a) + alpha (r + gamma max_a' Q(s', a') - Q(s, a)), with max_a' Q(s', a')
--         taken as 0 on a terminal step.
--   Tabular: the values are keyed by the exact observation (each number of it), start at 0, and only the chosen
--   action's value changes. Actions are sampled from softmax(beta Q(s, .)) with an nm.rng(seed), so a run is the
--   same under both backends.
-- learner:act(obs) -> action (0-based); learner:learn(reward, next_obs, terminal [, truncated]); a truncated
-- step ("q") bootstraps like a non-terminal one. learner:modulators([t]) -> t with the agent's keys: DA (the
-- last prediction error), NA, ACh, 5HT and levels, phasic, tonic at 0, and params holding the fixed
-- learning_rate, inverse_temperature and discount (the others at neutral values). learner:values(obs) -> the
-- array of Q(obs, a), a = 0..k-1 (a copy). learner:save(path) -> true | nil, message (a Lua table file);
-- baseline.load(path) -> the learner, continuing exactly (its rng replayed). learner:close(), learner:is_closed().
-- An observation is a table of numbers, a single number (an integer state), or nil (no state).
local nm = require "neuromod"

local baseline = {}
local Learner = {}
Learner.__index = Learner

local function fail(fname, msg, level) error("baseline" .. fname .. ": " .. msg, level or 3) end

local function is_int(v) return type(v) == "number" and v == math.floor(v) and v > -2^53 and v < 2^53 end

local function size_of(key, v, kind)
  if v == nil then return nil end
  if type(v) == "number" then
    if not is_int(v) or v < 1 then fail(".new", key .. ": expected a positive integer, got " .. tostring(v), 4) end
    return v
  end
  if type(v) ~= "table" then fail(".new", key .. ": expected a number or a space, got " .. type(v), 4) end
  if v.name == "Discrete" then
    if not is_int(v.n) or v.n < 1 then fail(".new", key .. ": Discrete space needs a positive integer n", 4) end
    return kind == "actions" and v.n or nil
  end
  if v.name == "Box" and kind == "obs" then
    if type(v.shape) ~= "table" then fail(".new", key .. ": Box space needs a shape", 4) end
    local n = 1
    for _, d in ipairs(v.shape) do n = n * d end
    return n
  end
  fail(".new", key .. ": expected " .. (kind == "actions" and "a Discrete space" or "a Box or Discrete space")
    .. ", got name = " .. tostring(v.name), 4)
end

local function number(key, v, lo, hi)
  if type(v) ~= "number" or v ~= v or v < lo or v > hi then
    fail(".new", key .. ": expected a number in [" .. lo .. ", " .. hi .. "], got " .. tostring(v), 4)
  end
  return v
end

local NIL_KEY = {}

function baseline.new(opts)
  if type(opts) ~= "table" then fail(".new", "expected a table of options, got " .. type(opts)) end
  local known = { kind = true, alpha = true, beta = true, gamma = true, seed = true, obs = true, actions = true }
  for k in pairs(opts) do if not known[k] then fail(".new", "unknown option '" .. tostring(k) .. "'") end end
  local kind = opts.kind or "rw"
  if kind ~= "rw" and kind ~= "q" then fail(".new", "kind: expected \"rw\" or \"q\", got " .. tostring(kind)) end
  if opts.actions == nil then fail(".new", "actions is required (a number of actions or a Discrete space)") end
  local self = setmetatable({
    kind = kind,
    alpha = number("alpha", opts.alpha or 0.1, 0, 1),
    beta = number("beta", opts.beta or 5, 0, math.huge),
    gamma = number("gamma", opts.gamma or 0.9, 0, 1),
    seed = opts.seed or 1,
    n_obs = size_of("obs", opts.obs, "obs"),
    n_actions = size_of("actions", opts.actions, "actions"),
    table = {}, none = {}, draws = 0, delta = 0, steps = 0, probs = {},
  }, Learner)
  if not is_int(self.seed) then fail(".new", "seed: expected an integer, got " .. tostring(self.seed)) end
  self.rng = nm.rng(self.seed)
  return self
end

setmetatable(baseline, { __call = function(_, opts) return baseline.new(opts) end })

local function check_open(self, m)
  if self.closed then error("learner:" .. m .. ": the learner is closed", 3) end
end

-- The value row of an observation, made on the first visit (a trie keyed by each number: no garbage after).
function Learner:row(obs, m)
  local node
  if obs == nil then
    node = self.none
  elseif type(obs) == "number" then
    if obs ~= obs then error("learner:" .. m .. ": obs is NaN", 3) end
    node = self.table[obs]
    if not node then node = {} self.table[obs] = node end
  else
    if type(obs) ~= "table" then error("learner:" .. m .. ": obs: expected a table of numbers, a number or nil, got " .. type(obs), 3) end
    local n = #obs
    if self.n_obs and n ~= self.n_obs then error("learner:" .. m .. ": obs has " .. n .. " values, expected " .. self.n_obs, 3) end
    node = self.table
    for i = 1, n do
      local v = obs[i]
      if type(v) ~= "number" or v ~= v then error("learner:" .. m .. ": obs[" .. i .. "] is not a number (got " .. tostring(v) .. ")", 3) end
      local nxt = node[v]
      if not nxt then nxt = {} node[v] = nxt end
      node = nxt
    end
  end
  local q = node[NIL_KEY]
  if not q then
    q = {}
    for a = 1, self.n_actions do q[a] = 0 end
    node[NIL_KEY] = q
  end
  return q
end

function Learner:act(obs)
  check_open(self, "act")
  local q = self:row(obs, "act")
  local k, beta, p = self.n_actions, self.beta, self.probs
  local best = q[1]
  for a = 2, k do if q[a] > best then best = q[a] end end
  local z = 0
  for a = 1, k do p[a] = math.exp(beta * (q[a] - best)) z = z + p[a] end
  local u = self.rng:random() * z
  self.draws = self.draws + 1
  local action = k
  for a = 1, k do
    u = u - p[a]
    if u < 0 then action = a break end
  end
  self.last_q, self.last_a = q, action
  return action - 1
end

function Learner:learn(reward, next_obs, terminal, truncated)
  check_open(self, "learn")
  if type(reward) ~= "number" or reward ~= reward then error("learner:learn: reward is not a number", 2) end
  if terminal ~= nil and type(terminal) ~= "boolean" then error("learner:learn: terminal: expected a boolean or nil", 2) end
  if truncated ~= nil and type(truncated) ~= "boolean" then error("learner:learn: truncated: expected a boolean or nil", 2) end
  local q, a = self.last_q, self.last_a
  if not q then error("learner:learn: learn called without a preceding act", 2) end
  local target = reward
  if self.kind == "q" and (not terminal or truncated) then
    local nq = self:row(next_obs, "learn")
    local best = nq[1]
    for i = 2, self.n_actions do if nq[i] > best then best = nq[i] end end
    target = reward + self.gamma * best
  end
  self.delta = target - q[a]
  q[a] = q[a] + self.alpha * self.delta
  self.last_q, self.last_a = nil, nil
  self.steps = self.steps + 1
end

function Learner:values(obs)
  check_open(self, "values")
  local q, out = self:row(obs, "values"), {}
  for a = 1, self.n_actions do out[a] = q[a] end
  return out
end

local ZERO_MODS = { "DA", "NA", "ACh", "5HT" }

function Learner:modulators(out)
  check_open(self, "modulators")
  out = out or {}
  out.DA, out.NA, out.ACh, out["5HT"] = self.delta, 0, 0, 0
  for _, key in ipairs { "levels", "phasic", "tonic" } do
    local t = out[key] or {}
    for _, m in ipairs(ZERO_MODS) do t[m] = 0 end
    out[key] = t
  end
  out.levels.DA, out.phasic.DA = self.delta, self.delta
  local p = out.params or {}
  p.learning_rate, p.inverse_temperature = self.alpha, self.beta
  p.discount = self.kind == "q" and self.gamma or 0
  p.trace_decay, p.gain, p.attention, p.withhold_bias, p.consolidation = 0, 1, 1, 0, 0
  out.params = p
  out.surprise, out.steps = 0, self.steps
  return out
end

function Learner:config()
  return { kind = self.kind, alpha = self.alpha, beta = self.beta, gamma = self.gamma, seed = self.seed,
           obs = self.n_obs, actions = self.n_actions }
end

function Learner:close() self.closed = true end
function Learner:is_closed() return self.closed == true end

-- Serialises the value trie as a list of { key path, values }.
local function entries(node, path, out)
  for k, v in pairs(node) do
    if k == NIL_KEY then
      out[#out + 1] = { path = path, q = v }
    else
      local p = {}
      for i = 1, #path do p[i] = path[i] end
      p[#p + 1] = k
      entries(v, p, out)
    end
  end
  return out
end

local function num(v)
  if v == math.huge then return "math.huge" elseif v == -math.huge then return "-math.huge" end
  return string.format("%.17g", v)
end

function Learner:save(path)
  check_open(self, "save")
  if type(path) ~= "string" then error("learner:save: path: expected a string, got " .. type(path), 2) end
  local lines = { "-- neuromod.baseline learner", "return {" }
  local c = self:config()
  lines[#lines + 1] = string.format("  kind = %q, alpha = %s, beta = %s, gamma = %s, seed = %d, actions = %d,",
    c.kind, num(c.alpha), num(c.beta), num(c.gamma), c.seed, c.actions)
  if c.obs then lines[#lines + 1] = "  obs = " .. c.obs .. "," end
  lines[#lines + 1] = string.format("  draws = %d, steps = %d, delta = %s,", self.draws, self.steps, num(self.delta))
  lines[#lines + 1] = "  values = {"
  -- an integer state k is stored as the path { k }, as the observation { k } would be; no state as none = true
  local list = {}
  if self.none[NIL_KEY] then list[#list + 1] = { none = true, q = self.none[NIL_KEY] } end
  entries(self.table, {}, list)
  local function key(e) return e.none and "" or table.concat((function()
    local s = {} for i, x in ipairs(e.path) do s[i] = num(x) end return s end)(), ",") end
  table.sort(list, function(x, y) return key(x) < key(y) end)
  for _, e in ipairs(list) do
    local q = {}
    for i, x in ipairs(e.q) do q[i] = num(x) end
    if e.none then
      lines[#lines + 1] = "    { none = true, q = { " .. table.concat(q, ", ") .. " } },"
    else
      lines[#lines + 1] = "    { path = { " .. key(e) .. " }, q = { " .. table.concat(q, ", ") .. " } },"
    end
  end
  lines[#lines + 1] = "  },"
  lines[#lines + 1] = "}"
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then return nil, "learner:save: " .. tostring(err) end
  local ok, werr = f:write(table.concat(lines, "\n"), "\n")
  f:close()
  if not ok then os.remove(tmp) return nil, "learner:save: " .. tostring(werr) end
  local rok, rerr = os.rename(tmp, path)
  if not rok then os.remove(tmp) return nil, "learner:save: " .. tostring(rerr) end
  return true
end

-- baseline.load(path) -> learner, or nil and a message.
function baseline.load(path)
  if type(path) ~= "string" then error("baseline.load: path: expected a string, got " .. type(path), 2) end
  local chunk, err = loadfile(path, "t", { math = { huge = math.huge } })
  if not chunk then return nil, "baseline.load: " .. tostring(err) end
  local ok, t = pcall(chunk)
  if not ok or type(t) ~= "table" or type(t.values) ~= "table" then
    return nil, "baseline.load: " .. path .. " is not a saved baseline learner"
  end
  local self = baseline.new{ kind = t.kind, alpha = t.alpha, beta = t.beta, gamma = t.gamma, seed = t.seed,
                             obs = t.obs, actions = t.actions }
  for _ = 1, t.draws do self.rng:random() end
  self.draws, self.steps, self.delta = t.draws, t.steps, t.delta
  for _, e in ipairs(t.values) do
    local q
    if e.none then q = self:row(nil, "load")
    else
      local node = self.table
      for _, k in ipairs(e.path) do
        local nxt = node[k]
        if not nxt then nxt = {} node[k] = nxt end
        node = nxt
      end
      q = node[NIL_KEY] or {}
      node[NIL_KEY] = q
    end
    for a = 1, self.n_actions do q[a] = e.q[a] or 0 end
  end
  return self
end

return baseline
