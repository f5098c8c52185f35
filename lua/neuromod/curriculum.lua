-- neuromod.curriculum: tasks composed into a schedule of blocks, itself an environment of the protocol.
--
-- curriculum.new(def) -> env (also curriculum(def))
--   def.tasks: a list of { name = "...", env = path | constructor | instance, options = {...} }. A path is
--     loaded with neuromod.protocol.load (relative to def.root when given); a constructor is called with the
--     options, whose seed defaults to one drawn from def.seed (so every task gets its own stream); an instance
--     is used as it is. Each task is built once and keeps its state for the curriculum's lifetime, so a return
--     to a task continues it (its trial count, its reversals, ...). A task whose state space is not a Box
--     (Discrete, nil) is put behind neuromod.spaces.wrap. Every task must have the same number of actions.
--   def.schedule:
--     "blocks" (default): def.blocks = { { task = name, trials = n }, ... } in order; a name may come back
--              (returns to an earlier task). After the last block the list starts again (def.loop = true,
--              the default) or the last block goes on (def.loop = false);
--     "random": blocks of def.block trials (a number, or { min, max } drawn uniformly), each block's task
--              drawn uniformly from the tasks, never the previous block's task when there are two or more;
--     "interleaved": every trial's task drawn uniformly (blocks of one trial, repeats allowed).
--   def.identity: true to append the task's one-hot identity (one number per task, in def.tasks' order) to
--     the observation, as NeuroGym's ScheduleEnvs do; false (default) to hide it.
--   def.seed (1): the schedule's draws and the tasks' default seeds.
-- Observations: a task's observation padded with zeros to the largest task's size (then the identity, if
-- given); the state space's bounds are, per element, the smallest and largest over the tasks (0 for padding).
-- A trial is an episode of the current task; blocks change only between trials.
-- info (one table, reused): task (name), task_index, block (1-based count of blocks begun), block_trial,
-- trial (the curriculum's trial count), inner (the task's own info, or nil), correct (inner.correct) and
-- condition ("<task>/<inner condition or all>", so that the runner reports by task).
-- env.tasks[i] = { name, env, size }: the built tasks.
local nm = require "neuromod"
local protocol = require "neuromod.protocol"
local spaces = require "neuromod.spaces"
local envstate = require "neuromod.envstate"

local curriculum = {}
local Curriculum = {}
Curriculum.__index = Curriculum

local function fail(msg) error("curriculum: " .. msg, 4) end

local function is_int(v) return type(v) == "number" and v == math.floor(v) end

local function box_bounds(space, m)
  local low, high = {}, {}
  for i = 1, m do
    low[i] = type(space.low) == "table" and space.low[i] or space.low or -math.huge
    high[i] = type(space.high) == "table" and space.high[i] or space.high or math.huge
  end
  return low, high
end

local function build_task(i, t, root, seed)
  local key = "tasks[" .. i .. "]"
  if type(t) ~= "table" then fail(key .. ": expected { name, env, options }, got " .. type(t)) end
  if type(t.name) ~= "string" then fail(key .. ".name: expected a string, got " .. type(t.name)) end
  local env, Env = t.env, t.env
  if type(Env) == "string" then
    local path = (root and Env:sub(1, 1) ~= "/") and (root .. "/" .. Env) or Env
    Env = protocol.load(path, Env)
  end
  -- an instance has start and step but is not callable (a task.class class has them and is)
  local callable = type(Env) == "function" or (getmetatable(Env) ~= nil and type(getmetatable(Env)) == "table"
    and getmetatable(Env).__call ~= nil)
  local instance = not callable and (type(Env) == "table" or type(Env) == "userdata") and type(Env.start) == "function"
  if not instance then
    local opts = {}
    for k, v in pairs(t.options or {}) do opts[k] = v end
    if opts.seed == nil then opts.seed = seed end
    env = protocol.construct(Env, opts, t.name)
  elseif t.options ~= nil then
    fail(key .. ".options: an instance takes no options")
  end
  local space = env:getStateSpace()
  if type(space) ~= "table" or space.name ~= "Box" then env = spaces.wrap(env, t.name .. " state space") end
  space = env:getStateSpace()
  local m = 1
  for _, d in ipairs(space.shape) do m = m * d end
  local low, high = box_bounds(space, m)
  return { name = t.name, env = env, size = m, low = low, high = high, actions = env:getActionSpace().n, labels = {} }
end

-- The protocol's optional state pair (`neuromod run --resume`): the schedule's position and generator, and each
-- task's own state. A curriculum has the pair only when every one of its tasks has it (see curriculum.new).
local function state(self)
  local t = { rng = { seed = self.rng.seed, draws = self.rng.draws }, trials = self.trials, block = self.block,
              block_trial = self.block_trial, block_length = self.block_length, current = self.current, tasks = {} }
  for i, task in ipairs(self.tasks) do t.tasks[i] = task.env:state() end
  return t
end

local function restore(self, t)
  if type(t) ~= "table" or type(t.rng) ~= "table" or type(t.tasks) ~= "table" or #t.tasks ~= #self.tasks then
    error("curriculum: restore: expected a state table from a curriculum of " .. #self.tasks .. " tasks", 2)
  end
  self.rng = envstate.rng(t.rng.seed, t.rng.draws)
  self.trials, self.block, self.block_trial = t.trials, t.block, t.block_trial
  self.block_length, self.current = t.block_length, t.current
  for i, task in ipairs(self.tasks) do task.env:restore(t.tasks[i]) end
end

function curriculum.new(def)
  if type(def) ~= "table" then fail("expected a table { tasks, schedule, ... }, got " .. type(def)) end
  local known = { tasks = true, schedule = true, blocks = true, block = true, loop = true, identity = true,
                  seed = true, root = true }
  for k in pairs(def) do if not known[k] then fail("unknown option '" .. tostring(k) .. "'") end end
  if type(def.tasks) ~= "table" or #def.tasks == 0 then fail("tasks: expected a non-empty list") end
  local seed = def.seed or 1
  if not is_int(seed) then fail("seed: expected an integer, got " .. tostring(seed)) end
  local self = setmetatable({ rng = envstate.rng(seed), tasks = {}, by_name = {} }, Curriculum)
  for i, t in ipairs(def.tasks) do
    local built = build_task(i, t, def.root, self.rng:random(0, 2147483647))
    if self.by_name[built.name] then fail("tasks: two are named '" .. built.name .. "'") end
    self.tasks[i], self.by_name[built.name] = built, i
    if built.actions ~= self.tasks[1].actions then
      fail("tasks: every task needs the same number of actions: " .. self.tasks[1].name .. " has " ..
           self.tasks[1].actions .. ", " .. built.name .. " has " .. built.actions)
    end
  end
  self.identity = def.identity == true
  self.schedule = def.schedule or "blocks"
  if self.schedule == "blocks" then
    if type(def.blocks) ~= "table" or #def.blocks == 0 then fail("blocks: expected a non-empty list of { task, trials }") end
    self.blocks = {}
    for i, b in ipairs(def.blocks) do
      if type(b) ~= "table" or not self.by_name[b.task] then
        fail("blocks[" .. i .. "].task: expected the name of a task, got " .. tostring(type(b) == "table" and b.task or b))
      end
      if not is_int(b.trials) or b.trials < 1 then
        fail("blocks[" .. i .. "].trials: expected an integer >= 1, got " .. tostring(b.trials))
      end
      self.blocks[i] = { task = self.by_name[b.task], trials = b.trials }
    end
    self.loop = def.loop ~= false
  elseif self.schedule == "random" then
    local b = def.block or 100
    if is_int(b) and b >= 1 then self.block_range = { b, b }
    elseif type(b) == "table" and is_int(b[1]) and is_int(b[2]) and b[1] >= 1 and b[2] >= b[1] then
      self.block_range = { b[1], b[2] }
    else fail("block: expected an integer >= 1 or { min, max }, got " .. tostring(b)) end
  elseif self.schedule == "interleaved" then
    self.block_range = { 1, 1 }
  else
    fail("schedule: expected \"blocks\", \"random\" or \"interleaved\", got " .. tostring(self.schedule))
  end
  -- the common observation: the largest task's size, then the identity
  local m = 0
  for _, t in ipairs(self.tasks) do m = math.max(m, t.size) end
  self.pad = m
  self.size = m + (self.identity and #self.tasks or 0)
  self.obs = {}
  for i = 1, self.size do self.obs[i] = 0 end
  self.info = {}
  self.trials, self.block, self.block_trial, self.block_length, self.current = 0, 0, 0, 0, nil
  local resumable = true
  for _, task in ipairs(self.tasks) do
    if type(task.env.state) ~= "function" or type(task.env.restore) ~= "function" then resumable = false end
  end
  if resumable then self.state, self.restore = state, restore end
  return self
end

setmetatable(curriculum, { __call = function(_, def) return curriculum.new(def) end })

function Curriculum:getStateSpace()
  local low, high = {}, {}
  for i = 1, self.pad do
    local lo, hi = math.huge, -math.huge
    for _, t in ipairs(self.tasks) do
      local l, h = 0, 0
      if i <= t.size then l, h = t.low[i], t.high[i] end
      lo, hi = math.min(lo, l), math.max(hi, h)
    end
    low[i], high[i] = lo, hi
  end
  for i = self.pad + 1, self.size do low[i], high[i] = 0, 1 end
  return { name = "Box", shape = { self.size }, low = low, high = high }
end

function Curriculum:getActionSpace() return self.tasks[1].env:getActionSpace() end

function Curriculum:getRewardSpace()
  local lo, hi = math.huge, -math.huge
  for _, t in ipairs(self.tasks) do
    local l, h = t.env:getRewardSpace()
    lo, hi = math.min(lo, l), math.max(hi, h)
  end
  return lo, hi
end

-- Moves to the next block: its task and its length.
function Curriculum:next_block()
  self.block, self.block_trial = self.block + 1, 0
  if self.schedule == "blocks" then
    local n = #self.blocks
    local i = self.block
    if i > n then i = self.loop and ((i - 1) % n + 1) or n end
    self.current, self.block_length = self.blocks[i].task, self.blocks[i].trials
    return
  end
  local k = #self.tasks
  local task
  if self.schedule == "random" and k > 1 and self.current then
    task = self.rng:random(k - 1)
    if task >= self.current then task = task + 1 end
  else
    task = self.rng:random(k)
  end
  local r = self.block_range
  self.current = task
  self.block_length = r[1] == r[2] and r[1] or self.rng:random(r[1], r[2])
end

function Curriculum:fill(o)
  local out, t = self.obs, self.tasks[self.current]
  for i = 1, t.size do out[i] = o[i] end
  for i = t.size + 1, self.pad do out[i] = 0 end
  if self.identity then
    for i = 1, #self.tasks do out[self.pad + i] = i == self.current and 1 or 0 end
  end
  return out
end

function Curriculum:start()
  if self.current == nil then
    self:next_block()
  elseif self.block_trial >= self.block_length then
    -- "blocks" without loop stays in its last block
    if not (self.schedule == "blocks" and not self.loop and self.block >= #self.blocks) then self:next_block() end
  end
  self.block_trial = self.block_trial + 1
  self.trials = self.trials + 1
  self.running = true
  return self:fill(self.tasks[self.current].env:start())
end

function Curriculum:step(action)
  if not self.running then error("curriculum: step: no trial in progress (call start first)", 2) end
  local t = self.tasks[self.current]
  local r, o, terminal, inner = t.env:step(action)
  if terminal then self.running = false end
  local info = self.info
  info.task, info.task_index, info.block, info.block_trial, info.trial = t.name, self.current, self.block,
    self.block_trial, self.trials
  info.inner = inner
  info.correct = inner and inner.correct
  -- the "<task>/<condition>" strings are made once each, not every step
  local cond = inner and inner.condition or "all"
  local label = t.labels[cond]
  if not label then label = t.name .. "/" .. tostring(cond) t.labels[cond] = label end
  info.condition = label
  return r, self:fill(o), terminal, info
end

return curriculum
