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

-- n trials of the map, +1 for a correct response, 0 for an error: each action appended to out, which is returned
function M.actions(agent, rng, map, n, out)
  for _ = 1, n do
    local _, a = M.trial(agent, rng, map, 1, 0)
    out[#out + 1] = a
  end
  return out
end

-- An agent's run on after a checkpoint: 50 trials of B, then context 1 announced and 50 of A, from seed 9; the
-- actions and the state hash after them (the saved agent's and the reloaded one's must be equal)
function M.announced_record(agent)
  local r, out = nm.rng(9), {}
  M.actions(agent, r, M.B, 50, out)
  agent:context(1)
  M.actions(agent, r, M.A, 50, out)
  return table.concat(out, ",") .. agent:state_hash()
end

-- an agent on the cues (hidden 32, seed 3) with `actions` and any options given
-- The option specs build on the agent without continual learning (continual = false) and add the rows they test,
-- as those rows were written against it; { continual = true } gives the library's default agent.
function M.agent(actions, opts)
  local o = { obs = 4, actions = actions, seed = 3, hidden = { 32 }, continual = false }
  for k, v in pairs(opts or {}) do o[k] = v end
  return nm.agent(o)
end

-- the hidden units the agent's current context keeps open (all of them without gating)
function M.open_units(agent)
  local g, k = agent:gain(1), 0
  for i = 1, #g do if g[i] ~= 0 then k = k + 1 end end
  return k
end

-- Four alternating A/B blocks of 100 trials from seed 2: the actions as one string, and the state hash after them.
-- An option that must change nothing gives the same two as the default agent.
function M.alternating_run(new, opts)
  local a, rng, out = new(opts), nm.rng(2), {}
  for k = 1, 4 do M.actions(a, rng, k % 2 == 1 and M.A or M.B, 100, out) end
  return table.concat(out, ""), a:state_hash()
end

-- A checkpoint written in the middle of an alternating A/B run, and the agent that wrote it, run on: returns
-- whether the file holds the section `tag`, then one record for each of them (the hash at the save, the choices
-- over four more blocks, the hash and the context after them), which must be equal. `opts` are the agent's
-- options (a task-free trigger and the continual state whose section is checked).
function M.section_continues(new, opts, tag)
  local a, rng = new(opts), nm.rng(6)
  for k = 1, 5 do M.actions(a, rng, k % 2 == 1 and M.A or M.B, 150, {}) end
  local path = os.tmpname()
  assert(a:save(path))
  local f = assert(io.open(path, "rb"))
  local bytes = f:read("a")
  f:close()
  local b = assert(nm.load(path))
  os.remove(path)
  local function record(agent, seed)
    local r, xs, h0 = nm.rng(seed), {}, agent:state_hash()
    for k = 1, 4 do M.actions(agent, r, k % 2 == 1 and M.B or M.A, 150, xs) end
    return table.concat({ h0, table.concat(xs, ""), agent:state_hash(), tostring(agent:context()) }, " | ")
  end
  return bytes:find(tag, 1, true) ~= nil, record(a, 8), record(b, 8)
end

return M
