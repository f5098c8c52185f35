-- experiments/cliff_trace.lua -- one seed of the cliff walk (envs/gridworld.lua's default map, no withheld
-- action, as experiments/cliff.lua), with the greedy action, its probability (in tenths) and the critic's value
-- V at every cell, printed after episodes 1-3 and every --every episodes: how the agent ends in a loop.
-- The top row is printed first; the start is at the bottom left, the goal at the bottom right, the cliff (never
-- stood on: its cells show what the network would do there) between them.
--
--   lua5.4 experiments/cliff_trace.lua [--seed 1] [--mods DA,NA,ACh] [--episodes 500] [--every 100]
--                                      [--map inverse_temperature.NA=0,...] [--hidden 64] [--agent K=V]
-- (--hidden 0: no trunk, as experiments/cliff.lua's)
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local Grid = dofile(ROOT .. "/envs/gridworld.lua")
local task = require "neuromod.task"
local o = task.arguments("cliff_trace", arg, { seed = 1, mods = "DA,NA,ACh", episodes = 500, max_steps = 1000,
  map = "", every = 100, hidden = 64 })
local mods = {}
for m in o.mods:gmatch("[^,]+") do mods[m] = true end
local mapping = {}
for p, m, v in o.map:gmatch("([%w_]+)%.([%w]+)=([-%d.]+)") do
  mapping[p] = mapping[p] or {}
  mapping[p][m] = tonumber(v)
end
local env = Grid{ seed = o.seed }
local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = o.seed,
  withhold_action = false, modulators = mods, mapping = mapping,
  hidden = o.hidden ~= 64 and (o.hidden == 0 and {} or { o.hidden }) or nil }, o.agent))

-- the greedy action (^ > v <), its probability in tenths and V, for every cell
local ARROW = { "^", ">", "v", "<" }
local function show(e, ret, falls)
  local m = agent:modulators()
  print(string.format("after episode %d (return %.0f, falls %d): NA %.3f ACh %.3f beta %.3f lr %.4f", e, ret, falls,
    m.NA, m.ACh, m.params.inverse_temperature, m.params.learning_rate))
  for y = 4, 1, -1 do
    local line = {}
    for x = 1, 12 do
      local p, v = agent:evaluate({ x, y })
      local best, bi = -1, 1
      for i = 1, 4 do if p[i] > best then best, bi = p[i], i end end
      line[#line + 1] = string.format("%s%2d%5.0f", ARROW[bi], math.floor(best * 10 + 0.5), v)
    end
    print("  " .. table.concat(line, " "))
  end
end
for e = 1, o.episodes do
  local obs, steps, ret, falls = env:start(), 0, 0, 0
  while true do
    local a = agent:act(obs)
    local r, nobs, terminal = env:step(a)
    steps = steps + 1; ret = ret + r
    if r < -50 then falls = falls + 1 end
    agent:learn(r, nobs, terminal, not terminal and steps >= o.max_steps or nil)
    if terminal or steps >= o.max_steps then break end
    obs = nobs
  end
  if e % o.every == 0 or e <= 3 then show(e, ret, falls) end
end
