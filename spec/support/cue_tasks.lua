-- The one-step Go/No-Go tasks the continual-learning specs train on: four one-hot cues, a map saying which cues want
-- go (action 1), and an agent of one small shape. Each spec picks its own payoffs.
local nm = require "neuromod"

local M = {}

M.A = { true, false, true, false }
M.B = { false, true, false, true }

-- one trial: cue c (1..4) drawn from rng, `hit` paid for the response the map wants, `miss` for the other; returns
-- whether the response was right and the action taken
function M.trial(agent, rng, map, hit, miss)
  local c = rng:random(1, 4)
  local obs = { 0, 0, 0, 0 }
  obs[c] = 1
  local a = agent:act(obs)
  local ok = (a == 1) == map[c]
  agent:learn(ok and hit or miss, nil, true)
  return ok, a
end

-- an agent on the cues (hidden 32, seed 3) with `actions` and any options given
function M.agent(actions, opts)
  local o = { obs = 4, actions = actions, seed = 3, hidden = { 32 } }
  for k, v in pairs(opts or {}) do o[k] = v end
  return nm.agent(o)
end

-- the hidden units the agent's current context keeps open (all of them without gating)
function M.open_units(agent)
  local g, k = agent:gain(1), 0
  for i = 1, #g do if g[i] ~= 0 then k = k + 1 end end
  return k
end

return M
