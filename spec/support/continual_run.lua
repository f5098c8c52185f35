-- spec/support/continual_run.lua: a short curriculum with every continual mechanism on, for the cross-backend
-- checkpoint specs (spec/continual_spec.lua, spec/boundary_trigger_spec.lua, spec/gate_step_spec.lua).
--   <lua> spec/support/continual_run.lua run N            N trials from scratch, then prints the hash and context
--   <lua> spec/support/continual_run.lua save N path      N trials, saves to path
--   <lua> spec/support/continual_run.lua load path N M    loads, continues trials N+1 .. N+M, prints as run does
local nm = require "neuromod"
local mode = arg[1]
local A = { true, false, true, false }
local B = { false, true, false, true }
local function trial(agent, rng, t)
  local map = (math.floor((t - 1) / 150) % 2 == 0) and A or B   -- A and B alternate every 150 trials
  local c = rng:random(1, 4)
  local obs = { 0, 0, 0, 0 }
  obs[c] = 1
  local a = agent:act(obs)
  agent:learn(((a == 1) == map[c]) and 1 or -0.5, nil, true)
end
-- one generator per trial, so that a continuation draws what the whole run would
local function run(agent, from, to)
  for t = from, to do trial(agent, nm.rng(1000 + t), t) end
end
local opts = { obs = 4, actions = 2, seed = 9, hidden = { 16 }, importance = "si", consolidation = 0.05,
               gating = 0.5, boundary = 0.3 }
-- CONTINUAL_GATE_FIRST=open_yield, CONTINUAL_BOUNDARY_TRIGGER=evidence, CONTINUAL_GATE_STEP=width or
-- CONTINUAL_GATE_MIN=14 (say) runs the same curriculum with that gate_first, boundary_trigger, gate_step or gate_min
for key, var in pairs { gate_first = "CONTINUAL_GATE_FIRST", boundary_trigger = "CONTINUAL_BOUNDARY_TRIGGER",
                        gate_step = "CONTINUAL_GATE_STEP", gate_min = "CONTINUAL_GATE_MIN" } do
  local v = os.getenv(var)
  if v and v ~= "" then opts[key] = tonumber(v) or v end
end
local function open_units(agent)
  local g, k = agent:gain(1), 0
  for i = 1, #g do if g[i] ~= 0 then k = k + 1 end end
  return k
end
if mode == "run" then
  local a = nm.agent(opts)
  run(a, 1, tonumber(arg[2]))
  print(a:state_hash(), a:context(), open_units(a))
elseif mode == "save" then
  local a = nm.agent(opts)
  run(a, 1, tonumber(arg[2]))
  assert(a:save(arg[3]))
elseif mode == "load" then
  local a = nm.load(arg[2])
  local n, m = tonumber(arg[3]), tonumber(arg[4])
  run(a, n + 1, n + m)
  print(a:state_hash(), a:context(), open_units(a))
end
