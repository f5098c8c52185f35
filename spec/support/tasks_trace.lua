-- spec/support/tasks_trace.lua: the adaptive-behaviour and working-memory tasks, the curricula and the wrappers
-- driven by a seeded agent and by the baseline learner, printed step by step for comparing backends
-- (spec/tasks_cross_backend_spec.lua runs it under lua5.4 and luajit and diffs the outputs).
--   tasks_trace.lua STEPS
-- Output: "backend <name>", then per environment a header line and one line per step (action, reward as %a,
-- terminal, the observation's numbers as %a, info.correct), the agent's state_hash every 100 steps and at
-- the end, and the baseline's actions.
local nm = require "neuromod"
local spaces = require "neuromod.spaces"
local wrappers = require "neuromod.wrappers"
local baseline = require "neuromod.baseline"

local steps = tonumber(arg[1] or "300")
local out = io.stdout
out:write("backend ", nm.backend, "\n")

local function env_of(path, opts) return dofile(path)(opts) end

local cases = {
  { "reversal", function() return env_of("envs/reversal.lua", { seed = 3 }) end },
  { "volatile_bandit", function() return env_of("envs/volatile_bandit.lua", { seed = 3 }) end },
  { "gonogo_valence", function() return env_of("envs/gonogo_valence.lua", { seed = 3, balanced = true }) end },
  { "two_step", function() return env_of("envs/two_step.lua", { seed = 3, mode = "drift" }) end },
  { "gridworld", function() return wrappers.time_limit(spaces.wrap(env_of("envs/gridworld.lua", {})), { steps = 50 }) end },
  { "gridworld_index", function() return spaces.wrap(env_of("envs/gridworld.lua", { obs = "index", map = { "S..", ".#.", "C.G" } })) end },
  { "gridworld_onehot", function() return spaces.wrap(env_of("envs/gridworld.lua", {}), nil, "onehot") end },
  { "gridworld_cells", function() return spaces.wrap(env_of("envs/gridworld.lua", {}), nil, "cells") end },
  { "reversal_return", function() return env_of("envs/curricula/reversal_return.lua", { seed = 3, identity = true }) end },
  { "random_blocks", function() return env_of("envs/curricula/random_blocks.lua", { seed = 3 }) end },
  { "delay_match", function() return env_of("envs/delay_match.lua", { seed = 3 }) end },
  { "perceptual_decision", function() return env_of("envs/perceptual_decision.lua", { seed = 3, memory = false }) end },
  { "noisy_previous", function()
      return wrappers.previous(wrappers.noise(env_of("envs/gonogo_valence.lua", { seed = 4 }), { sd = 0.3, seed = 5 }))
    end },
}

for _, c in ipairs(cases) do
  local env = c[2]()
  out:write("env ", c[1], "\n")
  local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 8 }, seed = 7 }
  local obs = env:start()
  for t = 1, steps do
    local a = agent:act(obs)
    local r, o, terminal, info = env:step(a)
    agent:learn(r, o, terminal)
    local parts = {}
    for i = 1, #o do parts[i] = string.format("%a", o[i]) end
    out:write(string.format("%d %d %a %s %s ", t, a, r, tostring(terminal), tostring(info and info.correct)),
      table.concat(parts, " "), "\n")
    if t % 100 == 0 then out:write("hash ", agent:state_hash(), "\n") end
    obs = terminal and env:start() or o
  end
  out:write("final ", agent:state_hash(), "\n")
  agent:close()
  env = c[2]()
  local b = baseline{ kind = "q", alpha = 0.3, beta = 5, gamma = 0.9, actions = env:getActionSpace(), seed = 7 }
  local acts = {}
  obs = env:start()
  for t = 1, steps do
    local a = b:act(obs)
    local r, o, terminal = env:step(a)
    b:learn(r, o, terminal)
    acts[t] = a
    obs = terminal and env:start() or o
  end
  out:write("baseline ", table.concat(acts), "\n")
end
