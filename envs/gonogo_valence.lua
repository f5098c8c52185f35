-- envs/gonogo_valence.lua -- the orthogonalized Go/No-Go task of Guitart-Masip et al. 2012 ("Go and no-go
-- learning in reward and punishment: interactions between affect and effect", NeuroImage 62:154), where action
-- (go / no-go) and valence (win / avoid losing) are crossed.
--
-- Trial structure: a trial is one step. Four cues, one per condition, shown one-hot: the observation is
-- {go_to_win, go_to_avoid, nogo_to_win, nogo_to_avoid} with a 1 on the trial's cue (the paper's fractal
-- images; the target-detection part of its trials is left out). The cue of every trial is drawn uniformly,
-- or, with balanced = true, from shuffled runs of the four. Actions: 0 = no-go (withhold), 1 = go; the
-- action space declares withhold = 0.
--
-- Rewards: in a win condition the correct response earns `rewards.win` with probability p and 0 otherwise,
-- the incorrect one `rewards.win` with probability 1 - p; in an avoid condition the correct response earns 0
-- with probability p and `rewards.loss` otherwise, the incorrect one 0 with probability 1 - p. So in every
-- condition the correct response earns the better outcome p = 80% of the time (the paper's).
--
-- Options (defaults): seed = 1, p = 0.8, balanced = false, rewards = { win = 1, loss = -1 }.
--
-- info (every step is terminal; one table per env, refilled every trial: copy what you keep): trial (1-based),
-- condition ("go_to_win", "go_to_avoid", "nogo_to_win", "nogo_to_avoid"), cue (1..4), valence ("win" /
-- "avoid"), correct_action (1 for go, 0 for no-go), action, correct, better (the better outcome of the
-- condition was given).
--
-- Randomness: one nm.rng(seed) for cues and outcomes. Never math.random.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "gonogo_valence"
local Valence = task.class(NAME)

local CONDITIONS = { "go_to_win", "go_to_avoid", "nogo_to_win", "nogo_to_avoid" }
local GO = { true, true, false, false }
local WIN = { true, false, true, false }

function Valence:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, p = 0.8, balanced = false, rewards = {} })
  self.rng = envstate.rng(task.integer(NAME, "seed", opts.seed))
  self.p = task.number(NAME, "p", opts.p)
  if self.p < 0 or self.p > 1 then error(NAME .. ": p: expected a probability in [0, 1], got " .. self.p, 3) end
  self.balanced = task.boolean(NAME, "balanced", opts.balanced)
  self.rewards = task.merge(NAME, "rewards", { win = 1, loss = -1 }, opts.rewards)
  self.order, self.left = { 1, 2, 3, 4 }, 0
  self.obs = { 0, 0, 0, 0 }
  self.info = {}
  self.trials = 0
end

function Valence:getStateSpace() return { name = "Box", shape = { 4 }, low = { 0, 0, 0, 0 }, high = { 1, 1, 1, 1 } } end
function Valence:getActionSpace() return { name = "Discrete", n = 2, withhold = 0 } end
function Valence:getRewardSpace()
  local r = self.rewards
  return math.min(0, r.win, r.loss), math.max(0, r.win, r.loss)
end

function Valence:start()
  local cue
  if self.balanced then
    local order = self.order
    if self.left == 0 then
      for i = 4, 2, -1 do
        local j = self.rng:random(i)
        order[i], order[j] = order[j], order[i]
      end
      self.left = 4
    end
    cue = order[5 - self.left]
    self.left = self.left - 1
  else
    cue = self.rng:random(4)
  end
  self.cue = cue
  local o = self.obs
  o[1], o[2], o[3], o[4] = 0, 0, 0, 0
  o[cue] = 1
  self.open = true
  return o
end

function Valence:step(action)
  task.check_action(NAME, action, 2)
  if not self.open then error(NAME .. ": step: no trial in progress (call start first; a trial is one step)", 2) end
  self.open = false
  self.trials = self.trials + 1
  local cue = self.cue
  local correct = (action == 1) == GO[cue]
  local better = self.rng:random() < (correct and self.p or 1 - self.p)
  local reward
  if WIN[cue] then reward = better and self.rewards.win or 0
  else reward = better and 0 or self.rewards.loss end
  local info = self.info
  info.trial, info.condition, info.cue, info.valence = self.trials, CONDITIONS[cue], cue, WIN[cue] and "win" or "avoid"
  info.correct_action, info.action, info.correct, info.better = GO[cue] and 1 or 0, action, correct, better
  return reward, self.obs, true, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function Valence:state() return envstate.snapshot(self) end
function Valence:restore(t) envstate.apply(self, t) end

return Valence
