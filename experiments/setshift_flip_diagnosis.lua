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
local function script_dir()
  local src = debug.getinfo(1, "S").source
  return (src:sub(1, 1) == "@" and src:sub(2):match("^(.*)/[^/]*$")) or "."
end
local ROOT = script_dir() .. "/.."
dofile(script_dir() .. "/setshift.lua")   -- sets the checkout's package paths (and is the study this diagnoses)

local nm = require "neuromod"
local stats = require "neuromod.stats"
local SetShift = dofile(ROOT .. "/envs/setshift.lua")

local S0, T = 300, 1000

local function run(mods, seed, flip)
  local env = SetShift{ seed = seed, shift = "extra", shift_trial = S0, population = 10, active = 3, noise = 0,
                        reward_flip = flip }
  local agent = nm.agent{ obs = env:getStateSpace(), actions = env:getActionSpace(), hidden = { 32 }, seed = seed,
                          modulators = mods }
  local cfg = agent:config()
  local m, tr, correct = {}, {}, {}
  local short, var = 0, 0 -- NA's utility input, recomputed as c/modulators.c does
  local ks, kt = 1 / cfg.tau_phasic.DA, 1 / cfg.tau_tonic.DA
  for t = 1, T do
    local obs = env:start()
    local a = agent:act(obs)
    local r, nobs, term, info = env:step(a)
    agent:learn(r, nobs, term)
    agent:modulators(m)
    local E = m.phasic.ACh + cfg.surprise_floor
    local u = m.surprise - cfg.na_threshold * E
    u = u > 0 and u / (m.surprise + cfg.surprise_floor) or 0
    short = short + ks * (r - short)
    local dev = r - m.tonic.DA
    var = var + kt * (dev * dev - var)
    local z = (m.tonic.DA - short) / (math.sqrt(var * ks * 0.5) + 1e-3) - 3
    correct[t] = info.correct and 1 or 0
    tr[t] = { S = m.surprise, E = E, u = u, NA = m.NA, lr = m.params.learning_rate,
              beta = m.params.inverse_temperature, go = a, z = z, flipped = info.flipped,
              fa = a == 1 and info.condition == "nogo" }
  end
  agent:close()
  local crit, w = nil, 0
  for t = S0 + 1, T do
    w = w + correct[t] - (t - 20 > S0 and correct[t - 20] or 0)
    if t - S0 >= 20 and w >= 18 then crit = t - S0 break end
  end
  return { crit = crit or (T - S0), never = crit == nil, tr = tr }
end

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
    for _, c in ipairs { { "DA", { DA = true } }, { "DA+NA", { DA = true, NA = true } } } do
      local res, x = {}, {}
      for seed = 1, o.seeds do res[seed] = run(c[2], seed, flip) x[seed] = res[seed].crit end
      crits[c[1] .. "/" .. flip] = x
      print(string.format("\nflip %g, %s: trials to criterion per seed: %s (mean %.0f, median %.0f)", flip, c[1],
        table.concat(x, " "), stats.mean(x), stats.median(x)))
      local head = { string.format("  %-12s", "window") }
      for _, k in ipairs(KEYS) do head[#head + 1] = string.format("%7s", k) end
      print(table.concat(head, " "))
      for _, w in ipairs(WINDOWS) do
        local row = { string.format("  %-12s", w[1]) }
        for _, k in ipairs(KEYS) do
          local s, n = 0, 0
          for _, r in ipairs(res) do for t = w[2], w[3] do s, n = s + r.tr[t][k], n + 1 end end
          row[#row + 1] = string.format("%7.4f", s / n)
        end
        print(table.concat(row, " "))
      end
      local uf, nf, un, nn, ufa, nfa = 0, 0, 0, 0, 0, 0
      for _, r in ipairs(res) do
        for t = 101, S0 do
          local x = r.tr[t]
          if x.go == 1 then
            if x.flipped then uf, nf = uf + x.u, nf + 1 else un, nn = un + x.u, nn + 1 end
          end
        end
        local k = 0
        for t = S0 + 1, S0 + 50 do
          local x = r.tr[t]
          if x.fa and not x.flipped and k < 5 then ufa, nfa, k = ufa + x.u, nfa + 1, k + 1 end
        end
      end
      print(string.format("  u on Go outcomes in trials 101-300: flipped %.3f (n = %d), unflipped %.3f (n = %d); " ..
        "on the first 5 unflipped false alarms after the shift: %.3f (n = %d)", nf > 0 and uf / nf or 0, nf,
        nn > 0 and un / nn or 0, nn, nfa > 0 and ufa / nfa or 0, nfa))
      if c[1] == "DA+NA" then
        print("  per seed: trials to criterion | Go rate s+51..s+300 | NA level s+51..s+300 | max utility z s+1..s+150")
        for seed, r in ipairs(res) do
          local go, na, zmax = 0, 0, -math.huge
          for t = S0 + 51, S0 + 300 do go, na = go + r.tr[t].go, na + r.tr[t].NA end
          for t = S0 + 1, S0 + 150 do zmax = math.max(zmax, r.tr[t].z) end
          print(string.format("    seed %2d: %3d%s | %.2f | %.2f | %.2f", seed, r.crit, r.never and " (never)" or "",
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
