-- experiments/setshift_flip_diagnosis.lua -- why DA+NA beats DA only at p = 0.012 rather than < 0.01 with 10%
-- misleading feedback (README, set-shift variants). A diagnosis, not a fix: nothing here changes the agent.
--
--   lua5.4 experiments/setshift_flip_diagnosis.lua [--seeds 20] [--flip 0.1]
--
-- Extra-dimensional shift after trial 300 of 1000 (the study's defaults), DA only and DA+NA, with and without
-- flipped feedback. Prints per seed trials to criterion; seed-averaged windows of the outcome predictor's
-- surprise S, the expected uncertainty E (the uncertainty head's prediction, what NA's threshold is set from),
-- NA's unexpectedness u = max(0, S - na_threshold E) / (S + floor), NA's level, learning rate, inverse
-- temperature and the Go rate; u on flipped and unflipped Go outcomes before the shift and on the first
-- post-shift false alarms; and, per DA+NA seed, the Go rate after the shift (the collapse to withholding) and
-- the largest z of NA's utility input (how many standard errors the short reward average falls below the long
-- one, minus 3; it acts only when positive).
local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or ".") .. "/.."
dofile(ROOT .. "/lua/neuromod/checkout.lua").use(ROOT)

local study = require "neuromod.study"
local metrics = require "neuromod.metrics"
local stats = require "neuromod.stats"
local SetShift = dofile(ROOT .. "/envs/setshift.lua")

local S0, T = 300, 1000

-- Per trial, after the learn step: S, E, u, NA's level, learning rate, inverse temperature, the response, the
-- utility z, whether the feedback was flipped, whether the response was a false alarm, and correct (0/1).
local TASK = {
  env = function(job, o)
    return SetShift{ seed = job.seed, shift = "extra", shift_trial = S0, population = 10, active = 3, noise = 0,
                     reward_flip = o.flip }
  end,
  agent = function() return { hidden = { 32 } } end,
  columns = { "S", "E", "u", "NA", "lr", "beta", "go", "z", "flipped", "fa", "correct" },
  record = function(rec, t, trial, st)
    local agent, info, r, a = trial.agent, trial.info, trial.reward, trial.action
    if not st.cfg then
      st.cfg, st.m = agent:config(), {}
      st.short, st.var = 0, 0 -- NA's utility input, recomputed as c/modulators.c does
      st.ks, st.kt = 1 / st.cfg.tau_phasic.DA, 1 / st.cfg.tau_tonic.DA
    end
    local cfg, m = st.cfg, st.m
    agent:modulators(m)
    local E = m.phasic.ACh + cfg.surprise_floor
    local u = m.surprise - cfg.na_threshold * E
    u = u > 0 and u / (m.surprise + cfg.surprise_floor) or 0
    st.short = st.short + st.ks * (r - st.short)
    local dev = r - m.tonic.DA
    st.var = st.var + st.kt * (dev * dev - st.var)
    rec.S[t], rec.E[t], rec.u[t], rec.NA[t] = m.surprise, E, u, m.NA
    rec.lr[t], rec.beta[t], rec.go[t] = m.params.learning_rate, m.params.inverse_temperature, a
    rec.z[t] = (m.tonic.DA - st.short) / (math.sqrt(st.var * st.ks * 0.5) + 1e-3) - 3
    rec.flipped[t], rec.fa[t] = info.flipped, a == 1 and info.condition == "nogo"
    rec.correct[t] = info.correct and 1 or 0
  end,
}

local MEASURES = {
  { "never", function(r) return metrics.trials_to_criterion(r.correct, { level = 0.9, window = 20, start = S0 + 1 }) == nil end },
  { "crit", function(r)
      local _, k = metrics.trials_to_criterion(r.correct, { level = 0.9, window = 20, start = S0 + 1 })
      return k or (T - S0)
    end },
}

local CONDITIONS = { { name = "DA", modulators = { DA = true } }, { name = "DA+NA", modulators = { DA = true, NA = true } } }

local function parse(argv)
  local o = { seeds = 20, flip = 0.1 }
  local i = 1
  while argv[i] do
    if argv[i] == "--seeds" then o.seeds = tonumber(argv[i + 1]) i = i + 2
    elseif argv[i] == "--flip" then o.flip = tonumber(argv[i + 1]) i = i + 2
    else io.stderr:write("setshift_flip_diagnosis: unknown argument ", argv[i], "\n") os.exit(2) end
  end
  return o
end

local WINDOWS = { { "s-99..s", S0 - 99, S0 }, { "s+1..s+10", S0 + 1, S0 + 10 }, { "s+11..s+50", S0 + 11, S0 + 50 },
                  { "s+51..s+150", S0 + 51, S0 + 150 }, { "last 100", T - 99, T } }
local KEYS = { "S", "E", "u", "NA", "lr", "beta", "go" }

local function main(argv)
  local o = parse(argv or {})
  local crits = {}
  for _, flip in ipairs { 0, o.flip } do
    local s = study{ name = "flip_diagnosis", task = TASK, conditions = CONDITIONS, seeds = o.seeds, trials = T,
                     measures = MEASURES, options = { flip = flip } }
    for _, c in ipairs(s:run()) do
      local res, x = c.records, {}
      for i, m in ipairs(c.seeds) do x[i] = m.crit end
      crits[c.name .. "/" .. flip] = x
      print(string.format("\nflip %g, %s: trials to criterion per seed: %s (mean %.0f, median %.0f)", flip, c.name,
        table.concat(x, " "), stats.mean(x), stats.median(x)))
      local head = { string.format("  %-12s", "window") }
      for _, k in ipairs(KEYS) do head[#head + 1] = string.format("%7s", k) end
      print(table.concat(head, " "))
      for _, w in ipairs(WINDOWS) do
        local row = { string.format("  %-12s", w[1]) }
        for _, k in ipairs(KEYS) do
          local s, n = 0, 0
          for _, r in ipairs(res) do for t = w[2], w[3] do s, n = s + r[k][t], n + 1 end end
          row[#row + 1] = string.format("%7.4f", s / n)
        end
        print(table.concat(row, " "))
      end
      local uf, nf, un, nn, ufa, nfa = 0, 0, 0, 0, 0, 0
      for _, r in ipairs(res) do
        for t = 101, S0 do
          if r.go[t] == 1 then
            if r.flipped[t] then uf, nf = uf + r.u[t], nf + 1 else un, nn = un + r.u[t], nn + 1 end
          end
        end
        local k = 0
        for t = S0 + 1, S0 + 50 do
          if r.fa[t] and not r.flipped[t] and k < 5 then ufa, nfa, k = ufa + r.u[t], nfa + 1, k + 1 end
        end
      end
      print(string.format("  u on Go outcomes in trials 101-300: flipped %.3f (n = %d), unflipped %.3f (n = %d); " ..
        "on the first 5 unflipped false alarms after the shift: %.3f (n = %d)", nf > 0 and uf / nf or 0, nf,
        nn > 0 and un / nn or 0, nn, nfa > 0 and ufa / nfa or 0, nfa))
      if c.name == "DA+NA" then
        print("  per seed: trials to criterion | Go rate s+51..s+300 | NA level s+51..s+300 | max utility z s+1..s+150")
        for seed, r in ipairs(res) do
          local go, na, zmax = 0, 0, -math.huge
          for t = S0 + 51, S0 + 300 do go, na = go + r.go[t], na + r.NA[t] end
          for t = S0 + 1, S0 + 150 do zmax = math.max(zmax, r.z[t]) end
          local m = c.seeds[seed]
          print(string.format("    seed %2d: %3d%s | %.2f | %.2f | %.2f", seed, m.crit, m.never and " (never)" or "",
            go / 250, na / 250, zmax))
        end
      end
    end
  end
  print("")
  for _, flip in ipairs { 0, o.flip } do
    local p = stats.mann_whitney(crits["DA+NA/" .. flip], crits["DA/" .. flip]).p_less
    print(string.format("flip %g: DA+NA vs DA, trials to criterion, one-sided Mann-Whitney p = %.2g", flip, p))
  end
  return 0
end

if arg and arg[0] and arg[0]:match("setshift_flip_diagnosis%.lua$") then os.exit(main(arg)) end
