-- experiments/valence_diagnosis.lua -- whether 5-HT's withhold bias in the orthogonalized Go/No-Go depends on the
-- cue: per condition, over the first --window trials of each, the mean withhold bias (the additive logit offset
-- on no-go, read before each act), the mean 5-HT level, the critic's value of the cue V(s) and P(go) from
-- agent:evaluate (envs/gonogo_valence.lua, balanced cues; DA + 5-HT; hidden 32, as experiments/valence.lua).
--
--   lua5.4 experiments/valence_diagnosis.lua [--seeds 5] [--first-seed 1] [--window 100]
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local task = require "neuromod.task"
local Valence = dofile(ROOT .. "/envs/gonogo_valence.lua")
local o = task.arguments("valence_diagnosis", arg, { seeds = 5, first_seed = 1, window = 100, hidden = 32 })

local NAMES = { "go_to_win", "go_to_avoid", "nogo_to_win", "nogo_to_avoid" }
local sum = {}
for _, k in ipairs(NAMES) do sum[k] = { bias = 0, sht = 0, v = 0, pgo = 0, n = 0 } end
for seed = o.first_seed, o.first_seed + o.seeds - 1 do
  local env = Valence{ seed = seed, balanced = true }
  local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(),
    hidden = { o.hidden }, seed = seed, modulators = { DA = true, ["5HT"] = true } }, o.agent))
  local m, pending = {}, {}
  for _ = 1, 4 * o.window do
    local obs = env:start()
    agent:modulators(m)
    local probs, v = agent:evaluate(obs)
    pending.bias, pending.sht, pending.v, pending.pgo = m.params.withhold_bias, m["5HT"], v, 1 - probs[1]
    local a = agent:act(obs)
    local r, nobs, terminal, info = env:step(a)
    agent:learn(r, nobs, terminal)
    local s = sum[info.condition]
    s.bias, s.sht, s.v, s.pgo, s.n = s.bias + pending.bias, s.sht + pending.sht, s.v + pending.v, s.pgo + pending.pgo, s.n + 1
  end
  agent:close()
end
print(string.format("orthogonalized Go/No-Go, DA + 5-HT, first %d trials of each condition, seeds %d-%d (means over trials and seeds)",
  o.window, o.first_seed, o.first_seed + o.seeds - 1))
print(string.format("  %-14s %14s %8s %8s %8s", "condition", "withhold bias", "5-HT", "V(cue)", "P(go)"))
for _, k in ipairs(NAMES) do
  local s = sum[k]
  print(string.format("  %-14s %14.3f %8.3f %8.3f %8.3f", k, s.bias / s.n, s.sht / s.n, s.v / s.n, s.pgo / s.n))
end
