-- bench/population.lua [steps]: N agents stepped from Lua, one call per agent (a loop of agent:act and
-- agent:learn) against one call per population (pop:act, pop:learn), the observations, rewards and actions in
-- reused Lua tables either way; N = 256 at hidden 16 and 64, 3 inputs, 2 actions, one thread. Prints agent-steps
-- per second of CPU time (os.clock), best of 3. Run under lua5.4 (the C-API backend) and luajit (FFI):
--   eval "$(make -s env)"; lua5.4 bench/population.lua; luajit bench/population.lua
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
package.path = ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;" .. package.path
local nm = require "neuromod"

local N, D = 256, 3
local STEPS = tonumber(arg and arg[1]) or 400

local function best_of(f)
  local best = math.huge
  for _ = 1, 3 do
    local t0 = os.clock()
    f()
    best = math.min(best, os.clock() - t0)
  end
  return N * STEPS / best
end

print(string.format("%d agents stepped from Lua (%s backend, %s), %d steps, best of 3: agent-steps per CPU second",
  N, nm.backend, jit and jit.version or _VERSION, STEPS))
print(string.format("  %6s %16s %16s %8s", "hidden", "agent calls", "population", "ratio"))
for _, hidden in ipairs { 16, 64 } do
  -- members without continual learning: the interleaved step's agent (docs/results/population.md)
  local opts = { obs = D, actions = 2, hidden = { hidden }, continual = false }
  local agents = {}
  for k = 1, N do opts.seed = k; agents[k] = nm.agent(opts) end
  opts.seed = 1
  opts.n = N
  local pop = nm.population(opts)
  local flat, rewards, obs = {}, {}, {}
  for i = 1, N * D do flat[i] = ((i * 7) % 11) / 11 end
  for k = 1, N do
    rewards[k] = 0
    obs[k] = { flat[(k - 1) * D + 1], flat[(k - 1) * D + 2], flat[(k - 1) * D + 3] }
  end
  local actions
  local calls = best_of(function()
    for _ = 1, STEPS do
      for k = 1, N do
        local a = agents[k]:act(obs[k])
        agents[k]:learn(a == 1 and 1 or 0, obs[k], false)
      end
    end
  end)
  local population = best_of(function()
    for _ = 1, STEPS do
      actions = pop:act(flat, actions)
      for k = 1, N do rewards[k] = actions[k] == 1 and 1 or 0 end
      pop:learn(rewards, flat)
    end
  end)
  print(string.format("  %6d %16.0f %16.0f %7.2fx", hidden, calls, population, population / calls))
  pop:close()
  for k = 1, N do agents[k]:close() end
end
