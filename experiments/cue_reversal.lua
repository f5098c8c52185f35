-- experiments/cue_reversal.lua -- the one-step Go/No-Go whose cues swap meanings (envs/cue_reversal.lua): after
-- 1,000 trials of "go on A, withhold on B" the meanings swap for 1,500 more. Does the agent stop going on the cue
-- that now punishes, and learn to go on the one that now pays?
--
--   lua5.4 experiments/cue_reversal.lua [--seeds 10] [--first-seed 1] [--before 1000] [--after 1500]
--                                       [--hidden 32] [--na-beta B] [--agent KEY=VALUE ...]
--
-- Conditions: the agent with all four modulators, DA + NA, DA only (hidden layer of --hidden units, the task's
-- withheld action, the library's defaults otherwise). Every condition sees the same seeds (the same cues).
-- Per seed: the trials after the swap until 45 of the last 50 were correct (both cues right; runs that never get
-- there count as --after and as "never"), and at the end P(go | A, the old go cue) and P(go | B, the new one)
-- from agent:evaluate, which tell the two ways of failing apart: going on both cues (perseveration on the
-- punished one) or on neither (the new go cue never tried again). Prints a table per condition and the one-sided
-- Mann-Whitney p that each modulated condition re-learns in fewer trials than DA only. Loaded with dofile, the
-- script returns its functions: run(condition, seed, options) and CONDITIONS. --na-beta B gives every agent the
-- mapping entry inverse_temperature.NA = B (the library's is -2).
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local nm = require "neuromod"
local stats = require "neuromod.stats"
local task = require "neuromod.task"
local CueReversal = dofile(ROOT .. "/envs/cue_reversal.lua")

local DEFAULTS = { seeds = 10, first_seed = 1, before = 1000, after = 1500, hidden = 32, na_beta = -2 }
local o

local CONDITIONS = {
  { name = "all four", modulators = "all" },
  { name = "DA+NA", modulators = { DA = true, NA = true } },
  { name = "DA only", modulators = { DA = true } },
}
local WINDOW, NEED = 50, 45

local M = {}

-- One seed: trials to re-learn after the swap (nil: never), and the final P(go) on each cue.
function M.run(c, seed, opts)
  local env = CueReversal{ seed = seed, reverse_at = opts.before }
  local agent = nm.agent(task.with({ obs = env:getStateSpace(), actions = env:getActionSpace(),
    hidden = { opts.hidden }, seed = seed, modulators = c.modulators,
    mapping = opts.na_beta and opts.na_beta ~= -2 and { inverse_temperature = { NA = opts.na_beta } } or nil }, opts.agent))
  local window, sum, relearned = {}, 0, nil
  for t = 1, opts.before + opts.after do
    local obs = env:start()
    local r, nobs, terminal, info = env:step(agent:act(obs))
    agent:learn(r, nobs, terminal)
    if t > opts.before and not relearned then
      local k = (t - opts.before - 1) % WINDOW + 1
      sum = sum - (window[k] or 0) + (info.correct and 1 or 0)
      window[k] = info.correct and 1 or 0
      if t - opts.before >= WINDOW and sum >= NEED then relearned = t - opts.before end
    end
  end
  local p_old, p_new = agent:evaluate({ 1, 1, 0, 0 })[2], agent:evaluate({ 1, 0, 1, 0 })[2]
  agent:close()
  return relearned, p_old, p_new
end

function M.main(argv)
  o = task.arguments("cue_reversal", argv, DEFAULTS)
  print(string.format("cue reversal: go on A / withhold on B for %d trials, then swapped for %d; seeds %d-%d; hidden %d%s",
    o.before, o.after, o.first_seed, o.first_seed + o.seeds - 1, o.hidden,
    o.na_beta ~= -2 and string.format("; NA -> inverse_temperature %g", o.na_beta) or ""))
  print(string.format("re-learned: %d of the last %d trials after the swap correct", NEED, WINDOW))
  local trials = {}
  for ci, c in ipairs(CONDITIONS) do
    local xs, never, persevere, abstain = {}, 0, 0, 0
    local row = {}
    for s = 1, o.seeds do
      local t, p_old, p_new = M.run(c, o.first_seed + s - 1, o)
      xs[s] = t or o.after
      if not t then
        never = never + 1
        if p_old > 0.5 then persevere = persevere + 1 elseif p_new < 0.5 then abstain = abstain + 1 end
      end
      row[#row + 1] = t and tostring(t) or "never"
    end
    trials[ci] = xs
    print(string.format("  %-9s median %6.0f  never %2d of %d (going on both cues %d, on neither %d)  per seed: %s",
      c.name, stats.median(xs), never, o.seeds, persevere, abstain, table.concat(row, " ")))
  end
  for ci = 1, 2 do
    print(string.format("  %s re-learns in fewer trials than DA only: one-sided Mann-Whitney p = %.3g",
      CONDITIONS[ci].name, stats.mann_whitney(trials[ci], trials[3]).p_less))
  end
end

M.CONDITIONS = CONDITIONS
if arg and arg[0] and arg[0]:match("experiments/cue_reversal%.lua$") then M.main(arg) os.exit(0) end
return M
