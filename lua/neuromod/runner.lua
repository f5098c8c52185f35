-- neuromod.runner: trains an agent on a task script and reports what happened. Used by `neuromod run`.
--
-- runner.run{ env = "envs/gonogo.lua", trials = 2000, seed = 1, hidden = {64}, modulators = "all",
--             env_options = {...}, agent_options = {...}, window = 100, criterion = 0.9,
--             progress = io.stdout | false, csv = path | nil }
--   -> summary table: trials, steps, seconds, accuracy (last window, overall and per condition),
--      trials_to_criterion, modulators (final snapshot)
-- A trial is an episode; its terminal step's info carries `correct` and optionally `condition`.
local nm = require "neuromod"
local protocol = require "neuromod.protocol"

local runner = {}

function runner.run(o)
  local Env = protocol.load(o.env)
  local env_opts = {}
  for k, v in pairs(o.env_options or {}) do env_opts[k] = v end
  if env_opts.seed == nil then env_opts.seed = o.seed end
  local env = protocol.construct(Env, env_opts, o.env)
  local agent_opts = { obs = env:getStateSpace(), actions = env:getActionSpace(), seed = o.seed,
                       hidden = o.hidden, modulators = o.modulators }
  for k, v in pairs(o.agent_options or {}) do agent_opts[k] = v end
  local agent = nm.agent(agent_opts)
  local window, criterion = o.window or 100, o.criterion or 0.9
  local progress = o.progress
  local csv
  if o.csv then
    csv = assert(io.open(o.csv, "w"))
    csv:write("trial,condition,correct,reward,steps,DA,NA,ACh,5HT,learning_rate,inverse_temperature\n")
  end

  local hist, conds = {}, {}
  local correct_in_window, crit = 0, nil
  local steps, trial, ret, tsteps = 0, 0, 0, 0
  local mods = {}
  local t0 = os.clock()
  local obs = env:start()
  local every = math.max(1, math.floor(o.trials / 10))
  while trial < o.trials do
    local a = agent:act(obs)
    local r, nobs, terminal, info = env:step(a)
    agent:learn(r, nobs, terminal)
    steps, ret, tsteps = steps + 1, ret + r, tsteps + 1
    if terminal then
      trial = trial + 1
      local ok = info and info.correct and 1 or 0
      hist[trial] = ok
      conds[trial] = info and info.condition or "all"
      correct_in_window = correct_in_window + ok - (hist[trial - window] or 0)
      if not crit and trial >= window and correct_in_window >= criterion * window then crit = trial end
      if csv then
        agent:modulators(mods)
        csv:write(string.format("%d,%s,%d,%.4f,%d,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f\n", trial, conds[trial], ok, ret,
          tsteps, mods.DA, mods.NA, mods.ACh, mods["5HT"], mods.params.learning_rate, mods.params.inverse_temperature))
      end
      ret, tsteps = 0, 0
      if progress and (trial % every == 0 or trial == o.trials) then
        agent:modulators(mods)
        local n = math.min(window, trial)
        local acc = 0
        for i = trial - n + 1, trial do acc = acc + hist[i] end
        progress:write(string.format("  trial %6d/%d  correct (last %d) %5.1f%%  NA %.2f  ACh %.2f  5HT %.2f  alpha %.3f  beta %.2f\n",
          trial, o.trials, n, 100 * acc / n, mods.NA, mods.ACh, mods["5HT"], mods.params.learning_rate,
          mods.params.inverse_temperature))
        progress:flush()
      end
      obs = env:start()
    else
      obs = nobs
    end
  end
  if csv then csv:close() end

  local n = math.min(window, trial)
  local by = {}
  local order = {}
  for i = trial - n + 1, trial do
    local c = conds[i]
    if not by[c] then by[c] = { n = 0, correct = 0 }; order[#order + 1] = c end
    by[c].n = by[c].n + 1
    by[c].correct = by[c].correct + hist[i]
  end
  table.sort(order)
  local all = 0
  for i = trial - n + 1, trial do all = all + hist[i] end
  agent:modulators(mods)
  local summary = {
    trials = trial, steps = steps, seconds = os.clock() - t0, window = n,
    accuracy = all / n, by_condition = by, conditions = order, trials_to_criterion = crit,
    criterion = criterion, modulators = mods, agent = agent,
  }
  return summary
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
