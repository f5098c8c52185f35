-- envs/perceptual_decision.lua -- perceptual decision making on NeuroGym's conventions
-- (neurogym.envs.PerceptualDecisionMaking; the random-dot motion task of Britten et al. 1992): which of two
-- noisy inputs is higher on average over the stimulus period?
--
-- Each trial is one episode: fixation (100 ms), stimulus (2000 ms), delay (0 ms), decision (100 ms), at dt =
-- 100 ms: 22 steps. Observation {fixation, stimulus 1, stimulus 2}: the fixation channel is 1 until the decision
-- period and 0 in it (the go cue). Each trial draws a side (1 or 2) and a coherence c (in percent, from
-- `coherence`); during the stimulus period the side's channel shows 1/2 + c/200 and the other 1/2 - c/200, each
-- plus Gaussian noise of sd sigma / sqrt(dt) drawn afresh every step. With memory = true (the default: NeuroGym
-- exactly) both stimulus channels are 0 in the delay and the decision periods, so the answer needs the evidence
-- held; with memory = false the noisy stimulus stays on through delay and decision (fresh noise each step), so
-- a memoryless agent can answer from the frame in front of it (the control that shows what reading the last
-- frame gives, against integrating the whole stimulus).
--
-- Actions: 0 = fixate (withhold; the space declares withhold = 0), 1 = choose side 1, 2 = choose side 2.
-- Rewards (NeuroGym's): a choice in the decision period ends the trial: +1 if it names the side (correct), 0
-- if not (fail); a trial whose decision period passes without a choice ends with 0 and counts as wrong; a
-- choice during the fixation period costs -0.1 (abort; ends the trial only with abort = true). Choices in the
-- stimulus and delay periods have no consequence, as in NeuroGym. At coherence 0 the side is still drawn and
-- still rewarded: the inputs carry no information about it.
--
-- The step convention is gonogo.lua's: the action of step t is chosen on the observation of step t (start()
-- returns step 0's) and judged by step t's period; step(a) returns the observation of step t + 1.
--
-- Options (defaults): seed = 1, dt = 100, timing = { fixation = 100, stimulus = 2000, delay = 0, decision = 100 }
-- (ms, any subset; each rounds to whole steps; stimulus and decision must be >= dt), coherence = { 0, 6.4, 12.8,
-- 25.6, 51.2 } (a number in [0, 100], or a list of them drawn uniformly per trial), sigma = 1 (noise scale; 0:
-- none, and then the Box bounds are 0..1), memory = true, rewards = { abort = -0.1, correct = 1, fail = 0 },
-- abort = false.
--
-- info (one table per env, refilled every step: copy what you keep), every step: period (of the step just
-- taken), gt (the right action in that step: the side in the decision period, else 0), new_trial (= terminal).
-- On the terminal step also: correct (boolean), performance (1 or 0, NeuroGym's), coherence (the trial's, a
-- number), condition ("coh " .. coherence, e.g. "coh 6.4"), correct_action (the side, 1 / 2), action (the
-- choice made in the decision period, 0 for none), stimulus_steps (steps of evidence), trial (1-based).
--
-- Randomness: one nm.rng(seed) draws the seeds of two streams, one for the trials (side, coherence) and one for
-- the input noise, so the trial sequence of a seed does not depend on sigma or memory. Never math.random.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "perceptual_decision"
local Perceptual = task.class(NAME)

local PERIODS = { "fixation", "stimulus", "delay", "decision" }
local DEFAULT_TIMING = { fixation = 100, stimulus = 2000, delay = 0, decision = 100 }
local DEFAULT_REWARDS = { abort = -0.1, correct = 1.0, fail = 0.0 }
local DEFAULT_COHERENCE = { 0, 6.4, 12.8, 25.6, 51.2 }

local function fail(key, msg) error(NAME .. ": " .. key .. ": " .. msg, 4) end

local function percent(key, v)
  if type(v) ~= "number" or v ~= v or v < 0 or v > 100 then
    fail(key, "expected a coherence in [0, 100] (percent), got " .. tostring(v))
  end
  return v
end

local function coherences(v)
  if type(v) == "number" then return { percent("coherence", v) } end
  if type(v) ~= "table" or #v == 0 then
    fail("coherence", "expected a number or a non-empty list of numbers, got " .. type(v))
  end
  local out = {}
  for i = 1, #v do out[i] = percent("coherence[" .. i .. "]", v[i]) end
  return out
end

function Perceptual:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, dt = 100, timing = {}, coherence = DEFAULT_COHERENCE, sigma = 1,
                                    memory = true, rewards = {}, abort = false })
  local seed = task.integer(NAME, "seed", opts.seed)
  local dt = task.positive(NAME, "dt", opts.dt)
  local timing = task.merge(NAME, "timing", DEFAULT_TIMING, opts.timing)
  self.rewards = task.merge(NAME, "rewards", DEFAULT_REWARDS, opts.rewards)
  self.abort = task.boolean(NAME, "abort", opts.abort)
  self.memory = task.boolean(NAME, "memory", opts.memory)
  self.coherence = coherences(opts.coherence)
  self.labels = {}
  for i, c in ipairs(self.coherence) do self.labels[i] = string.format("coh %g", c) end
  local sigma = task.number(NAME, "sigma", opts.sigma)
  if sigma < 0 then fail("sigma", "expected a number >= 0, got " .. tostring(sigma)) end
  self.sigma, self.sd = sigma, sigma / math.sqrt(dt)
  self.bounds, self.period_at, self.steps =
    task.periods(NAME, PERIODS, timing, dt, { "stimulus", "decision" })
  self.stimulus_steps = self.bounds.stimulus[2] - self.bounds.stimulus[1]
  local g = nm.rng(seed)
  self.trial_rng = envstate.rng(g:random(0, 2147483647))
  self.noise_rng = envstate.rng(g:random(0, 2147483647))
  self.obs = { 0, 0, 0 }
  self.info = {}
  self.trials = 0
end

function Perceptual:getStateSpace()
  if self.sigma > 0 then
    return { name = "Box", shape = { 3 }, low = { 0, -math.huge, -math.huge }, high = { 1, math.huge, math.huge } }
  end
  return { name = "Box", shape = { 3 }, low = { 0, 0, 0 }, high = { 1, 1, 1 } }
end

function Perceptual:getActionSpace() return { name = "Discrete", n = 3, withhold = 0 } end

function Perceptual:getRewardSpace()
  local r = self.rewards
  return math.min(r.abort, r.fail, 0), math.max(r.correct, r.fail, 0)
end

function Perceptual:period(t) return self.period_at[t] or "decision" end

-- Writes the observation of step t into self.obs (reused: copy it if you keep it across steps).
function Perceptual:observe(t)
  local o, p = self.obs, self:period(t)
  o[1] = p == "decision" and 0 or 1
  if p == "stimulus" or (not self.memory and p ~= "fixation") then
    local d = self.coh / 200
    local a, b = 0.5 + d, 0.5 - d
    if self.side == 2 then a, b = b, a end
    if self.sd > 0 then
      local h, sd = self.noise_rng, self.sd
      a = a + h:normal(0, sd)
      b = b + h:normal(0, sd)
    end
    o[2], o[3] = a, b
  else
    o[2], o[3] = 0, 0
  end
  return o
end

function Perceptual:start()
  local g = self.trial_rng
  self.side = g:random(2)
  self.coh_index = g:random(#self.coherence)
  self.coh = self.coherence[self.coh_index]
  self.t = 0
  self.trials = self.trials + 1
  return self:observe(0)
end

function Perceptual:step(action)
  task.check_action(NAME, action, 3)
  if not self.t then error(NAME .. ": step called before start", 2) end
  local p = self:period(self.t)
  local reward, terminal, given = task.judge(self, p, action, self.side)
  self.t = self.t + 1
  if self.t >= self.steps then terminal = true end
  local info = self.info
  info.period, info.gt, info.new_trial = p, p == "decision" and self.side or 0, terminal
  if terminal then
    local correct = given == self.side
    info.correct, info.performance = correct, correct and 1 or 0
    info.coherence, info.condition = self.coh, self.labels[self.coh_index]
    info.correct_action, info.action = self.side, given
    info.stimulus_steps, info.trial = self.stimulus_steps, self.trials
    self.t = nil
    return reward, self.obs, true, info
  end
  info.correct, info.performance, info.coherence, info.condition = nil, nil, nil, nil
  info.correct_action, info.action, info.stimulus_steps, info.trial = nil, nil, nil, nil
  return reward, self:observe(self.t), false, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function Perceptual:state() return envstate.snapshot(self) end
function Perceptual:restore(t) envstate.apply(self, t) end

return Perceptual
