-- experiments/cliff.lua -- the cliff walk (envs/gridworld.lua's default map: Sutton & Barto's Example 6.6, 12 x 4,
-- -1 a step, -100 and back to the start on the cliff, coordinates as a Box with bounds) with the agent's 5-HT
-- driven by punishment (serotonin_input = "punishment") or by punishment beyond the expected ("relative").
--
--   lua5.4 experiments/cliff.lua [--seeds 5] [--first-seed 1] [--episodes 500] [--last 50] [--max-steps 1000]
--                                [--na-beta B] [--na-da I] [--rows 1,2,...] [--hidden 64] [--agent K=V]
--
-- Conditions, each with the library's defaults otherwise (all four modulators unless said):
--   withhold 0, punishment   the behaviour before withhold_action existed: the withhold bias on action 0 ("up")
--   punishment               no withheld action (the grid declares none), 5-HT from punishment
--   relative                 no withheld action, 5-HT from punishment beyond the expected
--   DA+NA+ACh (no 5-HT)      no withheld action, 5-HT off
--   DA only                  no withheld action, only DA on
--   DA+5HT, punishment       no withheld action, DA and 5-HT on (5-HT's input alone, without NA and ACh)
--   DA+5HT, relative
--   punishment, na_expected   all four, 5-HT from punishment, na_expected = "variance" (NA's bar for an outlier is
--                             at least the variance of the task's rewards: a known hazard is not a change)
--   DA+NA+ACh, na_expected    5-HT off, na_expected = "variance"
--   na_expected, log head     as "punishment, na_expected", and uncertainty_head = "log" (the head's readout is
--                             log expected surprise, positive wherever it generalises)
--   na_expected, ACh thresh   as "punishment, na_expected", and na_ach_threshold = "on" (only the part of NA's
--                             input beyond ACh / (0.5 + ACh) counts: Yu & Dayan 2005)
--   na_expected, log + ACh    both
-- An episode ends at the goal or after --max-steps moves (then counted with the return it had). Prints per seed
-- and condition the mean return over the last --last episodes, the number of seeds better than -30, and the
-- mean 5-HT level over those episodes' steps. Each condition sees the same seeds. --na-beta B gives every agent
-- the mapping entry inverse_temperature.NA = B (the library's is -2), --na-da I the interaction of NA on DA's
-- third factor of plasticity (the library's is 0.5). --rows picks conditions by their number in the list above
-- (1-based, comma-separated; "all" by default). --hidden n gives every agent one trunk layer of n units (the
-- library's default, 64), --hidden 0 none (the actor, the critic and the outcome predictor read the input
-- directly: with --agent obs_coding=cells, a table per cell). --agent K=V passes an option to every agent.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local Grid = dofile(ROOT .. "/envs/gridworld.lua")

local task = require "neuromod.task"
local o = task.arguments("cliff", arg, { seeds = 5, first_seed = 1, episodes = 500, last = 50, max_steps = 1000,
  na_beta = -2, na_da = 0.5, rows = "all", hidden = 64 })

local CONDITIONS = {
  { name = "withhold 0, punishment", withhold_action = 0, serotonin_input = "punishment" },
  { name = "punishment", withhold_action = false, serotonin_input = "punishment" },
  { name = "relative", withhold_action = false, serotonin_input = "relative" },
  { name = "DA+NA+ACh (no 5-HT)", withhold_action = false, modulators = { DA = true, NA = true, ACh = true } },
  { name = "DA only", withhold_action = false, modulators = { DA = true } },
  { name = "DA+5HT, punishment", withhold_action = false, serotonin_input = "punishment",
    modulators = { DA = true, ["5HT"] = true } },
  { name = "DA+5HT, relative", withhold_action = false, serotonin_input = "relative",
    modulators = { DA = true, ["5HT"] = true } },
  { name = "punishment, na_expected", withhold_action = false, serotonin_input = "punishment",
    na_expected = "variance" },
  { name = "DA+NA+ACh, na_expected", withhold_action = false, modulators = { DA = true, NA = true, ACh = true },
    na_expected = "variance" },
  { name = "na_expected, log head", withhold_action = false, serotonin_input = "punishment",
    na_expected = "variance", uncertainty_head = "log" },
  { name = "na_expected, ACh thresh", withhold_action = false, serotonin_input = "punishment",
    na_expected = "variance", na_ach_threshold = "on" },
  { name = "na_expected, log + ACh", withhold_action = false, serotonin_input = "punishment",
    na_expected = "variance", uncertainty_head = "log", na_ach_threshold = "on" },
}

-- mean return over the last o.last episodes, and the mean 5-HT level over their steps
local function run(c, seed)
  local env = Grid{ seed = seed }
  local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(), seed = seed,
                          withhold_action = c.withhold_action, serotonin_input = c.serotonin_input,
                          modulators = c.modulators, na_expected = c.na_expected,
                          uncertainty_head = c.uncertainty_head, na_ach_threshold = c.na_ach_threshold,
                          mapping = o.na_beta ~= -2 and { inverse_temperature = { NA = o.na_beta } } or nil,
                          interactions = o.na_da ~= 0.5 and { DA = { NA = o.na_da } } or nil,
                          hidden = o.hidden ~= 64 and (o.hidden == 0 and {} or { o.hidden }) or nil }, o.agent))
  local mods = {}
  local total, serotonin, steps_late = 0, 0, 0
  for e = 1, o.episodes do
    local obs, ret, steps = env:start(), 0, 0
    local late = e > o.episodes - o.last
    while true do
      local a = agent:act(obs)
      local r, nobs, terminal = env:step(a)
      steps = steps + 1
      ret = ret + r
      -- the move cap cuts the episode: the agent bootstraps from where it stands instead of taking the cut as a
      -- goal reached with nothing more to come (which rewarded wandering until the cap)
      agent:learn(r, nobs, terminal, not terminal and steps >= o.max_steps or nil)
      if late then
        serotonin = serotonin + agent:modulators(mods)["5HT"]
        steps_late = steps_late + 1
      end
      if terminal or steps >= o.max_steps then break end
      obs = nobs
    end
    if late then total = total + ret end
  end
  agent:close()
  return total / o.last, serotonin / steps_late
end

print(string.format("cliff walk 12 x 4; %d episodes (at most %d steps); mean return over the last %d; seeds %d-%d%s",
  o.episodes, o.max_steps, o.last, o.first_seed, o.first_seed + o.seeds - 1,
  (o.na_beta ~= -2 and string.format("; NA -> inverse_temperature %g", o.na_beta) or "") ..
  (o.na_da ~= 0.5 and string.format("; NA on DA's plasticity factor %g", o.na_da) or "")))
local header = { string.format("  %-24s", "condition") }
for s = 1, o.seeds do header[#header + 1] = string.format("%8s", "seed " .. (o.first_seed + s - 1)) end
header[#header + 1] = string.format("%8s %10s %8s", "mean", "> -30", "5-HT")
print(table.concat(header, " "))
local wanted = {}
for n in tostring(o.rows):gmatch("%d+") do wanted[tonumber(n)] = true end
for i, c in ipairs(CONDITIONS) do
  if o.rows ~= "all" and not wanted[i] then goto next_row end
  local line, sum, better, sht = { string.format("  %-24s", c.name) }, 0, 0, 0
  for s = 1, o.seeds do
    local ret, level = run(c, o.first_seed + s - 1)
    line[#line + 1] = string.format("%8.1f", ret)
    sum, sht = sum + ret, sht + level
    if ret > -30 then better = better + 1 end
  end
  line[#line + 1] = string.format("%8.1f %6d of %d %8.2f", sum / o.seeds, better, o.seeds, sht / o.seeds)
  print(table.concat(line, " "))
  ::next_row::
end
