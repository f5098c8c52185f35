-- envs/two_step.lua -- the two-step task of Daw et al. 2011 ("Model-based influences on humans' choices and
-- striatal prediction errors", Neuron 69:1204), on NeuroGym's parameters (neurogym.envs.DawTwoStep).
--
-- Trial structure: a trial is an episode of two steps. Observation {stage 1, state A, state B} (one-hot).
--   Step 1: the observation is {1, 0, 0}; the action (0 or 1) is the first-stage choice. Action 0 leads to
--           state A and action 1 to state B with probability `common` (the common transition), to the other
--           state otherwise (rare). Reward 0; the observation returned is the second-stage state.
--   Step 2: the action (0 or 1) is the second-stage choice; the reward is `rewards.win` with the probability
--           of the reached state (and, in the "drift" mode, of the chosen second-stage action), else
--           `rewards.lose`. The step is terminal; the observation returned is the second-stage state again.
-- Reward probabilities (option `mode`):
--   "switch" (default, NeuroGym's): one second-stage state pays with probability `high` and the other with
--            `low`, whatever the second-stage action; after every trial they swap with probability `p_switch`;
--   "drift"  (Daw 2011's): each of the four (state, action) pairs has its own probability, starting uniform in
--            [`drift_low`, `drift_high`] and taking after every trial a Gaussian step of sd `drift_sd`,
--            reflected at the bounds.
--
-- Options (defaults, NeuroGym's): seed = 1, common = 0.8, mode = "switch", high = 0.9, low = 0.1,
-- p_switch = 0.025, drift_sd = 0.025, drift_low = 0.25, drift_high = 0.75, rewards = { win = 1, lose = 0 }.
--
-- info (one table per env, refilled every step: copy what you keep): stage (1 or 2: the stage of the step
-- just taken), trial (1-based), first_action, common (the transition was common), state ("A" / "B"); on the
-- terminal step also second_action, rewarded, correct (the first choice was the one whose common state pays
-- more on this trial) and condition ("common" / "rare"), and probs, the table of the four current reward
-- probabilities of this trial { A = { p0, p1 }, B = { p0, p1 } } (reused and updated when the next trial
-- starts: copy what you keep). For the stay analysis:
-- whether the next trial's first_action repeats this one's, by (rewarded, common).
--
-- Randomness: one nm.rng(seed) for transitions, outcomes and the reward process. Never math.random.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "two_step"
local TwoStep = task.class(NAME)

local function probability(key, v)
  task.number(NAME, key, v)
  if v < 0 or v > 1 then error(NAME .. ": " .. key .. ": expected a probability in [0, 1], got " .. v, 4) end
  return v
end

function TwoStep:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, common = 0.8, mode = "switch", high = 0.9, low = 0.1,
    p_switch = 0.025, drift_sd = 0.025, drift_low = 0.25, drift_high = 0.75, rewards = {} })
  self.rng = envstate.rng(task.integer(NAME, "seed", opts.seed))
  self.common = probability("common", opts.common)
  if opts.mode ~= "switch" and opts.mode ~= "drift" then
    error(NAME .. ": mode: expected \"switch\" or \"drift\", got " .. tostring(opts.mode), 3)
  end
  self.mode = opts.mode
  self.high, self.low = probability("high", opts.high), probability("low", opts.low)
  self.p_switch = probability("p_switch", opts.p_switch)
  self.drift_sd = task.number(NAME, "drift_sd", opts.drift_sd)
  if self.drift_sd < 0 then error(NAME .. ": drift_sd: expected a number >= 0, got " .. self.drift_sd, 3) end
  self.drift_low, self.drift_high = probability("drift_low", opts.drift_low), probability("drift_high", opts.drift_high)
  if self.drift_low > self.drift_high then error(NAME .. ": drift_low: must be <= drift_high", 3) end
  self.rewards = task.merge(NAME, "rewards", { win = 1, lose = 0 }, opts.rewards)
  self.probs = { A = { 0, 0 }, B = { 0, 0 } }
  if self.mode == "switch" then
    self.a_high = true
    self:set_switch_probs()
  else
    local span = self.drift_high - self.drift_low
    for _, s in ipairs { "A", "B" } do
      for a = 1, 2 do self.probs[s][a] = self.drift_low + span * self.rng:random() end
    end
  end
  self.obs = { 0, 0, 0 }
  self.info = {}
  self.trials = 0
end

function TwoStep:set_switch_probs()
  local pa, pb = self.high, self.low
  if not self.a_high then pa, pb = pb, pa end
  self.probs.A[1], self.probs.A[2], self.probs.B[1], self.probs.B[2] = pa, pa, pb, pb
end

-- After a trial: the reward probabilities move on.
function TwoStep:advance()
  if self.mode == "switch" then
    if self.rng:random() < self.p_switch then
      self.a_high = not self.a_high
      self:set_switch_probs()
    end
    return
  end
  local lo, hi = self.drift_low, self.drift_high
  for _, s in ipairs { "A", "B" } do
    local p = self.probs[s]
    for a = 1, 2 do
      local x = p[a] + self.rng:normal(0, self.drift_sd)
      -- reflect until inside (a step larger than the span reflects more than once)
      while x < lo or x > hi do
        if x < lo then x = 2 * lo - x else x = 2 * hi - x end
      end
      p[a] = x
    end
  end
end

function TwoStep:getStateSpace() return { name = "Box", shape = { 3 }, low = { 0, 0, 0 }, high = { 1, 1, 1 } } end
function TwoStep:getActionSpace() return { name = "Discrete", n = 2 } end
function TwoStep:getRewardSpace()
  local r = self.rewards
  return math.min(0, r.win, r.lose), math.max(0, r.win, r.lose)
end

function TwoStep:start()
  -- the reward process moves between trials, so the terminal info's probs are those of its trial
  if self.trials > 0 then self:advance() end
  local o = self.obs
  o[1], o[2], o[3] = 1, 0, 0
  self.stage = 1
  self.trials = self.trials + 1
  return o
end

local function mean2(p) return (p[1] + p[2]) / 2 end

function TwoStep:step(action)
  task.check_action(NAME, action, 2)
  if not self.stage then error(NAME .. ": step: no trial in progress (call start first)", 2) end
  local info, o = self.info, self.obs
  if self.stage == 1 then
    local common = self.rng:random() < self.common
    local to_a = (action == 0) == common
    self.first_action, self.was_common, self.second_state = action, common, to_a and "A" or "B"
    self.stage = 2
    o[1], o[2], o[3] = 0, to_a and 1 or 0, to_a and 0 or 1
    info.stage, info.trial, info.first_action, info.common, info.state = 1, self.trials, action, common, self.second_state
    info.second_action, info.rewarded, info.correct, info.condition, info.probs = nil, nil, nil, nil, nil
    return 0, o, false, info
  end
  local p = self.probs[self.second_state]
  local rewarded = self.rng:random() < p[action + 1]
  -- the better first choice: the one whose common destination pays more on average
  local a_better = mean2(self.probs.A) >= mean2(self.probs.B)
  local better_action = (a_better == (self.common >= 0.5)) and 0 or 1
  info.stage, info.trial, info.first_action, info.common, info.state = 2, self.trials, self.first_action,
    self.was_common, self.second_state
  info.second_action, info.rewarded = action, rewarded
  info.correct = self.first_action == better_action
  info.condition = self.was_common and "common" or "rare"
  info.probs = self.probs
  self.stage = nil
  return rewarded and self.rewards.win or self.rewards.lose, o, true, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function TwoStep:state() return envstate.snapshot(self) end
function TwoStep:restore(t) envstate.apply(self, t) end

return TwoStep
