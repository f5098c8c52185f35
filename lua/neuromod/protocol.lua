-- neuromod.protocol: checks that a task speaks the rlenvs protocol (a constructor taking an options table;
-- start, step, getStateSpace, getActionSpace and getRewardSpace, as listed below) and, when it does not, raises
-- an error naming the script, the method and what was wrong:
--   "protocol: envs/foo.lua: step: reward must be a number, got string"
--
-- protocol.check(Env, opts, name [, check]) -> summary
--   Env   a constructor (callable table, or a class with .new, or a function), or the path of a task script
--         (then loaded with dofile inside the check, and `name` defaults to the path);
--   opts  the options passed to Env (a copy; default {});
--   name  the script's name for messages (default "env");
--   check { steps = 300, seed = 1, determinism = true, forbid_math_random = true }
--         steps: env:step calls, with uniformly random valid actions from nm.rng(seed);
--         determinism: builds a second env from the same opts, feeds it the same actions, and requires the
--           same observations, rewards, terminals (a task must draw randomness only from its seeded nm.rng);
--         forbid_math_random: math.random and math.randomseed raise while the task runs.
--   summary: { steps, episodes (terminal steps), reward_sum, obs_size, actions }
--   Raises the first violation.
--
-- protocol.violations(Env, opts, name [, check]) -> list, summary
--   The same checks, but each violation is recorded and the check goes on where it can, so that one run names
--   every problem: list[i] = { method, message, text (the full "protocol: ..." line), count (how many times
--   it was seen: a violation repeated at many steps, told apart only by its numbers, is listed once), step
--   (the first step it was seen at, 0 before stepping) }. A broken constructor, start or step, or an action
--   space that gives no actions to try, ends the run there; a broken state or reward space only skips the
--   checks that need it. summary as above for the steps taken ({} if none); list is empty for a task that
--   passes.
--
-- What is checked:
--   the constructor returns a table or userdata; start, step, getStateSpace, getActionSpace, getRewardSpace are
--   functions; getStateSpace() is { name = "Box", shape = {positive integers}, low, high } with low/high numbers
--   or arrays of prod(shape) numbers, or a Discrete state { name = "Discrete", n } (observations are integers
--   0..n-1), or nil (no state: observations are nil); a Discrete, nil or multi-dimensional space is checked
--   through neuromod.spaces, as nm.agent encodes it; getActionSpace() is { name = "Discrete", n = positive integer };
--   getRewardSpace() returns two numbers min <= max; start() returns an observation; step(a) returns
--   reward (a number, not NaN, within [min, max]), an observation, terminal (a boolean) and info (nil or a
--   table). An observation is an array of prod(shape) numbers, none NaN, each within low..high.
--   The optional pair env:state() -> table / env:restore(t) (what `neuromod run --resume` needs): both or
--   neither; the state is plain data (it round-trips through Lua text), and an env built from the same
--   options and restored from it, at the end of an episode, gives the same next 100 steps.
local protocol = {}

local unpack = table.unpack or unpack
local function pack(...) return { n = select("#", ...), ... } end

local function fail(name, method, msg) error("protocol: " .. name .. ": " .. method .. ": " .. msg, 0) end

-- A run's record of violations (protocol.violations), or nil when the first one raises (protocol.check).
local Record = {}
Record.__index = Record

local function new_record(name)
  return setmetatable({ name = name, list = {}, by_key = {}, step = 0 }, Record)
end

-- Adds the error text of a failed check; repeats that differ only in their numbers count as one.
function Record:add(text)
  text = tostring(text)
  local prefix = "protocol: " .. self.name .. ": "
  local rest = text:sub(1, #prefix) == prefix and text:sub(#prefix + 1) or text
  local method, message = rest:match("^([%w_]+): (.*)$")
  method, message = method or "?", message or rest
  local key = method .. "\0" .. message:gsub("[%d%.eE%+%-]+", "#")
  local v = self.by_key[key]
  if v then v.count = v.count + 1 return end
  v = { method = method, message = message, text = text, count = 1, step = self.step }
  self.by_key[key] = v
  self.list[#self.list + 1] = v
end

-- Runs f(...): without a record, plainly (a failure raises); with one, a failure is recorded and attempt
-- returns false, so that the caller can go on with the next check.
local function attempt(rec, f, ...)
  if not rec then f(...) return true end
  local ok, err = pcall(f, ...)
  if not ok then rec:add(err) end
  return ok
end

local function is_callable(x)
  if type(x) == "function" then return true end
  local mt = getmetatable(x)
  return mt ~= nil and type(mt) == "table" and mt.__call ~= nil
end

-- protocol.construct(Env, opts, name) -> env: builds an environment from a constructor (callable, or a class
-- with .new); errors name the script and say what was wrong.
local function construct(Env, opts, name)
  local ok, env
  if type(Env) == "function" or is_callable(Env) then
    ok, env = pcall(Env, opts)
  elseif type(Env) == "table" and type(Env.new) == "function" then
    ok, env = pcall(Env.new, opts)
  else
    fail(name, "constructor", "the script must return a callable constructor (or a class with .new), got "
      .. type(Env))
  end
  if not ok then fail(name, "constructor", "raised an error: " .. tostring(env)) end
  if type(env) ~= "table" and type(env) ~= "userdata" then
    fail(name, "constructor", "must return an environment object, got " .. type(env))
  end
  return env
end

local function call(env, name, method, ...)
  local f = env[method]
  if type(f) ~= "function" then fail(name, method, "missing method (got " .. type(f) .. ")") end
  local res = pack(pcall(f, env, ...))
  if not res[1] then fail(name, method, "raised an error: " .. tostring(res[2])) end
  return unpack(res, 2, res.n)
end

local function is_int(v) return type(v) == "number" and v == math.floor(v) and v > -math.huge and v < math.huge end

local function bound(name, space, which, m)
  local b = space[which]
  if type(b) == "number" then
    if b ~= b then fail(name, "getStateSpace", which .. " is NaN") end
    local out = {}
    for i = 1, m do out[i] = b end
    return out
  end
  if type(b) ~= "table" then
    fail(name, "getStateSpace", which .. " must be a number or an array of " .. m .. " numbers, got " .. type(b))
  end
  if #b ~= m then fail(name, "getStateSpace", which .. " has " .. #b .. " entries, the shape says " .. m) end
  for i = 1, m do
    if type(b[i]) ~= "number" or b[i] ~= b[i] then
      fail(name, "getStateSpace", which .. "[" .. i .. "] must be a number, got " .. tostring(b[i]))
    end
  end
  return b
end

-- The state spaces an agent takes through neuromod.spaces (a Discrete state, no state, a Box of several
-- dimensions): checked by its encoder, which names the space, the index and the value.
local function encoded_space(name, s)
  local ok, enc = pcall(require("neuromod.spaces").encoder, s, "getStateSpace")
  if not ok then fail(name, "getStateSpace", (tostring(enc):gsub("^spaces: ", ""))) end
  return enc
end

-- The state space: fills sp.m, sp.low, sp.high (and sp.encoder for an encoded space).
local function state_space(env, name, sp)
  local s = call(env, name, "getStateSpace")
  local enc
  if s == nil or (type(s) == "table" and (s.name == "Discrete" or (s.name == "Box" and type(s.shape) == "table"
      and #s.shape > 1))) then
    enc = encoded_space(name, s)
    s = enc.space
  end
  if type(s) ~= "table" then fail(name, "getStateSpace", "must return a table or nil, got " .. type(s)) end
  if s.name ~= "Box" then fail(name, "getStateSpace", "name must be \"Box\" or \"Discrete\", got " .. tostring(s.name)) end
  if type(s.shape) ~= "table" or #s.shape == 0 then
    fail(name, "getStateSpace", "shape must be a non-empty array of positive integers")
  end
  local m = 1
  for i = 1, #s.shape do
    if not is_int(s.shape[i]) or s.shape[i] < 1 then
      fail(name, "getStateSpace", "shape[" .. i .. "] must be a positive integer, got " .. tostring(s.shape[i]))
    end
    m = m * s.shape[i]
  end
  local low, high = bound(name, s, "low", m), bound(name, s, "high", m)
  for i = 1, m do
    if low[i] > high[i] then fail(name, "getStateSpace", "low[" .. i .. "] > high[" .. i .. "]") end
  end
  sp.m, sp.low, sp.high, sp.encoder, sp.scratch = m, low, high, enc, {}
end

-- The action space: fills sp.n.
local function action_space(env, name, sp)
  local a = call(env, name, "getActionSpace")
  if type(a) ~= "table" then fail(name, "getActionSpace", "must return a table, got " .. type(a)) end
  if a.name ~= "Discrete" then
    fail(name, "getActionSpace", "name must be \"Discrete\" (the only kind neuromod's agents use), got "
      .. tostring(a.name))
  end
  if not is_int(a.n) or a.n < 1 then fail(name, "getActionSpace", "n must be a positive integer, got " .. tostring(a.n)) end
  sp.n = a.n
end

-- The reward space: fills sp.rmin, sp.rmax.
local function reward_space(env, name, sp)
  local rmin, rmax = call(env, name, "getRewardSpace")
  if type(rmin) ~= "number" or type(rmax) ~= "number" or rmin ~= rmin or rmax ~= rmax then
    fail(name, "getRewardSpace", "must return two numbers min, max, got " .. type(rmin) .. ", " .. type(rmax))
  end
  if rmin > rmax then fail(name, "getRewardSpace", "min " .. rmin .. " > max " .. rmax) end
  sp.rmin, sp.rmax = rmin, rmax
end

local function check_obs(name, method, obs, sp)
  if not sp.m then return end   -- the state space is broken (already reported): nothing to check against
  if sp.encoder then
    local ok, err = pcall(sp.encoder.encode, obs, sp.scratch)
    if not ok then fail(name, method, (tostring(err):gsub("^spaces: ", ""))) end
    return
  end
  if type(obs) ~= "table" then fail(name, method, "observation must be an array of numbers, got " .. type(obs)) end
  if #obs ~= sp.m then
    fail(name, method, "observation has " .. #obs .. " numbers, getStateSpace's shape says " .. sp.m)
  end
  for i = 1, sp.m do
    local v = obs[i]
    if type(v) ~= "number" then fail(name, method, "observation[" .. i .. "] must be a number, got " .. type(v)) end
    if v ~= v then fail(name, method, "observation[" .. i .. "] is NaN") end
    if v < sp.low[i] or v > sp.high[i] then
      fail(name, method, "observation[" .. i .. "] = " .. v .. " is outside getStateSpace's [" .. sp.low[i] .. ", "
        .. sp.high[i] .. "]")
    end
  end
end

local function copy(o)
  if type(o) ~= "table" then return o end
  local c = {}
  for i = 1, #o do c[i] = o[i] end
  return c
end

-- The optional env:state() / env:restore(t) pair: both or neither; at the end of an episode, the state loads
-- back from its Lua text (plain data), and a fresh env restored from it gives the same next 100 steps.
local function resumable(Env, opts, name, env, sp, g, fresh)
  if type(env.state) ~= "function" or type(env.restore) ~= "function" then
    fail(name, "state", "state and restore come as a pair: state is a " .. type(env.state) .. ", restore a " ..
      type(env.restore))
  end
  for _ = 1, 100000 do
    local _, _, terminal = call(env, name, "step", g:random(sp.n) - 1)
    if terminal then break end
  end
  local t = call(env, name, "state")
  if type(t) ~= "table" then fail(name, "state", "must return a table, got " .. type(t)) end
  local ok, text = pcall(require("neuromod.sweep").serialise, t)
  if not ok then fail(name, "state", "must return plain data (numbers, strings, booleans, tables): " .. tostring(text)) end
  local twin = construct(Env, fresh(), name)
  call(twin, name, "restore", (load or loadstring)("return " .. text)())
  local a_obs, b_obs = copy(call(env, name, "start")), call(twin, name, "start")
  for step = 0, 100 do
    local differ = #a_obs ~= #b_obs
    for i = 1, #a_obs do if a_obs[i] ~= b_obs[i] then differ = true end end
    if differ then
      fail(name, "restore", "an env restored from state() differs from the original " .. step ..
        " steps later (the state must hold everything the task draws on, its rngs' positions included)")
    end
    local a = g:random(sp.n) - 1
    local r1, o1, t1 = call(env, name, "step", a)
    o1 = copy(o1)
    local r2, o2, t2 = call(twin, name, "step", a)
    if r1 ~= r2 or t1 ~= t2 then
      fail(name, "restore", "an env restored from state() gives another reward or terminal " .. step + 1 ..
        " steps later")
    end
    if t1 then a_obs, b_obs = copy(call(env, name, "start")), call(twin, name, "start") else a_obs, b_obs = o1, o2 end
  end
end

-- One step's reward, observation, terminal and info against the spaces.
local function check_step(name, sp, r, o, terminal, info, rec)
  attempt(rec, function()
    if type(r) ~= "number" then fail(name, "step", "reward must be a number, got " .. type(r)) end
    if r ~= r then fail(name, "step", "reward is NaN") end
    if sp.rmin and (r < sp.rmin or r > sp.rmax) then
      fail(name, "step", "reward " .. r .. " is outside getRewardSpace's [" .. sp.rmin .. ", " .. sp.rmax .. "]")
    end
  end)
  attempt(rec, check_obs, name, "step", o, sp)
  attempt(rec, function()
    if type(terminal) ~= "boolean" then fail(name, "step", "terminal must be a boolean, got " .. type(terminal)) end
  end)
  attempt(rec, function()
    if info ~= nil and type(info) ~= "table" then fail(name, "step", "info must be a table or nil, got " .. type(info)) end
  end)
end

-- The checks of protocol.check; with a record, every violation goes into it and the run goes on where it can.
local function run(Env, opts, name, chk, rec)
  local nm = require "neuromod"
  local function fresh() local o = {}; for k, v in pairs(opts) do o[k] = v end; return o end
  local summary = { steps = 0, episodes = 0, reward_sum = 0 }
  local env = construct(Env, fresh(), name)
  local twin = chk.determinism and construct(Env, fresh(), name) or nil
  local sp = {}
  attempt(rec, state_space, env, name, sp)
  local have_actions = attempt(rec, action_space, env, name, sp)
  attempt(rec, reward_space, env, name, sp)
  summary.obs_size, summary.actions = sp.m, sp.n
  if not have_actions then return summary end
  local g = nm.rng(chk.seed)
  local obs = call(env, name, "start")
  attempt(rec, check_obs, name, "start", obs, sp)
  local tobs = twin and call(twin, name, "start")
  local function same(a, b, what, step)
    if twin == nil then return end
    local differ = false
    if type(a) == "table" and type(b) == "table" then
      if #a ~= #b then differ = true else for i = 1, #a do if a[i] ~= b[i] then differ = true break end end end
    elseif a ~= b then differ = true end
    if differ then
      fail(name, what, "not deterministic: two envs built with the same options differ at step " .. step
        .. " (draw randomness only from a seeded nm.rng)")
    end
  end
  attempt(rec, same, obs, tobs, "start", 0)
  for t = 1, chk.steps do
    if rec then rec.step = t end
    local a = g:random(sp.n) - 1
    local r, o, terminal, info = call(env, name, "step", a)
    check_step(name, sp, r, o, terminal, info, rec)
    if twin then
      local tr, to, tterm = call(twin, name, "step", a)
      attempt(rec, function() same(r, tr, "step", t) same(copy(o), to, "step", t) same(terminal, tterm, "step", t) end)
    end
    summary.steps = t
    if type(r) == "number" then summary.reward_sum = summary.reward_sum + r end
    if terminal then
      summary.episodes = summary.episodes + 1
      obs = call(env, name, "start")
      attempt(rec, check_obs, name, "start", obs, sp)
      if twin then
        local tnext = call(twin, name, "start")
        attempt(rec, same, obs, tnext, "start", t)
      end
    end
  end
  if env.state ~= nil or env.restore ~= nil then
    attempt(rec, resumable, Env, opts, name, env, sp, g, fresh)
  end
  return summary
end

-- protocol.load(path[, name]) -> what the task script returns (its constructor); errors name the script.
function protocol.load(path, name)
  name = name or path
  local chunk, err = loadfile(path)
  if not chunk then fail(name, "load", err) end
  local ok, Env = pcall(chunk)
  if not ok then fail(name, "load", "the script raised an error: " .. tostring(Env)) end
  return Env
end

protocol.construct = construct

-- Runs the checks with math.random forbidden (when asked); rec: nil (raise the first violation) or a record.
local function guarded(Env, opts, name, check, rec_of)
  check = check or {}
  local chk = {
    steps = check.steps or 300, seed = check.seed or 1,
    determinism = check.determinism ~= false, forbid_math_random = check.forbid_math_random ~= false,
  }
  opts = opts or {}
  local saved_random, saved_seed = math.random, math.randomseed
  if chk.forbid_math_random then
    local who = name or (type(Env) == "string" and Env) or "env"
    local function forbidden(fname)
      return function()
        error("protocol: " .. who .. ": " .. fname .. " called: tasks draw randomness only from a seeded nm.rng", 2)
      end
    end
    math.random, math.randomseed = forbidden("math.random"), forbidden("math.randomseed")
  end
  local rec
  local ok, res = pcall(function()
    if type(Env) == "string" then
      name = name or Env
      rec = rec_of and rec_of(name)
      Env = protocol.load(Env, name)
    end
    name = name or "env"
    rec = rec or (rec_of and rec_of(name))
    return run(Env, opts, name, chk, rec)
  end)
  math.random, math.randomseed = saved_random, saved_seed
  return ok, res, rec
end

function protocol.check(Env, opts, name, check)
  if opts ~= nil and type(opts) ~= "table" then error("protocol.check: opts must be a table or nil", 2) end
  local ok, res = guarded(Env, opts, name, check, nil)
  if not ok then error(res, 0) end
  return res
end

function protocol.violations(Env, opts, name, check)
  if opts ~= nil and type(opts) ~= "table" then error("protocol.violations: opts must be a table or nil", 2) end
  local ok, res, rec = guarded(Env, opts, name, check, new_record)
  rec = rec or new_record(name or "env")
  if not ok then
    -- a check that ends the run (constructor, start or step broken, a script that does not load)
    rec:add(res)
    res = {}
  end
  return rec.list, res
end

return protocol
