-- envs/curricula/continual_gonogo.lua -- the continual-learning curriculum: one-step Go/No-Go tasks over `cues`
-- one-hot cues (action 0 withholds, 1 goes) that differ in which cues want a go and in valence.
--
--   local tasks = dofile("envs/curricula/continual_gonogo.lua"){ seed = 1, tasks = 10, cues = 6 }
--   tasks[i] = { name, go = { bool per cue }, valence = "win" | "avoid" }; tasks.trial(task, rng, agent) ->
--   correct (one act and one terminal learn)
--
-- Tasks come in pairs: task 2k-1 is a random assignment of half the cues to go (a permuted cue-to-response
-- mapping, drawn from `seed`), task 2k its reversal (every cue's response swapped). Valence alternates by
-- pair: "win" pays +1 for a correct response and 0 for an error; "avoid" pays 0 for a correct response and -1
-- for an error (Guitart-Masip et al. 2012's two valences). Another seed gives other mappings.
local nm = require "neuromod"

return function(opts)
  opts = opts or {}
  local seed, T, K = opts.seed or 1, opts.tasks or 10, opts.cues or 6
  local rng = nm.rng(seed)
  local tasks = {}
  for i = 1, T do
    local go = {}
    if i % 2 == 1 then
      local order = {}
      for c = 1, K do order[c] = c end
      for c = K, 2, -1 do local j = rng:random(1, c); order[c], order[j] = order[j], order[c] end
      for c = 1, K do go[order[c]] = c <= math.floor(K / 2) end
    else
      for c = 1, K do go[c] = not tasks[i - 1].go[c] end
    end
    local valence = math.floor((i + 1) / 2) % 2 == 1 and "win" or "avoid"
    tasks[i] = { name = ("task%d"):format(i), go = go, valence = valence }
  end
  local obs = {}
  for c = 1, K do obs[c] = 0 end
  function tasks.trial(t, r, agent)
    local c = r:random(1, K)
    obs[c] = 1
    local a = agent:act(obs)
    obs[c] = 0
    local ok = (a == 1) == t.go[c]
    local reward
    if t.valence == "win" then reward = ok and 1 or 0 else reward = ok and 0 or -1 end
    agent:learn(reward, nil, true)
    return ok
  end
  tasks.cues = K
  return tasks
end
