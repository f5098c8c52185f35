-- experiments/cliff_signals.lua -- one seed of the cliff walk (as experiments/cliff.lua: envs/gridworld.lua's
-- default map, no withheld action, the move cap told as a cut) with what drives NA: per episode (the first
-- --first and every --every), the means over its steps of NA's level, its unexpected-surprise input u, its
-- utility input, ACh, 5-HT, beta, gamma and the learning rate; over its falls, the surprise S, the expected
-- surprise E and u; V at the start (1, 1) and at the top-left corner (1, 4). --window N also prints, for the
-- first --falls falls, the N steps from two before each (reward, TD error, NA level and phasic part, u, S, E).
-- --unexpected N lists, over the last N episodes, every step whose u is above 0 (the cell the move left, the
-- reward, S, E, the reward variance V before the step, u, NA and beta after it), then counts them by cell.
--
--   lua5.4 experiments/cliff_signals.lua [--seed 1] [--mods all] [--episodes 500] [--first 3] [--every 100]
--                                        [--falls 0] [--window 8] [--unexpected 0] [--hidden 64] [--agent K=V ...]
-- (--hidden 0: no trunk, as experiments/cliff.lua's)
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local Grid = dofile(ROOT .. "/envs/gridworld.lua")
local task = require "neuromod.task"
local o = task.arguments("cliff_signals", arg, { seed = 1, mods = "all", episodes = 500, max_steps = 1000,
  first = 3, every = 100, falls = 0, window = 8, unexpected = 0, hidden = 64 })
local mods
if o.mods ~= "all" then
  mods = {}
  for m in o.mods:gmatch("[^,]+") do mods[m] = true end
end
local env = Grid{ seed = o.seed }
local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = o.seed,
  withhold_action = false, modulators = mods,
  hidden = o.hidden ~= 64 and (o.hidden == 0 and {} or { o.hidden }) or nil }, o.agent))

local m, shown, pending, recent = {}, 0, 0, {}
local by_cell, cells, var_before = {}, {}, 0
local function step_line(e, t, r)
  local s = m.signals
  return string.format("  episode %d step %4d  r %5.0f  delta %8.2f  NA %.2f (phasic %5.2f)  u %.2f  S %7.0f  E %7.2f",
    e, t, r, m.DA, m.NA, m.phasic.NA, s.unexpected, s.surprise, s.expected)
end
for e = 1, o.episodes do
  local obs, steps, ret, falls = env:start(), 0, 0, 0
  local sum = { NA = 0, u = 0, ud = 0, ACh = 0, sht = 0, b = 0, g = 0, lr = 0, S = 0, E = 0, uf = 0 }
  while true do
    local r, nobs, terminal = env:step(agent:act(obs))
    steps, ret = steps + 1, ret + r
    agent:learn(r, nobs, terminal, not terminal and steps >= o.max_steps or nil)
    agent:modulators(m)
    local s = m.signals
    if e > o.episodes - o.unexpected and s.unexpected > 0 then
      local cell = string.format("(%d,%d)", obs[1], obs[2])
      print(string.format("  episode %d step %4d  from %-7s  r %4.0f  S %8.1f  E %7.2f  V %7.1f  u %.2f  NA %.2f  beta %.3f",
        e, steps, cell, r, s.surprise, s.expected, var_before, s.unexpected, m.NA, m.params.inverse_temperature))
      if not by_cell[cell] then by_cell[cell] = 0; cells[#cells + 1] = cell end
      by_cell[cell] = by_cell[cell] + 1
    end
    var_before = s.reward_variance
    sum.NA, sum.u, sum.ud = sum.NA + m.NA, sum.u + s.unexpected, sum.ud + s.utility_drop
    sum.ACh, sum.sht = sum.ACh + m.ACh, sum.sht + m["5HT"]
    sum.b, sum.g, sum.lr = sum.b + m.params.inverse_temperature, sum.g + m.params.discount, sum.lr + m.params.learning_rate
    local line = o.falls > 0 and step_line(e, steps, r) or nil
    if r < -50 then
      falls = falls + 1
      sum.S, sum.E, sum.uf = sum.S + s.surprise, sum.E + s.expected, sum.uf + s.unexpected
      if shown < o.falls then
        shown, pending = shown + 1, o.window - #recent
        print(string.format("fall %d:", shown))
        for _, l in ipairs(recent) do print(l) end
        recent = {}
      end
    end
    if line then
      if pending > 0 then print(line); pending = pending - 1
      else recent[#recent + 1] = line; if #recent > 2 then table.remove(recent, 1) end end
    end
    if terminal or steps >= o.max_steps then break end
    obs = nobs
  end
  if e <= o.first or e % o.every == 0 then
    local n, f = steps, math.max(falls, 1)
    local _, v0 = agent:evaluate({ 1, 1 })
    local _, v4 = agent:evaluate({ 1, 4 })
    print(string.format("episode %3d: return %6.0f, %4d steps, %2d falls | NA %.2f u %.3f utility %.3f ACh %.2f " ..
      "5-HT %.2f beta %.3f gamma %.4f lr %.4f | falls: S %5.0f E %6.1f u %.2f | V(1,1) %5.1f V(1,4) %5.1f",
      e, ret, steps, falls, sum.NA / n, sum.u / n, sum.ud / n, sum.ACh / n, sum.sht / n, sum.b / n, sum.g / n,
      sum.lr / n, sum.S / f, sum.E / f, sum.uf / f, v0, v4))
  end
end
if o.unexpected > 0 then
  local t = {}
  for _, c in ipairs(cells) do t[#t + 1] = c .. " " .. by_cell[c] end
  print(string.format("steps with u > 0 in the last %d episodes, by the cell the move left: %s", o.unexpected,
    table.concat(t, ", ")))
end
agent:close()
