-- experiments/gonogo_memory.lua -- Go/No-Go with the cue hidden during the delay (envs/gonogo.lua, memory = true):
-- a recurrent trunk against the feed-forward agent of the same width, all four modulators on.
--
--   lua5.4 experiments/gonogo_memory.lua [--seeds 5] [--first-seed 1] [--trials 5000] [--n 64] [--tau 5]
--
-- Per seed and agent: trials to 90% correct over 100 trials (never: not within --trials), and the accuracy of
-- the last 100 trials, overall and on go and no-go trials.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)
local runner = require "neuromod.runner"
local o = require("neuromod.task").arguments("gonogo_memory", arg,
  { seeds = 5, first_seed = 1, trials = 5000, n = 64, tau = 5 })

local agents = {
  { "feed-forward", { o.n } },
  { "recurrent", { { kind = "recurrent", n = o.n, tau = o.tau } } },
}
print(string.format("Go/No-Go, memory = true, %d trials, %d units (recurrent tau %g), seeds %d-%d",
  o.trials, o.n, o.tau, o.first_seed, o.first_seed + o.seeds - 1))
print(string.format("  %-13s %5s %10s %9s %7s %7s", "agent", "seed", "criterion", "last100", "go", "nogo"))
for _, ag in ipairs(agents) do
  local met = 0
  for s = o.first_seed, o.first_seed + o.seeds - 1 do
    local res = runner.run{ env = ROOT .. "/envs/gonogo.lua", trials = o.trials, seed = s, hidden = ag[2],
      progress = false, env_options = { memory = true } }
    local by = res.by_condition
    local function acc(c) return by[c] and string.format("%.2f", by[c].correct / by[c].n) or "-" end
    if res.trials_to_criterion then met = met + 1 end
    print(string.format("  %-13s %5d %10s %9.2f %7s %7s", ag[1], s, tostring(res.trials_to_criterion or "never"),
      res.accuracy, acc("go"), acc("nogo")))
    res.agent:close()
  end
  print(string.format("  %s: %d of %d seeds reach 90%% within %d trials", ag[1], met, o.seeds, o.trials))
end
