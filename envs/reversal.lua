-- envs/reversal.lua -- two-choice serial reversal learning, deterministic or probabilistic.
--
-- Source: the probabilistic reversal task of human and animal studies (e.g. Cools et al. 2002; Izquierdo et
-- al. 2017, review), in its serial form: the good option becomes the bad one, again and again.
--
-- Trial structure: a trial is one step. The observation is a constant cue {1} (there is nothing to see: the
-- good option must be inferred from outcomes); the action is a choice, 0 = option A or 1 = option B (neither
-- is "withhold"). The chosen option pays `rewards.win` with probability `p` if it is the good one and with
-- probability 1 - p if it is the bad one, and `rewards.lose` otherwise (p = 1: deterministic). The observation
-- returned with the terminal step is the cue again.
--
-- Reversals (option `reverse`):
--   "criterion" (default) after `criterion` consecutive choices of the good option (the count restarts at 0
--               after a reversal), as in serial reversal with a performance criterion;
--   "fixed"     every `block` trials;
--   "random"    after blocks whose lengths are drawn uniformly from `block_min`..`block_max`;
--   "none"      never (a stationary two-armed bandit).
-- A reversal takes effect from the next trial; the trial that triggered it has info.reversed = true.
--
-- Options (defaults): seed = 1, p = 0.8, reverse = "criterion", criterion = 8, block = 40, block_min = 20,
-- block_max = 40, good = 0 (the good option of the first block), rewards = { win = 1, lose = 0 }.
--
-- info (every step is terminal; one table per env, refilled every trial: copy what you keep): trial (1-based),
-- action, good (the good option of this trial, 0 or 1), correct (the good option was chosen), rewarded
-- (the outcome was a win), reversals (how many have happened before this trial ended, including one this
-- trial triggered), reversed (this trial triggered a reversal), streak (consecutive good choices so far),
-- condition ("A" or "B": the good option's name), block_trial (1-based trial within the current block).
--
-- Randomness: one nm.rng(seed) for outcomes and block lengths. Never math.random.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "reversal"
local Reversal = task.class(NAME)

local MODES = { criterion = true, fixed = true, random = true, none = true }

local function fail(key, msg) error(NAME .. ": " .. key .. ": " .. msg, 4) end

function Reversal:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, p = 0.8, reverse = "criterion", criterion = 8, block = 40,
    block_min = 20, block_max = 40, good = 0, rewards = {} })
  self.rng = envstate.rng(task.integer(NAME, "seed", opts.seed))
  self.p = task.number(NAME, "p", opts.p)
  if self.p < 0 or self.p > 1 then fail("p", "expected a probability in [0, 1], got " .. tostring(opts.p)) end
  if not MODES[opts.reverse] then
    fail("reverse", "expected \"criterion\", \"fixed\", \"random\" or \"none\", got " .. tostring(opts.reverse))
  end
  self.reverse = opts.reverse
  self.criterion = task.integer(NAME, "criterion", opts.criterion)
  if self.criterion < 1 then fail("criterion", "expected an integer >= 1, got " .. self.criterion) end
  self.block = task.integer(NAME, "block", opts.block)
  if self.block < 1 then fail("block", "expected an integer >= 1, got " .. self.block) end
  self.block_min = task.integer(NAME, "block_min", opts.block_min)
  self.block_max = task.integer(NAME, "block_max", opts.block_max)
  if self.block_min < 1 or self.block_max < self.block_min then
    fail("block_min", "expected 1 <= block_min <= block_max, got " .. self.block_min .. ", " .. self.block_max)
  end
  if opts.good ~= 0 and opts.good ~= 1 then fail("good", "expected 0 or 1, got " .. tostring(opts.good)) end
  self.rewards = task.merge(NAME, "rewards", { win = 1, lose = 0 }, opts.rewards)
  self.good = opts.good
  self.trials, self.reversals, self.streak, self.block_trial = 0, 0, 0, 0
  self.block_length = self:draw_block()
  self.obs = { 1 }
  self.info = {}
end

-- The length of the next block, for the block-based modes.
function Reversal:draw_block()
  if self.reverse == "fixed" then return self.block end
  if self.reverse == "random" then return self.rng:random(self.block_min, self.block_max) end
  return nil
end

function Reversal:getStateSpace() return { name = "Box", shape = { 1 }, low = { 1 }, high = { 1 } } end
function Reversal:getActionSpace() return { name = "Discrete", n = 2 } end
function Reversal:getRewardSpace()
  local r = self.rewards
  return math.min(r.win, r.lose), math.max(r.win, r.lose)
end

function Reversal:start()
  self.open = true
  return self.obs
end

function Reversal:step(action)
  task.check_action(NAME, action, 2)
  if not self.open then error(NAME .. ": step: no trial in progress (call start first; a trial is one step)", 2) end
  self.open = false
  self.trials = self.trials + 1
  self.block_trial = self.block_trial + 1
  local good = self.good
  local correct = action == good
  local p_win = correct and self.p or 1 - self.p
  -- one draw every trial, whatever p is, so that the outcome stream does not depend on p's value
  local rewarded = self.rng:random() < p_win
  self.streak = correct and self.streak + 1 or 0
  local info = self.info
  info.block_trial = self.block_trial
  local reversed = false
  if self.reverse == "criterion" then
    reversed = self.streak >= self.criterion
  elseif self.block_length then
    reversed = self.block_trial >= self.block_length
  end
  if reversed then
    self.good = 1 - self.good
    self.reversals = self.reversals + 1
    self.streak, self.block_trial = 0, 0
    self.block_length = self:draw_block()
  end
  info.trial, info.action, info.good, info.correct, info.rewarded = self.trials, action, good, correct, rewarded
  info.reversals, info.reversed, info.streak = self.reversals, reversed, self.streak
  info.condition = good == 0 and "A" or "B"
  return rewarded and self.rewards.win or self.rewards.lose, self.obs, true, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function Reversal:state() return envstate.snapshot(self) end
function Reversal:restore(t) envstate.apply(self, t) end

return Reversal
