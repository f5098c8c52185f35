-- envs/volatile_bandit.lua -- a two-armed bandit with a stable and a volatile phase (Behrens et al. 2007,
-- "Learning the value of information in an uncertain world", Nat. Neurosci. 10:1214).
--
-- Trial structure: a trial is one step. The observation is a constant cue {1}; the action is a choice,
-- 0 = option A or 1 = option B. The good option pays `rewards.win` with probability p and the other with
-- probability 1 - p; otherwise the outcome is `rewards.lose`.
--
-- Phases (option `phases`, a list run in order; with cycle = true the list starts again after its end, so that
-- long runs alternate): each phase is { name = "...", trials = n, p = prob, swap = false | { min, max } }.
-- In a phase with swap = { min, max }, the good option swaps after runs of trials whose lengths are drawn
-- uniformly from min..max (the run restarts with each phase). The default follows Behrens' design, a stable
-- phase at 75/25 and then a volatile one at 80/20 with swaps every 20-40 trials:
-- { name = "stable", trials = 120, p = 0.75, swap = false }, { name = "volatile", trials = 170, p = 0.8,
-- swap = { 20, 40 } }. The good option carries over from one phase
-- to the next; it is A (0) at the start (option `good`).
--
-- Options (defaults): seed = 1, phases = (above), cycle = true, good = 0, rewards = { win = 1, lose = 0 }.
--
-- info (every step is terminal; one table per env, refilled every trial: copy what you keep): trial (1-based),
-- phase (the phase's name), phase_index, phase_trial (1-based within the phase), p, good (0 or 1: the good
-- option of this trial), action, correct (the good option was chosen), rewarded, swaps (swaps so far,
-- including one this trial triggered), swapped (this trial triggered a swap, effective from the next trial),
-- condition (the phase's name, so that the runner reports accuracy by phase).
--
-- Randomness: one nm.rng(seed) for outcomes and run lengths. Never math.random.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "volatile_bandit"
local Bandit = task.class(NAME)

local function fail(key, msg) error(NAME .. ": " .. key .. ": " .. msg, 5) end

local DEFAULT_PHASES = {
  { name = "stable", trials = 120, p = 0.75, swap = false },
  { name = "volatile", trials = 170, p = 0.8, swap = { 20, 40 } },
}

local function check_phases(phases)
  if type(phases) ~= "table" or #phases == 0 then fail("phases", "expected a non-empty list of phases") end
  local out = {}
  for i, ph in ipairs(phases) do
    local key = "phases[" .. i .. "]"
    if type(ph) ~= "table" then fail(key, "expected a table { name, trials, p, swap }, got " .. type(ph)) end
    for k in pairs(ph) do
      if k ~= "name" and k ~= "trials" and k ~= "p" and k ~= "swap" then fail(key, "unknown key '" .. tostring(k) .. "'") end
    end
    local trials, p = ph.trials, ph.p
    if type(trials) ~= "number" or trials ~= math.floor(trials) or trials < 1 then
      fail(key .. ".trials", "expected an integer >= 1, got " .. tostring(trials))
    end
    if type(p) ~= "number" or not (p >= 0 and p <= 1) then
      fail(key .. ".p", "expected a probability in [0, 1], got " .. tostring(p))
    end
    local swap = ph.swap or false
    if swap ~= false then
      if type(swap) ~= "table" or type(swap[1]) ~= "number" or type(swap[2]) ~= "number" or swap[1] ~= math.floor(swap[1])
        or swap[2] ~= math.floor(swap[2]) or swap[1] < 1 or swap[2] < swap[1] then
        fail(key .. ".swap", "expected false or { min, max } with integers 1 <= min <= max")
      end
      swap = { swap[1], swap[2] }
    end
    out[i] = { name = tostring(ph.name or ("phase" .. i)), trials = trials, p = p, swap = swap }
  end
  return out
end

function Bandit:__init(opts)
  opts = task.options(NAME, opts, { seed = 1, phases = DEFAULT_PHASES, cycle = true, good = 0, rewards = {} })
  self.rng = envstate.rng(task.integer(NAME, "seed", opts.seed))
  self.phases = check_phases(opts.phases)
  self.cycle = task.boolean(NAME, "cycle", opts.cycle)
  if opts.good ~= 0 and opts.good ~= 1 then fail("good", "expected 0 or 1, got " .. tostring(opts.good)) end
  self.good = opts.good
  self.rewards = task.merge(NAME, "rewards", { win = 1, lose = 0 }, opts.rewards)
  self.trials, self.swaps = 0, 0
  self:enter(1)
  self.obs = { 1 }
  self.info = {}
end

-- Enters phase i: restarts its trial count and its first run.
function Bandit:enter(i)
  self.phase_index, self.phase_trial = i, 0
  local ph = self.phases[i]
  self.run_left = ph.swap and self.rng:random(ph.swap[1], ph.swap[2]) or nil
end

function Bandit:getStateSpace() return { name = "Box", shape = { 1 }, low = { 1 }, high = { 1 } } end
function Bandit:getActionSpace() return { name = "Discrete", n = 2 } end
function Bandit:getRewardSpace()
  local r = self.rewards
  return math.min(r.win, r.lose), math.max(r.win, r.lose)
end

function Bandit:start()
  -- past the last phase: start again, or stay in the last one
  local ph = self.phases[self.phase_index]
  if self.phase_trial >= ph.trials then
    if self.phase_index < #self.phases then self:enter(self.phase_index + 1)
    elseif self.cycle then self:enter(1)
    else self.phase_trial = 0 end
  end
  self.open = true
  return self.obs
end

function Bandit:step(action)
  task.check_action(NAME, action, 2)
  if not self.open then error(NAME .. ": step: no trial in progress (call start first; a trial is one step)", 2) end
  self.open = false
  local ph = self.phases[self.phase_index]
  self.trials, self.phase_trial = self.trials + 1, self.phase_trial + 1
  local good = self.good
  local correct = action == good
  local rewarded = self.rng:random() < (correct and ph.p or 1 - ph.p)
  local swapped = false
  if self.run_left then
    self.run_left = self.run_left - 1
    if self.run_left == 0 then
      self.good, self.swaps, swapped = 1 - self.good, self.swaps + 1, true
      self.run_left = self.rng:random(ph.swap[1], ph.swap[2])
    end
  end
  local info = self.info
  info.trial, info.phase, info.phase_index, info.phase_trial, info.p = self.trials, ph.name, self.phase_index,
    self.phase_trial, ph.p
  info.good, info.action, info.correct, info.rewarded = good, action, correct, rewarded
  info.swaps, info.swapped, info.condition = self.swaps, swapped, ph.name
  return rewarded and self.rewards.win or self.rewards.lose, self.obs, true, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function Bandit:state() return envstate.snapshot(self) end
function Bandit:restore(t) envstate.apply(self, t) end

return Bandit
