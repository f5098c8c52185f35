-- neuromod.wrappers: environments around environments, each itself speaking the protocol (start, step,
-- getStateSpace, getActionSpace, getRewardSpace), so that they compose: wrappers.time_limit(wrappers.noise(env,
-- {sd = 0.1}), {steps = 100}). Each reuses its own observation table (no garbage per step) and passes the
-- inner info table on (adding its own fields to it, or to a table of its own when the inner step gives none).
--
-- wrappers.noise(env, { sd = 0.1, seed = 1 }): adds independent Gaussian noise of sd `sd` (from nm.rng(seed))
--   to every observation number; the state space's bounds become -inf..inf.
-- wrappers.previous(env, { reward = true, action = true, reset = false }): appends the previous step's reward
--   (one number, 0 before the first step) and the previous action (one-hot over the k actions, all 0 before the
--   first step) to the observation, as meta-RL agents are given (Wang et al. 2018). They carry over from one
--   episode to the next (trial-by-trial tasks make every trial an episode); reset = true clears them at start.
-- wrappers.time_limit(env, { steps = n }): ends an episode after n steps. The step that reaches the limit
--   returns terminal = true with info.truncated = true (the episode was cut, not ended: a learner should
--   bootstrap from its next observation); every other step has info.truncated = false. A step on which the
--   inner environment itself terminates is not truncated, even at the limit.
-- Every wrapper keeps the inner environment as w.env. Each has the protocol's optional state() / restore(t) pair
-- when its inner environment has it (its own counters and generator with the inner environment's state), so that
-- a wrapped task resumes exactly (`neuromod run --resume`).
local envstate = require "neuromod.envstate"

local wrappers = {}

local function fail(fname, msg) error("wrappers." .. fname .. ": " .. msg, 3) end

local function check_env(fname, env)
  if type(env) ~= "table" and type(env) ~= "userdata" then fail(fname, "env: expected an environment, got " .. type(env)) end
  for _, m in ipairs { "start", "step", "getStateSpace", "getActionSpace", "getRewardSpace" } do
    if type(env[m]) ~= "function" then fail(fname, "env: missing method " .. m) end
  end
end

local function check_opts(fname, opts, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail(fname, "options: expected a table, got " .. type(opts)) end
  for k in pairs(opts) do
    if not known[k] then fail(fname, "unknown option '" .. tostring(k) .. "'") end
  end
  return opts
end

-- The flat size and bounds of a Box state space (numbers or tables).
local function box(fname, space)
  if type(space) ~= "table" or space.name ~= "Box" or type(space.shape) ~= "table" then
    fail(fname, "needs a Box state space (wrap rlenvs spaces with neuromod.spaces.wrap first)")
  end
  local m = 1
  for _, d in ipairs(space.shape) do m = m * d end
  local low, high = {}, {}
  for i = 1, m do
    low[i] = type(space.low) == "table" and space.low[i] or space.low or -math.huge
    high[i] = type(space.high) == "table" and space.high[i] or space.high or math.huge
  end
  return m, low, high
end

-- A wrapper object: forwards everything to env unless overridden.
local Wrapper = {}
Wrapper.__index = Wrapper
function Wrapper:getStateSpace() return self.env:getStateSpace() end
function Wrapper:getActionSpace() return self.env:getActionSpace() end
function Wrapper:getRewardSpace() return self.env:getRewardSpace() end
function Wrapper:start() return self.env:start() end
function Wrapper:step(a) return self.env:step(a) end

-- own_state() -> the wrapper's plain state; own_restore(t) sets it. Both are given only with the inner pair.
local function new(env, methods, own_state, own_restore)
  local w = setmetatable({ env = env }, Wrapper)
  for k, v in pairs(methods) do w[k] = v end
  if type(env.state) == "function" and type(env.restore) == "function" then
    function w.state() return { env = env:state(), own = own_state and own_state() or {} } end
    function w.restore(_, t)
      env:restore(t.env)
      if own_restore then own_restore(t.own) end
    end
  end
  return w
end

function wrappers.noise(env, opts)
  check_env("noise", env)
  opts = check_opts("noise", opts, { sd = true, seed = true })
  local sd = opts.sd or 0.1
  if type(sd) ~= "number" or not (sd >= 0) or sd == math.huge then fail("noise", "sd: expected a finite number >= 0, got " .. tostring(sd)) end
  local seed = opts.seed or 1
  if type(seed) ~= "number" or seed ~= math.floor(seed) then fail("noise", "seed: expected an integer, got " .. tostring(seed)) end
  local m = box("noise", env:getStateSpace())
  local rng, out = envstate.rng(seed), {}
  local function noisy(o)
    for i = 1, m do out[i] = o[i] + (sd > 0 and rng:normal(0, sd) or 0) end
    return out
  end
  return new(env, {
    getStateSpace = function()
      if sd == 0 then return env:getStateSpace() end
      return { name = "Box", shape = { m }, low = -math.huge, high = math.huge }
    end,
    start = function() return noisy(env:start()) end,
    step = function(_, a)
      local r, o, terminal, info = env:step(a)
      return r, noisy(o), terminal, info
    end,
  }, function() return { seed = rng.seed, draws = rng.draws } end,
     function(t) rng = envstate.rng(t.seed, t.draws) end)
end

function wrappers.previous(env, opts)
  check_env("previous", env)
  opts = check_opts("previous", opts, { reward = true, action = true, reset = true })
  local with_r, with_a, reset = opts.reward ~= false, opts.action ~= false, opts.reset == true
  local m, low, high = box("previous", env:getStateSpace())
  local k = env:getActionSpace().n
  local rmin, rmax = env:getRewardSpace()
  local n = m + (with_r and 1 or 0) + (with_a and k or 0)
  local out, prev_r, prev_a = {}, 0, nil
  for i = 1, n do out[i] = 0 end
  local function fill(o)
    for i = 1, m do out[i] = o[i] end
    local j = m
    if with_r then j = j + 1; out[j] = prev_r end
    if with_a then
      for i = 1, k do out[j + i] = 0 end
      if prev_a then out[j + prev_a + 1] = 1 end
    end
    return out
  end
  return new(env, {
    getStateSpace = function()
      local lo, hi = {}, {}
      for i = 1, m do lo[i], hi[i] = low[i], high[i] end
      local j = m
      -- 0 before the first step must lie within the bounds too
      if with_r then j = j + 1; lo[j], hi[j] = math.min(rmin, 0), math.max(rmax, 0) end
      if with_a then for i = 1, k do lo[j + i], hi[j + i] = 0, 1 end end
      return { name = "Box", shape = { n }, low = lo, high = hi }
    end,
    start = function()
      if reset then prev_r, prev_a = 0, nil end
      return fill(env:start())
    end,
    step = function(_, a)
      local r, o, terminal, info = env:step(a)
      prev_r, prev_a = r, a
      return r, fill(o), terminal, info
    end,
  }, function() return { prev_r = prev_r, prev_a = prev_a } end,
     function(t) prev_r, prev_a = t.prev_r, t.prev_a end)
end

function wrappers.time_limit(env, opts)
  check_env("time_limit", env)
  opts = check_opts("time_limit", opts, { steps = true })
  local limit = opts.steps
  if type(limit) ~= "number" or limit ~= math.floor(limit) or limit < 1 then
    fail("time_limit", "steps: expected an integer >= 1, got " .. tostring(limit))
  end
  local t, own = 0, {}
  return new(env, {
    start = function() t = 0 return env:start() end,
    step = function(_, a)
      local r, o, terminal, info = env:step(a)
      t = t + 1
      info = info or own
      local truncated = not terminal and t >= limit
      info.truncated = truncated
      if truncated then terminal = true end
      return r, o, terminal, info
    end,
  }, function() return { t = t } end, function(st) t = st.t end)
end

return wrappers
