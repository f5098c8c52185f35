-- envs/gonogo.lua -- the Go/No-Go task, on NeuroGym's conventions (neurogym.envs.gonogo.GoNogo).
--
-- Each trial is one episode: fixation (0 ms), stimulus (500 ms), delay (500 ms), decision (500 ms) at
-- dt = 100 ms, so 15 steps. Observation {fixation, nogo, go}: the fixation channel is 1 until the decision
-- period; the cue channel of the trial's condition is 1 during the stimulus. With memory = false (the
-- default here) the cue stays on through delay and decision, so no working memory is needed; memory = true
-- is NeuroGym exactly (cue off in delay and decision, every channel 0 in the decision period).
-- Actions: 0 = fixate (withhold), 1 = go. Rewards (NeuroGym's): go in the decision period of a go trial
-- +1 (correct, ends the trial); go in the decision period of a no-go trial -0.5 (fail, ends the trial);
-- a go trial that ends without a go -0.5 (miss); a no-go trial held to the end 0 and counts as correct;
-- go during the fixation period -0.1 (abort; ends the trial only with abort = true). Go during stimulus and
-- delay has no consequence, as in NeuroGym.
--
-- Speaks the rlenvs protocol: Env{seed = s, ...}; env:start() -> obs; env:step(a) -> reward, obs, terminal,
-- info; the terminal step's info holds correct (boolean) and condition ("go" / "nogo"). The obs and info
-- tables are reused from step to step (so a step makes no garbage): copy what you keep.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local GoNogo = task.class("gonogo")

local PERIODS = { "fixation", "stimulus", "delay", "decision" }
local DEFAULT_TIMING = { fixation = 0, stimulus = 500, delay = 500, decision = 500 }
local DEFAULT_REWARDS = { abort = -0.1, correct = 1.0, fail = -0.5, miss = -0.5 }

function GoNogo:__init(opts)
  opts = task.options("gonogo", opts, { seed = 1, memory = false, abort = false, dt = 100, timing = {}, rewards = {} })
  self.rng = envstate.rng(task.integer("gonogo", "seed", opts.seed))
  self.memory = task.boolean("gonogo", "memory", opts.memory)
  self.abort = task.boolean("gonogo", "abort", opts.abort)
  local dt = task.positive("gonogo", "dt", opts.dt)
  local timing = task.merge("gonogo", "timing", DEFAULT_TIMING, opts.timing)
  self.rewards = task.merge("gonogo", "rewards", DEFAULT_REWARDS, opts.rewards)
  self.bounds, self.period_at, self.steps = task.periods("gonogo", PERIODS, timing, dt, { "decision" })
  self.obs = { 0, 0, 0 }
  self.info = {}
  self.trials = 0
end

function GoNogo:getStateSpace() return { name = "Box", shape = { 3 }, low = { 0, 0, 0 }, high = { 1, 1, 1 } } end
function GoNogo:getActionSpace() return { name = "Discrete", n = 2, withhold = 0 } end
function GoNogo:getRewardSpace()
  local r = self.rewards
  return math.min(r.abort, r.fail, r.miss, 0), math.max(r.correct, 0)
end

function GoNogo:period(t)
  return self.period_at[t] or "decision"
end

-- Writes the observation of step t into self.obs (reused: copy it if you keep it across steps).
function GoNogo:observe(t)
  local o, p = self.obs, self:period(t)
  local cue = self.go and 3 or 2
  o[1], o[2], o[3] = 0, 0, 0
  if p ~= "decision" then o[1] = 1 end
  if p == "stimulus" or (not self.memory and p ~= "fixation") then o[cue] = 1 end
  return o
end

function GoNogo:start()
  self.go = self.rng:random(2) == 2
  self.t = 0
  self.trials = self.trials + 1
  return self:observe(0)
end

function GoNogo:step(action)
  task.check_action("gonogo", action, 2)
  if not self.t then error("gonogo: step called before start", 2) end
  local p = self:period(self.t)
  -- on a no-go trial no action is the answer: going in the decision period fails
  local reward, terminal, given = task.judge(self, p, action, self.go and 1 or 0)
  local correct = nil
  if terminal then correct = given ~= 0 and self.go end   -- an abort is wrong, a go is right on a go trial
  self.t = self.t + 1
  if not terminal and self.t >= self.steps then
    terminal = true
    correct = not self.go
    if self.go then reward = reward + self.rewards.miss end
  end
  -- one info table per env, refilled every step (like the observation): copy what you keep
  local info = self.info
  info.period, info.gt = p, (p == "decision" and self.go) and 1 or 0
  if terminal then
    info.correct = correct
    info.condition = self.go and "go" or "nogo"
    info.trial = self.trials
    self.t = nil
    return reward, self:observe(self.steps - 1), true, info
  end
  info.correct, info.condition, info.trial = nil, nil, nil
  return reward, self:observe(self.t), false, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function GoNogo:state() return envstate.snapshot(self) end
function GoNogo:restore(t) envstate.apply(self, t) end

return GoNogo
