-- experiments/volatile.lua -- the volatile bandit (envs/volatile_bandit.lua, its defaults: a stable phase of
-- 120 trials at 75/25, then a volatile one of 170 trials at 80/20 with the good option swapping every 20-40
-- trials, cycling; Behrens et al. 2007): does the agent's effective learning rate rise in the volatile phase,
-- and does NA earn it more reward there?
--
--   lua5.4 experiments/volatile.lua [--seeds 20] [--first-seed 1] [--cycles 4] [--hidden 32] [--na-beta B]
--
-- --na-beta B gives every agent the mapping entry inverse_temperature.NA = B (the library's is -2).
--
-- Conditions: the agent with all four modulators, and with NA off (DA, ACh, 5-HT), hidden layer of --hidden
-- units, the agent's defaults otherwise; both see the same seeds. A run is --cycles passes through the two
-- phases (290 trials each). Per trial, after learn, params.learning_rate of agent:modulators() is averaged per
-- phase. Prints per seed the mean learning rate in the stable and the volatile phase and the reward rate in the
-- volatile phase of both conditions; then the number of seeds whose learning rate is higher in the volatile
-- phase (full agent), the paired difference with its 95% t interval, and the one-sided Welch and Mann-Whitney
-- p that the full agent earns more in the volatile phase than the agent with NA off; and, as a trace of
-- perseveration, the share of all trials spent on the option the agent chose more often.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local stats = require "neuromod.stats"
local Bandit = dofile(ROOT .. "/envs/volatile_bandit.lua")

local task = require "neuromod.task"
local o = task.arguments("volatile", arg, { seeds = 20, first_seed = 1, cycles = 4, hidden = 32,
  na_beta = -2 })

local CONDITIONS = {
  { name = "all four", modulators = "all" },
  { name = "NA off", modulators = { DA = true, ACh = true, ["5HT"] = true } },
}
local TRIALS = o.cycles * (120 + 170)

-- One seed: { lr = { stable = mean, volatile = mean }, reward = { stable = rate, volatile = rate } }.
local function run(c, seed)
  local env = Bandit{ seed = seed }
  local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(),
    hidden = { o.hidden }, seed = seed, modulators = c.modulators,
    mapping = o.na_beta ~= -2 and { inverse_temperature = { NA = o.na_beta } } or nil }, o.agent))
  local lr, rew, n = { stable = 0, volatile = 0 }, { stable = 0, volatile = 0 }, { stable = 0, volatile = 0 }
  local ones = 0
  for _ = 1, TRIALS do
    local obs = env:start()
    local a = agent:act(obs)
    local r, nobs, terminal, info = env:step(a)
    agent:learn(r, nobs, terminal)
    ones = ones + a
    local ph = info.phase
    lr[ph] = lr[ph] + agent:modulators().params.learning_rate
    rew[ph], n[ph] = rew[ph] + r, n[ph] + 1
  end
  agent:close()
  return { lr = { stable = lr.stable / n.stable, volatile = lr.volatile / n.volatile },
           reward = { stable = rew.stable / n.stable, volatile = rew.volatile / n.volatile },
           mode = math.max(ones, TRIALS - ones) / TRIALS }
end

local res = {}
for ci, c in ipairs(CONDITIONS) do
  res[ci] = {}
  for s = 1, o.seeds do res[ci][s] = run(c, o.first_seed + s - 1) end
end

local function column(ci, f) local x = {} for s = 1, o.seeds do x[s] = f(res[ci][s]) end return x end

print(string.format("volatile bandit (stable 120 at 75/25, volatile 170 at 80/20, swaps every 20-40); %d cycles = %d trials; seeds %d-%d; hidden %d%s",
  o.cycles, TRIALS, o.first_seed, o.first_seed + o.seeds - 1, o.hidden,
  o.na_beta ~= -2 and string.format("; NA -> inverse_temperature %g", o.na_beta) or ""))
print(string.format("  %4s  %-27s  %-27s  %s", "", "all four: learning rate", "NA off: learning rate", "reward rate, volatile phase"))
print(string.format("  %4s  %8s %8s %9s  %8s %8s %9s  %8s %8s", "seed", "stable", "volatile", "vol/stab", "stable",
  "volatile", "vol/stab", "all four", "NA off"))
local higher = 0
for s = 1, o.seeds do
  local a, b = res[1][s], res[2][s]
  if a.lr.volatile > a.lr.stable then higher = higher + 1 end
  print(string.format("  %4d  %8.5f %8.5f %9.3f  %8.5f %8.5f %9.3f  %8.3f %8.3f", o.first_seed + s - 1,
    a.lr.stable, a.lr.volatile, a.lr.volatile / a.lr.stable, b.lr.stable, b.lr.volatile, b.lr.volatile / b.lr.stable,
    a.reward.volatile, b.reward.volatile))
end
for ci, c in ipairs(CONDITIONS) do
  local d = column(ci, function(r) return r.lr.volatile - r.lr.stable end)
  local m, lo, hi = stats.ci(d)
  local up = 0
  for _, v in ipairs(d) do if v > 0 then up = up + 1 end end
  print(string.format("  %-9s learning rate higher in volatile than stable: %d of %d seeds; volatile - stable %.5f [%.5f, %.5f]",
    c.name, up, o.seeds, m, lo, hi))
end
for ci, c in ipairs(CONDITIONS) do
  local m, lo, hi = stats.ci(column(ci, function(r) return r.reward.volatile end))
  local ms, los, his = stats.ci(column(ci, function(r) return r.reward.stable end))
  print(string.format("  %-9s reward rate: volatile %.3f [%.3f, %.3f], stable %.3f [%.3f, %.3f]", c.name, m, lo, hi,
    ms, los, his))
end
for ci, c in ipairs(CONDITIONS) do
  local m, lo, hi = stats.ci(column(ci, function(r) return r.mode end))
  print(string.format("  %-9s share of all trials on the option chosen more often: %.3f [%.3f, %.3f]", c.name, m, lo, hi))
end
local x, y = column(1, function(r) return r.reward.volatile end), column(2, function(r) return r.reward.volatile end)
print(string.format("  all four > NA off, volatile-phase reward: one-sided Welch p = %.3g, Mann-Whitney p = %.3g",
  stats.welch(x, y).p_greater, stats.mann_whitney(x, y).p_greater))
