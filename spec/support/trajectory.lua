-- spec/support/trajectory.lua: a seeded Go/No-Go training run printed step by step, for comparing backends
-- (spec/cross_backend_spec.lua runs it under lua5.4 and luajit and diffs the outputs).
--   trajectory.lua train STEPS [CHECKPOINT CONTINUE]  train STEPS steps; with CHECKPOINT, save there and
--                                                     go on CONTINUE steps on a fresh task (seed 2)
--   trajectory.lua load CHECKPOINT CONTINUE           load the checkpoint and go on the same way
--   trajectory.lua train_ns STEPS                     train with the neuron-scale options on (attention_set,
--                                                     gain_focus); the hash lines also print attention and gain
--   trajectory.lua train_cp STEPS                     train with NA's change-point input (na_input)
--   trajectory.lua train_rec STEPS [CHECKPOINT CONTINUE]  as train, with a recurrent trunk on the memory
--                                                     version of the task (the checkpoint is taken mid-episode)
--   trajectory.lua load_rec CHECKPOINT CONTINUE       load that checkpoint and go on the same way
--   trajectory.lua train_int STEPS [CHECKPOINT CONTINUE]  as train_rec, the layer of the integrator kind
-- Output: "backend <name>", then one line per step: t, action, reward, terminal, the modulator levels,
-- phasic and tonic parts, the eight meta-parameters, the surprise and the step count (floats as %a:
-- exact, and printed alike by both interpreters, where %.9g rounds decimal ties differently); every 100
-- steps and at the end the agent's state_hash (a hash of weights, traces and modulator state).
-- Continuation lines start with "c".
local nm = require "neuromod"
local Env = dofile "envs/gonogo.lua"

local mode, a1, a2, a3 = arg[1], arg[2], arg[3], arg[4]
local out = io.stdout
out:write("backend ", nm.backend, "\n")

local mods = {}
local function fmt_mods(agent)
  agent:_modstate(mods)
  local parts = {}
  for _, key in ipairs { "level", "phasic", "tonic", "params" } do
    for _, x in ipairs(mods[key]) do parts[#parts + 1] = string.format("%a", x) end
  end
  parts[#parts + 1] = string.format("%a", mods.surprise)
  parts[#parts + 1] = string.format("%d", mods.steps)
  return table.concat(parts, " ")
end

local function run(agent, env, steps, prefix)
  local obs = env:start()
  for t = 1, steps do
    local a = agent:act(obs)
    local r, nextobs, terminal = env:step(a)
    agent:learn(r, nextobs, terminal)
    out:write(prefix, string.format("%d %d %a %s ", t, a, r, tostring(terminal)), fmt_mods(agent), "\n")
    if t % 100 == 0 then
      out:write(prefix, "hash ", agent:state_hash(), "\n")
      if agent:config().attention_set > 0 then
        local v = {}
        for _, x in ipairs(agent:attention()) do v[#v + 1] = string.format("%a", x) end
        for _, x in ipairs(agent:gain()) do v[#v + 1] = string.format("%a", x) end
        out:write(prefix, "neuron ", table.concat(v, " "), "\n")
      end
    end
    obs = terminal and env:start() or nextobs
  end
  out:write(prefix, "final ", agent:state_hash(), "\n")
end

if mode == "train" then
  local env = Env{ seed = 1 }
  local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 16 }, seed = 7,
                          modulators = "all" }
  run(agent, env, assert(tonumber(a1), "steps"), "")
  if a2 then
    assert(agent:save(a2))
    run(agent, Env{ seed = 2 }, assert(tonumber(a3), "continue steps"), "c")
  end
elseif mode == "train_ns" then
  local env = Env{ seed = 1 }
  local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 16 }, seed = 7,
                          modulators = "all", attention_set = 50, gain_focus = 1 }
  run(agent, env, assert(tonumber(a1), "steps"), "")
elseif mode == "train_cp" then
  local env = Env{ seed = 1 }
  local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 16 }, seed = 7,
                          modulators = "all", na_input = "changepoint" }
  run(agent, env, assert(tonumber(a1), "steps"), "")
elseif mode == "train_rec" or mode == "train_int" then
  local env = Env{ seed = 1, memory = true }
  local kind = mode == "train_rec" and "recurrent" or "integrator"
  local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = 7, modulators = "all",
                          hidden = { 8, { kind = kind, n = 12, tau = 4 } } }
  run(agent, env, assert(tonumber(a1), "steps"), "")
  if a2 then
    assert(agent:save(a2))
    run(agent, Env{ seed = 2, memory = true }, assert(tonumber(a3), "continue steps"), "c")
  end
elseif mode == "load_rec" then
  local agent = assert(nm.load(a1))
  run(agent, Env{ seed = 2, memory = true }, assert(tonumber(a2), "continue steps"), "c")
elseif mode == "load" then
  local agent = assert(nm.load(a1))
  run(agent, Env{ seed = 2 }, assert(tonumber(a2), "continue steps"), "c")
else
  error("usage: trajectory.lua train STEPS [CHECKPOINT CONTINUE] | load CHECKPOINT CONTINUE | train_ns STEPS | " ..
        "train_cp STEPS | train_rec|train_int STEPS [CHECKPOINT CONTINUE] | load_rec CHECKPOINT CONTINUE")
end
