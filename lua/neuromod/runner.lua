-- neuromod.runner: trains an agent on a task script and reports what happened. Used by `neuromod run`.
--
-- runner.run{ env = "envs/gonogo.lua", trials = 2000, seed = 1, hidden = {64}, modulators = "all",
--             env_options = {...}, agent_options = {...}, window = 100, criterion = 0.9,
--             progress = io.stdout | false, csv = path | nil }
--   -> summary table: trials, steps, seconds, accuracy (last window, overall and per condition),
--      trials_to_criterion (metrics.trials_to_criterion: the first trial ending a window of `window` trials
--      with at least `criterion` correct), modulators (final snapshot), agent (open, e.g. to save)
-- runner.study(o) -> the run as a neuromod.study of one condition and one seed.
-- A trial is an episode; its terminal step's info carries `correct` and optionally `condition`.
local protocol = require "neuromod.protocol"
local study = require "neuromod.study"
local metrics = require "neuromod.metrics"

local runner = {}

-- The run as a study: one condition (o.modulators, o.agent_options) and one seed (o.seed), per-trial records
-- correct (0/1), condition (info.condition, or "all"), reward (summed over the trial's steps) and steps.
function runner.study(o)
  local Env = protocol.load(o.env)
  local task = {
    env = function(job)
      local env_opts = {}
      for k, v in pairs(o.env_options or {}) do env_opts[k] = v end
      if env_opts.seed == nil then env_opts.seed = job.seed end
      return protocol.construct(Env, env_opts, o.env)
    end,
    agent = function() return { hidden = o.hidden } end,
    columns = { "correct", "condition", "reward", "steps" },
    record = function(rec, t, trial)
      local info = trial.info
      rec.correct[t] = info and info.correct and 1 or 0
      rec.condition[t] = info and info.condition or "all"
      rec.reward[t], rec.steps[t] = trial.reward, trial.steps
    end,
  }
  return study{ name = "run", task = task, conditions = { { name = "run", modulators = o.modulators,
                options = o.agent_options } }, seeds = { o.seed }, trials = o.trials }
end

function runner.run(o)
  local s = runner.study(o)
  local window, criterion = o.window or 100, o.criterion or 0.9
  local progress = o.progress
  local csv
  if o.csv then
    csv = assert(io.open(o.csv, "w"))
    csv:write("trial,condition,correct,reward,steps,DA,NA,ACh,5HT,learning_rate,inverse_temperature\n")
  end
  local mods = {}
  local every = math.max(1, math.floor(o.trials / 10))
  local function observe(trial, x, rec)
    if csv then
      x.agent:modulators(mods)
      csv:write(string.format("%d,%s,%d,%.4f,%d,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f\n", trial, rec.condition[trial],
        rec.correct[trial], rec.reward[trial], rec.steps[trial], mods.DA, mods.NA, mods.ACh, mods["5HT"],
        mods.params.learning_rate, mods.params.inverse_temperature))
    end
    if progress and (trial % every == 0 or trial == o.trials) then
      x.agent:modulators(mods)
      local n = math.min(window, trial)
      local acc = metrics.sum(rec.correct, trial - n + 1, trial)
      progress:write(string.format("  trial %6d/%d  correct (last %d) %5.1f%%  NA %.2f  ACh %.2f  5HT %.2f  alpha %.3f  beta %.2f\n",
        trial, o.trials, n, 100 * acc / n, mods.NA, mods.ACh, mods["5HT"], mods.params.learning_rate,
        mods.params.inverse_temperature))
      progress:flush()
    end
  end
  local t0 = os.clock()
  local ok, res = pcall(s.run_job, s, s:jobs()[1], observe, true)
  if csv then csv:close() end
  if not ok then error(res, 0) end
  local seconds = os.clock() - t0

  local rec, trial = res.records, o.trials
  local n = math.min(window, trial)
  local by, order = {}, {}
  for i = trial - n + 1, trial do
    local c = rec.condition[i]
    if not by[c] then by[c] = { n = 0, correct = 0 }; order[#order + 1] = c end
    by[c].n = by[c].n + 1
    by[c].correct = by[c].correct + rec.correct[i]
  end
  table.sort(order)
  local agent = res.agent
  agent:modulators(mods)
  return {
    trials = trial, steps = metrics.sum(rec.steps), seconds = seconds, window = n,
    accuracy = (metrics.accuracy(rec.correct, trial - n + 1, trial)), by_condition = by, conditions = order,
    trials_to_criterion = (metrics.trials_to_criterion(rec.correct, { level = criterion, window = window })),
    criterion = criterion, modulators = mods, agent = agent,
  }
end

-- A plain-text report of a summary.
function runner.report(s, o)
  local out = {}
  local function p(...) out[#out + 1] = string.format(...) end
  p("%s, seed %d: %d trials, %d steps, %.2f s (%.0f steps/s)", o.env, o.seed, s.trials, s.steps, s.seconds,
    s.steps / math.max(s.seconds, 1e-9))
  p("")
  p("  %-10s %8s %9s", "condition", "trials", "correct")
  for _, c in ipairs(s.conditions) do
    local b = s.by_condition[c]
    p("  %-10s %8d %8.1f%%", c, b.n, 100 * b.correct / b.n)
  end
  p("  %-10s %8d %8.1f%%   (the last %d trials)", "all", s.window, 100 * s.accuracy, s.window)
  p("")
  if s.trials_to_criterion then
    p("  reached %.0f%% correct over %d consecutive trials at trial %d", 100 * s.criterion, s.window,
      s.trials_to_criterion)
  else
    p("  did not reach %.0f%% correct over %d consecutive trials", 100 * s.criterion, s.window)
  end
  local m = s.modulators
  p("  modulators at the end: DA %.3f  NA %.3f  ACh %.3f  5HT %.3f", m.DA, m.NA, m.ACh, m["5HT"])
  p("  meta-parameters: alpha %.4f  beta %.3f  gamma %.3f  lambda %.3f  gain %.3f  withhold bias %.3f",
    m.params.learning_rate, m.params.inverse_temperature, m.params.discount, m.params.trace_decay,
    m.params.gain, m.params.withhold_bias)
  return table.concat(out, "\n")
end

return runner
