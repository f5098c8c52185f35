-- neuromod.runner: trains an agent on a task script and reports what happened. Used by `neuromod run`.
--
-- runner.run{ env = "envs/gonogo.lua", name = "envs/gonogo.lua", trials = 2000, seed = 1, hidden = {64},
--             modulators = "all", env_options = {...}, agent_options = {...}, window = 100, criterion = 0.9,
--             max_steps = 100000, progress = io.stdout | false, progress_seconds = 1, csv = path | nil,
--             csv_header = { "# line", ... } | nil, log_modulators = false, save = path | nil,
--             checkpoint_every = N | nil, resume = runner.load_state(path) | nil }
--   -> summary, or nil, message, partial (the summary of the trials completed before the failure, with the
--      agent, or nil when no trial completed). summary: trials, steps, seconds (wall clock), cpu_seconds,
--      return_mean, length_mean and their last-window versions, graded (trials whose info carried `correct`),
--      accuracy (last window, nil if no trial was graded), by_condition, conditions, trials_to_criterion
--      (metrics.trials_to_criterion over `window` trials at `criterion`), modulators (final snapshot), agent
--      (open, e.g. to save).
--   A failure names the task (o.name), the trial and the step; SIGINT is one too ("interrupted!": Lua 5.4's
--   interpreter raises it; under LuaJIT the runner looks for the interpreter's SIGINT hook after each trial,
--   unless o.catch_interrupt is false). An episode longer than max_steps steps is stopped with a message.
-- runner.study(o [, where]) -> the run as a neuromod.study of one condition and one seed; `where`, if given, is
--   kept at { trial, step } of the task's last call.
-- runner.clock() -> wall-clock seconds (LuaJIT: clock_gettime; Lua 5.4: `date`, so call it rarely).
-- A trial is an episode; its terminal step's info may carry `correct` and `condition`.
local protocol = require "neuromod.protocol"
local study = require "neuromod.study"
local metrics = require "neuromod.metrics"

local runner = {}

-- The meta-parameters o.log_modulators adds to the CSV, after learning_rate and inverse_temperature.
local EXTRA = { "discount", "trace_decay", "gain", "withhold_bias", "attention" }

local wall
if jit then
  local ok, ffi = pcall(require, "ffi")
  if ok then
    pcall(ffi.cdef, "typedef struct nm_runner_timespec { long tv_sec; long tv_nsec; } nm_runner_timespec;" ..
                    "int clock_gettime(int clk, nm_runner_timespec *ts);")
    local ts = ffi.new("nm_runner_timespec")
    wall = function()
      ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
    end
  end
end
if not wall then
  wall = function()
    local p = io.popen("date +%s.%N 2>/dev/null")
    local s = p and tonumber(p:read("*l") or "")
    if p then p:close() end
    return s or os.time()
  end
end
function runner.clock() return wall() end

-- SIGINT under LuaJIT: the interpreter's handler sets a hook that raises "interrupted!", but compiled code
-- never runs hooks, so a run would not stop; the runner looks for that hook after each trial and raises the
-- error itself. (Blocking SIGINT and polling does not work: OpenBLAS's threads would take the signal.) Lua 5.4
-- raises "interrupted!" by itself.
local gethook = debug and debug.gethook
local function interrupted() return jit ~= nil and gethook ~= nil and gethook() ~= nil end

-- The env's methods wrapped so that `where` knows the trial and step of every call, an episode that exceeds
-- max_steps is stopped, and a reward that is not a finite number is refused with the position.
local function track(env, name, where, max_steps)
  local start, step = env.start, env.step
  env.start = function(self, ...)
    where.trial, where.step = where.trial + 1, 0
    return start(self, ...)
  end
  env.step = function(self, a)
    local s = where.step + 1
    where.step = s
    if s > max_steps then
      error(name .. ": trial " .. where.trial .. ": the episode did not end within " .. max_steps ..
            " steps (a task must end each episode with terminal = true; raise the limit with --max-steps)", 0)
    end
    local r, obs, terminal, info = step(self, a)
    if type(r) ~= "number" or r ~= r or r == math.huge or r == -math.huge then
      error("step returned the reward " .. tostring(r) .. ", not a finite number", 0)
    end
    return r, obs, terminal, info
  end
  return env
end

-- The run as a study: one condition (o.modulators, o.agent_options) and one seed (o.seed), per-trial records
-- correct (0/1), graded (the info had `correct`), condition (info.condition, or "all"), reward (summed over the
-- trial's steps) and steps.
function runner.study(o, where)
  local name = o.name or o.env
  local Env = protocol.load(o.env, name)
  where = where or { trial = 0, step = 0 }
  local task = {
    env = function(job)
      local env_opts = {}
      for k, v in pairs(o.env_options or {}) do env_opts[k] = v end
      if env_opts.seed == nil then env_opts.seed = job.seed end
      where.trial, where.step = 0, 0
      where.env = track(protocol.construct(Env, env_opts, name), name, where, o.max_steps or 100000)
      return where.env
    end,
    agent = function() return { hidden = o.hidden } end,
    columns = { "correct", "graded", "condition", "reward", "steps" },
    record = function(rec, t, trial)
      local info = trial.info
      rec.correct[t] = info and info.correct and 1 or 0
      rec.graded[t] = type(info) == "table" and info.correct ~= nil
      rec.condition[t] = info and info.condition or "all"
      rec.reward[t], rec.steps[t] = trial.reward, trial.steps
    end,
  }
  return study{ name = "run", task = task, conditions = { { name = "run", modulators = o.modulators,
                options = o.agent_options } }, seeds = { o.seed }, trials = o.trials }
end

-- The summary of trials 1..trial of the records.
local function summarise(rec, trial, o, agent, seconds, cpu)
  local window, criterion = o.window or 100, o.criterion or 0.9
  local n = math.min(window, trial)
  local by, order, graded = {}, {}, 0
  for i = 1, trial do if rec.graded[i] then graded = graded + 1 end end
  for i = trial - n + 1, trial do
    local c = rec.condition[i]
    if not by[c] then by[c] = { n = 0, correct = 0, reward = 0 }; order[#order + 1] = c end
    by[c].n = by[c].n + 1
    by[c].correct = by[c].correct + rec.correct[i]
    by[c].reward = by[c].reward + rec.reward[i]
  end
  table.sort(order)
  local mods = {}
  if agent then agent:modulators(mods) end
  local s = {
    trials = trial, steps = metrics.sum(rec.steps, 1, trial), seconds = seconds, cpu_seconds = cpu, window = n,
    by_condition = by, conditions = order, criterion = criterion, modulators = mods, agent = agent,
    graded = graded,
    return_mean = trial > 0 and metrics.sum(rec.reward, 1, trial) / trial or nil,
    length_mean = trial > 0 and metrics.sum(rec.steps, 1, trial) / trial or nil,
    return_last = n > 0 and metrics.sum(rec.reward, trial - n + 1, trial) / n or nil,
    length_last = n > 0 and metrics.sum(rec.steps, trial - n + 1, trial) / n or nil,
  }
  if graded > 0 and n > 0 then
    s.accuracy = (metrics.accuracy(rec.correct, trial - n + 1, trial))
    local sub = {}
    for i = 1, trial do sub[i] = rec.correct[i] end
    s.trials_to_criterion = (metrics.trials_to_criterion(sub, { level = criterion, window = window }))
  end
  return s
end

-- A message without the positions inside neuromod's own files ("lua/neuromod/study.lua:123: ").
local function clean(msg)
  msg = tostring(msg)
  msg = msg:gsub("[^%s:]*neuromod/[%w_]+%.lua:%d+: ", "")
  return msg
end

function runner.run(o)
  local where = { trial = 0, step = 0 }
  local name = o.name or o.env
  local ok0, s = pcall(runner.study, o, where)
  if not ok0 then return nil, clean(s), nil end
  local window = o.window or 100
  local progress = o.progress
  local resume = o.resume
  local kept -- on a resume, the CSV's lines up to the checkpoint's trial
  if resume and o.csv then
    local err
    kept, err = runner.csv_lines(o.csv, resume.trial)
    if not kept then return nil, err, nil end
  end
  local csv
  if o.csv then
    local err
    csv, err = io.open(o.csv, "w")
    if not csv then return nil, "--csv: cannot write " .. tostring(err), nil end
  end
  if kept then
    for _, line in ipairs(kept) do csv:write(line, "\n") end
  elseif csv then
    for _, line in ipairs(o.csv_header or {}) do csv:write(line, "\n") end
    csv:write("trial,condition,correct,reward,steps,DA,NA,ACh,5HT,learning_rate,inverse_temperature",
              o.log_modulators and ("," .. table.concat(EXTRA, ",")) or "", "\n")
  end
  local mods = {}
  local t0, c0 = wall(), os.clock()
  local every_s = o.progress_seconds or 1
  local last_print = c0
  local agent, records, done = nil, nil, 0
  local boundary, last_checkpoint = false, resume and resume.trial or nil
  local poll = o.catch_interrupt ~= false and jit ~= nil
  local every = o.checkpoint_every
  local function observe(trial, x, rec)
    if poll and interrupted() then error("interrupted!", 0) end
    if csv then
      x.agent:modulators(mods)
      csv:write(string.format("%d,%s,%d,%.4f,%d,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f", trial, rec.condition[trial],
        rec.correct[trial], rec.reward[trial], rec.steps[trial], mods.DA, mods.NA, mods.ACh, mods["5HT"],
        mods.params.learning_rate, mods.params.inverse_temperature))
      if o.log_modulators then
        local p = mods.params
        csv:write(string.format(",%.5f,%.5f,%.5f,%.5f,%.5f", p.discount, p.trace_decay, p.gain, p.withhold_bias,
          p.attention))
      end
      csv:write("\n")
    end
    -- Only now is the trial complete on every side (agent, records, CSV row): an interrupt before this line saves
    -- from the last periodic checkpoint, one after it saves this trial (Lua 5.4 raises "interrupted!" between any
    -- two instructions, so the order matters).
    agent, records, done = x.agent, rec, trial
    boundary = true
    if progress then
      local now = os.clock()
      if now - last_print >= every_s or trial == o.trials then
        last_print = now
        x.agent:modulators(mods)
        local n = math.min(window, trial)
        local rate = trial / math.max(now - c0, 1e-9)
        local head = string.format("  trial %6d/%d", trial, o.trials)
        local mid
        if rec.graded[trial] then
          mid = string.format("  correct (last %d) %5.1f%%", n, 100 * metrics.sum(rec.correct, trial - n + 1, trial) / n)
        else
          mid = string.format("  return (last %d) %8.3f", n, metrics.sum(rec.reward, trial - n + 1, trial) / n)
        end
        progress:write(head, mid, string.format("  NA %.2f  ACh %.2f  5HT %.2f  alpha %.3f  beta %.2f  %.0f trials/s  ETA %s\n",
          mods.NA, mods.ACh, mods["5HT"], mods.params.learning_rate, mods.params.inverse_temperature, rate,
          runner.duration((o.trials - trial) / rate)))
        progress:flush()
      end
    end
    if every and o.save and trial % every == 0 and trial < o.trials then
      if csv then csv:flush() end
      local okc, cerr = runner.checkpoint(o.save, x.agent, where.env, rec, trial, o)
      if not okc then error(cerr, 0) end
      if okc == true then last_checkpoint = trial end
    end
    boundary = false
  end
  local ok, res
  if resume then
    ok, res = pcall(runner.continue, s, resume, where, observe)
  else
    ok, res = pcall(s.run_job, s, s:jobs()[1], observe, true)
  end
  if csv then csv:close() end
  local seconds, cpu = wall() - t0, os.clock() - c0
  if not ok then
    local msg = clean(res)
    if msg:sub(1, #name + 8) ~= name .. ": trial " then
      local pos = where.trial > 0 and (": trial " .. where.trial .. ", step " .. where.step) or ""
      msg = name .. pos .. ": " .. msg
    end
    local partial = records and summarise(records, done, o, agent, seconds, cpu) or nil
    if partial then
      partial.records, partial.env, partial.boundary, partial.last_checkpoint = records, where.env, boundary,
        last_checkpoint
    end
    return nil, msg, partial
  end
  local summary = summarise(res.records, o.trials, o, res.agent, seconds, cpu)
  summary.records, summary.env, summary.boundary = res.records, where.env, true
  return summary
end

-- A resumed run: the task rebuilt and restored from the checkpoint's state, the loaded agent, and the trial
-- loop of neuromod.study (study:run_trials, the one run_job uses) from the trial after the checkpoint's.
function runner.continue(s, resume, where, observe)
  local job = s:jobs()[1]
  local env = s.task.env(job, s.options)
  if type(env.state) ~= "function" or type(env.restore) ~= "function" then
    error("the task has no env:state() / env:restore(t) pair, so a run on it cannot be resumed", 0)
  end
  env:restore(resume.env)
  where.trial, where.step = resume.trial, 0
  local records = s:run_trials(job, env, resume.agent, resume.records, resume.trial + 1, observe)
  return { id = job.id, job = job, records = records, agent = resume.agent }
end

-- The run's state beside an agent checkpoint: path .. ".run".
function runner.state_file(path) return path .. ".run" end

local STATE_KEYS = { "env", "name", "seed", "trials", "hidden", "modulators", "agent_options", "env_options",
                     "window", "criterion", "max_steps", "log_modulators", "label" }

-- Saves the agent to path and, when the task has the state pair, the run's state (the task's state, the trial,
-- the options, the per-trial records, the agent's state hash) to path .. ".run", through a temporary file and a
-- rename. -> true (both written), "agent" (the task has no pair: only the agent; a stale state file is
-- removed), or nil and a message.
function runner.checkpoint(path, agent, env, records, trial, o)
  local saved, err = agent:save(path)
  if not saved then return nil, "--save: " .. tostring(err) end
  local sfile = runner.state_file(path)
  if not env or type(env.state) ~= "function" or type(env.restore) ~= "function" then
    os.remove(sfile)
    return "agent"
  end
  local sweep = require "neuromod.sweep"
  local rec = {}
  for k, col in pairs(records) do
    local c = {}
    for i = 1, trial do c[i] = col[i] end
    rec[k] = c
  end
  local opts = {}
  for _, k in ipairs(STATE_KEYS) do opts[k] = o[k] end
  local t = { format = "neuromod run state 1", trial = trial, options = opts, env = env:state(), records = rec,
              state_hash = agent:state_hash() }
  local tmp = sfile .. ".tmp-" .. tostring(os.time()) .. "-" .. tostring(math.floor(os.clock() * 1e6))
  local f, ferr = io.open(tmp, "wb")
  if not f then return nil, "--save: cannot write " .. tostring(ferr) end
  f:write("return ", sweep.serialise(t), "\n")
  f:close()
  local ok, rerr = os.rename(tmp, sfile)
  if not ok then os.remove(tmp) return nil, "--save: " .. tostring(rerr) end
  return true
end

-- Reads the run state written beside a checkpoint and loads the agent: -> { trial, options, env, records,
-- agent }, or nil and a message.
function runner.load_state(path)
  local sweep = require "neuromod.sweep"
  local sfile = runner.state_file(path)
  local t = sweep.read(sfile)
  if not t then
    return nil, sfile .. ": no run state beside the checkpoint (neuromod run --save writes it for a task with " ..
                "env:state() and env:restore(t))"
  end
  if t.format ~= "neuromod run state 1" then return nil, sfile .. ": not a run state (format " .. tostring(t.format) .. ")" end
  local nm = require "neuromod"
  local agent, err = nm.load(path)
  if not agent then return nil, tostring(err) end
  if agent:state_hash() ~= t.state_hash then
    agent:close()
    return nil, path .. " and " .. sfile .. " disagree (the agent's state hash is not the one the run state " ..
                "recorded): the checkpoint was replaced without its run state"
  end
  t.agent = agent
  return t
end

-- The lines of a run's CSV up to trial k: the # header, the column line and the rows of trials 1..k; or nil and
-- a message when it has fewer.
function runner.csv_lines(path, k)
  local f, err = io.open(path, "r")
  if not f then return nil, "--csv: cannot read the run's log to continue it: " .. tostring(err) end
  local out, rows = {}, 0
  for line in f:lines() do
    local trial = tonumber(line:match("^(%d+),"))
    if not trial then out[#out + 1] = line
    elseif trial <= k then out[#out + 1] = line; rows = rows + 1 end
  end
  f:close()
  if rows < k then
    return nil, "--csv: " .. path .. " has " .. rows .. " trials, the checkpoint " .. k .. " (continue the run's own log)"
  end
  return out
end

-- "12 s", "3 min 20 s", "1 h 05 min"
function runner.duration(sec)
  if sec ~= sec or sec == math.huge then return "?" end
  sec = math.floor(sec + 0.5)
  if sec < 60 then return sec .. " s" end
  local floor = math.floor
  if sec < 3600 then return string.format("%d min %02d s", floor(sec / 60), sec % 60) end
  return string.format("%d h %02d min", floor(sec / 3600), floor((sec % 3600) / 60))
end

-- A plain-text report of a summary.
function runner.report(s, o)
  local out = {}
  local function p(...) out[#out + 1] = string.format(...) end
  p("%s, seed %d: %d trials, %d steps, %.2f s (%.0f steps/s)", o.name or o.env, o.seed, s.trials, s.steps,
    s.seconds, s.steps / math.max(s.seconds, 1e-9))
  p("")
  if s.accuracy then
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
  elseif #s.conditions > 1 then
    p("  %-10s %8s %9s", "condition", "trials", "return")
    for _, c in ipairs(s.conditions) do
      local b = s.by_condition[c]
      p("  %-10s %8d %9.3f", c, b.n, b.reward / b.n)
    end
    p("")
  end
  if s.trials > 0 then
    p("  return per trial %.3f (the last %d trials), %.3f (all); episode length %.1f steps (the last %d), %.1f (all)",
      s.return_last, s.window, s.return_mean, s.length_last, s.window, s.length_mean)
  end
  local m = s.modulators
  if m.DA then
    p("  modulators at the end: DA %.3f  NA %.3f  ACh %.3f  5HT %.3f", m.DA, m.NA, m.ACh, m["5HT"])
    p("  meta-parameters: alpha %.4f  beta %.3f  gamma %.3f  lambda %.3f  gain %.3f  withhold bias %.3f",
      m.params.learning_rate, m.params.inverse_temperature, m.params.discount, m.params.trace_decay,
      m.params.gain, m.params.withhold_bias)
  end
  return table.concat(out, "\n")
end

return runner
