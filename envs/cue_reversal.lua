-- envs/cue_reversal.lua -- a one-step Go/No-Go whose cues swap meanings: the reversal of the agent's own task.
--
-- Source: the cue-reversal form of Go/No-Go learning (e.g. the reversal phase of Guitart-Masip et al. 2012's
-- and Frank et al. 2004's tasks): two cues, one means go, the other no-go, and after a while their meanings
-- swap. The agent must stop going on the cue that now punishes and start going on the one that now pays.
--
-- Trial structure: a trial is one step. The observation is {1, cue A, cue B, 0}: a constant input, a one-hot of
-- the cue shown (A or B, each with probability 1/2), and a spare input held at 0. Actions: 0 = withhold (the
-- action space declares it: withhold = 0), 1 = go. Going on the current go cue pays `rewards.go_right` (+1),
-- going on the no-go cue `rewards.go_wrong` (-1), withholding `rewards.withhold` (0). A is the go cue until
-- trial `reverse_at` (inclusive), B from the next trial on (`reverse_at` = 0: never).
--
-- Options (defaults): seed = 1, reverse_at = 1000, rewards = { go_right = 1, go_wrong = -1, withhold = 0 }.
--
-- info (every step is terminal; one table per env, refilled every trial: copy what you keep): trial (1-based),
-- action, cue ("A" or "B"), condition ("go" or "nogo": the meaning of the cue shown), correct (go on a go cue or
-- withhold on a no-go cue), reversed (the meanings have swapped by this trial), correct_action.
--
-- Randomness: one nm.rng(seed) for the cues. Never math.random.
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "cue_reversal"
local CueReversal = task.class(NAME)

function CueReversal:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, reverse_at = 1000, rewards = {} })
  self.rng = envstate.rng(task.integer(NAME, "seed", opts.seed))
  self.reverse_at = task.integer(NAME, "reverse_at", opts.reverse_at)
  if self.reverse_at < 0 then
    error(NAME .. ": reverse_at: expected an integer >= 0, got " .. self.reverse_at, 3)
  end
  self.rewards = task.merge(NAME, "rewards", { go_right = 1, go_wrong = -1, withhold = 0 }, opts.rewards)
  self.trials = 0
  self.cue_a = true
  self.obs = { 1, 0, 0, 0 }
  self.info = {}
end

function CueReversal:getStateSpace() return { name = "Box", shape = { 4 }, low = 0, high = 1 } end
function CueReversal:getActionSpace() return { name = "Discrete", n = 2, withhold = 0 } end
function CueReversal:getRewardSpace()
  local r = self.rewards
  return math.min(r.go_right, r.go_wrong, r.withhold), math.max(r.go_right, r.go_wrong, r.withhold)
end

function CueReversal:start()
  self.cue_a = self.rng:random() < 0.5
  self.obs[2], self.obs[3] = self.cue_a and 1 or 0, self.cue_a and 0 or 1
  self.open = true
  return self.obs
end

function CueReversal:step(action)
  task.check_action(NAME, action, 2)
  if not self.open then error(NAME .. ": step: no trial in progress (call start first; a trial is one step)", 2) end
  self.open = false
  self.trials = self.trials + 1
  local reversed = self.reverse_at > 0 and self.trials > self.reverse_at
  local go_cue = self.cue_a ~= reversed
  local r = self.rewards
  local reward = action == 0 and r.withhold or (go_cue and r.go_right or r.go_wrong)
  local info = self.info
  info.trial, info.action, info.cue = self.trials, action, self.cue_a and "A" or "B"
  info.condition, info.reversed = go_cue and "go" or "nogo", reversed
  info.correct_action = go_cue and 1 or 0
  info.correct = action == info.correct_action
  return reward, self.obs, true, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function CueReversal:state() return envstate.snapshot(self) end
function CueReversal:restore(t) envstate.apply(self, t) end

return CueReversal
