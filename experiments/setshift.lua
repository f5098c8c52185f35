-- experiments/setshift.lua -- the conceptual study of Mei, Rodriguez-Garcia et al. (arXiv 2501.06762, §6,
-- Fig. 3) with statistics: after the rules of a Go/No-Go task shift, does an agent with dopamine alone re-adapt,
-- and does a noradrenergic surprise signal help?
--
--   lua5.4 experiments/setshift.lua [--seeds 20] [--first-seed 1] [--shift extra|intra] [--shift-trial 300] [--trials 1000]
--                                   [--population 10] [--active 3] [--noise 0] [--out results] [--variants]
--                                   [--ablation] [--ach-split] [--pairing] [--conditions study|ablation|set] [--attention-set TAU]
--                                   [--gain-focus K] [--na-input surprise|changepoint] [--model rate|spiking]
--                                   [--agent KEY=VALUE ...] [--recurrent N [--tau 5] [--kind integrator]]
--                                   [--populations] [--threads 2]
--   (or: bin/neuromod run experiments/setshift.lua --seeds 20)
--
-- Conditions: no modulation (every modulator off: fixed meta-parameters, learning from the TD error alone),
-- DA only, DA + NA, all four. Every condition sees the same seeds, so the same cue codes and trial sequences.
-- Per seed: accuracy over the 50 trials before the shift and the last 100 trials; trials after the shift until
-- 90% correct over 20 consecutive post-shift trials (the criterion; runs that never get there count as the
-- number of post-shift trials and as "never"); the conditioned action entropy H(A | go cue) in bits, from the
-- agent's policy on the trials whose cue is the current rule's Go stimulus, over the 50 trials before the
-- shift, the 50 just after it, and the last 100. Writes per-trial rows and mean curves as CSV.
-- --conditions ablation puts DA, DA+NA, DA+NA+ACh, DA+NA+5HT and all four in the main table instead;
-- --attention-set and --gain-focus set the agents' neuron-scale options of the same names (default 0, off);
-- --na-input sets every agent's NA input (default surprise; changepoint: the CUSUM of c/modulators.c);
-- --agent KEY=VALUE (repeatable) sets any other nm.agent option of every agent.
-- --recurrent N makes every agent's trunk one recurrent layer of N units (time constant --tau, default 1) in place
-- of the dense layer of 32 (--agent recurrent=N would add it after the dense layer instead); --kind integrator makes
-- it the integrator kind (the leak before the nonlinearity, a factorised eligibility).
-- --populations runs each condition's seeds as one nm.population (stepped by --threads threads, default 1): the
-- same agents and trials, so the same numbers; only the time differs (CPU and wall time are printed).
-- --model spiking runs every condition on the spiking learner (c/learner_spiking.c) at its defaults.
-- Required or loaded with dofile, the script returns its study (neuromod.study) at the defaults, carrying the
-- experiment's functions: study(o, conditions) for other options, table, tests, the condition sets, main.
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local study = require "neuromod.study"
local metrics = require "neuromod.metrics"
local stats = require "neuromod.stats"
local SetShift = dofile(ROOT .. "/envs/setshift.lua")

local M = {}

local CONDITIONS = {
  { name = "none", modulators = "none" },
  { name = "DA", modulators = { DA = true } },
  { name = "DA+NA", modulators = { DA = true, NA = true } },
  { name = "all four", modulators = "all" },
}
M.CONDITIONS = CONDITIONS

-- The modulator levels and meta-parameters logged after each trial's learn step when o.log is set (for the
-- per-trial CSV and the ACh split's trace).
local LOGGED = { "DA", "NA", "ACh", "5HT", "learning_rate", "attention", "inverse_temperature" }

-- The task: one trial is one cue, one response. Per trial: correct (0/1), go_cue (the current rule's Go
-- stimulus is present), p_go (the policy's Go probability before the response), H (its entropy in bits),
-- action, new_pair (the pairing the shift turns from No-Go into Go: Go on it is the only evidence of the new
-- rule), and with o.log the LOGGED levels.
M.TASK = {
  env = function(job, o)
    return SetShift{ seed = job.seed, shift = o.shift, shift_trial = o.shift_trial, population = o.population,
                     active = o.active, noise = o.noise, reward_flip = o.reward_flip }
  end,
  agent = function(_, _, o)
    local opts = { hidden = o.hidden, attention_set = o.attention_set or 0, gain_focus = o.gain_focus or 0,
                   na_input = o.na_input or "surprise" }
    if o.model and o.model ~= "rate" then opts.model = o.model end
    for k, v in pairs(o.agent or {}) do opts[k] = v end
    return opts
  end,
  policy = true,
  columns = { "correct", "go_cue", "p_go", "H", "action", "new_pair" },
  record = function(rec, t, trial, state)
    local info = trial.info
    rec.correct[t] = info.correct and 1 or 0
    rec.go_cue[t] = info.go_cue and true or false
    rec.p_go[t] = trial.probs[2]
    rec.H[t] = metrics.binary_entropy(trial.probs[2])
    rec.action[t] = trial.action
    rec.new_pair[t] = (info.shifted and info.condition == "go" and info.old_condition == "nogo") and true or false
    if rec.learning_rate then
      local m = state.m or {}
      state.m = m
      trial.agent:modulators(m)
      rec.DA[t], rec.NA[t], rec.ACh[t], rec["5HT"][t] = m.DA, m.NA, m.ACh, m["5HT"]
      rec.learning_rate[t], rec.attention[t] = m.params.learning_rate, m.params.attention
      rec.inverse_temperature[t] = m.params.inverse_temperature
    end
  end,
}

-- Per seed: accuracy over the 50 trials before the shift and the last 100; trials after the shift to
-- criterion (censored at the post-shift trials, "never"); mean H(A | go cue) before, just after and long
-- after the shift; the Go rate on the new Go pairing early and late, and Go answers on it before criterion.
local function measures(o)
  local s, T = o.shift_trial, o.trials
  local function meanH(r, a, b) return metrics.mean(metrics.select(r.H, r.go_cue, a, b)) or 0 end
  local function go_rate(r, a, b) return metrics.mean(metrics.select(r.action, r.new_pair, a, b)) or 0 end
  return {
    { "pre", function(r) return (metrics.accuracy(r.correct, s - 49, s)) end },
    { "post", function(r) return (metrics.accuracy(r.correct, T - 99, T)) end },
    { "never", function(r) return metrics.trials_to_criterion(r.correct, { level = 0.9, window = 20, start = s + 1 }) == nil end },
    { "crit", function(r)
        local _, k = metrics.trials_to_criterion(r.correct, { level = 0.9, window = 20, start = s + 1 })
        return k or (T - s)
      end },
    { "H_pre", function(r) return meanH(r, s - 49, s) end },
    { "H_after", function(r) return meanH(r, s + 1, s + 50) end },
    { "H_late", function(r) return meanH(r, T - 99, T) end },
    { "new_go_early", function(r) return go_rate(r, s + 1, s + 200) end },
    { "new_go_late", function(r) return go_rate(r, T - 99, T) end },
    { "new_go_before_crit", function(r, _, m) return metrics.sum(metrics.select(r.action, r.new_pair, s + 1, s + m.crit)) end },
  }
end

local function defaults()
  return { seeds = 20, shift = "extra", shift_trial = 300, trials = 1000, population = 10, active = 3, noise = 0,
           reward_flip = 0, hidden = { 32 }, out = "results", variants = false, ablation = false, first_seed = 1, ach_split = false, pairing = false,
           conditions = "study", attention_set = 0, gain_focus = 0, na_input = "surprise" }
end

-- The study for options o (missing keys take the defaults) over the given conditions (default: the four
-- above): seeds first_seed .. first_seed + seeds - 1. o.log records the modulator levels per trial.
function M.study(o, conditions)
  local full = defaults()
  for k, v in pairs(o or {}) do full[k] = v end
  local task = M.TASK
  if full.log then
    task = {}
    for k, v in pairs(M.TASK) do task[k] = v end
    task.columns = {}
    for i, c in ipairs(M.TASK.columns) do task.columns[i] = c end
    for _, c in ipairs(LOGGED) do task.columns[#task.columns + 1] = c end
  end
  return study{ name = "setshift", task = task, conditions = conditions or CONDITIONS,
                seeds = { first = full.first_seed, count = full.seeds }, trials = full.trials, measures = measures(full),
                options = full }
end

local function column(r, key)
  local x = {}
  for i, s in ipairs(r.seeds) do x[i] = type(s[key]) == "boolean" and (s[key] and 1 or 0) or s[key] end
  return x
end

local function never(r)
  local n = 0
  for _, s in ipairs(r.seeds) do if s.never then n = n + 1 end end
  return n
end

-- per seed: H(A | go cue) just after the shift minus before it
local function rise(r)
  local x = {}
  for i, s in ipairs(r.seeds) do x[i] = s.H_after - s.H_pre end
  return x
end

local function by_name(results)
  local by = {}
  for _, r in ipairs(results) do by[r.name] = r end
  return by
end

local function fmt_ci(x, digits)
  local m, lo, hi = stats.ci(x)
  local f = "%." .. digits .. "f"
  if not lo then return string.format(f, m) end
  return string.format(f .. " [" .. f .. ", " .. f .. "]", m, lo, hi)
end

function M.table(results, o)
  local out = {}
  local function p(...) out[#out + 1] = string.format(...) end
  p("Set-shift Go/No-Go, %s-dimensional shift after trial %d of %d, population %d (%d active), input noise %g, %d seeds%s",
    o.shift, o.shift_trial, o.trials, o.population, o.active, o.noise, o.seeds,
    (o.first_seed or 1) ~= 1 and string.format(" (%d-%d)", o.first_seed, o.first_seed + o.seeds - 1) or "")
  if (o.reward_flip or 0) > 0 then p("misleading feedback: %g of outcomes flipped", o.reward_flip) end
  if (o.na_input or "surprise") ~= "surprise" then p("NA input: %s", o.na_input) end
  if o.agent and next(o.agent) then
    local keys = {}
    for k in pairs(o.agent) do keys[#keys + 1] = k end
    table.sort(keys)
    for j, k in ipairs(keys) do keys[j] = k .. " " .. tostring(o.agent[k]) end
    p("agent options: %s", table.concat(keys, ", "))
  end
  if o.model and o.model ~= "rate" then p("model: %s", o.model) end
  if o.recurrent then
    p("trunk: one %s layer of %d units, tau %g", o.kind or "recurrent", o.recurrent, o.tau or 1)
  end
  if (o.attention_set or 0) > 0 or (o.gain_focus or 0) > 0 then
    p("neuron scale: attention_set %g, gain_focus %g", o.attention_set or 0, o.gain_focus or 0)
  end
  p("mean [95%% CI] over seeds; criterion = 90%% correct over 20 consecutive post-shift trials")
  p("")
  local w = 9
  for _, r in ipairs(results) do w = math.max(w, #r.name) end
  local row = "%-" .. w .. "s %-19s %-19s %-21s %-6s %-19s %-19s %-19s"
  p(row, "condition", "acc. before shift", "acc. last 100",
    "trials to criterion", "never", "H(A|go) before", "H just after", "H long after")
  for _, r in ipairs(results) do
    p(row, r.name, fmt_ci(column(r, "pre"), 2),
      fmt_ci(column(r, "post"), 2), fmt_ci(column(r, "crit"), 0), string.format("%d/%d", never(r), #r.seeds),
      fmt_ci(column(r, "H_pre"), 3), fmt_ci(column(r, "H_after"), 3), fmt_ci(column(r, "H_late"), 3))
  end
  return table.concat(out, "\n")
end

-- The tests the study rests on: DA+NA (and all four) re-reach criterion sooner than DA only (one-sided
-- Mann-Whitney on trials to criterion, censored runs tied at the maximum; Welch's t for reference), and the
-- entropy rise after the shift (H just after - H before) is larger with NA than without.
function M.tests(results)
  local by = by_name(results)
  local da = by["DA"]
  local out, t = {}, {}
  for _, name in ipairs { "DA+NA", "DA+NA+ACh", "all four", "none" } do
    local r = by[name]
    if r and da then
    local mw = stats.mann_whitney(column(r, "crit"), column(da, "crit"))
    local w = stats.welch(column(r, "crit"), column(da, "crit"))
    local hr = stats.mann_whitney(rise(r), rise(da))
    t[name] = { crit_p = mw.p_less, welch_p = w.p_less, rise_p = hr.p_greater, rise = stats.mean(rise(r)) }
    out[#out + 1] = string.format(
      "%-9s vs DA: trials to criterion %s than DA only, one-sided Mann-Whitney p = %.2g (Welch p = %.2g); " ..
      "entropy rise after the shift %.3f vs %.3f bits, one-sided p = %.2g",
      name, mw.p_less < 0.5 and "fewer" or "not fewer", mw.p_less, w.p_less, t[name].rise, stats.mean(rise(da)),
      hr.p_greater)
    end
  end
  return t, table.concat(out, "\n")
end

-- Which modulator adds what on top of DA + NA (answers "why is all four better?").
M.ABLATION = {
  { name = "DA", modulators = { DA = true } },
  { name = "DA+NA", modulators = { DA = true, NA = true } },
  { name = "DA+NA+ACh", modulators = { DA = true, NA = true, ACh = true } },
  { name = "DA+NA+5HT", modulators = { DA = true, NA = true, ["5HT"] = true } },
  { name = "all four", modulators = "all" },
}
-- For the attentional set (run with and without --attention-set): ACh without NA, ACh with NA, all four.
M.SET_CONDITIONS = {
  { name = "DA+ACh", modulators = { DA = true, ACh = true } },
  { name = "DA+NA+ACh", modulators = { DA = true, NA = true, ACh = true } },
  { name = "all four", modulators = "all" },
}
M.ABLATION_TASKS = {
  { label = "extra-dimensional shift" },
  { label = "input noise sd 0.3", noise = 0.3 },
  { label = "10% misleading feedback", reward_flip = 0.1 },
}

-- Which of ACh's two actions through the default mapping helps on top of DA + NA: the lower learning rate
-- (M[learning_rate][ACh] = -1) or the higher input attention (M[attention][ACh] = 0.5). ACh is switched on in
-- the next four conditions; only its mapping entries differ. ACh's expected uncertainty sets NA's threshold
-- inside the core whether or not ACh is switched on, so "ACh, no action" should behave exactly as DA+NA.
local DANA_ACH = { DA = true, NA = true, ACh = true }
M.ACH_SPLIT = {
  { name = "DA+NA", modulators = { DA = true, NA = true } },
  { name = "DA+NA+ACh (both)", modulators = DANA_ACH },
  { name = "ACh->learning rate", modulators = DANA_ACH, mapping = { attention = { ACh = 0 } } },
  { name = "ACh->attention", modulators = DANA_ACH, mapping = { learning_rate = { ACh = 0 } } },
  { name = "ACh, no action", modulators = DANA_ACH, mapping = { learning_rate = { ACh = 0 }, attention = { ACh = 0 } } },
  -- control for the mechanism: no ACh, but a fixed base learning rate of 0.03, about what ACh's learning-rate
  -- action makes of the default 0.05 around trial 300 (ACh is then still near its prior)
  { name = "DA+NA, lr 0.03", modulators = { DA = true, NA = true }, options = { learning_rate = 0.03 } },
  -- for reference: is the all-four advantage over DA+NA itself significant?
  { name = "all four", modulators = "all" },
}
M.ACH_SPLIT_TASKS = {
  { label = "extra-dimensional shift" },
  { label = "intra-dimensional shift", shift = "intra" },
  { label = "input noise sd 0.3", noise = 0.3 },
  { label = "10% misleading feedback", reward_flip = 0.1 },
  { label = "population 20, 4 active", population = 20, active = 4 },
}

-- Each condition after the first against the first (DA+NA): one-sided Mann-Whitney p that it re-reaches
-- criterion in fewer trials, one-sided Fisher p that fewer of its seeds never do, and one-sided Mann-Whitney p
-- that its H(A | go cue) just after the shift is higher.
function M.tests_vs_first(results)
  local base, t, out = results[1], {}, {}
  for i = 2, #results do
    local r = results[i]
    local mw = stats.mann_whitney(column(r, "crit"), column(base, "crit"))
    local hw = stats.mann_whitney(column(r, "H_after"), column(base, "H_after"))
    local nr, nb = never(r), never(base)
    local fi = stats.fisher(nr, #r.seeds - nr, nb, #base.seeds - nb)
    t[r.name] = { crit_p = mw.p_less, never_p = fi.p_less, H_after_p = hw.p_greater }
    out[#out + 1] = string.format("%-18s vs %s: trials to criterion mean %.0f vs %.0f, median %.0f vs %.0f, " ..
      "one-sided Mann-Whitney p = %.2g; never %d vs %d, one-sided Fisher p = %.2g; H just after %.3f vs %.3f bits, " ..
      "one-sided p (higher) = %.2g",
      r.name, base.name, stats.mean(column(r, "crit")), stats.mean(column(base, "crit")),
      stats.median(column(r, "crit")), stats.median(column(base, "crit")), mw.p_less, nr, nb, fi.p_less,
      stats.mean(column(r, "H_after")), stats.mean(column(base, "H_after")), hw.p_greater)
  end
  return t, table.concat(out, "\n")
end

-- The criterion (18 of 20 consecutive trials correct) can be met without the new rule: about a quarter of the
-- trials show the pairing the shift turned from No-Go into Go, so an agent that has stopped perseverating but
-- still withholds on that pairing meets it in any 20-trial window with at most two of them. Per condition: the
-- Go rate on that pairing over the 200 trials after the shift and the last 100 (one-sided Mann-Whitney p, higher
-- than the condition named base_name, default the first), and how many of the seeds that met the criterion had not once answered Go on it
-- before meeting it.
function M.pairing_table(results, base_name)
  local base, out = results[1], {}
  for _, r in ipairs(results) do if r.name == base_name then base = r end end
  local w = 9
  for _, r in ipairs(results) do w = math.max(w, #r.name) end
  out[#out + 1] = string.format("%-" .. w .. "s %-27s %-27s %s", "condition", "Go on new Go pairing s+1..200",
    "Go on it, last 100", "met criterion without one Go on it")
  for _, r in ipairs(results) do
    local early, late = column(r, "new_go_early"), column(r, "new_go_late")
    local met, blind = 0, 0
    for _, seed in ipairs(r.seeds) do
      if not seed.never then
        met = met + 1
        if seed.new_go_before_crit == 0 then blind = blind + 1 end
      end
    end
    local pe = r ~= base and string.format(" (p = %.2g)", stats.mann_whitney(early, column(base, "new_go_early")).p_greater) or ""
    local pl = r ~= base and string.format(" (p = %.2g)", stats.mann_whitney(late, column(base, "new_go_late")).p_greater) or ""
    out[#out + 1] = string.format("%-" .. w .. "s %-27s %-27s %d of %d", r.name, string.format("%.2f", stats.mean(early)) .. pe,
      string.format("%.2f", stats.mean(late)) .. pl, blind, met)
  end
  return table.concat(out, "\n")
end

-- Seed-averaged modulator levels and meta-parameters (after each trial's learn step) over windows around the
-- shift; needs runs made with o.log = true.
M.TRACE_KEYS = { "ACh", "NA", "learning_rate", "attention", "inverse_temperature" }
function M.trace_windows(o)
  local s = o.shift_trial
  return {
    { label = "first 50 trials", a = 1, b = 50 },
    { label = "before (s-49..s)", a = s - 49, b = s },
    { label = "just after (s+1..s+10)", a = s + 1, b = s + 10 },
    { label = "after (s+11..s+50)", a = s + 11, b = s + 50 },
    { label = "after (s+51..s+150)", a = s + 51, b = s + 150 },
    { label = "long after (last 100)", a = o.trials - 99, b = o.trials },
  }
end
function M.trace_mean(r, key, a, b)
  local sum, n = 0, 0
  for _, rec in ipairs(r.records) do
    for t = a, b do sum, n = sum + rec[key][t], n + 1 end
  end
  return sum / n
end
function M.trace_table(results, o)
  local out = {}
  for _, r in ipairs(results) do
    out[#out + 1] = string.format("  %s", r.name)
    out[#out + 1] = string.format("    %-24s %8s %8s %13s %9s %9s", "window", "ACh", "NA", "learning_rate",
      "attention", "inv.temp")
    for _, w in ipairs(M.trace_windows(o)) do
      out[#out + 1] = string.format("    %-24s %8.4f %8.4f %13.5f %9.4f %9.4f", w.label,
        M.trace_mean(r, "ACh", w.a, w.b), M.trace_mean(r, "NA", w.a, w.b), M.trace_mean(r, "learning_rate", w.a, w.b),
        M.trace_mean(r, "attention", w.a, w.b), M.trace_mean(r, "inverse_temperature", w.a, w.b))
    end
  end
  return table.concat(out, "\n")
end

-- Variants the study was not tuned on: other shift points, input noise, population sizes, the intra shift.
M.VARIANTS = {
  { label = "shift at trial 150", shift_trial = 150, trials = 850 },
  { label = "shift at trial 600", shift_trial = 600, trials = 1300 },
  { label = "input noise sd 0.3", noise = 0.3 },
  { label = "population 20, 4 active", population = 20, active = 4 },
  { label = "population 6, 2 active", population = 6, active = 2 },
  { label = "10% misleading feedback", reward_flip = 0.1 },
  { label = "intra-dimensional shift", shift = "intra" },
}

local function defaults()
  return { seeds = 20, shift = "extra", shift_trial = 300, trials = 1000, population = 10, active = 3, noise = 0,
           reward_flip = 0, hidden = { 32 }, out = "results", variants = false, ablation = false, first_seed = 1, ach_split = false, pairing = false,
           conditions = "study", attention_set = 0, gain_focus = 0, na_input = "surprise", populations = false,
           threads = 1 }
end

local function parse(argv)
  local o = defaults()
  local i = 1
  local function num(name, v)
    local n = tonumber(v)
    if not n then io.stderr:write("setshift: ", name, " expects a number, got ", tostring(v), "\n") os.exit(2) end
    return n
  end
  while argv[i] do
    local a, v = argv[i], argv[i + 1]
    if a == "--seeds" then o.seeds = num(a, v) i = i + 1
    elseif a == "--first-seed" then o.first_seed = num(a, v) i = i + 1
    elseif a == "--shift" then o.shift = v i = i + 1
    elseif a == "--shift-trial" then o.shift_trial = num(a, v) i = i + 1
    elseif a == "--trials" then o.trials = num(a, v) i = i + 1
    elseif a == "--population" then o.population = num(a, v) i = i + 1
    elseif a == "--active" then o.active = num(a, v) i = i + 1
    elseif a == "--noise" then o.noise = num(a, v) i = i + 1
    elseif a == "--flip" then o.reward_flip = num(a, v) i = i + 1
    elseif a == "--out" then o.out = v i = i + 1
    elseif a == "--variants" then o.variants = true
    elseif a == "--ablation" then o.ablation = true
    elseif a == "--ach-split" then o.ach_split = true
    elseif a == "--pairing" then o.pairing = true
    elseif a == "--conditions" then o.conditions = v i = i + 1
    elseif a == "--attention-set" then o.attention_set = num(a, v) i = i + 1
    elseif a == "--gain-focus" then o.gain_focus = num(a, v) i = i + 1
    elseif a == "--na-input" then o.na_input = v i = i + 1
    elseif a == "--agent" then
      local k, val = tostring(v):match("^([%a_][%w_]*)=(.+)$")
      if not k then io.stderr:write("setshift: --agent expects KEY=VALUE, got ", tostring(v), "\n") os.exit(2) end
      o.agent = o.agent or {}
      o.agent[k] = val == "true" or (val ~= "false" and (tonumber(val) or val))
      i = i + 1
    elseif a == "--populations" then o.populations = true
    elseif a == "--threads" then o.threads = num(a, v) i = i + 1
    elseif a == "--model" then o.model = v i = i + 1
    elseif a == "--recurrent" then o.recurrent = num(a, v) i = i + 1
    elseif a == "--tau" then o.tau = num(a, v) i = i + 1
    elseif a == "--kind" then o.kind = v i = i + 1
    else io.stderr:write("setshift: unknown argument ", a, "\n") os.exit(2) end
    i = i + 1
  end
  if o.conditions ~= "study" and o.conditions ~= "ablation" and o.conditions ~= "set" then
    io.stderr:write("setshift: --conditions expects study, ablation or set, got ", tostring(o.conditions), "\n") os.exit(2)
  end
  if o.na_input ~= "surprise" and o.na_input ~= "changepoint" then
    io.stderr:write("setshift: --na-input expects surprise or changepoint, got ", tostring(o.na_input), "\n") os.exit(2)
  end
  if o.model ~= nil and o.model ~= "rate" and o.model ~= "spiking" then
    io.stderr:write("setshift: --model expects rate or spiking, got ", tostring(o.model), "\n") os.exit(2)
  end
  if o.tau and not o.recurrent then io.stderr:write("setshift: --tau needs --recurrent\n") os.exit(2) end
  if o.kind and not o.recurrent then io.stderr:write("setshift: --kind needs --recurrent\n") os.exit(2) end
  if o.kind ~= nil and o.kind ~= "recurrent" and o.kind ~= "integrator" then
    io.stderr:write("setshift: --kind expects recurrent or integrator, got ", tostring(o.kind), "\n") os.exit(2)
  end
  if o.recurrent then
    if o.recurrent < 1 or o.recurrent ~= math.floor(o.recurrent) then
      io.stderr:write("setshift: --recurrent expects a positive integer, got ", tostring(o.recurrent), "\n") os.exit(2)
    end
    o.hidden = { { kind = o.kind or "recurrent", n = o.recurrent, tau = o.tau or 1 } }
  end
  if o.seeds < 2 or o.seeds ~= math.floor(o.seeds) or o.first_seed ~= math.floor(o.first_seed) then
    io.stderr:write("setshift: need an integer --seeds >= 2 and an integer --first-seed\n") os.exit(2)
  end
  if o.shift_trial < 50 or o.trials < o.shift_trial + 100 then
    io.stderr:write("setshift: need --shift-trial >= 50 and --trials >= shift-trial + 100\n") os.exit(2)
  end
  return o
end

-- Per-trial rows (needs a run made with o.log = true) and mean accuracy curves.
local function write_csv(o, results)
  os.execute("mkdir -p '" .. o.out .. "'")
  local f = assert(io.open(o.out .. "/setshift_trials.csv", "w"))
  f:write("condition,seed,trial,correct,go_cue,p_go,H_go,DA,NA,ACh,5HT,learning_rate,inverse_temperature\n")
  for _, r in ipairs(results) do
    for i, rec in ipairs(r.records) do
      local seed = r.jobs[i].seed
      for t = 1, #rec.correct do
        f:write(string.format("%s,%d,%d,%d,%d,%.5f,%s,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f\n", r.name, seed, t,
          rec.correct[t], rec.go_cue[t] and 1 or 0, rec.p_go[t], rec.go_cue[t] and string.format("%.5f", rec.H[t]) or "",
          rec.DA[t], rec.NA[t], rec.ACh[t], rec["5HT"][t], rec.learning_rate[t], rec.inverse_temperature[t]))
      end
    end
  end
  f:close()
  f = assert(io.open(o.out .. "/setshift_curves.csv", "w"))
  local head = { "trial" }
  for _, r in ipairs(results) do head[#head + 1] = "accuracy_" .. r.name:gsub("[ +]", "_") end
  f:write(table.concat(head, ","), "\n")
  for t = 1, o.trials do
    local row = { t }
    for _, r in ipairs(results) do
      local s = 0
      for _, rec in ipairs(r.records) do s = s + rec.correct[t] end
      row[#row + 1] = string.format("%.4f", s / #r.seeds)
    end
    f:write(table.concat(row, ","), "\n")
  end
  f:close()
end

-- The options of argv with a variant's overrides (every key but its label).
local function with(argv, variant)
  local o = parse(argv or {})
  for k, x in pairs(variant) do if k ~= "label" then o[k] = x end end
  return o
end

-- A study's results, each condition's seeds as one population with --populations.
local function run(st, o)
  if o.populations then return st:run_populations(nil, o.threads) end
  return st:run()
end

-- Wall-clock seconds (os.clock is CPU time, which threads add up): from date(1), with a fraction where it has one.
local function wall()
  local p = io.popen("date +%s.%N 2>/dev/null")
  local t = p and tonumber((p:read("*l") or ""):match("^[%d.]+$") or "")
  if p then p:close() end
  return t or os.time()
end

function M.main(argv)
  local o = parse(argv or {})
  local t0, w0 = os.clock(), wall()
  o.log = true
  local results = run(M.study(o, (o.conditions == "ablation" and M.ABLATION) or (o.conditions == "set" and M.SET_CONDITIONS)
    or nil), o)
  print(M.table(results, o))
  print("")
  local _, text = M.tests(results)
  print(text)
  if o.pairing then
    print("\nThe pairing the shift turned from No-Go into Go (p: one-sided Mann-Whitney, higher than DA):")
    print(M.pairing_table(results, "DA"))
  end
  write_csv(o, results)
  print(string.format("\nper-trial rows: %s/setshift_trials.csv; mean accuracy curves: %s/setshift_curves.csv (%.1f s)",
    o.out, o.out, os.clock() - t0))
  local function timing(what, c0, wall0)
    print(string.format("time, %s: %.1f s CPU, %.1f s wall (%s)", what, os.clock() - c0, wall() - wall0,
      o.populations and string.format("one population per condition, %d thread%s", o.threads, o.threads == 1 and "" or "s")
      or "one agent per seed"))
  end
  timing("main study", t0, w0)
  if o.variants then
    print("\nVariants the study was not tuned on (" .. o.seeds .. " seeds each; p: one-sided Mann-Whitney, DA+NA vs DA):")
    print(string.format("  %-26s %-16s %-16s %-16s %-9s %-9s %-9s %-9s %-9s", "variant", "DA: trials",
      "DA+NA: trials", "all four: trials", "DA never", "+NA never", "all never", "p (crit.)", "p (H rise)"))
    local c1, w1 = os.clock(), wall()
    for _, v in ipairs(M.VARIANTS) do
      local res = by_name(run(M.study(with(argv, v), { CONDITIONS[2], CONDITIONS[3], CONDITIONS[4] }), o))
      local da, dana, all = res["DA"], res["DA+NA"], res["all four"]
      local mw = stats.mann_whitney(column(dana, "crit"), column(da, "crit"))
      local hr = stats.mann_whitney(rise(dana), rise(da))
      print(string.format("  %-26s %-16s %-16s %-16s %-9s %-9s %-9s %-9.2g %-9.2g", v.label,
        fmt_ci(column(da, "crit"), 0), fmt_ci(column(dana, "crit"), 0), fmt_ci(column(all, "crit"), 0),
        never(da) .. "/" .. o.seeds, never(dana) .. "/" .. o.seeds, never(all) .. "/" .. o.seeds, mw.p_less,
        hr.p_greater))
    end
    timing("variants", c1, w1)
  end
  if o.ablation then
    print("\nWhat each modulator adds (mean trials to criterion after the shift, and how many of " .. o.seeds ..
      " seeds never re-adapt):")
    local head = { string.format("  %-26s", "task") }
    for _, c in ipairs(M.ABLATION) do head[#head + 1] = string.format("%-17s", c.name) end
    print(table.concat(head, " "))
    for _, v in ipairs(M.ABLATION_TASKS) do
      local row = { string.format("  %-26s", v.label) }
      for _, r in ipairs(run(M.study(with(argv, v), M.ABLATION), o)) do
        row[#row + 1] = string.format("%-17s", string.format("%.0f (%d never)", stats.mean(column(r, "crit")), never(r)))
      end
      print(table.concat(row, " "))
    end
  end
  if o.ach_split then
    print("\nWhich of ACh's actions helps (" .. o.seeds .. " seeds each; DA+NA+ACh with ACh's learning-rate and/or " ..
      "attention entries of the mapping set to 0; p: one-sided Mann-Whitney vs DA+NA):")
    for i, v in ipairs(M.ACH_SPLIT_TASKS) do
      local ov = with(argv, v)
      ov.log = i == 1
      local res = run(M.study(ov, M.ACH_SPLIT), o)
      print("\n" .. v.label .. ":")
      print(M.table(res, ov))
      print("")
      local _, text = M.tests_vs_first(res)
      print(text)
      print("")
      print(M.pairing_table(res))
      if ov.log then
        print("\nmean over seeds, after each trial's learn step (s = " .. ov.shift_trial .. "):")
        print(M.trace_table(res, ov))
      end
    end
  end
  return 0
end

if arg and arg[0] and arg[0]:match("experiments/setshift%.lua$") then os.exit(M.main(arg)) end
-- As a module: the study at the defaults (the four conditions, seeds 1..20), carrying the experiment's
-- functions (M.study for other options and conditions, M.table, M.tests, the condition sets, main).
local S = M.study(defaults())
for k, v in pairs(M) do S[k] = v end
return S
