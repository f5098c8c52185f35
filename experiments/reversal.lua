-- experiments/reversal.lua -- serial probabilistic reversal (envs/reversal.lua: 80/20, a reversal after 8
-- consecutive choices of the good option), the agent beside the Rescorla-Wagner learner (neuromod.baseline,
-- alpha = 0.3, beta = 5): reversals completed in 1,000 trials, per seed.
--
--   lua5.4 experiments/reversal.lua [--seeds 20] [--first-seed 1] [--trials 1000] [--hidden 32]
--                                   [--policy-reset R] [--policy-entropy C] [--learning-rate A]
--                                   [--outcome-bias W] [--predictor-rate P] [--na-beta B] [--attention A]
--                                   [--map PARAM.MOD=V,...]
--
-- Conditions: RW (alpha 0.3, beta 5), the agent with DA only, DA + NA, and all four modulators (hidden layer of
-- --hidden units, the agent's defaults otherwise). Each condition sees the same seeds (the same outcome stream
-- for the same choices). Prints per condition the mean number of reversals with its 95% t interval, and Welch's
-- one-sided p that the agent completes more reversals than RW, and that DA + NA completes more than DA only.
-- --policy-reset R (> 0) adds DA + NA and all four with NA's policy reset (config policy_reset = R) and Welch's
-- one-sided p that each completes more reversals than the same modulators without it. --policy-entropy C gives
-- every agent condition the actor's entropy bonus (config policy_entropy = C), --learning-rate A its base
-- learning rate (default 0.05, the library's); --outcome-bias W and --predictor-rate P set NA's outcome bias and
-- the outcome predictor's rate (defaults 0 and 0.1, the library's). --na-beta B sets the mapping's NA entry on
-- the inverse temperature (default -2, the library's), --attention A the base attention (default 1), --map
-- further mapping entries (e.g. attention.ACh=0,learning_rate.ACh=0).
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local stats = require "neuromod.stats"
local baseline = require "neuromod.baseline"
local Reversal = dofile(ROOT .. "/envs/reversal.lua")

local task = require "neuromod.task"
local o = task.arguments("reversal", arg, { seeds = 20, first_seed = 1, trials = 1000, hidden = 32, policy_reset = 0,
  policy_entropy = 0, learning_rate = 0.05, outcome_bias = 0, predictor_rate = 0.1, na_beta = -2, attention = 1, map = "" })
local MAPPING = nil
if o.na_beta ~= -2 or o.map ~= "" then
  MAPPING = {}
  if o.na_beta ~= -2 then MAPPING.inverse_temperature = { NA = o.na_beta } end
  for p, m, v in o.map:gmatch("([%w_]+)%.([%w]+)=([-%d.]+)") do
    MAPPING[p] = MAPPING[p] or {}
    MAPPING[p][m] = tonumber(v)
  end
end

local CONDITIONS = {
  { name = "RW (a 0.3, b 5)", learner = function(env, seed)
      return baseline{ kind = "rw", alpha = 0.3, beta = 5, actions = env:getActionSpace(), seed = seed } end },
  { name = "agent DA", modulators = { DA = true } },
  { name = "agent DA+NA", modulators = { DA = true, NA = true } },
  { name = "agent all four", modulators = "all" },
}
if o.policy_reset > 0 then
  CONDITIONS[5] = { name = "DA+NA reset", modulators = { DA = true, NA = true }, policy_reset = o.policy_reset,
    without = 3 }
  CONDITIONS[6] = { name = "all four reset", modulators = "all", policy_reset = o.policy_reset, without = 4 }
end

local function run(c, seed)
  local env = Reversal{ seed = seed, p = 0.8, reverse = "criterion", criterion = 8 }
  local learner = c.learner and c.learner(env, seed) or nm.agent(task.with({ obs = env:getStateSpace(),
    actions = env:getActionSpace(), hidden = { o.hidden }, seed = seed, modulators = c.modulators,
    policy_reset = c.policy_reset, policy_entropy = o.policy_entropy, learning_rate = o.learning_rate,
    outcome_bias = o.outcome_bias, predictor_rate = o.predictor_rate, attention = o.attention,
    mapping = MAPPING }, o.agent))
  local info
  for _ = 1, o.trials do
    local obs = env:start()
    local a = learner:act(obs)
    local r, nobs, terminal
    r, nobs, terminal, info = env:step(a)
    learner:learn(r, nobs, terminal)
  end
  learner:close()
  return info.reversals
end

local results = {}
for ci, c in ipairs(CONDITIONS) do
  local x = {}
  for s = 1, o.seeds do x[s] = run(c, o.first_seed + s - 1) end
  results[ci] = x
end

print(string.format("serial reversal, 80/20, criterion 8 in a row; %d trials; seeds %d-%d; hidden %d%s",
  o.trials, o.first_seed, o.first_seed + o.seeds - 1, o.hidden,
  (o.policy_reset > 0 and string.format("; policy_reset %g", o.policy_reset) or "") ..
  (o.policy_entropy > 0 and string.format("; policy_entropy %g", o.policy_entropy) or "") ..
  (o.learning_rate ~= 0.05 and string.format("; learning_rate %g", o.learning_rate) or "") ..
  (o.outcome_bias > 0 and string.format("; outcome_bias %g", o.outcome_bias) or "") ..
  (o.predictor_rate ~= 0.1 and string.format("; predictor_rate %g", o.predictor_rate) or "") ..
  (o.na_beta ~= -2 and string.format("; NA -> inverse_temperature %g", o.na_beta) or "") ..
  (o.attention ~= 1 and string.format("; attention %g", o.attention) or "") ..
  (o.map ~= "" and "; mapping " .. o.map or "")))
print(string.format("  %-18s %8s %18s %12s", "condition", "mean", "95% CI", "p(> RW)"))
for ci, c in ipairs(CONDITIONS) do
  local m, lo, hi = stats.ci(results[ci])
  local p = ci > 1 and string.format("%.3g", stats.welch(results[ci], results[1]).p_greater) or ""
  print(string.format("  %-18s %8.1f   [%6.1f, %6.1f] %12s", c.name, m, lo or m, hi or m, p))
end
print(string.format("  DA+NA > DA only: one-sided Welch p = %.3g", stats.welch(results[3], results[2]).p_greater))
for ci, c in ipairs(CONDITIONS) do
  if c.without then
    print(string.format("  %s > %s: one-sided Welch p = %.3g", c.name, CONDITIONS[c.without].name,
      stats.welch(results[ci], results[c.without]).p_greater))
  end
end
