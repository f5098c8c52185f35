-- experiments/two_step.lua -- the two-step task (envs/two_step.lua, Daw et al. 2011, on NeuroGym's parameters:
-- common transition 0.8, the rewarded second-stage state switching with probability 0.025 per trial): stay
-- probabilities by (reward, transition) of the agent and of Q-learning, beside Daw's model-free and model-based
-- patterns.
--
--   lua5.4 experiments/two_step.lua [--seeds 20] [--first-seed 1] [--trials 1000] [--hidden 32]
--
-- Conditions: the agent with all four modulators (hidden layer of --hidden units, defaults otherwise) and
-- neuromod.baseline's Q-learning (kind "q", its defaults alpha 0.1, beta 5, gamma 0.9); both see the same seeds.
-- A stay is trial t+1's first choice repeating trial t's, counted for every t < --trials by trial t's
-- (rewarded, common). Prints per condition the four stay probabilities (mean over seeds, 95% t interval), the
-- reward effect ((RC + RR) - (UC + UR)) / 2 and the reward x transition interaction (RC - RR) - (UC - UR), each
-- with its interval and two-sided t p against 0, and the reward rate.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local stats = require "neuromod.stats"
local baseline = require "neuromod.baseline"
local TwoStep = dofile(ROOT .. "/envs/two_step.lua")

local task = require "neuromod.task"
local o = task.arguments("two_step", arg, { seeds = 20, first_seed = 1, trials = 1000, hidden = 32 })

local CONDITIONS = {
  { name = "agent all four", make = function(env, seed)
      return nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { o.hidden },
        seed = seed, modulators = "all" }, o.agent)) end },
  { name = "Q-learning", make = function(env, seed)
      return baseline{ kind = "q", obs = env:getStateSpace(), actions = env:getActionSpace(), seed = seed } end },
}
local CELLS = { "RC", "RR", "UC", "UR" } -- rewarded/unrewarded x common/rare

local function run(c, seed)
  local env = TwoStep{ seed = seed }
  local learner = c.make(env, seed)
  local stay, n = {}, {}
  for _, k in ipairs(CELLS) do stay[k], n[k] = 0, 0 end
  local prev, prev_cell, reward = nil, nil, 0
  for _ = 1, o.trials do
    local obs, first, info = env:start(), nil, nil
    repeat
      local a = learner:act(obs)
      first = first or a
      local r, nobs, terminal
      r, nobs, terminal, info = env:step(a)
      learner:learn(r, nobs, terminal)
      reward = reward + r
      obs = nobs
    until terminal
    if prev_cell then
      n[prev_cell] = n[prev_cell] + 1
      if first == prev then stay[prev_cell] = stay[prev_cell] + 1 end
    end
    prev, prev_cell = first, (info.rewarded and "R" or "U") .. (info.common and "C" or "R")
  end
  learner:close()
  local out = { reward = reward / o.trials }
  for _, k in ipairs(CELLS) do out[k] = n[k] > 0 and stay[k] / n[k] or 0 end
  out.effect = ((out.RC + out.RR) - (out.UC + out.UR)) / 2
  out.interaction = (out.RC - out.RR) - (out.UC - out.UR)
  return out
end

print(string.format("two-step (common 0.8, switch 0.025, 0.9/0.1); %d trials; seeds %d-%d; hidden %d",
  o.trials, o.first_seed, o.first_seed + o.seeds - 1, o.hidden))
print("  stay probability after (R rewarded | U unrewarded) x (C common | R rare); mean over seeds [95% CI]")
print("  Daw 2011, model-free:  stay higher after reward, alike after common and rare (RC = RR > UC = UR; interaction 0)")
print("  Daw 2011, model-based: reward x transition interaction (RC > RR, UR > UC; interaction > 0)")
local zeros = {}
for s = 1, o.seeds do zeros[s] = 0 end
for _, c in ipairs(CONDITIONS) do
  local res = {}
  for s = 1, o.seeds do res[s] = run(c, o.first_seed + s - 1) end
  local function col(k) local x = {} for s = 1, o.seeds do x[s] = res[s][k] end return x end
  local parts = {}
  for _, k in ipairs(CELLS) do
    local m, lo, hi = stats.ci(col(k))
    parts[#parts + 1] = string.format("%s %.3f [%.3f, %.3f]", k, m, lo, hi)
  end
  print(string.format("  %-15s %s", c.name, table.concat(parts, ", ")))
  for _, k in ipairs { "effect", "interaction" } do
    local m, lo, hi = stats.ci(col(k))
    print(string.format("  %-15s %-11s %.3f [%.3f, %.3f], t p(two-sided) = %.3g", "", k == "effect" and "reward" or k,
      m, lo, hi, stats.welch(col(k), zeros).p_two))
  end
  local m, lo, hi = stats.ci(col("reward"))
  print(string.format("  %-15s reward rate %.3f [%.3f, %.3f]", "", m, lo, hi))
end
