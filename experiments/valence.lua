-- experiments/valence.lua -- the orthogonalized Go/No-Go (envs/gonogo_valence.lua, Guitart-Masip et al. 2012):
-- does the agent show the Pavlovian asymmetry early in learning, and does 5-HT carry it?
--
--   lua5.4 experiments/valence.lua [--seeds 20] [--first-seed 1] [--window 100] [--hidden 32]
--
-- Cues come in shuffled runs of the four (balanced = true), so a run of 4 x --window trials holds exactly
-- --window trials of each condition; accuracy per condition is over those, the window fixed before the first
-- run. Conditions: the agent with DA and 5-HT, and with DA only (5-HT off); hidden layer of --hidden units, the
-- agent's defaults otherwise (the task declares no-go = action 0 as its withheld action); both see the same
-- seeds. The Pavlovian asymmetry index per seed is (go-to-win + nogo-to-avoid) - (nogo-to-win + go-to-avoid).
-- Prints per seed the four accuracies and the index of both conditions; then per condition the mean accuracies
-- and index with 95% t intervals and the one-sided t test that the index exceeds 0; then the paired difference
-- of the index (DA+5HT - DA only) with its 95% interval, one-sided p, and the share of the index 5-HT off cuts.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local stats = require "neuromod.stats"
local Valence = dofile(ROOT .. "/envs/gonogo_valence.lua")

local task = require "neuromod.task"
local o = task.arguments("valence", arg, { seeds = 20, first_seed = 1, window = 100, hidden = 32 })

local CONDITIONS = {
  { name = "DA+5HT", modulators = { DA = true, ["5HT"] = true } },
  { name = "DA only", modulators = { DA = true } },
}
local NAMES = { "go_to_win", "go_to_avoid", "nogo_to_win", "nogo_to_avoid" }
local SHORT = { go_to_win = "GW", go_to_avoid = "GA", nogo_to_win = "NW", nogo_to_avoid = "NA" }

-- One seed: accuracy per condition over its first o.window trials, and the asymmetry index.
local function run(c, seed)
  local env = Valence{ seed = seed, balanced = true }
  local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(),
    hidden = { o.hidden }, seed = seed, modulators = c.modulators }, o.agent))
  local right, n = {}, {}
  for _, k in ipairs(NAMES) do right[k], n[k] = 0, 0 end
  for _ = 1, 4 * o.window do
    local obs = env:start()
    local a = agent:act(obs)
    local r, nobs, terminal, info = env:step(a)
    agent:learn(r, nobs, terminal)
    local k = info.condition
    n[k] = n[k] + 1
    if info.correct then right[k] = right[k] + 1 end
  end
  agent:close()
  local acc = {}
  for _, k in ipairs(NAMES) do acc[k] = right[k] / n[k] end
  acc.index = (acc.go_to_win + acc.nogo_to_avoid) - (acc.nogo_to_win + acc.go_to_avoid)
  return acc
end

local res = {}
for ci, c in ipairs(CONDITIONS) do
  res[ci] = {}
  for s = 1, o.seeds do res[ci][s] = run(c, o.first_seed + s - 1) end
end
local function column(ci, k) local x = {} for s = 1, o.seeds do x[s] = res[ci][s][k] end return x end

print(string.format("orthogonalized Go/No-Go (p 0.8, balanced cues); accuracy over the first %d trials of each condition; seeds %d-%d; hidden %d",
  o.window, o.first_seed, o.first_seed + o.seeds - 1, o.hidden))
print("  GW go-to-win, GA go-to-avoid, NW nogo-to-win, NA nogo-to-avoid; index = (GW + NA) - (NW + GA)")
print(string.format("  %4s  %-34s  %-34s", "", "DA+5HT", "DA only"))
print(string.format("  %4s  %5s %5s %5s %5s %7s    %5s %5s %5s %5s %7s", "seed", "GW", "GA", "NW", "NA", "index",
  "GW", "GA", "NW", "NA", "index"))
for s = 1, o.seeds do
  local a, b = res[1][s], res[2][s]
  print(string.format("  %4d  %5.2f %5.2f %5.2f %5.2f %7.2f    %5.2f %5.2f %5.2f %5.2f %7.2f", o.first_seed + s - 1,
    a.go_to_win, a.go_to_avoid, a.nogo_to_win, a.nogo_to_avoid, a.index,
    b.go_to_win, b.go_to_avoid, b.nogo_to_win, b.nogo_to_avoid, b.index))
end
local zeros = {}
for s = 1, o.seeds do zeros[s] = 0 end
for ci, c in ipairs(CONDITIONS) do
  local parts = {}
  for _, k in ipairs(NAMES) do
    local m, lo, hi = stats.ci(column(ci, k))
    parts[#parts + 1] = string.format("%s %.3f [%.3f, %.3f]", SHORT[k], m, lo, hi)
  end
  print(string.format("  %-8s %s", c.name, table.concat(parts, ", ")))
  local idx = column(ci, "index")
  local m, lo, hi = stats.ci(idx)
  print(string.format("  %-8s index %.3f [%.3f, %.3f]; one-sided t p(index > 0) = %.3g", c.name, m, lo, hi,
    stats.welch(idx, zeros).p_greater))
end
local d = {}
for s = 1, o.seeds do d[s] = res[1][s].index - res[2][s].index end
local m, lo, hi = stats.ci(d)
local full, off = stats.mean(column(1, "index")), stats.mean(column(2, "index"))
-- a cut is only meaningful when the DA+5HT index is positive
local cut = full > 0 and string.format("5-HT off cuts the index by %.0f%%", 100 * (full - off) / full)
  or "no positive DA+5HT index to cut"
print(string.format("  index DA+5HT - DA only (paired): %.3f [%.3f, %.3f]; one-sided t p = %.3g; %s",
  m, lo, hi, stats.welch(d, zeros).p_greater, cut))
