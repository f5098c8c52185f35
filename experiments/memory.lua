-- experiments/memory.lua -- the working-memory tasks: can the agent hold a cue, a sample or evidence across
-- steps whose observations no longer carry it?
--
--   luajit experiments/memory.lua [--task all|gonogo|delay_match|perceptual] [--seeds 5] [--first-seed 1]
--                                 [--trials 0] [--hidden 64] [--recurrent 0] [--tau 0] [--after 0] [--last 500]
--                                 [--short 300] [--long 2000] [--kind recurrent|integrator]
--   (or: bin/neuromod run experiments/memory.lua --seeds 5)
--
-- Agent: nm.agent with its defaults (all four modulators) and one dense layer of --hidden units; --recurrent N
-- adds a recurrent layer of N units after it (the agent option recurrent = N, or with --tau T the layer table
-- { kind = "recurrent", n = N, tau = T }); --hidden 0 drops the dense layer (the recurrent one is then the whole
-- trunk), --after M adds a dense layer of M units after the recurrent one, and --kind integrator makes it the
-- integrator kind ({ kind = "integrator", n = N, tau = T }: the leak before the nonlinearity, a factorised
-- eligibility; docs/results/recurrent.md). An agent without that layer kind
-- refuses the option, and the script stops with its message (exit 1). A recurrent agent on delay_match also
-- takes M.DELAY_MATCH_AGENT, init_scale = 3 and policy_entropy = 0.02 (larger initial weights, whose units mix
-- the sample with the test, and an entropy bonus that keeps the answer of every (sample, test) pair explored:
-- docs/results/memory.md); --agent KEY=VALUE overrides them (init_scale=1, policy_entropy=0: the agent before).
--
-- Tasks (--trials overrides every task's number of training trials; 0 keeps each task's own):
--   gonogo       envs/gonogo.lua with memory = true (NeuroGym's: the cue is off in the delay and the decision
--                period), 5,000 trials; the control memory = false keeps the cue on. Per seed: the trial at
--                which 90% correct over 100 consecutive trials is first reached (metrics.trials_to_criterion),
--                and the accuracy over the last --last trials, of all trials and of the go and no-go trials;
--                "answered" is the share of those trials with a go.
--   delay_match  envs/delay_match.lua, 20,000 trials: the trial of 80% correct over 100 trials, the accuracy
--                over the last --last trials, by match / non-match, and how often the agent answered at all.
--   perceptual   envs/perceptual_decision.lua, 10,000 trials on each of two stimulus durations (--short and
--                --long ms) and two variants: NeuroGym's (memory = true: the stimulus is off in the decision
--                period) and stimulus-on (memory = false: a fresh noisy frame in the decision period too, so a
--                memoryless agent can read it). The psychometric table: accuracy by coherence over the last
--                2,000 trials of training (the agent still learning, about 400 trials per coherence per seed),
--                mean over seeds [min, max]; and the long - short difference at each non-zero coherence with
--                its 95% t interval over seeds (positive where longer stimuli help: evidence integrated, not
--                the last frame read); beside them the ideal observer's accuracy from one frame, from the
--                short stimulus's frames and from the long one's (sigma 1, dt 100 ms: the task's defaults).
-- Seeds 1-5 develop, 6-10 are held out (--first-seed 6). Every number comes from nm.rng streams: the same on
-- both backends (LuaJIT is the faster one to run it with).
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local study = require "neuromod.study"
local metrics = require "neuromod.metrics"
local stats = require "neuromod.stats"
local task = require "neuromod.task"

local GoNogo = dofile(ROOT .. "/envs/gonogo.lua")
local DelayMatch = dofile(ROOT .. "/envs/delay_match.lua")
local Perceptual = dofile(ROOT .. "/envs/perceptual_decision.lua")

local M = {}

M.DEFAULTS = { task = "all", seeds = 5, first_seed = 1, trials = 0, hidden = 64, recurrent = 0, tau = 0, after = 0, last = 500,
               short = 300, long = 2000, kind = "recurrent" }
local TRIALS = { gonogo = 5000, delay_match = 20000, perceptual = 10000 }
-- The recurrent agent's options on delay_match (see the header); the feed-forward agent keeps its defaults.
M.DELAY_MATCH_AGENT = { init_scale = 3, policy_entropy = 0.02 }
local PSYCHOMETRIC_LAST = 2000

-- The agent's options for the study's task.agent: one dense layer, and the recurrent one when asked for; then
-- the task's `extra` options, then --agent's pairs.
function M.agent_options(o, extra)
  local dense = o.hidden > 0 and { o.hidden } or {}
  local opts
  if o.recurrent <= 0 then opts = { hidden = dense }
  elseif o.tau > 0 or o.after > 0 or o.kind ~= "recurrent" then
    dense[#dense + 1] = { kind = o.kind, n = o.recurrent, tau = o.tau > 0 and o.tau or nil }
    if o.after > 0 then dense[#dense + 1] = o.after end
    opts = { hidden = dense }
  else opts = { hidden = dense, recurrent = o.recurrent } end
  return task.with(task.with(opts, extra), o.agent)
end

function M.agent_label(o)
  if o.recurrent <= 0 then return "feed-forward (hidden " .. o.hidden .. ")" end
  return "recurrent (" .. (o.hidden > 0 and ("hidden " .. o.hidden .. ", ") or "") .. o.kind .. " " .. o.recurrent ..
    (o.tau > 0 and (", tau " .. o.tau) or "") .. (o.after > 0 and (", then dense " .. o.after) or "") .. ")"
end

-- Per-trial records shared by the tasks: correct (0/1), condition, answered (0/1: an answer in the decision
-- period; for go/no-go a go), coherence (perceptual only).
local function record(rec, t, trial)
  local info = trial.info
  rec.correct[t] = info.correct and 1 or 0
  rec.condition[t] = info.condition
  if info.action ~= nil then
    rec.answered[t] = info.action ~= 0 and 1 or 0
  else -- gonogo's info has no action: a go trial is right only with a go, a no-go trial only without one
    rec.answered[t] = ((info.condition == "go") == info.correct) and 1 or 0
  end
  rec.coherence[t] = info.coherence or 0
end

local function make_study(name, o, env, trials, extra)
  return study{
    name = name, seeds = { first = o.first_seed, count = o.seeds }, trials = trials, options = o,
    conditions = { { name = M.agent_label(o) } },
    task = { env = env, agent = function() return M.agent_options(o, extra) end,
             columns = { "correct", "condition", "answered", "coherence" }, record = record },
  }
end

-- Accuracy over the trials of [first, last] whose condition is `c` (all when c is nil); nil when none.
local function accuracy_of(rec, first, last, c)
  local k, n = 0, 0
  for t = first, last do
    if c == nil or rec.condition[t] == c then n, k = n + 1, k + rec.correct[t] end
  end
  return n > 0 and k / n or nil
end

local function pct(x) return x and string.format("%5.1f%%", 100 * x) or "    -" end

local function summary_line(values)
  local xs = {}
  for _, v in ipairs(values) do if v then xs[#xs + 1] = v end end
  if #xs == 0 then return "-" end
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(xs) do lo, hi = math.min(lo, v), math.max(hi, v) end
  return string.format("%.1f%% [%.1f, %.1f]", 100 * stats.mean(xs), 100 * lo, 100 * hi)
end

-- One criterion task (gonogo or delay_match): a table of seeds, then the count that met the bar.
local function criterion_task(title, name, o, env, trials, level, conditions, extra)
  local res = make_study(name, o, env, trials, extra):run()[1]
  local last = math.min(o.last, trials)
  print(string.format("%s; %d trials; criterion %d%% correct over 100 consecutive trials", title, trials, level * 100))
  local head = string.format("  %-6s %-10s %-9s", "seed", "criterion", "last " .. last)
  for _, c in ipairs(conditions) do head = head .. string.format(" %-9s", c) end
  print(head .. " answered")
  local reached, col = 0, { all = {}, answered = {} }
  for _, c in ipairs(conditions) do col[c] = {} end
  for i, rec in ipairs(res.records) do
    local crit = metrics.trials_to_criterion(rec.correct, { level = level, window = 100 })
    if crit then reached = reached + 1 end
    local first = trials - last + 1
    local line = string.format("  %-6d %-10s %-9s", res.jobs[i].seed, crit and tostring(crit) or "never",
      pct(accuracy_of(rec, first, trials)))
    col.all[i] = accuracy_of(rec, first, trials)
    for _, c in ipairs(conditions) do
      col[c][i] = accuracy_of(rec, first, trials, c)
      line = line .. string.format(" %-9s", pct(col[c][i]))
    end
    col.answered[i] = metrics.mean(rec.answered, first, trials)
    print(line .. " " .. pct(col.answered[i]))
  end
  local line = string.format("  %-6s %-10s %s", "mean", reached .. "/" .. #res.records .. " met", summary_line(col.all))
  for _, c in ipairs(conditions) do line = line .. "; " .. c .. " " .. summary_line(col[c]) end
  print(line .. "; answered " .. summary_line(col.answered))
  return res
end

-- The psychometric table of one variant: accuracy by coherence for the short and the long stimulus.
local function psychometric(o, memory, trials)
  local cohs = { 0, 6.4, 12.8, 25.6, 51.2 }
  local by = {}
  for _, d in ipairs { o.short, o.long } do
    local s = make_study("perceptual", o, function(job)
      return Perceptual{ seed = job.seed, memory = memory, timing = { stimulus = d } }
    end, trials)
    local res = s:run()[1]
    local first = math.max(1, trials - PSYCHOMETRIC_LAST + 1)
    by[d] = {}
    for ci, c in ipairs(cohs) do
      by[d][ci] = {}
      for si, rec in ipairs(res.records) do
        local k, n = 0, 0
        for t = first, trials do
          if rec.coherence[t] == c then n, k = n + 1, k + rec.correct[t] end
        end
        by[d][ci][si] = n > 0 and k / n or nil
      end
    end
    local answered = {}
    for si, rec in ipairs(res.records) do answered[si] = metrics.mean(rec.answered, first, trials) end
    by[d].answered = answered
  end
  -- the ideal observer's accuracy from n frames: the two channels' means differ by c/100, and the difference of
  -- their means over n frames has sd sqrt(2 / n) sigma / sqrt(dt) (sigma 1, dt 100 ms)
  local function ideal(c, n) return stats.normal_cdf(c / 100 / (math.sqrt(2 / n) * 0.1)) end
  local short_n, long_n = math.floor(o.short / 100 + 0.5), math.floor(o.long / 100 + 0.5)
  print(string.format("  %-10s %-26s %-26s %-22s %s", "coherence", "stimulus " .. o.short .. " ms", "stimulus " .. o.long ..
    " ms", "long - short [95% CI]", string.format("ideal: 1 / %d / %d frames", short_n, long_n)))
  for ci, c in ipairs(cohs) do
    local diff = {}
    for si = 1, o.seeds do
      local a, b = by[o.long][ci][si], by[o.short][ci][si]
      if a and b then diff[#diff + 1] = a - b end
    end
    local d = "-"
    if c > 0 and #diff >= 2 then
      local m, lo, hi = stats.ci(diff)
      d = string.format("%+.1f [%+.1f, %+.1f]", 100 * m, 100 * lo, 100 * hi)
    end
    print(string.format("  %-10s %-26s %-26s %-22s %.1f%% / %.1f%% / %.1f%%", string.format("%g%%", c),
      summary_line(by[o.short][ci]), summary_line(by[o.long][ci]), d, 100 * ideal(c, 1), 100 * ideal(c, short_n),
      100 * ideal(c, long_n)))
  end
  print(string.format("  %-10s %-26s %-26s", "answered", summary_line(by[o.short].answered),
    summary_line(by[o.long].answered)))
end

local function run(o)
  local tasks = o.task == "all" and { "gonogo", "delay_match", "perceptual" } or { o.task }
  print(string.format("working memory: %s; seeds %d-%d", M.agent_label(o), o.first_seed, o.first_seed + o.seeds - 1))
  for _, name in ipairs(tasks) do
    local trials = o.trials > 0 and o.trials or TRIALS[name]
    print("")
    if name == "gonogo" then
      criterion_task("gonogo, memory = true (cue off in delay and decision)", "gonogo_memory", o,
        function(job) return GoNogo{ seed = job.seed, memory = true } end, trials, 0.9, { "go", "nogo" })
      print("")
      criterion_task("gonogo, memory = false (control: the cue stays on)", "gonogo_control", o,
        function(job) return GoNogo{ seed = job.seed, memory = false } end, trials, 0.9, { "go", "nogo" })
    elseif name == "delay_match" then
      local extra, title = nil, "delay_match (NeuroGym timing: 300 / 500 / 1000 / 500 / 900 ms)"
      if o.recurrent > 0 then
        extra = M.DELAY_MATCH_AGENT
        local shown = {}
        for _, k in ipairs { "init_scale", "policy_entropy" } do
          local v = o.agent[k] ~= nil and o.agent[k] or extra[k]
          shown[#shown + 1] = k .. " " .. tostring(v)
        end
        title = title .. "; agent " .. table.concat(shown, ", ")
      end
      criterion_task(title, "delay_match", o, function(job) return DelayMatch{ seed = job.seed } end, trials, 0.8,
        { "match", "nonmatch" }, extra)
    else
      print(string.format("perceptual_decision, memory = true (NeuroGym: stimulus off in the decision period); " ..
        "%d trials; accuracy over the last %d, mean over seeds [min, max]", trials, math.min(trials, PSYCHOMETRIC_LAST)))
      psychometric(o, true, trials)
      print("")
      print(string.format("perceptual_decision, memory = false (a noisy frame in the decision period too); %d trials",
        trials))
      psychometric(o, false, trials)
    end
  end
end

function M.main(argv)
  local parsed, o = pcall(task.arguments, "memory", argv, M.DEFAULTS)
  if not parsed then
    io.stderr:write(tostring(o):gsub("^[^:]*:%d+: ", ""), "\n")
    return 2
  end
  if o.task ~= "all" and not TRIALS[o.task] then
    io.stderr:write("memory: --task: expected all, gonogo, delay_match or perceptual, got " .. tostring(o.task) .. "\n")
    return 2
  end
  for _, k in ipairs { "seeds", "hidden", "last", "short", "long" } do
    if o[k] < 1 or o[k] ~= math.floor(o[k]) then
      if not (k == "hidden" and o[k] == 0 and o.recurrent > 0) then
        io.stderr:write("memory: --" .. k:gsub("_", "-") .. ": expected a positive integer" ..
          (k == "hidden" and " (0 only with --recurrent)" or "") .. ", got " .. o[k] .. "\n")
        return 2
      end
    end
  end
  if o.kind ~= "recurrent" and o.kind ~= "integrator" then
    io.stderr:write("memory: --kind: expected recurrent or integrator, got " .. tostring(o.kind) .. "\n")
    return 2
  end
  if o.after ~= 0 and (o.recurrent <= 0 or o.after < 0 or o.after ~= math.floor(o.after)) then
    io.stderr:write("memory: --after: expected a positive integer, with --recurrent, got " .. o.after .. "\n")
    return 2
  end
  local t0 = os.clock()
  local ok, err = pcall(run, o)
  if not ok then
    err = tostring(err):gsub("^[^:]*study%.lua:%d+: ", "")
    local hint = ""
    if o.recurrent > 0 and (err:find("unknown option 'recurrent'", 1, true) or err:find("hidden[2]", 1, true)) then
      hint = "\n  (this build's agent has no recurrent layer: --recurrent needs the recurrent layer kind)"
    end
    io.stderr:write("memory: the run failed: " .. err .. hint .. "\n")
    return 1
  end
  print(string.format("\n(%.1f s of CPU)", os.clock() - t0))
  return 0
end

if arg and arg[0] and arg[0]:match("experiments/memory%.lua$") then os.exit(M.main(arg)) end
return M
