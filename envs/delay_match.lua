-- envs/delay_match.lua -- delayed match-to-sample on NeuroGym's conventions (neurogym.envs.DelayMatchSample;
-- Miller, Erickson & Desimone 1996): is the test stimulus the sample seen before the delay?
--
-- Each trial is one episode of five periods: fixation (300 ms), sample (500 ms), delay (1000 ms), test (500 ms),
-- decision (900 ms), at dt = 100 ms: 32 steps. Observation {fixation, ring_1 .. ring_dim_ring}: the fixation
-- channel is 1 until the decision period and 0 in it (the go cue). The sample is one of the dim_ring directions
-- theta_k = 2 pi (k - 1) / dim_ring; the test is the sample (a match, half the trials) or the opposite direction
-- (sample + pi: a non-match). During the sample period ring unit i shows cos(theta_i - sample) / 2 + 1/2, during
-- the test period the same for the test, each plus Gaussian noise of sd sigma / sqrt(dt) drawn afresh every step;
-- the ring is 0 in the delay and the decision periods, so the answer needs the sample held through the delay.
-- With the default dim_ring = 2 the sample is {1, 0} or {0, 1} before noise.
--
-- Actions: 0 = fixate (withhold; the space declares withhold = 0), 1 = match, 2 = non-match. Rewards
-- (NeuroGym's): an answer (1 or 2) in the decision period ends the trial: +1 if right (correct), 0 if wrong
-- (fail); a trial whose decision period passes without an answer ends with 0 and counts as wrong; an answer
-- during the fixation period costs -0.1 (abort; ends the trial only with abort = true). Answers in the sample,
-- delay and test periods have no consequence, as in NeuroGym.
--
-- The step convention is gonogo.lua's: the action of step t is chosen on the observation of step t (start()
-- returns step 0's) and judged by step t's period; step(a) returns the observation of step t + 1 (NeuroGym's
-- step function returns the observation its action was judged on, one step behind).
--
-- Options (defaults): seed = 1, dt = 100, timing = { fixation = 300, sample = 500, delay = 1000, test = 500,
-- decision = 900 } (ms, any subset; each rounds to whole steps; decision must be >= dt), sigma = 1 (noise scale;
-- 0: none, and then the Box bounds are 0..1), dim_ring = 2 (an even number >= 2, so the non-match lies on the
-- ring), rewards = { abort = -0.1, correct = 1, fail = 0 }, abort = false.
--
-- info (one table per env, refilled every step: copy what you keep), every step: period (of the step just
-- taken), gt (the right action in that step: the answer in the decision period, else 0), new_trial (= terminal).
-- On the terminal step also: correct (boolean), performance (1 or 0, NeuroGym's), condition ("match" /
-- "nonmatch"), correct_action (1 / 2), action (the answer given in the decision period, 0 for none), sample and
-- test (ring indices 1..dim_ring), trial (1-based).
--
-- Randomness: one nm.rng(seed) draws the seeds of two streams, one for the trials and one for the input noise,
-- so the trial sequence of a seed does not depend on sigma. Never math.random.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "delay_match"
local DelayMatch = task.class(NAME)

local PERIODS = { "fixation", "sample", "delay", "test", "decision" }
local DEFAULT_TIMING = { fixation = 300, sample = 500, delay = 1000, test = 500, decision = 900 }
local DEFAULT_REWARDS = { abort = -0.1, correct = 1.0, fail = 0.0 }

local function fail(key, msg) error(NAME .. ": " .. key .. ": " .. msg, 4) end

function DelayMatch:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, dt = 100, timing = {}, sigma = 1, dim_ring = 2, rewards = {},
                                    abort = false })
  local seed = task.integer(NAME, "seed", opts.seed)
  local dt = task.positive(NAME, "dt", opts.dt)
  local timing = task.merge(NAME, "timing", DEFAULT_TIMING, opts.timing)
  self.rewards = task.merge(NAME, "rewards", DEFAULT_REWARDS, opts.rewards)
  self.abort = task.boolean(NAME, "abort", opts.abort)
  local sigma = task.number(NAME, "sigma", opts.sigma)
  if sigma < 0 then fail("sigma", "expected a number >= 0, got " .. tostring(sigma)) end
  local ring = task.integer(NAME, "dim_ring", opts.dim_ring)
  if ring < 2 or ring % 2 ~= 0 then fail("dim_ring", "expected an even integer >= 2, got " .. tostring(ring)) end
  self.dim_ring, self.sigma = ring, sigma
  self.sd = sigma / math.sqrt(dt)
  self.bounds, self.period_at, self.steps = task.periods(NAME, PERIODS, timing, dt, { "decision" })
  -- the noiseless ring pattern of each direction k (theta_k = 2 pi (k - 1) / ring), computed once
  self.patterns = {}
  for k = 1, ring do
    local row = {}
    for i = 1, ring do row[i] = math.cos(2 * math.pi * (i - k) / ring) * 0.5 + 0.5 end
    self.patterns[k] = row
  end
  local g = nm.rng(seed)
  self.trial_rng = envstate.rng(g:random(0, 2147483647))
  self.noise_rng = envstate.rng(g:random(0, 2147483647))
  self.obs = {}
  for i = 1, ring + 1 do self.obs[i] = 0 end
  self.info = {}
  self.trials = 0
end

function DelayMatch:getStateSpace()
  local low, high = { 0 }, { 1 }
  local lo, hi = 0, 1
  if self.sigma > 0 then lo, hi = -math.huge, math.huge end
  for i = 1, self.dim_ring do low[i + 1], high[i + 1] = lo, hi end
  return { name = "Box", shape = { self.dim_ring + 1 }, low = low, high = high }
end

function DelayMatch:getActionSpace() return { name = "Discrete", n = 3, withhold = 0 } end

function DelayMatch:getRewardSpace()
  local r = self.rewards
  return math.min(r.abort, r.fail, 0), math.max(r.correct, r.fail, 0)
end

function DelayMatch:period(t) return self.period_at[t] or "decision" end

-- Writes the observation of step t into self.obs (reused: copy it if you keep it across steps).
function DelayMatch:observe(t)
  local o, p = self.obs, self:period(t)
  o[1] = p == "decision" and 0 or 1
  local k = (p == "sample" and self.sample) or (p == "test" and self.test) or nil
  if k then
    local row, h, sd = self.patterns[k], self.noise_rng, self.sd
    for i = 1, self.dim_ring do
      local v = row[i]
      if sd > 0 then v = v + h:normal(0, sd) end
      o[i + 1] = v
    end
  else
    for i = 1, self.dim_ring do o[i + 1] = 0 end
  end
  return o
end

function DelayMatch:start()
  local g = self.trial_rng
  self.match = g:random(2) == 1
  self.sample = g:random(self.dim_ring)
  self.test = self.match and self.sample or (self.sample - 1 + self.dim_ring / 2) % self.dim_ring + 1
  self.t = 0
  self.trials = self.trials + 1
  return self:observe(0)
end

function DelayMatch:step(action)
  task.check_action(NAME, action, 3)
  if not self.t then error(NAME .. ": step called before start", 2) end
  local p = self:period(self.t)
  local answer = self.match and 1 or 2
  local reward, terminal, given = task.judge(self, p, action, answer)
  self.t = self.t + 1
  if self.t >= self.steps then terminal = true end
  local info = self.info
  info.period, info.gt, info.new_trial = p, p == "decision" and answer or 0, terminal
  if terminal then
    local correct = given == answer
    info.correct, info.performance = correct, correct and 1 or 0
    info.condition = self.match and "match" or "nonmatch"
    info.correct_action, info.action = answer, given
    info.sample, info.test, info.trial = self.sample, self.test, self.trials
    self.t = nil
    return reward, self.obs, true, info
  end
  info.correct, info.performance, info.condition, info.correct_action = nil, nil, nil, nil
  info.action, info.sample, info.test, info.trial = nil, nil, nil, nil
  return reward, self:observe(self.t), false, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function DelayMatch:state() return envstate.snapshot(self) end
function DelayMatch:restore(t) envstate.apply(self, t) end

return DelayMatch
