-- envs/setshift.lua -- the set-shifting Go/No-Go task of Mei, Rodriguez-Garcia et al. (arXiv 2501.06762, §6,
-- Fig. 3): Go/No-Go responses learned by trial and error from reward, with a rule shift midway.
--
-- Stimuli. Two modalities, two stimuli each: visual A or B, auditory X or Y. Every trial pairs one visual with
-- one auditory stimulus, drawn as two independent fair coins. Each stimulus is a sparse population code: of the
-- `population` units of its modality it owns a random subset of `active` units, fixed for the env's lifetime
-- (drawn from the seed at construction; the two codes of a modality always differ, and with `disjoint = true`
-- they share no unit). The observation is concat(visual population, auditory population), 2 * population
-- numbers, 1 on the units of the trial's two stimuli and 0 elsewhere, plus independent Gaussian noise of sd
-- `noise` on every unit when noise > 0 (then the Box bounds are -inf..inf). There is no fixation input: a
-- trial is one step (observation = the cue; action = the response; the reward follows and the trial ends),
-- the paper's trial-by-trial setting. The observation returned with the terminal step is the trial's cue again.
--
-- Actions: 1 = Go, 0 = No-Go (withhold).
--
-- Rules. A rule names one Go stimulus; the other stimulus of its modality is No-Go and the other modality is
-- irrelevant. Before the shift the Go stimulus is `go` (default "A": visual A = Go, B = No-Go, auditory
-- irrelevant). Trials are numbered 1, 2, ... from construction; trials 1..shift_trial follow the initial rule
-- and trials shift_trial + 1 onward the shifted one (shift_trial = 0: the shifted rule from the first trial).
--   shift = "extra" (default) extra-dimensional: the other modality becomes relevant; its Go stimulus is
--                   `shift_go` (default the first stimulus of that modality: X after A or B, A after X or Y);
--   shift = "intra" intra-dimensional: the other stimulus of the same modality becomes Go (A -> B, X -> Y).
--                   With two stimuli per modality this is the paper's intra-dimensional shift and is the
--                   same thing as a reversal;
--   shift = "none"  no shift (a stationary control).
--
-- Rewards (option `rewards`, any subset of the keys): hit (Go on a Go trial) = 1, false_alarm (Go on a
-- No-Go trial) = -1, miss (No-Go on a Go trial) = 0, correct_rejection (No-Go on a No-Go trial) = 0.
-- Outcome noise, for expected-uncertainty (ACh) studies:
--   reward_flip  = p: with probability p the feedback is that of the same response in the other condition
--                  (hit <-> false_alarm for Go, miss <-> correct_rejection for No-Go): misleading feedback, as
--                  in probabilistic reversal tasks; info.flipped says so;
--   reward_noise = sd: Gaussian noise added to every reward (then getRewardSpace is -inf, inf).
-- `correct` always refers to the true rule, never to the (possibly flipped) feedback.
--
-- Options (defaults): seed = 1, population = 10, active = 3, disjoint = false, noise = 0, go = "A",
-- shift = "extra", shift_go = false (derived), shift_trial = 300, rewards = {}, reward_flip = 0,
-- reward_noise = 0. Errors name the task and the option ("setshift: active: ...").
--
-- info, on every step (every step is terminal): correct (boolean), condition ("go" / "nogo" under the current
-- rule), visual ("A" / "B"), auditory ("X" / "Y"), go_cue (boolean: the current rule's Go stimulus is present;
-- the same as condition == "go"), trial (1-based trial number), shifted (boolean: trial > shift_trial; with
-- shift = "none" the rule does not change), rule ("visual" / "auditory": the relevant modality), go (the current Go stimulus, "A".."Y"),
-- action (0 / 1), correct_action (0 / 1 under the current rule), old_condition and old_correct_action (the
-- same under the initial rule, for perseveration measures), outcome ("hit", "false_alarm", "miss",
-- "correct_rejection"), flipped (boolean).
--
-- Randomness: one nm.rng(seed) draws the codes and then the seeds of two child streams, one for the trial
-- sequence and one for noise (input noise, reward noise, flips); so the codes and the trial sequence of a seed
-- do not depend on the noise options. Never math.random.
--
-- Inspection: env.codes = { A = {units}, B = ..., X = ..., Y = ... } (1-based unit indices within the
-- modality, sorted); env:rule(trial) -> modality, go stimulus of that trial's rule; env.trials = trials begun.
local nm = require "neuromod"
local task = require "neuromod.task"
local envstate = require "neuromod.envstate"

local NAME = "setshift"
local SetShift = task.class(NAME)

local DEFAULT_REWARDS = { hit = 1, false_alarm = -1, miss = 0, correct_rejection = 0 }
local MODALITY = { A = "visual", B = "visual", X = "auditory", Y = "auditory" }
local OTHER = { A = "B", B = "A", X = "Y", Y = "X" }          -- the other stimulus of the same modality
local FIRST = { visual = "A", auditory = "X" }
local OTHER_MODALITY = { visual = "auditory", auditory = "visual" }

local function fail(key, msg) error(NAME .. ": " .. key .. ": " .. msg, 4) end

local function stimulus(key, v)
  if MODALITY[v] == nil then fail(key, "expected one of \"A\", \"B\", \"X\", \"Y\", got " .. tostring(v)) end
  return v
end

local function probability(key, v)
  task.number(NAME, key, v)
  if v < 0 or v > 1 then fail(key, "expected a probability in [0, 1], got " .. tostring(v)) end
  return v
end

local function nonnegative(key, v)
  task.number(NAME, key, v)
  if v < 0 then fail(key, "expected a number >= 0, got " .. tostring(v)) end
  return v
end

-- k distinct units out of 1..n (partial Fisher-Yates), sorted.
local function subset(g, n, k)
  local idx = {}
  for i = 1, n do idx[i] = i end
  for i = 1, k do
    local j = g:random(i, n)
    idx[i], idx[j] = idx[j], idx[i]
  end
  local s = {}
  for i = 1, k do s[i] = idx[i] end
  table.sort(s)
  return s
end

local function same(a, b)
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

local function overlaps(a, b)
  local set = {}
  for i = 1, #a do set[a[i]] = true end
  for i = 1, #b do if set[b[i]] then return true end end
  return false
end

function SetShift:__init(opts)
  opts = task.options(NAME, opts, {
    seed = 1, population = 10, active = 3, disjoint = false, noise = 0, go = "A", shift = "extra",
    shift_go = false, shift_trial = 300, rewards = {}, reward_flip = 0, reward_noise = 0,
  })
  local seed = task.integer(NAME, "seed", opts.seed)
  local n = task.integer(NAME, "population", opts.population)
  if n < 2 then fail("population", "expected an integer >= 2, got " .. tostring(n)) end
  local k = task.integer(NAME, "active", opts.active)
  if k < 1 or k >= n then
    fail("active", "expected an integer in 1.." .. (n - 1) .. " (population - 1), got " .. tostring(k))
  end
  self.disjoint = task.boolean(NAME, "disjoint", opts.disjoint)
  if self.disjoint and 2 * k > n then
    fail("disjoint", "needs 2 * active <= population, got active = " .. k .. ", population = " .. n)
  end
  self.noise = nonnegative("noise", opts.noise)
  local go = stimulus("go", opts.go)
  local shift = opts.shift
  if shift ~= "extra" and shift ~= "intra" and shift ~= "none" then
    fail("shift", "expected \"extra\", \"intra\" or \"none\", got " .. tostring(shift))
  end
  local shift_go = opts.shift_go
  if shift == "extra" then
    local target = OTHER_MODALITY[MODALITY[go]]
    if shift_go == false then
      shift_go = FIRST[target]
    elseif stimulus("shift_go", shift_go) and MODALITY[shift_go] ~= target then
      fail("shift_go", "an extra-dimensional shift from " .. go .. " needs a " .. target .. " stimulus, got "
        .. tostring(shift_go))
    end
  elseif shift == "intra" then
    if shift_go ~= false and shift_go ~= OTHER[go] then
      fail("shift_go", "an intra-dimensional shift from " .. go .. " goes to " .. OTHER[go] .. ", got "
        .. tostring(shift_go))
    end
    shift_go = OTHER[go]
  else
    if shift_go ~= false then fail("shift_go", "must not be set with shift = \"none\"") end
    shift_go = go
  end
  local shift_trial = task.integer(NAME, "shift_trial", opts.shift_trial)
  if shift_trial < 0 then fail("shift_trial", "expected an integer >= 0, got " .. tostring(shift_trial)) end
  self.rewards = task.merge(NAME, "rewards", DEFAULT_REWARDS, opts.rewards)
  self.reward_flip = probability("reward_flip", opts.reward_flip)
  self.reward_noise = nonnegative("reward_noise", opts.reward_noise)

  self.population, self.active = n, k
  self.go, self.shift, self.shift_go, self.shift_trial = go, shift, shift_go, shift_trial

  -- codes first, then the child streams' seeds: all from the one seed
  local g = nm.rng(seed)
  self.codes = {}
  for _, pair in ipairs { { "A", "B" }, { "X", "Y" } } do
    local a = subset(g, n, k)
    local b
    repeat b = subset(g, n, k) until not same(a, b) and not (self.disjoint and overlaps(a, b))
    self.codes[pair[1]], self.codes[pair[2]] = a, b
  end
  self.trial_rng = envstate.rng(g:random(0, 2147483647))
  self.noise_rng = envstate.rng(g:random(0, 2147483647))
  self.trials = 0
end

function SetShift:getStateSpace()
  local m = 2 * self.population
  local low, high = {}, {}
  local lo, hi = 0, 1
  if self.noise > 0 then lo, hi = -math.huge, math.huge end
  for i = 1, m do low[i], high[i] = lo, hi end
  return { name = "Box", shape = { m }, low = low, high = high }
end

function SetShift:getActionSpace() return { name = "Discrete", n = 2, withhold = 0 } end

function SetShift:getRewardSpace()
  if self.reward_noise > 0 then return -math.huge, math.huge end
  local r = self.rewards
  return math.min(r.hit, r.false_alarm, r.miss, r.correct_rejection),
         math.max(r.hit, r.false_alarm, r.miss, r.correct_rejection)
end

-- The rule of a trial (default: the current one): relevant modality, Go stimulus.
function SetShift:rule(trial)
  trial = trial or self.trials
  local go = (trial > self.shift_trial) and self.shift_go or self.go
  return MODALITY[go], go
end

function SetShift:start()
  local g = self.trial_rng
  self.trials = self.trials + 1
  self.visual = g:random(2) == 1 and "A" or "B"
  self.auditory = g:random(2) == 1 and "X" or "Y"
  local n, o = self.population, {}
  for i = 1, 2 * n do o[i] = 0 end
  for _, u in ipairs(self.codes[self.visual]) do o[u] = 1 end
  for _, u in ipairs(self.codes[self.auditory]) do o[n + u] = 1 end
  if self.noise > 0 then
    local h, sd = self.noise_rng, self.noise
    for i = 1, 2 * n do o[i] = o[i] + h:normal(0, sd) end
  end
  self.obs = o
  self.open = true
  return o
end

local function present(self, stim) return self.visual == stim or self.auditory == stim end

function SetShift:step(action)
  task.check_action(NAME, action, 2)
  if not self.open then
    error(NAME .. ": step: no trial in progress (call start first; every trial is one step)", 2)
  end
  self.open = false
  local modality, go = self:rule()
  local go_cue = present(self, go)
  local old_go_cue = present(self, self.go)
  local correct = (action == 1) == go_cue
  local outcome
  if action == 1 then outcome = go_cue and "hit" or "false_alarm"
  else outcome = go_cue and "miss" or "correct_rejection" end
  local flipped = false
  local fed = outcome
  if self.reward_flip > 0 and self.noise_rng:random() < self.reward_flip then
    flipped = true
    fed = ({ hit = "false_alarm", false_alarm = "hit", miss = "correct_rejection", correct_rejection = "miss" })[outcome]
  end
  local reward = self.rewards[fed]
  if self.reward_noise > 0 then reward = reward + self.noise_rng:normal(0, self.reward_noise) end
  local info = {
    correct = correct, condition = go_cue and "go" or "nogo", visual = self.visual, auditory = self.auditory,
    go_cue = go_cue, trial = self.trials, shifted = self.trials > self.shift_trial, rule = modality, go = go,
    action = action, correct_action = go_cue and 1 or 0,
    old_condition = old_go_cue and "go" or "nogo", old_correct_action = old_go_cue and 1 or 0,
    outcome = outcome, flipped = flipped,
  }
  return reward, self.obs, true, info
end

-- The task's state for `neuromod run --resume` (its fields are plain data and counting rngs).
function SetShift:state() return envstate.snapshot(self) end
function SetShift:restore(t) envstate.apply(self, t) end

return SetShift
